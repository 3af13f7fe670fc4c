//! Arbitrary bytes as the acceptor's reply (framed or raw AP-REP, KRB-ERROR token) must never
//! panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = gss_mech::decode_reply_token(data);
});
