//! Kerberos cryptosystems (RFC 3961 framework, RFC 3962, RFC 8009, RFC 4757).
//!
//! Every operation dispatches on the [`Enctype`] of its [`EncryptionKey`]. Randomness
//! (confounders, new keys) comes from an injected [`RandomSource`]. Intermediate key material
//! lives in [`Zeroizing`] buffers; integrity checks compare in constant time.
//!
//! rc4-hmac exists only with the `legacy-rc4` cargo feature (otherwise every operation on it
//! fails with [`CryptoError::Unsupported`]); whether it may be used at run time is decided by
//! [`CryptoPolicy`], which the protocol layer consults when it picks or accepts an enctype.
//!
//! [`cts`], [`nfold`] and [`derive_key`] expose building blocks for the known-answer tests
//! (`tests/crypto_vectors.rs`); protocol code needs only the enctype-level functions.

mod aes_sha1;
mod aes_sha2;
mod checksum;
#[doc(hidden)]
pub mod cts;
mod key;
#[doc(hidden)]
pub mod nfold;
mod policy;
mod prf;
#[cfg(feature = "legacy-rc4")]
mod rc4;
mod usage;

pub use checksum::{ChecksumType, checksum, verify_checksum};
pub use key::{EncryptionKey, Enctype, KeyLengthError};
pub use policy::CryptoPolicy;
pub use prf::{cf2, prf};
pub use usage::KeyUsage;

use zeroize::Zeroizing;

/// Confounder length of the AES enctypes (one block, RFC 3962 §6, RFC 8009 §5).
const CONFOUNDER_LEN: usize = 16;

/// Largest accepted PBKDF2 iteration count: 2^24. It bounds the work an s2kparams value
/// from the network (a KDC's ETYPE-INFO2) can ask for, to seconds of CPU.
pub const MAX_ITERATIONS: u32 = 1 << 24;

/// Errors of the cryptosystems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// An enctype this build does not implement.
    #[error("{0} is not supported by this build (rc4-hmac needs the `legacy-rc4` feature)")]
    Unsupported(Enctype),
    /// An operation the enctype does not have.
    #[error("{0} has no such operation")]
    NotApplicable(Enctype),
    /// An enctype the policy refuses.
    #[error("{0} is refused by the crypto policy (allow_weak_crypto is off)")]
    Refused(Enctype),
    /// A key of the wrong length.
    #[error(transparent)]
    KeyLength(#[from] KeyLengthError),
    /// A cipher key of the wrong length.
    #[error("cipher key of invalid length")]
    CipherKeyLength,
    /// A ciphertext shorter than its enctype's minimum.
    #[error("ciphertext of {len} octets is shorter than the minimum {min}")]
    CiphertextTooShort {
        /// The ciphertext's length.
        len: usize,
        /// The enctype's minimum.
        min: usize,
    },
    /// Wrong key, wrong key usage, or a modified ciphertext: indistinguishable by design.
    #[error("integrity check failed")]
    Integrity,
    /// A checksum type that does not belong to the key's enctype.
    #[error("checksum type {cksumtype:?} does not belong to {enctype}")]
    ChecksumType {
        /// The checksum type.
        cksumtype: ChecksumType,
        /// The key's enctype.
        enctype: Enctype,
    },
    /// A checksum that does not verify.
    #[error("checksum mismatch")]
    BadChecksum,
    /// A confounder of the wrong length.
    #[error("confounder of the wrong length for the enctype")]
    ConfounderLength,
    /// Invalid string-to-key parameters.
    #[error("invalid s2kparams: {0}")]
    S2kParams(&'static str),
    /// A password that is not UTF-8 (rc4-hmac needs UTF-16).
    #[error("the password is not valid UTF-8 (rc4-hmac string-to-key needs UTF-16)")]
    PasswordNotUtf8,
    /// The random source failed.
    #[error("the random source failed")]
    Random,
}

/// A source of cryptographic randomness (sans-IO: injected, so tests can be deterministic).
pub trait RandomSource {
    /// Fill `buf` with random octets, or fail with [`CryptoError::Random`].
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError>;
}

/// The operating system's generator (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        getrandom::fill(buf).map_err(|_| CryptoError::Random)
    }
}

/// The purpose of a key derived for one key usage (RFC 3961 §5.3, RFC 8009 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivedKey {
    /// Kc, the checksum key (constant octet 0x99).
    Checksum,
    /// Ke, the encryption key (0xAA).
    Encryption,
    /// Ki, the integrity key (0x55).
    Integrity,
}

