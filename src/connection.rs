//! Connections (connector.md §1): the native mirror of WIT `connection`, resolved into a tenant
//! base and an authentication method. Secrets are wrapped in [`Secret`], whose Debug never shows
//! them.

use crate::error::{ConnectorError, Result};
use crate::tenant::{normalize_tenant, TenantBase};
use std::fmt;

/// A credential; `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// OAuth 2.0 grant types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// The host runs the authorization-code flow and passes the access token in.
    AuthorizationCode,
    /// The component fetches tokens itself.
    ClientCredentials,
}

/// An OAuth 2.0 connection as given (mirrors WIT `oauth2-connection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Connection {
    /// How the access token is obtained.
    pub grant_type: GrantType,
    /// The tenant; derived from `token_url` when absent.
    pub tenant: Option<String>,
    /// Authorization endpoint (used by the host's authorization-code flow).
    pub authorize_url: Option<String>,
    /// Token endpoint, on the tenant host.
    pub token_url: String,
    /// Space-separated scopes; [`DEFAULT_SCOPES`] when absent.
    pub scopes: Option<String>,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// The user's current access token (authorization code).
    pub access_token: Option<Secret>,
}

/// A connection as given (mirrors WIT `connection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// API key.
    ApiKey {
        /// The key.
        api_key: Secret,
        /// The tenant as typed.
        tenant: String,
    },
    /// OAuth 2.0.
    OAuth2(OAuth2Connection),
}

/// Default scopes for OAuth connections; `offline_access` is what yields a refresh token.
pub const DEFAULT_SCOPES: &str = "user_default offline_access";

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// A ready bearer token (API key or a host-supplied access token).
    Bearer(Secret),
    /// Machine-to-machine: tokens fetched from `token_url` and cached in host storage.
    ClientCredentials {
        /// Token endpoint.
        token_url: String,
        /// OAuth client id.
        client_id: String,
        /// OAuth client secret.
        client_secret: Secret,
        /// Scopes asked for.
        scopes: String,
    },
}

/// A validated connection: where to send requests and how to authenticate them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The tenant; the only host the component sends requests to.
    pub tenant: TenantBase,
    /// Authentication.
    pub auth: Auth,
}

fn required(value: &str, input: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(ConnectorError::invalid(input, format!("{input} is required")));
    }
    Ok(())
}

/// A credential as given, trimmed of surrounding whitespace (a key pasted from a file ends in a
/// newline); a line break or other control character inside it is `invalid-input`.
fn credential(secret: &Secret, input: &str) -> Result<Secret> {
    let trimmed = secret.0.trim();
    required(trimmed, input)?;
    if trimmed.chars().any(char::is_control) {
        return Err(ConnectorError::invalid(
            input,
            format!("{input} contains a line break or another control character"),
        ));
    }
    Ok(Secret(trimmed.to_string()))
}

fn tenant_from(raw: &str, input: &str) -> Result<TenantBase> {
    normalize_tenant(raw).map_err(|message| ConnectorError::invalid(input, format!("{input} {message}")))
}

/// Validates a connection and resolves its tenant; nothing is sent.
pub fn resolve(connection: &Connection) -> Result<Resolved> {
    match connection {
        Connection::ApiKey { api_key, tenant } => {
            let api_key = credential(api_key, "apiKey")?;
            required(tenant, "tenant")?;
            Ok(Resolved { tenant: tenant_from(tenant, "tenant")?, auth: Auth::Bearer(api_key) })
        }
        Connection::OAuth2(oauth) => resolve_oauth(oauth),
    }
}

