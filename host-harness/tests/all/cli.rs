//! The `qlik-harness` CLI contract (DESIGN.md, "host-harness/"): the real binary run as a child
//! process, against simulated tenants — exit codes, stdout/stderr shapes, `@file` arguments,
//! `--state-dir`, `simulate`'s first line, and no secrets in any output.
//!
//! The binary is the one cargo builds for this package's integration tests
//! (`CARGO_BIN_EXE_qlik-harness`), so no nested build is needed.

#[path = "../../../tests/all/support/openapi.rs"]
mod openapi;

use env::{temp_dir, Env, SENTINEL_API_KEY};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// A simulated tenant for the CLI under test (the CLI runs the component in its own process, so
/// no harness is loaded here). Like the root tests' environment, it validates all the traffic
/// its tenant saw against Qlik's OpenAPI documents when it ends.
mod env {
    use qlik_harness::sim::{self, SimConfig, SimHandle};
    use qlik_harness::sim_client;
    use serde_json::{json, Value};
    use std::path::PathBuf;

    /// A sentinel API key: it must never appear in any output.
    pub const SENTINEL_API_KEY: &str = "SENTINEL-API-KEY-7c1e9d";

    pub struct Env {
        pub sim: SimHandle,
        /// An API-key connection to the simulator.
        pub connection: Value,
    }

    impl Env {
        pub async fn new() -> Env {
            let sim = sim::start(SimConfig { api_key: SENTINEL_API_KEY.into(), ..SimConfig::default() })
                .await
                .expect("sim starts");
            let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": sim.url()});
            Env { sim, connection }
        }

        /// `127.0.0.1:PORT` of the simulator.
        pub fn authority(&self) -> String {
            self.sim.url().trim_start_matches("http://").to_string()
        }

        /// Every request the tenant received, oldest first.
        pub async fn requests(&self) -> Vec<Value> {
            let log = sim_client::request(&self.sim.url(), "GET", "/__sim/requests", None).await.expect("control API");
            log["requests"].as_array().cloned().unwrap_or_default()
        }

        /// Requests to paths starting with `prefix`.
        pub async fn requests_to(&self, prefix: &str) -> Vec<Value> {
            self.requests()
                .await
                .into_iter()
                .filter(|r| r["path"].as_str().unwrap_or_default().starts_with(prefix))
                .collect()
        }

        /// Forgets the received requests.
        pub async fn clear_requests(&self) {
            sim_client::request(&self.sim.url(), "DELETE", "/__sim/requests", None).await.expect("control API");
        }
    }

    impl Drop for Env {
        fn drop(&mut self) {
            if std::thread::panicking() {
                return;
            }
            let url = self.sim.url();
            let log = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(sim_client::request(&url, "GET", "/__sim/requests", None))
            })
            .expect("the request log");
            super::openapi::Spec::shared().assert_conforms(log["requests"].as_array().map_or(&[][..], Vec::as_slice));
        }
    }

    /// A fresh temporary directory.
    pub fn temp_dir(name: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("qlik-cli-test-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Asserts that `haystack` does not contain `secret`.
    pub fn assert_no_secret(haystack: &str, secret: &str) {
        assert!(!haystack.contains(secret), "a secret leaked into: {haystack}");
    }
}

/// Upper bound for one CLI process (a first run may compile the component with wasmtime).
const PROCESS_TIMEOUT: Duration = Duration::from_secs(120);
/// The workspace root.
fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Path of the `qlik-harness` binary.
fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_qlik-harness"))
}

/// A command running the binary.
fn harness() -> Command {
    let mut command = Command::new(binary());
    command.env_remove("QLIK_COMPONENT").stdin(Stdio::null());
    command
}

/// Spawns `command` with piped output and waits at most `timeout` (kills it and panics after).
fn wait_output(command: &mut Command, timeout: Duration) -> Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    // Drain both pipes on threads so a large output cannot block the child.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let status = wait_until(&mut child, timeout);
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

fn wait_until(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process did not end within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the binary with `args`, bounded by [`PROCESS_TIMEOUT`].
fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    wait_output(harness().args(args), PROCESS_TIMEOUT)
}

