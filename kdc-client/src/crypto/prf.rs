//! Pseudo-random function (RFC 3961 §3) and KRB-FX-CF2 (RFC 6113 §5.1).

use zeroize::Zeroizing;

use super::{CryptoError, EncryptionKey, Enctype, aes_sha1, aes_sha2, random_to_key, supported};

/// The enctype's PRF: RFC 3962 §3 (16 octets), RFC 8009 §5 (32 or 48 octets), and for
/// rc4-hmac HMAC-SHA1 as MIT does it (20 octets).
pub fn prf(key: &EncryptionKey, input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    supported(key.enctype())?;
    let k = key.as_bytes();
    match key.enctype() {
        Enctype::Aes128CtsHmacSha196 | Enctype::Aes256CtsHmacSha196 => aes_sha1::prf(k, input),
        e @ (Enctype::Aes128CtsHmacSha256128 | Enctype::Aes256CtsHmacSha384192) => {
            Ok(aes_sha2::Params::of(e).prf(k, input))
        }
        #[cfg(feature = "legacy-rc4")]
        Enctype::Rc4Hmac => Ok(super::rc4::prf(k, input)),
        #[cfg(not(feature = "legacy-rc4"))]
        Enctype::Rc4Hmac => Err(CryptoError::Unsupported(Enctype::Rc4Hmac)),
    }
}

/// PRF+(key, pepper) (RFC 6113 §5.1): PRF(key, 1 | pepper) | PRF(key, 2 | pepper) | ...,
/// cut to `len` octets.
fn prf_plus(
    key: &EncryptionKey,
    pepper: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 48));
    let mut input = [&[1u8][..], pepper].concat();
    while out.len() < len {
        out.extend_from_slice(&Zeroizing::new(prf(key, &input)?));
        // Every PRF gives at least 16 octets and keys are at most 32: the counter stays tiny.
        input[0] = input[0].wrapping_add(1);
    }
    out.truncate(len);
    Ok(out)
}

/// KRB-FX-CF2 (RFC 6113 §5.1): random-to-key(PRF+(key1, pepper1) xor PRF+(key2, pepper2)),
/// a key of key1's enctype.
pub fn cf2(
    key1: &EncryptionKey,
    key2: &EncryptionKey,
    pepper1: &[u8],
    pepper2: &[u8],
) -> Result<EncryptionKey, CryptoError> {
    let enctype = key1.enctype();
    let mut a = prf_plus(key1, pepper1, enctype.key_len())?;
    let b = prf_plus(key2, pepper2, enctype.key_len())?;
    a.iter_mut().zip(b.iter()).for_each(|(x, y)| *x ^= y);
    random_to_key(enctype, &a)
}
