//! The component glue (wasm32 only): bindings for the connector's interfaces, the calls into
//! them with JSON ↔ WIT conversion, and `wasi:http/incoming-handler` reading the request and
//! writing the [`Reply`]. No logging: a request body holds connection secrets.

use crate::auth::TOKEN_VARIABLE;
use crate::handler::{self, Connector, Output, Request};
use crate::reply::Reply;
use crate::request::{Connection, Grant};
use crate::route::Group;
use serde_json::{json, Value};
use wasi::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasi::io::streams::StreamError;

mod bindings {
    wit_bindgen::generate!({
        path: ["../../wit", "wit"],
        world: "qlik:connector-http/adapter",
        generate_all,
    });
}

use bindings::qlik::connector::types as wit;
use bindings::qlik::connector::{actions, data_sources, manifest, triggers};

/// The largest request body read: a 32 MiB upload as base64 in JSON, with room to spare.
const MAX_BODY: usize = 48 << 20;

struct Handler;

impl wasi::exports::http::incoming_handler::Guest for Handler {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let method = method_name(request.method());
        let path = request.path_with_query().unwrap_or_default();
        let authorization = request.headers().get("authorization");
        let token =
            wasi::cli::environment::get_environment().into_iter().find(|(k, _)| k == TOKEN_VARIABLE).map(|(_, v)| v);
        let reply = handler::handle(
            Request {
                method: &method,
                path: &path,
                authorization: match authorization.as_slice() {
                    [one] => Some(one),
                    _ => None,
                },
                body: Box::new(|| read_body(&request)),
            },
            token.as_deref(),
            &Wit,
        );
        write(out, reply);
    }
}

wasi::http::proxy::export!(Handler);

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other,
    }
}

fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, Reply> {
    let unreadable = || Reply::bad_request("the request body could not be read");
    let body = request.consume().map_err(|()| unreadable())?;
    let stream = body.stream().map_err(|()| unreadable())?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
        }
        if bytes.len() > MAX_BODY {
            return Err(Reply::failure(413, "body-too-large", "the request body is larger than 48 MiB"));
        }
    }
    drop(stream);
    IncomingBody::finish(body);
    Ok(bytes)
}

fn write(out: ResponseOutparam, reply: Reply) {
    let headers = Fields::new();
    let mut names = vec![("content-type".to_string(), "application/json".to_string())];
    names.extend(reply.headers);
    for (name, value) in names {
        let _ = headers.append(&name, value.as_bytes());
    }
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(reply.status);
    let Ok(body) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    let Ok(stream) = body.write() else { return };
    for chunk in reply.body.as_bytes().chunks(4096) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            return;
        }
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
}

/// The connector this component is composed with.
struct Wit;

impl Connector for Wit {
    fn manifest(&self) -> String {
        manifest::get()
    }

    fn call(&self, group: Group, key: &str, connection: &Connection, input: &str) -> Option<Result<Output, Value>> {
        let connection = &wit_connection(connection);
        match group {
            Group::Actions => action(key, connection, input).map(|r| r.map(Output::Text).map_err(error_json)),
            Group::DataSources => data_source(key, connection, input)
                .map(|r| r.map(|items| Output::Value(picklist_json(items))).map_err(error_json)),
            Group::Triggers => {
                trigger(key, connection, input).map(|r| r.map(|p| Output::Value(poll_json(p))).map_err(error_json))
            }
        }
    }

    fn ack_poll(&self, connection: &Connection, input: &str, poll_id: &str) -> Result<(), Value> {
        triggers::ack_poll(&wit_connection(connection), input, poll_id).map_err(error_json)
    }
}

