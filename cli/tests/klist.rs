//! `kerb klist` / `kerb kdestroy` against MIT's own `klist` / `kdestroy`, byte for byte:
//! stdout, stderr and exit status. Fixtures are made at test time (MIT `ktutil`, and caches
//! written with `kdc_client::ccache` from the MIT-made cache in `vectors/data/ccache-mit.txt`).
//! Tests that need MIT's tools print a notice and pass when they are absent.
//! The `#[ignore = "needs the lab"]` tests need `lab/state/env.sh` sourced.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::{current_mit_cache, mit_cache};
use kdc_client::ccache::{Ccache, Typed};
use kdc_client::keytab::{Keytab, KeytabEntry};
use kdc_client::{Principal, PrincipalName, Realm};

const KERB: &str = env!("CARGO_BIN_EXE_kerb");

#[derive(Debug, PartialEq, Eq)]
struct Out {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Option<Out> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env_remove("KRB5_TRACE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().ok()?;
    Some(Out {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code(),
    })
}

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        println!("NOTICE: MIT {tool} not found; comparison skipped");
    }
    found
}

/// `tool args` by MIT and by `kerb tool args` must print and exit the same.
fn same(tool: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mit = run(tool, args, env).expect("MIT tool runs");
    let mut kargs = vec![tool];
    kargs.extend_from_slice(args);
    let ours = run(KERB, &kargs, env).expect("kerb runs");
    assert_eq!(ours, mit, "kerb {tool} {args:?} differs from MIT");
    ours
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kerb-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Combinations of the cache listing options compared with MIT.
const CACHE_FLAGS: &[&[&str]] = &[
    &[],
    &["-e"],
    &["-f"],
    &["-a"],
    &["-a", "-n"],
    &["-C"],
    &["-d"],
    &["-e", "-f"],
    &["-efaC"],
    &["-e", "-f", "-a", "-d", "-C"],
];

#[test]
fn cache_listing_matches_mit() {
    if !have("klist") {
        return;
    }
    let d = tmpdir("cache");
    let path = d.join("cc");
    mit_cache().write_file(&path).unwrap();
    let name = format!("FILE:{}", s(&path));
    for flags in CACHE_FLAGS {
        same("klist", flags, &[("KRB5CCNAME", &name)]);
        let mut with_c = vec!["-c", &name];
        with_c.extend_from_slice(flags);
        same("klist", &with_c, &[]);
    }
    // A bare path as the positional name, and the -s status (whatever the clock says now).
    same("klist", &[s(&path)], &[]);
    same("klist", &["-s", s(&path)], &[]);
}

#[test]
fn unusual_credentials_match_mit() {
    if !have("klist") {
        return;
    }
    let mut cache = mit_cache();
    let base = cache
        .credentials
        .iter()
        .find(|c| !c.is_config())
        .unwrap()
        .clone();
    // Another client, a server name unlike the ticket's, every flag, no start time,
    // addresses, authdata, an unknown session-key enctype.
    let mut c = base.clone();
    c.client = Principal::parse("other@EXAMPLE.COM", None).unwrap();
    c.server = Principal::parse("krbtgt/ALIAS@EXAMPLE.COM", None).unwrap();
    c.ticket_flags = 0xfffc_8000;
    c.starttime = 0;
    c.key.enctype = 99;
    c.addresses = vec![
        Typed {
            kind: 2,
            data: vec![127, 0, 0, 1],
        },
        Typed {
            kind: 2,
            data: vec![10, 1, 2, 3],
        },
    ];
    c.authdata = vec![Typed {
        kind: 1,
        data: vec![1, 2],
    }];
    cache.credentials.push(c);
    let mut c = base.clone();
    c.renew_till = 0;
    c.ticket_flags = 0x0040_0000;
    cache.credentials.push(c);
    let mut c = base;
    c.client = Principal::parse("x@EXAMPLE.COM", None).unwrap();
    cache.credentials.push(c);
    let d = tmpdir("unusual");
    let path = d.join("cc");
    cache.write_file(&path).unwrap();
    for flags in [
        &["-e", "-f", "-C"][..],
        &["-f"],
        &["-e"],
        &[],
        &["-d", "-e", "-f"],
    ] {
        let mut args = vec!["-c", s(&path)];
        args.extend_from_slice(flags);
        same("klist", &args, &[]);
    }
}

/// `klist -s`: MIT's rule (a current local TGT, or no TGT but a current credential).
#[test]
fn status_matches_mit() {
    if !have("klist") {
        return;
    }
    let d = tmpdir("status");
    let path = d.join("cc");
    type Edit = fn(&mut Ccache);
    let cases: [(&str, Edit); 4] = [
        ("expired", |c| {
            c.credentials.iter_mut().for_each(|c| c.endtime = 1000)
        }),
        ("no tgt", |c| {
            c.credentials.retain(|c| !c.server.name.is_krbtgt())
        }),
        ("no tgt, expired", |c| {
            c.credentials.retain(|c| !c.server.name.is_krbtgt());
            c.credentials.iter_mut().for_each(|c| c.endtime = 1000);
        }),
        ("only config", |c| c.credentials.retain(|c| c.is_config())),
    ];
    for (what, edit) in cases {
        let mut cache = mit_cache();
        edit(&mut cache);
        cache.write_file(&path).unwrap();
        let o = same("klist", &["-s", s(&path)], &[]);
        println!("{what}: {:?}", o.code);
        same("klist", &["-c", s(&path)], &[]);
    }
}

#[test]
fn keytab_listing_matches_mit() {
    if !have("klist") || !have("ktutil") {
        return;
    }
    let d = tmpdir("keytab");
    let kt = d.join("kt");
    let script = format!(
        "addent -password -p svc/host.example.com@EXAMPLE.COM -k 3 -e aes256-cts-hmac-sha1-96\npw\n\
         addent -password -p svc/host.example.com@EXAMPLE.COM -k 3 -e aes128-cts-hmac-sha256-128\npw\n\
         addent -password -p user@EXAMPLE.COM -k 300 -e des3-cbc-sha1\npw\n\
         addent -password -p user@EXAMPLE.COM -k 7 -e camellia256-cts-cmac\npw\n\
         addent -password -p user@EXAMPLE.COM -k 7 -e arcfour-hmac\npw\n\
         wkt {}\nquit\n",
        s(&kt)
    );
    let mut child = Command::new("ktutil")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // An entry of an enctype nobody knows, appended with our writer.
    let mut keytab = Keytab::read_file(&kt).unwrap();
    keytab.entries.push(KeytabEntry {
        principal: Principal::new(
            PrincipalName::new(kdc_client::NameType::Principal, vec!["odd".into()]).unwrap(),
            Realm::new("EXAMPLE.COM").unwrap(),
        ),
        timestamp: 1_700_000_000,
        kvno: 70_000,
        enctype: 99,
        key: zeroize::Zeroizing::new(vec![0xab; 5]),
    });
    let kt2 = d.join("kt2");
    keytab.write_file(&kt2).unwrap();
    for file in [&kt, &kt2] {
        let name = format!("FILE:{}", s(file));
        for flags in [
            &["-k"][..],
            &["-k", "-t"],
            &["-k", "-e"],
            &["-k", "-K"],
            &["-kteK"],
            &["-k", "-t", "-K"],
        ] {
            let mut args = flags.to_vec();
            args.push(s(file));
            same("klist", &args, &[]);
            same("klist", flags, &[("KRB5_KTNAME", &name)]);
        }
    }
    same(
        "klist",
        &["-k", "-i"],
        &[("KRB5_CLIENT_KTNAME", &kt.display().to_string())],
    );
}

#[test]
fn errors_match_mit() {
    if !have("klist") || !have("kdestroy") {
        return;
    }
    let d = tmpdir("errors");
    let missing = d.join("missing");
    let o = same("klist", &["-c", s(&missing)], &[]);
    assert_eq!(o.code, Some(1));
    same("klist", &[], &[("KRB5CCNAME", s(&missing))]);
    same("klist", &["-s"], &[("KRB5CCNAME", s(&missing))]);
    // stdout and stderr separately (their interleaving is not comparable).
    same("klist", &["-k", s(&missing)], &[]);
    same("klist", &["-Z"], &[]);
    same("klist", &["-c", "-k"], &[]);
    same("kdestroy", &["-c", s(&missing)], &[]);
    same("kdestroy", &["-q", "-c", s(&missing)], &[]);
    same("kdestroy", &["-Z"], &[]);
}

#[test]
fn kdestroy_removes_the_cache_like_mit() {
    let d = tmpdir("kdestroy");
    let path = d.join("cc");
    mit_cache().write_file(&path).unwrap();
    let o = run(KERB, &["kdestroy", "-c", s(&path)], &[]).unwrap();
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    assert!(!path.exists());
    mit_cache().write_file(&path).unwrap();
    let name = format!("FILE:{}", s(&path));
    let o = run(KERB, &["kdestroy", "-A", "-q"], &[("KRB5CCNAME", &name)]).unwrap();
    assert_eq!(o.code, Some(0));
    assert!(!path.exists());
}

#[test]
fn kinit_without_password_and_kvno_without_kdc_fail_like_mit() {
    let d = tmpdir("notwired");
    let cc = d.join("cc");
    let conf = d.join("krb5.conf");
    // No KDC lines and no DNS lookup (which would ask the machine's resolver).
    std::fs::write(
        &conf,
        "[libdefaults]\n default_realm = EXAMPLE.COM\n dns_lookup_kdc = false\n",
    )
    .unwrap();
    let env = [("KRB5_CONFIG", s(&conf)), ("KRB5CCNAME", s(&cc))];
    // No KDC for the realm: the first request cannot be sent, so (as MIT's kinit) no
    // password is asked for.
    let o = run(KERB, &["kinit", "user"], &env).unwrap();
    assert_eq!(o.stdout, "");
    assert_eq!(
        o.stderr,
        "kinit: Cannot find KDC for realm \"EXAMPLE.COM\" while getting initial credentials\n"
    );
    assert_eq!(o.code, Some(1));
    if have("kinit") {
        same("kinit", &["user"], &env);
    }
    // A TGT valid now, so kvno goes on to look for the KDC.
    current_mit_cache(None).write_file(&cc).unwrap();
    let o = run(KERB, &["kvno", "HTTP/absent.example.com"], &env).unwrap();
    assert_eq!(
        o.stderr,
        "kvno: Cannot find KDC for realm \"EXAMPLE.COM\" (path walked: EXAMPLE.COM) while \
         getting credentials for HTTP/absent.example.com@EXAMPLE.COM\n"
    );
    assert_eq!(o.code, Some(1));
    // KRB5_TRACE: MIT's `[pid] seconds.micros: message` lines, appended to the file.
    let trace = d.join("trace");
    let mut tenv = env.to_vec();
    let t = trace.display().to_string();
    tenv.push(("KRB5_TRACE", &t));
    let o = run(KERB, &["kvno", "HTTP/absent.example.com"], &tenv).unwrap();
    assert_eq!(o.code, Some(1));
    let text = std::fs::read_to_string(&trace).unwrap();
    let line = text.lines().next().unwrap();
    let (pid, rest) = line.strip_prefix('[').unwrap().split_once("] ").unwrap();
    assert!(pid.parse::<u32>().is_ok(), "{line}");
    let (stamp, msg) = rest.split_once(": ").unwrap();
    let (secs, micros) = stamp.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{line}");
    assert!(msg.starts_with(
        "Getting credentials user@EXAMPLE.COM -> HTTP/absent.example.com@EXAMPLE.COM"
    ));
    // -V traces to stderr.
    let o = run(KERB, &["kvno", "-V", "HTTP/absent.example.com"], &env).unwrap();
    assert!(o.stderr.starts_with('['), "{o:?}");
    assert!(
        o.stderr
            .ends_with("while getting credentials for HTTP/absent.example.com@EXAMPLE.COM\n")
    );
    let o = run(KERB, &["kinit", "-Z"], &env).unwrap();
    assert_eq!(o.code, Some(2));
    assert!(
        o.stderr
            .starts_with("kinit: invalid option -- 'Z'\nUsage: kinit")
    );
}

fn lab_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} unset: source lab/state/env.sh"))
}

