//! [`Connection`]: the login and the command phase over a [`PacketIo`].

use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::stream::{PacketIo, timed};
use super::{ConnectOptions, Error, QueryResult, SslMode};
use crate::command::{QueryReader, ReadStep, ping_reply};
use crate::error::GssError;
use crate::handshake::{Authenticated, ClientHandshake, HandshakeOptions, Step, TlsIntent};
use crate::messages::caps;
use crate::packet::Packet;
use crate::plugin::{ContextRequest, GssInitiator};
use crate::spn_policy::SpnContext;

/// The initiator the connector drives: the I/O-free [`GssInitiator`], plus what it needs
/// from the network before its first token.
pub trait Initiator: GssInitiator {
    /// Obtain what [`GssInitiator::initial_token`] will need for `req` (a service ticket for
    /// `req.spn`, which may take KDC round trips). Awaited when the handshake asks for a
    /// token ([`Step::NeedToken`]); its error fails the login as a GSS-API failure. The
    /// default needs nothing.
    fn acquire(
        &mut self,
        req: &ContextRequest,
    ) -> impl Future<Output = Result<(), GssError>> + Send {
        let _ = req;
        std::future::ready(Ok(()))
    }
}

impl<T: Initiator + ?Sized> Initiator for &mut T {
    fn acquire(
        &mut self,
        req: &ContextRequest,
    ) -> impl Future<Output = Result<(), GssError>> + Send {
        (**self).acquire(req)
    }
}

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

/// The handshake options `opts` implies, with what the initiator knows for the SPN policy's
/// realm check.
fn handshake_options(opts: &ConnectOptions, spn_context: SpnContext) -> HandshakeOptions {
    let mut ho = HandshakeOptions::new(opts.user.clone(), opts.plugin);
    ho.database = opts.database.clone();
    ho.max_packet = u32::try_from(opts.max_packet).unwrap_or(u32::MAX);
    ho.spn_policy = opts.spn_policy.clone();
    ho.spn_context = spn_context;
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
    ho
}

impl Connection {
    /// Connect, negotiate TLS per `opts.ssl_mode`, and authenticate with `initiator`.
    pub async fn connect<I: Initiator>(
        opts: &ConnectOptions,
        initiator: &mut I,
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
    pub async fn login<I: Initiator>(
        greeted: Greeted,
        opts: &ConnectOptions,
        initiator: &mut I,
    ) -> Result<Self, Error> {
        let tls = opts.tls_config()?;
        let server_name = ServerName::try_from(opts.host.clone())
            .map_err(|e| Error::Config(format!("invalid host name '{}': {e}", opts.host)))?;
        let fut = async {
            let Greeted { mut io, packet } = greeted;
            let spn_context = initiator.spn_context(&opts.host);
            let mut hs = ClientHandshake::new(handshake_options(opts, spn_context));
            let mut step = hs.handle_packet(&packet)?;
            warn_if_clear_text(opts, &hs);
            loop {
                step = match step {
                    Step::NeedToken(req) => {
                        let answer = match initiator.acquire(&req).await {
                            Ok(()) => initiator.initial_token(&req),
                            Err(e) => Err(e),
                        };
                        hs.gss_answer(answer)?
                    }
                    Step::ServerToken(token) => hs.gss_answer(initiator.step(&token))?,
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
                        hs.tls_established()?
                    }
                    Step::Send(p) => {
                        io.write_packet(&p).await?;
                        hs.handle_packet(&io.read_packet().await?)?
                    }
                    Step::Wait => hs.handle_packet(&io.read_packet().await?)?,
                    Step::Authenticated(a) => {
                        return Ok(Connection {
                            io,
                            auth: *a,
                            read_timeout: opts.read_timeout,
                            max_result_bytes: opts.max_result_bytes,
                        });
                    }
                };
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

    async fn command(&mut self, payload: Vec<u8>) -> Result<(), Error> {
        self.io.write_packet(&Packet::new(0, payload)).await
    }

    /// COM_QUERY with a text result set (MySQL manual, "COM_QUERY Response" and "Text
    /// Resultset"). Only the first result set is returned; further ones
    /// (SERVER_MORE_RESULTS_EXISTS) are read and discarded.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, Error> {
        let t = self.read_timeout;
        timed(t, "query", self.query_inner(sql)).await
    }

    async fn query_inner(&mut self, sql: &str) -> Result<QueryResult, Error> {
        let mut payload = vec![0x03];
        payload.extend_from_slice(sql.as_bytes());
        self.command(payload).await?;
        let mut reader = QueryReader::new(self.auth.capabilities, self.max_result_bytes);
        loop {
            let p = self.io.read_packet().await?;
            match reader.handle_packet(&p)? {
                ReadStep::Read => {}
                ReadStep::Send(p) => self.io.write_packet(&p).await?,
                ReadStep::Done(r) => return Ok(r),
            }
        }
    }

    /// The stream in the command phase, for a byte relay (the proxy), with any bytes
    /// already read past the last packet.
    #[cfg(feature = "proxy")]
    pub(crate) fn into_stream(mut self) -> (super::stream::Stream, Vec<u8>) {
        let rest = self.io.decoder.take_buffered();
        (self.io.stream, rest)
    }

    /// COM_PING.
    pub async fn ping(&mut self) -> Result<(), Error> {
        let t = self.read_timeout;
        timed(t, "ping", async {
            self.command(vec![0x0E]).await?;
            let p = self.io.read_packet().await?;
            Ok(ping_reply(&p)?)
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

/// With `PREFERRED`, tell the user (before any Kerberos token is sent) that a server without
/// CLIENT_SSL gets the login and the session in clear text.
fn warn_if_clear_text(opts: &ConnectOptions, hs: &ClientHandshake) {
    if opts.ssl_mode == SslMode::Preferred
        && hs.server().is_some_and(|g| g.capabilities & caps::SSL == 0)
    {
        let m = "the server does not offer TLS: with --ssl-mode PREFERRED the Kerberos \
                 login and the session go unencrypted (--ssl-mode REQUIRED or \
                 VERIFY_IDENTITY refuses this)";
        tracing::warn!("{m}");
        if let Some(warn) = opts.on_warning {
            warn(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KerberosPlugin;

    /// `connect`'s future must be `Send` (usable from multi-threaded runtimes).
    #[test]
    fn connect_future_is_send() {
        fn is_send<T: Send>(_: &T) {}
        let opts = ConnectOptions::new("127.0.0.1", "u", KerberosPlugin::MysqlKerberos);
        struct N;
        impl GssInitiator for N {
            fn initial_token(
                &mut self,
                _: &ContextRequest,
            ) -> Result<crate::plugin::GssStep, GssError> {
                Err("x".into())
            }
            fn step(&mut self, _: &[u8]) -> Result<crate::plugin::GssStep, GssError> {
                Err("x".into())
            }
        }
        impl Initiator for N {}
        let mut n = N;
        is_send(&Connection::connect(&opts, &mut n));
    }
}
