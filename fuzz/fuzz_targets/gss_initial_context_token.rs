//! Arbitrary bytes as a GSS initial context token (RFC 2743 §3.1 framing + AP-REQ) must never
//! panic: the parser, and the whole acceptor with a keytab holding a fixed service key.
#![no_main]

use gss_mech::{Acceptor, AcceptorOptions, Timestamp};
use kdc_client::keytab::{Keytab, KeytabEntry};
use kdc_client::Principal;

struct Zero;

impl kdc_client::crypto::RandomSource for Zero {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), kdc_client::crypto::CryptoError> {
        buf.fill(0x5a);
        Ok(())
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = gss_mech::token::unframe(data);
    let _ = gss_mech::decode_initial_token(data);
    let Ok(principal) = Principal::parse("host/fuzz.example@FUZZ", None) else {
        return;
    };
    let kt = Keytab {
        entries: vec![KeytabEntry {
            principal,
            timestamp: 0,
            kvno: 1,
            enctype: 18,
            key: vec![0x11; 32].into(),
        }],
    };
    let mut acc = Acceptor::new(kt, AcceptorOptions::default());
    let _ = acc.accept(data, Timestamp { secs: 1_700_000_000, usec: 0 }, &mut Zero);
});
