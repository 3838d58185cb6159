//! Builds the component and the HTTP adapter (`wasm32-wasip2`, release) with a nested cargo into
//! their own target directory, the pattern of wasmtime's test-programs, composes them with
//! `wac-graph` into `qlik_connector_http.wasm` (the adapter's imports of the connector's
//! interfaces satisfied by the connector's exports), and hands the paths to the crate as
//! `QLIK_COMPONENT_BUILT` and `QLIK_HTTP_COMPONENT_BUILT`. So `cargo test` alone builds everything.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let harness = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = harness.parent().unwrap().to_path_buf();
    for watched in ["src", "wit", "tools", ".cargo", "Cargo.toml", "Cargo.lock", "adapters/http"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=QLIK_SKIP_COMPONENT_BUILD");
    let target_dir = root.join("target").join("component");
    let release = target_dir.join("wasm32-wasip2").join("release");
    let wasm = release.join("qlik_connector.wasm");
    let adapter = release.join("qlik_http_adapter.wasm");
    let composed = release.join("qlik_connector_http.wasm");
    println!("cargo:rustc-env=QLIK_COMPONENT_BUILT={}", wasm.display());
    println!("cargo:rustc-env=QLIK_HTTP_COMPONENT_BUILT={}", composed.display());
    if std::env::var_os("QLIK_SKIP_COMPONENT_BUILD").is_some() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "-p",
            "qlik-connector",
            "-p",
            "qlik-http-adapter",
            "--lib",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // Every crate of the component for size (the release profile's 3 is the host's).
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z");
    // The outer build's settings are for the host target; keep them out of the nested build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PROFILE_RELEASE_DEBUG",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        command.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.starts_with("CARGO_FEATURE_") || var.starts_with("CARGO_CFG_") || var.starts_with("DEP_") {
            command.env_remove(var);
        }
    }
    let status = command.status().expect("running cargo to build the component");
    assert!(status.success(), "building the qlik-connector component failed");
    assert!(wasm.exists(), "the component was not produced at {}", wasm.display());
    let bytes = compose(&wasm, &adapter).expect("composing the HTTP adapter with the connector");
    std::fs::write(&composed, bytes).expect("writing qlik_connector_http.wasm");
}

/// The adapter with every one of its `qlik:connector/*` imports plugged by the connector's
/// exports; the result imports what both import from the host (standard WASI only) and exports
/// the adapter's `wasi:http/incoming-handler`. wac validates the encoded component.
fn compose(connector: &Path, adapter: &Path) -> anyhow::Result<Vec<u8>> {
    use wac_graph::{types::Package, CompositionGraph, EncodeOptions};
    let mut graph = CompositionGraph::new();
    let connector = Package::from_file("qlik:connector", None, connector, graph.types_mut())?;
    let connector = graph.register_package(connector)?;
    let adapter = Package::from_file("qlik:connector-http", None, adapter, graph.types_mut())?;
    let adapter = graph.register_package(adapter)?;
    wac_graph::plug(&mut graph, vec![connector], adapter)?;
    Ok(graph.encode(EncodeOptions::default())?)
}
