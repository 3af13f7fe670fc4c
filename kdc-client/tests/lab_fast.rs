//! The armored AS exchange (RFC 6113) through the library against the lab's FAST.LOCAL MIT
//! KDC, which takes passwords only through FAST: the armor TGT from the host keytab, then the
//! user's TGT with `AsOptions::armor`; also with the client's clock an hour off, which the
//! skew retry corrects for the armor's authenticator too. `#[ignore]`d: run with the lab up and
//! `lab/state/env.sh` sourced.

use std::sync::Arc;

use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::exchange::{Credentials, Secret, Timestamp};
use kdc_client::keytab::Keytab;
use kdc_client::{Principal, Realm};
use zeroize::Zeroizing;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: source lab/state/env.sh"))
}

fn client() -> Client {
    Client::new(Krb5Conf::load(Some(&env("LAB_KRB5_CONFIG"))).expect("lab krb5.conf"))
}

fn runtime() -> tokio::runtime::Runtime {
    // Before any test of this binary emits an event (each starts with a runtime), so that no
    // callsite's interest is cached while no subscriber exists.
    capture::install();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The host's TGT from its keytab: the armor.
fn armor_tgt(rt: &tokio::runtime::Runtime, c: &Client) -> Credentials {
    let host = Principal::parse(&env("LAB_FAST_HOST_PRINCIPAL"), None).unwrap();
    let kt = Keytab::read_file(std::path::Path::new(&env("LAB_FAST_HOST_KEYTAB"))).unwrap();
    let keys = kt
        .entries
        .iter()
        .filter(|e| e.principal == host)
        .filter_map(|e| e.encryption_key())
        .collect();
    let init = rt
        .block_on(c.get_initial_creds(c.initial_options(host), Secret::Keys(keys)))
        .expect("host TGT from the keytab");
    let realm = Realm::new(env("LAB_FAST_REALM")).unwrap();
    assert_eq!(init.creds.tgt_realm(), Some(realm));
    init.creds
}

fn user() -> Principal {
    Principal::parse(&format!("joedoe@{}", env("LAB_FAST_REALM")), None).unwrap()
}

fn password() -> Secret {
    Secret::Password(Zeroizing::new("Passw0rd-joedoe".into()))
}

#[test]
#[ignore = "needs the lab"]
fn armored_as_through_the_library() {
    let rt = runtime();
    let c = client();
    let mut opts = c.initial_options(user());
    let unarmored = rt
        .block_on(c.get_initial_creds(opts.clone(), password()))
        .unwrap_err();
    assert!(
        unarmored
            .to_string()
            .contains("the KDC requires FAST armor"),
        "{unarmored}"
    );
    opts.armor = Some(armor_tgt(&rt, &c));
    let init = rt
        .block_on(c.get_initial_creds(opts, password()))
        .expect("armored AS exchange");
    assert_eq!(init.creds.client, user());
    assert!(init.creds.is_tgt());
}

#[test]
#[ignore = "needs the lab"]
fn armored_as_with_the_client_clock_an_hour_off() {
    let rt = runtime();
    // The armor TGT with the right clock (the host needs no pre-authentication, so a skewed
    // client would not get a skew error from the KDC to learn its time from).
    let armor = armor_tgt(&rt, &client());
    let c = client().with_clock(Arc::new(|| Timestamp::now().offset(3600)));
    let mut opts = c.initial_options(user());
    opts.armor = Some(armor);
    let init = rt
        .block_on(c.get_initial_creds(opts, password()))
        .expect("armored AS exchange after the skew retry");
    assert!(
        (init.kdc_offset + 3600).abs() <= 5,
        "offset {}",
        init.kdc_offset
    );
}

#[test]
#[ignore = "needs the lab"]
fn armored_tgs_with_implicit_tgt_armor() {
    let rt = runtime();
    let c = client();
    let mut opts = c.initial_options(user());
    opts.armor = Some(armor_tgt(&rt, &c));
    let tgt = rt
        .block_on(c.get_initial_creds(opts, password()))
        .expect("armored AS exchange")
        .creds;
    let mut tgs_opts = c.tgs_options();
    tgs_opts.fast = true;
    for service in ["LAB_FAST_SERVICE", "LAB_FAST_EC_SERVICE"] {
        let server = Principal::parse(&env(service), None).unwrap();
        let creds = rt
            .block_on(c.tgs(&tgt, &server, &tgs_opts))
            .unwrap_or_else(|e| panic!("armored TGS for {server}: {e}"));
        assert_eq!(creds.server, server);
        assert_eq!(creds.client, user());
    }
    // A KDC error comes back inside the armored reply: an unknown service.
    let nobody = Principal::parse(&format!("host/nobody@{}", env("LAB_FAST_REALM")), None).unwrap();
    let err = rt.block_on(c.tgs(&tgt, &nobody, &tgs_opts)).unwrap_err();
    assert_eq!(
        err.kdc_error_code(),
        Some(kdc_client::error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN),
        "{err}"
    );

    // Armored TGS with an ordinary TGT of ONPREM.LOCAL (obtained unarmored), across the trust.
    let onprem = Principal::parse(&env("LAB_USER_PRINCIPAL"), None).unwrap();
    let tgt = rt
        .block_on(c.get_initial_creds(
            c.initial_options(onprem),
            Secret::Password(Zeroizing::new(env("LAB_USER_PASSWORD"))),
        ))
        .expect("ONPREM TGT")
        .creds;
    let cross = Principal::parse(
        &format!(
            "krbtgt/{}@{}",
            env("LAB_SERVICE_REALM"),
            env("LAB_USER_REALM")
        ),
        None,
    )
    .unwrap();
    let creds = rt
        .block_on(c.tgs(&tgt, &cross, &tgs_opts))
        .expect("armored cross-realm TGS");
    assert_eq!(creds.server, cross);
}

/// The messages of the `tracing` events emitted while `f` runs on this thread.
fn traced<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    capture::on_this_thread(f)
}

