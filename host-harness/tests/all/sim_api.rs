//! Black-box tests of the simulated Qlik tenant over real HTTP/1.1 connections.

use std::time::{Duration, Instant, SystemTime};

use chrono::Datelike as _;
use qlik_harness::sim::{start, SimConfig, SimHandle};
use qlik_harness::sim_client::{exchange, RawResponse};
use serde_json::{json, Value};
use tokio::net::TcpStream;

// ---------------------------------------------------------------- HTTP over the harness's client

/// A response, as the harness's own simulator client reads it.
type Resp = RawResponse;

/// JSON and text views of a response body.
trait Body {
    fn json(&self) -> Value;
}

impl Body for Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request with `Connection: close`; `None` when the server closed without answering.
async fn raw_request(base: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<Resp> {
    let response = exchange(base, method, target, headers, body).await.expect("connect to simulator");
    if let Some(r) = &response {
        assert!(
            r.header("transfer-encoding").is_none_or(|v| !v.contains("chunked")),
            "the simulator is expected to send Content-Length bodies"
        );
    }
    response
}

/// A started simulator plus request helpers.
struct Sim {
    handle: SimHandle,
}

impl Sim {
    async fn start() -> Sim {
        Sim { handle: start(SimConfig::default()).await.expect("start simulator") }
    }

    fn url(&self) -> String {
        self.handle.url()
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.handle.api_key())
    }

    async fn send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        raw_request(&self.url(), method, target, headers, body).await.expect("a response")
    }

    /// A tenant API call with the API key.
    async fn api(&self, method: &str, target: &str, body: Option<Value>) -> Resp {
        self.api_as(&self.bearer(), method, target, body).await
    }

    async fn api_as(&self, auth: &str, method: &str, target: &str, body: Option<Value>) -> Resp {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let headers = [("Authorization", auth), ("Content-Type", "application/json")];
        self.send(method, target, &headers, &bytes).await
    }

    /// A control API call; asserts a 2xx answer.
    async fn ctl(&self, method: &str, path: &str, body: Value) -> Value {
        let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        let r = self.send(method, path, &[("Content-Type", "application/json")], &bytes).await;
        assert!((200..300).contains(&r.status), "{method} {path} -> {} {}", r.status, r.text());
        r.json()
    }

    async fn seed(&self, body: Value) -> Vec<String> {
        let created = self.ctl("POST", "/__sim/seed", body).await;
        created["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    async fn token_json(&self, body: Value) -> Resp {
        self.send("POST", "/oauth/token", &[("Content-Type", "application/json")], body.to_string().as_bytes()).await
    }

    async fn client_credentials(&self) -> String {
        let r = self
            .token_json(json!({ "grant_type": "client_credentials", "client_id": self.handle.client_id(),
                                "client_secret": self.handle.client_secret() }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_string()
    }
}

fn assert_spaces_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(body["errors"][0]["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(body["traceId"].as_str().is_some_and(|t| t.len() == 32), "{body}");
    assert_eq!(Some(body["traceId"].as_str().unwrap()), r.header("x-request-id"));
}

fn parse_rfc3339(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("a date-time string")).expect("RFC 3339")
}

fn date_header(r: &Resp) -> SystemTime {
    httpdate::parse_http_date(r.header("date").expect("Date header")).expect("an HTTP date")
}

fn secs_between(a: SystemTime, b: SystemTime) -> f64 {
    match a.duration_since(b) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn rejects_missing_or_wrong_credentials_with_qlik_error_bodies() {
    let sim = Sim::start().await;
    let none = sim.send("GET", "/api/v1/spaces", &[], b"").await;
    assert_spaces_error(&none, 401, "HTTP-401");
    assert_eq!(none.json()["errors"][0]["title"], "Unauthorized");
    assert!(none.json()["errors"][0]["detail"].is_string());

    let wrong = sim.api_as("Bearer nope", "GET", "/api/v1/spaces", None).await;
    assert_spaces_error(&wrong, 401, "HTTP-401");

    let users = sim.api_as("Basic abc", "GET", "/api/v1/users", None).await;
    assert_eq!(users.status, 401);
    assert_eq!(users.json()["errors"][0]["status"], 401, "users errors carry a numeric status");

    let ok = sim.api("GET", "/api/v1/spaces", None).await;
    assert_eq!(ok.status, 200);
    assert!(ok.header("date").is_some());
}

#[tokio::test]
async fn creates_reads_updates_and_deletes_spaces() {
    let sim = Sim::start().await;
    let base = sim.url();
    let created = sim
        .api(
            "POST",
            "/api/v1/spaces",
            Some(json!({"name": "Finance (dev)", "type": "shared",
                                                              "description": "Dev space"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let space = created.json();
    let id = space["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(space["name"], "Finance (dev)");
    assert_eq!(space["type"], "shared");
    assert_eq!(space["links"]["self"]["href"], format!("{base}/api/v1/spaces/{id}"));
    assert_eq!(space["links"]["assignments"]["href"], format!("{base}/api/v1/spaces/{id}/assignments"));
    assert!(space["meta"]["actions"].is_array() && space["meta"]["assignableRoles"].is_array());
    assert!(space["tenantId"].as_str().is_some_and(|t| t.len() == 32));
    let created_at = parse_rfc3339(&space["createdAt"]);

    let dup = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "FINANCE (DEV)", "type": "managed"}))).await;
    assert_spaces_error(&dup, 409, "SPACES-409");
    assert_eq!(dup.json()["errors"][0]["title"], "Space name must be unique");
    let no_type = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "X"}))).await;
    assert_spaces_error(&no_type, 400, "HTTP-400");
    let bad_type = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "X", "type": "personal"}))).await;
    assert_spaces_error(&bad_type, 400, "HTTP-400");
    let bad_name = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "a/b", "type": "data"}))).await;
    assert_spaces_error(&bad_name, 400, "HTTP-400");

    let got = sim.api("GET", &format!("/api/v1/spaces/{id}"), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), space);
    assert_spaces_error(&sim.api("GET", "/api/v1/spaces/000000000000000000000000", None).await, 404, "HTTP-404");

    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 30})).await;
    let ops = json!([{"op": "replace", "path": "/name", "value": "Finance (prod)"},
                     {"op": "replace", "path": "/description", "value": "Prod"}]);
    let patched = sim.api("PATCH", &format!("/api/v1/spaces/{id}"), Some(ops)).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let patched = patched.json();
    assert_eq!(patched["name"], "Finance (prod)");
    assert_eq!(patched["description"], "Prod");
    let updated_at = parse_rfc3339(&patched["updatedAt"]);
    assert!((updated_at - created_at).num_seconds() >= 29, "updatedAt bumped by the simulated clock");
    assert_eq!(patched["createdAt"], space["createdAt"]);

    let bad_op = json!([{"op": "add", "path": "/name", "value": "x"}]);
    assert_spaces_error(&sim.api("PATCH", &format!("/api/v1/spaces/{id}"), Some(bad_op)).await, 400, "HTTP-400");
    let bad_path = json!([{"op": "replace", "path": "/type", "value": "data"}]);
    assert_spaces_error(&sim.api("PATCH", &format!("/api/v1/spaces/{id}"), Some(bad_path)).await, 400, "HTTP-400");
    sim.api("POST", "/api/v1/spaces", Some(json!({"name": "Other", "type": "data"}))).await;
    let taken = json!([{"op": "replace", "path": "/name", "value": "other"}]);
    assert_spaces_error(&sim.api("PATCH", &format!("/api/v1/spaces/{id}"), Some(taken)).await, 409, "SPACES-409");

    let put = sim.api("PUT", &format!("/api/v1/spaces/{id}"), Some(json!({"description": "Put"}))).await;
    assert_eq!(put.status, 200);
    assert_eq!(put.json()["description"], "Put");
    assert_eq!(put.json()["name"], "Finance (prod)");

    let deleted = sim.api("DELETE", &format!("/api/v1/spaces/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_spaces_error(&sim.api("DELETE", &format!("/api/v1/spaces/{id}"), None).await, 404, "HTTP-404");

    let full = sim.seed(json!({"resource": "spaces", "count": 1, "nonEmpty": true})).await;
    let refused = sim.api("DELETE", &format!("/api/v1/spaces/{}", full[0]), None).await;
    assert_spaces_error(&refused, 412, "SPACES-412");

    let changes = sim.ctl("GET", "/__sim/changes", Value::Null).await;
    let kinds: Vec<(String, String)> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id.as_str())
        .map(|c| (c["kind"].as_str().unwrap().to_string(), c["resource"].as_str().unwrap().to_string()))
        .collect();
    let expect = |k: &str| (k.to_string(), "spaces".to_string());
    assert_eq!(kinds, vec![expect("created"), expect("updated"), expect("updated"), expect("deleted")]);
    assert!(changes["changes"].as_array().unwrap().iter().all(|c| c["timestamp"].is_string()));
}

