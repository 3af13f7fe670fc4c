//! rc4-hmac (23), RFC 4757, with MIT's key usage mapping. Legacy: only built with the
//! `legacy-rc4` feature, and only for enctypes the [`super::CryptoPolicy`] permits.

use hmac::{Hmac, KeyInit, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{Rc4, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{CryptoError, KeyUsage};

/// RFC 4757 §5: confounder length.
pub(crate) const CONFOUNDER_LEN: usize = 8;
const MAC_LEN: usize = 16;

/// RFC 4757 §3: the key is MD4(UTF-16LE(password)), the NT hash. The salt is not used.
pub(crate) fn string_to_key(password: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let text = std::str::from_utf8(password).map_err(|_| CryptoError::PasswordNotUtf8)?;
    let utf16: Zeroizing<Vec<u8>> =
        Zeroizing::new(text.encode_utf16().flat_map(u16::to_le_bytes).collect());
    Ok(Zeroizing::new(Md4::digest(&utf16).to_vec()))
}

/// Key usage numbers as Microsoft uses them (RFC 4757 §4, as MIT's `arcfour_translate_usage`):
/// the AS-REP encrypted part (3) uses 8, and the GSS acceptor sign usage (23) uses 13.
fn ms_usage(usage: KeyUsage) -> [u8; 4] {
    let ms = match usage.0 {
        3 => 8,
        23 => 13,
        u => u,
    };
    ms.to_le_bytes()
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; MAC_LEN]> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn rc4(key: &[u8], data: &mut [u8]) -> Result<(), CryptoError> {
    let mut cipher = Rc4::new_from_slice(key).map_err(|_| CryptoError::CipherKeyLength)?;
    cipher.apply_keystream(data);
    Ok(())
}

/// RFC 4757 §5: K1 = HMAC-MD5(key, usage), checksum = HMAC-MD5(K1, confounder | plaintext),
/// K3 = HMAC-MD5(K1, checksum); the ciphertext is checksum | RC4(K3, confounder | plaintext).
pub(crate) fn encrypt(
    key: &[u8],
    usage: KeyUsage,
    confounder: &[u8; CONFOUNDER_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let k1 = hmac_md5(key, &[&ms_usage(usage)]);
    let checksum = hmac_md5(&*k1, &[confounder, plaintext]);
    let k3 = hmac_md5(&*k1, &[&*checksum]);
    let mut out = Vec::with_capacity(MAC_LEN + CONFOUNDER_LEN + plaintext.len());
    out.extend_from_slice(&*checksum);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    rc4(&*k3, &mut out[MAC_LEN..])?;
    Ok(out)
}

/// Inverse of [`encrypt`]; the checksum is compared in constant time.
pub(crate) fn decrypt(
    key: &[u8],
    usage: KeyUsage,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let min = MAC_LEN + CONFOUNDER_LEN;
    if ciphertext.len() < min {
        return Err(CryptoError::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }
    let (checksum, data) = ciphertext.split_at(MAC_LEN);
    let k1 = hmac_md5(key, &[&ms_usage(usage)]);
    let k3 = hmac_md5(&*k1, &[checksum]);
    let mut buf = Zeroizing::new(data.to_vec());
    rc4(&*k3, &mut buf)?;
    if !bool::from(hmac_md5(&*k1, &[&buf]).ct_eq(checksum)) {
        return Err(CryptoError::Integrity);
    }
    buf.drain(..CONFOUNDER_LEN);
    Ok(buf)
}

/// hmac-md5 checksum (-138), RFC 4757 §4: Ksign = HMAC-MD5(key, "signaturekey\0"),
/// checksum = HMAC-MD5(Ksign, MD5(usage | data)).
pub(crate) fn checksum(key: &[u8], usage: KeyUsage, data: &[u8]) -> Vec<u8> {
    let ksign = hmac_md5(key, &[b"signaturekey\0"]);
    let inner = Md5::new_with_prefix(ms_usage(usage))
        .chain_update(data)
        .finalize();
    hmac_md5(&*ksign, &[&inner]).to_vec()
}

/// PRF for rc4-hmac as MIT implements it (RFC 4757 defines none): HMAC-SHA1(key, input).
pub(crate) fn prf(key: &[u8], input: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac =
        <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}
