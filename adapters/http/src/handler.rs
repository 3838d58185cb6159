//! One request, start to end: the shared secret, the route, the key (looked up in
//! [`exports`], not in the manifest), the body, the call into the connector and the answer.
//! The connector is a trait, so this runs in unit tests.

use crate::auth;
use crate::exports;
use crate::reply::Reply;
use crate::request::{self, Connection};
use crate::route::{self, Group, Route};
use serde_json::Value;

/// What an export gave back.
pub enum Output {
    /// JSON text (an action's output).
    Text(String),
    /// A typed result as JSON (picklist items, a poll result, `null` for `ack-poll`).
    Value(Value),
}

/// The connector's exports, as the adapter calls them.
pub trait Connector {
    /// `manifest.get`.
    fn manifest(&self) -> String;
    /// Calls the export of `group` with manifest key `key`; `None` when there is none. An error
    /// is the WIT `error` as `{"kind": ..., ...}`.
    fn call(&self, group: Group, key: &str, connection: &Connection, input: &str) -> Option<Result<Output, Value>>;
    /// `triggers.ack-poll`.
    fn ack_poll(&self, connection: &Connection, input: &str, poll_id: &str) -> Result<(), Value>;
}

/// The parts of a request the adapter reads; the body is read only when the route takes one.
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path with its query.
    pub path: &'a str,
    /// The `Authorization` header, when there is exactly one.
    pub authorization: Option<&'a [u8]>,
    /// Reads the body (or answers why not, e.g. too large).
    pub body: Box<dyn FnOnce() -> Result<Vec<u8>, Reply> + 'a>,
}

