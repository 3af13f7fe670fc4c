use super::codec::{write_credential, write_principal};
use super::*;

fn p(s: &str) -> Principal {
    Principal::parse(s, None).unwrap()
}

/// MIT klist's flag letters (`klist -f`) for the bits this test data uses.
fn flag_letters(flags: u32) -> String {
    [
        (0x4000_0000, 'F'),
        (0x2000_0000, 'f'),
        (0x1000_0000, 'P'),
        (0x0080_0000, 'R'),
        (0x0040_0000, 'I'),
        (0x0020_0000, 'A'),
        (0x0008_0000, 'T'),
        (0x0004_0000, 'O'),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// A DER element with a short-form length (test data only).
fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let body = parts.concat();
    let mut out = vec![tag, u8::try_from(body.len()).unwrap()];
    out.extend_from_slice(&body);
    out
}

/// A well-formed Ticket (RFC 4120 §5.3) for `krbtgt/R@R` with an aes256 (18) enc-part.
fn ticket() -> Vec<u8> {
    let sname = tlv(
        0x30,
        &[
            &tlv(0xa0, &[&[2, 1, 2]]),
            &tlv(
                0xa1,
                &[&tlv(0x30, &[&tlv(0x1b, &[b"krbtgt"]), &tlv(0x1b, &[b"R"])])],
            ),
        ],
    );
    let enc_part = tlv(
        0x30,
        &[
            &tlv(0xa0, &[&[2, 1, 18]]),
            &tlv(0xa2, &[&tlv(0x04, &[&[0xde, 0xad, 0xbe, 0xef]])]),
        ],
    );
    let fields = [
        tlv(0xa0, &[&[2, 1, 5]]),
        tlv(0xa1, &[&tlv(0x1b, &[b"R"])]),
        tlv(0xa2, &[&sname]),
        tlv(0xa3, &[&enc_part]),
    ];
    let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    tlv(0x61, &[&tlv(0x30, &refs)])
}

fn cred(client: &str, server: &str, endtime: u32) -> CacheEntry {
    CacheEntry {
        client: p(client),
        server: Principal::parse_as(server, NameType::SrvInst, None).unwrap(),
        key: Keyblock {
            enctype: 18,
            bytes: Zeroizing::new(vec![0x11; 32]),
        },
        authtime: 1_700_000_000,
        starttime: 1_700_000_000,
        endtime,
        renew_till: endtime + 86400,
        is_skey: false,
        ticket_flags: 0x40e1_0000, // forwardable renewable initial pre-authent
        addresses: vec![Typed {
            kind: 2,
            data: vec![127, 0, 0, 1],
        }],
        authdata: vec![Typed {
            kind: 1,
            data: b"ad".to_vec(),
        }],
        ticket: ticket(),
        second_ticket: Vec::new(),
    }
}

fn sample() -> Ccache {
    let mut c = Ccache::new(p("user@R"));
    c.kdc_offset = Some(KdcOffset {
        seconds: -5,
        microseconds: 250,
    });
    c.store(cred("user@R", "krbtgt/R@R", 1_700_036_000));
    c.set_config("fast_avail", Some(&p("krbtgt/R@R")), b"yes");
    c.store(cred("user@R", "HTTP/h.r@R", 1_700_036_000));
    c
}

#[test]
fn reads_mit_kinit_cache() {
    let records = vectors::load("ccache-mit.txt");
    let bytes = records[0].hex("bytes");
    let cc = Ccache::parse(&bytes).unwrap();
    assert_eq!(cc.default_principal.to_string(), "user@EXAMPLE.COM");
    assert_eq!(cc.credentials.len(), records.len() - 1);
    for (c, r) in cc.credentials.iter().zip(&records[1..]) {
        assert_eq!(c.server.to_string(), r.get("server"));
        match r.opt("value") {
            Some(v) => {
                assert!(c.is_config());
                assert_eq!(c.ticket, v.as_bytes());
            }
            None => {
                assert!(!c.is_config());
                assert_eq!(flag_letters(c.ticket_flags), r.get("flags"));
                assert_eq!(i64::from(c.key.enctype), r.int("enctype"));
                assert!(c.key.encryption_key().is_some());
                assert!(c.endtime > c.starttime && c.ticket.first() == Some(&0x61));
            }
        }
    }
    let tgt = p("krbtgt/EXAMPLE.COM@EXAMPLE.COM");
    assert_eq!(cc.get_config("fast_avail", Some(&tgt)), Some(&b"yes"[..]));
    // Our configuration entries are exactly MIT's, name types and zero fields included.
    let client = cc.default_principal.clone();
    let ours = CacheEntry::config(client, "fast_avail", Some(&tgt), b"yes");
    assert_eq!(cc.credentials[0], ours);
    assert_eq!(
        cc.retrieve(&tgt).unwrap().server.name.name_type,
        NameType::SrvInst
    );
    // Byte-exact re-encoding of what MIT wrote.
    assert_eq!(&cc.to_bytes().unwrap()[..], &bytes[..]);
}

#[test]
fn round_trips_and_replaces() {
    let mut c = sample();
    let bytes = c.to_bytes().unwrap();
    assert_eq!(Ccache::parse(&bytes).unwrap(), c);
    assert_eq!(c.credentials.len(), 3);
    c.store(cred("user@R", "HTTP/h.r@R", 42));
    assert_eq!(c.credentials.len(), 3);
    assert_eq!(c.retrieve(&p("HTTP/h.r@R")).unwrap().endtime, 42);
    c.set_config("fast_avail", Some(&p("krbtgt/R@R")), b"no");
    assert_eq!(c.credentials.len(), 3);
    assert_eq!(
        c.get_config("fast_avail", Some(&p("krbtgt/R@R"))),
        Some(&b"no"[..])
    );
    assert_eq!(c.get_config("pa_type", None), None);
    assert_eq!(
        c.retrieve(&p("krb5_ccache_conf_data/fast_avail@X-CACHECONF:")),
        None
    );
    assert_eq!(c.remove(&p("HTTP/h.r@R")), 1);
    assert_eq!(c.retrieve(&p("HTTP/h.r@R")), None);
}

#[test]
fn reads_version_3() {
    let c = sample();
    let v4 = c.to_bytes().unwrap();
    // Rebuild as version 3: no header, and every keyblock enctype written twice.
    let mut v3 = vec![5, 3];
    write_principal(&mut v3, &c.default_principal).unwrap();
    for cr in &c.credentials {
        let mut one = Vec::new();
        write_credential(&mut one, cr).unwrap();
        let mut names = Vec::new();
        write_principal(&mut names, &cr.client).unwrap();
        write_principal(&mut names, &cr.server).unwrap();
        let (head, keyblock) = one.split_at(names.len());
        v3.extend_from_slice(head);
        v3.extend_from_slice(&keyblock[..2]);
        v3.extend_from_slice(keyblock);
    }
    let parsed = Ccache::parse(&v3).unwrap();
    assert_eq!(parsed.credentials, c.credentials);
    assert_eq!(parsed.kdc_offset, None);
    assert_ne!(v3, &v4[..]);
}

#[test]
fn every_truncation_is_an_error() {
    let c = sample();
    let bytes = c.to_bytes().unwrap();
    // Cutting exactly between credentials gives a valid cache with fewer credentials.
    let boundaries: Vec<usize> = (0..c.credentials.len())
        .map(|k| {
            let mut prefix = c.clone();
            prefix.credentials.truncate(k);
            prefix.to_bytes().unwrap().len()
        })
        .collect();
    for n in 0..bytes.len() {
        let parsed = Ccache::parse(&bytes[..n]);
        assert!(parsed.is_err() || boundaries.contains(&n), "length {n}");
    }
    assert!(matches!(
        Ccache::parse(&[5, 2]),
        Err(CcacheError::UnsupportedVersion(2))
    ));
    assert!(matches!(
        Ccache::parse(&[6, 4]),
        Err(CcacheError::BadMagic(6))
    ));
    // A huge component count must fail cleanly, not allocate.
    let mut huge = vec![5, 4, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff];
    huge.extend_from_slice(&[0, 0, 0, 1, b'R']);
    assert!(Ccache::parse(&huge).is_err());
}

#[test]
fn keyblock_from_key() {
    let key = EncryptionKey::new(Enctype::Aes128CtsHmacSha196, &[7; 16]).unwrap();
    let kb = Keyblock::from(&key);
    assert_eq!(kb.enctype, 17);
    assert_eq!(kb.encryption_key(), Some(key));
    let unknown = Keyblock {
        enctype: 1,
        bytes: Zeroizing::new(vec![0; 8]),
    };
    assert_eq!(unknown.encryption_key(), None);
}

#[test]
fn debug_redacts_keys() {
    let d = format!("{:?}", cred("u@R", "krbtgt/R@R", 1));
    assert!(d.contains("redacted") && !d.contains("17, 17"));
}

#[test]
fn single_credential_and_principal_encodings_round_trip() {
    let c = sample();
    for cred in &c.credentials {
        let b = cred.encode_v4().unwrap();
        assert_eq!(&CacheEntry::decode_v4(&b).unwrap(), cred);
        for cut in 0..b.len() {
            assert!(CacheEntry::decode_v4(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = b.to_vec();
        long.push(0);
        assert!(CacheEntry::decode_v4(&long).is_err());
    }
    let b = encode_principal_v4(&c.default_principal).unwrap();
    assert_eq!(decode_principal_v4(&b).unwrap(), c.default_principal);
    // The FILE encoding is header, principal, credentials: the same pieces.
    let file = c.to_bytes().unwrap();
    let start = 4 + usize::from(u16::from_be_bytes([file[2], file[3]]));
    assert_eq!(&file[start..start + b.len()], b.as_slice());
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ccache-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn file_operations_are_atomic_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("files");
    let path = dir.join("cc");
    let mut c = Ccache::init_file(&path, p("user@R")).unwrap();
    assert_eq!(Ccache::read_file(&path).unwrap(), c);
    c.store(cred("user@R", "krbtgt/R@R", 5));
    c.write_file(&path).unwrap();
    assert_eq!(Ccache::read_file(&path).unwrap(), c);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Only the cache remains: no temporary files are left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    Ccache::destroy_file(&path).unwrap();
    assert!(!path.exists());
    assert!(matches!(
        Ccache::read_file(&path),
        Err(CcacheError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Cross-check: MIT `klist` reads a cache we wrote and shows our credentials and flags.
/// Skipped with a notice if `klist` is not installed.
#[test]
fn mit_klist_reads_our_cache() {
    let dir = temp_dir("klist");
    let path = dir.join("cc");
    let mut c = Ccache::new(p("user@R"));
    c.kdc_offset = Some(KdcOffset {
        seconds: 3,
        microseconds: 0,
    });
    let now = 1_700_000_000; // expired long ago: klist still lists it
    c.store(cred("user@R", "krbtgt/R@R", now + 3600));
    c.set_config("fast_avail", Some(&p("krbtgt/R@R")), b"yes");
    c.write_file(&path).unwrap();
    let out = std::process::Command::new("klist")
        .args(["-e", "-f", "-C"])
        .env("KRB5CCNAME", format!("FILE:{}", path.display()))
        .env("KRB5_CONFIG", "/dev/null")
        .output();
    std::fs::remove_dir_all(&dir).unwrap();
    let Ok(out) = out else {
        eprintln!("notice: MIT klist not found, skipping ccache cross-check");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Default principal: user@R"), "{text}");
    assert!(text.contains("krbtgt/R@R"), "{text}");
    assert!(text.contains("Flags: FRIA"), "{text}");
    let etypes = "Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96";
    assert!(text.contains(etypes), "{text}");
    assert!(
        text.contains("config: fast_avail(krbtgt/R@R) = yes"),
        "{text}"
    );
}

proptest::proptest! {
    /// Random bytes, and the MIT fixture with one byte changed, give errors, never panics.
    #[test]
    fn garbage_never_panics(
        data in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        pos in 0usize..4096,
        byte in proptest::num::u8::ANY,
    ) {
        let _ = Ccache::parse(&data);
        let mut mit = vectors::load("ccache-mit.txt")[0].hex("bytes");
        let at = pos % mit.len();
        mit[at] = byte;
        if let Ok(c) = Ccache::parse(&mit) {
            let again = c.to_bytes().map(|b| Ccache::parse(&b).ok());
            proptest::prop_assert!(matches!(again, Ok(Some(ref d)) if *d == c) || again.is_err());
        }
    }
}

#[test]
fn secret_encodings_never_reallocate() {
    // A buffer that grew would have a capacity above the reserved bound (and would have
    // left the session key behind in the old allocation).
    for c in sample().credentials {
        let enc = c.encode_v4().unwrap();
        assert_eq!(enc.len(), c.encoded_len_bound());
        assert_eq!(enc.capacity(), c.encoded_len_bound(), "{}", c.server);
    }
}

#[test]
fn concurrent_updates_of_a_file_cache_lose_nothing() {
    // Twenty writers, each adding its own ticket to one cache through read-modify-write.
    let dir = std::env::temp_dir().join(format!("kdc-cc-conc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cc");
    let base = Ccache::new(p("user@R"));
    base.write_file(&path).unwrap();
    std::thread::scope(|s| {
        for i in 0..20 {
            let (path, base) = (&path, &base);
            s.spawn(move || {
                let mut after = base.clone();
                after.store(cred("user@R", &format!("svc{i}/h.r@R"), 1_700_036_000));
                crate::ccache::CcacheHandle::file(path.clone())
                    .update(base, &after)
                    .unwrap();
            });
        }
    });
    let got = Ccache::read_file(&path).unwrap();
    assert_eq!(got.credentials.len(), 20);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kdestroy_refuses_a_symlink_and_leaves_its_target_alone() {
    let dir = std::env::temp_dir().join(format!("kdc-cc-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("precious");
    std::fs::write(&target, b"not a cache").unwrap();
    let link = dir.join("cc");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let e = Ccache::destroy_file(&link).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
    assert_eq!(std::fs::read(&target).unwrap(), b"not a cache");
    assert!(link.symlink_metadata().is_ok());
    // A regular cache is zeroed and removed.
    sample().write_file(&target).unwrap();
    Ccache::destroy_file(&target).unwrap();
    assert!(!target.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
