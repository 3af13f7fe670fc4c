//! `kerb kinit -S/-s/-v/-a/-A/-n` and `kerb kvno -u/--cached-only/--no-store/--out-cache`
//! against the lab's MIT KDCs, side by side with MIT's own kinit, kvno and klist (each tool on
//! its own cache; caches crossed where the other tool must read them). `#[ignore]`d: run with
//! the lab up and its `env.sh` sourced (`cargo test -- --ignored`).

mod common;

use std::process::{Command, Output, Stdio};

use common::{KERB, lab, ok};

fn cache(name: &str) -> String {
    common::cache("lab-flags", name)
}

/// `program args` on `ccache`, with `KRB5_TRACE` unset and, for kinit, the user's password
/// on stdin (which a kinit failing early never reads).
fn run(program: &str, args: &[&str], ccache: &str) -> Output {
    if program != "kinit" && args.first() != Some(&"kinit") {
        return common::run(program, args, ccache, None);
    }
    let password = format!("{}\n", lab("LAB_USER_PASSWORD"));
    common::run(program, args, ccache, Some(&password))
}

/// `kerb <tool> args` and MIT's `<tool> args`, each on its own cache.
fn both(tool: &str, args: &[&str], ours: &str, mit: &str) -> (Output, Output) {
    let mut with_tool = vec![tool];
    with_tool.extend_from_slice(args);
    (run(KERB, &with_tool, ours), run(tool, args, mit))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path_of(ccache: &str) -> &str {
    ccache.trim_start_matches("FILE:")
}

/// The lines of MIT's `klist -f` (or other flags) on `ccache`.
fn klist(flags: &[&str], ccache: &str) -> String {
    ok(&run("klist", flags, ccache))
}

/// The flags MIT's `klist -f` shows for the first ticket.
fn first_flags(ccache: &str) -> String {
    let listing = klist(&["-f"], ccache);
    listing
        .lines()
        .find_map(|l| l.split("Flags: ").nth(1))
        .unwrap_or_else(|| panic!("no flags in {listing}"))
        .trim()
        .to_owned()
}

/// The service principals `klist` lists for `ccache`.
fn services(ccache: &str) -> Vec<String> {
    klist(&[], ccache)
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect()
}

fn kinit_both(ours: &str, mit: &str) {
    let user = lab("LAB_USER_PRINCIPAL");
    ok(&run(KERB, &["kinit", &user], ours));
    ok(&run("kinit", &[&user], mit));
}

#[test]
#[ignore = "needs the lab"]
fn kinit_s_service_like_mit() {
    let user = lab("LAB_USER_PRINCIPAL");
    let realm = lab("LAB_USER_REALM");
    let (ours, mit) = (cache("svc-ours"), cache("svc-mit"));
    // MIT ignores the realm of -S: the AS request names the client's realm.
    let svc = format!("kadmin/admin@{}", lab("LAB_SERVICE_REALM"));
    let (o, m) = both("kinit", &["-S", &svc, &user], &ours, &mit);
    ok(&o);
    ok(&m);
    assert_eq!(services(&ours), [format!("kadmin/admin@{realm}")]);
    assert_eq!(services(&ours), services(&mit));
    let listing = klist(&[], &ours);
    assert!(
        listing.contains(&format!("Default principal: {user}")),
        "{listing}"
    );
    // The same lifetime as MIT's (the KDC caps it with kadmin/admin's max_life).
    let lifetime = |cc: &str| -> i64 {
        let listing = klist(&[], cc);
        let line = listing
            .lines()
            .find(|l| l.ends_with(&format!("kadmin/admin@{realm}")))
            .unwrap_or_else(|| panic!("{listing}"))
            .to_owned();
        let secs = |hms: &str| -> i64 {
            hms.split(':')
                .map(|x| x.parse::<i64>().unwrap())
                .fold(0, |a, x| a * 60 + x)
        };
        let f: Vec<&str> = line.split_whitespace().collect();
        (secs(f[3]) - secs(f[1])).rem_euclid(86_400)
    };
    assert_eq!(lifetime(&ours), lifetime(&mit));

    // A cross-realm TGT straight from the AS exchange, which MIT's kvno then uses.
    let (o, m) = both(
        "kinit",
        &["-S", &format!("krbtgt/{}", lab("LAB_SERVICE_REALM")), &user],
        &ours,
        &mit,
    );
    ok(&o);
    ok(&m);
    assert_eq!(services(&ours), services(&mit));
    let spn = lab("LAB_MYSQL_SPN");
    assert_eq!(
        ok(&run("kvno", &[&spn], &ours)).trim(),
        format!("{spn}: kvno = 1")
    );

    // Unknown and malformed services fail like MIT's, exit status 1.
    let (o, m) = both("kinit", &["-S", "nosuch/x", &user], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert!(stderr(&m).contains("Server not found in Kerberos database"));
    let err = stderr(&o);
    assert!(
        err.starts_with("kinit: Server not found in Kerberos database (KDC_ERR_S_PRINCIPAL_UNKNOWN, code 7) from realm ONPREM.LOCAL"),
        "{err}"
    );
    assert!(
        err.trim_end()
            .ends_with("while getting initial credentials"),
        "{err}"
    );
    let (o, m) = both("kinit", &["-S", "a@b@c", &user], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert_eq!(stderr(&o), stderr(&m));
}

#[test]
#[ignore = "needs the lab"]
fn kinit_s_start_time_and_v_validate_like_mit() {
    let user = lab("LAB_USER_PRINCIPAL");
    let (ours, mit) = (cache("pd-ours"), cache("pd-mit"));
    // Postdated 3 s ahead by both kinits.
    let (o, m) = both("kinit", &["-s", "3s", &user], &ours, &mit);
    ok(&o);
    ok(&m);
    for cc in [&ours, &mit] {
        let flags = first_flags(cc);
        // may-postdate, postdated, invalid.
        assert!(
            flags.contains('D') && flags.contains('d') && flags.contains('i'),
            "{flags}"
        );
    }
    // An invalid TGT is refused by the KDC until validated, for both kvnos.
    let spn = lab("LAB_HOST_SPN");
    let o = run(KERB, &["kvno", &spn], &ours);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("KRB_AP_ERR_TKT_NYV"), "{}", stderr(&o));
    let m = run("kvno", &[&spn], &ours);
    assert!(
        stderr(&m).contains("Ticket not yet valid"),
        "{}",
        stderr(&m)
    );
    // Validating before the start time: the KDC says not yet.
    let (o, m) = both("kinit", &["-v"], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert_eq!(
        stderr(&m).trim(),
        "kinit: Ticket not yet valid while validating credentials"
    );
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "kinit: Ticket not yet valid (KRB_AP_ERR_TKT_NYV, code 33) from realm ONPREM.LOCAL"
        ) && err.trim_end().ends_with("while validating credentials"),
        "{err}"
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    // Crossed: each kinit -v validates the other's postdated ticket.
    ok(&run(KERB, &["kinit", "-v"], &mit));
    ok(&run("kinit", &["-v"], &ours));
    for cc in [&ours, &mit] {
        let flags = first_flags(cc);
        assert!(flags.contains('d') && !flags.contains('i'), "{flags}");
        assert_eq!(
            ok(&run(KERB, &["kvno", &spn], cc)).trim(),
            format!("{spn}: kvno = 1")
        );
    }
    // A valid ticket cannot be validated again.
    let (o, m) = both("kinit", &["-v"], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert!(stderr(&m).contains("KDC can't fulfill requested option"));
    assert!(
        stderr(&o).contains("KDC can't fulfill requested option (KDC_ERR_BADOPTION, code 13)"),
        "{}",
        stderr(&o)
    );

    // Nothing to validate: the same words as MIT's (the cache name aside).
    let cases: [&[&str]; 2] = [&["-v"], &["-v", "-S", "kadmin/admin"]];
    for args in cases {
        let (o, m) = if args.len() == 1 {
            let (a, b) = (cache("none-ours"), cache("none-mit"));
            let r = both("kinit", args, &a, &b);
            (
                stderr(&r.0).replace(path_of(&a), "CC"),
                stderr(&r.1).replace(path_of(&b), "CC"),
            )
        } else {
            let r = both("kinit", args, &ours, &mit);
            (
                stderr(&r.0).replace(path_of(&ours), "CC"),
                stderr(&r.1).replace(path_of(&mit), "CC"),
            )
        };
        assert_eq!(o, m, "{args:?}");
    }

    // Bad start times are refused at parse time, exit status 2 with the usage.
    let (o, m) = both("kinit", &["-s", "soon", &user], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(2), Some(2)));
    assert_eq!(stderr(&o).lines().next(), stderr(&m).lines().next());
}

#[test]
#[ignore = "needs the lab"]
fn kinit_a_addresses_like_mit_and_capital_a_none() {
    let user = lab("LAB_USER_PRINCIPAL");
    let (ours, mit) = (cache("addr-ours"), cache("addr-mit"));
    let (o, m) = both("kinit", &["-a", &user], &ours, &mit);
    ok(&o);
    ok(&m);
    let addresses = |cc: &str| -> String {
        let listing = klist(&["-a"], cc);
        listing
            .lines()
            .find_map(|l| l.trim().strip_prefix("Addresses: ").map(str::to_owned))
            .unwrap_or_else(|| panic!("{listing}"))
    };
    // The same host addresses (loopback and link-local left out).
    let listed = addresses(&mit);
    assert_eq!(addresses(&ours), listed);
    assert!(
        !listed.contains("127.0.0.1") && !listed.contains("fe80"),
        "{listed}"
    );
    let spn = lab("LAB_MYSQL_SPN");
    if listed == "(none)" {
        ok(&run(KERB, &["kvno", &spn], &ours));
    } else {
        // The KDC sees 127.0.0.1, which is not in the ticket: both kvnos are refused.
        let o = run(KERB, &["kvno", &spn], &ours);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("KRB_AP_ERR_BADADDR"), "{}", stderr(&o));
        let m = run("kvno", &[&spn], &ours);
        assert!(
            stderr(&m).contains("Incorrect net address"),
            "{}",
            stderr(&m)
        );
    }
    // -A: no addresses.
    let (o, m) = both("kinit", &["-A", &user], &ours, &mit);
    ok(&o);
    ok(&m);
    assert_eq!(addresses(&ours), "(none)");
    assert_eq!(addresses(&mit), "(none)");
    let (o, m) = both("kinit", &["-a", "-A", &user], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(2), Some(2)));
    assert_eq!(stderr(&o).lines().next(), stderr(&m).lines().next());
}

