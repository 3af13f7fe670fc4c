//! The walker driven by scripted KDC answers: validated credentials or errors, no network.

use super::*;
use crate::config::profile::{MemSource, Profile};
use crate::crypto::{EncryptionKey, Enctype};
use crate::error_code as ec;
use crate::exchange::KdcError;

/// KDC_ERR_POLICY (RFC 4120 §7.5.9).
const KDC_ERR_POLICY: i32 = 12;

const LAB: &str = "
[libdefaults]
    default_realm = ONPREM.LOCAL
[realms]
    ONPREM.LOCAL = {
        kdc = 127.0.0.1:88
    }
    AD.MYAWS.COM = {
        kdc = 127.0.0.1:89
    }
    HUB.LOCAL = {
        kdc = 127.0.0.1:90
    }
    APPS.LOCAL = {
        kdc = 127.0.0.1:91
    }
[capaths]
    ONPREM.LOCAL = {
        AD.MYAWS.COM = .
        HUB.LOCAL = .
        APPS.LOCAL = HUB.LOCAL
    }
";

fn conf(text: &str) -> Krb5Conf {
    Krb5Conf::from_profile(&Profile::parse(text, "krb5.conf", &MemSource::default()).unwrap())
        .unwrap()
}

fn realm(r: &str) -> Realm {
    Realm::new(r).unwrap()
}

fn princ(s: &str) -> Principal {
    Principal::parse(s, None).unwrap()
}

/// Credentials as a validated TGS-REP would give them (the walker never looks inside).
fn creds(server: &str) -> Credentials {
    Credentials {
        client: princ("joedoe@ONPREM.LOCAL"),
        server: princ(server),
        session_key: EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[7; 32]).unwrap(),
        flags: crate::exchange::TicketFlags::default(),
        authtime: 1_000,
        starttime: None,
        endtime: 100_000,
        renew_till: None,
        addresses: Vec::new(),
        ticket: crate::exchange::EncodedTicket::from_der(vec![0x61, 0x00]),
    }
}

fn kdc_err(code: i32, r: &str) -> ExchangeError {
    KdcError {
        code,
        realm: realm(r),
        kdc: None,
        e_text: None,
        offered: Vec::new(),
    }
    .into()
}

fn home_tgt() -> Credentials {
    creds("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL")
}

fn spn(s: &str) -> ServiceName {
    ServiceName::Principal(Principal::parse_as(s, NameType::SrvHst, None).unwrap())
}

/// The next hop: (realm of the KDC asked, server asked, canonicalize).
fn hop(step: Result<WalkStep, WalkError>) -> (String, String, bool) {
    match step.expect("a step") {
        WalkStep::Tgs(h) => (
            h.realm().unwrap().to_string(),
            h.server.to_string(),
            h.canonicalize,
        ),
        WalkStep::Done(r) => panic!("done early with {}", r.creds.server),
    }
}

fn done(step: Result<WalkStep, WalkError>) -> WalkResult {
    match step.expect("a step") {
        WalkStep::Done(r) => *r,
        WalkStep::Tgs(h) => panic!("another hop: {}", h.server),
    }
}

fn h(realm: &str, server: &str, canon: bool) -> (String, String, bool) {
    (realm.into(), server.into(), canon)
}

#[test]
fn explicit_realm_over_a_direct_trust() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("mariadb/db.ad.myaws.com@AD.MYAWS.COM"), &c).unwrap();
    assert_eq!(
        hop(w.start()),
        h("ONPREM.LOCAL", "krbtgt/AD.MYAWS.COM@ONPREM.LOCAL", false)
    );
    assert_eq!(
        hop(w.step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL")))),
        h(
            "AD.MYAWS.COM",
            "mariadb/db.ad.myaws.com@AD.MYAWS.COM",
            false
        )
    );
    let r = done(w.step(Ok(creds("mariadb/db.ad.myaws.com@AD.MYAWS.COM"))));
    assert_eq!(
        r.creds.server.to_string(),
        "mariadb/db.ad.myaws.com@AD.MYAWS.COM"
    );
    assert_eq!(r.path.to_string(), "ONPREM.LOCAL -> AD.MYAWS.COM");
    assert_eq!(r.exchanges, 2);
    assert_eq!(r.tgts.len(), 1);
    // Finished: further input is refused, not a panic.
    assert!(matches!(
        w.step(Ok(home_tgt()))
            .map_err(|e| matches!(e.kind(), WalkErrorKind::Finished)),
        Err(true)
    ));
}

