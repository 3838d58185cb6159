//! The defects of `../shared/notes/defects-foundation.md`, each shown fixed through the real
//! component against the simulated tenant (the test names carry the defect numbers).

use crate::support::env;

use env::{assert_no_secret, temp_dir, Env, EnvOptions, SENTINEL_API_KEY};
use qlik_harness::Outcome;
use serde_json::{json, Value};

fn statuses(requests: &[Value]) -> Vec<u64> {
    requests.iter().map(|r| r["response"]["status"].as_u64().unwrap()).collect()
}

fn api_key_connection(tenant: &str) -> Value {
    json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": tenant})
}

#[tokio::test(flavor = "multi_thread")]
async fn d01_mistyped_schemes_are_refused_naming_tenant_and_nothing_is_sent() {
    // Routed: were any of these read as a bare tenant (`https` → https.us.qlikcloud.com), the
    // simulator would receive the request.
    let env = Env::with(EnvOptions { route: true, ..Default::default() }).await;
    for tenant in [
        "https:/acme.eu.qlikcloud.com",
        "https//acme.eu",
        "https:\\acme.eu.qlikcloud.com",
        "https:\\\\acme.eu.qlikcloud.com",
        "HTTPS:/acme.eu.qlikcloud.com",
        "https:/analytics.example.com",
        "http:/127.0.0.1:8080",
        "http//localhost:8080",
        "acme.eu.qlikcloud.com:8443",
    ] {
        let Outcome::Err(error) = env.call_with(&api_key_connection(tenant), "listSpaces", json!({})).await else {
            panic!("{tenant} accepted")
        };
        assert_eq!(
            (error["kind"].as_str(), error["input"].as_str()),
            (Some("invalid-input"), Some("tenant")),
            "{tenant}: {error}"
        );
    }
    assert!(env.requests().await.is_empty());
    assert!(env.harness.outbound_log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn d02_a_redirect_is_an_api_error_and_delete_does_not_claim_success() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    for status in [301, 302, 303, 307, 308] {
        env.fault(json!({"method": "DELETE", "status": status})).await;
        let error = env.err("deleteSpace", json!({"spaceId": ids[0]})).await;
        assert_eq!((error["kind"].as_str(), error["status"].as_u64()), (Some("api"), Some(status)), "{error}");
    }
    // The space is still there, and nothing followed the redirects.
    env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    assert_eq!(statuses(&env.requests_to("/api/v1/spaces").await), [301, 302, 303, 307, 308, 200]);
    env.fault(json!({"method": "GET", "status": 302})).await;
    assert_eq!(env.err("getSpace", json!({"spaceId": ids[0]})).await["status"], 302);
}

#[tokio::test(flavor = "multi_thread")]
async fn d03_d22_dot_ids_are_refused_and_ids_are_trimmed() {
    let env = Env::new().await;
    for action in ["getSpace", "deleteSpace"] {
        for id in [".", "...", " . ", "a..b"] {
            let error = env.err(action, json!({"spaceId": id})).await;
            assert_eq!(
                (error["kind"].as_str(), error["input"].as_str()),
                (Some("invalid-input"), Some("spaceId")),
                "{id:?}"
            );
        }
    }
    let error = env.err("updateSpace", json!({"spaceId": ".", "name": "x"})).await;
    assert_eq!(error["input"], "spaceId");
    assert!(env.requests().await.is_empty());

    let ids = env.seed("spaces", 1).await;
    let space = env.ok("getSpace", json!({"spaceId": format!("  {}\n", ids[0])})).await;
    assert_eq!(space["id"], ids[0].as_str());
    assert_eq!(env.requests().await[0]["path"], format!("/api/v1/spaces/{}", ids[0]));
    let error = env.err("getSpace", json!({"spaceId": " \t "})).await;
    assert_eq!((error["input"].as_str(), error["message"].as_str()), (Some("spaceId"), Some("spaceId is required")));
}

#[tokio::test(flavor = "multi_thread")]
async fn d05_d24_the_cached_token_is_bound_to_the_secret_under_portable_keys() {
    let env = Env::new().await;
    let state = temp_dir("token-binding");
    let harness = env.new_harness(&EnvOptions { state_dir: Some(state.clone()), ..Default::default() });
    let good = env.client_credentials();
    assert!(matches!(harness.call("listSpaces", &good, &json!({})).await.unwrap(), Outcome::Ok(_)));

    // Same tenant and client id, wrong secret, same storage: the token is not reused.
    let mut wrong = good.clone();
    wrong["clientSecret"] = json!("SENTINEL-WRONG-SECRET-9");
    env.clear_requests().await;
    let Outcome::Err(error) = harness.call("listSpaces", &wrong, &json!({})).await.unwrap() else {
        panic!("reused the token")
    };
    assert_eq!(error["kind"], "unauthorized", "{error}");
    let paths: Vec<_> = env.requests().await.iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, ["/oauth/token"]);

    // Other scopes do not reuse it either.
    let mut scoped = good.clone();
    scoped["scopes"] = json!("user_default");
    env.clear_requests().await;
    assert!(matches!(harness.call("listSpaces", &scoped, &json!({})).await.unwrap(), Outcome::Ok(_)));
    assert_eq!(env.requests().await[0]["path"], "/oauth/token");

    // Every key written uses only characters every keyvalue backend accepts; no secret is stored.
    let text = std::fs::read_to_string(state.join("default.kv.json")).unwrap();
    let stored: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(stored.len(), 2, "{text}");
    for key in stored.keys() {
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-/_=.".contains(&b)), "{key}");
    }
    assert_no_secret(&text, env.sim.client_secret());
    assert_no_secret(&text, "SENTINEL-WRONG-SECRET-9");
    std::fs::remove_dir_all(state).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn d06_the_retry_budget_is_per_call_across_pages() {
    let env = Env::new().await;
    env.seed("spaces", 25).await;
    // Page 1: two 429s then an answer; page 2: 429 twice. Three retries per call in all, so
    // the call ends on the second 429 of page 2; a per-request budget would have read page 2.
    let pass = json!({"method": "GET", "path": "/api/v1/spaces", "delayMs": 1});
    let throttle = json!({"method": "GET", "path": "/api/v1/spaces", "status": 429, "retryAfter": "1", "count": 2});
    env.control("POST", "/__sim/faults", Some(json!({"faults": [throttle, pass, throttle, pass]}))).await;
    let error = env.err("listSpaces", json!({"fetchAll": true, "limit": 10})).await;
    assert_eq!(
        (error["kind"].as_str(), error["retryAfterSeconds"].as_u64()),
        (Some("rate-limited"), Some(1)),
        "{error}"
    );
    assert_eq!(statuses(&env.requests_to("/api/v1/spaces").await), [429, 429, 200, 429, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn d10_plain_http_only_for_literal_loopback_names() {
    let env = Env::with(EnvOptions { route: true, ..Default::default() }).await;
    for tenant in ["http://foo.localhost:18111", "http://localhost.evil.example.com:18111"] {
        let Outcome::Err(error) = env.call_with(&api_key_connection(tenant), "listSpaces", json!({})).await else {
            panic!("{tenant} accepted")
        };
        assert_eq!(error["input"], "tenant", "{tenant}: {error}");
    }
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn d13_an_api_key_pasted_with_a_newline_works_and_one_with_a_line_break_inside_is_named() {
    let env = Env::new().await;
    let mut connection = env.connection.clone();
    connection["apiKey"] = json!(format!("{SENTINEL_API_KEY}\n"));
    assert!(matches!(env.call_with(&connection, "listSpaces", json!({})).await, Outcome::Ok(_)));
    connection["apiKey"] = json!(format!("{SENTINEL_API_KEY}\nX"));
    let Outcome::Err(error) = env.call_with(&connection, "listSpaces", json!({})).await else { panic!("accepted") };
    assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("apiKey")));
    assert_no_secret(&error.to_string(), SENTINEL_API_KEY);
    assert_eq!(env.requests().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn d18_query_params_can_repeat_a_key() {
    let env = Env::new().await;
    let input =
        json!({"paramsInputFields": [{"key": "name", "value": "x"}, {"key": "name", "value": "y"}], "limit": 5});
    env.ok("listSpaces", input).await;
    assert_eq!(env.requests().await[0]["query"], "name=x&name=y&limit=5");
}

/// A list page answered by a raw-body fault (the simulator sends it as it is).
fn raw_page(env: &Env, data: Value, next: Option<String>) -> Value {
    let mut links = json!({"self": {"href": format!("{}/api/v1/spaces", env.sim.url())}});
    if let Some(href) = next {
        links["next"] = json!({"href": href});
    }
    json!({"method": "GET", "path": "/api/v1/spaces", "status": 200, "rawBody": json!({"data": data, "links": links}).to_string()})
}

#[tokio::test(flavor = "multi_thread")]
async fn d04_fetch_all_stops_after_three_empty_pages_and_says_truncated() {
    let env = Env::new().await;
    let faults: Vec<Value> = (1..=10)
        .map(|n| raw_page(&env, json!([]), Some(format!("{}/api/v1/spaces?limit=10&next=c{n}", env.sim.url()))))
        .collect();
    env.control("POST", "/__sim/faults", Some(json!({ "faults": faults }))).await;
    let out = env.ok("listSpaces", json!({"fetchAll": true, "limit": 10, "maxRecords": 50})).await;
    assert_eq!((out["truncated"].as_bool(), out["nextPage"].as_str()), (Some(true), Some("c3")), "{out}");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn d04_fetch_all_caps_its_pages_and_says_truncated() {
    let env = Env::new().await;
    // Sparse pages that never end (one record, then two empty pages): maxRecords 4 at limit 2
    // reads at most 2 + 2 pages, though only 2 records came.
    let faults: Vec<Value> = (1..=12)
        .map(|n| {
            let data = if n % 3 == 1 { json!([{"id": format!("s{n}")}]) } else { json!([]) };
            raw_page(&env, data, Some(format!("{}/api/v1/spaces?limit=2&next=p{n}", env.sim.url())))
        })
        .collect();
    env.control("POST", "/__sim/faults", Some(json!({ "faults": faults }))).await;
    let out = env.ok("listSpaces", json!({"fetchAll": true, "limit": 2, "maxRecords": 4})).await;
    assert_eq!(out["data"].as_array().unwrap().len(), 2);
    assert_eq!((out["truncated"].as_bool(), out["nextPage"].as_str()), (Some(true), Some("p4")), "{out}");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn d07_a_slow_drip_tenant_ends_in_timeout_within_the_deadline() {
    let env =
        Env::with(EnvOptions { request_deadline: Some(std::time::Duration::from_millis(1500)), ..Default::default() })
            .await;
    let ids = env.seed("spaces", 1).await;
    // Headers at once, then a byte every 400 ms: the between-bytes timeout (30 s) never fires.
    env.fault(json!({"method": "GET", "body": "drip", "dripMs": 400, "dripBytes": 30})).await;
    let error = env.err("getSpace", json!({"spaceId": ids[0]})).await;
    assert_eq!(error["kind"], "timeout", "{error}");
    assert!(error["message"].as_str().unwrap().contains("deadline"), "{error}");
    assert_eq!(env.requests().await.len(), 1, "a timeout is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn d09_secrets_a_tenant_echoes_are_redacted_from_errors() {
    let env = Env::new().await;
    let echo = format!(
        r#"{{"errors":[{{"code":"ECHO","title":"Bearer {SENTINEL_API_KEY}","detail":"you sent Authorization: Bearer {SENTINEL_API_KEY}"}}]}}"#
    );
    env.fault(json!({"path": "/api/v1/spaces", "status": 400, "rawBody": echo})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!((error["kind"].as_str(), error["code"].as_str()), (Some("api"), Some("ECHO")));
    assert!(error["detail"].as_str().unwrap().contains("Bearer ***"), "{error}");
    assert_no_secret(&error.to_string(), SENTINEL_API_KEY);

    let page = format!("proxy error: request had Authorization: Bearer {SENTINEL_API_KEY}");
    env.fault(json!({"path": "/api/v1/spaces", "status": 500, "rawBody": page, "contentType": "text/plain"})).await;
    let error = env.err("listSpaces", json!({})).await;
    assert_eq!(error["status"], 500);
    assert_no_secret(&error.to_string(), SENTINEL_API_KEY);

    // An identity provider that echoes the request body on a refused token request.
    let secret = env.sim.client_secret().to_string();
    let body = json!({"error": "invalid_client", "error_description": format!(r#"bad secret in body: {{"client_secret":"{secret}"}}"#)});
    env.fault(json!({"path": "/oauth/token", "status": 401, "rawBody": body.to_string()})).await;
    let Outcome::Err(error) = env.call_with(&env.client_credentials(), "listSpaces", json!({})).await else {
        panic!("accepted")
    };
    assert_eq!(error["kind"], "unauthorized");
    assert!(error["detail"].as_str().unwrap().contains("\"client_secret\":\"***\""), "{error}");
    assert_no_secret(&error.to_string(), &secret);
}

#[tokio::test(flavor = "multi_thread")]
async fn d11_select_user_searches_all_users_on_the_tenant() {
    let env = Env::new().await;
    env.seed("users", 2099).await;
    let needle = env
        .control(
            "POST",
            "/__sim/seed",
            Some(json!({"resource": "users", "records": [{"name": "Zed Needle", "email": "needle@example.com"}]})),
        )
        .await["created"][0]
        .as_str()
        .unwrap()
        .to_string();
    env.clear_requests().await;
    let items = env.ok("selectUser", json!({"search": "NEEDLE@"})).await;
    assert_eq!(items, json!([{"key": needle, "label": "Zed Needle"}]));
    let requests = env.requests_to("/api/v1/users").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["query"], "limit=100&filter=name+co+%22NEEDLE%40%22+or+email+co+%22NEEDLE%40%22");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_sources_return_at_most_2000_items() {
    let env = Env::new().await;
    env.seed("spaces", 2150).await;
    let all = env.ok("selectSpace", json!({})).await;
    assert_eq!(all.as_array().unwrap().len(), 2000, "the cap");
    assert_eq!(env.requests_to("/api/v1/spaces").await.len(), 20, "reads stop once 2000 items match");
}

#[tokio::test(flavor = "multi_thread")]
async fn d16_a_url_the_tenant_refuses_as_too_long_is_a_final_api_error() {
    let env = Env::new().await;
    let error = env.err("getSpace", json!({"spaceId": "x".repeat(20_000)})).await;
    assert_eq!((error["kind"].as_str(), error["status"].as_u64()), (Some("api"), Some(414)), "{error}");
    let pairs: Vec<Value> = (0..3000).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    let error = env.err("listSpaces", json!({"paramsInputFields": pairs})).await;
    assert_eq!(error["status"], 414, "{error}");
    assert_eq!(statuses(&env.requests().await), [414, 414], "never retried");
    // Longer than the host's HTTP stack takes: refused before sending (never sent to `/`).
    let error = env.err("getSpace", json!({"spaceId": "x".repeat(100_000)})).await;
    assert_eq!(error["kind"], "transport", "{error}");
    assert!(error["message"].as_str().unwrap().contains("too long"), "{error}");
    assert_eq!(env.requests().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn d19_next_links_to_another_path_are_refused() {
    let env = Env::new().await;
    for next in [
        format!("{}/api/v1/users?next=x", env.sim.url()),
        format!("{}/oauth/token?next=x", env.sim.url()),
        "next?next=r".into(),
    ] {
        env.clear_requests().await;
        env.fault(raw_page(&env, json!([{"id": "s1"}]), Some(next.clone()))).await;
        let error = env.err("listSpaces", json!({"fetchAll": true})).await;
        assert_eq!(error["kind"], "invalid-response", "{next}: {error}");
        assert!(error["message"].as_str().unwrap().contains("another path"), "{error}");
        assert_eq!(env.requests().await.len(), 1, "{next}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_carry_content_length_not_chunked_encoding() {
    let env = Env::new().await;
    env.ok("createSpace", json!({"name": "Ünïcode Finance", "spaceType": "managed"})).await;
    let requests = env.requests_to("/api/v1/spaces").await;
    let headers = &requests[0]["headers"];
    let body = serde_json::to_vec(&requests[0]["body"]).unwrap();
    assert_eq!(headers["content-length"], body.len().to_string(), "{headers}");
    assert!(headers.get("transfer-encoding").is_none(), "{headers}");
}
