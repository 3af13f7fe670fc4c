//! Errors of the exchanges: a KRB-ERROR from a KDC keeps its standard name, the realm, the
//! KDC and the e-text (RFC 4120 §7.5.9).

use std::fmt;

use crate::Realm;
use crate::asn1::{Asn1Error, KrbError};
use crate::crypto::{CryptoError, Enctype};
use crate::error_code;

/// A KRB-ERROR as the client reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcError {
    /// The error code (RFC 4120 §7.5.9).
    pub code: i32,
    /// The realm whose KDC answered.
    pub realm: Realm,
    /// The KDC's address, when the driver knows it.
    pub kdc: Option<String>,
    /// The KDC's e-text, if any.
    pub e_text: Option<String>,
    /// For KDC_ERR_ETYPE_NOSUPP: what the client offered.
    pub offered: Vec<Enctype>,
}

impl KdcError {
    pub(crate) fn from_krb_error(e: &KrbError, realm: &Realm) -> Self {
        Self {
            code: e.error_code,
            realm: realm.clone(),
            kdc: None,
            e_text: e
                .e_text
                .as_ref()
                .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
                .filter(|t| !t.is_empty()),
            offered: Vec::new(),
        }
    }

    /// The standard name, e.g. `KDC_ERR_PREAUTH_FAILED`.
    pub fn name(&self) -> &'static str {
        error_code::error_name(self.code).unwrap_or("KRB_ERR_UNKNOWN")
    }
}

impl fmt::Display for KdcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = error_code::error_message(self.code).unwrap_or("Unknown Kerberos error");
        write!(
            f,
            "{msg} ({}, code {}) from realm {}",
            self.name(),
            self.code,
            self.realm
        )?;
        if let Some(kdc) = &self.kdc {
            write!(f, ", KDC {kdc}")?;
        }
        if let Some(t) = &self.e_text {
            // The e-text is the KDC's free text: escaped and bounded.
            let t = crate::peer_text::escape_peer_text(t, crate::peer_text::ERROR_TEXT_MAX);
            write!(f, ": {t}")?;
        }
        if !self.offered.is_empty() {
            let names: Vec<&str> = self.offered.iter().map(|e| e.name()).collect();
            write!(f, " (offered: {})", names.join(", "))?;
        }
        Ok(())
    }
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The KDC answered with a KRB-ERROR.
    #[error("{0}")]
    Kdc(Box<KdcError>),
    /// A reply that does not decode.
    #[error("malformed {what} from realm {realm}: {source}")]
    Decode {
        /// The realm whose KDC answered.
        realm: Realm,
        /// What did not decode.
        what: &'static str,
        /// The decoding error.
        source: Asn1Error,
    },
    /// A password-change reply that does not decode (RFC 3244 §2).
    #[error("malformed kpasswd reply from realm {realm}: {source}")]
    Kpasswd {
        /// The realm whose kpasswd server answered.
        realm: Realm,
        /// The decoding error.
        source: super::kpasswd::KpasswdDecodeError,
    },
    /// A request that cannot be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(#[from] Asn1Error),
    /// The reply cannot be decrypted with the client's key: usually a wrong password.
    #[error("Password incorrect (the reply from the KDC could not be decrypted)")]
    BadReplyKey,
    /// A cryptographic failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The reply does not match the request (nonce, names, times).
    #[error("reply does not match the request: {0}")]
    Mismatch(String),
    /// No enctype both the client and the KDC have a key for.
    #[error("KDC has no key for the enctypes requested (offered: {offered}; KDC has: {kdc})")]
    NoCommonEnctype {
        /// The enctypes offered.
        offered: String,
        /// The enctypes the KDC has keys in.
        kdc: String,
    },
    /// The keytab has no key the exchange can use.
    #[error("no usable key for {principal} in the keytab ({detail})")]
    NoKey {
        /// The principal.
        principal: String,
        /// What was missing.
        detail: String,
    },
    /// A FAST (RFC 6113) reply that fails its checks, or armor that cannot be used.
    #[error("FAST armor, realm {realm}{}: {detail}", kdc.as_ref().map(|k| format!(", KDC {k}")).unwrap_or_default())]
    Armor {
        /// The realm.
        realm: Realm,
        /// The KDC's address, when the driver knows it.
        kdc: Option<String>,
        /// What failed.
        detail: String,
    },
    /// The KDC refused the request's pre-authentication: it wants a method this request
    /// cannot use (encrypted challenge needs FAST armor, RFC 6113 §5.4.6).
    #[error("{0}")]
    PreauthUnavailable(Box<PreauthUnavailable>),
    /// Client referrals looped or went past the limit.
    #[error("client referral loop or too many client referrals (realms: {0})")]
    TooManyReferrals(String),
    #[error(
        "the KDC of realm {realm} asked for {iterations} string-to-key iterations for {enctype}, \
         fewer than the floor of {floor}: refusing to derive the password key (a forged \
         KRB-ERROR can make it cheap to guess offline; lower min_s2k_iterations only for a KDC \
         known to do this)"
    )]
    /// The KDC asked for fewer string-to-key iterations than the floor.
    WeakS2kParams {
        /// The realm.
        realm: Realm,
        /// The enctype.
        enctype: Enctype,
        /// The iterations asked for.
        iterations: u32,
        /// The floor.
        floor: u32,
    },
    /// A time outside what KerberosTime can hold.
    #[error("clock value {0} is outside the range Kerberos can encode")]
    Clock(i64),
    /// `step` called after the exchange finished.
    #[error("the exchange is already finished")]
    Finished,
    /// [`AsExchange::provide_secret`](super::AsExchange::provide_secret) without a reply
    /// waiting for it (or a key needed with no secret given).
    #[error("the exchange has not asked for the client's secret")]
    SecretNotAsked,
}

