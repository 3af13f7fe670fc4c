//! aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20), RFC 8009:
//! KDF-HMAC-SHA2 key derivation, AES-CTS with a confounder, then HMAC over IV | ciphertext.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{CONFOUNDER_LEN, CryptoError, Enctype, KeyUsage, cts};

/// RFC 8009 §4: default iteration count.
pub(crate) const DEFAULT_ITERATIONS: u32 = 32768;

/// The RFC 8009 parameters of enctype 19 or 20.
#[derive(Clone, Copy)]
pub(crate) struct Params {
    /// SHA-384 (enctype 20) rather than SHA-256 (enctype 19).
    sha384: bool,
    /// Protocol key and Ke length, octets.
    key_len: usize,
    /// Kc, Ki and MAC length, octets (128 or 192 bits).
    mac_len: usize,
}

impl Params {
    pub(crate) fn of(enctype: Enctype) -> Self {
        let sha384 = enctype == Enctype::Aes256CtsHmacSha384192;
        Params {
            sha384,
            key_len: enctype.key_len(),
            mac_len: if sha384 { 24 } else { 16 },
        }
    }

    /// HMAC-SHA-256 or HMAC-SHA-384 of the concatenated `parts`.
    fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
        fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
            let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
            for p in parts {
                mac.update(p);
            }
            Zeroizing::new(mac.finalize().into_bytes().to_vec())
        }
        if self.sha384 {
            run::<Hmac<Sha384>>(key, parts)
        } else {
            run::<Hmac<Sha256>>(key, parts)
        }
    }

    /// KDF-HMAC-SHA2(key, label, context, k) (RFC 8009 §3) for `k_len` octets (at most one
    /// hash output): HMAC(key, 00000001 | label | 00 | context | k as 32-bit bits) truncated.
    fn kdf(self, key: &[u8], label: &[u8], context: &[u8], k_len: usize) -> Zeroizing<Vec<u8>> {
        let bits = u32::try_from(k_len * 8).unwrap_or(u32::MAX).to_be_bytes();
        let mut out = self.hmac(key, &[&1u32.to_be_bytes(), label, &[0], context, &bits]);
        out.truncate(k_len);
        out
    }

    /// Kc (0x99), Ke (0xAA) or Ki (0x55) for `usage` (RFC 8009 §5).
    pub(crate) fn usage_key(self, base: &[u8], usage: KeyUsage, purpose: u8) -> Zeroizing<Vec<u8>> {
        let mut label = [0u8; 5];
        label[..4].copy_from_slice(&usage.0.to_be_bytes());
        label[4] = purpose;
        let len = if purpose == 0xAA {
            self.key_len
        } else {
            self.mac_len
        };
        self.kdf(base, &label, &[], len)
    }

    /// RFC 8009 §4: saltp = enctype-name | 00 | salt, tkey = PBKDF2-HMAC-SHA2(password,
    /// saltp, iterations), key = KDF-HMAC-SHA2(tkey, "kerberos", key length).
    pub(crate) fn string_to_key(
        self,
        name: &str,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Zeroizing<Vec<u8>> {
        let saltp = [name.as_bytes(), &[0], salt].concat();
        let mut tkey = Zeroizing::new(vec![0u8; self.key_len]);
        if self.sha384 {
            pbkdf2::pbkdf2_hmac::<Sha384>(password, &saltp, iterations, &mut tkey);
        } else {
            pbkdf2::pbkdf2_hmac::<Sha256>(password, &saltp, iterations, &mut tkey);
        }
        self.kdf(&tkey, b"kerberos", &[], self.key_len)
    }

    /// RFC 8009 §5: C = CTS(Ke, confounder | plaintext), H = HMAC(Ki, IV | C) truncated;
    /// the ciphertext is C | H (IV is the all-zero initial cipher state).
    pub(crate) fn encrypt(
        self,
        base: &[u8],
        usage: KeyUsage,
        confounder: &[u8; CONFOUNDER_LEN],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let ke = self.usage_key(base, usage, 0xAA);
        let ki = self.usage_key(base, usage, 0x55);
        // Room for CTS padding and the MAC, so the buffer holding plaintext never reallocates.
        let mut out = Vec::with_capacity(CONFOUNDER_LEN + plaintext.len() + 16 + self.mac_len);
        out.extend_from_slice(confounder);
        out.extend_from_slice(plaintext);
        cts::encrypt(&ke, &[0; 16], &mut out)?;
        let mac = self.hmac(&ki, &[&[0u8; 16], &out]);
        out.extend_from_slice(&mac[..self.mac_len]);
        Ok(out)
    }

    /// Inverse of [`Params::encrypt`]: the MAC is checked (in constant time) before decrypting.
    pub(crate) fn decrypt(
        self,
        base: &[u8],
        usage: KeyUsage,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let min = CONFOUNDER_LEN + self.mac_len;
        if ciphertext.len() < min {
            return Err(CryptoError::CiphertextTooShort {
                len: ciphertext.len(),
                min,
            });
        }
        let (c, mac) = ciphertext.split_at(ciphertext.len() - self.mac_len);
        let ki = self.usage_key(base, usage, 0x55);
        let expected = self.hmac(&ki, &[&[0u8; 16], c]);
        if !bool::from(expected[..self.mac_len].ct_eq(mac)) {
            return Err(CryptoError::Integrity);
        }
        let ke = self.usage_key(base, usage, 0xAA);
        let mut buf = Zeroizing::new(Vec::with_capacity(c.len() + 16));
        buf.extend_from_slice(c);
        cts::decrypt(&ke, &[0; 16], &mut buf)?;
        buf.drain(..CONFOUNDER_LEN);
        Ok(buf)
    }

    /// hmac-sha256-128-aes128 / hmac-sha384-192-aes256 (RFC 8009 §5): HMAC(Kc, data) truncated.
    pub(crate) fn checksum(self, base: &[u8], usage: KeyUsage, data: &[u8]) -> Vec<u8> {
        let kc = self.usage_key(base, usage, 0x99);
        self.hmac(&kc, &[data])[..self.mac_len].to_vec()
    }

    /// RFC 8009 §5: PRF = KDF-HMAC-SHA2(key, "prf", input, 256 or 384 bits).
    pub(crate) fn prf(self, base: &[u8], input: &[u8]) -> Vec<u8> {
        let len = if self.sha384 { 48 } else { 32 };
        self.kdf(base, b"prf", input, len).to_vec()
    }
}
