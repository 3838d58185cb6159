//! Unit tests of `support/openapi.rs`, on hand-written exchanges (no server needed).

use crate::support::openapi;

use openapi::Spec;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load(&["spaces", "users", "oauth", "data-files"]))
}

fn exchange(method: &str, path: &str, req_body: Value, status: u16, resp_body: Value) -> Value {
    let req_headers = if req_body.is_null() {
        json!({"authorization": "Bearer t"})
    } else {
        json!({"authorization": "Bearer t", "content-type": "application/json"})
    };
    let resp_headers = if resp_body.is_null() { json!({}) } else { json!({"content-type": "application/json"}) };
    json!({
        "seq": 1, "method": method, "path": path, "query": "", "headers": req_headers,
        "body": req_body,
        "response": {"status": status, "headers": resp_headers, "body": resp_body}
    })
}

fn space(id: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Space {id}"),
        "type": "shared",
        "tenantId": "xqGQ0k66vSR8f9G7J-vYtHZQkiYrCpct",
        "ownerId": "owner-1",
        "createdAt": "2024-03-02T10:46:17.123Z",
        "updatedAt": "2024-03-02T10:46:17Z",
        "description": "",
        "meta": {"roles": [], "actions": ["read"], "assignableRoles": ["consumer"]},
        "links": {
            "self": {"href": format!("https://t.us.qlikcloud.com/api/v1/spaces/{id}")},
            "assignments": {"href": format!("https://t.us.qlikcloud.com/api/v1/spaces/{id}/assignments")}
        }
    })
}

fn spaces_page(data: Vec<Value>) -> Value {
    json!({
        "data": data,
        "meta": {"count": 2},
        "links": {
            "self": {"href": "https://t.us.qlikcloud.com/api/v1/spaces?limit=2"},
            "next": {"href": "https://t.us.qlikcloud.com/api/v1/spaces?limit=2&next=abc"}
        }
    })
}

fn user(id: &str) -> Value {
    json!({
        "id": id,
        "tenantId": "xqGQ0k66vSR8f9G7J-vYtHZQkiYrCpct",
        "name": "Ada Lovelace",
        "subject": format!("auth0|{id}"),
        "email": "ada@example.com",
        "status": "active",
        "createdAt": "2024-01-01T00:00:00Z",
        "lastUpdatedAt": "2024-01-02T00:00:00Z",
        "links": {"self": {"href": format!("https://t.us.qlikcloud.com/api/v1/users/{id}")}}
    })
}

fn error_body(code: &str, title: &str) -> Value {
    json!({"errors": [{"code": code, "title": title, "detail": "details"}], "traceId": "abc"})
}

#[track_caller]
fn assert_ok(ex: &Value) {
    let v = spec().check_exchange(ex);
    assert!(v.is_empty(), "expected no violations, got {v:#?}");
}

/// Asserts at least one violation, and that some violation contains every needle.
#[track_caller]
fn assert_violation(ex: &Value, needles: &[&str]) {
    let v = spec().check_exchange(ex);
    assert!(!v.is_empty(), "expected a violation containing {needles:?}, got none");
    assert!(
        v.iter().any(|m| needles.iter().all(|n| m.contains(n))),
        "no violation contains all of {needles:?}: {v:#?}"
    );
}

#[test]
fn spaces_list_page_conforms() {
    assert_ok(&exchange("GET", "/api/v1/spaces", Value::Null, 200, spaces_page(vec![space("a"), space("b")])));
}

#[test]
fn space_with_numeric_created_at_is_rejected() {
    let mut s = space("b");
    s["createdAt"] = json!(1700000000);
    let ex = exchange("GET", "/api/v1/spaces", Value::Null, 200, spaces_page(vec![space("a"), s]));
    assert_violation(&ex, &["response 200 body", "/data/1/createdAt", "string"]);
}

