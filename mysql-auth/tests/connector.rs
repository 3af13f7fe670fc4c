//! The connector against the in-process test server (feature `test-server`), with a fake
//! initiator/acceptor pair: tokens are opaque bytes to this crate. This is a mock peer for the
//! MySQL Enterprise `authentication_kerberos` plugin, whose server source is not public.
#![cfg(feature = "test-server")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mysql_auth::connector::{ConnectOptions, Connection, Error, SslMode};
use mysql_auth::test_server::{
    AcceptStep, Announce, TestAcceptor, TestServer, TestServerConfig, TokenFraming,
};
use mysql_auth::{ContextRequest, GssError, GssInitiator, GssStep, KerberosPlugin, SpnContext};

const AP_REP: &[u8] = b"\x60FAKE-AP-REP";

/// Initiator: token = 0x60 "FAKE-AP-REQ:" SPN "|" UPN-or-user "|" mutual-flag.
struct FakeInitiator {
    mutual: bool,
    verified: bool,
}

impl GssInitiator for FakeInitiator {
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
        let who = req.upn().unwrap_or_else(|| req.user.clone());
        let t = format!(
            "\x60FAKE-AP-REQ:{}|{}|{}",
            req.spn,
            who,
            if self.mutual { "M" } else { "-" }
        );
        Ok(GssStep {
            token: Some(t.into_bytes()),
            complete: !self.mutual,
        })
    }
    fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError> {
        if token != AP_REP {
            return Err(format!("AP-REP verification failed: {token:02x?}").into());
        }
        self.verified = true;
        Ok(GssStep {
            token: None,
            complete: true,
        })
    }
    /// A client of EXAMPLE.COM, the test SPNs' realm.
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        SpnContext::new(dialed_host, None, Some("EXAMPLE.COM".into()))
    }
}

/// Acceptor: checks SPN and client name, answers an AP-REP when the mutual flag is set.
struct FakeAcceptor {
    spn: String,
    expect_client: Option<String>,
}

impl TestAcceptor for FakeAcceptor {
    fn accept(&mut self, user: &str, token: &[u8]) -> Result<AcceptStep, String> {
        let s = String::from_utf8_lossy(token);
        let body = s
            .strip_prefix("\x60FAKE-AP-REQ:")
            .ok_or("not an AP-REQ token")?;
        let mut f = body.split('|');
        let (spn, who, m) = (
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
        );
        if spn != self.spn {
            return Err(format!("wrong SPN {spn}"));
        }
        let want = self
            .expect_client
            .clone()
            .unwrap_or_else(|| user.to_owned());
        if who != want {
            return Err(format!(
                "GSSAPI name mismatch, requested '{want}', actual name '{who}'"
            ));
        }
        Ok(AcceptStep {
            token: (m == "M").then(|| AP_REP.to_vec()),
            complete: true,
        })
    }
}

const MY_SPN: &str = "mysql/db.example.com@EXAMPLE.COM";
const MA_SPN: &str = "mariadb/db.example.com@EXAMPLE.COM";

async fn server(cfg: TestServerConfig, expect_client: Option<&str>) -> TestServer {
    let spn = cfg.spn.clone();
    let exp = expect_client.map(str::to_owned);
    TestServer::start(cfg, move || {
        Box::new(FakeAcceptor {
            spn: spn.clone(),
            expect_client: exp.clone(),
        })
    })
    .await
    .unwrap()
}

fn opts(srv: &TestServer, user: &str, plugin: KerberosPlugin, mode: SslMode) -> ConnectOptions {
    let mut o = ConnectOptions::new("127.0.0.1", user, plugin);
    o.port = srv.addr().port();
    o.ssl_mode = mode;
    o
}

async fn current_user(c: &mut Connection) -> String {
    let r = c.query("SELECT CURRENT_USER()").await.unwrap();
    assert_eq!(r.columns, vec!["CURRENT_USER()"]);
    assert_eq!(r.rows.len(), 1);
    String::from_utf8(r.rows[0][0].clone().unwrap()).unwrap()
}

