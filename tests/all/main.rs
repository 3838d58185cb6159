//! Every integration test of the component, in one binary: wasmtime is linked once, and the
//! harness's shared `Runtime` compiles the component once for all of them. Each module runs
//! the built `.wasm` against the simulated tenant (or checks what the tests rely on).

mod support;

mod connections;
mod data_files;
mod data_stores;
mod hardening;
mod kv_bucket;
mod manifest;
mod openapi_traffic;
mod openapi_validator;
mod reloads;
mod reports_raw;
mod resilience;
mod spaces;
mod trigger;
mod trigger_random;
mod users_apps;
