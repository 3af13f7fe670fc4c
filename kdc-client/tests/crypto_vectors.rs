//! Runs every crypto test-vector file in `vectors/data/` (sources in each file's header) and
//! prints one line per source. Exits non-zero, with the failing records, on any mismatch.
//! rc4-hmac rows run only with the `legacy-rc4` feature; otherwise they are counted as skipped.

use kdc_client::crypto::{self, ChecksumType, DerivedKey, EncryptionKey, Enctype, KeyUsage};
use kdc_client::unstable::crypto::{cts, nfold::nfold};
use vectors::Record;

type Check = fn(&Record) -> Result<(), String>;

const SOURCES: &[(&str, Check)] = &[
    ("rfc3961-nfold", nfold_case),
    ("mit-t_nfold", nfold_case),
    ("rfc3962-string-to-key", s2k_iterations_case),
    ("rfc3962-cts", cts_case),
    ("rfc8009-string-to-key", s2k_iterations_case),
    ("rfc8009-derive", rfc8009_derive_case),
    ("rfc8009-encrypt", encrypt_case),
    ("rfc8009-checksum", checksum_case),
    ("rfc8009-prf", prf_case),
    ("mit-t_decrypt", decrypt_case),
    ("mit-t_cksums", checksum_case),
    ("mit-t_derive", mit_derive_case),
    ("mit-t_str2key", s2k_params_case),
    ("mit-t_prf", prf_case),
    ("mit-t_cf2", cf2_case),
];

fn main() {
    let mut failed = 0;
    for (name, check) in SOURCES {
        let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
        for r in vectors::load(&format!("{name}.txt")) {
            if r.opt("enctype") == Some("23") && !cfg!(feature = "legacy-rc4") {
                skipped += 1;
                continue;
            }
            match check(&r) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("  {}:{}: {e}", r.file, r.line)),
            }
        }
        let skip_note = match skipped {
            0 => String::new(),
            n => format!(", {n} rc4-hmac vectors skipped (legacy-rc4 feature off)"),
        };
        if failures.is_empty() {
            println!("{name}: {passed} vectors passed{skip_note}");
        } else {
            println!(
                "{name}: {} of {} vectors FAILED{skip_note}",
                failures.len(),
                passed + failures.len()
            );
            println!("{}", failures.join("\n"));
            failed += failures.len();
        }
    }
    if failed > 0 {
        println!("{failed} vectors failed");
        std::process::exit(1);
    }
}

fn eq(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, want {}",
            hex::encode(got),
            hex::encode(want)
        ))
    }
}

fn enctype(r: &Record) -> Result<Enctype, String> {
    let n = r.int("enctype");
    i32::try_from(n)
        .ok()
        .and_then(Enctype::from_i32)
        .ok_or(format!("unknown enctype {n}"))
}

fn key(r: &Record, field: &str) -> Result<EncryptionKey, String> {
    EncryptionKey::new(enctype(r)?, &r.hex(field)).map_err(|e| e.to_string())
}

fn usage(r: &Record) -> KeyUsage {
    KeyUsage(r.int("usage") as u32)
}

fn nfold_case(r: &Record) -> Result<(), String> {
    let out = nfold(r.get("input").as_bytes(), r.int("bits") as usize / 8);
    eq("n-fold", &out, &r.hex("output"))
}

fn s2k(r: &Record, params: &[u8]) -> Result<(), String> {
    let k = crypto::string_to_key(
        enctype(r)?,
        &r.hex("password"),
        &r.hex("salt"),
        Some(params),
    )
    .map_err(|e| e.to_string())?;
    eq("key", k.as_bytes(), &r.hex("key"))
}

fn s2k_iterations_case(r: &Record) -> Result<(), String> {
    s2k(r, &(r.int("iterations") as u32).to_be_bytes())
}

fn s2k_params_case(r: &Record) -> Result<(), String> {
    s2k(r, &r.hex("params"))
}

fn cts_case(r: &Record) -> Result<(), String> {
    let iv: [u8; 16] = r.hex("iv").try_into().map_err(|_| "iv is not 16 octets")?;
    let input = r.hex("input");
    let mut buf = input.clone();
    cts::encrypt(&r.hex("key"), &iv, &mut buf).map_err(|e| e.to_string())?;
    eq("output", &buf, &r.hex("output"))?;
    // The next IV (RFC 3962 §5 cipher state) is the last full ciphertext block before the swap,
    // which sits just before the final (possibly partial) block of the output.
    let last = buf.len().div_ceil(16) * 16 - 16;
    eq("next IV", &buf[last - 16..last], &r.hex("next_iv"))?;
    cts::decrypt(&r.hex("key"), &iv, &mut buf).map_err(|e| e.to_string())?;
    eq("decrypted", &buf, &input)
}

