//! RFC 3339 timestamps as Qlik sends them.

use chrono::DateTime;

/// Parses an RFC 3339 date-time into Unix seconds.
pub fn parse_unix_secs(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp())
}

/// Parses an RFC 3339 date-time into Unix milliseconds (sub-millisecond digits dropped).
pub fn parse_unix_millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp_millis())
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
}
