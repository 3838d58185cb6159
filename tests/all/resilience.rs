//! Retries, timeouts, OAuth client credentials and tenant forms, through the real component.

use crate::support::env;

use env::{assert_no_secret, temp_dir, Env, EnvOptions};
use qlik_harness::Outcome;
use serde_json::{json, Value};
use std::time::Duration;

fn statuses(requests: &[Value]) -> Vec<u64> {
    requests.iter().map(|r| r["response"]["status"].as_u64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_then_success_honours_retry_after() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    let path = format!("/api/v1/spaces/{}", ids[0]);
    env.fault(json!({"path": path, "status": 429, "retryAfter": "1"})).await;
    let started = std::time::Instant::now();
    env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    let waited = started.elapsed();
    let requests = env.requests_to(&path).await;
    assert_eq!(statuses(&requests), [429, 200]);
    // The component waited as told (a behaviour check, not a benchmark).
    assert!(waited >= Duration::from_millis(950), "retried after {waited:?}, before Retry-After");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_beyond_budget_is_rate_limited_at_once() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "status": 429, "retryAfter": "3600"})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["kind"], "rate-limited");
    assert_eq!(error["retryAfterSeconds"], 3600);
    assert_eq!(error["status"], 429);
    assert_eq!(error["code"], "HTTP-429");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn real_rate_limit_window_is_waited_out() {
    let env = Env::new().await;
    // Put the tenant's clock 1.5 s before a minute boundary, so its window resets soon.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let skew = (58.5 - now % 60.0).rem_euclid(60.0);
    env.control("POST", "/__sim/clock", Some(json!({"skewSeconds": skew as i64}))).await;
    env.control("POST", "/__sim/config", Some(json!({"rateLimits": {"tier2": 1}}))).await;
    env.ok("createSpace", json!({"name": "first"})).await;
    env.ok("createSpace", json!({"name": "second"})).await;
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(statuses(&requests), [201, 429, 201]);
    let retry_after: u64 = requests[1]["response"]["headers"]["retry-after"].as_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry_after), "{retry_after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_retries_503_twice_then_succeeds() {
    let env = Env::new().await;
    env.seed("spaces", 2).await;
    env.fault(json!({"path": "/api/v1/spaces", "status": 503, "count": 2})).await;
    let page = env.ok("listSpaces", json!({})).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(statuses(&env.requests_to("/api/v1/spaces").await), [503, 503, 200]);
}

#[tokio::test(flavor = "multi_thread")]
async fn post_is_not_retried_on_503() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "method": "POST", "status": 503})).await;
    let error = env.err("createSpace", json!({"name": "Once"})).await;
    assert_eq!(error["kind"], "api");
    assert_eq!(error["status"], 503);
    assert_eq!(statuses(&env.requests_to("/api/v1/spaces").await), [503]);
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_503_gives_up_after_three_retries() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "status": 503, "count": 10})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["status"], 503);
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connection_is_retried_for_get() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "drop": true})).await;
    env.ok("listSpaces", json!({})).await;
    assert_eq!(statuses(&env.requests_to("/api/v1/spaces").await), [0, 200]);
}

