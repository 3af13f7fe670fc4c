//! The FAST reply decoders (RFC 6113 §5.4.3): PA-FX-FAST-REPLY, KrbFastResponse and
//! KrbFastFinished from arbitrary bytes, and KrbFastResponse (with the PA-FX-ERROR's
//! KRB-ERROR inside it) through the real decryption path under a fixed armor key (usage 52).
//! A successful decode must re-encode.
#![no_main]

use kdc_client::unstable::asn1::{KrbError, KrbFastFinished, KrbFastResponse, PaFxFastReply, pa_type};
use kdc_client::crypto::{self, EncryptionKey, Enctype, KeyUsage};

fn response(plain: &[u8]) {
    if let Ok(r) = KrbFastResponse::decode(plain) {
        let _ = r.to_der();
        for pa in r
            .padata
            .iter()
            .filter(|p| p.padata_type == pa_type::FX_ERROR)
        {
            let _ = KrbError::decode(&pa.padata_value);
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = PaFxFastReply::decode(data) {
        let _ = v.to_der();
    }
    if let Ok(v) = KrbFastFinished::decode(data) {
        let _ = v.to_der();
    }
    response(data);
    let Ok(key) = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[0x42; 32]) else {
        return;
    };
    if let Ok(plain) = crypto::decrypt(&key, KeyUsage::FAST_REP, data) {
        response(&plain);
    }
    let Ok(sealed) = crypto::encrypt_with_confounder(&key, KeyUsage::FAST_REP, &[7; 16], data)
    else {
        return;
    };
    if let Ok(plain) = crypto::decrypt(&key, KeyUsage::FAST_REP, &sealed) {
        response(&plain);
    }
});