#[tokio::test]
async fn mysql_switch_path_and_queries() {
    let srv = server(
        TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM"),
        Some("karl@EXAMPLE.COM"),
    )
    .await;
    let mut g = FakeInitiator {
        mutual: false,
        verified: false,
    };
    let mut c = Connection::connect(
        &opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Disabled,
        ),
        &mut g,
    )
    .await
    .unwrap();
    assert!(!c.is_tls());
    assert_eq!(c.server_version(), "8.0.36-test");
    assert_eq!(current_user(&mut c).await, "karl@%");
    let r = c.query("SELECT 1, NULL").await.unwrap();
    assert_eq!(r.rows, vec![vec![Some(b"1".to_vec()), None]]);
    let r = c.query("DO 1").await.unwrap();
    assert!(r.columns.is_empty());
    match c.query("SELEKT").await {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1064);
            assert_eq!(e.sql_state, "42000");
        }
        r => panic!("{r:?}"),
    }
    c.ping().await.unwrap();
    c.quit().await.unwrap();
}

#[tokio::test]
async fn split_packets_and_fe_prefixed_row() {
    for deprecate_eof in [true, false] {
        let mut cfg = TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM");
        cfg.deprecate_eof = deprecate_eof;
        let srv = server(cfg, Some("karl@EXAMPLE.COM")).await;
        let mut g = FakeInitiator {
            mutual: false,
            verified: false,
        };
        let mut o = opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Disabled,
        );
        o.max_packet = 32 << 20;
        let mut c = Connection::connect(&o, &mut g).await.unwrap();
        let r = c.query("SELECT BIG").await.unwrap();
        assert_eq!(r.rows.len(), 1);
        let v = r.rows[0][0].as_ref().unwrap();
        assert_eq!(v.len(), 1 << 24);
        assert!(v.iter().all(|&b| b == b'x'));
        // The connection is still in sync afterwards.
        assert_eq!(current_user(&mut c).await, "karl@%");
        // With the default 16 MiB bound the same row is refused, not buffered.
        let mut o2 = o.clone();
        o2.max_packet = 16 << 20;
        let mut c2 = Connection::connect(&o2, &mut g).await.unwrap();
        assert!(matches!(
            c2.query("SELECT BIG").await,
            Err(Error::Protocol(
                mysql_auth::ProtocolError::PacketTooLarge { .. }
            ))
        ));
    }
}

#[tokio::test]
async fn mariadb_greeting_path() {
    let mut cfg = TestServerConfig::mariadb(MA_SPN);
    cfg.announce = Announce::Greeting;
    let srv = server(cfg, None).await;
    let mut g = FakeInitiator {
        mutual: true,
        verified: false,
    };
    let mut c = Connection::connect(
        &opts(
            &srv,
            "usr1",
            KerberosPlugin::MariadbGssapi,
            SslMode::Disabled,
        ),
        &mut g,
    )
    .await
    .unwrap();
    assert!(g.verified);
    assert_eq!(current_user(&mut c).await, "usr1@%");
}

#[tokio::test]
async fn mysql_greeting_path_mutual() {
    let mut cfg = TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM");
    cfg.announce = Announce::Greeting;
    let srv = server(cfg, Some("karl@EXAMPLE.COM")).await;
    let mut g = FakeInitiator {
        mutual: true,
        verified: false,
    };
    let mut c = Connection::connect(
        &opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Disabled,
        ),
        &mut g,
    )
    .await
    .unwrap();
    assert!(g.verified);
    assert_eq!(current_user(&mut c).await, "karl@%");
}

#[tokio::test]
async fn mysql_mutual_in_auth_more_data_over_tls_required() {
    let pki = Pki::new();
    let mut cfg = TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM");
    cfg.tls = Some(pki.server_config(&["db.example.com"]));
    let srv = server(cfg, Some("karl@EXAMPLE.COM")).await;
    let mut g = FakeInitiator {
        mutual: true,
        verified: false,
    };
    let mut c = Connection::connect(
        &opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Required,
        ),
        &mut g,
    )
    .await
    .unwrap();
    assert!(g.verified);
    assert!(c.is_tls());
    assert_eq!(current_user(&mut c).await, "karl@%");
}

