//! tokio + rustls connector: the only I/O in this crate (feature `connector`).
//!
//! Connects over TCP (with a timeout), optionally switches to TLS after the SSLRequest
//! (MySQL docs "SSL Handshake"; wire-protocols.md §2.4 B), drives [`ClientHandshake`] with a
//! [`GssInitiator`], then offers COM_QUERY (text result sets), COM_PING and COM_QUIT.
//!
//! `--ssl-mode` semantics follow the mysql client ([`SslMode`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{AuthError, ProtocolError};
use crate::handshake::{Authenticated, ClientHandshake, HandshakeOptions, Step, TlsIntent};
use crate::messages::{
    ErrPacket, Handshake, OkPacket, SERVER_MORE_RESULTS_EXISTS, caps, is_result_terminator,
    parse_column_name, parse_text_row, terminator_status,
};
use crate::packet::{Packet, PacketDecoder, Reader};
use crate::plugin::{GssInitiator, KerberosPlugin};
use crate::spn_policy::SpnPolicy;

/// Connector errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with ERR (code, SQLSTATE, message verbatim).
    #[error(transparent)]
    Server(ErrPacket),
    /// Authentication failed on the client side (GSS failure, bad plugin data, ...).
    #[error("authentication failed: {0}")]
    Auth(AuthError),
    /// Malformed or unexpected packet.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// TLS setup or handshake failure.
    #[error("TLS: {0}")]
    Tls(String),
    /// Socket error.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A timeout expired.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// Invalid options.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether a failed login may be cured by a fresh service ticket (the server's key
    /// rotated, as Aurora's keytabs do): an access-denied ERR or a GSS failure.
    pub fn may_need_fresh_ticket(&self) -> bool {
        match self {
            // 1045/1698: access denied (MySQL authentication_kerberos, MariaDB's name check);
            // 1105 with "GSSAPI": MariaDB's auth_gssapi reports gss_accept_sec_context
            // failures (e.g. "Cannot decrypt ticket") as ER_UNKNOWN_ERROR.
            Self::Server(p) => {
                matches!(p.code, 1045 | 1698) || (p.code == 1105 && p.message.contains("GSSAPI"))
            }
            // Not ContextIncomplete: a server that skips the AP-REP is not cured by a fresh
            // ticket, and a retry would hand it a second AP-REQ.
            Self::Auth(AuthError::Gss(_)) => true,
            _ => false,
        }
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Server(e) => Self::Server(e),
            AuthError::Protocol(e) => Self::Protocol(e),
            e => Self::Auth(e),
        }
    }
}

impl From<rustls::Error> for Error {
    fn from(e: rustls::Error) -> Self {
        Self::Tls(e.to_string())
    }
}

/// `--ssl-mode` with the mysql client's semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disabled,
    /// TLS if the server offers it, without certificate verification.
    Preferred,
    /// TLS or fail; the certificate is not verified (encryption only).
    Required,
    /// TLS; the chain must verify against `--ssl-ca`; the host name is not checked.
    VerifyCa,
    /// Like `VerifyCa`, and the certificate must match the host name (or IP).
    VerifyIdentity,
}

impl std::str::FromStr for SslMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "DISABLED" => Self::Disabled,
            "PREFERRED" => Self::Preferred,
            "REQUIRED" => Self::Required,
            "VERIFY_CA" => Self::VerifyCa,
            "VERIFY_IDENTITY" => Self::VerifyIdentity,
            _ => return Err(Error::Config(format!("unknown ssl mode '{s}'"))),
        })
    }
}

