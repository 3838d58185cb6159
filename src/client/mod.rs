//! The Qlik HTTP client: sets headers, applies the call's retry policy and budget, follows
//! redirects only where asked (same host, at most 5), fetches and caches client-credentials
//! tokens (`auth`), and maps answers other than 2xx to [`ConnectorError`]. I/O goes through
//! [`Host`], so this is unit-tested natively with a fake host.

mod auth;
mod raw;

use crate::connection::{Auth, Resolved, Secret};
use crate::error::{ConnectorError, Result};
use crate::host::{self, Host, HttpRequest, HttpResponse, Method, SendError, Timeouts};
use crate::qlik_error::{parse_qlik_error, QlikError};
use crate::retry::{classify, decide, parse_retry_after, Attempt, Decision, RetryPolicy, RetryState};
use serde_json::Value;
use std::time::Duration;

/// `User-Agent` sent on every request.
pub const USER_AGENT: &str = concat!("qlik-connector/", env!("CARGO_PKG_VERSION"));

/// Most redirects followed by [`Client::send_following`].
pub const MAX_REDIRECTS: usize = 5;

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Body {
    /// A JSON body.
    pub fn json(value: &Value) -> Body {
        Body { content_type: "application/json".into(), bytes: value.to_string().into_bytes() }
    }
}

/// A client bound to one resolved connection, for one export call: the retry budget is the
/// call's, shared by all its requests (the token request and the 401 refresh included).
pub struct Client<'h> {
    host: &'h mut dyn Host,
    connection: Resolved,
    origin: String,
    token: Option<Secret>,
    /// Timeouts for every request of this client.
    pub timeouts: Timeouts,
    /// The retry policy of this call.
    pub policy: RetryPolicy,
    spent: RetryState,
}

impl<'h> Client<'h> {
    /// A client for `connection`.
    pub fn new(host: &'h mut dyn Host, connection: Resolved) -> Self {
        let origin = connection.tenant.origin();
        let mut timeouts = Timeouts::default();
        if let Some(cap) = host.request_deadline_cap() {
            timeouts.total = timeouts.total.min(cap);
        }
        Client {
            host,
            connection,
            origin,
            token: None,
            timeouts,
            policy: RetryPolicy::STANDARD,
            spent: RetryState::default(),
        }
    }

