//! The retry policy of every call, as data plus two pure functions (`connector.md` §3).
//!
//! The caller performs a request and describes what happened as an [`Attempt`]. [`classify`]
//! says what kind of failure it is under a policy's [`RetryOn`] (the AWS SDK's
//! `ClassifyRetry`), and [`decide`] what to do next given the [`RetryPolicy`] and what the call
//! has already spent ([`RetryState`]). Clock and randomness are passed in, so both are
//! deterministic and table-tested.

use std::time::{Duration, UNIX_EPOCH};

/// First step of the standard (exponential) backoff.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest standard backoff step.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// Shortest computed wait, so that a jittered retry is never instant.
pub const MIN_COMPUTED_WAIT: Duration = Duration::from_millis(50);

/// Which failures a policy retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOn {
    /// 429 for any method; 502/503/504 and connection failures for idempotent methods only.
    Standard,
    /// 429, and every 5xx and connection failure for any method (rawRequest: the user opted in).
    ServerErrors,
    /// 429, every error status and connection failure for any method (rawRequest `retryAllErrors`).
    AnyError,
}

/// How long to wait before a retry when the server does not say (`Retry-After` always wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// Full jitter over `min(cap, base * 2^retries)`, never below `floor`.
    Exponential {
        /// The first step.
        base: Duration,
        /// The longest step.
        cap: Duration,
        /// The shortest wait.
        floor: Duration,
    },
    /// Always this long.
    Fixed(Duration),
}

/// A retry policy: which failures, how many retries, how long in all, and the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most retries in one call, across all its requests.
    pub max_retries: u32,
    /// Most total time spent waiting in one call, across all its requests.
    pub max_total_wait: Duration,
    /// Which failures are retried.
    pub retry_on: RetryOn,
    /// The wait when the server gives none.
    pub backoff: Backoff,
}

impl RetryPolicy {
    /// The policy of every action: 3 retries and 60 s of waiting per call, exponential from
    /// 500 ms capped at 8 s with full jitter and a 50 ms floor.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        max_retries: 3,
        max_total_wait: Duration::from_secs(60),
        retry_on: RetryOn::Standard,
        backoff: Backoff::Exponential { base: BACKOFF_BASE, cap: BACKOFF_CAP, floor: MIN_COMPUTED_WAIT },
    };
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::STANDARD
    }
}

/// What one call has spent so far; shared by every request of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryState {
    /// Retries made.
    pub retries: u32,
    /// Time waited between attempts.
    pub waited: Duration,
}

/// What happened on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The server answered with this status.
    Status(u16),
    /// No exchange: DNS, connect (including a connect timeout), TLS, or a connection that
    /// broke before a status arrived.
    ConnectFailed,
    /// The request went out and no answer came in time (first byte, between bytes, deadline).
    TimedOut,
    /// Nothing worth repeating: an oversized answer, a request the host refused.
    Final,
}

/// What kind of failure an attempt is, under a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The server asked to slow down (429): retried for any method, else `rate-limited`.
    Throttled,
    /// Worth repeating.
    Transient,
    /// Success, or an error that repeating would not fix.
    Final,
}

