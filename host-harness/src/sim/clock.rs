//! The simulated clock: real time plus a controllable offset, or a frozen instant that only
//! `advance` and `set_skew` move.

use chrono::{DateTime, SecondsFormat, Utc};

/// Real time shifted by `offset_ms`, or frozen at `frozen_ms` (Unix milliseconds).
#[derive(Debug, Default, Clone)]
pub(crate) struct SimClock {
    offset_ms: i64,
    frozen_ms: Option<i64>,
}

impl SimClock {
    /// The simulated current time.
    pub fn now(&self) -> DateTime<Utc> {
        let ms = self.frozen_ms.unwrap_or_else(|| real_ms() + self.offset_ms);
        DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now)
    }

    /// Moves simulated time forward (or back, for negative values) by `seconds`; a frozen
    /// clock stays frozen at the new instant.
    pub fn advance(&mut self, seconds: f64) {
        let offset = self.current_offset_ms().saturating_add(secs_to_ms(seconds));
        self.set_offset_ms(offset);
    }

    /// Sets the offset from real time to `seconds` (a frozen clock freezes there).
    pub fn set_skew(&mut self, seconds: f64) {
        self.set_offset_ms(secs_to_ms(seconds));
    }

    /// Stops the clock at the current simulated instant (no-op when already frozen).
    pub fn freeze(&mut self) {
        if self.frozen_ms.is_none() {
            self.frozen_ms = Some(real_ms() + self.offset_ms);
        }
    }

    /// Lets a frozen clock run again from the instant it was frozen at.
    pub fn unfreeze(&mut self) {
        if self.frozen_ms.is_some() {
            self.offset_ms = self.current_offset_ms();
            self.frozen_ms = None;
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen_ms.is_some()
    }

    /// The offset from real time in seconds (for a frozen clock it grows as real time passes).
    pub fn offset_seconds(&self) -> f64 {
        self.current_offset_ms() as f64 / 1000.0
    }

    fn current_offset_ms(&self) -> i64 {
        match self.frozen_ms {
            Some(frozen) => (frozen - real_ms()).clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS),
            None => self.offset_ms,
        }
    }

    fn set_offset_ms(&mut self, offset: i64) {
        let offset = offset.clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS);
        match &mut self.frozen_ms {
            Some(frozen) => *frozen = real_ms() + offset,
            None => self.offset_ms = offset,
        }
    }
}

fn real_ms() -> i64 {
    Utc::now().timestamp_millis()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_frozen_clock_moves_only_when_told() {
        let mut clock = SimClock::default();
        clock.advance(3600.0);
        clock.freeze();
        assert!(clock.is_frozen());
        let frozen = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), frozen);
        clock.advance(1.5);
        assert_eq!(clock.now(), frozen + Duration::milliseconds(1500));
        clock.freeze();
        assert_eq!(clock.now(), frozen + Duration::milliseconds(1500), "freezing twice keeps the instant");
        clock.unfreeze();
        assert!(!clock.is_frozen());
        assert!(clock.now() >= frozen + Duration::milliseconds(1500));
        clock.advance(-1e12);
        clock.freeze();
        clock.advance(-1e12);
        assert!(clock.offset_seconds() >= -(MAX_OFFSET_MS as f64) / 1000.0 - 1.0);
    }
}
