//! FAST (RFC 6113) against the lab's MIT KDC for FAST.LOCAL, whose only password
//! pre-authentication is encrypted challenge inside FAST (`[plugins] kdcpreauth = { disable =
//! encrypted_timestamp }`), with MIT's kinit and kvno as the control. The armor TGT comes from
//! the host keytab (`kinit -k -t KEYTAB -c ARMOR host/NAME`); the service
//! `LAB_FAST_EC_SERVICE` has `require_auth` set to the KDC's `encrypted_challenge_indicator`,
//! so a ticket for it shows that the TGT was obtained with encrypted challenge.
//! `#[ignore]`d: run with the lab up and `lab/state/env.sh` sourced.

mod common;

use std::process::{Command, Output, Stdio};

use common::{KERB, lab, ok, run};

const PASSWORD: &str = "Passw0rd-joedoe";

fn user() -> String {
    format!("joedoe@{}", lab("LAB_FAST_REALM"))
}

fn cache(name: &str) -> String {
    common::cache("lab-fast", name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An armor cache holding the host's TGT, made by `program` (MIT's kinit or ours) from the
/// host keytab.
fn armor_cache(program: &str, name: &str) -> String {
    let cc = cache(name);
    let (keytab, host) = (lab("LAB_FAST_HOST_KEYTAB"), lab("LAB_FAST_HOST_PRINCIPAL"));
    let mut args = vec!["-k", "-t", &keytab, "-c", &cc, &host];
    if program == KERB {
        args.insert(0, "kinit");
    }
    ok(&run(program, &args, &cc, None));
    cc
}

/// `kinit [-T armor] user` by `program` into `cc`, `password` on stdin.
fn kinit(program: &str, armor: Option<&str>, cc: &str, password: &str) -> Output {
    let user = user();
    let mut args = Vec::new();
    if program == KERB {
        args.push("kinit");
    }
    if let Some(a) = armor {
        args.extend(["-T", a]);
    }
    args.extend(["-c", cc, &user]);
    run(program, &args, cc, Some(&format!("{password}\n")))
}

/// `kvno service` by `program` with the cache `cc`.
fn kvno(program: &str, service: &str, cc: &str) -> Output {
    let mut args = vec![service];
    if program == KERB {
        args.insert(0, "kvno");
    }
    run(program, &args, cc, None)
}

#[test]
#[ignore = "needs the lab"]
fn unarmored_kinit_is_refused_with_what_the_kdc_requires() {
    let cc = cache("unarmored");
    let ours = kinit(KERB, None, &cc, PASSWORD);
    let err = stderr(&ours);
    assert_eq!(ours.status.code(), Some(1), "{err}");
    assert!(
        err.contains("KDC_ERR_PREAUTH_REQUIRED")
            && err.contains("the KDC requires FAST armor: use -T with a machine TGT")
            && err.contains(&lab("LAB_FAST_REALM")),
        "{err}"
    );
    // MIT's kinit fails too (with "Generic preauthentication failure").
    let mit = kinit("kinit", None, &cache("unarmored-mit"), PASSWORD);
    assert_eq!(mit.status.code(), Some(1), "{}", stderr(&mit));
}

#[test]
#[ignore = "needs the lab"]
fn armored_kinit_then_kvno_like_mit_kinit_t() {
    for (program, armor_by) in [
        (KERB, KERB),
        (KERB, "kinit"),
        ("kinit", KERB),
        ("kinit", "kinit"),
    ] {
        let tag = format!("{}-{}", name(program), name(armor_by));
        let armor = armor_cache(armor_by, &format!("armor-{tag}"));
        let cc = cache(&format!("user-{tag}"));
        ok(&kinit(program, Some(&armor), &cc, PASSWORD));
        // The encrypted-challenge indicator is in the TGT: the require_auth service's ticket
        // is issued; and an ordinary service.
        let (same, other) = if program == KERB {
            (KERB, "kvno")
        } else {
            ("kvno", KERB)
        };
        let out = ok(&kvno(same, &lab("LAB_FAST_EC_SERVICE"), &cc));
        assert!(out.contains(&lab("LAB_FAST_EC_SERVICE")), "{tag}: {out}");
        ok(&kvno(same, &lab("LAB_FAST_SERVICE"), &cc));
        // MIT's kvno reads our cache and the other way round.
        ok(&kvno(other, &lab("LAB_FAST_SERVICE"), &cc));
    }
}

fn name(program: &str) -> &'static str {
    if program == KERB { "kerb" } else { "mit" }
}

