//! ASN.1 decode cost of a KDC reply: `cargo bench -p kdc-client --bench asn1`.
//! The inputs are MIT's reference encodings (vectors/data/mit-reference-encode.txt).

use kdc_client::unstable::asn1::{AsRep, KrbError, TgsRep};

fn main() {
    divan::main();
}

fn vector(name: &str) -> Vec<u8> {
    vectors::load("mit-reference-encode.txt")
        .into_iter()
        .find(|r| r.get("name") == name)
        .map(|r| r.hex("der"))
        .unwrap_or_else(|| panic!("no vector {name}"))
}

#[divan::bench]
fn as_rep_decode(b: divan::Bencher) {
    let der = vector("encode_krb5_as_rep");
    b.bench_local(|| AsRep::decode(divan::black_box(&der)).unwrap());
}

#[divan::bench]
fn tgs_rep_decode(b: divan::Bencher) {
    let der = vector("encode_krb5_tgs_rep");
    b.bench_local(|| TgsRep::decode(divan::black_box(&der)).unwrap());
}

#[divan::bench]
fn krb_error_decode(b: divan::Bencher) {
    let der = vector("encode_krb5_error");
    b.bench_local(|| KrbError::decode(divan::black_box(&der)).unwrap());
}
