//! Arbitrary bytes as a nameserver's reply to SRV, TXT and URI queries for
//! `_kerberos._udp.EXAMPLE.COM` (the id is taken from the input, so replies can match): errors,
//! never a panic. The input as a name to query either encodes within DNS's bounds or is refused.
#![no_main]

use kdc_client::dns::{Answer, RecordType, encode_query, parse_response};
use libfuzzer_sys::fuzz_target;

const NAME: &str = "_kerberos._udp.EXAMPLE.COM";

fuzz_target!(|data: &[u8]| {
    let id = data.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    for rtype in [RecordType::Srv, RecordType::Txt, RecordType::Uri] {
        if let Ok(Answer::Records(records)) = parse_response(id, NAME, rtype, data) {
            assert!(records.len() <= kdc_client::dns::MAX_ANSWERS);
        }
    }
    let name = String::from_utf8_lossy(data);
    if let Ok(query) = encode_query(id, &name, RecordType::Srv) {
        // Header, at most 255 bytes of name, type and class.
        assert!(query.len() <= 12 + 255 + 4);
    }
});