#[test]
#[ignore = "needs the lab"]
fn the_require_auth_service_refuses_a_ticket_without_encrypted_challenge() {
    // The host's TGT came from its keytab without pre-authentication: no indicator, so the
    // KDC refuses the service that requires it; the test above is not vacuous.
    let armor = armor_cache(KERB, "armor-noindicator");
    for program in [KERB, "kvno"] {
        let o = kvno(program, &lab("LAB_FAST_EC_SERVICE"), &armor);
        assert_eq!(o.status.code(), Some(1), "{program}: {}", stderr(&o));
    }
    let o = kvno(KERB, &lab("LAB_FAST_EC_SERVICE"), &armor);
    assert!(stderr(&o).contains("KDC_ERR_POLICY"), "{}", stderr(&o));
}

#[test]
#[ignore = "needs the lab"]
fn a_wrong_password_fails_cleanly_inside_fast() {
    let armor = armor_cache(KERB, "armor-wrong");
    let cc = cache("wrong");
    let ours = kinit(KERB, Some(&armor), &cc, "not-the-password");
    let err = stderr(&ours);
    assert_eq!(ours.status.code(), Some(1), "{err}");
    assert!(
        err.contains("KDC_ERR_PREAUTH_FAILED") && err.contains("while getting initial credentials"),
        "{err}"
    );
    let mit = kinit(
        "kinit",
        Some(&armor),
        &cache("wrong-mit"),
        "not-the-password",
    );
    assert_eq!(mit.status.code(), Some(1));
    assert!(
        stderr(&mit).contains("Password incorrect"),
        "{}",
        stderr(&mit)
    );
}

#[test]
#[ignore = "needs the lab"]
fn the_trace_shows_the_armor_and_encrypted_challenge() {
    let armor = armor_cache(KERB, "armor-trace");
    let cc = cache("trace");
    let o = common::feed(
        Command::new(KERB)
            .args(["kinit", "-T", &armor, "-c", &cc, &user()])
            .env("KRB5CCNAME", &cc)
            .env("KRB5_TRACE", "/dev/stderr"),
        &format!("{PASSWORD}\n"),
    );
    ok(&o);
    let trace = stderr(&o);
    for line in [
        "FAST armor ccache",
        "Encoding request body and padata into FAST request",
        "Decoding FAST response: KRB-ERROR inside PA-FX-ERROR",
        "Preauthenticating using KDC method data: encrypted challenge (FAST)",
        "Decoding FAST response: ticket checksum verified; reply key strengthened",
        "KDC encrypted challenge verified",
    ] {
        assert!(trace.contains(line), "no {line:?} in:\n{trace}");
    }
    assert!(!trace.contains(PASSWORD));
}

#[test]
#[ignore = "needs the lab"]
fn an_armor_cache_without_the_realms_tgt_is_refused() {
    // A cache of another realm's TGT cannot armor FAST.LOCAL requests.
    let other = cache("armor-other-realm");
    let onprem = lab("LAB_USER_PRINCIPAL");
    ok(&run(
        KERB,
        &["kinit", "-c", &other, &onprem],
        &other,
        Some(&format!("{}\n", lab("LAB_USER_PASSWORD"))),
    ));
    let o = kinit(KERB, Some(&other), &cache("armor-other-user"), PASSWORD);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("armor credential cache holds no valid krbtgt/FAST.LOCAL@FAST.LOCAL"),
        "{err}"
    );
}

