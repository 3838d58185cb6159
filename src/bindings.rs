//! The component's WIT bindings (`wit_bindgen::generate!`), shared by `guest` (the exports)
//! and `wasi_host` (the keyvalue import).

wit_bindgen::generate!({
    world: "connector",
    path: "wit",
    generate_all,
});
