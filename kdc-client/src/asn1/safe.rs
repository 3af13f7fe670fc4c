//! KRB-SAFE and KRB-PRIV (RFC 4120 §5.6, §5.7).

use rasn::prelude::*;

use super::{
    Checksum, EncryptedData, HostAddress, KerberosTime, Microseconds, UInt32Lenient, check_header,
    msg_type,
};

/// `KRB-SAFE ::= [APPLICATION 20] SEQUENCE { pvno [0], msg-type [1], safe-body [2]
/// KRB-SAFE-BODY, cksum [3] Checksum }` (RFC 4120 §5.6.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 20)))]
pub struct KrbSafe {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(2)))]
    pub safe_body: KrbSafeBody,
    #[rasn(tag(explicit(3)))]
    pub cksum: Checksum,
}

/// `KRB-SAFE-BODY` (RFC 4120 §5.6.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct KrbSafeBody {
    #[rasn(tag(explicit(0)))]
    pub user_data: OctetString,
    #[rasn(tag(explicit(1)))]
    pub timestamp: Option<KerberosTime>,
    #[rasn(tag(explicit(2)))]
    pub usec: Option<Microseconds>,
    #[rasn(tag(explicit(3)))]
    pub seq_number: Option<UInt32Lenient>,
    #[rasn(tag(explicit(4)))]
    pub s_address: HostAddress,
    #[rasn(tag(explicit(5)))]
    pub r_address: Option<HostAddress>,
}

/// `KRB-PRIV ::= [APPLICATION 21] SEQUENCE { pvno [0], msg-type [1], enc-part [3]
/// EncryptedData }` (RFC 4120 §5.7.1; there is no tag 2).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 21)))]
pub struct KrbPriv {
    #[rasn(tag(explicit(0)))]
    pub pvno: i32,
    #[rasn(tag(explicit(1)))]
    pub msg_type: i32,
    #[rasn(tag(explicit(3)))]
    pub enc_part: EncryptedData,
}

/// `EncKrbPrivPart ::= [APPLICATION 28] SEQUENCE { ... }` (RFC 4120 §5.7.1).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(explicit(application, 28)))]
pub struct EncKrbPrivPart {
    #[rasn(tag(explicit(0)))]
    pub user_data: OctetString,
    #[rasn(tag(explicit(1)))]
    pub timestamp: Option<KerberosTime>,
    #[rasn(tag(explicit(2)))]
    pub usec: Option<Microseconds>,
    #[rasn(tag(explicit(3)))]
    pub seq_number: Option<UInt32Lenient>,
    #[rasn(tag(explicit(4)))]
    pub s_address: HostAddress,
    #[rasn(tag(explicit(5)))]
    pub r_address: Option<HostAddress>,
}

super::message! {
    KrbSafe => |m| check_header(m.pvno, m.msg_type, msg_type::KRB_SAFE);
    KrbPriv => |m| check_header(m.pvno, m.msg_type, msg_type::KRB_PRIV);
    EncKrbPrivPart;
}
