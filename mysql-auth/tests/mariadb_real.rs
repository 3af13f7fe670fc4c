//! The connector against a REAL MariaDB on 127.0.0.1 using the `mysql_native_password` TEST AID
//! (feature `test-native-password`): proves framing, the handshake (including the
//! AuthSwitchRequest away from the announced Kerberos plugin), TLS and COM_QUERY against real
//! server code. `#[ignore]`d: `scripts/test.sh` starts that server with `tests/mariadb-lab.sh` and
//! runs them with `--ignored`; without `MYSQL_AUTH_REAL_MARIADB_PORT` they fail. Also reads
//! `MYSQL_AUTH_REAL_MARIADB_CA` (PEM of the CA that signed the server cert, SAN IP 127.0.0.1),
//! user `tuser` / password `tpass`. See the crate's README section in the report for the setup.
#![cfg(feature = "test-native-password")]

use mysql_auth::connector::{ConnectOptions, Connection, Error, Initiator, SslMode};
use mysql_auth::{ContextRequest, GssError, GssInitiator, GssStep, KerberosPlugin, SpnPolicy};

struct NoGss;
impl GssInitiator for NoGss {
    fn initial_token(&mut self, _: &ContextRequest) -> Result<GssStep, GssError> {
        Err("no Kerberos in this test".into())
    }
    fn step(&mut self, _: &[u8]) -> Result<GssStep, GssError> {
        Err("no Kerberos in this test".into())
    }
}

impl Initiator for NoGss {}

fn opts(mode: SslMode, password: &str) -> Option<ConnectOptions> {
    let port: u16 = std::env::var("MYSQL_AUTH_REAL_MARIADB_PORT")
        .ok()?
        .parse()
        .ok()?;
    // Only ever loopback.
    let mut o = ConnectOptions::new("127.0.0.1", "tuser", KerberosPlugin::MariadbGssapi);
    o.port = port;
    o.ssl_mode = mode;
    o.ssl_ca = std::env::var_os("MYSQL_AUTH_REAL_MARIADB_CA").map(Into::into);
    o.native_password_test_aid = Some(password.into());
    Some(o)
}

#[tokio::test]
#[ignore = "needs the throwaway MariaDB of tests/mariadb-lab.sh"]
async fn real_mariadb_all_modes() {
    let Some(_) = opts(SslMode::Disabled, "") else {
        panic!("MYSQL_AUTH_REAL_MARIADB_PORT is not set: run tests/mariadb-lab.sh start");
    };
    for (mode, tls) in [
        (SslMode::Disabled, false),
        (SslMode::Preferred, true),
        (SslMode::Required, true),
        (SslMode::VerifyCa, true),
        (SslMode::VerifyIdentity, true),
    ] {
        let o = opts(mode, "tpass").unwrap();
        let mut c = Connection::connect(&o, &mut NoGss).await.unwrap();
        assert_eq!(c.is_tls(), tls, "{mode:?}");
        assert!(c.server_version().contains("MariaDB"));
        let r = c.query("SELECT CURRENT_USER()").await.unwrap();
        assert_eq!(r.columns, vec!["CURRENT_USER()"]);
        assert_eq!(r.rows, vec![vec![Some(b"tuser@%".to_vec())]]);
        let r = c
            .query("SELECT 1 AS a, NULL AS b, REPEAT('x', 300) AS c UNION ALL SELECT 2, 'y', ''")
            .await
            .unwrap();
        assert_eq!(r.columns, vec!["a", "b", "c"]);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0][1], None);
        assert_eq!(r.rows[0][2].as_ref().map(Vec::len), Some(300));
        assert_eq!(r.rows[1][1].as_deref(), Some(&b"y"[..]));
        if tls {
            let r = c.query("SHOW STATUS LIKE 'Ssl_version'").await.unwrap();
            assert!(r.rows[0][1].as_ref().is_some_and(|v| v.starts_with(b"TLS")));
        }
        let r = c.query("DO 1").await.unwrap();
        assert!(r.columns.is_empty());
        match c.query("SELEKT 1").await {
            Err(Error::Server(e)) => {
                assert_eq!(e.code, 1064);
                assert_eq!(e.sql_state, "42000");
                assert!(
                    e.message
                        .starts_with("You have an error in your SQL syntax")
                );
            }
            r => panic!("{r:?}"),
        }
        c.ping().await.unwrap();
        c.quit().await.unwrap();
    }
    // Wrong password: the server's ERR comes through verbatim.
    let o = opts(SslMode::Disabled, "wrong").unwrap();
    match Connection::connect(&o, &mut NoGss).await {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1045);
            assert_eq!(e.sql_state, "28000");
            assert_eq!(
                e.message,
                "Access denied for user 'tuser'@'127.0.0.1' (using password: YES)"
            );
        }
        r => panic!("{r:?}"),
    }
}

