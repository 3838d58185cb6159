//! The trigger's state: one small versioned JSON document per tenant host and resource type,
//! holding the watermark (server time) and the dedupe keys emitted inside the overlap window.

use crate::error::{ConnectorError, Result};
use crate::host::key_segment;
use serde_json::{json, Map, Value};

/// The state document's version; any other version is an error, never a reset.
pub const VERSION: u32 = 1;

/// The state of one trigger (tenant host + resource type), stored as
/// `{"v": 1, "sinceMs": …, "watermarkMs": …, "seen": {"<key>": <ms>, …}, "fullScan": true?}`. Read and written
/// by hand rather than through serde derives: that keeps the `.wasm` small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerState {
    /// Always [`VERSION`].
    pub v: u32,
    /// Server time of the first run, Unix milliseconds: changes before it are history and never
    /// emitted, so a first run replays nothing, not even the overlap window before it.
    pub since_ms: i64,
    /// Server time of the last poll, Unix milliseconds: changes after `watermark - overlap` are
    /// read again on the next poll.
    pub watermark_ms: i64,
    /// Dedupe keys `<id>@<updated timestamp>` already emitted, with their update time (Unix
    /// ms), in the order emitted; only those inside the overlap window are kept, so the document
    /// stays small (a list, not a map: lookups over a few hundred keys, and less code).
    pub seen: Vec<(String, i64)>,
    /// The tenant refused the update-time sort: read every page.
    pub full_scan: bool,
}

impl TriggerState {
    /// The state of a first run at `watermark_ms`: nothing seen, nothing before it emitted.
    pub fn at(watermark_ms: i64) -> Self {
        TriggerState { v: VERSION, since_ms: watermark_ms, watermark_ms, seen: Vec::new(), full_scan: false }
    }

    /// Reads a stored state document. A corrupt or unknown-version document is an error: the
    /// poll fails and changes nothing, it is never taken for a first run.
    pub fn parse(bytes: &[u8]) -> Result<TriggerState> {
        let corrupt =
            |why: &str| ConnectorError::InvalidResponse(format!("the stored trigger state is unreadable: {why}"));
        let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(&e.to_string()))?;
        let Value::Object(doc) = value else { return Err(corrupt("not an object")) };
        match doc.get("v").and_then(Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(corrupt(&format!("version {v} is not {VERSION}"))),
            None => return Err(corrupt("no version")),
        }
        if let Some(unknown) =
            doc.keys().find(|k| !["v", "sinceMs", "watermarkMs", "seen", "fullScan"].contains(&k.as_str()))
        {
            return Err(corrupt(&format!("unknown field {unknown}")));
        }
        let since_ms = doc.get("sinceMs").and_then(Value::as_i64).ok_or_else(|| corrupt("no sinceMs"))?;
        let watermark_ms = doc.get("watermarkMs").and_then(Value::as_i64).ok_or_else(|| corrupt("no watermarkMs"))?;
        let seen = match doc.get("seen") {
            Some(Value::Object(seen)) => seen
                .iter()
                .map(|(key, ms)| {
                    ms.as_i64().map(|ms| (key.clone(), ms)).ok_or_else(|| corrupt("a seen entry is not a time"))
                })
                .collect::<Result<Vec<_>>>()?,
            _ => return Err(corrupt("no seen map")),
        };
        let full_scan = match doc.get("fullScan") {
            None => false,
            Some(flag) => flag.as_bool().ok_or_else(|| corrupt("fullScan is not a boolean"))?,
        };
        Ok(TriggerState { v: VERSION, since_ms, watermark_ms, seen, full_scan })
    }

    /// Whether this dedupe key was emitted.
    pub fn has_seen(&self, key: &str) -> bool {
        self.seen.iter().any(|(k, _)| k == key)
    }

    /// The document as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let seen: Map<String, Value> = self.seen.iter().map(|(k, ms)| (k.clone(), json!(ms))).collect();
        let mut doc = json!({"v": self.v, "sinceMs": self.since_ms, "watermarkMs": self.watermark_ms, "seen": seen});
        if self.full_scan {
            doc["fullScan"] = json!(true);
        }
        doc.to_string().into_bytes()
    }
}

/// The storage key of a trigger's state: `trigger/v1/<hex origin>/<resource type>`, in the
/// characters every keyvalue backend accepts.
pub fn state_key(origin: &str, resource_type: &str) -> String {
    format!("trigger/v{VERSION}/{}/{}", key_segment(origin), key_segment(resource_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_did_not_write() {
        let mut state = TriggerState::at(1_700_000_000_000);
        state.seen.push(("s1@2023-11-14T22:13:20.000Z".into(), 1_700_000_000_000));
        assert_eq!(TriggerState::parse(&state.to_bytes()).unwrap(), state);
        for bad in [
            &b"{not json"[..],
            br#"{"v":2,"sinceMs":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"sinceMs":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"v":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"v":1,"sinceMs":1,"watermarkMs":1,"seen":{},"extra":1}"#,
            br#"{"v":1}"#,
            b"[]",
        ] {
            match TriggerState::parse(bad) {
                Err(ConnectorError::InvalidResponse(m)) => assert!(m.contains("trigger state"), "{m}"),
                other => panic!("{}: {other:?}", String::from_utf8_lossy(bad)),
            }
        }
    }

    #[test]
    fn keys_are_per_tenant_and_resource_and_portable() {
        let a = state_key("https://acme.eu.qlikcloud.com", "spaces");
        assert_ne!(a, state_key("https://acme.eu.qlikcloud.com", "users"));
        assert_ne!(a, state_key("https://other.eu.qlikcloud.com", "spaces"));
        assert!(crate::host::is_portable_key(&a), "{a}");
    }
}
