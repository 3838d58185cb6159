//! The Qlik HTTP client: sets headers, applies the retry policy, fetches and caches
//! client-credentials tokens, and maps error answers to [`ConnectorError`]. I/O goes through
//! [`Host`], so this is unit-tested natively with a fake host.

use crate::connection::{Auth, Resolved, Secret};
use crate::error::{ConnectorError, Result};
use crate::host::{Host, HttpRequest, HttpResponse, SendError, Timeouts};
use crate::qlik_error::{parse_qlik_error, QlikError};
use crate::retry::{decide, Attempt, Decision, Method, RetryBudget};
use serde_json::{json, Value};
use std::time::Duration;

/// `User-Agent` sent on every request.
pub const USER_AGENT: &str = concat!("qlik-connector/", env!("CARGO_PKG_VERSION"));

/// A token is renewed this long before it expires.
const TOKEN_EXPIRY_MARGIN_SECS: u64 = 60;

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

/// A client bound to one resolved connection.
pub struct Client<'h, H: Host> {
    host: &'h mut H,
    connection: Resolved,
    token: Option<Secret>,
    /// Timeouts for every request of this client.
    pub timeouts: Timeouts,
    /// Retry limits for every call of this client.
    pub budget: RetryBudget,
}

impl<'h, H: Host> Client<'h, H> {
    /// A client for `connection`.
    pub fn new(host: &'h mut H, connection: Resolved) -> Self {
        Client { host, connection, token: None, timeouts: Timeouts::default(), budget: RetryBudget::default() }
    }

    /// The tenant origin, e.g. `https://acme.us.qlikcloud.com`.
    pub fn origin(&self) -> String {
        self.connection.tenant.origin()
    }

    /// The absolute URL of an API path such as `/spaces`.
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{}", self.connection.tenant.api_root(), path)
    }

    /// Sends a request to the tenant with auth, retries and error mapping. A status of 400 or
    /// more comes back as the matching error; anything else as the response.
    pub fn send(&mut self, method: Method, url: &str, body: Option<&Body>) -> Result<HttpResponse> {
        if !self.connection.tenant.same_origin(url) {
            return Err(ConnectorError::InvalidResponse(format!("refused to send a request off the tenant host: {url}")));
        }
        let mut refreshed = false;
        loop {
            let bearer = self.bearer()?;
            let request = self.build(method, url, Some(&bearer), body);
            let response = self.with_retries(&request)?;
            let client_credentials = matches!(self.connection.auth, Auth::ClientCredentials { .. });
            if response.status == 401 && client_credentials && !refreshed {
                refreshed = true;
                self.forget_token();
                continue;
            }
            return check_status(response, self.host.now_unix_secs());
        }
    }

    /// Sends a request and parses the JSON answer (an empty body is `null`).
    pub fn send_json(&mut self, method: Method, url: &str, body: Option<&Value>) -> Result<(HttpResponse, Value)> {
        let body = body.map(Body::json);
        let response = self.send(method, url, body.as_ref())?;
        let value = parse_json_body(&response)?;
        Ok((response, value))
    }

    fn build(&self, method: Method, url: &str, bearer: Option<&Secret>, body: Option<&Body>) -> HttpRequest {
        let mut headers = vec![
            ("accept".to_string(), "application/json".to_string()),
            ("user-agent".to_string(), USER_AGENT.to_string()),
        ];
        if let Some(token) = bearer {
            headers.push(("authorization".to_string(), format!("Bearer {}", token.0)));
        }
        if let Some(body) = body {
            headers.push(("content-type".to_string(), body.content_type.clone()));
        }
        HttpRequest {
            method,
            url: url.to_string(),
            headers,
            body: body.map(|b| b.bytes.clone()),
            timeouts: self.timeouts,
        }
    }

    /// Sends one request, retrying per the policy. Error statuses are returned as responses.
    fn with_retries(&mut self, request: &HttpRequest) -> Result<HttpResponse> {
        let mut retries = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            let outcome = self.host.send(request);
            let attempt = match &outcome {
                Ok(response) => Attempt::Status { status: response.status, retry_after: response.header("retry-after") },
                Err(SendError::Connection(_)) => Attempt::ConnectionFailed,
                // Timeouts, oversized answers and refusals are final, like a timeout.
                Err(_) => Attempt::TimedOut,
            };
            let now = self.host.now_unix_secs();
            let jitter = self.host.random_unit();
            match decide(&attempt, request.method, retries, waited, &self.budget, now, jitter) {
                Decision::RetryAfter(wait) => {
                    self.host.sleep(wait);
                    waited += wait;
                    retries += 1;
                }
                Decision::RateLimitedGiveUp { retry_after } => {
                    let response = outcome.map_err(send_error)?;
                    return Err(rate_limited(&response, retry_after));
                }
                Decision::Done => return outcome.map_err(send_error),
            }
        }
    }

    /// The bearer token for the next request.
    fn bearer(&mut self) -> Result<Secret> {
        let (token_url, client_id, client_secret, scopes) = match &self.connection.auth {
            Auth::Bearer(token) => return Ok(token.clone()),
            Auth::ClientCredentials { token_url, client_id, client_secret, scopes } => {
                (token_url.clone(), client_id.clone(), client_secret.clone(), scopes.clone())
            }
        };
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let key = self.token_key(&client_id);
        let now = self.host.now_unix_secs();
        if let Some(token) = self.host.store_get(&key).and_then(|bytes| cached_token(&bytes, now)) {
            self.token = Some(token.clone());
            return Ok(token);
        }
        let payload = json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret.0,
            "scope": scopes,
        });
        let request = self.build(Method::Post, &token_url, None, Some(&Body::json(&payload)));
        let response = self.with_retries(&request)?;
        if matches!(response.status, 400 | 401) {
            let mut error = parse_qlik_error(response.status, &response.headers, &response.body);
            let said = error.detail.take().unwrap_or_else(|| error.title.clone());
            error.detail = Some(format!("the token endpoint refused clientId `{client_id}`: {said}"));
            return Err(ConnectorError::Unauthorized(error));
        }
        let response = check_status(response, now)?;
        let (token, expires_at) = read_token_response(&parse_json_body(&response)?, now)?;
        let record = json!({ "v": 1, "accessToken": token.0, "expiresAt": expires_at });
        // A cache that cannot be written only costs a token fetch next time.
        let _ = self.host.store_set(&key, record.to_string().as_bytes());
        self.token = Some(token.clone());
        Ok(token)
    }

    fn forget_token(&mut self) {
        self.token = None;
        if let Auth::ClientCredentials { client_id, .. } = &self.connection.auth {
            let key = self.token_key(client_id);
            let _ = self.host.store_set(&key, b"{}");
        }
    }

    /// Storage key of the cached token: tenant and client id, never the secret.
    fn token_key(&self, client_id: &str) -> String {
        format!("oauth-token/{}/{}", self.connection.tenant.origin(), client_id)
    }
}

