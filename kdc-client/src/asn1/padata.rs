//! Pre-authentication data (RFC 4120 §5.2.7, §5.9.1; RFC 6806; MS-KILE).

use rasn::prelude::*;

use super::{
    Checksum, KerberosFlags, KerberosString, KerberosTime, Microseconds, PrincipalNameAsn1,
};

/// `PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }`
/// (RFC 4120 §5.2.7; there is no tag 0).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct PaData {
    #[rasn(tag(explicit(1)))]
    pub padata_type: i32,
    #[rasn(tag(explicit(2)))]
    pub padata_value: OctetString,
}

/// `METHOD-DATA ::= SEQUENCE OF PA-DATA` (RFC 4120 §5.9.1), the e-data of
/// KDC_ERR_PREAUTH_REQUIRED.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(delegate)]
pub struct MethodData(pub Vec<PaData>);

/// `PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds
/// OPTIONAL }` (RFC 4120 §5.2.7.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct PaEncTsEnc {
    #[rasn(tag(explicit(0)))]
    pub patimestamp: KerberosTime,
    #[rasn(tag(explicit(1)))]
    pub pausec: Option<Microseconds>,
}

/// `ETYPE-INFO-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] OCTET STRING OPTIONAL }`
/// (RFC 4120 §5.2.7.4).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct EtypeInfoEntry {
    #[rasn(tag(explicit(0)))]
    pub etype: i32,
    #[rasn(tag(explicit(1)))]
    pub salt: Option<OctetString>,
}

/// `ETYPE-INFO ::= SEQUENCE OF ETYPE-INFO-ENTRY` (RFC 4120 §5.2.7.4).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(delegate)]
pub struct EtypeInfo(pub Vec<EtypeInfoEntry>);

/// `ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL,
/// s2kparams [2] OCTET STRING OPTIONAL }` (RFC 4120 §5.2.7.5). The salt is kept as bytes:
/// string-to-key uses them unchanged.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct EtypeInfo2Entry {
    #[rasn(tag(explicit(0)))]
    pub etype: i32,
    #[rasn(tag(explicit(1)))]
    pub salt: Option<KerberosString>,
    #[rasn(tag(explicit(2)))]
    pub s2kparams: Option<OctetString>,
}

/// `ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY` (RFC 4120 §5.2.7.5).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(delegate)]
pub struct EtypeInfo2(pub Vec<EtypeInfo2Entry>);

/// One TYPED-DATA element: `{ data-type [0] Int32, data-value [1] OCTET STRING OPTIONAL }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct TypedDataEntry {
    #[rasn(tag(explicit(0)))]
    pub data_type: i32,
    #[rasn(tag(explicit(1)))]
    pub data_value: Option<OctetString>,
}

/// `TYPED-DATA ::= SEQUENCE SIZE (1..MAX) OF { data-type, data-value }` (RFC 4120 §5.9.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(delegate)]
pub struct TypedData(pub Vec<TypedDataEntry>);

/// `KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN }` (MS-KILE §2.2.3).
#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaPacRequest {
    #[rasn(tag(explicit(0)))]
    pub include_pac: bool,
}

/// `PA-PAC-OPTIONS ::= SEQUENCE { options [0] PAC-OPTIONS-FLAGS }` (MS-KILE §2.2.10); bits:
/// 0 claims, 1 branch-aware, 2 forward-to-full-dc, 3 resource-based-constrained-delegation.
#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaPacOptions {
    #[rasn(tag(explicit(0)))]
    pub options: KerberosFlags,
}

/// `PA-REQ-ENC-PA-REP`: a Checksum over the AS-REQ (RFC 6806 §11).
pub type PaReqEncPaRep = Checksum;

/// `PA-SVR-REFERRAL-DATA ::= SEQUENCE { referred-name [0] PrincipalName OPTIONAL,
/// referred-realm [1] Realm }` (RFC 6806 §8, MS-KILE §2.2.9).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct PaSvrReferralInfo {
    #[rasn(tag(explicit(0)))]
    pub referred_name: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(1)))]
    pub referred_realm: KerberosString,
}

super::message! {
    MethodData;
    PaEncTsEnc;
    EtypeInfo;
    EtypeInfo2;
    TypedData;
    PaPacRequest;
    PaPacOptions;
    PaSvrReferralInfo;
}

/// padata-type values (RFC 4120 §7.5.2, RFC 6113, RFC 6806, RFC 4556, MS-KILE, MS-SFU).
pub mod pa_type {
    pub const TGS_REQ: i32 = 1;
    pub const ENC_TIMESTAMP: i32 = 2;
    pub const PW_SALT: i32 = 3;
    pub const ENC_UNIX_TIME: i32 = 5;
    pub const SANDIA_SECUREID: i32 = 6;
    pub const SESAME: i32 = 7;
    pub const OSF_DCE: i32 = 8;
    pub const CYBERSAFE_SECUREID: i32 = 9;
    pub const AFS3_SALT: i32 = 10;
    pub const ETYPE_INFO: i32 = 11;
    pub const SAM_CHALLENGE: i32 = 12;
    pub const SAM_RESPONSE: i32 = 13;
    pub const PK_AS_REQ_OLD: i32 = 14;
    pub const PK_AS_REP_OLD: i32 = 15;
    pub const PK_AS_REQ: i32 = 16;
    pub const PK_AS_REP: i32 = 17;
    pub const ETYPE_INFO2: i32 = 19;
    /// PA-SVR-REFERRAL-INFO (RFC 6806; MIT's `KRB5_PADATA_SVR_REFERRAL_INFO`).
    pub const SVR_REFERRAL_INFO: i32 = 20;
    pub const USE_SPECIFIED_KVNO: i32 = 20;
    pub const SAM_REDIRECT: i32 = 21;
    pub const GET_FROM_TYPED_DATA: i32 = 22;
    pub const SAM_ETYPE_INFO: i32 = 23;
    pub const ALT_PRINC: i32 = 24;
    pub const SAM_CHALLENGE_2: i32 = 30;
    pub const SAM_RESPONSE_2: i32 = 31;
    pub const EXTRA_TGT: i32 = 41;
    pub const TD_KRB_PRINCIPAL: i32 = 102;
    pub const TD_KRB_REALM: i32 = 103;
    pub const TD_TRUSTED_CERTIFIERS: i32 = 104;
    pub const TD_CERTIFICATE_INDEX: i32 = 105;
    pub const TD_APP_DEFINED_ERROR: i32 = 106;
    pub const TD_REQ_NONCE: i32 = 107;
    pub const TD_REQ_SEQ: i32 = 108;
    pub const PAC_REQUEST: i32 = 128;
    /// MS-SFU S4U2Self.
    pub const FOR_USER: i32 = 129;
    pub const FX_COOKIE: i32 = 133;
    pub const FX_FAST: i32 = 136;
    /// Carries a KRB-ERROR (RFC 6113 §5.4.4).
    pub const FX_ERROR: i32 = 137;
    pub const ENCRYPTED_CHALLENGE: i32 = 138;
    pub const OTP_CHALLENGE: i32 = 141;
    pub const OTP_REQUEST: i32 = 142;
    pub const OTP_PIN_CHANGE: i32 = 144;
    pub const PKINIT_KX: i32 = 147;
    pub const REQ_ENC_PA_REP: i32 = 149;
    pub const AS_FRESHNESS: i32 = 150;
    pub const SPAKE: i32 = 151;
    pub const SUPPORTED_ETYPES: i32 = 165;
    pub const PAC_OPTIONS: i32 = 167;
}
