//! MIT keytab files, format version 2 (`0x0502`), as described in MIT krb5's
//! "Keytab file format" (`doc/formats/keytab_file_format.rst`).
//!
//! ```text
//! keytab  = u16 version (0x0502), record*
//! record  = i32 size, then `size` bytes of entry; a negative size is a hole of -size bytes
//! entry   = u16 count, data realm, data component * count, u32 name_type,
//!           u32 timestamp, u8 kvno, u16 enctype, data key, [u32 kvno]
//! data    = u16 length, bytes
//! ```
//! All integers are big-endian. Version 1 (`0x0501`, native byte order) is refused.
//! Parsing works on bytes in memory ([`Keytab::parse`]); [`Keytab::read_file`] is a thin wrapper.

use std::fmt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::{EncryptionKey, Enctype};
use crate::principal::{NameType, Principal, PrincipalName, Realm};
use crate::wire::{Reader, Truncated, put_u16_data};

/// The keytab type used when a name has none (`FILE:`).
pub const DEFAULT_KEYTAB_NAME: &str = "FILE:/etc/krb5.keytab";
/// MIT's default client keytab (`DEFCKTNAME`); `%{euid}` is expanded by
/// [`crate::config::expand_path`].
pub const DEFAULT_CLIENT_KEYTAB_NAME: &str = "FILE:/var/lib/krb5/user/%{euid}/client.keytab";

