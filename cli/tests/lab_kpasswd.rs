//! `kerb kpasswd` and `kerb kinit` on an expired password against the lab's MIT kadmind (its
//! kpasswd service, RFC 3244) and KDC, with MIT's kpasswd and kinit as the control: the same
//! input gives the same output and exit status. Each test makes its own principals under the
//! lab's password policy with kadmin.local, so runs do not depend on each other.
//! `#[ignore]`d: run with the lab up and `lab/state/env.sh` sourced.

mod common;

use std::process::{Command, Output};

use common::{KERB, kadmin_local, lab, ok};

const OLD: &str = "Old-Passw0rd-1";
const NEW: &str = "New-Passw0rd-22";

/// A fresh principal `kpw-<tag>-<pid>@ONPREM.LOCAL` with password [`OLD`] under the lab's
/// policy (minimum length), pre-authentication required; with `expired`, its password
/// expired yesterday (`-pwexpire now` could still be the current second, which MIT's KDC
/// does not count as expired yet).
fn principal(tag: &str, expired: bool) -> String {
    let name = format!("kpw-{tag}-{}@{}", std::process::id(), lab("LAB_USER_REALM"));
    kadmin_local(&format!(
        "addprinc +requires_preauth -policy {} -pw {OLD} {name}",
        lab("LAB_KPW_POLICY")
    ));
    if expired {
        kadmin_local(&format!("modprinc -pwexpire yesterday {name}"));
    }
    name
}

fn cache(name: &str) -> String {
    common::cache("lab-kpasswd", name)
}

/// `program args` with `input` on stdin and extra environment.
fn run_env(program: &str, args: &[&str], cc: &str, input: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("KRB5CCNAME", cc)
        .env_remove("KRB5_TRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::feed(&mut cmd, input)
}

/// stdout, stderr and exit status, with `name` replaced by `P` so two principals compare.
fn text(o: &Output, name: &str) -> (String, String, Option<i32>) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).replace(name, "P");
    (s(&o.stdout), s(&o.stderr), o.status.code())
}

/// Lines of input, each ended by a newline.
fn lines(l: &[&str]) -> String {
    l.iter().map(|s| format!("{s}\n")).collect()
}

/// What [`same_as_mit`] saw: our output (principal as `P`), exit status, both principals
/// and our cache.
struct Compared {
    out: String,
    err: String,
    code: Option<i32>,
    ours_p: String,
    mit_p: String,
    ours_cc: String,
}

/// Our tool and MIT's on two fresh principals with the same input: the same stdout and
/// exit status (and stderr when `same_stderr`).
fn same_as_mit(tag: &str, expired: bool, tool: &str, input: &str, same_stderr: bool) -> Compared {
    let ours_p = principal(&format!("{tag}-o"), expired);
    let mit_p = principal(&format!("{tag}-m"), expired);
    let ours_cc = cache(&format!("{tag}-ours"));
    let mit_cc = cache(&format!("{tag}-mit"));
    let ours = run_env(KERB, &[tool, &ours_p], &ours_cc, input, &[]);
    let mit = run_env(tool, &[&mit_p], &mit_cc, input, &[]);
    let (o, m) = (text(&ours, &ours_p), text(&mit, &mit_p));
    assert_eq!(
        o.0, m.0,
        "stdout of {tool} (ours, then MIT's); stderr: {} / {}",
        o.1, m.1
    );
    assert_eq!(o.2, m.2, "exit status of {tool}; stderr: {} / {}", o.1, m.1);
    if same_stderr {
        assert_eq!(o.1, m.1, "stderr of {tool}");
    }
    Compared {
        out: o.0,
        err: o.1,
        code: o.2,
        ours_p,
        mit_p,
        ours_cc,
    }
}

