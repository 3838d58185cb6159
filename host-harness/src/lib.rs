//! The qlik-connector harness: a wasmtime host that runs the component (`runtime`), its
//! outbound HTTP policy (`outbound`), its `wasi:keyvalue` store (`kv`), JSON ↔ WIT values
//! (`values`), and the simulated Qlik tenant (`sim`).

#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod demo;
pub mod kv;
pub mod outbound;
pub mod runtime;
pub mod sim;
pub mod sim_client;
pub mod values;

pub use runtime::{component_path, Harness, HarnessOptions, Outcome, WitExport};
