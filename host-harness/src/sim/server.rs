//! The HTTP server: accepts loopback connections, serves each with hyper's HTTP/1.1 connection
//! (keep-alive), and runs every request through faults, the tenant router and the request log.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::body::SimBody;
use super::churn;
use super::clock::http_date;
use super::control;
use super::errors::{Api, ApiError};
use super::faults::{self, BodyFault, Fault};
use super::limits;
use super::reply::Reply;
use super::request::Ctx;
use super::router;
use super::routes_reloads;
use super::state::State;

pub(crate) type Shared = Arc<Mutex<State>>;

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the simulator")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until `stop` changes or its sender is dropped.
pub(crate) async fn serve(listener: TcpListener, shared: Shared, mut stop: watch::Receiver<bool>) {
    let mut connections = 0;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections += 1;
                    spawn_connection(stream, connections, shared.clone(), stop.clone());
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// Serves connection number `connection` (counted from 1, logged with each of its requests).
fn spawn_connection(stream: TcpStream, connection: u64, shared: Shared, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let _ = stream.set_nodelay(true);
        let rejections = limits::Rejections::default();
        let io = limits::Guarded::new(stream, rejections.clone());
        let service = service_fn(move |req| handle(shared.clone(), rejections.clone(), connection, req));
        // Heads reach hyper only after `limits` checked them (at most ~48 KiB); the buffer
        // limit is set well above that so hyper never refuses one itself.
        let conn =
            http1::Builder::new().keep_alive(true).max_buf_size(1 << 20).serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = stop.changed() => {}
        }
    });
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A response ready to send: what is logged, and how the body goes on the wire.
struct Prepared {
    reply: Reply,
    wire: Wire,
}

/// How a response body goes on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// As it is.
    Whole,
    /// Cut short under a larger `Content-Length`.
    Truncated,
    /// Replaced by a streamed body of this many bytes.
    Oversized(usize),
    /// The first `bytes` bytes one at a time, `every` apart, then the rest.
    Drip { every: Duration, bytes: usize },
}

async fn handle(
    shared: Shared,
    rejections: limits::Rejections,
    connection: u64,
    req: Request<Incoming>,
) -> Result<Response<SimBody>, Dropped> {
    if req.uri().path() == limits::REJECTED_PATH {
        let rejection = rejections.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        if let Some(rejection) = rejection {
            return Ok(refuse(&shared, &rejection, connection));
        }
    }
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let arrived = std::time::Instant::now();
    let mut ctx = Ctx::new(parts, body, lock(&shared).trace_id());
    ctx.connection = connection;
    if control::is_control_path(&ctx.path) {
        let mut st = lock(&shared);
        routes_reloads::settle(&mut st);
        let reply = control::handle(&mut st, &ctx);
        return Ok(send(stamp(&st, &ctx, reply), Wire::Whole));
    }
    let (seq, fault) = arrive(&shared, &ctx);
    if let Some(ms) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut st = lock(&shared);
    routes_reloads::settle(&mut st);
    let Some(prepared) = respond(&mut st, &ctx, fault.as_ref()) else {
        st.log.finish(seq, None, arrived);
        churn::after_request(&mut st);
        return Err(Dropped);
    };
    let reply = stamp(&st, &ctx, prepared.reply);
    st.log.finish(seq, Some(&reply), arrived);
    churn::after_request(&mut st);
    Ok(send(reply, prepared.wire))
}

/// The Qlik-shaped answer to a request refused for its size (414 or 431), logged like any
/// other request (with the start of its target as the path).
fn refuse(shared: &Shared, rejection: &limits::Rejection, connection: u64) -> Response<SimBody> {
    let mut st = lock(shared);
    routes_reloads::settle(&mut st);
    let arrived = std::time::Instant::now();
    let mut ctx = Ctx::rejected(rejection, st.trace_id());
    ctx.connection = connection;
    let seq = st.log.begin(&ctx);
    let status = http::StatusCode::from_u16(rejection.status).unwrap_or(http::StatusCode::BAD_REQUEST);
    let reply = ApiError::new(status, rejection.detail.clone())
        .reply(Api::of_path(&ctx.path), &ctx.trace_id)
        .with_header("connection", "close");
    let reply = stamp(&st, &ctx, reply);
    st.log.finish(seq, Some(&reply), arrived);
    send(reply, Wire::Whole)
}

/// Logs the request and takes the first fault matching it.
fn arrive(shared: &Shared, ctx: &Ctx) -> (u64, Option<Fault>) {
    let mut st = lock(shared);
    let seq = st.log.begin(ctx);
    let fault = st.faults.take(ctx.method.as_str(), &ctx.path, &ctx.decoded_path());
    if let Some(fault) = &fault {
        st.log.note_fault(seq, fault);
    }
    (seq, fault)
}

/// The response to a tenant request under `fault`; `None` drops the connection. Status faults
/// answer without running the request; other faults run it, then change its status, headers
/// or body.
fn respond(st: &mut State, ctx: &Ctx, fault: Option<&Fault>) -> Option<Prepared> {
    let Some(fault) = fault else {
        return Some(Prepared { reply: router::handle(st, ctx), wire: Wire::Whole });
    };
    if fault.drop {
        return None;
    }
    let mut reply = if fault.replaces_request() {
        faults::status_reply(fault, &ctx.path, &ctx.trace_id)
    } else {
        router::handle(st, ctx)
    };
    fault.dress(&mut reply);
    Some(match fault.body {
        None | Some(BodyFault::Raw) => Prepared { reply, wire: Wire::Whole },
        Some(BodyFault::Drip) => {
            let (every, bytes) = fault.drip().unwrap_or_default();
            reply.set_header("content-length", reply.body.len().to_string());
            Prepared { reply, wire: Wire::Drip { every, bytes } }
        }
        Some(kind) => corrupt(reply, kind),
    })
}

fn corrupt(mut reply: Reply, kind: BodyFault) -> Prepared {
    match kind {
        BodyFault::Malformed => {
            reply.body = Bytes::from_static(faults::MALFORMED_BODY.as_bytes());
            reply.set_header("content-type", "application/json");
            Prepared { reply, wire: Wire::Whole }
        }
        BodyFault::Truncated => {
            let full = reply.body.len();
            let declared = full.max(1) * 2;
            reply.body = reply.body.slice(..full / 2);
            reply.set_header("content-length", declared.to_string());
            Prepared { reply, wire: Wire::Truncated }
        }
        BodyFault::Oversized => {
            // The log shows a note, not 33 MiB.
            reply.body = Bytes::from_static(b"<oversized body streamed by an injected fault>");
            reply.headers.retain(|(name, _)| name != "content-length");
            reply.set_header("content-type", "application/json");
            Prepared { reply, wire: Wire::Oversized(faults::OVERSIZED_BYTES) }
        }
        BodyFault::Drip | BodyFault::Raw => Prepared { reply, wire: Wire::Whole },
    }
}

/// Adds the `Date` (simulated clock) and `x-request-id` headers every response carries.
fn stamp(st: &State, ctx: &Ctx, mut reply: Reply) -> Reply {
    reply.set_header("date", http_date(st.now()));
    reply.set_header("x-request-id", ctx.trace_id.clone());
    reply
}

fn send(reply: Reply, wire: Wire) -> Response<SimBody> {
    let body = match wire {
        Wire::Whole => SimBody::full(reply.body.clone()),
        Wire::Truncated => SimBody::truncated(reply.body.clone()),
        Wire::Oversized(bytes) => SimBody::oversized(bytes),
        Wire::Drip { every, bytes } => SimBody::drip(reply.body.clone(), every, bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
