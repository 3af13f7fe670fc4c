//! Decoding arbitrary bytes as a kpasswd reply frame (RFC 3244 §2: AP-REP and KRB-PRIV, or a
//! KRB-ERROR), as a KRB-PRIV and EncKrbPrivPart, and as result data must never panic.
#![no_main]

use kdc_client::unstable::asn1::{EncKrbPrivPart, KrbPriv};
use kdc_client::unstable::kpasswd::{KpasswdReply, decode_result};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = KpasswdReply::decode(data) {
        let _ = format!("{v:?}");
    }
    if let Ok(v) = KrbPriv::decode(data) {
        let _ = v.to_der();
    }
    if let Ok(v) = EncKrbPrivPart::decode(data) {
        let _ = v.to_der();
    }
    if let Ok(r) = decode_result(data) {
        let _ = r.to_string();
    }
});