fn derived(r: &Record, u: KeyUsage, purpose: DerivedKey) -> Result<Vec<u8>, String> {
    let k = crypto::derive_key(&key(r, "key")?, u, purpose).map_err(|e| e.to_string())?;
    Ok(k.to_vec())
}

fn rfc8009_derive_case(r: &Record) -> Result<(), String> {
    let u = usage(r);
    eq("Kc", &derived(r, u, DerivedKey::Checksum)?, &r.hex("kc"))?;
    eq("Ke", &derived(r, u, DerivedKey::Encryption)?, &r.hex("ke"))?;
    eq("Ki", &derived(r, u, DerivedKey::Integrity)?, &r.hex("ki"))
}

fn mit_derive_case(r: &Record) -> Result<(), String> {
    let c = r.hex("constant");
    let (Some(u), Some(&last)) = (c.get(..4), c.get(4)) else {
        return Err("constant is not 5 octets".into());
    };
    let u = KeyUsage(u32::from_be_bytes(u.try_into().map_err(|_| "bad usage")?));
    let purpose = match last {
        0x99 => DerivedKey::Checksum,
        0xAA => DerivedKey::Encryption,
        0x55 => DerivedKey::Integrity,
        other => return Err(format!("unexpected constant octet {other:#x}")),
    };
    eq("derived key", &derived(r, u, purpose)?, &r.hex("derived"))
}

fn encrypt_case(r: &Record) -> Result<(), String> {
    let k = key(r, "key")?;
    let c =
        crypto::encrypt_with_confounder(&k, usage(r), &r.hex("confounder"), &r.hex("plaintext"))
            .map_err(|e| e.to_string())?;
    eq("ciphertext", &c, &r.hex("ciphertext"))?;
    decrypt_case(r)
}

fn decrypt_case(r: &Record) -> Result<(), String> {
    let k = key(r, "key")?;
    let mut c = r.hex("ciphertext");
    let p = crypto::decrypt(&k, usage(r), &c).map_err(|e| e.to_string())?;
    eq("plaintext", &p, &r.hex("plaintext"))?;
    // Any flipped bit must fail the integrity check, never panic.
    let mid = c.len() / 2;
    c[mid] ^= 0x01;
    match crypto::decrypt(&k, usage(r), &c) {
        Err(crypto::CryptoError::Integrity) => Ok(()),
        other => Err(format!("corrupted ciphertext gave {other:?}")),
    }
}

fn checksum_case(r: &Record) -> Result<(), String> {
    let k = key(r, "key")?;
    let want = r.hex("checksum");
    let got = crypto::checksum(&k, usage(r), &r.hex("plaintext")).map_err(|e| e.to_string())?;
    eq("checksum", &got, &want)?;
    let ty = ChecksumType::for_enctype(k.enctype());
    if let Some(n) = r.opt("cksumtype")
        && n.parse() != Ok(ty.to_i32())
    {
        return Err(format!("cksumtype {n} is not {ty:?}"));
    }
    crypto::verify_checksum(&k, usage(r), ty, &r.hex("plaintext"), &want).map_err(|e| e.to_string())
}

fn prf_case(r: &Record) -> Result<(), String> {
    let out = crypto::prf(&key(r, "key")?, &r.hex("input")).map_err(|e| e.to_string())?;
    eq("PRF", &out, &r.hex("output"))
}

fn cf2_case(r: &Record) -> Result<(), String> {
    let e = enctype(r)?;
    let s2k = |pw: &str| {
        crypto::string_to_key(e, pw.as_bytes(), pw.as_bytes(), None).map_err(|e| e.to_string())
    };
    let (k1, k2) = (s2k(r.get("password1"))?, s2k(r.get("password2"))?);
    let out = crypto::cf2(
        &k1,
        &k2,
        r.get("pepper1").as_bytes(),
        r.get("pepper2").as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    eq("KRB-FX-CF2", out.as_bytes(), &r.hex("output"))
}
