//! The JSON API of `qlik-harness studio` (the real binary as a child process): it binds loopback
//! only and answers only its own page, a Run answers what `qlik-harness call` answers for the
//! same input, a secret entered never comes back in any response (a sentinel API key and client
//! secret), an invalid input sends nothing, and without `--connection` it starts a seeded
//! simulated tenant of its own.

use crate::child::{spawn, Spawned};
use qlik_harness::sim::{self, SimConfig, SimHandle};
use qlik_harness::sim_client::{self, RawResponse};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const SENTINEL_API_KEY: &str = "SENTINEL-STUDIO-API-KEY-41d7";
const SENTINEL_CLIENT_SECRET: &str = "SENTINEL-STUDIO-SECRET-c09e";

/// A running `qlik-harness studio`, stopped when dropped. Every response body read through it
/// is kept, and with its stderr checked for the sentinels.
struct Studio {
    child: Child,
    url: String,
    first_line: Value,
    stderr: Arc<Mutex<Vec<u8>>>,
    bodies: Mutex<Vec<String>>,
}

impl Studio {
    fn start(args: &[&str]) -> Studio {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qlik-harness"));
        command.env_remove("QLIK_COMPONENT").args(["studio", "--port", "0"]).args(args);
        let Spawned { child, first_line, stderr } = spawn(command, "qlik-harness studio");
        let url = first_line["url"].as_str().unwrap().trim_end_matches('/').to_string();
        Studio { child, url, first_line, stderr, bodies: Mutex::default() }
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RawResponse {
        let response =
            sim_client::exchange(&self.url, method, path, headers, body.as_bytes()).await.unwrap().expect("an answer");
        self.bodies.lock().unwrap().push(response.text());
        response
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.send("GET", path, &[], "").await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        serde_json::from_slice(&response.body).unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.send("POST", path, &[("Content-Type", "application/json")], &body.to_string()).await;
        (response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null))
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        for secret in [SENTINEL_API_KEY, SENTINEL_CLIENT_SECRET] {
            assert!(!stderr.contains(secret), "a secret in the studio's stderr: {stderr}");
            for body in self.bodies.lock().unwrap().iter() {
                assert!(!body.contains(secret), "a secret in a studio response: {body}");
            }
        }
    }
}

async fn tenant() -> (SimHandle, Value) {
    let sim = sim::start(SimConfig { api_key: SENTINEL_API_KEY.into(), ..SimConfig::default() }).await.unwrap();
    let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": sim.url()});
    (sim, connection)
}

fn without_trace_id(outcome: &Value) -> Value {
    let mut outcome = outcome.clone();
    if let Some(error) = outcome.get_mut("error").and_then(Value::as_object_mut) {
        error.remove("traceId");
    }
    outcome
}

async fn log_length(sim: &SimHandle) -> usize {
    let log = sim_client::request(&sim.url(), "GET", "/__sim/requests", None).await.unwrap();
    log["requests"].as_array().unwrap().len()
}

/// What `qlik-harness call KEY` prints for this input: `Ok(result)` (exit 0) or `Err(error)`
/// (exit 1, `{"error": ...}`).
async fn call(key: &str, connection: &Value, input: &Value, state_dir: &str) -> Result<Value, Value> {
    let args: Vec<String> = ["call", key, "--connection", &connection.to_string(), "--input", &input.to_string()]
        .into_iter()
        .map(str::to_string)
        .chain(["--state-dir".to_string(), state_dir.to_string()])
        .collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_qlik-harness"))
            .env_remove("QLIK_COMPONENT")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let printed: Value = serde_json::from_slice(&output.stdout).expect("call prints JSON");
    match output.status.code() {
        Some(0) => Ok(printed),
        Some(1) => Err(printed["error"].clone()),
        other => panic!("{key}: call exited {other:?}"),
    }
}