#[tokio::test]
async fn pages_spaces_with_absolute_links_that_keep_other_parameters() {
    let sim = Sim::start().await;
    let base = sim.url();
    let seeded = sim.seed(json!({"resource": "spaces", "count": 25, "namePrefix": "Page "})).await;
    sim.seed(json!({"resource": "spaces", "count": 3})).await;
    assert_eq!(seeded.len(), 25);

    let mut target = "/api/v1/spaces?limit=10&sort=-name&name=page".to_string();
    let mut pages = Vec::new();
    loop {
        let r = sim.api("GET", &target, None).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        assert_eq!(body["meta"]["count"], 25);
        assert_eq!(body["links"]["self"]["href"], format!("{base}{target}"));
        pages.push(body.clone());
        let Some(next) = body["links"]["next"]["href"].as_str() else {
            break;
        };
        assert!(next.starts_with(&format!("{base}/api/v1/spaces?")), "absolute next link: {next}");
        for kept in ["limit=10", "sort=-name", "name=page", "next="] {
            assert!(next.contains(kept), "{next} keeps {kept}");
        }
        target = next.trim_start_matches(&base).to_string();
    }
    let sizes: Vec<usize> = pages.iter().map(|p| p["data"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
    assert!(pages[0]["links"]["prev"].is_null());
    assert!(pages[1]["links"]["prev"]["href"].is_string());

    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().clone())
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 25);
    assert!(names.iter().all(|n| n.starts_with("Page ")));
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.to_lowercase()));
    assert_eq!(names, sorted, "sort=-name orders by name descending");
    let mut ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().clone())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no record repeats across pages");

    let prev = pages[2]["links"]["prev"]["href"].as_str().unwrap().trim_start_matches(&base).to_string();
    assert!(prev.contains("prev=") && !prev.contains("next="));
    let back = sim.api("GET", &prev, None).await.json();
    assert_eq!(back["data"], pages[1]["data"], "prev from page 3 gives page 2");

    let default_page = sim.api("GET", "/api/v1/spaces", None).await.json();
    assert_eq!(default_page["data"].as_array().unwrap().len(), 10, "default limit 10");
    assert_eq!(default_page["meta"]["count"], 28);
    let big = sim.api("GET", "/api/v1/spaces?limit=500", None).await;
    assert_eq!(big.status, 200, "limits above 100 are clamped");
    assert_eq!(big.json()["data"].as_array().unwrap().len(), 28);
    let types = sim.api("GET", "/api/v1/spaces?type=managed,data&limit=100", None).await.json();
    assert!(types["data"].as_array().unwrap().iter().all(|s| s["type"] != "shared"));

    for bad in ["limit=0", "limit=abc", "sort=updatedAt", "next=zz", "next=6e", "prev=6e303a", "type=personal"] {
        let r = sim.api("GET", &format!("/api/v1/spaces?{bad}"), None).await;
        assert_spaces_error(&r, 400, "HTTP-400");
    }
}

#[tokio::test]
async fn lists_users_and_redirects_me() {
    let sim = Sim::start().await;
    sim.seed(json!({"resource": "users", "count": 30})).await;

    for bad in ["limit=101", "limit=0", "sort=lastUpdatedAt", "totalResults=maybe"] {
        let r = sim.api("GET", &format!("/api/v1/users?{bad}"), None).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["errors"][0]["status"], 400);
        assert!(r.json()["traceId"].is_string());
    }

    let first = sim.api("GET", "/api/v1/users?totalResults=true", None).await.json();
    let data = first["data"].as_array().unwrap();
    assert_eq!(data.len(), 20, "default limit 20");
    assert_eq!(first["totalResults"], 31, "30 seeded plus Sim Admin");
    let names: Vec<String> = data.iter().map(|u| u["name"].as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "default sort +name: {names:?}");
    let next = first["links"]["next"]["href"].as_str().unwrap();
    assert!(next.starts_with(&sim.url()) && next.contains("totalResults=true"));
    let second = sim.api("GET", next.trim_start_matches(&sim.url()), None).await.json();
    assert_eq!(second["data"].as_array().unwrap().len(), 11);
    assert!(second["links"]["next"].is_null());
    let no_total = sim.api("GET", "/api/v1/users?limit=100&sort=-createdAt", None).await.json();
    assert!(no_total.get("totalResults").is_none());
    assert_eq!(no_total["data"].as_array().unwrap().len(), 31);

    let me = sim.api("GET", "/api/v1/users/me", None).await;
    assert_eq!(me.status, 301);
    assert!(me.header("content-type").unwrap().starts_with("text/html"));
    let location = me.header("location").unwrap().to_string();
    assert!(location.starts_with("/api/v1/users/"), "{location}");
    let admin = sim.api("GET", &location, None).await;
    assert_eq!(admin.status, 200);
    let admin = admin.json();
    assert_eq!(admin["name"], "Sim Admin");
    assert_eq!(admin["status"], "active");
    assert_eq!(admin["links"]["self"]["href"], format!("{}{location}", sim.url()));
    parse_rfc3339(&admin["createdAt"]);
    parse_rfc3339(&admin["lastUpdatedAt"]);

    let missing = sim.api("GET", "/api/v1/users/000000000000000000000000", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["errors"][0]["code"], "USERS-7");
    assert_eq!(missing.json()["errors"][0]["status"], 404);
}