impl ExchangeError {
    /// The Kerberos error code, when the KDC sent one.
    pub fn kdc_error(&self) -> Option<&KdcError> {
        match self {
            Self::Kdc(e) => Some(e),
            _ => None,
        }
    }

    /// The Kerberos error code the KDC answered with, also when the exchange could not go on
    /// after it (KDC_ERR_PREAUTH_REQUIRED without a usable method).
    pub fn kdc_error_code(&self) -> Option<i32> {
        match self {
            Self::Kdc(e) => Some(e.code),
            Self::PreauthUnavailable(_) => Some(crate::error_code::KDC_ERR_PREAUTH_REQUIRED),
            _ => None,
        }
    }

    /// A FAST failure in the exchange with `realm`'s KDC.
    pub(crate) fn armor(realm: &Realm, detail: impl Into<String>) -> Self {
        Self::Armor {
            realm: realm.clone(),
            kdc: None,
            detail: detail.into(),
        }
    }

    /// Note the KDC that answered (set by the transport driver).
    pub fn with_kdc(mut self, kdc: &str) -> Self {
        match &mut self {
            Self::Kdc(e) => {
                e.kdc.get_or_insert_with(|| kdc.to_owned());
            }
            Self::PreauthUnavailable(e) => {
                e.kdc.get_or_insert_with(|| kdc.to_owned());
            }
            Self::Armor { kdc: k, .. } => {
                k.get_or_insert_with(|| kdc.to_owned());
            }
            _ => {}
        }
        self
    }
}

/// Why no pre-authentication could be sent: what the KDC offered and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreauthUnavailable {
    /// The realm.
    pub realm: Realm,
    /// The KDC's address, when the driver knows it.
    pub kdc: Option<String>,
    /// The padata types the KDC offered (RFC 4120 §7.5.2 numbers).
    pub offered: Vec<i32>,
    /// The KDC offers encrypted challenge or FAST, and the request was not armored.
    pub needs_armor: bool,
    /// Encrypted timestamp was offered but `disable_encrypted_timestamp` forbids it.
    pub enc_timestamp_disabled: bool,
}

impl fmt::Display for PreauthUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Additional pre-authentication required (KDC_ERR_PREAUTH_REQUIRED, code 25) from \
             realm {}",
            self.realm
        )?;
        if let Some(kdc) = &self.kdc {
            write!(f, ", KDC {kdc}")?;
        }
        let offered: Vec<String> = self.offered.iter().map(|t| t.to_string()).collect();
        write!(f, " (KDC offers padata types {})", offered.join(", "))?;
        if self.enc_timestamp_disabled {
            f.write_str(": encrypted timestamp is disabled by disable_encrypted_timestamp")?;
        }
        if self.needs_armor {
            f.write_str(if self.enc_timestamp_disabled {
                "; the KDC offers FAST: use -T with a machine TGT"
            } else {
                ": the KDC requires FAST armor: use -T with a machine TGT"
            })?;
            f.write_str(" (kinit -k -t KEYTAB -c ARMOR_CCACHE host/NAME)")?;
        } else if !self.enc_timestamp_disabled {
            f.write_str(": no pre-authentication method this client supports")?;
        }
        Ok(())
    }
}

impl From<KdcError> for ExchangeError {
    fn from(e: KdcError) -> Self {
        Self::Kdc(Box::new(e))
    }
}