#[tokio::test]
async fn server_err_is_verbatim() {
    let srv = server(
        TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM"),
        Some("someone@EXAMPLE.COM"),
    )
    .await;
    let mut g = FakeInitiator {
        mutual: false,
        verified: false,
    };
    let e = Connection::connect(
        &opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Disabled,
        ),
        &mut g,
    )
    .await
    .unwrap_err();
    match e {
        Error::Server(e) => {
            assert_eq!(e.code, 1045);
            assert_eq!(e.sql_state, "28000");
            assert_eq!(
                e.message,
                "GSSAPI name mismatch, requested 'someone@EXAMPLE.COM', actual name 'karl@EXAMPLE.COM'"
            );
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn mariadb_raw_and_prefixed_ap_rep() {
    for framing in [TokenFraming::Raw, TokenFraming::AuthMoreData] {
        let mut cfg = TestServerConfig::mariadb(MA_SPN);
        cfg.framing = framing;
        let srv = server(cfg, None).await;
        let mut g = FakeInitiator {
            mutual: true,
            verified: false,
        };
        let mut c = Connection::connect(
            &opts(
                &srv,
                "usr1",
                KerberosPlugin::MariadbGssapi,
                SslMode::Preferred,
            ),
            &mut g,
        )
        .await
        .unwrap();
        assert!(g.verified);
        assert!(!c.is_tls()); // PREFERRED, server offers no TLS
        // EOF-terminated result set (no CLIENT_DEPRECATE_EOF on this server)
        assert_eq!(current_user(&mut c).await, "usr1@%");
        let r = c.query("SELECT 1, NULL").await.unwrap();
        assert_eq!(r.rows, vec![vec![Some(b"1".to_vec()), None]]);
        c.quit().await.unwrap();
    }
}

#[tokio::test]
async fn mariadb_empty_spn_is_misconfiguration() {
    let srv = server(TestServerConfig::mariadb(""), None).await;
    let mut g = FakeInitiator {
        mutual: false,
        verified: false,
    };
    let e = Connection::connect(
        &opts(
            &srv,
            "usr1",
            KerberosPlugin::MariadbGssapi,
            SslMode::Disabled,
        ),
        &mut g,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("server misconfiguration"), "{e}");
}

/// Counts what a hostile server got out of the client: `prepare` calls (ticket fetches)
/// and initial tokens (AP-REQs).
#[derive(Default)]
struct CountingInitiator {
    prepared: Arc<AtomicUsize>,
    tokens: Arc<AtomicUsize>,
    dialed: std::sync::Mutex<Vec<String>>,
}

impl GssInitiator for CountingInitiator {
    fn prepare<'a>(&'a mut self, _: &'a ContextRequest) -> mysql_auth::PrepareFuture<'a> {
        self.prepared.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::ready(Ok(())))
    }
    fn initial_token(&mut self, _: &ContextRequest) -> Result<GssStep, GssError> {
        self.tokens.fetch_add(1, Ordering::SeqCst);
        Ok(GssStep {
            token: Some(b"\x60FAKE-AP-REQ".to_vec()),
            complete: true,
        })
    }
    fn step(&mut self, _: &[u8]) -> Result<GssStep, GssError> {
        Err("unexpected".into())
    }
    /// A client of EXAMPLE.COM whose `[domain_realm]` maps no host.
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        if let Ok(mut d) = self.dialed.lock() {
            d.push(dialed_host.to_owned());
        }
        SpnContext::new(dialed_host, None, Some("EXAMPLE.COM".into()))
    }
}

/// Acceptor that counts the tokens it was given.
struct CountingAcceptor(Arc<AtomicUsize>);

impl TestAcceptor for CountingAcceptor {
    fn accept(&mut self, _: &str, _: &[u8]) -> Result<AcceptStep, String> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(AcceptStep {
            token: None,
            complete: true,
        })
    }
}

