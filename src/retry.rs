//! The retry policy of every call, as one pure function (`connector.md` §3).
//!
//! The caller performs the request, describes what happened as an [`Attempt`], and asks
//! [`decide`] what to do next. Clock and randomness are passed in, so the policy is fully
//! deterministic and testable.

use std::time::{Duration, UNIX_EPOCH};

/// First step of the computed (exponential) backoff.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest computed backoff step.
pub const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// Shortest computed wait, so that a jittered retry is never instant.
pub const MIN_COMPUTED_WAIT: Duration = Duration::from_millis(50);

/// HTTP methods the connector sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// The method's name as sent on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// True for methods that may be repeated safely: GET, HEAD, PUT, DELETE, OPTIONS.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    /// Parses a method name, case-insensitively (`"get"` → [`Method::Get`]).
    pub fn parse(s: &str) -> Option<Method> {
        const ALL: [Method; 7] = [
            Method::Get,
            Method::Head,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
            Method::Options,
        ];
        ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// What happened on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// The server answered with this status and, maybe, a `Retry-After` header value.
    Status {
        /// The HTTP status.
        status: u16,
        /// The raw `Retry-After` header value, if any.
        retry_after: Option<&'a str>,
    },
    /// No response: DNS, connect, TLS or reset before a status arrived.
    ConnectionFailed,
    /// The request timed out (connect, first byte or between bytes).
    TimedOut,
}

/// Limits for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Most retries after the first attempt.
    pub max_retries: u32,
    /// Most total time spent waiting between attempts.
    pub max_total_wait: Duration,
}

