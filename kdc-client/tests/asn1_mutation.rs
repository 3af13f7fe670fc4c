//! Mutation smoke test: flips, truncates and inserts bytes in every reference encoding and
//! feeds the results to every decoder. Only checks that nothing panics (a panic fails the test).

mod common;

/// A small deterministic generator (xorshift64*), so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Systematic single-byte mutations at every position, plus random multi-byte ones.
fn mutations(der: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..der.len() {
        for x in [0x01, 0x80, 0xFF] {
            let mut m = der.to_vec();
            m[i] ^= x;
            out.push(m);
        }
        out.push(der[..i].to_vec());
        for b in [0x00, 0x80, 0xFF] {
            let mut m = der.to_vec();
            m.insert(i, b);
            out.push(m);
        }
    }
    for _ in 0..200 {
        let mut m = der.to_vec();
        for _ in 0..1 + rng.below(4) {
            match rng.below(3) {
                0 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m[i] = rng.next() as u8;
                }
                1 if !m.is_empty() => m.truncate(rng.below(m.len())),
                _ => m.insert(rng.below(m.len() + 1), rng.next() as u8),
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn mutated_reference_encodings_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut inputs, mut decoded) = (0usize, 0usize);
    for rec in vectors::load("mit-reference-encode.txt") {
        let der = rec.hex("der");
        for m in mutations(&der, &mut rng) {
            inputs += 1;
            for ty in common::TYPES {
                if let Some(Ok(_)) = common::round_trip(ty, &m) {
                    decoded += 1;
                }
            }
        }
    }
    println!("{inputs} mutated inputs, {decoded} decodes succeeded, no panic");
    assert!(inputs > 10_000);
}
