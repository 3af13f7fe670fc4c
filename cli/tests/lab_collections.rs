//! Cache collections (KEYRING and DIR) evolving alike under MIT's kinit/kdestroy and ours,
//! with tickets from the lab's real MIT KDCs: the cache each kinit picks (`-V`), new caches,
//! the primary switch, `kdestroy -p` and `-A`, each tool listing the other's collection.
//! `#[ignore]`d: `scripts/test.sh` runs them with the lab up and `lab/state/env.sh` sourced.

mod common;

use common::{KERB, kinit_verbose as kinit, lab, ok, run, same_listing};

/// The same kinit/kdestroy sequence run by MIT's tools in one collection and by ours in
/// another picks the same caches and leaves the same collections (random names aside).
#[test]
#[ignore = "needs the lab"]
fn collections_evolve_like_mit() {
    let dir = std::env::temp_dir().join(format!("kerb-lab-collections-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pid = std::process::id();
    for (mit, ours) in [
        (
            format!("KEYRING:session:kerbtest_lab_{pid}_col_mit"),
            format!("KEYRING:session:kerbtest_lab_{pid}_col_ours"),
        ),
        (
            format!("DIR:{}/mit", dir.display()),
            format!("DIR:{}/ours", dir.display()),
        ),
    ] {
        evolve_alike(&mit, &ours);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The collection's own name in `text` replaced by NAME, and the random part of new caches'
/// names (KEYRING `krb_ccache_` + 7, DIR `tkt` + 6) by UNIQUE.
fn normalise(text: &str, cc: &str) -> String {
    // KEYRING:session:NAME: NAME is the collection and its first cache's name; DIR:NAME is
    // the directory.
    let name = cc.rsplit(':').next().unwrap_or_default();
    let mut out = text.replace(name, "NAME");
    for (prefix, random) in [("krb_ccache_", 7), ("/tkt", 6)] {
        let mut from = 0;
        while let Some(i) = out[from..].find(prefix).map(|i| i + from) {
            let start = i + prefix.len();
            let tail: String = out[start..].chars().take(random).collect();
            if tail.len() == random && tail.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.replace_range(start..start + random, "UNIQUE");
            }
            from = start;
        }
    }
    out
}

fn evolve_alike(mit: &str, ours: &str) {
    let joe = lab("LAB_USER_PRINCIPAL");
    let alice = lab("LAB_USER2_PRINCIPAL");
    let (mit, ours) = (mit.to_owned(), ours.to_owned());
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