impl DerivedKey {
    /// The last octet of the derivation constant.
    pub fn constant(self) -> u8 {
        match self {
            Self::Checksum => 0x99,
            Self::Encryption => 0xAA,
            Self::Integrity => 0x55,
        }
    }
}

/// Turn an unsupported enctype into the error; `Ok(())` for the AES enctypes and, with the
/// `legacy-rc4` feature, rc4-hmac.
fn supported(enctype: Enctype) -> Result<(), CryptoError> {
    if enctype == Enctype::Rc4Hmac && !cfg!(feature = "legacy-rc4") {
        return Err(CryptoError::Unsupported(enctype));
    }
    Ok(())
}

/// The iteration count of AES s2kparams (RFC 3962 §4, RFC 8009 §4): a 4-octet big-endian
/// number, `default` when absent. Zero (2^32 for RFC 3962) and counts above
/// [`MAX_ITERATIONS`] are refused.
fn iterations(s2kparams: Option<&[u8]>, default: u32) -> Result<u32, CryptoError> {
    let Some(p) = s2kparams else {
        return Ok(default);
    };
    let bytes: [u8; 4] = p
        .try_into()
        .map_err(|_| CryptoError::S2kParams("expected a 4-octet iteration count"))?;
    match u32::from_be_bytes(bytes) {
        0 => Err(CryptoError::S2kParams(
            "iteration count 0 (2^32) is refused",
        )),
        n if n > MAX_ITERATIONS => Err(CryptoError::S2kParams("iteration count above 2^24")),
        n => Ok(n),
    }
}

/// String-to-key (RFC 3961 §3): RFC 3962 §4 (PBKDF2-HMAC-SHA1, default 4096 iterations),
/// RFC 8009 §4 (PBKDF2-HMAC-SHA256/384, default 32768), RFC 4757 §3 (NT hash; salt ignored,
/// s2kparams must be absent or empty).
pub fn string_to_key(
    enctype: Enctype,
    password: &[u8],
    salt: &[u8],
    s2kparams: Option<&[u8]>,
) -> Result<EncryptionKey, CryptoError> {
    supported(enctype)?;
    let bytes = match enctype {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let n = iterations(s2kparams, aes_sha1::DEFAULT_ITERATIONS)?;
            aes_sha1::string_to_key(enctype.key_len(), password, salt, n)?
        }
        Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192 => {
            let n = iterations(s2kparams, aes_sha2::DEFAULT_ITERATIONS)?;
            aes_sha2::Params::of(enctype).string_to_key(enctype.name(), password, salt, n)
        }
        Enctype::Rc4Hmac => {
            if s2kparams.is_some_and(|p| !p.is_empty()) {
                return Err(CryptoError::S2kParams("rc4-hmac takes no s2kparams"));
            }
            rc4_string_to_key(password)?
        }
    };
    Ok(EncryptionKey::new(enctype, &bytes)?)
}

#[cfg(feature = "legacy-rc4")]
fn rc4_string_to_key(password: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    rc4::string_to_key(password)
}

#[cfg(not(feature = "legacy-rc4"))]
fn rc4_string_to_key(_: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    Err(CryptoError::Unsupported(Enctype::Rc4Hmac))
}

/// Random-to-key (RFC 3961 §3): the identity for every implemented enctype, so `bytes` must
/// have the key length.
pub fn random_to_key(enctype: Enctype, bytes: &[u8]) -> Result<EncryptionKey, CryptoError> {
    supported(enctype)?;
    Ok(EncryptionKey::new(enctype, bytes)?)
}

/// A fresh random key (session keys, subkeys).
pub fn generate_key(
    enctype: Enctype,
    rng: &mut dyn RandomSource,
) -> Result<EncryptionKey, CryptoError> {
    let mut bytes = Zeroizing::new(vec![0u8; enctype.key_len()]);
    rng.fill(&mut bytes)?;
    random_to_key(enctype, &bytes)
}

/// The confounder length of the enctype.
fn confounder_len(enctype: Enctype) -> usize {
    match enctype {
        Enctype::Rc4Hmac => 8,
        _ => CONFOUNDER_LEN,
    }
}

