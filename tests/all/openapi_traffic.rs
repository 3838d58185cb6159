//! The suite's Spaces, Users and OAuth traffic conforms to Qlik's published OpenAPI documents:
//! what the component sends and what the simulated tenant answers, on success, error and fault
//! paths alike.

use crate::support::env;

use env::{openapi, Env};
use qlik_harness::Outcome;
use serde_json::{json, Value};

/// Runs every Spaces action, the data sources, auth failures, faults and OAuth token requests.
async fn representative_traffic(env: &Env) {
    let ids = env.seed("spaces", 12).await;
    env.seed("users", 3).await;
    let created =
        env.ok("createSpace", json!({"name": "Conforming", "description": "d", "spaceType": "managed"})).await;
    let id = created["id"].as_str().unwrap().to_string();
    env.err("createSpace", json!({"name": "Conforming"})).await;
    env.ok("getSpace", json!({"spaceId": id})).await;
    env.err("getSpace", json!({"spaceId": "missing"})).await;
    env.ok("updateSpace", json!({"spaceId": id, "name": "Renamed", "description": "e", "ownerId": created["ownerId"]}))
        .await;
    env.ok("listSpaces", json!({"limit": 5, "sort": "-name"})).await;
    env.ok("listSpaces", json!({"fetchAll": true, "limit": 5, "paramsInputFields": {"type": "shared,managed"}})).await;
    env.ok("selectSpace", json!({"search": "a"})).await;
    env.ok("selectUser", json!({})).await;
    env.ok("deleteSpace", json!({"spaceId": ids[0]})).await;
    let full =
        env.control("POST", "/__sim/seed", Some(json!({"resource": "spaces", "count": 1, "nonEmpty": true}))).await;
    env.err("deleteSpace", json!({"spaceId": full["created"][0]})).await;
    env.fault(json!({"path": "/api/v1/spaces", "status": 503})).await;
    env.ok("listSpaces", json!({})).await;
    env.fault(json!({"path": "/api/v1/users", "status": 429, "retryAfter": "1"})).await;
    env.ok("selectUser", json!({})).await;
    let wrong_key = json!({"type": "apiKey", "apiKey": "wrong", "tenant": env.sim.url()});
    env.call_with(&wrong_key, "listSpaces", json!({})).await;

    let oauth = json!({
        "type": "oauth2", "grantType": "client_credentials",
        "tokenUrl": format!("{}/oauth/token", env.sim.url()),
        "clientId": env.sim.client_id(), "clientSecret": env.sim.client_secret(),
    });
    assert!(matches!(env.call_with(&oauth, "getSpace", json!({"spaceId": id})).await, Outcome::Ok(_)));
    let mut bad_secret = oauth.clone();
    bad_secret["clientSecret"] = json!("nope");
    bad_secret["clientId"] = json!("other-client");
    env.call_with(&bad_secret, "listSpaces", json!({})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn suite_traffic_conforms_to_qlik_openapi() {
    let env = Env::new().await;
    representative_traffic(&env).await;
    let exchanges = env.requests().await;
    let statuses: std::collections::BTreeSet<u64> =
        exchanges.iter().map(|e| e["response"]["status"].as_u64().unwrap()).collect();
    for expected in [200, 201, 204, 401, 404, 409, 412, 429, 503] {
        assert!(statuses.contains(&expected), "the traffic should include a {expected}; got {statuses:?}");
    }
    assert!(exchanges.iter().any(|e| e["path"] == "/oauth/token"));
    assert!(exchanges.iter().any(|e| e["path"] == "/api/v1/users"));
    let spec = openapi::Spec::load(&["spaces", "users", "oauth"]);
    let violations = spec.check_all(&exchanges);
    assert!(violations.is_empty(), "{} violations:\n{}", violations.len(), violations.join("\n"));
}

#[test]
fn a_non_conforming_exchange_is_caught() {
    // Guards the test above against passing vacuously.
    let spec = openapi::Spec::load(&["spaces"]);
    let bad: Value = json!({
        "seq": 1, "method": "GET", "path": "/api/v1/spaces/abc", "query": "", "headers": {}, "body": null,
        "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": {"id": 5, "createdAt": "yesterday"}}
    });
    assert!(!spec.check_all(&[bad]).is_empty());
}
