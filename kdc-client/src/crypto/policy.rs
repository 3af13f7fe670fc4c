//! Run-time crypto policy (MIT krb5.conf `allow_weak_crypto`).

use super::{CryptoError, Enctype};

/// Which enctypes may be used at run time. The default refuses weak enctypes (rc4-hmac).
///
/// This is the one switch for legacy crypto: the protocol layer asks it before offering an
/// enctype (AS-REQ/TGS-REQ etype lists) and before using a key that arrives from outside
/// (KDC replies, tickets, keytabs, ccaches). rc4-hmac also needs the `legacy-rc4` feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CryptoPolicy {
    /// Allow enctypes that [`Enctype::is_weak`] marks (like MIT's `allow_weak_crypto`).
    pub allow_weak_crypto: bool,
}

impl CryptoPolicy {
    /// A policy that allows weak enctypes or not (krb5.conf `allow_weak_crypto`).
    pub fn new(allow_weak_crypto: bool) -> Self {
        Self { allow_weak_crypto }
    }

    /// True if `enctype` is built in and the policy allows it.
    pub fn permits(&self, enctype: Enctype) -> bool {
        self.check(enctype).is_ok()
    }

    /// Like [`CryptoPolicy::permits`], as an error that says why.
    pub fn check(&self, enctype: Enctype) -> Result<(), CryptoError> {
        super::supported(enctype)?;
        if enctype.is_weak() && !self.allow_weak_crypto {
            return Err(CryptoError::Refused(enctype));
        }
        Ok(())
    }
}