fn resolve_oauth(oauth: &OAuth2Connection) -> Result<Resolved> {
    required(&oauth.client_id, "clientId")?;
    let client_secret = credential(&oauth.client_secret, "clientSecret")?;
    required(&oauth.token_url, "tokenUrl")?;
    let given_tenant = oauth.tenant.as_deref().filter(|t| !t.trim().is_empty());
    let tenant = match given_tenant {
        Some(raw) => tenant_from(raw, "tenant")?,
        None => tenant_from(&oauth.token_url, "tokenUrl")?,
    };
    if !tenant.same_origin(oauth.token_url.trim()) {
        return Err(ConnectorError::invalid(
            "tokenUrl",
            format!("tokenUrl must be on the tenant host {}", tenant.origin()),
        ));
    }
    let auth = match oauth.grant_type {
        GrantType::AuthorizationCode => {
            let token = oauth.access_token.as_ref().filter(|t| !t.0.trim().is_empty()).ok_or_else(|| {
                ConnectorError::invalid("accessToken", "accessToken is required for the authorization_code grant")
            })?;
            Auth::Bearer(credential(token, "accessToken")?)
        }
        GrantType::ClientCredentials => Auth::ClientCredentials {
            token_url: oauth.token_url.trim().to_string(),
            client_id: oauth.client_id.trim().to_string(),
            client_secret,
            scopes: oauth
                .scopes
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(DEFAULT_SCOPES)
                .to_string(),
        },
    };
    Ok(Resolved { tenant, auth })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(grant_type: GrantType) -> OAuth2Connection {
        OAuth2Connection {
            grant_type,
            tenant: None,
            authorize_url: None,
            token_url: "https://acme.eu.qlikcloud.com/oauth/token".into(),
            scopes: None,
            client_id: "cid".into(),
            client_secret: Secret("SENTINEL-SECRET".into()),
            access_token: Some(Secret("tok".into())),
        }
    }

    fn invalid_input(result: Result<Resolved>) -> String {
        match result {
            Err(ConnectorError::InvalidInput { input, .. }) => input,
            other => panic!("expected invalid-input, got {other:?}"),
        }
    }

    #[test]
    fn api_key_resolves_tenant() {
        let conn = Connection::ApiKey { api_key: Secret("k".into()), tenant: "acme.eu".into() };
        assert_eq!(resolve(&conn).unwrap().tenant.origin(), "https://acme.eu.qlikcloud.com");
    }

    #[test]
    fn api_key_missing_fields_are_named() {
        let conn = Connection::ApiKey { api_key: Secret("".into()), tenant: "acme".into() };
        assert_eq!(invalid_input(resolve(&conn)), "apiKey");
        let conn = Connection::ApiKey { api_key: Secret("k".into()), tenant: " ".into() };
        assert_eq!(invalid_input(resolve(&conn)), "tenant");
        let conn = Connection::ApiKey { api_key: Secret("k".into()), tenant: "http://evil.example.com".into() };
        assert_eq!(invalid_input(resolve(&conn)), "tenant");
    }

    #[test]
    fn credentials_are_trimmed_and_control_characters_refused() {
        let conn = Connection::ApiKey { api_key: Secret("  key-from-a-file\n".into()), tenant: "acme".into() };
        assert_eq!(resolve(&conn).unwrap().auth, Auth::Bearer(Secret("key-from-a-file".into())));
        let conn = Connection::ApiKey { api_key: Secret("two\nlines".into()), tenant: "acme".into() };
        assert_eq!(invalid_input(resolve(&conn)), "apiKey");
        let mut o = oauth(GrantType::ClientCredentials);
        o.client_secret = Secret("se\rcret".into());
        assert_eq!(invalid_input(resolve(&Connection::OAuth2(o))), "clientSecret");
    }

    #[test]
    fn oauth_tenant_derives_from_token_url() {
        let resolved = resolve(&Connection::OAuth2(oauth(GrantType::ClientCredentials))).unwrap();
        assert_eq!(resolved.tenant.origin(), "https://acme.eu.qlikcloud.com");
        match resolved.auth {
            Auth::ClientCredentials { scopes, .. } => assert_eq!(scopes, DEFAULT_SCOPES),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oauth_token_url_must_be_on_tenant() {
        let mut o = oauth(GrantType::ClientCredentials);
        o.tenant = Some("other".into());
        assert_eq!(invalid_input(resolve(&Connection::OAuth2(o))), "tokenUrl");
    }

    #[test]
    fn authorization_code_needs_access_token() {
        let mut o = oauth(GrantType::AuthorizationCode);
        o.access_token = None;
        assert_eq!(invalid_input(resolve(&Connection::OAuth2(o))), "accessToken");
    }

    #[test]
    fn secret_debug_is_masked() {
        let o = oauth(GrantType::ClientCredentials);
        assert!(!format!("{o:?}").contains("SENTINEL-SECRET"));
    }
}
