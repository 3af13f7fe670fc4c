//! Initial Handshake v10 parser (mysql-auth). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::messages::Handshake;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Handshake::parse(data) {
        let _ = h.is_mariadb();
    }
});
