//! The request log behind `/__sim/requests`, with credentials masked.

use http::HeaderMap;
use serde_json::{json, Map, Value};

use super::faults::Fault;
use super::reply::Reply;
use super::request::Ctx;

/// Body fields and query parameters whose values are replaced by `***`.
const SECRET_FIELDS: &[&str] =
    &["client_secret", "access_token", "refresh_token", "password", "token", "client_assertion", "code_verifier"];
/// Headers whose values are masked whole; `authorization` keeps its scheme word.
const SECRET_HEADERS: &[&str] = &["cookie", "set-cookie", "x-api-key", "x-qlik-session"];
const MASK: &str = "***";

#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    request: Map<String, Value>,
    response: Logged,
}

/// A response as logged. The body is kept as sent and parsed only when the log is read, so
/// logging costs a page of records nothing while it is served.
#[derive(Debug, Clone)]
enum Logged {
    /// Not answered yet.
    Pending,
    /// The connection was dropped instead.
    Dropped,
    Answered {
        status: u16,
        headers: Vec<(String, String)>,
        body: bytes::Bytes,
        /// Time from the request's arrival (its body read) to its response being ready, µs.
        micros: u64,
    },
}

impl Logged {
    fn to_json(&self) -> Value {
        match self {
            Logged::Pending => Value::Null,
            Logged::Dropped => json!({ "status": 0, "headers": {}, "body": null }),
            Logged::Answered { status, headers, body, micros } => json!({
                "status": status,
                "headers": headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<Map<_, _>>(),
                "body": body_value(body, false),
                "micros": micros,
            }),
        }
    }
}

/// Every tenant request in arrival order; the response is filled in when it is known.
#[derive(Debug, Default, Clone)]
pub(crate) struct RequestLog {
    last_seq: u64,
    entries: Vec<Entry>,
}

impl RequestLog {
    /// Records a request as it arrives; returns its sequence number (from 1, never reused
    /// until `/__sim/reset`).
    pub fn begin(&mut self, ctx: &Ctx) -> u64 {
        self.last_seq += 1;
        let mut request = Map::new();
        request.insert("method".into(), json!(ctx.method.as_str()));
        request.insert("path".into(), json!(ctx.path));
        request.insert("query".into(), json!(mask_query(&ctx.raw_query)));
        request.insert("headers".into(), Value::Object(mask_headers(&ctx.headers)));
        let body = super::form_data::logged(ctx).unwrap_or_else(|| body_value(&ctx.body, ctx.is_form()));
        request.insert("body".into(), body);
        request.insert("connection".into(), json!(ctx.connection));
        self.entries.push(Entry { seq: self.last_seq, request, response: Logged::Pending });
        self.last_seq
    }

    /// Notes on request `seq` the fault injected into it (as `fault`), so readers of the log
    /// know its response was corrupted on purpose.
    pub fn note_fault(&mut self, seq: u64, fault: &Fault) {
        let Ok(index) = self.entries.binary_search_by_key(&seq, |e| e.seq) else { return };
        let fault = serde_json::to_value(fault).unwrap_or(Value::Null);
        self.entries[index].request.insert("fault".into(), fault);
    }

    /// Stores the response of request `seq`, which arrived at `arrived`; `None` means the
    /// connection was dropped.
    pub fn finish(&mut self, seq: u64, reply: Option<&Reply>, arrived: std::time::Instant) {
        let Ok(index) = self.entries.binary_search_by_key(&seq, |e| e.seq) else {
            return;
        };
        self.entries[index].response = match reply {
            Some(reply) => Logged::Answered {
                status: reply.status.as_u16(),
                headers: reply.headers.clone(),
                body: reply.body.clone(),
                micros: arrived.elapsed().as_micros() as u64,
            },
            None => Logged::Dropped,
        };
    }

    /// Empties the log; returns how many entries were removed.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.entries).len()
    }

    /// The entries whose `seq` is above `after` (0: all).
    pub fn to_json(&self, after: u64) -> Value {
        let first = self.entries.partition_point(|e| e.seq <= after);
        let requests: Vec<Value> = self.entries[first..]
            .iter()
            .map(|e| {
                let mut item = Map::new();
                item.insert("seq".into(), json!(e.seq));
                item.extend(e.request.clone());
                item.insert("response".into(), e.response.to_json());
                Value::Object(item)
            })
            .collect();
        json!({ "requests": requests })
    }
}

fn mask_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        out.insert(name.as_str().to_string(), json!(mask_header(name.as_str(), &joined)));
    }
    out
}

fn mask_header(name: &str, value: &str) -> String {
    if name == "authorization" || name == "proxy-authorization" {
        match value.trim().split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {MASK}"),
            None => MASK.to_string(),
        }
    } else if SECRET_HEADERS.contains(&name) {
        MASK.to_string()
    } else {
        value.to_string()
    }
}

/// The body as logged: parsed JSON, else (masked) text, else null when empty.
fn body_value(bytes: &[u8], form: bool) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if form {
        return json!(mask_form(&String::from_utf8_lossy(bytes)));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            mask_json(&mut value);
            value
        }
        Err(_) => json!(String::from_utf8_lossy(bytes)),
    }
}

/// Masks secret fields of a JSON value.
pub(crate) fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => map.iter_mut().for_each(|(key, v)| {
            if SECRET_FIELDS.contains(&key.as_str()) {
                *v = json!(MASK);
            } else {
                mask_json(v);
            }
        }),
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

fn mask_form(text: &str) -> String {
    let pairs = url::form_urlencoded::parse(text.as_bytes());
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        let value = if SECRET_FIELDS.contains(&key.as_ref()) { MASK.into() } else { value };
        out.append_pair(&key, &value);
    }
    out.finish()
}

/// The raw query, re-encoded with masked values only when it holds a secret parameter.
fn mask_query(raw: &str) -> String {
    let has_secret = url::form_urlencoded::parse(raw.as_bytes()).any(|(k, _)| SECRET_FIELDS.contains(&k.as_ref()));
    if has_secret {
        mask_form(raw)
    } else {
        raw.to_string()
    }
}
