//! The simulated tenant's data files, over raw HTTP: multipart bodies written by hand here
//! (independent of the component's encoder), Qlik's status codes and error shape, the string
//! `page` cursor with `self`/`next`/`prev` links, and seeding.

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

    async fn send(&self, method: &str, target: &str, content_type: &str, body: &[u8]) -> RawResponse {
        let auth = format!("Bearer {}", self.handle.api_key());
        let headers = [("Authorization", auth.as_str()), ("Content-Type", content_type)];
        exchange(&self.handle.url(), method, target, &headers, body).await.unwrap().expect("a response")
    }

    async fn get(&self, target: &str) -> RawResponse {
        self.send("GET", target, "application/json", b"").await
    }

    async fn ctl(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        request(&self.handle.url(), method, path, body.as_ref()).await.unwrap()
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn json_of(r: &RawResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.text()))
}

/// A multipart body with boundary `XyZ`: an optional File part and a Json part.
fn form(file: Option<(&str, &[u8])>, json: &Value) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!("--XyZ\r\nContent-Disposition: form-data; name=\"File\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"Json\"\r\nContent-Type: application/json\r\n\r\n",
    );
    body.extend_from_slice(json.to_string().as_bytes());
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    body
}

const MULTIPART: &str = "multipart/form-data; boundary=XyZ";

