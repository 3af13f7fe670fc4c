//! Helpers shared by the tests of the CLI.
// Each test crate compiles this module and uses a part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// The `kerb` binary under test.
pub const KERB: &str = env!("CARGO_BIN_EXE_kerb");

/// A variable of the lab's `env.sh`.
pub fn lab(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} unset: source the lab's env.sh"))
}

/// A fresh FILE cache name, unique to this test process, `prefix` and `name`.
pub fn cache(prefix: &str, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kerb-{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    format!("FILE:{}", path.display())
}

/// Run `program args` with `KRB5CCNAME=ccache`, feeding `stdin` verbatim (a program that exits
/// without reading it, as a kinit failing early does, is fine).
pub fn run(program: &str, args: &[&str], ccache: &str, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("KRB5CCNAME", ccache)
        .env_remove("KRB5_TRACE");
    feed(&mut cmd, stdin.unwrap_or_default())
}

/// Run `cmd` with its output captured and `stdin` fed verbatim, then closed (a program that
/// exits without reading it, as a kinit failing early does, is fine).
pub fn feed(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

/// The stdout of a successful run; otherwise fail with everything it printed.
pub fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The password of a lab user.
pub fn password(user: &str) -> String {
    if user == lab("LAB_USER_PRINCIPAL") {
        lab("LAB_USER_PASSWORD")
    } else {
        lab("LAB_USER2_PASSWORD")
    }
}

/// `kinit -V user` by `program` (MIT's `kinit`, or [`KERB`]) into `cc`, the password on
/// stdin; the "Using ... cache" lines it printed.
pub fn kinit_verbose(program: &str, user: &str, cc: &str) -> Vec<String> {
    let args: Vec<&str> = if program == KERB {
        vec!["kinit", "-V", user]
    } else {
        vec!["-V", user]
    };
    let o = run(program, &args, cc, Some(&format!("{}\n", password(user))));
    ok(&o);
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("Using ") && l.contains(" cache: "))
        .map(str::to_owned)
        .collect()
}

/// MIT's klist and ours on `cc` print the same stdout and stderr and exit the same; their
/// stdout and exit status.
pub fn same_klist(args: &[&str], cc: &str) -> (String, Option<i32>) {
    let text = |o: &Output| {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            o.status.code(),
        )
    };
    let mit = text(&run("klist", args, cc, None));
    let mut kargs = vec!["klist"];
    kargs.extend_from_slice(args);
    let ours = text(&run(KERB, &kargs, cc, None));
    assert_eq!(ours, mit, "klist {args:?} of {cc}");
    (mit.0, mit.2)
}

/// [`same_klist`] of a listing that must succeed: its stdout.
pub fn same_listing(args: &[&str], cc: &str) -> String {
    let (out, code) = same_klist(args, cc);
    assert_eq!(code, Some(0), "klist {args:?} of {cc}: {out}");
    out
}

/// `kvno -k KEYTAB spn` on `cc`: MIT decrypts the cached service ticket of the lab's MariaDB
/// with the service's key.
pub fn mit_verifies_service_ticket(cc: &str) {
    let spn = lab("LAB_MARIADB_SPN");
    let keytab = lab("LAB_MARIADB_KEYTAB");
    let out = ok(&run("kvno", &["-k", &keytab, &spn], cc, None));
    assert!(out.contains("keytab entry valid"), "{out}");
}

/// Run one kadmin.local query on the user realm's database (the lab's KDC-side profile);
/// fail the test if it reports an error.
pub fn kadmin_local(query: &str) {
    let o = Command::new("kadmin.local")
        .args(["-r", &lab("LAB_USER_REALM"), "-q", query])
        .env("KRB5_CONFIG", lab("LAB_KDC_KRB5_CONFIG_ONPREM"))
        .env("KRB5_KDC_PROFILE", lab("LAB_KDC_PROFILE_ONPREM"))
        .output()
        .expect("kadmin.local");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !err.contains("while "),
        "kadmin.local {query}: {err}"
    );
}

/// The cache MIT made (`vectors/data/ccache-mit.txt`, record `kinit-kvno`), byte-exact: for
/// comparisons in which both tools read the same file.
pub fn mit_cache() -> kdc_client::ccache::Ccache {
    let rec = vectors::load("ccache-mit.txt")
        .into_iter()
        .find(|r| r.get("name") == "kinit-kvno")
        .unwrap();
    kdc_client::ccache::Ccache::parse(&rec.hex("bytes")).unwrap()
}

/// `mit_cache()` re-timed to the clock: every time moves by the same amount, so that the first
/// credential was issued now and the recorded lifetimes and renewal windows stay as MIT made
/// them. This is the one mechanism that keeps the behaviour tests independent of the date (the
/// recorded tickets expired long ago); `mit_cache()` itself stays byte-exact for the tests that
/// compare both tools' listings of the same file. `client` replaces the default principal.
pub fn current_mit_cache(client: Option<&str>) -> kdc_client::ccache::Ccache {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let mut c = mit_cache();
    if let Some(name) = client {
        c.default_principal = kdc_client::Principal::parse(name, None).unwrap();
    }
    let issued = c
        .credentials
        .iter()
        .find(|c| !c.is_config())
        .expect("the recorded cache holds a ticket")
        .authtime;
    // Signed: the clock may be before the recording (a test run under a shifted clock).
    let shift = i64::try_from(now).unwrap() - i64::from(issued);
    let moved = |t: &mut u32| {
        // 0 means "absent" in the FILE format and stays so.
        if *t != 0 {
            *t = u32::try_from(i64::from(*t) + shift).expect("re-timed time fits the format");
        }
    };
    for cred in c.credentials.iter_mut().filter(|c| !c.is_config()) {
        moved(&mut cred.authtime);
        moved(&mut cred.starttime);
        moved(&mut cred.endtime);
        moved(&mut cred.renew_till);
    }
    c
}

/// The stdout of our kinit and MIT's, run one after the other (ours first): the same lines,
/// except that the whole days of an expiry warning ("Warning: Your password will expire in N
/// days on DATE"), counted from each run's own second, may be one fewer in MIT's when a
/// second boundary fell between the runs. The text and the expiry time must be the same.
pub fn assert_same_kinit_output(ours: &str, mit: &str) {
    const WARNING: &str = "Warning: Your password will expire in ";
    let (o, m): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), mit.lines().collect());
    assert_eq!(
        o.len(),
        m.len(),
        "stdout of kinit (ours, then MIT's):\n{ours}\n{mit}"
    );
    for (a, b) in o.iter().zip(&m) {
        let days = |w: &str| {
            let rest = w.strip_prefix(WARNING)?;
            let (n, tail) = rest.split_once(' ')?;
            Some((n.parse::<u64>().ok()?, tail.to_owned()))
        };
        match (days(a), days(b)) {
            (Some((n_ours, tail_ours)), Some((n_mit, tail_mit))) => {
                assert_eq!(tail_ours, tail_mit, "expiry warnings (ours, then MIT's)");
                assert!(
                    n_ours == n_mit || n_ours == n_mit + 1,
                    "expiry warnings (ours, then MIT's): {a:?} / {b:?}"
                );
            }
            _ => assert_eq!(a, b, "stdout of kinit (ours, then MIT's)"),
        }
    }
}
