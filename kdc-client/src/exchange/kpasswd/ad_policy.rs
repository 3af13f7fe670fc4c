//! Active Directory's password policy, which a Windows domain controller sends as the result
//! string of a rejected password change instead of text: 30 bytes, two zero bytes, then the
//! minimum length, the history length, the policy properties (32 bits each), the maximum and
//! the minimum password age (64 bits each, in 100 ns units), all big-endian. MIT's kpasswd and
//! kinit turn it into sentences (`krb5_chpw_message`); so does [`AdPasswordPolicy::describe`].

/// 100 ns units in a day.
const TICKS_PER_DAY: u64 = 86_400 * 10_000_000;

/// A password policy as Active Directory sends it with a rejected change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdPasswordPolicy {
    /// The fewest characters a password may have (0: no minimum).
    pub min_length: u32,
    /// How many previous passwords may not be reused (0: none).
    pub history: u32,
    /// The policy's property bits; [`AdPasswordPolicy::COMPLEX`] is the one shown.
    pub properties: u32,
    /// The maximum password age, in 100 ns units.
    pub max_age: u64,
    /// The minimum password age, in 100 ns units (0: a password may be changed at once).
    pub min_age: u64,
}

impl AdPasswordPolicy {
    /// Property bit: passwords must meet the complexity requirements.
    pub const COMPLEX: u32 = 0x0000_0001;
    /// The blob's length.
    const LEN: usize = 30;

    /// The policy, if `string` is one (exactly 30 bytes that start with two zero bytes).
    pub fn parse(string: &[u8]) -> Option<Self> {
        let b: &[u8; Self::LEN] = string.try_into().ok()?;
        if b[..2] != [0, 0] {
            return None;
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| (u64::from(u32_at(i)) << 32) | u64::from(u32_at(i + 4));
        Some(Self {
            min_length: u32_at(2),
            history: u32_at(6),
            properties: u32_at(10),
            max_age: u64_at(14),
            min_age: u64_at(22),
        })
    }

    /// The sentences MIT's `krb5_chpw_message` shows for the policy (complexity, length,
    /// history, minimum age, two spaces apart); `None` when the policy says nothing of them.
    pub fn describe(&self) -> Option<String> {
        let mut sentences: Vec<String> = Vec::new();
        if self.properties & Self::COMPLEX != 0 {
            sentences.push(
                "The password must include numbers or symbols.  \
                 Don't include any part of your name in the password."
                    .to_owned(),
            );
        }
        if self.min_length > 0 {
            let n = self.min_length;
            let s = if n == 1 { "" } else { "s" };
            sentences.push(format!(
                "The password must contain at least {n} character{s}."
            ));
        }
        match self.history {
            0 => {}
            1 => {
                sentences.push("The password must be different from the previous password.".into())
            }
            n => sentences.push(format!(
                "The password must be different from the previous {n} passwords."
            )),
        }
        if self.min_age > 0 {
            // Less than a day counts as one, as MIT rounds it.
            match (self.min_age / TICKS_PER_DAY).max(1) {
                1 => sentences.push("The password can only be changed once a day.".into()),
                days => sentences.push(format!(
                    "The password can only be changed every {days} days."
                )),
            }
        }
        (!sentences.is_empty()).then(|| sentences.join("  "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::{ChangeResult, ResultCode};

    /// MIT's result strings and the whole message each gives (vectors/data/mit-chpw-message.txt).
    #[test]
    fn messages_match_mits_chpw_message() {
        let records = vectors::load("mit-chpw-message.txt");
        assert!(records.len() >= 10, "{} records", records.len());
        for r in records {
            let result = ChangeResult {
                code: ResultCode::SoftError,
                string: r.hex("bytes"),
            };
            assert_eq!(result.message(), r.get("message"), "{}:{}", r.file, r.line);
        }
    }

    #[test]
    fn fields_are_read_big_endian() {
        let mut b = [0u8; 30];
        b[5] = 7;
        b[9] = 24;
        b[13] = 1;
        b[14..22].copy_from_slice(&42u64.to_be_bytes());
        b[22..30].copy_from_slice(&(3 * TICKS_PER_DAY).to_be_bytes());
        let p = AdPasswordPolicy::parse(&b).unwrap();
        assert_eq!(
            (p.min_length, p.history, p.properties, p.max_age, p.min_age),
            (7, 24, 1, 42, 3 * TICKS_PER_DAY)
        );
        b[1] = 1;
        assert_eq!(
            AdPasswordPolicy::parse(&b),
            None,
            "must start with two zero bytes"
        );
        assert_eq!(AdPasswordPolicy::parse(&b[..29]), None);
    }

    #[test]
    fn the_largest_numbers_are_printed_whole() {
        let mut b = [0xffu8; 30];
        b[..2].copy_from_slice(&[0, 0]);
        let text = AdPasswordPolicy::parse(&b).unwrap().describe().unwrap();
        assert!(text.contains("at least 4294967295 characters"), "{text}");
        assert!(
            text.contains(&format!("every {} days", u64::MAX / TICKS_PER_DAY)),
            "{text}"
        );
    }
}