/// A server asking for a KDC service, a non-database service or a database SPN in a realm
/// the client has no reason to trust for the dialed host gets no AP-REQ (and the client
/// fetches no ticket), on both plugins and both announcement paths; the opt-outs (`--spn`,
/// `--allow-any-spn`) let a non-database SPN or another realm through but never
/// krbtgt/kadmin.
#[tokio::test]
async fn spn_policy_refuses_before_any_ticket() {
    use mysql_auth::SpnPolicy;
    let cases: &[(&str, SpnPolicy, bool)] = &[
        (
            "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
            SpnPolicy::DatabaseServices,
            false,
        ),
        (
            "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
            SpnPolicy::AnyExceptKdc,
            false,
        ),
        (
            "krbtgt/EXAMPLE.COM@EXAMPLE.COM",
            SpnPolicy::Exact("krbtgt/EXAMPLE.COM@EXAMPLE.COM".into()),
            false,
        ),
        ("kadmin/admin@EXAMPLE.COM", SpnPolicy::AnyExceptKdc, false),
        (
            "host/db.example.com@EXAMPLE.COM",
            SpnPolicy::DatabaseServices,
            false,
        ),
        (
            "HTTP/db.example.com@EXAMPLE.COM",
            SpnPolicy::DatabaseServices,
            false,
        ),
        (MY_SPN, SpnPolicy::Exact(MA_SPN.into()), false),
        (
            "host/db.example.com@EXAMPLE.COM",
            SpnPolicy::AnyExceptKdc,
            true,
        ),
        (
            "host/db.example.com@EXAMPLE.COM",
            SpnPolicy::Exact("host/db.example.com@EXAMPLE.COM".into()),
            true,
        ),
        (MY_SPN, SpnPolicy::DatabaseServices, true),
        (MA_SPN, SpnPolicy::DatabaseServices, true),
        (OTHER_REALM_SPN, SpnPolicy::DatabaseServices, false),
        (
            OTHER_REALM_SPN,
            SpnPolicy::Exact(OTHER_REALM_SPN.into()),
            true,
        ),
        (OTHER_REALM_SPN, SpnPolicy::AnyExceptKdc, true),
        ("mysql/db.example.com", SpnPolicy::DatabaseServices, true),
    ];
    const OTHER_REALM_SPN: &str = "mysql/db.example.com@EVIL.ORG";
    for (spn, policy, allowed) in cases {
        for (mut cfg, plugin) in [
            (
                TestServerConfig::mysql(spn, "EXAMPLE.COM"),
                KerberosPlugin::MysqlKerberos,
            ),
            (
                TestServerConfig::mariadb(spn),
                KerberosPlugin::MariadbGssapi,
            ),
        ] {
            for announce in [Announce::Switch, Announce::Greeting] {
                cfg.announce = announce;
                let accepted = Arc::new(AtomicUsize::new(0));
                let a = accepted.clone();
                let srv =
                    TestServer::start(cfg.clone(), move || Box::new(CountingAcceptor(a.clone())))
                        .await
                        .unwrap();
                let mut g = CountingInitiator::default();
                let mut o = opts(&srv, "karl", plugin, SslMode::Disabled);
                o.spn_policy = policy.clone();
                let r = Connection::connect(&o, &mut g).await;
                let what = format!("{spn} {policy:?} {plugin:?} {announce:?}");
                if *allowed {
                    r.unwrap_or_else(|e| panic!("{what}: {e}"))
                        .quit()
                        .await
                        .unwrap();
                    assert_eq!(accepted.load(Ordering::SeqCst), 1, "{what}");
                    continue;
                }
                let e = r.map(|_| ()).expect_err(&what).to_string();
                assert!(e.contains(spn), "{what}: {e}");
                assert!(e.contains("--spn"), "{what}: {e}");
                if *spn == OTHER_REALM_SPN {
                    // The connector judged the realm by the host it dialed.
                    assert_eq!(*g.dialed.lock().unwrap(), ["127.0.0.1"], "{what}");
                    for part in ["in realm EVIL.ORG", "'127.0.0.1'", "[domain_realm]"] {
                        assert!(e.contains(part), "{what}: {part}: {e}");
                    }
                }
                assert_eq!(g.prepared.load(Ordering::SeqCst), 0, "{what}");
                assert_eq!(g.tokens.load(Ordering::SeqCst), 0, "{what}");
                assert_eq!(accepted.load(Ordering::SeqCst), 0, "{what}");
            }
        }
    }
}