#[test]
#[ignore = "needs the lab"]
fn lab_caches_from_mit_kinit_match() {
    let d = tmpdir("lab");
    let cc = format!("FILE:{}", s(&d.join("cc")));
    let env = [("KRB5CCNAME", cc.as_str())];
    let mut kinit = Command::new("kinit")
        .args(["-f", "-r", "2d", &lab_env("LAB_USER_PRINCIPAL")])
        .env("KRB5CCNAME", &cc)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    let pw = format!("{}\n", lab_env("LAB_USER_PASSWORD"));
    kinit
        .stdin
        .take()
        .unwrap()
        .write_all(pw.as_bytes())
        .unwrap();
    assert!(kinit.wait().unwrap().success());
    let o = same("klist", &["-s"], &env);
    assert_eq!(o.code, Some(0));
    let mut spns = vec![lab_env("LAB_MARIADB_SPN")];
    spns.extend(std::env::var("LAB_APPS_SPN").ok());
    for spn in &spns {
        let st = Command::new("kvno")
            .arg(spn)
            .env("KRB5CCNAME", &cc)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
    }
    for flags in CACHE_FLAGS {
        same("klist", flags, &env);
    }
    let keytab = lab_env("LAB_MARIADB_KEYTAB");
    for flags in [&["-k"][..], &["-k", "-t", "-e", "-K"]] {
        let mut args = flags.to_vec();
        args.push(&keytab);
        same("klist", &args, &[]);
    }
    let o = run(KERB, &["kdestroy"], &env).unwrap();
    assert_eq!(o.code, Some(0));
    same("klist", &[], &env);
}

