//! The two Kerberos client plugins and the GSS-API initiator abstraction they drive.
//!
//! * MySQL / Aurora `authentication_kerberos_client` (`libmysql/authentication_kerberos/
//!   auth_kerberos_client_io.cc`): server data
//!   `u16le spn_len, SPN, u16le realm_len, realm`; UPN = `user@realm`; one raw initial context
//!   token; with mutual authentication the AP-REP arrives in AuthMoreData before OK.
//! * MariaDB `auth_gssapi_client` (`plugin/auth_gssapi/client_plugin.cc`): server data `SPN\0mech\0`; token loop
//!   until the context is complete; the AP-REP may come raw or `0x01`-prefixed.
//!
//! The exchange ([`KerberosExchange`]) is shaped like mysql_common 0.38's
//! `ChallengeResponsePlugin`: it takes the server's plugin data and returns
//! the bytes to send, so a driver can host it.

use crate::error::{AuthError, GssError, ProtocolError};
use crate::packet::Reader;
use crate::spn_policy::{SpnContext, SpnPolicy};

/// libmysqlclient rejects Kerberos plugin data of `(256 + 4) * 2` bytes or more
/// (`libmysql/authentication_kerberos/auth_kerberos_client_io.cc`).
pub const MYSQL_KERBEROS_DATA_MAX: usize = (256 + 4) * 2;

/// Bound on the MariaDB SPN and mech strings (MariaDB uses 256 / 30; we are lenient).
pub const GSSAPI_NAME_MAX: usize = 1024;

/// Which Kerberos client plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KerberosPlugin {
    /// MySQL 8 / Aurora MySQL: `authentication_kerberos_client`.
    MysqlKerberos,
    /// MariaDB: `auth_gssapi_client`.
    MariadbGssapi,
}

impl KerberosPlugin {
    /// The client plugin name used on the wire.
    pub const fn client_name(self) -> &'static str {
        match self {
            Self::MysqlKerberos => "authentication_kerberos_client",
            Self::MariadbGssapi => "auth_gssapi_client",
        }
    }

    /// Look a client plugin name up.
    pub fn from_client_name(name: &str) -> Option<Self> {
        match name {
            "authentication_kerberos_client" => Some(Self::MysqlKerberos),
            "auth_gssapi_client" => Some(Self::MariadbGssapi),
            _ => None,
        }
    }
}

/// What the initiator needs to start a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRequest {
    /// The plugin asking.
    pub plugin: KerberosPlugin,
    /// Target SPN exactly as the server sent it (e.g. `mysql/db.example.com@EXAMPLE.COM`);
    /// import it as a krb5 principal name (GSS_C_NT_USER_NAME semantics, RFC 2743 §4.2, as
    /// libmysqlclient and MariaDB's client import it).
    pub spn: String,
    /// The MySQL/MariaDB account name sent in the HandshakeResponse.
    pub user: String,
    /// MySQL only: the UPN realm from the server (the account's authentication string).
    pub upn_realm: Option<String>,
    /// MariaDB only: the mech name from the server (`""` on Unix servers; `Kerberos` or
    /// `Negotiate` on Windows servers).
    pub mech: Option<String>,
}

impl ContextRequest {
    /// The client principal the server expects: `user@upn_realm` for MySQL (libmysqlclient
    /// `create_upn`), `None` for MariaDB (any TGT whose name satisfies the server's check).
    pub fn upn(&self) -> Option<String> {
        self.upn_realm
            .as_ref()
            .map(|realm| format!("{}@{}", self.user, realm))
    }
}

/// Result of one `gss_init_sec_context` call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GssStep {
    /// Token to send to the server, if any (sent raw as plugin data).
    pub token: Option<Vec<u8>>,
    /// `true` = GSS_S_COMPLETE; `false` = GSS_S_CONTINUE_NEEDED (e.g. mutual authentication
    /// requested: the AP-REP must still be verified).
    pub complete: bool,
}

/// The GSS-API initiator side as the auth plugins need it (RFC 2743 §2.2.1
/// `GSS_Init_sec_context` loop), free of I/O: whatever [`GssInitiator::initial_token`] needs
/// from the network (a service ticket) the driver obtains first, when the handshake asks for
/// a token ([`crate::Step::NeedToken`]). `mysql_auth::kerberos` implements it over `gss-mech`;
/// this crate treats tokens as opaque bytes.
pub trait GssInitiator: Send {
    /// Start a (new) security context for `req.spn` and return the first context token
    /// (RFC 2743 §3.1 framing, AP-REQ inside). Called again if the server restarts the plugin;
    /// the initiator must then discard any previous context.
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError>;