/// `action`, `data_source` and `trigger`: the export with a manifest key, called; `None` for a
/// key the group does not have.
macro_rules! dispatchers {
    (actions: { $($a:literal => $af:ident),* $(,)? }
     data_sources: { $($d:literal => $df:ident),* $(,)? }
     triggers: { $($t:literal => $tf:ident),* $(,)? }) => {
        fn action(key: &str, c: &wit::Connection, input: &str) -> Option<Result<String, wit::Error>> {
            match key {
                $($a => Some(actions::$af(c, input)),)*
                _ => None,
            }
        }

        fn data_source(key: &str, c: &wit::Connection, input: &str)
            -> Option<Result<Vec<wit::PicklistItem>, wit::Error>> {
            match key {
                $($d => Some(data_sources::$df(c, input)),)*
                _ => None,
            }
        }

        fn trigger(key: &str, c: &wit::Connection, input: &str) -> Option<Result<wit::PollResult, wit::Error>> {
            match key {
                $($t => Some(triggers::$tf(c, input)),)*
                _ => None,
            }
        }
    };
}
crate::exports::for_each_export!(dispatchers);

fn wit_connection(connection: &Connection) -> wit::Connection {
    match connection.clone() {
        Connection::ApiKey { api_key, tenant } => wit::Connection::ApiKey(wit::ApiKeyConnection { api_key, tenant }),
        Connection::Oauth2 {
            grant,
            tenant,
            authorize_url,
            token_url,
            scopes,
            client_id,
            client_secret,
            access_token,
        } => wit::Connection::Oauth2(wit::Oauth2Connection {
            grant_type: match grant {
                Grant::AuthorizationCode => wit::GrantType::AuthorizationCode,
                Grant::ClientCredentials => wit::GrantType::ClientCredentials,
            },
            tenant,
            authorize_url,
            token_url,
            scopes,
            client_id,
            client_secret,
            access_token,
        }),
    }
}

/// The WIT `error` in the form `qlik-harness call` prints: `{"kind": case, ...fields}`.
fn error_json(error: wit::Error) -> Value {
    let qlik = |kind: &str, e: wit::QlikError| json!({"kind": kind, "status": e.status, "code": e.code, "title": e.title, "detail": e.detail, "traceId": e.trace_id});
    let message = |kind: &str, text: String| json!({"kind": kind, "message": text});
    match error {
        wit::Error::InvalidInput(e) => json!({"kind": "invalid-input", "input": e.input, "message": e.message}),
        wit::Error::Unauthorized(e) => qlik("unauthorized", e),
        wit::Error::Forbidden(e) => qlik("forbidden", e),
        wit::Error::NotFound(e) => qlik("not-found", e),
        wit::Error::Conflict(e) => qlik("conflict", e),
        wit::Error::RateLimited(r) => {
            let mut out = json!({"kind": "rate-limited", "retryAfterSeconds": r.retry_after_seconds});
            if let (Value::Object(out), Value::Object(fields)) = (&mut out, qlik("", r.error)) {
                out.extend(fields.into_iter().filter(|(k, _)| k != "kind"));
            }
            out
        }
        wit::Error::Api(e) => qlik("api", e),
        wit::Error::Timeout(text) => message("timeout", text),
        wit::Error::Transport(text) => message("transport", text),
        wit::Error::InvalidResponse(text) => message("invalid-response", text),
    }
}

fn picklist_json(items: Vec<wit::PicklistItem>) -> Value {
    items.into_iter().map(|item| json!({"key": item.key, "label": item.label})).collect()
}

/// A poll result, its records shown as the JSON they are (as `qlik-harness call` shows them).
fn poll_json(poll: wit::PollResult) -> Value {
    let changes = |changes: Vec<wit::Change>| -> Value {
        changes
            .into_iter()
            .map(|change| {
                let record = serde_json::from_str::<Value>(&change.record).unwrap_or(Value::String(change.record));
                json!({"dedupeKey": change.dedupe_key, "record": record})
            })
            .collect()
    };
    json!({
        "created": changes(poll.created),
        "updated": changes(poll.updated),
        "polledNoChanges": poll.polled_no_changes,
        "skipped": poll.skipped,
        "pollId": poll.poll_id,
    })
}