#[tokio::test]
async fn issues_oauth_tokens_from_json_and_form_bodies_and_revokes_them() {
    let sim = Sim::start().await;
    let (id, secret) = (sim.handle.client_id().to_string(), sim.handle.client_secret().to_string());

    let r = sim.token_json(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["scope"].is_string());
    let expires = parse_rfc3339(&body["expires_at"]);
    let from_now = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&from_now), "{from_now}");
    let json_token = body["access_token"].as_str().unwrap().to_string();

    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=user_default");
    let r = sim
        .send("POST", "/oauth/token", &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let form_token = r.json()["access_token"].as_str().unwrap().to_string();
    assert_ne!(form_token, json_token);

    for token in [&json_token, &form_token] {
        let ok = sim.api_as(&format!("Bearer {token}"), "GET", "/api/v1/spaces", None).await;
        assert_eq!(ok.status, 200);
    }

    let wrong =
        sim.token_json(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": "x"})).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["errors"][0]["status"], "401", "oauth errors carry a string status");
    let unknown =
        sim.token_json(json!({"grant_type": "client_credentials", "client_id": "who", "client_secret": secret})).await;
    assert_eq!(unknown.status, 401);
    let missing = sim.token_json(json!({"grant_type": "client_credentials", "client_secret": secret})).await;
    assert_eq!(missing.status, 400);
    let grant = sim.token_json(json!({"grant_type": "password", "client_id": id, "client_secret": secret})).await;
    assert_eq!(grant.status, 400);

    let revoked = sim.ctl("POST", "/__sim/oauth/revoke", Value::Null).await;
    assert_eq!(revoked["revoked"], 2);
    let after = sim.api_as(&format!("Bearer {json_token}"), "GET", "/api/v1/spaces", None).await;
    assert_spaces_error(&after, 401, "HTTP-401");
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200, "the API key still works");

    let meta = sim.send("GET", "/.well-known/oauth-authorization-server", &[], b"").await;
    assert_eq!(meta.status, 200);
    assert_eq!(meta.json()["token_endpoint"], format!("{}/oauth/token", sim.url()));
}

#[tokio::test]
async fn simulated_clock_drives_date_header_and_token_expiry() {
    let sim = Sim::start().await;
    let before = sim.api("GET", "/api/v1/spaces", None).await;
    assert!(secs_between(date_header(&before), SystemTime::now()).abs() < 5.0);

    sim.ctl("POST", "/__sim/config", json!({"tokenLifetimeSeconds": 60})).await;
    let token = sim.client_credentials().await;
    let auth = format!("Bearer {token}");
    assert_eq!(sim.api_as(&auth, "GET", "/api/v1/spaces", None).await.status, 200);

    let clock = sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 86400})).await;
    assert_eq!(clock["offsetSeconds"], 86400);
    let after = sim.api("GET", "/api/v1/spaces", None).await;
    let ahead = secs_between(date_header(&after), SystemTime::now());
    assert!((86395.0..86405.0).contains(&ahead), "Date header follows the simulated clock: {ahead}");
    let expired = sim.api_as(&auth, "GET", "/api/v1/spaces", None).await;
    assert_spaces_error(&expired, 401, "HTTP-401");
    assert!(expired.json()["errors"][0]["detail"].as_str().unwrap().contains("expired"));

    let skewed = sim.ctl("POST", "/__sim/clock", json!({"skewSeconds": -120})).await;
    assert_eq!(skewed["offsetSeconds"], -120);
    let now = parse_rfc3339(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    let behind = (now.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((-125..=-115).contains(&behind), "{behind}");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let sim = Sim::start().await;
    let config = sim.ctl("POST", "/__sim/config", json!({"rateLimits": {"tier1": 3}})).await;
    assert_eq!(config["rateLimits"], json!({"tier1": 3, "tier2": 100}));
    sim.ctl("POST", "/__sim/clock", json!({"skewSeconds": 0})).await;
    // Move to the start of a fresh simulated minute so the four calls share one window.
    let now = parse_rfc3339(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    let to_next_minute = 60.0 - (now.timestamp_millis().rem_euclid(60_000) as f64 / 1000.0) + 0.5;
    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": to_next_minute})).await;

    for _ in 0..3 {
        assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200);
    }
    let limited = sim.api("GET", "/api/v1/users", None).await;
    assert_eq!(limited.status, 429, "the whole tier is limited");
    let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().expect("whole seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body = limited.json();
    assert_eq!(body["errors"][0]["code"], "HTTP-429");
    assert_eq!(body["errors"][0]["title"], "Too Many Requests");
    assert_eq!(body["errors"][0]["detail"], format!("Rate limit exceeded. Retry after {retry_after} seconds."));

    let write = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "Tier two", "type": "shared"}))).await;
    assert_eq!(write.status, 201, "tier 2 has its own budget");

    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": retry_after})).await;
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200, "a new window after Retry-After");
}