    /// Feed a token from the server (e.g. the AP-REP with mutual authentication, or a
    /// KRB-ERROR token); returns the next token to send, if any, and whether the context is
    /// complete. Errors fail the login (an AP-REP that does not verify must be an error).
    fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError>;

    /// What this initiator knows for the SPN policy's realm check on a connection to
    /// `dialed_host` (the connector asks before the handshake): the realm krb5.conf
    /// `[domain_realm]` maps the host to and the client principal's realm. The default knows
    /// neither, so only an SPN without a realm, or in the host's DNS domain, passes the
    /// default policy.
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        SpnContext::new(dialed_host, None, None)
    }
}

impl<T: GssInitiator + ?Sized> GssInitiator for &mut T {
    fn initial_token(&mut self, req: &ContextRequest) -> Result<GssStep, GssError> {
        (**self).initial_token(req)
    }
    fn step(&mut self, token: &[u8]) -> Result<GssStep, GssError> {
        (**self).step(token)
    }
    fn spn_context(&self, dialed_host: &str) -> SpnContext {
        (**self).spn_context(dialed_host)
    }
}

/// Server data of `authentication_kerberos` (MySQL's `auth_kerberos_client_io.cc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlKerberosData {
    /// Service principal name.
    pub spn: String,
    /// UPN realm (the account's authentication string).
    pub realm: String,
}

impl MysqlKerberosData {
    /// Parse `u16le spn_len, SPN, u16le realm_len, realm`; trailing bytes are ignored
    /// (libmysqlclient parses only two fields); zero lengths are rejected like
    /// libmysqlclient's `parse_client_config`.
    pub fn parse(data: &[u8]) -> Result<Self, AuthError> {
        const W: &str = "authentication_kerberos plugin data";
        if data.len() >= MYSQL_KERBEROS_DATA_MAX {
            return Err(ProtocolError::Malformed(W, "longer than 519 bytes").into());
        }
        let mut r = Reader::new(data, W);
        let n = usize::from(r.u16le()?);
        let spn = r.take(n)?;
        let n = usize::from(r.u16le()?);
        let realm = r.take(n)?;
        if spn.is_empty() {
            return Err(AuthError::ServerMisconfiguration(
                "the MySQL server sent an empty Kerberos service principal name \
                 (authentication_kerberos_service_principal)"
                    .into(),
            ));
        }
        if realm.is_empty() {
            return Err(AuthError::ServerMisconfiguration(
                "the MySQL server sent an empty UPN realm (the account's authentication \
                 string must name the realm)"
                    .into(),
            ));
        }
        Ok(Self {
            spn: utf8(spn, W)?,
            realm: utf8(realm, W)?,
        })
    }

    /// Encode (test server).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for s in [&self.spn, &self.realm] {
            out.extend_from_slice(&(s.len().min(0xFFFF) as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out
    }
}

/// Server data of MariaDB `gssapi` (MariaDB's `plugin/auth_gssapi/server_plugin.cc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GssapiData {
    /// Service principal name.
    pub spn: String,
    /// Mechanism name (`""` on Unix servers).
    pub mech: String,
}

impl GssapiData {
    /// Parse `SPN\0mech\0` (mech and either NUL may be missing, like MariaDB's client
    /// `strnlen` parse). An empty SPN is a server misconfiguration.
    pub fn parse(data: &[u8]) -> Result<Self, AuthError> {
        const W: &str = "auth_gssapi plugin data";
        let mut r = Reader::new(data, W);
        let spn = r.null_str_or_eof();
        let mech = r.null_str_or_eof();
        if spn.len() > GSSAPI_NAME_MAX || mech.len() > GSSAPI_NAME_MAX {
            return Err(ProtocolError::Malformed(W, "name too long").into());
        }
        if spn.is_empty() {
            return Err(AuthError::ServerMisconfiguration(
                "the MariaDB server sent an empty service principal name: no \
                 gssapi_principal_name is set and no mariadb/<host> key was found in its keytab"
                    .into(),
            ));
        }
        Ok(Self {
            spn: utf8(spn, W)?,
            mech: utf8(mech, W)?,
        })
    }

