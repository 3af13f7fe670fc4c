//! `KerberosTime ::= GeneralizedTime -- with no fractional seconds` (RFC 4120 §5.2.3).

use rasn::prelude::*;

/// A KerberosTime: on the wire exactly `YYYYMMDDHHMMSSZ`, in memory seconds since the Unix
/// epoch. Decoding rejects any other form (fractions, offsets, out-of-range fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KerberosTime(i64);

/// Seconds from 0000-01-01T00:00:00Z to 10000-01-01T00:00:00Z are the representable range.
const MIN_UNIX: i64 = -62_167_219_200;
const MAX_UNIX: i64 = 253_402_300_799;

impl KerberosTime {
    /// A time from Unix seconds; `None` outside years 0000..=9999.
    pub fn from_unix(secs: i64) -> Option<Self> {
        (MIN_UNIX..=MAX_UNIX).contains(&secs).then_some(Self(secs))
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parse the 15-byte `YYYYMMDDHHMMSSZ` form.
    pub fn parse(s: &[u8]) -> Option<Self> {
        let [digits @ .., b'Z'] = s else { return None };
        if digits.len() != 14 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Indexing and `d - b'0'` cannot fail: 14 ASCII digits, ranges within 0..14.
        let num = |r: std::ops::Range<usize>| {
            digits[r]
                .iter()
                .fold(0i64, |a, d| a * 10 + i64::from(d - b'0'))
        };
        let (y, mo, d) = (num(0..4), num(4..6), num(6..8));
        let (h, mi, sec) = (num(8..10), num(10..12), num(12..14));
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
            return None;
        }
        // RFC 4120 §5.2.3 allows no leap seconds in practice; MIT rejects 60 too.
        if sec > 59 {
            return None;
        }
        Some(Self(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec,
        ))
    }

    /// The `YYYYMMDDHHMMSSZ` form.
    pub fn to_generalized(self) -> String {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl AsnType for KerberosTime {
    const TAG: Tag = Tag::GENERALIZED_TIME;
    const IDENTIFIER: Identifier = Identifier::GENERALIZED_TIME;
}

impl Decode for KerberosTime {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let raw: Vec<u8> = decoder.decode_octet_string(tag, constraints)?;
        Self::parse(&raw).ok_or_else(|| {
            D::Error::from(rasn::error::DecodeError::parser_fail(
                format!(
                    "KerberosTime {:?} is not YYYYMMDDHHMMSSZ",
                    String::from_utf8_lossy(&raw)
                ),
                decoder.codec(),
            ))
        })
    }
}

impl Encode for KerberosTime {
    fn encode_with_tag_and_constraints<'b, E: Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: Tag,
        constraints: &Constraints,
        identifier: Identifier,
    ) -> Result<(), E::Error> {
        let s = self.to_generalized();
        encoder
            .encode_octet_string(
                tag,
                constraints,
                s.as_bytes(),
                identifier.or(Self::IDENTIFIER),
            )
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(s: &str) -> Vec<u8> {
        let mut v = vec![0x18, s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn converts_and_round_trips() {
        for (s, t) in [
            ("19700101000000Z", 0),
            ("19940610060317Z", 771_228_197),
            ("20000229235959Z", 951_868_799),
            ("00000101000000Z", MIN_UNIX),
            ("99991231235959Z", MAX_UNIX),
        ] {
            let k: KerberosTime = rasn::der::decode(&der(s)).unwrap();
            assert_eq!(k.unix(), t, "{s}");
            assert_eq!(rasn::der::encode(&k).unwrap(), der(s));
            assert_eq!(KerberosTime::from_unix(k.unix()), Some(k));
        }
    }

    #[test]
    fn rejects_bad_forms() {
        for s in [
            "19940610060317",
            "19940610060317.5Z",
            "1994061006031Z",
            "19941310060317Z",
            "19940631060317Z",
            "19940229060317Z",
            "19940610240317Z",
            "19940610066017Z",
            "19940610060360Z",
            "1994061006031+Z",
            "19940610060317+0100",
        ] {
            assert!(rasn::der::decode::<KerberosTime>(&der(s)).is_err(), "{s}");
        }
        assert_eq!(KerberosTime::from_unix(MAX_UNIX + 1), None);
    }
}
