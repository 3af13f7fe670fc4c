//! KEYRING credential caches against this machine's kernel keyring: round trips, MIT's
//! collection rules (primary index, unique names, switching), timeouts, and hostile keyring
//! contents. Each test works in a collection of its own under the session anchor, removed at
//! the end. (Interop with MIT's own tools is in cli/tests/klist.rs and cli/tests/lab_kinit.rs.)
#![cfg(all(feature = "keyring", target_os = "linux"))]

use std::time::{SystemTime, UNIX_EPOCH};

use kdc_client::ccache::{
    CacheEntry, Ccache, CcacheError, CcacheHandle, CcacheName, KdcOffset, Keyblock,
};
use kdc_client::{NameType, Principal};
use keyutils_raw as kr;
use zeroize::Zeroizing;

fn now() -> u32 {
    let s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    u32::try_from(s).unwrap()
}

fn p(s: &str) -> Principal {
    Principal::parse(s, None).unwrap()
}

fn cred(client: &str, server: &str, lifetime: u32, ticket_len: usize) -> CacheEntry {
    let t = now();
    CacheEntry {
        client: p(client),
        server: Principal::parse_as(server, NameType::SrvInst, None).unwrap(),
        key: Keyblock {
            enctype: 18,
            bytes: Zeroizing::new(vec![0x42; 32]),
        },
        authtime: t,
        starttime: t,
        endtime: t + lifetime,
        renew_till: 0,
        is_skey: false,
        ticket_flags: 0x40e1_0000,
        addresses: Vec::new(),
        authdata: Vec::new(),
        // Not a real ticket: the cache stores bytes, whatever they are.
        ticket: (0..ticket_len).map(|i| (i % 251) as u8).collect(),
        second_ticket: Vec::new(),
    }
}

fn cache_of(client: &str, servers: &[&str]) -> Ccache {
    let mut c = Ccache::new(p(client));
    for s in servers {
        c.store(cred(client, s, 3600, 300));
    }
    c
}

/// A collection name unique to this test run.
fn collection(tag: &str) -> String {
    format!("KEYRING:session:kerbtest_{}_{tag}", std::process::id())
}

fn open(name: &str) -> CcacheHandle {
    let uid = kdc_client::config::current_uid().unwrap();
    CcacheName::parse(name)
        .unwrap()
        .open(uid)
        .unwrap_or_else(|e| panic!("opening {name}: {e} (is the kernel keyring available?)"))
}

fn sorted(mut c: Ccache) -> Ccache {
    c.credentials.sort_by_key(|c| c.server.to_string());
    c
}

fn destroy_all(h: &CcacheHandle) {
    for c in h.collection().unwrap() {
        c.destroy().unwrap();
    }
    assert!(h.collection().unwrap().is_empty());
}

#[test]
fn save_load_replace_destroy() {
    let name = collection("rt");
    let h = open(&name);
    // A collection name designates its primary, initially named after the collection.
    let shown = h.name().to_string();
    assert_eq!(shown, format!("{name}:kerbtest_{}_rt", std::process::id()));
    assert!(h.load().unwrap_err().is_not_found());
    assert!(
        matches!(h.load(), Err(CcacheError::KeyringNotFound(n)) if format!("KEYRING:{n}") == shown)
    );

    let mut c = cache_of(
        "joedoe@ONPREM.LOCAL",
        &["krbtgt/ONPREM.LOCAL@ONPREM.LOCAL", "host/db@AD"],
    );
    c.kdc_offset = Some(KdcOffset {
        seconds: -3600,
        microseconds: 17,
    });
    c.set_config(
        "pa_type",
        Some(&p("krbtgt/ONPREM.LOCAL@ONPREM.LOCAL")),
        b"2",
    );
    h.save(&c).unwrap();
    assert_eq!(sorted(h.load().unwrap()), sorted(c.clone()));
    assert_eq!(h.principal().unwrap(), p("joedoe@ONPREM.LOCAL"));
    // The same name opened again (another process would) sees the same cache.
    assert_eq!(sorted(open(&name).load().unwrap()), sorted(c));

    // Saving replaces the whole contents: stale credentials and the offset key go.
    let c2 = cache_of("alice@ONPREM.LOCAL", &["HTTP/web@ONPREM.LOCAL"]);
    h.save(&c2).unwrap();
    assert_eq!(h.load().unwrap(), c2);

    h.destroy().unwrap();
    assert!(h.load().unwrap_err().is_not_found());
    // Destroying what is not there is fine (MIT's kdestroy is silent too).
    h.destroy().unwrap();
    destroy_all(&h);
}

