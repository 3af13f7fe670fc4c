//! The client side of the connection phase as a sans-IO state machine.
//!
//! Packet sequence (MySQL manual, client/server protocol, "Connection Phase" and
//! "Authentication Method Mismatch"; MariaDB's `plugin/auth_gssapi/gssapi_client.cc`):
//!
//! ```text
//! S->C 0  Initial Handshake v10                     -> ClientHandshake::handle_packet
//! C->S 1  [SSLRequest, then TLS]                    <- Step::StartTls (call tls_established)
//! C->S 1/2 HandshakeResponse41 (plugin = Kerberos plugin, EMPTY auth data)
//! S->C    AuthSwitchRequest 0xFE plugin\0 data      -> Step::NeedToken(request)
//! C->S    initial context token (raw)               <- gss_answer(initial_token) = Step::Send
//! S->C    AuthMoreData 0x01 token / raw token       -> Step::ServerToken(token)
//!                                                     gss_answer(step) = Step::Send / Wait
//! S->C    OK 0x00 / ERR 0xFF                        -> Step::Authenticated / AuthError::Server
//! ```
//!
//! The machine never calls the initiator itself: it states what it needs, as
//! `kdc_client`'s `AsStep::NeedSecret` does, so the driver may do network I/O (fetch the
//! service ticket) between a [`Step::NeedToken`] and its answer.
//!
//! Greeting path: when the greeting's plugin is a Kerberos plugin, its auth-plugin-data is that
//! plugin's first packet, so the initial context token goes into the HandshakeResponse
//! (libmysqlclient does the same for any plugin whose name matches the greeting's).

use crate::error::{AuthError, GssError, ProtocolError};
use crate::messages::{AuthPacket, ErrPacket, Handshake, HandshakeResponse, OkPacket, caps};
use crate::packet::Packet;
use crate::plugin::{ContextRequest, GssStep, KerberosExchange, KerberosPlugin};
use crate::spn_policy::{SpnContext, SpnPolicy};

/// Whether to ask for TLS (the connector maps `--ssl-mode` onto this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsIntent {
    /// Never send an SSLRequest.
    Disabled,
    /// Use TLS if the server offers CLIENT_SSL.
    Preferred,
    /// Fail unless the server offers CLIENT_SSL.
    Required,
}

/// Options for [`ClientHandshake`]: [`HandshakeOptions::new`], changed with the `with_*`
/// methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HandshakeOptions {
    /// Account name for the HandshakeResponse. With no `--user`, callers pass the ccache
    /// principal's name without the realm (libmysqlclient behaviour,
    /// `libmysql/authentication_kerberos/kerberos_core.cc` in `mysql/mysql-server`).
    pub user: String,
    /// Initial database (CLIENT_CONNECT_WITH_DB).
    pub database: Option<String>,
    /// Plugin to announce in the HandshakeResponse. Either Kerberos plugin is accepted when
    /// the server switches to it.
    pub plugin: KerberosPlugin,
    /// TLS wish.
    pub tls: TlsIntent,
    /// Max packet size announced to the server.
    pub max_packet: u32,
    /// Client collation id (45 = utf8mb4_general_ci, known to MySQL and MariaDB).
    pub charset: u8,
    /// Maximum number of AuthSwitchRequests accepted.
    pub max_switches: usize,
    /// The SPNs the server may ask for (checked before any credential is obtained).
    pub spn_policy: SpnPolicy,
    /// What the client knows for the policy's realm check (the dialed host, its
    /// `[domain_realm]` realm, the client's realm); the connector fills it in.
    pub spn_context: SpnContext,
    /// Refuse an OK that ends the connection phase without any Kerberos exchange (default
    /// `true`): such a server authenticated nobody and proved nothing about itself.
    pub require_kerberos: bool,
    /// Command-phase capability flags to request instead of this crate's defaults (the proxy
    /// passes its local client's, so both sides of the relay speak the same protocol).
    /// CLIENT_SSL and compression are never taken from here; the flags the login itself
    /// needs are always added.
    pub capabilities: Option<u32>,
    /// When the server switches to a plugin that is not Kerberos (e.g. MariaDB does for an
    /// account that does not exist), answer it with an empty response so the server gives
    /// its own verdict (its ERR, passed on unchanged) instead of failing here. Should the
    /// server accept that, the login still fails with [`AuthError::UnsupportedPlugin`]:
    /// only Kerberos logins succeed.
    pub probe_other_plugins: bool,
    /// Connection attributes to send (CLIENT_CONNECT_ATTRS), in wire form without the total
    /// length; the proxy forwards its local client's.
    pub connect_attrs: Option<Vec<u8>>,
    /// TEST AID ONLY: password for `mysql_native_password` (to exercise the connector against
    /// a real server without Kerberos). Never use for production logins. Hidden from the
    /// documentation and without a builder: it exists only with the `test-native-password`
    /// feature.
    #[doc(hidden)]
    #[cfg(feature = "test-native-password")]
    pub native_password_test_aid: Option<String>,
}

