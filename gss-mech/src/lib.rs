//! The Kerberos V5 GSS-API mechanism (RFC 4121, with the RFC 2743 §3.1 token framing), sans-IO.
//!
//! * [`InitiatorContext`]: builds the initial context token (an AP-REQ whose authenticator
//!   carries the 0x8003 checksum of RFC 4121 §4.1.1) from a service ticket and, with mutual
//!   authentication, verifies the acceptor's AP-REP token (RFC 4121 §4.1, RFC 4120 §5.5.2).
//! * [`Acceptor`]: accepts initial context tokens with keytab keys, with a replay cache and
//!   channel-binding checks, and produces the AP-REP token.
//! * [`SecurityContext`]: the established context; GetMIC/VerifyMIC and Wrap/Unwrap tokens
//!   (RFC 4121 §4.2) with sequence-number replay and ordering checks.
//!
//! Nothing here does I/O: the clock ([`Timestamp`]) and the random source
//! ([`RandomSource`]) are injected. No decoder panics on any input.
//!
//! Interoperability choices, all as MIT krb5 1.20 does (checked against it in the lab tests):
//! * the initiator always adds CONF and INTEG, never delegates, generates a subkey of the
//!   session key's enctype and a random 30-bit initial sequence number;
//! * without mutual authentication both directions start at the initiator's sequence number;
//!   with it, the acceptor returns a fresh subkey (same enctype) and its own sequence number,
//!   and both sides then protect per-message tokens with the acceptor subkey;
//! * Wrap tokens are sent with EC = 0 (sealed) or EC = checksum length (integrity only) and
//!   RRC = 0; received tokens may use any RRC (Windows uses 28), reduced modulo the body;
//! * Wrap tokens use the SEAL key usage (22/24) with and without confidentiality, MIC tokens
//!   the SIGN usage (23/25);
//! * the acceptor accepts an all-zero channel-binding hash even when it has bindings.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod acceptor;
mod cb;
mod context;
mod error;
mod initiator;
mod seqstate;
pub mod token;

pub use acceptor::{Accepted, Acceptor, AcceptorOptions, DEFAULT_MAX_SKEW, decode_initial_token};
pub use cb::{CKSUMTYPE_GSSAPI, ChannelBindings, GssChecksum};
pub use context::{SecurityContext, Unwrapped};
pub use error::GssError;
pub use initiator::{InitiatorContext, InitiatorOptions, decode_reply_token};
pub use seqstate::SeqStatus;

pub use kdc_client::crypto::RandomSource;
pub use kdc_client::exchange::Timestamp;

/// Context flags of RFC 4121 §4.1.1.1 (the `Flags` field of the 0x8003 checksum, also the
/// flags GSS-API reports for an established context).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContextFlags(pub u32);

impl ContextFlags {
    /// GSS_C_DELEG_FLAG (never set by this initiator).
    pub const DELEG: u32 = 0x01;
    /// GSS_C_MUTUAL_FLAG.
    pub const MUTUAL: u32 = 0x02;
    /// GSS_C_REPLAY_FLAG.
    pub const REPLAY: u32 = 0x04;
    /// GSS_C_SEQUENCE_FLAG.
    pub const SEQUENCE: u32 = 0x08;
    /// GSS_C_CONF_FLAG.
    pub const CONF: u32 = 0x10;
    /// GSS_C_INTEG_FLAG.
    pub const INTEG: u32 = 0x20;
    /// The bits this implementation acts on.
    pub const KNOWN: u32 =
        Self::DELEG | Self::MUTUAL | Self::REPLAY | Self::SEQUENCE | Self::CONF | Self::INTEG;
    /// What the lab's MIT peer calls "all five": mutual, replay, sequence, conf, integ.
    pub const ALL: Self =
        Self(Self::MUTUAL | Self::REPLAY | Self::SEQUENCE | Self::CONF | Self::INTEG);

    /// True when every bit of `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit == bit
    }
}

#[cfg(test)]
mod tests;
