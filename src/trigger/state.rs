//! The trigger's state: one small versioned JSON document per tenant host and resource type,
//! holding the watermark (server time) and the dedupe keys emitted inside the overlap window.

use crate::error::{ConnectorError, Result};
use crate::host::key_segment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state document's version; any other version is an error, never a reset.
pub const VERSION: u32 = 1;

/// The state of one trigger (tenant host + resource type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerState {
    /// Always [`VERSION`].
    pub v: u32,
    /// Server time of the last poll, Unix milliseconds: changes after `watermark - overlap` are
    /// read again on the next poll.
    pub watermark_ms: i64,
    /// Dedupe keys `<id>@<updated timestamp>` already emitted, with their update time (Unix
    /// ms); only those inside the overlap window are kept, so the document stays small.
    pub seen: BTreeMap<String, i64>,
    /// The tenant refused the update-time sort: read every page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full_scan: bool,
}

impl TriggerState {
    /// A state at `watermark_ms` with nothing seen.
    pub fn at(watermark_ms: i64) -> Self {
        TriggerState { v: VERSION, watermark_ms, seen: BTreeMap::new(), full_scan: false }
    }

    /// Reads a stored state document. A corrupt or unknown-version document is an error: the
    /// poll fails and changes nothing, it is never taken for a first run.
    pub fn parse(bytes: &[u8]) -> Result<TriggerState> {
        let corrupt =
            |why: String| ConnectorError::InvalidResponse(format!("the stored trigger state is unreadable: {why}"));
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        match value.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(corrupt(format!("version {v} is not {VERSION}"))),
            None => return Err(corrupt("no version".into())),
        }
        serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
    }

    /// The document as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a trigger state serialises")
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
        state.seen.insert("s1@2023-11-14T22:13:20.000Z".into(), 1_700_000_000_000);
        assert_eq!(TriggerState::parse(&state.to_bytes()).unwrap(), state);
        for bad in [
            &b"{not json"[..],
            br#"{"v":2,"watermarkMs":1,"seen":{}}"#,
            br#"{"watermarkMs":1,"seen":{}}"#,
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
