//! getReportRequestStatus: one status read, or polling until the report ends or the wait is up.

use super::waiting::{until_final, Wait};
use crate::client::Client;
use crate::error::Result;
use crate::host::Method;
use crate::inputs::Inputs;
use serde_json::Value;
use std::time::Duration;

/// The longest wait between polls.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// A report request's status (its id is checked against this template too).
pub const STATUS_PATH: &str = "/reports/{reportId}/status";

/// Statuses after which a report does not change.
const FINAL: &[&str] = &["done", "failed", "aborted"];

/// POST /reports with the JSON as given; the output is Qlik's body plus `reportId` and
/// `statusLocation`, read from the `Location` header (`.../reports/{id}/status`).
pub fn create(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let url = client.api_url("/reports");
    let (response, body) = client.send_json(Method::Post, &url, inputs.get("reportInput"))?;
    let location = response.header("location").map(str::to_string);
    let path = location.as_deref().map(|l| l.split(['?', '#']).next().unwrap_or_default().trim_end_matches('/'));
    let id = path.map(|p| p.strip_suffix("/status").unwrap_or(p)).and_then(|p| p.rsplit('/').next());
    let mut out = match body {
        Value::Object(map) => map,
        _ => Default::default(),
    };
    out.insert("reportId".into(), id.filter(|id| !id.is_empty()).map_or(Value::Null, |id| Value::String(id.into())));
    out.insert("statusLocation".into(), location.map_or(Value::Null, Value::String));
    Ok(Value::Object(out))
}

/// GET /reports/{reportId}/status; with `waitForCompletion`, re-polls (1 s, ×1.5 per poll, at
/// most 10 s apart) until a final status or `maxWaitSeconds` on the host's clock, when the last
/// status comes back with `timedOut: true`.
pub fn status(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let url = client.api_url(&super::request::fill_path(STATUS_PATH, inputs));
    if !inputs.flag("waitForCompletion") {
        return client.send_json(Method::Get, &url, None).map(|(_, body)| body);
    }
    let max_wait = Duration::from_secs(inputs.int("maxWaitSeconds").unwrap_or(60).max(1) as u64);
    let wait = Wait { final_statuses: FINAL, longest: LONGEST_WAIT, max_wait };
    let (mut body, timed_out) = until_final(client, &url, &wait)?;
    if let (Value::Object(map), true) = (&mut body, timed_out) {
        map.insert("timedOut".into(), Value::Bool(true));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{resolve, Connection, Secret};
    use crate::fake_host::FakeHost;
    use crate::inputs::Inputs;
    use serde_json::json;

    fn inputs(max_wait: i64) -> Inputs {
        Inputs::from_pairs(&[
            ("reportId", json!("r1")),
            ("waitForCompletion", json!(true)),
            ("maxWaitSeconds", json!(max_wait)),
        ])
    }

    fn run(host: &mut FakeHost, inputs: &Inputs) -> Value {
        let resolved =
            resolve(&Connection::ApiKey { api_key: Secret("KEY-123456".into()), tenant: "http://127.0.0.1:9".into() })
                .unwrap();
        let mut client = Client::new(host, resolved);
        status(&mut client, inputs).unwrap()
    }

    #[test]
    fn waits_grow_by_half_capped_at_ten_seconds_and_never_pass_the_limit() {
        let mut host = FakeHost::at(1_700_000_000);
        for _ in 0..12 {
            host.answer(200, &[], r#"{"status":"processing"}"#);
        }
        let out = run(&mut host, &inputs(40));
        assert_eq!(out, json!({"status": "processing", "timedOut": true}));
        let ms: Vec<u128> = host.slept.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [1000, 1500, 2250, 3375, 5062, 7593, 10000, 9220]);
        assert_eq!(ms.iter().sum::<u128>(), 40_000);
        assert_eq!(host.sent.len(), 9, "a last poll at the limit");
    }

    #[test]
    fn stops_at_a_final_status() {
        let mut host = FakeHost::at(1_700_000_000);
        host.answer(200, &[], r#"{"status":"queued"}"#).answer(200, &[], r#"{"status":"failed","reasons":[]}"#);
        let out = run(&mut host, &inputs(60));
        assert_eq!(out, json!({"status": "failed", "reasons": []}));
        assert_eq!(host.slept, [super::super::waiting::FIRST_WAIT]);
        assert!(host.sent.iter().all(|r| r.url == "http://127.0.0.1:9/api/v1/reports/r1/status"));
    }
}