/// Config entries with binary values, and `-l` / `-A` on a FILE "collection".
#[test]
fn config_data_and_collections_match_mit() {
    if !have("klist") {
        return;
    }
    let d = tmpdir("config");
    let path = d.join("cc");
    let mut cache = mit_cache();
    let tgt = Principal::parse("krbtgt/EXAMPLE.COM@EXAMPLE.COM", None).unwrap();
    cache.set_config(
        "pa_config_data",
        Some(&tgt),
        &[0, 1, 0x7f, 0xff, b'a', b' ', b'\\'],
    );
    cache.set_config("refresh_time", None, b"1732538123");
    cache.set_config("long", None, &[0xa5; 60]);
    cache.write_file(&path).unwrap();
    for flags in [&["-C"][..], &["-C", "-a"], &["-l"], &["-A"], &["-A", "-C"]] {
        let mut args = vec!["-c", s(&path)];
        args.extend_from_slice(flags);
        same("klist", &args, &[]);
        same("klist", flags, &[("KRB5CCNAME", s(&path))]);
    }
    let missing = d.join("missing");
    same("klist", &["-l"], &[("KRB5CCNAME", s(&missing))]);
    same("klist", &["-A"], &[("KRB5CCNAME", s(&missing))]);
}

/// Files that are not caches or keytabs: MIT's messages and status.
#[test]
fn bad_files_match_mit() {
    if !have("klist") {
        return;
    }
    let d = tmpdir("bad");
    for (i, bytes) in [&b"garbage"[..], b"\x05\x04\x00", b"", b"\x05\x09"]
        .iter()
        .enumerate()
    {
        let f = d.join(format!("f{i}"));
        std::fs::write(&f, bytes).unwrap();
        same("klist", &["-c", s(&f)], &[]);
        same("klist", &["-k", s(&f)], &[]);
    }
}

