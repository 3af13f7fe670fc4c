//! Errors of the mechanism. Each names what failed; none carries secret material.

use kdc_client::Principal;
use kdc_client::crypto::CryptoError;
use kdc_client::unstable::asn1::Asn1Error;

/// Everything that can go wrong establishing a context or processing a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GssError {
    /// The token is malformed (RFC 2743 §3.1 framing, RFC 4121 §4.1/§4.2 token layout).
    #[error("defective token: {0}")]
    Defective(&'static str),
    /// The framing names a mechanism other than Kerberos V5 (1.2.840.113554.1.2.2).
    #[error("the token is for another GSS mechanism")]
    WrongMech,
    /// The two-octet TOK_ID is not the one expected here (RFC 4121 §4.1, §4.2.6).
    #[error("unexpected TOK_ID {got:02x?} (expected {expected:02x?})")]
    TokId {
        /// The TOK_ID this token must have.
        expected: [u8; 2],
        /// The TOK_ID it has.
        got: [u8; 2],
    },
    /// An inner Kerberos message did not decode.
    #[error("{what}: {source}")]
    Asn1 {
        /// Which message.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: Asn1Error,
    },
    /// Decryption, checksum or key failure (a wrong key and a modified message look alike).
    #[error("{what}: {source}")]
    Crypto {
        /// What was being decrypted or checked.
        what: &'static str,
        /// The crypto layer's error.
        #[source]
        source: CryptoError,
    },
    /// The peer sent a KRB-ERROR token (RFC 4121 §4.1, RFC 4120 §5.9.1).
    #[error("peer returned {name} ({code}){}", e_text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
    KrbError {
        /// The Kerberos error code (RFC 4120 §7.5.9).
        code: i32,
        /// Its MIT name (e.g. `KRB_AP_ERR_SKEW`).
        name: &'static str,
        /// The peer's e-text, escaped and bounded.
        e_text: Option<String>,
    },
    /// The AP-REQ could not be built (time out of range, no random source, encoding).
    #[error("AP-REQ: {0}")]
    ApReq(Box<kdc_client::exchange::ExchangeError>),
    /// Enctype not implemented (or not allowed) by this build.
    #[error("unsupported enctype {0}")]
    Enctype(i32),
    /// The acceptor's AP-REP names a subkey of an enctype outside the initiator's crypto
    /// policy ([`crate::InitiatorOptions::permitted_enctypes`], weak ones only if allowed).
    #[error(
        "the server's AP-REP carries a subkey of enctype {0}, which this client does not \
         permit (krb5.conf permitted_enctypes, allow_weak_crypto)"
    )]
    SubkeyNotPermitted(String),
    /// The AP-REP does not answer our authenticator (ctime/cusec differ, RFC 4120 §3.2.5).
    #[error("the AP-REP does not echo our authenticator's ctime/cusec")]
    ApRepMismatch,
    /// A mutual-auth context needs the acceptor's AP-REP before it is complete.
    #[error("mutual authentication was requested: the AP-REP token is still needed")]
    NeedsReply,
    /// The keytab has no key for the ticket's server, kvno and enctype.
    #[error("no key in the keytab for {principal} (kvno {kvno:?}, enctype {enctype})")]
    NoKey {
        /// The ticket's server.
        principal: Principal,
        /// The ticket's key version, if it names one.
        kvno: Option<u32>,
        /// The ticket's enctype.
        enctype: i32,
    },
    /// The ticket is for a service this acceptor was not configured for.
    #[error("the ticket is for {got}, not for this acceptor ({expected})")]
    WrongService {
        /// The acceptor's service principal.
        expected: Principal,
        /// The ticket's server.
        got: Principal,
    },
    /// Authenticator cname/crealm differ from the ticket's (RFC 4120 §3.2.3).
    #[error("the authenticator's client differs from the ticket's")]
    ClientMismatch,
    /// Clock skew beyond the limit (KRB_AP_ERR_SKEW).
    #[error("clock skew too great: authenticator time is {0} s away")]
    Skew(i64),
    /// The ticket is not valid yet (KRB_AP_ERR_TKT_NYV).
    #[error("the ticket is not yet valid")]
    TicketNotYetValid,
    /// The ticket has expired (KRB_AP_ERR_TKT_EXPIRED).
    #[error("the ticket has expired")]
    TicketExpired,
    /// The authenticator was seen before (KRB_AP_ERR_REPEAT).
    #[error("request is a replay")]
    Replay,
    /// The authenticator has no checksum of type 0x8003, or it is malformed (RFC 4121 §4.1.1).
    #[error("bad GSS authenticator checksum: {0}")]
    BadGssChecksum(&'static str),
    /// The initiator's channel bindings differ from the acceptor's (RFC 4121 §4.1.1.2).
    #[error("channel bindings mismatch")]
    ChannelBindings,
    /// A per-message token with a bad checksum or that does not decrypt (GSS_S_BAD_SIG).
    #[error("bad signature (integrity check failed)")]
    BadSignature,
    /// A per-message token that was already received (GSS_S_DUPLICATE_TOKEN).
    #[error("duplicate per-message token (sequence number {0})")]
    Duplicate(u64),
    /// A per-message token too old for the replay window (GSS_S_OLD_TOKEN).
    #[error("per-message token too old to check for replay (sequence number {0})")]
    OldToken(u64),
    /// A per-message token sent by ourselves, or in the wrong direction (RFC 4121 §4.2.2).
    #[error("per-message token has the wrong direction flag")]
    Direction,
    /// The token asserts the acceptor subkey but the context has none.
    #[error("token uses the acceptor subkey, which this context does not have")]
    NoAcceptorSubkey,
    /// A value does not fit the protocol (time outside KerberosTime, ...).
    #[error("{0}")]
    Invalid(&'static str),
}

impl GssError {
    /// The Kerberos error code (RFC 4120 §7.5.9) an acceptor reports for this failure in a
    /// KRB-ERROR token, as MIT's acceptor would; `None` for errors that are not acceptor
    /// failures of an AP-REQ.
    pub fn krb_error_code(&self) -> Option<i32> {
        Some(match self {
            Self::Defective(_) | Self::TokId { .. } | Self::Asn1 { .. } => 40, // MSG_TYPE
            Self::Crypto { .. } | Self::BadSignature => 31,                    // BAD_INTEGRITY
            Self::TicketExpired => 32,
            Self::TicketNotYetValid => 33,
            Self::Replay => 34,
            Self::WrongService { .. } => 35, // NOT_US
            Self::ClientMismatch => 36,      // BADMATCH
            Self::Skew(_) => 37,
            Self::NoKey { .. } => 45,                              // NOKEY
            Self::Enctype(_) | Self::SubkeyNotPermitted(_) => 14,  // KDC_ERR_ETYPE_NOSUPP
            Self::BadGssChecksum(_) | Self::ChannelBindings => 50, // INAPP_CKSUM
            Self::Invalid(_) => 40,
            _ => return None,
        })
    }

    pub(crate) fn asn1(what: &'static str) -> impl FnOnce(Asn1Error) -> Self {
        move |source| Self::Asn1 { what, source }
    }

    pub(crate) fn crypto(what: &'static str) -> impl FnOnce(CryptoError) -> Self {
        move |source| Self::Crypto { what, source }
    }
}
