//! Reports and rawRequest through the real component against the simulated tenant, asserting
//! what the tenant received.

use crate::support::env;

use base64::Engine as _;
use env::{assert_no_secret, assert_qlik_error, Env, SENTINEL_API_KEY};
use serde_json::{json, Value};
use std::time::Duration;

const REPORT: &str = r#"{"type":"sense-sheet-1.0","output":{"type":"pdf","outputId":"sheet1"},"senseSheetTemplate":{"appId":"a1","sheet":{"id":"s1"}}}"#;

fn statuses(requests: &[Value]) -> Vec<u64> {
    requests.iter().map(|r| r["response"]["status"].as_u64().unwrap()).collect()
}

async fn seed_report(env: &Env, record: Value) {
    env.control("POST", "/__sim/seed", Some(json!({"resource": "reports", "records": [record]}))).await;
}

async fn freeze(env: &Env) {
    env.control("POST", "/__sim/clock", Some(json!({"freeze": true}))).await;
}

// ------------------------------------------------------------------------------------ reports

#[tokio::test(flavor = "multi_thread")]
async fn create_report_posts_the_json_as_given_and_reads_the_location() {
    let env = Env::new().await;
    let out = env.ok("createReport", json!({"reportInput": REPORT})).await;
    let requests = env.requests_to("/api/v1/reports").await;
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["path"], "/api/v1/reports");
    assert_eq!(sent["body"], serde_json::from_str::<Value>(REPORT).unwrap());
    assert_eq!(sent["headers"]["content-type"], "application/json");
    assert_eq!(sent["response"]["status"], 202);
    let id = out["requestId"].as_str().unwrap();
    assert_eq!(out["reportId"], id);
    assert_eq!(out["statusLocation"], format!("{}/api/v1/reports/{id}/status", env.sim.url()));
    assert_eq!(out["statusLocation"], sent["response"]["headers"]["location"]);
    assert_eq!(out["message"], "Report request has been accepted and is being processed.");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_report_errors_are_typed_and_bad_inputs_send_nothing() {
    let env = Env::new().await;
    for bad in [json!([1]), json!({"type": "sense-sheet-1.0"}), json!("{\"output\": {}}"), json!("{not json")] {
        let error = env.err("createReport", json!({"reportInput": bad})).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("reportInput")));
    }
    assert!(env.requests().await.is_empty());
    let no_output_id = json!({"type": "sense-sheet-1.0", "output": {"type": "pdf", "outputId": ""}});
    let error = env.err("createReport", json!({"reportInput": no_output_id})).await;
    assert_qlik_error(&error, "api", 400);
    assert_eq!(error["code"], "REP-400000");
    env.fault(json!({"method": "POST", "path": "/api/v1/reports", "status": 409})).await;
    let error = env.err("createReport", json!({"reportInput": REPORT})).await;
    assert_qlik_error(&error, "conflict", 409);
    assert_eq!(error["code"], "REP-409000");
}