/// Connection options.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (3306).
    pub port: u16,
    /// Account name (see [`HandshakeOptions::user`]).
    pub user: String,
    /// Initial database.
    pub database: Option<String>,
    /// Kerberos plugin to announce.
    pub plugin: KerberosPlugin,
    /// TLS mode.
    pub ssl_mode: SslMode,
    /// PEM file with the CA certificate(s) for `VerifyCa` / `VerifyIdentity`.
    pub ssl_ca: Option<PathBuf>,
    /// Bound for the TCP connect and greeting, and again for the login.
    pub connect_timeout: Duration,
    /// Bound for each command's round trip (None = unbounded).
    pub read_timeout: Option<Duration>,
    /// Largest accepted packet payload.
    pub max_packet: usize,
    /// Bound on the memory one buffered result set holds (field bytes plus the per-field and
    /// per-row bookkeeping, so NULL-only rows count their real cost).
    pub max_result_bytes: usize,
    /// The SPNs the server may ask for ([`SpnPolicy::DatabaseServices`] by default): checked
    /// before [`GssInitiator::prepare`] fetches any ticket, the realm against `host` and what
    /// [`GssInitiator::spn_context`] knows.
    pub spn_policy: SpnPolicy,
    /// Called with a warning the user must see, before any Kerberos token is sent: with
    /// `PREFERRED`, a server that does not offer TLS (the login and session go in clear text).
    /// Also logged with `tracing::warn!`.
    pub on_warning: Option<fn(&str)>,
    /// Client collation id (45 = utf8mb4_general_ci).
    pub charset: u8,
    /// See [`HandshakeOptions::capabilities`].
    pub capabilities: Option<u32>,
    /// See [`HandshakeOptions::connect_attrs`].
    pub connect_attrs: Option<Vec<u8>>,
    /// See [`HandshakeOptions::probe_other_plugins`].
    pub probe_other_plugins: bool,
    /// TEST AID ONLY: see [`HandshakeOptions::native_password_test_aid`].
    #[cfg(feature = "test-native-password")]
    pub native_password_test_aid: Option<String>,
}

impl ConnectOptions {
    /// Defaults: port 3306, no database, `PREFERRED`, 10 s connect timeout, 16 MiB packets.
    pub fn new(host: impl Into<String>, user: impl Into<String>, plugin: KerberosPlugin) -> Self {
        Self {
            host: host.into(),
            port: 3306,
            user: user.into(),
            database: None,
            plugin,
            ssl_mode: SslMode::Preferred,
            ssl_ca: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Some(Duration::from_secs(60)),
            max_packet: crate::packet::DEFAULT_MAX_PAYLOAD,
            max_result_bytes: 256 * 1024 * 1024,
            spn_policy: SpnPolicy::default(),
            on_warning: None,
            charset: 45,
            capabilities: None,
            connect_attrs: None,
            probe_other_plugins: false,
            #[cfg(feature = "test-native-password")]
            native_password_test_aid: None,
        }
    }
}

/// A text result (or the OK of a statement without a result set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryResult {
    /// Column names (empty for statements without a result set).
    pub columns: Vec<String>,
    /// Rows; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<Vec<u8>>>>,
    /// Affected rows (OK packet).
    pub affected_rows: u64,
    /// Last insert id (OK packet).
    pub last_insert_id: u64,
    /// Warning count.
    pub warnings: u16,
}

// ---------------------------------------------------------------------------------------------
// Transport shared with the test server.

pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::TlsStream<TcpStream>>),
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_flush(cx),
            Self::Tls(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => std::pin::Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Stream {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf).await,
            Self::Tls(s) => s.read(buf).await,
        }
    }
    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
            Self::Tls(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
        }
    }
    async fn shutdown(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.shutdown().await,
            Self::Tls(s) => s.shutdown().await,
        }
    }
}

/// A packet stream: framing over plain TCP or TLS.
pub(crate) struct PacketIo {
    pub(crate) stream: Stream,
    decoder: PacketDecoder,
}

impl PacketIo {
    pub(crate) fn new(tcp: TcpStream, max_packet: usize) -> Self {
        Self {
            stream: Stream::Plain(tcp),
            decoder: PacketDecoder::new(max_packet),
        }
    }

