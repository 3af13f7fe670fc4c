//! `kerb mysql` against the hostile MySQL test peer (`mysql_auth::test_server::hostile`: a
//! scripted double of a malicious server, run inside this test on 127.0.0.1, not a real
//! server). Every mode must end with a clear error and exit status 1, within a bound on time
//! and on memory (the `kerb` process's peak RSS, from `/usr/bin/time`, under 64 MiB), with no
//! panic, no raw control character in what `kerb` prints, and nothing given away: the password
//! `kerb` holds never reaches the server, and no Kerberos token goes where none is due.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{KERB, current_mit_cache};
use mysql_auth::test_server::TestServerConfig;
use mysql_auth::test_server::hostile::{Hostile, HostileServer};

const SPN: &str = "mysql/db.example.com@EXAMPLE.COM";
/// A database SPN in a realm that neither the dialed host (127.0.0.1, no `[domain_realm]`)
/// nor the client's realm (EXAMPLE.COM) vouches for.
const OTHER_REALM_SPN: &str = "mysql/db.example.com@EVIL.ORG";
const USER: &str = "karl";
/// The password `kerb mysql --password-stdin` holds: never to be sent in any form.
const PASSWORD: &str = "Passw0rd-never-sent";
/// Bound on one `kerb mysql` run (the slow server is cut by the 10 s connect timeout).
const TIME_BOUND: Duration = Duration::from_secs(60);
/// Bound on the peak RSS of one `kerb mysql` run, KiB.
const RSS_BOUND_KIB: u64 = 64 * 1024;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    rss_kib: u64,
}

/// A directory with a krb5.conf (no KDC, no DNS) and a FILE cache holding a current service
/// ticket of `karl@EXAMPLE.COM` for `spn` (MIT's recorded ticket, re-timed and relabelled:
/// the peer does not decrypt it, it only has to be a well-formed AP-REQ).
fn setup(name: &str, spn: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerb-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("krb5.conf"),
        "[libdefaults]\n default_realm = EXAMPLE.COM\n dns_lookup_kdc = false\n",
    )
    .unwrap();
    let mut cache = current_mit_cache(Some("karl@EXAMPLE.COM"));
    let karl = kdc_client::Principal::parse("karl@EXAMPLE.COM", None).unwrap();
    let spn = kdc_client::Principal::parse(spn, None).unwrap();
    for c in cache.credentials.iter_mut().filter(|c| !c.is_config()) {
        c.client = karl.clone();
        if !c.server.name.is_krbtgt() {
            c.server = spn.clone();
        }
    }
    cache.write_file(&dir.join("cc")).unwrap();
    dir
}

/// `kerb mysql` against `srv` with `args`, the password on stdin, under `/usr/bin/time`;
/// killed (and the test failed) past [`TIME_BOUND`].
fn kerb_mysql(dir: &Path, srv: &HostileServer, args: &[&str]) -> Run {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is needed to measure peak RSS (scripts/setup.sh installs it)"
    );
    let rss = dir.join("rss");
    let port = srv.addr().port().to_string();
    let mut child = Command::new(time)
        .arg("-o")
        .arg(&rss)
        .args(["-f", "%M", KERB, "mysql", "-h", "127.0.0.1", "-P", &port])
        .args(["-u", USER, "--password-stdin"])
        .args(args)
        .env("KRB5_CONFIG", dir.join("krb5.conf"))
        .env("KRB5CCNAME", format!("FILE:{}", dir.join("cc").display()))
        .env_remove("KRB5_TRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kerb runs");
    let mut stdin = child.stdin.take().unwrap();
    let _ = writeln!(stdin, "{PASSWORD}");
    drop(stdin);
    // Output is read on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            panic!("kerb mysql {args:?} still running after {TIME_BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
    let rss_kib = std::fs::read_to_string(&rss)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no RSS figure in {}", rss.display()));
    Run {
        code: status.code(),
        stdout: text(out.join().unwrap()),
        stderr: text(err.join().unwrap()),
        rss_kib,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// What every mode must show: exit 1 (no panic, no signal), a `mysql:` or `ERROR` line, no
/// raw control character but newlines, bounded memory, and the password never sent.
fn assert_clean_failure(what: &str, run: &Run, srv: &HostileServer) {
    assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{what}: raw control character in {name}: {text:?}"
        );
    }
    assert!(
        run.stderr.starts_with("mysql: ") || run.stderr.starts_with("ERROR "),
        "{what}: {}",
        run.stderr
    );
    assert!(
        run.stderr.len() < 2048,
        "{what}: {} bytes",
        run.stderr.len()
    );
    assert!(
        run.rss_kib < RSS_BOUND_KIB,
        "{what}: peak RSS {} KiB",
        run.rss_kib
    );
    assert!(
        !contains(&srv.received_bytes(), PASSWORD.as_bytes()),
        "{what}: the password reached the server"
    );
    println!(
        "{what}: peak RSS {} KiB; {}",
        run.rss_kib,
        run.stderr.trim_end()
    );
}

/// Whether a Kerberos token left: the krb5 mechanism OID (RFC 1964: 1.2.840.113554.1.2.2)
/// that frames every initial context token, in what the server received.
fn sent_a_token(srv: &HostileServer) -> bool {
    const KRB5_OID: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
    ];
    contains(&srv.received_bytes(), KRB5_OID)
}

