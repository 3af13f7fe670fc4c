//! The AS and TGS exchanges: KDC-REQ, KDC-REQ-BODY, KDC-REP, EncKDCRepPart, LastReq
//! (RFC 4120 §5.4).

use rasn::prelude::*;

use super::{
    Asn1Error, EncryptedData, HostAddresses, KdcOptions, KerberosString, KerberosTime, KeyBlock,
    PaData, PrincipalNameAsn1, Raw, Ticket, TicketFlags, UInt32Lenient, check_header, msg_type,
};

/// `KDC-REQ ::= SEQUENCE { pvno [1] INTEGER (5), msg-type [2] INTEGER, padata [3] SEQUENCE OF
/// PA-DATA OPTIONAL, req-body [4] KDC-REQ-BODY }` (RFC 4120 §5.4.1).
///
/// `req_body` keeps the exact bytes: encode the body once with [`Raw::new`], use
/// [`Raw::as_bytes`] for the TGS-REQ authenticator checksum or FAST req-checksum, and put the
/// same `Raw` here.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KdcReq {
    #[rasn(tag(explicit(1)))]
    pub pvno: i32,
    #[rasn(tag(explicit(2)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(3)))]
    pub padata: Option<Vec<PaData>>,
    #[rasn(tag(explicit(4)))]
    pub req_body: Raw<KdcReqBody>,
}

impl KdcReq {
    /// A request with pvno 5; `msg_type` is [`msg_type::AS_REQ`] or [`msg_type::TGS_REQ`].
    pub fn new(msg_type: i32, padata: Option<Vec<PaData>>, req_body: Raw<KdcReqBody>) -> Self {
        Self {
            pvno: 5,
            msg_type,
            padata,
            req_body,
        }
    }

    fn check(&self, expected: i32) -> Result<(), Asn1Error> {
        check_header(self.pvno, self.msg_type, expected)?;
        self.req_body.decode().map(drop)
    }
}

/// `AS-REQ ::= [APPLICATION 10] KDC-REQ` (RFC 4120 §5.4.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 10)))]
pub struct AsReq(pub KdcReq);

/// `TGS-REQ ::= [APPLICATION 12] KDC-REQ` (RFC 4120 §5.4.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 12)))]
pub struct TgsReq(pub KdcReq);

impl AsReq {
    /// An AS-REQ embedding exactly the bytes of `req_body` (see [`Raw::new`]).
    pub fn new(padata: Option<Vec<PaData>>, req_body: Raw<KdcReqBody>) -> Self {
        Self(KdcReq::new(msg_type::AS_REQ, padata, req_body))
    }
}

impl TgsReq {
    /// A TGS-REQ embedding exactly the bytes of `req_body`, the bytes its PA-TGS-REQ
    /// authenticator checksum covers.
    pub fn new(padata: Option<Vec<PaData>>, req_body: Raw<KdcReqBody>) -> Self {
        Self(KdcReq::new(msg_type::TGS_REQ, padata, req_body))
    }
}

/// `KDC-REQ-BODY` (RFC 4120 §5.4.1). `nonce` accepts the signed forms MIT and Windows send;
/// generate it in [0, 2^31).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KdcReqBody {
    #[rasn(tag(explicit(0)))]
    pub kdc_options: KdcOptions,
    #[rasn(tag(explicit(1)))]
    pub cname: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(2)))]
    pub realm: KerberosString,
    #[rasn(tag(explicit(3)))]
    pub sname: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(4)))]
    pub from: Option<KerberosTime>,
    #[rasn(tag(explicit(5)))]
    pub till: KerberosTime,
    #[rasn(tag(explicit(6)))]
    pub rtime: Option<KerberosTime>,
    #[rasn(tag(explicit(7)))]
    pub nonce: UInt32Lenient,
    #[rasn(tag(explicit(8)))]
    pub etype: Vec<i32>,
    #[rasn(tag(explicit(9)))]
    pub addresses: Option<HostAddresses>,
    #[rasn(tag(explicit(10)))]
    pub enc_authorization_data: Option<EncryptedData>,
    #[rasn(tag(explicit(11)))]
    pub additional_tickets: Option<Vec<Raw<Ticket>>>,
}

