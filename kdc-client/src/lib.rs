//! Kerberos V5 client core: ASN.1 schema, enctypes, principals. Protocol logic is sans-IO.
#![forbid(unsafe_code)]

pub mod asn1;
pub mod crypto;
pub mod error_code;
pub mod principal;
#[cfg(feature = "transport")]
pub mod transport;

pub use principal::{NameType, Principal, PrincipalError, PrincipalName, Realm};
