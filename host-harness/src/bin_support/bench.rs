//! `qlik-harness bench`: figures, not assertions. Runs against an in-process simulated tenant and
//! prints, side by side in one run: instantiating the component, one `getSpace` call through the
//! component (fresh instance + one loopback GET), the same GET sent natively (same one-connection-
//! per-request pattern), a `listSpaces` fetchAll over 1000 records, their ratios, the cold start
//! (compiling, from the compile cache, from a precompiled `.cwasm`) and the trigger lines.

use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::sim::{self, SimConfig};
use qlik_harness::sim_client;
use qlik_harness::{Harness, HarnessOptions, Outcome, Runtime};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Minimum, median and 90th percentile of a set of timings.
pub(super) struct Figures {
    min: Duration,
    pub(super) median: Duration,
    p90: Duration,
}

/// The figures of `samples` (not empty).
pub(super) fn figures(mut samples: Vec<Duration>) -> Figures {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Figures { min: samples[0], median: at(0.5), p90: at(0.9) }
}

/// One line: what, then min / median / p90 in µs.
fn line(what: &str, f: &Figures) {
    println!("  {what:<46} {:>10.1} {:>10.1} {:>10.1} µs", micros(f.min), micros(f.median), micros(f.p90));
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn time<F, Fut>(iterations: usize, mut step: F) -> anyhow::Result<Figures>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    step().await?; // warm-up
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        step().await?;
        samples.push(started.elapsed());
    }
    Ok(figures(samples))
}

/// Samples per cold-start line.
const COLD_SAMPLES: usize = 3;

/// Loading the component from scratch, from wasmtime's compile cache and precompiled.
struct ColdStart {
    compiled: Figures,
    cached: Figures,
    precompiled: Figures,
}

fn cold_start(component: &std::path::Path) -> anyhow::Result<ColdStart> {
    let dir = std::env::temp_dir().join(format!("qlik-bench-cold-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let timed = |load: &dyn Fn(usize) -> anyhow::Result<()>| -> anyhow::Result<Figures> {
        let mut samples = Vec::new();
        for n in 0..COLD_SAMPLES {
            let started = Instant::now();
            load(n)?;
            samples.push(started.elapsed());
        }
        Ok(figures(samples))
    };
    // A cache directory of its own per sample: nothing cached yet.
    let compiled = timed(&|n| Runtime::load(component, Some(&dir.join(format!("empty-{n}")))).map(drop))?;
    let warm = dir.join("warm");
    Runtime::load(component, Some(&warm))?;
    let cached = timed(&|_| Runtime::load(component, Some(&warm)).map(drop))?;
    let cwasm = dir.join("component.cwasm");
    std::fs::write(&cwasm, Runtime::precompile(component)?)?;
    let precompiled = timed(&|_| Runtime::load(&cwasm, Some(&warm)).map(drop))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(ColdStart { compiled, cached, precompiled })
}

/// Runs the benchmark and prints its figures.
pub async fn run(component: Option<PathBuf>, iterations: usize) -> anyhow::Result<i32> {
    let iterations = iterations.max(1);
    let sim = sim::start(SimConfig::default()).await?;
    // Generous limits: the benchmark measures the connector, not the tenant's rate limiter.
    sim_client::request(
        &sim.url(),
        "POST",
        "/__sim/config",
        Some(&json!({"rateLimits": {"tier1": 1_000_000, "tier2": 1_000_000}})),
    )
    .await?;
    let ids =
        sim_client::request(&sim.url(), "POST", "/__sim/seed", Some(&json!({"resource": "spaces", "count": 1000})))
            .await?;
    let id = ids["created"][0].as_str().unwrap_or_default().to_string();

    let load_started = Instant::now();
    let harness = Harness::new(HarnessOptions {
        component: component.clone(),
        outbound: OutboundPolicy::allowing([]),
        ..Default::default()
    })?;
    let load = load_started.elapsed();
    let connection = json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()});

    let instantiate = time(iterations, || harness.instantiate_only()).await?;
    // Instantiate, dispatch and input validation alone: the input is refused, nothing is sent.
    let refused = time(iterations, || async {
        match harness.call("getSpace", &connection, &json!({"spaceId": "no/such"})).await? {
            Outcome::Err(e) if e["kind"] == "invalid-input" => Ok(()),
            other => anyhow::bail!("the invalid input was not refused: {other:?}"),
        }
    })
    .await?;
    let component_get = time(iterations, || async {
        match harness.call("getSpace", &connection, &json!({"spaceId": id})).await? {
            Outcome::Ok(_) => Ok(()),
            Outcome::Err(e) => anyhow::bail!("getSpace failed: {e}"),
        }
    })
    .await?;
    let native_get = time(iterations, || async {
        let bearer = format!("Bearer {}", sim.api_key());
        let headers = [("Authorization", bearer.as_str()), ("Accept", "application/json")];
        let response = sim_client::exchange(&sim.url(), "GET", &format!("/api/v1/spaces/{id}"), &headers, b"").await?;
        let status = response.map_or(0, |r| r.status);
        anyhow::ensure!(status == 200, "native GET answered {status}");
        Ok(())
    })
    .await?;
    let fetch_all = time(iterations.div_ceil(20).max(3), || async {
        match harness.call("listSpaces", &connection, &json!({"fetchAll": true})).await? {
            Outcome::Ok(page) if page["data"].as_array().map_or(0, Vec::len) == 1000 => Ok(()),
            other => anyhow::bail!("fetchAll did not read 1000 spaces: {other:?}"),
        }
    })
    .await?;
    sim.shutdown().await;
    let cold = cold_start(harness.runtime().path())?;

    let profile =
        if cfg!(debug_assertions) { "debug (build with --release for representative figures)" } else { "release" };
    println!("qlik-harness bench — harness {profile}, {iterations} iterations;        min     median        p90");
    println!("  load + compile component (compile cache)       {:>10.0} µs", micros(load));
    line("instantiate from InstancePre", &instantiate);
    line("a call that sends nothing (invalid input)", &refused);
    line("getSpace through the component", &component_get);
    line("the same GET sent natively", &native_get);
    line("listSpaces fetchAll, 1000 records (10 pages)", &fetch_all);
    println!(
        "  ratio component / native GET (median)          {:>10.2}x",
        component_get.median.as_secs_f64() / native_get.median.as_secs_f64()
    );
    println!("  cold start ({COLD_SAMPLES} samples): load the component and link it");
    for (what, figures) in [
        ("compiling, no cache", &cold.compiled),
        ("from the compile cache", &cold.cached),
        ("from a precompiled .cwasm", &cold.precompiled),
    ] {
        line(&format!("  {what}"), figures);
    }
    super::bench_trigger::run(component, iterations.div_ceil(100).max(5)).await?;
    Ok(0)
}
