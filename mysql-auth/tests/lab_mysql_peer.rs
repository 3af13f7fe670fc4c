//! MySQL `authentication_kerberos` logins with the REAL Kerberos stack end to end:
//! [`KerberosInitiator`] (ccache, in-process AS, cross-realm TGS walk against the lab's MIT
//! KDCs) against the project's test peer (`test_server`) whose acceptor is real —
//! `gss_mech::Acceptor`, or MIT's own acceptor through `lab/gss_acceptor.py` — holding the
//! lab's `$LAB_MYSQL_KEYTAB` (`mysql/db.ad.myaws.com@AD.MYAWS.COM`).
//!
//! Why a test peer: the `authentication_kerberos` server plugin is MySQL Enterprise only
//! (closed source) and no real MySQL/Aurora server can run here. The peer is faithful to it
//! as MySQL's client plugin (`libmysql/authentication_kerberos/auth_kerberos_client_io.cc`)
//! shows it: greeting or AuthSwitchRequest carrying
//! `u16 len, SPN, u16 len, UPN realm`, the raw initial context token from the client, the
//! AP-REP in AuthMoreData (`0x01`) when mutual authentication was asked for, and the
//! server-side check that the authenticated principal equals `user@realm` (ERR 1045 else).
//! `#[ignore]`d: run with the lab up and its `env.sh` sourced.
#![cfg(feature = "test-server")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use gss_mech::{Acceptor, AcceptorOptions};
use kdc_client::Principal;
use kdc_client::ccache::{Ccache, CcacheHandle};
use kdc_client::client::Client;
use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::crypto::OsRandom;
use kdc_client::exchange::{Secret, Timestamp};
use kdc_client::keytab::Keytab;
use mysql_auth::connector::{ConnectOptions, Connection, Error, Initiator, SslMode};
use mysql_auth::kerberos::{CacheSource, KerberosInitiator};
use mysql_auth::test_server::{
    AcceptStep, Announce, TestAcceptor, TestServer, TestServerConfig, TokenFraming,
};
use mysql_auth::{ContextRequest, GssError, GssInitiator, GssStep, KerberosPlugin};
use zeroize::Zeroizing;

fn lab(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} unset: source the lab's env.sh"))
}

fn client() -> Client {
    Client::new(Krb5Conf::load(Some(&lab("KRB5_CONFIG"))).unwrap())
}

fn cache_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kerb-lab-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// A cache holding only joedoe's TGT (what `kinit` leaves).
async fn kinit(name: &str) -> PathBuf {
    let path = cache_path(name);
    let c = client();
    let me = Principal::parse(&lab("LAB_USER_PRINCIPAL"), None).unwrap();
    let init = c
        .get_initial_creds(
            c.initial_options(me.clone()),
            Secret::Password(Zeroizing::new(lab("LAB_USER_PASSWORD"))),
        )
        .await
        .unwrap();
    let mut cc = Ccache::new(me);
    cc.store(init.creds.to_ccache());
    cc.write_file(&path).unwrap();
    path
}

fn initiator(path: &Path, mutual: bool) -> KerberosInitiator {
    KerberosInitiator::new(client(), CacheSource::new(CcacheHandle::file(path)))
        .unwrap()
        .with_mutual(mutual)
}

/// The MySQL server's check: the authenticated principal must be `user@realm`.
fn check_upn(user: &str, realm: &str, actual: &str) -> Result<(), String> {
    let want = format!("{user}@{realm}");
    if actual != want {
        return Err(format!(
            "Access denied: Kerberos principal '{actual}' is not the account's UPN '{want}'"
        ));
    }
    Ok(())
}

/// `gss_mech::Acceptor` with the lab's MySQL keytab.
struct MechAcceptor {
    acceptor: Acceptor,
    realm: String,
    mutual_seen: Arc<std::sync::atomic::AtomicBool>,
}

