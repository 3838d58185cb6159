//! The floor under line 5's instantiate figure: wasmtime's cost of instantiating a component
//! grows with the functions it imports (each lowered into a trampoline) and exports (each
//! lifted, with its memory, realloc and post-return). Synthetic components with nothing but
//! such functions, empty and with the connector's own counts, instantiated by the same engine
//! configuration, show how much of the connector's figure that shape alone accounts for.

use super::bench_report::{time, Report};
use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::{Harness, Runtime};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// A component that imports `imports` functions (`now` of `wasi:clocks/monotonic-clock`,
/// lowered once each) and exports `exports` functions returning a string (lifted with memory,
/// realloc and post-return, as wit-bindgen lifts the connector's), from a core module with
/// `padding` more functions, all in its funcref table (the connector's module has about 1,080
/// functions and a table of about 200).
pub(super) fn synthetic_component(imports: usize, exports: usize, padding: usize) -> String {
    let mut wat = String::from("(component\n");
    wat.push_str(
        "  (import \"wasi:clocks/monotonic-clock@0.2.0\" (instance $clock (export \"now\" (func (result u64)))))\n",
    );
    wat.push_str("  (alias export $clock \"now\" (func $now))\n");
    for i in 0..imports {
        let _ = writeln!(wat, "  (core func $now{i} (canon lower (func $now)))");
    }
    wat.push_str("  (core module $m\n");
    for i in 0..imports {
        let _ = writeln!(wat, "    (import \"host\" \"now{i}\" (func (result i64)))");
    }
    wat.push_str("    (memory (export \"memory\") 1)\n");
    wat.push_str("    (func (export \"realloc\") (param i32 i32 i32 i32) (result i32) i32.const 64)\n");
    wat.push_str("    (func (export \"post\") (param i32))\n");
    wat.push_str("    (data (i32.const 0) \"\\08\\00\\00\\00\\02\\00\\00\\00ok\")\n");
    for i in 0..exports {
        let _ = writeln!(wat, "    (func (export \"f{i}\") (result i32) i32.const 0)");
    }
    for i in 0..padding {
        let _ = writeln!(wat, "    (func $pad{i} (result i32) i32.const {i})");
    }
    if padding > 0 {
        let _ = write!(wat, "    (table {padding} funcref)\n    (elem (i32.const 0) func");
        for i in 0..padding {
            let _ = write!(wat, " $pad{i}");
        }
        wat.push_str(")\n");
    }
    wat.push_str("  )\n  (core instance $host\n");
    for i in 0..imports {
        let _ = writeln!(wat, "    (export \"now{i}\" (func $now{i}))");
    }
    wat.push_str("  )\n  (core instance $i (instantiate $m (with \"host\" (instance $host))))\n");
    wat.push_str("  (alias core export $i \"memory\" (core memory $memory))\n");
    wat.push_str("  (alias core export $i \"realloc\" (core func $realloc))\n");
    wat.push_str("  (alias core export $i \"post\" (core func $post))\n");
    for i in 0..exports {
        let _ = writeln!(
            wat,
            "  (func (export \"f{i}\") (result string) (canon lift (core func $i \"f{i}\") (memory $memory) \
             (realloc $realloc) (post-return $post)))"
        );
    }
    wat.push_str(")\n");
    wat
}

/// Functions added to the last synthetic component, about as many as the connector's module has.
const PADDING: usize = 1000;

/// Line 5's floor: instantiating (and dropping) synthetic components of the connector's shape
/// under the same engine configuration, pooled.
pub(super) async fn run(report: &mut Report, connector: &Runtime, dir: &Path, iterations: usize) -> anyhow::Result<()> {
    let (imports, exports) = connector.function_counts();
    report.text(&format!(
        "  the floor: components with only functions, pooling (the connector imports {imports}, exports {exports})"
    ));
    for (key, label, imports, exports, padding) in [
        ("instantiate.floor.empty", "  no functions".to_string(), 0, 0, 0),
        ("instantiate.floor.imports", format!("  {imports} imported, none exported"), imports, 0, 0),
        ("instantiate.floor.exports", format!("  {exports} exported, none imported"), 0, exports, 0),
        ("instantiate.floor.both", format!("  {imports} imported and {exports} exported"), imports, exports, 0),
        (
            "instantiate.floor.large",
            format!("  the same, {PADDING} more functions in a table"),
            imports,
            exports,
            PADDING,
        ),
    ] {
        let path = dir.join(format!("floor-{imports}-{exports}-{padding}.wat"));
        std::fs::write(&path, synthetic_component(imports, exports, padding))?;
        let runtime = Arc::new(Runtime::load_with_allocator(&path, Some(&dir.join("warm")), true)?);
        let harness = Harness::with_runtime(runtime, None, OutboundPolicy::default())?;
        let figures = time(iterations, || harness.instantiate_only()).await?;
        report.line(key, &label, &figures);
    }
    Ok(())
}