/// A data-files error: the status, the code, and no `traceId` (the API's schema has none).
fn assert_df_error(r: &RawResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = json_of(r);
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(body["errors"][0]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body.get("traceId").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_get_reupload_delete_and_the_request_log() {
    let sim = Sim::start().await;
    let created = sim
        .send(
            "POST",
            "/api/v1/data-files",
            MULTIPART,
            &form(Some(("q1.csv", b"a,b\n1,2\n")), &json!({"name": "reports/q1.csv"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let file = json_of(&created);
    assert_eq!(
        (file["name"].clone(), file["baseName"].clone(), file["size"].clone()),
        (json!("reports/q1.csv"), json!("q1.csv"), json!(8))
    );
    assert_eq!(file["folder"], false);
    let id = file["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let got = sim.get(&format!("/api/v1/data-files/{id}")).await;
    assert_eq!((got.status, json_of(&got)), (200, file.clone()));

    let put =
        sim.send("PUT", &format!("/api/v1/data-files/{id}"), MULTIPART, &form(Some(("x", b"abc")), &json!({}))).await;
    assert_eq!(put.status, 201, "{}", put.text());
    assert_eq!((json_of(&put)["size"].clone(), json_of(&put)["name"].clone()), (json!(3), json!("reports/q1.csv")));

    let log = sim.ctl("GET", "/__sim/requests", None).await;
    let parts = &log["requests"][0]["body"]["parts"];
    let json_text = json!({"name": "reports/q1.csv"}).to_string();
    assert_eq!(
        parts,
        &json!([
            {"name": "File", "filename": "q1.csv", "contentType": "text/csv", "size": 8, "sha256": sha256(b"a,b\n1,2\n")},
            {"name": "Json", "filename": null, "contentType": "application/json", "size": json_text.len(),
             "sha256": sha256(json_text.as_bytes()), "json": {"name": "reports/q1.csv"}}
        ])
    );

    let deleted = sim.send("DELETE", &format!("/api/v1/data-files/{id}"), "application/json", b"").await;
    assert_eq!((deleted.status, deleted.body.len()), (204, 0));
    assert_df_error(&sim.get(&format!("/api/v1/data-files/{id}")).await, 404, "HTTP-404");
    let changes = sim.ctl("GET", "/__sim/changes", None).await;
    let kinds: Vec<_> =
        changes["changes"].as_array().unwrap().iter().map(|c| (c["resource"].clone(), c["kind"].clone())).collect();
    assert_eq!(kinds, [json!("created"), json!("updated"), json!("deleted")].map(|k| (json!("dataFiles"), k)));
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_answer_409_413_and_400_in_the_data_files_shape() {
    let sim = Sim::start().await;
    let body = form(Some(("a.csv", b"1")), &json!({"name": "a.csv"}));
    assert_eq!(sim.send("POST", "/api/v1/data-files", MULTIPART, &body).await.status, 201);
    assert_df_error(&sim.send("POST", "/api/v1/data-files", MULTIPART, &body).await, 409, "HTTP-409");
    sim.ctl(
        "POST",
        "/__sim/seed",
        Some(json!({"resource": "dataFiles", "records": [{"name": "huge.qvd", "size": (1u64 << 30) - 1}]})),
    )
    .await;
    let more = form(Some(("b.csv", b"12")), &json!({"name": "b.csv"}));
    assert_df_error(&sim.send("POST", "/api/v1/data-files", MULTIPART, &more).await, 413, "DF-016");
    // A space's files do not count against the personal quota.
    let in_space = form(Some(("b.csv", b"12")), &json!({"name": "b.csv", "connectionId": "c1"}));
    assert_eq!(sim.send("POST", "/api/v1/data-files", MULTIPART, &in_space).await.status, 201);
    let json_only = sim.send("POST", "/api/v1/data-files", "application/json", br#"{"name":"c.csv"}"#).await;
    assert_df_error(&json_only, 400, "HTTP-400");
    let no_file = form(None, &json!({"name": "c.csv"}));
    assert_df_error(&sim.send("POST", "/api/v1/data-files", MULTIPART, &no_file).await, 400, "HTTP-400");
    let bad_name = form(Some(("c", b"1")), &json!({"name": "c?.csv"}));
    assert_df_error(&sim.send("POST", "/api/v1/data-files", MULTIPART, &bad_name).await, 400, "HTTP-400");
    let folder = form(None, &json!({"name": "dir", "folder": true}));
    assert_eq!(sim.send("POST", "/api/v1/data-files", MULTIPART, &folder).await.status, 201);
    assert_df_error(&sim.send("PUT", "/api/v1/data-files/missing", MULTIPART, &no_file).await, 404, "HTTP-404");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pages_with_a_string_page_cursor_both_ways() {
    let sim = Sim::start().await;
    let seeded = sim.ctl("POST", "/__sim/seed", Some(json!({"resource": "dataFiles", "count": 5}))).await;
    assert_eq!(seeded["created"].as_array().unwrap().len(), 5);
    let first = json_of(&sim.get("/api/v1/data-files?limit=2&sort=name").await);
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert_eq!(first["links"]["prev"], json!({}));
    let next = first["links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.starts_with("http://") && next.contains("limit=2") && next.contains("sort=name") && next.contains("page="),
        "{next}"
    );
    let target = &next[next.find("/api/").unwrap()..];
    let second = json_of(&sim.get(target).await);
    let prev = second["links"]["prev"]["href"].as_str().unwrap();
    let back = json_of(&sim.get(&prev[prev.find("/api/").unwrap()..]).await);
    assert_eq!(back["data"], first["data"]);
    let names: Vec<String> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"].as_array().unwrap())
        .map(|f| f["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    assert_df_error(&sim.get("/api/v1/data-files?page=bm90LWEtY3Vyc29y").await, 400, "DF-001");
    assert_df_error(&sim.get("/api/v1/data-files?sort=createdAt").await, 400, "DF-002");
    assert_df_error(&sim.get("/api/v1/data-files?limit=1001").await, 400, "HTTP-400");
    let wild = json_of(&sim.get("/api/v1/data-files?baseNameWildcard=nothing-*-like-this").await);
    assert_eq!(wild["data"], json!([]));
    assert_eq!(wild["links"]["next"], json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_is_all_or_nothing() {
    let sim = Sim::start().await;
    let bad = json!({"resource": "dataFiles", "records": [{"name": "ok.csv"}, {"name": "OK.csv"}]});
    let r = exchange(
        &sim.handle.url(),
        "POST",
        "/__sim/seed",
        &[("Content-Type", "application/json")],
        bad.to_string().as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    let list = json_of(&sim.get("/api/v1/data-files?includeAllSpaces=true").await);
    assert_eq!(list["data"], json!([]));
    let ok = sim
        .ctl(
            "POST",
            "/__sim/seed",
            Some(json!({"resource": "dataFiles", "records": [{"id": "f-1", "name": "", "size": 7}]})),
        )
        .await;
    assert_eq!(ok["created"], json!(["f-1"]));
    let file = json_of(&sim.get("/api/v1/data-files/f-1").await);
    assert_eq!((file["name"].clone(), file["size"].clone()), (json!(""), json!(7)));
}