/// A kinit with `password` by `program` (ours or MIT's) succeeds or fails.
fn kinit_works(program: &str, principal: &str, password: &str) -> bool {
    let cc = cache("check");
    let args: Vec<&str> = if program == KERB {
        vec!["kinit", principal]
    } else {
        vec![principal]
    };
    run_env(program, &args, &cc, &lines(&[password]), &[])
        .status
        .success()
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_changes_the_password_like_mit() {
    let Compared {
        out,
        code,
        ours_p,
        mit_p,
        ..
    } = same_as_mit("change", false, "kpasswd", &lines(&[OLD, NEW, NEW]), true);
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "Password for P: \nEnter new password: \nEnter it again: \nPassword changed.\n"
    );
    // The new password works for both kinits and the old one no longer does.
    for p in [&ours_p, &mit_p] {
        assert!(
            kinit_works(KERB, p, NEW),
            "{p}: our kinit with the new password"
        );
        assert!(
            kinit_works("kinit", p, NEW),
            "{p}: MIT kinit with the new password"
        );
        assert!(
            !kinit_works("kinit", p, OLD),
            "{p}: the old password still works"
        );
    }
    let log = std::fs::read_to_string(lab("LAB_KADMIND_LOG")).unwrap();
    assert!(
        log.contains(&format!(
            "chpw request from 127.0.0.1 for {ours_p}: success"
        )),
        "kadmind log"
    );
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_shows_the_policy_rejection_like_mit() {
    let Compared {
        out, code, ours_p, ..
    } = same_as_mit(
        "policy",
        false,
        "kpasswd",
        &lines(&[OLD, "short", "short"]),
        true,
    );
    assert_eq!(code, Some(2));
    assert!(
        out.contains("Password change rejected: New password is too short.\n"),
        "{out}"
    );
    assert!(out.contains(&lab("LAB_KPW_MINLENGTH")), "{out}");
    assert!(kinit_works(KERB, &ours_p, OLD), "the password was changed");
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_mismatch_and_wrong_password_fail_like_mit() {
    let Compared { err, code, .. } = same_as_mit(
        "mismatch",
        false,
        "kpasswd",
        &lines(&[OLD, NEW, "New-Passw0rd-23"]),
        true,
    );
    assert_eq!(code, Some(1));
    assert_eq!(err, "kpasswd: Password mismatch while reading password\n");
    let Compared { err, code, .. } = same_as_mit(
        "wrong",
        false,
        "kpasswd",
        &lines(&["Wrong-Passw0rd", NEW, NEW]),
        false,
    );
    // MIT: "kpasswd: Preauthentication failed getting initial ticket"; ours names the
    // error, realm and KDC too.
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("kpasswd: Preauthentication failed (KDC_ERR_PREAUTH_FAILED")
            && err.ends_with(" getting initial ticket\n"),
        "{err}"
    );
}

#[test]
#[ignore = "needs the lab"]
fn kpasswd_over_tcp() {
    // A profile whose kpasswd_server forces TCP (MIT's `tcp/` prefix).
    let port = lab("LAB_KPASSWD_PORT");
    let conf = std::fs::read_to_string(lab("LAB_KRB5_CONFIG"))
        .unwrap()
        .replace(
            &format!("kpasswd_server = 127.0.0.1:{port}"),
            &format!("kpasswd_server = tcp/127.0.0.1:{port}"),
        );
    assert!(
        conf.contains("tcp/127.0.0.1"),
        "the lab profile names kpasswd_server"
    );
    let path = std::env::temp_dir().join(format!("kerb-kpasswd-tcp-{}.conf", std::process::id()));
    std::fs::write(&path, conf).unwrap();
    let trace = std::env::temp_dir().join(format!("kerb-kpasswd-tcp-{}.trace", std::process::id()));
    let _ = std::fs::remove_file(&trace);
    let p = principal("tcp", false);
    let env = [
        ("KRB5_CONFIG", path.to_str().unwrap()),
        ("KRB5_TRACE", trace.to_str().unwrap()),
    ];
    let o = run_env(
        KERB,
        &["kpasswd", &p],
        &cache("tcp"),
        &lines(&[OLD, NEW, NEW]),
        &env,
    );
    assert!(ok(&o).ends_with("Password changed.\n"));
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(
        trace.contains(&format!("Sending TCP request to stream 127.0.0.1:{port}")),
        "{trace}"
    );
    assert!(
        trace.contains("kpasswd reply: result code 0 (Success)"),
        "{trace}"
    );
    assert!(
        !trace.contains(&format!("dgram 127.0.0.1:{port}")),
        "{trace}"
    );
    assert!(kinit_works("kinit", &p, NEW));
}

#[test]
#[ignore = "needs the lab"]
fn kinit_changes_an_expired_password_like_mit() {
    // An empty password and a mismatch are each shown and asked again; the third of MIT's
    // three tries succeeds.
    let input = lines(&[OLD, "", "", NEW, "New-Passw0rd-23", NEW, NEW]);
    let Compared {
        out,
        code,
        ours_p,
        mit_p,
        ours_cc,
        ..
    } = same_as_mit("expired", true, "kinit", &input, true);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("Password expired.  You must change it now.\n"),
        "{out}"
    );
    assert!(
        out.contains("New password cannot be zero length.  Please try again.\n"),
        "{out}"
    );
    assert!(
        out.contains("Password mismatch.  Please try again.\n"),
        "{out}"
    );
    // Our kinit stored the TGT got with the new password; MIT's klist reads it.
    let listing = ok(&run_env("klist", &[], &ours_cc, "", &[]));
    assert!(
        listing.contains(&format!("Default principal: {ours_p}")),
        "{listing}"
    );
    for p in [&ours_p, &mit_p] {
        assert!(
            kinit_works("kinit", p, NEW),
            "{p}: MIT kinit with the new password"
        );
    }
}

#[test]
#[ignore = "needs the lab"]
fn kinit_expired_policy_refusals_then_give_up_like_mit() {
    let input = lines(&[OLD, "short", "short", "short", "short", "short", "short"]);
    let Compared {
        out,
        err,
        code,
        ours_p,
        ..
    } = same_as_mit("giveup", true, "kinit", &input, true);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("Password change rejected: New password is too short.\n"),
        "{out}"
    );
    assert!(out.contains(".  Please try again.\n\n"), "{out}");
    assert_eq!(
        err,
        "kinit: Password change failed while getting initial credentials\n"
    );
    // The password is still the old, expired one.
    let cc = cache("giveup-check");
    let o = run_env(
        KERB,
        &["kinit", &ours_p],
        &cc,
        &lines(&[OLD, "", "", "", "", "", ""]),
        &[],
    );
    assert!(!o.status.success());
}
