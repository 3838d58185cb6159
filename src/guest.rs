//! The component's exports: converts WIT values to the native types and calls `ops`. The
//! export-to-key wiring is [`crate::wiring::WIRING`], which a native test checks against the
//! table; the macro below turns that one list into the exports.

use crate::bindings::exports::qlik::connector::{actions, data_sources, manifest, triggers};
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
    crate::ops::run_action_text(&mut WasiHost, key, &native_connection(connection), &input).map_err(wit_error)
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

fn trigger(key: &str, connection: types::Connection, input: String) -> Result<types::PollResult, types::Error> {
    let change =
        |c: crate::trigger::classify::Change| types::Change { dedupe_key: c.dedupe_key, record: c.record.to_string() };
    crate::ops::run_trigger(&mut WasiHost, key, &native_connection(connection), &input)
        .map(|out| types::PollResult {
            polled_no_changes: out.no_changes(),
            skipped: out.skipped,
            poll_id: out.poll_id,
            created: out.created.into_iter().map(change).collect(),
            updated: out.updated.into_iter().map(change).collect(),
        })
        .map_err(wit_error)
}

thread_local! {
    /// The table key of the export being called, set by its shim (see below).
    static CALLED: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
}

fn called() -> &'static str {
    CALLED.with(std::cell::Cell::get)
}

/// The wired exports. Every action has the same WIT signature, so the same canonical-ABI glue:
/// instead of letting wit-bindgen instantiate its lifting and lowering once per export (about
/// 4 KiB each), each export is a small shim that records its key and enters the glue of one
/// canonical function (`create-space`, and `select-space` for data sources). The trait methods
/// route by that key; only the canonical ones are ever reached.
macro_rules! impl_exports {
    (actions: { $($a:ident $aw:literal => $ak:literal),* $(,)? }
     data_sources: { $($d:ident $dw:literal => $dk:literal),* $(,)? }
     triggers: { $($t:ident $tw:literal => $tk:literal),* $(,)? }) => {
        impl triggers::Guest for Component {
            $(fn $t(connection: types::Connection, input: String) -> Result<types::PollResult, types::Error> {
                trigger($tk, connection, input)
            })*
            fn ack_poll(connection: types::Connection, input: String, poll_id: String) -> Result<(), types::Error> {
                let key = crate::table::triggers::KEY;
                crate::ops::run_ack_poll(&mut WasiHost, key, &native_connection(connection), &input, &poll_id)
                    .map_err(wit_error)
            }
        }
        impl actions::Guest for Component {
            $(fn $a(connection: types::Connection, input: String) -> Result<String, types::Error> {
                action(called(), connection, input)
            })*
        }
        impl data_sources::Guest for Component {
            $(fn $d(connection: types::Connection, input: String) -> Result<Vec<types::PicklistItem>, types::Error> {
                data_source(called(), connection, input)
            })*
        }
        mod action_shims {
            use super::{actions, Component, CALLED};
            $(mod $a {
                use super::*;
                #[unsafe(export_name = concat!("qlik:connector/actions@0.1.0#", $aw))]
                unsafe extern "C" fn call(arg0: *mut u8) -> *mut u8 {
                    CALLED.with(|called| called.set($ak));
                    unsafe { actions::_export_create_space_cabi::<Component>(arg0) }
                }
                #[unsafe(export_name = concat!("cabi_post_qlik:connector/actions@0.1.0#", $aw))]
                unsafe extern "C" fn post_return(arg0: *mut u8) {
                    unsafe { actions::__post_return_create_space::<Component>(arg0) }
                }
            })*
        }
        mod data_source_shims {
            use super::{data_sources, Component, CALLED};
            $(mod $d {
                use super::*;
                #[unsafe(export_name = concat!("qlik:connector/data-sources@0.1.0#", $dw))]
                unsafe extern "C" fn call(arg0: *mut u8) -> *mut u8 {
                    CALLED.with(|called| called.set($dk));
                    unsafe { data_sources::_export_select_space_cabi::<Component>(arg0) }
                }
                #[unsafe(export_name = concat!("cabi_post_qlik:connector/data-sources@0.1.0#", $dw))]
                unsafe extern "C" fn post_return(arg0: *mut u8) {
                    unsafe { data_sources::__post_return_select_space::<Component>(arg0) }
                }
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

// The manifest's and the trigger's exports through wit-bindgen's own glue; actions and data
// sources are the shims.
crate::bindings::exports::qlik::connector::manifest::__export_qlik_connector_manifest_0_1_0_cabi!(
    Component with_types_in crate::bindings::exports::qlik::connector::manifest
);
crate::bindings::exports::qlik::connector::triggers::__export_qlik_connector_triggers_0_1_0_cabi!(
    Component with_types_in crate::bindings::exports::qlik::connector::triggers
);