    /// The tenant origin, e.g. `https://acme.us.qlikcloud.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The absolute URL of an API path such as `/spaces`.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.origin, path)
    }

    /// The host, for operations that wait or read the clock themselves.
    pub fn host(&mut self) -> &mut dyn Host {
        self.host
    }

    /// What this call has spent of its retry budget.
    pub fn spent(&self) -> RetryState {
        self.spent
    }

    /// The secrets this client knows (API key, client secret, access tokens), for redaction.
    pub fn secrets(&self) -> Vec<&str> {
        let mut secrets = match &self.connection.auth {
            Auth::Bearer(token) => vec![token.0.as_str()],
            Auth::ClientCredentials { client_secret, .. } => vec![client_secret.0.as_str()],
        };
        secrets.extend(self.token.as_ref().map(|t| t.0.as_str()));
        secrets
    }

    /// Sends a request to the tenant with auth, retries and error mapping. Only a 2xx answer
    /// is a success; a 3xx is an `api` error carrying its status (nothing is followed).
    pub fn send(&mut self, method: Method, url: &str, body: Option<&Body>) -> Result<HttpResponse> {
        let response = self.exchange(method, url, body, &[])?;
        check_status(response, host::now_unix_secs(self.host))
    }

    /// As [`Client::send`], but follows up to [`MAX_REDIRECTS`] redirects that stay on the
    /// tenant origin (303, and 301/302 for GET, continue as GET without a body; 307/308 repeat
    /// the method and body). A redirect elsewhere is `invalid-response` naming it; nothing is sent there.
    pub fn send_following(&mut self, method: Method, url: &str, body: Option<&Body>) -> Result<HttpResponse> {
        let (response, url) = self.follow(method, url, body, &[])?;
        if let Some(elsewhere) = redirect_target(&response, &url) {
            return Err(ConnectorError::InvalidResponse(format!(
                "refused to follow a redirect off the tenant host: {elsewhere}"
            )));
        }
        check_status(response, host::now_unix_secs(self.host))
    }

    /// Exchanges, following redirects on the tenant origin (at most [`MAX_REDIRECTS`]); returns
    /// the first answer that is not such a redirect, with the URL that answered it.
    fn follow(
        &mut self,
        method: Method,
        url: &str,
        body: Option<&Body>,
        extra_headers: &[(String, String)],
    ) -> Result<(HttpResponse, String)> {
        let (mut method, mut url, mut body) = (method, url.to_string(), body);
        for _ in 0..=MAX_REDIRECTS {
            let response = self.exchange(method, &url, body, extra_headers)?;
            let Some(next) = redirect_target(&response, &url).filter(|next| self.connection.tenant.same_origin(next))
            else {
                return Ok((response, url));
            };
            if response.status == 303 || (matches!(response.status, 301 | 302) && method != Method::Head) {
                method = Method::Get;
                body = None;
            }
            url = next;
        }
        Err(ConnectorError::InvalidResponse(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// Sends a request and parses the JSON answer (an empty body is `null`).
    pub fn send_json(&mut self, method: Method, url: &str, body: Option<&Value>) -> Result<(HttpResponse, Value)> {
        let body = body.map(Body::json);
        let response = self.send(method, url, body.as_ref())?;
        let value = parse_json_body(&response)?;
        Ok((response, value))
    }

    /// One exchange with auth and retries; any status comes back as a response. A 401 with
    /// client credentials fetches a new token once and repeats the request once.
    /// `extra_headers` (rawRequest's, already checked) replace `accept` and `user-agent` and add
    /// to the rest.
    fn exchange(
        &mut self,
        method: Method,
        url: &str,
        body: Option<&Body>,
        extra_headers: &[(String, String)],
    ) -> Result<HttpResponse> {
        if !self.connection.tenant.same_origin(url) {
            return Err(ConnectorError::InvalidResponse(format!(
                "refused to send a request off the tenant host: {url}"
            )));
        }
        let mut refreshed = false;
        loop {
            let bearer = self.bearer()?;
            let mut request = self.build(method, url, Some(&bearer), body);
            for (name, value) in extra_headers {
                if matches!(name.as_str(), "accept" | "user-agent") {
                    request.headers.retain(|(n, _)| n != name);
                }
                request.headers.push((name.clone(), value.clone()));
            }
            let response = self.with_retries(&request, method.is_idempotent())?;
            let client_credentials = matches!(self.connection.auth, Auth::ClientCredentials { .. });
            if response.status == 401 && client_credentials && !refreshed {
                refreshed = true;
                self.forget_token();
                continue;
            }
            return Ok(response);
        }
    }

    fn build<'r>(
        &self,
        method: Method,
        url: &'r str,
        bearer: Option<&Secret>,
        body: Option<&'r Body>,
    ) -> HttpRequest<'r> {
        let mut headers = vec![
            ("accept".to_string(), "application/json".to_string()),
            ("user-agent".to_string(), USER_AGENT.to_string()),
        ];
        if let Some(token) = bearer {
            headers.push(("authorization".to_string(), format!("Bearer {}", token.0)));
        }
        if let Some(body) = body {
            headers.push(("content-type".to_string(), body.content_type.clone()));
            headers.push(("content-length".to_string(), body.bytes.len().to_string()));
        }
        HttpRequest { method, url, headers, body: body.map(|b| b.bytes.as_slice()), timeouts: self.timeouts }
    }

    /// Sends one request, retrying per the call's policy and remaining budget. Error statuses
    /// are returned as responses. `idempotent` says whether repeating it is safe.
    fn with_retries(&mut self, request: &HttpRequest<'_>, idempotent: bool) -> Result<HttpResponse> {
        loop {
            let outcome = self.host.send(request);
            let now = host::now_unix_secs(self.host);
            let (attempt, retry_after) = match &outcome {
                Ok(response) => (Attempt::Status(response.status), retry_after(response, now)),
                Err(SendError::Connection(_) | SendError::ConnectTimeout(_)) => (Attempt::ConnectFailed, None),
                Err(SendError::Timeout(_)) => (Attempt::TimedOut, None),
                Err(SendError::TooLarge | SendError::Other(_)) => (Attempt::Final, None),
            };
            let class = classify(attempt, idempotent, self.policy.retry_on);
            let jitter = host::random_unit(self.host);
            match decide(&self.policy, class, retry_after, self.spent, jitter) {
                Decision::RetryAfter(wait) => {
                    self.host.sleep(wait);
                    self.spent.waited += wait;
                    self.spent.retries += 1;
                }
                Decision::RateLimitedGiveUp { retry_after } => {
                    let response = outcome.map_err(send_error)?;
                    return Err(rate_limited(&response, retry_after));
                }
                Decision::Done => return outcome.map_err(send_error),
            }
        }
    }
}