    /// Encode (test server).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.spn.as_bytes().to_vec();
        out.push(0);
        out.extend_from_slice(self.mech.as_bytes());
        out.push(0);
        out
    }
}

fn utf8(b: &[u8], what: &'static str) -> Result<String, AuthError> {
    String::from_utf8(b.to_vec())
        .map_err(|_| ProtocolError::Malformed(what, "name is not UTF-8").into())
}

/// The plugin side of one Kerberos authentication: server plugin data in, bytes to send out.
#[derive(Debug, Clone)]
pub struct KerberosExchange {
    plugin: KerberosPlugin,
    user: String,
    spn_policy: SpnPolicy,
    spn_context: SpnContext,
    complete: bool,
    awaiting: Awaiting,
    rounds: usize,
    max_rounds: usize,
}

impl KerberosExchange {
    /// An exchange for `plugin` on behalf of the account `user`.
    pub fn new(plugin: KerberosPlugin, user: impl Into<String>) -> Self {
        Self {
            plugin,
            user: user.into(),
            spn_policy: SpnPolicy::default(),
            spn_context: SpnContext::default(),
            complete: false,
            awaiting: Awaiting::Nothing,
            rounds: 0,
            max_rounds: 16,
        }
    }

    /// The policy the server's SPN must pass ([`SpnPolicy::DatabaseServices`] unless set).
    pub fn with_spn_policy(mut self, policy: SpnPolicy) -> Self {
        self.spn_policy = policy;
        self
    }

    /// What the client knows about the connection, for the policy's realm check
    /// ([`SpnContext::default`], knowing nothing, unless set).
    pub fn with_spn_context(mut self, ctx: SpnContext) -> Self {
        self.spn_context = ctx;
        self
    }

    /// Plugin in use.
    pub fn plugin(&self) -> KerberosPlugin {
        self.plugin
    }

    /// Whether the initiator reported GSS_S_COMPLETE.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Parse the server's first plugin data (from the greeting or an AuthSwitchRequest) and
    /// check its SPN against the policy ([`AuthError::SpnRejected`]).
    pub fn context_request(&self, data: &[u8]) -> Result<ContextRequest, AuthError> {
        let req = self.parse_request(data)?;
        self.spn_policy.check(&req.spn, &self.spn_context)?;
        Ok(req)
    }

    /// Parse the server's first plugin data without the SPN policy.
    pub fn parse_request(&self, data: &[u8]) -> Result<ContextRequest, AuthError> {
        Ok(match self.plugin {
            KerberosPlugin::MysqlKerberos => {
                let d = MysqlKerberosData::parse(data)?;
                ContextRequest {
                    plugin: self.plugin,
                    spn: d.spn,
                    user: self.user.clone(),
                    upn_realm: Some(d.realm),
                    mech: None,
                }
            }
            KerberosPlugin::MariadbGssapi => {
                let d = GssapiData::parse(data)?;
                ContextRequest {
                    plugin: self.plugin,
                    spn: d.spn,
                    user: self.user.clone(),
                    upn_realm: None,
                    mech: Some(d.mech),
                }
            }
        })
    }

    /// Start (or restart) with the server's first plugin data: the context request the
    /// initiator must answer (with [`GssInitiator::initial_token`], then
    /// [`KerberosExchange::answer`]). The SPN policy is checked here, before any credential
    /// is obtained.
    pub fn start(&mut self, server_data: &[u8]) -> Result<ContextRequest, AuthError> {
        let req = self.context_request(server_data)?;
        self.complete = false;
        self.rounds = 0;
        self.awaiting = Awaiting::InitialToken;
        Ok(req)
    }

    /// A later server token (AuthMoreData with the `0x01` stripped, or raw data): the token
    /// to feed to [`GssInitiator::step`] (then [`KerberosExchange::answer`]), or `None` when
    /// there is nothing to feed (an empty packet after the context completed).
    pub fn more(&mut self, server_token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        if self.awaiting != Awaiting::Nothing {
            return Err(ProtocolError::Unexpected(
                "server token while the initiator's answer was pending".into(),
            )
            .into());
        }
        if self.complete {
            if server_token.is_empty() {
                return Ok(None);
            }
            return Err(ProtocolError::Unexpected(
                "server sent a token after the GSS-API context was complete".into(),
            )
            .into());
        }
        self.rounds += 1;
        if self.rounds > self.max_rounds {
            return Err(AuthError::TooManyRounds(self.max_rounds));
        }
        self.awaiting = Awaiting::Step;
        Ok(Some(server_token.to_vec()))
    }

