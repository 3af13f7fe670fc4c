//! The Kerberos V5 ASN.1 schema (RFC 4120 §5, RFC 6113 FAST, RFC 6806, MS-KILE), encoded and
//! decoded with `rasn` DER.
//!
//! Every top-level type has `decode(&[u8])` (DER decode, then a validation pass: pvno 5 and
//! msg-type matching the APPLICATION tag; KerberosTime and Microseconds are checked by their
//! types while decoding) and `to_der()`. The DER decoder rejects indefinite lengths and
//! trailing bytes and tolerates non-minimal lengths and integers.
//!
//! Bytes that a checksum covers or that are forwarded verbatim (KDC-REQ-BODY, Ticket) are kept
//! as received in [`Raw`], which decodes lazily to the typed value.

mod addr;
mod ap;
mod authdata;
mod cred;
mod crypto;
mod error;
mod fast;
mod flags;
mod int;
mod kdc;
mod padata;
mod principal;
mod raw;
mod safe;
mod string;
mod ticket;
mod time;

pub use addr::{HostAddress, HostAddresses, addr_type};
pub use ap::{ApRep, ApReq, Authenticator, EncApRepPart};
pub use authdata::{AdIfRelevant, AuthorizationData, AuthorizationDataEntry, ad_type};
pub use cred::{EncKrbCredPart, KrbCred, KrbCredInfo};
pub use crypto::{Checksum, EncryptedData, KeyBlock, SecretOctets};
pub use error::KrbError;
pub use fast::{
    KrbFastArmor, KrbFastArmoredRep, KrbFastArmoredReq, KrbFastFinished, KrbFastReq,
    KrbFastResponse, PaFxFastReply, PaFxFastRequest,
};
pub use flags::{
    ApOptions, KdcOptions, KerberosFlags, TicketFlags, ap_options, kdc_options, ticket_flags,
};
pub use int::{Microseconds, UInt32Lenient};
pub use kdc::{
    AsRep, AsReq, EncAsRepPart, EncKdcRepPart, EncTgsRepPart, KdcRep, KdcReq, KdcReqBody, LastReq,
    LastReqEntry, TgsRep, TgsReq,
};
pub use padata::{
    EtypeInfo, EtypeInfo2, EtypeInfo2Entry, EtypeInfoEntry, MethodData, PaData, PaEncTsEnc,
    PaPacOptions, PaPacRequest, PaReqEncPaRep, PaSvrReferralInfo, TypedData, TypedDataEntry,
    pa_type,
};
pub use principal::PrincipalNameAsn1;
pub use raw::Raw;
pub use safe::{EncKrbPrivPart, KrbPriv, KrbSafe, KrbSafeBody};
pub use string::{KerberosString, RealmAsn1};
pub use ticket::{EncTicketPart, Ticket, TransitedEncoding};
pub use time::KerberosTime;

/// Errors from decoding, validating or encoding Kerberos messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Asn1Error {
    /// Malformed DER, or a field outside its type (bad KerberosTime, microseconds, ...).
    #[error("ASN.1 decode: {0}")]
    Decode(DerError),
    /// A value that cannot be DER-encoded (e.g. a constraint of its type violated).
    #[error("ASN.1 encode: {0}")]
    Encode(DerError),
    /// `pvno` other than 5 (RFC 4120 §5.1).
    #[error("unsupported protocol version {0} (expected 5)")]
    Pvno(i32),
    /// `msg-type` other than the APPLICATION tag's (RFC 4120 §5.10).
    #[error("msg-type {got} does not match the APPLICATION tag {expected}")]
    MsgType {
        /// The msg-type the APPLICATION tag calls for.
        expected: i32,
        /// The msg-type received.
        got: i32,
    },
    /// A KerberosString that is not UTF-8.
    #[error("string is not UTF-8")]
    NotUtf8,
    /// A principal name or realm that is not valid.
    #[error(transparent)]
    Principal(#[from] crate::principal::PrincipalError),
}

/// What the DER codec reported. Opaque: the codec (`rasn`, pinned) is not part of the API;
/// only its message is.
#[derive(Debug)]
pub struct DerError(DerErrorKind);

#[derive(Debug)]
enum DerErrorKind {
    Decode(Box<rasn::error::DecodeError>),
    Encode(Box<rasn::error::EncodeError>),
}

impl std::fmt::Display for DerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            DerErrorKind::Decode(e) => e.fmt(f),
            DerErrorKind::Encode(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DerError {}

#[doc(hidden)]
impl From<rasn::error::DecodeError> for Asn1Error {
    fn from(e: rasn::error::DecodeError) -> Self {
        Self::Decode(DerError(DerErrorKind::Decode(Box::new(e))))
    }
}

#[doc(hidden)]
impl From<rasn::error::EncodeError> for Asn1Error {
    fn from(e: rasn::error::EncodeError) -> Self {
        Self::Encode(DerError(DerErrorKind::Encode(Box::new(e))))
    }
}

/// `msg-type` values, equal to the APPLICATION tag numbers (RFC 4120 §5.10).
pub mod msg_type {
    pub const AS_REQ: i32 = 10;
    pub const AS_REP: i32 = 11;
    pub const TGS_REQ: i32 = 12;
    pub const TGS_REP: i32 = 13;
    pub const AP_REQ: i32 = 14;
    pub const AP_REP: i32 = 15;
    pub const KRB_SAFE: i32 = 20;
    pub const KRB_PRIV: i32 = 21;
    pub const KRB_CRED: i32 = 22;
    pub const KRB_ERROR: i32 = 30;
}

/// A top-level Kerberos structure with DER decode (plus validation) and encode.
pub trait KerberosMessage: rasn::Encode + rasn::Decode {
    /// Checks DER cannot express: pvno, msg-type, and those of nested [`Raw`] values.
    fn validate(&self) -> Result<(), Asn1Error> {
        Ok(())
    }

    /// DER decode then [`KerberosMessage::validate`].
    fn from_der(bytes: &[u8]) -> Result<Self, Asn1Error> {
        let v: Self = rasn::der::decode(bytes)?;
        v.validate()?;
        Ok(v)
    }

    /// DER encoding.
    fn encode_der(&self) -> Result<Vec<u8>, Asn1Error> {
        Ok(rasn::der::encode(self)?)
    }
}

/// Checks `pvno == 5` and `msg-type == expected`.
fn check_header(pvno: i32, msg_type: i32, expected: i32) -> Result<(), Asn1Error> {
    if pvno != 5 {
        return Err(Asn1Error::Pvno(pvno));
    }
    if msg_type != expected {
        return Err(Asn1Error::MsgType {
            expected,
            got: msg_type,
        });
    }
    Ok(())
}

/// Implements [`KerberosMessage`] with the given validation and adds inherent `decode` and
/// `to_der`, so callers need not import the trait.
macro_rules! message {
    ($($ty:ty $(=> |$s:ident| $validate:expr)?;)+) => {$(
        impl $crate::asn1::KerberosMessage for $ty {
            $(fn validate(&self) -> Result<(), $crate::asn1::Asn1Error> {
                let $s = self;
                $validate
            })?
        }

        impl $ty {
            /// DER decode and validate.
            pub fn decode(bytes: &[u8]) -> Result<Self, $crate::asn1::Asn1Error> {
                <Self as $crate::asn1::KerberosMessage>::from_der(bytes)
            }

            /// DER encode.
            pub fn to_der(&self) -> Result<Vec<u8>, $crate::asn1::Asn1Error> {
                <Self as $crate::asn1::KerberosMessage>::encode_der(self)
            }
        }
    )+};
}
pub(crate) use message;

#[cfg(test)]
mod tests;
