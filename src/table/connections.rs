//! The two connections (connector.md §1), for the manifest.

use super::{InputSpec, InputType};

/// One connection type.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSpec {
    /// Key: `apiKey` or `oauth2`.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// Description.
    pub description: &'static str,
    /// Inputs.
    pub inputs: &'static [InputSpec],
}

const TENANT: InputSpec = InputSpec {
    required: true,
    example: Some("acme.eu"),
    ..InputSpec::text(
        "tenant",
        "Tenant",
        "Your Qlik Cloud tenant: `acme` (US), `acme.eu`, the full host `acme.eu.qlikcloud.com`, a custom domain, or the tenant URL.",
    )
};

const GRANT_TYPES: &[&str] = &["authorization_code", "client_credentials"];

/// Both connections.
pub const CONNECTIONS: &[ConnectionSpec] = &[
    ConnectionSpec {
        key: "apiKey",
        label: "API Key",
        description: "Connect with a Qlik Cloud API key.",
        inputs: &[
            InputSpec {
                ty: InputType::Password,
                required: true,
                ..InputSpec::text("apiKey", "API Key", "An API key of your Qlik user (Profile settings > API keys).")
            },
            TENANT,
        ],
    },
    ConnectionSpec {
        key: "oauth2",
        label: "OAuth 2.0",
        description: "Connect with a Qlik OAuth client: on behalf of a user (authorization code) or machine-to-machine (client credentials).",
        inputs: &[
            InputSpec {
                ty: InputType::Picklist(GRANT_TYPES),
                required: true,
                default: Some("\"authorization_code\""),
                ..InputSpec::text("grantType", "Grant Type", "authorization_code for a user's consent; client_credentials for a machine-to-machine client.")
            },
            InputSpec { required: false, ..TENANT },
            InputSpec {
                example: Some("https://acme.eu.qlikcloud.com/oauth/authorize"),
                ..InputSpec::text("authorizeUrl", "Authorize URL", "The Qlik OAuth authorization URL; defaults to https://<tenant>/oauth/authorize.")
            },
            InputSpec {
                required: true,
                example: Some("https://acme.eu.qlikcloud.com/oauth/token"),
                ..InputSpec::text("tokenUrl", "Token URL", "The Qlik OAuth token URL, https://<tenant>/oauth/token; it must be on the tenant host.")
            },
            InputSpec {
                default: Some(concat!("\"", "user_default offline_access", "\"")),
                ..InputSpec::text("scopes", "Scopes", "Space-separated Qlik OAuth scopes; offline_access yields a refresh token.")
            },
            InputSpec { required: true, ..InputSpec::text("clientId", "Client ID", "The client ID of your Qlik OAuth client.") },
            InputSpec {
                ty: InputType::Password,
                required: true,
                ..InputSpec::text("clientSecret", "Client Secret", "The client secret of your Qlik OAuth client.")
            },
            InputSpec {
                ty: InputType::Password,
                ..InputSpec::text("accessToken", "Access Token", "authorization_code only: the current access token, supplied by the host's OAuth flow.")
            },
        ],
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn scope_default_matches_the_connection_code() {
        let oauth = &super::CONNECTIONS[1];
        let scopes = oauth.inputs.iter().find(|i| i.key == "scopes").unwrap();
        assert_eq!(scopes.default, Some(format!("\"{}\"", crate::connection::DEFAULT_SCOPES)).as_deref());
    }
}
