//! RFC 3339 timestamps as Qlik sends them.

use chrono::DateTime;

/// Parses an RFC 3339 date-time into Unix seconds.
pub fn parse_unix_secs(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp())
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
    }
}
