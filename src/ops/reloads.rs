//! Reloads (connector.md §9): start a reload and optionally wait for it, and cancel one.

use super::request::fill_path;
use super::waiting::{until_final, Wait};
use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::inputs::Inputs;
use crate::retry::RetryPolicy;
use serde_json::{json, Value};
use std::time::Duration;

/// The cancel action's path.
pub const CANCEL_PATH: &str = "/reloads/{reloadId}/actions/cancel";

/// Statuses after which a reload does not change.
pub const FINAL: &[&str] = &["SUCCEEDED", "FAILED", "CANCELED", "EXCEEDED_LIMIT"];

/// The longest wait between status reads.
const LONGEST_WAIT: Duration = Duration::from_secs(15);

/// Most script variables a reload takes, and the longest name or value (reloads.json).
pub const MAX_VARIABLES: usize = 20;
/// See [`MAX_VARIABLES`].
pub const MAX_VARIABLE_CHARS: usize = 256;

/// POST /reloads `{appId, partial, variables}`; with `waitForCompletion`, re-reads the reload
/// (1 s growing to 15 s) until a final status or `maxWaitSeconds`, and adds `timedOut`. A final
/// `FAILED` is an output, not an error: the flow branches on `status`.
///
/// A 429 without `Retry-After` is reloads.json's "a pending reload request already exists for
/// this app": `conflict`, not retried. A 429 with `Retry-After` is the rate limit and stays
/// `rate-limited` (POST /reloads is never retried: a retried POST could start two reloads).
pub fn reload(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let mut body = json!({"appId": inputs.get("appId"), "partial": inputs.flag("partial")});
    let variables = inputs.pairs("variables");
    if !variables.is_empty() {
        body["variables"] = Value::Object(variables.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
    }
    // The token, if one is needed, is fetched with the usual retries; only the POST has none.
    client.authorize()?;
    let standard = client.policy;
    client.policy = RetryPolicy { max_retries: 0, ..standard };
    let started = client.send_json(Method::Post, &client.api_url("/reloads"), Some(&body));
    client.policy = standard;
    let (_, reload) = started.map_err(|e| match e {
        ConnectorError::RateLimited { retry_after_seconds: None, error } => ConnectorError::Conflict(error),
        other => other,
    })?;
    if !inputs.flag("waitForCompletion") {
        return Ok(reload);
    }
    let id = reload.get("id").and_then(Value::as_str).filter(|id| !id.is_empty() && !id.contains('/'));
    let id = id.ok_or_else(|| ConnectorError::InvalidResponse("the new reload has no usable id".into()))?;
    let url = client.api_url(&format!("/reloads/{}", crate::uri::encode_segment(id)));
    let max_wait = Duration::from_secs(inputs.int("maxWaitSeconds").unwrap_or(300).max(1) as u64);
    let (mut last, timed_out) =
        until_final(client, &url, &Wait { final_statuses: FINAL, longest: LONGEST_WAIT, max_wait })?;
    if let Value::Object(map) = &mut last {
        map.insert("timedOut".into(), Value::Bool(timed_out));
    }
    Ok(last)
}

/// POST /reloads/{reloadId}/actions/cancel: `{"canceled": true, "id", "status": 202|204}` (202:
/// being canceled, 204: canceled). A reload that is not cancellable is Qlik's 409: `conflict`.
pub fn cancel(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let url = client.api_url(&fill_path(CANCEL_PATH, inputs));
    let response = client.send(Method::Post, &url, None)?;
    Ok(json!({"canceled": true, "id": inputs.get("reloadId"), "status": response.status}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{resolve, Connection, Secret};
    use crate::fake_host::FakeHost;

    fn run(host: &mut FakeHost, inputs: &[(&'static str, Value)]) -> Result<Value> {
        let resolved =
            resolve(&Connection::ApiKey { api_key: Secret("KEY-123456".into()), tenant: "http://127.0.0.1:9".into() })
                .unwrap();
        let mut client = Client::new(host, resolved);
        reload(&mut client, &Inputs::from_pairs(inputs))
    }

    const PENDING: &str = r#"{"errors":[{"code":"RELOADS-013","title":"A pending reload request already exists"}]}"#;

    #[test]
    fn a_pending_reload_is_a_conflict_and_a_rate_limit_stays_one_and_neither_is_retried() {
        for (headers, kind) in [(&[][..], "conflict"), (&[("retry-after", "7")][..], "rate-limited")] {
            let mut host = FakeHost::at(1_700_000_000);
            host.answer(429, headers, PENDING).answer(201, &[], r#"{"id":"r1","status":"QUEUED"}"#);
            let error = run(&mut host, &[("appId", json!("a1"))]).unwrap_err();
            assert_eq!(error.kind(), kind, "{error:?}");
            assert_eq!(host.sent.len(), 1, "{kind}: not retried");
        }
    }

    #[test]
    fn the_token_request_before_the_post_keeps_its_retries() {
        use crate::connection::{GrantType, OAuth2Connection};
        let connection = Connection::OAuth2(OAuth2Connection {
            grant_type: GrantType::ClientCredentials,
            tenant: None,
            authorize_url: None,
            token_url: "http://127.0.0.1:9/oauth/token".into(),
            scopes: None,
            client_id: "cid".into(),
            client_secret: Secret("SENTINEL-SECRET".into()),
            access_token: None,
        });
        let mut host = FakeHost::at(1_000);
        host.answer(503, &[], "")
            .answer(200, &[], r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600}"#)
            .answer(201, &[], r#"{"id":"r1","status":"QUEUED"}"#);
        let mut client = Client::new(&mut host, resolve(&connection).unwrap());
        let out = reload(&mut client, &Inputs::from_pairs(&[("appId", json!("a1"))])).unwrap();
        assert_eq!(out["status"], "QUEUED");
        assert_eq!(host.sent.len(), 3, "the token request was retried once, then the POST");
    }

    #[test]
    fn waiting_reads_the_reload_until_a_final_status_and_says_whether_time_ran_out() {
        let mut host = FakeHost::at(1_700_000_000);
        host.answer(201, &[], r#"{"id":"r1","status":"QUEUED"}"#)
            .answer(200, &[], r#"{"id":"r1","status":"RELOADING"}"#)
            .answer(200, &[], r#"{"id":"r1","status":"FAILED","errorCode":"EngineConnectionError"}"#);
        let out = run(&mut host, &[("appId", json!("a1")), ("waitForCompletion", json!(true))]).unwrap();
        assert_eq!(
            out,
            json!({"id": "r1", "status": "FAILED", "errorCode": "EngineConnectionError", "timedOut": false})
        );
        assert_eq!(host.slept, [Duration::from_secs(1)]);
        assert!(host.sent[1..].iter().all(|r| r.url == "http://127.0.0.1:9/api/v1/reloads/r1"));

        let mut host = FakeHost::at(1_700_000_000);
        host.answer(201, &[], r#"{"id":"r1","status":"QUEUED"}"#);
        for _ in 0..40 {
            host.answer(200, &[], r#"{"id":"r1","status":"RELOADING"}"#);
        }
        let inputs = [("appId", json!("a1")), ("waitForCompletion", json!(true)), ("maxWaitSeconds", json!(100))];
        let out = run(&mut host, &inputs).unwrap();
        assert_eq!(out["timedOut"], true);
        let ms: Vec<u128> = host.slept.iter().map(Duration::as_millis).collect();
        assert_eq!(ms.iter().sum::<u128>(), 100_000, "{ms:?}");
        assert!(ms.iter().all(|w| *w <= 15_000) && ms.contains(&15_000), "waits grow to 15 s: {ms:?}");
    }
}
