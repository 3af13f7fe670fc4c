//! KEYRING credential caches shared with MIT's kinit, klist, kvno and kdestroy, with tickets
//! from the lab's real MIT KDCs: both directions, collections (new caches, the primary
//! switch, `-p`, `-A`) and the persistent keyring. Each test uses collections of its own.
//! `#[ignore]`d: `scripts/test.sh` runs them with the lab up and `lab/state/env.sh` sourced.

#[allow(dead_code)] // each test crate uses a part of the shared helpers
mod common;

use std::process::Output;

use common::{KERB, lab, ok};

/// A KEYRING collection under the session anchor, unique to this test process.
fn collection(tag: &str) -> String {
    format!("KEYRING:session:kerbtest_lab_{}_{tag}", std::process::id())
}

fn run(program: &str, args: &[&str], ccache: &str, stdin: Option<&str>) -> Output {
    let line = stdin.map(|s| format!("{s}\n"));
    common::run(program, args, ccache, line.as_deref())
}

fn password(user: &str) -> String {
    if user == lab("LAB_USER_PRINCIPAL") {
        lab("LAB_USER_PASSWORD")
    } else {
        lab("LAB_USER2_PASSWORD")
    }
}

/// `kinit -V user` by `program` into `cc`; the "Using ... cache" lines it printed.
fn kinit(program: &str, user: &str, cc: &str) -> Vec<String> {
    let args: Vec<&str> = if program == KERB {
        vec!["kinit", "-V", user]
    } else {
        vec!["-V", user]
    };
    let o = run(program, &args, cc, Some(&password(user)));
    ok(&o);
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("Using ") && l.contains(" cache: "))
        .map(str::to_owned)
        .collect()
}

/// The same listing from MIT's klist and ours.
fn same_listing(args: &[&str], cc: &str) -> String {
    let mit = ok(&run("klist", args, cc, None));
    let mut kargs = vec!["klist"];
    kargs.extend_from_slice(args);
    let ours = ok(&run(KERB, &kargs, cc, None));
    assert_eq!(ours, mit, "klist {args:?} of {cc}");
    ours
}

/// `kvno -k KEYTAB spn`: MIT decrypts the cached service ticket with the service's key.
fn mit_verifies_service_ticket(cc: &str) {
    let spn = lab("LAB_MARIADB_SPN");
    let keytab = lab("LAB_MARIADB_KEYTAB");
    let out = ok(&run("kvno", &["-k", &keytab, &spn], cc, None));
    assert!(out.contains("keytab entry valid"), "{out}");
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

/// The same kinit/kdestroy sequence run by MIT's tools in one collection and by ours in
/// another picks the same caches and leaves the same collections (random names aside).
#[test]
#[ignore = "needs the lab"]
fn collections_evolve_like_mit() {
    let joe = lab("LAB_USER_PRINCIPAL");
    let alice = lab("LAB_USER2_PRINCIPAL");
    let mit = collection("col_mit");
    let ours = collection("col_ours");
    let normalise = |text: &str, cc: &str| -> String {
        // "KEYRING:session:NAME": NAME is the collection and its first cache's name.
        let name = cc.rsplit(':').next().unwrap_or_default();
        let mut out = text.replace(name, "NAME");
        while let Some(i) = out.find("krb_ccache_") {
            out.replace_range(i..(i + 18).min(out.len()), "UNIQUE");
        }
        out
    };
    let step = |mit_lines: Vec<String>, our_lines: Vec<String>| {
        let m: Vec<String> = mit_lines.iter().map(|l| normalise(l, &mit)).collect();
        let o: Vec<String> = our_lines.iter().map(|l| normalise(l, &ours)).collect();
        assert_eq!(o, m, "cache chosen by kinit -V");
        let ml = ok(&run("klist", &["-l"], &mit, None));
        let ol = ok(&run(KERB, &["klist", "-l"], &ours, None));
        assert_eq!(normalise(&ol, &ours), normalise(&ml, &mit));
        // Each tool lists the other's collection as the other does.
        same_listing(&["-l"], &mit);
        same_listing(&["-l"], &ours);
    };
    // First principal: the collection's own primary cache.
    step(kinit("kinit", &joe, &mit), kinit(KERB, &joe, &ours));
    // Another principal: a new unique cache, which becomes the primary.
    step(kinit("kinit", &alice, &mit), kinit(KERB, &alice, &ours));
    // The first again: its existing cache, switched back to primary.
    step(kinit("kinit", &joe, &mit), kinit(KERB, &joe, &ours));
    let listing = same_listing(&[], &ours);
    assert!(
        listing.contains(&format!("Default principal: {joe}")),
        "{listing}"
    );
    // kdestroy -p: the named principal's cache only.
    ok(&run("kdestroy", &["-p", &alice], &mit, None));
    ok(&run(KERB, &["kdestroy", "-p", &alice], &ours, None));
    step(Vec::new(), Vec::new());
    // Each tool's kdestroy -A empties the other's collection.
    ok(&run(KERB, &["kdestroy", "-A"], &mit, None));
    ok(&run("kdestroy", &["-A"], &ours, None));
    for cc in [&mit, &ours] {
        let o = run(KERB, &["klist", "-l"], cc, None);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            2,
            "only the header is left"
        );
    }
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
