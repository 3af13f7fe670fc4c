//! The connector's error type.

use crate::command::CommandError;
use crate::error::{AuthError, ProtocolError};
use crate::messages::ErrPacket;

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

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Server(e) => Self::Server(e),
            CommandError::Protocol(e) => Self::Protocol(e),
        }
    }
}
