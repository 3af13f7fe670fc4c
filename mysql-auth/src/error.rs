//! Error types.

use crate::messages::ErrPacket;

/// The error a [`crate::GssInitiator`] returns (boxed so the trait stays object-safe).
pub type GssError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A malformed or unexpected packet.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The payload ended before the structure was complete.
    #[error("truncated {0}")]
    Truncated(&'static str),
    /// A field has an invalid value.
    #[error("malformed {0}: {1}")]
    Malformed(&'static str, &'static str),
    /// A logical packet exceeds the configured bound.
    #[error("packet of {len} bytes exceeds the limit of {max} bytes")]
    PacketTooLarge {
        /// Announced length so far.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// A packet arrived with the wrong sequence id.
    #[error("packet out of order: expected sequence id {expected}, got {got}")]
    SequenceMismatch {
        /// Expected sequence id.
        expected: u8,
        /// Received sequence id.
        got: u8,
    },
    /// The server speaks a protocol version other than 10.
    #[error("unsupported handshake protocol version {0}")]
    UnsupportedProtocolVersion(u8),
    /// The server lacks a capability this client requires.
    #[error("server lacks required capability {0}")]
    MissingCapability(&'static str),
    /// A packet that is not valid in the current state.
    #[error("unexpected packet: {0}")]
    Unexpected(String),
}

/// Failures of the authentication exchange ([`crate::ClientHandshake`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The server answered with an ERR packet (code, SQLSTATE and message verbatim).
    #[error(transparent)]
    Server(#[from] ErrPacket),
    /// Malformed or unexpected packet.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The server asked for a plugin this client does not implement.
    #[error(
        "server requested unsupported authentication plugin '{}'",
        kdc_client::escape_peer_text(.0, 64)
    )]
    UnsupportedPlugin(String),
    /// The server's plugin data is unusable (e.g. an empty SPN).
    #[error("server misconfiguration: {0}")]
    ServerMisconfiguration(String),
    /// The server asked for a ticket to an SPN the [`crate::SpnPolicy`] refuses.
    #[error(transparent)]
    SpnRejected(#[from] crate::spn_policy::SpnRejected),
    /// The server wants TLS but the options forbid it, or the other way round.
    #[error("TLS negotiation: {0}")]
    Tls(&'static str),
    /// The GSS-API initiator failed.
    #[error("GSS-API initiator: {0}")]
    Gss(GssError),
    /// The server sent OK before mutual authentication completed.
    #[error(
        "server accepted the login before the GSS-API context was complete (mutual authentication not performed)"
    )]
    ContextIncomplete,
    /// The server sent OK without any Kerberos exchange (see
    /// [`crate::HandshakeOptions::require_kerberos`]).
    #[error(
        "server accepted the login without any Kerberos exchange: it authenticated nobody and \
         proved nothing about itself (not a Kerberos account, or not the real server)"
    )]
    NoKerberosExchange,
    /// Too many round trips or plugin switches.
    #[error("authentication exchange exceeded {0} round trips")]
    TooManyRounds(usize),
}