#[test]
#[ignore = "needs the lab"]
fn kinit_n_is_refused_clearly() {
    let cc = cache("anon");
    let o = run(KERB, &["kinit", "-n"], &cc);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("kinit: Anonymous PKINIT (-n) is not supported"),
        "{err}"
    );
    assert!(!std::path::Path::new(path_of(&cc)).exists());
}

#[test]
#[ignore = "needs the lab"]
fn kvno_u_like_mit() {
    let (ours, mit) = (cache("u-ours"), cache("u-mit"));
    kinit_both(&ours, &mit);
    let spn = lab("LAB_HOST_SPN");
    let (o, m) = both("kvno", &["-u", &spn], &ours, &mit);
    assert_eq!(ok(&o), ok(&m));
    assert_eq!(ok(&o).trim(), format!("{spn}: kvno = 1"));
    // Without a realm the name is in the default realm, where it does not exist.
    let (o, m) = both("kvno", &["-u", "host/db.ad.myaws.com"], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert!(stderr(&o).contains("KDC_ERR_S_PRINCIPAL_UNKNOWN"));
    // -u with -S, either order: MIT's words and exit status.
    for args in [&["-u", "-S", "host", "x"][..], &["-S", "host", "-u", "x"]] {
        let (o, m) = both("kvno", args, &ours, &mit);
        assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
        assert_eq!(stderr(&o), stderr(&m), "{args:?}");
    }
}

#[test]
#[ignore = "needs the lab"]
fn kvno_cached_only_and_no_store_like_mit() {
    let (ours, mit) = (cache("co-ours"), cache("co-mit"));
    kinit_both(&ours, &mit);
    let spn = lab("LAB_MYSQL_SPN");
    // Not cached: MIT's message, with the cache's file name.
    let (o, m) = both("kvno", &["--cached-only", &spn], &ours, &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert_eq!(
        stderr(&o).replace(path_of(&ours), "CC"),
        stderr(&m).replace(path_of(&mit), "CC")
    );
    // --no-store: the ticket is printed but not cached; the cross-realm TGT is.
    let (o, m) = both("kvno", &["--no-store", &spn], &ours, &mit);
    assert_eq!(ok(&o), ok(&m));
    assert_eq!(services(&ours), services(&mit));
    let listed = services(&ours);
    assert!(!listed.contains(&spn), "{listed:?}");
    assert!(
        listed.contains(&"krbtgt/AD.MYAWS.COM@ONPREM.LOCAL".to_owned()),
        "{listed:?}"
    );
    // Cached now by a plain kvno, --cached-only finds it, without any KDC: a configuration
    // whose KDCs do not answer proves it.
    ok(&run(KERB, &["kvno", &spn], &ours));
    let dead =
        std::env::temp_dir().join(format!("kerb-lab-flags-dead-{}.conf", std::process::id()));
    let realms = ["ONPREM.LOCAL", "AD.MYAWS.COM", "HUB.LOCAL", "APPS.LOCAL"]
        .map(|r| format!("\t{r} = {{\n\t\tkdc = 127.0.0.1:9\n\t}}\n"))
        .concat();
    std::fs::write(
        &dead,
        format!(
            "[libdefaults]\n\tdefault_realm = ONPREM.LOCAL\n\tkdc_timeout = 1s\n[realms]\n{realms}"
        ),
    )
    .unwrap();
    let offline = |args: &[&str]| -> Output {
        Command::new(KERB)
            .args(args)
            .env("KRB5_CONFIG", &dead)
            .env("KRB5CCNAME", &ours)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    assert_eq!(
        ok(&offline(&["kvno", "--cached-only", &spn])).trim(),
        format!("{spn}: kvno = 1")
    );
    let o = offline(&["kvno", "--cached-only", &lab("LAB_APPS_SPN")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Matching credential not found"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_file(&dead);
}

#[test]
#[ignore = "needs the lab"]
fn kvno_out_cache_like_mit() {
    let (ours, mit) = (cache("oc-ours"), cache("oc-mit"));
    kinit_both(&ours, &mit);
    let (out_ours, out_mit) = (cache("oc-out-ours"), cache("oc-out-mit"));
    let names = [lab("LAB_MYSQL_SPN"), lab("LAB_APPS_SPN")];
    let ours_out = run(
        KERB,
        &["kvno", "--out-cache", &out_ours, &names[0], &names[1]],
        &ours,
    );
    let mit_out = run(
        "kvno",
        &["--out-cache", &out_mit, &names[0], &names[1]],
        &mit,
    );
    assert_eq!(ok(&ours_out), ok(&mit_out));
    // The new cache holds exactly the service tickets, for the user; MIT reads ours.
    assert_eq!(services(&out_ours), names);
    assert_eq!(services(&out_ours), services(&out_mit));
    let listing = klist(&[], &out_ours);
    assert!(
        listing.contains(&format!("Default principal: {}", lab("LAB_USER_PRINCIPAL"))),
        "{listing}"
    );
    // The input caches got cross-realm TGTs but not the service tickets. (Ours also keeps
    // the intermediate krbtgt/HUB.LOCAL@ONPREM.LOCAL of the capaths walk, which MIT drops.)
    let (in_ours, in_mit) = (services(&ours), services(&mit));
    for name in &names {
        assert!(
            !in_ours.contains(name) && !in_mit.contains(name),
            "{in_ours:?}"
        );
    }
    for tgt in &in_mit {
        assert!(in_ours.contains(tgt), "{tgt} missing from {in_ours:?}");
    }
    // MIT's kvno accepts a ticket of our out-cache for its keytab.
    let kt = format!("FILE:{}", lab("LAB_MYSQL_KEYTAB"));
    ok(&run("kvno", &["-k", &kt, &names[0]], &out_ours));

    // One failure: nothing written, exit status 1, like MIT.
    let (fail_ours, fail_mit) = (cache("oc-fail-ours"), cache("oc-fail-mit"));
    let bad = format!("nosuch/x@{}", lab("LAB_SERVICE_REALM"));
    let o = run(
        KERB,
        &["kvno", "--out-cache", &fail_ours, &names[0], &bad],
        &ours,
    );
    let m = run("kvno", &["--out-cache", &fail_mit, &names[0], &bad], &mit);
    assert_eq!((o.status.code(), m.status.code()), (Some(1), Some(1)));
    assert_eq!(o.stdout, m.stdout);
    assert!(!std::path::Path::new(path_of(&fail_ours)).exists());
    assert!(!std::path::Path::new(path_of(&fail_mit)).exists());
}