#[tokio::test(flavor = "multi_thread")]
async fn hung_server_ends_in_timeout() {
    let env = Env::with(EnvOptions { max_first_byte: Some(Duration::from_millis(500)), ..Default::default() }).await;
    env.fault(json!({"path": "/api/v1/spaces", "delayMs": 5000})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["kind"], "timeout", "{error}");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 1, "a timeout is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stalls_ends_in_timeout_at_the_between_bytes_timeout_not_retried() {
    // Headers at once, then nothing for two minutes: the host's between-bytes timer (30 s, as the
    // component asks) ends the read, long before the 5-minute deadline. wasmtime's body error
    // has no `http-error-code`, only its text; src/body_error.rs classifies it as a timeout (and
    // would by the silence alone, as preview2-shim's "aborted" needs: hosts/node/test/body-and-head-timeouts.test.js).
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    env.fault(json!({"method": "GET", "body": "drip", "dripMs": 120_000, "count": 4})).await;
    let error = env.err("getSpace", json!({"spaceId": ids[0]})).await;
    assert_eq!(error["kind"], "timeout", "{error}");
    assert_eq!(error["message"], "the tenant stopped sending the response", "not the deadline: {error}");
    assert_eq!(env.requests().await.len(), 1, "a timeout after the request went out is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_truncated_bodies_are_typed_errors() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "body": "malformed"})).await;
    assert_eq!(env.err("listSpaces", json!({})).await["kind"], "invalid-response");
    env.clear_requests().await;
    // A body cut short is a broken connection: retried for a GET (3 retries), then `transport`.
    env.fault(json!({"path": "/api/v1/spaces", "body": "truncated", "count": 10})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["kind"], "transport", "{error}");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn response_over_32_mib_is_refused_while_streaming() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/spaces", "body": "oversized"})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["kind"], "invalid-response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("32 MiB"), "{error}");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 1, "an oversized answer is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tenant_form_reaches_its_host() {
    let env = Env::with(EnvOptions { route: true, ..Default::default() }).await;
    for (tenant, host) in [
        ("acme", "acme.us.qlikcloud.com"),
        ("acme.eu", "acme.eu.qlikcloud.com"),
        ("acme.eu.qlikcloud.com", "acme.eu.qlikcloud.com"),
        ("acme.us.qlikcloudgov.com", "acme.us.qlikcloudgov.com"),
        ("analytics.example.com", "analytics.example.com"),
        ("https://acme.eu.qlikcloud.com/hub/home", "acme.eu.qlikcloud.com"),
        ("  ACME.de  ", "acme.de.qlikcloud.com"),
    ] {
        env.clear_requests().await;
        let connection = json!({"type": "apiKey", "apiKey": env::SENTINEL_API_KEY, "tenant": tenant});
        let outcome = env.call_with(&connection, "listSpaces", json!({})).await;
        assert!(matches!(outcome, Outcome::Ok(_)), "{tenant}: {outcome:?}");
        let requests = env.requests().await;
        assert_eq!(requests.len(), 1, "{tenant}");
        assert_eq!(requests[0]["headers"]["host"], host, "{tenant}");
        assert_eq!(requests[0]["headers"]["x-forwarded-proto"], "https", "{tenant}: always https");
    }
    // Paging links come back on the tenant host, so fetchAll follows them there.
    env.seed("spaces", 25).await;
    env.clear_requests().await;
    let connection = json!({"type": "apiKey", "apiKey": env::SENTINEL_API_KEY, "tenant": "acme.eu"});
    let Outcome::Ok(all) = env.call_with(&connection, "listSpaces", json!({"fetchAll": true, "limit": 10})).await
    else {
        panic!("fetchAll")
    };
    assert_eq!(all["data"].as_array().unwrap().len(), 25);
    assert!(env.requests().await.iter().all(|r| r["headers"]["host"] == "acme.eu.qlikcloud.com"));
    for loopback in [env.sim.url(), env.sim.url().replace("127.0.0.1", "localhost")] {
        let connection = json!({"type": "apiKey", "apiKey": env::SENTINEL_API_KEY, "tenant": loopback});
        assert!(matches!(env.call_with(&connection, "listSpaces", json!({})).await, Outcome::Ok(_)), "{loopback}");
    }
    env.clear_requests().await;
    for bad in [
        "",
        "http://acme.eu.qlikcloud.com",
        "acme corp",
        "user@acme.eu.qlikcloud.com",
        "https://acme.eu.qlikcloud.com/?x=1",
        "ftp://acme",
    ] {
        let connection = json!({"type": "apiKey", "apiKey": "k", "tenant": bad});
        let Outcome::Err(error) = env.call_with(&connection, "listSpaces", json!({})).await else {
            panic!("{bad} accepted")
        };
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("tenant")), "{bad}");
    }
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_token_is_fetched_once_reused_and_refreshed_after_401() {
    let env = Env::new().await;
    let state = temp_dir("oauth");
    let connection = env.client_credentials();
    // Two harnesses on one state dir: like two host processes.
    let first = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    let second = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    for harness in [&first, &second, &first] {
        let outcome = harness.call("listSpaces", &connection, &json!({})).await.unwrap();
        assert!(matches!(outcome, Outcome::Ok(_)), "{outcome:?}");
    }
    let token_requests = env.requests_to("/oauth/token").await;
    assert_eq!(token_requests.len(), 1, "one token for three calls");
    assert_eq!(token_requests[0]["body"]["grant_type"], "client_credentials");
    assert_eq!(token_requests[0]["body"]["client_secret"], "***");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 3);

    let stored = std::fs::read_to_string(state.join("default.kv.json")).unwrap();
    assert_no_secret(&stored, env.sim.client_secret());

    env.control("POST", "/__sim/oauth/revoke", None).await;
    env.clear_requests().await;
    let outcome = second.call("listSpaces", &connection, &json!({})).await.unwrap();
    assert!(matches!(outcome, Outcome::Ok(_)), "{outcome:?}");
    let paths: Vec<_> = env
        .requests()
        .await
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_string(), r["response"]["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [("/api/v1/spaces".to_string(), 401), ("/oauth/token".to_string(), 200), ("/api/v1/spaces".to_string(), 200)]
    );
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_client_secret_is_unauthorized_naming_client_id_without_the_secret() {
    let env = Env::new().await;
    let mut connection = env.client_credentials();
    connection["clientSecret"] = json!("SENTINEL-CLIENT-SECRET-42");
    let Outcome::Err(error) = env.call_with(&connection, "listSpaces", json!({})).await else { panic!("accepted") };
    assert_eq!(error["kind"], "unauthorized");
    assert!(error["detail"].as_str().unwrap().contains(env.sim.client_id()));
    assert_no_secret(&error.to_string(), "SENTINEL-CLIENT-SECRET-42");
    assert_no_secret(&env.control("GET", "/__sim/requests", None).await.to_string(), "SENTINEL-CLIENT-SECRET-42");
    assert!(env.requests_to("/api/v1").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn authorization_code_uses_the_given_token_and_returns_401() {
    let env = Env::new().await;
    let connection = json!({
        "type": "oauth2", "grantType": "authorization_code",
        "tokenUrl": format!("{}/oauth/token", env.sim.url()),
        "clientId": "c", "clientSecret": "s", "accessToken": "expired-user-token",
    });
    let Outcome::Err(error) = env.call_with(&connection, "listSpaces", json!({})).await else { panic!("accepted") };
    assert_eq!(error["kind"], "unauthorized");
    assert!(
        env.requests_to("/oauth/token").await.is_empty(),
        "user tokens are never fetched or refreshed by the component"
    );
    let mut missing = connection.clone();
    missing["accessToken"] = Value::Null;
    let Outcome::Err(error) = env.call_with(&missing, "listSpaces", json!({})).await else { panic!("accepted") };
    assert_eq!(error["input"], "accessToken");
    let mut elsewhere = connection.clone();
    elsewhere["tenant"] = json!("acme.eu");
    let Outcome::Err(error) = env.call_with(&elsewhere, "listSpaces", json!({})).await else { panic!("accepted") };
    assert_eq!(error["input"], "tokenUrl");
}
