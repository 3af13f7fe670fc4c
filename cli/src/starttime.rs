//! `kinit -s start_time`: MIT kinit's parsing of a start time, as an offset from now.
//!
//! MIT first reads the value as a duration (`krb5_string_to_deltat`: `90`, `5m`, `1d2h`,
//! `1:30`, ...); when that fails or gives 0 it reads an absolute local time with the formats of
//! `krb5_string_to_timestamp` ("intentionally undocumented but left for backwards
//! compatibility" in kinit.c), parsed like glibc's `strptime` in the C locale. Fields a format
//! does not carry (the date of `hh:mm`, the seconds of `yymmddhhmm`) are today's, as MIT fills
//! them from `localtime(now)`.
//!
//! Differences from MIT, on purpose: a duration beyond 2^31-1 seconds is not one (MIT's
//! 32-bit `krb5_deltat` wraps it into a date decades away or in the past), so
//! `261125150000` is read as `yymmddhhmmss`; and MIT's duration parser takes the leading number
//! of `2026.11.25.15.00.00` as 2026 seconds, where this reads the whole date.

use kdc_client::config::krb5conf::parse_duration;

use crate::timefmt::{LocalZone, civil_from_days};

/// `krb5_string_to_timestamp`'s formats, in MIT's order (`%T` = `%H:%M:%S`, `%R` = `%H:%M`,
/// `%x:%X` = `%m/%d/%y:%H:%M:%S` in the C locale).
const FORMATS: [&str; 12] = [
    "%Y%m%d%H%M%S",
    "%Y.%m.%d.%H.%M.%S",
    "%y%m%d%H%M%S",
    "%y.%m.%d.%H.%M.%S",
    "%y%m%d%H%M",
    "%H%M%S",
    "%H%M",
    "%H:%M:%S",
    "%H:%M",
    "%m/%d/%y:%H:%M:%S",
    "%d-%b-%Y:%H:%M:%S",
    "%d-%b-%Y:%H:%M",
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The start time `s` as seconds from `now` (Unix time), local times in `zone`; `None` for
/// MIT's "Bad start time value". The result may be negative (a start time in the past).
pub fn parse(s: &str, now: i64, zone: &LocalZone) -> Option<i64> {
    if let Some(delta) = parse_delta(s).filter(|d| *d != 0) {
        return Some(delta);
    }
    let at = parse_timestamp(s, now, zone)?;
    // MIT refuses a timestamp of 0 (the epoch) as a parse failure.
    (at != 0).then_some(at - now)
}

/// A duration within MIT's signed 32-bit `krb5_deltat`, with an optional leading `-`.
fn parse_delta(s: &str) -> Option<i64> {
    let t = s.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let secs = i64::try_from(parse_duration(body)?.as_secs()).ok()?;
    if secs > i64::from(i32::MAX) {
        return None;
    }
    Some(if negative { -secs } else { secs })
}

/// Broken-down local time, as `struct tm` fields (month 1-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tm {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

/// An absolute local time in one of [`FORMATS`], as Unix time.
fn parse_timestamp(s: &str, now: i64, zone: &LocalZone) -> Option<i64> {
    let local_now = now + i64::from(zone.offset(now));
    let (year, month, day) = civil_from_days(local_now.div_euclid(86_400));
    let secs = local_now.rem_euclid(86_400);
    let today = Tm {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
    };
    FORMATS.iter().find_map(|f| {
        let tm = strptime(s, f, today)?;
        // MIT: "clearly confused" before 1901 (tm_year <= 0).
        if tm.year <= 1900 {
            return None;
        }
        Some(to_unix(tm, zone))
    })
}

/// glibc `strptime` for the directives of [`FORMATS`] in the C locale: numbers of at most
/// 2 digits (4 for `%Y`) after optional blanks, within their ranges; `%b` a month name or
/// its first three letters, any case; blanks in the input only where the format allows them;
/// trailing blanks accepted, anything else left over is a mismatch.
fn strptime(input: &str, format: &str, mut tm: Tm) -> Option<Tm> {
    let mut rest = input;
    let mut consumed = false;
    let mut spec = format.chars();
    while let Some(c) = spec.next() {
        if c != '%' {
            rest = rest.strip_prefix(c)?;
            consumed = true;
            continue;
        }
        match spec.next()? {
            'Y' => tm.year = number(&mut rest, 4, 0, 9999)?,
            'y' => {
                let y = number(&mut rest, 2, 0, 99)?;
                tm.year = if y >= 69 { 1900 + y } else { 2000 + y };
            }
            'm' => tm.month = number(&mut rest, 2, 1, 12)?,
            'd' => tm.day = number(&mut rest, 2, 1, 31)?,
            'H' => tm.hour = number(&mut rest, 2, 0, 23)?,
            'M' => tm.minute = number(&mut rest, 2, 0, 59)?,
            'S' => tm.second = number(&mut rest, 2, 0, 61)?,
            'b' => tm.month = month(&mut rest)?,
            _ => return None,
        }
        consumed = true;
    }
    (consumed && rest.trim_start().is_empty()).then_some(tm)
}

fn number(rest: &mut &str, max_digits: usize, min: i64, max: i64) -> Option<i64> {
    let s = rest.trim_start();
    let digits = s
        .bytes()
        .take(max_digits)
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 0 {
        return None;
    }
    let n: i64 = s[..digits].parse().ok()?;
    *rest = &s[digits..];
    (min..=max).contains(&n).then_some(n)
}

fn month(rest: &mut &str) -> Option<i64> {
    let lower = rest.to_ascii_lowercase();
    MONTHS.iter().zip(1..).find_map(|(name, n)| {
        let len = if lower.starts_with(name) {
            name.len()
        } else if lower.starts_with(&name[..3]) {
            3
        } else {
            return None;
        };
        *rest = &rest[len..];
        Some(n)
    })
}

/// `mktime`: local broken-down time to Unix time (out-of-range days roll over, as `mktime`
/// normalises them).
fn to_unix(tm: Tm, zone: &LocalZone) -> i64 {
    let local = (days_from_civil(tm.year, tm.month, 1) + tm.day - 1) * 86_400
        + tm.hour * 3600
        + tm.minute * 60
        + tm.second;
    // The zone offset at the instant itself: guess with the offset at `local`, then correct.
    let guess = local - i64::from(zone.offset(local));
    local - i64::from(zone.offset(guess))
}

/// (year, month 1-12, day) to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wed Nov 25 14:16:20 UTC 2026, when the MIT results below were observed (TZ=UTC).
    const NOW: i64 = 1_795_616_180;

    fn utc(s: &str) -> Option<i64> {
        parse(s, NOW, &LocalZone::utc())
    }

    #[test]
    fn durations_first() {
        assert_eq!(utc("5m"), Some(300));
        assert_eq!(utc(" 5m"), Some(300));
        assert_eq!(utc("5m "), Some(300));
        assert_eq!(utc("1d2h"), Some(93_600));
        assert_eq!(utc("90"), Some(90));
        assert_eq!(utc("1:30"), Some(5400));
        assert_eq!(utc("-5m"), Some(-300));
        assert_eq!(utc("2147483647"), Some(2_147_483_647));
    }

    /// Start times MIT kinit 1.20.1 gave for these arguments on the lab (klist's "Valid
    /// starting"), as offsets from NOW.
    #[test]
    fn absolute_times_like_mit() {
        // 20261125150000 -> 11/25/26 15:00:00
        assert_eq!(utc("20261125150000"), Some(1_795_618_800 - NOW));
        // 2611251500 (yymmddhhmm) -> 11/25/26 15:00:20: today's seconds are kept.
        assert_eq!(utc("2611251500"), Some(1_795_618_820 - NOW));
        // 0000: not a duration (0), so %H%M: today 00:00:20, in the past.
        assert_eq!(utc("0000"), Some(1_795_564_820 - NOW));
        assert_eq!(utc("25-Nov-2026:15:00"), Some(1_795_618_820 - NOW));
        assert_eq!(utc("25-november-2026:15:00:00"), Some(1_795_618_800 - NOW));
        assert_eq!(utc("2026.11.25.15.00.00"), Some(1_795_618_800 - NOW));
        assert_eq!(utc("11/25/26:15:00:00"), Some(1_795_618_800 - NOW));
        // Beyond a 32-bit duration: yymmddhhmmss.
        assert_eq!(utc("261125150000"), Some(1_795_618_800 - NOW));
    }

    #[test]
    fn bad_values_like_mit() {
        for bad in [
            "bad",
            "0",
            "",
            "  ",
            "99999999999",
            "5x",
            "25-Foo-2026:15:00",
            "24:61",
        ] {
            assert_eq!(utc(bad), None, "{bad:?}");
        }
        // 1900 and earlier are "clearly confused".
        assert_eq!(utc("19000101000000"), None);
    }

    #[test]
    fn local_time_uses_the_zone() {
        if let Ok(b) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin")
            && let Some(z) = crate::timefmt::parse_tzif(&b)
        {
            // 15:00 CET is 14:00 UTC.
            assert_eq!(
                parse("20261125150000", NOW, &z),
                Some(1_795_618_800 - 3600 - NOW)
            );
        }
    }

    #[test]
    fn days_round_trip() {
        for days in [-1_000_000, -1, 0, 1, 20_000, 20_782, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
