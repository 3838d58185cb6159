//! The parsed incoming request every handler reads.

use bytes::Bytes;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// One request, with its body already read.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub method: Method,
    pub path: String,
    /// The raw query string, "" when there is none.
    pub raw_query: String,
    /// Decoded query pairs in order.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Trace id of this request (`x-request-id`, `traceId` in error bodies).
    pub trace_id: String,
    /// Which TCP connection carried it: 1 for the server's first, then counting (0 for a
    /// request refused before its connection was known). Shows a client's connection reuse.
    pub connection: u64,
}

impl Ctx {
    /// The origin the caller addressed: `X-Forwarded-Proto` + `Host` when a proxy (the harness's
    /// routing) forwarded the request, else `own` (the simulator's URL). Paging links use it,
    /// as a real tenant behind a proxy would.
    pub fn origin(&self, own: &str) -> String {
        let header = |name: &str| self.headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
        match (header("x-forwarded-proto"), header("host")) {
            (Some(proto @ ("http" | "https")), Some(host)) => format!("{proto}://{host}"),
            _ => own.to_string(),
        }
    }

    pub fn new(parts: http::request::Parts, body: Bytes, trace_id: String) -> Self {
        let raw_query = parts.uri.query().unwrap_or("").to_string();
        let query = url::form_urlencoded::parse(raw_query.as_bytes()).into_owned().collect();
        Ctx {
            method: parts.method,
            path: parts.uri.path().to_string(),
            raw_query,
            query,
            headers: parts.headers,
            body,
            trace_id,
            connection: 0,
        }
    }

    /// The path's segments after the leading `/`, each percent-decoded on its own (`/a/b%2Fc/`
    /// gives `a`, `b/c`, ``): an encoded `/` stays inside its segment. Bytes that do not decode
    /// to UTF-8 become U+FFFD, so they match no literal and no record.
    pub fn segments(&self) -> Vec<String> {
        self.path.split('/').skip(1).map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned()).collect()
    }

    /// The whole path percent-decoded (for matching faults posted with a decoded path).
    pub fn decoded_path(&self) -> String {
        percent_decode_str(&self.path).decode_utf8_lossy().into_owned()
    }

    /// A request refused for its size, as far as it is known: method and (the start of) the
    /// target; no headers, no body.
    pub fn rejected(rejection: &super::limits::Rejection, trace_id: String) -> Self {
        let (path, raw_query) = rejection.target.split_once('?').unwrap_or((&rejection.target, ""));
        Ctx {
            method: Method::from_bytes(rejection.method.as_bytes()).unwrap_or(Method::GET),
            path: path.to_string(),
            raw_query: raw_query.to_string(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            trace_id,
            connection: 0,
        }
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request declares a form-encoded body.
    pub fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The bearer token of the `Authorization` header.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }
}
