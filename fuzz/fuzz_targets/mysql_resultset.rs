//! Text result-set pieces, packet framing and the command-phase reader (mysql-auth), fed
//! arbitrary bytes. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::command::{QueryReader, ReadStep};
use mysql_auth::messages::{
    caps, is_result_terminator, parse_column_name, parse_text_row, terminator_status,
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
    // The reader over framed packets, with and without CLIENT_DEPRECATE_EOF and a small
    // memory bound so the budget check is reached.
    for capabilities in [0, caps::DEPRECATE_EOF] {
        let mut reader = QueryReader::new(capabilities, 4096);
        let mut dec = PacketDecoder::new(1 << 16);
        dec.extend(data);
        while let Ok(Some(p)) = dec.next_packet() {
            match reader.handle_packet(&p) {
                Ok(ReadStep::Read | ReadStep::Send(_)) => {}
                Ok(ReadStep::Done(_)) | Err(_) => break,
                // A step this target does not drive yet: the input ends here.
                Ok(_) => break,
            }
        }
    }
});