fn open_keyring(name: &str) -> kdc_client::ccache::CcacheHandle {
    let uid = kdc_client::config::current_uid().unwrap();
    kdc_client::ccache::CcacheName::parse(name)
        .unwrap()
        .open(uid)
        .unwrap()
}

/// KEYRING caches and collections written by this crate, listed by MIT's klist and ours;
/// destroyed by MIT's kdestroy and ours. (Caches written by MIT's kinit: lab_kinit.rs.)
#[test]
fn keyring_listing_matches_mit() {
    if !have("klist") {
        return;
    }
    let collection = format!("KEYRING:session:kerbtest_klist_{}", std::process::id());
    let env = [("KRB5CCNAME", collection.as_str())];
    // Nothing there yet: both tools say so the same way.
    same("klist", &[], &env);
    same("klist", &["-l"], &env);
    same("klist", &["-A"], &env);
    same("klist", &["-s"], &env);

    let primary = open_keyring(&collection);
    primary.save(&current_mit_cache(None)).unwrap();
    let second = primary.new_unique().unwrap().unwrap();
    second
        .save(&current_mit_cache(Some("alice@EXAMPLE.COM")))
        .unwrap();
    for flags in CACHE_FLAGS {
        same("klist", flags, &env);
    }
    let second_name = second.name().to_string();
    for flags in [&["-l"][..], &["-A"], &["-A", "-e"], &["-s"], &["-A", "-s"]] {
        same("klist", flags, &env);
        let mut args = flags.to_vec();
        args.extend(["-c", &second_name]);
        same("klist", &args, &[]);
    }
    // Names MIT refuses, and a subsidiary that does not exist.
    let nosuch = format!("{collection}:nosuch");
    for name in [
        nosuch.as_str(),
        "KEYRING:bogus:x:y",
        "KEYRING:persistent:abc",
    ] {
        same("klist", &["-c", name], &[]);
        same("kdestroy", &["-c", name], &[]);
    }
    // kswitch: to the second cache and back by principal; kdestroy -p of nobody.
    same("kswitch", &["-c", &second_name], &[]);
    same("klist", &["-l"], &env);
    same("kswitch", &["-p", "user@EXAMPLE.COM"], &env);
    same("klist", &["-l"], &env);
    same("kswitch", &["-p", "nobody@EXAMPLE.COM"], &env);
    same("kdestroy", &["-p", "nobody@EXAMPLE.COM"], &env);
    for args in [&[][..], &["-Z"], &["-c", "a", "-p", "b"], &["extra"]] {
        same("kswitch", args, &env);
    }
    // MIT's kdestroy removes our cache; ours removes what is left.
    run("kdestroy", &["-c", &second_name], &[]).unwrap();
    same("klist", &["-l"], &env);
    let o = run(KERB, &["kdestroy", "-A"], &env).unwrap();
    assert_eq!((o.code, o.stderr.as_str()), (Some(0), ""));
    same("klist", &["-l"], &env);
}