/// Answers one request. `token` is the shared secret (see [`auth`]); without it, or with the
/// wrong one, the answer is 401 and the connector is not called.
pub fn handle(request: Request<'_>, token: Option<&str>, connector: &dyn Connector) -> Reply {
    if !auth::authorized(token, request.authorization) {
        return Reply::failure(401, "missing-token", "this server needs `Authorization: Bearer <token>`")
            .with_header("www-authenticate", "Bearer");
    }
    let route = match route::route(request.method, request.path) {
        Ok(route) => route,
        Err(reply) => return reply,
    };
    let (group, key, ack) = match route {
        Route::Manifest => return manifest(connector),
        Route::Call { group, key } => (group, key, false),
        Route::Ack { key } => (Group::Triggers, key, true),
    };
    if !exports::exists(group, key) {
        return Reply::failure(
            404,
            "no-such-export",
            &format!("no {} has this key; GET /v1/manifest lists them", group.manifest_field()),
        );
    }
    let body = match (request.body)() {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let call = match request::parse(&body, ack) {
        Ok(call) => call,
        Err(reply) => return reply,
    };
    if let Some(poll_id) = &call.poll_id {
        return match connector.ack_poll(&call.connection, &call.input, poll_id) {
            Ok(()) => Reply::result(&Value::Null),
            Err(error) => Reply::connector_error(error),
        };
    }
    match connector.call(group, key, &call.connection, &call.input) {
        Some(Ok(Output::Text(text))) => Reply::result_text(&text),
        Some(Ok(Output::Value(value))) => Reply::result(&value),
        Some(Err(error)) => Reply::connector_error(error),
        None => Reply::failure(500, "internal", "the adapter lists an export the connector does not bind"),
    }
}

fn manifest(connector: &dyn Connector) -> Reply {
    Reply::result_text(&connector.manifest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::RefCell;

    /// A connector binding two actions and the trigger that records what it was called with.
    #[derive(Default)]
    struct Fake {
        calls: RefCell<Vec<String>>,
    }

    impl Connector for Fake {
        fn manifest(&self) -> String {
            json!({"actions": [{"key": "getSpace"}]}).to_string()
        }
        fn call(&self, group: Group, key: &str, _: &Connection, input: &str) -> Option<Result<Output, Value>> {
            self.calls.borrow_mut().push(format!("{group:?}.{key} {input}"));
            match key {
                "getSpace" if input.contains("missing") => Some(Err(json!({"kind": "not-found", "status": 404}))),
                "getSpace" => Some(Ok(Output::Text(r#"{"id":"s1"}"#.into()))),
                "pollChangesTrigger" => Some(Ok(Output::Value(json!({"created": []})))),
                _ => None,
            }
        }
        fn ack_poll(&self, _: &Connection, input: &str, poll_id: &str) -> Result<(), Value> {
            self.calls.borrow_mut().push(format!("ack {input} {poll_id}"));
            Ok(())
        }
    }

    fn send(fake: &Fake, token: Option<&str>, method: &str, path: &str, auth: Option<&str>, body: &str) -> Reply {
        let body = body.as_bytes().to_vec();
        let request =
            Request { method, path, authorization: auth.map(str::as_bytes), body: Box::new(move || Ok(body)) };
        handle(request, token, fake)
    }

    const CONNECTION: &str = r#""connection": {"type": "apiKey", "apiKey": "k", "tenant": "t"}"#;

    #[test]
    fn calls_go_to_the_export_of_the_key() {
        let fake = Fake::default();
        let reply = send(
            &fake,
            None,
            "POST",
            "/v1/actions/getSpace",
            None,
            &format!("{{{CONNECTION}, \"input\": {{\"spaceId\": \"s1\"}}}}"),
        );
        assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"result":{"id":"s1"}}"#));
        let reply = send(&fake, None, "POST", "/v1/triggers/pollChangesTrigger", None, &format!("{{{CONNECTION}}}"));
        assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"result":{"created":[]}}"#));
        let reply = send(
            &fake,
            None,
            "POST",
            "/v1/triggers/pollChangesTrigger/ack",
            None,
            &format!("{{{CONNECTION}, \"pollId\": \"p1\"}}"),
        );
        assert_eq!((reply.status, reply.body.as_str()), (200, r#"{"result":null}"#));
        let missing = send(
            &fake,
            None,
            "POST",
            "/v1/actions/getSpace",
            None,
            &format!("{{{CONNECTION}, \"input\": {{\"spaceId\": \"missing\"}}}}"),
        );
        assert_eq!(missing.status, 404);
        assert_eq!(
            *fake.calls.borrow(),
            [
                "Actions.getSpace {\"spaceId\":\"s1\"}",
                "Triggers.pollChangesTrigger {}",
                "ack {} p1",
                "Actions.getSpace {\"spaceId\":\"missing\"}"
            ]
        );
        assert_eq!(send(&fake, None, "GET", "/v1/manifest", None, "").status, 200);
    }

    #[test]
    fn nothing_is_called_without_the_token_an_entry_or_a_good_body() {
        let fake = Fake::default();
        let body = format!("{{{CONNECTION}}}");
        for (auth, status) in [(None, 401), (Some("Bearer wrong"), 401), (Some("Bearer right"), 200)] {
            assert_eq!(send(&fake, Some("right"), "GET", "/v1/manifest", auth, "").status, status, "{auth:?}");
        }
        let refused = send(&fake, Some("right"), "POST", "/v1/actions/getSpace", None, &body);
        assert_eq!((refused.status, refused.header("www-authenticate")), (401, Some("Bearer")));
        assert_eq!(send(&fake, None, "POST", "/v1/actions/noSuch", None, &body).status, 404);
        assert_eq!(send(&fake, None, "POST", "/v1/data-sources/getSpace", None, &body).status, 404);
        assert_eq!(send(&fake, None, "POST", "/v1/actions/get-space", None, &body).status, 404);
        assert_eq!(send(&fake, None, "POST", "/v1/triggers/getSpace/ack", None, &body).status, 404);
        // An unknown key is 404 before the body is read: a bad body does not change it.
        assert_eq!(send(&fake, None, "POST", "/v1/actions/noSuch", None, "{").status, 404);
        assert_eq!(send(&fake, None, "POST", "/v1/actions/getSpace", None, "{").status, 400);
        assert_eq!(send(&fake, None, "GET", "/v1/actions/getSpace", None, &body).status, 405);
        assert!(fake.calls.borrow().is_empty(), "{:?}", fake.calls.borrow());
        assert_eq!(send(&fake, None, "POST", "/v1/actions/listSpaces", None, &body).status, 500);
    }
}
