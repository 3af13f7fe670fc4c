//! Ticket, EncTicketPart and TransitedEncoding (RFC 4120 §5.3).

use rasn::prelude::*;

use super::{
    Asn1Error, AuthorizationData, EncryptedData, HostAddresses, KerberosString, KerberosTime,
    KeyBlock, PrincipalNameAsn1, TicketFlags,
};

/// `Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] INTEGER (5), realm [1] Realm,
/// sname [2] PrincipalName, enc-part [3] EncryptedData }` (RFC 4120 §5.3). Messages hold
/// tickets as [`super::Raw`]`<Ticket>` so they are stored and forwarded byte for byte.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 1)))]
pub struct Ticket {
    #[rasn(tag(explicit(0)))]
    pub tkt_vno: i32,
    #[rasn(tag(explicit(1)))]
    pub realm: KerberosString,
    #[rasn(tag(explicit(2)))]
    pub sname: PrincipalNameAsn1,
    #[rasn(tag(explicit(3)))]
    pub enc_part: EncryptedData,
}

/// `EncTicketPart ::= [APPLICATION 3] SEQUENCE { ... }` (RFC 4120 §5.3).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 3)))]
pub struct EncTicketPart {
    #[rasn(tag(explicit(0)))]
    pub flags: TicketFlags,
    #[rasn(tag(explicit(1)))]
    pub key: KeyBlock,
    #[rasn(tag(explicit(2)))]
    pub crealm: KerberosString,
    #[rasn(tag(explicit(3)))]
    pub cname: PrincipalNameAsn1,
    #[rasn(tag(explicit(4)))]
    pub transited: TransitedEncoding,
    #[rasn(tag(explicit(5)))]
    pub authtime: KerberosTime,
    #[rasn(tag(explicit(6)))]
    pub starttime: Option<KerberosTime>,
    #[rasn(tag(explicit(7)))]
    pub endtime: KerberosTime,
    #[rasn(tag(explicit(8)))]
    pub renew_till: Option<KerberosTime>,
    #[rasn(tag(explicit(9)))]
    pub caddr: Option<HostAddresses>,
    #[rasn(tag(explicit(10)))]
    pub authorization_data: Option<AuthorizationData>,
}

/// `TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING }`
/// (RFC 4120 §5.3; tr-type 1 is DOMAIN-X500-COMPRESS).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct TransitedEncoding {
    #[rasn(tag(explicit(0)))]
    pub tr_type: i32,
    #[rasn(tag(explicit(1)))]
    pub contents: OctetString,
}

super::message! {
    Ticket => |t| if t.tkt_vno == 5 { Ok(()) } else { Err(Asn1Error::Pvno(t.tkt_vno)) };
    EncTicketPart;
}