#[test]
fn service_in_the_home_realm_is_one_exchange() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/h.onprem.local@ONPREM.LOCAL"), &c).unwrap();
    assert_eq!(
        hop(w.start()),
        h("ONPREM.LOCAL", "host/h.onprem.local@ONPREM.LOCAL", false)
    );
    let r = done(w.step(Ok(creds("host/h.onprem.local@ONPREM.LOCAL"))));
    assert_eq!(r.exchanges, 1);
    assert!(r.tgts.is_empty());
}

#[test]
fn capaths_route_accepts_the_kdc_choice_of_the_next_hop() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    assert_eq!(
        w.route().unwrap(),
        &[
            realm("ONPREM.LOCAL"),
            realm("HUB.LOCAL"),
            realm("APPS.LOCAL")
        ]
    );
    // Like MIT: ask for the farthest realm first; the KDC answers with the next hop.
    assert_eq!(
        hop(w.start()),
        h("ONPREM.LOCAL", "krbtgt/APPS.LOCAL@ONPREM.LOCAL", false)
    );
    assert_eq!(
        hop(w.step(Ok(creds("krbtgt/HUB.LOCAL@ONPREM.LOCAL")))),
        h("HUB.LOCAL", "krbtgt/APPS.LOCAL@HUB.LOCAL", false)
    );
    assert_eq!(
        hop(w.step(Ok(creds("krbtgt/APPS.LOCAL@HUB.LOCAL")))),
        h("APPS.LOCAL", "host/app.apps.local@APPS.LOCAL", false)
    );
    let r = done(w.step(Ok(creds("host/app.apps.local@APPS.LOCAL"))));
    assert_eq!(
        r.path.to_string(),
        "ONPREM.LOCAL -> HUB.LOCAL -> APPS.LOCAL"
    );
    let tgts: Vec<String> = r.tgts.iter().map(|t| t.server.to_string()).collect();
    assert_eq!(
        tgts,
        [
            "krbtgt/HUB.LOCAL@ONPREM.LOCAL",
            "krbtgt/APPS.LOCAL@HUB.LOCAL"
        ]
    );
}

#[test]
fn refused_farthest_realm_backs_off_to_the_next_hop() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    hop(w.start());
    assert_eq!(
        hop(w.step(Err(kdc_err(
            ec::KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "ONPREM.LOCAL"
        )))),
        h("ONPREM.LOCAL", "krbtgt/HUB.LOCAL@ONPREM.LOCAL", false)
    );
    // The next hop itself refused: the walk ends with the error, the request and the route.
    let err = w
        .step(Err(kdc_err(
            ec::KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "ONPREM.LOCAL",
        )))
        .unwrap_err();
    assert_eq!(
        err.kdc_error().map(|k| k.code),
        Some(ec::KDC_ERR_S_PRINCIPAL_UNKNOWN)
    );
    let msg = err.to_string();
    assert!(msg.contains("krbtgt/HUB.LOCAL@ONPREM.LOCAL"), "{msg}");
    assert!(
        msg.contains("route: ONPREM.LOCAL -> HUB.LOCAL -> APPS.LOCAL"),
        "{msg}"
    );
}

#[test]
fn tgt_for_a_realm_off_the_route_is_refused() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL")))
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::OffPath { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("AD.MYAWS.COM")
            && msg.contains("ONPREM.LOCAL -> HUB.LOCAL -> APPS.LOCAL")
            && msg.contains("path walked: ONPREM.LOCAL"),
        "{msg}"
    );
    // A TGT issued by another realm than the one asked is refused too.
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/APPS.LOCAL@HUB.LOCAL")))
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::OffPath { .. }), "{err}");
    // And a TGT back towards the home realm.
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    hop(w.start());
    hop(w.step(Ok(creds("krbtgt/HUB.LOCAL@ONPREM.LOCAL"))));
    let err = w
        .step(Ok(creds("krbtgt/ONPREM.LOCAL@HUB.LOCAL")))
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::OffPath { .. }), "{err}");
}

