//! KRB-CRED, EncKrbCredPart and KrbCredInfo (RFC 4120 §5.8).

use rasn::prelude::*;

use super::{
    EncryptedData, HostAddress, HostAddresses, KerberosString, KerberosTime, KeyBlock,
    Microseconds, PrincipalNameAsn1, Raw, Ticket, TicketFlags, UInt32Lenient, check_header,
    msg_type,
};

/// `KRB-CRED ::= [APPLICATION 22] SEQUENCE { pvno [0], msg-type [1], tickets [2] SEQUENCE OF
/// Ticket, enc-part [3] EncryptedData }` (RFC 4120 §5.8.1). Tickets are kept verbatim.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 22)))]
pub struct KrbCred {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub tickets: Vec<Raw<Ticket>>,
    #[rasn(tag(explicit(3)))]
    pub enc_part: EncryptedData,
}

/// `EncKrbCredPart ::= [APPLICATION 29] SEQUENCE { ... }` (RFC 4120 §5.8.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 29)))]
pub struct EncKrbCredPart {
    #[rasn(tag(explicit(0)))]
    pub ticket_info: Vec<KrbCredInfo>,
    #[rasn(tag(explicit(1)))]
    pub nonce: Option<UInt32Lenient>,
    #[rasn(tag(explicit(2)))]
    pub timestamp: Option<KerberosTime>,
    #[rasn(tag(explicit(3)))]
    pub usec: Option<Microseconds>,
    #[rasn(tag(explicit(4)))]
    pub s_address: Option<HostAddress>,
    #[rasn(tag(explicit(5)))]
    pub r_address: Option<HostAddress>,
}

/// `KrbCredInfo` (RFC 4120 §5.8.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbCredInfo {
    #[rasn(tag(explicit(0)))]
    pub key: KeyBlock,
    #[rasn(tag(explicit(1)))]
    pub prealm: Option<KerberosString>,
    #[rasn(tag(explicit(2)))]
    pub pname: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(3)))]
    pub flags: Option<TicketFlags>,
    #[rasn(tag(explicit(4)))]
    pub authtime: Option<KerberosTime>,
    #[rasn(tag(explicit(5)))]
    pub starttime: Option<KerberosTime>,
    #[rasn(tag(explicit(6)))]
    pub endtime: Option<KerberosTime>,
    #[rasn(tag(explicit(7)))]
    pub renew_till: Option<KerberosTime>,
    #[rasn(tag(explicit(8)))]
    pub srealm: Option<KerberosString>,
    #[rasn(tag(explicit(9)))]
    pub sname: Option<PrincipalNameAsn1>,
    #[rasn(tag(explicit(10)))]
    pub caddr: Option<HostAddresses>,
}

super::message! {
    KrbCred => |m| {
        check_header(m.pvno, m.msg_type, msg_type::KRB_CRED)?;
        m.tickets.iter().try_for_each(|t| t.decode().map(drop))
    };
    EncKrbCredPart;
}
