//! `kerb` against Heimdal's KDC and kpasswdd (Debian 12's 7.8, run by `lab/heimdal.sh` for
//! the realm HEIMDAL.LOCAL), with MIT's kinit, kvno and kpasswd as the control on the same
//! realm. Heimdal 7.8's KDC offers FAST in every pre-authentication-required error, accepts
//! encrypted timestamp and encrypted challenge, armors AS replies (no strengthen key, its
//! own challenge under the client challenge key) and ignores FAST in TGS requests; it has no
//! option to require FAST. Its log says which pre-authentication succeeded ("ENC-CHAL
//! pre-authentication succeeded -- NAME"), which is how these tests show the method used.
//! Each test makes its own principals with Heimdal's `kadmin -l` (`lab/heimdal.sh kadmin`),
//! so runs and tests do not depend on each other.
//! `#[ignore]`d: run with the lab up and `lab/state/env.sh` sourced.

mod common;

use std::process::{Command, Output, Stdio};

use common::{KERB, lab, ok};

const PASSWORD: &str = "Heimdal-Passw0rd-1";

/// Heimdal's `kadmin -l` on the lab's HEIMDAL.LOCAL database; fails the test on an error.
fn kadmin(args: &[&str]) {
    let o = Command::new(format!("{}/heimdal.sh", lab("LAB_DIR")))
        .arg("kadmin")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&o);
}

/// A fresh user `<tag>-<pid>@HEIMDAL.LOCAL` with [`PASSWORD`], pre-authentication required.
fn user(tag: &str) -> String {
    let name = format!("{tag}-{}@{}", std::process::id(), lab("LAB_HEIMDAL_REALM"));
    kadmin(&[
        "add",
        &format!("--password={PASSWORD}"),
        "--use-defaults",
        "--attributes=requires-pre-auth",
        &name,
    ]);
    name
}

fn cache(name: &str) -> String {
    common::cache("lab-heimdal", name)
}

/// `program args` on the Heimdal realm's client profile with the cache `cc`, `input` on
/// stdin; with `trace`, `KRB5_TRACE` to stderr (ours and MIT's).
fn run(program: &str, args: &[&str], cc: &str, input: &str, trace: bool) -> Output {
    run_conf(
        &lab("LAB_HEIMDAL_KRB5_CONFIG"),
        program,
        args,
        cc,
        input,
        trace,
    )
}

fn run_conf(
    conf: &str,
    program: &str,
    args: &[&str],
    cc: &str,
    input: &str,
    trace: bool,
) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("KRB5_CONFIG", conf)
        .env("KRB5CCNAME", cc)
        .env_remove("KRB5_TRACE");
    if trace {
        cmd.env("KRB5_TRACE", "/dev/stderr");
    }
    common::feed(&mut cmd, input)
}

/// `args` with `kerb`'s subcommand first when `program` is ours.
fn argv<'a>(program: &str, sub: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = Vec::new();
    if program == KERB {
        v.push(sub);
    }
    v.extend_from_slice(args);
    v
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn name(program: &str) -> &'static str {
    if program == KERB { "kerb" } else { "mit" }
}