impl TestAcceptor for MechAcceptor {
    fn accept(&mut self, user: &str, token: &[u8]) -> Result<AcceptStep, String> {
        let a = self
            .acceptor
            .accept(token, Timestamp::now(), &mut OsRandom)
            .map_err(|e| format!("GSS-API accept failed: {e}"))?;
        check_upn(user, &self.realm, &a.initiator.to_string())?;
        if a.output_token.is_some() {
            self.mutual_seen
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(AcceptStep {
            token: a.output_token,
            complete: true,
        })
    }
}

/// MIT's acceptor (`lab/gss_acceptor.py`, python3-gssapi over libgssapi_krb5).
struct MitAcceptor {
    realm: String,
}

impl TestAcceptor for MitAcceptor {
    fn accept(&mut self, user: &str, token: &[u8]) -> Result<AcceptStep, String> {
        let mut child = Command::new(lab("LAB_PYTHON"))
            .arg(lab("LAB_GSS_ACCEPTOR"))
            .args(["--service", &lab("LAB_MYSQL_SPN"), "--exit-when-complete"])
            .env("KRB5_KTNAME", format!("FILE:{}", lab("LAB_MYSQL_KEYTAB")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        writeln!(stdin, "{}", hex::encode(token)).map_err(|e| e.to_string())?;
        drop(stdin);
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        let mut reply = None;
        let mut initiator = None;
        for line in BufReader::new(&out.stdout[..]).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if line.starts_with('{') {
                let v = line.as_str();
                if v.contains("\"established\"")
                    && let Some(rest) = v.split("\"initiator\":").nth(1)
                {
                    initiator = rest.split('"').nth(1).map(str::to_owned);
                }
            } else if !line.trim().is_empty() {
                reply = Some(hex::decode(line.trim()).map_err(|e| e.to_string())?);
            }
        }
        let Some(initiator) = initiator else {
            return Err(format!(
                "MIT acceptor: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        };
        check_upn(user, &self.realm, &initiator)?;
        Ok(AcceptStep {
            token: reply,
            complete: true,
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum Which {
    Mech,
    Mit,
}

fn server_tls() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(lab("LAB_TLS_SERVER_CERT"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(lab("LAB_TLS_SERVER_KEY")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

async fn server(
    which: Which,
    announce: Announce,
    tls: bool,
) -> (TestServer, Arc<std::sync::atomic::AtomicBool>) {
    let realm = lab("LAB_USER_REALM");
    let mut cfg = TestServerConfig::mysql(&lab("LAB_MYSQL_SPN"), &realm);
    cfg.announce = announce;
    cfg.framing = TokenFraming::AuthMoreData;
    if tls {
        cfg.tls = Some(server_tls());
    }
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen2 = seen.clone();
    let srv = TestServer::start(cfg, move || -> Box<dyn TestAcceptor> {
        match which {
            Which::Mech => {
                let kt = Keytab::read_file(Path::new(&lab("LAB_MYSQL_KEYTAB"))).unwrap();
                let spn = Principal::parse(&lab("LAB_MYSQL_SPN"), None).unwrap();
                Box::new(MechAcceptor {
                    acceptor: Acceptor::new(kt, AcceptorOptions::default().with_service(spn)),
                    realm: realm.clone(),
                    mutual_seen: seen2.clone(),
                })
            }
            Which::Mit => Box::new(MitAcceptor {
                realm: realm.clone(),
            }),
        }
    })
    .await
    .unwrap();
    (srv, seen)
}

fn opts(srv: &TestServer, user: &str, mode: SslMode) -> ConnectOptions {
    // What `kerb mysql` announces; the server's switch / greeting picks the plugin.
    let mut o = ConnectOptions::new("127.0.0.1", user, KerberosPlugin::MysqlKerberos);
    o.port = srv.addr().port();
    o.ssl_mode = mode;
    if matches!(mode, SslMode::VerifyCa | SslMode::VerifyIdentity) {
        o.ssl_ca = Some(PathBuf::from(lab("LAB_CA")));
    }
    o
}

async fn current_user(c: &mut Connection) -> String {
    let r = c.query("SELECT CURRENT_USER()").await.unwrap();
    String::from_utf8(r.rows[0][0].clone().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn switch_and_greeting_paths_tls_and_mutual_with_both_acceptors() {
    let user = lab("LAB_USER");
    for which in [Which::Mech, Which::Mit] {
        for announce in [Announce::Switch, Announce::Greeting] {
            for (tls, mode) in [(false, SslMode::Disabled), (true, SslMode::VerifyIdentity)] {
                for mutual in [false, true] {
                    let what = format!("{which:?} {announce:?} {mode:?} mutual={mutual}");
                    let (srv, seen) = server(which, announce, tls).await;
                    let path = kinit(&format!("{which:?}-{announce:?}-{tls}-{mutual}")).await;
                    let mut init = initiator(&path, mutual);
                    let mut c = Connection::connect(&opts(&srv, &user, mode), &mut init)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(c.is_tls(), tls, "{what}");
                    assert_eq!(
                        c.authenticated().plugin,
                        "authentication_kerberos_client",
                        "{what}"
                    );
                    assert_eq!(current_user(&mut c).await, format!("{user}@%"), "{what}");
                    c.quit().await.unwrap();
                    if matches!(which, Which::Mech) {
                        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), mutual);
                    }
                    // The cross-realm walk ran during the login and its tickets were stored.
                    assert!(!init.ticket_from_cache(), "{what}");
                    let cc = Ccache::read_file(&path).unwrap();
                    let spn = Principal::parse(&lab("LAB_MYSQL_SPN"), None).unwrap();
                    assert!(cc.retrieve(&spn).is_some(), "{what}");
                    // Second login: the cached ticket, no KDC.
                    let mut init = initiator(&path, mutual);
                    let c = Connection::connect(&opts(&srv, &user, mode), &mut init)
                        .await
                        .unwrap_or_else(|e| panic!("{what} (cached): {e}"));
                    assert!(init.ticket_from_cache(), "{what}");
                    c.quit().await.unwrap();
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn password_path_with_an_empty_cache() {
    for which in [Which::Mech, Which::Mit] {
        let (srv, _) = server(which, Announce::Switch, false).await;
        let path = cache_path(&format!("empty-{which:?}"));
        let mut init =
            initiator(&path, true).with_password(Zeroizing::new(lab("LAB_USER_PASSWORD")));
        let user = lab("LAB_USER");
        let mut c = Connection::connect(&opts(&srv, &user, SslMode::Disabled), &mut init)
            .await
            .unwrap_or_else(|e| panic!("{which:?}: {e}"));
        assert_eq!(current_user(&mut c).await, format!("{user}@%"));
        assert!(!path.exists(), "the TGT is not stored unless asked");
        // Without the password: a clear client-side error.
        let mut init = initiator(&path, false);
        let e = Connection::connect(&opts(&srv, &user, SslMode::Disabled), &mut init)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("No Kerberos credentials for joedoe@ONPREM.LOCAL"),
            "{e}"
        );
    }
}

/// Presents the ccache principal's ticket whatever account the handshake names (a client
/// that does not build the UPN), so that the SERVER's mapping check is what refuses.
struct IgnoreUpn(KerberosInitiator, String);

impl IgnoreUpn {
    fn fix(&self, req: &ContextRequest) -> ContextRequest {
        ContextRequest {
            user: self.1.clone(),
            ..req.clone()
        }
    }
}

impl Initiator for IgnoreUpn {
    async fn acquire(&mut self, req: &ContextRequest) -> Result<(), GssError> {
        let fixed = self.fix(req);
        self.0.acquire(&fixed).await
    }
}

impl GssInitiator for IgnoreUpn {
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
        let fixed = self.fix(req);
        self.0.initial_token(&fixed)
    }
    fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError> {
        self.0.step(token)
    }
    fn spn_context(&self, dialed_host: &str) -> mysql_auth::SpnContext {
        self.0.spn_context(dialed_host)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn wrong_user_refused() {
    let alice = lab("LAB_USER2");
    for which in [Which::Mech, Which::Mit] {
        let (srv, _) = server(which, Announce::Switch, false).await;
        let path = kinit(&format!("wrong-{which:?}")).await;
        // Our client: the UPN alice@ONPREM.LOCAL has no TGT in joedoe's cache.
        let mut init = initiator(&path, false);
        let e = Connection::connect(&opts(&srv, &alice, SslMode::Disabled), &mut init)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("No Kerberos credentials for alice@ONPREM.LOCAL"),
            "{e}"
        );
        // A client sending joedoe's ticket for account alice: the server refuses.
        let mut init = IgnoreUpn(initiator(&path, false), lab("LAB_USER"));
        let e = Connection::connect(&opts(&srv, &alice, SslMode::Disabled), &mut init)
            .await
            .unwrap_err();
        match e {
            Error::Server(p) => {
                assert_eq!((p.code, p.sql_state.as_str()), (1045, "28000"));
                assert!(
                    p.message.contains(
                        "'joedoe@ONPREM.LOCAL' is not the account's UPN 'alice@ONPREM.LOCAL'"
                    ),
                    "{}",
                    p.message
                );
            }
            e => panic!("{which:?}: {e}"),
        }
    }
}

/// `LocalProxy` in front of the MySQL peer: the real `mariadb` CLI, with no Kerberos plugin
/// available, logs in through it with `authentication_kerberos` (plain and TLS upstream); an
/// account whose UPN has no TGT gets the proxy's ERR 1045 naming the missing credentials.
#[cfg(feature = "proxy")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab"]
async fn proxy_logs_the_mariadb_cli_in_with_authentication_kerberos() {
    use mysql_auth::proxy::credentials::{SharedCredentials, TgtSource};
    use mysql_auth::proxy::{LocalProxy, ProxyConfig};
    use std::os::unix::fs::PermissionsExt as _;

    let user = lab("LAB_USER");
    for (tls, mode) in [(false, SslMode::Disabled), (true, SslMode::VerifyIdentity)] {
        let (srv, _) = server(Which::Mech, Announce::Switch, tls).await;
        let path = kinit(&format!("proxy-{tls}")).await;
        let cache = CacheSource::new(CcacheHandle::file(&path));
        let creds = SharedCredentials::new(client(), cache, TgtSource::Cache)
            .await
            .unwrap();
        let dir = cache_path(&format!("proxy-dir-{tls}"));
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let proxy = LocalProxy::start(
            dir.join("p.sock"),
            ProxyConfig::new(opts(&srv, "", mode)),
            Arc::new(creds),
        )
        .await
        .unwrap();
        let mariadb = |account: String| {
            let sock = proxy.path().to_owned();
            let plugins = format!("--plugin-dir={}", dir.join("empty").display());
            tokio::task::spawn_blocking(move || {
                Command::new("mariadb")
                    .args(["--no-defaults", &plugins, "-S"])
                    .arg(&sock)
                    .args(["-u", &account, "-B", "-N", "-e", "SELECT CURRENT_USER()"])
                    .output()
                    .unwrap()
            })
        };
        let out = mariadb(user.clone()).await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{user}@%\n"));
        let out = mariadb(lab("LAB_USER2")).await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("ERROR 1045 (28000): kerb proxy: ")
                && err.contains("No Kerberos credentials for alice@ONPREM.LOCAL"),
            "{err}"
        );
        proxy.shutdown().await.unwrap();
        assert!(!dir.join("p.sock").exists());
    }
}