    pub(crate) async fn read_packet(&mut self) -> Result<Packet, Error> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(p) = self.decoder.next_packet()? {
                return Ok(p);
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            // n <= buf.len() by the read contract.
            self.decoder.extend(&buf[..n]);
        }
    }

    /// Read one single-chunk packet without reading past its end (the peer may follow it
    /// with a TLS ClientHello right away; used by the test server after the greeting).
    #[cfg(feature = "test-server")]
    pub(crate) async fn read_packet_exact(&mut self) -> Result<Packet, Error> {
        if let Some(p) = self.decoder.next_packet()? {
            return Ok(p);
        }
        let mut hdr = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.stream.read(&mut hdr[got..]).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            got += n;
        }
        // hdr is a fixed [u8; 4]; got < 4 / got < len keep the slices in bounds.
        let len = usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
        let mut body = vec![0u8; len];
        let mut got = 0;
        while got < len {
            let n = self.stream.read(&mut body[got..]).await?;
            if n == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            got += n;
        }
        self.decoder.extend(&hdr);
        self.decoder.extend(&body);
        self.decoder
            .next_packet()?
            .ok_or(Error::Protocol(ProtocolError::Truncated("packet")))
    }

    pub(crate) async fn write_packet(&mut self, p: &Packet) -> Result<(), Error> {
        self.stream.write_all(&p.encode()).await?;
        Ok(())
    }

    /// Take the TCP stream for the TLS switch; fails if the peer already sent bytes past the
    /// SSLRequest point (they would bypass TLS).
    pub(crate) fn take_plain(self) -> Result<TcpStream, Error> {
        if self.decoder.buffered() != 0 {
            return Err(ProtocolError::Unexpected(
                "peer sent data before the TLS handshake".into(),
            )
            .into());
        }
        match self.stream {
            Stream::Plain(s) => Ok(s),
            Stream::Tls(_) => Err(Error::Tls("TLS already established".into())),
        }
    }

    pub(crate) fn with_tls(tls: tokio_rustls::TlsStream<TcpStream>, max_packet: usize) -> Self {
        Self {
            stream: Stream::Tls(Box::new(tls)),
            decoder: PacketDecoder::new(max_packet),
        }
    }
}

async fn timed<T, F>(d: Option<Duration>, what: &'static str, f: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    match d {
        Some(d) => tokio::time::timeout(d, f)
            .await
            .map_err(|_| Error::Timeout(what))?,
        None => f.await,
    }
}

// ---------------------------------------------------------------------------------------------
// TLS client configuration.

/// REQUIRED / PREFERRED: accept any certificate, but still check the handshake signature
/// (so the session is at least bound to the presented key).
#[derive(Debug)]
struct NoCertVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// VERIFY_CA: full chain verification, but a host-name mismatch is ignored. webpki checks the
/// chain before the name, so a name error implies the chain was valid.
#[derive(Debug)]
struct CaOnlyVerification(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for CaOnlyVerification {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The ring crypto provider.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_roots(path: &std::path::Path) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Config(format!("--ssl-ca {}: {e}", path.display())))?;
    for c in iter {
        let c = c.map_err(|e| Error::Config(format!("--ssl-ca {}: {e}", path.display())))?;
        roots.add(c)?;
    }
    if roots.is_empty() {
        return Err(Error::Config(format!(
            "--ssl-ca {}: no certificates found",
            path.display()
        )));
    }
    Ok(roots)
}

/// Build the rustls client configuration for `mode` (None for `Disabled`).
pub fn tls_client_config(
    mode: SslMode,
    ssl_ca: Option<&std::path::Path>,
) -> Result<Option<Arc<rustls::ClientConfig>>, Error> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disabled => return Ok(None),
        SslMode::Preferred | SslMode::Required => Arc::new(NoCertVerification(provider.clone())),
        SslMode::VerifyCa | SslMode::VerifyIdentity => {
            let ca = ssl_ca.ok_or_else(|| {
                Error::Config("--ssl-mode VERIFY_CA/VERIFY_IDENTITY needs --ssl-ca".into())
            })?;
            let webpki = WebPkiServerVerifier::builder_with_provider(
                Arc::new(load_roots(ca)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| Error::Tls(e.to_string()))?;
            if mode == SslMode::VerifyCa {
                Arc::new(CaOnlyVerification(webpki))
            } else {
                webpki
            }
        }
    };
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(Arc::new(cfg)))
}

// ---------------------------------------------------------------------------------------------
// Connection.

/// A connection whose greeting has been read, before the login.
pub struct Greeted {
    io: PacketIo,
    packet: Packet,
}

