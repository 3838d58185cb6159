use super::*;
use crate::connection::{resolve, Connection, GrantType, OAuth2Connection};
use crate::fake_host::FakeHost;
use auth::token_key;

fn api_key() -> Resolved {
    resolve(&Connection::ApiKey { api_key: Secret("SENTINEL-KEY".into()), tenant: "http://127.0.0.1:9".into() })
        .unwrap()
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

/// The cache key of the test's client-credentials connection with this secret.
fn cc_key(secret: &str) -> String {
    token_key(
        "http://127.0.0.1:9",
        "cid",
        &Secret(secret.into()),
        "http://127.0.0.1:9/oauth/token",
        crate::connection::DEFAULT_SCOPES,
    )
}

fn with_secret(resolved: Resolved, secret: &str) -> Resolved {
    match resolved.auth {
        Auth::ClientCredentials { token_url, client_id, scopes, .. } => Resolved {
            auth: Auth::ClientCredentials { token_url, client_id, client_secret: Secret(secret.into()), scopes },
            ..resolved
        },
        other => Resolved { auth: other, ..resolved },
    }
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
    assert!(matches!(
        client.send(Method::Get, "https://evil.example.com/x", None),
        Err(ConnectorError::InvalidResponse(_))
    ));
    assert!(host.sent.is_empty());
}

#[test]
fn client_credentials_token_is_fetched_cached_and_refreshed_on_401() {
    let mut host = FakeHost::at(1_000);
    host.answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    let token_request = String::from_utf8(host.sent[0].body.clone().unwrap()).unwrap();
    assert!(token_request.contains(r#""grant_type":"client_credentials""#));
    assert!(host.sent[1].headers.contains(&("authorization".into(), "Bearer tok-1".into())));
    let cached: Vec<_> = host.store.keys().cloned().collect();
    assert_eq!(cached, vec![cc_key("SENTINEL-SECRET")]);
    assert!(crate::host::is_portable_key(&cached[0]), "{}", cached[0]);
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
    let mut host = FakeHost::at(10_000);
    host.store.insert(cc_key("SENTINEL-SECRET"), br#"{"v":1,"accessToken":"old","expiresAt":10030}"#.to_vec());
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
fn body_text_passes_json_through_as_sent_and_refuses_the_rest() {
    let text = |body: &[u8]| json_body_text(HttpResponse { status: 200, headers: vec![], body: body.to_vec() });
    for body in [r#"{"id": "a",  "n": 12345678901234567890123}"#, "[1, 2]", "\"x\"", " {\"a\":{}} \n"] {
        assert_eq!(text(body.as_bytes()).as_deref(), Ok(body), "{body}");
    }
    assert_eq!(text(b"").as_deref(), Ok("null"));
    assert_eq!(text(b" \r\n").as_deref(), Ok("null"));
    for bad in [&b"<html>"[..], b"{\"a\":1", b"{} {}", b"{\"a\":\"\xff\"}", b"[1,]"] {
        let error = text(bad).expect_err(&String::from_utf8_lossy(bad));
        assert!(
            matches!(&error, ConnectorError::InvalidResponse(m) if m.contains("not valid JSON")),
            "{:?}: {error:?}",
            String::from_utf8_lossy(bad)
        );
    }
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

#[test]
fn cached_token_is_bound_to_secret_token_url_and_scopes() {
    let base = cc_key("SENTINEL-SECRET");
    assert_ne!(base, cc_key("WRONG-SECRET"));
    assert_ne!(
        base,
        token_key(
            "http://127.0.0.1:9",
            "cid",
            &Secret("SENTINEL-SECRET".into()),
            "http://127.0.0.1:9/oauth/token2",
            crate::connection::DEFAULT_SCOPES
        )
    );
    assert_ne!(
        base,
        token_key(
            "http://127.0.0.1:9",
            "cid",
            &Secret("SENTINEL-SECRET".into()),
            "http://127.0.0.1:9/oauth/token",
            "admin_classic"
        )
    );
    assert!(!base.contains("SENTINEL-SECRET"));

    // A token cached by the right secret is not used by a wrong one: a token request goes out.
    let mut host = FakeHost::at(1_000);
    host.answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    host.answer(401, &[], r#"{"error":"invalid_client"}"#);
    let mut client = Client::new(&mut host, with_secret(client_credentials(), "WRONG-SECRET"));
    assert!(matches!(client.send(Method::Get, &url, None), Err(ConnectorError::Unauthorized(_))));
    assert_eq!(host.sent.len(), 3);
    assert!(host.sent[2].url.ends_with("/oauth/token"));
}

#[test]
fn a_storage_failure_only_costs_a_token_request() {
    let mut host = FakeHost { store_failure: Some("disk full".into()), ..FakeHost::at(1_000) };
    host.answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    assert_eq!(client.send(Method::Get, &url, None).unwrap().status, 200);
    assert!(host.store.is_empty());
}

#[test]
fn the_retry_budget_is_shared_by_every_request_of_a_call() {
    // Two requests of one call: 429 RA=25 twice on the first, once on the second. The budget
    // of 60 s allows the first two waits (50 s), not a third 25 s one.
    let mut host = FakeHost::default();
    host.answer(429, &[("retry-after", "25")], "").answer(429, &[("retry-after", "25")], "").answer(200, &[], "{}");
    host.answer(429, &[("retry-after", "25")], "");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    match client.send(Method::Get, &url, None) {
        Err(ConnectorError::RateLimited { retry_after_seconds, .. }) => assert_eq!(retry_after_seconds, Some(25)),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.spent().retries, 2);
    assert_eq!(host.slept, vec![Duration::from_secs(25); 2]);

    // Retries are counted per call too: 3 in all.
    let mut host = FakeHost::default();
    for _ in 0..2 {
        host.answer(503, &[], "").answer(503, &[], "").answer(200, &[], "{}");
    }
    let mut client = Client::new(&mut host, api_key());
    client.send(Method::Get, &url, None).unwrap();
    assert!(matches!(client.send(Method::Get, &url, None), Err(ConnectorError::Api(e)) if e.status == 503));
    assert_eq!(host.sent.len(), 5);
}

#[test]
fn the_401_refresh_spends_the_same_budget() {
    let mut host = FakeHost::at(1_000);
    host.answer(429, &[("retry-after", "40")], "").answer(200, &[], TOKEN);
    host.answer(401, &[], "");
    host.answer(429, &[("retry-after", "40")], "");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    // token (429, wait 40 s, 200), GET 401, token again: 429 RA=40 is beyond the 20 s left.
    assert!(matches!(client.send(Method::Get, &url, None), Err(ConnectorError::RateLimited { .. })));
    assert_eq!(host.slept, vec![Duration::from_secs(40)]);
}

#[test]
fn a_redirect_is_never_a_success() {
    for status in [301, 302, 303, 304, 307, 308] {
        let mut host = FakeHost::default();
        host.answer(status, &[("location", "https://evil.example.com/")], "");
        let mut client = Client::new(&mut host, api_key());
        let url = client.api_url("/spaces/s1");
        match client.send(Method::Delete, &url, None) {
            Err(ConnectorError::Api(e)) => {
                assert_eq!(e.status, status);
                assert!(e.detail.unwrap().contains("redirect"));
            }
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(host.sent.len(), 1, "{status} is not followed");
    }
}

#[test]
fn redirects_are_followed_on_the_tenant_host_only_when_asked() {
    let mut host = FakeHost::default();
    host.answer(301, &[("location", "/api/v1/users/u1")], "").answer(200, &[], r#"{"id":"u1"}"#);
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/users/me");
    assert_eq!(client.send_following(Method::Get, &url, None).unwrap().status, 200);
    assert_eq!(host.sent[1].url, "http://127.0.0.1:9/api/v1/users/u1");
    assert!(host.sent[1].header("authorization").is_some());

    // Off the tenant: not followed, an invalid response naming the refused location.
    let mut host = FakeHost::default();
    host.answer(302, &[("location", "https://evil.example.com/steal")], "");
    let mut client = Client::new(&mut host, api_key());
    match client.send_following(Method::Get, &url, None) {
        Err(ConnectorError::InvalidResponse(message)) => assert!(message.contains("https://evil.example.com/steal")),
        other => panic!("{other:?}"),
    }
    assert_eq!(host.sent.len(), 1);

    // At most 5.
    let mut host = FakeHost::default();
    for _ in 0..6 {
        host.answer(307, &[("location", "/api/v1/users/me")], "");
    }
    let mut client = Client::new(&mut host, api_key());
    assert!(matches!(client.send_following(Method::Get, &url, None), Err(ConnectorError::InvalidResponse(_))));
    assert_eq!(host.sent.len(), 6);
}

#[test]
fn bodies_carry_content_length_and_borrowed_bytes() {
    let mut host = FakeHost::default();
    host.answer(201, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    client.send_json(Method::Post, &url, Some(&serde_json::json!({"name": "Ünïcode"}))).unwrap();
    let sent = &host.sent[0];
    let body = sent.body.as_ref().unwrap();
    assert_eq!(sent.header("content-length"), Some(body.len().to_string().as_str()));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.timeouts.total, Duration::from_secs(300));
}

#[test]
fn token_requests_are_retried_like_idempotent_ones() {
    let mut host = FakeHost::at(1_000);
    host.answer(503, &[], "").answer(200, &[], TOKEN).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, client_credentials());
    let url = client.api_url("/spaces");
    assert_eq!(client.send(Method::Get, &url, None).unwrap().status, 200);
    assert_eq!(host.sent.len(), 3);
}

#[test]
fn authorize_fetches_the_token_under_the_policy_of_that_moment() {
    let mut host = FakeHost::at(1_000);
    host.answer(503, &[], "").answer(200, &[], TOKEN).answer(429, &[], "");
    let mut client = Client::new(&mut host, client_credentials());
    client.authorize().unwrap();
    client.policy = crate::retry::RetryPolicy { max_retries: 0, ..client.policy };
    let url = client.api_url("/reloads");
    assert!(client.send(Method::Post, &url, None).is_err(), "the POST is not retried");
    assert_eq!(host.sent.len(), 3, "the token request was retried once, the POST sent once");
}

#[test]
fn connect_timeouts_are_retried_for_get() {
    let mut host = FakeHost::default();
    host.fail(SendError::ConnectTimeout("slow connect".into())).answer(200, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    assert_eq!(client.send(Method::Get, &url, None).unwrap().status, 200);
    assert_eq!(host.sent.len(), 2);
}

#[test]
fn retry_after_dates_are_read_against_the_response_date() {
    // The local clock is 100 s behind the server; the server asks for 5 s by date.
    let mut host = FakeHost::at(1_700_000_000 - 100);
    host.answer(
        429,
        &[("date", "Tue, 14 Nov 2023 22:13:20 GMT"), ("retry-after", "Tue, 14 Nov 2023 22:13:25 GMT")],
        "",
    )
    .answer(200, &[], "{}");
    let mut client = Client::new(&mut host, api_key());
    let url = client.api_url("/spaces");
    client.send(Method::Get, &url, None).unwrap();
    assert_eq!(host.slept, vec![Duration::from_secs(5)]);
}
