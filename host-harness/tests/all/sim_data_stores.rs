//! The simulated tenant's data stores, data assets and data sets, over raw HTTP.

use qlik_harness::sim::{start, SimConfig, SimHandle};
use qlik_harness::sim_client::{exchange, request};
use serde_json::{json, Value};

/// Sends an authorized API request; returns the status and the JSON body (`null` when empty).
async fn api(sim: &SimHandle, method: &str, target: &str, body: Option<Value>) -> (u16, Value) {
    let auth = format!("Bearer {}", sim.api_key());
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let response = exchange(&sim.url(), method, target, &headers, bytes.as_bytes()).await.unwrap().expect("an answer");
    let json = if response.body.is_empty() { Value::Null } else { serde_json::from_slice(&response.body).unwrap() };
    (response.status, json)
}

/// `POST /__sim/seed`; the answer's JSON whatever its status.
async fn seed(sim: &SimHandle, body: Value) -> Value {
    let headers = [("Content-Type", "application/json")];
    let response = exchange(&sim.url(), "POST", "/__sim/seed", &headers, body.to_string().as_bytes()).await.unwrap();
    serde_json::from_slice(&response.expect("an answer").body).unwrap()
}

async fn seeded(sim: &SimHandle, body: Value) -> Vec<String> {
    let out = seed(sim, body).await;
    out["created"].as_array().unwrap_or_else(|| panic!("{out}")).iter().map(|v| v.as_str().unwrap().into()).collect()
}

