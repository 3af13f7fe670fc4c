//! Decoding arbitrary bytes as an MS-KKDCP reply (HTTP response, KDC-PROXY-MESSAGE and its
//! length-prefixed Kerberos message) must never panic.
#![no_main]

use kdc_client::unstable::kkdcp::{KdcProxyMessage, decode_reply, parse_http_response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(v) = KdcProxyMessage::decode(data) {
        let _ = v.to_der();
    }
    let _ = decode_reply(data);
    for eof in [false, true] {
        if let Ok(Some(body)) = parse_http_response(data, eof, 1 << 16) {
            let _ = decode_reply(&body);
        }
    }
});
