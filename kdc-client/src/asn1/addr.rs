//! `HostAddress` and `HostAddresses` (RFC 4120 §5.2.5).

use rasn::prelude::*;

/// `HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct HostAddress {
    #[rasn(tag(explicit(0)))]
    pub addr_type: i32,
    #[rasn(tag(explicit(1)))]
    pub address: OctetString,
}

/// `HostAddresses ::= SEQUENCE OF HostAddress`.
pub type HostAddresses = Vec<HostAddress>;

/// addr-type values (RFC 4120 §7.5.3).
pub mod addr_type {
    pub const IPV4: i32 = 2;
    pub const DIRECTIONAL: i32 = 3;
    pub const CHAOSNET: i32 = 5;
    pub const XNS: i32 = 6;
    pub const ISO: i32 = 7;
    pub const DECNET_PHASE_IV: i32 = 12;
    pub const APPLETALK_DDP: i32 = 16;
    pub const NETBIOS: i32 = 20;
    pub const IPV6: i32 = 24;
}
