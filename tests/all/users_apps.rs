//! Users (listUsers, getMyUser) and apps (getApp, createApp, updateApp, deleteApp, selectApp), through the real component against the simulated tenant.

use crate::support::env;

use env::{assert_qlik_error, Env};
use serde_json::{json, Value};

fn only(requests: &[Value]) -> &Value {
    assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
    &requests[0]
}

fn data_ids(page: &Value, field: &str) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|r| r[field].as_str().unwrap().to_string()).collect()
}

fn encoded_cursor(cursor: &str) -> String {
    cursor.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

async fn seed_records(env: &Env, resource: &str, records: Value) -> Vec<String> {
    let out = env.control("POST", "/__sim/seed", Some(json!({"resource": resource, "records": records}))).await;
    out["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

// ---------------------------------------------------------------- users

#[tokio::test(flavor = "multi_thread")]
async fn list_users_one_page_then_the_next_with_sort_and_params() {
    let env = Env::new().await;
    env.seed("users", 6).await;
    let input = json!({"limit": "4", "sort": "-createdAt", "paramsInputFields": "totalResults=true"});
    let page = env.ok("listUsers", input).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 4);
    assert_eq!(page["totalResults"], 7, "six seeded users and the admin");
    let next = page["nextPage"].as_str().expect("a nextPage cursor").to_string();
    assert!(page["links"]["next"]["href"].as_str().unwrap().contains("next="));
    let second = env.ok("listUsers", json!({"limit": 4, "sort": "-createdAt", "page": next})).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 3);
    assert_eq!(second["nextPage"], Value::Null);
    let mut ids = data_ids(&page, "id");
    ids.extend(data_ids(&second, "id"));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 7);
    let requests = env.requests_to("/api/v1/users").await;
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r["method"] == "GET"));
    assert_eq!(requests[0]["query"], "totalResults=true&sort=-createdAt&limit=4");
    assert_eq!(requests[1]["query"], format!("sort=-createdAt&limit=4&next={}", encoded_cursor(&next)));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_fetch_all_reads_every_page_up_to_max_records() {
    let env = Env::new().await;
    env.seed("users", 24).await;
    let all = env.ok("listUsers", json!({"fetchAll": true, "limit": 10})).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 25);
    assert_eq!((all["truncated"].clone(), all["nextPage"].clone()), (json!(false), Value::Null));
    assert!(all.get("links").is_none());
    assert_eq!(env.requests_to("/api/v1/users").await.len(), 3);
    env.clear_requests().await;
    let cut = env.ok("listUsers", json!({"fetchAll": true, "limit": 10, "maxRecords": 12})).await;
    assert_eq!(cut["data"].as_array().unwrap().len(), 12);
    assert_eq!(cut["truncated"], true);
    assert!(cut["nextPage"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_refuses_a_limit_over_100_and_sends_nothing() {
    let env = Env::new().await;
    for input in [json!({"limit": 101}), json!({"limit": "many"}), json!({"maxRecords": 0})] {
        let error = env.err("listUsers", input.clone()).await;
        assert_eq!(error["kind"], "invalid-input", "{input}");
        assert_eq!(error["input"], input.as_object().unwrap().keys().next().unwrap().as_str());
    }
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_maps_a_bad_filter_to_an_api_error() {
    let env = Env::new().await;
    let error = env.err("listUsers", json!({"paramsInputFields": {"filter": "name zz \"x\""}})).await;
    assert_qlik_error(&error, "api", 400);
    assert_eq!(only(&env.requests_to("/api/v1/users").await)["query"], "filter=name+zz+%22x%22");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_my_user_follows_the_redirect_on_the_tenant_host() {
    let env = Env::new().await;
    let me = env.ok("getMyUser", json!({})).await;
    assert_eq!(me["name"], "Sim Admin");
    let id = me["id"].as_str().unwrap();
    let requests = env.requests_to("/api/v1/users").await;
    let steps: Vec<_> = requests.iter().map(|r| (r["path"].clone(), r["response"]["status"].clone())).collect();
    assert_eq!(steps, [(json!("/api/v1/users/me"), json!(301)), (json!(format!("/api/v1/users/{id}")), json!(200))]);
    assert!(requests.iter().all(|r| r["method"] == "GET" && r["headers"]["authorization"] == "Bearer ***"));
}

#[tokio::test(flavor = "multi_thread")]
async fn get_my_user_follows_a_chain_of_redirects_but_not_more_than_five() {
    let env = Env::new().await;
    // A 302 to an absolute URL on the tenant, then the tenant's own 301 to the user record.
    let absolute = format!("{}/api/v1/users/me?via=edge", env.sim.url());
    env.fault(json!({"method": "GET", "path": "/api/v1/users/me", "status": 302, "location": absolute})).await;
    let me = env.ok("getMyUser", json!({})).await;
    assert_eq!(me["name"], "Sim Admin");
    let statuses: Vec<_> =
        env.requests_to("/api/v1/users").await.iter().map(|r| r["response"]["status"].clone()).collect();
    assert_eq!(statuses, [json!(302), json!(301), json!(200)]);
    assert_eq!(env.requests_to("/api/v1/users").await[1]["query"], "via=edge");

    env.clear_requests().await;
    env.fault(json!({"path": "/api/v1/users/me", "status": 307, "location": "/api/v1/users/me", "count": 6})).await;
    let error = env.err("getMyUser", json!({})).await;
    assert_eq!(error["kind"], "invalid-response", "{error}");
    assert!(error["message"].as_str().unwrap().contains("redirects"), "{error}");
    assert_eq!(env.requests().await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_my_user_refuses_a_redirect_to_another_host_and_sends_nothing_there() {
    let env = Env::new().await;
    let elsewhere = "https://evil.example.com/api/v1/users/stolen";
    env.fault(json!({"path": "/api/v1/users/me", "status": 301, "location": elsewhere})).await;
    let error = env.err("getMyUser", json!({})).await;
    assert_eq!(error["kind"], "invalid-response", "{error}");
    assert!(error["message"].as_str().unwrap().contains(elsewhere), "names the refused location: {error}");
    assert_eq!(only(&env.requests().await)["path"], "/api/v1/users/me");
    let outbound = env.harness.outbound_log();
    assert_eq!(outbound.len(), 1, "{outbound:?}");
    assert!(outbound.iter().all(|r| !r.url.contains("evil.example.com")));
}

// ---------------------------------------------------------------- apps

#[tokio::test(flavor = "multi_thread")]
async fn create_app_posts_the_attributes_and_returns_the_app() {
    let env = Env::new().await;
    let space = env.seed("spaces", 1).await;
    let input = json!({"name": "Sales", "description": "Q1 numbers", "spaceId": format!(" {} ", space[0]),
                       "locale": "en-US", "usage": "DATA_PREPARATION"});
    let app = env.ok("createApp", input).await;
    assert_eq!(app["attributes"]["name"], "Sales");
    assert_eq!(app["attributes"]["spaceId"], space[0].as_str());
    assert_eq!(app["attributes"]["usage"], "DATA_PREPARATION");
    let requests = env.requests_to("/api/v1/apps").await;
    let sent = only(&requests);
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["headers"]["content-type"], "application/json");
    assert_eq!(
        sent["body"],
        json!({"attributes": {"name": "Sales", "description": "Q1 numbers", "spaceId": space[0],
                              "locale": "en-US", "usage": "DATA_PREPARATION"}})
    );
    assert_eq!(sent["response"]["status"], 200);

    env.clear_requests().await;
    let plain = env.ok("createApp", json!({"name": "Plain", "description": "", "usage": null})).await;
    assert_eq!(plain["attributes"]["usage"], "ANALYTICS", "the tenant's default");
    assert_eq!(only(&env.requests_to("/api/v1/apps").await)["body"], json!({"attributes": {"name": "Plain"}}));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_app_in_a_missing_space_is_not_found() {
    let env = Env::new().await;
    let error = env.err("createApp", json!({"name": "Orphan", "spaceId": "000000000000000000000000"})).await;
    assert_qlik_error(&error, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_app_reads_by_id_and_a_missing_app_is_not_found() {
    let env = Env::new().await;
    let ids = env.seed("apps", 2).await;
    let app = env.ok("getApp", json!({"appId": ids[1]})).await;
    assert_eq!(app["attributes"]["id"], ids[1].as_str());
    assert!(app["attributes"]["createdDate"].is_string() && app["privileges"].is_array());
    let error = env.err("getApp", json!({"appId": "no such app"})).await;
    assert_qlik_error(&error, "not-found", 404);
    let requests = env.requests_to("/api/v1/apps").await;
    let paths: Vec<_> = requests.iter().map(|r| (r["method"].clone(), r["path"].clone())).collect();
    assert_eq!(
        paths,
        [
            (json!("GET"), json!(format!("/api/v1/apps/{}", ids[1]))),
            (json!("GET"), json!("/api/v1/apps/no%20such%20app"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_app_puts_only_the_given_attributes() {
    let env = Env::new().await;
    let ids = seed_records(&env, "apps", json!([{"name": "Budget", "description": "2024"}])).await;
    let updated = env.ok("updateApp", json!({"appId": ids[0], "description": "2025", "name": ""})).await;
    assert_eq!(updated["attributes"]["name"], "Budget");
    assert_eq!(updated["attributes"]["description"], "2025");
    let requests = env.requests_to("/api/v1/apps").await;
    let sent = only(&requests);
    assert_eq!(
        (sent["method"].as_str(), sent["path"].as_str()),
        (Some("PUT"), Some(format!("/api/v1/apps/{}", ids[0]).as_str()))
    );
    assert_eq!(sent["body"], json!({"attributes": {"description": "2025"}}));

    env.clear_requests().await;
    let renamed = env.ok("updateApp", json!({"appId": ids[0], "name": "Budget 2025", "description": "All year"})).await;
    assert_eq!(renamed["attributes"]["name"], "Budget 2025");
    let requests = env.requests_to("/api/v1/apps").await;
    assert_eq!(only(&requests)["body"], json!({"attributes": {"name": "Budget 2025", "description": "All year"}}));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_app_of_a_missing_app_is_not_found() {
    let env = Env::new().await;
    let error = env.err("updateApp", json!({"appId": "gone", "name": "x"})).await;
    assert_qlik_error(&error, "not-found", 404);
    assert_eq!(only(&env.requests_to("/api/v1/apps").await)["method"], "PUT");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_app_returns_deleted_and_a_second_delete_is_not_found() {
    let env = Env::new().await;
    let ids = env.seed("apps", 1).await;
    assert_eq!(env.ok("deleteApp", json!({"appId": ids[0]})).await, json!({"deleted": true, "id": ids[0]}));
    let error = env.err("deleteApp", json!({"appId": ids[0]})).await;
    assert_qlik_error(&error, "not-found", 404);
    let requests = env.requests_to("/api/v1/apps").await;
    let seen: Vec<_> = requests.iter().map(|r| (r["method"].clone(), r["response"]["status"].clone())).collect();
    assert_eq!(seen, [(json!("DELETE"), json!(200)), (json!("DELETE"), json!(404))]);
    assert_eq!(requests[0]["response"]["body"], Value::Null, "200 with an empty body");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_app_inputs_send_nothing() {
    let env = Env::new().await;
    for (key, input, named) in [
        ("getApp", json!({}), "appId"),
        ("getApp", json!({"appId": "  "}), "appId"),
        ("deleteApp", json!({"appId": "a/b"}), "appId"),
        ("updateApp", json!({"name": "x"}), "appId"),
        ("updateApp", json!({"appId": "a1"}), "name"),
        ("updateApp", json!({"appId": "a1", "name": "", "description": null}), "name"),
        ("createApp", json!({"name": "x", "usage": "REPORTING"}), "usage"),
        ("createApp", json!({"name": "x", "usage": "analytics"}), "usage"),
        ("createApp", json!({"description": "no name"}), "name"),
    ] {
        let error = env.err(key, input.clone()).await;
        assert_eq!(
            (error["kind"].as_str(), error["input"].as_str()),
            (Some("invalid-input"), Some(named)),
            "{key} {input}"
        );
    }
    assert!(env.requests().await.is_empty());
}

// ---------------------------------------------------------------- selectApp

#[tokio::test(flavor = "multi_thread")]
async fn select_app_reads_every_page_of_app_items_and_writes_nothing() {
    let env = Env::new().await;
    let ids = env.seed("apps", 230).await;
    let items = env.ok("selectApp", json!({})).await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 230);
    let mut keys: Vec<String> = items.iter().map(|i| i["key"].as_str().unwrap().to_string()).collect();
    keys.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(keys, want, "keys are the app ids (resourceId), not the item ids");
    let requests = env.requests().await;
    assert_eq!(requests.len(), 3, "230 apps at 100 per page");
    assert!(requests.iter().all(|r| r["method"] == "GET" && r["path"] == "/api/v1/items"));
    assert_eq!(requests[0]["query"], "resourceType=app&limit=100");
    for later in &requests[1..] {
        let query = later["query"].as_str().unwrap();
        assert!(query.starts_with("resourceType=app&limit=100&next="), "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn select_app_sorts_by_label_then_key() {
    let env = Env::new().await;
    let records = json!([{"id": "k3", "name": "beta"}, {"id": "k2", "name": "Alpha"}, {"id": "k4", "name": "gamma"},
                         {"id": "k1", "name": "alpha"}]);
    seed_records(&env, "apps", records).await;
    let items = env.ok("selectApp", json!({})).await;
    assert_eq!(
        items,
        json!([{"key": "k1", "label": "alpha"}, {"key": "k2", "label": "Alpha"}, {"key": "k3", "label": "beta"},
               {"key": "k4", "label": "gamma"}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn select_app_search_goes_to_the_items_query_and_matches_names_only() {
    let env = Env::new().await;
    let records = json!([{"id": "b1", "name": "Budget 2024"}, {"id": "b2", "name": "Annual budget"},
                         {"id": "s1", "name": "Sales", "description": "budget owners"}, {"id": "o1", "name": "Ops"}]);
    seed_records(&env, "apps", records).await;
    let items = env.ok("selectApp", json!({"search": "BUDGET"})).await;
    assert_eq!(items, json!([{"key": "b2", "label": "Annual budget"}, {"key": "b1", "label": "Budget 2024"}]));
    let requests = env.requests().await;
    assert_eq!(only(&requests)["query"], "resourceType=app&limit=100&query=BUDGET");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_app_labels_nameless_items_by_their_id() {
    let env = Env::new().await;
    let body = json!({"data": [{"resourceId": "b2", "name": ""}, {"resourceId": "a1"}, {"resourceId": "c3", "name": "Alpha"},
                               {"name": "no id"}], "links": {}});
    env.fault(json!({"path": "/api/v1/items", "rawBody": body.to_string()})).await;
    let items = env.ok("selectApp", json!({})).await;
    assert_eq!(
        items,
        json!([{"key": "a1", "label": "a1"}, {"key": "c3", "label": "Alpha"}, {"key": "b2", "label": "b2"}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn select_app_maps_items_errors() {
    let env = Env::new().await;
    env.fault(json!({"path": "/api/v1/items", "status": 401})).await;
    let error = env.err("selectApp", json!({})).await;
    assert_qlik_error(&error, "unauthorized", 401);
}
