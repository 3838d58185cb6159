//! `multipart/form-data` request bodies, decoded with `multer` (independent of the
//! component's encoder), and how the request log shows them.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::request::Ctx;

/// One decoded part.
#[derive(Debug, Clone)]
pub(crate) struct FormPart {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// The multipart boundary of the request, when its content type is `multipart/form-data`.
fn boundary(ctx: &Ctx) -> Option<Result<String, String>> {
    let content_type = ctx.header("content-type")?;
    if !content_type.trim_start().to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    Some(multer::parse_boundary(content_type).map_err(|e| format!("bad multipart content type: {e}")))
}

/// The parts of a multipart request; `None` when the request is not multipart.
pub(crate) fn parts(ctx: &Ctx) -> Option<Result<Vec<FormPart>, String>> {
    let boundary = match boundary(ctx)? {
        Ok(boundary) => boundary,
        Err(e) => return Some(Err(e)),
    };
    let body = ctx.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let read = async move {
        let mut out = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| format!("bad multipart body: {e}"))? {
            let name = field.name().map(str::to_string);
            let filename = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(|m| m.to_string());
            let bytes = field.bytes().await.map_err(|e| format!("bad multipart body: {e}"))?;
            out.push(FormPart { name, filename, content_type, bytes });
        }
        Ok(out)
    };
    Some(now_or_never(read).unwrap_or_else(|| Err("the multipart parser waited on a complete body".into())))
}

/// Polls a future once: the body is all in memory, so the parser never has to wait.
fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The logged body of a multipart request: `{"parts": [{name, filename, contentType, size,
/// sha256, json?}]}` (`json`: a JSON part parsed, secrets masked), or `{"parts": null,
/// "error": ...}` when it does not decode. `None` for other requests.
pub(crate) fn logged(ctx: &Ctx) -> Option<Value> {
    Some(match parts(ctx)? {
        Ok(parts) => json!({ "parts": parts.iter().map(part_json).collect::<Vec<_>>() }),
        Err(error) => json!({ "parts": null, "error": error }),
    })
}

fn part_json(part: &FormPart) -> Value {
    let mut out = json!({
        "name": part.name,
        "filename": part.filename,
        "contentType": part.content_type,
        "size": part.bytes.len(),
        "sha256": sha256_hex(&part.bytes),
    });
    let is_json = part.content_type.as_deref().is_some_and(|t| t.starts_with("application/json"));
    if let Some(mut value) = is_json.then(|| serde_json::from_slice::<Value>(&part.bytes).ok()).flatten() {
        super::record::mask_json(&mut value);
        out["json"] = value;
    }
    out
}
