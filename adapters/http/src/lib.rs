//! The connector's HTTP face: a component that exports `wasi:http/incoming-handler` and answers
//! each request by calling one export of the connector it is composed with (see
//! `docs/deploy.md` for the routes and statuses).
//!
//! The modules with one job each: `route` (method and path to a route), `auth` (the optional
//! shared secret), `exports` (the connector's exports by key), `request` (the body's JSON forms),
//! `reply` (answers and the status per error kind), `handler` (the whole request, against a
//! [`handler::Connector`]). They are plain Rust,
//! unit-tested on the host; only `component` (bindings, `wasi:http` I/O, the calls into the
//! connector) is built for `wasm32`.

pub mod auth;
pub mod exports;
pub mod handler;
pub mod reply;
pub mod request;
pub mod route;

#[cfg(target_arch = "wasm32")]
mod component;
