//! Kerberos V5 client core: ASN.1 schema, enctypes, principals, krb5.conf, ccache and
//! keytab codecs. Protocol logic is sans-IO.
#![forbid(unsafe_code)]

pub mod ccache;
pub mod config;
pub mod crypto;
pub mod keytab;
pub mod principal;
mod wire;

pub use principal::{NameType, Principal, PrincipalError, PrincipalName, Realm};
