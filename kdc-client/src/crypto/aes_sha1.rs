//! aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), RFC 3962, on the RFC 3961
//! simplified profile: DK key derivation with n-fold, HMAC-SHA1-96, AES-CTS with a confounder.

use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{CONFOUNDER_LEN, CryptoError, KeyUsage, cts, nfold::nfold};

/// Truncated HMAC-SHA1 length (RFC 3962 §6: h = 96 bits).
pub(crate) const MAC_LEN: usize = 12;
/// RFC 3962 §4: default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 4096;

/// DR (RFC 3961 §5.1): AES-encrypt the n-folded constant, feeding each output block back in,
/// until there are `base.len()` octets. For AES, random-to-key is the identity, so this is DK.
pub(crate) fn dk(base: &[u8], constant: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(Vec::with_capacity(base.len() + 16));
    let mut block = Zeroizing::new(nfold(constant, 16));
    while out.len() < base.len() {
        // One block under a zero IV: CBC and CTS are plain AES here.
        cts::encrypt(base, &[0; 16], &mut block)?;
        out.extend_from_slice(&block);
    }
    out.truncate(base.len());
    Ok(out)
}

/// DK(base, usage | purpose) for the 5-octet usage constants of RFC 3961 §5.3.
pub(crate) fn usage_key(
    base: &[u8],
    usage: KeyUsage,
    purpose: u8,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut constant = [0u8; 5];
    constant[..4].copy_from_slice(&usage.0.to_be_bytes());
    constant[4] = purpose;
    dk(base, &constant)
}

/// RFC 3962 §4: tkey = PBKDF2-HMAC-SHA1(password, salt, iterations), key = DK(tkey, "kerberos").
pub(crate) fn string_to_key(
    key_len: usize,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut tkey = Zeroizing::new(vec![0u8; key_len]);
    pbkdf2_hmac_sha1(password, salt, iterations, &mut tkey);
    dk(&tkey, b"kerberos")
}

/// PBKDF2-HMAC-SHA1 (RFC 8018 §5.2). Its 160-bit blocks are independent: a 256-bit key needs
/// two, so the second is computed on another thread while this one computes the first (this
/// halves aes256 string-to-key on a machine with two cores). If no thread can be started,
/// the blocks are computed one after the other.
fn pbkdf2_hmac_sha1(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    const BLOCK: usize = 20;
    let (first, rest) = out.split_at_mut(out.len().min(BLOCK));
    if rest.is_empty() {
        pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, first);
        return;
    }
    let block = |index: u32| {
        let mut t = Zeroizing::new([0u8; BLOCK]);
        pbkdf2_block(password, salt, iterations, index, &mut t);
        t
    };
    let second = std::thread::scope(|s| {
        let worker = std::thread::Builder::new().spawn_scoped(s, || block(2));
        let t1 = block(1);
        first.copy_from_slice(&t1[..first.len()]);
        // A worker that could not start (or failed) is replaced by computing here.
        worker.ok().and_then(|w| w.join().ok())
    });
    let t2 = second.unwrap_or_else(|| block(2));
    let n = rest.len().min(BLOCK);
    rest[..n].copy_from_slice(&t2[..n]);
    if rest.len() > BLOCK {
        // Longer outputs (not used by Kerberos): the standard loop over the whole output.
        pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, out);
    }
}

/// F(P, S, c, i) of RFC 8018 §5.2: U1 = PRF(P, S || INT(i)), Uj = PRF(P, Uj-1), T = XOR of all.
fn pbkdf2_block(password: &[u8], salt: &[u8], iterations: u32, index: u32, t: &mut [u8; 20]) {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let prf = <Hmac<Sha1> as KeyInit>::new_from_slice(password).expect("HMAC takes any key length");
    let mut mac = prf.clone();
    mac.update(salt);
    mac.update(&index.to_be_bytes());
    let mut u = Zeroizing::new(mac.finalize().into_bytes());
    t.copy_from_slice(&u);
    for _ in 1..iterations {
        let mut mac = prf.clone();
        mac.update(&u);
        *u = mac.finalize().into_bytes();
        for (a, b) in t.iter_mut().zip(u.iter()) {
            *a ^= b;
        }
    }
}

fn hmac_sha1_96(key: &[u8], data: &[u8]) -> [u8; MAC_LEN] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// RFC 3961 §5.3 with RFC 3962: C = CTS(Ke, confounder | plaintext), H = HMAC-SHA1-96(Ki,
/// confounder | plaintext); the ciphertext is C | H.
pub(crate) fn encrypt(
    base: &[u8],
    usage: KeyUsage,
    confounder: &[u8; CONFOUNDER_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let ke = usage_key(base, usage, 0xAA)?;
    let ki = usage_key(base, usage, 0x55)?;
    // Room for CTS padding and the MAC, so the buffer holding plaintext never reallocates.
    let mut out = Vec::with_capacity(CONFOUNDER_LEN + plaintext.len() + 16 + MAC_LEN);
    out.extend_from_slice(confounder);
    out.extend_from_slice(plaintext);
    let mac = hmac_sha1_96(&ki, &out);
    cts::encrypt(&ke, &[0; 16], &mut out)?;
    out.extend_from_slice(&mac);
    Ok(out)
}

/// Inverse of [`encrypt`]; the MAC is compared in constant time.
pub(crate) fn decrypt(
    base: &[u8],
    usage: KeyUsage,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let min = CONFOUNDER_LEN + MAC_LEN;
    if ciphertext.len() < min {
        return Err(CryptoError::CiphertextTooShort {
            len: ciphertext.len(),
            min,
        });
    }
    let (c, mac) = ciphertext.split_at(ciphertext.len() - MAC_LEN);
    let ke = usage_key(base, usage, 0xAA)?;
    let ki = usage_key(base, usage, 0x55)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(c.len() + 16));
    buf.extend_from_slice(c);
    cts::decrypt(&ke, &[0; 16], &mut buf)?;
    if !bool::from(hmac_sha1_96(&ki, &buf).ct_eq(mac)) {
        return Err(CryptoError::Integrity);
    }
    buf.drain(..CONFOUNDER_LEN);
    Ok(buf)
}

/// hmac-sha1-96-aes128/256 (RFC 3962 §6): HMAC-SHA1-96(Kc, data).
pub(crate) fn checksum(base: &[u8], usage: KeyUsage, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let kc = usage_key(base, usage, 0x99)?;
    Ok(hmac_sha1_96(&kc, data).to_vec())
}

/// RFC 3962 §3: PRF = AES(DK(key, "prf"), first 16 octets of SHA-1(input)).
pub(crate) fn prf(base: &[u8], input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let kp = dk(base, b"prf")?;
    let mut block = Sha1::digest(input)[..16].to_vec();
    cts::encrypt(&kp, &[0; 16], &mut block)?;
    Ok(block)
}
