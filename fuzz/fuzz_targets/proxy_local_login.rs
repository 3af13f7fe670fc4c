//! The proxy's local side (mysql-auth `proxy::local`) fed arbitrary client bytes: the
//! HandshakeResponse41 parser behind `LocalLogin::parse`, and the command-phase filter.
//! Input: one byte choosing the offered capabilities and the filter's read size, then the
//! bytes. Must never panic; the filter passes only a prefix of its input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::messages::caps;
use mysql_auth::proxy::local::{CommandFilter, LocalLogin};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut offered = caps::PROTOCOL_41 | caps::SECURE_CONNECTION | caps::PLUGIN_AUTH;
    if mode & 1 != 0 {
        offered |= caps::CONNECT_WITH_DB | caps::CONNECT_ATTRS;
    }
    if mode & 2 != 0 {
        offered |= caps::PLUGIN_AUTH_LENENC_CLIENT_DATA | caps::DEPRECATE_EOF;
    }
    if let Ok(l) = LocalLogin::parse(rest, offered) {
        assert_eq!(l.capabilities & !offered, 0);
        assert!(!l.user.is_empty());
    }
    let step = usize::from(mode >> 2).max(1);
    let mut f = CommandFilter::default();
    let mut out = Vec::new();
    for chunk in rest.chunks(step) {
        if f.feed(chunk, &mut out).is_err() {
            break;
        }
    }
    assert!(rest.starts_with(&out));
});
