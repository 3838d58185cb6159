//! The qlik-connector harness: a wasmtime host that runs the component (`runtime`: a shareable
//! compiled [`Runtime`] and a per-host [`Harness`]), its outbound HTTP policy (`outbound`), its
//! `wasi:keyvalue` store (`kv`), JSON ↔ WIT values (`values`), call outcomes (`outcome`),
//! `component.yaml` (`component_yaml`), the HTTP server for the composed component (`serve`),
//! the flow-builder preview page (`studio`), and the simulated Qlik tenant (`sim`). The
//! `qlik-harness` CLI, demo and benchmark are the binary's (`src/main.rs`, `src/bin_support/`).

#![warn(missing_docs)]

pub mod component_yaml;
pub mod http1;
pub mod kv;
pub mod limits;
pub mod native_host;
pub mod outbound;
pub mod outcome;
pub mod pool;
pub mod runtime;
pub mod serve;
pub mod sim;
pub mod sim_client;
pub mod studio;
pub mod values;

pub use outcome::Outcome;
pub use runtime::{component_path, Harness, HarnessOptions, Runtime, WitExport};
/// The wasmtime this harness embeds (for `Harness::call_raw` values and embedders).
pub use wasmtime;