#[test]
fn referral_chasing_from_a_host_based_name() {
    let c = conf(LAB);
    let svc = ServiceName::host_based("mariadb", "DB.ad.myaws.com.");
    assert_eq!(svc.resolve(&c), None, "no [domain_realm]: referrals decide");
    let mut w = ReferralWalker::new(home_tgt(), &svc, &c).unwrap();
    assert!(w.route().is_none());
    assert_eq!(
        hop(w.start()),
        h("ONPREM.LOCAL", "mariadb/db.ad.myaws.com@ONPREM.LOCAL", true)
    );
    assert_eq!(
        hop(w.step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL")))),
        h("AD.MYAWS.COM", "mariadb/db.ad.myaws.com@AD.MYAWS.COM", true)
    );
    let r = done(w.step(Ok(creds("mariadb/db.ad.myaws.com@AD.MYAWS.COM"))));
    assert_eq!(r.path.to_string(), "ONPREM.LOCAL -> AD.MYAWS.COM");
    assert_eq!(r.tgts.len(), 1);
}

#[test]
fn referral_loop_prints_the_path() {
    let c = conf(LAB);
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    hop(w.step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL"))));
    let err = w
        .step(Ok(creds("krbtgt/ONPREM.LOCAL@AD.MYAWS.COM")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "referral loop: ONPREM.LOCAL -> AD.MYAWS.COM -> ONPREM.LOCAL"
    );
    // A referral to the realm itself is a loop as well.
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "referral loop: ONPREM.LOCAL -> ONPREM.LOCAL"
    );
}

#[test]
fn referral_to_a_realm_without_a_known_kdc() {
    let c = conf(LAB);
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/NOWHERE.TEST@ONPREM.LOCAL")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "referral to realm NOWHERE.TEST, which has no known KDC \
         (path walked: ONPREM.LOCAL -> NOWHERE.TEST)"
    );
}

#[test]
fn referral_ticket_from_another_realm_than_asked_is_refused() {
    let c = conf(LAB);
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/APPS.LOCAL@HUB.LOCAL")))
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::OffPath { .. }), "{err}");
}

#[test]
fn hop_limit() {
    // A chain of realms R0 -> R1 -> ... each referring to the next.
    let c = conf("[libdefaults]\n");
    let start = Credentials {
        client: princ("u@R0"),
        ..creds("krbtgt/R0@R0")
    };
    let mut w = ReferralWalker::new(start, &ServiceName::host_based("svc", "h.example"), &c)
        .unwrap()
        .with_kdc_realms(None);
    hop(w.start());
    let mut last = Ok(());
    for i in 0..20 {
        match w.step(Ok(creds(&format!("krbtgt/R{}@R{i}", i + 1)))) {
            Ok(WalkStep::Tgs(_)) => {}
            Ok(WalkStep::Done(_)) => panic!("done"),
            Err(e) => {
                last = Err((i, e));
                break;
            }
        }
    }
    let (i, err) = last.unwrap_err();
    assert_eq!(i, MAX_HOPS, "the 11th referral is refused");
    let msg = err.to_string();
    assert!(
        msg.starts_with("more than 10 cross-realm hops (path walked: R0 -> R1 -> "),
        "{msg}"
    );
    assert!(msg.ends_with("R10 -> R11)"), "{msg}");
}

#[test]
fn no_referral_falls_back_to_the_host_domain_realm() {
    let c = conf(LAB);
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    assert_eq!(
        hop(w.step(Err(kdc_err(
            ec::KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "ONPREM.LOCAL"
        )))),
        h("ONPREM.LOCAL", "krbtgt/AD.MYAWS.COM@ONPREM.LOCAL", false)
    );
    assert_eq!(
        hop(w.step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL")))),
        h(
            "AD.MYAWS.COM",
            "mariadb/db.ad.myaws.com@AD.MYAWS.COM",
            false
        )
    );
    done(w.step(Ok(creds("mariadb/db.ad.myaws.com@AD.MYAWS.COM"))));

    // Another error is not a reason to fall back.
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("mariadb", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    let err = w
        .step(Err(kdc_err(KDC_ERR_POLICY, "ONPREM.LOCAL")))
        .unwrap_err();
    assert_eq!(err.kdc_error().map(|k| k.code), Some(KDC_ERR_POLICY));
}

#[test]
fn failure_after_a_referral_names_the_path() {
    let c = conf(LAB);
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("nosuch", "db.ad.myaws.com"),
        &c,
    )
    .unwrap();
    hop(w.start());
    hop(w.step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL"))));
    let err = w
        .step(Err(kdc_err(
            ec::KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "AD.MYAWS.COM",
        )))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("KDC_ERR_S_PRINCIPAL_UNKNOWN")
            && msg.contains("asking for nosuch/db.ad.myaws.com@AD.MYAWS.COM")
            && msg.contains("path walked: ONPREM.LOCAL -> AD.MYAWS.COM"),
        "{msg}"
    );
}

#[test]
fn wrong_service_ticket_is_refused() {
    let c = conf(LAB);
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/h.onprem.local@ONPREM.LOCAL"), &c).unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("host/other.onprem.local@ONPREM.LOCAL")))
        .unwrap_err();
    assert!(
        matches!(err.kind(), WalkErrorKind::Unexpected { .. }),
        "{err}"
    );
    // A referral TGT when the realm was explicit is off the route.
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/h.onprem.local@ONPREM.LOCAL"), &c).unwrap();
    hop(w.start());
    let err = w
        .step(Ok(creds("krbtgt/AD.MYAWS.COM@ONPREM.LOCAL")))
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::OffPath { .. }), "{err}");
}

