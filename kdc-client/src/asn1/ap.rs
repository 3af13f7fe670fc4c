//! AP-REQ, AP-REP, EncAPRepPart and Authenticator (RFC 4120 §5.5).

use rasn::prelude::*;

use super::{
    ApOptions, Asn1Error, AuthorizationData, Checksum, EncryptedData, KerberosString, KerberosTime,
    KeyBlock, Microseconds, PrincipalNameAsn1, Raw, Ticket, UInt32Lenient, check_header, msg_type,
};

/// `AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2],
/// ticket [3] Ticket, authenticator [4] EncryptedData }` (RFC 4120 §5.5.1). The ticket is
/// forwarded verbatim.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 14)))]
pub struct ApReq {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub ap_options: ApOptions,
    #[rasn(tag(explicit(3)))]
    pub ticket: Raw<Ticket>,
    #[rasn(tag(explicit(4)))]
    pub authenticator: EncryptedData,
}

/// `Authenticator ::= [APPLICATION 2] SEQUENCE { ... }` (RFC 4120 §5.5.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 2)))]
pub struct Authenticator {
    #[rasn(tag(explicit(0)))]
    pub authenticator_vno: i32,
    #[rasn(tag(explicit(1)))]
    pub crealm: KerberosString,
    #[rasn(tag(explicit(2)))]
    pub cname: PrincipalNameAsn1,
    #[rasn(tag(explicit(3)))]
    pub cksum: Option<Checksum>,
    #[rasn(tag(explicit(4)))]
    pub cusec: Microseconds,
    #[rasn(tag(explicit(5)))]
    pub ctime: KerberosTime,
    #[rasn(tag(explicit(6)))]
    pub subkey: Option<KeyBlock>,
    #[rasn(tag(explicit(7)))]
    pub seq_number: Option<UInt32Lenient>,
    #[rasn(tag(explicit(8)))]
    pub authorization_data: Option<AuthorizationData>,
}

/// `AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0], msg-type [1], enc-part [2] }`
/// (RFC 4120 §5.5.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 15)))]
pub struct ApRep {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub enc_part: EncryptedData,
}

/// `EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0], cusec [1], subkey [2] OPTIONAL,
/// seq-number [3] OPTIONAL }` (RFC 4120 §5.5.2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 27)))]
pub struct EncApRepPart {
    #[rasn(tag(explicit(0)))]
    pub ctime: KerberosTime,
    #[rasn(tag(explicit(1)))]
    pub cusec: Microseconds,
    #[rasn(tag(explicit(2)))]
    pub subkey: Option<KeyBlock>,
    #[rasn(tag(explicit(3)))]
    pub seq_number: Option<UInt32Lenient>,
}

super::message! {
    ApReq => |m| {
        check_header(m.pvno, m.msg_type, msg_type::AP_REQ)?;
        m.ticket.decode().map(drop)
    };
    ApRep => |m| check_header(m.pvno, m.msg_type, msg_type::AP_REP);
    Authenticator => |a| if a.authenticator_vno == 5 {
        Ok(())
    } else {
        Err(Asn1Error::Pvno(a.authenticator_vno))
    };
    EncApRepPart;
}
