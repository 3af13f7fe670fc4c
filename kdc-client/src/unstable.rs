//! Internals with **no semver guarantee**: the Kerberos ASN.1 schema and its DER codec
//! ([`asn1`], built on `rasn`, pinned to one version) and the MS-KKDCP message codec
//! ([`kkdcp`]).
//!
//! They are public only for this workspace's own crates (the GSS-API mechanism, the fuzz
//! targets, the test vectors) and are hidden from the documentation. Any release may change
//! or remove them, including their `rasn` trait implementations; programs should use the
//! documented API, which does not expose them.

#[path = "asn1/mod.rs"]
pub mod asn1;
#[path = "kkdcp.rs"]
pub mod kkdcp;
