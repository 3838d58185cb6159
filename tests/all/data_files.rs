//! Data files through the real component: every action and the data source, run in the harness
//! against the simulated tenant, asserting what the tenant received (multipart parts as the
//! simulator decoded them, with each part's size and SHA-256).

use crate::support::env;

use base64::Engine as _;
use env::{assert_qlik_error, Env};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn only(requests: &[Value]) -> &Value {
    assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
    &requests[0]
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The logged parts of a multipart request, by name.
fn part<'r>(request: &'r Value, name: &str) -> &'r Value {
    let parts = request["body"]["parts"].as_array().unwrap_or_else(|| panic!("no parts: {request}"));
    parts.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no part {name}: {request}"))
}

fn part_names(request: &Value) -> Vec<String> {
    request["body"]["parts"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_data_file_uploads_text_as_file_and_json_parts() {
    let env = Env::new().await;
    let text = "region,amount\nNorth,10\nSouth,20\n";
    let json_input = json!({"appId": "f34b91a1-0dc3-44ac-a847-51cb84122c84", "name": "ignored.csv"});
    let file = env.ok("createDataFile", json!({"fileName": "sales.csv", "fileInput": text, "json": json_input})).await;
    assert_eq!(file["name"], "sales.csv");
    assert_eq!(file["size"], text.len());
    assert_eq!(file["appId"], "f34b91a1-0dc3-44ac-a847-51cb84122c84");
    let requests = env.requests_to("/api/v1/data-files").await;
    let sent = only(&requests);
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["path"], "/api/v1/data-files");
    assert_eq!(sent["query"], "");
    assert!(sent["headers"]["content-type"].as_str().unwrap().starts_with("multipart/form-data; boundary="));
    assert_eq!(part_names(sent), ["File", "Json"]);
    let file_part = part(sent, "File");
    assert_eq!(file_part["filename"], "sales.csv");
    assert_eq!(file_part["contentType"], "application/octet-stream");
    assert_eq!(file_part["size"], text.len());
    assert_eq!(file_part["sha256"], sha256(text.as_bytes()));
    let json_part = part(sent, "Json");
    assert_eq!(json_part["contentType"], "application/json");
    assert_eq!(json_part["filename"], Value::Null);
    assert_eq!(json_part["json"], json!({"appId": "f34b91a1-0dc3-44ac-a847-51cb84122c84", "name": "sales.csv"}));
    assert_eq!(sent["response"]["status"], 201);
    assert_eq!(sent["response"]["body"], file);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_mib_binary_file_round_trips_byte_for_byte() {
    let env = Env::new().await;
    let mut state = 0x2545_f491_u32;
    let mut bytes: Vec<u8> = (0..1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    // Bytes that look like a multipart delimiter must come through as data.
    bytes[1000..1006].copy_from_slice(b"\r\n--\r\n");
    assert!(bytes.contains(&0) && bytes.contains(&255) && bytes.windows(2).any(|w| w == b"\r\n"));
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let input = json!({
        "fileName": "folder/blob.bin",
        "fileInput": {"base64": encoded, "contentType": "application/x-custom"},
        "connectionId": "ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc",
    });
    let file = env.ok("createDataFile", input).await;
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["baseName"], "blob.bin");
    let requests = env.requests_to("/api/v1/data-files").await;
    let sent = only(&requests);
    let file_part = part(sent, "File");
    assert_eq!(file_part["sha256"], sha256(&bytes));
    assert_eq!(file_part["size"], bytes.len());
    assert_eq!(file_part["contentType"], "application/x-custom");
    assert_eq!(file_part["filename"], "folder/blob.bin");
    assert_eq!(
        part(sent, "Json")["json"],
        json!({"name": "folder/blob.bin", "connectionId": "ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_name_is_conflict_and_over_quota_keeps_qliks_413_code() {
    let env = Env::new().await;
    env.ok("createDataFile", json!({"fileName": "dup.csv", "fileInput": "a\n"})).await;
    let error = env.err("createDataFile", json!({"fileName": "DUP.csv", "fileInput": "b\n"})).await;
    assert_qlik_error(&error, "conflict", 409);
    assert_eq!(error["code"], "HTTP-409");

    // The personal space is almost full: the next upload is over Qlik's quota.
    let full = (1u64 << 30) - 10;
    env.control(
        "POST",
        "/__sim/seed",
        Some(json!({"resource": "dataFiles", "records": [{"name": "big.qvd", "size": full}]})),
    )
    .await;
    let error = env.err("createDataFile", json!({"fileName": "more.csv", "fileInput": "0123456789abcdef"})).await;
    assert_qlik_error(&error, "api", 413);
    assert_eq!(error["code"], "DF-016");
    let statuses: Vec<_> =
        env.requests_to("/api/v1/data-files").await.iter().map(|r| r["response"]["status"].clone()).collect();
    assert_eq!(statuses, [json!(201), json!(409), json!(413)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_data_file_puts_only_what_was_given() {
    let env = Env::new().await;
    let ids = env.seed("dataFiles", 2).await;
    let renamed = env.ok("updateDataFile", json!({"dataFileId": ids[0], "fileName": "renamed.csv"})).await;
    assert_eq!(renamed["name"], "renamed.csv");
    let content = "x,y\n1,2\n";
    let replaced = env.ok("updateDataFile", json!({"dataFileId": ids[0], "fileInput": content})).await;
    assert_eq!(replaced["size"], content.len());
    assert_eq!(replaced["name"], "renamed.csv");
    let requests = env.requests_to("/api/v1/data-files").await;
    assert_eq!(requests.len(), 2);
    for sent in &requests {
        assert_eq!(sent["method"], "PUT");
        assert_eq!(sent["path"], format!("/api/v1/data-files/{}", ids[0]));
        assert_eq!(sent["response"]["status"], 201);
    }
    assert_eq!(part_names(&requests[0]), ["Json"]);
    assert_eq!(part(&requests[0], "Json")["json"], json!({"name": "renamed.csv"}));
    assert_eq!(part_names(&requests[1]), ["File", "Json"]);
    assert_eq!(part(&requests[1], "File")["sha256"], sha256(content.as_bytes()));
    assert_eq!(part(&requests[1], "Json")["json"], json!({}));

    // Renaming onto the other file's name is a conflict; an unknown id is not found.
    let other = env.ok("getDataFile", json!({"dataFileId": ids[1]})).await;
    let error = env.err("updateDataFile", json!({"dataFileId": ids[0], "fileName": other["name"]})).await;
    assert_qlik_error(&error, "conflict", 409);
    let error = env.err("updateDataFile", json!({"dataFileId": "nope", "json": {"appId": "a"}})).await;
    assert_qlik_error(&error, "not-found", 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_and_delete_data_file() {
    let env = Env::new().await;
    let ids = env.seed("dataFiles", 1).await;
    let file = env.ok("getDataFile", json!({"dataFileId": format!(" {} ", ids[0])})).await;
    assert_eq!(file["id"], ids[0].as_str());
    for field in ["name", "size", "ownerId", "createdDate", "modifiedDate", "actions"] {
        assert!(!file[field].is_null(), "{field} in {file}");
    }
    let deleted = env.ok("deleteDataFile", json!({"dataFileId": ids[0]})).await;
    assert_eq!(deleted, json!({"deleted": true, "id": ids[0]}));
    let error = env.err("getDataFile", json!({"dataFileId": ids[0]})).await;
    assert_qlik_error(&error, "not-found", 404);
    assert_eq!(error["code"], "HTTP-404");
    let error = env.err("deleteDataFile", json!({"dataFileId": ids[0]})).await;
    assert_qlik_error(&error, "not-found", 404);
    let sent: Vec<(String, String, u64)> = env
        .requests_to("/api/v1/data-files")
        .await
        .iter()
        .map(|r| {
            let (m, p) = (r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
            (m.to_string(), p.to_string(), r["response"]["status"].as_u64().unwrap())
        })
        .collect();
    let path = format!("/api/v1/data-files/{}", ids[0]);
    let want =
        [("GET", 200), ("DELETE", 204), ("GET", 404), ("DELETE", 404)].map(|(m, s)| (m.to_string(), path.clone(), s));
    assert_eq!(sent, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_datafiles_pages_with_the_page_cursor() {
    let env = Env::new().await;
    env.seed("dataFiles", 5).await;
    let first = env.ok("listDatafiles", json!({"limit": 2, "sort": "-size"})).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let next = first["nextPage"].as_str().unwrap().to_string();
    assert!(first["links"]["next"]["href"].as_str().unwrap().contains("page="));
    let second = env.ok("listDatafiles", json!({"limit": 2, "sort": "-size", "page": next})).await;
    let sizes: Vec<u64> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"].as_array().unwrap())
        .map(|f| f["size"].as_u64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let requests = env.requests_to("/api/v1/data-files").await;
    assert_eq!(requests[0]["query"], "sort=-size&limit=2");
    assert!(requests[1]["query"].as_str().unwrap().starts_with("sort=-size&limit=2&page="));

    env.clear_requests().await;
    let all =
        env.ok("listDatafiles", json!({"fetchAll": true, "limit": 2, "paramsInputFields": "ownerId=x\nlimit=9"})).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 0);
    let all = env.ok("listDatafiles", json!({"fetchAll": true, "limit": 2})).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 5);
    assert_eq!((all["truncated"].clone(), all["nextPage"].clone()), (json!(false), Value::Null));
    assert!(all.get("links").is_none());
    let requests = env.requests_to("/api/v1/data-files").await;
    assert_eq!(requests[0]["query"], "ownerId=x&limit=2");
    assert_eq!(requests.len(), 1 + 3, "one filtered page, then three pages of 2, 2, 1");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_data_file_reads_every_page_sorted_labels_nameless_by_id_and_searches() {
    let env = Env::new().await;
    let named = env.seed("dataFiles", 1500).await;
    let nameless = env
        .control(
            "POST",
            "/__sim/seed",
            Some(json!({"resource": "dataFiles", "records": [{"name": "", "id": "0-nameless"}]})),
        )
        .await;
    assert_eq!(nameless["created"], json!(["0-nameless"]));
    let items = env.ok("selectDataFile", json!({})).await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), named.len() + 1);
    assert!(items.iter().any(|i| i == &json!({"key": "0-nameless", "label": "0-nameless"})));
    let labels: Vec<String> = items.iter().map(|i| i["label"].as_str().unwrap().to_lowercase()).collect();
    assert!(labels.windows(2).all(|w| w[0] <= w[1]), "sorted by label");
    let requests = env.requests_to("/api/v1/data-files").await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["query"], "includeAllSpaces=true&limit=1000");
    assert!(requests[1]["query"].as_str().unwrap().starts_with("includeAllSpaces=true&limit=1000&page="));
    assert!(requests.iter().all(|r| r["method"] == "GET"), "a data source never writes");

    env.clear_requests().await;
    let found = env.ok("selectDataFile", json!({"search": "BUDGET"})).await;
    let found = found.as_array().unwrap();
    let want = labels.iter().filter(|l| l.contains("budget")).count();
    assert!(want > 0);
    assert_eq!(found.len(), want);
    let requests = env.requests_to("/api/v1/data-files").await;
    assert_eq!(only(&requests)["query"], "includeAllSpaces=true&limit=1000&baseNameWildcard=*BUDGET*");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_data_file_stops_at_2000_items() {
    let env = Env::new().await;
    env.seed("dataFiles", 2300).await;
    let items = env.ok("selectDataFile", json!({})).await;
    assert_eq!(items.as_array().unwrap().len(), 2000);
    assert_eq!(env.requests_to("/api/v1/data-files").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_file_inputs_send_nothing() {
    let env = Env::new().await;
    for (key, input, named) in [
        ("createDataFile", json!({"fileName": "a.bin", "fileInput": {"base64": "***"}}), "fileInput"),
        (
            "createDataFile",
            json!({"fileName": "a.bin", "fileInput": {"base64": "AA", "contentType": "x"}}),
            "fileInput",
        ),
        ("createDataFile", json!({"fileInput": "text"}), "fileName"),
        ("createDataFile", json!({"fileName": "a.csv", "fileInput": "t", "json": [1]}), "json"),
        ("createDataFile", json!({"fileName": "a.csv", "fileInput": "t", "json": "{bad"}), "json"),
        ("updateDataFile", json!({"dataFileId": "abc"}), "fileInput"),
        ("updateDataFile", json!({"dataFileId": "abc", "fileInput": "", "fileName": " "}), "fileInput"),
        ("updateDataFile", json!({"dataFileId": "../x", "fileName": "n"}), "dataFileId"),
        ("listDatafiles", json!({"limit": 1001}), "limit"),
    ] {
        let error = env.err(key, input.clone()).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some(named)), "{input}");
    }
    assert!(env.requests().await.is_empty());
}

/// A tenant that answers short pages (fewer records than asked, with a next `page` cursor):
/// selectDataFile follows all three, sorts, labels a nameless file by its id, and only reads.
#[tokio::test(flavor = "multi_thread")]
async fn select_data_file_follows_three_short_pages() {
    let env = Env::new().await;
    let base = format!("{}/api/v1/data-files", env.sim.url());
    let pages = [
        (json!([{"id": "f3", "name": "zeta.csv"}, {"id": "f1", "name": "Alpha.csv"}]), Some("c2")),
        (json!([{"id": "f2", "name": ""}]), Some("c3")),
        (json!([{"id": "f4", "name": "beta.qvd"}]), None),
    ];
    let faults: Vec<Value> = pages
        .iter()
        .map(|(data, next)| {
            let mut links = json!({"self": {"href": base}});
            if let Some(cursor) = next {
                links["next"] = json!({"href": format!("{base}?limit=1000&page={cursor}")});
            }
            let body = json!({"data": data, "links": links}).to_string();
            json!({"method": "GET", "path": "/api/v1/data-files", "status": 200, "rawBody": body})
        })
        .collect();
    env.control("POST", "/__sim/faults", Some(json!({ "faults": faults }))).await;
    let items = env.ok("selectDataFile", json!({})).await;
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Alpha.csv", "beta.qvd", "f2", "zeta.csv"]);
    let requests = env.requests().await;
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r["method"] == "GET"));
    assert!(requests[2]["query"].as_str().unwrap().contains("page=c3"), "{}", requests[2]["query"]);
}