#[test]
fn space_with_non_rfc3339_created_at_is_rejected() {
    let mut s = space("a");
    s["createdAt"] = json!("2024-03-02 10:46");
    assert_violation(&exchange("GET", "/api/v1/spaces/a", Value::Null, 200, s), &["/createdAt", "date-time"]);
    let mut s = space("a");
    s["createdAt"] = json!("2024-03-02T10:46:17+01:00");
    assert_ok(&exchange("GET", "/api/v1/spaces/a", Value::Null, 200, s));
}

#[test]
fn space_missing_name_is_rejected() {
    let mut s = space("a");
    s.as_object_mut().unwrap().remove("name");
    assert_violation(&exchange("GET", "/api/v1/spaces/a", Value::Null, 200, s), &["name", "required"]);
}

#[test]
fn string_link_is_rejected_although_link_schema_has_no_type() {
    let mut page = spaces_page(vec![space("a")]);
    page["links"]["next"] = json!("https://t.us.qlikcloud.com/api/v1/spaces?next=abc");
    assert_violation(&exchange("GET", "/api/v1/spaces", Value::Null, 200, page), &["/links/next", "object"]);
}

#[test]
fn unknown_path_and_undocumented_method_are_reported() {
    let ex = exchange("GET", "/api/v1/nonexistent", Value::Null, 200, json!({}));
    assert_eq!(spec().check_exchange(&ex), vec!["no operation for GET /api/v1/nonexistent".to_string()]);
    let ex = exchange("PATCH", "/api/v1/spaces", Value::Null, 200, json!({}));
    assert_violation(&ex, &["no operation for PATCH /api/v1/spaces"]);
    // Documents not loaded count as unknown.
    let ex = exchange("GET", "/api/v1/apps/x", Value::Null, 200, json!({}));
    assert_violation(&ex, &["no operation for GET /api/v1/apps/x"]);
}

#[test]
fn simulator_control_paths_and_dropped_connections_are_skipped() {
    assert!(spec().check_exchange(&exchange("GET", "/__sim/requests", Value::Null, 200, json!([]))).is_empty());
    let mut ex = exchange("GET", "/api/v1/spaces", Value::Null, 0, Value::Null);
    assert!(spec().check_exchange(&ex).is_empty());
    ex["response"] = Value::Null;
    assert!(spec().check_exchange(&ex).is_empty());
}

#[test]
fn literal_segments_win_over_parameters() {
    // `/spaces/types` returns SpaceTypes, not a Space: a Space body would be fine for
    // `/spaces/{spaceId}` but `data` must be an array here.
    let ex = exchange("GET", "/api/v1/spaces/types", Value::Null, 200, json!({"data": ["shared", "managed"]}));
    assert_ok(&ex);
    let ex = exchange("GET", "/api/v1/spaces/types", Value::Null, 200, json!({"data": "shared"}));
    assert_violation(&ex, &["/data", "array"]);
}

#[test]
fn create_space_201_conforms_and_request_is_checked() {
    let req = json!({"name": "Finance", "type": "shared", "description": "d"});
    assert_ok(&exchange("POST", "/api/v1/spaces", req, 201, space("new")));

    let bad_req = json!({"name": "Finance"});
    let ex = exchange("POST", "/api/v1/spaces", bad_req, 201, space("new"));
    let v = spec().check_exchange(&ex);
    assert!(v.iter().any(|m| m.starts_with("request:") && m.contains("type")), "{v:#?}");

    let ex = exchange("POST", "/api/v1/spaces", json!({"name": "a/b", "type": "shared"}), 201, space("new"));
    assert_violation(&ex, &["request:", "/name"]);

    let ex = exchange("POST", "/api/v1/spaces", Value::Null, 201, space("new"));
    assert_violation(&ex, &["request: body is required"]);
}

