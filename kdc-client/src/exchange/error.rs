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
    pub code: i32,
    /// The realm whose KDC answered.
    pub realm: Realm,
    /// The KDC's address, when the driver knows it.
    pub kdc: Option<String>,
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
    #[error("{0}")]
    Kdc(Box<KdcError>),
    #[error("malformed {what} from realm {realm}: {source}")]
    Decode {
        realm: Realm,
        what: &'static str,
        source: Asn1Error,
    },
    /// A password-change reply that does not decode (RFC 3244 §2).
    #[error("malformed kpasswd reply from realm {realm}: {source}")]
    Kpasswd {
        realm: Realm,
        source: super::kpasswd::KpasswdDecodeError,
    },
    #[error("cannot encode the request: {0}")]
    Encode(#[from] Asn1Error),
    #[error("Password incorrect (the reply from the KDC could not be decrypted)")]
    BadReplyKey,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("reply does not match the request: {0}")]
    Mismatch(String),
    #[error("KDC has no key for the enctypes requested (offered: {offered}; KDC has: {kdc})")]
    NoCommonEnctype { offered: String, kdc: String },
    #[error("no usable key for {principal} in the keytab ({detail})")]
    NoKey { principal: String, detail: String },
    /// A FAST (RFC 6113) reply that fails its checks, or armor that cannot be used.
    #[error("FAST armor, realm {realm}{}: {detail}", kdc.as_ref().map(|k| format!(", KDC {k}")).unwrap_or_default())]
    Armor {
        realm: Realm,
        /// The KDC's address, when the driver knows it.
        kdc: Option<String>,
        detail: String,
    },
    /// The KDC refused the request's pre-authentication: it wants a method this request
    /// cannot use (encrypted challenge needs FAST armor, RFC 6113 §5.4.6).
    #[error("{0}")]
    PreauthUnavailable(Box<PreauthUnavailable>),
    #[error("client referral loop or too many client referrals (realms: {0})")]
    TooManyReferrals(String),
    #[error(
        "the KDC of realm {realm} asked for {iterations} string-to-key iterations for {enctype}, \
         fewer than the floor of {floor}: refusing to derive the password key (a forged \
         KRB-ERROR can make it cheap to guess offline; lower min_s2k_iterations only for a KDC \
         known to do this)"
    )]
    WeakS2kParams {
        realm: Realm,
        enctype: Enctype,
        iterations: u32,
        floor: u32,
    },
    #[error("clock value {0} is outside the range Kerberos can encode")]
    Clock(i64),
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
    pub realm: Realm,
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
