//! The simulator's own response type, recorded in the request log before it becomes a
//! hyper response.

use bytes::Bytes;
use http::StatusCode;

/// A response: status, headers (lowercase names) and body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Reply {
    /// A JSON body with `content-type: application/json`.
    pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        Reply::bytes(status, "application/json", body)
    }

    /// A body of the given content type.
    pub fn bytes(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply { status, headers: vec![("content-type".into(), content_type.into())], body: body.into() }
    }

    /// No body at all (204, for example).
    pub fn empty(status: StatusCode) -> Self {
        Reply { status, headers: Vec::new(), body: Bytes::new() }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_header(name, value);
        self
    }

    /// Sets a header, replacing an earlier value of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
    }
}
