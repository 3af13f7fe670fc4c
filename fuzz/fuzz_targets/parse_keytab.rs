//! Arbitrary bytes as a keytab: must return an error, never panic.
//! Accepted inputs must re-encode and parse back to the same entries.
#![no_main]

use kdc_client::keytab::Keytab;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(keytab) = Keytab::parse(data)
        && let Ok(bytes) = keytab.to_bytes()
    {
        assert_eq!(Keytab::parse(&bytes).ok(), Some(keytab));
    }
});
