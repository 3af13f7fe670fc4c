//! Integers with Kerberos interop rules (RFC 4120 §5.2.4, MIT `asn1_k_encode.c`).

use rasn::prelude::*;

/// A `UInt32` (kvno, nonce, seq-number) that also accepts the signed 32-bit encodings sent by
/// Windows and MIT: any INTEGER in [-2^31, 2^32-1], negatives wrapping into u32 as MIT's
/// decoders do. Encodes as signed int32, as MIT does, so `0xFFFFFFFF` is `02 01 FF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UInt32Lenient(pub u32);

impl AsnType for UInt32Lenient {
    const TAG: Tag = Tag::INTEGER;
    const IDENTIFIER: Identifier = Identifier::INTEGER;
}

impl Decode for UInt32Lenient {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let v: i64 = decoder.decode_integer(tag, constraints)?;
        if v < i64::from(i32::MIN) || v > i64::from(u32::MAX) {
            return Err(D::Error::from(rasn::error::DecodeError::parser_fail(
                format!("UInt32 value {v} out of range"),
                decoder.codec(),
            )));
        }
        // In range [-2^31, 2^32-1]: truncation to 32 bits wraps negatives as MIT does.
        Ok(Self(v as u32))
    }
}

impl Encode for UInt32Lenient {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        constraints: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        let signed = self.0 as i32;
        encoder
            .encode_integer(tag, constraints, &signed, identifier.or(Self::IDENTIFIER))
            .map(drop)
    }
}

impl From<u32> for UInt32Lenient {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

/// `Microseconds ::= INTEGER (0..999999)` (RFC 4120 §5.2.4), checked on decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Microseconds(u32);

impl Microseconds {
    /// A value in 0..=999999, or `None`.
    pub fn new(v: u32) -> Option<Self> {
        (v <= 999_999).then_some(Self(v))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl AsnType for Microseconds {
    const TAG: Tag = Tag::INTEGER;
    const IDENTIFIER: Identifier = Identifier::INTEGER;
}

impl Decode for Microseconds {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let v: i64 = decoder.decode_integer(tag, constraints)?;
        u32::try_from(v).ok().and_then(Self::new).ok_or_else(|| {
            D::Error::from(rasn::error::DecodeError::parser_fail(
                format!("microseconds {v} out of range 0..=999999"),
                decoder.codec(),
            ))
        })
    }
}

impl Encode for Microseconds {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        constraints: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        encoder
            .encode_integer(tag, constraints, &self.0, identifier.or(Self::IDENTIFIER))
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_u32_accepts_signed_and_unsigned_forms() {
        let cases: [(&[u8], u32); 6] = [
            (&[2, 1, 0], 0),
            (&[2, 1, 5], 5),
            (&[2, 1, 0xFF], 0xFFFF_FFFF),
            (&[2, 4, 0xFF, 0, 0, 0], 0xFF00_0000),
            (&[2, 5, 0, 0xFF, 0, 0, 0], 0xFF00_0000),
            (&[2, 4, 0x80, 0, 0, 0], 0x8000_0000),
        ];
        for (der, want) in cases {
            let v: UInt32Lenient = rasn::der::decode(der).unwrap();
            assert_eq!(v.0, want, "{der:02x?}");
        }
        assert_eq!(
            rasn::der::encode(&UInt32Lenient(0xFFFF_FFFF)).unwrap(),
            [2, 1, 0xFF]
        );
        assert_eq!(
            rasn::der::encode(&UInt32Lenient(0xFF00_0000)).unwrap(),
            [2, 4, 0xFF, 0, 0, 0]
        );
        // Outside [-2^31, 2^32-1].
        assert!(rasn::der::decode::<UInt32Lenient>(&[2, 5, 1, 0, 0, 0, 0]).is_err());
        assert!(rasn::der::decode::<UInt32Lenient>(&[2, 5, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF]).is_err());
    }

    #[test]
    fn microseconds_range() {
        assert_eq!(
            rasn::der::decode::<Microseconds>(&[2, 3, 0x0F, 0x42, 0x3F])
                .unwrap()
                .get(),
            999_999
        );
        assert!(rasn::der::decode::<Microseconds>(&[2, 3, 0x0F, 0x42, 0x40]).is_err());
        assert!(rasn::der::decode::<Microseconds>(&[2, 1, 0xFF]).is_err());
    }
}
