//! The connector against the hostile test peer (`test_server::hostile`): every mode ends
//! with a clear error in bounded time, no panic, and nothing given away (no password, no
//! Kerberos token where none is due). A test double of a malicious server, not a real one.
#![cfg(feature = "test-server")]

use std::time::{Duration, Instant};

use mysql_auth::connector::{ConnectOptions, Connection, Error, SslMode};
use mysql_auth::test_server::TestServerConfig;
use mysql_auth::test_server::hostile::{Hostile, HostileServer};
use mysql_auth::{
    AuthError, ContextRequest, GssError, GssInitiator, GssStep, KerberosPlugin, SpnContext,
};

const SPN: &str = "mysql/db.example.com@EXAMPLE.COM";
/// What the fake initiator's token carries, to find it in what the peer received.
const TOKEN: &[u8] = b"\x60FAKE-AP-REQ";
/// A password the client holds (the initiator's), never to be sent in any form.
const PASSWORD: &str = "Passw0rd-never-sent";

struct Fake {
    mutual: bool,
    #[allow(dead_code)]
    password: String,
}

impl GssInitiator for Fake {
    fn initial_token(&mut self, _: &ContextRequest) -> Result<GssStep, GssError> {
        Ok(GssStep {
            token: Some(TOKEN.to_vec()),
            complete: !self.mutual,
        })
    }
    fn step(&mut self, _: &[u8]) -> Result<GssStep, GssError> {
        Err("AP-REP did not verify".into())
    }
    /// A client of EXAMPLE.COM (the realm of [`SPN`]) whose `[domain_realm]` maps no host.
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        SpnContext::new(dialed_host, None, Some("EXAMPLE.COM".into()))
    }
}

async fn run(mode: Hostile, ssl: SslMode, mutual: bool) -> (Result<Connection, Error>, Vec<u8>) {
    run_with(mode, ssl, mutual, |_| {}).await
}

async fn run_with(
    mode: Hostile,
    ssl: SslMode,
    mutual: bool,
    tweak: impl FnOnce(&mut ConnectOptions),
) -> (Result<Connection, Error>, Vec<u8>) {
    run_spn(mode, SPN, ssl, mutual, tweak).await
}

async fn run_spn(
    mode: Hostile,
    spn: &str,
    ssl: SslMode,
    mutual: bool,
    tweak: impl FnOnce(&mut ConnectOptions),
) -> (Result<Connection, Error>, Vec<u8>) {
    let srv = HostileServer::start(mode, TestServerConfig::mysql(spn, "EXAMPLE.COM"))
        .await
        .unwrap();
    let mut o = ConnectOptions::new("127.0.0.1", "karl", KerberosPlugin::MysqlKerberos);
    o.port = srv.addr().port();
    o.ssl_mode = ssl;
    o.connect_timeout = Duration::from_secs(5);
    tweak(&mut o);
    let mut g = Fake {
        mutual,
        password: PASSWORD.into(),
    };
    let r = Connection::connect(&o, &mut g).await;
    (r, srv.received_bytes())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn no_secret(received: &[u8]) {
    assert!(!contains(received, PASSWORD.as_bytes()));
}

#[tokio::test]
async fn switch_to_password_plugins_sends_nothing() {
    for plugin in [
        "mysql_clear_password",
        "mysql_native_password",
        "caching_sha2_password",
    ] {
        let (r, received) = run(Hostile::SwitchTo(plugin.into()), SslMode::Disabled, true).await;
        let e = r.map(|_| ()).unwrap_err();
        assert!(
            matches!(e, Error::Auth(AuthError::UnsupportedPlugin(ref p)) if p == plugin),
            "{e}"
        );
        no_secret(&received);
        // Nothing after the HandshakeResponse (whose auth data is empty), no token.
        assert!(!contains(&received, TOKEN), "{plugin}");
    }
}

/// Hostile mode "SPN in another realm": a `mysql/` SPN in a realm that neither the dialed host
/// (127.0.0.1, mapped to no realm, no DNS domain) nor the client's realm (EXAMPLE.COM)
/// vouches for is refused before any ticket or token; `--spn` pinning it, or
/// `--allow-any-spn`, lets the login go on (the token is sent).
#[tokio::test]
async fn spn_in_another_realm_is_refused_unless_pinned_or_allowed() {
    use mysql_auth::SpnPolicy;
    const OTHER: &str = "mysql/db.example.com@EVIL.ORG";
    let (r, received) = run_spn(
        Hostile::EndlessMoreData,
        OTHER,
        SslMode::Disabled,
        true,
        |_| {},
    )
    .await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(
        matches!(e, Error::Auth(AuthError::SpnRejected(ref r)) if r.spn == OTHER),
        "{e}"
    );
    let msg = e.to_string();
    for part in [
        OTHER,
        "in realm EVIL.ORG",
        "127.0.0.1",
        "maps to no realm",
        "EXAMPLE.COM",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    for way_out in ["--spn SPN", "[domain_realm]", "--allow-any-spn"] {
        assert!(msg.contains(way_out), "{way_out}: {msg}");
    }
    assert!(!contains(&received, TOKEN), "a token was sent");
    no_secret(&received);
    for policy in [SpnPolicy::Exact(OTHER.into()), SpnPolicy::AnyExceptKdc] {
        let what = format!("{policy:?}");
        let (r, received) = run_spn(
            Hostile::EndlessMoreData,
            OTHER,
            SslMode::Disabled,
            true,
            |o| o.spn_policy = policy,
        )
        .await;
        // Accepted: the token goes out, and the endless AuthMoreData still fails the login.
        let e = r.map(|_| ()).unwrap_err();
        assert!(
            !matches!(e, Error::Auth(AuthError::SpnRejected(_))),
            "{what}: {e}"
        );
        assert!(contains(&received, TOKEN), "{what}: no token was sent");
        no_secret(&received);
    }
}

#[tokio::test]
async fn endless_auth_more_data_is_bounded() {
    let (r, received) = run(Hostile::EndlessMoreData, SslMode::Disabled, true).await;
    let e = r.map(|_| ()).unwrap_err();
    // The first AuthMoreData fails the AP-REP check; a client that tolerated it would still
    // stop after the round limit.
    assert!(
        matches!(
            e,
            Error::Auth(AuthError::Gss(_) | AuthError::TooManyRounds(_))
        ),
        "{e}"
    );
    no_secret(&received);
}

#[tokio::test]
async fn chained_packet_stream_is_refused_at_the_size_bound() {
    let t = Instant::now();
    let (r, _) = run(Hostile::Chained, SslMode::Disabled, true).await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol(mysql_auth::ProtocolError::PacketTooLarge { .. })
        ),
        "{e}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "not bounded by the timeout"
    );
}

