//! The limits every instance lives under (`qlik_harness::limits`), shown with tiny components
//! written in WAT: one that spins is stopped, one that grows its memory past the bound fails,
//! and one that stays within it runs.

use qlik_harness::{Harness, HarnessOptions};
use std::time::Duration;

/// A component exporting `qlik:connector/manifest@0.1.0` with functions that spin or grow
/// their memory by a number of 64 KiB pages (trapping when the growth is refused).
const WAT: &str = r#"
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
    (func (export "spin") (result i32) (loop $forever (br $forever)) (i32.const 0))
    (func $grow (param $pages i32) (result i32)
      (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))
      (i32.const 0))
    (func (export "grow-past-the-bound") (result i32) (call $grow (i32.const 9000)))
    (func (export "grow-within-it") (result i32) (call $grow (i32.const 1000)))
  )
  (core instance $i (instantiate $m))
  (func $spin (result string) (canon lift (core func $i "spin") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $big (result string)
    (canon lift (core func $i "grow-past-the-bound") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (func $small (result string)
    (canon lift (core func $i "grow-within-it") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
  (instance $exports (export "get" (func $spin)) (export "grow-past-the-bound" (func $big))
    (export "grow-within-it" (func $small)))
  (export "qlik:connector/manifest@0.1.0" (instance $exports))
)
"#;

fn harness() -> Harness {
    let dir = std::env::temp_dir().join(format!("qlik-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("limits.wat");
    std::fs::write(&path, WAT).unwrap();
    Harness::new(HarnessOptions {
        component: Some(path),
        guest_compute: Some(Duration::from_millis(300)),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_that_spins_is_stopped() {
    let error = harness().call_raw("manifest", "get", &[]).await.expect_err("a spinning call must be stopped");
    assert!(format!("{error:#}").contains("computed for longer than its limit"), "{error:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_grows_up_to_the_bound_and_no_further() {
    let harness = harness();
    let within = harness.call_raw("manifest", "grow-within-it", &[]).await;
    assert!(within.is_ok(), "62.5 MiB is within the bound: {within:?}");
    let past = harness.call_raw("manifest", "grow-past-the-bound", &[]).await;
    let error = past.expect_err("562 MiB is past the 512 MiB bound");
    assert!(format!("{error:#}").contains("unreachable"), "the growth was refused: {error:#}");
    assert_eq!(qlik_harness::limits::GUEST_MEMORY_BYTES, 512 << 20);
}