/// Errors from reading, writing or naming a keytab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeytabError {
    /// The keytab ends inside an entry.
    #[error("keytab is truncated")]
    Truncated,
    /// The first byte is not 0x05.
    #[error("not a keytab file (first byte {0:#04x}, expected 0x05)")]
    BadMagic(u8),
    /// A version other than 0x0501 and 0x0502.
    #[error("unsupported keytab version {0:#06x} (only 0x0502 is supported)")]
    UnsupportedVersion(u16),
    /// An entry that breaks the format.
    #[error("malformed keytab entry at offset {offset}: {reason}")]
    Malformed {
        /// The entry's offset in the file.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value too large for the format.
    #[error("keytab entry field too large to encode")]
    TooLarge,
    /// A keytab type this build does not support.
    #[error("unsupported keytab type '{0}' (only FILE and WRFILE are supported)")]
    UnsupportedType(String),
    /// A file I/O error.
    #[error("keytab {path}: {source}")]
    Io {
        /// The keytab file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl From<Truncated> for KeytabError {
    fn from(_: Truncated) -> Self {
        KeytabError::Truncated
    }
}

/// One keytab entry. The enctype is kept raw so entries of enctypes this engine does not
/// implement survive a read/write round trip; [`Keytab::find`] skips them.
#[derive(Clone, PartialEq, Eq)]
pub struct KeytabEntry {
    /// The principal.
    pub principal: Principal,
    /// Seconds since the Unix epoch when the entry was written.
    pub timestamp: u32,
    /// The key version: the 32-bit trailer when present and nonzero, else the 8-bit field.
    pub kvno: u32,
    /// The raw enctype number.
    pub enctype: i32,
    /// The key bytes.
    pub key: Zeroizing<Vec<u8>>,
}

impl KeytabEntry {
    /// The key as an [`EncryptionKey`], if the enctype is implemented and the length fits.
    pub fn encryption_key(&self) -> Option<EncryptionKey> {
        EncryptionKey::new(Enctype::from_i32(self.enctype)?, &self.key).ok()
    }
}

impl fmt::Debug for KeytabEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeytabEntry")
            .field("principal", &self.principal.to_string())
            .field("timestamp", &self.timestamp)
            .field("kvno", &self.kvno)
            .field("enctype", &self.enctype)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The entries of a keytab, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keytab {
    /// The entries, in file order.
    pub entries: Vec<KeytabEntry>,
}

impl Keytab {
    /// Parse a keytab from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeytabError> {
        let mut r = Reader::new(bytes);
        let magic = r.u8()?;
        if magic != 5 {
            return Err(KeytabError::BadMagic(magic));
        }
        let version = 0x0500 | u16::from(r.u8()?);
        if version != 0x0502 {
            return Err(KeytabError::UnsupportedVersion(version));
        }
        let mut entries = Vec::new();
        while !r.is_empty() {
            let offset = bytes.len() - r.remaining();
            let size = r.i32()?;
            if size == 0 {
                // MIT stops at a zero size: the rest of the file is unused.
                break;
            }
            let record = r.take(size.unsigned_abs() as usize)?;
            if size > 0 {
                entries.push(
                    parse_entry(record).map_err(|reason| KeytabError::Malformed {
                        offset,
                        reason: reason.into(),
                    })?,
                );
            }
        }
        Ok(Self { entries })
    }

    /// Encode as a version 2 keytab. Every entry gets the 32-bit kvno trailer, as MIT writes.
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, KeytabError> {
        let mut out = Zeroizing::new(vec![5, 2]);
        for e in &self.entries {
            let record = encode_entry(e).ok_or(KeytabError::TooLarge)?;
            let size = i32::try_from(record.len()).map_err(|_| KeytabError::TooLarge)?;
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&record);
        }
        Ok(out)
    }

    /// Read a keytab file.
    pub fn read_file(path: &Path) -> Result<Self, KeytabError> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| KeytabError::Io {
            path: path.into(),
            source,
        })?);
        Self::parse(&bytes)
    }

    /// Write a keytab file (mode 0600 when created).
    pub fn write_file(&self, path: &Path) -> Result<(), KeytabError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let bytes = self.to_bytes()?;
        let io = |source| KeytabError::Io {
            path: path.into(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// The newest key of each enctype that `principal` has here, in [`Enctype::ALL`] order:
    /// what an AS exchange with a keytab (`kinit -k`) offers.
    pub fn client_keys(&self, principal: &Principal) -> Vec<EncryptionKey> {
        Enctype::ALL
            .iter()
            .filter_map(|&e| self.find(principal, None, &[e]))
            .collect()
    }

    /// The key for `principal` (compared by components and realm, ignoring the name type, as
    /// MIT does), skipping entries whose enctype is not implemented. With `kvno`, only that
    /// version matches. `enctypes` is a preference list: for the first enctype that has a key,
    /// the entry with the highest kvno wins (MIT's `krb5_kt_get_entry` per enctype); an empty
    /// list accepts any implemented enctype. Among equal kvnos the first entry in the file wins.
    pub fn find(
        &self,
        principal: &Principal,
        kvno: Option<u32>,
        enctypes: &[Enctype],
    ) -> Option<EncryptionKey> {
        let usable: Vec<(u32, EncryptionKey)> = self
            .entries
            .iter()
            .filter(|e| e.principal.matches(principal))
            .filter(|e| kvno.is_none_or(|k| e.kvno == k))
            .filter_map(|e| Some((e.kvno, e.encryption_key()?)))
            .collect();
        let newest = |want: Option<Enctype>| {
            usable
                .iter()
                .rev() // `max_by_key` keeps the last maximum: reversed, that is the first
                .filter(|(_, k)| want.is_none_or(|w| k.enctype() == w))
                .max_by_key(|(v, _)| *v)
                .map(|(_, k)| k.clone())
        };
        if enctypes.is_empty() {
            return newest(None);
        }
        enctypes.iter().find_map(|&e| newest(Some(e)))
    }
}

fn parse_entry(record: &[u8]) -> Result<KeytabEntry, &'static str> {
    let mut r = Reader::new(record);
    let t = |_: Truncated| "entry shorter than its fields";
    let count = r.u16().map_err(t)?;
    let realm = utf8(data16(&mut r).map_err(t)?)?;
    let realm = Realm::new(realm).map_err(|_| "bad realm")?;
    let mut components = Vec::with_capacity(usize::from(count).min(16));
    for _ in 0..count {
        components.push(utf8(data16(&mut r).map_err(t)?)?.to_owned());
    }
    let name_type = NameType::from_i32(r.i32().map_err(t)?);
    let name = PrincipalName::new(name_type, components).map_err(|_| "no name components")?;
    let timestamp = r.u32().map_err(t)?;
    let kvno8 = r.u8().map_err(t)?;
    let enctype = i32::from(r.u16().map_err(t)?);
    let key = Zeroizing::new(data16(&mut r).map_err(t)?.to_vec());
    // The optional 32-bit kvno needs at least 4 remaining bytes; MIT ignores it when zero.
    let kvno = match r.u32() {
        Ok(k) if k != 0 => k,
        _ => u32::from(kvno8),
    };
    Ok(KeytabEntry {
        principal: Principal::new(name, realm),
        timestamp,
        kvno,
        enctype,
        key,
    })
}

