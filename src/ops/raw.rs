//! rawRequest (connector.md §8): checks the URL, headers and body before anything is sent,
//! applies the action's own retry policy and timeout, and returns status, headers and data.

use crate::client::{Body, Client};
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::inputs::Inputs;
use crate::multipart::{self, file_input, Part};
use crate::retry::{Backoff, RetryOn, RetryPolicy, BACKOFF_BASE, BACKOFF_CAP, MIN_COMPUTED_WAIT};
use crate::uri::Uri;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Most waiting between rawRequest retries in one call.
const MAX_TOTAL_WAIT: Duration = Duration::from_secs(120);

/// Headers a user may not set: hop-by-hop and framing headers the HTTP layer owns (wasi:http
/// refuses them).
const FORBIDDEN_HEADERS: &[&str] = &[
    "connection",
    "content-length",
    "expect",
    "host",
    "http2-settings",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Runs rawRequest.
pub fn run(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let url = target(client, inputs)?;
    let method = inputs.str("method").and_then(Method::parse).ok_or_else(|| invalid("method", "unknown method"))?;
    let response_type = inputs.str("responseType").unwrap_or("json");
    let mut headers = user_headers(inputs)?;
    if response_type != "json" && !headers.iter().any(|(n, _)| n == "accept") {
        headers.push(("accept".into(), "*/*".into()));
    }
    let body = body(client, inputs)?;
    client.policy = policy(inputs);
    if let Some(ms) = inputs.int("timeout") {
        let timeout = Duration::from_millis(ms.max(1) as u64);
        client.timeouts.first_byte = timeout;
        client.timeouts.total = client.timeouts.total.min(timeout);
    }
    let response = client.send_raw(method, &url, &headers, body.as_ref())?;
    let mut out_headers = Map::new();
    for (name, value) in &response.headers {
        let joined = match out_headers.get(name).and_then(Value::as_str) {
            Some(earlier) => format!("{earlier}, {value}"),
            None => value.clone(),
        };
        out_headers.insert(name.clone(), Value::String(joined));
    }
    let data = match response_type {
        "binary" => json!({
            "base64": base64::engine::general_purpose::STANDARD.encode(&response.body),
            "contentType": response.header("content-type").unwrap_or("application/octet-stream"),
        }),
        "text" => Value::String(String::from_utf8_lossy(&response.body).into_owned()),
        _ => match crate::client::parse_json_body(&response) {
            Ok(value) => value,
            Err(_) if response.status >= 300 => Value::String(String::from_utf8_lossy(&response.body).into_owned()),
            Err(e) => return Err(e),
        },
    };
    let out = json!({"status": response.status, "headers": out_headers, "data": data});
    Ok(redact(out, &client.secrets()))
}

fn invalid(input: &str, why: &str) -> ConnectorError {
    ConnectorError::invalid(input, format!("{input}: {why}"))
}

/// The absolute URL: a path joined to `<origin>/api/v1`, or an absolute URL on the tenant
/// origin; anything else (another host or scheme, `//host`) is refused. Query params are added.
fn target(client: &Client<'_>, inputs: &Inputs) -> Result<String> {
    let raw = inputs.str("url").unwrap_or_default().trim();
    let scheme = raw.find(':').map(|i| &raw[..i]).filter(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    });
    let text = if raw.starts_with("//") || raw.starts_with("\\\\") || raw.starts_with("/\\") {
        return Err(invalid("url", "a URL without a scheme (//host) is not allowed; give a path or a tenant URL"));
    } else if scheme.is_some() {
        if !client.on_tenant(raw) {
            return Err(invalid("url", "only the tenant's own host (same scheme and port) may be called"));
        }
        raw.to_string()
    } else {
        client.api_url(&format!("/{}", raw.trim_start_matches('/')))
    };
    let mut uri = Uri::parse_absolute(&text).map_err(|e| invalid("url", &e.to_string()))?;
    uri.fragment = None;
    let query = inputs.pairs("queryParams");
    if !query.is_empty() {
        uri.append_query_pairs(&query);
    }
    let url = uri.to_string();
    if !client.on_tenant(&url) {
        return Err(invalid("url", "only the tenant's own host may be called"));
    }
    Ok(url)
}

/// The user's headers, lowercase; `Authorization` and `Content-Type` are dropped (the
/// connection's and the body's win); forbidden or malformed ones are refused.
fn user_headers(inputs: &Inputs) -> Result<Vec<(String, String)>> {
    let token =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    let mut out = Vec::new();
    for (name, value) in inputs.pairs("headers") {
        let name = name.trim().to_ascii_lowercase();
        if !token(&name) || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(invalid("headers", &format!("header {name:?} is not a valid HTTP header")));
        }
        if FORBIDDEN_HEADERS.contains(&name.as_str()) {
            return Err(invalid("headers", &format!("the header {name} cannot be set")));
        }
        if !matches!(name.as_str(), "authorization" | "content-type") {
            out.push((name, value.trim().to_string()));
        }
    }
    Ok(out)
}