/// A cached token that is still good for at least the expiry margin.
fn cached_token(bytes: &[u8], now: u64) -> Option<Secret> {
    let record: Value = serde_json::from_slice(bytes).ok()?;
    let expires_at = record.get("expiresAt")?.as_u64()?;
    let token = record.get("accessToken")?.as_str()?;
    (now + TOKEN_EXPIRY_MARGIN_SECS < expires_at).then(|| Secret(token.to_string()))
}

/// Reads `access_token` and its expiry (`expires_in` seconds or `expires_at` date) from a token
/// response. Without either, the token is trusted for five minutes.
fn read_token_response(body: &Value, now: u64) -> Result<(Secret, u64)> {
    let token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ConnectorError::InvalidResponse("the token response has no access_token".into()))?;
    let expires_at = match (body.get("expires_in").and_then(Value::as_u64), body.get("expires_at").and_then(Value::as_str)) {
        (Some(seconds), _) => now + seconds,
        (None, Some(date)) => crate::timestamp::parse_unix_secs(date)
            .ok_or_else(|| ConnectorError::InvalidResponse(format!("the token response has an unreadable expires_at `{date}`")))?
            .max(0) as u64,
        (None, None) => now + 300,
    };
    Ok((Secret(token.to_string()), expires_at))
}

/// Turns an error status into its error; passes other responses through. `now` (Unix seconds)
/// reads a `Retry-After` given as an HTTP date.
fn check_status(response: HttpResponse, now: u64) -> Result<HttpResponse> {
    if response.status < 400 {
        return Ok(response);
    }
    if response.status == 429 {
        let retry_after = response.header("retry-after").and_then(|v| crate::retry::parse_retry_after(v, now));
        return Err(rate_limited(&response, retry_after));
    }
    Err(ConnectorError::from_qlik(qlik_error(&response)))
}

fn qlik_error(response: &HttpResponse) -> QlikError {
    parse_qlik_error(response.status, &response.headers, &response.body)
}

fn rate_limited(response: &HttpResponse, retry_after: Option<Duration>) -> ConnectorError {
    ConnectorError::RateLimited {
        retry_after_seconds: retry_after.map(|d| d.as_secs_f64().ceil() as u32),
        error: qlik_error(response),
    }
}

fn send_error(error: SendError) -> ConnectorError {
    match error {
        SendError::Timeout(what) => ConnectorError::Timeout(what),
        SendError::Connection(what) | SendError::Other(what) => ConnectorError::Transport(what),
        SendError::TooLarge => ConnectorError::InvalidResponse(format!(
            "the response is larger than {} MiB",
            crate::host::MAX_RESPONSE_BYTES / (1024 * 1024)
        )),
    }
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
