//! `AuthorizationData` and `AD-IF-RELEVANT` (RFC 4120 §5.2.6).

use rasn::prelude::*;

/// One `AuthorizationData` element: `{ ad-type [0] Int32, ad-data [1] OCTET STRING }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationDataEntry {
    #[rasn(tag(explicit(0)))]
    pub ad_type: i32,
    #[rasn(tag(explicit(1)))]
    pub ad_data: OctetString,
}

/// `AuthorizationData ::= SEQUENCE OF { ad-type, ad-data }` (RFC 4120 §5.2.6).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(delegate)]
pub struct AuthorizationData(pub Vec<AuthorizationDataEntry>);

/// `AD-IF-RELEVANT ::= AuthorizationData` (RFC 4120 §5.2.6.1), the ad-data of
/// [`ad_type::IF_RELEVANT`].
pub type AdIfRelevant = AuthorizationData;

super::message!(AuthorizationData;);

/// ad-type values (RFC 4120 §7.5.4, MS-PAC, RFC 6113).
pub mod ad_type {
    pub const IF_RELEVANT: i32 = 1;
    pub const INTENDED_FOR_SERVER: i32 = 2;
    pub const INTENDED_FOR_APPLICATION_CLASS: i32 = 3;
    pub const KDC_ISSUED: i32 = 4;
    pub const AND_OR: i32 = 5;
    pub const MANDATORY_TICKET_EXTENSIONS: i32 = 6;
    pub const IN_TICKET_EXTENSIONS: i32 = 7;
    pub const MANDATORY_FOR_KDC: i32 = 8;
    /// RFC 6113 §5.4.1.
    pub const FX_FAST_ARMOR: i32 = 71;
    /// RFC 6113 §5.4.2.
    pub const FX_FAST_USED: i32 = 72;
    /// MS-PAC.
    pub const WIN2K_PAC: i32 = 128;
    /// MS-KILE KERB-AD-RESTRICTION-ENTRY.
    pub const AD_RESTRICTIONS: i32 = 141;
    /// MS-KILE KERB-LOCAL.
    pub const AD_LOCAL: i32 = 142;
    /// MS-KILE AD-AUTH-DATA-AP-OPTIONS.
    pub const AP_OPTIONS: i32 = 143;
}