impl HandshakeOptions {
    /// Defaults for `user` and `plugin`: no database, TLS preferred, 16 MiB packets.
    pub fn new(user: impl Into<String>, plugin: KerberosPlugin) -> Self {
        Self {
            user: user.into(),
            database: None,
            plugin,
            tls: TlsIntent::Preferred,
            max_packet: crate::packet::DEFAULT_MAX_PAYLOAD as u32,
            charset: 45,
            max_switches: 3,
            spn_policy: SpnPolicy::default(),
            spn_context: SpnContext::default(),
            require_kerberos: true,
            capabilities: None,
            probe_other_plugins: false,
            connect_attrs: None,
            #[cfg(feature = "test-native-password")]
            native_password_test_aid: None,
        }
    }

    /// Sets [`HandshakeOptions::database`], the initial database.
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Sets [`HandshakeOptions::tls`], whether to ask for TLS.
    pub fn with_tls(mut self, tls: TlsIntent) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`HandshakeOptions::max_packet`], the max packet size announced.
    pub fn with_max_packet(mut self, max: u32) -> Self {
        self.max_packet = max;
        self
    }

    /// Sets [`HandshakeOptions::charset`], the client collation id.
    pub fn with_charset(mut self, charset: u8) -> Self {
        self.charset = charset;
        self
    }

    /// Sets [`HandshakeOptions::max_switches`], the AuthSwitchRequests accepted at most.
    pub fn with_max_switches(mut self, max: usize) -> Self {
        self.max_switches = max;
        self
    }

    /// Sets [`HandshakeOptions::spn_policy`], the SPNs the server may ask for.
    pub fn with_spn_policy(mut self, policy: SpnPolicy) -> Self {
        self.spn_policy = policy;
        self
    }

    /// Sets [`HandshakeOptions::spn_context`], what the policy's realm check knows.
    pub fn with_spn_context(mut self, context: SpnContext) -> Self {
        self.spn_context = context;
        self
    }

    /// Sets [`HandshakeOptions::require_kerberos`]: refuse a login without a Kerberos exchange.
    pub fn with_require_kerberos(mut self, require: bool) -> Self {
        self.require_kerberos = require;
        self
    }

    /// Sets [`HandshakeOptions::capabilities`], the command-phase capability flags to request.
    pub fn with_capabilities(mut self, capabilities: u32) -> Self {
        self.capabilities = Some(capabilities);
        self
    }

    /// Sets [`HandshakeOptions::probe_other_plugins`]: answer a non-Kerberos plugin switch.
    pub fn with_probe_other_plugins(mut self, probe: bool) -> Self {
        self.probe_other_plugins = probe;
        self
    }

    /// Sets [`HandshakeOptions::connect_attrs`], connection attributes in wire form.
    pub fn with_connect_attrs(mut self, attrs: Vec<u8>) -> Self {
        self.connect_attrs = Some(attrs);
        self
    }
}

/// Result of a successful connection phase.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The final OK packet.
    pub ok: OkPacket,
    /// The final OK packet's payload as the server sent it.
    pub ok_payload: Vec<u8>,
    /// The parsed greeting.
    pub server: Handshake,
    /// Negotiated capabilities (client ∩ server).
    pub capabilities: u32,
    /// Whether the connection switched to TLS.
    pub tls: bool,
    /// The client plugin that authenticated.
    pub plugin: String,
    /// Sequence id the next packet in the connection phase would have had (informational).
    pub next_seq: u8,
}

/// What the driver must do next.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Step {
    /// Write this packet, then read the next server packet.
    Send(Packet),
    /// Nothing to write; read the next server packet.
    Wait,
    /// NeedTls: write this SSLRequest, run the TLS client handshake on the same stream, then
    /// call [`ClientHandshake::tls_established`].
    StartTls(Packet),
    /// The server asks for a security context (its plugin data parsed, the SPN passed the
    /// [`HandshakeOptions::spn_policy`]): obtain credentials for it (a service ticket, which
    /// may take KDC round trips), call [`crate::GssInitiator::initial_token`], and give the
    /// result to [`ClientHandshake::gss_answer`].
    NeedToken(ContextRequest),
    /// The server sent this context token (e.g. the AP-REP): call
    /// [`crate::GssInitiator::step`] and give the result to [`ClientHandshake::gss_answer`].
    ServerToken(Vec<u8>),
    /// Authentication finished; the connection is in the command phase.
    Authenticated(Box<Authenticated>),
}

#[derive(Debug)]
enum State {
    Greeting,
    /// The greeting named a Kerberos plugin: its initial token goes into the response.
    GreetingToken {
        use_tls: bool,
    },
    Tls,
    Auth,
    /// A [`Step::NeedToken`] or [`Step::ServerToken`] is out.
    AuthToken,
    Done,
}

/// The connection-phase state machine. Feed it every server packet; each [`Step`] says what
/// the driver must do next, including the GSS-API work ([`Step::NeedToken`],
/// [`Step::ServerToken`]), which the driver answers with [`ClientHandshake::gss_answer`].
#[derive(Debug)]
pub struct ClientHandshake {
    opts: HandshakeOptions,
    state: State,
    seq: u8,
    server: Option<Handshake>,
    capabilities: u32,
    tls: bool,
    exchange: Option<KerberosExchange>,
    plugin_name: String,
    switches: usize,
    greeting_token: Option<Vec<u8>>,
    native_used: bool,
    /// A non-Kerberos plugin answered with an empty response (see
    /// [`HandshakeOptions::probe_other_plugins`]).
    probing: Option<String>,
}

