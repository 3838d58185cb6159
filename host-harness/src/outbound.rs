//! The component's outbound HTTP, as the harness allows it: an allow-list of hosts (deny by
//! default), optional routing of every tenant host to one plain-http address (the simulated
//! tenant), a cap on the first-byte timeout, and a log of what was sent.

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
    /// original host stays in the `Host` header and the scheme in `X-Forwarded-Proto`.
    pub route_to: Option<String>,
    /// Upper bound on the first-byte timeout the component asks for.
    pub max_first_byte_timeout: Option<Duration>,
}

/// Hosts allowed without asking: Qlik Cloud, Qlik Cloud Government, loopback.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] = &["*.qlikcloud.com", "*.qlikcloudgov.com", "127.0.0.1", "localhost", "[::1]", "::1"];

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

/// Whether `host` matches a pattern (`*.suffix` matches subdomains; `*` matches all).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.ends_with(&format!(".{suffix}")),
        None => host == pattern,
    }
}

/// The `WasiHttpHooks` of one store.
pub struct Hooks {
    policy: Arc<OutboundPolicy>,
    log: Arc<Mutex<Vec<OutboundRecord>>>,
}

impl Hooks {
    /// Hooks applying `policy` and appending to `log`.
    pub fn new(policy: Arc<OutboundPolicy>, log: Arc<Mutex<Vec<OutboundRecord>>>) -> Self {
        Hooks { policy, log }
    }
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = Result<(http::Response<WasiBody>, Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>), HttpError>,
        > + Send,
>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let _ = fut;
        let uri = request.uri().clone();
        let host = uri.host().unwrap_or_default().to_string();
        let allowed = self.policy.allowed_hosts.iter().any(|p| host_matches(p, &host));
        self.log.lock().unwrap().push(OutboundRecord { method: request.method().to_string(), url: uri.to_string(), allowed });
        if !allowed {
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        if let Some(target) = &self.policy.route_to {
            let scheme = uri.scheme_str().unwrap_or("https").to_string();
            if let Ok(proto) = http::HeaderValue::from_str(&scheme) {
                request.headers_mut().insert("x-forwarded-proto", proto);
            }
            if let Some(authority) = uri.authority() {
                if let Ok(value) = http::HeaderValue::from_str(authority.as_str()) {
                    request.headers_mut().insert(http::header::HOST, value);
                }
            }
            let mut parts = uri.into_parts();
            parts.scheme = Some(Scheme::HTTP);
            parts.authority = Authority::try_from(target.as_str()).ok();
            if let Ok(routed) = Uri::from_parts(parts) {
                *request.uri_mut() = routed;
            }
        }
        let mut options = options.unwrap_or_default();
        if let Some(cap) = self.policy.max_first_byte_timeout {
            options.first_byte_timeout = Some(options.first_byte_timeout.map_or(cap, |t| t.min(cap)));
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn patterns() {
        assert!(host_matches("*.qlikcloud.com", "acme.eu.qlikcloud.com"));
        assert!(!host_matches("*.qlikcloud.com", "qlikcloud.com.evil.io"));
        assert!(!host_matches("*.qlikcloud.com", "evilqlikcloud.com"));
        assert!(host_matches("Analytics.Example.com", "analytics.example.com"));
        assert!(host_matches("*", "anything"));
    }
}
