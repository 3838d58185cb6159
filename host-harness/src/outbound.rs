//! The component's outbound HTTP, as the harness allows it: an allow-list of hosts (deny by
//! default), optional routing of every tenant host to one plain-http address (the simulated
//! tenant), a cap on the first-byte timeout, and a log of what was sent. A request the policy
//! cannot apply exactly (a route that does not fit the URL) is denied, never sent elsewhere.

use crate::pool::ConnectionPool;
use http::uri::{Authority, Scheme, Uri};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Outbound policy for one harness.
#[derive(Clone, Debug, Default)]
pub struct OutboundPolicy {
    /// Host patterns allowed: `acme.eu.qlikcloud.com`, `*.qlikcloud.com`, or `*`.
    pub allowed_hosts: Vec<String>,
    /// Send every request to this `host:port` over plain http instead (the simulator); the
    /// original host stays in the `Host` header and the scheme in `X-Forwarded-Proto`. Build it
    /// with [`parse_route_to`]: always a host and a non-zero port, nothing else.
    pub route_to: Option<Authority>,
    /// Upper bound on the first-byte timeout the component asks for.
    pub max_first_byte_timeout: Option<Duration>,
}

/// Hosts allowed without asking: Qlik Cloud, Qlik Cloud Government, loopback.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] =
    &["*.qlikcloud.com", "*.qlikcloudgov.com", "127.0.0.1", "localhost", "[::1]"];

impl OutboundPolicy {
    /// A policy allowing [`DEFAULT_ALLOWED_HOSTS`] and `extra` hosts, nothing routed or capped.
    pub fn allowing(extra: impl IntoIterator<Item = String>) -> Self {
        let allowed_hosts = DEFAULT_ALLOWED_HOSTS.iter().map(|h| h.to_string()).chain(extra).collect();
        OutboundPolicy { allowed_hosts, ..Default::default() }
    }
}

/// One request the component sent (or tried to).
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboundRecord {
    /// Method.
    pub method: String,
    /// The URL as the component built it.
    pub url: String,
    /// Whether the policy let it through.
    pub allowed: bool,
}

/// Parses a `--route-to` value: `HOST:PORT` or `http://HOST:PORT`, optionally with one trailing
/// `/`. Anything else (a path, another scheme, user info, spaces, a missing or zero port) is
/// refused; the message never repeats the value.
pub fn parse_route_to(text: &str) -> Result<Authority, String> {
    const FORM: &str = "must be HOST:PORT or http://HOST:PORT (for example 127.0.0.1:8080)";
    let rest = match text.find("://") {
        Some(i) if text[..i].eq_ignore_ascii_case("http") => &text[i + 3..],
        Some(_) => return Err(format!("{FORM}; only plain http is routed")),
        None => text,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty()
        || rest.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '@'))
    {
        return Err(format!("{FORM}; no path, query, user name or spaces"));
    }
    let authority = Authority::try_from(rest).map_err(|_| FORM.to_string())?;
    if authority.host().is_empty() || authority.as_str().ends_with(':') {
        return Err(FORM.to_string());
    }
    match authority.port_u16() {
        Some(0) => Err(format!("{FORM}; port 0 cannot be reached")),
        Some(_) => Ok(authority),
        None => Err(format!("{FORM}; the port (1-65535) is missing")),
    }
}

/// A host as the component's tenant normalisation writes it: lowercase, no trailing dot, an
/// IPv6 address in brackets.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Whether `host` matches a pattern (`*.suffix` matches subdomains; `*` matches all). Both are
/// compared in [`normalize_host`] form.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = normalize_host(host);
    if pattern.trim() == "*" {
        return true;
    }
    match pattern.trim().strip_prefix("*.") {
        Some(suffix) => host.ends_with(&format!(".{}", normalize_host(suffix))),
        None => host == normalize_host(pattern),
    }
}

/// The outbound path of one harness, shared by all its calls (and by the native host of the
/// benchmark): the policy, the log, and the [`ConnectionPool`].
#[derive(Clone, Debug)]
pub struct Outbound {
    policy: Arc<OutboundPolicy>,
    log: Arc<Mutex<Vec<OutboundRecord>>>,
    pool: Arc<ConnectionPool>,
}

impl Outbound {
    /// An outbound path applying `policy`, logging to `log`, sending through `pool`.
    pub fn new(policy: Arc<OutboundPolicy>, log: Arc<Mutex<Vec<OutboundRecord>>>, pool: Arc<ConnectionPool>) -> Self {
        Outbound { policy, log, pool }
    }

    /// What was sent so far (allowed or not).
    pub fn log(&self) -> Vec<OutboundRecord> {
        self.log.lock().unwrap().clone()
    }

    /// The policy applied.
    pub fn policy(&self) -> Arc<OutboundPolicy> {
        self.policy.clone()
    }

    /// The connection pool.
    pub fn pool(&self) -> &Arc<ConnectionPool> {
        &self.pool
    }