/// The buffer holds the key: reserved at its exact size, so it never reallocates.
fn encode_entry(e: &KeytabEntry) -> Option<Zeroizing<Vec<u8>>> {
    let components = e.principal.name.components();
    let len = 2
        + 2
        + e.principal.realm.as_str().len()
        + components.iter().map(|c| 2 + c.len()).sum::<usize>()
        + 4
        + 4
        + 1
        + 2
        + 2
        + e.key.len()
        + 4;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.extend_from_slice(&u16::try_from(components.len()).ok()?.to_be_bytes());
    put_u16_data(&mut out, e.principal.realm.as_str().as_bytes())?;
    for c in components {
        put_u16_data(&mut out, c.as_bytes())?;
    }
    out.extend_from_slice(&e.principal.name.name_type.to_i32().to_be_bytes());
    out.extend_from_slice(&e.timestamp.to_be_bytes());
    // The low 8 bits, as MIT writes; the 32-bit trailer carries the full kvno.
    out.push(e.kvno.to_be_bytes()[3]);
    out.extend_from_slice(&u16::try_from(e.enctype).ok()?.to_be_bytes());
    put_u16_data(&mut out, &e.key)?;
    out.extend_from_slice(&e.kvno.to_be_bytes());
    Some(out)
}

fn data16<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Truncated> {
    let n = r.u16()?;
    r.take(usize::from(n))
}

fn utf8(b: &[u8]) -> Result<&str, &'static str> {
    std::str::from_utf8(b).map_err(|_| "name is not UTF-8")
}

/// The path of a keytab name: `FILE:path`, `WRFILE:path`, or a bare path (MIT treats a name
/// with no `TYPE:` prefix, or one starting with `/`, as a file).
pub fn resolve_name(name: &str) -> Result<PathBuf, KeytabError> {
    if name.starts_with('/') {
        return Ok(PathBuf::from(name));
    }
    match name.split_once(':') {
        None => Ok(PathBuf::from(name)),
        Some(("FILE" | "WRFILE", path)) => Ok(PathBuf::from(path)),
        Some((ty, _)) => Err(KeytabError::UnsupportedType(ty.to_owned())),
    }
}

/// The default (acceptor) keytab name: `KRB5_KTNAME`, else `[libdefaults] default_keytab_name`,
/// else [`DEFAULT_KEYTAB_NAME`]. Callers pass the environment and config values.
pub fn default_name<'a>(env_ktname: Option<&'a str>, config: Option<&'a str>) -> &'a str {
    env_ktname.or(config).unwrap_or(DEFAULT_KEYTAB_NAME)
}

