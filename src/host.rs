//! What the component needs from its host, as a trait: HTTP, a clock, sleep, randomness and
//! storage. The wasm build implements it on WASI (`wasi_host`); native tests use a fake, so all
//! client logic is unit-tested without the component model.

use std::time::Duration;

/// HTTP methods the connector sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// The method's name as sent on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// True for methods that may be repeated safely: GET, HEAD, PUT, DELETE, OPTIONS.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    /// Parses a method name, case-insensitively (`"get"` → [`Method::Get`]).
    pub fn parse(s: &str) -> Option<Method> {
        const ALL: [Method; 7] =
            [Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Options];
        ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// One HTTP request, fully built; it borrows its URL and body so retries copy nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    /// What to do.
    pub method: Method,
    /// Absolute `http(s)` URL, already percent-encoded.
    pub url: &'a str,
    /// Header names (lowercase) and values; `content-length` is set by the client for a body.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<&'a [u8]>,
    /// Timeouts for this request.
    pub timeouts: Timeouts,
}

/// Per-request timeouts (connector.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to connect (nothing reached the tenant when it fires, so it may be retried).
    pub connect: Duration,
    /// Time to the first response byte.
    pub first_byte: Duration,
    /// Time between two body chunks.
    pub between_bytes: Duration,
    /// Deadline for the whole exchange (sending, headers and the whole body), so a tenant that
    /// drips its answer cannot hold a call for ever.
    pub total: Duration,
}

impl Default for Timeouts {
    /// Connect 10 s, first byte 60 s, between bytes 30 s, whole exchange 5 minutes.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(60),
            between_bytes: Duration::from_secs(30),
            total: Duration::from_secs(300),
        }
    }
}

/// The largest response body the component reads (32 MiB).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// One HTTP response, body read whole (within [`MAX_RESPONSE_BYTES`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Headers with lowercase names, in the order received.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Connecting timed out: nothing reached the tenant, so it may be retried.
    ConnectTimeout(String),
    /// A timeout after the request went out (first byte, between bytes, the whole exchange).
    Timeout(String),
    /// The connection could not be made or broke; safe to retry for idempotent methods.
    Connection(String),
    /// The response was larger than [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// Anything else (the host refused the request, a protocol error); final.
    Other(String),
}

/// A storage failure: the host's store could not be read or written. Never the same as "no
/// value stored".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// Host services the component uses.
pub trait Host {
    /// Sends one request and reads the whole response.
    fn send(&mut self, request: &HttpRequest<'_>) -> Result<HttpResponse, SendError>;
    /// Blocks for `duration`.
    fn sleep(&mut self, duration: Duration);
    /// Wall clock, Unix milliseconds.
    fn now_unix_millis(&self) -> u64;
    /// Fills `buf` with random bytes.
    fn random_bytes(&mut self, buf: &mut [u8]);
    /// Reads a value from host storage: `Ok(None)` when nothing is stored under `key`.
    fn store_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes a value to host storage.
    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes a value from host storage (no error when there was none).
    fn store_delete(&mut self, key: &str) -> Result<(), StoreError>;
    /// A shorter deadline for each whole exchange than the component's default, when the host
    /// operator set one (it can only shorten it).
    fn request_deadline_cap(&self) -> Option<Duration> {
        None
    }
}

/// The environment variable through which a host shortens each request's whole-exchange
/// deadline, in milliseconds (hosts pass it to the component's WASI environment).
pub const DEADLINE_ENV: &str = "QLIK_CONNECTOR_REQUEST_DEADLINE_MS";

/// Reads a [`DEADLINE_ENV`] value: whole milliseconds, at least 1.
pub fn parse_deadline_cap(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().filter(|ms| *ms > 0).map(Duration::from_millis)
}

/// Wall clock in Unix seconds.
pub fn now_unix_secs(host: &dyn Host) -> u64 {
    host.now_unix_millis() / 1000
}

/// A uniformly random number in `[0, 1)`, from 53 random bits.
pub fn random_unit(host: &mut dyn Host) -> f64 {
    let mut bytes = [0u8; 8];
    host.random_bytes(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Storage keys use only `[-/_=.a-zA-Z0-9]`, the characters every keyvalue backend accepts
/// (NATS KV's rule is the strictest); this encodes any text into them as lowercase hex.
pub fn key_segment(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Whether a storage key is made only of `[-/_=.a-zA-Z0-9]`.
pub fn is_portable_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-/_=.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_table() {
        let cases = [
            (Method::Get, "GET", true),
            (Method::Head, "HEAD", true),
            (Method::Post, "POST", false),
            (Method::Put, "PUT", true),
            (Method::Patch, "PATCH", false),
            (Method::Delete, "DELETE", true),
            (Method::Options, "OPTIONS", true),
        ];
        for (m, name, idem) in cases {
            assert_eq!(m.as_str(), name);
            assert_eq!(m.is_idempotent(), idem, "{name}");
            assert_eq!(Method::parse(name), Some(m));
            assert_eq!(Method::parse(&name.to_lowercase()), Some(m));
        }
        assert_eq!(Method::parse("Patch"), Some(Method::Patch));
        assert_eq!(Method::parse("TRACE"), None);
        assert_eq!(Method::parse(""), None);
        assert_eq!(Method::parse(" GET"), None);
    }

    #[test]
    fn deadline_caps_are_whole_positive_milliseconds() {
        assert_eq!(parse_deadline_cap(" 1500 "), Some(Duration::from_millis(1500)));
        for bad in ["", "0", "-5", "1.5", "soon"] {
            assert_eq!(parse_deadline_cap(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn key_segments_are_portable() {
        for text in ["https://acme.eu.qlikcloud.com:8443", "client id/with:odd chars", "ü", ""] {
            let key = format!("oauth-token/v2/{}", key_segment(text));
            assert!(is_portable_key(&key), "{key}");
        }
        assert_eq!(key_segment("a:"), "613a");
        assert!(!is_portable_key("oauth-token/https://x"));
        assert!(!is_portable_key(""));
    }
}