#[tokio::test]
async fn injects_status_delay_body_and_drop_faults() {
    let sim = Sim::start().await;
    let faults = json!({"faults": [
        {"method": "GET", "path": "/api/v1/spaces", "status": 503, "retryAfter": "7", "count": 2},
        {"path": "/api/v1/users", "status": 500},
    ]});
    sim.ctl("POST", "/__sim/faults", faults).await;
    assert_eq!(sim.ctl("GET", "/__sim/faults", Value::Null).await["faults"].as_array().unwrap().len(), 2);

    assert_eq!(
        sim.api("POST", "/api/v1/spaces", Some(json!({"name": "A", "type": "shared"}))).await.status,
        201,
        "a GET fault does not match POST"
    );
    for _ in 0..2 {
        let r = sim.api("GET", "/api/v1/spaces", None).await;
        assert_spaces_error(&r, 503, "HTTP-503");
        assert_eq!(r.header("retry-after"), Some("7"));
    }
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200, "count exhausted");
    let users = sim.api("GET", "/api/v1/users", None).await;
    assert_eq!(users.status, 500);
    assert_eq!(users.json()["errors"][0]["status"], 500);
    assert_eq!(sim.ctl("GET", "/__sim/faults", Value::Null).await["faults"], json!([]));

    sim.ctl("POST", "/__sim/faults", json!({"status": 429, "retryAfter": "3"})).await;
    let limited = sim.api("GET", "/api/v1/spaces/abc", None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("3"));

    sim.ctl("POST", "/__sim/faults", json!({"delayMs": 300})).await;
    let started = Instant::now();
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.ctl("POST", "/__sim/faults", json!({"body": "malformed"})).await;
    let malformed = sim.api("GET", "/api/v1/spaces", None).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_slice::<Value>(&malformed.body).is_err(), "{}", malformed.text());

    sim.ctl("POST", "/__sim/faults", json!({"body": "truncated"})).await;
    let truncated = sim.api("GET", "/api/v1/spaces", None).await;
    assert_eq!(truncated.status, 200);
    assert!(!truncated.complete, "fewer bytes than Content-Length");
    let declared: usize = truncated.header("content-length").unwrap().parse().unwrap();
    assert!(truncated.body.len() < declared && !truncated.body.is_empty());

    sim.ctl("POST", "/__sim/faults", json!({"drop": true, "path": "/api/v1/spaces"})).await;
    let dropped = raw_request(&sim.url(), "GET", "/api/v1/spaces", &[("Authorization", &sim.bearer())], b"").await;
    assert!(dropped.is_none(), "the connection closes without a response");

    let log = sim.ctl("GET", "/__sim/requests", Value::Null).await;
    let statuses: Vec<i64> =
        log["requests"].as_array().unwrap().iter().map(|r| r["response"]["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, vec![201, 503, 503, 200, 500, 429, 200, 200, 200, 0]);

    sim.ctl("POST", "/__sim/faults", json!({"status": 502})).await;
    sim.ctl("DELETE", "/__sim/faults", Value::Null).await;
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200);
    let invalid = sim.send("POST", "/__sim/faults", &[], br#"{"body": "weird"}"#).await;
    assert_eq!(invalid.status, 400);
}

#[tokio::test]
async fn request_log_masks_credentials() {
    let sim = Sim::start().await;
    let secret = sim.handle.client_secret().to_string();
    sim.api("GET", "/api/v1/spaces?limit=5", None).await;
    let token = sim.client_credentials().await;
    let form = format!("grant_type=client_credentials&client_id=sim-client&client_secret={secret}");
    sim.send("POST", "/oauth/token", &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes()).await;
    sim.api_as(&format!("Bearer {token}"), "GET", "/api/v1/users/me", None).await;
    sim.ctl("GET", "/__sim/clock", Value::Null).await;

    let log = sim.ctl("GET", "/__sim/requests", Value::Null).await;
    let text = log.to_string();
    for credential in [sim.handle.api_key(), secret.as_str(), token.as_str()] {
        assert!(!text.contains(credential), "{credential} leaked into the log");
    }
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 4, "control calls are not logged");
    let seqs: Vec<i64> = requests.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);

    let list = &requests[0];
    assert_eq!(list["method"], "GET");
    assert_eq!(list["path"], "/api/v1/spaces");
    assert_eq!(list["query"], "limit=5");
    assert_eq!(list["headers"]["authorization"], "Bearer ***");
    assert_eq!(list["body"], Value::Null);
    assert_eq!(list["response"]["status"], 200);
    assert_eq!(list["response"]["headers"]["content-type"], "application/json");
    assert!(list["response"]["body"]["data"].is_array());

    let json_token = &requests[1];
    assert_eq!(json_token["body"]["client_secret"], "***");
    assert_eq!(json_token["body"]["client_id"], "sim-client");
    assert_eq!(json_token["response"]["body"]["access_token"], "***");
    assert_eq!(json_token["response"]["body"]["token_type"], "bearer");

    let form_token = requests[2]["body"].as_str().unwrap();
    assert!(form_token.contains("client_secret=***") && form_token.contains("client_id=sim-client"), "{form_token}");
    assert_eq!(requests[3]["response"]["status"], 301);
    assert_eq!(requests[3]["query"], "");

    assert_eq!(sim.ctl("DELETE", "/__sim/requests", Value::Null).await["cleared"], 4);
    assert_eq!(sim.ctl("GET", "/__sim/requests", Value::Null).await["requests"], json!([]));
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods() {
    let sim = Sim::start().await;
    let missing = sim.api("GET", "/api/v1/nothing", None).await;
    assert_spaces_error(&missing, 404, "HTTP-404");
    let wrong = sim.api("POST", "/api/v1/users/me", None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET"));
    assert_eq!(wrong.json()["errors"][0]["code"], "HTTP-405");
    let control = sim.send("GET", "/__sim/nothing", &[], b"").await;
    assert_eq!(control.status, 404);
    assert!(control.header("date").is_some());
}

#[tokio::test]
async fn route_table_ranks_literals_and_has_no_trailing_slash_alias() {
    let sim = Sim::start().await;
    sim.seed(json!({"resource": "spaces", "count": 2})).await;
    // A trailing slash is not the collection: Qlik-shaped 404, not the list.
    for target in ["/api/v1/spaces/", "/api/v1/users/", "/api/v1/spaces//", "/api/v1/spaces//x"] {
        let r = sim.api("GET", target, None).await;
        assert_eq!(r.status, 404, "{target}: {}", r.text());
        assert!(r.json()["errors"][0]["code"].is_string(), "{target}");
        assert!(r.json().get("data").is_none(), "{target}");
    }
    let trailing = sim.api("GET", "/api/v1/spaces/", None).await;
    assert_spaces_error(&trailing, 404, "HTTP-404");
    let users = sim.api("GET", "/api/v1/users/", None).await;
    assert_eq!(users.json()["errors"][0]["status"], 404, "users-shaped error");

    // The literal `/spaces/types` wins over `/spaces/{spaceId}`, for routing and for 405.
    let types = sim.api("GET", "/api/v1/spaces/types", None).await;
    assert_eq!(types.status, 200);
    assert_eq!(types.json()["data"], json!(["shared", "managed", "data"]));
    let wrong = sim.api("DELETE", "/api/v1/spaces/types", None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET"));
    let wrong = sim.api("POST", "/api/v1/spaces/abc", None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET, PATCH, PUT, DELETE"));
    let wrong = sim.api("GET", "/oauth/token", None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("POST"));

    // Auth per route: the metadata and token endpoints are open, the REST API is not.
    let open = sim.send("GET", "/.well-known/oauth-authorization-server", &[], b"").await;
    assert_eq!(open.status, 200);
    let closed = sim.send("GET", "/api/v1/spaces/types", &[], b"").await;
    assert_eq!(closed.status, 401);

    let routes = qlik_harness::sim::routes();
    assert!(routes.contains(&("GET", "/api/v1/spaces/{spaceId}")), "{routes:?}");
    assert!(routes.contains(&("POST", "/oauth/token")), "{routes:?}");
}

#[tokio::test]
async fn rate_limit_tiers_follow_the_route_table() {
    let sim = Sim::start().await;
    sim.ctl("POST", "/__sim/config", json!({"rateLimits": {"tier1": 1000, "tier2": 1}})).await;
    // Tier 2: writes and /oauth/token share one budget of 1 per minute.
    let created = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "T", "type": "shared"}))).await;
    assert_eq!(created.status, 201);
    let token = sim
        .token_json(json!({"grant_type": "client_credentials", "client_id": "sim-client",
                            "client_secret": "sim-client-secret"}))
        .await;
    assert_eq!(token.status, 429, "{}", token.text());
    // Tier 1 reads, the metadata included, are not blocked.
    assert_eq!(sim.api("GET", "/api/v1/spaces", None).await.status, 200);
    let meta = sim.send("GET", "/.well-known/oauth-authorization-server", &[], b"").await;
    assert_eq!(meta.status, 200);
}