#[tokio::test]
async fn ssl_modes() {
    let pki = Pki::new();
    let other = Pki::new();
    let ca = pki.ca_file();
    let other_ca = other.ca_file();
    let names_ip = pki.server_config(&["db.example.com", "127.0.0.1"]);
    let names_dns = pki.server_config(&["db.example.com"]);
    async fn try_mode(
        tls: Arc<rustls::ServerConfig>,
        mode: SslMode,
        ca: Option<std::path::PathBuf>,
    ) -> Result<bool, Error> {
        let mut cfg = TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM");
        cfg.tls = Some(tls);
        let srv = server(cfg, Some("karl@EXAMPLE.COM")).await;
        let mut o = opts(&srv, "karl", KerberosPlugin::MysqlKerberos, mode);
        o.ssl_ca = ca;
        let mut g = FakeInitiator {
            mutual: false,
            verified: false,
        };
        let mut c = Connection::connect(&o, &mut g).await?;
        assert_eq!(current_user(&mut c).await, "karl@%");
        Ok(c.is_tls())
    }
    for (tls, mode, ca, expect) in [
        (names_dns.clone(), SslMode::Disabled, None, Some(false)),
        (names_dns.clone(), SslMode::Required, None, Some(true)),
        (names_dns.clone(), SslMode::Preferred, None, Some(true)),
        (
            names_dns.clone(),
            SslMode::VerifyCa,
            Some(ca.clone()),
            Some(true),
        ),
        (
            names_dns.clone(),
            SslMode::VerifyCa,
            Some(other_ca.clone()),
            None,
        ),
        (
            names_dns.clone(),
            SslMode::VerifyIdentity,
            Some(ca.clone()),
            None,
        ),
        (
            names_ip.clone(),
            SslMode::VerifyIdentity,
            Some(ca.clone()),
            Some(true),
        ),
        (
            names_ip.clone(),
            SslMode::VerifyIdentity,
            Some(other_ca.clone()),
            None,
        ),
    ] {
        match (expect, try_mode(tls, mode, ca).await) {
            (Some(want), Ok(got)) => assert_eq!(want, got, "{mode:?}"),
            (None, Err(Error::Tls(_))) => {}
            (e, r) => panic!("{mode:?}: expected {e:?}, got {r:?}"),
        }
    }
    assert!(matches!(
        try_mode(names_ip, SslMode::VerifyCa, None).await,
        Err(Error::Config(_))
    ));
    assert_eq!(
        "verify_identity".parse::<SslMode>().unwrap(),
        SslMode::VerifyIdentity
    );
    assert!("bogus".parse::<SslMode>().is_err());
    let _ = std::fs::remove_file(ca);
    let _ = std::fs::remove_file(other_ca);
}

#[tokio::test]
async fn required_without_server_tls_fails() {
    let srv = server(TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM"), None).await;
    let mut g = FakeInitiator {
        mutual: false,
        verified: false,
    };
    let e = Connection::connect(
        &opts(
            &srv,
            "karl",
            KerberosPlugin::MysqlKerberos,
            SslMode::Required,
        ),
        &mut g,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Auth(_)), "{e:?}");
}

/// A throwaway CA and server certificates (rcgen).
struct Pki {
    ca_key: rcgen::KeyPair,
    ca_params: rcgen::CertificateParams,
    ca_pem: String,
}

impl Pki {
    fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mysql-auth test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        Self {
            ca_pem: ca.pem(),
            ca_key,
            ca_params,
        }
    }

    fn ca_file(&self) -> std::path::PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "mysql-auth-test-ca-{}-{}.pem",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&p, &self.ca_pem).unwrap();
        p
    }

    fn server_config(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Arc::new(cfg)
    }
}

