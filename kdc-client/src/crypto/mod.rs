//! Kerberos cryptosystems (RFC 3961 framework, RFC 3962, RFC 8009, RFC 4757).

mod key;

pub use key::{EncryptionKey, Enctype, KeyLengthError};
