//! The simulated tenant's reloads (`/api/v1/reloads`), over raw HTTP.

// The validator again (cli.rs keeps its copy private), so these answers are checked too.
#[allow(clippy::duplicate_mod)]
#[path = "../../../tests/all/support/openapi.rs"]
mod openapi;

use qlik_harness::sim::{start, SimConfig, SimHandle};
use qlik_harness::sim_client::{exchange, request, RawResponse};
use serde_json::{json, Value};

struct Sim {
    handle: SimHandle,
}

impl Sim {
    /// A simulator with its clock frozen.
    async fn start() -> Sim {
        let sim = Sim { handle: start(SimConfig::default()).await.expect("start simulator") };
        sim.ctl("POST", "/__sim/clock", json!({"freeze": true})).await;
        sim
    }

    async fn api(&self, method: &str, target: &str, body: Option<Value>) -> RawResponse {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let auth = format!("Bearer {}", self.handle.api_key());
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        exchange(&self.handle.url(), method, target, &headers, &bytes).await.expect("connect").expect("a response")
    }

    /// A successful JSON answer.
    async fn ok(&self, method: &str, target: &str, body: Option<Value>) -> Value {
        let r = self.api(method, target, body).await;
        assert!(r.status == 200 || r.status == 201, "{method} {target}: {} {}", r.status, r.text());
        json_of(&r)
    }

