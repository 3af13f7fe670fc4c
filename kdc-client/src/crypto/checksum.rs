//! Keyed checksums (RFC 3961 §4, RFC 3962 §6, RFC 8009 §5, RFC 4757 §4).

use subtle::ConstantTimeEq;

use super::{CryptoError, EncryptionKey, Enctype, KeyUsage, aes_sha1, aes_sha2, supported};

/// Checksum types, with their IANA numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumType {
    /// hmac-sha1-96-aes128 (15), RFC 3962.
    HmacSha196Aes128,
    /// hmac-sha1-96-aes256 (16), RFC 3962.
    HmacSha196Aes256,
    /// hmac-sha256-128-aes128 (19), RFC 8009.
    HmacSha256128Aes128,
    /// hmac-sha384-192-aes256 (20), RFC 8009.
    HmacSha384192Aes256,
    /// hmac-md5 (-138), RFC 4757, the rc4-hmac checksum.
    HmacMd5,
}

impl ChecksumType {
    /// The checksum type for an IANA number, if implemented.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            15 => Self::HmacSha196Aes128,
            16 => Self::HmacSha196Aes256,
            19 => Self::HmacSha256128Aes128,
            20 => Self::HmacSha384192Aes256,
            -138 => Self::HmacMd5,
            _ => return None,
        })
    }

    /// The IANA number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::HmacSha196Aes128 => 15,
            Self::HmacSha196Aes256 => 16,
            Self::HmacSha256128Aes128 => 19,
            Self::HmacSha384192Aes256 => 20,
            Self::HmacMd5 => -138,
        }
    }

    /// Length in bytes of the checksum value (RFC 3962 §6: 12; RFC 8009 §5: 16 and 24;
    /// HMAC-MD5 of RFC 4757: 16).
    pub fn output_len(self) -> usize {
        match self {
            Self::HmacSha196Aes128 | Self::HmacSha196Aes256 => 12,
            Self::HmacSha256128Aes128 | Self::HmacMd5 => 16,
            Self::HmacSha384192Aes256 => 24,
        }
    }

    /// The keyed checksum that goes with `enctype` (RFC 3961 §4 "required checksum").
    pub fn for_enctype(enctype: Enctype) -> Self {
        match enctype {
            Enctype::Aes128CtsHmacSha196 => Self::HmacSha196Aes128,
            Enctype::Aes256CtsHmacSha196 => Self::HmacSha196Aes256,
            Enctype::Aes128CtsHmacSha256128 => Self::HmacSha256128Aes128,
            Enctype::Aes256CtsHmacSha384192 => Self::HmacSha384192Aes256,
            Enctype::Rc4Hmac => Self::HmacMd5,
        }
    }
}

/// The keyed checksum of the key's enctype ([`ChecksumType::for_enctype`]) over `data`.
pub fn checksum(key: &EncryptionKey, usage: KeyUsage, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    supported(key.enctype())?;
    let k = key.as_bytes();
    match key.enctype() {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_sha1::checksum(k, usage, data)
        }
        e @ (Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192) => {
            Ok(aes_sha2::Params::of(e).checksum(k, usage, data))
        }
        #[cfg(feature = "legacy-rc4")]
        Enctype::Rc4Hmac => Ok(super::rc4::checksum(k, usage, data)),
        #[cfg(not(feature = "legacy-rc4"))]
        Enctype::Rc4Hmac => Err(CryptoError::Unsupported(Enctype::Rc4Hmac)),
    }
}

/// Verify a received checksum of type `cksumtype` in constant time. The type must be the
/// one of the key's enctype; anything else is refused rather than guessed.
pub fn verify_checksum(
    key: &EncryptionKey,
    usage: KeyUsage,
    cksumtype: ChecksumType,
    data: &[u8],
    expected: &[u8],
) -> Result<(), CryptoError> {
    if cksumtype != ChecksumType::for_enctype(key.enctype()) {
        return Err(CryptoError::ChecksumType {
            cksumtype,
            enctype: key.enctype(),
        });
    }
    let actual = checksum(key, usage, data)?;
    if bool::from(actual.ct_eq(expected)) {
        Ok(())
    } else {
        Err(CryptoError::BadChecksum)
    }
}
