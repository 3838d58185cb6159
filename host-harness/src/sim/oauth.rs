//! OAuth: `POST /oauth/token` (client_credentials), `POST /oauth/revoke`, the authorization-server
//! metadata, and checking bearer credentials.

use std::collections::HashMap;

use chrono::Duration;
use http::StatusCode;
use serde_json::{json, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::reply::Reply;
use super::request::Ctx;
use super::state::{State, Token};

const DEFAULT_SCOPE: &str = "user_default";

/// POST /oauth/token, body JSON or form-encoded.
pub(crate) fn token(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let params = params(ctx)?;
    let get = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let grant = get("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant != "client_credentials" {
        let detail = format!("unsupported_grant_type: the simulator issues only client_credentials, not {grant:?}");
        return Err(ApiError::bad_request(detail).pointer("/grant_type"));
    }
    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let secret = get("client_secret").ok_or_else(|| missing("client_secret"))?;
    if client_id != st.identity.client_id || secret != st.identity.client_secret {
        return Err(ApiError::unauthorized("invalid_client: unknown client or wrong client secret"));
    }
    let lifetime = st.settings.token_lifetime_seconds;
    // `/__sim/config` keeps the lifetime within 10 years; checked arithmetic all the same.
    let expires_at = Duration::try_seconds(lifetime).and_then(|d| st.now().checked_add_signed(d)).ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the configured token lifetime is out of range")
    })?;
    let access_token = format!("sim-at-{}", st.gen.hex(24));
    st.tokens.insert(access_token.clone(), Token { expires_at, revoked: false });
    let body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_at": rfc3339(expires_at),
        "expires_in": lifetime,
        "scope": get("scope").unwrap_or(DEFAULT_SCOPE),
    });
    Ok(Reply::json(StatusCode::OK, &body).with_header("cache-control", "no-store"))
}

/// POST /oauth/revoke `{token}`: 200 whether or not the token was known (RFC 7009).
pub(crate) fn revoke(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let params = params(ctx)?;
    let token = params.get("token").filter(|t| !t.is_empty()).ok_or_else(|| missing("token"))?;
    if let Some(t) = st.tokens.get_mut(token) {
        t.revoked = true;
    }
    Ok(Reply::json(StatusCode::OK, &json!({})))
}

/// Revokes every issued access token; returns how many were still active.
pub(crate) fn revoke_all(st: &mut State) -> usize {
    st.tokens.values_mut().filter(|t| !t.revoked).map(|t| t.revoked = true).count()
}

/// GET /.well-known/oauth-authorization-server
pub(crate) fn well_known(st: &State) -> Result<Reply, ApiError> {
    let body = json!({
        "issuer": st.identity.base_url,
        "authorization_endpoint": st.abs("/oauth/authorize"),
        "token_endpoint": st.abs("/oauth/token"),
        "revocation_endpoint": st.abs("/oauth/revoke"),
        "jwks_uri": st.abs("/.well-known/jwks.json"),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "scopes_supported": ["user_default", "admin_classic", "offline_access"],
    });
    Ok(Reply::json(StatusCode::OK, &body))
}

/// Checks the bearer credential of a tenant API request: the API key or a live access token.
pub(crate) fn authenticate(st: &State, ctx: &Ctx) -> Result<(), ApiError> {
    let token = ctx.bearer().ok_or_else(|| {
        ApiError::unauthorized(
            "Missing or malformed Authorization header; expected 'Bearer <API key or access token>'.",
        )
    })?;
    if token == st.identity.api_key {
        return Ok(());
    }
    match st.tokens.get(token) {
        None => Err(ApiError::unauthorized("Invalid API key or access token.")),
        Some(t) if t.revoked => Err(ApiError::unauthorized("The access token has been revoked.")),
        Some(t) if st.now() >= t.expires_at => Err(ApiError::unauthorized("The access token has expired.")),
        Some(_) => Ok(()),
    }
}

/// The request's parameters from a form or JSON body (non-string JSON values as JSON text).
fn params(ctx: &Ctx) -> Result<HashMap<String, String>, ApiError> {
    if ctx.is_form() {
        return Ok(url::form_urlencoded::parse(&ctx.body).into_owned().collect());
    }
    match ctx.json() {
        Some(Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()),
        _ => Err(ApiError::bad_request(
            "invalid_request: body must be a JSON object or application/x-www-form-urlencoded",
        )),
    }
}

fn missing(name: &str) -> ApiError {
    ApiError::bad_request(format!("invalid_request: {name} is required")).pointer(&format!("/{name}"))
}
