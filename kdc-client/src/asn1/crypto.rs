//! EncryptedData, Checksum and EncryptionKey (RFC 4120 §5.2.9).

use rasn::prelude::*;
use zeroize::Zeroizing;

use super::UInt32Lenient;

/// `EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2]
/// OCTET STRING }` (RFC 4120 §5.2.9). kvno accepts the signed forms Windows sends.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct EncryptedData {
    #[rasn(tag(explicit(0)))]
    pub etype: i32,
    #[rasn(tag(explicit(1)))]
    pub kvno: Option<UInt32Lenient>,
    #[rasn(tag(explicit(2)))]
    pub cipher: OctetString,
}

/// `Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }`
/// (RFC 4120 §5.2.9).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    #[rasn(tag(explicit(0)))]
    pub cksumtype: i32,
    #[rasn(tag(explicit(1)))]
    pub checksum: OctetString,
}

/// `EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING }`
/// (RFC 4120 §5.2.9). The key value is zeroized on drop and redacted in `Debug`; see
/// [`crate::crypto`] for the usable key type.
#[derive(AsnType, Decode, Encode, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    #[rasn(tag(explicit(0)))]
    pub keytype: i32,
    #[rasn(tag(explicit(1)))]
    pub keyvalue: SecretOctets,
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBlock")
            .field("keytype", &self.keytype)
            .field(
                "keyvalue",
                &format_args!("<{} bytes redacted>", self.keyvalue.0.len()),
            )
            .finish()
    }
}

super::message! {
    EncryptedData;
    Checksum;
    KeyBlock;
}

/// An OCTET STRING holding secret bytes, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretOctets(pub Zeroizing<Vec<u8>>);

impl SecretOctets {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AsnType for SecretOctets {
    const TAG: Tag = Tag::OCTET_STRING;
    const IDENTIFIER: Identifier = Identifier::OCTET_STRING;
}

impl Decode for SecretOctets {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let v: Vec<u8> = decoder.decode_octet_string(tag, constraints)?;
        Ok(Self(Zeroizing::new(v)))
    }
}

impl Encode for SecretOctets {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        constraints: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        encoder
            .encode_octet_string(tag, constraints, &self.0, identifier.or(Self::IDENTIFIER))
            .map(drop)
    }
}