#[tokio::test]
async fn seeding_is_deterministic_and_reset_restores_a_fresh_tenant() {
    let a = Sim::start().await;
    let b = Sim::start().await;
    let mut names = Vec::new();
    for sim in [&a, &b] {
        sim.seed(json!({"resource": "spaces", "count": 5})).await;
        let list = sim.api("GET", "/api/v1/spaces", None).await.json();
        names.push(list["data"].as_array().unwrap().iter().map(|s| s["name"].clone()).collect::<Vec<_>>());
    }
    assert_eq!(names[0], names[1], "same seed, same names");
    assert!(names[0].iter().all(|n| n.as_str().is_some_and(|n| n.contains(' '))));

    let explicit = a
        .seed(json!({"resource": "spaces", "records": [
        {"name": "Explicit", "type": "data", "description": "d", "ownerId": "someone", "nonEmpty": true}]}))
        .await;
    let got = a.api("GET", &format!("/api/v1/spaces/{}", explicit[0]), None).await.json();
    assert_eq!(
        (got["name"].as_str(), got["type"].as_str(), got["ownerId"].as_str()),
        (Some("Explicit"), Some("data"), Some("someone"))
    );
    let dup = a
        .send("POST", "/__sim/seed", &[], br#"{"resource":"spaces","records":[{"name":"New"},{"name":"explicit"}]}"#)
        .await;
    assert_eq!(dup.status, 400, "a duplicate name refuses the whole seed call");
    assert_eq!(a.api("GET", "/api/v1/spaces?name=new", None).await.json()["meta"]["count"], 0);

    a.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 500})).await;
    a.ctl("POST", "/__sim/faults", json!({"status": 500})).await;
    a.ctl("POST", "/__sim/reset", Value::Null).await;
    assert_eq!(a.ctl("GET", "/__sim/clock", Value::Null).await["offsetSeconds"], 0);
    assert_eq!(a.ctl("GET", "/__sim/faults", Value::Null).await["faults"], json!([]));
    assert_eq!(a.ctl("GET", "/__sim/changes", Value::Null).await["changes"], json!([]));
    let spaces = a.api("GET", "/api/v1/spaces", None).await;
    assert_eq!(spaces.status, 200);
    assert_eq!(spaces.json()["meta"]["count"], 0);
    let users = a.api("GET", "/api/v1/users?totalResults=true", None).await.json();
    assert_eq!(users["totalResults"], 1);
    assert_eq!(users["data"][0]["name"], "Sim Admin");
    assert_eq!(a.ctl("GET", "/__sim/requests", Value::Null).await["requests"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sim = start(SimConfig::default()).await.unwrap();
    let url = sim.url();
    assert!(url.starts_with("http://127.0.0.1:"));
    sim.shutdown().await;
    assert!(TcpStream::connect(url.trim_start_matches("http://")).await.is_err());
}

#[tokio::test]
async fn path_segments_are_percent_decoded_one_by_one() {
    let sim = Sim::start().await;
    let ids = sim
        .seed(json!({"resource": "spaces", "records": [
            {"id": "a b", "name": "Spaced"}, {"id": "a/b", "name": "Slashed"}, {"id": "é", "name": "Accented"}]}))
        .await;
    assert_eq!(ids, ["a b", "a/b", "é"]);
    let spaced = sim.api("GET", "/api/v1/spaces/a%20b", None).await;
    assert_eq!(spaced.status, 200, "{}", spaced.text());
    assert_eq!(spaced.json()["name"], "Spaced");
    // An encoded slash stays inside its segment: the record "a/b", not the path a, b.
    let slashed = sim.api("GET", "/api/v1/spaces/a%2Fb", None).await;
    assert_eq!(slashed.status, 200, "{}", slashed.text());
    assert_eq!(slashed.json()["name"], "Slashed");
    let lower = sim.api("GET", "/api/v1/spaces/a%2fb", None).await;
    assert_eq!(lower.json()["name"], "Slashed");
    let unsplit = sim.api("GET", "/api/v1/spaces/a/b", None).await;
    assert_spaces_error(&unsplit, 404, "HTTP-404");
    assert!(unsplit.json()["errors"][0]["detail"].as_str().unwrap().starts_with("No route"));
    let accented = sim.api("GET", "/api/v1/spaces/%C3%A9", None).await;
    assert_eq!(accented.json()["name"], "Accented");
    let deleted = sim.api("DELETE", "/api/v1/spaces/a%2Fb", None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(sim.api("GET", "/api/v1/spaces/a%2Fb", None).await.status, 404);

    // Generated ids and literal segments are found encoded, too.
    let real = sim.seed(json!({"resource": "spaces", "count": 1})).await.remove(0);
    let encoded = format!("%{:02X}{}", real.as_bytes()[0], &real[1..]);
    let found = sim.api("GET", &format!("/api/v1/spaces/{encoded}"), None).await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(found.json()["id"], real.as_str());
    let types = sim.api("GET", "/api/v1/spaces/%74ypes", None).await;
    assert_eq!(types.json()["data"], json!(["shared", "managed", "data"]));
    // `types/x` is one segment: a space id that does not exist, not a route miss.
    let not_types = sim.api("GET", "/api/v1/spaces/types%2Fx", None).await;
    assert_spaces_error(&not_types, 404, "HTTP-404");
    let detail = not_types.json()["errors"][0]["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("'types/x'"), "{detail}");

    let users = sim.seed(json!({"resource": "users", "records": [{"id": "u 1", "name": "Una"}]})).await;
    assert_eq!(users, ["u 1"]);
    let user = sim.api("GET", "/api/v1/users/u%201", None).await;
    assert_eq!(user.json()["name"], "Una");
    let missing = sim.api("GET", "/api/v1/users/u%2F1", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["errors"][0]["code"], "USERS-7");

    // A fault posted with a decoded path matches the encoded request.
    sim.ctl("POST", "/__sim/faults", json!({"path": "/api/v1/users/u 1", "status": 503})).await;
    assert_eq!(sim.api("GET", "/api/v1/users/u%201", None).await.status, 503);
}

/// The value of query parameter `name` in an absolute link, as sent (still percent-encoded).
fn raw_query_param<'a>(href: &'a str, name: &str) -> Option<&'a str> {
    let query = href.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[tokio::test]
async fn cursors_are_base64_and_percent_encoded_in_links() {
    let sim = Sim::start().await;
    let base = sim.url();
    sim.seed(json!({"resource": "spaces", "count": 12})).await;
    sim.seed(json!({"resource": "users", "count": 25})).await;
    for (path, sort) in [("/api/v1/spaces", "name"), ("/api/v1/users", "-email")] {
        let all = sim.api("GET", &format!("{path}?limit=100&sort={sort}"), None).await.json();
        let page1 = sim.api("GET", &format!("{path}?limit=5&sort={sort}"), None).await.json();
        let next = page1["links"]["next"]["href"].as_str().unwrap().to_string();
        let raw = raw_query_param(&next, "next").expect("a next cursor");
        for encoded in ["%2B", "%2F", "%3D"] {
            assert!(raw.contains(encoded), "{path}: {raw} holds {encoded}");
        }
        assert!(!raw.contains(['+', '/', '=']), "{path}: {raw} is fully encoded");
        assert!(next.contains("limit=5&sort="), "{next}");
        let page2 = sim.api("GET", next.trim_start_matches(&base), None).await;
        assert_eq!(page2.status, 200, "{}", page2.text());
        let page2 = page2.json();
        assert_eq!(page2["data"].as_array().unwrap().len(), 5);
        assert_ne!(page2["data"][0]["id"], page1["data"][0]["id"]);
        assert_eq!(page2["data"][0]["id"], all["data"][5]["id"]);
        // The decoded cursor is standard padded base64 ...
        let cursor = percent_decode(raw);
        assert!(cursor.len().is_multiple_of(4) && cursor.ends_with('='), "{cursor}");
        // ... and a client that does not encode it (`+` arrives as a space) gets a 400.
        let unencoded = format!("{path}?limit=5&next={cursor}");
        let r = sim.api("GET", &unencoded, None).await;
        assert_eq!(r.status, 400, "{unencoded}: {}", r.text());
        assert_eq!(r.json()["errors"][0]["code"], "HTTP-400");
        // The prev link of page 2 leads back to page 1.
        let prev = page2["links"]["prev"]["href"].as_str().unwrap();
        assert!(raw_query_param(prev, "prev").unwrap().contains("%2B"), "{prev}");
        let back = sim.api("GET", prev.trim_start_matches(&base), None).await.json();
        assert_eq!(back["data"], page1["data"]);
    }
    for bad in [
        "next=%2B%2F%2B%2F",
        "next=Zm9v",
        "prev=%2B%2F%2B%2FbjA6OztA",
        "next=%2B%2F%2B%2FcDA6Ozs%3D",
        "next=%2B%2F%2B%2FbjA6Ozs7Ow%3D%3D",
    ] {
        let r = sim.api("GET", &format!("/api/v1/spaces?{bad}"), None).await;
        assert_spaces_error(&r, 400, "HTTP-400");
    }
}

/// Percent-decodes a query value (no `+` handling: the simulator never sends one).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_frozen_clock_moves_only_by_advance_and_resumes_from_where_it_stands() {
    let sim = Sim::start().await;
    let running = sim.ctl("GET", "/__sim/clock", Value::Null).await;
    assert_eq!(running["frozen"], false);
    sim.ctl("POST", "/__sim/config", json!({"tokenLifetimeSeconds": 60})).await;

    let frozen = sim.ctl("POST", "/__sim/clock", json!({"freeze": true})).await;
    assert_eq!(frozen["frozen"], true);
    let at = parse_rfc3339(&frozen["now"]);
    // Real time passes (the timestamps have millisecond resolution); simulated time does not.
    tokio::time::sleep(Duration::from_millis(25)).await;
    let still = sim.ctl("GET", "/__sim/clock", Value::Null).await;
    assert_eq!(still["now"], frozen["now"]);
    assert_eq!(still["frozen"], true);
    let created = sim.api("POST", "/api/v1/spaces", Some(json!({"name": "Tie", "type": "shared"}))).await;
    assert_eq!(parse_rfc3339(&created.json()["createdAt"]), at);
    assert_eq!(
        httpdate::parse_http_date(created.header("date").unwrap()).unwrap(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(at.timestamp() as u64)
    );

    // Token expiry at an exact instant: valid one millisecond before, expired at it.
    let token = format!("Bearer {}", sim.client_credentials().await);
    let moved = sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 59.999})).await;
    assert_eq!(moved["frozen"], true);
    assert_eq!(parse_rfc3339(&moved["now"]), at + chrono::Duration::milliseconds(59_999));
    assert_eq!(sim.api_as(&token, "GET", "/api/v1/spaces", None).await.status, 200);
    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 0.001})).await;
    assert_eq!(sim.api_as(&token, "GET", "/api/v1/spaces", None).await.status, 401);
    let skewed = sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 90})).await;
    let target = at + chrono::Duration::seconds(150);
    assert_eq!(parse_rfc3339(&skewed["now"]), target);

    let resumed = sim.ctl("POST", "/__sim/clock", json!({"freeze": false})).await;
    assert_eq!(resumed["frozen"], false);
    tokio::time::sleep(Duration::from_millis(25)).await;
    let later = parse_rfc3339(&sim.ctl("GET", "/__sim/clock", Value::Null).await["now"]);
    assert!(later > target, "running again: {later} after {target}");
    assert!(
        later < target + chrono::Duration::seconds(60),
        "resumed from the frozen instant, not from real time: {later}"
    );

    sim.ctl("POST", "/__sim/clock", json!({"freeze": true})).await;
    sim.ctl("POST", "/__sim/reset", Value::Null).await;
    assert_eq!(sim.ctl("GET", "/__sim/clock", Value::Null).await["frozen"], false);
    let empty = sim.send("POST", "/__sim/clock", &[], b"{}").await;
    assert_eq!(empty.status, 400);
}