/// The answer's head to `GET /api/manifest` with this `Host` header alone.
async fn raw_get(base: &str, host: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    let request = format!("GET /api/manifest HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_studio_binds_loopback_only_and_answers_only_its_own_page() {
    let (_sim, connection) = tenant().await;
    let studio = Studio::start(&["--connection", &connection.to_string()]);
    assert!(studio.url.starts_with("http://127.0.0.1:"), "{}", studio.url);
    assert_eq!(studio.first_line.get("tenant"), None, "no simulated tenant with --connection");
    let port: u16 = studio.url.rsplit(':').next().unwrap().parse().unwrap();

    // Every non-loopback address of this machine (if it has one) refuses the port.
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    if probe.connect("192.0.2.1:9").is_ok() {
        let address = probe.local_addr().unwrap().ip();
        if !address.is_loopback() && !address.is_unspecified() {
            assert!(std::net::TcpStream::connect((address, port)).is_err(), "the studio answered on {address}");
        }
    }

    let page = studio.send("GET", "/", &[], "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.header("content-security-policy").is_some_and(|csp| csp.contains("default-src 'self'")));
    for asset in ["/app.js", "/dom.js", "/group.js", "/controls.js", "/json-view.js", "/app.css", "/favicon.svg"] {
        assert_eq!(studio.send("GET", asset, &[], "").await.status, 200, "{asset}");
    }
    let manifest = studio.get("/api/manifest").await;
    assert_eq!(manifest["actions"].as_array().unwrap().len(), 37);

    // Another site's page (an Origin of its own, or a name that resolves to loopback) is refused.
    let foreign = [("Origin", "http://attacker.example"), ("Content-Type", "application/json")];
    let body = json!({"key": "createSpace", "input": {"name": "x"}}).to_string();
    assert_eq!(studio.send("POST", "/api/run", &foreign, &body).await.status, 403);
    assert!(raw_get(&studio.url, "attacker.example").await.starts_with("HTTP/1.1 403"));
    assert!(raw_get(&studio.url, &format!("localhost:{port}")).await.starts_with("HTTP/1.1 200"));
    assert_eq!(studio.send("GET", "/api/nothing", &[], "").await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_answers_what_call_answers() {
    let (sim, connection) = tenant().await;
    let seeded =
        sim_client::request(&sim.url(), "POST", "/__sim/seed", Some(&json!({"resource": "spaces", "count": 4})))
            .await
            .unwrap();
    let space = seeded["created"][0].clone();
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap().to_string();
    let studio = Studio::start(&["--connection", &connection.to_string(), "--state-dir", &state_dir]);
    let cases = [
        ("getSpace", json!({"spaceId": space})),
        ("listSpaces", json!({"limit": 2, "sort": "name"})),
        ("selectSpace", json!({})),
        ("getSpace", json!({"spaceId": "no-such-space"})),
        ("listSpaces", json!({"limit": 1000})),
        ("getSpace", json!({})),
    ];
    for (key, input) in cases {
        let route = if key.starts_with("select") { "/api/data-source" } else { "/api/run" };
        let (status, answer) = studio.post(route, json!({"key": key, "input": input})).await;
        assert_eq!(status, 200, "{answer}");
        let expected = match call(key, &connection, &input, &state_dir).await {
            Ok(result) => json!({"ok": result}),
            Err(error) => json!({"error": error}),
        };
        // Each request has its own trace id.
        assert_eq!(without_trace_id(&answer["outcome"]), without_trace_id(&expected), "{key} {input}");
        assert!(answer["callMs"].as_f64().is_some_and(|ms| ms > 0.0), "{answer}");
        // The tenant is a simulator on loopback: the run's requests are shown.
        assert!(answer["requests"].is_array(), "{answer}");
    }
    // The trigger, through the same storage as `call --state-dir`: the studio's first run, then
    // call's poll, agree on the state. The tenant's clock moves on first: a first run reports
    // changes from its own second on, and the spaces seeded above may share that second.
    sim_client::request(&sim.url(), "POST", "/__sim/clock", Some(&json!({"advanceSeconds": 2}))).await.unwrap();
    let trigger = json!({"key": "pollChangesTrigger", "input": {"pollResourceType": "spaces"}});
    let (_, first) = studio.post("/api/run", trigger.clone()).await;
    assert_eq!(first["outcome"]["ok"]["polledNoChanges"], true, "{first}");
    let state_docs = first["state"].as_array().unwrap();
    assert_eq!(state_docs.len(), 1, "{first}");
    assert_eq!(state_docs[0]["resourceType"], "spaces");
    assert_eq!(state_docs[0]["tenant"], sim.url());
    assert!(state_docs[0]["document"]["sinceMs"].is_number(), "{first}");
    let by_call = call("pollChangesTrigger", &connection, &trigger["input"], &state_dir).await.unwrap();
    assert_eq!(by_call["polledNoChanges"], true, "{by_call}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_input_sends_nothing() {
    let (sim, connection) = tenant().await;
    let studio = Studio::start(&["--connection", &connection.to_string()]);
    let before = log_length(&sim).await;
    let (status, answer) = studio.post("/api/run", json!({"key": "listSpaces", "input": {"limit": 1000}})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["outcome"]["error"]["kind"], "invalid-input");
    assert_eq!(answer["outcome"]["error"]["input"], "limit");
    assert_eq!(answer["requests"], json!([]));
    assert_eq!(log_length(&sim).await, before, "nothing reached the tenant");
    // The studio's own refusals send nothing either.
    for body in [json!({"key": "noSuchExport"}), json!({"key": "getSpace", "input": "text"}), json!([1])] {
        let (status, _) = studio.post("/api/run", body).await;
        assert_eq!(status, 400);
    }
    let (status, _) = studio.post("/api/data-source", json!({"key": "getSpace", "input": {}})).await;
    assert_eq!(status, 400, "a data-source route calls data sources only");
    assert_eq!(log_length(&sim).await, before);
    // The tenant's log read from a mark on (`?after=`, as the studio reads it around a Run).
    studio.post("/api/run", json!({"key": "listSpaces", "input": {}})).await;
    let after = sim_client::request(&sim.url(), "GET", &format!("/__sim/requests?after={before}"), None).await.unwrap();
    let seqs: Vec<&Value> = after["requests"].as_array().unwrap().iter().map(|r| &r["seq"]).collect();
    assert_eq!(seqs, [&json!(before + 1)], "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_come_back() {
    let (sim, connection) = tenant().await;
    let studio = Studio::start(&["--connection", &connection.to_string()]);
    let view = studio.get("/api/connection").await;
    assert_eq!(view["fields"], json!({"type": "apiKey", "tenant": sim.url()}));
    assert_eq!(view["secretsSet"], json!(["apiKey"]));
    assert_eq!(view["simulated"], false);
    let argument = view["cli"]["connection"].as_str().unwrap();
    assert!(argument.contains(r#""apiKey":"'"$QLIK_API_KEY"'""#), "{argument}");
    assert_eq!(view["cli"]["variables"], json!([{"name": "QLIK_API_KEY", "input": "apiKey", "value": null}]));

    // A run works with the stored key; the page never holds it.
    let (_, created) = studio.post("/api/run", json!({"key": "createSpace", "input": {"name": "Sentinel"}})).await;
    assert_eq!(created["outcome"]["ok"]["name"], "Sentinel", "{created}");
    assert_eq!(created["requests"].as_array().map(Vec::len), Some(1), "{created}");

    // The page sends the form back with the secret left empty: the stored one is kept.
    let entered = json!({"connection": {"type": "apiKey", "apiKey": "", "tenant": sim.url()}});
    let (status, kept) = studio.post("/api/connection", entered).await;
    assert_eq!((status, &kept["secretsSet"]), (200, &json!(["apiKey"])));
    let (_, listed) = studio.post("/api/run", json!({"key": "listSpaces", "input": {}})).await;
    assert!(listed["outcome"]["ok"].is_object(), "{listed}");

    // OAuth client credentials with a sentinel secret: redacted too, and a tenant that refuses it
    // gives a typed error that does not repeat it.
    let oauth = json!({"connection": {"type": "oauth2", "grantType": "client_credentials",
        "tokenUrl": format!("{}/oauth/token", sim.url()), "clientId": "someone", "clientSecret": SENTINEL_CLIENT_SECRET}});
    let (status, view) = studio.post("/api/connection", oauth).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["secretsSet"], json!(["clientSecret"]));
    let (_, refused) = studio.post("/api/run", json!({"key": "listSpaces", "input": {}})).await;
    assert_eq!(refused["outcome"]["error"]["kind"], "unauthorized", "{refused}");
    studio.get("/api/trigger-state").await;
    studio.get("/api/connection").await;
    // A connection the component cannot take is refused without repeating what was typed.
    let (status, bad) = studio.post("/api/connection", json!({"connection": {"type": SENTINEL_API_KEY}})).await;
    assert_eq!(status, 400, "{bad}");
    let (status, _) = studio.post("/api/connection", json!({"simulated": true})).await;
    assert_eq!(status, 400, "no simulated tenant with --connection");
    // Drop checks every body and stderr for the sentinels.
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_connection_it_starts_a_seeded_simulated_tenant() {
    let studio = Studio::start(&[]);
    let tenant = studio.first_line["tenant"].as_str().expect("the simulated tenant's URL").to_string();
    assert!(tenant.starts_with("http://127.0.0.1:"), "{tenant}");
    let view = studio.get("/api/connection").await;
    assert_eq!((&view["simulated"], &view["fields"]["tenant"]), (&json!(true), &json!(tenant)));
    assert_eq!(view["simulatorAvailable"], true);
    for (source, at_least) in [("selectSpace", 8), ("selectUser", 10), ("selectApp", 6), ("selectDataFile", 8)] {
        let (_, answer) = studio.post("/api/data-source", json!({"key": source, "input": {}})).await;
        let items = answer["outcome"]["ok"].as_array().unwrap_or_else(|| panic!("{source}: {answer}"));
        assert!(items.len() >= at_least, "{source}: {answer}");
    }
    let (_, created) = studio.post("/api/run", json!({"key": "createSpace", "input": {"name": "Studio"}})).await;
    let requests = created["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{created}");
    assert_eq!(
        (&requests[0]["method"], &requests[0]["path"], &requests[0]["status"]),
        (&json!("POST"), &json!("/api/v1/spaces"), &json!(201))
    );
}
