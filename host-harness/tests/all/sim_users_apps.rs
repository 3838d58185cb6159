//! The simulated tenant's users, apps and items, over raw HTTP.

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
    async fn start() -> Sim {
        Sim { handle: start(SimConfig::default()).await.expect("start simulator") }
    }

    async fn api(&self, method: &str, target: &str, body: Option<Value>) -> RawResponse {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let auth = format!("Bearer {}", self.handle.api_key());
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        exchange(&self.handle.url(), method, target, &headers, &bytes).await.expect("connect").expect("a response")
    }

    async fn control(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        request(&self.handle.url(), method, path, body.as_ref()).await
    }

    async fn seed(&self, body: Value) -> Vec<String> {
        let out = self.control("POST", "/__sim/seed", Some(body)).await.expect("seeded");
        out["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    /// Every exchange so far conforms to Qlik's OpenAPI documents.
    async fn assert_conforms(&self) {
        let log = self.control("GET", "/__sim/requests", None).await.unwrap();
        openapi::Spec::shared().assert_conforms(log["requests"].as_array().unwrap());
    }
}

fn json_of(r: &RawResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&r.body)))
}

fn ids_of(page: &Value, field: &str) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|r| r[field].as_str().unwrap().to_string()).collect()
}

/// The query of an absolute `links.next.href`.
fn next_target(page: &Value) -> Option<String> {
    let href = page["links"]["next"]["href"].as_str()?;
    Some(href[href.find("/api/").unwrap()..].to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_are_created_read_updated_and_deleted_as_qlik_answers() {
    let sim = Sim::start().await;
    let space = sim.seed(json!({"resource": "spaces", "count": 1, "type": "shared"})).await;
    let body = json!({"attributes": {"name": "Sales", "description": "Q1", "spaceId": space[0], "locale": "en-US",
                                     "usage": "DATA_PREPARATION"}});
    let created = sim.api("POST", "/api/v1/apps", Some(body)).await;
    assert_eq!(created.status, 200);
    let app = json_of(&created);
    let id = app["attributes"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a GUID: {id}");
    assert_eq!(app["attributes"]["name"], "Sales");
    assert_eq!(app["attributes"]["spaceId"], space[0].as_str());
    assert_eq!(app["attributes"]["usage"], "DATA_PREPARATION");
    assert!(app["attributes"]["ownerId"].as_str().is_some_and(|o| !o.is_empty()));
    assert_eq!(app["attributes"]["createdDate"], app["attributes"]["modifiedDate"]);
    assert!(app["privileges"].as_array().unwrap().contains(&json!("update")));

    let got = json_of(&sim.api("GET", &format!("/api/v1/apps/{id}"), None).await);
    assert_eq!(got, app);

    sim.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 5}))).await.unwrap();
    let put = sim.api("PUT", &format!("/api/v1/apps/{id}"), Some(json!({"attributes": {"name": "Sales 2"}}))).await;
    assert_eq!(put.status, 200);
    let updated = json_of(&put);
    assert_eq!(updated["attributes"]["name"], "Sales 2");
    assert_eq!(updated["attributes"]["description"], "Q1", "only the given field changes");
    assert_ne!(updated["attributes"]["modifiedDate"], app["attributes"]["modifiedDate"]);

    let deleted = sim.api("DELETE", &format!("/api/v1/apps/{id}"), None).await;
    assert_eq!((deleted.status, deleted.body.len()), (200, 0));
    for method in ["GET", "PUT", "DELETE"] {
        let body = (method == "PUT").then(|| json!({"attributes": {"name": "x"}}));
        let gone = sim.api(method, &format!("/api/v1/apps/{id}"), body).await;
        assert_eq!(gone.status, 404, "{method}");
        let error = json_of(&gone);
        assert_eq!(error["errors"][0]["code"], "HTTP-404");
        assert!(error["traceId"].is_string());
    }
    let changes = sim.control("GET", "/__sim/changes", None).await.unwrap();
    let kinds: Vec<_> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["resource"] == "apps")
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["created", "updated", "deleted"]);
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_bodies_are_validated() {
    let sim = Sim::start().await;
    for (body, pointer) in [
        (json!({"attributes": {"name": "A", "usage": "REPORTING"}}), "/attributes/usage"),
        (json!({"attributes": {"name": ""}}), "/attributes/name"),
        (json!({"attributes": {"name": 5}}), "/attributes/name"),
    ] {
        let r = sim.api("POST", "/api/v1/apps", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(json_of(&r)["errors"][0]["detail"].as_str().unwrap().contains(&pointer[12..]), "{body}");
    }
    // Those bodies break the apps document on purpose; what follows conforms.
    sim.control("DELETE", "/__sim/requests", None).await.unwrap();
    let r = sim.api("POST", "/api/v1/apps", Some(json!({"attributes": {"name": "A", "spaceId": "nope"}}))).await;
    assert_eq!(r.status, 404);
    let listed = json_of(&sim.api("GET", "/api/v1/items?resourceType=app", None).await);
    assert_eq!(listed["data"], json!([]), "nothing was created");
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn items_list_the_apps_with_cursor_paging_sort_and_filters() {
    let sim = Sim::start().await;
    let ids = sim.seed(json!({"resource": "apps", "count": 23})).await;
    assert_eq!(ids.len(), 23);
    // Default limit 10, absolute next links that keep the other parameters.
    let mut target = Some("/api/v1/items?resourceType=app".to_string());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(t) = target {
        let r = sim.api("GET", &t, None).await;
        assert_eq!(r.status, 200);
        assert!(r.header("x-b3-traceid").is_some());
        let page = json_of(&r);
        for item in page["data"].as_array().unwrap() {
            assert_eq!(item["resourceType"], "app");
            assert_ne!(item["id"], item["resourceId"], "the item id is not the app id");
            assert_eq!(item["resourceAttributes"]["id"], item["resourceId"]);
        }
        seen.extend(ids_of(&page, "resourceId"));
        if let Some(href) = page["links"]["next"]["href"].as_str() {
            assert!(href.starts_with("http://") && href.contains("resourceType=app") && href.contains("next="));
        }
        target = next_target(&page);
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "default sort is +createdAt");

    // Sort by updatedAt after touching one app.
    sim.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 60}))).await.unwrap();
    let touched = &ids[4];
    sim.api("PUT", &format!("/api/v1/apps/{touched}"), Some(json!({"attributes": {"description": "new"}}))).await;
    let newest = json_of(&sim.api("GET", "/api/v1/items?resourceType=app&sort=-updatedAt&limit=2", None).await);
    assert_eq!(ids_of(&newest, "resourceId")[0], *touched);
    let oldest = json_of(&sim.api("GET", "/api/v1/items?resourceType=app&sort=%2BupdatedAt&limit=100", None).await);
    assert_eq!(ids_of(&oldest, "resourceId").last(), Some(touched));
    let by_name = json_of(&sim.api("GET", "/api/v1/items?sort=%2Bname&limit=100", None).await);
    let names: Vec<String> = ids_of(&by_name, "name").iter().map(|n| n.to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    // Filters: name (exact, any case), query (substring of name or description), other types.
    let first = by_name["data"][0]["name"].as_str().unwrap().to_string();
    let exact = format!("/api/v1/items?resourceType=app&name={}", first.to_uppercase().replace(' ', "%20"));
    let named = json_of(&sim.api("GET", &exact, None).await);
    assert!(ids_of(&named, "name").iter().all(|n| n.eq_ignore_ascii_case(&first)) && !named["data"][0].is_null());
    let query = json_of(&sim.api("GET", "/api/v1/items?resourceType=app&query=NEW&limit=100", None).await);
    assert_eq!(ids_of(&query, "resourceId"), std::slice::from_ref(touched), "the description matched");
    let notes = json_of(&sim.api("GET", "/api/v1/items?resourceType=note", None).await);
    assert_eq!(notes["data"], json!([]));

    // Bad parameters are 400s in the items error shape (no traceId in the body).
    for bad in ["limit=101", "limit=0", "sort=name", "sort=-owner", "resourceType=spreadsheet", "resourceId=x"] {
        let r = sim.api("GET", &format!("/api/v1/items?{bad}"), None).await;
        assert_eq!(r.status, 400, "{bad}");
        let error = json_of(&r);
        assert!(error["errors"][0]["code"].is_string() && error.get("traceId").is_none(), "{bad}: {error}");
        assert!(r.header("x-b3-traceid").is_some());
    }
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_seed_explicit_records_all_or_nothing() {
    let sim = Sim::start().await;
    let space = sim.seed(json!({"resource": "spaces", "count": 1})).await;
    let ids = sim
        .seed(json!({"resource": "apps", "records": [
            {"id": "a1", "name": "Budget", "spaceId": space[0], "usage": "ANALYTICS", "published": true},
            {"name": "Prep", "usage": "DATAFLOW_PREP"},
        ]}))
        .await;
    assert_eq!(ids[0], "a1");
    let a1 = json_of(&sim.api("GET", "/api/v1/apps/a1", None).await);
    assert_eq!(a1["attributes"]["spaceId"], space[0].as_str());
    assert!(a1["attributes"]["publishTime"].is_string());
    let in_space =
        json_of(&sim.api("GET", &format!("/api/v1/items?resourceType=app&spaceId={}", space[0]), None).await);
    assert_eq!(ids_of(&in_space, "resourceId"), ["a1"]);
    let personal = json_of(&sim.api("GET", "/api/v1/items?resourceType=app&spaceId=personal", None).await);
    assert_eq!(ids_of(&personal, "resourceId"), [ids[1].clone()]);

    // One bad record (a taken id, an unknown usage, an unknown field) and nothing stays.
    for bad in [json!({"id": "a1"}), json!({"usage": "OTHER"}), json!({"colour": "red"})] {
        let body = json!({"resource": "apps", "count": 2, "records": [{"name": "ok"}, bad]});
        assert!(sim.control("POST", "/__sim/seed", Some(body)).await.is_err());
    }
    let all = json_of(&sim.api("GET", "/api/v1/items?resourceType=app&limit=100", None).await);
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    sim.assert_conforms().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_me_redirects_to_the_callers_record() {
    let sim = Sim::start().await;
    let me = sim.api("GET", "/api/v1/users/me", None).await;
    assert_eq!(me.status, 301);
    let location = me.header("location").unwrap().to_string();
    assert!(location.starts_with("/api/v1/users/"), "{location}");
    let user = json_of(&sim.api("GET", &location, None).await);
    assert_eq!(user["name"], "Sim Admin");
    sim.seed(json!({"resource": "users", "count": 3})).await;
    let page = json_of(&sim.api("GET", "/api/v1/users?limit=2&sort=-createdAt", None).await);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(page["links"]["next"]["href"].is_string());
    sim.assert_conforms().await;
}