#[test]
fn large_tickets() {
    let h = open(&collection("big"));
    // 30 KB: more than the first 4 KiB read, within the 32 KiB of a "user" key.
    let mut c = Ccache::new(p("u@R"));
    c.store(cred("u@R", "HTTP/pac-heavy@R", 3600, 30_000));
    h.save(&c).unwrap();
    assert_eq!(h.load().unwrap(), c);

    // 40 KB needs a big_key (up to 1 MiB), which not every kernel has (CONFIG_BIG_KEYS).
    let scratch = kr::add_key(
        "keyring",
        "kerbtest_scratch",
        &[],
        kr::KEY_SPEC_PROCESS_KEYRING,
    )
    .unwrap();
    let big_keys = match kr::add_key("big_key", "probe", b"x", scratch) {
        Ok(_) => true,
        Err(e) if e.0 == libc::ENODEV => false,
        Err(e) => panic!("probing big_key: {e}"),
    };
    c.store(cred("u@R", "HTTP/huge@R", 3600, 40_000));
    match h.save(&c) {
        Ok(()) => {
            assert!(big_keys, "a 40 KB user key was accepted");
            assert_eq!(sorted(h.load().unwrap()), sorted(c));
        }
        Err(e) => {
            assert!(!big_keys, "{e}");
            assert!(e.to_string().contains("Invalid argument"), "{e}");
        }
    }
    destroy_all(&h);
}