impl ClientHandshake {
    /// A fresh handshake; the first packet fed must be the server greeting (seq 0).
    pub fn new(opts: HandshakeOptions) -> Self {
        let plugin_name = opts.plugin.client_name().to_owned();
        Self {
            opts,
            state: State::Greeting,
            seq: 0,
            server: None,
            capabilities: 0,
            tls: false,
            exchange: None,
            plugin_name,
            switches: 0,
            greeting_token: None,
            native_used: false,
            probing: None,
        }
    }

    /// Negotiated capabilities (valid after the greeting).
    pub fn capabilities(&self) -> u32 {
        self.capabilities
    }

    /// The parsed greeting, once received.
    pub fn server(&self) -> Option<&Handshake> {
        self.server.as_ref()
    }

    /// Whether the test aid `mysql_native_password` authenticated (never in production).
    fn native_password_used(&self) -> bool {
        self.native_used
    }

    fn out(&mut self, payload: Vec<u8>) -> Packet {
        let p = Packet::new(self.seq, payload);
        self.seq = p.next_seq();
        p
    }

    fn exchange_for(&self, plugin: KerberosPlugin) -> KerberosExchange {
        KerberosExchange::new(plugin, self.opts.user.clone())
            .with_spn_policy(self.opts.spn_policy.clone())
            .with_spn_context(self.opts.spn_context.clone())
    }

    /// Handle one server packet.
    pub fn handle_packet(&mut self, pkt: &Packet) -> Result<Step, AuthError> {
        if pkt.seq != self.seq {
            return Err(ProtocolError::SequenceMismatch {
                expected: self.seq,
                got: pkt.seq,
            }
            .into());
        }
        self.seq = pkt.next_seq();
        match self.state {
            State::Greeting => self.on_greeting(&pkt.payload),
            State::Auth => self.on_auth(&pkt.payload),
            State::GreetingToken { .. } | State::AuthToken => Err(ProtocolError::Unexpected(
                "server packet while the initiator's answer was pending".into(),
            )
            .into()),
            State::Tls => Err(ProtocolError::Unexpected(
                "server packet while the TLS handshake was expected".into(),
            )
            .into()),
            State::Done => Err(ProtocolError::Unexpected(
                "server packet after authentication completed".into(),
            )
            .into()),
        }
    }

    /// The initiator's answer to [`Step::NeedToken`] ([`crate::GssInitiator::initial_token`],
    /// or the error of obtaining its credentials) or to [`Step::ServerToken`]
    /// ([`crate::GssInitiator::step`]).
    pub fn gss_answer(&mut self, answer: Result<GssStep, GssError>) -> Result<Step, AuthError> {
        let ex = self.exchange.as_mut();
        match (&self.state, ex) {
            (State::GreetingToken { use_tls }, Some(ex)) => {
                let use_tls = *use_tls;
                let token = ex.answer(answer)?.unwrap_or_default();
                if self.capabilities & caps::PLUGIN_AUTH_LENENC_CLIENT_DATA == 0
                    && token.len() > 255
                {
                    return Err(ProtocolError::MissingCapability(
                        "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
                    )
                    .into());
                }
                self.plugin_name = ex.plugin().client_name().to_owned();
                self.greeting_token = Some(token);
                Ok(self.after_greeting(use_tls))
            }
            (State::AuthToken, Some(ex)) => {
                let token = ex.answer(answer)?;
                self.state = State::Auth;
                Ok(match token {
                    Some(t) => Step::Send(self.out(t)),
                    None => Step::Wait,
                })
            }
            _ => Err(ProtocolError::Unexpected(
                "initiator answer without a pending context request or server token".into(),
            )
            .into()),
        }
    }

    /// Call after the TLS handshake following [`Step::StartTls`] succeeded; returns the
    /// HandshakeResponse to send over TLS.
    pub fn tls_established(&mut self) -> Result<Step, AuthError> {
        if !matches!(self.state, State::Tls) {
            return Err(AuthError::Tls("tls_established called in the wrong state"));
        }
        self.tls = true;
        Ok(Step::Send(self.handshake_response()))
    }

