//! The HTTP contract of `qlik-harness serve` (the composed `qlik_connector_http.wasm`, the real
//! binary as a child process) against a simulated tenant: every route kind, the status of every
//! error kind, the shared secret, bad bodies, unknown keys and wrong methods (nothing reaches the
//! tenant for those: checked in `/__sim/requests`), and for every manifest export an empty input
//! answering exactly what `qlik-harness call` answers.

use crate::child::{spawn, Spawned};
use qlik_harness::sim::{self, SimConfig, SimHandle};
use qlik_harness::sim_client::{self, RawResponse};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const SENTINEL_API_KEY: &str = "SENTINEL-API-KEY-5e0c2a";
const SENTINEL_TOKEN: &str = "SENTINEL-SERVE-TOKEN-93b1";

/// A running `qlik-harness serve`, stopped when dropped; its stderr is kept to check for secrets.
struct Served {
    child: Child,
    url: String,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Served {
    fn start(token: Option<&str>, extra: &[&str]) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qlik-harness"));
        command.env_remove("QLIK_COMPONENT").env_remove("QLIK_HTTP_COMPONENT").env_remove("QLIK_CONNECTOR_TOKEN");
        if let Some(token) = token {
            command.env("QLIK_CONNECTOR_TOKEN", token);
        }
        command.args(["serve", "--port", "0"]).args(extra);
        let Spawned { child, first_line: line, stderr } = spawn(command, "qlik-harness serve");
        Served { child, url: line["url"].as_str().unwrap().to_string(), stderr }
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
        sim_client::exchange(&self.url, method, path, headers, body.as_bytes()).await.unwrap().expect("an answer")
    }

    /// POSTs `{"connection": connection, "input": input}`; the status and the JSON body.
    async fn post(&self, path: &str, connection: &Value, input: Value) -> (u16, Value) {
        let response =
            self.send("POST", path, &[], &json!({"connection": connection, "input": input}).to_string()).await;
        (response.status, json_body(&response))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        for secret in [SENTINEL_API_KEY, SENTINEL_TOKEN] {
            assert!(!stderr.contains(secret), "a secret in serve's stderr: {stderr}");
        }
    }
}

fn json_body(response: &RawResponse) -> Value {
    assert_eq!(response.header("content-type"), Some("application/json"), "{response:?}");
    serde_json::from_slice(&response.body).unwrap_or_else(|_| panic!("not JSON: {}", response.text()))
}

async fn tenant() -> (SimHandle, Value) {
    let sim = sim::start(SimConfig { api_key: SENTINEL_API_KEY.into(), ..SimConfig::default() }).await.unwrap();
    let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": sim.url()});
    (sim, connection)
}

async fn control(sim: &SimHandle, method: &str, path: &str, body: Option<Value>) -> Value {
    sim_client::request(&sim.url(), method, path, body.as_ref()).await.unwrap()
}

