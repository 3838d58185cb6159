//! The harness's HTTP client: keep-alive HTTP/1.1 connections shared by every call of one
//! harness, so that a `fetchAll` over 100 pages pays one TCP connect and one TLS handshake, not
//! 100. It keeps wasmtime's own send semantics and error values (`default_send_request`'s): the
//! connect timeout covers TCP, TLS and the HTTP handshake; the first-byte timeout runs from the
//! request being handed to the connection; the between-bytes timeout from each body frame.
//!
//! A connection is pooled by scheme and authority (after routing), so a connection opened to
//! one tenant never carries another's request. It goes back to the pool only after its response
//! body was read to the end; one idle longer than [`IDLE_TIMEOUT`] is closed. A request that a
//! reused connection could not take (closed by the server meanwhile) is sent once more on a new
//! connection; hyper hands it back untouched, so even a POST is never sent twice.

use bytes::Bytes;
use http::uri::Scheme;
use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// How long an idle connection is kept: under the usual 60 s idle timeout of load balancers in
/// front of tenants, so the pool rarely picks a connection the other side is closing.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Idle connections kept per scheme and authority: one per call that can be in flight at once
/// (fewer made calls beyond it open and close a connection each, which at 512 in flight cost
/// seconds of p99 in the benchmark's scale lines).
pub const MAX_IDLE_PER_AUTHORITY: usize = crate::limits::POOL_INSTANCES as usize;

/// The timeout wasmtime applies when the component sets none (600 s).
const UNSET_TIMEOUT: Duration = Duration::from_secs(600);

/// Whether TLS is used, and `host:port`.
type Key = (bool, String);

struct Idle {
    sender: SendRequest<WasiBody>,
    since: Instant,
}

/// Connections of one harness; share it with `Arc`.
pub struct ConnectionPool {
    /// False: a new connection per request, closed after it (the behaviour of wasmtime's
    /// `default_send_request`, kept for the benchmark's comparison).
    reuse: bool,
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool").field("reuse", &self.reuse).finish_non_exhaustive()
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

impl ConnectionPool {
    /// A pool that reuses connections when `reuse`, else opens one per request.
    pub fn new(reuse: bool) -> Arc<Self> {
        Arc::new(ConnectionPool { reuse, idle: Mutex::default() })
    }

    /// Whether connections are reused.
    pub fn reuses(&self) -> bool {
        self.reuse
    }

    /// Idle connections now held, over every authority.
    pub fn idle_connections(&self) -> usize {
        self.idle.lock().unwrap().values().map(Vec::len).sum()
    }

    /// Sends `request` (an absolute URI) and returns the response, its body read lazily.
    pub async fn send(
        self: &Arc<Self>,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let options = options.unwrap_or_default();
        let connect_timeout = options.connect_timeout.unwrap_or(UNSET_TIMEOUT);
        let first_byte_timeout = options.first_byte_timeout.unwrap_or(UNSET_TIMEOUT);
        let between_bytes_timeout = options.between_bytes_timeout.unwrap_or(UNSET_TIMEOUT).max(Duration::new(0, 1));
        let key = key_of(request.uri())?;
        // The origin form on the wire: scheme and authority are only for a proxy.
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = http::Uri::try_from(path).map_err(|_| HttpError::HttpRequestUriInvalid)?;
        loop {
            let (mut sender, reused) = match self.checkout(&key, connect_timeout).await {
                Some(sender) => (sender, true),
                None => (connect(&key, connect_timeout).await?, false),
            };
            let sent = tokio::time::timeout(first_byte_timeout, sender.try_send_request(request)).await;
            match sent {
                Err(_) => return Err(HttpError::ConnectionReadTimeout),
                Ok(Ok(response)) => {
                    let mut timer = tokio::time::interval(between_bytes_timeout);
                    timer.reset();
                    let back = self.reuse.then(|| (self.clone(), key, sender));
                    return Ok(response.map(|incoming| PooledBody { incoming, timer, back }.boxed_unsync()));
                }
                Ok(Err(mut error)) if reused && error.message().is_some() => {
                    // The reused connection closed before taking the request: nothing was sent.
                    request = error.take_message().expect("checked above");
                }
                Ok(Err(error)) => return Err(HttpError::from(error.into_error())),
            }
        }
    }

    /// An idle connection to `key`, ready for a request.
    async fn checkout(&self, key: &Key, wait: Duration) -> Option<SendRequest<WasiBody>> {
        if !self.reuse {
            return None;
        }
        loop {
            let Idle { mut sender, since } = self.idle.lock().unwrap().get_mut(key)?.pop()?;
            if since.elapsed() > IDLE_TIMEOUT || sender.is_closed() {
                continue;
            }
            // Ours alone now: it becomes ready as soon as its connection saw the last response
            // end, or reports that it closed.
            if sender.is_ready() || matches!(tokio::time::timeout(wait, sender.ready()).await, Ok(Ok(()))) {
                return Some(sender);
            }
        }
    }