#[test]
fn domain_realm_makes_a_host_based_name_explicit() {
    let c = conf(&format!(
        "{LAB}\n[domain_realm]\n    .apps.local = APPS.LOCAL\n"
    ));
    let svc = ServiceName::host_based("host", "app.apps.local");
    assert_eq!(
        svc.resolve(&c).unwrap().to_string(),
        "host/app.apps.local@APPS.LOCAL"
    );
    let mut w = ReferralWalker::new(home_tgt(), &svc, &c).unwrap();
    assert_eq!(
        hop(w.start()),
        h("ONPREM.LOCAL", "krbtgt/APPS.LOCAL@ONPREM.LOCAL", false)
    );
}

#[test]
fn cached_cross_realm_tgt_shortens_the_walk() {
    let c = conf(LAB);
    let mut cache = Ccache::new(princ("joedoe@ONPREM.LOCAL"));
    cache.store(home_tgt().to_ccache());
    let mut expired = creds("krbtgt/HUB.LOCAL@ONPREM.LOCAL");
    expired.endtime = 10;
    cache.store(expired.to_ccache());
    cache.store(creds("krbtgt/APPS.LOCAL@HUB.LOCAL").to_ccache());
    let client = princ("joedoe@ONPREM.LOCAL");
    let route = [
        realm("ONPREM.LOCAL"),
        realm("HUB.LOCAL"),
        realm("APPS.LOCAL"),
    ];
    let tgt = find_cached_tgt(&cache, &client, &route, 50).unwrap();
    assert_eq!(tgt.server.to_string(), "krbtgt/APPS.LOCAL@HUB.LOCAL");
    // Expired entries are skipped.
    assert!(find_cached_tgt(&cache, &client, &route[..2], 50).is_none());
    // Another client's tickets are not used.
    assert!(find_cached_tgt(&cache, &princ("alice@ONPREM.LOCAL"), &route, 50).is_none());

    let mut w =
        ReferralWalker::new(home_tgt(), &spn("host/app.apps.local@APPS.LOCAL"), &c).unwrap();
    w.start_from_cached(tgt).unwrap();
    assert_eq!(
        hop(w.start()),
        h("APPS.LOCAL", "host/app.apps.local@APPS.LOCAL", false)
    );
    let r = done(w.step(Ok(creds("host/app.apps.local@APPS.LOCAL"))));
    assert_eq!(r.exchanges, 1);
    assert_eq!(r.path.to_string(), "HUB.LOCAL -> APPS.LOCAL");

    // A cached TGT that is not on the route is refused.
    let mut w =
        ReferralWalker::new(home_tgt(), &spn("mariadb/db.ad.myaws.com@AD.MYAWS.COM"), &c).unwrap();
    assert!(
        w.start_from_cached(creds("krbtgt/APPS.LOCAL@HUB.LOCAL"))
            .is_err()
    );
}

#[test]
fn hierarchical_routes_like_mit() {
    let r = |a: &str, b: &str| -> Vec<String> {
        hierarchical(&realm(a), &realm(b))
            .iter()
            .map(|r| r.to_string())
            .collect()
    };
    assert_eq!(r("A.EXAMPLE.COM", "B.EXAMPLE.COM"), ["EXAMPLE.COM"]);
    assert!(r("EXAMPLE.COM", "CHILD.EXAMPLE.COM").is_empty());
    assert_eq!(
        r("X.CHILD.EXAMPLE.COM", "EXAMPLE.COM"),
        ["CHILD.EXAMPLE.COM", "EXAMPLE.COM"]
    );
    // No common suffix: up the client's names, then down the server's.
    assert_eq!(
        r("ONPREM.LOCAL", "AD.MYAWS.COM"),
        ["LOCAL", "COM", "MYAWS.COM"]
    );
    assert!(r("A", "B").is_empty());
    // Odd names never panic.
    for (a, b) in [("..", "."), ("A..B", "B"), (".", "X.")] {
        let _ = r(a, b);
    }
    // Without a [capaths] entry, the route is hierarchical.
    let c = conf(LAB);
    let w = ReferralWalker::new(home_tgt(), &spn("svc/h@A.EXAMPLE.COM"), &c).unwrap();
    let route: Vec<String> = w.route().unwrap().iter().map(|r| r.to_string()).collect();
    assert_eq!(
        route,
        [
            "ONPREM.LOCAL",
            "LOCAL",
            "COM",
            "EXAMPLE.COM",
            "A.EXAMPLE.COM"
        ]
    );
}