    /// The initiator's answer to what [`KerberosExchange::start`] or
    /// [`KerberosExchange::more`] asked for: the token to send, if any. The initial answer
    /// must carry a token.
    pub fn answer(
        &mut self,
        step: Result<GssStep, GssError>,
    ) -> Result<Option<Vec<u8>>, AuthError> {
        let awaiting = std::mem::replace(&mut self.awaiting, Awaiting::Nothing);
        let step = step.map_err(AuthError::Gss)?;
        match awaiting {
            Awaiting::Nothing => Err(ProtocolError::Unexpected(
                "initiator answer without a pending context request or server token".into(),
            )
            .into()),
            Awaiting::InitialToken => {
                self.complete = step.complete;
                match step.token {
                    Some(t) if !t.is_empty() => Ok(Some(t)),
                    _ => Err(AuthError::Gss(
                        "initiator produced no initial context token".into(),
                    )),
                }
            }
            Awaiting::Step => {
                self.complete = step.complete;
                Ok(step.token.filter(|t| !t.is_empty()))
            }
        }
    }
}

/// What a [`KerberosExchange`] waits for from the initiator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Nothing,
    InitialToken,
    Step,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_data_wire_example() {
        // The layout libmysqlclient parses (`auth_kerberos_client_io.cc`).
        let mut d = vec![0x20, 0x00];
        d.extend_from_slice(b"mysql/db.example.com@EXAMPLE.COM");
        d.extend_from_slice(&[0x0b, 0x00]);
        d.extend_from_slice(b"EXAMPLE.COM");
        let p = MysqlKerberosData::parse(&d).unwrap();
        assert_eq!(p.spn, "mysql/db.example.com@EXAMPLE.COM");
        assert_eq!(p.realm, "EXAMPLE.COM");
        assert_eq!(p.encode(), d);
        let mut trailing = d.clone();
        trailing.push(0);
        assert_eq!(MysqlKerberosData::parse(&trailing).unwrap(), p);
        for cut in 0..d.len() {
            assert!(MysqlKerberosData::parse(&d[..cut]).is_err(), "{cut}");
        }
        assert!(matches!(
            MysqlKerberosData::parse(&[0, 0, 1, 0, b'R']),
            Err(AuthError::ServerMisconfiguration(_))
        ));
        assert!(matches!(
            MysqlKerberosData::parse(&[1, 0, b's', 0, 0]),
            Err(AuthError::ServerMisconfiguration(_))
        ));
        assert!(MysqlKerberosData::parse(&[0u8; 520]).is_err());
    }

    #[test]
    fn gssapi_data() {
        let p = GssapiData::parse(b"mariadb/db.example.com@EXAMPLE.COM\0\0").unwrap();
        assert_eq!(p.spn, "mariadb/db.example.com@EXAMPLE.COM");
        assert_eq!(p.mech, "");
        assert_eq!(GssapiData::parse(b"a@B").unwrap().spn, "a@B");
        assert_eq!(
            GssapiData::parse(b"a@B\0Kerberos\0").unwrap().mech,
            "Kerberos"
        );
        for d in [&b""[..], b"\0", b"\0\0"] {
            let e = GssapiData::parse(d).unwrap_err();
            assert!(matches!(e, AuthError::ServerMisconfiguration(_)));
            assert!(e.to_string().contains("server misconfiguration"));
        }
        assert!(GssapiData::parse(&[b'a'; 2000]).is_err());
        assert!(GssapiData::parse(&[0xFF, 0]).is_err());
    }

    #[test]
    fn upn() {
        let r = ContextRequest {
            plugin: KerberosPlugin::MysqlKerberos,
            spn: "s".into(),
            user: "karl".into(),
            upn_realm: Some("EXAMPLE.COM".into()),
            mech: None,
        };
        assert_eq!(r.upn().as_deref(), Some("karl@EXAMPLE.COM"));
    }
}
