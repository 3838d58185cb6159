//! Data stores, data assets and data sets: every action and their data sources, through the real component against the simulated tenant.

use crate::support::env;

use env::{assert_qlik_error, Env};
use serde_json::{json, Value};

fn only(requests: &[Value]) -> &Value {
    assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
    &requests[0]
}

/// Seeds records of `resource` (`records` and/or `count`, `parentId` for assets and sets).
async fn seed(env: &Env, body: Value) -> Vec<String> {
    let out = env.control("POST", "/__sim/seed", Some(body)).await;
    let created = out["created"].as_array().unwrap_or_else(|| panic!("seed failed: {out}"));
    created.iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// One store holding one asset holding one set; returns their ids.
async fn store_asset_set(env: &Env) -> (String, String, String) {
    let store = seed(env, json!({"resource": "data-stores", "records": [{"name": "Sales Warehouse", "technicalName": "sales_dw", "type": "snowflake", "uri": "https://acme.snowflakecomputing.com", "tags": ["sales"]}]})).await;
    let asset = seed(env, json!({"resource": "data-assets", "parentId": store[0], "records": [{"name": "Orders", "technicalName": "orders", "appType": "QIX-DF", "appId": "app-1"}]})).await;
    let set = seed(env, json!({"resource": "data-sets", "parentId": asset[0], "records": [{"name": "Orders 2024", "technicalName": "orders_2024.csv"}]})).await;
    env.clear_requests().await;
    (store[0].clone(), asset[0].clone(), set[0].clone())
}

fn methods_and_paths(requests: &[Value]) -> Vec<(String, String)> {
    requests.iter().map(|r| (r["method"].as_str().unwrap().into(), r["path"].as_str().unwrap().into())).collect()
}

fn without(record: &Value, fields: &[&str]) -> Value {
    let mut record = record.clone();
    for field in fields {
        record.as_object_mut().unwrap().shift_remove(*field);
    }
    record
}

const READ_ONLY: &[&str] = &["tenantId", "createdBy", "createdTime", "lastModifiedBy", "lastModifiedTime"];

// ------------------------------------------------------------------------------ data stores

#[tokio::test(flavor = "multi_thread")]
async fn list_data_stores_pages_by_number_with_sort_and_projections() {
    let env = Env::new().await;
    seed(&env, json!({"resource": "data-stores", "count": 7})).await;
    let input = json!({"limit": 3, "sort": ["name", "-createdTime"], "projections": "id,name", "paramsInputFields": "page=5\nsort=id"});
    let first = env.ok("listDataStores", input).await;
    assert_eq!((first["page"].clone(), first["pages"].clone(), first["total"].clone()), (json!(0), json!(3), json!(7)));
    assert_eq!(first["nextPage"], "1");
    let names: Vec<&str> = first["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
    assert!(first["data"][0].get("uri").is_none(), "projected away: {}", first["data"][0]);
    let last = env.ok("listDataStores", json!({"limit": 3, "page": "2"})).await;
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    assert_eq!(last["nextPage"], Value::Null);
    let requests = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(requests[0]["query"], "sort=name%2C-createdTime&projections=id%2Cname&limit=3");
    assert_eq!(requests[1]["query"], "limit=3&page=2");
    assert!(requests.iter().all(|r| r["method"] == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_data_stores_fetch_all_follows_page_numbers() {
    let env = Env::new().await;
    seed(&env, json!({"resource": "data-stores", "count": 25})).await;
    let all = env.ok("listDataStores", json!({"fetchAll": true, "limit": 10})).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 25);
    assert_eq!(
        (all["truncated"].clone(), all["nextPage"].clone(), all["total"].clone()),
        (json!(false), Value::Null, json!(25))
    );
    assert!(all.get("links").is_none());
    let queries: Vec<_> = env.requests_to("/api/v1/data-stores").await.iter().map(|r| r["query"].clone()).collect();
    assert_eq!(queries, [json!("limit=10"), json!("limit=10&page=1"), json!("limit=10&page=2")]);
    let cut = env.ok("listDataStores", json!({"fetchAll": true, "limit": 10, "maxRecords": 15})).await;
    assert_eq!(
        (cut["data"].as_array().unwrap().len(), cut["truncated"].clone(), cut["nextPage"].clone()),
        (15, json!(true), json!("1"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_data_store_with_projections_and_not_found() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    let got =
        env.ok("getDataStore", json!({"dataStoreId": format!(" {store} "), "projections": ["name", "uri"]})).await;
    assert_eq!(got["name"], "Sales Warehouse");
    assert_eq!(got["uri"], "https://acme.snowflakecomputing.com");
    assert!(got.get("tags").is_none(), "{got}");
    let error = env.err("getDataStore", json!({"dataStoreId": "missing"})).await;
    assert_qlik_error(&error, "not-found", 404);
    let requests = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(methods_and_paths(&requests)[0], ("GET".into(), format!("/api/v1/data-stores/{store}")));
    assert_eq!(requests[0]["query"], "projections=name%2Curi");
    // This API family's own error body: `status` as a string, and a traceId.
    assert_eq!(requests[1]["response"]["body"]["errors"][0]["status"], "404");
    assert!(requests[1]["response"]["body"]["traceId"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn create_data_store_puts_explicit_inputs_over_the_json_input() {
    let env = Env::new().await;
    let input = json!({
        "technicalName": "sales_dw", "type": "snowflake", "uri": "https://acme.snowflakecomputing.com",
        "dataStoreInput": r#"{"name": "Sales Warehouse", "technicalName": "from_json", "type": "s3", "tags": ["sales"]}"#,
    });
    let created = env.ok("createDataStore", input).await;
    assert_eq!((created["technicalName"].as_str(), created["type"].as_str()), (Some("sales_dw"), Some("snowflake")));
    assert_eq!(created["version"], 1);
    env.ok("createDataStore", json!({"technicalName": "plain", "type": "postgresql", "dataStoreInput": {}})).await;
    let requests = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(
        requests[0]["body"],
        json!({"name": "Sales Warehouse", "technicalName": "sales_dw", "type": "snowflake", "tags": ["sales"], "uri": "https://acme.snowflakecomputing.com"})
    );
    assert_eq!(requests[0]["response"]["status"], 201);
    // No placeholder values: only what was given.
    assert_eq!(requests[1]["body"], json!({"technicalName": "plain", "type": "postgresql"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn update_data_store_changes_only_the_given_field() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    let before = env.ok("getDataStore", json!({"dataStoreId": store})).await;
    env.clear_requests().await;
    let updated = env.ok("updateDataStore", json!({"dataStoreId": store, "uri": "https://new.example.com"})).await;
    assert_eq!(updated["version"], 2);
    let requests = env.requests_to("/api/v1/data-stores").await;
    let path = format!("/api/v1/data-stores/{store}");
    assert_eq!(methods_and_paths(&requests), [("GET".into(), path.clone()), ("PUT".into(), path)]);
    let mut expected = without(&before, READ_ONLY);
    expected["uri"] = json!("https://new.example.com");
    assert_eq!(requests[1]["body"], expected);
    assert_eq!(requests[1]["body"]["version"], 1);
    let after = env.ok("getDataStore", json!({"dataStoreId": store})).await;
    assert_eq!(
        without(&after, &["uri", "version", "lastModifiedTime"]),
        without(&before, &["uri", "version", "lastModifiedTime"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_data_store_json_input_merges_under_explicit_fields() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    let input = json!({"dataStoreId": store, "type": "postgresql", "dataStoreInput": {"description": "EU sales", "type": "s3"}});
    let updated = env.ok("updateDataStore", input).await;
    assert_eq!((updated["type"].as_str(), updated["description"].as_str()), (Some("postgresql"), Some("EU sales")));
    assert_eq!(updated["name"], "Sales Warehouse");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_data_store_after_a_concurrent_change_is_conflict_and_loses_nothing() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    let before = env.ok("getDataStore", json!({"dataStoreId": store})).await;
    // Another writer changed the store after this read: the read answers the old version.
    env.ok("updateDataStore", json!({"dataStoreId": store, "dataStoreInput": {"description": "theirs"}})).await;
    let path = format!("/api/v1/data-stores/{store}");
    env.fault(json!({"method": "GET", "path": path, "rawBody": before.to_string()})).await;
    env.clear_requests().await;
    let error = env.err("updateDataStore", json!({"dataStoreId": store, "uri": "https://mine.example.com"})).await;
    assert_qlik_error(&error, "conflict", 409);
    let requests = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(requests[1]["method"], "PUT");
    assert_eq!(requests[1]["body"]["version"], 1);
    let now = env.ok("getDataStore", json!({"dataStoreId": store})).await;
    assert_eq!((now["description"].as_str(), now["uri"].as_str()), (Some("theirs"), before["uri"].as_str()));
    assert_eq!(now["version"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_stores_sends_an_ids_array() {
    let env = Env::new().await;
    let ids = seed(&env, json!({"resource": "data-stores", "count": 3})).await;
    let out = env.ok("deleteDataStores", json!({"dataStoreIds": [ids[0], ids[1]]})).await;
    assert_eq!(out, json!({"deleted": true, "ids": [ids[0], ids[1]]}));
    assert_eq!(env.ok("deleteDataStores", json!({"dataStoreIds": ids[2]})).await["ids"], json!([ids[2]]));
    let requests = env.requests_to("/api/v1/data-stores").await;
    assert_eq!(methods_and_paths(&requests)[0], ("DELETE".into(), "/api/v1/data-stores".into()));
    assert_eq!(requests[0]["body"], json!({"ids": [ids[0], ids[1]]}));
    assert_eq!(requests[1]["body"], json!({"ids": [ids[2]]}));
    assert_eq!(requests[0]["response"]["status"], 204);
    assert_qlik_error(&env.err("getDataStore", json!({"dataStoreId": ids[0]})).await, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_stores_refuses_stores_with_assets_and_unknown_ids() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    assert_qlik_error(&env.err("deleteDataStores", json!({"dataStoreIds": [store]})).await, "conflict", 409);
    assert_qlik_error(&env.err("deleteDataStores", json!({"dataStoreIds": ["nope"]})).await, "not-found", 404);
    env.ok("getDataStore", json!({"dataStoreId": store})).await;
}

// ----------------------------------------------------------------- deleteDataStoresAssets

/// Two stores with two assets each; returns (stores, assets of the first, assets of the second).
async fn two_stores(env: &Env) -> (Vec<String>, Vec<String>, Vec<String>) {
    let stores = seed(env, json!({"resource": "data-stores", "count": 2})).await;
    let first = seed(env, json!({"resource": "data-assets", "count": 2, "parentId": stores[0]})).await;
    let second = seed(env, json!({"resource": "data-assets", "count": 2, "parentId": stores[1]})).await;
    env.clear_requests().await;
    (stores, first, second)
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_stores_assets_deletes_the_assets_of_the_given_stores_only() {
    let env = Env::new().await;
    let (stores, first, second) = two_stores(&env).await;
    let out = env.ok("deleteDataStoresAssets", json!({"dataStoreIds": [stores[0]]})).await;
    assert_eq!(out, json!({"deleted": true, "dataStoreIds": [stores[0]]}));
    let requests = env.requests().await;
    assert_eq!(
        methods_and_paths(&requests),
        [("DELETE".into(), format!("/api/v1/data-stores/{}/data-assets", stores[0]))]
    );
    assert_eq!(requests[0]["body"], Value::Null);
    assert_eq!(requests[0]["response"]["status"], 204);
    assert_qlik_error(&env.err("getDataAssets", json!({"dataAssetsId": first[0]})).await, "not-found", 404);
    env.ok("getDataAssets", json!({"dataAssetsId": second[0]})).await;
    env.clear_requests().await;
    env.ok("deleteDataStoresAssets", json!({"dataStoreIds": [stores[0], stores[1]]})).await;
    assert_eq!(
        only(&env.requests().await)["path"],
        format!("/api/v1/data-stores/{},{}/data-assets", stores[0], stores[1])
    );
    assert_qlik_error(&env.err("getDataAssets", json!({"dataAssetsId": second[1]})).await, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_stores_assets_with_asset_ids_checks_them_against_the_stores_first() {
    let env = Env::new().await;
    let (stores, first, second) = two_stores(&env).await;
    let out = env.ok("deleteDataStoresAssets", json!({"dataStoreIds": [stores[0]], "dataAssetsIds": [first[1]]})).await;
    assert_eq!(out, json!({"deleted": true, "dataStoreIds": [stores[0]], "ids": [first[1]]}));
    let requests = env.requests().await;
    let listing = format!("/api/v1/data-stores/{}/data-assets", stores[0]);
    assert_eq!(
        methods_and_paths(&requests),
        [("GET".into(), listing), ("DELETE".into(), "/api/v1/data-assets".into())]
    );
    assert_eq!(requests[0]["query"], "limit=100&projections=id");
    assert_eq!(requests[1]["body"], json!({"ids": [first[1]]}));
    env.ok("getDataAssets", json!({"dataAssetsId": first[0]})).await;

    // An asset of another store is refused, and nothing is deleted.
    env.clear_requests().await;
    let error = env
        .err("deleteDataStoresAssets", json!({"dataStoreIds": [stores[0]], "dataAssetsIds": [first[0], second[0]]}))
        .await;
    assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("dataAssetsIds")));
    assert!(env.requests().await.iter().all(|r| r["method"] == "GET"));
    env.ok("getDataAssets", json!({"dataAssetsId": first[0]})).await;
    env.ok("getDataAssets", json!({"dataAssetsId": second[0]})).await;

    // A store that does not exist is Qlik's 404.
    let error = env.err("deleteDataStoresAssets", json!({"dataStoreIds": ["gone"], "dataAssetsIds": [first[0]]})).await;
    assert_qlik_error(&error, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_stores_assets_refuses_star_and_commas_before_sending() {
    let env = Env::new().await;
    for ids in [json!(["*"]), json!(["a,b"]), json!(["a", "../x"])] {
        let error = env.err("deleteDataStoresAssets", json!({"dataStoreIds": ids})).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("dataStoreIds")));
    }
    assert!(env.requests().await.is_empty());
}

// ------------------------------------------------------------------------------ data assets

#[tokio::test(flavor = "multi_thread")]
async fn create_data_asset_sends_the_users_app_id() {
    let env = Env::new().await;
    let (store, _, _) = store_asset_set(&env).await;
    let input = json!({
        "appId": "2451e58e-a1b9-4047-abf6-315e91d8a610", "appType": "QIX-DF", "technicalName": "orders",
        "dataAssetInput": {"appId": "string", "name": "Orders", "dataStoreInfo": {"id": store}},
    });
    let created = env.ok("createDataAssets", input).await;
    assert_eq!(created["appId"], "2451e58e-a1b9-4047-abf6-315e91d8a610");
    assert_eq!(created["dataStoreInfo"], json!({"id": store, "name": "Sales Warehouse", "type": "snowflake"}));
    let sent = only(&env.requests_to("/api/v1/data-assets").await).clone();
    assert_eq!(sent["method"], "POST");
    assert_eq!(
        sent["body"],
        json!({"appId": "2451e58e-a1b9-4047-abf6-315e91d8a610", "name": "Orders", "dataStoreInfo": {"id": store}, "appType": "QIX-DF", "technicalName": "orders"})
    );
    assert_eq!(sent["response"]["status"], 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_and_update_data_asset_read_merge_write() {
    let env = Env::new().await;
    let (_, asset, _) = store_asset_set(&env).await;
    let before = env.ok("getDataAssets", json!({"dataAssetsId": asset, "projections": "name"})).await;
    assert_eq!((before["name"].as_str(), before.get("appId")), (Some("Orders"), None));
    let full = env.ok("getDataAssets", json!({"dataAssetsId": asset})).await;
    env.clear_requests().await;
    let updated = env.ok("updateDataAssets", json!({"dataAssetsId": asset, "technicalName": "orders_v2"})).await;
    assert_eq!((updated["technicalName"].as_str(), updated["name"].as_str()), (Some("orders_v2"), Some("Orders")));
    let requests = env.requests_to("/api/v1/data-assets").await;
    assert_eq!(requests[1]["method"], "PUT");
    let mut expected = without(&full, READ_ONLY);
    expected["technicalName"] = json!("orders_v2");
    assert_eq!(requests[1]["body"], expected);
    assert_qlik_error(&env.err("getDataAssets", json!({"dataAssetsId": "missing"})).await, "not-found", 404);
    assert_qlik_error(
        &env.err("updateDataAssets", json!({"dataAssetsId": "missing", "appType": "x"})).await,
        "not-found",
        404,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_data_assets_takes_the_old_data_set_ids_key_and_deletes_their_data_sets() {
    let env = Env::new().await;
    let (_, asset, set) = store_asset_set(&env).await;
    let out = env.ok("deleteDataAssets", json!({"dataSetIds": [asset]})).await;
    assert_eq!(out, json!({"deleted": true, "ids": [asset]}));
    let sent = only(&env.requests().await).clone();
    assert_eq!((sent["method"].as_str(), sent["path"].as_str()), (Some("DELETE"), Some("/api/v1/data-assets")));
    assert_eq!(sent["body"], json!({"ids": [asset]}));
    assert_qlik_error(&env.err("getDataset", json!({"dataSetId": set})).await, "not-found", 404);
    assert_qlik_error(&env.err("deleteDataAssets", json!({"dataAssetIds": [asset]})).await, "not-found", 404);
}

// -------------------------------------------------------------------------------- data sets

#[tokio::test(flavor = "multi_thread")]
async fn create_data_set_links_the_data_asset() {
    let env = Env::new().await;
    let (_, asset, _) = store_asset_set(&env).await;
    let input = json!({
        "technicalName": "orders_2025.csv", "qri": "qdf:qix-datafiles:t1:sid@s1:orders_2025.csv",
        "secureQri": "qri:qdf:space://orders_2025.csv", "dataAssetId": asset,
        "dataSetInput": r#"{"name": "Orders 2025", "qri": "placeholder", "dataAssetInfo": {"id": "other"}}"#,
    });
    let created = env.ok("createDataset", input).await;
    assert_eq!(created["dataAssetInfo"]["id"], asset.as_str());
    assert_eq!(created["dataAssetInfo"]["dataStoreInfo"]["name"], "Sales Warehouse");
    let requests = env.requests_to("/api/v1/data-sets").await;
    let sent = &requests[0];
    assert_eq!(
        sent["body"],
        json!({"name": "Orders 2025", "qri": "qdf:qix-datafiles:t1:sid@s1:orders_2025.csv", "dataAssetInfo": {"id": asset}, "technicalName": "orders_2025.csv", "secureQri": "qri:qdf:space://orders_2025.csv"})
    );
    // The data asset may come in the JSON input instead.
    let input = json!({"technicalName": "b.csv", "qri": "qdf:qix-datafiles:t:b.csv", "secureQri": "q", "dataSetInput": {"dataAssetInfo": {"id": asset}}});
    assert_eq!(env.ok("createDataset", input).await["dataAssetInfo"]["id"], asset.as_str());
    // Qlik requires the data asset: without one nothing is sent.
    env.clear_requests().await;
    let error = env
        .err("createDataset", json!({"technicalName": "x.csv", "qri": "qdf:qix-datafiles:t:x", "secureQri": "q"}))
        .await;
    assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("dataAssetId")));
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn get_update_and_delete_data_sets() {
    let env = Env::new().await;
    let (_, _, set) = store_asset_set(&env).await;
    let full = env.ok("getDataset", json!({"dataSetId": set})).await;
    assert_eq!(full["name"], "Orders 2024");
    env.clear_requests().await;
    let updated = env.ok("updateDataset", json!({"dataSetId": set, "secureQri": "qri:qdf:space://renamed.csv"})).await;
    assert_eq!(
        (updated["secureQri"].as_str(), updated["qri"].clone()),
        (Some("qri:qdf:space://renamed.csv"), full["qri"].clone())
    );
    let requests = env.requests_to("/api/v1/data-sets").await;
    let mut expected = without(&full, READ_ONLY);
    expected["secureQri"] = json!("qri:qdf:space://renamed.csv");
    assert_eq!(requests[1]["body"], expected);

    let stale = full.to_string();
    env.fault(json!({"method": "GET", "path": format!("/api/v1/data-sets/{set}"), "rawBody": stale})).await;
    assert_qlik_error(
        &env.err("updateDataset", json!({"dataSetId": set, "qri": "qdf:qix-datafiles:x:y"})).await,
        "conflict",
        409,
    );
    assert_eq!(env.ok("getDataset", json!({"dataSetId": set})).await["qri"], full["qri"]);

    env.clear_requests().await;
    assert_eq!(env.ok("deleteDataset", json!({"dataSetIds": [set]})).await, json!({"deleted": true, "ids": [set]}));
    assert_eq!(only(&env.requests().await)["body"], json!({"ids": [set]}));
    assert_qlik_error(&env.err("getDataset", json!({"dataSetId": set})).await, "not-found", 404);
    assert_qlik_error(&env.err("deleteDataset", json!({"dataSetIds": [set]})).await, "not-found", 404);
}

// ----------------------------------------------------------------------------- invalid input

#[tokio::test(flavor = "multi_thread")]
async fn invalid_inputs_send_nothing() {
    let env = Env::new().await;
    for (key, input, named) in [
        ("updateDataStore", json!({"dataStoreId": "s"}), "technicalName"),
        ("updateDataAssets", json!({"dataAssetsId": "a"}), "appId"),
        ("updateDataset", json!({"dataSetId": "d"}), "technicalName"),
        ("updateDataStore", json!({"dataStoreId": "s", "dataStoreInput": "[1, 2]"}), "dataStoreInput"),
        (
            "createDataStore",
            json!({"technicalName": "t", "type": "x", "dataStoreInput": "{not json"}),
            "dataStoreInput",
        ),
        (
            "createDataAssets",
            json!({"appId": "a", "appType": "t", "technicalName": "n", "dataAssetInput": "\"text\""}),
            "dataAssetInput",
        ),
        (
            "createDataset",
            json!({"technicalName": "t", "qri": "q", "secureQri": "s", "dataSetInput": [1]}),
            "dataSetInput",
        ),
        ("listDataStores", json!({"limit": 101}), "limit"),
        ("getDataStore", json!({"dataStoreId": "../data-assets"}), "dataStoreId"),
        ("deleteDataAssets", json!({"dataAssetIds": [{"id": "x"}]}), "dataAssetIds"),
    ] {
        let error = env.err(key, input).await;
        assert_eq!(
            (error["kind"].as_str(), error["input"].as_str()),
            (Some("invalid-input"), Some(named)),
            "{key}: {error}"
        );
    }
    assert!(env.requests().await.is_empty());
}

// ------------------------------------------------------------------------------ data sources

fn keys_and_labels(items: &Value) -> Vec<(String, String)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].as_str().unwrap().into(), i["label"].as_str().unwrap().into()))
        .collect()
}

fn assert_sorted(items: &[(String, String)]) {
    let mut sorted = items.to_vec();
    sorted.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()).then_with(|| a.0.cmp(&b.0)));
    assert_eq!(items, sorted);
}

#[tokio::test(flavor = "multi_thread")]
async fn select_data_store_reads_every_page_and_labels_nameless_stores_by_id() {
    let env = Env::new().await;
    let nameless =
        seed(&env, json!({"resource": "data-stores", "records": [{"name": null, "technicalName": "zz_hidden"}]})).await;
    seed(&env, json!({"resource": "data-stores", "count": 230})).await;
    env.clear_requests().await;
    let items = keys_and_labels(&env.ok("selectDataStore", json!({})).await);
    assert_eq!(items.len(), 231);
    assert_sorted(&items);
    assert!(items.contains(&(nameless[0].clone(), nameless[0].clone())));
    let requests = env.requests().await;
    let queries: Vec<_> = requests.iter().map(|r| r["query"].clone()).collect();
    assert_eq!(queries, [json!("limit=100"), json!("limit=100&page=1"), json!("limit=100&page=2")]);
    assert!(requests.iter().all(|r| r["method"] == "GET" && r["path"] == "/api/v1/data-stores"));

    env.clear_requests().await;
    let needle = items[5].1.split(' ').next().unwrap().to_lowercase();
    let found = keys_and_labels(&env.ok("selectDataStore", json!({"search": needle.to_uppercase()})).await);
    assert!(!found.is_empty() && found.len() < items.len());
    assert!(found.iter().all(|(_, label)| label.to_lowercase().contains(&needle)));
    assert!(env.requests().await.iter().all(|r| r["method"] == "GET"));
}

#[tokio::test(flavor = "multi_thread")]
async fn select_data_asset_reads_all_stores_and_labels_by_technical_name() {
    let env = Env::new().await;
    let stores = seed(&env, json!({"resource": "data-stores", "count": 2})).await;
    seed(&env, json!({"resource": "data-assets", "count": 120, "parentId": stores[0]})).await;
    seed(&env, json!({"resource": "data-assets", "count": 100, "parentId": stores[1]})).await;
    let nameless = seed(&env, json!({"resource": "data-assets", "parentId": stores[1], "records": [{"name": null, "technicalName": "raw_orders"}]})).await;
    env.clear_requests().await;
    let items = keys_and_labels(&env.ok("selectDataAsset", json!({})).await);
    assert_eq!(items.len(), 221);
    assert_sorted(&items);
    assert!(items.contains(&(nameless[0].clone(), "raw_orders".into())));
    let requests = env.requests().await;
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r["method"] == "GET" && r["path"] == "/api/v1/data-stores/*/data-assets"));
    assert_eq!(requests[2]["query"], "limit=100&page=2");
    let found = keys_and_labels(&env.ok("selectDataAsset", json!({"search": "RAW_ord"})).await);
    assert_eq!(found, [(nameless[0].clone(), "raw_orders".to_string())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn select_data_set_reads_every_page_of_every_asset() {
    let env = Env::new().await;
    let stores = seed(&env, json!({"resource": "data-stores", "count": 1})).await;
    let assets = seed(&env, json!({"resource": "data-assets", "count": 2, "parentId": stores[0]})).await;
    seed(&env, json!({"resource": "data-sets", "count": 150, "parentId": assets[0]})).await;
    seed(&env, json!({"resource": "data-sets", "count": 60, "parentId": assets[1]})).await;
    let nameless = seed(&env, json!({"resource": "data-sets", "parentId": assets[1], "records": [{"name": null, "technicalName": "aaa_first.csv"}]})).await;
    env.clear_requests().await;
    let items = keys_and_labels(&env.ok("selectDataSet", json!({})).await);
    assert_eq!(items.len(), 211);
    assert_sorted(&items);
    assert_eq!(items[0], (nameless[0].clone(), "aaa_first.csv".to_string()));
    let requests = env.requests().await;
    assert_eq!(requests.len(), 3);
    assert!(requests
        .iter()
        .all(|r| r["method"] == "GET" && r["path"] == "/api/v1/data-stores/*/data-assets/*/data-sets"));
    // `search` is matched on the label (this API has no name filter), across every page.
    env.clear_requests().await;
    let found = keys_and_labels(&env.ok("selectDataSet", json!({"search": "AAA_FIRST"})).await);
    assert_eq!(found, [(nameless[0].clone(), "aaa_first.csv".to_string())]);
    assert!(env.requests().await.iter().all(|r| r["method"] == "GET"));
}
