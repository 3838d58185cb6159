//! The trigger's state: one small versioned JSON document per tenant host and resource type,
//! holding the watermark (server time) and the dedupe keys emitted inside the overlap window.

use crate::error::{ConnectorError, Result};
use crate::host::key_segment;
use serde_json::{json, Map, Value};

/// The state document's version; any other version is an error, never a reset.
pub const VERSION: u32 = 1;

/// The state of one trigger (tenant host + resource type), stored as `{"v": 1, "sinceMs": …,
/// "watermarkMs": …, "seen": {"<key>": <ms>, …}, "fullScan": true?, "pending": {…}?,
/// "ackedPollId": …?}`. Read and written by hand rather than through serde derives: that keeps
/// the `.wasm` small.
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
    /// A poll whose changes await `ack-poll` (input `acknowledge`). Until it is acknowledged,
    /// polls start from the fields above, so they report its changes again.
    pub pending: Option<Pending>,
    /// The last poll acknowledged, so that acknowledging it again is not an error.
    pub acked_poll_id: Option<String>,
}

/// What a pending poll advances the state to once acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The id the poll returned.
    pub poll_id: String,
    /// The watermark after it.
    pub watermark_ms: i64,
    /// The dedupe keys after it.
    pub seen: Vec<(String, i64)>,
    /// Whether it fell back to a full scan.
    pub full_scan: bool,
}

fn corrupt(why: &str) -> ConnectorError {
    ConnectorError::InvalidResponse(format!("the stored trigger state is unreadable: {why}"))
}

fn unknown_field(doc: &Map<String, Value>, known: &[&str]) -> Result<()> {
    match doc.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(corrupt(&format!("unknown field {unknown}"))),
        None => Ok(()),
    }
}

fn time(doc: &Map<String, Value>, field: &str) -> Result<i64> {
    doc.get(field).and_then(Value::as_i64).ok_or_else(|| corrupt(&format!("no {field}")))
}

fn seen_of(doc: &Map<String, Value>) -> Result<Vec<(String, i64)>> {
    let Some(Value::Object(seen)) = doc.get("seen") else { return Err(corrupt("no seen map")) };
    seen.iter()
        .map(|(key, ms)| ms.as_i64().map(|ms| (key.clone(), ms)).ok_or_else(|| corrupt("a seen entry is not a time")))
        .collect()
}

fn full_scan_of(doc: &Map<String, Value>) -> Result<bool> {
    doc.get("fullScan").map_or(Ok(false), |flag| flag.as_bool().ok_or_else(|| corrupt("fullScan is not a boolean")))
}

fn seen_json(seen: &[(String, i64)]) -> Value {
    Value::Object(seen.iter().map(|(k, ms)| (k.clone(), json!(ms))).collect())
}

impl TriggerState {
    /// The state of a first run at `watermark_ms`: nothing seen, nothing before it emitted.
    pub fn at(watermark_ms: i64) -> Self {
        TriggerState {
            v: VERSION,
            since_ms: watermark_ms,
            watermark_ms,
            seen: Vec::new(),
            full_scan: false,
            pending: None,
            acked_poll_id: None,
        }
    }