/// `KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL, crealm [3],
/// cname [4], ticket [5] Ticket, enc-part [6] EncryptedData }` (RFC 4120 §5.4.2). The ticket
/// is kept verbatim.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KdcRep {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub padata: Option<Vec<PaData>>,
    #[rasn(tag(explicit(3)))]
    pub crealm: KerberosString,
    #[rasn(tag(explicit(4)))]
    pub cname: PrincipalNameAsn1,
    #[rasn(tag(explicit(5)))]
    pub ticket: Raw<Ticket>,
    #[rasn(tag(explicit(6)))]
    pub enc_part: EncryptedData,
}

impl KdcRep {
    fn check(&self, expected: i32) -> Result<(), Asn1Error> {
        check_header(self.pvno, self.msg_type, expected)?;
        self.ticket.decode().map(drop)
    }
}

/// `AS-REP ::= [APPLICATION 11] KDC-REP` (RFC 4120 §5.4.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 11)))]
pub struct AsRep(pub KdcRep);

/// `TGS-REP ::= [APPLICATION 13] KDC-REP` (RFC 4120 §5.4.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 13)))]
pub struct TgsRep(pub KdcRep);

/// `EncKDCRepPart` (RFC 4120 §5.4.2, `encrypted-pa-data` from RFC 6806 §11).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct EncKdcRepPart {
    #[rasn(tag(explicit(0)))]
    pub key: KeyBlock,
    #[rasn(tag(explicit(1)))]
    pub last_req: LastReq,
    #[rasn(tag(explicit(2)))]
    pub nonce: UInt32Lenient,
    #[rasn(tag(explicit(3)))]
    pub key_expiration: Option<KerberosTime>,
    #[rasn(tag(explicit(4)))]
    pub flags: TicketFlags,
    #[rasn(tag(explicit(5)))]
    pub authtime: KerberosTime,
    #[rasn(tag(explicit(6)))]
    pub starttime: Option<KerberosTime>,
    #[rasn(tag(explicit(7)))]
    pub endtime: KerberosTime,
    #[rasn(tag(explicit(8)))]
    pub renew_till: Option<KerberosTime>,
    #[rasn(tag(explicit(9)))]
    pub srealm: KerberosString,
    #[rasn(tag(explicit(10)))]
    pub sname: PrincipalNameAsn1,
    #[rasn(tag(explicit(11)))]
    pub caddr: Option<HostAddresses>,
    #[rasn(tag(explicit(12)))]
    pub encrypted_pa_data: Option<Vec<PaData>>,
}

/// `EncASRepPart ::= [APPLICATION 25] EncKDCRepPart` (RFC 4120 §5.4.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 25)))]
pub struct EncAsRepPart(pub EncKdcRepPart);

/// `EncTGSRepPart ::= [APPLICATION 26] EncKDCRepPart` (RFC 4120 §5.4.2). Some KDCs answer an
/// AS request with this tag too (RFC 4120 §5.4.2 asks clients to accept it).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(application, 26)))]
pub struct EncTgsRepPart(pub EncKdcRepPart);

impl EncKdcRepPart {
    /// Decode the plaintext of a KDC-REP enc-part under either APPLICATION tag (25 or 26):
    /// RFC 4120 §5.4.2 asks clients to accept EncTGSRepPart in an AS-REP, as MIT does.
    pub fn decode_either(bytes: &[u8]) -> Result<Self, Asn1Error> {
        match bytes.first() {
            Some(0x79) => EncAsRepPart::decode(bytes).map(|p| p.0),
            _ => EncTgsRepPart::decode(bytes).map(|p| p.0),
        }
    }
}

/// One `LastReq` element: `{ lr-type [0] Int32, lr-value [1] KerberosTime }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct LastReqEntry {
    #[rasn(tag(explicit(0)))]
    pub lr_type: i32,
    #[rasn(tag(explicit(1)))]
    pub lr_value: KerberosTime,
}

/// `LastReq ::= SEQUENCE OF { lr-type, lr-value }` (RFC 4120 §5.4.2).
pub type LastReq = Vec<LastReqEntry>;

super::message! {
    AsReq => |m| m.0.check(msg_type::AS_REQ);
    TgsReq => |m| m.0.check(msg_type::TGS_REQ);
    AsRep => |m| m.0.check(msg_type::AS_REP);
    TgsRep => |m| m.0.check(msg_type::TGS_REP);
    KdcReqBody => |b| {
        for t in b.additional_tickets.iter().flatten() {
            t.decode()?;
        }
        Ok(())
    };
    EncAsRepPart;
    EncTgsRepPart;
}
