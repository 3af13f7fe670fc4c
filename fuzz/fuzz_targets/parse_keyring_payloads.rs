//! Arbitrary bytes as the payloads of MIT's KEYRING cache keys (a credential, the default
//! principal, the collection's primary index, the time offsets): errors, never a panic.
//! Accepted credentials and principals must re-encode to the same bytes.
#![no_main]

use kdc_client::ccache::keyring::{decode_primary_index, decode_time_offsets, encode_primary_index};
use kdc_client::ccache::{CacheEntry, decode_principal_v4, encode_principal_v4};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cred) = CacheEntry::decode_v4(data)
        && let Ok(bytes) = cred.encode_v4()
    {
        assert_eq!(CacheEntry::decode_v4(&bytes).ok(), Some(cred));
    }
    if let Ok(p) = decode_principal_v4(data)
        && let Ok(bytes) = encode_principal_v4(&p)
    {
        assert_eq!(decode_principal_v4(&bytes).ok(), Some(p));
    }
    if let Ok((1, name)) = decode_primary_index(data) {
        let bytes = encode_primary_index(&name).unwrap_or_default();
        assert_eq!(decode_primary_index(&bytes).ok(), Some((1, name)));
    }
    let _ = decode_time_offsets(data);
});
