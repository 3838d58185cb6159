//! Request-size limits checked before hyper parses a request, so an over-long request target
//! gets a Qlik-shaped `414` and an over-large header block a `431` (JSON `errors[]` bodies), not
//! hyper's bare status or a closed connection (hyper refuses targets over 65,534 bytes itself).
//!
//! [`Guarded`] wraps a connection's stream. It holds back each request head until it is
//! complete, checks it, and passes good heads and their bodies (Content-Length or chunked) on
//! to hyper unchanged, keeping track of where the next request starts. A head over the limits is
//! read to its end (with a Content-Length body, that body too, so no unread bytes are left when
//! the connection closes), noted as a [`Rejection`], and replaced by a small synthetic request
//! for [`REJECTED_PATH`]; the service answers it from the rejection, with `Connection: close`,
//! and everything the client sends afterwards is discarded.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A request target longer than this many bytes is answered with 414.
pub(crate) const MAX_TARGET_BYTES: usize = 16_384;
/// Header lines (after the request line, up to the blank line) totalling more bytes than this
/// are answered with 431.
pub(crate) const MAX_HEADER_BYTES: usize = 32_768;
/// More header fields than hyper parses (100) are answered with 431, too.
pub(crate) const MAX_HEADER_FIELDS: usize = 100;
/// A head still unterminated after this many bytes is refused at once.
const MAX_HEAD_BYTES: usize = 4 << 20;
/// At most this much of a refused request target is kept for the request log.
const KEPT_TARGET_BYTES: usize = 2048;

/// The path of the synthetic request that stands for a refused one.
pub(crate) const REJECTED_PATH: &str = "/__sim/.rejected";
const SYNTHETIC: &[u8] = b"GET /__sim/.rejected HTTP/1.1\r\nhost: sim\r\nconnection: close\r\n\r\n";

/// A request refused for its size.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    /// 414 or 431.
    pub status: u16,
    pub method: String,
    /// The start of the request target (at most [`KEPT_TARGET_BYTES`]).
    pub target: String,
    pub detail: String,
}

/// Rejections of one connection, in order, waiting for their synthetic requests.
pub(crate) type Rejections = Arc<Mutex<VecDeque<Rejection>>>;

#[derive(Debug)]
enum Phase {
    /// Collecting a request head.
    Head,
    /// Passing on this many body bytes.
    Body(u64),
    /// Passing on a chunked body.
    Chunked(Chunk),
    /// Reading (and dropping) the body of a refused request; then the synthetic request.
    RefusedBody(u64),
    /// Dropping everything (after a refused request).
    Discard,
    /// Passing everything on unchecked (framing this module does not follow; hyper decides).
    Passthrough,
}

#[derive(Debug)]
enum Chunk {
    /// The chunk-size line read so far.
    Size(Vec<u8>),
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines; the length of the current one.
    Trailer(usize),
}

/// A stream that checks request heads before hyper reads them.
pub(crate) struct Guarded<T> {
    inner: T,
    phase: Phase,
    head: Vec<u8>,
    /// Bytes ready for hyper.
    pending: BytesMut,
    eof: bool,
    rejections: Rejections,
}