#[test]
fn collections_follow_mit_rules() {
    let name = collection("col");
    let primary = open(&name);
    let joe = cache_of("joedoe@R", &["krbtgt/R@R"]);
    primary.save(&joe).unwrap();

    // A second cache: a fresh krb_ccache_XXXXXXXX name, not yet created.
    let fresh = primary.new_unique().unwrap().unwrap();
    let fresh_name = fresh.name().to_string();
    let suffix = fresh_name.rsplit(':').next().unwrap();
    assert!(
        suffix.starts_with("krb_ccache_") && suffix.len() == 18,
        "{fresh_name}"
    );
    assert!(suffix[11..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(fresh.load().unwrap_err().is_not_found());
    let alice = cache_of("alice@R", &["krbtgt/R@R"]);
    fresh.save(&alice).unwrap();

    // The primary comes first, then the others.
    let names = |h: &CcacheHandle| -> Vec<String> {
        h.collection()
            .unwrap()
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    };
    assert_eq!(
        names(&primary),
        vec![primary.name().to_string(), fresh_name.clone()]
    );
    let found = primary.find_in_collection(&p("alice@R")).unwrap().unwrap();
    assert_eq!(found.name().to_string(), fresh_name);
    assert!(primary.find_in_collection(&p("bob@R")).unwrap().is_none());

    // Switching makes the collection name resolve to the new primary.
    fresh.switch_to().unwrap();
    assert_eq!(open(&name).name().to_string(), fresh_name);
    assert_eq!(open(&name).principal().unwrap(), p("alice@R"));
    assert_eq!(names(&primary)[0], fresh_name);
    destroy_all(&primary);
}

#[test]
fn legacy_residuals_name_their_own_cache() {
    let residual = format!("kerbtest_{}_legacy", std::process::id());
    let h = open(&format!("KEYRING:{residual}"));
    assert_eq!(
        h.name().to_string(),
        format!("KEYRING:legacy:{residual}:{residual}")
    );
    let c = cache_of("u@R", &["krbtgt/R@R"]);
    h.save(&c).unwrap();
    assert_eq!(h.load().unwrap(), c);
    // Also linked in the session keyring, where pre-collection code looks.
    let found = kr::keyctl_search(kr::KEY_SPEC_SESSION_KEYRING, "keyring", &residual, None);
    assert!(found.is_ok(), "{found:?}");
    destroy_all(&h);
    let gone = kr::keyctl_search(kr::KEY_SPEC_SESSION_KEYRING, "keyring", &residual, None);
    assert!(gone.is_err());
}

#[test]
fn credential_keys_expire_with_their_tickets() {
    let h = open(&collection("expiry"));
    let mut c = Ccache::new(p("u@R"));
    c.store(cred("u@R", "krbtgt/R@R", 1, 100));
    h.save(&c).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // The credential key and the cache keyring (its latest end time) have both timed out.
    match h.load() {
        Err(e) => assert!(e.is_not_found(), "{e}"),
        Ok(left) => assert!(left.credentials.is_empty(), "{left:?}"),
    }
    destroy_all(&h);
}

/// Keys planted by another program of the same user are errors or skipped, never a panic.
#[test]
fn hostile_contents_are_errors() {
    let name = collection("hostile");
    let h = open(&name);
    h.save(&cache_of("u@R", &["krbtgt/R@R"])).unwrap();
    let col = kr::keyctl_search(
        kr::KEY_SPEC_SESSION_KEYRING,
        "keyring",
        &format!("_krb_kerbtest_{}_hostile", std::process::id()),
        None,
    )
    .unwrap();
    let sub = h.name().to_string();
    let sub = sub.rsplit(':').next().unwrap();
    let ring = kr::keyctl_search(col, "keyring", sub, None).unwrap();

    // A keyring whose description has ';' in it: listing the collection still works.
    kr::add_key("keyring", "odd;name;x", &[], col).unwrap();
    let listed: Vec<String> = h
        .collection()
        .unwrap()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert!(
        listed.iter().any(|n| n.ends_with(":odd;name;x")),
        "{listed:?}"
    );

    // A garbage credential key: the cache no longer loads.
    kr::add_key("user", "garbage@R", b"\x00\x00\x00\x01\xff\xff", ring).unwrap();
    assert!(matches!(
        h.load(),
        Err(CcacheError::Truncated | CcacheError::Malformed(_))
    ));

    // A garbage principal and primary index.
    kr::add_key("user", "__krb5_princ__", b"\x01", ring).unwrap();
    assert!(h.principal().is_err());
    kr::add_key(
        "user",
        "krb_ccache:primary",
        b"\x00\x00\x00\x02\x00\x00\x00\x01x",
        col,
    )
    .unwrap();
    let uid = kdc_client::config::current_uid().unwrap();
    let reopened = CcacheName::parse(&name).unwrap().open(uid);
    assert!(matches!(reopened, Err(CcacheError::KeyringVersion(2))));
    kr::add_key(
        "user",
        "krb_ccache:primary",
        b"\x00\x00\x00\x01\x00\x00\x10\x00",
        col,
    )
    .unwrap();
    assert!(CcacheName::parse(&name).unwrap().open(uid).is_err());

    kr::keyctl_clear(col).unwrap();
    let _ = kr::keyctl_unlink(col, kr::KEY_SPEC_SESSION_KEYRING);
    let _ = kr::keyctl_unlink(col, kr::KEY_SPEC_USER_SESSION_KEYRING);
}

#[test]
fn bad_names_are_mit_errors() {
    let uid = kdc_client::config::current_uid().unwrap();
    let e = CcacheName::parse("KEYRING:bogus:x").unwrap_err();
    assert_eq!(e.to_string(), "Invalid keyring anchor name");
    let e = CcacheName::parse("KEYRING:persistent:abc").unwrap_err();
    assert_eq!(e.to_string(), "Invalid UID in persistent keyring name");
    // The persistent anchor resolves (creating `_krb` and its primary index if needed).
    let h = CcacheName::parse(&format!(
        "KEYRING:persistent:{uid}:kerbtest_{}",
        std::process::id()
    ))
    .unwrap()
    .open(uid)
    .unwrap();
    let c = cache_of("u@R", &["krbtgt/R@R"]);
    h.save(&c).unwrap();
    assert_eq!(h.load().unwrap(), c);
    h.destroy().unwrap();
}

/// Two processes adding tickets to one cache each keep the other's (FILE and KEYRING alike),
/// and a removal removes only what was removed.
#[test]
fn updates_keep_what_others_stored() {
    let dir = std::env::temp_dir().join(format!("kerbtest-update-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = CcacheHandle::file(dir.join("cc"));
    let keyring = open(&collection("update"));
    for h in [&file, &keyring] {
        h.save(&cache_of("u@R", &["krbtgt/R@R"])).unwrap();
        // Two "processes" load the same cache...
        let a_before = h.load().unwrap();
        let b_before = h.load().unwrap();
        // ...and each stores its own service ticket.
        let mut a_after = a_before.clone();
        a_after.store(cred("u@R", "HTTP/a@R", 3600, 100));
        let mut b_after = b_before.clone();
        b_after.store(cred("u@R", "HTTP/b@R", 3600, 100));
        h.update(&a_before, &a_after).unwrap();
        h.update(&b_before, &b_after).unwrap();
        let servers = |c: &Ccache| -> Vec<String> {
            let mut v: Vec<String> = c.credentials.iter().map(|c| c.server.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(
            servers(&h.load().unwrap()),
            ["HTTP/a@R", "HTTP/b@R", "krbtgt/R@R"],
            "{}",
            h.name()
        );
        // A removes its ticket: B's stays.
        h.update(&a_after, &a_before).unwrap();
        assert_eq!(
            servers(&h.load().unwrap()),
            ["HTTP/b@R", "krbtgt/R@R"],
            "{}",
            h.name()
        );
        // The cache destroyed meanwhile: the update writes the whole cache again.
        h.destroy().unwrap();
        h.update(&b_before, &b_after).unwrap();
        assert_eq!(sorted(h.load().unwrap()), sorted(b_after));
    }
    destroy_all(&keyring);
    let _ = std::fs::remove_dir_all(&dir);
}