/// The default client keytab name: `KRB5_CLIENT_KTNAME`, else
/// `[libdefaults] default_client_keytab_name`, else [`DEFAULT_CLIENT_KEYTAB_NAME`].
pub fn default_client_name<'a>(env_ktname: Option<&'a str>, config: Option<&'a str>) -> &'a str {
    env_ktname.or(config).unwrap_or(DEFAULT_CLIENT_KEYTAB_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: &str, kvno: u32, enctype: i32, key: &[u8]) -> KeytabEntry {
        KeytabEntry {
            principal: Principal::parse(p, None).unwrap(),
            timestamp: 1_700_000_000,
            kvno,
            enctype,
            key: Zeroizing::new(key.to_vec()),
        }
    }

    fn sample() -> Keytab {
        Keytab {
            entries: vec![
                entry("user@R", 1, 18, &[1; 32]),
                entry("user@R", 2, 17, &[2; 16]),
                entry("user@R", 2, 18, &[3; 32]),
                entry("user@R", 300, 1, &[4; 8]),
                entry("HTTP/h.r@R", 1, 18, &[5; 32]),
            ],
        }
    }

    #[test]
    fn entries_are_reserved_at_their_exact_size() {
        for e in &sample().entries {
            let out = encode_entry(e).unwrap();
            assert_eq!(out.len(), out.capacity(), "{}", e.principal);
        }
    }

    #[test]
    fn round_trips_and_looks_up() {
        let kt = sample();
        let bytes = kt.to_bytes().unwrap();
        assert_eq!(Keytab::parse(&bytes).unwrap(), kt);
        let user = Principal::parse("user@R", None).unwrap();
        let aes256 = Enctype::Aes256CtsHmacSha196;
        let aes128 = Enctype::Aes128CtsHmacSha196;
        // kvno 300 has only a DES key (enctype 1), which is kept but never returned.
        assert_eq!(kt.find(&user, Some(300), &[]), None);
        let k = kt.find(&user, None, &[]).unwrap();
        assert_eq!(
            k.as_bytes(),
            &[2u8; 16],
            "newest usable kvno, first in file"
        );
        let k = kt.find(&user, None, &[aes256]).unwrap();
        assert_eq!(k.as_bytes(), &[3u8; 32]);
        let k = kt.find(&user, Some(2), &[aes128, aes256]).unwrap();
        assert_eq!((k.enctype(), k.as_bytes()), (aes128, &[2u8; 16][..]));
        let k = kt.find(&user, Some(2), &[aes256]).unwrap();
        assert_eq!(k.as_bytes(), &[3u8; 32]);
        assert_eq!(kt.find(&user, Some(1), &[aes128]), None);
        let other = Principal::parse("nobody@R", None).unwrap();
        assert_eq!(kt.find(&other, None, &[]), None);
    }

    #[test]
    fn highest_kvno_wins() {
        let kt = Keytab {
            entries: vec![entry("u@R", 3, 18, &[3; 32]), entry("u@R", 5, 18, &[5; 32])],
        };
        let u = Principal::parse("u@R", None).unwrap();
        assert_eq!(kt.find(&u, None, &[]).unwrap().as_bytes(), &[5u8; 32]);
        // The preference list comes first: the newest aes128 key beats a newer aes256 one.
        let kt = Keytab {
            entries: vec![entry("u@R", 2, 17, &[2; 16]), entry("u@R", 5, 18, &[5; 32])],
        };
        let aes128 = Enctype::Aes128CtsHmacSha196;
        let k = kt.find(&u, None, &[aes128, Enctype::Aes256CtsHmacSha196]);
        assert_eq!(k.unwrap().as_bytes(), &[2u8; 16]);
    }

    #[test]
    fn holes_are_skipped_and_short_kvno_used() {
        let one = Keytab {
            entries: vec![entry("u@R", 7, 17, &[7; 16])],
        }
        .to_bytes()
        .unwrap();
        let record = &one[6..one.len() - 4]; // without the 32-bit kvno trailer
        let mut bytes = vec![5, 2];
        bytes.extend_from_slice(&(-3i32).to_be_bytes());
        bytes.extend_from_slice(&[0xaa; 3]);
        bytes.extend_from_slice(&(record.len() as i32).to_be_bytes());
        bytes.extend_from_slice(record);
        bytes.extend_from_slice(&0i32.to_be_bytes());
        bytes.extend_from_slice(&[0xff; 9]);
        let kt = Keytab::parse(&bytes).unwrap();
        assert_eq!(kt.entries.len(), 1);
        assert_eq!(kt.entries[0].kvno, 7);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let kt = sample();
        let bytes = kt.to_bytes().unwrap();
        // Cutting exactly between records gives a valid keytab with fewer entries.
        let boundaries: Vec<usize> = (0..kt.entries.len())
            .map(|k| {
                let entries = kt.entries[..k].to_vec();
                Keytab { entries }.to_bytes().unwrap().len()
            })
            .collect();
        for n in 0..bytes.len() {
            let parsed = Keytab::parse(&bytes[..n]);
            assert!(parsed.is_err() || boundaries.contains(&n), "length {n}");
        }
        assert!(matches!(
            Keytab::parse(&[5, 1]),
            Err(KeytabError::UnsupportedVersion(0x0501))
        ));
        assert!(matches!(
            Keytab::parse(&[4, 2]),
            Err(KeytabError::BadMagic(4))
        ));
    }

    /// The MIT fixture: every entry matches `klist -k -t -e -K`, and re-encoding is byte-exact.
    #[test]
    fn reads_mit_ktutil_keytab() {
        let records = vectors::load("keytab-mit.txt");
        let bytes = records[0].hex("bytes");
        let kt = Keytab::parse(&bytes).unwrap();
        assert_eq!(kt.entries.len(), records.len() - 1);
        for (e, r) in kt.entries.iter().zip(&records[1..]) {
            assert_eq!(e.principal.to_string(), r.get("principal"));
            assert_eq!(i64::from(e.kvno), r.int("kvno"));
            assert_eq!(i64::from(e.enctype), r.int("enctype"));
            assert_eq!(&e.key[..], &r.hex("key")[..]);
        }
        assert_eq!(&kt.to_bytes().unwrap()[..], &bytes[..]);
        let http = Principal::parse("HTTP/www.example.com@EXAMPLE.COM", None).unwrap();
        let k = kt.find(&http, None, &[]).unwrap();
        assert_eq!(k.enctype(), Enctype::Aes256CtsHmacSha384192);
    }

    /// Cross-check: MIT `klist -k` lists a keytab we wrote. Skipped if `klist` is missing.
    #[test]
    fn mit_klist_reads_our_keytab() {
        let dir = std::env::temp_dir().join(format!("kt-xcheck-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.keytab");
        sample().write_file(&path).unwrap();
        let out = match std::process::Command::new("klist")
            .args(["-k", "-e", "-K"])
            .arg(&path)
            .output()
        {
            Ok(o) => o,
            Err(_) => {
                eprintln!("notice: MIT klist not found, skipping keytab cross-check");
                return;
            }
        };
        let _ = std::fs::remove_dir_all(&dir);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains(" 300 user@R (DEPRECATED:des-cbc-crc)"),
            "{text}"
        );
        assert!(
            text.contains("   2 user@R (aes128-cts-hmac-sha1-96)  (0x0202"),
            "{text}"
        );
        assert!(
            text.contains("HTTP/h.r@R (aes256-cts-hmac-sha1-96)  (0x0505"),
            "{text}"
        );
    }

    #[test]
    fn debug_redacts_keys() {
        let d = format!("{:?}", entry("u@R", 1, 17, &[0x41; 16]));
        assert!(d.contains("redacted") && !d.contains("65"));
    }

    #[test]
    fn names() {
        assert_eq!(resolve_name("FILE:/a/b").unwrap(), PathBuf::from("/a/b"));
        assert_eq!(resolve_name("WRFILE:x").unwrap(), PathBuf::from("x"));
        assert_eq!(resolve_name("/k:t").unwrap(), PathBuf::from("/k:t"));
        assert!(matches!(
            resolve_name("MEMORY:x"),
            Err(KeytabError::UnsupportedType(t)) if t == "MEMORY"
        ));
        assert_eq!(default_name(None, None), DEFAULT_KEYTAB_NAME);
        assert_eq!(default_name(Some("FILE:/e"), Some("FILE:/c")), "FILE:/e");
        assert_eq!(default_client_name(None, Some("FILE:/c")), "FILE:/c");
    }

    proptest::proptest! {
        /// Random bytes, and the MIT fixture with one byte changed, give errors, never panics.
        #[test]
        fn garbage_never_panics(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
            pos in 0usize..4096,
            byte in proptest::num::u8::ANY,
        ) {
            let _ = Keytab::parse(&data);
            let mut mit = vectors::load("keytab-mit.txt")[0].hex("bytes");
            let at = pos % mit.len();
            mit[at] = byte;
            if let Ok(kt) = Keytab::parse(&mit) {
                let again = kt.to_bytes().map(|b| Keytab::parse(&b).ok());
                proptest::prop_assert!(matches!(again, Ok(Some(ref k)) if *k == kt) || again.is_err());
            }
        }
    }
}
