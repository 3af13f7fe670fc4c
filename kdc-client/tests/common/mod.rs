//! Shared by the ASN.1 vector and mutation tests: decode by type name.

use kdc_client::unstable::asn1::*;

macro_rules! types {
    ($($t:ident),+ $(,)?) => {
        /// Every decodable top-level type, by name.
        #[allow(dead_code)] // used by asn1_mutation, not asn1_vectors
        pub const TYPES: &[&str] = &[$(stringify!($t)),+];

        /// Decode `der` as the named type (with validation) and re-encode it; `None` for an
        /// unknown type name.
        pub fn round_trip(ty: &str, der: &[u8]) -> Option<Result<Vec<u8>, Asn1Error>> {
            match ty {
                $(stringify!($t) => Some($t::decode(der).and_then(|v| v.to_der())),)+
                _ => None,
            }
        }
    };
}

types!(
    AsReq,
    TgsReq,
    KdcReqBody,
    AsRep,
    TgsRep,
    EncAsRepPart,
    EncTgsRepPart,
    Ticket,
    EncTicketPart,
    ApReq,
    ApRep,
    EncApRepPart,
    Authenticator,
    KrbError,
    KrbCred,
    EncKrbCredPart,
    KrbSafe,
    KrbPriv,
    EncKrbPrivPart,
    AuthorizationData,
    MethodData,
    TypedData,
    PaEncTsEnc,
    EtypeInfo,
    EtypeInfo2,
    PaPacRequest,
    PaPacOptions,
    PaSvrReferralInfo,
    EncryptedData,
    Checksum,
    KeyBlock,
    KrbFastArmor,
    PaFxFastRequest,
    KrbFastArmoredReq,
    KrbFastReq,
    PaFxFastReply,
    KrbFastArmoredRep,
    KrbFastResponse,
    KrbFastFinished,
);