fn assert_error(body: &Value, status: u16) {
    let item = &body["errors"][0];
    assert_eq!(item["status"], status.to_string(), "{body}");
    assert_eq!(item["code"], format!("HTTP-{status}"), "{body}");
    assert!(item["title"].is_string() && item["detail"].is_string(), "{body}");
    assert!(body["traceId"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_by_number_with_totals_and_absolute_links() {
    let sim = start(SimConfig::default()).await.unwrap();
    seeded(&sim, json!({"resource": "data-stores", "count": 45})).await;
    let (status, page) = api(&sim, "GET", "/api/v1/data-stores?sort=-name&limit=20&page=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (page["page"].clone(), page["pages"].clone(), page["total"].clone(), page["limit"].clone()),
        (json!(1), json!(3), json!(45), json!(20))
    );
    let names: Vec<String> =
        page["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_lowercase()).collect();
    assert_eq!(names.len(), 20);
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");
    let base = sim.url();
    assert_eq!(page["links"]["next"]["href"], format!("{base}/api/v1/data-stores?sort=-name&limit=20&page=2"));
    assert_eq!(page["links"]["prev"]["href"], format!("{base}/api/v1/data-stores?sort=-name&limit=20&page=0"));
    assert_eq!(page["links"]["first"]["href"], format!("{base}/api/v1/data-stores?sort=-name&limit=20&page=0"));
    assert_eq!(page["links"]["last"]["href"], format!("{base}/api/v1/data-stores?sort=-name&limit=20&page=2"));
    let (_, last) = api(&sim, "GET", "/api/v1/data-stores?limit=20&page=2", None).await;
    assert_eq!(last["data"].as_array().unwrap().len(), 5);
    assert!(last["links"].get("next").is_none());
    let (_, default) = api(&sim, "GET", "/api/v1/data-stores?projections=name", None).await;
    assert_eq!(default["limit"], 20);
    let record = default["data"][0].as_object().unwrap();
    assert!(record.contains_key("id") && record.contains_key("name") && !record.contains_key("uri"), "{record:?}");
    for bad in ["limit=101", "limit=0", "page=-1", "page=x", "sort=color"] {
        let (status, body) = api(&sim, "GET", &format!("/api/v1/data-stores?{bad}"), None).await;
        assert_eq!(status, 400, "{bad}");
        assert_error(&body, 400);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_update_bumps_the_version_and_a_stale_one_is_409() {
    let sim = start(SimConfig::default()).await.unwrap();
    let store = json!({"technicalName": "sales_dw", "type": "snowflake", "name": "Sales"});
    let (status, created) = api(&sim, "POST", "/api/v1/data-stores", Some(store.clone())).await;
    assert_eq!(status, 201);
    assert_eq!(created["version"], 1);
    for field in ["id", "tenantId", "ownerId", "createdBy", "createdTime", "lastModifiedBy", "lastModifiedTime"] {
        assert!(created[field].is_string(), "{field}: {created}");
    }
    let id = created["id"].as_str().unwrap();
    let (status, _) =
        api(&sim, "POST", "/api/v1/data-stores", Some(json!({"id": "x", "technicalName": "t", "type": "s"}))).await;
    assert_eq!(status, 400);
    let (status, body) = api(&sim, "POST", "/api/v1/data-stores", Some(json!({"type": "s"}))).await;
    assert_eq!(status, 400);
    assert_error(&body, 400);

    let mut update = created.clone();
    update["uri"] = json!("https://new.example.com");
    let (status, updated) = api(&sim, "PUT", &format!("/api/v1/data-stores/{id}"), Some(update.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["version"].clone(), updated["uri"].clone(), updated["name"].clone()),
        (json!(2), json!("https://new.example.com"), json!("Sales"))
    );
    assert_eq!(updated["createdTime"], created["createdTime"]);
    let (status, body) = api(&sim, "PUT", &format!("/api/v1/data-stores/{id}"), Some(update.clone())).await;
    assert_eq!(status, 409);
    assert_error(&body, 409);
    let mut unversioned = update.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    assert_eq!(api(&sim, "PUT", &format!("/api/v1/data-stores/{id}"), Some(unversioned)).await.0, 400);
    let (status, body) = api(&sim, "PUT", "/api/v1/data-stores/missing", Some(update)).await;
    assert_eq!(status, 404);
    assert_error(&body, 404);
    let (_, now) = api(&sim, "GET", &format!("/api/v1/data-stores/{id}"), None).await;
    assert_eq!(now, updated);
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_lists_and_batch_deletes_stay_inside_the_given_stores() {
    let sim = start(SimConfig::default()).await.unwrap();
    let stores = seeded(&sim, json!({"resource": "data-stores", "count": 2})).await;
    let first = seeded(&sim, json!({"resource": "data-assets", "count": 2, "parentId": stores[0]})).await;
    let second = seeded(&sim, json!({"resource": "data-assets", "count": 3, "parentId": stores[1]})).await;
    let sets = seeded(&sim, json!({"resource": "data-sets", "count": 2, "parentId": first[0]})).await;
    seeded(&sim, json!({"resource": "data-sets", "count": 1, "parentId": second[0]})).await;

    let total = |body: &Value| body["total"].as_u64().unwrap();
    assert_eq!(total(&api(&sim, "GET", &format!("/api/v1/data-stores/{}/data-assets", stores[0]), None).await.1), 2);
    assert_eq!(total(&api(&sim, "GET", "/api/v1/data-stores/*/data-assets", None).await.1), 5);
    let both = format!("/api/v1/data-stores/{},{}/data-assets", stores[0], stores[1]);
    assert_eq!(total(&api(&sim, "GET", &both, None).await.1), 5);
    let (_, page) = api(&sim, "GET", &format!("/api/v1/data-stores/*/data-assets/{}/data-sets", first[0]), None).await;
    assert_eq!(total(&page), 2);
    assert_eq!(page["data"][0]["dataAssetInfo"]["dataStoreInfo"]["id"], stores[0].as_str());
    assert_eq!(
        page["links"]["self"]["href"],
        format!("{}/api/v1/data-stores/*/data-assets/{}/data-sets?page=0", sim.url(), first[0])
    );
    assert_eq!(total(&api(&sim, "GET", "/api/v1/data-stores/*/data-assets/*/data-sets", None).await.1), 3);
    assert_eq!(api(&sim, "GET", "/api/v1/data-stores/nope/data-assets", None).await.0, 404);

    // A store that still holds assets cannot go; unknown ids delete nothing.
    let (status, body) = api(&sim, "DELETE", "/api/v1/data-stores", Some(json!({"ids": [stores[0]]}))).await;
    assert_eq!(status, 409);
    assert_error(&body, 409);
    let unknown = json!({"ids": [first[1], "nope"]});
    assert_eq!(api(&sim, "DELETE", "/api/v1/data-assets", Some(unknown)).await.0, 404);
    assert_eq!(api(&sim, "GET", &format!("/api/v1/data-assets/{}", first[1]), None).await.0, 200);
    assert_eq!(api(&sim, "DELETE", "/api/v1/data-assets", Some(json!({"ids": first[1]}))).await.0, 400);

    // The stores' assets go with their sets; other stores keep theirs.
    let (status, body) = api(&sim, "DELETE", &format!("/api/v1/data-stores/{}/data-assets", stores[0]), None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(api(&sim, "GET", &format!("/api/v1/data-sets/{}", sets[0]), None).await.0, 404);
    assert_eq!(total(&api(&sim, "GET", "/api/v1/data-stores/*/data-assets", None).await.1), 3);
    assert_eq!(api(&sim, "DELETE", "/api/v1/data-stores", Some(json!({"ids": [stores[0]]}))).await.0, 204);
    assert_eq!(api(&sim, "GET", &format!("/api/v1/data-stores/{}", stores[0]), None).await.0, 404);
    let by_set = format!("/api/v1/data-stores/{}/data-assets/*/data-sets", stores[1]);
    assert_eq!(api(&sim, "DELETE", &by_set, None).await.0, 204);
    assert_eq!(total(&api(&sim, "GET", "/api/v1/data-stores/*/data-assets/*/data-sets", None).await.1), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_is_all_or_nothing_and_needs_a_parent() {
    let sim = start(SimConfig::default()).await.unwrap();
    let stores = seeded(&sim, json!({"resource": "data-stores", "records": [{"id": "store-1", "name": null}]})).await;
    assert_eq!(stores, ["store-1"]);
    let (_, store) = api(&sim, "GET", "/api/v1/data-stores/store-1", None).await;
    assert!(store.get("name").is_none() && store["technicalName"].is_string(), "{store}");
    let failed = seed(&sim, json!({"resource": "data-assets", "count": 2})).await;
    assert!(failed["error"].as_str().unwrap().contains("parentId"), "{failed}");
    let failed = seed(
        &sim,
        json!({"resource": "data-assets", "records": [{"dataStoreId": "store-1"}, {"dataStoreId": "nope"}]}),
    )
    .await;
    assert!(failed["error"].is_string(), "{failed}");
    assert_eq!(api(&sim, "GET", "/api/v1/data-stores/*/data-assets", None).await.1["total"], 0);
    let changes = request(&sim.url(), "GET", "/__sim/changes", None).await.unwrap();
    assert_eq!(changes["changes"].as_array().unwrap().len(), 1, "{changes}");
    let assets = seeded(
        &sim,
        json!({"resource": "data-assets", "records": [{"id": "asset-1", "dataStoreId": "store-1", "name": "Orders"}]}),
    )
    .await;
    let (_, asset) = api(&sim, "GET", &format!("/api/v1/data-assets/{}", assets[0]), None).await;
    assert_eq!(asset["dataStoreInfo"]["id"], "store-1");
    assert_eq!(asset["appType"], "QIX-DF");
    let sets = seeded(&sim, json!({"resource": "data-sets", "count": 1, "parentId": "asset-1"})).await;
    let (_, set) = api(&sim, "GET", &format!("/api/v1/data-sets/{}", sets[0]), None).await;
    assert!(set["qri"].as_str().unwrap().starts_with("qdf:"), "{set}");
    assert_eq!(set["dataAssetInfo"]["name"], "Orders");
}
