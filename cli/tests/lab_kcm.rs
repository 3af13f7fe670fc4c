//! KCM credential caches shared with MIT's kinit, klist, kvno, kswitch and kdestroy through
//! the lab's Heimdal `kcm` daemon (`kcm_socket` in the lab's krb5.conf), with tickets from the
//! lab's real MIT KDCs: both directions, and collections (new caches, the default switch,
//! `-p`, `-A`). The daemon keeps one collection per uid, so the tests take turns on a lock.
//! `#[ignore]`d: `scripts/test.sh` runs them with the lab up and `lab/state/env.sh` sourced.

mod common;

use std::process::Output;
use std::sync::Mutex;

use common::{KERB, lab, mit_verifies_service_ticket, ok, password};
use kdc_client::Principal;
use kdc_client::ccache::{Ccache, CcacheName, KdcOffset};

/// The daemon's collection for our uid.
const KCM: &str = "KCM:";
static DAEMON: Mutex<()> = Mutex::new(());

fn run(program: &str, args: &[&str], ccache: &str, stdin: Option<&str>) -> Output {
    let line = stdin.map(|s| format!("{s}\n"));
    common::run(program, args, ccache, line.as_deref())
}

/// Run an MIT tool (`kinit`) or ours (`KERB kinit`) with the same arguments.
fn tool(ours: bool, name: &str, args: &[&str], stdin: Option<&str>) -> Output {
    if ours {
        let mut a = vec![name];
        a.extend_from_slice(args);
        run(KERB, &a, KCM, stdin)
    } else {
        run(name, args, KCM, stdin)
    }
}

fn kinit(ours: bool, user: &str) {
    ok(&tool(ours, "kinit", &[user], Some(&password(user))));
}

/// The same listing (stdout, stderr and exit status) from MIT's klist and ours: its stdout.
fn same_listing(args: &[&str], cc: &str) -> String {
    common::same_klist(args, cc).0
}

fn destroy_all() {
    ok(&run("kdestroy", &["-A"], KCM, None));
    assert_eq!(same_listing(&["-l"], KCM).lines().count(), 2);
}

#[test]
#[ignore = "needs the lab"]
fn kcm_caches_are_shared_with_mit_both_ways() {
    let _turn = DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let user = lab("LAB_USER_PRINCIPAL");
    let spn = lab("LAB_MARIADB_SPN");
    destroy_all();

    // MIT -> ours: MIT's kinit, our klist and kvno, MIT's check of the ticket we cached.
    kinit(false, &user);
    let listing = same_listing(&["-e", "-f"], KCM);
    assert!(listing.starts_with("Ticket cache: KCM:"), "{listing}");
    assert!(
        listing.contains(&format!("Default principal: {user}")),
        "{listing}"
    );
    let out = ok(&run(KERB, &["kvno", &spn], KCM, None));
    assert_eq!(out.trim(), format!("{spn}: kvno = 1"));
    same_listing(&["-e"], KCM);
    mit_verifies_service_ticket(KCM);
    let host = lab("LAB_SERVICE_HOST");
    ok(&run("kvno", &["-S", "host", &host], KCM, None));
    let listing = same_listing(&["-f"], KCM);
    assert!(listing.contains(&format!("host/{host}@")), "{listing}");
    // Renewal replaces the cache's contents (REPLACE, or Heimdal's fallback).
    ok(&run(KERB, &["kinit", "-R"], KCM, None));
    let listing = same_listing(&["-f"], KCM);
    assert!(
        !listing.contains("host/") && !listing.contains(&spn),
        "{listing}"
    );
    ok(&run(KERB, &["kdestroy"], KCM, None));
    same_listing(&[], KCM);
    let o = run("klist", &["-s"], KCM, None);
    assert_eq!(o.status.code(), Some(1));
    // Destroying again: MIT's message, exit 0, from both.
    let mit = run("kdestroy", &[], KCM, None);
    let ours = run(KERB, &["kdestroy"], KCM, None);
    assert_eq!(ours.stderr, mit.stderr);
    assert_eq!(ours.status.code(), mit.status.code());

    // Ours -> MIT: our kinit and kvno, MIT's klist and kvno.
    kinit(true, &user);
    same_listing(&["-f", "-e"], KCM);
    ok(&run(KERB, &["kvno", &spn], KCM, None));
    mit_verifies_service_ticket(KCM);
    let apps = lab("LAB_APPS_SPN");
    let out = ok(&run("kvno", &[&apps], KCM, None));
    assert_eq!(out.trim(), format!("{apps}: kvno = 1"));
    let listing = same_listing(&[], KCM);
    assert!(listing.contains(&apps), "{listing}");
    // The service ticket MIT stored is used by ours without asking a KDC.
    ok(&run(KERB, &["kvno", "--cached-only", &apps], KCM, None));
    destroy_all();
}