/// [`run`] off the async runtime's worker threads (the in-process simulator needs them).
async fn run_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || run(&args)).await.expect("run")
}

/// `call <key> --connection <json> --input <json>`.
async fn call(key: &str, connection: &Value, input: Value) -> Output {
    run_async(vec![
        "call".into(),
        key.into(),
        "--connection".into(),
        connection.to_string(),
        "--input".into(),
        input.to_string(),
    ])
    .await
}

/// `call <key> --connection <json> --input <json>` followed by `extra` arguments.
async fn call_with(key: &str, connection: &Value, input: Value, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        "call".into(),
        key.into(),
        "--connection".into(),
        connection.to_string(),
        "--input".into(),
        input.to_string(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    run_async(args).await
}

/// Asserts a usage error: exit 2, a message on stderr, nothing on stdout.
fn assert_usage_error(output: &Output, what: &str) {
    assert_eq!(code(output), Some(2), "{what}: stdout {} stderr {}", stdout(output), stderr(output));
    assert!(!stderr(output).trim().is_empty(), "{what}: no message on stderr");
    assert!(output.stdout.is_empty(), "{what}: usage errors print nothing on stdout, got {}", stdout(output));
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(output)))
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Asserts exit code `expected`, showing the output when not.
fn assert_exit(output: &Output, expected: i32) {
    assert_eq!(code(output), Some(expected), "stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output));
}

/// Asserts that stderr is exactly one non-empty line, and returns it.
fn one_stderr_line(output: &Output) -> String {
    let text = stderr(output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "expected one stderr line, got: {text:?}");
    assert!(!lines[0].trim().is_empty(), "empty stderr line");
    lines[0].to_string()
}

/// A spawned `simulate` process, killed when dropped (also when an assertion fails).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn exports_lists_every_export_as_json() {
    let output = run(&["exports"]);
    assert_exit(&output, 0);
    let exports = stdout_json(&output);
    let list = exports.as_array().expect("a JSON array");
    let find =
        |key: &str| list.iter().find(|e| e["key"] == key).unwrap_or_else(|| panic!("no export {key} in {exports:#}"));
    let create = find("createSpace");
    assert_eq!(create["witName"], "create-space");
    assert_eq!(create["kind"], "action");
    assert_eq!(find("selectSpace")["kind"], "data-source");
    let inputs = find("getSpace")["inputs"].as_array().expect("inputs array").clone();
    assert!(inputs.contains(&json!("spaceId*")), "getSpace inputs: {inputs:?}");
}

#[test]
fn manifest_prints_the_committed_component_yaml() {
    let output = run(&["manifest"]);
    assert_exit(&output, 0);
    let yaml = stdout(&output);
    assert!(
        yaml.starts_with(qlik_harness::component_yaml::YAML_HEADER),
        "no generated header: {}",
        &yaml[..yaml.len().min(200)]
    );
    assert!(yaml.contains("key: createSpace"), "no createSpace in the manifest");
    let committed = workspace().join("component.yaml");
    assert!(committed.exists(), "{} is missing: generate it with `qlik-harness manifest`", committed.display());
    let committed = std::fs::read_to_string(&committed).unwrap();
    assert!(committed == yaml, "component.yaml is stale: regenerate it with `qlik-harness manifest > component.yaml`");
}