    fn on_greeting(&mut self, payload: &[u8]) -> Result<Step, AuthError> {
        if payload.first() == Some(&0xFF) {
            return Err(ErrPacket::parse(payload)?.into());
        }
        let hs = Handshake::parse(payload)?;
        let sc = hs.capabilities;
        for (bit, name) in [
            (caps::PROTOCOL_41, "CLIENT_PROTOCOL_41"),
            (caps::SECURE_CONNECTION, "CLIENT_SECURE_CONNECTION"),
            (caps::PLUGIN_AUTH, "CLIENT_PLUGIN_AUTH"),
        ] {
            if sc & bit == 0 {
                return Err(ProtocolError::MissingCapability(name).into());
            }
        }
        let login = caps::PROTOCOL_41
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA;
        let mut want = match self.opts.capabilities {
            Some(c) => {
                (c & !(caps::SSL
                    | caps::COMPRESS
                    | caps::ZSTD_COMPRESSION
                    | caps::CONNECT_WITH_DB
                    | caps::CONNECT_ATTRS))
                    | login
            }
            None => {
                caps::LONG_PASSWORD
                    | caps::LONG_FLAG
                    | caps::TRANSACTIONS
                    | caps::DEPRECATE_EOF
                    | login
            }
        };
        if self.opts.connect_attrs.is_some() {
            want |= caps::CONNECT_ATTRS;
        }
        if self.opts.database.is_some() {
            if sc & caps::CONNECT_WITH_DB == 0 {
                return Err(ProtocolError::MissingCapability("CLIENT_CONNECT_WITH_DB").into());
            }
            want |= caps::CONNECT_WITH_DB;
        }
        let use_tls = match self.opts.tls {
            TlsIntent::Disabled => false,
            TlsIntent::Preferred => sc & caps::SSL != 0,
            TlsIntent::Required => {
                if sc & caps::SSL == 0 {
                    return Err(AuthError::Tls(
                        "TLS is required but the server does not offer CLIENT_SSL",
                    ));
                }
                true
            }
        };
        if use_tls {
            want |= caps::SSL;
        }
        self.capabilities = want & sc;

        // Greeting path: the server's default plugin is a Kerberos plugin and its first packet
        // is the greeting's auth-plugin-data (MySQL manual, "Connection Phase": the
        // greeting's plugin data is the default plugin's first packet). If that data does not
        // parse, fall back to the empty response and wait for a switch request.
        let kerberos = hs
            .auth_plugin_name
            .as_deref()
            .and_then(KerberosPlugin::from_client_name);
        if let Some(plugin) = kerberos {
            let mut ex = self.exchange_for(plugin);
            // A policy refusal fails here (start checks it), not by falling back.
            if ex.parse_request(&hs.auth_plugin_data).is_ok() {
                let req = ex.start(&hs.auth_plugin_data)?;
                self.exchange = Some(ex);
                self.server = Some(hs);
                self.state = State::GreetingToken { use_tls };
                return Ok(Step::NeedToken(req));
            }
        }
        self.server = Some(hs);
        Ok(self.after_greeting(use_tls))
    }

    /// The SSLRequest (then TLS) or the HandshakeResponse.
    fn after_greeting(&mut self, use_tls: bool) -> Step {
        if use_tls {
            self.state = State::Tls;
            let req = crate::messages::ssl_request(
                self.capabilities,
                self.opts.max_packet,
                self.opts.charset,
            );
            return Step::StartTls(self.out(req));
        }
        Step::Send(self.handshake_response())
    }

    fn handshake_response(&mut self) -> Packet {
        self.state = State::Auth;
        let token = self.greeting_token.take().unwrap_or_default();
        let payload = HandshakeResponse {
            capabilities: self.capabilities,
            max_packet: self.opts.max_packet,
            charset: self.opts.charset,
            user: &self.opts.user,
            auth_response: &token,
            database: self.opts.database.as_deref(),
            plugin: &self.plugin_name,
            attrs: self.opts.connect_attrs.as_deref(),
        }
        .encode();
        self.out(payload)
    }

