//! KEYRING credential caches shared with MIT's kinit, klist, kvno and kdestroy, with tickets
//! from the lab's real MIT KDCs: both directions, the persistent keyring, and a MySQL login
//! from a cache MIT's kinit filled (collections step by step: lab_collections.rs). Each test
//! uses collections of its own.
//! `#[ignore]`d: `scripts/test.sh` runs them with the lab up and `lab/state/env.sh` sourced.

mod common;

use common::{
    KERB, kinit_verbose as kinit, lab, mit_verifies_service_ticket, ok, run, same_listing,
};

/// A KEYRING collection under the session anchor, unique to this test process.
fn collection(tag: &str) -> String {
    format!("KEYRING:session:kerbtest_lab_{}_{tag}", std::process::id())
}

#[test]
#[ignore = "needs the lab"]
fn keyring_caches_are_shared_with_mit_both_ways() {
    let user = lab("LAB_USER_PRINCIPAL");
    let spn = lab("LAB_MARIADB_SPN");

    // Ours -> MIT: our kinit and kvno, MIT's klist and kvno.
    let cc = collection("ours");
    kinit(KERB, &user, &cc);
    let listing = same_listing(&["-e", "-f"], &cc);
    assert!(
        listing.contains(&format!("Default principal: {user}")),
        "{listing}"
    );
    ok(&run(KERB, &["kvno", &spn], &cc, None));
    mit_verifies_service_ticket(&cc);
    let host = lab("LAB_SERVICE_HOST");
    ok(&run("kvno", &["-S", "host", &host], &cc, None));
    let listing = same_listing(&[], &cc);
    assert!(listing.contains(&format!("host/{host}@")), "{listing}");
    ok(&run("kdestroy", &[], &cc, None));
    let o = run(KERB, &["klist", "-s"], &cc, None);
    assert_eq!(o.status.code(), Some(1));

    // MIT -> ours: MIT's kinit, our klist and kvno, MIT's check of the ticket we cached.
    let cc = collection("mit");
    kinit("kinit", &user, &cc);
    same_listing(&[], &cc);
    let out = ok(&run(KERB, &["kvno", &spn], &cc, None));
    assert_eq!(out.trim(), format!("{spn}: kvno = 1"));
    // The cached ticket is used again: no new exchange, same listing from both tools.
    same_listing(&["-e"], &cc);
    mit_verifies_service_ticket(&cc);
    ok(&run(KERB, &["kinit", "-R"], &cc, None));
    same_listing(&["-f"], &cc);
    ok(&run(KERB, &["kdestroy"], &cc, None));
    let o = run("klist", &["-s"], &cc, None);
    assert_eq!(o.status.code(), Some(1));
}

/// `KEYRING:persistent:<uid>`, the RHEL / Amazon Linux default, in MIT's `_krb` collection.
#[test]
#[ignore = "needs the lab"]
fn persistent_keyring_is_shared_with_mit() {
    let uid = kdc_client::config::current_uid().unwrap();
    let user = lab("LAB_USER_PRINCIPAL");
    // The whole collection lists the same from both tools (read only: other caches of this
    // user may be there).
    let col = format!("KEYRING:persistent:{uid}");
    let mit = run("klist", &["-l"], &col, None);
    let ours = run(KERB, &["klist", "-l"], &col, None);
    assert_eq!(ours.stdout, mit.stdout);
    assert_eq!(ours.status.code(), mit.status.code());
    // Caches of our own in it, by either tool.
    for (i, (writer, reader, args)) in [(KERB, "klist", &[][..]), ("kinit", KERB, &["klist"])]
        .into_iter()
        .enumerate()
    {
        let cc = format!("{col}:kerbtest_{}_{i}", std::process::id());
        kinit(writer, &user, &cc);
        let listing = ok(&run(reader, args, &cc, None));
        assert!(
            listing.contains(&format!("Ticket cache: {cc}")),
            "{listing}"
        );
        assert!(
            listing.contains(&format!("Default principal: {user}")),
            "{listing}"
        );
        same_listing(&[], &cc);
        ok(&run("kdestroy", &[], &cc, None));
    }
}

/// The RHEL flow: the system's MIT kinit fills a KEYRING cache, `kerb mysql` logs in to the
/// lab's real MariaDB with it (walking the trust) and stores the service ticket there, where
/// MIT's klist sees it and MIT's kvno verifies it with the service key.
#[test]
#[ignore = "needs the lab"]
fn kerb_mysql_logs_in_from_an_mit_keyring_cache() {
    let cc = collection("mysql");
    kinit("kinit", &lab("LAB_USER_PRINCIPAL"), &cc);
    let port = lab("LAB_MARIADB_PORT");
    let args = [
        "mysql",
        "-h",
        "127.0.0.1",
        "-P",
        &port,
        "--mutual",
        "-e",
        "SELECT CURRENT_USER()",
    ];
    for _ in 0..2 {
        let out = ok(&run(KERB, &args, &cc, None));
        assert_eq!(out, "CURRENT_USER()\njoedoe@%\n");
    }
    let listing = same_listing(&[], &cc);
    assert!(listing.contains(&lab("LAB_MARIADB_SPN")), "{listing}");
    mit_verifies_service_ticket(&cc);
    ok(&run("kdestroy", &[], &cc, None));
}
