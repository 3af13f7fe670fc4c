//! AES in CBC mode with ciphertext stealing, CBC-CS3 (RFC 3962 §5, NIST SP 800-38A addendum).
//!
//! Hand-rolled on `cbc`: CS3 is CBC over the zero-padded input with the last two blocks
//! swapped and the output cut to the input length. A one-block input is plain CBC
//! (RFC 3962 §5; the `cts` crate gets that case wrong). The buffer is worked on in place.

use aes::cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt,
    BlockSizeUser, InnerIvInit, KeyInit, typenum::U16,
};
use aes::{Aes128, Aes256, Block};

use zeroize::Zeroize;

use super::CryptoError;

const BLOCK: usize = 16;

/// Encrypt `buf` in place with AES-CBC-CS3 under `key` (16 or 32 octets) and `iv`.
/// `buf` must hold at least one block.
pub fn encrypt(key: &[u8], iv: &[u8; BLOCK], buf: &mut Vec<u8>) -> Result<(), CryptoError> {
    match key.len() {
        16 => encrypt_with(aes::<Aes128>(key)?, iv, buf),
        32 => encrypt_with(aes::<Aes256>(key)?, iv, buf),
        _ => Err(CryptoError::CipherKeyLength),
    }
}

/// Decrypt `buf` in place with AES-CBC-CS3 under `key` (16 or 32 octets) and `iv`.
/// `buf` must hold at least one block.
pub fn decrypt(key: &[u8], iv: &[u8; BLOCK], buf: &mut Vec<u8>) -> Result<(), CryptoError> {
    match key.len() {
        16 => decrypt_with(aes::<Aes128>(key)?, iv, buf),
        32 => decrypt_with(aes::<Aes256>(key)?, iv, buf),
        _ => Err(CryptoError::CipherKeyLength),
    }
}

/// An AES key schedule.
pub(crate) fn aes<C: KeyInit>(key: &[u8]) -> Result<C, CryptoError> {
    C::new_from_slice(key).map_err(|_| CryptoError::CipherKeyLength)
}

/// The full blocks of `buf` (whose length is a multiple of 16).
fn blocks(buf: &mut [u8]) -> &mut [Block] {
    Array::slice_as_chunks_mut(buf).0
}

fn encrypt_with<C>(cipher: C, iv: &[u8; BLOCK], buf: &mut Vec<u8>) -> Result<(), CryptoError>
where
    C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16>,
{
    let n = buf.len();
    if n < BLOCK {
        return Err(CryptoError::CiphertextTooShort { len: n, min: BLOCK });
    }
    let padded = n.div_ceil(BLOCK) * BLOCK;
    buf.resize(padded, 0);
    cbc::Encryptor::inner_iv_init(cipher, &Array::from(*iv)).encrypt_blocks(blocks(buf));
    if padded > BLOCK {
        // Swap the last two blocks: C(n), then the head of C(n-1).
        let (head, last) = buf.split_at_mut(padded - BLOCK);
        head[padded - 2 * BLOCK..].swap_with_slice(last);
    }
    buf.truncate(n);
    Ok(())
}

fn decrypt_with<C>(cipher: C, iv: &[u8; BLOCK], buf: &mut Vec<u8>) -> Result<(), CryptoError>
where
    C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>,
{
    let n = buf.len();
    if n < BLOCK {
        return Err(CryptoError::CiphertextTooShort { len: n, min: BLOCK });
    }
    let padded = n.div_ceil(BLOCK) * BLOCK;
    if padded > BLOCK {
        // buf = C(1..n-2) | C(n) | head(C(n-1), d). Decrypting C(n) gives C(n-1) xor P(n)|0,
        // whose tail completes C(n-1). Put C(n-1), C(n) back in CBC order and run CBC.
        let tail = padded - BLOCK; // start of the partial block
        let d = n - tail;
        let mut last_full = [0u8; BLOCK];
        last_full.copy_from_slice(&buf[tail - BLOCK..tail]);
        let mut dn = Block::from(last_full);
        cipher.decrypt_block(&mut dn);
        buf.resize(padded, 0);
        buf.copy_within(tail..tail + d, tail - BLOCK);
        buf[tail - BLOCK + d..tail].copy_from_slice(&dn[d..]);
        buf[tail..].copy_from_slice(&last_full);
        // dn = C(n-1) xor P(n)|0: as secret as the plaintext.
        dn.as_mut_slice().zeroize();
    }
    cbc::Decryptor::inner_iv_init(cipher, &Array::from(*iv)).decrypt_blocks(blocks(buf));
    buf.truncate(n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_block_is_plain_cbc() {
        let key = [7u8; 16];
        let mut buf = vec![0x42u8; 16];
        encrypt(&key, &[0; 16], &mut buf).unwrap();
        let mut ecb = Block::from([0x42u8; 16]);
        Aes128::new_from_slice(&key)
            .unwrap()
            .encrypt_block(&mut ecb);
        assert_eq!(buf, ecb.as_slice());
        decrypt(&key, &[0; 16], &mut buf).unwrap();
        assert_eq!(buf, [0x42u8; 16]);
    }

    #[test]
    fn round_trip_every_length_16_to_64() {
        for key in [&[3u8; 16][..], &[5u8; 32][..]] {
            for n in 16..=64 {
                let plain: Vec<u8> = (0..n as u8).collect();
                let mut buf = plain.clone();
                encrypt(key, &[9; 16], &mut buf).unwrap();
                assert_eq!(buf.len(), n);
                assert_ne!(buf, plain);
                decrypt(key, &[9; 16], &mut buf).unwrap();
                assert_eq!(buf, plain, "length {n}");
            }
        }
    }

    #[test]
    fn short_input_and_bad_key_are_errors() {
        assert!(encrypt(&[0; 16], &[0; 16], &mut vec![0; 15]).is_err());
        assert!(decrypt(&[0; 16], &[0; 16], &mut vec![]).is_err());
        assert!(encrypt(&[0; 24], &[0; 16], &mut vec![0; 16]).is_err());
    }
}
