//! Arbitrary bytes as a FILE credential cache: must return an error, never panic.
//! Accepted inputs must re-encode and parse back to the same cache.
#![no_main]

use kdc_client::ccache::Ccache;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cache) = Ccache::parse(data)
        && let Ok(bytes) = cache.to_bytes()
    {
        assert_eq!(Ccache::parse(&bytes).ok(), Some(cache));
    }
});