/// The server's `Retry-After`, an HTTP date read against the response's own `Date` when it
/// has one (so a skewed local clock does not stretch the wait).
fn retry_after(response: &HttpResponse, local_now: u64) -> Option<Duration> {
    let server_now = response
        .header("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(local_now, |d| d.as_secs());
    response.header("retry-after").and_then(|v| parse_retry_after(v, server_now))
}

/// Where a 3xx answer points, resolved against the URL that was fetched.
fn redirect_target(response: &HttpResponse, url: &str) -> Option<String> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.header("location")?.trim();
    let base = crate::uri::Uri::parse_absolute(url).ok()?;
    base.resolve(location).ok().map(|u| u.to_string())
}

/// Turns an answer other than 2xx into its error; passes 2xx through. `now` (Unix seconds)
/// reads a `Retry-After` given as an HTTP date.
fn check_status(response: HttpResponse, now: u64) -> Result<HttpResponse> {
    match response.status {
        200..=299 => Ok(response),
        429 => Err(rate_limited(&response, retry_after(&response, now))),
        300..=399 => {
            let mut error = qlik_error(&response);
            let to = response.header("location").map_or(String::new(), |l| format!(" to {l}"));
            error.detail.get_or_insert_with(|| {
                format!("the tenant answered with a redirect{to}, which this action does not follow")
            });
            Err(ConnectorError::Api(error))
        }
        _ => Err(ConnectorError::from_qlik(qlik_error(&response))),
    }
}

fn qlik_error(response: &HttpResponse) -> QlikError {
    parse_qlik_error(response.status, &response.headers, &response.body)
}

fn rate_limited(response: &HttpResponse, retry_after: Option<Duration>) -> ConnectorError {
    ConnectorError::RateLimited {
        retry_after_seconds: retry_after.map(|d| u32::try_from(d.as_secs_f64().ceil() as u64).unwrap_or(u32::MAX)),
        error: qlik_error(response),
    }
}

fn send_error(error: SendError) -> ConnectorError {
    match error {
        SendError::Timeout(what) | SendError::ConnectTimeout(what) => ConnectorError::Timeout(what),
        SendError::Connection(what) | SendError::Other(what) => ConnectorError::Transport(what),
        SendError::TooLarge => ConnectorError::InvalidResponse(format!(
            "the response is larger than {} MiB",
            crate::host::MAX_RESPONSE_BYTES / (1024 * 1024)
        )),
    }
}

/// The response body as JSON text, checked but not parsed into a value (an output that is the
/// body passes through as the tenant sent it): `null` for an empty body.
pub fn json_body_text(response: HttpResponse) -> Result<String> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok("null".into());
    }
    let status = response.status;
    let invalid = |e: &dyn std::fmt::Display| {
        ConnectorError::InvalidResponse(format!("the {status} response is not valid JSON: {e}"))
    };
    let text = String::from_utf8(response.body).map_err(|e| invalid(&e))?;
    serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|e| invalid(&e))?;
    Ok(text)
}

/// Parses a response body as JSON; an empty body is `null`.
pub fn parse_json_body(response: &HttpResponse) -> Result<Value> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        ConnectorError::InvalidResponse(format!("the {} response is not valid JSON: {e}", response.status))
    })
}

#[cfg(test)]
pub(crate) mod tests;