    /// Reads a stored state document. A corrupt or unknown-version document is an error: the
    /// poll fails and changes nothing, it is never taken for a first run.
    pub fn parse(bytes: &[u8]) -> Result<TriggerState> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(&e.to_string()))?;
        let Value::Object(doc) = value else { return Err(corrupt("not an object")) };
        match doc.get("v").and_then(Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(corrupt(&format!("version {v} is not {VERSION}"))),
            None => return Err(corrupt("no version")),
        }
        unknown_field(&doc, &["v", "sinceMs", "watermarkMs", "seen", "fullScan", "pending", "ackedPollId"])?;
        let pending = match doc.get("pending") {
            None => None,
            Some(Value::Object(p)) => {
                unknown_field(p, &["pollId", "watermarkMs", "seen", "fullScan"])?;
                let poll_id = p.get("pollId").and_then(Value::as_str).ok_or_else(|| corrupt("no pending pollId"))?;
                Some(Pending {
                    poll_id: poll_id.to_string(),
                    watermark_ms: time(p, "watermarkMs")?,
                    seen: seen_of(p)?,
                    full_scan: full_scan_of(p)?,
                })
            }
            Some(_) => return Err(corrupt("pending is not an object")),
        };
        let acked_poll_id = match doc.get("ackedPollId") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(corrupt("ackedPollId is not a string")),
        };
        Ok(TriggerState {
            v: VERSION,
            since_ms: time(&doc, "sinceMs")?,
            watermark_ms: time(&doc, "watermarkMs")?,
            seen: seen_of(&doc)?,
            full_scan: full_scan_of(&doc)?,
            pending,
            acked_poll_id,
        })
    }

    /// Whether this dedupe key was emitted.
    pub fn has_seen(&self, key: &str) -> bool {
        self.seen.iter().any(|(k, _)| k == key)
    }

    /// The state a poll starts from: this one, without its pending poll (which it supersedes).
    pub fn acknowledged(&self) -> TriggerState {
        TriggerState { pending: None, ..self.clone() }
    }

    /// This state advanced to its pending poll (acknowledged), if it has one.
    pub fn acknowledge(&self) -> Option<TriggerState> {
        let p = self.pending.as_ref()?;
        Some(TriggerState {
            watermark_ms: p.watermark_ms,
            seen: p.seen.clone(),
            full_scan: p.full_scan,
            pending: None,
            acked_poll_id: Some(p.poll_id.clone()),
            ..self.clone()
        })
    }

    /// `base` with `next` (a poll's outcome from it) pending under `poll_id`.
    pub fn with_pending(base: &TriggerState, next: TriggerState, poll_id: String) -> TriggerState {
        let pending = Pending { poll_id, watermark_ms: next.watermark_ms, seen: next.seen, full_scan: next.full_scan };
        TriggerState { pending: Some(pending), ..base.acknowledged() }
    }

    /// The document as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut doc = json!({"v": self.v, "sinceMs": self.since_ms, "watermarkMs": self.watermark_ms,
                             "seen": seen_json(&self.seen)});
        if self.full_scan {
            doc["fullScan"] = json!(true);
        }
        if let Some(p) = &self.pending {
            let mut pending = json!({"pollId": p.poll_id, "watermarkMs": p.watermark_ms, "seen": seen_json(&p.seen)});
            if p.full_scan {
                pending["fullScan"] = json!(true);
            }
            doc["pending"] = pending;
        }
        if let Some(id) = &self.acked_poll_id {
            doc["ackedPollId"] = json!(id);
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
        let mut next = state.clone();
        next.watermark_ms += 60_000;
        next.full_scan = true;
        next.seen.push(("s2@2023-11-14T22:14:00.000Z".into(), 1_700_000_040_000));
        let pending = TriggerState::with_pending(&state, next.clone(), "p1".into());
        assert_eq!(TriggerState::parse(&pending.to_bytes()).unwrap(), pending);
        assert_eq!(pending.acknowledged(), state, "polls start from the acknowledged fields");
        let acked = pending.acknowledge().unwrap();
        assert_eq!(acked, TriggerState { acked_poll_id: Some("p1".into()), ..next });
        assert_eq!(TriggerState::parse(&acked.to_bytes()).unwrap(), acked);
        assert_eq!(acked.acknowledge(), None, "nothing pending");
        for bad in [
            &b"{not json"[..],
            br#"{"v":2,"sinceMs":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"sinceMs":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"v":1,"watermarkMs":1,"seen":{}}"#,
            br#"{"v":1,"sinceMs":1,"watermarkMs":1,"seen":{},"extra":1}"#,
            br#"{"v":1,"sinceMs":1,"watermarkMs":1,"seen":{},"pending":{"watermarkMs":1,"seen":{}}}"#,
            br#"{"v":1,"sinceMs":1,"watermarkMs":1,"seen":{},"pending":{"pollId":"p","watermarkMs":1,"seen":{},"x":1}}"#,
            br#"{"v":1,"sinceMs":1,"watermarkMs":1,"seen":{},"ackedPollId":7}"#,
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