    async fn ctl(&self, method: &str, path: &str, body: Value) -> Value {
        request(&self.handle.url(), method, path, Some(&body)).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// A control call that must fail with 400; its message.
    async fn ctl_rejected(&self, path: &str, body: Value) -> String {
        let r = exchange(
            &self.handle.url(),
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        json_of(&r)["error"].as_str().unwrap().to_string()
    }

    async fn seed(&self, body: Value) -> Vec<String> {
        let out = self.ctl("POST", "/__sim/seed", body).await;
        out["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    async fn advance(&self, seconds: f64) {
        self.ctl("POST", "/__sim/clock", json!({"advanceSeconds": seconds})).await;
    }

    async fn reload(&self, app: &str) -> Value {
        let r = self.api("POST", "/api/v1/reloads", Some(json!({"appId": app}))).await;
        assert_eq!(r.status, 201, "{}", r.text());
        json_of(&r)
    }

    async fn get(&self, id: &str) -> Value {
        self.ok("GET", &format!("/api/v1/reloads/{id}"), None).await
    }

    async fn changes(&self) -> Vec<Value> {
        let log = self.ctl("GET", "/__sim/changes", Value::Null).await;
        log["changes"].as_array().unwrap().iter().filter(|c| c["resource"] == "reloads").cloned().collect()
    }

    /// Every exchange so far conforms to Qlik's OpenAPI documents.
    async fn assert_conforms(&self) {
        let log = self.ctl("GET", "/__sim/requests", Value::Null).await;
        openapi::Spec::shared().assert_conforms(log["requests"].as_array().unwrap());
    }
}

fn json_of(r: &RawResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

fn ids_of(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

fn target_of(page: &Value, link: &str) -> Option<String> {
    let href = page["links"][link]["href"].as_str()?;
    Some(href[href.find("/api/").unwrap()..].to_string())
}

fn ms(t: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str().unwrap()).unwrap().timestamp_millis()
}

fn error_code(r: &RawResponse) -> String {
    json_of(r)["errors"][0]["code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_is_queued_then_reloading_then_succeeded_by_the_clock() {
    let sim = Sim::start().await;
    let app = sim.seed(json!({"resource": "apps", "count": 1})).await.remove(0);
    let created = sim.reload(&app).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created["status"], "QUEUED");
    assert_eq!(created["appId"], app.as_str());
    assert_eq!(created["type"], "external");
    assert_eq!(created["partial"], false);
    assert_eq!(created["links"]["self"]["href"], format!("{}/api/v1/reloads/{id}", sim.handle.url()));
    for absent in ["startTime", "endTime", "engineTime", "errorCode", "log"] {
        assert!(created.get(absent).is_none(), "{absent}: {created}");
    }
    let queued = sim.get(&id).await;
    assert_eq!(queued["status"], "QUEUED");
    assert_eq!(queued["log"], "");

    sim.advance(1.0).await;
    let running = sim.get(&id).await;
    assert_eq!(running["status"], "RELOADING");
    assert_eq!(ms(&running["startTime"]), ms(&created["creationTime"]) + 1000);
    assert!(running.get("endTime").is_none());
    assert!(running["log"].as_str().unwrap().starts_with(&format!("ReloadID: {id}\nStarted loading\n")));

    sim.advance(2.999).await;
    assert_eq!(sim.get(&id).await["status"], "RELOADING");
    sim.advance(0.001).await;
    let done = sim.get(&id).await;
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(ms(&done["endTime"]), ms(&running["startTime"]) + 3000);
    assert_eq!(done["engineTime"], done["endTime"]);
    assert!(done["log"].as_str().unwrap().ends_with("Finished successfully\n"));
    assert!(done.get("errorCode").is_none());

    // The list shows the log only with log=true.
    let listed = sim.ok("GET", &format!("/api/v1/reloads?appId={app}"), None).await;
    assert!(listed["data"][0].get("log").is_none());
    let with_log = sim.ok("GET", &format!("/api/v1/reloads?appId={app}&log=true"), None).await;
    assert_eq!(with_log["data"][0], done);
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviours_make_reloads_fail_exceed_the_limit_or_hang_until_canceled() {
    let sim = Sim::start().await;
    let apps = sim.seed(json!({"resource": "apps", "count": 3})).await;
    sim.ctl(
        "POST",
        "/__sim/reloads",
        json!({"appId": apps[1], "outcome": "FAILED", "errorCode": "ScriptError",
        "errorMessage": "Field not found", "queuedSeconds": 0, "reloadingSeconds": 10}),
    )
    .await;
    let queue = sim.ctl("POST", "/__sim/reloads", json!({"outcome": "EXCEEDED_LIMIT", "count": 2})).await;
    assert_eq!(queue["behaviours"].as_array().unwrap().len(), 2);
    assert_eq!(queue["behaviours"][1]["remaining"], 2);

    // apps[0] takes the any-app behaviour; apps[1] its own.
    let exceeded = sim.reload(&apps[0]).await;
    let failed = sim.reload(&apps[1]).await;
    sim.advance(4.0).await;
    let exceeded = sim.get(exceeded["id"].as_str().unwrap()).await;
    assert_eq!(exceeded["status"], "EXCEEDED_LIMIT");
    assert_eq!(exceeded["errorCode"], "ReloadTimeLimitExceeded");
    assert!(exceeded["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(sim.get(failed["id"].as_str().unwrap()).await["status"], "RELOADING");
    sim.advance(6.0).await;
    let failed = sim.get(failed["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(
        (failed["errorCode"].as_str(), failed["errorMessage"].as_str()),
        (Some("ScriptError"), Some("Field not found"))
    );
    assert!(failed.get("engineTime").is_none());
    assert!(failed["log"].as_str().unwrap().contains("Field not found"));
    // One EXCEEDED_LIMIT is left for any app.
    assert_eq!(sim.ctl("GET", "/__sim/reloads", Value::Null).await["behaviours"][0]["remaining"], 1);
    sim.ctl("DELETE", "/__sim/reloads", Value::Null).await;

    sim.ctl("POST", "/__sim/reloads", json!({"appId": apps[2], "outcome": "HANG"})).await;
    let hung = sim.reload(&apps[2]).await;
    let id = hung["id"].as_str().unwrap();
    sim.advance(100_000.0).await;
    assert_eq!(sim.get(id).await["status"], "RELOADING");
    let cancel = sim.api("POST", &format!("/api/v1/reloads/{id}/actions/cancel"), None).await;
    assert_eq!(cancel.status, 202, "{}", cancel.text());
    assert_eq!(json_of(&cancel), json!({"status": "CANCELING"}));
    assert_eq!(sim.get(id).await["status"], "CANCELING");
    sim.advance(1.0).await;
    let canceled = sim.get(id).await;
    assert_eq!(canceled["status"], "CANCELED");
    assert!(canceled.get("errorCode").is_none());

    // Strict control validation.
    for (body, needle) in [
        (json!({"outcome": "CANCELED"}), "outcome must be"),
        (json!({"outcome": "HANG", "reloadingSeconds": 2}), "HANG"),
        (json!({"outcome": "SUCCEEDED", "errorCode": "x"}), "FAILED and EXCEEDED_LIMIT only"),
        (json!({"outcome": "FAILED", "count": 0}), "count"),
        (json!({"outcome": "FAILED", "queuedSeconds": -1}), "queuedSeconds"),
        (json!({"outcome": "FAILED", "appId": "nope"}), "no app"),
        (json!({"outcome": "FAILED", "colour": "red"}), "unknown field"),
        (json!({"appId": apps[0]}), "outcome"),
    ] {
        let message = sim.ctl_rejected("/__sim/reloads", body.clone()).await;
        assert!(message.contains(needle), "{body}: {message}");
    }
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_pending_reload_is_429_without_retry_after_and_bad_requests_are_refused() {
    let sim = Sim::start().await;
    let apps = sim.seed(json!({"resource": "apps", "count": 2})).await;
    let first = sim.reload(&apps[0]).await;
    for wait in [0.0, 1.5, 2.4] {
        sim.advance(wait).await;
        let again = sim.api("POST", "/api/v1/reloads", Some(json!({"appId": apps[0]}))).await;
        assert_eq!(again.status, 429, "{}", again.text());
        assert_eq!(again.header("retry-after"), None);
        let body = json_of(&again);
        assert_eq!(body["errors"][0]["code"], "RELOADS-007");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains("pending reload request already exists"));
    }
    // Another app is free; the first is free again once its reload finished.
    sim.reload(&apps[1]).await;
    sim.advance(0.1).await;
    assert_eq!(sim.get(first["id"].as_str().unwrap()).await["status"], "SUCCEEDED");
    let second = sim
        .ok(
            "POST",
            "/api/v1/reloads",
            Some(json!({"appId": apps[0], "partial": true, "weight": 7,
        "variables": {"vYear": "2024"}})),
        )
        .await;
    assert_eq!((second["partial"].as_bool(), second["weight"].as_u64()), (Some(true), Some(7)));
    // A canceling reload is still pending.
    sim.advance(1.0).await;
    let cancel =
        sim.api("POST", &format!("/api/v1/reloads/{}/actions/cancel", second["id"].as_str().unwrap()), None).await;
    assert_eq!(cancel.status, 202);
    assert_eq!(sim.api("POST", "/api/v1/reloads", Some(json!({"appId": apps[0]}))).await.status, 429);

    let unknown = sim.api("POST", "/api/v1/reloads", Some(json!({"appId": "no-such-app"}))).await;
    assert_eq!((unknown.status, error_code(&unknown)), (403, "RELOADS-003".to_string()));
    sim.assert_conforms().await;
    // The bodies below break ReloadRequest on purpose: out of the checked log.
    sim.ctl("DELETE", "/__sim/requests", Value::Null).await;
    let mut long_name = serde_json::Map::new();
    long_name.insert("x".repeat(257), json!("v"));
    let many: serde_json::Map<String, Value> = (0..21).map(|i| (format!("v{i}"), json!("x"))).collect();
    let long = "x".repeat(257);
    for body in [
        json!([]),
        json!("appId"),
        json!({}),
        json!({"appId": 5}),
        json!({"appId": apps[1], "partial": "yes"}),
        json!({"appId": apps[1], "weight": 11}),
        json!({"appId": apps[1], "weight": 0}),
        json!({"appId": apps[1], "variables": many}),
        json!({"appId": apps[1], "variables": {"v": long}}),
        json!({"appId": apps[1], "variables": long_name}),
        json!({"appId": apps[1], "variables": {"v": 1}}),
        json!({"appId": apps[1], "resourceType": "cron"}),
    ] {
        let r = sim.api("POST", "/api/v1/reloads", Some(body.clone())).await;
        assert_eq!((r.status, error_code(&r)), (400, "RELOADS-001".to_string()), "{body}: {}", r.text());
    }
    let not_json = sim.api("POST", "/api/v1/reloads", None).await;
    assert_eq!(not_json.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_answers_204_when_queued_202_when_reloading_409_when_final_404_when_unknown() {
    let sim = Sim::start().await;
    let apps = sim.seed(json!({"resource": "apps", "count": 2})).await;
    let queued = sim.reload(&apps[0]).await;
    let id = queued["id"].as_str().unwrap();
    let cancel = |id: String| {
        let sim = &sim;
        async move { sim.api("POST", &format!("/api/v1/reloads/{id}/actions/cancel"), None).await }
    };
    let r = cancel(id.to_string()).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    let canceled = sim.get(id).await;
    assert_eq!(canceled["status"], "CANCELED");
    assert_eq!(canceled["endTime"], queued["creationTime"]);
    assert!(canceled.get("startTime").is_none());
    sim.advance(10.0).await;
    assert_eq!(sim.get(id).await["status"], "CANCELED");
    let r = cancel(id.to_string()).await;
    assert_eq!((r.status, error_code(&r)), (409, "RELOADS-008".to_string()));
    assert!(json_of(&r)["errors"][0]["detail"].as_str().unwrap().contains("not in a cancellable state"));

    let running = sim.reload(&apps[1]).await;
    let rid = running["id"].as_str().unwrap();
    sim.advance(2.0).await;
    let r = cancel(rid.to_string()).await;
    assert_eq!(r.status, 202);
    let r = cancel(rid.to_string()).await;
    assert_eq!((r.status, json_of(&r)), (202, json!({"status": "CANCELING"})));
    sim.advance(1.0).await;
    let done = sim.get(rid).await;
    assert_eq!(done["status"], "CANCELED");
    assert_eq!(ms(&done["endTime"]), ms(&running["creationTime"]) + 3000);
    assert!(done["startTime"].is_string());
    assert_eq!(cancel(rid.to_string()).await.status, 409);

    let r = cancel("5be59decca62aa00097268a4".into()).await;
    assert_eq!((r.status, error_code(&r)), (404, "RELOADS-004".to_string()));
    let r = sim.api("GET", "/api/v1/reloads/5be59decca62aa00097268a4", None).await;
    assert_eq!((r.status, error_code(&r)), (404, "RELOADS-004".to_string()));
    assert!(json_of(&r).get("traceId").is_none());
    sim.assert_conforms().await;
}

/// Seeds two apps with a known mix of reloads; returns (apps, ids in record order).
async fn seed_mix(sim: &Sim) -> (Vec<String>, Vec<String>) {
    let apps = sim.seed(json!({"resource": "apps", "count": 2})).await;
    let now = ms(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    let at = |minutes_ago: i64| {
        let t = chrono::DateTime::from_timestamp_millis(now - minutes_ago * 60_000).unwrap();
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let records = json!([
        {"appId": apps[0], "status": "SUCCEEDED", "creationTime": at(50), "endTime": at(45), "type": "chronos"},
        {"appId": apps[0], "status": "FAILED", "creationTime": at(40), "endTime": at(20), "partial": true},
        {"appId": apps[0], "status": "EXCEEDED_LIMIT", "creationTime": at(30), "endTime": at(29), "type": "hub"},
        {"appId": apps[1], "status": "CANCELED", "creationTime": at(35), "endTime": at(34), "partial": true, "type": "hub"},
        {"appId": apps[1], "status": "SUCCEEDED", "creationTime": at(25), "endTime": at(10)},
        {"appId": apps[0], "status": "RELOADING", "creationTime": at(5), "startTime": at(4)},
        {"appId": apps[1], "status": "QUEUED", "creationTime": at(3), "type": "chronos"},
    ]);
    let ids = sim.seed(json!({"resource": "reloads", "records": records})).await;
    (apps, ids)
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_filters_by_app_partial_type_and_status_with_scim() {
    let sim = Sim::start().await;
    let (apps, ids) = seed_mix(&sim).await;
    let ids_pos = |id: &str| ids.iter().position(|i| i == id).unwrap();
    let list = |query: &str| {
        let sim = &sim;
        let target = format!("/api/v1/reloads?limit=100&sort=%2BcreationTime&{query}");
        async move {
            let page = sim.ok("GET", &target, None).await;
            let got = ids_of(&page);
            got.iter().map(|g| ids_pos(g)).collect::<Vec<_>>()
        }
    };
    // Positions in seed order; creationTime ascending is that order except 2 and 3 swap.
    assert_eq!(list("").await, [0, 1, 3, 2, 4, 5, 6]);
    assert_eq!(list(&format!("appId={}", apps[1])).await, [3, 4, 6]);
    assert_eq!(list("partial=true").await, [1, 3]);
    assert_eq!(list(&format!("appId={}&partial=false", apps[0])).await, [0, 2, 5]);
    let filter = |f: &str| format!("filter={}", urlencode(f));
    assert_eq!(list(&filter(r#"status eq "FAILED" or status eq "EXCEEDED_LIMIT""#)).await, [1, 2]);
    assert_eq!(list(&filter(r#"(status eq "SUCCEEDED" or status eq "QUEUED") and type eq "chronos""#)).await, [0, 6]);
    assert_eq!(list(&filter(r#"partial eq "true" and type eq "hub""#)).await, [3]);
    assert_eq!(list(&filter(r#"STATUS EQ "reloading""#)).await, [5]);
    assert_eq!(list(&filter(r#"type eq "external""#)).await, [1, 4, 5]);

    for bad in [
        r#"appId eq "x""#,
        r#"status co "FAIL""#,
        r#"status eq "DONE""#,
        r#"partial eq "maybe""#,
        "status eq",
        r#"status ne "FAILED""#,
    ] {
        let r = sim.api("GET", &format!("/api/v1/reloads?{}", filter(bad)), None).await;
        assert_eq!((r.status, error_code(&r)), (400, "RELOADS-001".to_string()), "{bad}: {}", r.text());
    }
    for bad in ["partial=yes", "log=1", "appId=", "sort=name", "sort=-id"] {
        assert_eq!(sim.api("GET", &format!("/api/v1/reloads?{bad}"), None).await.status, 400, "{bad}");
    }
    sim.assert_conforms().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sort_orders_as_documented_with_missing_times_smallest() {
    let sim = Sim::start().await;
    let (_, ids) = seed_mix(&sim).await;
    let ids_pos = |id: &str| ids.iter().position(|i| i == id).unwrap();
    let order = |sort: &str| {
        let sim = &sim;
        let target = format!("/api/v1/reloads?limit=100&sort={}", urlencode(sort));
        async move { ids_of(&sim.ok("GET", &target, None).await).iter().map(|g| ids_pos(g)).collect::<Vec<usize>>() }
    };
    // The default is -creationTime.
    let newest_first = vec![6, 5, 4, 2, 3, 1, 0];
    let list = ids_of(&sim.ok("GET", "/api/v1/reloads?limit=100", None).await);
    assert_eq!(list.iter().map(|g| ids_pos(g)).collect::<Vec<_>>(), newest_first);
    assert_eq!(order("-creationTime").await, newest_first);
    let oldest_first: Vec<usize> = newest_first.iter().rev().copied().collect();
    assert_eq!(order("creationTime").await, oldest_first);
    assert_eq!(order("+creationTime").await, oldest_first);
    // endTime: 0 (45 min ago), 3 (34), 2 (29), 1 (20), 4 (10); 5 and 6 have none.
    let end_desc = order("-endTime").await;
    assert_eq!(&end_desc[..5], &[4, 1, 2, 3, 0]);
    let mut active: Vec<usize> = end_desc[5..].to_vec();
    active.sort();
    assert_eq!(active, [5, 6], "active reloads last: {end_desc:?}");
    let end_asc = order("endTime").await;
    assert_eq!(end_asc.iter().rev().copied().collect::<Vec<_>>(), end_desc);
    assert_eq!(order("+endTime").await, end_asc);
    // startTime: seeded final ones start a fifth of the way; 6 is queued (none).
    let start_desc = order("-startTime").await;
    assert_eq!(*start_desc.last().unwrap(), 6);
    assert_eq!(start_desc[0], 5);
    let start_asc = order("startTime").await;
    assert_eq!(start_asc.iter().rev().copied().collect::<Vec<_>>(), start_desc);
    // status, alphabetically.
    let statuses = |o: Vec<usize>| {
        let names = ["SUCCEEDED", "FAILED", "EXCEEDED_LIMIT", "CANCELED", "SUCCEEDED", "RELOADING", "QUEUED"];
        o.into_iter().map(|i| names[i]).collect::<Vec<_>>()
    };
    let by_status = statuses(order("status").await);
    let mut sorted = by_status.clone();
    sorted.sort();
    assert_eq!(by_status, sorted);
    assert_eq!(by_status[0], "CANCELED");
    let by_status_desc = statuses(order("-status").await);
    assert_eq!(by_status_desc, by_status.iter().rev().copied().collect::<Vec<_>>());
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_paging_walks_250_reloads_in_three_pages_without_gaps() {
    let sim = Sim::start().await;
    let seeded = sim.seed(json!({"resource": "reloads", "count": 250})).await;
    assert_eq!(seeded.len(), 250);
    let first = sim.ok("GET", "/api/v1/reloads?limit=100", None).await;
    assert!(first["links"]["self"]["href"].as_str().unwrap().starts_with(&sim.handle.url()));
    assert!(first["links"].get("prev").is_none());
    let second = sim.ok("GET", &target_of(&first, "next").unwrap(), None).await;
    let third = sim.ok("GET", &target_of(&second, "next").unwrap(), None).await;
    assert!(third["links"].get("next").is_none());
    let pages = [ids_of(&first), ids_of(&second), ids_of(&third)];
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
    let all: Vec<String> = pages.concat();
    let mut expected = seeded.clone();
    expected.reverse(); // generated oldest first; -creationTime is newest first
    assert_eq!(all, expected);
    let back = sim.ok("GET", &target_of(&third, "prev").unwrap(), None).await;
    assert_eq!(ids_of(&back), pages[1]);
    for bad in ["limit=0", "limit=101", "limit=ten", "next=abc"] {
        let r = sim.api("GET", &format!("/api/v1/reloads?{bad}"), None).await;
        assert_eq!((r.status, error_code(&r)), (400, "RELOADS-001".to_string()), "{bad}");
    }
    let default = sim.ok("GET", "/api/v1/reloads", None).await;
    assert_eq!(ids_of(&default), pages[0][..10]);
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_makes_a_finished_history_fast_and_is_all_or_nothing() {
    let sim = Sim::start().await;
    let created = sim.seed(json!({"resource": "reloads", "count": 10_000})).await;
    assert_eq!(created.len(), 10_000);
    // One app was made for them.
    let page = sim.ok("GET", "/api/v1/reloads?limit=100&log=true", None).await;
    let app = page["data"][0]["appId"].as_str().unwrap().to_string();
    assert!(page["data"].as_array().unwrap().iter().all(|r| r["appId"] == app.as_str()));
    let now = ms(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    for r in page["data"].as_array().unwrap() {
        assert!(["SUCCEEDED", "FAILED", "CANCELED", "EXCEEDED_LIMIT"].contains(&r["status"].as_str().unwrap()), "{r}");
        assert!(ms(&r["creationTime"]) <= ms(&r["startTime"]) && ms(&r["startTime"]) < ms(&r["endTime"]));
        assert!(ms(&r["endTime"]) < now);
        assert_eq!(r["errorCode"].is_string(), ["FAILED", "EXCEEDED_LIMIT"].contains(&r["status"].as_str().unwrap()));
    }
    let statuses: Vec<&str> = page["data"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert!(statuses.iter().filter(|s| **s == "SUCCEEDED").count() > 50, "{statuses:?}");
    assert_eq!(sim.changes().await.len(), 20_000);
    let failed = sim.ok("GET", "/api/v1/reloads?limit=1&filter=status%20eq%20%22FAILED%22", None).await;
    assert_eq!(failed["data"][0]["status"], "FAILED");

    // All or nothing: one bad record adds nothing.
    let before = sim.changes().await.len();
    let message = sim
        .ctl_rejected(
            "/__sim/seed",
            json!({"resource": "reloads", "count": 5, "records": [
        {"appId": app, "status": "SUCCEEDED"}, {"appId": app, "status": "DONE"}]}),
        )
        .await;
    assert!(message.contains("status"), "{message}");
    for bad in [
        json!([{"appId": "nope"}]),
        json!([{"appId": app, "status": "QUEUED"}, {"appId": app, "status": "RELOADING"}]),
        json!([{"id": created[0]}]),
        json!([{"appId": app, "status": "QUEUED", "endTime": "2024-01-01T00:00:00Z"}]),
        json!([{"appId": app, "creationTime": "yesterday"}]),
        json!([{"appId": app, "colour": "red"}]),
    ] {
        sim.ctl_rejected("/__sim/seed", json!({"resource": "reloads", "records": bad})).await;
    }
    assert_eq!(sim.changes().await.len(), before);
    let first = sim.ok("GET", "/api/v1/reloads?limit=1", None).await;
    assert_eq!(first["data"][0]["id"], created[9_999].as_str());
    let bad_parent =
        sim.ctl_rejected("/__sim/seed", json!({"resource": "reloads", "count": 1, "parentId": "nope"})).await;
    assert!(bad_parent.contains("parentId"), "{bad_parent}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_change_log_has_one_created_at_creation_and_one_updated_at_end_in_order() {
    let sim = Sim::start().await;
    let apps = sim.seed(json!({"resource": "apps", "count": 3})).await;
    sim.ctl(
        "POST",
        "/__sim/reloads",
        json!({"appId": apps[1], "outcome": "FAILED", "queuedSeconds": 0.5,
        "reloadingSeconds": 0.5}),
    )
    .await;
    let a = sim.reload(&apps[0]).await; // ends at +4 s
    sim.advance(0.25).await;
    let b = sim.reload(&apps[1]).await; // ends at +1.25 s
    sim.advance(0.25).await;
    let c = sim.reload(&apps[2]).await; // canceled at +0.5 s, queued
    sim.api("POST", &format!("/api/v1/reloads/{}/actions/cancel", c["id"].as_str().unwrap()), None).await;
    // Many requests while nothing ends log nothing more.
    for _ in 0..3 {
        sim.ok("GET", "/api/v1/reloads", None).await;
    }
    assert_eq!(sim.changes().await.len(), 4);
    // A jump past both ends logs both, in order of endTime, at their endTime.
    sim.advance(10.0).await;
    sim.ok("GET", "/api/v1/reloads", None).await;
    sim.ctl("POST", "/__sim/clock", json!({"freeze": false})).await;
    sim.ok("GET", "/api/v1/reloads", None).await;
    let changes = sim.changes().await;
    let id = |r: &Value| r["id"].as_str().unwrap().to_string();
    let got: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["kind"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        (id(&a), "created"),
        (id(&b), "created"),
        (id(&c), "created"),
        (id(&c), "updated"),
        (id(&b), "updated"),
        (id(&a), "updated"),
    ];
    assert_eq!(got, want.map(|(i, k)| (i, k.to_string())));
    for r in [&a, &b, &c] {
        let now = sim.get(r["id"].as_str().unwrap()).await;
        let mine: Vec<&Value> = changes.iter().filter(|ch| ch["id"] == now["id"]).collect();
        assert_eq!(ms(&mine[0]["timestamp"]), ms(&now["creationTime"]));
        assert_eq!(ms(&mine[1]["timestamp"]), ms(&now["endTime"]), "{now}");
    }
    assert_eq!(ms(&changes[4]["timestamp"]), ms(&b["creationTime"]) + 1000);
    // Setting the clock back leaves settled reloads final and the log alone.
    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": -3600})).await;
    assert_eq!(sim.get(&id(&a)).await["status"], "SUCCEEDED");
    assert_eq!(sim.changes().await.len(), 6);
    // Seeded history: created and updated at its own times, in time order.
    let seeded = sim.seed(json!({"resource": "reloads", "count": 3, "parentId": apps[0]})).await;
    let history: Vec<Value> = sim.changes().await.split_off(6);
    assert_eq!(history.len(), 6);
    let times: Vec<i64> = history.iter().map(|c| ms(&c["timestamp"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for id in &seeded {
        let r = sim.get(id).await;
        let mine: Vec<&Value> = history.iter().filter(|c| c["id"] == id.as_str()).collect();
        assert_eq!((mine[0]["kind"].as_str(), ms(&mine[0]["timestamp"])), (Some("created"), ms(&r["creationTime"])));
        assert_eq!((mine[1]["kind"].as_str(), ms(&mine[1]["timestamp"])), (Some("updated"), ms(&r["endTime"])));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn churn_starts_reloads_on_free_apps_and_finishes_running_ones_now() {
    let sim = Sim::start().await;
    let apps = sim.seed(json!({"resource": "apps", "count": 3})).await;
    sim.ctl("POST", "/__sim/reloads", json!({"appId": apps[0], "outcome": "HANG"})).await;
    let hung = sim.reload(&apps[0]).await;
    let out = sim.ctl("POST", "/__sim/churn", json!({"resource": "reloads", "create": 5})).await;
    let started: Vec<String> =
        out["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(started.len(), 2, "apps[0] has a pending reload: {out}");
    for id in &started {
        let r = sim.get(id).await;
        assert_eq!((r["status"].as_str(), r["type"].as_str()), (Some("QUEUED"), Some("hub")));
        assert_ne!(r["appId"], apps[0].as_str());
    }
    let none = sim.ctl("POST", "/__sim/churn", json!({"resource": "reloads", "create": 1})).await;
    assert_eq!(none["created"], json!([]));
    sim.advance(1.5).await;
    let out = sim.ctl("POST", "/__sim/churn", json!({"resource": "reloads", "update": 10})).await;
    let finished = out["updated"].as_array().unwrap();
    assert_eq!(finished.len(), 3);
    let now = ms(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    let hung = sim.get(hung["id"].as_str().unwrap()).await;
    assert_eq!(hung["status"], "SUCCEEDED");
    assert_eq!(ms(&hung["endTime"]), now);
    let changes = sim.changes().await;
    assert_eq!(changes.iter().filter(|c| c["kind"] == "updated").count(), 3);
    assert!(changes.iter().filter(|c| c["kind"] == "updated").all(|c| ms(&c["timestamp"]) == now));
    // Nothing is logged again when their planned end passes.
    sim.advance(60.0).await;
    assert_eq!(sim.changes().await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_clears_reloads_and_queued_behaviours() {
    let sim = Sim::start().await;
    let app = sim.seed(json!({"resource": "apps", "count": 1})).await.remove(0);
    sim.seed(json!({"resource": "reloads", "count": 5})).await;
    sim.reload(&app).await;
    sim.ctl("POST", "/__sim/reloads", json!({"outcome": "FAILED", "count": 3})).await;
    sim.ctl("POST", "/__sim/reset", json!({})).await;
    assert_eq!(sim.ctl("GET", "/__sim/reloads", Value::Null).await, json!({"behaviours": []}));
    assert_eq!(sim.ok("GET", "/api/v1/reloads", None).await["data"], json!([]));
    assert!(sim.changes().await.is_empty());
    let app = sim.seed(json!({"resource": "apps", "count": 1})).await.remove(0);
    let r = sim.reload(&app).await;
    sim.advance(4.0).await;
    assert_eq!(sim.get(r["id"].as_str().unwrap()).await["status"], "SUCCEEDED");
}
