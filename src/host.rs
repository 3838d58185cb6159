//! What the component needs from its host, as a trait: HTTP, a clock, sleep, randomness and
//! storage. The wasm build implements it on WASI (`wasi_host`); native tests use a fake, so all
//! client logic is unit-tested without the component model.

use crate::retry::Method;
use std::time::Duration;

/// One HTTP request, fully built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
    /// Timeouts for this request.
    pub timeouts: Timeouts,
}

/// Per-request timeouts (connector.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Time to connect.
    pub connect: Duration,
    /// Time to the first response byte.
    pub first_byte: Duration,
    /// Time between two body chunks.
    pub between_bytes: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(60),
            between_bytes: Duration::from_secs(30),
        }
    }
}

/// The largest response body the component reads (32 MiB).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// One HTTP response, body read whole (within [`MAX_RESPONSE_BYTES`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers with lowercase names.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
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
    /// A timeout fired (connect, first byte or between bytes).
    Timeout(String),
    /// The connection could not be made or broke; safe to retry for idempotent methods.
    Connection(String),
    /// The response was larger than [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// Anything else (the host refused the request, a protocol error).
    Other(String),
}

/// Host services the component uses.
pub trait Host {
    /// Sends one request and reads the whole response.
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, SendError>;
    /// Blocks for `duration`.
    fn sleep(&mut self, duration: Duration);
    /// Wall clock, Unix seconds.
    fn now_unix_secs(&self) -> u64;
    /// A random number in [0, 1).
    fn random_unit(&mut self) -> f64;
    /// Reads a value from host storage.
    fn store_get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Writes a value to host storage; an error is described by the string.
    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), String>;
}