#[tokio::test]
async fn huge_result_sets_are_refused() {
    for mode in [Hostile::HugeColumnCount, Hostile::HugeFieldLength] {
        let (r, _) = run(mode.clone(), SslMode::Disabled, false).await;
        let mut c = r.unwrap();
        let e = c.query("SELECT 1").await.unwrap_err();
        assert!(matches!(e, Error::Protocol(_)), "{mode:?}: {e}");
    }
}

#[tokio::test]
async fn mutual_refuses_ok_without_ap_rep_and_without_kerberos() {
    let (r, _) = run(Hostile::OkWithoutApRep, SslMode::Disabled, true).await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(
        matches!(e, Error::Auth(AuthError::ContextIncomplete)),
        "{e}"
    );
    let (r, received) = run(Hostile::OkWithoutKerberos, SslMode::Disabled, true).await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(
        matches!(e, Error::Auth(AuthError::NoKerberosExchange)),
        "{e}"
    );
    assert!(!contains(&received, TOKEN));
}

#[tokio::test]
async fn required_tls_without_server_tls_sends_no_token() {
    let (r, received) = run(Hostile::NoTls, SslMode::Required, true).await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(matches!(e, Error::Auth(AuthError::Tls(_))), "{e}");
    assert!(
        received.is_empty(),
        "the client sent {} bytes",
        received.len()
    );
}

#[tokio::test]
async fn a_slow_server_hits_the_connect_timeout() {
    let (r, _) = run(Hostile::Slow, SslMode::Disabled, true).await;
    let e = r.map(|_| ()).unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e}");
}

#[tokio::test]
async fn an_err_full_of_escapes_is_printed_escaped() {
    let msg = "\x1b[2J\x1b]0;x\x07".repeat(10_000);
    let (r, _) = run(Hostile::Err(1045, msg), SslMode::Disabled, false).await;
    let e = r.map(|_| ()).unwrap_err().to_string();
    assert!(!e.contains('\x1b') && !e.contains('\x07'));
    assert!(e.len() < 700, "{}", e.len());
}

#[tokio::test]
async fn null_rows_count_the_memory_they_hold() {
    // 200 rows of 4096 NULLs: 800 KiB on the wire, about 20 MiB in memory. Under a 4 MiB
    // budget the wire count would accept them all; the memory count refuses.
    let budget = |o: &mut ConnectOptions| o.max_result_bytes = 4 << 20;
    let (r, _) = run_with(Hostile::NullRows(200), SslMode::Disabled, false, budget).await;
    let e = r.unwrap().query("SELECT nulls").await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol(mysql_auth::ProtocolError::PacketTooLarge { .. })
        ),
        "{e}"
    );
    // A few rows fit.
    let (r, _) = run_with(Hostile::NullRows(10), SslMode::Disabled, false, budget).await;
    let res = r.unwrap().query("SELECT nulls").await.unwrap();
    assert_eq!(res.rows.len(), 10);
    assert!(
        res.rows
            .iter()
            .all(|row| row.len() == 4096 && row.iter().all(Option::is_none))
    );
}
