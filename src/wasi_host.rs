//! [`Host`] on WASI 0.2: HTTP through `wasi:http/outgoing-handler` (with connect, first-byte and
//! between-bytes timeouts), clocks, randomness and `wasi:keyvalue` storage. The only module that
//! touches the host's interfaces.

use crate::guest::wasi::keyvalue::store;
use crate::host::{Host, HttpRequest, HttpResponse, SendError, MAX_RESPONSE_BYTES};
use crate::retry::Method;
use crate::uri::Uri;
use std::time::Duration;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::StreamError;

/// The storage bucket the component uses.
const BUCKET: &str = "default";

/// Largest write to an output stream in one call (wasi:io allows 4096 bytes per blocking write).
const WRITE_CHUNK: usize = 4096;

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
        ErrorCode::ConnectionTimeout => SendError::Timeout("connecting to the tenant timed out".into()),
        ErrorCode::ConnectionReadTimeout => SendError::Timeout("the tenant did not answer in time".into()),
        ErrorCode::ConnectionWriteTimeout => SendError::Timeout("sending the request timed out".into()),
        ErrorCode::DnsTimeout => SendError::Timeout("looking up the tenant host timed out".into()),
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
        ErrorCode::HttpRequestDenied => SendError::Other("the host denied the request (outbound host not allowed)".into()),
        // The rest are protocol and configuration failures; their Debug text would add weight, not help.
        _ => SendError::Other("the HTTP request failed (protocol or configuration error)".into()),
    }
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), SendError> {
    {
        let stream = body.write().map_err(|_| SendError::Other("the request body could not be opened".into()))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| SendError::Connection("the connection closed while sending the body".into()))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(send_error)
}

fn read_body(body: IncomingBody) -> Result<Vec<u8>, SendError> {
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|_| SendError::Other("the response body could not be opened".into()))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(SendError::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => break,
                // A between-bytes timeout surfaces only as a stream error.
                Err(StreamError::LastOperationFailed(e)) => {
                    let what = e.to_debug_string();
                    let first_line = what.lines().next().unwrap_or_default();
                    return Err(if first_line.to_lowercase().contains("timeout") || first_line.contains("timed out") {
                        SendError::Timeout("the tenant stopped sending the response".into())
                    } else {
                        SendError::Connection(format!("reading the response failed: {first_line}"))
                    });
                }
            }
        }
    }
    let _trailers = IncomingBody::finish(body);
    Ok(bytes)
}

impl Host for WasiHost {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, SendError> {
        let url = Uri::parse_absolute(&request.url).map_err(|e| SendError::Other(format!("bad URL: {e}")))?;
        let headers: Vec<(String, Vec<u8>)> =
            request.headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect();
        let fields = Fields::from_list(&headers).map_err(|_| SendError::Other("a request header was refused".into()))?;
        let outgoing = OutgoingRequest::new(fields);
        let _ = outgoing.set_method(&method(request.method));
        let scheme = if url.scheme == "http" { Scheme::Http } else { Scheme::Https };
        let _ = outgoing.set_scheme(Some(&scheme));
        let _ = outgoing.set_authority(Some(&url.authority()));
        let _ = outgoing.set_path_with_query(Some(&url.path_and_query()));

        let options = RequestOptions::new();
        // A host may refuse a timeout setting; it then applies its own.
        let _ = options.set_connect_timeout(Some(nanos(request.timeouts.connect)));
        let _ = options.set_first_byte_timeout(Some(nanos(request.timeouts.first_byte)));
        let _ = options.set_between_bytes_timeout(Some(nanos(request.timeouts.between_bytes)));

        let body = match &request.body {
            Some(_) => Some(outgoing.body().map_err(|_| SendError::Other("the request body could not be taken".into()))?),
            None => None,
        };
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(send_error)?;
        if let (Some(body), Some(bytes)) = (body, &request.body) {
            write_body(body, bytes)?;
        }
        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(send_error(code)),
            _ => return Err(SendError::Other("the response was not available".into())),
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n.to_lowercase(), String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let declared = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|len| len > MAX_RESPONSE_BYTES) {
            return Err(SendError::TooLarge);
        }
        let body = response.consume().map_err(|_| SendError::Other("the response body could not be taken".into()))?;
        let bytes = read_body(body)?;
        Ok(HttpResponse { status, headers, body: bytes })
    }

    fn sleep(&mut self, duration: Duration) {
        wasi::clocks::monotonic_clock::subscribe_duration(nanos(duration)).block();
    }

    fn now_unix_secs(&self) -> u64 {
        wasi::clocks::wall_clock::now().seconds
    }

    fn random_unit(&mut self) -> f64 {
        (wasi::random::random::get_random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn store_get(&mut self, key: &str) -> Option<Vec<u8>> {
        store::open(BUCKET).ok()?.get(key).ok().flatten()
    }

    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        let bucket = store::open(BUCKET).map_err(|_| "storage bucket unavailable".to_string())?;
        bucket.set(key, value).map_err(|_| "storage write failed".to_string())
    }
}
