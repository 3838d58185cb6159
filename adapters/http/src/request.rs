//! The body of a call, `{"connection": ..., "input": ..., "pollId": ...}`, in the JSON forms of
//! `qlik-harness call` (`host-harness/src/values.rs`). Messages name fields, never values: a body
//! holds connection secrets.

use crate::reply::Reply;
use serde_json::{Map, Value};

/// How an OAuth 2.0 connection gets its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// `authorization_code` (the default).
    AuthorizationCode,
    /// `client_credentials`.
    ClientCredentials,
}

/// A connection, before it becomes the WIT `connection`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// `{"type": "apiKey", "apiKey", "tenant"}`
    ApiKey {
        /// The key.
        api_key: String,
        /// The tenant.
        tenant: String,
    },
    /// `{"type": "oauth2", "grantType", "tokenUrl", "clientId", "clientSecret", ...}`
    Oauth2 {
        /// The grant.
        grant: Grant,
        /// `tenant`
        tenant: Option<String>,
        /// `authorizeUrl`
        authorize_url: Option<String>,
        /// `tokenUrl`
        token_url: String,
        /// `scopes`
        scopes: Option<String>,
        /// `clientId`
        client_id: String,
        /// `clientSecret`
        client_secret: String,
        /// `accessToken`
        access_token: Option<String>,
    },
}

/// A parsed call body.
#[derive(Debug, PartialEq, Eq)]
pub struct Call {
    /// The connection.
    pub connection: Connection,
    /// The input object as JSON text (`{}` when the body has none).
    pub input: String,
    /// `pollId` (the ack route only).
    pub poll_id: Option<String>,
}

/// Parses a call body; `ack` when the route is `.../ack` (which needs `pollId`).
pub fn parse(body: &[u8], ack: bool) -> Result<Call, Reply> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| Reply::bad_request("the body must be a JSON object: {\"connection\": ..., \"input\": ...}"))?;
    let Value::Object(mut body) = body else {
        return Err(Reply::bad_request("the body must be a JSON object: {\"connection\": ..., \"input\": ...}"));
    };
    let allowed: &[&str] = if ack { &["connection", "input", "pollId"] } else { &["connection", "input"] };
    if body.keys().any(|key| !allowed.contains(&key.as_str())) {
        return Err(Reply::bad_request(&format!("the body's fields are {} only", allowed.join(", "))));
    }
    let connection = match body.remove("connection") {
        Some(Value::Object(object)) => connection(&object)?,
        Some(_) => return Err(Reply::bad_request("`connection` must be a JSON object")),
        None => return Err(Reply::bad_request("the body has no `connection`")),
    };
    let input = match body.remove("input") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(input @ Value::Object(_)) => input.to_string(),
        Some(_) => return Err(Reply::bad_request("`input` must be a JSON object")),
    };
    let poll_id = match body.remove("pollId") {
        Some(Value::String(id)) => Some(id),
        Some(_) => return Err(Reply::bad_request("`pollId` must be a string")),
        None if ack => return Err(Reply::bad_request("the body has no `pollId`")),
        None => None,
    };
    Ok(Call { connection, input, poll_id })
}

/// A field as text: a string as it is, null or absent as empty, anything else as its JSON.
fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn optional(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key) {
        Some(Value::Null) | None => None,
        Some(_) => Some(text(object, key)),
    }
}

fn connection(object: &Map<String, Value>) -> Result<Connection, Reply> {
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            return Err(Reply::bad_request("the connection's `type` must be a string: \"apiKey\" or \"oauth2\""))
        }
        None => return Err(Reply::bad_request("the connection has no `type`: \"apiKey\" or \"oauth2\"")),
    };
    match kind {
        "apiKey" | "api-key" => {
            Ok(Connection::ApiKey { api_key: text(object, "apiKey"), tenant: text(object, "tenant") })
        }
        "oauth2" => {
            let grant = match object.get("grantType").and_then(Value::as_str).unwrap_or("authorization_code") {
                "authorization_code" | "authorization-code" => Grant::AuthorizationCode,
                "client_credentials" | "client-credentials" => Grant::ClientCredentials,
                _ => return Err(Reply::bad_request("unknown grantType: use authorization_code or client_credentials")),
            };
            Ok(Connection::Oauth2 {
                grant,
                tenant: optional(object, "tenant"),
                authorize_url: optional(object, "authorizeUrl"),
                token_url: text(object, "tokenUrl"),
                scopes: optional(object, "scopes"),
                client_id: text(object, "clientId"),
                client_secret: text(object, "clientSecret"),
                access_token: optional(object, "accessToken"),
            })
        }
        _ => Err(Reply::bad_request("unknown connection type: use apiKey or oauth2")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_forms() {
        let call = parse(br#"{"connection": {"type": "apiKey", "apiKey": "k", "tenant": "acme"}}"#, false).unwrap();
        assert_eq!(call.connection, Connection::ApiKey { api_key: "k".into(), tenant: "acme".into() });
        assert_eq!((call.input.as_str(), call.poll_id), ("{}", None));
        let body = br#"{"connection": {"type": "oauth2", "grantType": "client_credentials", "tokenUrl": "t",
            "clientId": "i", "clientSecret": "s"}, "input": {"a": 1}, "pollId": "p"}"#;
        let call = parse(body, true).unwrap();
        assert!(matches!(call.connection, Connection::Oauth2 { grant: Grant::ClientCredentials, tenant: None, .. }));
        assert_eq!((call.input.as_str(), call.poll_id.as_deref()), (r#"{"a":1}"#, Some("p")));
    }

    #[test]
    fn bad_bodies_are_400_and_repeat_no_value() {
        let secret = "SENTINEL-SECRET-41";
        for body in [
            "".to_string(),
            "not json".into(),
            format!("[\"{secret}\"]"),
            "{}".into(),
            format!("{{\"connection\": \"{secret}\"}}"),
            format!("{{\"connection\": {{\"apiKey\": \"{secret}\"}}}}"),
            format!("{{\"connection\": {{\"type\": \"{secret}\"}}}}"),
            format!("{{\"connection\": {{\"type\": \"oauth2\", \"grantType\": \"{secret}\"}}}}"),
            format!("{{\"connection\": {{\"type\": \"apiKey\"}}, \"input\": \"{secret}\"}}"),
            format!("{{\"connection\": {{\"type\": \"apiKey\"}}, \"{secret}\": 1}}"),
            "{\"connection\": {\"type\": \"apiKey\"}, \"pollId\": \"p\"}".into(),
        ] {
            let reply = parse(body.as_bytes(), false).unwrap_err();
            assert_eq!(reply.status, 400, "{body}");
            assert!(reply.body.contains("\"bad-request\"") && !reply.body.contains(secret), "{body}: {}", reply.body);
        }
        let no_poll_id = parse(br#"{"connection": {"type": "apiKey"}}"#, true).unwrap_err();
        assert!(no_poll_id.body.contains("pollId"), "{}", no_poll_id.body);
    }
}
