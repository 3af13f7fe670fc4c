//! MIT's timestamp format for `klist` (`krb5_timestamp_to_sfstring` in the C locale: the first
//! format that fits 19 characters is `%x %X`, i.e. `11/25/26 11:56:45`), in local time.
//!
//! Local time comes from a tiny TZif reader (`TZ=:path`, `TZ=Area/City`, else
//! `/etc/localtime`); anything it cannot read is UTC. POSIX `TZ` rule strings and TZif
//! footers (rules after the last transition) are not interpreted.

/// The UTC offset in seconds at `t`.
pub struct LocalZone {
    transitions: Vec<(i64, i32)>,
    base: i32,
}

impl LocalZone {
    /// The zone named by `TZ` or `/etc/localtime`.
    pub fn load() -> Self {
        let path = match std::env::var("TZ") {
            Ok(tz) if !tz.is_empty() => {
                let tz = tz.trim_start_matches(':');
                if tz.starts_with('/') {
                    tz.to_owned()
                } else {
                    format!("/usr/share/zoneinfo/{tz}")
                }
            }
            _ => "/etc/localtime".to_owned(),
        };
        std::fs::read(path)
            .ok()
            .and_then(|b| parse_tzif(&b))
            .unwrap_or(Self::utc())
    }

    pub fn utc() -> Self {
        Self {
            transitions: Vec::new(),
            base: 0,
        }
    }

    pub fn offset(&self, t: i64) -> i32 {
        let i = self.transitions.partition_point(|(at, _)| *at <= t);
        match i {
            0 => self.base,
            i => self.transitions[i - 1].1,
        }
    }

    /// `MM/DD/YY HH:MM:SS` of Unix time `t` in this zone.
    pub fn format(&self, t: i64) -> String {
        let local = t + i64::from(self.offset(t));
        let (y, m, d) = civil_from_days(local.div_euclid(86400));
        let s = local.rem_euclid(86400);
        format!(
            "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
            m,
            d,
            y.rem_euclid(100),
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }

    /// `%c` of the C locale (`Mon Dec  7 13:02:08 2026`) of Unix time `t` in this zone, as
    /// MIT's `krb5_timestamp_to_string` writes it.
    pub fn format_c(&self, t: i64) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let local = t + i64::from(self.offset(t));
        let days = local.div_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        let s = local.rem_euclid(86400);
        // rem_euclid and civil_from_days keep both indexes in range.
        let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
        let month = MONTHS[usize::try_from(m - 1).unwrap_or(0).min(11)];
        format!(
            "{weekday} {month} {d:2} {:02}:{:02}:{:02} {y}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// Width of a formatted timestamp (MIT sizes the klist columns from it).
pub const WIDTH: usize = 17;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn parse_tzif(b: &[u8]) -> Option<LocalZone> {
    if b.get(..4)? != b"TZif" {
        return None;
    }
    let version = *b.get(4)?;
    let counts = |at: usize| -> Option<[usize; 6]> {
        let mut c = [0usize; 6];
        for (i, v) in c.iter_mut().enumerate() {
            *v = usize::try_from(be32(b, at + 20 + 4 * i)?).ok()?;
        }
        Some(c)
    };
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0)?;
    let v1_len = timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    let (start, tsize) = if version >= b'2' {
        (44 + v1_len, 8)
    } else {
        (0, 4)
    };
    let [_, _, _, timecnt, typecnt, _] = counts(start)?;
    let mut p = start + 44;
    let mut times = Vec::with_capacity(timecnt.min(4096));
    for i in 0..timecnt {
        let at = p + i * tsize;
        let t = if tsize == 8 {
            i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?)
        } else {
            i64::from(be32(b, at)? as i32)
        };
        times.push(t);
    }
    p += timecnt * tsize;
    let idx = b.get(p..p + timecnt)?;
    p += timecnt;
    let mut types = Vec::with_capacity(typecnt.min(256));
    for i in 0..typecnt {
        types.push(be32(b, p + 6 * i)? as i32);
    }
    let base = *types.first()?;
    let transitions = times
        .into_iter()
        .zip(idx)
        .map(|(t, &i)| Some((t, *types.get(usize::from(i))?)))
        .collect::<Option<Vec<_>>>()?;
    Some(LocalZone { transitions, base })
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_mit_c_locale() {
        let z = LocalZone::utc();
        assert_eq!(z.format(1_795_607_805), "11/25/26 11:56:45");
        assert_eq!(z.format(0), "01/01/70 00:00:00");
        assert_eq!(z.format(951_782_400), "02/29/00 00:00:00");
        assert_eq!(z.format(4_294_967_295), "02/07/06 06:28:15");
        assert_eq!(z.format(0).len(), WIDTH);
    }

    #[test]
    fn formats_c_locale_percent_c() {
        let z = LocalZone::utc();
        assert_eq!(z.format_c(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(z.format_c(1_796_648_528), "Mon Dec  7 13:02:08 2026");
        assert_eq!(z.format_c(1_800_018_128), "Fri Jan 15 13:02:08 2027");
        assert_eq!(z.format_c(951_782_400), "Tue Feb 29 00:00:00 2000");
        assert_eq!(z.format_c(-1), "Wed Dec 31 23:59:59 1969");
    }

    #[test]
    fn reads_tzif_or_refuses() {
        assert!(parse_tzif(b"").is_none());
        assert!(parse_tzif(b"TZif2\0\0\0").is_none());
        if let Ok(b) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") {
            let z = parse_tzif(&b).unwrap();
            assert_eq!(z.offset(1_795_607_805), 3600); // November: CET
            assert_eq!(z.offset(1_783_000_000), 7200); // July 2026: CEST
        }
    }
}
