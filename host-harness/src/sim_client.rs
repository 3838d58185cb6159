//! A minimal HTTP/1.1 client for the simulator's control API (`/__sim/...`), used by the demo
//! and by tests in Rust. Loopback only, one request per connection.

use anyhow::{bail, Context as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one request to `base` (`http://127.0.0.1:PORT`) and parses the JSON answer
/// (`null` when empty). A status of 400 or more is an error.
pub async fn request(base: &str, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
    let (status, text) = request_raw(base, method, path, body).await?;
    if status >= 400 {
        bail!("{method} {path}: HTTP {status}: {text}");
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON: {text}"))
}

/// Sends one request and returns the status and body text.
pub async fn request_raw(base: &str, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<(u16, String)> {
    send(base, method, path, body, "").await
}

/// Sends one request with `Authorization: Bearer <token>` (a tenant API call, for benchmarks).
pub async fn request_raw_auth(base: &str, method: &str, path: &str, token: &str) -> anyhow::Result<(u16, String)> {
    send(base, method, path, None, &format!("Authorization: Bearer {token}\r\nAccept: application/json\r\n")).await
}

async fn send(base: &str, method: &str, path: &str, body: Option<&Value>, extra_headers: &str) -> anyhow::Result<(u16, String)> {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority).await.with_context(|| format!("connecting to {authority}"))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n{extra_headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").context("no HTTP header end")?;
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no status")?;
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