    fn on_auth(&mut self, payload: &[u8]) -> Result<Step, AuthError> {
        match AuthPacket::parse(payload)? {
            AuthPacket::Ok(ok) => {
                if let Some(plugin) = self.probing.take() {
                    self.state = State::Done;
                    return Err(AuthError::UnsupportedPlugin(plugin));
                }
                match &self.exchange {
                    Some(ex) if !ex.is_complete() => return Err(AuthError::ContextIncomplete),
                    None if self.opts.require_kerberos && !self.native_password_used() => {
                        return Err(AuthError::NoKerberosExchange);
                    }
                    _ => {}
                }
                self.state = State::Done;
                // server is Some: set in on_greeting before State::Auth is reachable.
                let server = self
                    .server
                    .clone()
                    .ok_or_else(|| ProtocolError::Unexpected("OK before the greeting".into()))?;
                Ok(Step::Authenticated(Box::new(Authenticated {
                    ok,
                    ok_payload: payload.to_vec(),
                    server,
                    capabilities: self.capabilities,
                    tls: self.tls,
                    plugin: self.plugin_name.clone(),
                    next_seq: self.seq,
                })))
            }
            AuthPacket::Err(e) => {
                self.state = State::Done;
                Err(AuthError::Server(e))
            }
            AuthPacket::Switch(sw) => {
                self.switches += 1;
                if self.switches > self.opts.max_switches {
                    return Err(AuthError::TooManyRounds(self.opts.max_switches));
                }
                self.plugin_name = sw.plugin.clone();
                self.probing = None;
                if let Some(plugin) = KerberosPlugin::from_client_name(&sw.plugin) {
                    let mut ex = self.exchange_for(plugin);
                    let req = ex.start(&sw.data)?;
                    self.exchange = Some(ex);
                    self.state = State::AuthToken;
                    return Ok(Step::NeedToken(req));
                }
                #[cfg(feature = "test-native-password")]
                if sw.plugin == "mysql_native_password"
                    && let Some(pw) = self.opts.native_password_test_aid.clone()
                {
                    self.exchange = None;
                    self.native_used = true;
                    let scramble = sw.data.strip_suffix(&[0]).unwrap_or(&sw.data);
                    let resp = crate::native_password::scramble(pw.as_bytes(), scramble);
                    return Ok(Step::Send(self.out(resp)));
                }
                if self.opts.probe_other_plugins {
                    self.exchange = None;
                    self.probing = Some(sw.plugin);
                    return Ok(Step::Send(self.out(Vec::new())));
                }
                Err(AuthError::UnsupportedPlugin(sw.plugin))
            }
            AuthPacket::MoreData(_) | AuthPacket::Raw(_) if self.probing.is_some() => Err(
                AuthError::UnsupportedPlugin(self.probing.take().unwrap_or_default()),
            ),
            AuthPacket::MoreData(d) | AuthPacket::Raw(d) => {
                let Some(ex) = self.exchange.as_mut() else {
                    return Err(ProtocolError::Unexpected(format!(
                        "plugin data (first byte {:#04x}) before any Kerberos plugin started",
                        payload.first().copied().unwrap_or(0)
                    ))
                    .into());
                };
                match ex.more(d)? {
                    Some(t) => {
                        self.state = State::AuthToken;
                        Ok(Step::ServerToken(t))
                    }
                    None => Ok(Step::Wait),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options of a client of EXAMPLE.COM (the test SPNs' realm) that dialed 127.0.0.1.
    fn opts(user: &str, plugin: KerberosPlugin) -> HandshakeOptions {
        let mut o = HandshakeOptions::new(user, plugin);
        o.spn_context = SpnContext::new("127.0.0.1", None, Some("EXAMPLE.COM".into()));
        o
    }
    use crate::error::GssError;
    use crate::messages::AuthSwitchRequest;
    use crate::plugin::{ContextRequest, GssInitiator, GssStep, GssapiData, MysqlKerberosData};

    /// Scripted initiator: records the request, returns fixed tokens.
    #[derive(Default)]
    struct Fake {
        mutual: bool,
        reqs: Vec<ContextRequest>,
        fed: Vec<Vec<u8>>,
        fail_step: bool,
    }
    const AP_REQ: &[u8] = &[0x60, 0x03, 0x06, 0x01, 0x00];
    const AP_REP: &[u8] = &[0x60, 0x03, 0x06, 0x02, 0x00];

    impl GssInitiator for Fake {
        fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
            self.reqs.push(req.clone());
            Ok(GssStep {
                token: Some(AP_REQ.to_vec()),
                complete: !self.mutual,
            })
        }
        fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError> {
            self.fed.push(token.to_vec());
            if self.fail_step || token != AP_REP {
                return Err("AP-REP did not verify".into());
            }
            Ok(GssStep {
                token: None,
                complete: true,
            })
        }
    }

    impl Fake {
        fn initial_token_for_test(&mut self) -> Result<GssStep, GssError> {
            Ok(GssStep {
                token: Some(AP_REQ.to_vec()),
                complete: true,
            })
        }
    }

    fn greeting(plugin: &str, data: &[u8], ssl: bool) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"8.0.36\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        let mut d = data.to_vec();
        d.resize(d.len().max(20), 0);
        p.extend_from_slice(&d[..8]);
        p.push(0);
        let mut c: u32 = 0xFFFF_F7FF;
        if ssl {
            c |= caps::SSL;
        }
        p.extend_from_slice(&(c as u16).to_le_bytes());
        p.push(255);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((c >> 16) as u16).to_le_bytes());
        p.push((d.len() + 1) as u8);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(&d[8..]);
        p.push(0);
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
        p
    }

    fn ok() -> Vec<u8> {
        vec![0, 0, 0, 2, 0, 0, 0]
    }

    fn mysql_switch() -> Vec<u8> {
        AuthSwitchRequest {
            plugin: "authentication_kerberos_client".into(),
            data: MysqlKerberosData {
                spn: "mysql/db.example.com@EXAMPLE.COM".into(),
                realm: "EXAMPLE.COM".into(),
            }
            .encode(),
        }
        .encode()
    }

    fn expect_send(s: Step) -> Packet {
        match s {
            Step::Send(p) => p,
            other => panic!("expected Send, got {other:?}"),
        }
    }

    /// Drive `hs` with `pkt`, answering its GSS-API steps with `g` as the connector does.
    fn feed(
        hs: &mut ClientHandshake,
        pkt: &Packet,
        g: &mut impl GssInitiator,
    ) -> Result<Step, AuthError> {
        let mut step = hs.handle_packet(pkt)?;
        loop {
            step = match step {
                Step::NeedToken(req) => hs.gss_answer(g.initial_token(&req))?,
                Step::ServerToken(t) => hs.gss_answer(g.step(&t))?,
                s => return Ok(s),
            };
        }
    }

    fn run_greeting(hs: &mut ClientHandshake, g: &mut Fake, ssl: bool) -> Packet {
        let greet = Packet::new(0, greeting("caching_sha2_password", &[1; 20], ssl));
        expect_send(feed(hs, &greet, g).unwrap())
    }

    #[test]
    fn mysql_switch_path_no_mutual() {
        let mut g = Fake::default();
        let mut o = opts("karl", KerberosPlugin::MysqlKerberos);
        o.database = Some("db1".into());
        let mut hs = ClientHandshake::new(o);
        let resp = run_greeting(&mut hs, &mut g, false);
        assert_eq!(resp.seq, 1);
        // user, EMPTY auth data, db, plugin name
        assert!(
            resp.payload
                .ends_with(b"karl\0\0db1\0authentication_kerberos_client\0")
        );
        assert!(hs.capabilities() & caps::SSL == 0);
        let tok = expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        assert_eq!(tok, Packet::new(3, AP_REQ.to_vec()));
        assert_eq!(g.reqs[0].spn, "mysql/db.example.com@EXAMPLE.COM");
        assert_eq!(g.reqs[0].upn().as_deref(), Some("karl@EXAMPLE.COM"));
        match feed(&mut hs, &Packet::new(4, ok()), &mut g).unwrap() {
            Step::Authenticated(a) => {
                assert_eq!(a.plugin, "authentication_kerberos_client");
                assert!(!a.tls);
            }
            s => panic!("{s:?}"),
        }
    }

    /// The machine states what it needs and waits for the answer: no packet is accepted
    /// in between, and an answer nobody asked for is an error.
    #[test]
    fn need_token_states_the_request_and_waits_for_the_answer() {
        let mut g = Fake::default();
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        assert!(hs.gss_answer(g.initial_token_for_test()).is_err());
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        let Step::NeedToken(req) = hs.handle_packet(&Packet::new(2, mysql_switch())).unwrap()
        else {
            panic!("expected NeedToken")
        };
        assert_eq!(req.spn, "mysql/db.example.com@EXAMPLE.COM");
        assert_eq!(req.upn().as_deref(), Some("karl@EXAMPLE.COM"));
        assert!(g.reqs.is_empty(), "the machine calls no initiator");
        assert!(matches!(
            hs.handle_packet(&Packet::new(3, ok())),
            Err(AuthError::Protocol(ProtocolError::SequenceMismatch { .. }))
                | Err(AuthError::Protocol(ProtocolError::Unexpected(_)))
        ));
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        let Step::NeedToken(req) = hs.handle_packet(&Packet::new(2, mysql_switch())).unwrap()
        else {
            panic!("expected NeedToken")
        };
        let tok = expect_send(hs.gss_answer(g.initial_token(&req)).unwrap());
        assert_eq!(tok, Packet::new(3, AP_REQ.to_vec()));
        assert!(
            hs.gss_answer(g.initial_token(&req)).is_err(),
            "not asked twice"
        );
        // The error of obtaining the credentials ends the login as a GSS failure.
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        hs.handle_packet(&Packet::new(2, mysql_switch())).unwrap();
        assert!(matches!(
            hs.gss_answer(Err("no ticket".into())),
            Err(AuthError::Gss(_))
        ));
    }

    #[test]
    fn mysql_mutual_ap_rep_in_auth_more_data() {
        let mut g = Fake {
            mutual: true,
            ..Fake::default()
        };
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        let mut more = vec![0x01];
        more.extend_from_slice(AP_REP);
        assert!(matches!(
            feed(&mut hs, &Packet::new(4, more), &mut g).unwrap(),
            Step::Wait
        ));
        assert_eq!(g.fed, vec![AP_REP.to_vec()]);
        assert!(matches!(
            feed(&mut hs, &Packet::new(5, ok()), &mut g).unwrap(),
            Step::Authenticated(_)
        ));
    }

    #[test]
    fn mutual_ok_without_ap_rep_is_error() {
        let mut g = Fake {
            mutual: true,
            ..Fake::default()
        };
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        assert!(matches!(
            feed(&mut hs, &Packet::new(4, ok()), &mut g),
            Err(AuthError::ContextIncomplete)
        ));
    }

    #[test]
    fn ok_without_any_kerberos_exchange_is_refused() {
        for require in [true, false] {
            let mut g = Fake {
                mutual: true,
                ..Fake::default()
            };
            let mut o = opts("karl", KerberosPlugin::MysqlKerberos);
            o.require_kerberos = require;
            let mut hs = ClientHandshake::new(o);
            run_greeting(&mut hs, &mut g, false);
            let r = feed(&mut hs, &Packet::new(2, ok()), &mut g);
            if require {
                let e = r.unwrap_err();
                assert!(matches!(e, AuthError::NoKerberosExchange), "{e}");
                assert!(e.to_string().contains("without any Kerberos exchange"));
            } else {
                assert!(matches!(r, Ok(Step::Authenticated(_))));
            }
            assert!(g.reqs.is_empty());
        }
    }

    #[test]
    fn bad_ap_rep_fails() {
        let mut g = Fake {
            mutual: true,
            ..Fake::default()
        };
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        assert!(matches!(
            feed(&mut hs, &Packet::new(4, vec![1, 0x60, 0]), &mut g),
            Err(AuthError::Gss(_))
        ));
    }

    #[test]
    fn err_surfaced_verbatim() {
        let mut g = Fake::default();
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        run_greeting(&mut hs, &mut g, false);
        expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        let e = ErrPacket {
            code: 1045,
            sql_state: "28000".into(),
            message: "Access denied for user 'karl'@'localhost' (using password: NO)".into(),
        };
        match feed(&mut hs, &Packet::new(4, e.encode()), &mut g) {
            Err(AuthError::Server(got)) => {
                assert_eq!(got, e);
                assert_eq!(
                    AuthError::Server(got).to_string(),
                    "ERROR 1045 (28000): Access denied for user 'karl'@'localhost' (using password: NO)"
                );
            }
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn mysql_greeting_path() {
        let mut g = Fake::default();
        let data = MysqlKerberosData {
            spn: "mysql/db.example.com@EXAMPLE.COM".into(),
            realm: "EXAMPLE.COM".into(),
        }
        .encode();
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        let p = Packet::new(0, greeting("authentication_kerberos_client", &data, false));
        let resp = expect_send(feed(&mut hs, &p, &mut g).unwrap());
        let mut tail = b"karl\0".to_vec();
        tail.push(AP_REQ.len() as u8);
        tail.extend_from_slice(AP_REQ);
        tail.extend_from_slice(b"authentication_kerberos_client\0");
        assert!(resp.payload.ends_with(&tail));
        assert_eq!(g.reqs[0].upn_realm.as_deref(), Some("EXAMPLE.COM"));
        assert!(matches!(
            feed(&mut hs, &Packet::new(2, ok()), &mut g).unwrap(),
            Step::Authenticated(_)
        ));
    }

    #[test]
    fn switch_naming_announced_plugin_restarts_context() {
        // The server restarts with the plugin already announced (MySQL manual,
        // "Authentication Method Mismatch").
        let mut g = Fake::default();
        let data = MysqlKerberosData {
            spn: "mysql/a@EXAMPLE.COM".into(),
            realm: "EXAMPLE.COM".into(),
        }
        .encode();
        let mut hs = ClientHandshake::new(opts("karl", KerberosPlugin::MysqlKerberos));
        let p = Packet::new(0, greeting("authentication_kerberos_client", &data, false));
        expect_send(feed(&mut hs, &p, &mut g).unwrap());
        let t = expect_send(feed(&mut hs, &Packet::new(2, mysql_switch()), &mut g).unwrap());
        assert_eq!(t.seq, 3);
        assert_eq!(g.reqs.len(), 2);
        assert!(matches!(
            feed(&mut hs, &Packet::new(4, ok()), &mut g).unwrap(),
            Step::Authenticated(_)
        ));
    }

    fn mariadb_switch(spn: &str) -> Vec<u8> {
        AuthSwitchRequest {
            plugin: "auth_gssapi_client".into(),
            data: GssapiData {
                spn: spn.into(),
                mech: String::new(),
            }
            .encode(),
        }
        .encode()
    }

    #[test]
    fn mariadb_raw_and_prefixed_ap_rep() {
        for prefixed in [false, true] {
            let mut g = Fake {
                mutual: true,
                ..Fake::default()
            };
            let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MariadbGssapi));
            let resp = run_greeting(&mut hs, &mut g, false);
            assert!(resp.payload.ends_with(b"u\0\0auth_gssapi_client\0"));
            let t = expect_send(
                feed(
                    &mut hs,
                    &Packet::new(2, mariadb_switch("mariadb/db.example.com@EXAMPLE.COM")),
                    &mut g,
                )
                .unwrap(),
            );
            assert_eq!(t.payload, AP_REQ);
            assert_eq!(g.reqs[0].mech.as_deref(), Some(""));
            assert_eq!(g.reqs[0].upn(), None);
            let mut rep = if prefixed { vec![1] } else { vec![] };
            rep.extend_from_slice(AP_REP);
            assert!(matches!(
                feed(&mut hs, &Packet::new(4, rep), &mut g).unwrap(),
                Step::Wait
            ));
            assert!(matches!(
                feed(&mut hs, &Packet::new(5, ok()), &mut g).unwrap(),
                Step::Authenticated(_)
            ));
        }
    }

    /// The server may switch to either Kerberos plugin whatever the client announced
    /// (`kerb mysql` announces `authentication_kerberos_client`; MariaDB switches to
    /// `auth_gssapi_client`, and the other way round).
    #[test]
    fn switch_to_the_other_kerberos_plugin() {
        for (announce, switch, plugin) in [
            (
                KerberosPlugin::MysqlKerberos,
                mariadb_switch("mariadb/db.example.com@EXAMPLE.COM"),
                "auth_gssapi_client",
            ),
            (
                KerberosPlugin::MariadbGssapi,
                mysql_switch(),
                "authentication_kerberos_client",
            ),
        ] {
            let mut g = Fake::default();
            let mut hs = ClientHandshake::new(opts("u", announce));
            let resp = run_greeting(&mut hs, &mut g, false);
            let announced = format!("u\0\0{}\0", announce.client_name());
            assert!(resp.payload.ends_with(announced.as_bytes()));
            let sw = Packet::new(2, switch);
            let t = expect_send(feed(&mut hs, &sw, &mut g).unwrap());
            assert_eq!(t.payload, AP_REQ);
            assert_eq!(g.reqs[0].plugin.client_name(), plugin);
            match feed(&mut hs, &Packet::new(4, ok()), &mut g).unwrap() {
                Step::Authenticated(a) => assert_eq!(a.plugin, plugin),
                s => panic!("{s:?}"),
            }
        }
    }

    #[test]
    fn mariadb_empty_spn() {
        let mut g = Fake::default();
        let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MariadbGssapi));
        run_greeting(&mut hs, &mut g, false);
        let e = feed(&mut hs, &Packet::new(2, mariadb_switch("")), &mut g).unwrap_err();
        assert!(matches!(e, AuthError::ServerMisconfiguration(_)), "{e}");
    }

