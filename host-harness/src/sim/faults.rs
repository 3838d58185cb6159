//! Injected faults: a queue matched against incoming tenant requests, first match wins.

use std::time::Duration;

use bytes::Bytes;
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
    /// Status and headers at once, then the first `dripBytes` body bytes one every `dripMs`,
    /// then the rest: a slow-drip tenant.
    Drip,
    /// The body replaced by `rawBody` (set whenever `rawBody` is given without `drip`, so the
    /// request log shows the body was replaced on purpose).
    Raw,
}

/// Defaults and bounds of a drip.
const DRIP_MS: u64 = 1000;
const DRIP_BYTES: usize = 30;
const MAX_DRIP_MS: u64 = 600_000;
const MAX_DRIP_BYTES: usize = 1 << 20;

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
    /// A `Location` header (for 3xx status faults, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Text sent as the body instead of the Qlik error body (status faults) or instead of the
    /// real body (otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    /// Bytes, in standard base64, sent as the body like `rawBody` (a binary answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body_base64: Option<String>,
    /// `rawBodyBase64` decoded.
    #[serde(skip)]
    pub raw_body_bytes: Option<Vec<u8>>,
    /// Content type of `rawBody` (default `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Milliseconds between dripped bytes (`body: "drip"`, default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drip_ms: Option<u64>,
    /// How many body bytes are dripped one by one (`body: "drip"`, default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drip_bytes: Option<usize>,
    /// Answer, then close the connection (`Connection: close`), as a server recycling its
    /// keep-alive connections does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub close_connection: bool,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Checks a posted fault and fills in what it implies (`rawBody` alone means `body: "raw"`).
    fn normalize(mut self) -> Result<Fault, String> {
        if let Some(encoded) = self.raw_body_base64.take() {
            if self.raw_body.is_some() {
                return Err("give rawBody or rawBodyBase64, not both".into());
            }
            self.raw_body_bytes = Some(decode_base64(&encoded).ok_or("rawBodyBase64 is not valid base64")?);
            self.raw_body_base64 = Some(encoded);
        }
        if (self.raw_body.is_some() || self.raw_body_bytes.is_some()) && self.body.is_none() {
            self.body = Some(BodyFault::Raw);
        }
        self.validate()?;
        Ok(self)
    }

    fn validate(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err("status must be between 100 and 599".into());
        }
        if self.status.is_none()
            && self.delay_ms.is_none()
            && self.body.is_none()
            && !self.drop
            && !self.close_connection
        {
            return Err("a fault needs one of status, delayMs, body, rawBody, drop or closeConnection".into());
        }
        if let Some(retry_after) = &self.retry_after {
            if self.status.is_none() {
                return Err("retryAfter needs a status".into());
            }
            HeaderValue::from_str(retry_after).map_err(|_| "retryAfter is not a valid header value")?;
        }
        if let Some(location) = &self.location {
            if self.status.is_none() {
                return Err("location needs a status (a 3xx one, say)".into());
            }
            HeaderValue::from_str(location).map_err(|_| "location is not a valid header value")?;
        }
        match (self.body, self.raw_body.is_some() || self.raw_body_bytes.is_some()) {
            (Some(BodyFault::Raw), false) => return Err("body \"raw\" needs rawBody".into()),
            (Some(BodyFault::Malformed | BodyFault::Truncated | BodyFault::Oversized), true) => {
                return Err("rawBody goes with a status, with body \"drip\" or alone".into())
            }
            _ => {}
        }
        if let Some(content_type) = &self.content_type {
            if self.raw_body.is_none() && self.raw_body_bytes.is_none() {
                return Err("contentType needs rawBody or rawBodyBase64".into());
            }
            HeaderValue::from_str(content_type).map_err(|_| "contentType is not a valid header value")?;
        }
        if self.body != Some(BodyFault::Drip) && (self.drip_ms.is_some() || self.drip_bytes.is_some()) {
            return Err("dripMs and dripBytes need body \"drip\"".into());
        }
        if self.drip_ms.is_some_and(|ms| ms > MAX_DRIP_MS) {
            return Err(format!("dripMs must be at most {MAX_DRIP_MS}"));
        }
        if self.drip_bytes.is_some_and(|n| n == 0 || n > MAX_DRIP_BYTES) {
            return Err(format!("dripBytes must be between 1 and {MAX_DRIP_BYTES}"));
        }
        if self.drop && (self.status.is_some() || self.body.is_some() || self.location.is_some()) {
            return Err("drop answers nothing; it cannot have a status, body or location".into());
        }
        if self.drop && self.close_connection {
            return Err("drop closes the connection already; closeConnection goes with an answer".into());
        }
        Ok(())
    }

    /// Whether the fault answers without running the request: a status without a body fault.
    pub fn replaces_request(&self) -> bool {
        self.status.is_some() && matches!(self.body, None | Some(BodyFault::Raw))
    }

    /// (interval, bytes) of a drip fault.
    pub fn drip(&self) -> Option<(Duration, usize)> {
        (self.body == Some(BodyFault::Drip))
            .then(|| (Duration::from_millis(self.drip_ms.unwrap_or(DRIP_MS)), self.drip_bytes.unwrap_or(DRIP_BYTES)))
    }

    /// Applies the fault's status, `rawBody`, `Retry-After` and `Location` to a response.
    pub fn dress(&self, reply: &mut Reply) {
        if let Some(status) = self.status.and_then(|s| StatusCode::from_u16(s).ok()) {
            reply.status = status;
        }
        if let Some(raw) = &self.raw_body {
            reply.body = Bytes::from(raw.clone());
            let content_type = self.content_type.as_deref().unwrap_or("application/json");
            reply.set_header("content-type", content_type);
        }
        if let Some(raw) = &self.raw_body_bytes {
            reply.body = Bytes::from(raw.clone());
            let content_type = self.content_type.as_deref().unwrap_or("application/octet-stream");
            reply.set_header("content-type", content_type);
        }
        if let Some(retry_after) = &self.retry_after {
            reply.set_header("retry-after", retry_after.clone());
        }
        if let Some(location) = &self.location {
            reply.set_header("location", location.clone());
        }
        if self.close_connection {
            reply.set_header("connection", "close");
        }
    }

    /// Whether the fault applies to a request; `path` matches the path as sent or
    /// percent-decoded.
    fn matches(&self, method: &str, path: &str, decoded_path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| p == path || p == decoded_path)
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
            Value::Object(mut map) if map.contains_key("faults") => map.remove("faults").unwrap_or_default(),
            one => Value::Array(vec![one]),
        };
        let faults: Vec<Fault> = serde_json::from_value(list).map_err(|e| format!("invalid fault: {e}"))?;
        let faults = faults.into_iter().map(Fault::normalize).collect::<Result<Vec<_>, _>>()?;
        let added = faults.len();
        self.pending.extend(faults);
        Ok(added)
    }

    /// Takes one use of the first pending fault matching the request (its path as sent and
    /// percent-decoded).
    pub fn take(&mut self, method: &str, path: &str, decoded_path: &str) -> Option<Fault> {
        let index = self.pending.iter().position(|f| f.matches(method, path, decoded_path))?;
        let fault = &mut self.pending[index];
        fault.count -= 1;
        let hit = Fault { count: 1, ..fault.clone() };
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

/// The Qlik error response a status fault answers with, shaped for the path's API (before
/// [`Fault::dress`] adds the fault's headers or raw body).
pub(crate) fn status_reply(fault: &Fault, path: &str, trace_id: &str) -> Reply {
    let status = fault.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let error = ApiError::new(status, format!("Injected fault: {} for {path}.", status.as_u16()));
    error.reply(Api::of_path(path), trace_id)
}

/// Standard base64 (padding optional, whitespace ignored); `None` when malformed.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes_with_or_without_padding() {
        assert_eq!(decode_base64("AP8QAA==").unwrap(), [0, 255, 16, 0]);
        assert_eq!(decode_base64("AP8QAA").unwrap(), [0, 255, 16, 0]);
        assert_eq!(decode_base64("aGk=\n").unwrap(), b"hi");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("***").is_none());
        assert!(decode_base64("A").is_none());
    }
}
