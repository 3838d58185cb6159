//! Qlik error bodies. Each API shapes its `errors[]` items a little differently (see
//! qlik-api.md "Errors" and the OpenAPI documents); this module is the one place that knows how.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::reply::Reply;

/// Which API a path belongs to, deciding the error body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// items `{code, title, detail, meta.source}`, top-level `traceId`.
    Spaces,
    /// items `{code, title, detail, status: number, source}`, top-level `traceId`.
    Users,
    /// items `{code, title, detail, status: string}`, no `traceId`.
    OAuth,
    // apps and items
    /// items `{code, title, detail}`, no `traceId` (it travels as `X-B3-Traceid`).
    Items,

    // data files
    /// items `{code, title, detail}`, no `traceId` (the schema allows nothing else).
    DataFiles,
    // data stores, data assets, data sets
    /// items `{code, title, detail, status: string}`, top-level `traceId`.
    DataStores,
    // reports
    /// items `{code: "REP-<status><nnn>", title, detail}`, no `traceId`.
    Reports,
    // reloads
    /// items `{code: "RELOADS-xxx", title, detail}`, no `traceId` (reloads.json `Errors`).
    Reloads,
    /// anything else: items `{code, title, detail}`, top-level `traceId`.
    Other,
}

impl Api {
    /// The API a request path belongs to.
    pub fn of_path(path: &str) -> Api {
        if path.starts_with("/api/v1/spaces") {
            Api::Spaces
        } else if path.starts_with("/api/v1/users") {
            Api::Users
        } else if path.starts_with("/oauth/") {
            Api::OAuth
        // apps and items
        } else if path.starts_with("/api/v1/items") {
            Api::Items

        // data files
        } else if path.starts_with("/api/v1/data-files") {
            Api::DataFiles
        // data stores, data assets, data sets
        } else if ["/api/v1/data-stores", "/api/v1/data-assets", "/api/v1/data-sets"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            Api::DataStores
        // reports
        } else if path.starts_with("/api/v1/reports") {
            Api::Reports
        // reloads
        } else if path == "/api/v1/reloads" || path.starts_with("/api/v1/reloads/") {
            Api::Reloads
        } else {
            Api::Other
        }
    }
}

/// A failed request, before it is shaped for its API.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub title: String,
    pub detail: String,
    /// Rarely set parts, boxed to keep `Result<_, ApiError>` small.
    extra: Option<Box<Extra>>,
}

/// Where the error came from, and headers to send with it.
#[derive(Debug, Clone, Default)]
struct Extra {
    /// The query parameter at fault.
    parameter: Option<String>,
    /// A JSON pointer into the request body at fault.
    pointer: Option<String>,
    /// Extra headers (Allow, WWW-Authenticate, Retry-After).
    headers: Vec<(String, String)>,
}

impl ApiError {
    /// Code `HTTP-<status>`, title the status's reason phrase.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code: format!("HTTP-{}", status.as_u16()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, detail).header("www-authenticate", "Bearer")
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }

    /// Replaces the code and title.
    pub fn coded(mut self, code: &str, title: &str) -> Self {
        self.code = code.to_string();
        self.title = title.to_string();
        self
    }

    pub fn param(mut self, name: &str) -> Self {
        self.extra_mut().parameter = Some(name.to_string());
        self
    }

    pub fn pointer(mut self, pointer: &str) -> Self {
        self.extra_mut().pointer = Some(pointer.to_string());
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extra_mut().headers.push((name.to_string(), value.into()));
        self
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// The error body for `api`.
    pub fn body(&self, api: Api, trace_id: &str) -> Value {
        let mut item = Map::new();
        item.insert("code".into(), json!(self.code));
        item.insert("title".into(), json!(self.title));
        item.insert("detail".into(), json!(self.detail));
        let source = self.source();
        match api {
            Api::Spaces => {
                if let Some(source) = source {
                    item.insert("meta".into(), json!({ "source": source }));
                }
            }
            Api::Users => {
                item.insert("status".into(), json!(self.status.as_u16()));
                if let Some(source) = source {
                    item.insert("source".into(), source);
                }
            }
            Api::OAuth => {
                item.insert("status".into(), json!(self.status.as_u16().to_string()));
            }
            // data stores, data assets, data sets
            Api::DataStores => {
                item.insert("status".into(), json!(self.status.as_u16().to_string()));
            }
            Api::Reports => {
                if self.code.starts_with("HTTP-") {
                    item.insert("code".into(), json!(format!("REP-{}000", self.status.as_u16())));
                }
            }
            // reloads
            Api::Reloads => {
                if let Some(code) = self.code.strip_prefix("HTTP-").and_then(reloads_code) {
                    item.insert("code".into(), json!(code));
                }
            }
            Api::DataFiles | Api::Items | Api::Other => {}
        }
        let mut body = Map::new();
        body.insert("errors".into(), Value::Array(vec![Value::Object(item)]));
        if !matches!(api, Api::OAuth | Api::DataFiles | Api::Items | Api::Reports | Api::Reloads) {
            body.insert("traceId".into(), json!(trace_id));
        }
        Value::Object(body)
    }

    fn source(&self) -> Option<Value> {
        let extra = self.extra.as_deref()?;
        let mut source = Map::new();
        if let Some(p) = &extra.parameter {
            source.insert("parameter".into(), json!(p));
        }
        if let Some(p) = &extra.pointer {
            source.insert("pointer".into(), json!(p));
        }
        (!source.is_empty()).then_some(Value::Object(source))
    }

    /// The complete response for `api`.
    pub fn reply(&self, api: Api, trace_id: &str) -> Reply {
        let mut reply = Reply::json(self.status, &self.body(api, trace_id));
        if api == Api::Items {
            reply.set_header("x-b3-traceid", trace_id);
        }
        for (name, value) in self.extra.iter().flat_map(|e| &e.headers) {
            reply.set_header(name, value.clone());
        }
        reply
    }
}

/// The `RELOADS-xxx` code of a generic `HTTP-<status>` error on the reloads API (reloads.json:
/// codes `RELOADS-001` to `RELOADS-013`; 003 is documented as "forbidden", 013 as the reload
/// quota; 004 (not found) and 007 (pending reload) as Qlik answers them; the others are the
/// simulator's choice).
fn reloads_code(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => "RELOADS-001",
        "401" => "RELOADS-002",
        "403" => "RELOADS-003",
        "404" => "RELOADS-004",
        "500" => "RELOADS-005",
        "409" => "RELOADS-008",
        _ => return None,
    })
}

/// The platform's 429 body and `Retry-After`, identical for every API.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Reply {
    let body = json!({ "errors": [{
        "code": "HTTP-429",
        "title": "Too Many Requests",
        "detail": format!("Rate limit exceeded. Retry after {retry_after_secs} seconds."),
    }]});
    Reply::json(StatusCode::TOO_MANY_REQUESTS, &body).with_header("retry-after", retry_after_secs.to_string())
}