impl<T> Guarded<T> {
    pub fn new(inner: T, rejections: Rejections) -> Self {
        Guarded { inner, phase: Phase::Head, head: Vec::new(), pending: BytesMut::new(), eof: false, rejections }
    }

    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match &mut self.phase {
                Phase::Passthrough => {
                    self.pending.extend_from_slice(data);
                    return;
                }
                Phase::Discard => return,
                Phase::Body(left) | Phase::RefusedBody(left) => {
                    let n = data.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= n as u64;
                    let done = *left == 0;
                    if matches!(self.phase, Phase::Body(_)) {
                        self.pending.extend_from_slice(&data[..n]);
                        if done {
                            self.phase = Phase::Head;
                        }
                    } else if done {
                        self.refuse_now();
                    }
                    data = &data[n..];
                }
                Phase::Chunked(chunk) => {
                    let (used, next) = step_chunked(chunk, data);
                    self.pending.extend_from_slice(&data[..used]);
                    data = &data[used..];
                    if let Some(next) = next {
                        self.phase = next;
                    }
                }
                Phase::Head => {
                    if self.head.is_empty() {
                        // Stray line breaks between requests go to hyper as they are.
                        let n = data.iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
                        self.pending.extend_from_slice(&data[..n]);
                        data = &data[n..];
                        if data.is_empty() {
                            return;
                        }
                    }
                    let from = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(data);
                    let Some(i) = find(&self.head[from..], b"\r\n\r\n") else {
                        if self.head.len() > MAX_HEAD_BYTES {
                            let head = std::mem::take(&mut self.head);
                            self.refuse(&head, 431, "The request head is too large.".into());
                            self.refuse_now();
                        }
                        return;
                    };
                    let rest = self.head.split_off(from + i + 4);
                    let head = std::mem::take(&mut self.head);
                    self.check_head(&head);
                    // Hand the rest (body, or the next request) through the loop again.
                    self.feed(&rest);
                    return;
                }
            }
        }
    }

    /// Passes a complete head on, or refuses it.
    fn check_head(&mut self, head: &[u8]) {
        let text = String::from_utf8_lossy(head);
        let (line, headers) = text.split_once("\r\n").unwrap_or((&text, ""));
        let target_len = line.split(' ').nth(1).map_or(0, str::len);
        let header_bytes = headers.len().saturating_sub(2);
        let fields = headers.split("\r\n").filter(|l| !l.is_empty()).count();
        let framing = framing(headers);
        let refusal = if target_len > MAX_TARGET_BYTES {
            Some((414, format!("The request target is {target_len} bytes long; the limit is {MAX_TARGET_BYTES}.")))
        } else if header_bytes > MAX_HEADER_BYTES {
            Some((431, format!("The request headers are {header_bytes} bytes long; the limit is {MAX_HEADER_BYTES}.")))
        } else if fields > MAX_HEADER_FIELDS {
            Some((431, format!("The request has {fields} header fields; the limit is {MAX_HEADER_FIELDS}.")))
        } else {
            None
        };
        let Some((status, detail)) = refusal else {
            self.pending.extend_from_slice(head);
            self.phase = match framing {
                Framing::None | Framing::Length(0) => Phase::Head,
                Framing::Length(n) => Phase::Body(n),
                Framing::Chunked => Phase::Chunked(Chunk::Size(Vec::new())),
                Framing::Unknown => Phase::Passthrough,
            };
            return;
        };
        self.refuse(head, status, detail);
        let expects_continue = headers.lines().any(|l| {
            l.split_once(':').is_some_and(|(n, v)| {
                n.trim().eq_ignore_ascii_case("expect") && v.trim().eq_ignore_ascii_case("100-continue")
            })
        });
        match framing {
            Framing::Length(n) if n > 0 && !expects_continue => self.phase = Phase::RefusedBody(n),
            _ => self.refuse_now(),
        }
    }

    fn refuse(&mut self, head: &[u8], status: u16, detail: String) {
        let line_end = find(head, b"\r\n").unwrap_or(head.len());
        let line = &head[..line_end];
        let mut parts = line.splitn(2, |b| *b == b' ');
        let method = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let rest = parts.next().unwrap_or_default();
        let target_end = rest.iter().rposition(|b| *b == b' ').unwrap_or(rest.len());
        let target = &rest[..target_end.min(KEPT_TARGET_BYTES)];
        let rejection = Rejection { status, method, target: String::from_utf8_lossy(target).into_owned(), detail };
        self.rejections.lock().unwrap_or_else(|p| p.into_inner()).push_back(rejection);
    }

    /// Sends the synthetic request for the last rejection and drops all further input.
    fn refuse_now(&mut self) {
        self.pending.extend_from_slice(SYNTHETIC);
        self.phase = Phase::Discard;
    }
}

/// How a request's body is framed.
enum Framing {
    None,
    Length(u64),
    Chunked,
    Unknown,
}

fn framing(headers: &str) -> Framing {
    let mut length: Option<u64> = None;
    for line in headers.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return if value.to_ascii_lowercase().ends_with("chunked") { Framing::Chunked } else { Framing::Unknown };
        }
        if name.eq_ignore_ascii_case("content-length") {
            match (value.parse::<u64>(), length) {
                (Ok(n), None) => length = Some(n),
                (Ok(n), Some(m)) if n == m => {}
                _ => return Framing::Unknown,
            }
        }
    }
    length.map_or(Framing::None, Framing::Length)
}

