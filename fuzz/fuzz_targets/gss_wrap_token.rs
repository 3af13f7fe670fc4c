//! Arbitrary bytes as a Wrap token (RFC 4121 §4.2.6.2) must never panic: the header parser and
//! Unwrap (RRC rotation, EC, sealed and integrity-only) on a context over a fixed key.
#![no_main]

use gss_mech::token::{PerMsgHeader, TOK_WRAP};
use gss_mech::{ContextFlags, SecurityContext};
use kdc_client::crypto::{EncryptionKey, Enctype};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = PerMsgHeader::parse(data, TOK_WRAP);
    for (acceptor, e) in [(false, Enctype::Aes256CtsHmacSha196), (true, Enctype::Aes256CtsHmacSha384192)] {
        let Ok(key) = EncryptionKey::new(e, &vec![0x33; e.key_len()]) else {
            return;
        };
        let mut ctx = SecurityContext::for_key(acceptor, key, ContextFlags::ALL);
        let _ = ctx.unwrap(data);
    }
});