/// `data` as JSON or text, or `formData` + `fileData` as multipart; not both.
fn body(client: &mut Client<'_>, inputs: &Inputs) -> Result<Option<Body>> {
    let (form, files, names) = (inputs.pairs("formData"), inputs.pairs("fileData"), inputs.pairs("fileDataFileNames"));
    if let Some(data) = inputs.get("data") {
        if !form.is_empty() || !files.is_empty() {
            return Err(invalid("data", "give Data or Form/File Data, not both"));
        }
        return Ok(Some(match data {
            Value::String(text) => {
                Body { content_type: "text/plain; charset=utf-8".into(), bytes: text.clone().into_bytes() }
            }
            json => Body::json(json),
        }));
    }
    if let Some((key, _)) = names.iter().find(|(key, _)| !files.iter().any(|(f, _)| f == key)) {
        return Err(invalid("fileDataFileNames", &format!("{key} names no File Data entry")));
    }
    if form.is_empty() && files.is_empty() {
        return Ok(None);
    }
    let mut decoded = Vec::with_capacity(files.len());
    for (key, value) in &files {
        let parsed = match serde_json::from_str::<Value>(value) {
            Ok(object @ Value::Object(_)) => object,
            _ => Value::String(value.clone()),
        };
        let file = file_input(&parsed, "fileData")?;
        let filename = names.iter().find(|(k, _)| k == key).map_or(key.as_str(), |(_, n)| n.as_str());
        decoded.push((key.as_str(), filename, file));
    }
    let mut parts: Vec<Part<'_>> =
        form.iter().map(|(k, v)| Part { name: k, filename: None, content_type: None, bytes: v.as_bytes() }).collect();
    parts.extend(decoded.iter().map(|(key, filename, file)| Part {
        name: key,
        filename: Some(filename),
        content_type: Some(file.content_type.as_deref().unwrap_or("application/octet-stream")),
        bytes: &file.bytes,
    }));
    Ok(Some(multipart::form(client.host(), &parts)))
}

/// rawRequest's own retries: `maxRetries` on 5xx and connection failures (any error with
/// `retryAllErrors`), waiting `retryDelayMS` or, with `useExponentialBackoff`, exponentially
/// from 500 ms (full jitter, never under 50 ms, at most 8 s); `Retry-After` always wins.
pub fn policy(inputs: &Inputs) -> RetryPolicy {
    RetryPolicy {
        max_retries: inputs.int("maxRetries").unwrap_or(0).clamp(0, 10) as u32,
        max_total_wait: MAX_TOTAL_WAIT,
        retry_on: if inputs.flag("retryAllErrors") { RetryOn::AnyError } else { RetryOn::ServerErrors },
        backoff: if inputs.flag("useExponentialBackoff") {
            Backoff::Exponential { base: BACKOFF_BASE, cap: BACKOFF_CAP, floor: MIN_COMPUTED_WAIT }
        } else {
            Backoff::Fixed(Duration::from_millis(inputs.int("retryDelayMS").unwrap_or(0).max(0) as u64))
        },
    }
}

/// The output with every secret of the call replaced by `***` (a tenant may echo one).
fn redact(out: Value, secrets: &[&str]) -> Value {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 6).collect();
    let text = out.to_string();
    if !secrets.iter().any(|s| text.contains(s)) {
        return out;
    }
    let clean = secrets.iter().fold(text, |text, secret| text.replace(secret, "***"));
    serde_json::from_str(&clean).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{resolve, Connection, Secret};
    use crate::fake_host::FakeHost;
    use crate::table::find;

    fn call(host: &mut FakeHost, input: Value) -> Result<Value> {
        let spec = find("rawRequest").unwrap();
        let inputs = crate::inputs::validate(spec, &input.to_string())?;
        let resolved =
            resolve(&Connection::ApiKey { api_key: Secret("KEY-123456".into()), tenant: "http://127.0.0.1:9".into() })
                .unwrap();
        let mut client = Client::new(host, resolved);
        run(&mut client, &inputs)
    }

    #[test]
    fn exponential_waits_are_never_zero_and_capped() {
        let mut host = FakeHost::default();
        for _ in 0..10 {
            host.answer(503, &[], "");
        }
        host.answer(200, &[], "{}");
        let out = call(
            &mut host,
            json!({"url": "/spaces", "method": "GET", "maxRetries": 10, "useExponentialBackoff": true}),
        )
        .unwrap();
        assert_eq!(out["status"], 200);
        assert_eq!(host.sent.len(), 11);
        assert_eq!(host.slept.len(), 10);
        assert!(host.slept.iter().all(|w| *w >= MIN_COMPUTED_WAIT && *w <= BACKOFF_CAP), "{:?}", host.slept);
        // The fake's jitter is 0.5: half of 500 ms doubling, capped at 8 s.
        assert_eq!(host.slept[0], Duration::from_millis(250));
        assert_eq!(host.slept[9], Duration::from_secs(4));
    }

    #[test]
    fn fixed_delay_and_retry_on_any_error() {
        let mut host = FakeHost::default();
        host.answer(400, &[], "").answer(200, &[], "{}");
        let input =
            json!({"url": "/spaces", "method": "POST", "maxRetries": 1, "retryDelayMS": 700, "retryAllErrors": true});
        assert_eq!(call(&mut host, input).unwrap()["status"], 200);
        assert_eq!(host.slept, [Duration::from_millis(700)]);
        let mut host = FakeHost::default();
        host.answer(400, &[], r#"{"errors":[{"code":"X","title":"Bad"}]}"#);
        let input = json!({"url": "/spaces", "method": "POST", "maxRetries": 3});
        assert!(matches!(call(&mut host, input), Err(ConnectorError::Api(_))));
        assert_eq!(host.sent.len(), 1, "a 400 is retried only with retryAllErrors");
    }

    #[test]
    fn the_timeout_replaces_first_byte_and_bounds_the_exchange() {
        let mut host = FakeHost::default();
        host.answer(200, &[], "{}");
        call(&mut host, json!({"url": "spaces", "method": "GET", "timeout": 2000})).unwrap();
        assert_eq!(host.sent[0].timeouts.first_byte, Duration::from_secs(2));
        assert_eq!(host.sent[0].timeouts.total, Duration::from_secs(2));
        assert_eq!(host.sent[0].url, "http://127.0.0.1:9/api/v1/spaces");
    }
}
