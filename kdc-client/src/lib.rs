//! Kerberos V5 client core: ASN.1 schema, enctypes, principals, krb5.conf, ccache and
//! keytab codecs, AS/TGS and password-change exchanges, KDC transport.
//!
//! Start at [`session::Session`]: a client bound to a credential cache, built from the
//! environment as MIT's tools do, that gets TGTs (password or keytab) and service tickets
//! (across trusts) and keeps the cache up to date.
//!
//! Protocol logic (`exchange`, `referral`, the codecs) is sans-IO. Network I/O lives in
//! `transport` (UDP, TCP, the HTTPS KDC proxy, DNS), driven by `client` and `session` (async,
//! tokio). `ccache`, `keytab` and `config` do blocking file I/O (and KCM caches blocking
//! Unix-socket I/O); `session` runs it on tokio's blocking threads, never on an async worker.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ccache;
#[cfg(feature = "transport")]
pub mod client;
pub mod config;
pub mod crypto;
pub mod error_code;
pub mod exchange;
pub mod keytab;
pub mod peer_text;
pub mod principal;
pub mod referral;
#[cfg(feature = "transport")]
pub mod session;
#[cfg(feature = "transport")]
pub mod transport;
#[doc(hidden)]
pub mod unstable;
mod wire;

pub(crate) use unstable::{asn1, kkdcp};

pub use peer_text::escape_peer_text;
pub use principal::{NameType, Principal, PrincipalError, PrincipalName, Realm, ServiceName};
pub use unstable::asn1::{Asn1Error, DerError};

/// The README's Rust blocks, compiled as doctests so the front page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