/// Follows a chunked body over `data`; returns how many bytes belong to it and, when it ended
/// or cannot be followed, the next phase.
fn step_chunked(chunk: &mut Chunk, data: &[u8]) -> (usize, Option<Phase>) {
    let mut used = 0;
    while used < data.len() {
        let rest = &data[used..];
        match chunk {
            Chunk::Size(line) => {
                let Some(i) = rest.iter().position(|b| *b == b'\n') else {
                    line.extend_from_slice(rest);
                    return (data.len(), (line.len() > 4096).then_some(Phase::Passthrough));
                };
                line.extend_from_slice(&rest[..i]);
                used += i + 1;
                let text = String::from_utf8_lossy(line);
                let size = text.split(';').next().unwrap_or("").trim();
                match u64::from_str_radix(size, 16) {
                    Ok(0) => *chunk = Chunk::Trailer(0),
                    Ok(n) => *chunk = Chunk::Data(n),
                    Err(_) => return (used, Some(Phase::Passthrough)),
                }
            }
            Chunk::Data(left) => {
                let n = rest.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= n as u64;
                used += n;
                if *left == 0 {
                    *chunk = Chunk::DataEnd;
                }
            }
            Chunk::DataEnd => {
                used += 1;
                if rest[0] == b'\n' {
                    *chunk = Chunk::Size(Vec::new());
                }
            }
            Chunk::Trailer(len) => {
                used += 1;
                match rest[0] {
                    b'\n' if *len == 0 => return (used, Some(Phase::Head)),
                    b'\n' => *len = 0,
                    b'\r' => {}
                    _ => *len += 1,
                }
            }
        }
    }
    (used, None)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    this.eof = true;
                    // A partial head goes to hyper, which reports it as incomplete.
                    if matches!(this.phase, Phase::Head) {
                        let head = std::mem::take(&mut this.head);
                        this.pending.extend_from_slice(&head);
                    }
                }
                Poll::Ready(Ok(())) => {
                    let filled = read.filled().to_vec();
                    this.feed(&filled);
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guarded<()> {
        Guarded::new((), Rejections::default())
    }

    fn fed(g: &mut Guarded<()>, chunks: &[&[u8]]) -> Vec<u8> {
        for c in chunks {
            g.feed(c);
        }
        g.pending.split().to_vec()
    }

    #[test]
    fn good_requests_pass_unchanged_across_bodies_and_chunks() {
        let stream: &[u8] = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
        for split in [1, 2, 7, 40, stream.len()] {
            let mut g = guard();
            let chunks: Vec<&[u8]> = stream.chunks(split).collect();
            assert_eq!(fed(&mut g, &chunks), stream, "split {split}");
            assert!(matches!(g.phase, Phase::Head));
            assert!(g.rejections.lock().unwrap().is_empty());
        }
    }

    #[test]
    fn long_targets_and_large_headers_become_the_synthetic_request() {
        let mut g = guard();
        let long = format!("GET /api/v1/spaces/{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
        assert_eq!(fed(&mut g, &[long.as_bytes()]), SYNTHETIC);
        assert_eq!(fed(&mut g, &[b"GET / HTTP/1.1\r\n\r\n"]), b"", "then everything is dropped");
        let r = g.rejections.lock().unwrap().pop_front().unwrap();
        assert_eq!((r.status, r.method.as_str(), r.target.len()), (414, "GET", KEPT_TARGET_BYTES));
        assert!(r.target.starts_with("/api/v1/spaces/aaa"));

        let mut g = guard();
        let big = format!("PUT /x HTTP/1.1\r\nX-Big: {}\r\nContent-Length: 4\r\n\r\nbody", "b".repeat(40_000));
        let (head, body) = big.as_bytes().split_at(big.len() - 3);
        assert_eq!(fed(&mut g, &[head]), b"", "waits for the refused request's body");
        assert_eq!(fed(&mut g, &[body]), SYNTHETIC);
        assert_eq!(g.rejections.lock().unwrap()[0].status, 431);

        let mut g = guard();
        let many = format!("GET /x HTTP/1.1\r\n{}\r\n", "a: b\r\n".repeat(101));
        assert_eq!(fed(&mut g, &[many.as_bytes()]), SYNTHETIC);

        let mut g = guard();
        let limit = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET_BYTES - 1));
        assert_eq!(fed(&mut g, &[limit.as_bytes()]), limit.as_bytes(), "at the limit passes");
    }
}