/// DIR collections written by this crate, listed, switched and destroyed by MIT's tools and
/// ours alike; MIT's errors for bad DIR names.
#[test]
fn dir_collections_match_mit() {
    if !have("klist") {
        return;
    }
    let d = tmpdir("dircol");
    let dir = d.join("cc");
    let collection = format!("DIR:{}", s(&dir));
    let env = [("KRB5CCNAME", collection.as_str())];
    // Nothing there yet (MIT creates the directory and its primary file; so do we).
    same("klist", &[], &env);
    same("klist", &["-l"], &env);
    let uid = kdc_client::config::current_uid().unwrap();
    let primary = kdc_client::ccache::CcacheName::parse(&collection)
        .unwrap()
        .open(uid)
        .unwrap();
    primary.save(&mit_cache()).unwrap();
    let second = primary.new_unique().unwrap().unwrap();
    let mut alice = mit_cache();
    alice.default_principal = Principal::parse("alice@EXAMPLE.COM", None).unwrap();
    second.save(&alice).unwrap();
    let second_name = second.name().to_string();
    for flags in CACHE_FLAGS {
        same("klist", flags, &env);
    }
    for flags in [&["-l"][..], &["-A"], &["-A", "-e"], &["-s"]] {
        same("klist", flags, &env);
        let mut args = flags.to_vec();
        args.extend(["-c", &second_name]);
        same("klist", &args, &[]);
    }
    same("kswitch", &["-c", &second_name], &[]);
    same("klist", &["-l"], &env);
    same("kswitch", &["-p", "user@EXAMPLE.COM"], &env);
    same("klist", &[], &env);
    let not_dir = d.join("plain");
    std::fs::write(&not_dir, b"").unwrap();
    let not_dir = format!("DIR:{}", s(&not_dir));
    let no_parent = "DIR::tkt".to_owned();
    let not_tkt = format!("DIR::{}/other", s(&dir));
    let missing = format!("DIR::{}/tktnone", s(&dir));
    for name in [&not_dir, &no_parent, &not_tkt, &missing] {
        same("klist", &["-c", name], &[]);
        same("kdestroy", &["-c", name], &[]);
    }
    run("kdestroy", &["-c", &second_name], &[]).unwrap();
    same("klist", &["-l"], &env);
    let o = run(KERB, &["kdestroy", "-A"], &env).unwrap();
    assert_eq!((o.code, o.stderr.as_str()), (Some(0), ""));
    same("klist", &["-l"], &env);
}
