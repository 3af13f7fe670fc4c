//! An in-process MySQL-protocol test peer (feature `test-server`).
//!
//! It speaks the server side of the connection phase as the MySQL manual ("Connection Phase") and MariaDB's
//! `plugin/auth_gssapi/server_plugin.cc` describe:
//! greeting (optionally announcing the Kerberos plugin with its data), SSLRequest + TLS,
//! HandshakeResponse41, AuthSwitchRequest with the SPN/realm (MySQL) or `SPN\0mech\0`
//! (MariaDB), the client's tokens handed to a pluggable [`TestAcceptor`] (later MIT's or
//! gss-mech's acceptor), acceptor tokens sent as AuthMoreData (`0x01`) or raw (MariaDB 10.11),
//! then OK or ERR. In the command phase it answers `SELECT CURRENT_USER()` with a one-row text
//! result set, `SELECT 1, NULL` with one row containing a NULL, `SELECT BIG` with one 16 MiB
//! value (split packets), `DO ...` with OK, COM_PING, COM_QUIT.
//!
//! This is a test double of the MySQL Enterprise server plugin, whose source is not public.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::connector::Error;
use crate::connector::stream::PacketIo;
use crate::messages::{AuthSwitchRequest, ErrPacket, caps};
use crate::packet::{Packet, put_lenenc_bytes, put_lenenc_int};
use crate::plugin::{GssapiData, KerberosPlugin, MysqlKerberosData};

/// One `gss_accept_sec_context` result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptStep {
    /// Token for the client (the AP-REP with mutual authentication).
    pub token: Option<Vec<u8>>,
    /// Whether the context is established.
    pub complete: bool,
}

/// The acceptor the test server hands client tokens to. An `Err(message)` becomes an ERR
/// packet 1045 / 28000 with that message.
pub trait TestAcceptor: Send {
    /// Accept one client token.
    fn accept(&mut self, user: &str, token: &[u8]) -> Result<AcceptStep, String>;
}

/// Where the server announces the Kerberos plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// Greeting names `caching_sha2_password`; the Kerberos plugin comes in an AuthSwitchRequest.
    Switch,
    /// The greeting itself names the Kerberos plugin and carries its data.
    Greeting,
}

/// How acceptor tokens are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFraming {
    /// `0x01` + token (MySQL AuthMoreData).
    AuthMoreData,
    /// The token as is (MariaDB 10.11).
    Raw,
}

/// Test server configuration.
#[derive(Clone)]
pub struct TestServerConfig {
    /// Which plugin (selects the data format).
    pub plugin: KerberosPlugin,
    /// SPN sent to the client.
    pub spn: String,
    /// UPN realm (MySQL) or mech (MariaDB).
    pub realm_or_mech: String,
    /// Where the plugin is announced.
    pub announce: Announce,
    /// Framing of acceptor tokens.
    pub framing: TokenFraming,
    /// TLS server configuration (offers CLIENT_SSL when set).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Offer CLIENT_DEPRECATE_EOF.
    pub deprecate_eof: bool,
    /// Server version string in the greeting.
    pub server_version: String,
}

impl TestServerConfig {
    /// A MySQL-flavoured server (`authentication_kerberos`), switch path, no TLS.
    pub fn mysql(spn: &str, realm: &str) -> Self {
        Self {
            plugin: KerberosPlugin::MysqlKerberos,
            spn: spn.into(),
            realm_or_mech: realm.into(),
            announce: Announce::Switch,
            framing: TokenFraming::AuthMoreData,
            tls: None,
            deprecate_eof: true,
            server_version: "8.0.36-test".into(),
        }
    }

    /// A MariaDB-flavoured server (`gssapi`), switch path, raw tokens, no TLS.
    pub fn mariadb(spn: &str) -> Self {
        Self {
            plugin: KerberosPlugin::MariadbGssapi,
            spn: spn.into(),
            realm_or_mech: String::new(),
            announce: Announce::Switch,
            framing: TokenFraming::Raw,
            tls: None,
            deprecate_eof: false,
            server_version: "5.5.5-10.11.6-MariaDB-test".into(),
        }
    }

    fn plugin_data(&self) -> Vec<u8> {
        match self.plugin {
            KerberosPlugin::MysqlKerberos => MysqlKerberosData {
                spn: self.spn.clone(),
                realm: self.realm_or_mech.clone(),
            }
            .encode(),
            KerberosPlugin::MariadbGssapi => GssapiData {
                spn: self.spn.clone(),
                mech: self.realm_or_mech.clone(),
            }
            .encode(),
        }
    }
}

