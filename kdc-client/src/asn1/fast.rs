//! Flexible Authentication Secure Tunneling (FAST) messages (RFC 6113 §5.4).

use rasn::prelude::*;

use super::{
    Checksum, EncryptedData, KdcReqBody, KerberosFlags, KerberosString, KerberosTime, KeyBlock,
    Microseconds, PaData, PrincipalNameAsn1, UInt32Lenient,
};

/// `KrbFastArmor ::= SEQUENCE { armor-type [0] Int32, armor-value [1] OCTET STRING }`
/// (RFC 6113 §5.4.1; armor-type 1 is FX_FAST_ARMOR_AP_REQUEST).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastArmor {
    #[rasn(tag(explicit(0)))]
    pub armor_type: i32,
    #[rasn(tag(explicit(1)))]
    pub armor_value: OctetString,
}

/// `PA-FX-FAST-REQUEST ::= CHOICE { armored-data [0] KrbFastArmoredReq, ... }`
/// (RFC 6113 §5.4.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum PaFxFastRequest {
    #[rasn(tag(explicit(0)))]
    ArmoredData(KrbFastArmoredReq),
}

/// `KrbFastArmoredReq ::= SEQUENCE { armor [0] KrbFastArmor OPTIONAL, req-checksum [1]
/// Checksum, enc-fast-req [2] EncryptedData }` (RFC 6113 §5.4.2). req-checksum covers the
/// outer KDC-REQ-BODY bytes ([`super::KdcReq::req_body`]).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastArmoredReq {
    #[rasn(tag(explicit(0)))]
    pub armor: Option<KrbFastArmor>,
    #[rasn(tag(explicit(1)))]
    pub req_checksum: Checksum,
    #[rasn(tag(explicit(2)))]
    pub enc_fast_req: EncryptedData,
}

/// `KrbFastReq ::= SEQUENCE { fast-options [0] FastOptions, padata [1] SEQUENCE OF PA-DATA,
/// req-body [2] KDC-REQ-BODY }` (RFC 6113 §5.4.2); FastOptions bits: 1 hide-client-names,
/// 16 kdc-follow-referrals.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastReq {
    #[rasn(tag(explicit(0)))]
    pub fast_options: KerberosFlags,
    #[rasn(tag(explicit(1)))]
    pub padata: Vec<PaData>,
    #[rasn(tag(explicit(2)))]
    pub req_body: KdcReqBody,
}

/// `PA-FX-FAST-REPLY ::= CHOICE { armored-data [0] KrbFastArmoredRep, ... }`
/// (RFC 6113 §5.4.3).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum PaFxFastReply {
    #[rasn(tag(explicit(0)))]
    ArmoredData(KrbFastArmoredRep),
}

/// `KrbFastArmoredRep ::= SEQUENCE { enc-fast-rep [0] EncryptedData }` (RFC 6113 §5.4.3).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastArmoredRep {
    #[rasn(tag(explicit(0)))]
    pub enc_fast_rep: EncryptedData,
}

/// `KrbFastResponse ::= SEQUENCE { padata [0] SEQUENCE OF PA-DATA, strengthen-key [1]
/// EncryptionKey OPTIONAL, finished [2] KrbFastFinished OPTIONAL, nonce [3] UInt32 }`
/// (RFC 6113 §5.4.3).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastResponse {
    #[rasn(tag(explicit(0)))]
    pub padata: Vec<PaData>,
    #[rasn(tag(explicit(1)))]
    pub strengthen_key: Option<KeyBlock>,
    #[rasn(tag(explicit(2)))]
    pub finished: Option<KrbFastFinished>,
    #[rasn(tag(explicit(3)))]
    pub nonce: UInt32Lenient,
}

/// `KrbFastFinished ::= SEQUENCE { timestamp [0], usec [1], crealm [2], cname [3],
/// ticket-checksum [4] Checksum }` (RFC 6113 §5.4.3). ticket-checksum covers the received
/// Ticket bytes ([`super::KdcRep::ticket`]).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbFastFinished {
    #[rasn(tag(explicit(0)))]
    pub timestamp: KerberosTime,
    #[rasn(tag(explicit(1)))]
    pub usec: Microseconds,
    #[rasn(tag(explicit(2)))]
    pub crealm: KerberosString,
    #[rasn(tag(explicit(3)))]
    pub cname: PrincipalNameAsn1,
    #[rasn(tag(explicit(4)))]
    pub ticket_checksum: Checksum,
}

super::message! {
    KrbFastArmor;
    PaFxFastRequest;
    KrbFastArmoredReq;
    KrbFastReq;
    PaFxFastReply;
    KrbFastArmoredRep;
    KrbFastResponse;
    KrbFastFinished;
}
