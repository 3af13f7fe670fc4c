//! Arbitrary bytes as a KCM daemon's reply (header, status and each payload decoder: cache
//! name, UUID list, MIT's credential list, one credential, a principal, the KDC offset):
//! errors, never a panic. An accepted credential list re-encodes (REPLACE's tail) to a list
//! that decodes the same.
#![no_main]

use kdc_client::ccache::Ccache;
use kdc_client::unstable::kcm::{
    decode_credential, decode_cred_list, decode_name, decode_offset, decode_principal,
    decode_reply_body, decode_reply_header, decode_uuid_list, encode_replace_args,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(header) = data.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) {
        let _ = decode_reply_header(header);
    }
    let payload = decode_reply_body(data).unwrap_or(data);
    let _ = decode_name(payload);
    let _ = decode_uuid_list(payload);
    let _ = decode_offset(payload);
    let _ = decode_credential(payload);
    if let Ok(Some(p)) = decode_principal(payload) {
        let _ = p.to_string();
    }
    if let Ok(creds) = decode_cred_list(payload)
        && let Some(first) = creds.first()
    {
        let mut cache = Ccache::new(first.client.clone());
        cache.credentials = creds.clone();
        if let Ok(args) = encode_replace_args(&cache) {
            let principal = kdc_client::ccache::encode_principal_v4(&cache.default_principal)
                .unwrap_or_default();
            let tail = args.get(4 + principal.len()..).unwrap_or_default();
            assert_eq!(decode_cred_list(tail).ok(), Some(creds));
        }
    }
});
