//! The hyper body type of every response: a complete body, a truncated one that sends part
//! of its bytes under a larger `Content-Length` and then aborts the connection, an oversized
//! one streamed in chunks, or a dripped one sent a byte at a time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// How long a truncated body waits (so the partial bytes get flushed) before aborting.
const TRUNCATE_STALL: Duration = Duration::from_millis(50);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response body.
pub(crate) enum SimBody {
    /// The whole body; its exact length becomes `Content-Length`.
    Full(Option<Bytes>),
    /// A partial body; the caller sets a larger `Content-Length` header.
    Truncated { part: Option<Bytes>, stall: Option<Pin<Box<Sleep>>> },
    /// `{"data":[` then filler items until `remaining` bytes are sent, then `]}`; no length.
    Stream { remaining: usize, started: bool },
    /// `rest`, its first `drip_left` bytes one at a time `every` apart (the first after
    /// `every`, too), then the remainder in one frame. The caller sets `Content-Length`.
    Drip { rest: Bytes, drip_left: usize, every: Duration, wait: Option<Pin<Box<Sleep>>> },
}

/// Size of one streamed chunk.
const STREAM_CHUNK: usize = 64 * 1024;

impl SimBody {
    pub fn full(bytes: Bytes) -> Self {
        SimBody::Full((!bytes.is_empty()).then_some(bytes))
    }

    pub fn oversized(bytes: usize) -> Self {
        SimBody::Stream { remaining: bytes, started: false }
    }

    pub fn drip(body: Bytes, every: Duration, bytes: usize) -> Self {
        SimBody::Drip { rest: body, drip_left: bytes, every, wait: None }
    }

    pub fn truncated(part: Bytes) -> Self {
        SimBody::Truncated { part: (!part.is_empty()).then_some(part), stall: None }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            SimBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            SimBody::Stream { remaining, started } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let chunk = if !*started {
                    *started = true;
                    Bytes::from_static(b"{\"data\":[")
                } else if *remaining <= STREAM_CHUNK {
                    Bytes::from_static(b"\"x\"]}")
                } else {
                    Bytes::from(b"\"x\",".repeat(STREAM_CHUNK / 4))
                };
                *remaining = remaining.saturating_sub(chunk.len().max(1));
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            SimBody::Drip { rest, drip_left, every, wait } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                if *drip_left == 0 {
                    return Poll::Ready(Some(Ok(Frame::data(std::mem::take(rest)))));
                }
                let sleep = wait.get_or_insert_with(|| Box::pin(tokio::time::sleep(*every)));
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *wait = None;
                *drip_left -= 1;
                Poll::Ready(Some(Ok(Frame::data(rest.split_to(1)))))
            }
            SimBody::Truncated { part, stall } => {
                if let Some(bytes) = part.take() {
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                let sleep = stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(TRUNCATE_STALL)));
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(Some(Err("response truncated by an injected fault".into()))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            SimBody::Full(None) => true,
            SimBody::Drip { rest, .. } => rest.is_empty(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            SimBody::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            SimBody::Drip { rest, .. } => SizeHint::with_exact(rest.len() as u64),
            SimBody::Truncated { .. } | SimBody::Stream { .. } => SizeHint::default(),
        }
    }
}
