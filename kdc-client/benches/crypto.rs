//! Crypto throughput and string-to-key cost per enctype: `cargo bench -p kdc-client --bench crypto`.

use divan::{Bencher, counter::BytesCount};
use kdc_client::crypto::{self, Enctype, KeyUsage, OsRandom};

fn main() {
    divan::main();
}

/// The enctypes this build implements (rc4-hmac with the `legacy-rc4` feature).
fn enctypes() -> Vec<Enctype> {
    Enctype::ALL
        .into_iter()
        .filter(|&e| crypto::random_to_key(e, &vec![0; e.key_len()]).is_ok())
        .collect()
}

/// Encrypt then decrypt a message of `N` octets; the byte count is the message length.
#[divan::bench(args = enctypes(), consts = [64, 1024, 65536])]
fn encrypt_decrypt<const N: usize>(bencher: Bencher, enctype: Enctype) {
    let key = crypto::generate_key(enctype, &mut OsRandom).unwrap();
    let plaintext = vec![0x42u8; N];
    bencher.counter(BytesCount::new(N)).bench_local(|| {
        let c = crypto::encrypt(
            &key,
            KeyUsage::AP_REQ_AUTHENTICATOR,
            &plaintext,
            &mut OsRandom,
        )
        .unwrap();
        crypto::decrypt(&key, KeyUsage::AP_REQ_AUTHENTICATOR, &c).unwrap()
    });
}

/// String-to-key at the enctype's default iteration count (4096 for 17/18, 32768 for 19/20).
#[divan::bench(args = enctypes(), sample_count = 20)]
fn string_to_key(enctype: Enctype) -> crypto::EncryptionKey {
    crypto::string_to_key(
        enctype,
        divan::black_box(b"correct horse battery staple"),
        b"EXAMPLE.COMuser",
        None,
    )
    .unwrap()
}
