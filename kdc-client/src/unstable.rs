//! Internals with **no semver guarantee**: the Kerberos ASN.1 schema and its DER codec
//! ([`asn1`], built on `rasn`, pinned to one version) and the MS-KKDCP message codec
//! ([`kkdcp`]), the KCM wire codec ([`kcm`]), the AP-REQ builder the GSS-API mechanism
//! shares with the TGS exchange ([`ap_req`]), the kpasswd reply decoder ([`kpasswd`]) and the
//! enctype primitives the test vectors check ([`crypto`]).
//!
//! They are public only for this workspace's own crates (the GSS-API mechanism, the fuzz
//! targets, the test vectors) and are hidden from the documentation. Any release may change
//! or remove them, including their `rasn` trait implementations; programs should use the
//! documented API, whose types (`exchange::TicketFlags`, `exchange::HostAddress`,
//! `exchange::EncodedTicket` in `exchange::Credentials` and `exchange::AsOptions`) are this
//! crate's own and are converted to and from these at the exchanges' boundary.

#[path = "asn1/mod.rs"]
pub mod asn1;
#[path = "kkdcp.rs"]
pub mod kkdcp;

/// The KCM request/reply codec (opcodes, status codes, payload decoders) under
/// `ccache::kcm`'s [`crate::ccache::kcm::KcmCache`].
pub mod kcm {
    pub use crate::ccache::kcm::{
        Opcode, decode_cred_list, decode_credential, decode_name, decode_offset, decode_principal,
        decode_reply_body, decode_reply_header, decode_uuid_list, encode_replace_args,
        encode_request, status,
    };
}

/// The AP-REQ builder (RFC 4120 §5.5.1) of the TGS exchange, FAST armor, kpasswd and the
/// GSS-API initiator.
pub mod ap_req {
    pub use crate::exchange::{ApReqContents, build_ap_req, fresh_subkey};
}

/// The kpasswd reply decoders (RFC 3244 §2).
pub mod kpasswd {
    pub use crate::exchange::kpasswd::{KpasswdReply, decode_result, host_address};
}

/// Enctype building blocks (RFC 3961 n-fold, RFC 3962 CBC-CTS).
pub mod crypto {
    pub use crate::crypto::{cts, nfold};
}