    /// Applies the policy to `request` (denied, routed, its first-byte timeout capped), logs it,
    /// and sends it when allowed.
    pub fn send(
        &self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> impl std::future::Future<Output = Result<http::Response<WasiBody>, HttpError>> + Send + 'static {
        let uri = request.uri().clone();
        let host = uri.host().unwrap_or_default().to_string();
        let mut allowed = self.policy.allowed_hosts.iter().any(|p| host_matches(p, &host));
        if allowed {
            if let Some(target) = &self.policy.route_to {
                // A route that cannot be applied denies the request: it must never go to the
                // real host instead.
                allowed = route(&mut request, target).is_some();
            }
        }
        self.log.lock().unwrap().push(OutboundRecord {
            method: request.method().to_string(),
            url: uri.to_string(),
            allowed,
        });
        let mut options = options.unwrap_or_default();
        if let Some(cap) = self.policy.max_first_byte_timeout {
            options.first_byte_timeout = Some(options.first_byte_timeout.map_or(cap, |t| t.min(cap)));
        }
        let pool = self.pool.clone();
        async move {
            if !allowed {
                return Err(HttpError::HttpRequestDenied);
            }
            pool.send(request, Some(options)).await
        }
    }
}

/// The `WasiHttpHooks` of one store.
pub struct Hooks {
    outbound: Outbound,
}

impl Hooks {
    /// Hooks sending through `outbound`.
    pub fn new(outbound: Outbound) -> Self {
        Hooks { outbound }
    }
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = Result<
                (http::Response<WasiBody>, Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let _ = fut;
        let sending = self.outbound.send(request, options);
        Box::new(async move {
            // The connection's I/O runs on the pool's task; nothing more to drive here.
            let response = sending.await?;
            Ok((response, Box::new(async { Ok(()) }) as Box<dyn std::future::Future<Output = _> + Send>))
        })
    }
}

/// Points `request` at `target` over plain http, keeping its host in `Host` and its scheme in
/// `X-Forwarded-Proto`. `None` (request unchanged) when any part cannot be set.
fn route<B>(request: &mut http::Request<B>, target: &Authority) -> Option<()> {
    let uri = request.uri().clone();
    let proto = http::HeaderValue::from_str(uri.scheme_str().unwrap_or("https")).ok()?;
    let host = http::HeaderValue::from_str(uri.authority()?.as_str()).ok()?;
    let mut parts = uri.into_parts();
    parts.scheme = Some(Scheme::HTTP);
    parts.authority = Some(target.clone());
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    let routed = Uri::from_parts(parts).ok()?;
    *request.uri_mut() = routed;
    request.headers_mut().insert("x-forwarded-proto", proto);
    request.headers_mut().insert(http::header::HOST, host);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::{host_matches, parse_route_to, route};

    #[test]
    fn patterns() {
        assert!(host_matches("*.qlikcloud.com", "acme.eu.qlikcloud.com"));
        assert!(!host_matches("*.qlikcloud.com", "qlikcloud.com.evil.io"));
        assert!(!host_matches("*.qlikcloud.com", "evilqlikcloud.com"));
        assert!(host_matches("Analytics.Example.com", "analytics.example.com"));
        assert!(host_matches("*", "anything"));
        assert!(host_matches("analytics.example.com", "Analytics.Example.com."));
        assert!(host_matches("*.qlikcloud.com", "acme.eu.qlikcloud.com."));
        assert!(host_matches("[2001:db8::1]", "[2001:DB8::1]"));
        assert!(host_matches("2001:db8::1", "[2001:db8::1]"));
        assert!(host_matches("::1", "[::1]"));
        assert!(!host_matches("[2001:db8::1]", "[2001:db8::2]"));
    }

    #[test]
    fn route_to_forms() {
        for (text, authority) in [
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("HTTP://localhost:9/", "localhost:9"),
            ("127.0.0.1:8080/", "127.0.0.1:8080"),
            ("[::1]:8080", "[::1]:8080"),
        ] {
            assert_eq!(parse_route_to(text).map(|a| a.to_string()), Ok(authority.to_string()), "{text}");
        }
        for bad in [
            "",
            "127.0.0.1",
            "http://127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:0",
            "127.0.0.1:99999",
            "127.0.0.1:8080/x",
            "http://127.0.0.1:8080/x",
            "http://127.0.0.1:8080//",
            "https://127.0.0.1:8080",
            "ftp://127.0.0.1:8080",
            "bad host:80",
            " 127.0.0.1:80",
            "user@127.0.0.1:80",
            "127.0.0.1:80?x",
            ":8080",
        ] {
            let error = parse_route_to(bad).expect_err(bad);
            assert!(error.contains("HOST:PORT"), "{bad}: {error}");
        }
    }

    #[test]
    fn route_keeps_the_host_and_scheme_in_headers() {
        let mut request = http::Request::get("https://acme.eu.qlikcloud.com/api/v1/spaces?limit=1").body(()).unwrap();
        route(&mut request, &parse_route_to("127.0.0.1:9").unwrap()).unwrap();
        assert_eq!(request.uri().to_string(), "http://127.0.0.1:9/api/v1/spaces?limit=1");
        assert_eq!(request.headers()["host"], "acme.eu.qlikcloud.com");
        assert_eq!(request.headers()["x-forwarded-proto"], "https");
        // No authority to keep: not routed (the caller denies it).
        let mut relative = http::Request::get("/api/v1/spaces").body(()).unwrap();
        assert!(route(&mut relative, &parse_route_to("127.0.0.1:9").unwrap()).is_none());
        assert_eq!(relative.uri().to_string(), "/api/v1/spaces");
    }
}