/// What the tenant received (method and path), oldest first.
async fn received(sim: &SimHandle) -> Vec<String> {
    let log = control(sim, "GET", "/__sim/requests", None).await;
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["method"], r["path"]).replace('"', ""))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_kind_answers_through_serve() {
    let (sim, connection) = tenant().await;
    let served = Served::start(None, &[]);
    let manifest = json_body(&served.send("GET", "/v1/manifest", &[], "").await);
    assert_eq!(manifest["result"]["actions"].as_array().unwrap().len(), 37, "the connector's manifest");

    let (status, created) = served.post("/v1/actions/createSpace", &connection, json!({"name": "Finance"})).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["result"]["name"], "Finance");
    let log = control(&sim, "GET", "/__sim/requests", None).await;
    let create = &log["requests"][0];
    assert_eq!((&create["method"], &create["path"]), (&json!("POST"), &json!("/api/v1/spaces")));
    assert_eq!(create["body"]["name"], "Finance", "{create}");

    let (status, picked) = served.post("/v1/data-sources/selectSpace", &connection, json!({})).await;
    assert_eq!((status, &picked["result"]), (200, &json!([{"key": created["result"]["id"], "label": "Finance"}])));

    // The trigger's state lives in the server's keyvalue store, shared by the per-request instances.
    let input = json!({"pollResourceType": "spaces", "acknowledge": true});
    let trigger = "/v1/triggers/pollChangesTrigger";
    let (status, first) = served.post(trigger, &connection, input.clone()).await;
    assert_eq!(
        (status, &first["result"]["polledNoChanges"], &first["result"]["pollId"]),
        (200, &json!(true), &Value::Null)
    );
    control(&sim, "POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let seeded = control(&sim, "POST", "/__sim/seed", Some(json!({"resource": "spaces", "count": 2}))).await;
    let (status, delivered) = served.post(trigger, &connection, input.clone()).await;
    assert_eq!(status, 200, "{delivered}");
    let ids: Vec<&Value> =
        delivered["result"]["created"].as_array().unwrap().iter().map(|c| &c["record"]["id"]).collect();
    for id in seeded["created"].as_array().unwrap() {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let poll_id = delivered["result"]["pollId"].as_str().expect("a poll id").to_string();
    let ack = |poll_id: &str| json!({"connection": connection, "input": input, "pollId": poll_id}).to_string();
    let wrong = served.send("POST", "/v1/triggers/pollChangesTrigger/ack", &[], &ack("no-such-poll")).await;
    let wrong_body = json_body(&wrong);
    assert_eq!((wrong.status, &wrong_body["error"]["kind"]), (400, &json!("invalid-input")), "{wrong_body}");
    assert_eq!(wrong_body["error"]["input"], "pollId");
    let acked = served.send("POST", "/v1/triggers/pollChangesTrigger/ack", &[], &ack(&poll_id)).await;
    assert_eq!((acked.status, json_body(&acked)), (200, json!({"result": null})));
    let (status, after) = served.post(trigger, &connection, input.clone()).await;
    assert_eq!((status, &after["result"]["polledNoChanges"]), (200, &json!(true)), "acknowledged: {after}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_kind_has_its_status() {
    let (sim, connection) = tenant().await;
    let served = Served::start(None, &["--first-byte-timeout-ms", "500"]);
    let spaces = "/api/v1/spaces";
    // (fault on the tenant, status, kind); the input error and the 401 need no fault.
    let cases = [
        (None, 400, "invalid-input"),
        (Some(json!({"path": spaces, "status": 401})), 401, "unauthorized"),
        (Some(json!({"path": spaces, "status": 403})), 403, "forbidden"),
        (Some(json!({"path": spaces, "status": 404})), 404, "not-found"),
        (Some(json!({"path": spaces, "status": 409})), 409, "conflict"),
        (Some(json!({"path": spaces, "status": 429, "retryAfter": "3600"})), 429, "rate-limited"),
        (Some(json!({"path": spaces, "status": 500, "count": 10})), 502, "api"),
        (Some(json!({"path": spaces, "delayMs": 5000})), 504, "timeout"),
        (Some(json!({"path": spaces, "drop": true, "count": 10})), 502, "transport"),
        (Some(json!({"path": spaces, "body": "malformed"})), 502, "invalid-response"),
    ];
    for (fault, status, kind) in cases {
        control(&sim, "DELETE", "/__sim/faults", None).await;
        let input = match fault {
            Some(fault) => {
                control(&sim, "POST", "/__sim/faults", Some(fault)).await;
                json!({})
            }
            None => json!({"limit": "many"}),
        };
        let response = served
            .send("POST", "/v1/actions/listSpaces", &[], &json!({"connection": connection, "input": input}).to_string())
            .await;
        let body = json_body(&response);
        assert_eq!((response.status, &body["error"]["kind"]), (status, &json!(kind)), "{kind}: {body}");
        let retry_after = response.header("retry-after");
        assert_eq!(retry_after, (kind == "rate-limited").then_some("3600"), "{kind}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shared_secret_is_asked_for_and_nothing_is_called_without_it() {
    let (sim, connection) = tenant().await;
    let served = Served::start(Some(SENTINEL_TOKEN), &[]);
    let body = json!({"connection": connection, "input": {}}).to_string();
    let wrong = format!("Bearer {SENTINEL_TOKEN}x");
    for headers in [vec![], vec![("Authorization", wrong.as_str())], vec![("Authorization", SENTINEL_TOKEN)]] {
        for (method, path) in [("POST", "/v1/actions/listSpaces"), ("GET", "/v1/manifest"), ("GET", "/nowhere")] {
            let response = served.send(method, path, &headers, &body).await;
            let answer = json_body(&response);
            assert_eq!(
                (response.status, &answer["error"]["kind"]),
                (401, &json!("missing-token")),
                "{path} {headers:?}"
            );
            assert_eq!(response.header("www-authenticate"), Some("Bearer"));
            assert!(!response.text().contains(SENTINEL_TOKEN));
        }
    }
    assert_eq!(received(&sim).await, Vec::<String>::new(), "nothing reached the tenant");
    let right = format!("Bearer {SENTINEL_TOKEN}");
    let response = served.send("POST", "/v1/actions/listSpaces", &[("Authorization", &right)], &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(received(&sim).await, ["GET /api/v1/spaces"]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_unknown_keys_and_wrong_methods_are_json_errors_and_send_nothing() {
    let (sim, connection) = tenant().await;
    let served = Served::start(None, &[]);
    let good = json!({"connection": connection}).to_string();
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("POST", "/v1/actions/listSpaces", "".into(), 400, "bad-request"),
        ("POST", "/v1/actions/listSpaces", "{\"connection\":".into(), 400, "bad-request"),
        ("POST", "/v1/actions/listSpaces", json!({"input": {}}).to_string(), 400, "bad-request"),
        (
            "POST",
            "/v1/actions/listSpaces",
            json!({"connection": connection, "input": [1]}).to_string(),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/actions/listSpaces",
            json!({"connection": {"apiKey": SENTINEL_API_KEY}}).to_string(),
            400,
            "bad-request",
        ),
        (
            "POST",
            "/v1/actions/listSpaces",
            json!({"connection": connection, "inputs": {}}).to_string(),
            400,
            "bad-request",
        ),
        ("POST", "/v1/actions/noSuchAction", good.clone(), 404, "no-such-export"),
        ("POST", "/v1/data-sources/listSpaces", good.clone(), 404, "no-such-export"),
        ("POST", "/v1/triggers/selectSpace/ack", good.clone(), 404, "no-such-export"),
        ("POST", "/v1/spaces/listSpaces", good.clone(), 404, "no-such-route"),
        ("POST", "/", good.clone(), 404, "no-such-route"),
        ("GET", "/v1/actions/listSpaces", good.clone(), 405, "method-not-allowed"),
        ("PUT", "/v1/triggers/pollChangesTrigger", good.clone(), 405, "method-not-allowed"),
        ("POST", "/v1/manifest", good.clone(), 405, "method-not-allowed"),
        ("POST", "/v1/triggers/pollChangesTrigger/ack", good.clone(), 400, "bad-request"),
    ];
    for (method, path, body, status, kind) in cases {
        let response = served.send(method, path, &[], &body).await;
        let answer = json_body(&response);
        assert_eq!((response.status, &answer["error"]["kind"]), (status, &json!(kind)), "{method} {path} {body}");
        assert!(!response.text().contains(SENTINEL_API_KEY), "{}", response.text());
        if status == 405 {
            assert!(response.header("allow").is_some(), "{path}");
        }
    }
    assert_eq!(received(&sim).await, Vec::<String>::new(), "nothing reached the tenant");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_input_answers_what_call_answers_for_every_export() {
    let (sim, connection) = tenant().await;
    control(&sim, "POST", "/__sim/seed", Some(json!({"resource": "spaces", "count": 3}))).await;
    let served = Served::start(None, &[]);
    let manifest = json_body(&served.send("GET", "/v1/manifest", &[], "").await)["result"].clone();
    let mut checked = 0;
    for (group, route) in [("actions", "actions"), ("dataSources", "data-sources"), ("triggers", "triggers")] {
        for entry in manifest[group].as_array().unwrap() {
            let key = entry["key"].as_str().unwrap();
            let (status, answer) = served.post(&format!("/v1/{route}/{key}"), &connection, json!({})).await;
            let connection_text = connection.to_string();
            let call = tokio::task::spawn_blocking({
                let key = key.to_string();
                move || {
                    Command::new(env!("CARGO_BIN_EXE_qlik-harness"))
                        .env_remove("QLIK_COMPONENT")
                        .args(["call", &key, "--connection", &connection_text, "--input", "{}"])
                        .stdin(Stdio::null())
                        .output()
                        .unwrap()
                }
            })
            .await
            .unwrap();
            let printed: Value = serde_json::from_slice(&call.stdout).expect("call prints JSON");
            match call.status.code() {
                Some(0) => assert_eq!((status, &answer), (200, &json!({ "result": printed })), "{key}"),
                Some(1) => {
                    assert_eq!(answer, printed, "{key}");
                    assert!(status >= 400, "{key}: {status}");
                }
                other => panic!("{key}: call exited {other:?}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 37 + 7 + 1, "every export");
    sim.shutdown().await;
}

#[test]
fn the_composed_component_imports_only_standard_wasi_and_exports_the_handler() {
    use qlik_harness::wasmtime::component::types::ComponentItem;
    use qlik_harness::wasmtime::component::Component;
    use qlik_harness::wasmtime::{Config, Engine};
    let path = qlik_harness::serve::http_component_path(None).unwrap();
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_file(&engine, &path).unwrap();
    let ty = component.component_type();
    let mut imports = Vec::new();
    for (name, item) in ty.imports(&engine) {
        if name == "qlik:connector/types@0.1.0" {
            // The connector's own type-only interface (records and variants, no functions):
            // a host supplies nothing for it, as for the connector alone.
            let ComponentItem::ComponentInstance(instance) = item.ty else { panic!("{name} is not an instance") };
            let items: Vec<ComponentItem> = instance.exports(&engine).map(|(_, item)| item.ty).collect();
            assert!(items.iter().all(|item| matches!(item, ComponentItem::Type(_))), "{name} holds only types");
            continue;
        }
        imports.push(name.to_string());
    }
    assert!(imports.iter().all(|name| name.starts_with("wasi:")), "{imports:?}");
    for needed in ["wasi:keyvalue/store@", "wasi:http/outgoing-handler@", "wasi:cli/environment@"] {
        assert!(imports.iter().any(|name| name.starts_with(needed)), "{needed}: {imports:?}");
    }
    let exports: Vec<String> = ty.exports(&engine).map(|(name, _)| name.to_string()).collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert!(exports[0].starts_with("wasi:http/incoming-handler@0.2."), "{exports:?}");
}
