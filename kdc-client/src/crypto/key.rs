//! Encryption types (RFC 3961 §8, RFC 3962, RFC 8009, RFC 4757) and keys that know their enctype.

use std::fmt;
use zeroize::Zeroizing;

/// The encryption types this engine implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Enctype {
    /// aes128-cts-hmac-sha1-96 (17), RFC 3962.
    Aes128CtsHmacSha196,
    /// aes256-cts-hmac-sha1-96 (18), RFC 3962.
    Aes256CtsHmacSha196,
    /// aes128-cts-hmac-sha256-128 (19), RFC 8009.
    Aes128CtsHmacSha256128,
    /// aes256-cts-hmac-sha384-192 (20), RFC 8009.
    Aes256CtsHmacSha384192,
    /// rc4-hmac (23), RFC 4757. Usable only with the `legacy-rc4` feature and a policy that allows it.
    Rc4Hmac,
}

impl Enctype {
    /// All enctypes, strongest-first default order first (18, 17, 20, 19), then RC4.
    pub const ALL: [Enctype; 5] = [
        Enctype::Aes256CtsHmacSha196,
        Enctype::Aes128CtsHmacSha196,
        Enctype::Aes256CtsHmacSha384192,
        Enctype::Aes128CtsHmacSha256128,
        Enctype::Rc4Hmac,
    ];

    /// The enctype for an IANA number, if implemented.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            17 => Self::Aes128CtsHmacSha196,
            18 => Self::Aes256CtsHmacSha196,
            19 => Self::Aes128CtsHmacSha256128,
            20 => Self::Aes256CtsHmacSha384192,
            23 => Self::Rc4Hmac,
            _ => return None,
        })
    }

    /// The IANA number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Aes128CtsHmacSha196 => 17,
            Self::Aes256CtsHmacSha196 => 18,
            Self::Aes128CtsHmacSha256128 => 19,
            Self::Aes256CtsHmacSha384192 => 20,
            Self::Rc4Hmac => 23,
        }
    }

    /// MIT's name for the enctype (as `klist -e` prints it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Self::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Self::Aes128CtsHmacSha256128 => "aes128-cts-hmac-sha256-128",
            Self::Aes256CtsHmacSha384192 => "aes256-cts-hmac-sha384-192",
            Self::Rc4Hmac => "arcfour-hmac",
        }
    }

    /// Parse an MIT enctype name or alias (`aes256-cts`, `aes`, `rc4-hmac`, ...), or a number.
    /// Family names such as `aes` expand to several enctypes.
    pub fn parse_list_item(s: &str) -> Vec<Enctype> {
        let s = s.to_ascii_lowercase();
        let one = |e| vec![e];
        match s.as_str() {
            "aes256-cts-hmac-sha1-96" | "aes256-cts" | "aes256-sha1" => {
                one(Self::Aes256CtsHmacSha196)
            }
            "aes128-cts-hmac-sha1-96" | "aes128-cts" | "aes128-sha1" => {
                one(Self::Aes128CtsHmacSha196)
            }
            "aes256-cts-hmac-sha384-192" | "aes256-sha2" => one(Self::Aes256CtsHmacSha384192),
            "aes128-cts-hmac-sha256-128" | "aes128-sha2" => one(Self::Aes128CtsHmacSha256128),
            "arcfour-hmac" | "rc4-hmac" | "arcfour-hmac-md5" | "rc4" => one(Self::Rc4Hmac),
            "aes" => vec![
                Self::Aes256CtsHmacSha196,
                Self::Aes128CtsHmacSha196,
                Self::Aes256CtsHmacSha384192,
                Self::Aes128CtsHmacSha256128,
            ],
            _ => s
                .parse::<i32>()
                .ok()
                .and_then(Self::from_i32)
                .into_iter()
                .collect(),
        }
    }

    /// Length in bytes of the protocol key.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes128CtsHmacSha256128 | Self::Rc4Hmac => 16,
            Self::Aes256CtsHmacSha196 | Self::Aes256CtsHmacSha384192 => 32,
        }
    }

    /// True for enctypes MIT calls weak (refused unless `allow_weak_crypto`).
    pub fn is_weak(self) -> bool {
        matches!(self, Self::Rc4Hmac)
    }
}

impl fmt::Display for Enctype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Key material of the wrong length for its enctype.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{enctype} key must be {expected} bytes, got {got}")]
pub struct KeyLengthError {
    /// The enctype.
    pub enctype: Enctype,
    /// The key length it takes.
    pub expected: usize,
    /// The length given.
    pub got: usize,
}

/// A protocol key (RFC 3961 §3) bound to its enctype. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey {
    enctype: Enctype,
    bytes: Zeroizing<Vec<u8>>,
}

impl EncryptionKey {
    /// A key from raw bytes, which must have the enctype's key length.
    pub fn new(enctype: Enctype, bytes: &[u8]) -> Result<Self, KeyLengthError> {
        if bytes.len() != enctype.key_len() {
            return Err(KeyLengthError {
                enctype,
                expected: enctype.key_len(),
                got: bytes.len(),
            });
        }
        Ok(Self {
            enctype,
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// The key's enctype.
    pub fn enctype(&self) -> Enctype {
        self.enctype
    }

    /// The raw key bytes. Handle with care: never log them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("enctype", &self.enctype)
            .field("bytes", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_length_checked() {
        let k = EncryptionKey::new(Enctype::Aes128CtsHmacSha196, &[0x41; 16]).unwrap();
        let d = format!("{k:?}");
        assert!(d.contains("redacted") && !d.contains("65") && !d.contains("41"));
        assert_eq!(
            EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[0; 16]),
            Err(KeyLengthError {
                enctype: Enctype::Aes256CtsHmacSha196,
                expected: 32,
                got: 16
            })
        );
    }

    #[test]
    fn enctype_numbers_and_names() {
        for e in Enctype::ALL {
            assert_eq!(Enctype::from_i32(e.to_i32()), Some(e));
            assert_eq!(Enctype::parse_list_item(e.name()), vec![e]);
        }
        assert_eq!(Enctype::parse_list_item("aes").len(), 4);
        assert_eq!(
            Enctype::parse_list_item("18"),
            vec![Enctype::Aes256CtsHmacSha196]
        );
        assert!(Enctype::parse_list_item("des-cbc-crc").is_empty());
    }
}