/// One global subscriber for the whole test binary that records the events of the threads
/// that asked for it. A scoped subscriber (`tracing::subscriber::with_default`) loses events
/// now and then when other test threads register the same callsites concurrently (their
/// interest can be cached as "never"); a global one set before any event cannot.
mod capture {
    use std::cell::RefCell;
    use std::fmt::Write as _;
    use std::sync::OnceLock;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};

    thread_local! {
        static SEEN: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
    }

    struct Capture;
    struct Fields(String);
    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }
    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            SEEN.with(|seen| {
                if let Some(seen) = seen.borrow_mut().as_mut() {
                    let mut fields = Fields(String::new());
                    event.record(&mut fields);
                    seen.push(fields.0);
                }
            });
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    /// Sets the global subscriber once (later calls wait for the first).
    pub fn install() {
        static ONCE: OnceLock<()> = OnceLock::new();
        ONCE.get_or_init(|| {
            tracing::subscriber::set_global_default(Capture)
                .expect("nothing else in this test binary sets a global subscriber");
        });
    }

    /// Runs `f`, returning the messages of the events this thread emitted meanwhile.
    pub fn on_this_thread<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
        install();
        SEEN.with(|seen| *seen.borrow_mut() = Some(Vec::new()));
        let out = f();
        let seen = SEEN
            .with(|seen| seen.borrow_mut().take())
            .unwrap_or_default();
        (out, seen)
    }
}

