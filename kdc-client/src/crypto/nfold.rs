//! n-fold (RFC 3961 §5.1): stretch or shrink a string to `n` bits.

/// n-fold `input` to `out_len` octets (RFC 3961 §5.1).
///
/// Concatenates lcm(`input.len()`, `out_len`) / `input.len()` copies of the input, copy `k`
/// rotated right by 13·k bits, and adds the `out_len`-octet chunks of that string with
/// one's-complement (end-around carry) addition. An empty input folds to zeros.
pub fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut acc = vec![0u8; out_len];
    if input.is_empty() || out_len == 0 {
        return acc;
    }
    let len = input.len();
    let in_bits = len * 8;
    let total = lcm(len, out_len);
    // Octet `pos` of the concatenated copies, copy `k` rotated right by 13·k bits. A rotation
    // of the whole input is cyclic at octet granularity, so each octet spans two input octets.
    let octet = |pos: usize| -> u16 {
        let rot = (13 * (pos / len)) % in_bits;
        let start = (8 * (pos % len) + in_bits - rot) % in_bits;
        let (i, shift) = (start / 8, start % 8);
        let pair = (u16::from(input[i]) << 8) | u16::from(input[(i + 1) % len]);
        (pair >> (8 - shift)) & 0xff
    };
    for chunk in 0..total / out_len {
        let mut carry = 0u16;
        for i in (0..out_len).rev() {
            let sum = u16::from(acc[i]) + octet(chunk * out_len + i) + carry;
            acc[i] = sum as u8; // low octet; the high bit goes to `carry`
            carry = sum >> 8;
        }
        // End-around carry: acc + chunk - 2^n + 1 cannot overflow again.
        for i in (0..out_len).rev() {
            if carry == 0 {
                break;
            }
            let sum = u16::from(acc[i]) + carry;
            acc[i] = sum as u8;
            carry = sum >> 8;
        }
    }
    acc
}

fn lcm(a: usize, b: usize) -> usize {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kerberos_folds_and_degenerate_inputs() {
        assert_eq!(nfold(b"kerberos", 8), b"kerberos");
        assert_eq!(
            nfold(b"012345", 8),
            hex::decode("be072631276b1955").unwrap()
        );
        assert_eq!(nfold(b"", 4), vec![0; 4]);
        assert!(nfold(b"abc", 0).is_empty());
    }
}
