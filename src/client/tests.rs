use super::*;
use crate::connection::{resolve, Connection, GrantType, OAuth2Connection};
use crate::fake_host::FakeHost;

fn api_key() -> Resolved {
    resolve(&Connection::ApiKey { api_key: Secret("SENTINEL-KEY".into()), tenant: "http://127.0.0.1:9".into() }).unwrap()
}

fn client_credentials() -> Resolved {
    resolve(&Connection::OAuth2(OAuth2Connection {
        grant_type: GrantType::ClientCredentials,
        tenant: None,
        authorize_url: None,
        token_url: "http://127.0.0.1:9/oauth/token".into(),
        scopes: None,
        client_id: "cid".into(),
        client_secret: Secret("SENTINEL-SECRET".into()),
        access_token: None,
    }))
    .unwrap()
}

const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"bearer","expires_in":3600}"#;

#[test]
fn sets_headers_and_maps_404() {
    let mut host = FakeHost::default();
    host.answer(404, &[("x-request-id", "trace-9")], r#"{"errors":[{"code":"SPACES-1","title":"Not found"}]}"#);
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces/x");
    let error = client.send(Method::Get, &url, None).unwrap_err();
    match error {
        ConnectorError::NotFound(e) => {
            assert_eq!(e.code.as_deref(), Some("SPACES-1"));
            assert_eq!(e.trace_id.as_deref(), Some("trace-9"));
        }
        other => panic!("{other:?}"),
    }
    let sent = &host.sent[0];
    let header = |n: &str| sent.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("authorization").as_deref(), Some("Bearer SENTINEL-KEY"));
    assert_eq!(header("accept").as_deref(), Some("application/json"));
    assert_eq!(header("content-type"), None);
    assert_eq!(sent.url, "http://127.0.0.1:9/api/v1/spaces/x");
}

#[test]
fn retries_503_for_get_but_not_post() {
    let mut host = FakeHost::default();
    host.answer(503, &[], "").answer(503, &[], "").answer(200, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    assert_eq!(client.send(Method::Get, &url, None).unwrap().status, 200);
    assert_eq!(host.sent.len(), 3);
    assert_eq!(host.slept.len(), 2);

    let mut host = FakeHost::default();
    host.answer(503, &[], "");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    assert!(matches!(client.send(Method::Post, &url, None), Err(ConnectorError::Api(e)) if e.status == 503));
    assert_eq!(host.sent.len(), 1);
}

#[test]
fn honours_retry_after_then_gives_up_beyond_budget() {
    let mut host = FakeHost::default();
    host.answer(429, &[("retry-after", "2")], "").answer(200, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    client.send(Method::Post, &url, None).unwrap();
    assert_eq!(host.slept, vec![Duration::from_secs(2)]);

    let mut host = FakeHost::default();
    host.answer(429, &[("retry-after", "600")], r#"{"errors":[{"code":"HTTP-429","title":"Too Many Requests"}]}"#);
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    match client.send(Method::Get, &url, None) {
        Err(ConnectorError::RateLimited { retry_after_seconds, error }) => {
            assert_eq!(retry_after_seconds, Some(600));
            assert_eq!(error.code.as_deref(), Some("HTTP-429"));
        }
        other => panic!("{other:?}"),
    }
    assert!(host.slept.is_empty());
}

#[test]
fn refuses_urls_off_the_tenant() {
    let mut host = FakeHost::default();
    let mut client = Client::new(&mut host, api_key());
    assert!(matches!(client.send(Method::Get, "https://evil.example.com/x", None), Err(ConnectorError::InvalidResponse(_))));
    assert!(host.sent.is_empty());
}

#[test]
fn client_credentials_token_is_fetched_cached_and_refreshed_on_401() {
    let mut host = FakeHost { now: 1_000, ..Default::default() };
    host.answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    let token_request = String::from_utf8(host.sent[0].body.clone().unwrap()).unwrap();
    assert!(token_request.contains(r#""grant_type":"client_credentials""#));
    assert!(host.sent[1].headers.contains(&("authorization".into(), "Bearer tok-1".into())));
    let cached: Vec<_> = host.store.keys().cloned().collect();
    assert_eq!(cached, vec!["oauth-token/http://127.0.0.1:9/cid".to_string()]);
    assert!(!String::from_utf8_lossy(&host.store[&cached[0]]).contains("SENTINEL-SECRET"));

    // A second client reuses the stored token: no token request.
    host.answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    client.send(Method::Get, &url, None).unwrap();
    assert_eq!(host.sent.len(), 3);

    // A 401 fetches a new token once and repeats the request once.
    host.answer(401, &[], "").answer(200, &[], &TOKEN.replace("tok-1", "tok-2")).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    client.send(Method::Get, &url, None).unwrap();
    assert_eq!(host.sent.len(), 6);
    assert!(host.sent[5].headers.contains(&("authorization".into(), "Bearer tok-2".into())));
}

#[test]
fn token_endpoint_refusal_is_unauthorized_naming_client_id() {
    let mut host = FakeHost::default();
    host.answer(401, &[], r#"{"errors":[{"code":"OAUTH-1","title":"invalid client"}]}"#);
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    match client.send(Method::Get, &url, None) {
        Err(ConnectorError::Unauthorized(e)) => {
            assert!(e.detail.as_deref().unwrap().contains("clientId `cid`"));
            assert!(!format!("{e:?}").contains("SENTINEL-SECRET"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn expired_cached_token_is_not_used() {
    let mut host = FakeHost { now: 10_000, ..Default::default() };
    host.store.insert("oauth-token/http://127.0.0.1:9/cid".into(), br#"{"v":1,"accessToken":"old","expiresAt":10030}"#.to_vec());
    host.answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn non_json_success_is_invalid_response() {
    let response = HttpResponse { status: 200, headers: vec![], body: b"<html>".to_vec() };
    assert!(matches!(parse_json_body(&response), Err(ConnectorError::InvalidResponse(_))));
}

#[test]
fn connection_failures_retry_for_get_and_timeouts_do_not() {
    let mut host = FakeHost::default();
    host.fail(SendError::Connection("reset".into())).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    assert_eq!(client.send(Method::Get, &url, None).unwrap().status, 200);

    let mut host = FakeHost::default();
    host.fail(SendError::Timeout("slow".into()));
    let mut client = Client::new(&mut host, api_key());
    assert!(matches!(client.send(Method::Get, &url, None), Err(ConnectorError::Timeout(_))));
    assert_eq!(host.sent.len(), 1);
}
