//! Arbitrary bytes as a DIR collection's `primary` file: a cache name or nothing, never a
//! panic; an accepted name is a single `tkt*` file name.
#![no_main]

use kdc_client::ccache::dir::parse_primary;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(name) = parse_primary(data) {
        assert!(name.starts_with("tkt") && !name.contains('/'));
        assert_eq!(parse_primary(format!("{name}\n").as_bytes()), Some(name));
    }
});
