//! Builds the component (`wasm32-wasip2`, release) with a nested cargo into its own target
//! directory, the pattern of wasmtime's test-programs, and hands its path to the crate as
//! `QLIK_COMPONENT_BUILT`. So `cargo test` alone builds everything.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let harness = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = harness.parent().unwrap().to_path_buf();
    for watched in ["src", "wit", "tools", ".cargo", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=QLIK_SKIP_COMPONENT_BUILD");
    let target_dir = root.join("target").join("component");
    let wasm = target_dir.join("wasm32-wasip2").join("release").join("qlik_connector.wasm");
    println!("cargo:rustc-env=QLIK_COMPONENT_BUILT={}", wasm.display());
    if std::env::var_os("QLIK_SKIP_COMPONENT_BUILD").is_some() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--release", "--locked", "--target", "wasm32-wasip2", "-p", "qlik-connector", "--lib"])
        .arg("--target-dir")
        .arg(&target_dir);
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
}