static PLAINTEXT_WARNINGS: AtomicUsize = AtomicUsize::new(0);

fn count_warning(m: &str) {
    assert!(m.contains("does not offer TLS"), "{m}");
    PLAINTEXT_WARNINGS.fetch_add(1, Ordering::SeqCst);
}

/// Acceptor that records how many plaintext warnings had been given when the AP-REQ came.
struct WarnedBeforeToken(Arc<AtomicUsize>);

impl TestAcceptor for WarnedBeforeToken {
    fn accept(&mut self, _: &str, _: &[u8]) -> Result<AcceptStep, String> {
        self.0
            .store(PLAINTEXT_WARNINGS.load(Ordering::SeqCst), Ordering::SeqCst);
        Ok(AcceptStep {
            token: None,
            complete: true,
        })
    }
}

/// PREFERRED against a server without TLS: the warning comes before the Kerberos token is
/// sent (on both announcement paths); with TLS offered, or with DISABLED, no warning.
#[tokio::test]
async fn preferred_without_tls_warns_before_the_token() {
    let pki = Pki::new();
    let tls = pki.server_config(&["db.example.com"]);
    let mut expected = 0;
    for announce in [Announce::Switch, Announce::Greeting] {
        for (tls, mode, warns) in [
            (None, SslMode::Preferred, true),
            (Some(tls.clone()), SslMode::Preferred, false),
            (None, SslMode::Disabled, false),
        ] {
            let mut cfg = TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM");
            cfg.announce = announce;
            cfg.tls = tls;
            let seen = Arc::new(AtomicUsize::new(usize::MAX));
            let s = seen.clone();
            let srv = TestServer::start(cfg, move || Box::new(WarnedBeforeToken(s.clone())))
                .await
                .unwrap();
            let mut o = opts(&srv, "karl", KerberosPlugin::MysqlKerberos, mode);
            o.on_warning = Some(count_warning);
            let mut g = FakeInitiator {
                mutual: false,
                verified: false,
            };
            Connection::connect(&o, &mut g)
                .await
                .unwrap()
                .quit()
                .await
                .unwrap();
            expected += usize::from(warns);
            let what = format!("{announce:?} {mode:?} warns={warns}");
            assert_eq!(
                PLAINTEXT_WARNINGS.load(Ordering::SeqCst),
                expected,
                "{what}"
            );
            assert_eq!(seen.load(Ordering::SeqCst), expected, "{what}");
        }
    }
}

/// Acceptor refusing with a 100 KiB message of terminal escape sequences.
struct HostileErr;

impl TestAcceptor for HostileErr {
    fn accept(&mut self, _: &str, _: &[u8]) -> Result<AcceptStep, String> {
        Err("\x1b]0;pwned\x07\x1b[2J\x1b[31m\u{202e}".repeat(5000)) // 110 KB
    }
}

/// A server's ERR full of escape sequences is printed escaped and cut.
#[tokio::test]
async fn hostile_err_message_is_escaped_and_bounded() {
    let srv = TestServer::start(TestServerConfig::mysql(MY_SPN, "EXAMPLE.COM"), || {
        Box::new(HostileErr)
    })
    .await
    .unwrap();
    let mut g = FakeInitiator {
        mutual: false,
        verified: false,
    };
    let o = opts(
        &srv,
        "karl",
        KerberosPlugin::MysqlKerberos,
        SslMode::Disabled,
    );
    let e = Connection::connect(&o, &mut g).await.unwrap_err();
    let Error::Server(p) = &e else {
        panic!("{e}");
    };
    assert!(p.message.len() > 100_000);
    let shown = e.to_string();
    assert!(
        shown.starts_with("ERROR 1045 (28000): \\x1b]0;pwned\\x07"),
        "{shown}"
    );
    assert!(
        !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{shown}"
    );
    assert!(shown.len() < 700, "{}", shown.len());
}
