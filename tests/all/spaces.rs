//! Spaces through the real component: every action and the data source, run in the harness
//! against the simulated tenant, asserting what the tenant received.

use crate::support::env;

use env::{assert_no_secret, assert_qlik_error, Env, SENTINEL_API_KEY};
use serde_json::{json, Value};

fn only(requests: &[Value]) -> &Value {
    assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
    &requests[0]
}

#[tokio::test(flavor = "multi_thread")]
async fn create_space_posts_name_type_description() {
    let env = Env::new().await;
    let space =
        env.ok("createSpace", json!({"name": "Finance", "description": "Numbers", "spaceType": "managed"})).await;
    assert_eq!(space["name"], "Finance");
    assert_eq!(space["type"], "managed");
    let requests = env.requests_to("/api/v1/spaces").await;
    let sent = only(&requests);
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["body"], json!({"name": "Finance", "type": "managed", "description": "Numbers"}));
    assert_eq!(sent["headers"]["content-type"], "application/json");
    assert_eq!(sent["headers"]["accept"], "application/json");
    assert!(sent["headers"]["user-agent"].as_str().unwrap().starts_with("qlik-connector/"));
    assert_eq!(sent["headers"]["authorization"], "Bearer ***");
    assert_eq!(sent["response"]["status"], 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_space_defaults_to_shared_and_sends_no_empty_fields() {
    let env = Env::new().await;
    env.ok("createSpace", json!({"name": "Plain", "description": ""})).await;
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(only(&requests)["body"], json!({"name": "Plain", "type": "shared"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_name_is_conflict_with_qlik_code_and_title() {
    let env = Env::new().await;
    env.ok("createSpace", json!({"name": "Dup"})).await;
    let error = env.err("createSpace", json!({"name": "Dup"})).await;
    assert_qlik_error(&error, "conflict", 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_space_and_not_found() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    let space = env.ok("getSpace", json!({"spaceId": ids[0]})).await;
    assert_eq!(space["id"], ids[0].as_str());
    let error = env.err("getSpace", json!({"spaceId": "000000000000000000000000"})).await;
    assert_eq!(error["kind"], "not-found");
    assert_eq!(error["status"], 404);
    assert!(error["title"].as_str().is_some_and(|t| !t.is_empty()));
    let paths: Vec<_> =
        env.requests_to("/api/v1/spaces").await.iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths, [format!("/api/v1/spaces/{}", ids[0]), "/api/v1/spaces/000000000000000000000000".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn path_ids_are_percent_encoded() {
    let env = Env::new().await;
    let error = env.err("getSpace", json!({"spaceId": "a b?c"})).await;
    assert_eq!(error["kind"], "not-found");
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(only(&requests)["path"], "/api/v1/spaces/a%20b%3Fc");
    assert_eq!(only(&requests)["query"], "");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_space_patches_only_given_fields() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    let updated = env.ok("updateSpace", json!({"spaceId": ids[0], "name": "Renamed", "ownerId": ""})).await;
    assert_eq!(updated["name"], "Renamed");
    let requests = env.requests_to("/api/v1/spaces").await;
    let sent = only(&requests);
    assert_eq!(sent["method"], "PATCH");
    assert_eq!(sent["body"], json!([{"op": "replace", "path": "/name", "value": "Renamed"}]));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_space_and_non_empty_space() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 1).await;
    assert_eq!(env.ok("deleteSpace", json!({"spaceId": ids[0]})).await, json!({"deleted": true, "id": ids[0]}));
    let full =
        env.control("POST", "/__sim/seed", Some(json!({"resource": "spaces", "count": 1, "nonEmpty": true}))).await;
    let full_id = full["created"][0].as_str().unwrap();
    let error = env.err("deleteSpace", json!({"spaceId": full_id})).await;
    assert_eq!(error["kind"], "conflict");
    assert_eq!(error["status"], 412);
    let statuses: Vec<_> =
        env.requests_to("/api/v1/spaces").await.iter().map(|r| r["response"]["status"].clone()).collect();
    assert_eq!(statuses, [json!(204), json!(412)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_spaces_one_page_with_next_page_and_params() {
    let env = Env::new().await;
    env.seed("spaces", 7).await;
    let page = env.ok("listSpaces", json!({"limit": "3", "sort": "name", "paramsInputFields": [{"key": "type", "value": "shared,managed,data"}, {"key": "limit", "value": "50"}]})).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let next = page["nextPage"].as_str().expect("a nextPage cursor");
    let second = env.ok("listSpaces", json!({"limit": 3, "sort": "name", "page": next})).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 3);
    assert_ne!(second["data"][0]["id"], page["data"][0]["id"]);
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(requests[0]["query"], "type=shared%2Cmanaged%2Cdata&sort=name&limit=3");
    // Qlik's cursors are base64 (`+`, `/`, `=`): they go out form-encoded.
    assert!(next.contains(['+', '/', '=']), "{next}");
    let encoded = next.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    assert_eq!(requests[1]["query"], format!("sort=name&limit=3&next={encoded}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn list_spaces_fetch_all_reads_every_page() {
    let env = Env::new().await;
    env.seed("spaces", 25).await;
    let all = env.ok("listSpaces", json!({"fetchAll": true, "limit": 10})).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 25);
    assert_eq!(all["truncated"], false);
    assert_eq!(all["nextPage"], Value::Null);
    assert!(all.get("links").is_none());
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(requests.len(), 3);
    assert!(requests[1]["query"].as_str().unwrap().contains("next="));
    assert!(requests[2]["query"].as_str().unwrap().contains("limit=10"));
    let mut ids: Vec<_> =
        all["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no record read twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_spaces_fetch_all_honours_max_records() {
    let env = Env::new().await;
    env.seed("spaces", 25).await;
    let cut = env.ok("listSpaces", json!({"fetchAll": true, "limit": 10, "maxRecords": 15})).await;
    assert_eq!(cut["data"].as_array().unwrap().len(), 15);
    assert_eq!(cut["truncated"], true);
    // Resuming at nextPage re-reads the page the cut fell in: nothing is skipped.
    let rest = env.ok("listSpaces", json!({"fetchAll": true, "limit": 10, "page": cut["nextPage"]})).await;
    let mut ids: Vec<String> = cut["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["data"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn select_space_reads_all_pages_sorted_with_search() {
    let env = Env::new().await;
    env.seed("spaces", 130).await;
    let items = env.ok("selectSpace", json!({})).await;
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 130);
    let labels: Vec<String> = items.iter().map(|i| i["label"].as_str().unwrap().to_lowercase()).collect();
    let mut sorted = labels.clone();
    sorted.sort();
    assert_eq!(labels, sorted);
    let requests = env.requests_to("/api/v1/spaces").await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["query"], "limit=100");

    env.clear_requests().await;
    let needle = items[0]["label"].as_str().unwrap().split(' ').next().unwrap().to_string();
    let found = env.ok("selectSpace", json!({"search": needle})).await;
    assert!(!found.as_array().unwrap().is_empty());
    for item in found.as_array().unwrap() {
        assert!(item["label"].as_str().unwrap().to_lowercase().contains(&needle.to_lowercase()));
    }
    let requests = env.requests_to("/api/v1/spaces").await;
    assert!(requests[0]["query"].as_str().unwrap().contains(&format!("name={}", needle.replace(' ', "+"))));
}

#[tokio::test(flavor = "multi_thread")]
async fn select_user_labels_users() {
    let env = Env::new().await;
    let seeded = env.seed("users", 5).await;
    let items = env.ok("selectUser", json!({})).await;
    let items = items.as_array().unwrap();
    let keys: Vec<&str> = items.iter().map(|i| i["key"].as_str().unwrap()).collect();
    for id in &seeded {
        assert_eq!(keys.iter().filter(|k| *k == id).count(), 1, "{id} in {keys:?}");
    }
    let labels: Vec<String> = items.iter().map(|i| i["label"].as_str().unwrap().to_lowercase()).collect();
    assert!(labels.iter().all(|l| !l.is_empty()));
    assert!(labels.windows(2).all(|w| w[0] <= w[1]), "sorted by label: {labels:?}");
    assert_eq!(env.requests_to("/api/v1/users").await[0]["query"], "limit=100");
}

/// Every required input of an action's manifest inputs, given its example value (or `"x"`).
fn valid_required_inputs(inputs: &[Value]) -> serde_json::Map<String, Value> {
    inputs
        .iter()
        .filter(|i| i["required"] == true)
        .map(|i| (i["key"].as_str().unwrap().to_string(), json!(i["example"].as_str().unwrap_or("x"))))
        .collect()
}

/// Every required input of every action, missing, empty or wrongly typed, is `invalid-input`
/// naming it, and nothing is sent. Valid values for the other inputs come from the manifest.
#[tokio::test(flavor = "multi_thread")]
async fn bad_required_inputs_are_named_and_nothing_is_sent() {
    let env = Env::new().await;
    let manifest = env.harness.manifest().await.unwrap();
    let mut checked = 0;
    for action in manifest["actions"].as_array().unwrap() {
        let inputs = action["inputs"].as_array().unwrap();
        let valid = valid_required_inputs(inputs);
        for input in inputs.iter().filter(|i| i["required"] == true) {
            let key = input["key"].as_str().unwrap();
            let wrong = if input["type"] == "integer" { json!("abc") } else { json!({"not": "text"}) };
            for bad in [None, Some(json!("")), Some(json!(null)), Some(wrong)] {
                let mut given = valid.clone();
                match &bad {
                    None => {
                        given.remove(key);
                    }
                    Some(value) => {
                        given.insert(key.into(), value.clone());
                    }
                }
                let error = env.err(action["key"].as_str().unwrap(), Value::Object(given)).await;
                assert_eq!(error["kind"], "invalid-input", "{} {key} {bad:?}", action["key"]);
                assert_eq!(error["input"], key, "{} {bad:?}", action["key"]);
                checked += 1;
            }
        }
    }
    assert!(checked >= 16, "checked {checked}");
    assert!(env.requests().await.is_empty(), "no request may be sent for invalid input");
}

/// Every action refuses inputs that are not an object, integers beyond their range and options
/// not in their picklist, naming the input, and sends nothing — driven by the manifest, so it
/// covers all 37 actions.
#[tokio::test(flavor = "multi_thread")]
async fn every_action_refuses_malformed_inputs_and_sends_nothing() {
    let env = Env::new().await;
    let manifest = env.harness.manifest().await.unwrap();
    let actions = manifest["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 37, "33 of the old connector and 4 reload actions");
    let mut checked = 0;
    for action in actions {
        let key = action["key"].as_str().unwrap();
        let error = env.err(key, json!([1, 2])).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some("input")), "{key}");
        let inputs = action["inputs"].as_array().unwrap();
        let valid = valid_required_inputs(inputs);
        for input in inputs {
            let name = input["key"].as_str().unwrap();
            let bad = match input["type"].as_str() {
                Some("integer") if input["maximum"].is_i64() => json!(input["maximum"].as_i64().unwrap() + 1),
                Some("picklist") => json!("not-an-option"),
                Some("boolean") => json!("maybe"),
                _ => continue,
            };
            let mut given = valid.clone();
            given.insert(name.into(), bad.clone());
            let error = env.err(key, Value::Object(given)).await;
            assert_eq!(
                (error["kind"].as_str(), error["input"].as_str()),
                (Some("invalid-input"), Some(name)),
                "{key} {name}={bad}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "checked {checked}");
    assert!(env.requests().await.is_empty(), "no request may be sent for invalid input");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_invalid_inputs_send_nothing() {
    let env = Env::new().await;
    for (key, input, named) in [
        ("updateSpace", json!({"spaceId": "s"}), "name"),
        ("getSpace", json!({"spaceId": "../users"}), "spaceId"),
        ("createSpace", json!({"name": "x", "spaceType": "personal"}), "spaceType"),
        ("listSpaces", json!({"limit": 0}), "limit"),
        ("listSpaces", json!({"fetchAll": "maybe"}), "fetchAll"),
        ("listSpaces", json!({"paramsInputFields": [{"value": "v"}]}), "paramsInputFields"),
    ] {
        let error = env.err(key, input).await;
        assert_eq!((error["kind"].as_str(), error["input"].as_str()), (Some("invalid-input"), Some(named)), "{key}");
    }
    let error = env.err("getSpace", json!("not an object")).await;
    assert_eq!(error["input"], "input");
    assert!(env.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_api_key_is_unauthorized() {
    let env = Env::new().await;
    let connection = json!({"type": "apiKey", "apiKey": "wrong-key", "tenant": env.sim.url()});
    let outcome = env.call_with(&connection, "getSpace", json!({"spaceId": "x"})).await;
    let qlik_harness::Outcome::Err(error) = outcome else { panic!("expected an error") };
    assert_qlik_error(&error, "unauthorized", 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_api_key_never_appears_in_outputs_errors_or_logs() {
    let env = Env::new().await;
    let ids = env.seed("spaces", 2).await;
    let mut seen = Vec::new();
    seen.push(env.ok("getSpace", json!({"spaceId": ids[0]})).await.to_string());
    seen.push(env.err("getSpace", json!({"spaceId": "nope"})).await.to_string());
    seen.push(env.err("getSpace", json!({})).await.to_string());
    env.fault(json!({"status": 500, "path": "/api/v1/spaces"})).await;
    seen.push(env.err("listSpaces", json!({})).await.to_string());
    env.fault(json!({"body": "malformed", "path": format!("/api/v1/spaces/{}", ids[1])})).await;
    seen.push(env.err("getSpace", json!({"spaceId": ids[1]})).await.to_string());
    seen.push(format!("{:?}", env.harness.outbound_log()));
    seen.push(env.control("GET", "/__sim/requests", None).await.to_string());
    for text in &seen {
        assert_no_secret(text, SENTINEL_API_KEY);
    }
    assert!(seen[6].contains("Bearer ***"));
}

/// selectSpace and selectUser read every page (three here) at the page size they ask for, sort
/// by label, and send nothing but GETs; a user without a name is labelled by email, else id.
#[tokio::test(flavor = "multi_thread")]
async fn space_and_user_data_sources_read_three_pages_and_write_nothing() {
    let env = Env::new().await;
    env.seed("spaces", 250).await;
    env.seed("users", 249).await;
    for (key, path) in [("selectSpace", "/api/v1/spaces"), ("selectUser", "/api/v1/users")] {
        env.clear_requests().await;
        let items = env.ok(key, json!({})).await;
        let items = items.as_array().unwrap();
        assert_eq!(items.len(), 250, "{key}");
        let labels: Vec<String> = items.iter().map(|i| i["label"].as_str().unwrap().to_lowercase()).collect();
        assert!(labels.windows(2).all(|w| w[0] <= w[1]), "{key} sorted by label");
        let requests = env.requests().await;
        assert_eq!(requests.len(), 3, "{key}: three pages");
        assert!(requests.iter().all(|r| r["method"] == "GET" && r["path"] == path), "{key}: reads only");
        assert!(requests[0]["query"].as_str().unwrap().starts_with("limit=100"), "{key}");
    }
    let page = json!({"data": [{"id": "u1", "email": "ada@example.com"}, {"id": "u2"}], "links": {}});
    env.fault(json!({"method": "GET", "path": "/api/v1/users", "status": 200, "rawBody": page.to_string()})).await;
    let items = env.ok("selectUser", json!({})).await;
    assert_eq!(items, json!([{"key": "u1", "label": "ada@example.com"}, {"key": "u2", "label": "u2"}]));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_the_body_passes_through_as_the_tenant_sent_it() {
    use qlik_harness::wasmtime::component::Val;
    let env = Env::new().await;
    let id = env.seed("spaces", 1).await.remove(0);
    // Spacing, key order and a number beyond f64 as a tenant might send them: parsing and
    // printing again would change all three.
    let raw = format!(r#"{{ "name":"Raw",  "id": "{id}", "big": 12345678901234567890123 }}"#);
    env.fault(json!({"method": "GET", "path": format!("/api/v1/spaces/{id}"), "rawBody": raw})).await;
    let connection = qlik_harness::values::connection(&env.connection).unwrap();
    let input = Val::String(json!({"spaceId": id}).to_string());
    let result = env.harness.call_raw("actions", "get-space", &[connection, input]).await.unwrap();
    let Val::Result(Ok(Some(text))) = result else { panic!("{result:?}") };
    assert_eq!(*text, Val::String(raw), "the body, byte for byte");
    // A body that is not JSON is still refused, naming the status.
    env.fault(json!({"method": "GET", "path": format!("/api/v1/spaces/{id}"), "rawBody": "{\"id\": "})).await;
    let error = env.err("getSpace", json!({"spaceId": id})).await;
    assert_eq!(error["kind"], "invalid-response", "{error}");
    assert!(error["message"].as_str().unwrap_or_default().contains("200 response is not valid JSON"), "{error}");
}