/// Encrypt with a fresh confounder from `rng` (RFC 3961 §5.3, RFC 8009 §5, RFC 4757 §5).
pub fn encrypt(
    key: &EncryptionKey,
    usage: KeyUsage,
    plaintext: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<Vec<u8>, CryptoError> {
    let mut confounder = Zeroizing::new([0u8; CONFOUNDER_LEN]);
    let confounder = &mut confounder[..confounder_len(key.enctype())];
    rng.fill(confounder)?;
    encrypt_with_confounder(key, usage, confounder, plaintext)
}

/// Encrypt with a given confounder (16 octets for AES, 8 for rc4-hmac). Deterministic: for
/// known-answer tests; real traffic uses [`encrypt`].
pub fn encrypt_with_confounder(
    key: &EncryptionKey,
    usage: KeyUsage,
    confounder: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    supported(key.enctype())?;
    let bad_confounder = CryptoError::ConfounderLength;
    let k = key.as_bytes();
    match key.enctype() {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            let c = confounder.try_into().map_err(|_| bad_confounder)?;
            aes_sha1::encrypt(k, usage, c, plaintext)
        }
        e @ (Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192) => {
            let c = confounder.try_into().map_err(|_| bad_confounder)?;
            aes_sha2::Params::of(e).encrypt(k, usage, c, plaintext)
        }
        #[cfg(feature = "legacy-rc4")]
        Enctype::Rc4Hmac => {
            let c = confounder.try_into().map_err(|_| bad_confounder)?;
            rc4::encrypt(k, usage, c, plaintext)
        }
        #[cfg(not(feature = "legacy-rc4"))]
        Enctype::Rc4Hmac => Err(CryptoError::Unsupported(Enctype::Rc4Hmac)),
    }
}

/// Decrypt and check integrity. A wrong key or usage, or any modification, gives
/// [`CryptoError::Integrity`]; a ciphertext too short to hold confounder and MAC gives
/// [`CryptoError::CiphertextTooShort`].
pub fn decrypt(
    key: &EncryptionKey,
    usage: KeyUsage,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    supported(key.enctype())?;
    let k = key.as_bytes();
    match key.enctype() {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_sha1::decrypt(k, usage, ciphertext)
        }
        e @ (Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192) => {
            aes_sha2::Params::of(e).decrypt(k, usage, ciphertext)
        }
        #[cfg(feature = "legacy-rc4")]
        Enctype::Rc4Hmac => rc4::decrypt(k, usage, ciphertext),
        #[cfg(not(feature = "legacy-rc4"))]
        Enctype::Rc4Hmac => Err(CryptoError::Unsupported(Enctype::Rc4Hmac)),
    }
}

/// The key derived from `key` for `usage` and `purpose`: DK (RFC 3961 §5.3) for enctypes
/// 17/18, KDF-HMAC-SHA2 (RFC 8009 §5) for 19/20. rc4-hmac has no such keys
/// ([`CryptoError::NotApplicable`]).
pub fn derive_key(
    key: &EncryptionKey,
    usage: KeyUsage,
    purpose: DerivedKey,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let k = key.as_bytes();
    match key.enctype() {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => {
            aes_sha1::usage_key(k, usage, purpose.constant())
        }
        e @ (Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192) => {
            Ok(aes_sha2::Params::of(e).usage_key(k, usage, purpose.constant()))
        }
        Enctype::Rc4Hmac => Err(CryptoError::NotApplicable(Enctype::Rc4Hmac)),
    }
}

/// A deterministic byte stream for tests: the seed plus 1, 2, 3, ...
#[cfg(test)]
pub(crate) struct Counter(pub(crate) u8);