#[tokio::test(flavor = "multi_thread")]
async fn report_status_without_waiting_is_one_read() {
    let env = Env::new().await;
    freeze(&env).await;
    seed_report(&env, json!({"id": "r1", "processingSeconds": 600})).await;
    let out = env.ok("getReportRequestStatus", json!({"reportId": "r1"})).await;
    assert_eq!(out, json!({"status": "queued", "statusLocation": "/reports/r1/status", "resolutionAttempts": 0}));
    let requests = env.requests_to("/api/v1/reports").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0]["method"].as_str(), requests[0]["path"].as_str()),
        (Some("GET"), Some("/api/v1/reports/r1/status"))
    );
    let error = env.err("getReportRequestStatus", json!({"reportId": "missing"})).await;
    assert_qlik_error(&error, "not-found", 404);
    assert_eq!(error["code"], "REP-404000");
    for (input, named) in [
        (json!({"reportId": "a/b"}), "reportId"),
        (json!({"reportId": ".."}), "reportId"),
        (json!({"reportId": "r1", "maxWaitSeconds": 301}), "maxWaitSeconds"),
        (json!({"reportId": "r1", "waitForCompletion": "soon"}), "waitForCompletion"),
    ] {
        let error = env.err("getReportRequestStatus", input).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some(named)));
    }
    assert_eq!(env.requests_to("/api/v1/reports").await.len(), 2, "bad inputs sent nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_polls_until_the_report_is_done() {
    let env = Env::new().await;
    freeze(&env).await;
    seed_report(&env, json!({"id": "r1", "queuedSeconds": 0, "processingSeconds": 600})).await;
    let input = json!({"reportId": "r1", "waitForCompletion": true, "maxWaitSeconds": 30});
    let (out, ()) = tokio::join!(env.ok("getReportRequestStatus", input), async {
        // Once the first poll saw "processing", the report finishes on the tenant's clock.
        while env.requests_to("/api/v1/reports/r1").await.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 600}))).await;
    });
    assert_eq!(out["status"], "done");
    assert_eq!(out["results"][0]["outputId"], "output1");
    assert!(out.get("timedOut").is_none());
    let requests = env.requests_to("/api/v1/reports/r1/status").await;
    assert!(requests.len() >= 2, "{requests:#?}");
    assert_eq!(requests[0]["response"]["body"]["status"], "processing");
    assert!(requests.iter().all(|r| r["method"] == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_ends_at_a_failed_report() {
    let env = Env::new().await;
    seed_report(&env, json!({"id": "r2", "outcome": "failed", "queuedSeconds": 0.3, "processingSeconds": 0})).await;
    let out = env.ok("getReportRequestStatus", json!({"reportId": "r2", "waitForCompletion": "true"})).await;
    assert_eq!(out["status"], "failed");
    assert_eq!(out["reasons"][0]["exportErrors"][0]["code"], "REP-500000");
    let requests = env.requests_to("/api/v1/reports/r2/status").await;
    assert_eq!(requests[0]["response"]["body"]["status"], "queued");
    assert_eq!(requests.last().unwrap()["response"]["body"]["status"], "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_past_max_wait_returns_the_last_status_with_timed_out() {
    let env = Env::new().await;
    freeze(&env).await;
    seed_report(&env, json!({"id": "r3", "queuedSeconds": 0, "processingSeconds": 600})).await;
    let out = env
        .ok("getReportRequestStatus", json!({"reportId": "r3", "waitForCompletion": true, "maxWaitSeconds": 2}))
        .await;
    assert_eq!(out["status"], "processing");
    assert_eq!(out["timedOut"], true);
    assert!(env.requests_to("/api/v1/reports/r3/status").await.len() >= 2, "it polled again before giving up");
}

// -------------------------------------------------------------------------------- rawRequest

#[tokio::test(flavor = "multi_thread")]
async fn raw_get_returns_status_headers_and_json() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 2).await;
    let out = env.ok("rawRequest", json!({"url": format!("spaces/{}", ids[0]), "method": "GET"})).await;
    assert_eq!(out["status"], 200);
    assert_eq!(out["data"]["id"], ids[0].as_str());
    assert_eq!(out["headers"]["content-type"], "application/json");
    let out = env
        .ok(
            "rawRequest",
            json!({"url": format!("{}/api/v1/spaces", env.sim.url()), "method": "GET", "queryParams": "limit=1"}),
        )
        .await;
    assert_eq!(out["data"]["data"].as_array().unwrap().len(), 1);
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(requests[0]["path"], format!("/api/v1/spaces/{}", ids[0]));
    assert_eq!(requests[1]["query"], "limit=1");
    assert_eq!(requests[1]["headers"]["accept"], "application/json");
    let error = env.err("rawRequest", json!({"url": "/spaces/nope", "method": "GET"})).await;
    assert_qlik_error(&error, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_urls_off_the_tenant_are_refused_with_nothing_sent() {
    let env = Env::new().await;
    let port = env.sim.url().rsplit(':').next().unwrap().to_string();
    for url in [
        "https://evil.example.com/api/v1/spaces".to_string(),
        "//evil.example.com/api/v1/spaces".to_string(),
        "\\\\evil.example.com/x".to_string(),
        format!("ftp://127.0.0.1:{port}/api/v1/spaces"),
        format!("https://127.0.0.1:{port}/api/v1/spaces"),
        "http://127.0.0.1:1/api/v1/spaces".to_string(),
        "javascript:alert(1)".to_string(),
    ] {
        let error = env.err("rawRequest", json!({"url": url, "method": "GET"})).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("url")), "{url}");
    }
    assert!(env.requests().await.is_empty());
    assert!(env.harness.outbound_log().is_empty(), "{:?}", env.harness.outbound_log());
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_headers_cannot_replace_auth_and_forbidden_ones_are_refused() {
    let env = Env::new().await;
    for header in [
        "Connection: close",
        "Host: evil.example.com",
        "Transfer-Encoding: chunked",
        "content-length: 5",
        "TE: trailers",
        "Upgrade: h2c",
        "Keep-Alive: 5",
        "Bad Name: x",
    ] {
        let error = env.err("rawRequest", json!({"url": "/spaces", "method": "GET", "headers": header})).await;
        assert_eq!(
            (error["kind"].as_str(), error["input"].as_str()),
            (Some("invalid-input"), Some("headers")),
            "{header}"
        );
    }
    assert!(env.requests().await.is_empty());
    let headers = json!([
        {"key": "Authorization", "value": "Bearer stolen-or-wrong"},
        {"key": "Content-Type", "value": "text/xml"},
        {"key": "X-Flow", "value": "nightly"},
        {"key": "Accept", "value": "application/vnd.qlik+json"},
    ]);
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET", "headers": headers})).await;
    assert_eq!(out["status"], 200, "the connection's key was used, not the user's");
    let requests = env.requests().await;
    let sent = &requests[0]["headers"];
    assert_eq!(sent["authorization"], "Bearer ***");
    assert_eq!(sent["x-flow"], "nightly");
    assert_eq!(sent["accept"], "application/vnd.qlik+json");
    assert!(sent.get("content-type").is_none(), "no body, no content type: {sent}");
    assert_no_secret(&out.to_string(), SENTINEL_API_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_429_waits_for_retry_after() {
    let env = Env::new().await;
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "status": 429, "retryAfter": "1"})).await;
    let started = std::time::Instant::now();
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET", "maxRetries": 1})).await;
    assert_eq!(out["status"], 200);
    assert!(started.elapsed() >= Duration::from_millis(950), "retried before Retry-After");
    assert_eq!(statuses(&env.requests().await), [429, 200]);
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "status": 429, "retryAfter": "7"})).await;
    let error = env.err("rawRequest", json!({"url": "/spaces", "method": "GET"})).await;
    assert_eq!(error["kind"], "rate-limited");
    assert_eq!(error["retryAfterSeconds"], 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_retries_server_errors_with_exponential_backoff_up_to_max_retries() {
    let env = Env::new().await;
    env.fault(json!({"method": "POST", "path": "/api/v1/spaces", "status": 503, "count": 2})).await;
    let input = json!({"url": "/spaces", "method": "POST", "data": {"name": "Retried", "type": "shared"}, "maxRetries": 2, "useExponentialBackoff": true});
    let out = env.ok("rawRequest", input).await;
    assert_eq!(out["status"], 201);
    assert_eq!(statuses(&env.requests().await), [503, 503, 201]);
    assert_eq!(env.control("GET", "/__sim/faults", None).await["faults"], json!([]));
    env.clear_requests().await;
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "status": 500, "count": 5})).await;
    let error =
        env.err("rawRequest", json!({"url": "/spaces", "method": "GET", "maxRetries": 1, "retryDelayMS": 10})).await;
    assert_qlik_error(&error, "api", 500);
    assert_eq!(statuses(&env.requests().await), [500, 500], "maxRetries bounds the attempts");
    env.control("DELETE", "/__sim/faults", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_binary_answers_round_trip_byte_for_byte() {
    let env = Env::new().await;
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "rawBodyBase64": encoded, "contentType": "image/png"}))
        .await;
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET", "responseType": "binary"})).await;
    assert_eq!(out["status"], 200);
    assert_eq!(out["data"]["contentType"], "image/png");
    let got = base64::engine::general_purpose::STANDARD.decode(out["data"]["base64"].as_str().unwrap()).unwrap();
    assert_eq!(got, bytes);
    assert_eq!(env.requests().await[0]["headers"]["accept"], "*/*");
    env.fault(
        json!({"method": "GET", "path": "/api/v1/spaces", "rawBody": "plain words", "contentType": "text/plain"}),
    )
    .await;
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET", "responseType": "text"})).await;
    assert_eq!(out["data"], "plain words");
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_redirects_are_followed_on_the_tenant_only() {
    let env = Env::new().await;
    env.fault(
        json!({"method": "GET", "path": "/api/v1/spaces", "status": 302, "location": "https://evil.example.com/steal"}),
    )
    .await;
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET"})).await;
    assert_eq!(out["status"], 302);
    assert_eq!(out["headers"]["location"], "https://evil.example.com/steal");
    assert_eq!(env.requests().await.len(), 1);
    assert!(env.harness.outbound_log().iter().all(|entry| !format!("{entry:?}").contains("evil")));
    env.clear_requests().await;
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "status": 302, "location": "/api/v1/spaces?limit=1"}))
        .await;
    let out = env.ok("rawRequest", json!({"url": "/spaces", "method": "GET"})).await;
    assert_eq!(out["status"], 200);
    let requests = env.requests().await;
    assert_eq!(statuses(&requests), [302, 200]);
    assert_eq!(requests[1]["query"], "limit=1");
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_bodies_arrive_as_json_text_or_multipart() {
    let env = Env::new().await;
    let out = env
        .ok(
            "rawRequest",
            json!({"url": "/spaces", "method": "POST", "data": "{\"name\": \"Raw\", \"type\": \"shared\"}"}),
        )
        .await;
    assert_eq!(out["status"], 201);
    assert_eq!(out["data"]["name"], "Raw");
    let error = env.err("rawRequest", json!({"url": "/reports", "method": "POST", "data": "just words"})).await;
    assert_qlik_error(&error, "api", 400);
    assert_eq!(error["code"], "REP-400000");
    env.fault(json!({"method": "POST", "path": "/api/v1/data-files", "status": 201, "rawBody": "{\"id\":\"f1\"}"}))
        .await;
    let input = json!({
        "url": "/data-files", "method": "POST",
        "formData": {"Json": "{\"name\":\"sales.csv\"}"},
        "fileData": {"File": "a,b\n1,2\n", "Logo": "{\"base64\": \"aGk=\", \"contentType\": \"text/csv\"}"},
        "fileDataFileNames": {"File": "sales.csv"},
    });
    let out = env.ok("rawRequest", input).await;
    assert_eq!(out["data"], json!({"id": "f1"}));
    let requests = env.requests().await;
    assert_eq!(requests[0]["headers"]["content-type"], "application/json");
    assert_eq!(requests[0]["body"], json!({"name": "Raw", "type": "shared"}));
    assert_eq!(requests[1]["headers"]["content-type"], "text/plain; charset=utf-8");
    assert_eq!(requests[1]["body"], "just words");
    let multipart = &requests[2];
    let content_type = multipart["headers"]["content-type"].as_str().unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary=qlik-connector-"), "{content_type}");
    // The simulator parses the form (with multer) and logs each part.
    let sha = |bytes: &[u8]| -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    };
    let part = |name: &str, filename: Value, content_type: Value, bytes: &[u8]| json!({"name": name, "filename": filename, "contentType": content_type, "size": bytes.len(), "sha256": sha(bytes)});
    let parts = &multipart["body"]["parts"];
    for (index, want) in [
        part("Json", Value::Null, Value::Null, br#"{"name":"sales.csv"}"#),
        part("File", json!("sales.csv"), json!("application/octet-stream"), b"a,b\n1,2\n"),
        part("Logo", json!("Logo"), json!("text/csv"), b"hi"),
    ]
    .into_iter()
    .enumerate()
    {
        for key in ["name", "filename", "contentType", "size", "sha256"] {
            assert_eq!(parts[index][key], want[key], "part {index} {key}: {parts}");
        }
    }
    for (input, named) in [
        (json!({"url": "/spaces", "method": "POST", "data": "x", "formData": "a=b"}), "data"),
        (
            json!({"url": "/spaces", "method": "POST", "fileData": "f=x", "fileDataFileNames": "g=y.csv"}),
            "fileDataFileNames",
        ),
        (json!({"url": "/spaces", "method": "POST", "fileData": "f={\"base64\": \"***\"}"}), "fileData"),
        (json!({"url": "/spaces", "method": "TRACE"}), "method"),
        (json!({"url": "/spaces", "method": "GET", "responseType": "document"}), "responseType"),
        (json!({"url": "/spaces", "method": "GET", "maxRetries": 11}), "maxRetries"),
    ] {
        let error = env.err("rawRequest", input.clone()).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some(named)), "{input}");
    }
    assert_eq!(env.requests().await.len(), 3, "bad inputs sent nothing");
}