#[test]
fn no_content_204_requires_an_empty_body() {
    assert_ok(&exchange("DELETE", "/api/v1/spaces/a", Value::Null, 204, Value::Null));
    let mut ex = exchange("DELETE", "/api/v1/spaces/a", Value::Null, 204, Value::Null);
    ex["response"]["body"] = json!("");
    assert_ok(&ex);
    let ex = exchange("DELETE", "/api/v1/spaces/a", Value::Null, 204, json!({"ok": true}));
    assert_violation(&ex, &["204", "empty body"]);
}

#[test]
fn documented_error_body_is_validated() {
    assert_ok(&exchange("GET", "/api/v1/spaces/zz", Value::Null, 404, error_body("SPACES-1", "Not found")));
    let bad = json!({"errors": [{"code": 404, "title": "Not found"}]});
    assert_violation(&exchange("GET", "/api/v1/spaces/zz", Value::Null, 404, bad), &["/errors/0/code"]);
    let bad = json!({"errors": [{"detail": "no code nor title"}]});
    assert_violation(&exchange("GET", "/api/v1/spaces/zz", Value::Null, 404, bad), &["required"]);
}

#[test]
fn undocumented_status_is_rejected_unless_it_is_an_injected_fault() {
    // GET /spaces documents 200/400/401/500 only.
    let ex = exchange("GET", "/api/v1/spaces", Value::Null, 429, error_body("TOO_MANY", "Too many requests"));
    assert_ok(&ex);
    let mut ex = exchange("GET", "/api/v1/spaces", Value::Null, 503, Value::Null);
    ex["response"]["body"] = json!("Service Unavailable");
    ex["response"]["headers"] = json!({"content-type": "text/plain"});
    assert_ok(&ex);
    let ex = exchange("GET", "/api/v1/spaces", Value::Null, 502, json!({"message": "bad gateway"}));
    assert_violation(&ex, &["502", "undocumented fault", "errors"]);
    let ex = exchange("GET", "/api/v1/spaces", Value::Null, 418, error_body("TEAPOT", "I'm a teapot"));
    assert_violation(&ex, &["status 418 is not documented"]);
}

#[test]
fn json_body_with_wrong_content_type_or_missing_body_is_rejected() {
    let mut ex = exchange("GET", "/api/v1/spaces/a", Value::Null, 200, space("a"));
    ex["response"]["headers"] = json!({"Content-Type": "text/html"});
    assert_violation(&ex, &["content-type"]);
    let ex = exchange("GET", "/api/v1/spaces/a", Value::Null, 200, Value::Null);
    assert_violation(&ex, &["body is empty"]);
    // A JSON body recorded as text, with a JSON content type, is parsed.
    let mut ex = exchange("GET", "/api/v1/spaces/a", Value::Null, 200, Value::Null);
    ex["response"]["body"] = json!(space("a").to_string());
    ex["response"]["headers"] = json!({"content-type": "application/json; charset=utf-8"});
    assert_ok(&ex);
}

#[test]
fn users_list_conforms_and_user_without_subject_is_rejected() {
    let page = json!({
        "data": [user("u1"), user("u2")],
        "links": {"self": {"href": "https://t.us.qlikcloud.com/api/v1/users?limit=2"}}
    });
    assert_ok(&exchange("GET", "/api/v1/users", Value::Null, 200, page.clone()));

    let mut bad = page;
    bad["data"][1].as_object_mut().unwrap().remove("subject");
    assert_violation(&exchange("GET", "/api/v1/users", Value::Null, 200, bad), &["/data/1", "subject"]);

    let mut bad = user("u1");
    bad["status"] = json!("sleeping");
    assert_violation(&exchange("GET", "/api/v1/users/u1", Value::Null, 200, bad), &["/status"]);
}

