//! Decoding arbitrary bytes as MethodData must never panic; a successful decode must re-encode.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = kdc_client::unstable::asn1::MethodData::decode(data) {
        let _ = v.to_der();
    }
});