/// The same kinit/kswitch/kdestroy sequence run by MIT's tools and then by ours leaves the
/// same collections at every step (the daemon's cache numbers aside), and at every step MIT's
/// `klist -l`/`-A` and ours agree.
#[test]
#[ignore = "needs the lab"]
fn kcm_collections_evolve_like_mit() {
    let _turn = DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let joe = lab("LAB_USER_PRINCIPAL");
    let alice = lab("LAB_USER2_PRINCIPAL");
    // Heimdal numbers new caches "<uid>:<n>" from a counter that keeps going; the ticket
    // lines (times, and MIT's kinit asking for renewable tickets) are compared per step by
    // `same_listing` and left out here.
    let normalise = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with(|c: char| c.is_ascii_digit() || c == '\t'))
            .map(|l| match l.find("KCM:") {
                Some(i) => {
                    let name = &l[i..];
                    let kind = if name.matches(':').count() > 1 {
                        "KCM:NEW"
                    } else {
                        "KCM:DEFAULT"
                    };
                    format!("{}{kind}", &l[..i])
                }
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let sequence = |ours: bool| -> Vec<String> {
        destroy_all();
        let mut states = Vec::new();
        let mut snapshot = || {
            let l = same_listing(&["-l"], KCM);
            let a = same_listing(&["-A"], KCM);
            let d = same_listing(&[], KCM);
            states.push(normalise(&format!("{l}{a}{d}")));
        };
        kinit(ours, &joe);
        snapshot();
        // Another principal: a new cache, made the default.
        kinit(ours, &alice);
        snapshot();
        // Again: the existing cache of that principal is reused.
        kinit(ours, &joe);
        snapshot();
        ok(&tool(ours, "kswitch", &["-p", &alice], None));
        snapshot();
        ok(&tool(ours, "kdestroy", &["-p", &joe], None));
        snapshot();
        kinit(ours, &joe);
        snapshot();
        ok(&tool(ours, "kdestroy", &["-A"], None));
        snapshot();
        states
    };
    let mit = sequence(false);
    let ours = sequence(true);
    for (i, (o, m)) in ours.iter().zip(&mit).enumerate() {
        assert_eq!(o, m, "step {i}");
    }
    assert_eq!(ours.len(), mit.len());
    destroy_all();
}

/// A cache initialised again keeps nothing of what it held, the daemon's KDC clock offset
/// included. Heimdal's kcm 7.8 keeps a cache's offset across INITIALIZE and leaves it
/// uninitialised in new caches (MIT's kinit always sets it, so MIT's tools never see that):
/// a cache we fill must state its offset, or a stale one makes its tickets look expired to
/// our kvno and sends MIT's kvno to the KDC with a clock 10 hours off.
#[test]
#[ignore = "needs the lab"]
fn a_cache_filled_again_loses_its_old_kdc_offset() {
    let _turn = DAEMON.lock().unwrap_or_else(|e| e.into_inner());
    let user = lab("LAB_USER_PRINCIPAL");
    let spn = lab("LAB_MARIADB_SPN");
    let socket = lab("LAB_KCM_SOCKET");
    let open = |name: &str| {
        CcacheName::parse(name)
            .and_then(|n| n.open_with_kcm_socket(0, Some(&socket)))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // A cache of the daemon's own naming, as `kinit` makes one in a collection.
    let cache = open(KCM)
        .new_unique()
        .unwrap()
        .expect("KCM makes new caches");
    let name = cache.name().to_string();
    let principal = Principal::parse(&user, None).unwrap();
    let mut skewed = Ccache::new(principal.clone());
    skewed.kdc_offset = Some(KdcOffset {
        seconds: -36_000,
        microseconds: 0,
    });
    cache.save(&skewed).unwrap();
    assert_eq!(
        cache.load().unwrap().kdc_offset.map(|o| o.seconds),
        Some(-36_000)
    );
    cache.save(&Ccache::new(principal)).unwrap();
    let offset = cache.load().unwrap().kdc_offset.map_or(0, |o| o.seconds);
    assert_eq!(offset, 0, "{name} kept the offset of its previous contents");

    // The same through the tools: our kinit fills the skewed cache again, and then our kvno
    // and MIT's both get service tickets with it.
    cache.save(&skewed).unwrap();
    ok(&run(
        KERB,
        &["kinit", &user],
        &name,
        Some(password(&user).as_str()),
    ));
    let out = ok(&run(KERB, &["kvno", &spn], &name, None));
    assert_eq!(out.trim(), format!("{spn}: kvno = 1"));
    let apps = lab("LAB_APPS_SPN");
    ok(&run("kvno", &[&apps], &name, None));
    cache.destroy().unwrap();
}
