//! Kerberos V5 client core: ASN.1 schema, enctypes, principals, krb5.conf, ccache and
//! keytab codecs, AS/TGS exchanges, KDC transport. Protocol logic is sans-IO; only `transport`
//! and `client` do I/O.
#![forbid(unsafe_code)]

pub mod asn1;
pub mod ccache;
#[cfg(feature = "transport")]
pub mod client;
pub mod config;
pub mod crypto;
pub mod error_code;
pub mod exchange;
pub mod keytab;
pub mod kkdcp;
pub mod peer_text;
pub mod principal;
pub mod referral;
#[cfg(feature = "transport")]
pub mod transport;
mod wire;

pub use peer_text::escape_peer_text;
pub use principal::{NameType, Principal, PrincipalError, PrincipalName, Realm};
