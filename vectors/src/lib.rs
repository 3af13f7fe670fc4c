//! Test vectors as data files under `vectors/data/`, with a tiny loader.
//!
//! File format: lines starting with `#` are the header (the source of the data) or comments.
//! Records are blocks of `name: value` lines separated by blank lines. A line that starts
//! with white space continues the previous value (long hex strings). This crate is test
//! tooling: it panics with a clear message on a malformed data file.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// One record: named fields in file order, and the line it starts on.
#[derive(Debug, Clone)]
pub struct Record {
    pub file: String,
    pub line: usize,
    fields: Vec<(String, String)>,
}

impl Record {
    /// The field's text, if present.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The field's text; panics (naming file and line) if missing.
    pub fn get(&self, name: &str) -> &str {
        self.opt(name)
            .unwrap_or_else(|| panic!("{}:{}: no field '{name}'", self.file, self.line))
    }

    /// The field as hex bytes (white space ignored).
    pub fn hex(&self, name: &str) -> Vec<u8> {
        decode_hex(self.get(name))
            .unwrap_or_else(|e| panic!("{}:{}: field '{name}': {e}", self.file, self.line))
    }

    /// The field as a decimal integer.
    pub fn int(&self, name: &str) -> i64 {
        self.get(name)
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{}:{}: field '{name}': {e}", self.file, self.line))
    }

    /// All fields in file order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// Path of a data file.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// Names of all data files.
pub fn files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(path(""))
        .expect("vectors/data exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Load the records of a data file.
pub fn load(name: &str) -> Vec<Record> {
    let text =
        std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("vectors/data/{name}: {e}"));
    parse(name, &text)
}

/// Parse records from text (see the module doc for the format).
pub fn parse(file: &str, text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut cur: Option<Record> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            out.extend(cur.take());
            continue;
        }
        if raw.starts_with(char::is_whitespace) {
            let rec = cur
                .as_mut()
                .unwrap_or_else(|| panic!("{file}:{}: continuation outside a record", i + 1));
            let last = rec
                .fields
                .last_mut()
                .unwrap_or_else(|| panic!("{file}:{}: continuation before a field", i + 1));
            last.1.push_str(line.trim());
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{file}:{}: expected 'name: value'", i + 1));
        let rec = cur.get_or_insert_with(|| Record {
            file: file.to_string(),
            line: i + 1,
            fields: Vec::new(),
        });
        rec.fields
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    out.extend(cur);
    out
}

/// Decode hex, ignoring white space.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16).ok_or("bad hex digit")?;
            let lo = (p[1] as char).to_digit(16).ok_or("bad hex digit")?;
            Ok((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_and_continuations() {
        let t = "# source: test\n\nname: a\nkey: 00 11\n  2233\n\nname: b\n";
        let r = parse("t", t);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].get("name"), "a");
        assert_eq!(r[0].hex("key"), vec![0, 0x11, 0x22, 0x33]);
        assert_eq!(r[1].line, 7);
        assert_eq!(r[1].opt("key"), None);
    }
}