#[tokio::test]
async fn users_scim_filter_searches_all_users_and_keeps_paging() {
    let sim = Sim::start().await;
    sim.seed(json!({"resource": "users", "count": 2099})).await;
    let needle = sim
        .seed(json!({"resource": "users", "records": [
            {"name": "Zed Needle", "email": "needle@example.com"},
            {"name": "Say \"Hi\" \\ There", "email": "quote@example.com", "status": "invited"}]}))
        .await;
    let encode = |filter: &str| url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>();
    let sim_ref = &sim;
    let list = |filter: &str| {
        let target = format!("/api/v1/users?limit=100&filter={}", encode(filter));
        async move { sim_ref.api("GET", &target, None).await }
    };

    let found = list(r#"name co "needle" or email co "needle""#).await;
    assert_eq!(found.status, 200, "{}", found.text());
    let found = found.json();
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["data"][0]["id"], needle[0].as_str());
    assert!(found["links"]["next"].is_null());
    for same in [
        r#"NAME CO "NEEDLE""#,
        r#"email eq "Needle@Example.com""#,
        r#"name sw "zed n" and status eq "active""#,
        r#"(email sw "needle@" or name eq "nobody") and (status eq "active" or status eq "disabled")"#,
    ] {
        let r = list(same).await.json();
        assert_eq!(r["data"].as_array().unwrap().len(), 1, "{same}: {r}");
        assert_eq!(r["data"][0]["email"], "needle@example.com", "{same}");
    }
    let by_id = list(&format!(r#"id eq "{}""#, needle[0])).await.json();
    assert_eq!(by_id["data"][0]["name"], "Zed Needle");

    // A value with escaped quotes and a backslash.
    let quoted = list(r#"name eq "say \"hi\" \\ there""#).await;
    assert_eq!(quoted.status, 200, "{}", quoted.text());
    assert_eq!(quoted.json()["data"][0]["id"], needle[1].as_str());
    assert_eq!(list(r#"name co "\"hi\"" and status eq "invited""#).await.json()["data"][0]["id"], needle[1].as_str());
    assert_eq!(list(r#"name co "nobody at all""#).await.json()["data"], json!([]));

    for bad in [
        r#"name co "needle"#,
        r#"name co needle"#,
        r#"name co "a" or"#,
        r#"(name co "a""#,
        r#"status co "act""#,
        r#"name ne "a""#,
        r#"name eq "Bob" or name eq "Alice" and (status eq "active")"#,
        "",
    ] {
        let r = list(bad).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.text());
        let body = r.json();
        assert_eq!(body["errors"][0]["code"], "HTTP-400", "{body}");
        assert_eq!(body["errors"][0]["status"], 400, "{body}");
        assert_eq!(body["errors"][0]["source"]["parameter"], "filter", "{body}");
        assert!(body["traceId"].is_string());
    }
    let combined =
        sim.api("GET", &format!("/api/v1/users?status=active&filter={}", encode(r#"name co "a""#)), None).await;
    assert_eq!(combined.status, 400, "filter cannot be combined with deprecated parameters");

    // Paging links keep the filter, percent-encoded, and the next page stays filtered.
    let filter = r#"email co "@example.com" and name sw "a""#;
    let target = format!("/api/v1/users?limit=7&totalResults=true&filter={}", encode(filter));
    let page1 = sim.api("GET", &target, None).await.json();
    let total = page1["totalResults"].as_u64().unwrap();
    assert!(total > 14, "{total}");
    let next = page1["links"]["next"]["href"].as_str().unwrap();
    assert!(next.contains("filter=email%20co%20%22%40example.com%22%20and%20name%20sw%20%22a%22"), "{next}");
    let page2 = sim.api("GET", next.trim_start_matches(&sim.url()), None).await.json();
    assert_eq!(page2["totalResults"], total);
    let names: Vec<&str> = page1["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["data"].as_array().unwrap())
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 14);
    assert!(names.iter().all(|n| n.to_lowercase().starts_with('a')), "{names:?}");
}

#[tokio::test]
async fn faults_set_location_and_raw_bodies() {
    let sim = Sim::start().await;
    let id = sim.seed(json!({"resource": "spaces", "count": 1})).await.remove(0);
    let space_path = format!("/api/v1/spaces/{id}");
    sim.ctl("POST", "/__sim/faults", json!({"faults": [
        {"method": "DELETE", "path": space_path, "status": 302, "location": "https://other.example.com/moved"},
        {"path": "/api/v1/users", "status": 400, "rawBody": "{\"errors\":[{\"title\":\"bad key sim-api-key\"}]}"},
        {"path": "/api/v1/users/me", "status": 502, "rawBody": "<html>gateway sim-api-key</html>", "contentType": "text/html"},
        {"path": "/api/v1/spaces", "rawBody": "{\"data\": \"replaced\"}"},
    ]}))
    .await;

    let moved = sim.api("DELETE", &space_path, None).await;
    assert_eq!(moved.status, 302);
    assert_eq!(moved.header("location"), Some("https://other.example.com/moved"));
    assert_eq!(moved.json()["errors"][0]["code"], "HTTP-302");
    assert_eq!(sim.api("GET", &space_path, None).await.status, 200, "the DELETE did not run");

    let echoed = sim.api("GET", "/api/v1/users", None).await;
    assert_eq!(echoed.status, 400);
    assert_eq!(echoed.header("content-type"), Some("application/json"));
    assert_eq!(echoed.text(), "{\"errors\":[{\"title\":\"bad key sim-api-key\"}]}");
    let html = sim.api("GET", "/api/v1/users/me", None).await;
    assert_eq!(html.status, 502);
    assert_eq!(html.header("content-type"), Some("text/html"));
    assert_eq!(html.text(), "<html>gateway sim-api-key</html>");
    // Without a status the request runs and only its body is replaced.
    let replaced = sim.api("GET", "/api/v1/spaces", None).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json(), json!({"data": "replaced"}));

    let log = sim.ctl("GET", "/__sim/requests", Value::Null).await;
    let notes: Vec<Value> = log["requests"].as_array().unwrap().iter().map(|r| r["fault"].clone()).collect();
    assert_eq!(notes[0]["location"], "https://other.example.com/moved");
    assert!(notes[1].is_null(), "the GET after the fault ran normally");
    assert_eq!(notes[2]["body"], "raw", "a raw body counts as a body fault: {}", notes[2]);
    assert_eq!(notes[3]["contentType"], "text/html");
    assert_eq!(notes[4]["rawBody"], "{\"data\": \"replaced\"}");
    assert_eq!(log["requests"][4]["response"]["body"], json!({"data": "replaced"}));

    for bad in [
        json!({"location": "https://x.example.com/"}),
        json!({"status": 302, "location": "bad\nvalue"}),
        json!({"status": 400, "contentType": "text/plain"}),
        json!({"body": "raw"}),
        json!({"body": "malformed", "rawBody": "x"}),
        json!({"body": "truncated", "dripMs": 5}),
        json!({"body": "drip", "dripBytes": 0}),
        json!({"body": "drip", "dripMs": 3_600_000}),
        json!({"drop": true, "status": 500}),
    ] {
        let r = sim.send("POST", "/__sim/faults", &[], bad.to_string().as_bytes()).await;
        assert_eq!(r.status, 400, "{bad} -> {}", r.text());
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(sim.ctl("GET", "/__sim/faults", Value::Null).await["faults"], json!([]));
}

/// Sends a GET and reads the response head; returns the stream, the declared Content-Length
/// and the body bytes that came with the head.
async fn open_get(sim: &Sim, target: &str) -> (TcpStream, usize, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = sim.url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        sim.bearer()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let split = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the head: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let length =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).expect("a Content-Length").trim().parse().unwrap();
    (stream, length, raw[split + 4..].to_vec())
}

#[tokio::test]
async fn drip_fault_sends_the_head_at_once_and_the_body_a_byte_at_a_time() {
    use tokio::io::AsyncReadExt;
    let sim = Sim::start().await;
    sim.seed(json!({"resource": "spaces", "count": 3})).await;
    let normal = sim.api("GET", "/api/v1/spaces", None).await.json();

    // Slow enough that the body cannot be complete right after the head (30 × 200 ms).
    sim.ctl("POST", "/__sim/faults", json!({"path": "/api/v1/spaces", "body": "drip", "dripMs": 200})).await;
    let (mut stream, length, mut body) = open_get(&sim, "/api/v1/spaces").await;
    assert!(length > 30, "{length}");
    assert!(body.len() < length, "the body is incomplete when the head arrives");
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(n >= 1, "dripped bytes follow");
    body.extend_from_slice(&buf[..n]);
    assert!(body.len() < length, "still incomplete after the next read ({} of {length})", body.len());
    drop(stream);

    // A short drip ends with the whole, valid body.
    sim.ctl("POST", "/__sim/faults", json!({"body": "drip", "dripMs": 10, "dripBytes": 4})).await;
    let (mut stream, length, mut body) = open_get(&sim, "/api/v1/spaces").await;
    let mut reads = 0;
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        reads += 1;
        body.extend_from_slice(&buf[..n]);
    }
    assert_eq!(body.len(), length);
    assert!(reads >= 2, "the body came in pieces");
    let dripped: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(dripped["data"], normal["data"]);

    let log = sim.ctl("GET", "/__sim/requests", Value::Null).await;
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests[1]["fault"]["body"], "drip");
    assert_eq!(requests[1]["fault"]["dripMs"], 200);
    assert_eq!(requests[2]["fault"]["dripBytes"], 4);
    assert_eq!(requests[2]["response"]["status"], 200);
}

#[tokio::test]
async fn long_targets_get_414_and_large_headers_431_with_qlik_bodies() {
    let sim = Sim::start().await;
    // 100,000 characters: beyond what hyper itself would parse.
    for (target, api_status) in [
        (format!("/api/v1/spaces/{}", "a".repeat(100_000)), None),
        (format!("/api/v1/users?filter={}", "b".repeat(20_000)), Some(414)),
    ] {
        let r = sim.api("GET", &target, None).await;
        assert_eq!(r.status, 414, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("connection"), Some("close"));
        let body = r.json();
        assert_eq!(body["errors"][0]["code"], "HTTP-414", "{body}");
        assert!(body["errors"][0]["detail"].as_str().unwrap().contains("16384"));
        assert_eq!(body["errors"][0]["status"].as_u64(), api_status, "shaped per API: {body}");
        assert!(body["traceId"].is_string());
    }
    let at_limit = format!("/api/v1/spaces/{}", "c".repeat(16_384 - "/api/v1/spaces/".len()));
    assert_eq!(sim.api("GET", &at_limit, None).await.status, 404, "a target of 16384 bytes is served");

    let big = "x".repeat(33_000);
    let r = sim.send("GET", "/api/v1/spaces", &[("Authorization", &sim.bearer()), ("X-Big", &big)], b"").await;
    assert_eq!(r.status, 431, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["code"], "HTTP-431");
    let fine = "x".repeat(30_000);
    let r = sim.send("GET", "/api/v1/spaces", &[("Authorization", &sim.bearer()), ("X-Big", &fine)], b"").await;
    assert_eq!(r.status, 200, "30 kB of headers are fine");
    // A refused request with a body: the body is read, the answer still arrives.
    let body = vec![b'{'; 50_000];
    let r = sim.send("POST", "/api/v1/spaces", &[("Authorization", &sim.bearer()), ("X-Big", &big)], &body).await;
    assert_eq!(r.status, 431);

    let log = sim.ctl("GET", "/__sim/requests", Value::Null).await;
    let statuses: Vec<i64> =
        log["requests"].as_array().unwrap().iter().map(|r| r["response"]["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [414, 414, 404, 431, 200, 431]);
    let first = &log["requests"][0];
    assert!(first["path"].as_str().unwrap().starts_with("/api/v1/spaces/aaaa"));
    assert!(first["path"].as_str().unwrap().len() <= 2048);
    assert_eq!(log["requests"][5]["method"], "POST");
}

#[tokio::test]
async fn keep_alive_connections_survive_checked_requests_with_bodies() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = Sim::start().await;
    let authority = sim.url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&authority).await.unwrap();
    let auth = sim.bearer();
    let json_body = r#"{"name":"Kept","type":"shared"}"#;
    let chunked = format!("{:x}\r\n{json_body}\r\n0\r\n\r\n", json_body.len());
    // Three requests on one connection, written at once: a Content-Length body, a chunked
    // body, and a plain GET that must still be found after both.
    let requests = format!(
        "POST /api/v1/spaces HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json_body}\
         PUT /api/v1/spaces/nope HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}\
         GET /api/v1/spaces?name=kept HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n",
        json_body.len()
    );
    stream.write_all(requests.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    let statuses: Vec<&str> = text.match_indices("HTTP/1.1 ").map(|(i, _)| &text[i + 9..i + 12]).collect();
    assert_eq!(statuses, ["201", "404", "200"], "{text}");
    assert!(text.contains("\"count\":1"), "{text}");
}

#[tokio::test]
async fn token_lifetime_outside_one_second_to_ten_years_is_refused() {
    let sim = Sim::start().await;
    for bad in [json!(9_223_372_036_854_775_807i64), json!(315_576_001), json!(0), json!(-5)] {
        let body = json!({ "tokenLifetimeSeconds": bad }).to_string();
        let r = sim.send("POST", "/__sim/config", &[], body.as_bytes()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert!(r.json()["error"].as_str().unwrap().contains("tokenLifetimeSeconds"));
    }
    let config = sim.ctl("GET", "/__sim/config", Value::Null).await;
    assert_eq!(config["tokenLifetimeSeconds"], 3600, "refused values change nothing");
    // Ten years is accepted and tokens are issued with it.
    sim.ctl("POST", "/__sim/config", json!({"tokenLifetimeSeconds": 315_576_000})).await;
    let token = sim
        .token_json(json!({"grant_type": "client_credentials", "client_id": "sim-client",
                            "client_secret": "sim-client-secret"}))
        .await;
    assert_eq!(token.status, 200, "{}", token.text());
    assert_eq!(token.json()["expires_in"], 315_576_000);
    let expires = parse_rfc3339(&token.json()["expires_at"]);
    assert!(expires.year() >= chrono::Utc::now().year() + 9, "{expires}");
}

#[tokio::test]
async fn churn_creates_and_updates_now_or_after_requests_and_logs_each_change_with_the_records_time() {
    let sim = Sim::start().await;
    sim.seed(json!({"resource": "dataFiles", "count": 3})).await;
    sim.ctl("POST", "/__sim/clock", json!({"advanceSeconds": 60})).await;
    let now = sim.ctl("POST", "/__sim/churn", json!({"resource": "dataFiles", "create": 1, "update": 2})).await;
    assert_eq!(now["created"].as_array().unwrap().len(), 1, "{now}");
    let updated: Vec<&str> = now["updated"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(updated.len(), 2, "{now}");
    let changes = sim.ctl("GET", "/__sim/changes", Value::Null).await["changes"].as_array().unwrap().clone();
    assert_eq!(changes.len(), 6, "3 seeded, 1 created, 2 updated");
    for change in &changes[4..] {
        assert_eq!(change["kind"], "updated");
        let file = sim.api("GET", &format!("/api/v1/data-files/{}", change["id"].as_str().unwrap()), None).await.json();
        assert_eq!(
            parse_rfc3339(&file["modifiedDate"]),
            parse_rfc3339(&change["timestamp"]),
            "the log has the record's time"
        );
    }

    // Deferred: lands after the second tenant request from now, not before.
    let body = json!({"resource": "spaces", "create": 2, "afterRequests": 2}).to_string();
    let scheduled = sim.send("POST", "/__sim/churn", &[("Content-Type", "application/json")], body.as_bytes()).await;
    assert_eq!(scheduled.status, 202, "{}", scheduled.text());
    let count = |r: Resp| r.json()["data"].as_array().unwrap().len();
    assert_eq!(count(sim.api("GET", "/api/v1/spaces", None).await), 0);
    assert_eq!(count(sim.api("GET", "/api/v1/spaces", None).await), 0, "applied after this answer");
    assert_eq!(count(sim.api("GET", "/api/v1/spaces", None).await), 2);

    for bad in [
        json!({"resource": "reports", "create": 1}),
        json!({"resource": "spaces", "update": 1001}),
        json!({"resource": "spaces", "typo": 1}),
    ] {
        let r = sim.send("POST", "/__sim/churn", &[], bad.to_string().as_bytes()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
}