impl Default for RetryBudget {
    /// 3 retries and 60 s of total waiting, as `connector.md` §3 requires.
    fn default() -> Self {
        RetryBudget {
            max_retries: 3,
            max_total_wait: Duration::from_secs(60),
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Success, or an error not worth retrying: return it as it is.
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

/// Decides what to do after one attempt.
///
/// `retries_done`: retries already made; `waited`: total waited so far; `now_unix_secs`: wall
/// clock as unix seconds (for an HTTP-date `Retry-After`); `jitter`: a number in `[0,1)`
/// supplied by the caller.
///
/// - 429, any method: wait `Retry-After` (seconds or HTTP date), else a jittered backoff; out of
///   retries, or a wait beyond what is left of `max_total_wait`, gives
///   [`Decision::RateLimitedGiveUp`] at once.
/// - 502/503/504 and [`Attempt::ConnectionFailed`]: retried only for idempotent methods, with
///   `Retry-After` honoured when present; out of retries or budget gives [`Decision::Done`].
/// - Every other status (2xx, 3xx, other 4xx, 500, 501, ...) gives [`Decision::Done`].
/// - [`Attempt::TimedOut`] gives [`Decision::Done`]: a hung server is not retried, so that one
///   call never multiplies the (long) timeout.
pub fn decide(
    attempt: &Attempt,
    method: Method,
    retries_done: u32,
    waited: Duration,
    budget: &RetryBudget,
    now_unix_secs: u64,
    jitter: f64,
) -> Decision {
    let remaining = budget.max_total_wait.saturating_sub(waited);
    let out_of_retries = retries_done >= budget.max_retries;
    let computed =
        || backoff(retries_done, BACKOFF_BASE, BACKOFF_CAP, jitter).max(MIN_COMPUTED_WAIT);

    let retry_after = match *attempt {
        Attempt::TimedOut => return Decision::Done,
        Attempt::ConnectionFailed => None,
        Attempt::Status {
            status: 429,
            retry_after,
        } => {
            let asked = retry_after.and_then(|v| parse_retry_after(v, now_unix_secs));
            if out_of_retries {
                return Decision::RateLimitedGiveUp { retry_after: asked };
            }
            let wait = asked.unwrap_or_else(computed);
            return if wait > remaining {
                Decision::RateLimitedGiveUp {
                    retry_after: Some(wait),
                }
            } else {
                Decision::RetryAfter(wait)
            };
        }
        Attempt::Status {
            status: 502..=504,
            retry_after,
        } => retry_after,
        Attempt::Status { .. } => return Decision::Done,
    };

    // 502/503/504 or a connection failure.
    if !method.is_idempotent() || out_of_retries {
        return Decision::Done;
    }
    let wait = retry_after
        .and_then(|v| parse_retry_after(v, now_unix_secs))
        .unwrap_or_else(computed);
    if wait > remaining {
        Decision::Done
    } else {
        Decision::RetryAfter(wait)
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
        return value
            .parse::<f64>()
            .ok()
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok());
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
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    ceiling.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }
    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    struct Case {
        name: &'static str,
        attempt: Attempt<'static>,
        method: Method,
        retries_done: u32,
        waited: Duration,
        jitter: f64,
        want: Decision,
    }

    fn status(status: u16) -> Attempt<'static> {
        Attempt::Status {
            status,
            retry_after: None,
        }
    }
    fn status_ra(status: u16, ra: &'static str) -> Attempt<'static> {
        Attempt::Status {
            status,
            retry_after: Some(ra),
        }
    }

    #[test]
    #[rustfmt::skip]
    fn decide_table() {
        use Decision::*;
        use Method::*;
        let cases = [
            // Success and plain errors.
            Case { name: "200", attempt: status(200), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "204 post", attempt: status(204), method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "301", attempt: status(301), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "400", attempt: status(400), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "401", attempt: status(401), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "404", attempt: status(404), method: Delete, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "409", attempt: status(409), method: Put, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "500 get", attempt: status(500), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "501 get", attempt: status(501), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "505 get", attempt: status(505), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            // 429: any method; Retry-After honoured.
            Case { name: "429 seconds", attempt: status_ra(429, "13"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(13)) },
            Case { name: "429 post retried", attempt: status_ra(429, "2"), method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(2)) },
            Case { name: "429 patch retried", attempt: status_ra(429, "2"), method: Patch, retries_done: 2, waited: secs(10), jitter: 0.5, want: RetryAfter(secs(2)) },
            Case { name: "429 http date", attempt: status_ra(429, "Tue, 14 Nov 2023 22:13:25 GMT"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(5)) },
            Case { name: "429 date in past", attempt: status_ra(429, "Tue, 14 Nov 2023 22:00:00 GMT"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(0)) },
            Case { name: "429 zero seconds", attempt: status_ra(429, "0"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(0)) },
            // 429 without (or with garbage) Retry-After: backoff 500ms * 2^n, full jitter.
            Case { name: "429 backoff 0", attempt: status(429), method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "429 backoff 1", attempt: status(429), method: Get, retries_done: 1, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(500)) },
            Case { name: "429 backoff 2", attempt: status(429), method: Get, retries_done: 2, waited: ms(0), jitter: 0.75, want: RetryAfter(ms(1500)) },
            Case { name: "429 garbage header", attempt: status_ra(429, "soon"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "429 backoff floor", attempt: status(429), method: Get, retries_done: 0, waited: ms(0), jitter: 0.0, want: RetryAfter(ms(50)) },
            // 429 giving up.
            Case { name: "429 out of retries", attempt: status_ra(429, "7"), method: Get, retries_done: 3, waited: secs(3), jitter: 0.5, want: RateLimitedGiveUp { retry_after: Some(secs(7)) } },
            Case { name: "429 out of retries no header", attempt: status(429), method: Get, retries_done: 3, waited: secs(3), jitter: 0.5, want: RateLimitedGiveUp { retry_after: None } },
            Case { name: "429 beyond budget at once", attempt: status_ra(429, "61"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RateLimitedGiveUp { retry_after: Some(secs(61)) } },
            Case { name: "429 beyond remaining budget", attempt: status_ra(429, "20"), method: Get, retries_done: 2, waited: secs(45), jitter: 0.5, want: RateLimitedGiveUp { retry_after: Some(secs(20)) } },
            Case { name: "429 exactly the remaining budget", attempt: status_ra(429, "15"), method: Get, retries_done: 2, waited: secs(45), jitter: 0.5, want: RetryAfter(secs(15)) },
            Case { name: "429 backoff beyond budget", attempt: status(429), method: Get, retries_done: 1, waited: ms(59_900), jitter: 0.5, want: RateLimitedGiveUp { retry_after: Some(ms(500)) } },
            // 502/503/504: idempotent only.
            Case { name: "502 get", attempt: status(502), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "503 head", attempt: status(503), method: Head, retries_done: 1, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(500)) },
            Case { name: "504 put", attempt: status(504), method: Put, retries_done: 2, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(1000)) },
            Case { name: "503 delete", attempt: status(503), method: Delete, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "503 options", attempt: status(503), method: Options, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "503 retry-after", attempt: status_ra(503, "4"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(secs(4)) },
            Case { name: "502 post", attempt: status(502), method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "503 patch", attempt: status_ra(503, "1"), method: Patch, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "503 out of retries", attempt: status(503), method: Get, retries_done: 3, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "503 retry-after beyond budget", attempt: status_ra(503, "120"), method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "504 backoff beyond budget", attempt: status(504), method: Get, retries_done: 2, waited: ms(59_500), jitter: 0.5, want: Done },
            // Connection failures and timeouts.
            Case { name: "connect failed get", attempt: Attempt::ConnectionFailed, method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: RetryAfter(ms(250)) },
            Case { name: "connect failed delete", attempt: Attempt::ConnectionFailed, method: Delete, retries_done: 2, waited: ms(0), jitter: 0.99, want: RetryAfter(ms(1980)) },
            Case { name: "connect failed post", attempt: Attempt::ConnectionFailed, method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "connect failed out of retries", attempt: Attempt::ConnectionFailed, method: Get, retries_done: 3, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "timed out get", attempt: Attempt::TimedOut, method: Get, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
            Case { name: "timed out post", attempt: Attempt::TimedOut, method: Post, retries_done: 0, waited: ms(0), jitter: 0.5, want: Done },
        ];
        let budget = RetryBudget::default();
        for c in cases {
            let got = decide(
                &c.attempt,
                c.method,
                c.retries_done,
                c.waited,
                &budget,
                NOW,
                c.jitter,
            );
            assert_eq!(got, c.want, "case: {}", c.name);
        }
    }

    #[test]
    fn custom_budget() {
        let budget = RetryBudget {
            max_retries: 0,
            max_total_wait: secs(60),
        };
        let a = status_ra(429, "1");
        assert_eq!(
            decide(&a, Method::Get, 0, ms(0), &budget, NOW, 0.5),
            Decision::RateLimitedGiveUp {
                retry_after: Some(secs(1))
            }
        );
        assert_eq!(
            decide(&status(503), Method::Get, 0, ms(0), &budget, NOW, 0.5),
            Decision::Done
        );
        let budget = RetryBudget {
            max_retries: 10,
            max_total_wait: secs(0),
        };
        assert_eq!(
            decide(
                &status_ra(429, "0"),
                Method::Get,
                5,
                ms(0),
                &budget,
                NOW,
                0.5
            ),
            Decision::RetryAfter(secs(0))
        );
    }

    #[test]
    fn waited_beyond_budget_does_not_panic() {
        let budget = RetryBudget::default();
        assert_eq!(
            decide(
                &status_ra(429, "1"),
                Method::Get,
                1,
                secs(100),
                &budget,
                NOW,
                0.5
            ),
            Decision::RateLimitedGiveUp {
                retry_after: Some(secs(1))
            }
        );
    }

    #[test]
    fn default_budget() {
        let b = RetryBudget::default();
        assert_eq!((b.max_retries, b.max_total_wait), (3, secs(60)));
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
        assert_eq!(
            parse_retry_after("Tuesday, 14-Nov-23 22:14:20 GMT", NOW),
            Some(secs(60))
        );
        assert_eq!(
            parse_retry_after("Tue Nov 14 22:14:20 2023", NOW),
            Some(secs(60))
        );
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
            assert_eq!(
                backoff(retries, base, cap, jitter),
                want,
                "retries {retries} jitter {jitter}"
            );
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

    #[test]
    fn method_table() {
        let cases = [
            (Method::Get, "GET", true),
            (Method::Head, "HEAD", true),
            (Method::Post, "POST", false),
            (Method::Put, "PUT", true),
            (Method::Patch, "PATCH", false),
            (Method::Delete, "DELETE", true),
            (Method::Options, "OPTIONS", true),
        ];
        for (m, name, idem) in cases {
            assert_eq!(m.as_str(), name);
            assert_eq!(m.is_idempotent(), idem, "{name}");
            assert_eq!(Method::parse(name), Some(m));
            assert_eq!(Method::parse(&name.to_lowercase()), Some(m));
        }
        assert_eq!(Method::parse("Patch"), Some(Method::Patch));
        assert_eq!(Method::parse("TRACE"), None);
        assert_eq!(Method::parse(""), None);
        assert_eq!(Method::parse(" GET"), None);
    }
}