#[test]
fn start_ticket_must_be_a_tgt_and_names_must_be_complete() {
    let c = conf(LAB);
    let err = ReferralWalker::new(creds("host/x@ONPREM.LOCAL"), &spn("a/b@ONPREM.LOCAL"), &c)
        .unwrap_err();
    assert!(matches!(err.kind(), WalkErrorKind::NotTgt(_)));
    assert!(ReferralWalker::new(home_tgt(), &ServiceName::host_based("", "h"), &c).is_err());
    assert!(ReferralWalker::new(home_tgt(), &ServiceName::host_based("s", ""), &c).is_err());
}

/// Scripted KDCs answering with arbitrary TGTs and errors: the walk always ends, within the
/// request bound, and never panics.
#[test]
fn arbitrary_answers_always_terminate() {
    let c = conf(LAB);
    let realms = [
        "ONPREM.LOCAL",
        "AD.MYAWS.COM",
        "HUB.LOCAL",
        "APPS.LOCAL",
        "LOCAL",
    ];
    let mut seed = 0x1234_5678_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let services = [
        spn("host/app.apps.local@APPS.LOCAL"),
        spn("mariadb/db.ad.myaws.com@AD.MYAWS.COM"),
        ServiceName::host_based("mariadb", "db.ad.myaws.com"),
    ];
    for round in 0..300 {
        let svc = &services[round % services.len()];
        let mut w = ReferralWalker::new(home_tgt(), svc, &c).unwrap();
        let mut step = w.start();
        let mut n = 0;
        while let Ok(WalkStep::Tgs(hop)) = &step {
            n += 1;
            assert!(n <= 3 * MAX_HOPS + 1, "runaway walk");
            let cur = hop.realm().unwrap();
            let pick = |x: u64| realms[(x % realms.len() as u64) as usize];
            let reply = match next() % 4 {
                0 => Err(kdc_err(ec::KDC_ERR_S_PRINCIPAL_UNKNOWN, cur.as_str())),
                1 => Ok(creds(&hop.server.to_string())),
                2 => Ok(creds(&format!("krbtgt/{}@{cur}", pick(next())))),
                _ => Ok(creds(&format!("krbtgt/{}@{}", pick(next()), pick(next())))),
            };
            step = w.step(reply);
        }
    }
}

#[test]
fn gss_host_based_names() {
    assert_eq!(
        ServiceName::from_gss_hostbased("mariadb@DB.ad.myaws.com", "me"),
        Some(ServiceName::host_based("mariadb", "db.ad.myaws.com"))
    );
    assert_eq!(
        ServiceName::from_gss_hostbased("host", "me.onprem.local"),
        Some(ServiceName::host_based("host", "me.onprem.local"))
    );
    assert_eq!(ServiceName::from_gss_hostbased("@h", "me"), None);
    assert_eq!(ServiceName::from_gss_hostbased("svc@", "me"), None);
    assert_eq!(
        ServiceName::host_based("mariadb", "db.ad.myaws.com").to_string(),
        "mariadb/db.ad.myaws.com@"
    );
}

/// A fallback realm given from outside (a TXT record): asked for when the home KDC has no
/// referral, instead of the host's uppercased domain (HOSTED.LOCAL).
#[test]
fn a_given_fallback_realm_is_asked_over_its_route() {
    let c = conf(LAB);
    let apps = Realm::new("APPS.LOCAL").unwrap();
    let mut w = ReferralWalker::new(
        home_tgt(),
        &ServiceName::host_based("host", "web.hosted.local"),
        &c,
    )
    .unwrap()
    .with_fallback_realm(apps, &c);
    hop(w.start());
    assert_eq!(
        hop(w.step(Err(kdc_err(
            ec::KDC_ERR_S_PRINCIPAL_UNKNOWN,
            "ONPREM.LOCAL"
        )))),
        h("ONPREM.LOCAL", "krbtgt/APPS.LOCAL@ONPREM.LOCAL", false)
    );
}
