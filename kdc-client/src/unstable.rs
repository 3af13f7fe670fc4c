//! Internals with **no semver guarantee**: the Kerberos ASN.1 schema and its DER codec
//! ([`asn1`], built on `rasn`, pinned to one version) and the MS-KKDCP message codec
//! ([`kkdcp`]), and the KCM wire codec ([`kcm`]).
//!
//! They are public only for this workspace's own crates (the GSS-API mechanism, the fuzz
//! targets, the test vectors) and are hidden from the documentation. Any release may change
//! or remove them, including their `rasn` trait implementations; programs should use the
//! documented API, which does not expose them.

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
