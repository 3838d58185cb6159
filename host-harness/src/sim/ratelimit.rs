//! Qlik's per-tier rate limits, counted per simulated-clock minute.

use chrono::{DateTime, Utc};

/// Qlik's rate-limit tiers: Tier 1 for reads, Tier 2 for writes and `/oauth/token`, and the
/// special per-endpoint tiers of `POST /reloads` and `POST /reloads/{id}/actions/cancel`
/// ([`SPECIAL_RELOADS_PER_MINUTE`] each, reloads.json `x-qlik-tier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    One,
    Two,
    ReloadCreate,
    ReloadCancel,
}

/// The special tier's limit of the reloads endpoints: 50 per minute.
pub(crate) const SPECIAL_RELOADS_PER_MINUTE: u32 = 50;

impl Tier {
    fn index(self) -> usize {
        match self {
            Tier::One => 0,
            Tier::Two => 1,
            Tier::ReloadCreate => 2,
            Tier::ReloadCancel => 3,
        }
    }
}

/// Request counts in the current minute window, per tier.
#[derive(Debug, Default, Clone)]
pub(crate) struct RateLimiter {
    windows: [(i64, u32); 4],
}

impl RateLimiter {
    /// Counts one request against `tier`; `Err(seconds)` when the tier's `limit` per minute is
    /// used up, with the whole seconds until the window resets (at least 1).
    pub fn check(&mut self, tier: Tier, limit: u32, now: DateTime<Utc>) -> Result<(), u64> {
        let ms = now.timestamp_millis();
        let minute = ms.div_euclid(60_000);
        let window = &mut self.windows[tier.index()];
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= limit {
            let left_ms = 60_000 - ms.rem_euclid(60_000);
            return Err(((left_ms + 999) / 1000).max(1) as u64);
        }
        window.1 += 1;
        Ok(())
    }
}
