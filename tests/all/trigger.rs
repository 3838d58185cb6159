//! The polling trigger through the real component against the simulated tenant: first run,
//! changes emitted once, failed polls that change nothing, and the early stop on sorted lists.

use crate::support::env::{self, temp_dir, Env, EnvOptions};
use qlik_harness::Outcome;
use serde_json::{json, Value};

fn keys(result: &Value, kind: &str) -> Vec<String> {
    let mut keys: Vec<String> =
        result[kind].as_array().unwrap().iter().map(|c| c["dedupeKey"].as_str().unwrap().to_string()).collect();
    keys.sort();
    keys
}

async fn poll(env: &Env, harness: &qlik_harness::Harness, resource: &str) -> Outcome {
    harness.call("pollChangesTrigger", &env.connection, &json!({"pollResourceType": resource})).await.unwrap()
}

fn ok(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Ok(value) => value,
        Outcome::Err(error) => panic!("the poll failed: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_emits_nothing_then_each_change_comes_once() {
    let env = Env::new().await;
    env.seed("spaces", 5).await;
    // History: written seconds before the first run (its time is the Date header's, to the second).
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    env.clear_requests().await;
    let first = ok(poll(&env, &env.harness, "spaces").await);
    assert_eq!(first["polledNoChanges"], true, "{first}");
    assert_eq!(env.requests().await.len(), 1, "a first run makes one small request");
    assert!(env.requests().await[0]["query"].as_str().unwrap().contains("limit=1"));

    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let created = env.seed("spaces", 3).await;
    let second = ok(poll(&env, &env.harness, "spaces").await);
    let want: Vec<String> = created.iter().map(|id| id.to_string()).collect();
    let got: Vec<String> = keys(&second, "created").iter().map(|k| k.split('@').next().unwrap().to_string()).collect();
    let mut want = want;
    want.sort();
    let mut got = got;
    got.sort();
    assert_eq!(got, want, "{second}");
    assert!(keys(&second, "updated").is_empty());
    for change in second["created"].as_array().unwrap() {
        let (key, record) = (change["dedupeKey"].as_str().unwrap(), &change["record"]);
        assert_eq!(key, format!("{}@{}", record["id"].as_str().unwrap(), record["updatedAt"].as_str().unwrap()));
    }

    let third = ok(poll(&env, &env.harness, "spaces").await);
    assert_eq!(third["polledNoChanges"], true, "nothing is repeated: {third}");

    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    env.ok("updateSpace", json!({"spaceId": created[0], "description": "changed"})).await;
    let fourth = ok(poll(&env, &env.harness, "spaces").await);
    let updated = keys(&fourth, "updated");
    assert_eq!(updated.len(), 1, "{fourth}");
    assert!(updated[0].starts_with(&format!("{}@", created[0])));
    assert!(keys(&fourth, "created").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_poll_changes_nothing_and_the_next_covers_the_same_ground() {
    let env = Env::new().await;
    let state = temp_dir("trigger-fail");
    let harness = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    ok(poll(&env, &harness, "spaces").await);
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let created = env.seed("spaces", 2).await;
    let file = state.join("default.kv.json");
    let before = std::fs::read(&file).unwrap();
    env.fault(json!({"method": "GET", "path": "/api/v1/spaces", "status": 503, "count": 4})).await;
    let Outcome::Err(error) = poll(&env, &harness, "spaces").await else {
        panic!("the poll succeeded through four 503s")
    };
    assert_eq!(error["status"], 503, "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "state byte for byte unchanged");
    let next = ok(poll(&env, &harness, "spaces").await);
    assert_eq!(keys(&next, "created").len(), created.len(), "{next}");

    // Storage failures fail the poll: a failed read is never taken for a first run, a failed
    // write leaves the state as it was (the next poll emits the same changes again).
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let later = env.seed("spaces", 1).await;
    let before = std::fs::read(&file).unwrap();
    for op in [qlik_harness::kv::KvOp::Read, qlik_harness::kv::KvOp::Write] {
        harness.kv().fail_next(op, 1);
        let Outcome::Err(error) = poll(&env, &harness, "spaces").await else { panic!("{op:?} failure ignored") };
        assert_eq!(error["kind"], "transport", "{error}");
        assert!(error["message"].as_str().unwrap_or_default().contains("storage"), "{error}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "{op:?}: state unchanged");
    }
    assert_eq!(keys(&ok(poll(&env, &harness, "spaces").await), "created").len(), later.len());

    // A corrupt state document fails the poll; it is never taken for a first run.
    std::fs::write(&file, b"{not json").unwrap();
    let Outcome::Err(error) = poll(&env, &harness, "spaces").await else { panic!("a corrupt state was ignored") };
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), b"{not json");
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_data_files_with_ten_changes_cost_one_list_request() {
    let env = Env::new().await;
    env.control("POST", "/__sim/seed", Some(json!({"resource": "dataFiles", "count": 10_000}))).await;
    // Move past the overlap window, so the old files are outside it.
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 3600}))).await;
    env.clear_requests().await;
    ok(poll(&env, &env.harness, "dataFiles").await);
    let first = env.requests_to("/api/v1/data-files").await;
    assert_eq!(first.len(), 1, "a first run makes one request");
    assert!(first[0]["query"].as_str().unwrap().contains("limit=1"), "{}", first[0]["query"]);

    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let churn =
        env.control("POST", "/__sim/churn", Some(json!({"resource": "dataFiles", "create": 5, "update": 5}))).await;
    env.clear_requests().await;
    let out = ok(poll(&env, &env.harness, "dataFiles").await);
    let ids = |kind: &str| -> Vec<String> {
        let mut ids: Vec<String> = keys(&out, kind).iter().map(|k| k.split('@').next().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let sorted = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v.as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    assert_eq!(ids("created"), sorted(&churn["created"]), "{out}");
    assert_eq!(ids("updated"), sorted(&churn["updated"]), "{out}");
    let lists = env.requests_to("/api/v1/data-files").await;
    assert!(lists.len() <= 2, "at most 2 list requests, made {}", lists.len());
    assert_eq!(lists.len(), 1, "one page of 1000 ends before the window");
    assert!(lists[0]["query"].as_str().unwrap().contains("sort=-modifiedDate"), "{}", lists[0]["query"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_resource_type_is_named_and_nothing_is_sent() {
    let env = Env::new().await;
    for input in
        [json!({}), json!({"pollResourceType": "reports"}), json!({"pollResourceType": "spaces", "overlapMinutes": 61})]
    {
        let Outcome::Err(error) = env.call("pollChangesTrigger", input.clone()).await else {
            panic!("{input} accepted")
        };
        assert_eq!(error["kind"], "invalid-input", "{input}: {error}");
    }
    assert!(env.requests().await.is_empty());
    let _ = env::SENTINEL_API_KEY;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_acknowledge_changes_stay_pending_until_ack_poll() {
    let env = Env::new().await;
    let state = temp_dir("trigger-ack");
    let harness = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    let input = json!({"pollResourceType": "spaces", "acknowledge": true});
    let poll = || async { ok(harness.call("pollChangesTrigger", &env.connection, &input).await.unwrap()) };
    let ack = |id: Value| {
        let harness = &harness;
        let (connection, input) = (&env.connection, &input);
        async move { harness.ack_poll(connection, input, id.as_str().unwrap_or_default()).await.unwrap() }
    };
    let first = poll().await;
    assert_eq!((first["polledNoChanges"].clone(), first["pollId"].clone()), (json!(true), Value::Null), "{first}");

    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let created = env.seed("spaces", 2).await;
    let delivered = poll().await;
    assert_eq!(keys(&delivered, "created").len(), 2, "{delivered}");
    let lost_id = delivered["pollId"].clone();
    assert!(lost_id.as_str().is_some_and(|id| id.len() == 32), "{delivered}");
    // The host crashed before handing them on: the next poll reports the same changes again.
    let again = poll().await;
    assert_eq!(keys(&again, "created"), keys(&delivered, "created"), "same dedupe keys");
    assert_ne!(again["pollId"], lost_id);
    env.clear_requests().await;
    let Outcome::Err(error) = ack(lost_id.clone()).await else { panic!("a superseded poll was acknowledged") };
    assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("pollId")), "{error}");
    assert_eq!(ack(again["pollId"].clone()).await, Outcome::Ok(Value::Null));
    assert_eq!(ack(again["pollId"].clone()).await, Outcome::Ok(Value::Null), "acknowledging twice is fine");
    assert!(env.requests().await.is_empty(), "ack-poll reads and writes storage only");
    let after = poll().await;
    assert_eq!((after["polledNoChanges"].clone(), after["pollId"].clone()), (json!(true), Value::Null), "{after}");

    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    env.ok("updateSpace", json!({"spaceId": created[0], "description": "changed"})).await;
    let updated = poll().await;
    assert_eq!(keys(&updated, "updated").len(), 1, "{updated}");
    assert_eq!(ack(updated["pollId"].clone()).await, Outcome::Ok(Value::Null));
    assert_eq!(poll().await["polledNoChanges"], true);

    // Nothing to acknowledge: a fresh store, and a blank id.
    for (harness, id) in [(env.new_harness(&EnvOptions::default()), "abc"), (harness, " ")] {
        let Outcome::Err(error) = harness.ack_poll(&env.connection, &input, id).await.unwrap() else {
            panic!("{id:?} acknowledged")
        };
        assert_eq!(error["input"], "pollId", "{error}");
    }
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_that_refuses_the_sort_gets_a_full_scan_remembered_in_the_state() {
    let env = Env::new().await;
    let state = temp_dir("trigger-sort");
    let harness = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    env.control("POST", "/__sim/seed", Some(json!({"resource": "data-stores", "count": 3}))).await;
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    ok(poll(&env, &harness, "dataStores").await);
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let churn =
        env.control("POST", "/__sim/churn", Some(json!({"resource": "data-stores", "create": 1, "update": 1}))).await;
    env.fault(json!({"method": "GET", "path": "/api/v1/data-stores", "status": 400, "count": 1})).await;
    env.clear_requests().await;
    let out = ok(poll(&env, &harness, "dataStores").await);
    assert_eq!(keys(&out, "created").len() + keys(&out, "updated").len(), 2, "{out} after {churn}");
    let queries: Vec<String> = env
        .requests_to("/api/v1/data-stores")
        .await
        .iter()
        .map(|r| r["query"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(queries[0].contains("sort=-lastModifiedTime") && !queries[1].contains("sort="), "{queries:?}");
    let bucket: Value = serde_json::from_slice(&std::fs::read(state.join("default.kv.json")).unwrap()).unwrap();
    let text = bucket.to_string();
    assert!(text.contains("fullScan"), "remembered in the state: {text}");

    // The next poll scans without the sort, and a 400 there is an error, not another fallback.
    env.clear_requests().await;
    assert_eq!(ok(poll(&env, &harness, "dataStores").await)["polledNoChanges"], true);
    let next = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(next.len(), 1);
    assert!(!next[0]["query"].as_str().unwrap_or_default().contains("sort="), "{}", next[0]["query"]);
    env.fault(json!({"method": "GET", "path": "/api/v1/data-stores", "status": 400, "count": 1})).await;
    let Outcome::Err(error) = poll(&env, &harness, "dataStores").await else {
        panic!("a 400 on a full scan succeeded")
    };
    assert_eq!(error["status"], 400, "{error}");
    std::fs::remove_dir_all(state).unwrap();
}
