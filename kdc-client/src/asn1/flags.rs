//! `KerberosFlags ::= BIT STRING (SIZE (32..MAX))` and its named bits (RFC 4120 §5.2.8,
//! §5.3, §5.4.1, §5.5.1).

use rasn::prelude::*;
use rasn::types::BitString;

/// The first 32 bits of a KerberosFlags BIT STRING; bit 0 is the most significant bit of the
/// first octet, as in the RFC. Longer strings are truncated and shorter ones zero-padded on
/// decode (as MIT does); encoding always gives 32 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KerberosFlags(pub u32);

/// TicketFlags (RFC 4120 §5.3); bit numbers in [`ticket_flags`].
pub type TicketFlags = KerberosFlags;
/// KDCOptions (RFC 4120 §5.4.1); bit numbers in [`kdc_options`].
pub type KdcOptions = KerberosFlags;
/// APOptions (RFC 4120 §5.5.1); bit numbers in [`ap_options`].
pub type ApOptions = KerberosFlags;

impl KerberosFlags {
    /// Whether bit `n` (0..32, RFC numbering) is set.
    pub fn is_set(self, n: u32) -> bool {
        n < 32 && self.0 & (0x8000_0000 >> n) != 0
    }

    /// Set bit `n` (0..32); larger numbers are ignored.
    pub fn set(&mut self, n: u32) -> &mut Self {
        if n < 32 {
            self.0 |= 0x8000_0000 >> n;
        }
        self
    }

    /// Flags with the given bits set.
    pub fn from_bits(bits: &[u32]) -> Self {
        let mut f = Self(0);
        for &b in bits {
            f.set(b);
        }
        f
    }
}

/// TicketFlags bit numbers (RFC 4120 §5.3, RFC 6806, RFC 6113).
pub mod ticket_flags {
    pub const RESERVED: u32 = 0;
    pub const FORWARDABLE: u32 = 1;
    pub const FORWARDED: u32 = 2;
    pub const PROXIABLE: u32 = 3;
    pub const PROXY: u32 = 4;
    pub const MAY_POSTDATE: u32 = 5;
    pub const POSTDATED: u32 = 6;
    pub const INVALID: u32 = 7;
    pub const RENEWABLE: u32 = 8;
    pub const INITIAL: u32 = 9;
    pub const PRE_AUTHENT: u32 = 10;
    pub const HW_AUTHENT: u32 = 11;
    pub const TRANSITED_POLICY_CHECKED: u32 = 12;
    pub const OK_AS_DELEGATE: u32 = 13;
    /// RFC 6113 §5.4.2 (MIT: `TKT_FLG_ENC_PA_REP`).
    pub const ENC_PA_REP: u32 = 15;
    /// RFC 6112 anonymous ticket.
    pub const ANONYMOUS: u32 = 16;
}

/// KDCOptions bit numbers (RFC 4120 §5.4.1, RFC 6806 canonicalize, RFC 6112 anonymous).
pub mod kdc_options {
    pub const RESERVED: u32 = 0;
    pub const FORWARDABLE: u32 = 1;
    pub const FORWARDED: u32 = 2;
    pub const PROXIABLE: u32 = 3;
    pub const PROXY: u32 = 4;
    pub const ALLOW_POSTDATE: u32 = 5;
    pub const POSTDATED: u32 = 6;
    pub const RENEWABLE: u32 = 8;
    pub const OPT_HARDWARE_AUTH: u32 = 11;
    pub const CONSTRAINED_DELEGATION: u32 = 14;
    pub const CANONICALIZE: u32 = 15;
    pub const REQUEST_ANONYMOUS: u32 = 16;
    pub const DISABLE_TRANSITED_CHECK: u32 = 26;
    pub const RENEWABLE_OK: u32 = 27;
    pub const ENC_TKT_IN_SKEY: u32 = 28;
    pub const RENEW: u32 = 30;
    pub const VALIDATE: u32 = 31;
}

/// APOptions bit numbers (RFC 4120 §5.5.1).
pub mod ap_options {
    pub const RESERVED: u32 = 0;
    pub const USE_SESSION_KEY: u32 = 1;
    pub const MUTUAL_REQUIRED: u32 = 2;
}

impl AsnType for KerberosFlags {
    const TAG: Tag = Tag::BIT_STRING;
    const IDENTIFIER: Identifier = Identifier::BIT_STRING;
}

impl Decode for KerberosFlags {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let bits = decoder.decode_bit_string(tag, constraints)?;
        let v = bits.iter().take(32).enumerate().fold(0u32, |acc, (i, b)| {
            if *b { acc | (0x8000_0000 >> i) } else { acc }
        });
        Ok(Self(v))
    }
}

impl Encode for KerberosFlags {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        constraints: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        let bits = BitString::from_vec(self.0.to_be_bytes().to_vec());
        encoder
            .encode_bit_string(tag, constraints, &bits, identifier.or(Self::IDENTIFIER))
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_bits_and_encoding() {
        let f = KerberosFlags::from_bits(&[kdc_options::FORWARDABLE, kdc_options::CANONICALIZE]);
        assert!(f.is_set(1) && f.is_set(15) && !f.is_set(0) && !f.is_set(40));
        let der = rasn::der::encode(&f).unwrap();
        assert_eq!(der, [3, 5, 0, 0x40, 0x01, 0, 0]);
        assert_eq!(rasn::der::decode::<KerberosFlags>(&der).unwrap(), f);
        // Short and long strings.
        assert_eq!(
            rasn::der::decode::<KerberosFlags>(&[3, 2, 7, 0x80])
                .unwrap()
                .0,
            0x8000_0000
        );
        assert_eq!(
            rasn::der::decode::<KerberosFlags>(&[3, 6, 0, 1, 2, 3, 4, 5])
                .unwrap()
                .0,
            0x0102_0304
        );
    }
}
