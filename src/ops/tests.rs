use super::*;
use crate::connection::Secret;
use crate::fake_host::FakeHost;
use crate::inputs::Inputs;
use serde_json::json;

const ORIGIN: &str = "http://127.0.0.1:9";

fn connection() -> Connection {
    Connection::ApiKey { api_key: Secret("k".into()), tenant: ORIGIN.into() }
}

fn page(ids: &[&str], next: Option<&str>) -> String {
    let data: Vec<_> =
        ids.iter().map(|id| json!({"id": id, "name": format!("Space {id}"), "type": "shared"})).collect();
    let mut links = json!({"self": {"href": format!("{ORIGIN}/api/v1/spaces")}});
    if let Some(cursor) = next {
        links["next"] = json!({"href": format!("{ORIGIN}/api/v1/spaces?limit=2&next={cursor}")});
    }
    json!({"data": data, "links": links, "meta": {"count": 5}}).to_string()
}

fn url(host: &FakeHost, i: usize) -> &str {
    &host.sent[i].url
}

#[test]
fn invalid_input_sends_nothing() {
    let mut host = FakeHost::default();
    let error = run_action(&mut host, "getSpace", &connection(), "{}").unwrap_err();
    assert!(matches!(error, ConnectorError::InvalidInput { ref input, .. } if input == "spaceId"));
    let bad_tenant = Connection::ApiKey { api_key: Secret("k".into()), tenant: "http://10.0.0.1".into() };
    let error = run_action(&mut host, "getSpace", &bad_tenant, r#"{"spaceId":"s"}"#).unwrap_err();
    assert!(matches!(error, ConnectorError::InvalidInput { ref input, .. } if input == "tenant"));
    assert!(host.sent.is_empty());
}

#[test]
fn path_ids_are_percent_encoded() {
    let mut host = FakeHost::default();
    host.answer(200, &[], r#"{"id":"a b"}"#);
    run_action(&mut host, "getSpace", &connection(), r#"{"spaceId":"a b?#"}"#).unwrap();
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces/a%20b%3F%23");
}

#[test]
fn update_sends_one_replace_op_per_given_field() {
    let mut host = FakeHost::default();
    host.answer(200, &[], r#"{"id":"s"}"#);
    run_action(&mut host, "updateSpace", &connection(), r#"{"spaceId":"s","description":"d","ownerId":"u"}"#).unwrap();
    let body: serde_json::Value = serde_json::from_slice(host.sent[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!([{"op":"replace","path":"/description","value":"d"},{"op":"replace","path":"/ownerId","value":"u"}])
    );
    assert_eq!(host.sent[0].method, crate::host::Method::Patch);
}

#[test]
fn delete_outputs_deleted_id() {
    let mut host = FakeHost::default();
    host.answer(204, &[], "");
    let out = run_action(&mut host, "deleteSpace", &connection(), r#"{"spaceId":"s1"}"#).unwrap();
    assert_eq!(out, json!({"deleted": true, "id": "s1"}));
}

#[test]
fn one_page_carries_next_page_and_params_cannot_override_owned_ones() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a", "b"], Some("c2")));
    let input =
        r#"{"limit":2,"sort":"-name","page":"c1","paramsInputFields":{"limit":"99","type":"managed","next":"x"}}"#;
    let out = run_action(&mut host, "listSpaces", &connection(), input).unwrap();
    assert_eq!(out["nextPage"], "c2");
    assert_eq!(out["data"].as_array().unwrap().len(), 2);
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces?type=managed&sort=-name&limit=2&next=c1");
}

#[test]
fn fetch_all_follows_every_page() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a", "b"], Some("c2"))).answer(200, &[], &page(&["c", "d"], Some("c3"))).answer(
        200,
        &[],
        &page(&["e"], None),
    );
    let out = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":2}"#).unwrap();
    assert_eq!(out["data"].as_array().unwrap().len(), 5);
    assert_eq!(out["truncated"], false);
    assert_eq!(out["nextPage"], serde_json::Value::Null);
    assert!(out.get("links").is_none());
    assert_eq!(url(&host, 2), "http://127.0.0.1:9/api/v1/spaces?limit=2&next=c3");
}

#[test]
fn fetch_all_cut_by_max_records_resumes_at_the_cut_page() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a", "b"], Some("c2"))).answer(200, &[], &page(&["c", "d"], Some("c3")));
    let out =
        run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":2,"maxRecords":3}"#).unwrap();
    assert_eq!(out["data"].as_array().unwrap().len(), 3);
    assert_eq!(out["truncated"], true);
    assert_eq!(out["nextPage"], "c2");
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn fetch_all_stops_on_a_repeated_cursor_and_says_truncated() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a"], Some("c2"))).answer(200, &[], &page(&["b"], Some("c2")));
    let out = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":1}"#).unwrap();
    assert_eq!(out["data"].as_array().unwrap().len(), 2);
    assert_eq!(out["truncated"], true);
    // The last page read is where to resume: it is read again, nothing is skipped.
    assert_eq!(out["nextPage"], "c2");
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn fetch_all_stops_after_three_empty_pages_in_a_row() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a"], Some("e1")));
    for n in 1..=3 {
        host.answer(200, &[], &page(&[], Some(&format!("e{}", n + 1))));
    }
    let out =
        run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":1,"maxRecords":50}"#).unwrap();
    assert_eq!(host.sent.len(), 4);
    assert_eq!(out["truncated"], true);
    assert_eq!(out["nextPage"], "e4");
    assert_eq!(out["data"].as_array().unwrap().len(), 1);
}

#[test]
fn fetch_all_caps_pages_at_what_max_records_needs_plus_two() {
    // maxRecords 4 at limit 2 needs 2 pages; the cap is 4. Pages of one record keep going.
    let mut host = FakeHost::default();
    for n in 1..=4 {
        host.answer(200, &[], &page(&[&format!("r{n}")], Some(&format!("p{}", n + 1))));
    }
    let out =
        run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":2,"maxRecords":4}"#).unwrap();
    assert_eq!(host.sent.len(), 4);
    assert_eq!(out["data"].as_array().unwrap().len(), 4);
    assert_eq!(out["truncated"], true);
    assert_eq!(out["nextPage"], "p5");
}

#[test]
fn next_links_that_change_the_path_are_refused() {
    for href in
        [format!("{ORIGIN}/api/v1/users?next=x"), format!("{ORIGIN}/oauth/token?next=x"), "next?next=r".to_string()]
    {
        let mut host = FakeHost::default();
        let body = json!({"data": [{"id": "a"}], "links": {"next": {"href": href}}}).to_string();
        host.answer(200, &[], &body);
        let error = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true}"#).unwrap_err();
        assert!(
            matches!(error, ConnectorError::InvalidResponse(ref m) if m.contains("another path")),
            "{href}: {error:?}"
        );
        assert_eq!(host.sent.len(), 1);
    }
}

#[test]
fn repeated_query_params_are_all_sent_in_order() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a"], None));
    let input = r#"{"paramsInputFields":[{"key":"name","value":"x"},{"key":"name","value":"y"}]}"#;
    run_action(&mut host, "listSpaces", &connection(), input).unwrap();
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces?name=x&name=y");
}

#[test]
fn errors_leave_with_the_call_secrets_redacted() {
    let conn = Connection::ApiKey { api_key: Secret("SENTINEL-KEY-42".into()), tenant: ORIGIN.into() };
    let mut host = FakeHost::default();
    host.answer(
        400,
        &[],
        r#"{"errors":[{"code":"X","title":"bad","detail":"you sent Authorization: Bearer SENTINEL-KEY-42"}]}"#,
    );
    let error = run_action(&mut host, "getSpace", &conn, r#"{"spaceId":"s"}"#).unwrap_err();
    let text = format!("{error:?}");
    assert!(!text.contains("SENTINEL-KEY-42") && text.contains("Bearer ***"), "{text}");
}

#[test]
fn body_fields_by_json_pointer_over_a_json_base() {
    let inputs = Inputs::from_pairs(&[
        ("json", json!({"name": "from json", "keep": 1, "attributes": {"a": 1}})),
        ("name", json!("explicit")),
        ("space", json!("s1")),
    ]);
    let spec = crate::table::BodySpec::Json {
        base: Some("json"),
        fields: &[("/name", "name"), ("/attributes/spaceId", "space"), ("/x~1y", "space")],
    };
    let body = request::build_body(spec, &inputs).unwrap().unwrap();
    assert_eq!(body, json!({"name": "explicit", "keep": 1, "attributes": {"a": 1, "spaceId": "s1"}, "x/y": "s1"}));
    let not_object = Inputs::from_pairs(&[("json", json!([1]))]);
    assert!(
        matches!(request::build_body(spec, &not_object), Err(ConnectorError::InvalidInput { ref input, .. }) if input == "json")
    );
}

#[test]
fn value_lists_join_into_paths_and_queries() {
    let inputs = Inputs::from_pairs(&[("ids", json!(["a b", "c/d"])), ("fields", json!(["id", "name"]))]);
    assert_eq!(request::fill_path("/data-stores/{ids,}/data-assets", &inputs), "/data-stores/a%20b,c%2Fd/data-assets");
    let query = [crate::table::query("projections", "fields")];
    assert_eq!(request::query_pairs(&query, &inputs), [("projections".to_string(), "id,name".to_string())]);
}

#[test]
fn read_merge_write_changes_only_what_was_given() {
    const SPEC: crate::table::RmwSpec = crate::table::RmwSpec {
        path: "/data-stores/{id}",
        base: Some("json"),
        fields: &[("/name", "name")],
        read_only: &["links", "updatedAt"],
    };
    let mut host = FakeHost::default();
    host.answer(200, &[], r#"{"id":"d1","name":"old","description":"kept","version":7,"links":{},"updatedAt":"t"}"#)
        .answer(200, &[], r#"{"id":"d1","version":8}"#);
    let inputs = Inputs::from_pairs(&[
        ("id", json!("d1")),
        ("name", json!("new")),
        ("json", json!({"name": "ignored", "tags": ["t"]})),
    ]);
    let resolved = crate::connection::resolve(&connection()).unwrap();
    let mut client = Client::new(&mut host, resolved);
    let out = rmw::run(&mut client, &SPEC, &inputs).unwrap();
    assert_eq!(out["version"], 8);
    assert_eq!(host.sent[1].method, crate::host::Method::Put);
    let put: serde_json::Value = serde_json::from_slice(host.sent[1].body.as_ref().unwrap()).unwrap();
    assert_eq!(put, json!({"id":"d1","name":"new","description":"kept","version":7,"tags":["t"]}));

    // A stale version: the tenant's 409 is `conflict`.
    let mut host = FakeHost::default();
    host.answer(200, &[], r#"{"id":"d1","version":7}"#).answer(
        409,
        &[],
        r#"{"errors":[{"code":"DS-409","title":"version conflict"}]}"#,
    );
    let mut client = Client::new(&mut host, crate::connection::resolve(&connection()).unwrap());
    assert!(matches!(rmw::run(&mut client, &SPEC, &inputs), Err(ConnectorError::Conflict(_))));
}

#[test]
fn picklist_counts_its_cap_over_matching_items() {
    // 25 pages of 100 spaces, one of which matches, the match on the last page.
    let mut host = FakeHost::default();
    for p in 0..25 {
        let data: Vec<_> = (0..100).map(|i| json!({"id": format!("{p}-{i}"), "name": if p == 24 && i == 99 { "Needle".to_string() } else { format!("hay {p}-{i}") }})).collect();
        let mut links = json!({});
        if p < 24 {
            links["next"] = json!({"href": format!("{ORIGIN}/api/v1/spaces?limit=100&next=n{p}")});
        }
        host.answer(200, &[], &json!({"data": data, "links": links}).to_string());
    }
    let items = run_data_source(&mut host, "selectSpace", &connection(), r#"{"search":"needle"}"#).unwrap();
    assert_eq!(items, [PicklistItem { key: "24-99".into(), label: "Needle".into() }]);
    assert_eq!(host.sent.len(), 25);
}

#[test]
fn select_user_searches_with_a_scim_filter() {
    let mut host = FakeHost::default();
    host.answer(200, &[], r#"{"data":[{"id":"u1","name":"Zed","email":"needle@example.com"}],"links":{}}"#);
    let items = run_data_source(&mut host, "selectUser", &connection(), r#"{"search":"nee\"dle"}"#).unwrap();
    // The API matched on email; the label is the name, and it is kept.
    assert_eq!(items, [PicklistItem { key: "u1".into(), label: "Zed".into() }]);
    let sent = crate::uri::Uri::parse_absolute(url(&host, 0)).unwrap();
    assert_eq!(sent.query_param("filter").unwrap(), r#"name co "nee\"dle" or email co "nee\"dle""#);
    assert_eq!(scim_contains(&["name"], r"a\b"), r#"name co "a\\b""#);
}

#[test]
fn foreign_next_link_is_refused() {
    let mut host = FakeHost::default();
    let body =
        json!({"data": [], "links": {"next": {"href": "https://evil.example.com/api/v1/spaces?next=x"}}}).to_string();
    host.answer(200, &[], &body);
    let error = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true}"#).unwrap_err();
    assert!(matches!(error, ConnectorError::InvalidResponse(ref m) if m.contains("another host")), "{error:?}");
    assert_eq!(host.sent.len(), 1);
}

#[test]
fn picklist_reads_all_pages_sorts_and_labels() {
    let mut host = FakeHost::default();
    let first = json!({"data": [{"id": "2", "name": "beta", "type": "managed"}, {"id": "1", "name": "Alpha", "type": "shared"}],
        "links": {"next": {"href": format!("{ORIGIN}/api/v1/spaces?limit=100&next=n")}}});
    let second = json!({"data": [{"id": "3"}], "links": {}});
    host.answer(200, &[], &first.to_string()).answer(200, &[], &second.to_string());
    let items = run_data_source(&mut host, "selectSpace", &connection(), "{}").unwrap();
    let labels: Vec<_> = items.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(labels, ["3", "Alpha", "beta (managed)"]);
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces?limit=100");
}

#[test]
fn picklist_search_is_sent_and_applied() {
    let mut host = FakeHost::default();
    let body = json!({"data": [{"id": "1", "name": "Finance"}, {"id": "2", "name": "Sales"}], "links": {}});
    host.answer(200, &[], &body.to_string());
    let items = run_data_source(&mut host, "selectSpace", &connection(), r#"{"search":"fin"}"#).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces?limit=100&name=fin");
}

#[test]
fn wrong_kind_or_unknown_key_is_refused() {
    let mut host = FakeHost::default();
    for error in [
        run_action(&mut host, "selectSpace", &connection(), "{}").unwrap_err(),
        run_data_source(&mut host, "nope", &connection(), "{}").unwrap_err(),
    ] {
        assert!(matches!(error, ConnectorError::InvalidInput { ref input, .. } if input == "key"), "{error:?}");
    }
    assert!(host.sent.is_empty());
}
