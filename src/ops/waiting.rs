//! Waiting for a long-running job (a report, a reload): re-reads its status, each wait 1.5× the
//! last up to a cap, until a final status or the time allowed on the host's clock is up.

use crate::client::Client;
use crate::error::Result;
use crate::host::Method;
use serde_json::Value;
use std::time::Duration;

/// The first wait between reads.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);

/// How one job is waited for.
pub struct Wait {
    /// The `status` values after which the job does not change.
    pub final_statuses: &'static [&'static str],
    /// The longest wait between reads.
    pub longest: Duration,
    /// The time allowed in all.
    pub max_wait: Duration,
}

/// Reads `url` until its JSON body's `status` is final or `wait.max_wait` is up; returns the
/// last body and whether the time ran out (one last read is made at the limit).
pub fn until_final(client: &mut Client<'_>, url: &str, wait: &Wait) -> Result<(Value, bool)> {
    let deadline = client.host().now_unix_millis().saturating_add(wait.max_wait.as_millis() as u64);
    let mut pause = FIRST_WAIT;
    loop {
        let (_, body) = client.send_json(Method::Get, url, None)?;
        if body.get("status").and_then(Value::as_str).is_some_and(|s| wait.final_statuses.contains(&s)) {
            return Ok((body, false));
        }
        let now = client.host().now_unix_millis();
        if now >= deadline {
            return Ok((body, true));
        }
        client.host().sleep(pause.min(Duration::from_millis(deadline - now)));
        pause = pause.mul_f64(1.5).min(wait.longest);
    }
}
