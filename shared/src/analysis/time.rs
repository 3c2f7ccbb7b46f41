//! Capture timestamps as RFC 3339 text, without a clock or a date crate.
use crate::net::Nanos;

/// `2024-05-01T12:00:00.123456789Z` for a capture time in nanoseconds since the epoch.
pub fn rfc3339(ts: Nanos) -> String {
    let secs = ts / 1_000_000_000;
    let nanos = ts % 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Seconds between two capture times, as tshark's `frame.time_relative`.
pub fn rel(ts: Nanos, base: Nanos) -> f64 {
    ts.saturating_sub(base) as f64 / 1e9
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_leap_day() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        // 2024-02-29T23:59:59.5Z
        assert_eq!(
            rfc3339(1_709_251_199_500_000_000),
            "2024-02-29T23:59:59.500000000Z"
        );
    }
}

/// Hinnant's days-from-civil (inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into nanoseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<Nanos> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(b.get(r)?).ok()?.parse().ok()
    };
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000_000;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += i64::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
    }
    let offset_s = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos as u64)
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn parse_is_the_inverse_of_format() {
        for ts in [0, 1_700_000_000_123_456_789, 951_782_400_000_000_000] {
            assert_eq!(parse_rfc3339(&rfc3339(ts)), Some(ts));
        }
        assert_eq!(
            parse_rfc3339("2026-11-23T10:00:00+01:00"),
            parse_rfc3339("2026-11-23T09:00:00Z")
        );
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