#[test]
#[ignore = "needs the lab"]
fn disable_encrypted_timestamp_is_honoured_like_mit() {
    // ONPREM.LOCAL's KDC offers encrypted timestamp; with the client-side option neither
    // kinit sends it, and without armor nothing else is left.
    let conf = std::fs::read_to_string(lab("LAB_KRB5_CONFIG")).unwrap();
    let realm = format!("\t{} = {{\n", lab("LAB_USER_REALM"));
    assert!(conf.contains(&realm), "{conf}");
    let conf = conf.replacen(
        &realm,
        &format!("{realm}\t\tdisable_encrypted_timestamp = true\n"),
        1,
    );
    let dir = std::env::temp_dir().join(format!("kerb-lab-fast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("krb5-no-encts.conf");
    std::fs::write(&path, conf).unwrap();
    let user = lab("LAB_USER_PRINCIPAL");
    let input = format!("{}\n", lab("LAB_USER_PASSWORD"));
    for program in [KERB, "kinit"] {
        let cc = cache(&format!("no-encts-{}", name(program)));
        let mut args = vec!["-c", cc.as_str(), user.as_str()];
        if program == KERB {
            args.insert(0, "kinit");
        }
        let o = common::feed(
            Command::new(program)
                .args(&args)
                .env("KRB5_CONFIG", &path)
                .env_remove("KRB5_TRACE"),
            &input,
        );
        assert_eq!(o.status.code(), Some(1), "{program}: {}", stderr(&o));
        if program == KERB {
            assert!(
                stderr(&o).contains("disable_encrypted_timestamp"),
                "{}",
                stderr(&o)
            );
        }
    }
}

#[test]
#[ignore = "needs the lab"]
fn armored_keytab_kinit_without_preauth_like_mit() {
    // The host principal needs no pre-authentication: the armored AS-REP comes at once, with
    // KrbFastFinished and a strengthened reply key.
    let armor = armor_cache(KERB, "armor-keytab");
    let (keytab, host) = (lab("LAB_FAST_HOST_KEYTAB"), lab("LAB_FAST_HOST_PRINCIPAL"));
    for program in [KERB, "kinit"] {
        let cc = cache(&format!("keytab-{}", name(program)));
        let mut args = vec!["-k", "-t", &keytab, "-T", &armor, "-c", &cc, &host];
        if program == KERB {
            args.insert(0, "kinit");
        }
        ok(&run(program, &args, &cc, None));
        ok(&kvno(KERB, &lab("LAB_FAST_SERVICE"), &cc));
    }
}

#[test]
#[ignore = "needs the lab"]
fn kvno_armors_its_tgs_request_after_an_armored_kinit_like_mit() {
    let armor = armor_cache(KERB, "armor-tgs");
    let cc = cache("tgs");
    ok(&kinit(KERB, Some(&armor), &cc, PASSWORD));
    let o = Command::new(KERB)
        .args(["kvno", &lab("LAB_FAST_EC_SERVICE")])
        .env("KRB5CCNAME", &cc)
        .env("KRB5_TRACE", "/dev/stderr")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&o);
    let trace = stderr(&o);
    for line in [
        "takes FAST: TGS requests armored with the TGT",
        "Encoding request body and padata into FAST request",
        "Decoding FAST response: ticket checksum verified; reply key strengthened",
    ] {
        assert!(trace.contains(line), "no {line:?} in:\n{trace}");
    }
    // MIT's kvno on the cache written by our kinit says the same in its trace.
    let o = Command::new("kvno")
        .arg(lab("LAB_FAST_SERVICE"))
        .env("KRB5CCNAME", &cc)
        .env("KRB5_TRACE", "/dev/stderr")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&o);
    assert!(
        stderr(&o).contains("Encoding request body and padata into FAST request"),
        "{}",
        stderr(&o)
    );
}
