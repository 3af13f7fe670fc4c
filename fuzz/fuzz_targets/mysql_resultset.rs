//! Text result-set pieces and packet framing (mysql-auth). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::messages::{
    is_result_terminator, parse_column_name, parse_text_row, terminator_status,
};
use mysql_auth::packet::PacketDecoder;

fuzz_target!(|data: &[u8]| {
    if let Some((&n, rest)) = data.split_first() {
        let _ = parse_text_row(rest, usize::from(n));
    }
    let _ = parse_column_name(data);
    for d in [false, true] {
        if is_result_terminator(data, d) {
            let _ = terminator_status(data, d);
        }
    }
    let mut dec = PacketDecoder::new(1 << 16);
    dec.extend(data);
    while let Ok(Some(_)) = dec.next_packet() {}
});