/// Records the context request; sends a token MIT's acceptor must reject.
struct Recorder(Vec<ContextRequest>);
impl GssInitiator for Recorder {
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
        self.0.push(req.clone());
        // RFC 2743 framing with the krb5 OID and TOK_ID 01 00, but a garbage AP-REQ.
        let mut t = vec![0x60, 0x0f, 0x06, 0x09];
        t.extend_from_slice(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02]);
        t.extend_from_slice(&[0x01, 0x00, 0x6E, 0x00]);
        Ok(GssStep {
            token: Some(t),
            complete: true,
        })
    }
    fn step(&mut self, _: &[u8]) -> Result<GssStep, GssError> {
        Err("unexpected".into())
    }
}

impl Initiator for Recorder {}

/// Real MariaDB `gssapi` plugin: the AuthSwitchRequest carries the SPN, our token is handed to
/// MIT's acceptor inside mariadbd, and its ERR comes back verbatim. Needs
/// `MYSQL_AUTH_REAL_MARIADB_GSSAPI_USER` (account `IDENTIFIED VIA gssapi`) and
/// `MYSQL_AUTH_REAL_MARIADB_GSSAPI_SPN` (the server's `gssapi_principal_name`).
#[tokio::test]
#[ignore = "needs the throwaway MariaDB of tests/mariadb-lab.sh"]
async fn real_mariadb_gssapi_switch_and_err() {
    let (Some(mut o), Ok(user), Ok(spn)) = (
        opts(SslMode::Required, ""),
        std::env::var("MYSQL_AUTH_REAL_MARIADB_GSSAPI_USER"),
        std::env::var("MYSQL_AUTH_REAL_MARIADB_GSSAPI_SPN"),
    ) else {
        panic!("MYSQL_AUTH_REAL_MARIADB_* are not set: run tests/mariadb-lab.sh start");
    };
    o.user = user;
    o.native_password_test_aid = None;
    // The throwaway server's SPN is in TEST.LOCAL and the test dials 127.0.0.1, which no
    // [domain_realm] maps: pinned, as a user of such a server would (`--spn`).
    o.spn_policy = SpnPolicy::Exact(spn.clone());
    for mode in [SslMode::Disabled, SslMode::Required] {
        o.ssl_mode = mode;
        let mut g = Recorder(Vec::new());
        match Connection::connect(&o, &mut g).await {
            Err(Error::Server(e)) => {
                assert_eq!(e.code, 1105, "{e}");
                assert!(e.message.starts_with("Server GSSAPI error"), "{e}");
                eprintln!("{mode:?}: server said: {e}");
            }
            r => panic!("{r:?}"),
        }
        assert_eq!(g.0.len(), 1);
        assert_eq!(g.0[0].spn, spn);
        assert_eq!(g.0[0].mech.as_deref(), Some(""));
        assert_eq!(g.0[0].plugin, KerberosPlugin::MariadbGssapi);
    }
}
