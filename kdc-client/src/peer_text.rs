//! Text from peers (a KDC's e-text, a database server's messages, names and realms from
//! replies), made safe to print: control characters, which a terminal may obey (ESC starts
//! ANSI sequences that can rewrite the screen or the window title), and the Unicode
//! bidirectional controls, which reorder what is shown, are printed escaped; the length is
//! bounded so a peer cannot flood an error message.

/// Bound for peer text inside an error message.
pub const ERROR_TEXT_MAX: usize = 300;

/// Whether `c` must not reach a terminal raw: C0 controls, DEL, C1 controls (U+0080..U+009F)
/// and the bidirectional formatting characters (Unicode TR9: U+061C, U+200E, U+200F,
/// U+202A..U+202E, U+2066..U+2069).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Append the escaped form of an unsafe character: `\t`, `\n`, `\r`, `\xHH` below U+0100,
/// else `\u{HHHH}`. Returns false (and appends nothing) for a safe character.
pub fn push_escaped_char(out: &mut String, c: char) -> bool {
    use std::fmt::Write as _;
    if !is_unsafe_char(c) {
        return false;
    }
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if u32::from(c) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        }
    }
    true
}

/// `s` with every unsafe character escaped ([`push_escaped_char`]), cut to at most
/// `max_len` bytes of output (at a character boundary) plus a note of how much was left out.
pub fn escape_peer_text(s: &str, max_len: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_len) + 32);
    for (i, c) in s.char_indices() {
        let before = out.len();
        if !push_escaped_char(&mut out, c) {
            out.push(c);
        }
        if out.len() > max_len {
            out.truncate(before);
            out.push_str(&format!("... [{} more bytes]", s.len() - i));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(escape_peer_text("plain ü text", 100), "plain ü text");
        assert_eq!(
            escape_peer_text("\x1b[2J\x07a\tb\nc\r\0\x7f\u{9b}", 100),
            "\\x1b[2J\\x07a\\tb\\nc\\r\\x00\\x7f\\x9b"
        );
        assert_eq!(
            escape_peer_text("abc\u{202E}fed\u{2066}", 100),
            "abc\\u{202e}fed\\u{2066}"
        );
    }

    #[test]
    fn length_is_bounded() {
        let long = "\x1b[31m".repeat(2048); // 10 KiB of escape sequences
        let e = escape_peer_text(&long, ERROR_TEXT_MAX);
        assert!(e.len() <= ERROR_TEXT_MAX + 40, "{}", e.len());
        assert!(!e.contains('\x1b'));
        assert!(e.ends_with("more bytes]"), "{e}");
        // Never cut inside a character or an escape.
        let e = escape_peer_text(&"é".repeat(100), 11);
        assert!(e.starts_with("ééééé..."), "{e}");
        assert_eq!(escape_peer_text("abc", 3), "abc");
        assert_eq!(escape_peer_text("", 0), "");
    }
}