impl std::fmt::Debug for Greeted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Greeted").finish_non_exhaustive()
    }
}

impl Greeted {
    /// The greeting packet as received (an ERR packet when the server refuses at once).
    pub fn packet(&self) -> &Packet {
        &self.packet
    }
}

/// An authenticated connection in the command phase.
pub struct Connection {
    io: PacketIo,
    auth: Authenticated,
    read_timeout: Option<Duration>,
    max_result_bytes: usize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("server_version", &self.auth.server.server_version)
            .field("connection_id", &self.auth.server.connection_id)
            .field("tls", &self.auth.tls)
            .finish()
    }
}

impl Connection {
    /// Connect, negotiate TLS per `opts.ssl_mode`, and authenticate with `initiator`.
    pub async fn connect(
        opts: &ConnectOptions,
        initiator: &mut dyn GssInitiator,
    ) -> Result<Self, Error> {
        let greeted = Self::open(opts).await?;
        Self::login(greeted, opts, initiator).await
    }

    /// Connect and read the server's greeting (the first half of [`Connection::connect`];
    /// the proxy derives its local greeting from it before it knows the account).
    pub async fn open(opts: &ConnectOptions) -> Result<Greeted, Error> {
        let fut = async {
            let tcp = TcpStream::connect((opts.host.as_str(), opts.port)).await?;
            tcp.set_nodelay(true)?;
            let mut io = PacketIo::new(tcp, opts.max_packet);
            let packet = io.read_packet().await?;
            Ok(Greeted { io, packet })
        };
        timed(Some(opts.connect_timeout), "connect", fut).await
    }

    /// Negotiate TLS per `opts.ssl_mode` and authenticate with `initiator` on a connection
    /// from [`Connection::open`].
    pub async fn login(
        greeted: Greeted,
        opts: &ConnectOptions,
        initiator: &mut dyn GssInitiator,
    ) -> Result<Self, Error> {
        let tls = tls_client_config(opts.ssl_mode, opts.ssl_ca.as_deref())?;
        let server_name = ServerName::try_from(opts.host.clone())
            .map_err(|e| Error::Config(format!("invalid host name '{}': {e}", opts.host)))?;
        let fut = async {
            let Greeted { mut io, packet } = greeted;
            let mut ho = HandshakeOptions::new(opts.user.clone(), opts.plugin);
            ho.database = opts.database.clone();
            ho.max_packet = u32::try_from(opts.max_packet).unwrap_or(u32::MAX);
            ho.spn_policy = opts.spn_policy.clone();
            ho.spn_context = initiator.spn_context(&opts.host);
            ho.charset = opts.charset;
            ho.capabilities = opts.capabilities;
            ho.connect_attrs = opts.connect_attrs.clone();
            ho.probe_other_plugins = opts.probe_other_plugins;
            ho.tls = match opts.ssl_mode {
                SslMode::Disabled => TlsIntent::Disabled,
                SslMode::Preferred => TlsIntent::Preferred,
                _ => TlsIntent::Required,
            };
            #[cfg(feature = "test-native-password")]
            {
                ho.native_password_test_aid = opts.native_password_test_aid.clone();
            }
            let mut hs = ClientHandshake::new(ho);
            let mut pkt = packet;
            if opts.ssl_mode == SslMode::Preferred
                && Handshake::parse(&pkt.payload).is_ok_and(|g| g.capabilities & caps::SSL == 0)
            {
                let m = "the server does not offer TLS: with --ssl-mode PREFERRED the Kerberos \
                         login and the session go unencrypted (--ssl-mode REQUIRED or \
                         VERIFY_IDENTITY refuses this)";
                tracing::warn!("{m}");
                if let Some(warn) = opts.on_warning {
                    warn(m);
                }
            }
            loop {
                if let Some(req) = hs.context_request_in(&pkt) {
                    initiator.prepare(&req).await.map_err(AuthError::Gss)?;
                }
                match hs.handle_packet(&pkt, initiator)? {
                    Step::Send(p) => io.write_packet(&p).await?,
                    Step::Wait => {}
                    Step::StartTls(p) => {
                        io.write_packet(&p).await?;
                        let Some(cfg) = tls.clone() else {
                            return Err(Error::Tls("TLS requested without a configuration".into()));
                        };
                        let tcp = io.take_plain()?;
                        let s = tokio_rustls::TlsConnector::from(cfg)
                            .connect(server_name.clone(), tcp)
                            .await
                            .map_err(|e| Error::Tls(e.to_string()))?;
                        io =
                            PacketIo::with_tls(tokio_rustls::TlsStream::Client(s), opts.max_packet);
                        if let Step::Send(p) = hs.tls_established()? {
                            io.write_packet(&p).await?;
                        }
                    }
                    Step::Authenticated(a) => {
                        return Ok(Connection {
                            io,
                            auth: *a,
                            read_timeout: opts.read_timeout,
                            max_result_bytes: opts.max_result_bytes,
                        });
                    }
                }
                pkt = io.read_packet().await?;
            }
        };
        timed(Some(opts.connect_timeout), "authenticate", fut).await
    }

