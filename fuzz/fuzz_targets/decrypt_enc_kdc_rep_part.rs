//! Decrypt-then-decode of a KDC reply's enc-part (RFC 4120 §5.4.2) under a fixed key: the
//! input is tried as ciphertext, and also sealed and opened again so that arbitrary plaintexts
//! reach the EncKDCRepPart decoder through the real decryption path.
#![no_main]

use kdc_client::unstable::asn1::EncKdcRepPart;
use kdc_client::crypto::{self, EncryptionKey, Enctype, KeyUsage};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(key) = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[0x42; 32]) else {
        return;
    };
    if let Ok(plain) = crypto::decrypt(&key, KeyUsage::AS_REP_ENC_PART, data) {
        let _ = EncKdcRepPart::decode_either(&plain);
    }
    let Ok(sealed) = crypto::encrypt_with_confounder(&key, KeyUsage::AS_REP_ENC_PART, &[7; 16], data)
    else {
        return;
    };
    if let Ok(plain) = crypto::decrypt(&key, KeyUsage::AS_REP_ENC_PART, &sealed) {
        let _ = EncKdcRepPart::decode_either(&plain);
    }
});
