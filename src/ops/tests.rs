use super::*;
use crate::connection::Secret;
use crate::fake_host::FakeHost;
use serde_json::json;

const ORIGIN: &str = "http://127.0.0.1:9";

fn connection() -> Connection {
    Connection::ApiKey { api_key: Secret("k".into()), tenant: ORIGIN.into() }
}

fn page(ids: &[&str], next: Option<&str>) -> String {
    let data: Vec<_> = ids.iter().map(|id| json!({"id": id, "name": format!("Space {id}"), "type": "shared"})).collect();
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
    assert_eq!(host.sent[0].method, crate::retry::Method::Patch);
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
    let input = r#"{"limit":2,"sort":"-name","page":"c1","paramsInputFields":{"limit":"99","type":"managed","next":"x"}}"#;
    let out = run_action(&mut host, "listSpaces", &connection(), input).unwrap();
    assert_eq!(out["nextPage"], "c2");
    assert_eq!(out["data"].as_array().unwrap().len(), 2);
    assert_eq!(url(&host, 0), "http://127.0.0.1:9/api/v1/spaces?type=managed&sort=-name&limit=2&next=c1");
}

#[test]
fn fetch_all_follows_every_page() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a", "b"], Some("c2")))
        .answer(200, &[], &page(&["c", "d"], Some("c3")))
        .answer(200, &[], &page(&["e"], None));
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
    let out = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":2,"maxRecords":3}"#).unwrap();
    assert_eq!(out["data"].as_array().unwrap().len(), 3);
    assert_eq!(out["truncated"], true);
    assert_eq!(out["nextPage"], "c2");
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn fetch_all_stops_on_a_repeated_cursor() {
    let mut host = FakeHost::default();
    host.answer(200, &[], &page(&["a"], Some("c2"))).answer(200, &[], &page(&["b"], Some("c2")));
    let out = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true,"limit":1}"#).unwrap();
    assert_eq!(out["data"].as_array().unwrap().len(), 2);
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn foreign_next_link_is_refused() {
    let mut host = FakeHost::default();
    let body = json!({"data": [], "links": {"next": {"href": "https://evil.example.com/api/v1/spaces?next=x"}}}).to_string();
    host.answer(200, &[], &body);
    let error = run_action(&mut host, "listSpaces", &connection(), r#"{"fetchAll":true}"#).unwrap_err();
    assert!(matches!(error, ConnectorError::InvalidResponse(_)));
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
    assert!(run_action(&mut host, "selectSpace", &connection(), "{}").is_err());
    assert!(run_data_source(&mut host, "nope", &connection(), "{}").is_err());
}
