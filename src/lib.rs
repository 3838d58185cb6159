//! qlik-connector: a Qlik Cloud connector for workflow platforms, built as one WebAssembly
//! component (WASI 0.2). The pure logic (table, inputs, retry policy, paging, tenant
//! normalisation, client) compiles natively and is unit-tested there; only `guest` and
//! `wasi_host` need the component model.

#![warn(missing_docs)]

pub mod body_error;
pub mod client;
pub mod coerce;
pub mod connection;
pub mod error;
pub mod host;
pub mod inputs;
pub mod manifest;
pub mod multipart;
pub mod ops;
pub mod paging;
pub mod qlik_error;
pub mod retry;
pub mod table;
pub mod tenant;
pub mod timestamp;
pub mod trigger;
pub mod uri;
pub mod wiring;

#[cfg(test)]
mod fake_host;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod guest;
#[cfg(target_arch = "wasm32")]
mod wasi_host;