#[test]
fn oauth_token_response_is_validated_and_form_requests_are_skipped() {
    let mut ex = exchange(
        "POST",
        "/oauth/token",
        Value::Null,
        200,
        json!({"access_token": "abc", "token_type": "bearer", "expires_in": 3600, "scope": "user_default"}),
    );
    ex["headers"] = json!({"content-type": "application/x-www-form-urlencoded"});
    ex["body"] = json!("grant_type=client_credentials&client_id=a&client_secret=b");
    assert_ok(&ex);

    let mut bad = ex.clone();
    bad["response"]["body"]["token_type"] = json!("Bearer");
    assert_violation(&bad, &["/token_type"]);

    // A JSON token request is checked against the oneOf of grant requests.
    let ok = exchange(
        "POST",
        "/oauth/token",
        json!({"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}),
        200,
        json!({"access_token": "abc", "token_type": "bearer"}),
    );
    assert_ok(&ok);
    let bad = exchange(
        "POST",
        "/oauth/token",
        json!({"grant_type": "client_credentials", "client_id": "a"}),
        200,
        json!({"access_token": "abc", "token_type": "bearer"}),
    );
    assert_violation(&bad, &["request:"]);

    let err = exchange("POST", "/oauth/token", Value::Null, 401, error_body("OAUTH-1", "invalid_client"));
    let mut err_form = err.clone();
    err_form["headers"] = json!({"content-type": "application/x-www-form-urlencoded"});
    err_form["body"] = json!("grant_type=client_credentials");
    assert_ok(&err_form);
}

#[test]
fn nullable_and_closed_schemas() {
    // data-files: nullable fields accept null; additionalProperties:false rejects extras.
    let file = json!({
        "id": "ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc",
        "name": "MyFile.csv",
        "size": 10,
        "ownerId": "o",
        "createdDate": "2020-07-07T20:52:40.853478Z",
        "actions": ["read", "delete"],
        "folderId": null,
        "spaceId": null,
        "folderStats": {
            "aggregateAppScopedFileSize": 0, "aggregateFileSize": 0, "aggregateInternalFileSize": 0,
            "directAppScopedFileCount": 0, "directFileCount": 0, "directFolderCount": 0,
            "directInternalFileCount": 0, "totalAppScopedFileCount": 0, "totalFileCount": 0,
            "totalFolderCount": 0, "totalInternalFileCount": 0
        }
    });
    let page = json!({
        "data": [file],
        "links": {"self": {"href": "https://t/api/v1/data-files"}, "next": {"href": null}, "prev": {"href": null}}
    });
    assert_ok(&exchange("GET", "/api/v1/data-files", Value::Null, 200, page.clone()));

    let mut bad = page.clone();
    bad["data"][0]["size"] = Value::Null;
    assert_violation(&exchange("GET", "/api/v1/data-files", Value::Null, 200, bad), &["/data/0/size"]);

    let mut bad = page;
    bad["data"][0]["extra"] = json!(1);
    assert_violation(&exchange("GET", "/api/v1/data-files", Value::Null, 200, bad), &["/data/0", "extra"]);
}

#[test]
fn check_all_prefixes_violations() {
    let mut a = exchange("GET", "/api/v1/spaces", Value::Null, 200, spaces_page(vec![space("a")]));
    a["seq"] = json!(7);
    let mut b = exchange("GET", "/api/v1/nope", Value::Null, 404, error_body("X", "y"));
    b["seq"] = json!(8);
    let mut c = exchange("DELETE", "/api/v1/spaces/a", Value::Null, 204, json!({"x": 1}));
    c["seq"] = json!(9);
    let v = spec().check_all(&[a, b, c]);
    assert_eq!(v.len(), 2, "{v:#?}");
    assert_eq!(v[0], "seq 8 GET /api/v1/nope 404: no operation for GET /api/v1/nope");
    assert!(v[1].starts_with("seq 9 DELETE /api/v1/spaces/a 204: "), "{v:#?}");
}

#[test]
fn all_documents_load_and_every_schema_compiles() {
    let all = Spec::load(&[]);
    let mut names = all.documents();
    names.sort();
    assert_eq!(
        names,
        [
            "apps",
            "data-assets",
            "data-files",
            "data-sets",
            "data-stores",
            "items",
            "oauth",
            "reloads",
            "reports",
            "spaces",
            "users"
        ]
    );
    let failures = all.compile_all();
    assert!(failures.is_empty(), "{failures:#?}");

    // apps.json (with its unresolved reloadId reference) is usable.
    let ex = exchange("GET", "/api/v1/apps/abc/reloads/metadata/r1", Value::Null, 200, json!({"data": []}));
    let v = all.check_exchange(&ex);
    assert!(v.iter().all(|m| !m.contains("no operation")), "{v:#?}");
    let ex = exchange("GET", "/api/v1/apps/abc/nothing-here", Value::Null, 200, json!({}));
    assert_violation_in(&all, &ex, "no operation for GET /api/v1/apps/abc/nothing-here");
}

#[track_caller]
fn assert_violation_in(spec: &Spec, ex: &Value, needle: &str) {
    let v = spec.check_exchange(ex);
    assert!(v.iter().any(|m| m.contains(needle)), "no violation contains {needle:?}: {v:#?}");
}

/// Simulated routes that no Qlik OpenAPI document describes (checked to be routes, below).
/// `/oauth/token` and `/oauth/revoke` are not here: `oauth.json` documents them.
const UNDOCUMENTED_SIM_ROUTES: &[(&str, &str)] = &[("GET", "/.well-known/oauth-authorization-server")];

/// A path template with its parameter names dropped: `/api/v1/spaces/{spaceId}` -> `/api/v1/spaces/{}`.
fn template_shape(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') && s.ends_with('}') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every (METHOD, template shape) the OpenAPI documents describe, with each document's server
/// path prefix (all of them are `https://{tenant}.{region}.qlikcloud.com`, i.e. none).
fn documented_operations() -> Vec<(String, String)> {
    let mut ops = Vec::new();
    let dir = openapi::spec_dir();
    for entry in std::fs::read_dir(&dir).expect("the OpenAPI directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let servers: Vec<String> = doc["servers"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s["url"].as_str()).map(server_prefix).collect())
            .unwrap_or_default();
        let prefixes = if servers.is_empty() { vec![String::new()] } else { servers };
        for (template, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some_and(Value::is_object) {
                    for prefix in &prefixes {
                        ops.push((method.to_ascii_uppercase(), template_shape(&format!("{prefix}{template}"))));
                    }
                }
            }
        }
    }
    ops
}

/// The path part of a server URL: `https://{tenant}.qlikcloud.com/api` -> `/api`.
fn server_prefix(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or(String::new(), |i| rest[i..].trim_end_matches('/').to_string())
}

#[test]
fn every_simulated_route_is_documented_in_qliks_openapi() {
    let documented = documented_operations();
    let routes = qlik_harness::sim::routes();
    assert!(routes.len() >= 10, "{routes:?}");
    let mut missing = Vec::new();
    for (method, pattern) in &routes {
        if UNDOCUMENTED_SIM_ROUTES.contains(&(*method, *pattern)) {
            continue;
        }
        let wanted = (method.to_string(), template_shape(pattern));
        if !documented.contains(&wanted) {
            missing.push(format!("{method} {pattern}"));
        }
    }
    assert!(missing.is_empty(), "simulated routes with no OpenAPI operation: {missing:#?}");
    for exception in UNDOCUMENTED_SIM_ROUTES {
        assert!(routes.contains(exception), "stale exception {exception:?}");
        let shape = (exception.0.to_string(), template_shape(exception.1));
        assert!(!documented.contains(&shape), "{exception:?} is documented now; drop the exception");
    }
    // The comparison ignores parameter names but not positions.
    assert!(documented.contains(&("GET".into(), "/api/v1/spaces/{}".into())));
    assert!(!documented.contains(&("GET".into(), "/api/v1/{}/spaces".into())));
}