/// A running test server on 127.0.0.1 (one task per connection).
pub struct TestServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Listen on 127.0.0.1 on an ephemeral port; `acceptor` makes one acceptor per connection.
    pub async fn start<F>(config: TestServerConfig, acceptor: F) -> std::io::Result<Self>
    where
        F: Fn() -> Box<dyn TestAcceptor> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let acceptor = Arc::new(acceptor);
        let task = tokio::spawn(async move {
            let mut conn_id = 1u32;
            while let Ok((tcp, _)) = listener.accept().await {
                let cfg = config.clone();
                let acc = acceptor();
                conn_id = conn_id.wrapping_add(1);
                tokio::spawn(async move {
                    let _ = session(tcp, cfg, acc, conn_id).await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// Listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Seq(u8);
impl Seq {
    fn pkt(&mut self, payload: Vec<u8>) -> Packet {
        let p = Packet::new(self.0, payload);
        self.0 = p.next_seq();
        p
    }
    fn recv(&mut self, p: &Packet) -> Result<(), Error> {
        if p.seq != self.0 {
            return Err(crate::ProtocolError::SequenceMismatch {
                expected: self.0,
                got: p.seq,
            }
            .into());
        }
        self.0 = p.next_seq();
        Ok(())
    }
}

fn ok_packet(header: u8, affected: u64, status: u16) -> Vec<u8> {
    let mut out = vec![header];
    put_lenenc_int(&mut out, affected);
    put_lenenc_int(&mut out, 0);
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn err(code: u16, state: &str, msg: &str) -> Vec<u8> {
    ErrPacket {
        code,
        sql_state: state.into(),
        message: msg.into(),
    }
    .encode()
}

fn greeting(cfg: &TestServerConfig, conn_id: u32, server_caps: u32) -> Vec<u8> {
    let (plugin, mut data) = match cfg.announce {
        Announce::Greeting => (cfg.plugin.client_name().to_owned(), cfg.plugin_data()),
        Announce::Switch => (
            "caching_sha2_password".to_owned(),
            (1u8..=20).map(|b| b.wrapping_mul(37) | 1).collect(),
        ),
    };
    data.resize(data.len().max(20), 0);
    let mut p = vec![10];
    p.extend_from_slice(cfg.server_version.as_bytes());
    p.push(0);
    p.extend_from_slice(&conn_id.to_le_bytes());
    p.extend_from_slice(&data[..8]); // len >= 20
    p.push(0);
    p.extend_from_slice(&(server_caps as u16).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((server_caps >> 16) as u16).to_le_bytes());
    p.push(u8::try_from(data.len() + 1).unwrap_or(255));
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(&data[8..]);
    p.push(0);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p
}

struct Response {
    caps: u32,
    user: String,
    auth: Vec<u8>,
    plugin: String,
}

fn parse_response(payload: &[u8]) -> Result<Response, crate::ProtocolError> {
    let r = crate::messages::HandshakeResponse::parse(payload)?;
    Ok(Response {
        caps: r.capabilities,
        user: r.user.to_owned(),
        auth: r.auth_response.to_vec(),
        plugin: r.plugin.to_owned(),
    })
}

async fn session(
    tcp: tokio::net::TcpStream,
    cfg: TestServerConfig,
    mut acceptor: Box<dyn TestAcceptor>,
    conn_id: u32,
) -> Result<(), Error> {
    let mut server_caps = caps::LONG_PASSWORD
        | caps::LONG_FLAG
        | caps::CONNECT_WITH_DB
        | caps::PROTOCOL_41
        | caps::TRANSACTIONS
        | caps::SECURE_CONNECTION
        | caps::PLUGIN_AUTH
        | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA;
    if cfg.deprecate_eof {
        server_caps |= caps::DEPRECATE_EOF;
    }
    if cfg.tls.is_some() {
        server_caps |= caps::SSL;
    }
    let mut io = PacketIo::new(tcp, crate::packet::DEFAULT_MAX_PAYLOAD);
    let mut seq = Seq(0);
    io.write_packet(&seq.pkt(greeting(&cfg, conn_id, server_caps)))
        .await?;
    let mut p = io.read_packet_exact().await?;
    seq.recv(&p)?;
    // An SSLRequest is exactly 32 bytes (so indexes 0..4 are in bounds).
    if p.payload.len() == 32 {
        let c = u32::from_le_bytes([p.payload[0], p.payload[1], p.payload[2], p.payload[3]]);
        let Some(tls) = cfg.tls.clone().filter(|_| c & caps::SSL != 0) else {
            return Err(crate::ProtocolError::Unexpected("SSLRequest without TLS".into()).into());
        };
        let tcp = io.take_plain()?;
        let s = tokio_rustls::TlsAcceptor::from(tls).accept(tcp).await?;
        io = PacketIo::with_tls(
            tokio_rustls::TlsStream::Server(s),
            crate::packet::DEFAULT_MAX_PAYLOAD,
        );
        p = io.read_packet().await?;
        seq.recv(&p)?;
    }
    let resp = match parse_response(&p.payload) {
        Ok(r) => r,
        Err(e) => {
            io.write_packet(&seq.pkt(err(1043, "08S01", "Bad handshake")))
                .await?;
            return Err(e.into());
        }
    };
    let negotiated = resp.caps & server_caps;
    let ours = cfg.plugin.client_name();
    let mut token =
        if cfg.announce == Announce::Greeting && resp.plugin == ours && !resp.auth.is_empty() {
            resp.auth.clone()
        } else {
            let sw = AuthSwitchRequest {
                plugin: ours.into(),
                data: cfg.plugin_data(),
            };
            io.write_packet(&seq.pkt(sw.encode())).await?;
            let t = io.read_packet().await?;
            seq.recv(&t)?;
            t.payload
        };
    loop {
        match acceptor.accept(&resp.user, &token) {
            Err(msg) => {
                io.write_packet(&seq.pkt(err(1045, "28000", &msg))).await?;
                return Ok(());
            }
            Ok(step) => {
                if let Some(t) = step.token {
                    let framed = match cfg.framing {
                        TokenFraming::AuthMoreData => {
                            let mut v = vec![0x01];
                            v.extend_from_slice(&t);
                            v
                        }
                        TokenFraming::Raw => t,
                    };
                    io.write_packet(&seq.pkt(framed)).await?;
                }
                if step.complete {
                    break;
                }
                let t = io.read_packet().await?;
                seq.recv(&t)?;
                token = t.payload;
            }
        }
    }
    io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;

    // Command phase.
    let deprecate_eof = negotiated & caps::DEPRECATE_EOF != 0;
    loop {
        let cmd = io.read_packet().await?;
        let mut seq = Seq(1);
        match cmd.payload.split_first() {
            Some((0x01, _)) | None => return Ok(()),
            Some((0x0E, _)) => io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?,
            Some((0x03, sql)) => {
                let sql = String::from_utf8_lossy(sql);
                let sql = sql.trim().to_ascii_uppercase();
                let current_user = format!("{}@%", resp.user).into_bytes();
                let (cols, row): (&[&str], Vec<Option<Vec<u8>>>) = match sql.as_str() {
                    "SELECT CURRENT_USER()" => (&["CURRENT_USER()"], vec![Some(current_user)]),
                    "SELECT 1, NULL" => (&["1", "NULL"], vec![Some(b"1".to_vec()), None]),
                    // 2^24 bytes: the row's length prefix is 0xFE + 8 bytes and the row packet
                    // is split at 0xFFFFFF (exercises framing and the EOF/row ambiguity).
                    "SELECT BIG" => (&["big"], vec![Some(vec![b'x'; 1 << 24])]),
                    s if s.starts_with("DO ") => {
                        io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;
                        continue;
                    }
                    _ => {
                        io.write_packet(&seq.pkt(err(
                            1064,
                            "42000",
                            "You have an error in your SQL syntax (test server)",
                        )))
                        .await?;
                        continue;
                    }
                };
                let mut out = Vec::new();
                let mut c = Vec::new();
                put_lenenc_int(&mut c, cols.len() as u64);
                out.push(seq.pkt(c));
                for name in cols {
                    let mut c = Vec::new();
                    for s in ["def", "", "", "", name, ""] {
                        put_lenenc_bytes(&mut c, s.as_bytes());
                    }
                    c.extend_from_slice(&[0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0x1f, 0, 0]);
                    out.push(seq.pkt(c));
                }
                if !deprecate_eof {
                    out.push(seq.pkt(vec![0xFE, 0, 0, 2, 0]));
                }
                let mut r = Vec::new();
                for v in row {
                    match v {
                        Some(b) => put_lenenc_bytes(&mut r, &b),
                        None => r.push(0xFB),
                    }
                }
                out.push(seq.pkt(r));
                out.push(seq.pkt(if deprecate_eof {
                    ok_packet(0xFE, 0, 2)
                } else {
                    vec![0xFE, 0, 0, 2, 0]
                }));
                for p in &out {
                    io.write_packet(p).await?;
                }
            }
            Some(_) => {
                io.write_packet(&seq.pkt(err(1047, "08S01", "Unknown command")))
                    .await?
            }
        }
    }
}

/// A hostile MySQL-protocol peer (feature `test-server`): each [`hostile::Hostile`] mode misbehaves
/// in one way an impersonated or malicious server could, and records every packet the client
/// sent, so tests can check what the client gave away. It is a test double written from the
/// protocol description (MySQL manual, client/server protocol), not a real server.
pub mod hostile {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    use super::{PacketIo, Seq, TestServerConfig, caps, err, greeting, ok_packet};
    use crate::connector::Error;
    use crate::messages::AuthSwitchRequest;
    use crate::packet::{Packet, put_lenenc_bytes, put_lenenc_int};

    /// How the peer misbehaves.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Hostile {
        /// Switch to another plugin (e.g. `mysql_clear_password`) with a scramble.
        SwitchTo(String),
        /// Answer every client token with another AuthMoreData, forever.
        EndlessMoreData,
        /// Instead of a greeting, a stream of 0xFFFFFF-byte chunks chained without end.
        Chained,
        /// Log in, then answer a query with a result of 2^24 columns.
        HugeColumnCount,
        /// Log in, then answer a query with a row whose field claims 2^62 bytes.
        HugeFieldLength,
        /// Log in, then answer a query with this many rows of 4096 NULLs (4 KiB on the wire
        /// each, about 100 KiB in memory).
        NullRows(u32),
        /// OK right after the client's first token, without the AP-REP.
        OkWithoutApRep,
        /// OK right after the HandshakeResponse, without any Kerberos exchange.
        OkWithoutKerberos,
        /// The Kerberos switch after a greeting that does not offer TLS.
        NoTls,
        /// The greeting one byte every 2 s.
        Slow,
        /// An ERR of this code and message after the client's first token.
        Err(u16, String),
    }

    /// The running peer and what clients sent it.
    pub struct HostileServer {
        addr: SocketAddr,
        task: JoinHandle<()>,
        /// Every packet payload received from clients, in order.
        pub received: Arc<Mutex<Vec<Vec<u8>>>>,
    }

    impl HostileServer {
        /// Listen on 127.0.0.1 (ephemeral port) with `mode`; the Kerberos switch names the
        /// SPN and realm of `cfg` (MySQL flavour).
        pub async fn start(mode: Hostile, cfg: TestServerConfig) -> std::io::Result<Self> {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
            let addr = listener.local_addr()?;
            let received = Arc::new(Mutex::new(Vec::new()));
            let rec = received.clone();
            let task = tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let (mode, cfg, rec) = (mode.clone(), cfg.clone(), rec.clone());
                    tokio::spawn(async move {
                        let _ = session(tcp, mode, cfg, rec).await;
                    });
                }
            });
            Ok(Self {
                addr,
                task,
                received,
            })
        }

        /// Listening address.
        pub fn addr(&self) -> SocketAddr {
            self.addr
        }

        /// All received payloads concatenated (to search for leaked bytes).
        pub fn received_bytes(&self) -> Vec<u8> {
            self.received.lock().map(|r| r.concat()).unwrap_or_default()
        }
    }

    impl Drop for HostileServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    async fn session(
        mut tcp: tokio::net::TcpStream,
        mode: Hostile,
        cfg: TestServerConfig,
        rec: Arc<Mutex<Vec<Vec<u8>>>>,
    ) -> Result<(), Error> {
        let server_caps = caps::LONG_PASSWORD
            | caps::LONG_FLAG
            | caps::CONNECT_WITH_DB
            | caps::PROTOCOL_41
            | caps::TRANSACTIONS
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | caps::DEPRECATE_EOF;
        let mut seq = Seq(0);
        let hello = seq.pkt(greeting(&cfg, 7, server_caps));
        match mode {
            Hostile::Chained => {
                let chunk = vec![b'A'; 0xFF_FFFF];
                for s in 0u8.. {
                    tcp.write_all(&[0xFF, 0xFF, 0xFF, s]).await?;
                    tcp.write_all(&chunk).await?;
                }
                return Ok(());
            }
            Hostile::Slow => {
                for b in hello.encode() {
                    tcp.write_all(&[b]).await?;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                return Ok(());
            }
            _ => {}
        }
        let mut io = PacketIo::new(tcp, crate::packet::DEFAULT_MAX_PAYLOAD);
        let read = async |io: &mut PacketIo, seq: &mut Seq| -> Result<Vec<u8>, Error> {
            let p = io.read_packet().await?;
            seq.recv(&p)?;
            if let Ok(mut r) = rec.lock() {
                r.push(p.payload.clone());
            }
            Ok(p.payload)
        };
        io.write_packet(&hello).await?;
        read(&mut io, &mut seq).await?; // HandshakeResponse
        let switch = |plugin: &str, data: Vec<u8>| AuthSwitchRequest {
            plugin: plugin.into(),
            data,
        };
        let kerberos = switch(cfg.plugin.client_name(), cfg.plugin_data()).encode();
        match mode {
            Hostile::SwitchTo(plugin) => {
                let mut scramble: Vec<u8> = (1u8..=20).collect();
                scramble.push(0);
                io.write_packet(&seq.pkt(switch(&plugin, scramble).encode()))
                    .await?;
                read(&mut io, &mut seq).await?;
            }
            Hostile::EndlessMoreData => {
                io.write_packet(&seq.pkt(kerberos)).await?;
                loop {
                    read(&mut io, &mut seq).await?;
                    io.write_packet(&seq.pkt(vec![0x01, 0x60, 0x00])).await?;
                }
            }
            Hostile::OkWithoutApRep | Hostile::NoTls => {
                io.write_packet(&seq.pkt(kerberos)).await?;
                read(&mut io, &mut seq).await?;
                io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;
            }
            Hostile::OkWithoutKerberos => {
                io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;
            }
            Hostile::Err(code, msg) => {
                io.write_packet(&seq.pkt(kerberos)).await?;
                read(&mut io, &mut seq).await?;
                io.write_packet(&seq.pkt(err(code, "HY000", &msg))).await?;
            }
            Hostile::NullRows(rows) => {
                io.write_packet(&seq.pkt(kerberos)).await?;
                read(&mut io, &mut seq).await?;
                io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;
                let mut seq = Seq(0);
                read(&mut io, &mut seq).await?; // COM_QUERY
                let mut count = Vec::new();
                put_lenenc_int(&mut count, 4096);
                io.write_packet(&seq.pkt(count)).await?;
                for i in 0..4096 {
                    let mut col = Vec::new();
                    for s in ["def", "", "", "", &format!("c{i}"), ""] {
                        put_lenenc_bytes(&mut col, s.as_bytes());
                    }
                    col.extend_from_slice(&[0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0x1f, 0, 0]);
                    io.write_packet(&seq.pkt(col)).await?;
                }
                for _ in 0..rows {
                    io.write_packet(&seq.pkt(vec![0xFB; 4096])).await?;
                }
                io.write_packet(&seq.pkt(ok_packet(0xFE, 0, 2))).await?;
            }
            Hostile::HugeColumnCount | Hostile::HugeFieldLength => {
                io.write_packet(&seq.pkt(kerberos)).await?;
                read(&mut io, &mut seq).await?;
                io.write_packet(&seq.pkt(ok_packet(0, 0, 2))).await?;
                let mut seq = Seq(0);
                read(&mut io, &mut seq).await?; // COM_QUERY
                let mut count = Vec::new();
                if mode == Hostile::HugeColumnCount {
                    put_lenenc_int(&mut count, 1 << 24);
                    io.write_packet(&seq.pkt(count)).await?;
                } else {
                    put_lenenc_int(&mut count, 1);
                    let mut col = Vec::new();
                    for s in ["def", "", "", "", "c", ""] {
                        put_lenenc_bytes(&mut col, s.as_bytes());
                    }
                    col.extend_from_slice(&[0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0x1f, 0, 0]);
                    let mut row = vec![0xFE];
                    row.extend_from_slice(&(1u64 << 62).to_le_bytes());
                    // A row starting with 0xFE is told from the terminator by its size
                    // (>= 0xFFFFFF): pad it, so the claim is read as a field length.
                    row.resize(0xFF_FFFF + 16, b'x');
                    for p in [count, col, row] {
                        io.write_packet(&seq.pkt(p)).await?;
                    }
                }
            }
            Hostile::Chained | Hostile::Slow => {}
        }
        // Keep the connection open until the client leaves, recording what it sends.
        loop {
            let p: Packet = io.read_packet().await?;
            if let Ok(mut r) = rec.lock() {
                r.push(p.payload);
            }
        }
    }
}
