//! The component's exports: converts WIT values to the native types and calls `ops`. The
//! export-to-key wiring is [`crate::wiring::WIRING`], which a native test checks against the
//! table; the macro below turns that one list into the trait impls.

use crate::bindings::exports::qlik::connector::{actions, data_sources, manifest};
use crate::bindings::qlik::connector::types;
use crate::connection::{self, Connection, GrantType, OAuth2Connection, Secret};
use crate::error::ConnectorError;
use crate::qlik_error::QlikError as NativeQlikError;
use crate::wasi_host::WasiHost;

struct Component;

fn native_connection(connection: types::Connection) -> Connection {
    match connection {
        types::Connection::ApiKey(c) => Connection::ApiKey { api_key: Secret(c.api_key), tenant: c.tenant },
        types::Connection::Oauth2(c) => Connection::OAuth2(OAuth2Connection {
            grant_type: match c.grant_type {
                types::GrantType::AuthorizationCode => GrantType::AuthorizationCode,
                types::GrantType::ClientCredentials => GrantType::ClientCredentials,
            },
            tenant: c.tenant,
            authorize_url: c.authorize_url,
            token_url: c.token_url,
            scopes: c.scopes,
            client_id: c.client_id,
            client_secret: Secret(c.client_secret),
            access_token: c.access_token.map(connection::Secret),
        }),
    }
}

fn wit_qlik_error(e: NativeQlikError) -> types::QlikError {
    types::QlikError { status: e.status, code: e.code, title: e.title, detail: e.detail, trace_id: e.trace_id }
}

fn wit_error(error: ConnectorError) -> types::Error {
    match error {
        ConnectorError::InvalidInput { input, message } => {
            types::Error::InvalidInput(types::InputError { input, message })
        }
        ConnectorError::Unauthorized(e) => types::Error::Unauthorized(wit_qlik_error(e)),
        ConnectorError::Forbidden(e) => types::Error::Forbidden(wit_qlik_error(e)),
        ConnectorError::NotFound(e) => types::Error::NotFound(wit_qlik_error(e)),
        ConnectorError::Conflict(e) => types::Error::Conflict(wit_qlik_error(e)),
        ConnectorError::RateLimited { retry_after_seconds, error } => {
            types::Error::RateLimited(types::RateLimitError { retry_after_seconds, error: wit_qlik_error(error) })
        }
        ConnectorError::Api(e) => types::Error::Api(wit_qlik_error(e)),
        ConnectorError::Timeout(m) => types::Error::Timeout(m),
        ConnectorError::Transport(m) => types::Error::Transport(m),
        ConnectorError::InvalidResponse(m) => types::Error::InvalidResponse(m),
    }
}

fn action(key: &str, connection: types::Connection, input: String) -> Result<String, types::Error> {
    crate::ops::run_action(&mut WasiHost, key, &native_connection(connection), &input)
        .map(|value| value.to_string())
        .map_err(wit_error)
}

fn data_source(
    key: &str,
    connection: types::Connection,
    input: String,
) -> Result<Vec<types::PicklistItem>, types::Error> {
    crate::ops::run_data_source(&mut WasiHost, key, &native_connection(connection), &input)
        .map(|items| items.into_iter().map(|i| types::PicklistItem { key: i.key, label: i.label }).collect())
        .map_err(wit_error)
}

/// The trait impls of the wired exports (see `crate::wiring`).
macro_rules! impl_exports {
    (actions: { $($a:ident => $ak:literal),* $(,)? } data_sources: { $($d:ident => $dk:literal),* $(,)? }) => {
        impl actions::Guest for Component {
            $(fn $a(connection: types::Connection, input: String) -> Result<String, types::Error> {
                action($ak, connection, input)
            })*
        }
        impl data_sources::Guest for Component {
            $(fn $d(connection: types::Connection, input: String) -> Result<Vec<types::PicklistItem>, types::Error> {
                data_source($dk, connection, input)
            })*
        }
    };
}

crate::wiring::for_each_export!(impl_exports);

impl manifest::Guest for Component {
    fn get() -> String {
        crate::manifest::manifest().to_string()
    }
}

crate::bindings::export!(Component with_types_in crate::bindings);