/// Classifies an attempt of a request that may (`idempotent`) or may not be repeated safely
/// (see `Method::is_idempotent`; token requests are idempotent too). 2xx-3xx are always
/// final; timeouts after the request went out are never retried, so one call never
/// multiplies the (long) first-byte timeout.
pub fn classify(attempt: Attempt, idempotent: bool, retry_on: RetryOn) -> Class {
    let transient_if = |yes: bool| if yes { Class::Transient } else { Class::Final };
    match (attempt, retry_on) {
        (Attempt::Status(429), _) => Class::Throttled,
        (Attempt::Status(status), _) if status < 400 => Class::Final,
        (Attempt::TimedOut | Attempt::Final, _) => Class::Final,
        (Attempt::Status(502..=504) | Attempt::ConnectFailed, RetryOn::Standard) => transient_if(idempotent),
        (Attempt::Status(_), RetryOn::Standard) => Class::Final,
        (Attempt::Status(status), RetryOn::ServerErrors) => transient_if(status >= 500),
        (Attempt::Status(_) | Attempt::ConnectFailed, _) => Class::Transient,
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Success, or an error not worth (or out of budget for) retrying: return it as it is.
    Done,
    /// Wait this long, then repeat the request.
    RetryAfter(Duration),
    /// A 429 that cannot be retried within the budget: end in `rate-limited`, carrying the
    /// wait the server asked for (or the computed one), when known.
    RateLimitedGiveUp {
        /// How long the caller should wait before trying again, when known.
        retry_after: Option<Duration>,
    },
}

/// Decides what to do after an attempt of class `class`. `retry_after` is the server's
/// `Retry-After`, already read; `jitter` is a number in `[0,1)` supplied by the caller.
///
/// A wait beyond what is left of the budget is not started: a throttled call then ends in
/// `rate-limited` at once carrying the wait, a transient one returns its last answer.
pub fn decide(
    policy: &RetryPolicy,
    class: Class,
    retry_after: Option<Duration>,
    state: RetryState,
    jitter: f64,
) -> Decision {
    let remaining = policy.max_total_wait.saturating_sub(state.waited);
    let out_of_retries = state.retries >= policy.max_retries;
    let wait = || retry_after.unwrap_or_else(|| computed_wait(&policy.backoff, state.retries, jitter));
    match class {
        Class::Final => Decision::Done,
        Class::Throttled if out_of_retries => Decision::RateLimitedGiveUp { retry_after },
        Class::Throttled => match wait() {
            wait if wait > remaining => Decision::RateLimitedGiveUp { retry_after: Some(wait) },
            wait => Decision::RetryAfter(wait),
        },
        Class::Transient if out_of_retries => Decision::Done,
        Class::Transient => match wait() {
            wait if wait > remaining => Decision::Done,
            wait => Decision::RetryAfter(wait),
        },
    }
}

/// The wait a backoff computes before retry number `retries_done + 1`.
pub fn computed_wait(policy: &Backoff, retries_done: u32, jitter: f64) -> Duration {
    match *policy {
        Backoff::Exponential { base, cap, floor } => backoff(retries_done, base, cap, jitter).max(floor),
        Backoff::Fixed(wait) => wait,
    }
}

/// Parses Retry-After: whole seconds, or an HTTP date relative to now. None when unparseable.
///
/// A date in the past gives zero. Fractional seconds (`"1.5"`), which some proxies send, are
/// accepted too; negative values are not.
pub fn parse_retry_after(value: &str, now_unix_secs: u64) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: whole seconds (saturating for absurdly long values).
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return value.parse::<f64>().ok().and_then(|secs| Duration::try_from_secs_f64(secs).ok());
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Some(Duration::from_secs(at_secs.saturating_sub(now_unix_secs)))
}

/// Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^retries_done)], using `jitter`.
///
/// `jitter` is clamped to `[0,1]` (NaN counts as 0).
pub fn backoff(retries_done: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let factor = 1u32.checked_shl(retries_done).unwrap_or(u32::MAX);
    let ceiling = base.saturating_mul(factor).min(cap);
    let jitter = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
    ceiling.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Method;

    const NOW: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }
    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    #[rustfmt::skip]
    fn classify_table() {
        use Attempt::{ConnectFailed, Status, TimedOut};
        use Class::*;
        use Method::*;
        let cases = [
            (Status(200), Get, RetryOn::Standard, Final),
            (Status(204), Post, RetryOn::AnyError, Final),
            (Status(302), Get, RetryOn::AnyError, Final),
            (Status(400), Get, RetryOn::Standard, Final),
            (Status(401), Get, RetryOn::Standard, Final),
            (Status(404), Delete, RetryOn::Standard, Final),
            (Status(414), Get, RetryOn::Standard, Final),
            (Status(431), Get, RetryOn::Standard, Final),
            (Status(500), Get, RetryOn::Standard, Final),
            (Status(501), Get, RetryOn::Standard, Final),
            (Status(429), Post, RetryOn::Standard, Throttled),
            (Status(429), Patch, RetryOn::ServerErrors, Throttled),
            (Status(502), Get, RetryOn::Standard, Transient),
            (Status(503), Head, RetryOn::Standard, Transient),
            (Status(504), Put, RetryOn::Standard, Transient),
            (Status(503), Delete, RetryOn::Standard, Transient),
            (Status(503), Options, RetryOn::Standard, Transient),
            (Status(502), Post, RetryOn::Standard, Final),
            (Status(503), Patch, RetryOn::Standard, Final),
            (ConnectFailed, Get, RetryOn::Standard, Transient),
            (ConnectFailed, Post, RetryOn::Standard, Final),
            (TimedOut, Get, RetryOn::Standard, Final),
            (TimedOut, Get, RetryOn::AnyError, Final),
            (Attempt::Final, Get, RetryOn::AnyError, Class::Final),
            // rawRequest policies: the user opted in, so any method.
            (Status(500), Post, RetryOn::ServerErrors, Transient),
            (Status(501), Get, RetryOn::ServerErrors, Transient),
            (Status(404), Get, RetryOn::ServerErrors, Final),
            (ConnectFailed, Post, RetryOn::ServerErrors, Transient),
            (Status(404), Post, RetryOn::AnyError, Transient),
            (Status(400), Patch, RetryOn::AnyError, Transient),
        ];
        for (attempt, method, retry_on, want) in cases {
            assert_eq!(classify(attempt, method.is_idempotent(), retry_on), want, "{attempt:?} {method:?} {retry_on:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn decide_table() {
        use Class::*;
        use Decision::*;
        const P: RetryPolicy = RetryPolicy::STANDARD;
        const FIXED: RetryPolicy = RetryPolicy { max_retries: 10, max_total_wait: Duration::from_secs(60), retry_on: RetryOn::ServerErrors, backoff: Backoff::Fixed(Duration::from_millis(200)) };
        const NO_RETRIES: RetryPolicy = RetryPolicy { max_retries: 0, ..RetryPolicy::STANDARD };
        const NO_WAITING: RetryPolicy = RetryPolicy { max_retries: 10, max_total_wait: Duration::ZERO, ..RetryPolicy::STANDARD };
        let st = |retries: u32, waited: Duration| RetryState { retries, waited };
        type Row = (&'static str, RetryPolicy, Class, Option<Duration>, RetryState, f64, Decision);
        let cases: [Row; 24] = [
            ("final", P, Final, None, st(0, ms(0)), 0.5, Done),
            ("throttled, asked", P, Throttled, Some(secs(13)), st(0, ms(0)), 0.5, RetryAfter(secs(13))),
            ("throttled, asked zero", P, Throttled, Some(secs(0)), st(0, ms(0)), 0.5, RetryAfter(secs(0))),
            ("throttled, backoff 0", P, Throttled, None, st(0, ms(0)), 0.5, RetryAfter(ms(250))),
            ("throttled, backoff 1", P, Throttled, None, st(1, ms(0)), 0.5, RetryAfter(ms(500))),
            ("throttled, backoff 2", P, Throttled, None, st(2, ms(0)), 0.75, RetryAfter(ms(1500))),
            ("throttled, backoff floor", P, Throttled, None, st(0, ms(0)), 0.0, RetryAfter(ms(50))),
            ("throttled, out of retries", P, Throttled, Some(secs(7)), st(3, secs(3)), 0.5, RateLimitedGiveUp { retry_after: Some(secs(7)) }),
            ("throttled, out of retries, no header", P, Throttled, None, st(3, secs(3)), 0.5, RateLimitedGiveUp { retry_after: None }),
            ("throttled, beyond budget at once", P, Throttled, Some(secs(61)), st(0, ms(0)), 0.5, RateLimitedGiveUp { retry_after: Some(secs(61)) }),
            ("throttled, beyond what is left", P, Throttled, Some(secs(20)), st(2, secs(45)), 0.5, RateLimitedGiveUp { retry_after: Some(secs(20)) }),
            ("throttled, exactly what is left", P, Throttled, Some(secs(15)), st(2, secs(45)), 0.5, RetryAfter(secs(15))),
            ("throttled, backoff beyond budget", P, Throttled, None, st(1, ms(59_900)), 0.5, RateLimitedGiveUp { retry_after: Some(ms(500)) }),
            ("throttled, waited beyond budget", P, Throttled, Some(secs(1)), st(1, secs(100)), 0.5, RateLimitedGiveUp { retry_after: Some(secs(1)) }),
            ("transient, backoff", P, Transient, None, st(0, ms(0)), 0.5, RetryAfter(ms(250))),
            ("transient, backoff 2", P, Transient, None, st(2, ms(0)), 0.99, RetryAfter(ms(1980))),
            ("transient, retry-after wins", P, Transient, Some(secs(4)), st(0, ms(0)), 0.5, RetryAfter(secs(4))),
            ("transient, out of retries", P, Transient, None, st(3, ms(0)), 0.5, Done),
            ("transient, retry-after beyond budget", P, Transient, Some(secs(120)), st(0, ms(0)), 0.5, Done),
            ("transient, backoff beyond budget", P, Transient, None, st(2, ms(59_500)), 0.5, Done),
            ("fixed wait", FIXED, Transient, None, st(7, ms(0)), 0.9, RetryAfter(ms(200))),
            ("fixed, retry-after wins", FIXED, Transient, Some(secs(2)), st(0, ms(0)), 0.9, RetryAfter(secs(2))),
            ("no retries", NO_RETRIES, Throttled, Some(secs(1)), st(0, ms(0)), 0.5, RateLimitedGiveUp { retry_after: Some(secs(1)) }),
            ("no waiting allowed, zero wait", NO_WAITING, Throttled, Some(secs(0)), st(5, ms(0)), 0.5, RetryAfter(secs(0))),
        ];
        for (name, policy, class, retry_after, state, jitter, want) in cases {
            assert_eq!(decide(&policy, class, retry_after, state, jitter), want, "case: {name}");
        }
    }

    #[test]
    fn parse_retry_after_table() {
        let cases: [(&str, Option<Duration>); 13] = [
            ("13", Some(secs(13))),
            (" 13 ", Some(secs(13))),
            ("0", Some(secs(0))),
            ("1.5", Some(ms(1500))),
            ("99999999999999999999999", Some(secs(u64::MAX))),
            ("-1", None),
            ("", None),
            ("   ", None),
            ("soon", None),
            ("1.2.3", None),
            ("Tue, 14 Nov 2023 22:14:20 GMT", Some(secs(60))),
            ("Tue, 14 Nov 2023 22:13:20 GMT", Some(secs(0))),
            ("Mon, 01 Jan 2001 00:00:00 GMT", Some(secs(0))),
        ];
        for (input, want) in cases {
            assert_eq!(parse_retry_after(input, NOW), want, "input: {input:?}");
        }
        // Obsolete RFC 850 and asctime forms are accepted by httpdate too.
        assert_eq!(parse_retry_after("Tuesday, 14-Nov-23 22:14:20 GMT", NOW), Some(secs(60)));
        assert_eq!(parse_retry_after("Tue Nov 14 22:14:20 2023", NOW), Some(secs(60)));
    }

    #[test]
    fn backoff_table() {
        let (base, cap) = (BACKOFF_BASE, BACKOFF_CAP);
        let cases: [(u32, f64, Duration); 12] = [
            (0, 0.0, ms(0)),
            (0, 0.5, ms(250)),
            (0, 0.999, ms(499) + Duration::from_micros(500)),
            (1, 0.5, ms(500)),
            (2, 0.5, ms(1000)),
            (3, 0.5, ms(2000)),
            (4, 0.5, ms(4000)),
            (5, 0.5, ms(4000)),  // capped at 8 s
            (40, 0.5, ms(4000)), // huge exponent saturates, then caps
            (u32::MAX, 1.0, secs(8)),
            (1, -3.0, ms(0)), // clamped
            (1, f64::NAN, ms(0)),
        ];
        for (retries, jitter, want) in cases {
            assert_eq!(backoff(retries, base, cap, jitter), want, "retries {retries} jitter {jitter}");
        }
    }

    #[test]
    fn backoff_never_exceeds_ceiling() {
        for retries in 0..10 {
            for step in 0..100 {
                let j = f64::from(step) / 100.0;
                let d = backoff(retries, BACKOFF_BASE, BACKOFF_CAP, j);
                assert!(d <= BACKOFF_CAP);
                assert!(d <= BACKOFF_BASE * 2u32.pow(retries));
            }
        }
    }
}
