//! The simulated tenant's reports, over raw HTTP.

use qlik_harness::sim::{start, SimConfig, SimHandle};
use qlik_harness::sim_client::{exchange, request, RawResponse};
use serde_json::{json, Value};

async fn api(sim: &SimHandle, method: &str, target: &str, body: Option<Value>) -> RawResponse {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let auth = format!("Bearer {}", sim.api_key());
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    exchange(&sim.url(), method, target, &headers, &bytes).await.expect("connect").expect("an answer")
}

fn json_of(r: &RawResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

async fn control(sim: &SimHandle, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    request(&sim.url(), method, path, Some(&body)).await
}

const REPORT: &str = r#"{"type":"sense-sheet-1.0","output":{"type":"pdf","outputId":"sheet1"},"senseSheetTemplate":{"appId":"a1","sheet":{"id":"s1"}}}"#;

#[tokio::test]
async fn a_report_is_accepted_then_queued_processing_and_done_by_the_clock() {
    let sim = start(SimConfig::default()).await.unwrap();
    control(&sim, "POST", "/__sim/clock", json!({"freeze": true})).await.unwrap();
    let created = api(&sim, "POST", "/api/v1/reports", Some(serde_json::from_str(REPORT).unwrap())).await;
    assert_eq!(created.status, 202, "{}", created.text());
    let body = json_of(&created);
    let id = body["requestId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let location = created.header("location").unwrap();
    assert_eq!(location, format!("{}/api/v1/reports/{id}/status", sim.url()));
    assert_eq!(body["outputsUrl"], format!("{}/api/v1/reports/{id}/outputs", sim.url()));
    let status_path = format!("/api/v1/reports/{id}/status");
    let read = |sim: &SimHandle| {
        let path = status_path.clone();
        let sim_url = sim.url();
        let key = sim.api_key().to_string();
        async move {
            let auth = format!("Bearer {key}");
            let r = exchange(&sim_url, "GET", &path, &[("Authorization", auth.as_str())], b"").await.unwrap().unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
            json_of(&r)
        }
    };
    let queued = read(&sim).await;
    assert_eq!(
        queued,
        json!({"status": "queued", "statusLocation": format!("/reports/{id}/status"), "resolutionAttempts": 0})
    );
    control(&sim, "POST", "/__sim/clock", json!({"advanceSeconds": 1})).await.unwrap();
    assert_eq!(read(&sim).await["status"], "processing");
    control(&sim, "POST", "/__sim/clock", json!({"advanceSeconds": 2})).await.unwrap();
    let done = read(&sim).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["resolutionAttempts"], 1);
    assert_eq!(done["results"][0]["outputId"], "sheet1");
    assert!(done["results"][0]["location"].as_str().unwrap().contains("/api/v1/temp-contents/"));
}

#[tokio::test]
async fn bad_requests_and_unknown_reports_use_the_reports_error_shape() {
    let sim = start(SimConfig::default()).await.unwrap();
    for (body, pointer) in [
        (json!({"output": {"type": "pdf", "outputId": "o"}}), "/type"),
        (json!({"type": "sense-sheet-1.0"}), "/output"),
        (json!({"type": "sense-sheet-1.0", "output": {"type": "pdf"}}), "/output/outputId"),
        (json!([1]), ""),
    ] {
        let r = api(&sim, "POST", "/api/v1/reports", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        let error = json_of(&r);
        assert_eq!(error["errors"][0]["code"], "REP-400000", "{body} {pointer}");
        assert!(error.get("traceId").is_none(), "reports errors carry no traceId: {error}");
    }
    let r = api(&sim, "GET", "/api/v1/reports/nope/status", None).await;
    assert_eq!(r.status, 404);
    let error = json_of(&r);
    assert_eq!(error["errors"][0]["code"], "REP-404000");
    assert_eq!(error["errors"][0]["title"], "Not found");
    assert!(error.get("traceId").is_none());
    let r = exchange(&sim.url(), "GET", "/api/v1/reports/x/status", &[], b"").await.unwrap().unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(json_of(&r)["errors"][0]["code"], "REP-401000");
}

#[tokio::test]
async fn seeded_reports_fail_or_abort_and_seeding_is_all_or_nothing() {
    let sim = start(SimConfig::default()).await.unwrap();
    control(&sim, "POST", "/__sim/clock", json!({"freeze": true})).await.unwrap();
    let seeded = control(
        &sim,
        "POST",
        "/__sim/seed",
        json!({"resource": "reports", "count": 1, "records": [
            {"id": "r-failed", "outcome": "failed", "queuedSeconds": 0, "processingSeconds": 0},
            {"id": "r-slow", "processingSeconds": 600},
        ]}),
    )
    .await
    .unwrap();
    let created = seeded["created"].as_array().unwrap();
    assert_eq!(created.len(), 3);
    assert_eq!(created[..2], [json!("r-failed"), json!("r-slow")]);
    let failed = json_of(&api(&sim, "GET", "/api/v1/reports/r-failed/status", None).await);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["reasons"][0]["exportErrors"][0]["code"], "REP-500000");
    control(&sim, "POST", "/__sim/clock", json!({"advanceSeconds": 60})).await.unwrap();
    assert_eq!(json_of(&api(&sim, "GET", "/api/v1/reports/r-slow/status", None).await)["status"], "processing");

    let refused = control(
        &sim,
        "POST",
        "/__sim/seed",
        json!({"resource": "reports", "records": [{"id": "r-new"}, {"id": "r-bad", "outcome": "exploded"}]}),
    )
    .await;
    assert!(refused.unwrap_err().to_string().contains("outcome"));
    assert_eq!(api(&sim, "GET", "/api/v1/reports/r-new/status", None).await.status, 404, "nothing was seeded");
    let taken =
        control(&sim, "POST", "/__sim/seed", json!({"resource": "reports", "records": [{"id": "r-slow"}]})).await;
    assert!(taken.is_err());
}

#[tokio::test]
async fn a_base64_raw_body_fault_answers_those_exact_bytes() {
    let sim = start(SimConfig::default()).await.unwrap();
    control(
        &sim,
        "POST",
        "/__sim/faults",
        json!({"method": "GET", "path": "/api/v1/spaces", "rawBodyBase64": "AP8QAIA=", "contentType": "image/png"}),
    )
    .await
    .unwrap();
    let r = api(&sim, "GET", "/api/v1/spaces", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, [0, 255, 16, 0, 128]);
    assert_eq!(r.header("content-type"), Some("image/png"));
    let log = request(&sim.url(), "GET", "/__sim/requests", None).await.unwrap();
    assert_eq!(log["requests"][0]["fault"]["rawBodyBase64"], "AP8QAIA=");
    assert_eq!(log["requests"][0]["fault"]["body"], "raw");
    for bad in [json!({"rawBodyBase64": "***"}), json!({"rawBodyBase64": "AA==", "rawBody": "x"})] {
        assert!(control(&sim, "POST", "/__sim/faults", bad.clone()).await.is_err(), "{bad}");
    }
}
