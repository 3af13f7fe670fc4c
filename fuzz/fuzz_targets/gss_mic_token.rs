//! Arbitrary bytes as a MIC token (RFC 4121 §4.2.6.1) must never panic: the header parser and
//! VerifyMIC on a context over a fixed key (both roles). The first byte splits message/token.
#![no_main]

use gss_mech::token::{PerMsgHeader, TOK_MIC};
use gss_mech::{ContextFlags, SecurityContext};
use kdc_client::crypto::{EncryptionKey, Enctype};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = PerMsgHeader::parse(data, TOK_MIC);
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (msg, tok) = rest.split_at(usize::from(split).min(rest.len()));
    for (acceptor, e) in [(false, Enctype::Aes256CtsHmacSha196), (true, Enctype::Aes128CtsHmacSha256128)] {
        let Ok(key) = EncryptionKey::new(e, &vec![0x22; e.key_len()]) else {
            return;
        };
        let mut ctx = SecurityContext::for_key(acceptor, key, ContextFlags::ALL);
        let _ = ctx.verify_mic(msg, tok);
    }
});