    fn checkin(&self, key: Key, sender: SendRequest<WasiBody>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap();
        let list = idle.entry(key).or_default();
        list.retain(|idle| idle.since.elapsed() <= IDLE_TIMEOUT && !idle.sender.is_closed());
        if list.len() < MAX_IDLE_PER_AUTHORITY {
            list.push(Idle { sender, since: Instant::now() });
        }
    }
}

/// The pool key of an absolute URI; default ports filled in.
fn key_of(uri: &http::Uri) -> Result<Key, HttpError> {
    let authority = uri.authority().ok_or(HttpError::HttpRequestUriInvalid)?;
    let tls = uri.scheme() == Some(&Scheme::HTTPS);
    let authority = match authority.port() {
        Some(_) => authority.to_string(),
        None => format!("{authority}:{}", if tls { 443 } else { 80 }),
    };
    Ok((tls, authority))
}

/// Opens a connection (TCP, TLS for https, the HTTP/1.1 handshake), all within `timeout`; its
/// I/O runs on a task of its own until every handle to it is gone.
async fn connect((tls, authority): &Key, timeout: Duration) -> Result<SendRequest<WasiBody>, HttpError> {
    let opening = async {
        let tcp = TcpStream::connect(authority.as_str()).await.map_err(HttpError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = if *tls {
            let name = tls_server_name(authority)?;
            let connector = tokio_rustls::TlsConnector::from(tls_config());
            Box::new(connector.connect(name, tcp).await.map_err(HttpError::Tls)?)
        } else {
            Box::new(tcp)
        };
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(HttpError::from)?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    };
    tokio::time::timeout(timeout, opening).await.map_err(|_| HttpError::ConnectionTimeout)?
}

/// The TLS client configuration, built once: the webpki roots, as wasmtime's own client has.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
            Arc::new(rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth())
        })
        .clone()
}

/// The name the certificate must carry for `host:port` (an IP literal as an address).
fn tls_server_name(authority: &str) -> Result<rustls::pki_types::ServerName<'static>, HttpError> {
    use rustls::pki_types::ServerName;
    if let Ok(address) = authority.parse::<std::net::SocketAddr>() {
        return Ok(ServerName::from(address.ip()));
    }
    let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
    Ok(ServerName::try_from(host).map_err(HttpError::InvalidDnsNameError)?.to_owned())
}

/// A response body with the between-bytes timeout, which hands its connection back to the pool
/// once read to the end (a body dropped early closes the connection: HTTP/1.1 cannot skip it).
struct PooledBody {
    incoming: hyper::body::Incoming,
    timer: tokio::time::Interval,
    back: Option<(Arc<ConnectionPool>, Key, SendRequest<WasiBody>)>,
}

impl PooledBody {
    fn release(&mut self) {
        if let Some((pool, key, sender)) = self.back.take() {
            pool.checkin(key, sender);
        }
    }
}

impl http_body::Body for PooledBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                this.release();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                this.back = None;
                let error = if error.is_timeout() { HttpError::HttpResponseTimeout } else { HttpError::from(error) };
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(Some(Ok(frame))) => {
                this.timer.reset();
                if this.incoming.is_end_stream() {
                    this.release();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.timer.poll_tick(cx));
                this.back = None;
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fill_default_ports_and_keep_the_scheme_apart() {
        let key = |uri: &str| key_of(&uri.parse().unwrap()).unwrap();
        assert_eq!(key("https://acme.eu.qlikcloud.com/api"), (true, "acme.eu.qlikcloud.com:443".into()));
        assert_eq!(key("http://127.0.0.1:8080/x"), (false, "127.0.0.1:8080".into()));
        assert_eq!(key("http://example.com/"), (false, "example.com:80".into()));
        assert_ne!(key("https://example.com:80/"), key("http://example.com:80/"));
        assert!(key_of(&"/relative".parse().unwrap()).is_err());
    }

    #[test]
    fn server_names() {
        assert_eq!(
            format!("{:?}", tls_server_name("acme.eu.qlikcloud.com:443").unwrap()),
            "DnsName(\"acme.eu.qlikcloud.com\")"
        );
        assert!(format!("{:?}", tls_server_name("[::1]:443").unwrap()).contains("IpAddress"));
        assert!(format!("{:?}", tls_server_name("127.0.0.1:8443").unwrap()).contains("IpAddress"));
        assert!(tls_server_name("bad host:443").is_err());
    }
}
