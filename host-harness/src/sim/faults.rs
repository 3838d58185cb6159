//! Injected faults: a queue matched against incoming tenant requests, first match wins.

use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::errors::{Api, ApiError};
use super::reply::Reply;

/// How a fault corrupts an otherwise normal response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BodyFault {
    /// Non-JSON text in place of the body.
    Malformed,
    /// A `Content-Length` larger than the bytes sent, then the connection closes.
    Truncated,
    /// A valid-looking JSON body of [`OVERSIZED_BYTES`], streamed in chunks without a
    /// `Content-Length` (beyond the 32 MiB a client should read).
    Oversized,
}

/// Size of an `oversized` body: 33 MiB.
pub(crate) const OVERSIZED_BYTES: usize = 33 * 1024 * 1024;

/// One queued fault, as posted to `/__sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Fault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Matching requests still to hit.
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyFault>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    fn validate(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err("status must be between 100 and 599".into());
        }
        if self.status.is_none() && self.delay_ms.is_none() && self.body.is_none() && !self.drop {
            return Err("a fault needs one of status, delayMs, body or drop".into());
        }
        if let Some(retry_after) = &self.retry_after {
            if self.status.is_none() {
                return Err("retryAfter needs a status".into());
            }
            HeaderValue::from_str(retry_after)
                .map_err(|_| "retryAfter is not a valid header value")?;
        }
        Ok(())
    }

    /// Whether the fault applies to a request; `path` matches the path as sent or
    /// percent-decoded.
    fn matches(&self, method: &str, path: &str, decoded_path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path
                .as_deref()
                .is_none_or(|p| p == path || p == decoded_path)
    }
}

/// Pending faults in the order they were posted.
#[derive(Debug, Default, Clone)]
pub(crate) struct FaultQueue {
    pending: Vec<Fault>,
}

impl FaultQueue {
    /// Queues the faults in `body`: one fault object or `{"faults": [...]}`. All or nothing.
    pub fn add(&mut self, body: Value) -> Result<usize, String> {
        let list = match body {
            Value::Object(mut map) if map.contains_key("faults") => {
                map.remove("faults").unwrap_or_default()
            }
            one => Value::Array(vec![one]),
        };
        let faults: Vec<Fault> =
            serde_json::from_value(list).map_err(|e| format!("invalid fault: {e}"))?;
        faults.iter().try_for_each(Fault::validate)?;
        let added = faults.len();
        self.pending.extend(faults);
        Ok(added)
    }

    /// Takes one use of the first pending fault matching the request (its path as sent and
    /// percent-decoded).
    pub fn take(&mut self, method: &str, path: &str, decoded_path: &str) -> Option<Fault> {
        let index = self
            .pending
            .iter()
            .position(|f| f.matches(method, path, decoded_path))?;
        let fault = &mut self.pending[index];
        fault.count -= 1;
        let hit = Fault {
            count: 1,
            ..fault.clone()
        };
        if fault.count == 0 {
            self.pending.remove(index);
        }
        Some(hit)
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({ "faults": self.pending })
    }
}

/// The text a `malformed` body fault sends instead of JSON.
pub(crate) const MALFORMED_BODY: &str = "{\"data\": [{\"id\": <<malformed by an injected fault>>";

/// The Qlik error response a status fault answers with, shaped for the path's API.
pub(crate) fn status_reply(fault: &Fault, path: &str, trace_id: &str) -> Reply {
    let status = fault
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut error = ApiError::new(
        status,
        format!("Injected fault: {} for {path}.", status.as_u16()),
    );
    if let Some(retry_after) = &fault.retry_after {
        error = error.header("retry-after", retry_after.clone());
    }
    error.reply(Api::of_path(path), trace_id)
}
