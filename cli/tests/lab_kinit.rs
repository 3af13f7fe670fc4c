//! `kerb kinit/kvno/klist` against the lab's real MIT KDCs, and cache interop with MIT's tools
//! in both directions. `#[ignore]`d: `scripts/test.sh` runs them with the lab up and
//! `lab/state/env.sh` sourced.

mod common;

use std::process::Output;

use common::{KERB, lab, ok};

fn cache(name: &str) -> String {
    common::cache("lab-kinit", name)
}

/// `program args` with the password line (if any) on stdin.
fn run(program: &str, args: &[&str], ccache: &str, stdin: Option<&str>) -> Output {
    let line = stdin.map(|s| format!("{s}\n"));
    common::run(program, args, ccache, line.as_deref())
}

#[test]
#[ignore = "needs the lab"]
fn our_kinit_and_kvno_feed_mit_klist_and_kvno() {
    let cc = cache("ours");
    let user = lab("LAB_USER_PRINCIPAL");
    ok(&run(
        KERB,
        &["kinit", "-f", &user],
        &cc,
        Some(&lab("LAB_USER_PASSWORD")),
    ));
    let listing = ok(&run("klist", &["-f"], &cc, None));
    assert!(
        listing.contains(&format!("Default principal: {user}")),
        "{listing}"
    );
    assert!(
        listing.contains("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL"),
        "{listing}"
    );
    // Renewable too, as MIT's `kinit -f` here: the default day exceeds the KDC's 10 h, and
    // RENEWABLE-OK asks for the rest as renewable time.
    assert!(listing.contains("Flags: FRIA"), "{listing}");
    // MIT's kvno uses our TGT to cross the trust.
    let spn = lab("LAB_MARIADB_SPN");
    let kvno = ok(&run("kvno", &[&spn], &cc, None));
    assert_eq!(kvno.trim(), format!("{spn}: kvno = 1"));
    // And our kvno walks referrals for a host-based name.
    let host = lab("LAB_SERVICE_HOST");
    let ours = ok(&run(KERB, &["kvno", "-S", "host", &host], &cc, None));
    assert_eq!(ours.trim(), format!("host/{host}@: kvno = 1"));
    let listing = ok(&run("klist", &[], &cc, None));
    assert!(
        listing.contains(&format!("host/{host}@AD.MYAWS.COM")),
        "{listing}"
    );
}

#[test]
#[ignore = "needs the lab"]
fn mit_kinit_feeds_our_klist_and_kvno() {
    let cc = cache("mit");
    let user = lab("LAB_USER_PRINCIPAL");
    ok(&run(
        "kinit",
        &[&user],
        &cc,
        Some(&lab("LAB_USER_PASSWORD")),
    ));
    let listing = ok(&run(KERB, &["klist"], &cc, None));
    assert!(
        listing.contains(&format!("Default principal: {user}")),
        "{listing}"
    );
    let spn = lab("LAB_MARIADB_SPN");
    let kvno = ok(&run(KERB, &["kvno", &spn], &cc, None));
    assert_eq!(kvno.trim(), format!("{spn}: kvno = 1"));
    // The service ticket we stored is one MIT's klist lists.
    let listing = ok(&run("klist", &[], &cc, None));
    assert!(listing.contains(&spn), "{listing}");
    // -k: the ticket decrypts with the service's keytab.
    let keytab = format!("FILE:{}", lab("LAB_MARIADB_KEYTAB"));
    ok(&run(KERB, &["kvno", "-k", &keytab, &spn], &cc, None));
}

#[test]
#[ignore = "needs the lab"]
fn keytab_kinit_renewal_and_errors() {
    let cc = cache("kt");
    let principal = lab("LAB_KT_USER_PRINCIPAL");
    let keytab = lab("LAB_KT_USER_KEYTAB");
    ok(&run(
        KERB,
        &["kinit", "-r", "2d", "-k", "-t", &keytab, &principal],
        &cc,
        None,
    ));
    let before = ok(&run("klist", &[], &cc, None));
    assert!(before.contains("renew until"), "{before}");
    ok(&run(KERB, &["kinit", "-R"], &cc, None));
    let after = ok(&run("klist", &[], &cc, None));
    assert!(
        after.contains(&format!("Default principal: {principal}")),
        "{after}"
    );

    let o = run(
        KERB,
        &["kinit", &lab("LAB_USER_PRINCIPAL")],
        &cc,
        Some("wrong password"),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("KDC_ERR_PREAUTH_FAILED"), "{err}");
    // As MIT's kinit, the password is asked for only when the KDC's reply needs it: a
    // principal the KDC does not know fails without a prompt (stdout stays empty).
    let nobody = &["kinit", "nobody-at-all@ONPREM.LOCAL"];
    let o = run(KERB, nobody, &cc, Some("x"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("KDC_ERR_C_PRINCIPAL_UNKNOWN"), "{err}");
    let mit = run("kinit", &nobody[1..], &cc, Some("x"));
    assert_eq!(mit.status.code(), Some(1));
    assert_eq!(o.stdout, mit.stdout);
    assert_eq!(o.stdout, b"");
    // And when it does, both prompt the same way.
    let user = lab("LAB_USER_PRINCIPAL");
    let password = lab("LAB_USER_PASSWORD");
    let ours = ok(&run(KERB, &["kinit", &user], &cc, Some(&password)));
    let mit = ok(&run("kinit", &[&user], &cc, Some(&password)));
    assert_eq!(ours, mit);
    assert_eq!(ours, format!("Password for {user}: \n"));
}

/// A lifetime beyond the KDC's maximum: like MIT's kinit (RENEWABLE-OK, MIT's default KDC
/// options) the ticket comes back renewable up to the requested time; same flags as MIT's.
#[test]
#[ignore = "needs the lab"]
fn long_lifetime_gives_a_renewable_ticket_like_mit() {
    let user = lab("LAB_USER_PRINCIPAL");
    let pw = lab("LAB_USER_PASSWORD");
    let flags = |program: &str, name: &str| -> String {
        let cc = cache(name);
        let args: Vec<&str> = if program == KERB {
            vec!["kinit", "-l", "2d", &user]
        } else {
            vec!["-l", "2d", &user]
        };
        ok(&run(program, &args, &cc, Some(&pw)));
        let listing = ok(&run("klist", &["-f"], &cc, None));
        assert!(listing.contains("renew until"), "{listing}");
        // The flags only: the times differ by the seconds between the two runs.
        let flags = listing.split("Flags: ").nth(1).unwrap_or_default();
        flags.lines().next().unwrap_or_default().to_owned()
    };
    let ours = flags(KERB, "long-ours");
    assert_eq!(ours, flags("kinit", "long-mit"));
    assert!(ours.contains('R'), "{ours}");
}
