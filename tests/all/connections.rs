//! The harness's keep-alive connections, seen from the simulated tenant (each logged request
//! names the TCP connection that carried it): a call's pages and the next calls share one
//! connection; a connection the tenant closes or drops is not used again, and a request is
//! never sent twice for it.

use crate::support::env::{Env, EnvOptions};
use serde_json::{json, Value};

fn connections(requests: &[Value]) -> Vec<u64> {
    requests.iter().map(|r| r["connection"].as_u64().expect("every logged request names its connection")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_and_calls_share_one_connection() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 250).await;
    env.clear_requests().await;
    let page = env.ok("listSpaces", json!({"fetchAll": true})).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(250));
    env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    env.ok("createSpace", json!({"name": "Pooled", "spaceType": "shared"})).await;
    let used = connections(&env.requests().await);
    assert_eq!(used.len(), 5, "3 pages, a GET and a POST: {used:?}");
    assert!(used.iter().all(|c| *c == used[0]), "one connection for every request of every call: {used:?}");
    assert_eq!(env.harness.outbound().pool().idle_connections(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_reuse_every_request_opens_its_own_connection() {
    let env = Env::with(EnvOptions { fresh_connections: true, ..Default::default() }).await;
    env.seed("spaces", 250).await;
    env.clear_requests().await;
    env.ok("listSpaces", json!({"fetchAll": true})).await;
    let mut used = connections(&env.requests().await);
    used.dedup();
    assert_eq!(used.len(), 3, "three pages, three connections: {used:?}");
    assert_eq!(env.harness.outbound().pool().idle_connections(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_the_tenant_closes_is_not_reused_and_nothing_is_sent_twice() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    env.clear_requests().await;
    env.fault(json!({"method": "GET", "path": format!("/api/v1/spaces/{}", ids[0]), "closeConnection": true})).await;
    env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    // The next call's POST finds the pooled connection closed by the tenant: it goes, once, on
    // a new one.
    let created = env.ok("createSpace", json!({"name": "After close", "spaceType": "shared"})).await;
    let requests = env.requests().await;
    let posts: Vec<_> = requests.iter().filter(|r| r["method"] == "POST").collect();
    assert_eq!(posts.len(), 1, "{requests:?}");
    assert_eq!(posts[0]["response"]["status"], 201);
    let used = connections(&requests);
    assert_ne!(used[0], used[1], "the closed connection was not used again: {used:?}");
    assert!(created["id"].is_string(), "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_is_replaced_for_the_retry() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    env.clear_requests().await;
    env.fault(json!({"method": "GET", "path": format!("/api/v1/spaces/{}", ids[0]), "drop": true})).await;
    let space = env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    assert_eq!(space["id"], ids[0].as_str());
    let used = connections(&env.requests().await);
    assert_eq!(used.len(), 2, "the dropped GET and its retry: {used:?}");
    assert_ne!(used[0], used[1], "the retry went on a new connection: {used:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_at_once_each_take_a_connection_and_leave_them_pooled() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 8).await;
    env.clear_requests().await;
    let calls = ids.iter().map(|id| env.call("getSpace", json!({"spaceId": id})));
    for outcome in futures_util::future::join_all(calls).await {
        assert!(matches!(outcome, qlik_harness::Outcome::Ok(_)), "{outcome:?}");
    }
    let used = connections(&env.requests().await);
    assert_eq!(used.len(), 8);
    let idle = env.harness.outbound().pool().idle_connections();
    assert!((1..=8).contains(&idle), "{idle} idle connections after 8 calls");
    // Those are used again: no new connection for the next 8 calls made one after another.
    env.clear_requests().await;
    for id in &ids {
        env.ok("getSpace", json!({"spaceId": id})).await;
    }
    let mut again = connections(&env.requests().await);
    again.sort();
    again.dedup();
    assert!(again.iter().all(|c| used.contains(c)), "{again:?} within {used:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_benchmarks_native_host_runs_the_same_logic_on_the_same_connections() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 150).await;
    let outbound = env.harness.outbound();
    let mut used = Vec::new();
    for (key, input, sent) in
        [("getSpace", json!({"spaceId": ids[0]}), 1), ("listSpaces", json!({"fetchAll": true}), 2)]
    {
        env.clear_requests().await;
        let through = env.ok(key, input.clone()).await;
        let component = env.requests().await;
        env.clear_requests().await;
        let native = qlik_harness::native_host::run_action(outbound, key, &env.connection, &input).await.unwrap();
        let natively = env.requests().await;
        assert_eq!(native, through, "{key}: the same output natively");
        assert_eq!((component.len(), natively.len()), (sent, sent), "{key}");
        for (a, b) in component.iter().zip(&natively) {
            assert_eq!((&a["method"], &a["path"], &a["query"]), (&b["method"], &b["path"], &b["query"]), "{key}");
            assert_eq!(a["headers"]["host"], b["headers"]["host"], "{b}");
        }
        used.extend(connections(&component).into_iter().chain(connections(&natively)));
    }
    assert!(used.iter().all(|c| *c == used[0]), "one pooled connection for both: {used:?}");
    // Its errors are the connector's, redacted.
    let error = qlik_harness::native_host::run_action(outbound, "getSpace", &env.connection, &json!({}))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("invalid-input error"), "{error}");
    crate::support::env::assert_no_secret(&error, crate::support::env::SENTINEL_API_KEY);
}
