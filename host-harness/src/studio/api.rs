//! The page's JSON API: the manifest, the connection (redacted), and one component call per
//! Run, data-source load, trigger poll or acknowledgement, each with the requests the simulated
//! tenant received for it and the call's own duration measured here.
//!
//! - `GET /api/manifest`: the manifest (`manifest.get`), answered by the server from its copy.
//! - `GET /api/connection`, `POST /api/connection` (`{"simulated": true}` or `{"connection": {...}}`):
//!   the connection without its secrets, and how a command line passes them.
//! - `POST /api/run` and `POST /api/data-source` `{key, input}`; `POST /api/ack` `{key, input, pollId}`:
//!   `{"outcome": {"ok": ...} | {"error": ...}, "callMs", "requests", "state"?, "serverMs"}`
//!   (`callMs` the component call alone, `serverMs` the whole request here).
//! - `GET /api/trigger-state`: what the trigger keeps in the harness's storage.

use super::connection::secret_inputs;
use super::{sim_log, Studio};
use crate::Outcome;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// A status and a JSON body.
type Answer = (u16, Value);

fn refused(status: u16, message: &str) -> Answer {
    (status, json!({"error": {"kind": "studio", "message": message}}))
}

/// Answers one API request.
pub async fn handle(studio: &Studio, method: &str, path: &str, body: &[u8]) -> anyhow::Result<Answer> {
    let body = || -> Result<Map<String, Value>, Answer> {
        match serde_json::from_slice(body) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(refused(400, "the request body must be a JSON object")),
        }
    };
    Ok(match (method, path) {
        ("GET", "/api/connection") => (200, connection_view(studio).await),
        ("POST", "/api/connection") => match body() {
            Ok(body) => set_connection(studio, body).await?,
            Err(answer) => answer,
        },
        ("POST", "/api/run" | "/api/data-source" | "/api/ack") => match body() {
            Ok(body) => run(studio, path, body).await?,
            Err(answer) => answer,
        },
        ("GET", "/api/trigger-state") => (200, json!({"state": trigger_state(studio).await})),
        (_, path) if path.starts_with("/api/") => refused(404, "no such API route"),
        _ => refused(404, "not found"),
    })
}

/// The connection as the page may see it, and what a command line for it needs.
async fn connection_view(studio: &Studio) -> Value {
    let current = studio.current.read().await;
    let secrets = secret_inputs(studio.manifest());
    let mut view = current.connection.redacted(&secrets);
    view["simulatorAvailable"] = json!(studio.options.simulated.is_some());
    view["requestLog"] = json!(current.sim_base.is_some());
    view["cli"] = json!({
        "connection": current.connection.shell_argument(&secrets),
        "flags": studio.options.cli_flags,
        "variables": current.connection.variables(&secrets),
    });
    view
}

async fn set_connection(studio: &Studio, body: Map<String, Value>) -> anyhow::Result<Answer> {
    let secrets = secret_inputs(studio.manifest());
    let connection = if body.get("simulated") == Some(&json!(true)) {
        match &studio.options.simulated {
            Some(simulated) => simulated.clone(),
            None => return Ok(refused(400, "this studio was started with --connection: no simulated tenant")),
        }
    } else {
        let Some(Value::Object(entered)) = body.get("connection") else {
            return Ok(refused(400, "give {\"simulated\": true} or {\"connection\": {...}}"));
        };
        let connection = studio.current.read().await.connection.entered(entered.clone(), &secrets);
        // The message names the problem, never a value (it may be a secret).
        if let Err(error) = crate::values::connection(connection.value()) {
            return Ok(refused(400, &format!("connection: {error}")));
        }
        connection
    };
    studio.set_connection(connection).await?;
    Ok((200, connection_view(studio).await))
}

/// One component call: a Run of an action or trigger, a data source's items, or an ack.
async fn run(studio: &Studio, path: &str, body: Map<String, Value>) -> anyhow::Result<Answer> {
    let received = Instant::now();
    let Some(key) = body.get("key").and_then(Value::as_str) else {
        return Ok(refused(400, "`key` must name an export"));
    };
    let input = body.get("input").cloned().unwrap_or_else(|| json!({}));
    if !input.is_object() {
        return Ok(refused(400, "`input` must be a JSON object"));
    }
    let Some(group) = export_group(studio.manifest(), key) else {
        return Ok(refused(400, "no export has that key"));
    };
    let expected = match path {
        "/api/data-source" => "dataSources",
        "/api/ack" => "triggers",
        _ if group == "dataSources" => "dataSources",
        _ => group,
    };
    if group != expected {
        return Ok(refused(400, "that export is not of the kind this route calls"));
    }
    let (harness, connection, sim_base) = {
        let current = studio.current.read().await;
        (current.harness.clone(), current.connection.value().clone(), current.sim_base.clone())
    };
    let known = studio.log_mark.load(std::sync::atomic::Ordering::Relaxed);
    let mark = match &sim_base {
        Some(base) => Some(sim_log::mark(base, known).await?),
        None => None,
    };
    let started = Instant::now();
    let outcome = if path == "/api/ack" {
        let Some(poll_id) = body.get("pollId").and_then(Value::as_str) else {
            return Ok(refused(400, "`pollId` must be the poll's id"));
        };
        harness.ack_poll(&connection, &input, poll_id).await?
    } else {
        harness.call(key, &connection, &input).await?
    };
    let call_ms = started.elapsed().as_secs_f64() * 1000.0;
    let requests = match (&sim_base, mark) {
        (Some(base), Some(mark)) => {
            let (requests, newest) = sim_log::since(base, mark).await?;
            studio.log_mark.fetch_max(newest, std::sync::atomic::Ordering::Relaxed);
            json!(requests)
        }
        _ => Value::Null,
    };
    let outcome = match outcome {
        Outcome::Ok(value) => json!({"ok": value}),
        Outcome::Err(error) => json!({"error": error}),
    };
    let mut answer = json!({"outcome": outcome, "callMs": call_ms, "requests": requests});
    if group == "triggers" {
        answer["state"] = trigger_state(studio).await;
    }
    answer["serverMs"] = json!(received.elapsed().as_secs_f64() * 1000.0);
    Ok((200, answer))
}

/// `actions`, `dataSources` or `triggers`: the manifest group holding `key`.
fn export_group(manifest: &Value, key: &str) -> Option<&'static str> {
    ["actions", "dataSources", "triggers"]
        .into_iter()
        .find(|group| manifest[*group].as_array().into_iter().flatten().any(|e| e["key"] == key || e["witName"] == key))
}

/// The trigger's state documents (`trigger/...` keys of the component's `default` bucket), with
/// the tenant origin and resource type their keys encode. Other keys (cached tokens) are never
/// read out.
async fn trigger_state(studio: &Studio) -> Value {
    let harness = studio.current.read().await.harness.clone();
    let Ok(bucket) = harness.kv().load("default") else { return json!([]) };
    let documents: Vec<Value> = bucket
        .iter()
        .filter(|(key, _)| key.starts_with("trigger/"))
        .map(|(key, bytes)| {
            let parts: Vec<&str> = key.split('/').collect();
            let decoded = |i: usize| parts.get(i).map(|p| unhex(p).unwrap_or_else(|| p.to_string()));
            let document = serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
            json!({"key": key, "tenant": decoded(2), "resourceType": decoded(3), "document": document})
        })
        .collect();
    json!(documents)
}

/// Hex text decoded as UTF-8, when it is that.
fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}
