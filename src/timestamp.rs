//! RFC 3339 timestamps as Qlik sends them, and HTTP dates, as Unix time. A small parser of
//! its own instead of chrono's: the component needs only this, and chrono's parsing machinery
//! costs the `.wasm` far more than these lines (tested against chrono natively).

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn digits(text: &[u8], range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Parses an RFC 3339 date-time (`2024-05-01T10:00:00.123Z`, `…+02:00`) into Unix
/// milliseconds; digits beyond milliseconds are dropped. `None` for anything else.
pub fn parse_unix_millis(text: &str) -> Option<i64> {
    let t = text.trim().as_bytes();
    if t.len() < 20
        || t[4] != b'-'
        || t[7] != b'-'
        || !matches!(t[10], b'T' | b't' | b' ')
        || t[13] != b':'
        || t[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(t, 0..4)?, digits(t, 5..7)?, digits(t, 8..10)?);
    let (hour, minute, second) = (digits(t, 11..13)?, digits(t, 14..16)?, digits(t, 17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[(month - 1) as usize]
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &t[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        let first = &fraction[..count.min(3)];
        millis = first.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')) * 10i64.pow(3 - first.len() as u32);
        rest = &fraction[count..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2], 0..2)?;
            let minutes = digits(&[*m1, *m2], 0..2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            (hours * 60 + minutes) * if *sign == b'-' { -1 } else { 1 }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    Some((seconds - offset_minutes * 60) * 1000 + millis)
}

/// Parses an RFC 3339 date-time into Unix seconds.
pub fn parse_unix_secs(text: &str) -> Option<i64> {
    parse_unix_millis(text).map(|ms| ms.div_euclid(1000))
}

/// Parses an HTTP date (`Date` header) into Unix milliseconds.
pub fn parse_http_date_millis(text: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(text.trim()).ok()?;
    let since = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets() {
        assert_eq!(parse_unix_secs("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_unix_secs("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(parse_unix_secs("2024-05-01T10:00:00.123Z"), Some(1714557600));
        assert_eq!(parse_unix_secs("yesterday"), None);
        assert_eq!(parse_unix_millis("2024-05-01T10:00:00.123456Z"), Some(1_714_557_600_123));
        assert_eq!(parse_unix_millis("2024-05-01T12:00:00+02:00"), Some(1_714_557_600_000));
        assert_eq!(parse_unix_millis(""), None);
        assert_eq!(parse_http_date_millis("Wed, 01 May 2024 10:00:00 GMT"), Some(1_714_557_600_000));
        assert_eq!(parse_http_date_millis("soon"), None);
    }

    /// The parser agrees with chrono on valid and invalid forms.
    #[test]
    fn agrees_with_chrono() {
        let cases = [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00.12Z",
            "2024-05-01T10:00:00.999999999Z",
            "2024-02-29T23:59:59-05:30",
            "2023-02-29T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "2024-13-01T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00+0200",
            "2024-05-01t10:00:00z",
            "2024-05-01 10:00:00Z",
            "2024-05-01T10:00:00.Z",
            "2024-5-01T10:00:00Z",
            "2024-05-01T10:00:00+24:00",
        ];
        for text in cases {
            let want = chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis());
            assert_eq!(parse_unix_millis(text), want, "{text}");
        }
    }
}