    /// Details of the connection phase (greeting, negotiated capabilities, final OK).
    pub fn authenticated(&self) -> &Authenticated {
        &self.auth
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.auth.tls
    }

    /// Server version string from the greeting.
    pub fn server_version(&self) -> &str {
        &self.auth.server.server_version
    }

    fn deprecate_eof(&self) -> bool {
        self.auth.capabilities & caps::DEPRECATE_EOF != 0
    }

    async fn command(&mut self, payload: Vec<u8>) -> Result<(), Error> {
        self.io.write_packet(&Packet::new(0, payload)).await
    }

    async fn read_seq(&mut self, seq: &mut u8) -> Result<Packet, Error> {
        let p = self.io.read_packet().await?;
        if p.seq != *seq {
            return Err(ProtocolError::SequenceMismatch {
                expected: *seq,
                got: p.seq,
            }
            .into());
        }
        *seq = p.next_seq();
        Ok(p)
    }

    /// COM_QUERY with a text result set (MySQL docs "COM_QUERY Response", "Text Resultset").
    /// Only the first result set is returned; further ones (SERVER_MORE_RESULTS_EXISTS) are read
    /// and discarded.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, Error> {
        let t = self.read_timeout;
        timed(t, "query", self.query_inner(sql)).await
    }

    async fn query_inner(&mut self, sql: &str) -> Result<QueryResult, Error> {
        let mut payload = vec![0x03];
        payload.extend_from_slice(sql.as_bytes());
        self.command(payload).await?;
        let mut seq = 1u8;
        let mut first: Option<QueryResult> = None;
        loop {
            let (res, more) = self.read_result(&mut seq).await?;
            if first.is_none() {
                first = Some(res);
            }
            if !more {
                // first is Some: set just above.
                return Ok(first.unwrap_or_default());
            }
        }
    }

    async fn read_result(&mut self, seq: &mut u8) -> Result<(QueryResult, bool), Error> {
        let p = self.read_seq(seq).await?;
        match p.payload.first() {
            Some(0x00) => {
                let ok = OkPacket::parse(&p.payload)?;
                return Ok((
                    QueryResult {
                        affected_rows: ok.affected_rows,
                        last_insert_id: ok.last_insert_id,
                        warnings: ok.warnings,
                        ..QueryResult::default()
                    },
                    ok.status & SERVER_MORE_RESULTS_EXISTS != 0,
                ));
            }
            Some(0xFF) => return Err(Error::Server(ErrPacket::parse(&p.payload)?)),
            Some(0xFB) => {
                // LOCAL INFILE request: refuse by sending an empty packet, then read OK/ERR.
                self.io.write_packet(&Packet::new(*seq, Vec::new())).await?;
                *seq = seq.wrapping_add(1);
                let r = self.read_seq(seq).await?;
                if r.payload.first() == Some(&0xFF) {
                    return Err(Error::Server(ErrPacket::parse(&r.payload)?));
                }
                return Err(
                    ProtocolError::Unexpected("LOCAL INFILE is not supported".into()).into(),
                );
            }
            _ => {}
        }
        let ncols = Reader::new(&p.payload, "column count").lenenc_int()?;
        if ncols == 0 || ncols > 4096 {
            return Err(ProtocolError::Malformed("column count", "not in 1..=4096").into());
        }
        let ncols = ncols as usize; // <= 4096
        let deprecate_eof = self.deprecate_eof();
        let mut res = QueryResult::default();
        let mut bytes = 0usize;
        for _ in 0..ncols {
            let c = self.read_seq(seq).await?;
            if c.payload.first() == Some(&0xFF) {
                return Err(Error::Server(ErrPacket::parse(&c.payload)?));
            }
            res.columns.push(parse_column_name(&c.payload)?);
        }
        if !deprecate_eof {
            let e = self.read_seq(seq).await?;
            if !is_result_terminator(&e.payload, false) {
                return Err(ProtocolError::Unexpected(
                    "missing EOF after column definitions".into(),
                )
                .into());
            }
        }
        loop {
            let r = self.read_seq(seq).await?;
            if r.payload.first() == Some(&0xFF) {
                return Err(Error::Server(ErrPacket::parse(&r.payload)?));
            }
            if is_result_terminator(&r.payload, deprecate_eof) {
                let status = terminator_status(&r.payload, deprecate_eof)?;
                if deprecate_eof {
                    let ok = OkPacket::parse(&r.payload)?;
                    res.warnings = ok.warnings;
                }
                return Ok((res, status & SERVER_MORE_RESULTS_EXISTS != 0));
            }
            // The memory the row will hold, not its wire size: a NULL is one byte on the
            // wire but an `Option<Vec<u8>>` (24 bytes) here, plus the row's own `Vec`.
            bytes = bytes
                .saturating_add(r.payload.len())
                .saturating_add(ncols.saturating_mul(std::mem::size_of::<Option<Vec<u8>>>()))
                .saturating_add(std::mem::size_of::<Vec<Option<Vec<u8>>>>());
            if bytes > self.max_result_bytes {
                return Err(ProtocolError::PacketTooLarge {
                    len: bytes,
                    max: self.max_result_bytes,
                }
                .into());
            }
            res.rows.push(parse_text_row(&r.payload, ncols)?);
        }
    }

    /// The stream in the command phase, for a byte relay (the proxy), with any bytes
    /// already read past the last packet.
    #[cfg(feature = "proxy")]
    pub(crate) fn into_stream(mut self) -> (Stream, Vec<u8>) {
        let rest = self.io.decoder.take_buffered();
        (self.io.stream, rest)
    }

    /// COM_PING.
    pub async fn ping(&mut self) -> Result<(), Error> {
        let t = self.read_timeout;
        timed(t, "ping", async {
            self.command(vec![0x0E]).await?;
            let mut seq = 1;
            let p = self.read_seq(&mut seq).await?;
            match p.payload.first() {
                Some(0x00) => Ok(()),
                Some(0xFF) => Err(Error::Server(ErrPacket::parse(&p.payload)?)),
                _ => Err(ProtocolError::Unexpected("reply to COM_PING".into()).into()),
            }
        })
        .await
    }

    /// COM_QUIT, then close the stream.
    pub async fn quit(mut self) -> Result<(), Error> {
        self.command(vec![0x01]).await?;
        let _ = self.io.stream.shutdown().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `connect`'s future must be `Send` (usable from multi-threaded runtimes).
    #[test]
    fn connect_future_is_send() {
        fn is_send<T: Send>(_: &T) {}
        let opts = ConnectOptions::new("127.0.0.1", "u", KerberosPlugin::MysqlKerberos);
        struct N;
        impl GssInitiator for N {
            fn initial_token(
                &mut self,
                _: &crate::plugin::ContextRequest,
            ) -> Result<crate::plugin::GssStep, crate::error::GssError> {
                Err("x".into())
            }
            fn step(&mut self, _: &[u8]) -> Result<crate::plugin::GssStep, crate::error::GssError> {
                Err("x".into())
            }
        }
        let mut n = N;
        is_send(&Connection::connect(&opts, &mut n));
    }
}
