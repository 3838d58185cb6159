//! Reloads through the real component against the simulated tenant: start, wait for each final
//! status, time out, conflicts, cancel, read, list, and the trigger's `reloads` type.

use crate::support::env::{assert_qlik_error, Env};
use serde_json::{json, Value};

/// Makes the next reload of `app` behave so (`POST /__sim/reloads`).
async fn next_reload(env: &Env, app: &str, behaviour: Value) {
    let mut body = json!({"appId": app});
    body.as_object_mut().unwrap().extend(behaviour.as_object().unwrap().clone());
    env.control("POST", "/__sim/reloads", Some(body)).await;
}

fn posted_reloads(requests: &[Value]) -> Vec<&Value> {
    requests.iter().filter(|r| r["method"] == "POST" && r["path"] == "/api/v1/reloads").collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_app_sends_the_request_and_returns_the_queued_reload() {
    let env = Env::new().await;
    let app = env.seed("apps", 1).await.remove(0);
    env.clear_requests().await;
    let out = env.ok("reloadApp", json!({"appId": app, "partial": true, "variables": "region=North\nyear=2026"})).await;
    assert_eq!(out["appId"], app.as_str(), "{out}");
    assert_eq!(out["status"], "QUEUED", "{out}");
    assert!(out.get("timedOut").is_none(), "no waiting, no timedOut: {out}");
    let requests = env.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["body"],
        json!({"appId": app, "partial": true, "variables": {"region": "North", "year": "2026"}}),
        "{}",
        requests[0]
    );
    let read = env.ok("getReload", json!({"reloadId": out["id"]})).await;
    assert_eq!(read["id"], out["id"]);
    let last = env.requests().await.pop().unwrap();
    assert_eq!(
        (last["method"].as_str(), last["path"].as_str()),
        (Some("GET"), Some(&*format!("/api/v1/reloads/{}", out["id"].as_str().unwrap())))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_ends_in_each_final_status_or_times_out() {
    let env = Env::new().await;
    let apps = env.seed("apps", 4).await;
    let finals = [("SUCCEEDED", &apps[0]), ("FAILED", &apps[1]), ("EXCEEDED_LIMIT", &apps[2])];
    for (outcome, app) in finals {
        next_reload(&env, app, json!({"outcome": outcome, "queuedSeconds": 0, "reloadingSeconds": 1})).await;
    }
    let wait = |app: &str| json!({"appId": app, "waitForCompletion": true, "maxWaitSeconds": 30});
    let (a, b, c) = tokio::join!(
        env.call("reloadApp", wait(finals[0].1)),
        env.call("reloadApp", wait(finals[1].1)),
        env.call("reloadApp", wait(finals[2].1))
    );
    let outcomes = [a, b, c];
    for ((outcome, app), result) in finals.iter().zip(outcomes) {
        let qlik_harness::Outcome::Ok(out) = result else { panic!("{outcome}: {result:?}") };
        assert_eq!((out["status"].as_str(), out["timedOut"].as_bool()), (Some(*outcome), Some(false)), "{out}");
        assert_eq!(out["appId"], app.as_str());
        assert!(out["endTime"].is_string(), "{out}");
        if *outcome != "SUCCEEDED" {
            assert!(out["errorCode"].is_string() && out["errorMessage"].is_string(), "{outcome}: {out}");
        }
    }
    // Waiting re-reads the reload, never starts another.
    assert_eq!(posted_reloads(&env.requests().await).len(), 3);

    // A reload that hangs: the wait ends at its limit, with the last status.
    next_reload(&env, &apps[3], json!({"outcome": "HANG", "queuedSeconds": 0})).await;
    let out = env.ok("reloadApp", json!({"appId": apps[3], "waitForCompletion": true, "maxWaitSeconds": 2})).await;
    assert_eq!((out["status"].as_str(), out["timedOut"].as_bool()), (Some("RELOADING"), Some(true)), "{out}");

    // It can be canceled (202: it was reloading).
    let canceled = env.ok("cancelReload", json!({"reloadId": out["id"]})).await;
    assert_eq!(canceled, json!({"canceled": true, "id": out["id"], "status": 202}));
    let read = env.ok("getReload", json!({"reloadId": out["id"]})).await;
    assert!(["CANCELING", "CANCELED"].contains(&read["status"].as_str().unwrap()), "{read}");

    // Canceled while a reloadApp waits for it: the wait ends in CANCELED.
    let app = env.seed("apps", 1).await.remove(0);
    next_reload(&env, &app, json!({"outcome": "HANG", "queuedSeconds": 0})).await;
    let canceler = async {
        loop {
            let listed = env.ok("listReloads", json!({"appId": app})).await;
            if let Some(id) = listed["data"][0]["id"].as_str() {
                return env.ok("cancelReload", json!({"reloadId": id})).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let waiting = env.call("reloadApp", json!({"appId": app, "waitForCompletion": true, "maxWaitSeconds": 30}));
    let (waited, canceled) = tokio::join!(waiting, canceler);
    let qlik_harness::Outcome::Ok(waited) = waited else { panic!("{waited:?}") };
    assert_eq!((waited["status"].as_str(), waited["timedOut"].as_bool()), (Some("CANCELED"), Some(false)), "{waited}");
    assert_eq!(canceled["id"], waited["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_reload_of_a_busy_app_is_a_conflict_and_not_retried() {
    let env = Env::new().await;
    let app = env.seed("apps", 1).await.remove(0);
    next_reload(&env, &app, json!({"outcome": "HANG"})).await;
    let first = env.ok("reloadApp", json!({"appId": app})).await;
    env.clear_requests().await;
    let error = env.err("reloadApp", json!({"appId": app})).await;
    assert_qlik_error(&error, "conflict", 429);
    assert_eq!(posted_reloads(&env.requests().await).len(), 1, "not retried");

    // Canceling: a queued or running reload; a finished one is a conflict; an unknown one 404.
    let canceled = env.ok("cancelReload", json!({"reloadId": first["id"]})).await;
    assert_eq!(canceled["canceled"], true);
    let cancel = env.requests().await.pop().unwrap();
    assert_eq!(cancel["path"], format!("/api/v1/reloads/{}/actions/cancel", first["id"].as_str().unwrap()));
    assert_eq!(cancel["method"], "POST");
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 5}))).await;
    let done = env.ok("getReload", json!({"reloadId": first["id"]})).await;
    assert_eq!(done["status"], "CANCELED", "{done}");
    assert_qlik_error(&env.err("cancelReload", json!({"reloadId": first["id"]})).await, "conflict", 409);
    assert_qlik_error(
        &env.err("cancelReload", json!({"reloadId": "65f1c0a8e4b0c2a1d3f4e5a6"})).await,
        "not-found",
        404,
    );
    assert_qlik_error(&env.err("getReload", json!({"reloadId": "65f1c0a8e4b0c2a1d3f4e5a6"})).await, "not-found", 404);

    // Once it finished, the app can be reloaded again.
    assert_eq!(env.ok("reloadApp", json!({"appId": app})).await["status"], "QUEUED");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_reloads_sends_its_filters_and_pages() {
    let env = Env::new().await;
    let app = env.seed("apps", 1).await.remove(0);
    env.control(
        "POST",
        "/__sim/seed",
        Some(json!({"resource": "reloads", "count": 250, "records": [
            {"appId": app, "status": "FAILED"}, {"appId": app, "status": "SUCCEEDED"}
        ]})),
    )
    .await;
    env.clear_requests().await;
    let input = json!({"appId": app, "filter": "status eq \"FAILED\"", "partial": false, "log": true, "sort": "-endTime", "limit": 5});
    let page = env.ok("listReloads", input).await;
    let requests = env.requests().await;
    assert_eq!(requests.len(), 1);
    let query = requests[0]["query"].as_str().unwrap();
    for part in [
        format!("appId={app}"),
        "filter=status+eq+%22FAILED%22".into(),
        "partial=false".into(),
        "log=true".into(),
        "sort=-endTime".into(),
        "limit=5".into(),
    ] {
        assert!(query.contains(&part), "{part} in {query}");
    }
    let data = page["data"].as_array().unwrap();
    assert!(!data.is_empty() && data.iter().all(|r| r["status"] == "FAILED" && r["appId"] == app.as_str()), "{page}");

    let all = env.ok("listReloads", json!({"fetchAll": true, "limit": 100})).await;
    let ids: std::collections::BTreeSet<&str> =
        all["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 252, "every reload of the tenant, each once");
    assert_eq!(all["truncated"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_reload_inputs_are_named_and_nothing_is_sent() {
    let env = Env::new().await;
    let many: String = (0..21).map(|i| format!("v{i}=x\n")).collect();
    let long = format!("v={}", "x".repeat(257));
    for (key, input, named) in [
        ("reloadApp", json!({"appId": "a1", "variables": many}), "variables"),
        ("reloadApp", json!({"appId": "a1", "variables": long}), "variables"),
        ("reloadApp", json!({"appId": "a1", "maxWaitSeconds": 3601}), "maxWaitSeconds"),
        ("cancelReload", json!({"reloadId": "a/b"}), "reloadId"),
        ("getReload", json!({"reloadId": ".."}), "reloadId"),
        ("listReloads", json!({"sort": "name"}), "sort"),
        ("pollChangesTrigger", json!({"pollResourceType": "spaces", "appId": "a1"}), "appId"),
    ] {
        let error = env.err(key, input.clone()).await;
        assert_eq!(
            (error["kind"].as_str(), error["input"].as_str()),
            (Some("invalid-input"), Some(named)),
            "{key} {input}: {error}"
        );
    }
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trigger_reports_new_and_finished_reloads_in_a_few_requests_over_a_long_history() {
    let env = Env::new().await;
    let apps = env.seed("apps", 6).await;
    env.control("POST", "/__sim/seed", Some(json!({"resource": "reloads", "count": 10_000}))).await;
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 3600}))).await;
    let poll = json!({"pollResourceType": "reloads"});
    assert_eq!(env.ok("pollChangesTrigger", poll.clone()).await["polledNoChanges"], true);
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    // Five changes: three reloads start (one hangs), then two of them finish.
    for (app, behaviour) in apps.iter().zip([
        json!({"outcome": "HANG"}),
        json!({"outcome": "SUCCEEDED", "queuedSeconds": 0, "reloadingSeconds": 1}),
        json!({"outcome": "FAILED", "queuedSeconds": 0, "reloadingSeconds": 1}),
    ]) {
        next_reload(&env, app, behaviour).await;
        env.ok("reloadApp", json!({"appId": app})).await;
    }
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 10}))).await;
    env.clear_requests().await;
    let out = env.ok("pollChangesTrigger", poll.clone()).await;
    let lists = env.requests_to("/api/v1/reloads").await;
    println!("trigger reloads: a poll over 10,000 reloads with 5 changes made {} list requests", lists.len());
    assert!(lists.len() <= 4, "at most 4 list requests over 10,000 reloads, made {}", lists.len());
    let sorts: Vec<&str> = lists.iter().map(|r| r["query"].as_str().unwrap()).collect();
    assert!(
        sorts.iter().any(|q| q.contains("sort=-creationTime")) && sorts.iter().any(|q| q.contains("sort=-endTime")),
        "{sorts:?}"
    );
    // Created and finished within one window: once each, as created, with the final status.
    let created: Vec<&str> =
        out["created"].as_array().unwrap().iter().map(|c| c["dedupeKey"].as_str().unwrap()).collect();
    assert_eq!(created.len(), 3, "{out}");
    assert!(out["updated"].as_array().unwrap().is_empty(), "{out}");
    assert_eq!(
        created.iter().filter(|k| k.ends_with("@SUCCEEDED") || k.ends_with("@FAILED")).count(),
        2,
        "{created:?}"
    );

    // The hung one finishes when canceled: it comes out once more, as updated.
    let hung = out["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["record"]["status"] == "RELOADING" || c["record"]["status"] == "QUEUED")
        .unwrap();
    env.ok("cancelReload", json!({"reloadId": hung["record"]["id"]})).await;
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 5}))).await;
    let next = env.ok("pollChangesTrigger", poll.clone()).await;
    let updated: Vec<&str> =
        next["updated"].as_array().unwrap().iter().map(|c| c["dedupeKey"].as_str().unwrap()).collect();
    assert_eq!(updated, [format!("{}@CANCELED", hung["record"]["id"].as_str().unwrap())], "{next}");
    assert_eq!(env.ok("pollChangesTrigger", poll).await["polledNoChanges"], true);

    // Filtered triggers keep their own state.
    let one_app = json!({"pollResourceType": "reloads", "appId": apps[0]});
    assert_eq!(env.ok("pollChangesTrigger", one_app).await["polledNoChanges"], true, "a first run of its own");
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_errors_map_to_their_kinds_and_carry_no_secret() {
    let env = Env::new().await;
    let app = env.seed("apps", 1).await.remove(0);
    // An unknown app: the tenant's 403.
    let error = env.err("reloadApp", json!({"appId": "f5ceaff0-0000-4000-8000-000000000000"})).await;
    assert_qlik_error(&error, "forbidden", 403);
    // A filter the API refuses: its 400, as an api error.
    let error = env.err("listReloads", json!({"appId": app, "filter": "name eq \"x\""})).await;
    assert_qlik_error(&error, "api", 400);
    // A 503 on the POST is not retried (a retried POST could start two reloads).
    env.clear_requests().await;
    env.fault(json!({"method": "POST", "path": "/api/v1/reloads", "status": 503, "count": 1})).await;
    assert_qlik_error(&env.err("reloadApp", json!({"appId": app})).await, "api", 503);
    assert_eq!(posted_reloads(&env.requests().await).len(), 1);
    // A 429 with Retry-After on a read is the rate limit: retried, then the answer.
    let started = env.ok("reloadApp", json!({"appId": app})).await;
    env.fault(json!({"method": "GET", "path": format!("/api/v1/reloads/{}", started["id"].as_str().unwrap()),
                     "status": 429, "retryAfter": "0", "count": 1}))
        .await;
    assert_eq!(env.ok("getReload", json!({"reloadId": started["id"]})).await["id"], started["id"]);
    for error in
        [env.err("reloadApp", json!({"appId": app})).await, env.err("cancelReload", json!({"reloadId": "nope"})).await]
    {
        crate::support::env::assert_no_secret(&error.to_string(), crate::support::env::SENTINEL_API_KEY);
    }
}