/// `Session::service_ticket` follows `kerb kvno`'s rule (issue 14): with MIT's `fast_avail`
/// entry for `krbtgt/FAST.LOCAL@FAST.LOCAL` in the cache (as `kerb kinit -T` and MIT's kinit
/// write it), its TGS request is armored with the TGT and the reply comes back armored;
/// without the entry it is not armored.
#[test]
#[ignore = "needs the lab"]
fn session_service_ticket_armors_when_the_cache_has_fast_avail() {
    use kdc_client::ServiceName;
    use kdc_client::ccache::CcacheHandle;
    use kdc_client::session::Session;

    let rt = runtime();
    let c = client();
    let mut opts = c.initial_options(user());
    opts.armor = Some(armor_tgt(&rt, &c));
    let init = rt
        .block_on(c.get_initial_creds(opts, password()))
        .expect("armored AS exchange");
    let realm = Realm::new(env("LAB_FAST_REALM")).unwrap();
    let tgs = Principal::new(kdc_client::PrincipalName::krbtgt(&realm), realm.clone());
    let dir = std::env::temp_dir().join(format!("kdc-lab-fast-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let service = Principal::parse(&env("LAB_FAST_SERVICE"), None).unwrap();
    for fast_avail in [true, false] {
        let mut cache = init.to_ccache();
        if fast_avail {
            cache.set_config(kdc_client::ccache::FAST_AVAIL, Some(&tgs), b"yes");
        }
        let handle = CcacheHandle::file(dir.join(format!("cc-{fast_avail}")));
        handle.save(&cache).unwrap();
        let session = Session::new(client(), handle);
        let (creds, trace) = traced(|| {
            rt.block_on(session.service_ticket(&ServiceName::Principal(service.clone())))
        });
        let creds = creds.unwrap_or_else(|e| panic!("fast_avail={fast_avail}: {e}"));
        assert_eq!(creds.server, service);
        let has = |m: &str| trace.iter().any(|t| t.contains(m));
        let armored = has("Encoding request body and padata into FAST request")
            && has("Decoding FAST response")
            && has("fast=true");
        assert_eq!(armored, fast_avail, "fast_avail={fast_avail}: {trace:#?}");
        if !fast_avail {
            assert!(has("fast=false"), "{trace:#?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The front door armors logins (issue 14): a `Session` with `Armor::Keytab` (the host's
/// machine keytab) or `Armor::Cache` (a cache holding the host's TGT) logs the user in to
/// FAST.LOCAL, whose KDC refuses unarmored passwords; the cache it fills says `fast_avail`,
/// so its service tickets are armored too. Without armor the same login fails.
#[test]
#[ignore = "needs the lab"]
fn session_logins_are_armored_from_a_keytab_or_a_cache() {
    use kdc_client::ccache::CcacheHandle;
    use kdc_client::session::{Armor, Session};

    let rt = runtime();
    let dir = std::env::temp_dir().join(format!("kdc-lab-fast-armor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = Principal::parse(&env("LAB_FAST_HOST_PRINCIPAL"), None).unwrap();
    let keytab = std::path::PathBuf::from(env("LAB_FAST_HOST_KEYTAB"));
    let pw = || Zeroizing::new(String::from("Passw0rd-joedoe"));

    let plain = Session::new(client(), CcacheHandle::file(dir.join("plain")));
    let e = rt
        .block_on(plain.login_with_password(&user(), pw()))
        .unwrap_err();
    assert!(e.to_string().contains("the KDC requires FAST armor"), "{e}");

    // The armor cache, as `kerb kinit -k -t KEYTAB -c ARMOR host/NAME` writes it.
    let armor_cache = CcacheHandle::file(dir.join("armor"));
    rt.block_on(Session::new(client(), armor_cache.clone()).login_with_keytab(&host, &keytab))
        .expect("host TGT from its keytab (FAST.LOCAL needs no armor for keys)");
    let service = kdc_client::ServiceName::Principal(
        Principal::parse(&env("LAB_FAST_SERVICE"), None).unwrap(),
    );
    for (name, armor) in [
        (
            "keytab",
            Armor::Keytab {
                principal: host.clone(),
                keytab: keytab.clone(),
            },
        ),
        ("cache", Armor::Cache(armor_cache.clone())),
    ] {
        let handle = CcacheHandle::file(dir.join(name));
        let session = Session::new(client(), handle.clone()).with_armor(armor);
        let tgt = rt
            .block_on(session.login_with_password(&user(), pw()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(tgt.client, user(), "{name}");
        let cache = handle.load().unwrap();
        let realm = Realm::new(env("LAB_FAST_REALM")).unwrap();
        let tgs = Principal::new(kdc_client::PrincipalName::krbtgt(&realm), realm);
        assert_eq!(
            cache.get_config(kdc_client::ccache::FAST_AVAIL, Some(&tgs)),
            Some(&b"yes"[..]),
            "{name}"
        );
        let (creds, trace) = traced(|| rt.block_on(session.service_ticket(&service)));
        creds.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            trace
                .iter()
                .any(|t| t.contains("Encoding request body and padata into FAST request")),
            "{name}: {trace:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