#[cfg(test)]
impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        for b in buf {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> impl Iterator<Item = Enctype> {
        Enctype::ALL.into_iter().filter(|&e| supported(e).is_ok())
    }

    #[test]
    fn round_trip_and_integrity_for_every_enctype() {
        for e in built_in() {
            let key = generate_key(e, &mut Counter(0)).unwrap();
            for len in [0, 1, 15, 16, 17, 100] {
                let plain = vec![0x5a; len];
                let c =
                    encrypt(&key, KeyUsage::AP_REQ_AUTHENTICATOR, &plain, &mut OsRandom).unwrap();
                let p = decrypt(&key, KeyUsage::AP_REQ_AUTHENTICATOR, &c).unwrap();
                assert_eq!(*p, plain, "{e} length {len}");
                assert_eq!(
                    decrypt(&key, KeyUsage::AP_REP_ENC_PART, &c),
                    Err(CryptoError::Integrity),
                    "{e}: wrong usage"
                );
                for i in [0, c.len() / 2, c.len() - 1] {
                    let mut bad = c.clone();
                    bad[i] ^= 0x80;
                    let r = decrypt(&key, KeyUsage::AP_REQ_AUTHENTICATOR, &bad);
                    assert_eq!(r, Err(CryptoError::Integrity), "{e}: flipped octet {i}");
                }
            }
        }
    }

    #[test]
    fn checksum_output_len_is_the_length_of_the_checksum_made() {
        for e in built_in() {
            let key = generate_key(e, &mut Counter(5)).unwrap();
            let ck = checksum(&key, KeyUsage::TICKET, b"data").unwrap();
            assert_eq!(ck.len(), ChecksumType::for_enctype(e).output_len(), "{e}");
        }
    }

    #[test]
    fn short_ciphertexts_are_rejected() {
        for e in built_in() {
            let key = generate_key(e, &mut Counter(7)).unwrap();
            let c = encrypt(&key, KeyUsage::TICKET, b"", &mut Counter(1)).unwrap();
            for len in 0..c.len() {
                let r = decrypt(&key, KeyUsage::TICKET, &c[..len]);
                assert!(
                    matches!(r, Err(CryptoError::CiphertextTooShort { .. })),
                    "{e}: {len}"
                );
            }
        }
    }

    #[test]
    fn iteration_counts_are_bounded() {
        let e = Enctype::Aes128CtsHmacSha196;
        for bad in [&[0, 0, 0, 0][..], &[1, 0, 0, 1], &[0, 0, 1], &[]] {
            assert!(matches!(
                string_to_key(e, b"pw", b"salt", Some(bad)),
                Err(CryptoError::S2kParams(_))
            ));
        }
        assert_eq!(iterations(Some(&[1, 0, 0, 0]), 4096), Ok(MAX_ITERATIONS));
        assert_eq!(iterations(None, 4096), Ok(4096));
    }

    #[test]
    fn policy_refuses_rc4_unless_allowed() {
        let strict = CryptoPolicy::default();
        assert!(!strict.permits(Enctype::Rc4Hmac));
        assert!(Enctype::ALL[..4].iter().all(|&e| strict.permits(e)));
        let lax = CryptoPolicy {
            allow_weak_crypto: true,
        };
        assert_eq!(lax.permits(Enctype::Rc4Hmac), cfg!(feature = "legacy-rc4"));
        if cfg!(feature = "legacy-rc4") {
            assert_eq!(
                strict.check(Enctype::Rc4Hmac),
                Err(CryptoError::Refused(Enctype::Rc4Hmac))
            );
        } else {
            assert_eq!(
                random_to_key(Enctype::Rc4Hmac, &[0; 16]),
                Err(CryptoError::Unsupported(Enctype::Rc4Hmac))
            );
        }
    }

    #[test]
    fn checksum_type_must_match_the_key() {
        let key = generate_key(Enctype::Aes256CtsHmacSha196, &mut Counter(3)).unwrap();
        let c = checksum(&key, KeyUsage::KRB_SAFE_CKSUM, b"data").unwrap();
        let ok = ChecksumType::HmacSha196Aes256;
        assert_eq!(
            verify_checksum(&key, KeyUsage::KRB_SAFE_CKSUM, ok, b"data", &c),
            Ok(())
        );
        let r = verify_checksum(&key, KeyUsage::KRB_SAFE_CKSUM, ok, b"dat4", &c);
        assert_eq!(r, Err(CryptoError::BadChecksum));
        let wrong = ChecksumType::HmacSha196Aes128;
        let r = verify_checksum(&key, KeyUsage::KRB_SAFE_CKSUM, wrong, b"data", &c);
        assert!(matches!(r, Err(CryptoError::ChecksumType { .. })));
        assert_eq!(ChecksumType::from_i32(-138), Some(ChecksumType::HmacMd5));
    }

    #[test]
    fn confounder_length_is_checked() {
        let key = generate_key(Enctype::Aes128CtsHmacSha256128, &mut Counter(0)).unwrap();
        let r = encrypt_with_confounder(&key, KeyUsage::TICKET, &[0; 8], b"x");
        assert_eq!(r, Err(CryptoError::ConfounderLength));
    }
}
