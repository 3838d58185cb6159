//! A minimal HTTP/1.1 client for the simulated tenant (its control API under `/__sim/`, and
//! raw tenant requests in tests and the benchmark): loopback only, one request per connection.

use anyhow::{bail, Context as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (de-chunked; cut to `Content-Length`).
    pub body: Vec<u8>,
    /// False when fewer bytes arrived than `Content-Length` declared.
    pub complete: bool,
}

impl RawResponse {
    /// The first header with this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (`Connection: close`) with extra headers and a body. `Ok(None)` when the
/// server closed the connection without an answer.
pub async fn exchange(
    base: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<Option<RawResponse>> {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream =
        tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {authority}"))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    Ok(parse(&raw))
}

fn parse(raw: &[u8]) -> Option<RawResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut response = RawResponse { status, headers, body: raw[split + 4..].to_vec(), complete: true };
    if response.header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        response.body = dechunk(&response.body);
    } else if let Some(len) = response.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        response.complete = response.body.len() >= len;
        response.body.truncate(len);
    }
    Some(response)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let Ok(size) = usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16) else { break };
        let rest = &body[end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        out.extend_from_slice(&rest[..size]);
        body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// Sends one JSON request and parses the JSON answer (`null` when empty); a status of 400 or
/// more, or no answer, is an error.
pub async fn request(base: &str, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
    let bytes = body.map(Value::to_string).unwrap_or_default();
    let Some(response) =
        exchange(base, method, path, &[("Content-Type", "application/json")], bytes.as_bytes()).await?
    else {
        bail!("{method} {path}: no answer");
    };
    let text = response.text();
    if response.status >= 400 {
        bail!("{method} {path}: HTTP {}: {text}", response.status);
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON: {text}"))
}
