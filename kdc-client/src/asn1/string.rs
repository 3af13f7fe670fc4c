//! `KerberosString ::= GeneralString (IA5String)` and `Realm` (RFC 4120 §5.2.1, §5.2.2).

use rasn::prelude::*;

use super::Asn1Error;

/// A KerberosString kept as the received bytes. RFC 4120 asks for IA5 but KDCs send UTF-8
/// (and Windows sometimes other 8-bit data); [`KerberosString::to_str`] checks UTF-8.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct KerberosString(pub Vec<u8>);

/// `Realm ::= KerberosString` (RFC 4120 §5.2.2).
pub type RealmAsn1 = KerberosString;

impl KerberosString {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The string as UTF-8, or [`Asn1Error::NotUtf8`].
    pub fn to_str(&self) -> Result<&str, Asn1Error> {
        std::str::from_utf8(&self.0).map_err(|_| Asn1Error::NotUtf8)
    }
}

impl From<&str> for KerberosString {
    fn from(s: &str) -> Self {
        Self(s.as_bytes().to_vec())
    }
}

impl std::fmt::Debug for KerberosString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl std::fmt::Display for KerberosString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl AsnType for KerberosString {
    const TAG: Tag = Tag::GENERAL_STRING;
    const IDENTIFIER: Identifier = Identifier::GENERAL_STRING;
}

impl Decode for KerberosString {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        decoder.decode_octet_string(tag, constraints).map(Self)
    }
}

impl Encode for KerberosString {
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
