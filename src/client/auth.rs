//! Bearer tokens: the API key or host-given token as it is, or a client-credentials token
//! fetched from the token endpoint and cached in host storage (connector.md §1).
//!
//! The cache key binds the token to the credentials that fetched it: it holds the tenant, the
//! client id and a one-way fingerprint (SHA-256) of client secret, token URL and scopes, so a
//! rotated or wrong secret, or other scopes, never reuse a token. The secret itself is never
//! stored. A cache that cannot be read or written only costs a token request.

use super::{check_status, parse_json_body, Body, Client};
use crate::connection::{Auth, Secret};
use crate::error::{ConnectorError, Result};
use crate::host::{self, key_segment, Method};
use crate::qlik_error::parse_qlik_error;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A token is renewed this long before it expires.
const TOKEN_EXPIRY_MARGIN_SECS: u64 = 60;

/// Lifetime assumed when the token response says none.
const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 300;

impl Client<'_> {
    /// Makes sure the call holds its bearer, fetching a client-credentials token now under the
    /// current retry policy, so that a request sent later under a stricter policy does not make
    /// the token request under it too.
    pub fn authorize(&mut self) -> Result<()> {
        self.bearer().map(drop)
    }

    /// The bearer token for the next request.
    pub(super) fn bearer(&mut self) -> Result<Secret> {
        let (token_url, client_id, client_secret, scopes) = match &self.connection.auth {
            Auth::Bearer(token) => return Ok(token.clone()),
            Auth::ClientCredentials { token_url, client_id, client_secret, scopes } => {
                (token_url.clone(), client_id.clone(), client_secret.clone(), scopes.clone())
            }
        };
        if let Some(token) = &self.token {
            return Ok(token.clone());
        }
        let key = token_key(&self.origin, &client_id, &client_secret, &token_url, &scopes);
        let now = host::now_unix_secs(self.host);
        if let Ok(Some(bytes)) = self.host.store_get(&key) {
            if let Some(token) = cached_token(&bytes, now) {
                self.token = Some(token.clone());
                return Ok(token);
            }
        }
        let payload = json!({
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret.0,
            "scope": scopes,
        });
        let body = Body::json(&payload);
        let request = self.build(Method::Post, &token_url, None, Some(&body));
        // Asking for a token twice is harmless, so it is retried like an idempotent request.
        let response = self.with_retries(&request, true)?;
        if matches!(response.status, 400 | 401) {
            let mut error = parse_qlik_error(response.status, &response.headers, &response.body);
            let said = error.detail.take().unwrap_or_else(|| error.title.clone());
            error.detail = Some(format!("the token endpoint refused clientId `{client_id}`: {said}"));
            return Err(ConnectorError::Unauthorized(error));
        }
        let response = check_status(response, now)?;
        let (token, expires_at) = read_token_response(&parse_json_body(&response)?, now)?;
        let record = json!({ "v": 1, "accessToken": token.0, "expiresAt": expires_at });
        let _ = self.host.store_set(&key, record.to_string().as_bytes());
        self.token = Some(token.clone());
        Ok(token)
    }

    /// Drops the cached token (after a 401), in memory and in storage.
    pub(super) fn forget_token(&mut self) {
        self.token = None;
        if let Auth::ClientCredentials { token_url, client_id, client_secret, scopes } = &self.connection.auth {
            let key = token_key(&self.origin, client_id, client_secret, token_url, scopes);
            let _ = self.host.store_delete(&key);
        }
    }
}

/// Storage key of a cached token:
/// `oauth-token/v2/<hex origin>/<hex client id>/<32 hex digits of SHA-256(secret, token URL, scopes)>`.
/// Only `[-/_=.a-zA-Z0-9]`, so every keyvalue backend accepts it.
pub fn token_key(origin: &str, client_id: &str, client_secret: &Secret, token_url: &str, scopes: &str) -> String {
    let mut hash = Sha256::new();
    for part in [client_secret.0.as_str(), token_url, scopes] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let fingerprint: String = hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("oauth-token/v2/{}/{}/{fingerprint}", key_segment(origin), key_segment(client_id))
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
    let expires_at =
        match (body.get("expires_in").and_then(Value::as_u64), body.get("expires_at").and_then(Value::as_str)) {
            (Some(seconds), _) => now.saturating_add(seconds),
            (None, Some(date)) => crate::timestamp::parse_unix_secs(date)
                .ok_or_else(|| {
                    ConnectorError::InvalidResponse(format!("the token response has an unreadable expires_at `{date}`"))
                })?
                .max(0) as u64,
            (None, None) => now + DEFAULT_TOKEN_LIFETIME_SECS,
        };
    Ok((Secret(token.to_string()), expires_at))
}