#[tokio::test(flavor = "multi_thread")]
async fn simulate_prints_url_and_key_first_and_serves_calls() {
    let mut child = harness()
        .args(["simulate", "--port", "0", "--api-key", "cli-key-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn simulate");
    let stdout = child.stdout.take().unwrap();
    let _guard = ChildGuard(child);
    // Read the first line on a thread so a silent simulator fails the test instead of hanging it.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = tokio::task::spawn_blocking(move || receive.recv_timeout(PROCESS_TIMEOUT))
        .await
        .unwrap()
        .expect("a first stdout line");
    let banner: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line is not JSON ({e}): {line:?}"));
    assert_eq!(banner["apiKey"], "cli-key-1");
    let url = banner["url"].as_str().expect("url").to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let output = call(
        "createSpace",
        &json!({"type": "apiKey", "apiKey": "cli-key-1", "tenant": url}),
        json!({"name": "Via simulate"}),
    )
    .await;
    assert_exit(&output, 0);
    assert_eq!(stdout_json(&output)["name"], "Via simulate");
    let log = qlik_harness::sim_client::request(&url, "GET", "/__sim/requests", None).await.expect("control API");
    let posts = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/api/v1/spaces")
        .count();
    assert_eq!(posts, 1, "{log:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn call_success_prints_the_result_and_reaches_the_tenant() {
    let env = Env::new().await;
    let output = call("createSpace", &env.connection, json!({"name": "CLI space"})).await;
    assert_exit(&output, 0);
    assert_eq!(stdout_json(&output)["name"], "CLI space");
    let posts: Vec<Value> =
        env.requests_to("/api/v1/spaces").await.into_iter().filter(|r| r["method"] == "POST").collect();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0]["body"]["name"], "CLI space");

    // The same through @file arguments; the WIT name works as well as the key.
    let dir = temp_dir("cli-files");
    let (connection_file, input_file) = (dir.join("connection.json"), dir.join("input.json"));
    std::fs::write(&connection_file, env.connection.to_string()).unwrap();
    std::fs::write(&input_file, json!({"name": "From files"}).to_string()).unwrap();
    let output = run_async(vec![
        "call".into(),
        "create-space".into(),
        "--connection".into(),
        format!("@{}", connection_file.display()),
        "--input".into(),
        format!("@{}", input_file.display()),
    ])
    .await;
    assert_exit(&output, 0);
    assert_eq!(stdout_json(&output)["name"], "From files");
    let posts = env.requests_to("/api/v1/spaces").await.into_iter().filter(|r| r["method"] == "POST").count();
    assert_eq!(posts, 2);

    // Files with a UTF-8 byte order mark (as Windows editors save them) are read without it.
    std::fs::write(&connection_file, format!("\u{feff}{}", env.connection)).unwrap();
    std::fs::write(&input_file, format!("\u{feff}{}", json!({"name": "With a BOM"}))).unwrap();
    let output = run_async(vec![
        "call".into(),
        "createSpace".into(),
        "--connection".into(),
        format!("@{}", connection_file.display()),
        "--input".into(),
        format!("@{}", input_file.display()),
    ])
    .await;
    assert_exit(&output, 0);
    assert_eq!(stdout_json(&output)["name"], "With a BOM");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn call_failure_prints_the_error_json_and_one_stderr_line() {
    let env = Env::new().await;
    let output = call("getSpace", &env.connection, json!({"spaceId": "000000000000000000000000"})).await;
    assert_exit(&output, 1);
    let out = stdout_json(&output);
    assert_eq!(out["error"]["kind"], "not-found", "{out:#}");
    assert_eq!(out["error"]["status"], 404, "{out:#}");
    assert_eq!(out.as_object().unwrap().len(), 1, "only `error` at the top: {out:#}");
    assert!(one_stderr_line(&output).contains("not-found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn call_with_invalid_input_fails_without_a_request() {
    let env = Env::new().await;
    let output = call("getSpace", &env.connection, json!({})).await;
    assert_exit(&output, 1);
    let out = stdout_json(&output);
    assert_eq!(out["error"]["kind"], "invalid-input", "{out:#}");
    assert_eq!(out["error"]["input"], "spaceId", "{out:#}");
    assert!(one_stderr_line(&output).contains("invalid-input"));
    let requests = env.requests().await;
    assert!(requests.is_empty(), "the tenant received {requests:#?}");
}

#[test]
fn usage_errors_exit_2() {
    let connection = r#"{"type":"apiKey","apiKey":"k","tenant":"http://127.0.0.1:9"}"#;
    let cases: [&[&str]; 13] = [
        &[],
        &["call", "getSpace", "--connection", r#"{"apiKey":"k","tenant":"http://127.0.0.1:9"}"#],
        &["call", "getSpace", "--connection", r#"{"type":5,"apiKey":"k","tenant":"http://127.0.0.1:9"}"#],
        &["call", "getSpace", "--connection", r#"{"type":null,"apiKey":"k","tenant":"http://127.0.0.1:9"}"#],
        &["call", "getSpace", "--connection", r#"{"type":"apikey","apiKey":"k","tenant":"http://127.0.0.1:9"}"#],
        &["call", "getSpace", "--input", "{}"],
        &["exports", "--no-such-flag"],
        &["call", "getSpace", "--connection", connection, "--bogus", "1"],
        &["call", "getSpace", "--connection", "{not json"],
        &["call", "getSpace", "--connection", connection, "--input", "[]"],
        &["call", "getSpace", "--connection", "@/nonexistent/connection.json"],
        &["call", "getSpace", "--connection", r#"{"type":"ldap"}"#],
        &["call", "noSuchExport", "--connection", connection],
    ];
    for args in cases {
        let output = run(args);
        assert_eq!(code(&output), Some(2), "args {args:?}: stderr {}", stderr(&output));
        assert!(!output.stderr.is_empty(), "args {args:?}: no usage message");
        assert!(output.stdout.is_empty(), "args {args:?}: usage errors print nothing on stdout");
    }
}

#[test]
fn missing_component_says_how_to_build_it() {
    for args in
        [&["--component", "/nonexistent/x.wasm", "exports"][..], &["exports", "--component", "/nonexistent/x.wasm"][..]]
    {
        let output = run(args);
        assert_exit(&output, 1);
        assert!(output.stdout.is_empty(), "a harness failure prints nothing on stdout: {}", stdout(&output));
        let line = one_stderr_line(&output);
        assert!(line.contains("cargo build"), "{line}");
        assert!(line.contains("/nonexistent/x.wasm"), "{line}");
    }
}

#[test]
fn a_state_dir_that_is_a_file_is_a_harness_failure() {
    let dir = temp_dir("state-file");
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": "http://127.0.0.1:9"}).to_string();
    let output = run(&["call", "listSpaces", "--connection", &connection, "--state-dir", &file.display().to_string()]);
    assert_exit(&output, 1);
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    assert!(one_stderr_line(&output).contains("not-a-dir"), "{}", stderr(&output));
    assert_no_secret_in(&output, SENTINEL_API_KEY);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn state_dir_keeps_the_oauth_token_between_processes() {
    let env = Env::new().await;
    let connection = json!({
        "type": "oauth2",
        "grantType": "client_credentials",
        "tokenUrl": format!("{}/oauth/token", env.sim.url()),
        "clientId": env.sim.client_id(),
        "clientSecret": env.sim.client_secret(),
    });
    // A state dir the harness creates itself (and its parent).
    let root = temp_dir("cli-state");
    let state = root.join("nested").join("state");
    for _ in 0..2 {
        let args = vec![
            "call".into(),
            "listSpaces".into(),
            "--connection".into(),
            connection.to_string(),
            "--state-dir".into(),
            state.display().to_string(),
        ];
        let output = run_async(args).await;
        assert_exit(&output, 0);
        assert_no_secret_in(&output, env.sim.client_secret());
    }
    let tokens = env.requests_to("/oauth/token").await.into_iter().filter(|r| r["method"] == "POST").count();
    assert_eq!(tokens, 1, "one token for two processes");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 2);

    let mut files = 0;
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files += 1;
            env::assert_no_secret(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()), env.sim.client_secret());
        }
    }
    assert!(files > 0, "nothing was stored in {}", state.display());
    // Bearer tokens live there: the directory and its files are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700, "{}", state.display());
        for entry in std::fs::read_dir(&state).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
    std::fs::remove_dir_all(root).unwrap();
}

fn assert_no_secret_in(output: &Output, secret: &str) {
    env::assert_no_secret(&String::from_utf8_lossy(&output.stdout), secret);
    env::assert_no_secret(&String::from_utf8_lossy(&output.stderr), secret);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_output_contains_the_api_key() {
    let env = Env::new().await;
    assert_eq!(env.connection["apiKey"], SENTINEL_API_KEY);
    let failing = call("getSpace", &env.connection, json!({"spaceId": "no-such-space"})).await;
    assert_exit(&failing, 1);
    assert_eq!(stdout_json(&failing)["error"]["status"], 404);
    let succeeding = call("createSpace", &env.connection, json!({"name": "Secretless"})).await;
    assert_exit(&succeeding, 0);
    for output in [&failing, &succeeding] {
        assert_no_secret_in(output, SENTINEL_API_KEY);
    }
}

#[test]
fn demo_walks_through_a_flow_against_its_own_tenant() {
    let output = run(&["demo"]);
    assert_exit(&output, 0);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("created space"), "{text}");
    assert!(text.contains("error → conflict: 409"), "{text}");
    assert!(text.contains("fetchAll read 13 spaces; truncated = false"), "{text}");
    // The invalid input is refused without a request; the lines after it say so.
    let invalid = text.split("> getSpace {\"spaceId\":\"no/such\"}").nth(1).expect("the invalid-input step");
    assert!(invalid.trim_start().starts_with("(0 requests to the tenant)"), "{invalid}");
    assert!(text.contains("error → not-found: 404"), "{text}");
    assert!(text.contains("ended \"SUCCEEDED\"") && text.contains("(timed out: false)"), "{text}");
    assert!(text.contains("error → conflict: 429"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn route_to_accepts_host_port_and_the_simulators_url() {
    let env = Env::new().await;
    let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": "acme.eu.qlikcloud.com"});
    let authority = env.authority();
    for route in [
        authority.clone(),
        format!("http://{authority}"),
        format!("http://{authority}/"),
        format!("HTTP://{authority}"),
    ] {
        env.clear_requests().await;
        let output = call_with("listSpaces", &connection, json!({"limit": 1}), &["--route-to", &route]).await;
        assert_exit(&output, 0);
        let requests = env.requests().await;
        assert_eq!(requests.len(), 1, "{route}: {requests:#?}");
        assert_eq!(requests[0]["headers"]["host"], "acme.eu.qlikcloud.com", "{route}");
        assert_eq!(requests[0]["headers"]["x-forwarded-proto"], "https", "{route}");
        assert_no_secret_in(&output, SENTINEL_API_KEY);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_route_to_is_a_usage_error_and_sends_nothing() {
    let env = Env::new().await;
    let authority = env.authority();
    // The tenant is the simulator itself: a route that were ignored would reach it directly.
    for route in [
        format!("http://{authority}/x"),
        format!("{authority}/x"),
        format!("https://{authority}"),
        format!("ftp://{authority}"),
        "127.0.0.1".to_string(),
        "http://127.0.0.1".to_string(),
        "bad host:80".to_string(),
        format!("user@{authority}"),
        String::new(),
    ] {
        let output = call_with("listSpaces", &env.connection, json!({}), &["--route-to", &route]).await;
        assert_usage_error(&output, &route);
        assert!(stderr(&output).contains("--route-to"), "{route}: {}", stderr(&output));
        assert_no_secret_in(&output, SENTINEL_API_KEY);
    }
    let requests = env.requests().await;
    assert!(requests.is_empty(), "the tenant received {requests:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connections_own_tenant_host_is_allowed_in_every_form() {
    let env = Env::new().await;
    let route = env.authority();
    for (tenant, host) in [
        ("HTTPS://analytics.example.com", "analytics.example.com"),
        ("Https://Analytics.Example.com/hub", "analytics.example.com"),
        ("analytics.example.com.", "analytics.example.com"),
        ("https://analytics.example.com./", "analytics.example.com"),
        ("https://[2001:db8::1]", "[2001:db8::1]"),
        ("https://[2001:DB8::1]:8443/hub", "[2001:db8::1]:8443"),
    ] {
        env.clear_requests().await;
        let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": tenant});
        let output = call_with("listSpaces", &connection, json!({"limit": 1}), &["--route-to", &route]).await;
        assert_exit(&output, 0);
        let requests = env.requests().await;
        assert_eq!(requests.len(), 1, "{tenant}: {requests:#?}");
        assert_eq!(requests[0]["headers"]["host"], host, "{tenant}");
    }
    // The token URL's host counts too: a client-credentials connection that names only it.
    env.clear_requests().await;
    let connection = json!({
        "type": "oauth2",
        "grantType": "client_credentials",
        "tokenUrl": "HTTPS://Login.Example.com/oauth/token",
        "clientId": env.sim.client_id(),
        "clientSecret": env.sim.client_secret(),
    });
    let output = call_with("listSpaces", &connection, json!({"limit": 1}), &["--route-to", &route]).await;
    assert_exit(&output, 0);
    assert_no_secret_in(&output, env.sim.client_secret());
    let hosts: Vec<Value> = env.requests().await.iter().map(|r| r["headers"]["host"].clone()).collect();
    assert_eq!(hosts, vec![json!("login.example.com"), json!("login.example.com")], "the token request, then the list");
}

#[test]
fn usage_errors_never_repeat_a_value_that_may_hold_a_secret() {
    let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": "acme"}).to_string();
    let glued = format!("--api-key={SENTINEL_API_KEY}");
    let cases: Vec<Vec<&str>> = vec![
        // --connection forgotten: the JSON is an unexpected positional argument.
        vec!["call", "listSpaces", &connection],
        // The JSON (or the bare key) given to the wrong flag.
        vec!["call", "listSpaces", "--connection", &connection, "--first-byte-timeout-ms", &connection],
        vec!["call", "listSpaces", "--connection", &connection, "--first-byte-timeout-ms", SENTINEL_API_KEY],
        vec!["call", "listSpaces", "--connection", &connection, "--route-to", SENTINEL_API_KEY],
        vec!["simulate", "--port", SENTINEL_API_KEY],
        // In the place of the command, or glued to an unknown flag.
        vec![&connection],
        vec!["call", "listSpaces", "--connection", &connection, "--api-key", SENTINEL_API_KEY],
        vec!["call", "listSpaces", &glued],
        vec!["call", "listSpaces", "--connection", &connection, "--input", "{}", "--input", SENTINEL_API_KEY],
        // clap's own messages (a missing argument) show placeholders, not values.
        vec!["call", SENTINEL_API_KEY, "--input", &connection],
    ];
    for args in cases {
        let output = run(&args);
        assert_usage_error(&output, &format!("{args:?}"));
        assert_no_secret_in(&output, SENTINEL_API_KEY);
    }
    // A key in the place of the export name is not repeated either.
    let output = run(&["call", SENTINEL_API_KEY, "--connection", &connection]);
    assert_usage_error(&output, "a key as the export name");
    assert_no_secret_in(&output, SENTINEL_API_KEY);
    // What the messages still say.
    let output = run(&["call", "createSpce", "--connection", &connection]);
    assert_usage_error(&output, "a typo in the export name");
    assert!(stderr(&output).contains("did you mean `createSpace`?"), "{}", stderr(&output));
    let output = run(&["call", "listSpaces", "--connection", &connection, "--first-byte-timeout-ms", &connection]);
    assert!(stderr(&output).contains("--first-byte-timeout-ms"), "{}", stderr(&output));
    let output = run(&["call", "listSpaces", "--conection", &connection]);
    assert!(
        stderr(&output).contains("'--conection'") && stderr(&output).contains("did you mean '--connection'"),
        "{}",
        stderr(&output)
    );
    assert_no_secret_in(&output, SENTINEL_API_KEY);
}

#[test]
fn help_and_version_print_on_stdout_and_exit_0() {
    for args in [&["--help"][..], &["call", "--help"][..], &["--version"][..], &["help", "call"][..]] {
        let output = run(args);
        assert_exit(&output, 0);
        assert!(!output.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    assert!(stdout(&run(&["call", "--help"])).contains("--route-to <HOST:PORT>"));
    assert!(stdout(&run(&["--version"])).starts_with("qlik-harness "));
}

/// `call pollChangesTrigger --state-dir DIR`, as a scheduled host would run it.
async fn poll_in(connection: Value, state: std::path::PathBuf) -> Value {
    let args = vec![
        "call".into(),
        "pollChangesTrigger".into(),
        "--connection".into(),
        connection.to_string(),
        "--input".into(),
        json!({"pollResourceType": "spaces"}).to_string(),
        "--state-dir".into(),
        state.display().to_string(),
    ];
    let output = run_async(args).await;
    assert_exit(&output, 0);
    env::assert_no_secret(&stdout(&output), env::SENTINEL_API_KEY);
    stdout_json(&output)
}

fn change_keys(result: &Value) -> Vec<String> {
    ["created", "updated"]
        .iter()
        .flat_map(|kind| result[*kind].as_array().cloned().unwrap_or_default())
        .map(|c| c["dedupeKey"].as_str().unwrap().to_string())
        .collect()
}

async fn seed_spaces(env: &Env, count: usize) -> Vec<String> {
    use qlik_harness::sim_client;
    let url = env.sim.url();
    sim_client::request(&url, "POST", "/__sim/clock", Some(&json!({"advanceSeconds": 2}))).await.unwrap();
    let seeded = sim_client::request(&url, "POST", "/__sim/seed", Some(&json!({"resource": "spaces", "count": count})))
        .await
        .unwrap();
    seeded["created"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_polls_in_separate_processes_share_the_state_dir_and_concurrent_ones_never_corrupt_it() {
    let env = Env::new().await;
    let state = temp_dir("cli-trigger");
    // Scheduled one after another: first run, then each change once, then nothing.
    assert_eq!(poll_in(env.connection.clone(), state.clone()).await["polledNoChanges"], true);
    let created = seed_spaces(&env, 3).await;
    let second = poll_in(env.connection.clone(), state.clone()).await;
    let mut ids: Vec<String> = change_keys(&second).iter().map(|k| k.split('@').next().unwrap().to_string()).collect();
    ids.sort();
    let mut want = created.clone();
    want.sort();
    assert_eq!(ids, want, "{second}");
    assert_eq!(poll_in(env.connection.clone(), state.clone()).await["polledNoChanges"], true, "nothing repeated");

    // Overlapping polls (a host that fires again before the last poll ended): the store's lock
    // keeps the state whole, and no change is lost; the overlapping polls may both report one.
    let mut emitted: Vec<String> = Vec::new();
    let mut expected: Vec<String> = Vec::new();
    for _ in 0..4 {
        expected.extend(seed_spaces(&env, 2).await);
        let polls: Vec<_> = (0..3).map(|_| poll_in(env.connection.clone(), state.clone())).collect();
        for result in futures_join(polls).await {
            emitted.extend(change_keys(&result));
        }
    }
    let last = poll_in(env.connection.clone(), state.clone()).await;
    emitted.extend(change_keys(&last));
    for id in &expected {
        assert!(emitted.iter().any(|k| k.starts_with(&format!("{id}@"))), "{id} lost: {emitted:?}");
    }
    let file = std::fs::read(state.join("default.kv.json")).unwrap();
    let _: Value = serde_json::from_slice(&file).expect("the bucket file is whole JSON");
    assert_eq!(poll_in(env.connection.clone(), state.clone()).await["polledNoChanges"], true, "the state still works");
    std::fs::remove_dir_all(state).unwrap();
}

/// Awaits every future, concurrently.
async fn futures_join<F: std::future::Future<Output = Value> + Send + 'static>(futures: Vec<F>) -> Vec<Value> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_precompiled_component_runs_like_the_wasm_and_a_foreign_file_is_refused() {
    let env = Env::new().await;
    let dir = temp_dir("cli-precompile");
    let cwasm = dir.join("qlik_connector.cwasm");
    let output = run(&["precompile", "--out", &cwasm.display().to_string()]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).trim(), cwasm.display().to_string());
    let component = cwasm.display().to_string();
    assert_eq!(
        stdout_json(&run(&["--component", &component, "exports"])),
        stdout_json(&run(&["exports"])),
        "the same exports"
    );
    let args: Vec<String> = ["--component", &component, "call", "listSpaces", "--connection"]
        .iter()
        .map(|s| s.to_string())
        .chain([env.connection.to_string()])
        .collect();
    let listed = run_async(args).await;
    assert_exit(&listed, 0);
    assert!(stdout_json(&listed)["data"].is_array(), "{}", stdout(&listed));
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 1);

    // Not a precompiled component of this harness: refused, naming the file.
    let foreign = dir.join("foreign.cwasm");
    std::fs::write(&foreign, b"\0asm not really").unwrap();
    let refused = run(&["--component", &foreign.display().to_string(), "exports"]);
    assert_exit(&refused, 1);
    assert!(stderr(&refused).contains("foreign.cwasm"), "{}", stderr(&refused));
    std::fs::remove_dir_all(dir).unwrap();
}