/// The KDC log's lines about `principal` (each test's principals are its own).
fn kdc_log(principal: &str) -> Vec<String> {
    std::fs::read_to_string(lab("LAB_KDC_LOG_HEIMDAL"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(principal))
        .map(str::to_owned)
        .collect()
}

/// The pre-authentication methods the KDC log says succeeded for `principal`.
fn preauth_succeeded(principal: &str) -> Vec<String> {
    kdc_log(principal)
        .iter()
        .filter_map(|l| {
            l.split_once(" pre-authentication succeeded -- ")
                .map(|(head, _)| head.rsplit(' ').next().unwrap_or("").to_owned())
        })
        .collect()
}

/// An armor cache with the host's TGT from its keytab, made by `program`.
fn armor_cache(program: &str, name: &str) -> String {
    let cc = cache(name);
    let (keytab, host) = (
        lab("LAB_HEIMDAL_HOST_KEYTAB"),
        lab("LAB_HEIMDAL_HOST_PRINCIPAL"),
    );
    ok(&run(
        program,
        &argv(program, "kinit", &["-k", "-t", &keytab, "-c", &cc, &host]),
        &cc,
        "",
        false,
    ));
    cc
}

/// `kinit [-T armor] principal` by `program` into `cc`, `password` on stdin.
fn kinit(program: &str, armor: Option<&str>, cc: &str, who: &str, password: &str) -> Output {
    let mut args = Vec::new();
    if let Some(a) = armor {
        args.extend(["-T", a]);
    }
    args.extend(["-c", cc, who]);
    run(
        program,
        &argv(program, "kinit", &args),
        cc,
        &format!("{password}\n"),
        program == KERB,
    )
}

/// `kvno -k KEYTAB service` by `program` on `cc`: the service ticket decrypts with the
/// service's keytab.
fn kvno_verified(program: &str, cc: &str) -> Output {
    let (service, keytab) = (
        lab("LAB_HEIMDAL_SERVICE"),
        lab("LAB_HEIMDAL_SERVICE_KEYTAB"),
    );
    let o = run(
        program,
        &argv(program, "kvno", &["-k", &keytab, &service]),
        cc,
        "",
        program == KERB,
    );
    let out = ok(&o);
    // Ours fails when the ticket does not decrypt; MIT's says that it did.
    let says = if program == KERB {
        format!("{service}: kvno = 1")
    } else {
        format!("{service}: kvno = 1, keytab entry valid")
    };
    assert!(out.contains(&says), "{out}");
    o
}

#[test]
#[ignore = "needs the lab"]
fn password_kinit_uses_encrypted_timestamp_then_kvno_like_mit() {
    for program in [KERB, "kinit"] {
        let who = user(&format!("ts-{}", name(program)));
        let cc = cache(&format!("ts-{}", name(program)));
        let o = kinit(program, None, &cc, &who, PASSWORD);
        ok(&o);
        if program == KERB {
            assert!(
                stderr(&o).contains("Preauthenticating using KDC method data: encrypted timestamp"),
                "{}",
                stderr(&o)
            );
        }
        assert_eq!(preauth_succeeded(&who), ["ENC-TS"], "{program}");
        // Each kvno on each kinit's cache.
        kvno_verified(KERB, &cc);
        kvno_verified("kvno", &cc);
    }
}

#[test]
#[ignore = "needs the lab"]
fn armored_kinit_uses_encrypted_challenge_then_kvno() {
    for armor_by in [KERB, "kinit"] {
        let armor = armor_cache(armor_by, &format!("armor-ec-{}", name(armor_by)));
        let who = user(&format!("ec-{}", name(armor_by)));
        let cc = cache(&format!("ec-{}", name(armor_by)));
        let o = kinit(KERB, Some(&armor), &cc, &who, PASSWORD);
        ok(&o);
        let trace = stderr(&o);
        for line in [
            "Encoding request body and padata into FAST request",
            "Decoding FAST response: KRB-ERROR inside PA-FX-ERROR",
            "Preauthenticating using KDC method data: encrypted challenge (FAST)",
            // Heimdal 7.8 sends no strengthen key.
            "Decoding FAST response: ticket checksum verified\n",
            "The KDC's encrypted challenge is under the client challenge key (Heimdal 7)",
            "KDC encrypted challenge verified",
        ] {
            assert!(trace.contains(line), "no {line:?} in:\n{trace}");
        }
        assert!(!trace.contains(PASSWORD));
        // The KDC's side: encrypted challenge, inside FAST.
        assert_eq!(preauth_succeeded(&who), ["ENC-CHAL"]);
        // kvno armors its TGS request (the cache says the KDC takes FAST); Heimdal 7.8
        // answers unarmored under the subkey, which we take as MIT does.
        let o = kvno_verified(KERB, &cc);
        let trace = stderr(&o);
        for line in [
            "takes FAST: TGS requests armored with the TGT",
            "Encoding request body and padata into FAST request",
            "The TGS-REP is not armored: the KDC ignores FAST in TGS requests",
        ] {
            assert!(trace.contains(line), "no {line:?} in:\n{trace}");
        }
        assert!(
            kdc_log(&who).iter().any(|l| l.contains("TGS-REQ")),
            "{:?}",
            kdc_log(&who)
        );
        // MIT's kvno reads our cache (and armors too).
        kvno_verified("kvno", &cc);
    }
}

#[test]
#[ignore = "needs the lab"]
fn mit_kinit_t_is_the_control() {
    let armor = armor_cache(KERB, "armor-mit");
    // MIT 1.20 picks the first method the KDC lists inside FAST: Heimdal lists encrypted
    // timestamp before encrypted challenge.
    let who = user("mit-t");
    let cc = cache("mit-t");
    ok(&kinit("kinit", Some(&armor), &cc, &who, PASSWORD));
    assert_eq!(preauth_succeeded(&who), ["ENC-TS"]);
    kvno_verified("kvno", &cc);
    kvno_verified(KERB, &cc);
    // With encrypted challenge preferred, MIT's client finds that the KDC's challenge does
    // not decrypt with the RFC 6113 KDC challenge key, and ignores it.
    let conf = std::fs::read_to_string(lab("LAB_HEIMDAL_KRB5_CONFIG")).unwrap();
    let conf = conf.replacen(
        "[libdefaults]\n",
        "[libdefaults]\n\tpreferred_preauth_types = 138\n",
        1,
    );
    let dir = std::env::temp_dir().join(format!("kerb-lab-heimdal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("krb5-prefer-ec.conf");
    std::fs::write(&path, conf).unwrap();
    let who = user("mit-t-ec");
    let cc = cache("mit-t-ec");
    let args = ["-T", &armor, "-c", &cc, &who];
    let o = run_conf(
        path.to_str().unwrap(),
        "kinit",
        &args,
        &cc,
        &format!("{PASSWORD}\n"),
        true,
    );
    ok(&o);
    assert!(
        stderr(&o).contains(
            "Preauth module encrypted_challenge (138) (real) returned: -1765328353/Decrypt \
             integrity check failed"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(preauth_succeeded(&who), ["ENC-CHAL"]);
}

#[test]
#[ignore = "needs the lab"]
fn keytab_kinit_armored_and_not() {
    // Heimdal's KDC requires pre-authentication of every client (`require-preauth`
    // defaults to true): the keytab's key answers it, by encrypted challenge when armored.
    let (keytab, host) = (
        lab("LAB_HEIMDAL_HOST_KEYTAB"),
        lab("LAB_HEIMDAL_HOST_PRINCIPAL"),
    );
    let armor = armor_cache(KERB, "armor-kt");
    let cc = cache("kt-armored");
    let o = run(
        KERB,
        &["kinit", "-k", "-t", &keytab, "-T", &armor, "-c", &cc, &host],
        &cc,
        "",
        true,
    );
    ok(&o);
    assert!(
        stderr(&o).contains("KDC encrypted challenge verified"),
        "{}",
        stderr(&o)
    );
    kvno_verified(KERB, &cc);
}

#[test]
#[ignore = "needs the lab"]
fn a_wrong_password_fails_cleanly() {
    let who = user("wrong");
    let realm = lab("LAB_HEIMDAL_REALM");
    let kdc = lab("LAB_KDC_HEIMDAL");
    // Unarmored: KDC_ERR_PREAUTH_FAILED. Armored: Heimdal 7.8 answers the failed encrypted
    // challenge with KRB_AP_ERR_BAD_INTEGRITY (its database has no failed-login hook).
    let armor = armor_cache(KERB, "armor-wrong");
    for (armored, code) in [
        (None, "KDC_ERR_PREAUTH_FAILED"),
        (Some(armor.as_str()), "KRB_AP_ERR_BAD_INTEGRITY"),
    ] {
        let o = kinit(KERB, armored, &cache("wrong"), &who, "not-the-password");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.contains(code)
                && last.contains(&format!("realm {realm}, KDC {kdc}"))
                && last.ends_with("while getting initial credentials"),
            "{err}"
        );
        assert!(!err.contains("not-the-password"));
        let mit = kinit(
            "kinit",
            armored,
            &cache("wrong-mit"),
            &who,
            "not-the-password",
        );
        assert_eq!(mit.status.code(), Some(1));
        assert!(
            stderr(&mit).contains("Password incorrect while getting initial credentials"),
            "{}",
            stderr(&mit)
        );
    }
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_against_heimdal_kpasswdd_like_mit() {
    let new = "Heimdal-Passw0rd-2";
    for program in [KERB, "kpasswd"] {
        let who = user(&format!("kpw-{}", name(program)));
        let cc = cache(&format!("kpw-{}", name(program)));
        let input = format!("{PASSWORD}\n{new}\n{new}\n");
        let o = run(
            program,
            &argv(program, "kpasswd", &[&who]),
            &cc,
            &input,
            false,
        );
        let out = ok(&o);
        assert!(out.contains("Password changed."), "{program}: {out}");
        // The new password is the one now.
        ok(&kinit(KERB, None, &cache("kpw-new"), &who, new));
        let log = std::fs::read_to_string(lab("LAB_HEIMDAL_KPASSWDD_LOG")).unwrap();
        assert!(
            log.contains(&format!("Changing password for {who}")),
            "{log}"
        );
    }
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_shows_heimdals_reason_for_a_rejected_password() {
    // kpasswdd's password quality: minimum length (`[password_quality] min_length`). Its
    // reason comes as a C string, NUL included; MIT's kpasswd shows its generic advice.
    let short = "x".repeat(lab("LAB_HEIMDAL_KPW_MINLENGTH").parse::<usize>().unwrap() - 1);
    let expected = [
        (KERB, "Password change rejected: Password too short"),
        (
            "kpasswd",
            "Password change rejected: Try a more complex password, or contact your \
             administrator.",
        ),
    ];
    for (program, says) in expected {
        let who = user(&format!("kpw-short-{}", name(program)));
        let cc = cache(&format!("kpw-short-{}", name(program)));
        let input = format!("{PASSWORD}\n{short}\n{short}\n");
        let o = run(
            program,
            &argv(program, "kpasswd", &[&who]),
            &cc,
            &input,
            false,
        );
        let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{program}: {all}");
        assert!(all.contains(says), "{program}: {all}");
        let log = std::fs::read_to_string(lab("LAB_HEIMDAL_KPASSWDD_LOG")).unwrap();
        assert!(
            log.contains(&format!(
                "{who} didn't pass password quality check with error: Password too short"
            )),
            "{log}"
        );
        // The old password still works.
        ok(&kinit(KERB, None, &cache("kpw-short-old"), &who, PASSWORD));
    }
}

#[test]
#[ignore = "needs the lab"]
fn kinit_changes_an_expired_password_through_kpasswdd_like_mit() {
    // Heimdal's KDC answers an expired password with KDC_ERR_KEY_EXPIRED (after
    // pre-authentication) and still issues a kadmin/changepw ticket.
    let new = "Heimdal-Passw0rd-3";
    for program in [KERB, "kinit"] {
        let who = user(&format!("expired-{}", name(program)));
        kadmin(&["modify", "--pw-expiration-time=2020-01-01", &who]);
        let cc = cache(&format!("expired-{}", name(program)));
        let input = format!("{PASSWORD}\n{new}\n{new}\n");
        let o = run(
            program,
            &argv(program, "kinit", &["-c", &cc, &who]),
            &cc,
            &input,
            false,
        );
        let out = ok(&o);
        assert!(
            out.contains("Password expired.  You must change it now."),
            "{program}: {out}"
        );
        let log = std::fs::read_to_string(lab("LAB_HEIMDAL_KPASSWDD_LOG")).unwrap();
        assert!(
            log.contains(&format!("Changing password for {who}")),
            "{log}"
        );
        // The TGT came with the new password.
        ok(&run(KERB, &["klist", "-s"], &cc, "", false));
        // kpasswdd set the next expiry a year ahead; the KDC's last-req says so, and both
        // kinits warn alike.
        let warning = |program: &str| {
            let out = ok(&kinit(program, None, &cache("expired-new"), &who, new));
            out.lines()
                .find(|l| l.starts_with("Warning: Your password will expire in "))
                .unwrap_or_else(|| panic!("{program}: no warning in {out}"))
                .to_owned()
        };
        common::assert_same_kinit_output(&warning(KERB), &warning("kinit"));
    }
}

#[test]
#[ignore = "needs the lab"]
fn rfc8009_keys_with_heimdals_salt_like_mit() {
    // Heimdal 7.8's kadmin gives RFC 8009 keys a salt with a random prefix; ETYPE-INFO2 carries
    // it (and s2kparams). Both kinits, limited to aes256-cts-hmac-sha384-192, prove the
    // password with that key.
    let who = lab("LAB_HEIMDAL_SHA2_USER_PRINCIPAL");
    let password = lab("LAB_HEIMDAL_SHA2_USER_PASSWORD");
    let conf = std::fs::read_to_string(lab("LAB_HEIMDAL_KRB5_CONFIG")).unwrap();
    let conf = conf.replacen(
        "[libdefaults]\n",
        "[libdefaults]\n\tdefault_tkt_enctypes = aes256-cts-hmac-sha384-192\n",
        1,
    );
    let dir = std::env::temp_dir().join(format!("kerb-lab-heimdal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("krb5-sha384.conf");
    std::fs::write(&path, conf).unwrap();
    for program in [KERB, "kinit"] {
        let cc = cache(&format!("sha2-{}", name(program)));
        let o = run_conf(
            path.to_str().unwrap(),
            program,
            &argv(program, "kinit", &["-c", &cc, &who]),
            &cc,
            &format!("{password}\n"),
            false,
        );
        ok(&o);
        let used = kdc_log(&who)
            .into_iter()
            .rev()
            .find(|l| l.contains("Pre-authentication succeeded --"))
            .unwrap_or_default();
        assert!(
            used.ends_with(&format!("-- {who} using aes256-cts-hmac-sha384-192")),
            "{program}: {used}"
        );
        kvno_verified(KERB, &cc);
    }
}
