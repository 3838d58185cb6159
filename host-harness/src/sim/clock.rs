//! The simulated clock: real time plus a controllable offset.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// Real time shifted by `offset_ms`.
#[derive(Debug, Default, Clone)]
pub(crate) struct SimClock {
    offset_ms: i64,
}

impl SimClock {
    /// The simulated current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms)
    }

    /// Moves simulated time forward (or back, for negative values) by `seconds`.
    pub fn advance(&mut self, seconds: f64) {
        self.offset_ms =
            (self.offset_ms + secs_to_ms(seconds)).clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS);
    }

    /// Sets the offset from real time to `seconds`.
    pub fn set_skew(&mut self, seconds: f64) {
        self.offset_ms = secs_to_ms(seconds);
    }

    /// The offset from real time in seconds.
    pub fn offset_seconds(&self) -> f64 {
        self.offset_ms as f64 / 1000.0
    }
}

/// Offsets are kept within ±100 years so date arithmetic cannot overflow.
const MAX_OFFSET_MS: i64 = 100 * 366 * 24 * 3600 * 1000;

fn secs_to_ms(seconds: f64) -> i64 {
    ((seconds * 1000.0).round() as i64).clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS)
}

/// RFC 3339 with milliseconds and `Z`, the form Qlik uses for date-time fields.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The HTTP `Date` header form (IMF-fixdate).
pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    let secs = t.timestamp().max(0) as u64;
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}
