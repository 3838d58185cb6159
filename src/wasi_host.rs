//! [`Host`] on WASI 0.2: HTTP through `wasi:http/outgoing-handler` (connect, first-byte and
//! between-bytes timeouts, plus a deadline for the whole exchange that the component enforces
//! itself by polling the body with a timer), clocks, randomness and `wasi:keyvalue` storage.
//! The only module that touches the host's interfaces.

use crate::bindings::wasi::keyvalue::store;
use crate::body_error::{self, BodyErrorCode};
use crate::host::{Host, HttpRequest, HttpResponse, Method, SendError, StoreError, MAX_RESPONSE_BYTES};
use crate::uri::Uri;
use std::time::Duration;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    http_error_code, ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasi::io::poll::{poll, Pollable};
use wasi::io::streams::{InputStream, OutputStream, StreamError};

/// The storage bucket the component uses.
const BUCKET: &str = "default";

/// Largest read asked of the response stream at once.
const READ_CHUNK: u64 = 64 * 1024;

/// The WASI host.
pub struct WasiHost;

fn method(method: Method) -> WasiMethod {
    match method {
        Method::Get => WasiMethod::Get,
        Method::Head => WasiMethod::Head,
        Method::Post => WasiMethod::Post,
        Method::Put => WasiMethod::Put,
        Method::Patch => WasiMethod::Patch,
        Method::Delete => WasiMethod::Delete,
        Method::Options => WasiMethod::Options,
    }
}

fn nanos(duration: Duration) -> u64 {
    duration.as_nanos().min(u64::MAX as u128) as u64
}

/// Maps a `wasi:http` error to a send error: timeouts, connection failures (retryable) or other.
fn send_error(code: ErrorCode) -> SendError {
    match code {
        ErrorCode::ConnectionTimeout => SendError::ConnectTimeout("connecting to the tenant timed out".into()),
        ErrorCode::DnsTimeout => SendError::ConnectTimeout("looking up the tenant host timed out".into()),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            SendError::Timeout("the tenant did not answer in time".into())
        }
        ErrorCode::ConnectionWriteTimeout => SendError::Timeout("sending the request timed out".into()),
        ErrorCode::DnsError(_) => SendError::Connection("the tenant host could not be resolved".into()),
        ErrorCode::ConnectionRefused => SendError::Connection("the tenant refused the connection".into()),
        // hyper reports a connection closed before any response as a protocol error.
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete | ErrorCode::HttpProtocolError => {
            SendError::Connection("the connection closed before the response was complete".into())
        }
        ErrorCode::DestinationNotFound | ErrorCode::DestinationUnavailable | ErrorCode::DestinationIpUnroutable => {
            SendError::Connection("the tenant host is unreachable".into())
        }
        ErrorCode::TlsProtocolError | ErrorCode::TlsCertificateError | ErrorCode::TlsAlertReceived(_) => {
            SendError::Connection("the TLS handshake with the tenant failed".into())
        }
        ErrorCode::HttpResponseBodySize(_) => SendError::TooLarge,
        ErrorCode::HttpRequestDenied => {
            SendError::Other("the host denied the request (outbound host not allowed)".into())
        }
        ErrorCode::HttpRequestUriTooLong => {
            SendError::Other("the host refused the request: its URL is too long".into())
        }
        // The rest are protocol and configuration failures; their Debug text would add weight, not help.
        _ => SendError::Other("the HTTP request failed (protocol or configuration error)".into()),
    }
}

fn deadline_passed() -> SendError {
    SendError::Timeout("the tenant did not complete the exchange within the request deadline".into())
}

/// Blocks until `ready` or the deadline; false when the deadline came first.
fn wait_until(ready: &Pollable, deadline: u64) -> bool {
    let timer = monotonic_clock::subscribe_instant(deadline);
    poll(&[ready, &timer]).contains(&0)
}

/// Writes the body through the stream's write permits (the host grants up to its chunk size
/// per call), within the deadline.
fn write_body(stream: &OutputStream, mut bytes: &[u8], deadline: u64) -> Result<(), SendError> {
    let broke = |_| SendError::Connection("the connection closed while sending the body".into());
    while !bytes.is_empty() {
        let permit = stream.check_write().map_err(broke)?;
        if permit == 0 {
            if !wait_until(&stream.subscribe(), deadline) {
                return Err(deadline_passed());
            }
            continue;
        }
        let n = bytes.len().min(usize::try_from(permit).unwrap_or(usize::MAX));
        stream.write(&bytes[..n]).map_err(broke)?;
        bytes = &bytes[n..];
    }
    stream.flush().map_err(broke)?;
    loop {
        match stream.check_write() {
            Ok(0) if !wait_until(&stream.subscribe(), deadline) => return Err(deadline_passed()),
            Ok(0) => {}
            Ok(_) => return Ok(()),
            Err(e) => return Err(broke(e)),
        }
    }
}