async fn server(mode: Hostile, spn: &str) -> HostileServer {
    HostileServer::start(mode, TestServerConfig::mysql(spn, "EXAMPLE.COM"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_mode_ends_cleanly_and_bounded() {
    let plain = ["--ssl-mode", "DISABLED", "-e", "SELECT 1"];
    let no_mutual = ["--ssl-mode", "DISABLED", "--no-mutual", "-e", "SELECT 1"];
    let err = "\x1b[2J\x1b]0;owned\x07\u{9b}31m".repeat(10_000);
    let cases: Vec<(&str, Hostile, &str, &[&str], &str)> = vec![
        // (what, mode, SPN, args, expected in stderr)
        (
            "SPN krbtgt/",
            Hostile::EndlessMoreData,
            "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
            &plain,
            "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
        ),
        (
            "SPN host/",
            Hostile::EndlessMoreData,
            "host/db.example.com@EXAMPLE.COM",
            &plain,
            "not a database service",
        ),
        (
            "SPN in another realm",
            Hostile::EndlessMoreData,
            OTHER_REALM_SPN,
            &plain,
            "in realm EVIL.ORG, but the host '127.0.0.1' the client dialed maps to no realm",
        ),
        (
            "clear password",
            Hostile::SwitchTo("mysql_clear_password".into()),
            SPN,
            &plain,
            "mysql_clear_password",
        ),
        (
            "native password",
            Hostile::SwitchTo("mysql_native_password".into()),
            SPN,
            &plain,
            "mysql_native_password",
        ),
        (
            "endless AuthMoreData",
            Hostile::EndlessMoreData,
            SPN,
            &plain,
            "",
        ),
        ("chained packets", Hostile::Chained, SPN, &plain, ""),
        (
            "2^24 columns",
            Hostile::HugeColumnCount,
            SPN,
            &no_mutual,
            "",
        ),
        (
            "2^62-byte field",
            Hostile::HugeFieldLength,
            SPN,
            &no_mutual,
            "",
        ),
        // 1064 (a syntax error, say): not an access denial, so no retry with a fresh ticket.
        (
            "100 KiB ERR of escapes",
            Hostile::Err(1064, err),
            SPN,
            &plain,
            "ERROR 1064 (HY000): ",
        ),
        (
            "no TLS under REQUIRED",
            Hostile::NoTls,
            SPN,
            &["--ssl-mode", "REQUIRED", "-e", "SELECT 1"],
            "TLS",
        ),
        (
            "OK without the AP-REP",
            Hostile::OkWithoutApRep,
            SPN,
            &plain,
            "",
        ),
        (
            "OK without Kerberos",
            Hostile::OkWithoutKerberos,
            SPN,
            &plain,
            "",
        ),
        (
            "one byte every 2 s",
            Hostile::Slow,
            SPN,
            &plain,
            "timed out",
        ),
    ];
    for (what, mode, spn, args, expect) in cases {
        let srv = server(mode.clone(), spn).await;
        // A fresh cache each time: a failed login drops the cached ticket (the retry for
        // rotated keys), and a token mode needs one.
        let d = setup(
            &what.replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
            spn,
        );
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (run, srv) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (kerb_mysql(&d, &srv, &args), srv)
        })
        .await
        .unwrap();
        assert_clean_failure(what, &run, &srv);
        assert!(run.stderr.contains(expect), "{what}: {}", run.stderr);
        match mode {
            // The hostile part comes after our token: it must have been sent.
            Hostile::EndlessMoreData
            | Hostile::HugeColumnCount
            | Hostile::HugeFieldLength
            | Hostile::Err(..)
            | Hostile::OkWithoutApRep
                if spn == SPN =>
            {
                assert!(sent_a_token(&srv), "{what}: no Kerberos token was sent")
            }
            // Refused before any ticket is used: no token leaves.
            Hostile::EndlessMoreData if spn != SPN => {
                assert!(!sent_a_token(&srv), "{what}: a Kerberos token was sent")
            }
            Hostile::SwitchTo(_) | Hostile::NoTls | Hostile::Chained | Hostile::Slow => {
                assert!(!sent_a_token(&srv), "{what}: a Kerberos token was sent")
            }
            _ => {}
        }
    }
}

/// Hostile mode "SPN in another realm" under the two ways out: `--spn` pinning exactly that
/// SPN, or `--allow-any-spn`, let the login go on (the Kerberos token is sent; the endless
/// AuthMoreData then fails it cleanly). Refusal by default is a case of
/// `every_hostile_mode_ends_cleanly_and_bounded`.
#[tokio::test(flavor = "multi_thread")]
async fn spn_in_another_realm_is_accepted_when_pinned_or_allowed() {
    let pinned: &[&str] = &["--spn", OTHER_REALM_SPN];
    for (what, extra) in [("--spn", pinned), ("--allow-any-spn", &["--allow-any-spn"])] {
        let srv = server(Hostile::EndlessMoreData, OTHER_REALM_SPN).await;
        let d = setup(
            &format!("other-realm{}", what.trim_start_matches('-')),
            OTHER_REALM_SPN,
        );
        let mut args = vec!["--ssl-mode", "DISABLED", "-e", "SELECT 1"];
        args.extend_from_slice(extra);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (run, srv) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            (kerb_mysql(&d, &srv, &args), srv)
        })
        .await
        .unwrap();
        assert_clean_failure(what, &run, &srv);
        assert!(!run.stderr.contains("refusing"), "{what}: {}", run.stderr);
        assert!(sent_a_token(&srv), "{what}: no Kerberos token was sent");
    }
}