    #[test]
    fn unsupported_plugin_and_seq_errors() {
        let mut g = Fake::default();
        let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MariadbGssapi));
        run_greeting(&mut hs, &mut g, false);
        let sw = AuthSwitchRequest {
            plugin: "caching_sha2_password".into(),
            data: vec![1; 21],
        }
        .encode();
        assert!(matches!(
            feed(&mut hs, &Packet::new(3, sw.clone()), &mut g),
            Err(AuthError::Protocol(ProtocolError::SequenceMismatch { .. }))
        ));
        let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MariadbGssapi));
        run_greeting(&mut hs, &mut g, false);
        assert!(matches!(
            feed(&mut hs, &Packet::new(2, sw), &mut g),
            Err(AuthError::UnsupportedPlugin(p)) if p == "caching_sha2_password"
        ));
    }

    #[test]
    fn probing_other_plugins_gives_the_server_its_verdict_but_never_a_login() {
        let sw = AuthSwitchRequest {
            plugin: "mysql_native_password".into(),
            data: vec![1; 21],
        }
        .encode();
        let err = ErrPacket {
            code: 1045,
            sql_state: "28000".into(),
            message: "Access denied for user 'nobody'@'localhost' (using password: NO)".into(),
        };
        for (reply, verdict_is_server_err) in [(err.encode(), true), (ok(), false)] {
            let mut g = Fake::default();
            let mut o = opts("nobody", KerberosPlugin::MysqlKerberos);
            o.probe_other_plugins = true;
            let mut hs = ClientHandshake::new(o);
            run_greeting(&mut hs, &mut g, false);
            let empty = expect_send(feed(&mut hs, &Packet::new(2, sw.clone()), &mut g).unwrap());
            assert_eq!(empty, Packet::new(3, Vec::new()));
            let r = feed(&mut hs, &Packet::new(4, reply), &mut g);
            if verdict_is_server_err {
                assert!(
                    matches!(r, Err(AuthError::Server(ref e)) if *e == err),
                    "{r:?}"
                );
            } else {
                assert!(
                    matches!(r, Err(AuthError::UnsupportedPlugin(ref p)) if p == "mysql_native_password"),
                    "{r:?}"
                );
            }
            assert!(g.reqs.is_empty());
        }
    }

    #[test]
    fn capability_override_keeps_login_flags_and_drops_tls_and_compression() {
        let mut g = Fake::default();
        let mut o = opts("u", KerberosPlugin::MysqlKerberos);
        o.tls = TlsIntent::Disabled;
        o.capabilities = Some(caps::PROTOCOL_41 | caps::MULTI_RESULTS | caps::SSL | caps::COMPRESS);
        o.connect_attrs = Some(vec![1, b'a', 1, b'b']);
        let mut hs = ClientHandshake::new(o);
        let resp = run_greeting(&mut hs, &mut g, true);
        let want = caps::PROTOCOL_41
            | caps::MULTI_RESULTS
            | caps::SECURE_CONNECTION
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | caps::CONNECT_ATTRS;
        assert_eq!(hs.capabilities(), want);
        let parsed = HandshakeResponse::parse(&resp.payload).unwrap();
        assert_eq!(parsed.capabilities, want);
        assert_eq!(parsed.attrs, Some(&[1, b'a', 1, b'b'][..]));
    }

    #[test]
    fn tls_negotiation() {
        let mut g = Fake::default();
        let mut o = opts("u", KerberosPlugin::MysqlKerberos);
        o.tls = TlsIntent::Required;
        let mut hs = ClientHandshake::new(o.clone());
        let greet = Packet::new(0, greeting("caching_sha2_password", &[1; 20], true));
        let Step::StartTls(req) = feed(&mut hs, &greet, &mut g).unwrap() else {
            panic!()
        };
        assert_eq!(req.seq, 1);
        assert_eq!(req.payload.len(), 32);
        let resp = expect_send(hs.tls_established().unwrap());
        assert_eq!(resp.seq, 2);
        let t = expect_send(feed(&mut hs, &Packet::new(3, mysql_switch()), &mut g).unwrap());
        assert_eq!(t.seq, 4);
        let Step::Authenticated(a) = feed(&mut hs, &Packet::new(5, ok()), &mut g).unwrap() else {
            panic!()
        };
        assert!(a.tls);
        // Required but not offered.
        let mut hs = ClientHandshake::new(o.clone());
        let greet = Packet::new(0, greeting("caching_sha2_password", &[1; 20], false));
        assert!(matches!(
            feed(&mut hs, &greet, &mut g),
            Err(AuthError::Tls(_))
        ));
        // Disabled although offered.
        o.tls = TlsIntent::Disabled;
        let mut hs = ClientHandshake::new(o);
        let greet = Packet::new(0, greeting("caching_sha2_password", &[1; 20], true));
        assert!(matches!(
            feed(&mut hs, &greet, &mut g).unwrap(),
            Step::Send(_)
        ));
    }

    #[test]
    fn greeting_err_and_garbage_never_panic() {
        let mut g = Fake::default();
        let e = ErrPacket {
            code: 1130,
            sql_state: "HY000".into(),
            message: "Host '10.0.0.1' is not allowed to connect to this MySQL server".into(),
        };
        let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MysqlKerberos));
        assert!(matches!(
            feed(&mut hs, &Packet::new(0, e.encode()), &mut g),
            Err(AuthError::Server(x)) if x == e
        ));
        let full = greeting("caching_sha2_password", &[1; 20], true);
        for cut in 0..full.len() {
            let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MysqlKerberos));
            let _ = feed(&mut hs, &Packet::new(0, full[..cut].to_vec()), &mut g);
        }
        let sw = mysql_switch();
        for cut in 0..sw.len() {
            let mut hs = ClientHandshake::new(opts("u", KerberosPlugin::MysqlKerberos));
            run_greeting(&mut hs, &mut g, false);
            assert!(feed(&mut hs, &Packet::new(2, sw[..cut].to_vec()), &mut g).is_err());
        }
    }
}