/// Reads the whole body within [`MAX_RESPONSE_BYTES`] and the deadline. `expected` (the
/// declared length) sizes the buffer up front; `between_bytes` is the timeout the component
/// asked for, which tells a host's body timer from a broken connection (see [`body_error`]).
fn read_body(
    stream: &InputStream,
    expected: Option<usize>,
    deadline: u64,
    between_bytes: Duration,
) -> Result<Vec<u8>, SendError> {
    let mut bytes = Vec::with_capacity(expected.unwrap_or(0).min(MAX_RESPONSE_BYTES));
    // The response head counts as the last sign of life.
    let mut last_progress = monotonic_clock::now();
    loop {
        match stream.read(READ_CHUNK) {
            Ok(chunk) if chunk.is_empty() => {
                if !wait_until(&stream.subscribe(), deadline) {
                    return Err(deadline_passed());
                }
            }
            Ok(chunk) => {
                if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(SendError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
                last_progress = monotonic_clock::now();
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(e)) => {
                let silent_for = Duration::from_nanos(monotonic_clock::now().saturating_sub(last_progress));
                let code = http_error_code(&e).map(body_error_code);
                return Err(body_error::classify(code, &e.to_debug_string(), silent_for, between_bytes));
            }
        }
    }
}

/// What a `wasi:http` error code on a failed body read means.
fn body_error_code(code: ErrorCode) -> BodyErrorCode {
    match code {
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::DnsTimeout => BodyErrorCode::Timeout,
        ErrorCode::HttpResponseBodySize(_) => BodyErrorCode::TooLarge,
        _ => BodyErrorCode::Broken,
    }
}

impl Host for WasiHost {
    fn send(&mut self, request: &HttpRequest<'_>) -> Result<HttpResponse, SendError> {
        let deadline = monotonic_clock::now().saturating_add(nanos(request.timeouts.total));
        let url = Uri::parse_absolute(request.url).map_err(|e| SendError::Other(format!("bad URL: {e}")))?;
        let headers: Vec<(String, Vec<u8>)> =
            request.headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect();
        let fields =
            Fields::from_list(&headers).map_err(|_| SendError::Other("a request header was refused".into()))?;
        let outgoing = OutgoingRequest::new(fields);
        let refused = |what: &str| SendError::Other(format!("the host refused the request's {what}"));
        outgoing.set_method(&method(request.method)).map_err(|_| refused("method"))?;
        let scheme = if url.scheme == "http" { Scheme::Http } else { Scheme::Https };
        outgoing.set_scheme(Some(&scheme)).map_err(|_| refused("scheme"))?;
        outgoing.set_authority(Some(&url.authority())).map_err(|_| refused("host"))?;
        // A host refusing the path must fail the request: sent without it, it would go to `/`.
        let path = url.path_and_query();
        outgoing.set_path_with_query(Some(&path)).map_err(|_| {
            SendError::Other(format!("the host refused the request's path ({} bytes; too long?)", path.len()))
        })?;

        let options = RequestOptions::new();
        // A host may refuse a timeout setting; it then applies its own.
        let _ = options.set_connect_timeout(Some(nanos(request.timeouts.connect)));
        let _ = options.set_first_byte_timeout(Some(nanos(request.timeouts.first_byte)));
        let _ = options.set_between_bytes_timeout(Some(nanos(request.timeouts.between_bytes)));

        let body = match request.body {
            Some(_) => {
                Some(outgoing.body().map_err(|_| SendError::Other("the request body could not be taken".into()))?)
            }
            None => None,
        };
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(send_error)?;
        // A failed write still waits for the answer: a tenant may refuse a body early (413).
        let mut write_failed = None;
        if let (Some(body), Some(bytes)) = (body, request.body) {
            let written = match body.write() {
                Ok(stream) => {
                    let result = write_body(&stream, bytes, deadline);
                    drop(stream);
                    result
                }
                Err(()) => Err(SendError::Other("the request body could not be opened".into())),
            };
            match written {
                Ok(()) => OutgoingBody::finish(body, None).map_err(send_error)?,
                Err(e) => write_failed = Some(e),
            }
        }
        if !wait_until(&future.subscribe(), deadline) {
            return Err(write_failed.unwrap_or_else(deadline_passed));
        }
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(write_failed.unwrap_or_else(|| send_error(code))),
            _ => return Err(write_failed.unwrap_or_else(|| SendError::Other("the response was not available".into()))),
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n.to_lowercase(), String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let declared =
            headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_RESPONSE_BYTES) {
            return Err(SendError::TooLarge);
        }
        let body = response.consume().map_err(|_| SendError::Other("the response body could not be taken".into()))?;
        let bytes = {
            let stream = body.stream().map_err(|_| SendError::Other("the response body could not be opened".into()))?;
            read_body(&stream, declared, deadline, request.timeouts.between_bytes)?
        };
        let _trailers = IncomingBody::finish(body);
        Ok(HttpResponse { status, headers, body: bytes })
    }

    fn request_deadline_cap(&self) -> Option<Duration> {
        std::env::var(crate::host::DEADLINE_ENV).ok().as_deref().and_then(crate::host::parse_deadline_cap)
    }

    fn sleep(&mut self, duration: Duration) {
        monotonic_clock::subscribe_duration(nanos(duration)).block();
    }

    fn now_unix_millis(&self) -> u64 {
        let now = wasi::clocks::wall_clock::now();
        now.seconds * 1000 + u64::from(now.nanoseconds / 1_000_000)
    }

    fn random_bytes(&mut self, buf: &mut [u8]) {
        let bytes = wasi::random::random::get_random_bytes(buf.len() as u64);
        buf.copy_from_slice(&bytes[..buf.len()]);
    }

    fn store_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        bucket()?.get(key).map_err(store_error)
    }

    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        bucket()?.set(key, value).map_err(store_error)
    }

    fn store_delete(&mut self, key: &str) -> Result<(), StoreError> {
        bucket()?.delete(key).map_err(store_error)
    }
}

fn bucket() -> Result<store::Bucket, StoreError> {
    store::open(BUCKET).map_err(store_error)
}

fn store_error(error: store::Error) -> StoreError {
    StoreError(match error {
        store::Error::NoSuchStore => "the storage bucket does not exist".into(),
        store::Error::AccessDenied => "access to storage was denied".into(),
        store::Error::Other(what) => format!("storage failed: {what}"),
    })
}
