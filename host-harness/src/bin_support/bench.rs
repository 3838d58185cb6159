//! `qlik-harness bench`: figures, not assertions. Runs against in-process simulated tenants and
//! shows, side by side in one run (`../shared` issue 10 numbers its lines):
//!
//! 1. a call that sends nothing (instantiate, dispatch, validation);
//! 2. `getSpace` through the component next to the same logic (`qlik_connector::ops`) run
//!    natively on the same HTTP client ([`qlik_harness::native_host`]);
//! 3. each with the harness's keep-alive pool and with a connection per request;
//! 4. `listSpaces` `fetchAll` over 1000 and 10,000 spaces: the component, the same logic
//!    natively, a bare walk over the same pages (no parsing), and the simulator's own time;
//! 5. cold start and instantiation (pooling allocator or on demand);
//! 6. scale: concurrent calls through one harness (`bench_scale`);
//! 7. the trigger against the old connector's algorithm (`bench_trigger`).

use super::bench_report::{figures, machine, time, Figures, Report};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use qlik_harness::outbound::{Outbound, OutboundPolicy};
use qlik_harness::sim::{self, SimConfig, SimHandle};
use qlik_harness::sim_client;
use qlik_harness::{native_host, Harness, HarnessOptions, Outcome, Runtime};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A simulated tenant with `spaces` spaces and rate limits out of the way (the benchmark
/// measures the connector, not the tenant's limiter).
async fn tenant(spaces: usize) -> anyhow::Result<(SimHandle, Vec<String>)> {
    let sim = sim::start(SimConfig::default()).await?;
    let limits = json!({"rateLimits": {"tier1": 100_000_000, "tier2": 100_000_000}});
    sim_client::request(&sim.url(), "POST", "/__sim/config", Some(&limits)).await?;
    let seeded = json!({"resource": "spaces", "count": spaces});
    let ids = sim_client::request(&sim.url(), "POST", "/__sim/seed", Some(&seeded)).await?;
    let ids = ids["created"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    Ok((sim, ids))
}

fn connection(sim: &SimHandle) -> Value {
    json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()})
}

fn harness(component: &Option<PathBuf>, fresh_connections: bool) -> anyhow::Result<Harness> {
    Harness::new(HarnessOptions {
        component: component.clone(),
        outbound: OutboundPolicy::allowing([]),
        fresh_connections,
        ..Default::default()
    })
}

async fn component_ok(harness: &Harness, key: &str, connection: &Value, input: &Value) -> anyhow::Result<Value> {
    match harness.call(key, connection, input).await? {
        Outcome::Ok(value) => Ok(value),
        Outcome::Err(error) => anyhow::bail!("{key} through the component failed: {error}"),
    }
}

fn records(page: &Value) -> usize {
    page["data"].as_array().map_or(0, Vec::len)
}

/// GETs `url` through `outbound` and reads the body, parsing nothing.
pub(super) async fn bare_get(outbound: &Outbound, url: &str, bearer: &str) -> anyhow::Result<Bytes> {
    let request = http::Request::get(url)
        .header("authorization", bearer)
        .header("accept", "application/json")
        .body(Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync())?;
    let response = outbound.send(request, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(response.status() == 200, "a bare GET answered {}", response.status());
    Ok(response.into_body().collect().await.map_err(|e| anyhow::anyhow!("{e}"))?.to_bytes())
}

/// The page URLs a `fetchAll` over `sim`'s spaces reads (the component's page size, 100).
async fn page_urls(outbound: &Outbound, sim: &SimHandle) -> anyhow::Result<Vec<String>> {
    let bearer = format!("Bearer {}", sim.api_key());
    let mut urls = vec![format!("{}/api/v1/spaces?limit=100", sim.url())];
    loop {
        let page: Value = serde_json::from_slice(&bare_get(outbound, urls.last().unwrap(), &bearer).await?)?;
        match page["links"]["next"]["href"].as_str() {
            Some(next) => urls.push(next.to_string()),
            None => return Ok(urls),
        }
    }
}

/// The simulator's own time serving one `fetchAll`'s pages (summed, from its request log).
async fn tenant_time(sim: &SimHandle, harness: &Harness, rounds: usize) -> anyhow::Result<Figures> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        sim_client::request(&sim.url(), "DELETE", "/__sim/requests", None).await?;
        component_ok(harness, "listSpaces", &connection(sim), &json!({"fetchAll": true})).await?;
        let log = sim_client::request(&sim.url(), "GET", "/__sim/requests", None).await?;
        let total: u64 =
            log["requests"].as_array().into_iter().flatten().filter_map(|r| r["response"]["micros"].as_u64()).sum();
        samples.push(Duration::from_micros(total));
    }
    Ok(figures(samples))
}

/// Lines 1-3: the call that sends nothing, and `getSpace` four ways.
async fn single_calls(report: &mut Report, component: &Option<PathBuf>, iterations: usize) -> anyhow::Result<()> {
    let (sim, ids) = tenant(1000).await?;
    let connection = connection(&sim);
    let get = json!({"spaceId": ids[0]});
    let pooled = harness(component, false)?;
    let fresh = harness(component, true)?;
    let refused = time(iterations, || async {
        match pooled.call("getSpace", &connection, &json!({"spaceId": "no/such"})).await? {
            Outcome::Err(e) if e["kind"] == "invalid-input" => Ok(()),
            other => anyhow::bail!("the invalid input was not refused: {other:?}"),
        }
    })
    .await?;
    report.line("noSend.component", "a call that sends nothing (invalid input)", &refused);
    let mut lines = Vec::new();
    for (reuse, h) in [("pooled", &pooled), ("fresh", &fresh)] {
        let through =
            time(iterations, || async { component_ok(h, "getSpace", &connection, &get).await.map(drop) }).await?;
        let native = time(iterations, || async {
            native_host::run_action(h.outbound(), "getSpace", &connection, &get).await.map(drop)
        })
        .await?;
        lines.push((reuse, through, native));
    }
    for (reuse, through, native) in &lines {
        let how = if *reuse == "pooled" { "keep-alive pool" } else { "a connection per request" };
        report.line(&format!("getSpace.component.{reuse}"), &format!("getSpace through the component, {how}"), through);
        report.line(&format!("getSpace.native.{reuse}"), &format!("  the same logic natively, {how}"), native);
    }
    report.ratio("getSpaceVsNative", "ratio component / native getSpace, pooled (median)", &lines[0].1, &lines[0].2);
    report.ratio("getSpaceVsNativeFresh", "ratio component / native getSpace, per request", &lines[1].1, &lines[1].2);
    sim.shutdown().await;
    Ok(())
}

/// Line 4: `fetchAll` over `spaces` spaces, four ways.
async fn fetch_all(
    report: &mut Report,
    component: &Option<PathBuf>,
    spaces: usize,
    iterations: usize,
    ratio_key: &str,
) -> anyhow::Result<()> {
    let (sim, _) = tenant(spaces).await?;
    let connection = connection(&sim);
    let input = json!({"fetchAll": true});
    let pooled = harness(component, false)?;
    let check = |page: Value| {
        anyhow::ensure!(records(&page) == spaces, "fetchAll read {} of {spaces} spaces", records(&page));
        Ok(())
    };
    let through =
        time(iterations, || async { check(component_ok(&pooled, "listSpaces", &connection, &input).await?) }).await?;
    let native = time(iterations, || async {
        check(native_host::run_action(pooled.outbound(), "listSpaces", &connection, &input).await?)
    })
    .await?;
    let urls = page_urls(pooled.outbound(), &sim).await?;
    let bearer = format!("Bearer {}", sim.api_key());
    let bare = time(iterations, || async {
        for url in &urls {
            bare_get(pooled.outbound(), url, &bearer).await?;
        }
        Ok(())
    })
    .await?;
    let served = tenant_time(&sim, &pooled, iterations.min(5)).await?;
    let pages = urls.len();
    let label = format!("listSpaces fetchAll, {spaces} spaces ({pages} pages)");
    let key = format!("fetchAll{spaces}");
    report.line(&format!("{key}.component"), &format!("{label}, component"), &through);
    report.line(&format!("{key}.native"), "  the same logic natively", &native);
    report.line(&format!("{key}.bare"), "  the same pages fetched, nothing parsed", &bare);
    report.line(&format!("{key}.tenant"), "  the simulator's own time serving them", &served);
    report.ratio(ratio_key, &format!("ratio component / native fetchAll, {spaces} (median)"), &through, &native);
    sim.shutdown().await;
    Ok(())
}

/// Samples per cold-start line.
const COLD_SAMPLES: usize = 3;

/// Line 5: loading the component from scratch, from the compile cache and precompiled; then
/// instantiating with and without the pooling allocator.
async fn cold_start(report: &mut Report, component: &Path, iterations: usize) -> anyhow::Result<()> {
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
    report.text(&format!("  cold start ({COLD_SAMPLES} samples): load the component and link it"));
    report.line("load.compile", "  compiling, no cache", &compiled);
    report.line("load.cache", "  from the compile cache", &cached);
    report.line("load.precompiled", "  from a precompiled .cwasm", &precompiled);
    for (key, label, pooling, path) in [
        ("instantiate.pooling", "instantiate from InstancePre, pooling allocator", true, component),
        ("instantiate.onDemand", "instantiate from InstancePre, on demand", false, component),
        ("instantiate.precompiled", "instantiate from InstancePre, .cwasm, pooling", true, cwasm.as_path()),
    ] {
        let runtime = Arc::new(Runtime::load_with_allocator(path, Some(&warm), pooling)?);
        let h = Harness::with_runtime(runtime, None, OutboundPolicy::default())?;
        let f = time(iterations, || h.instantiate_only()).await?;
        report.line(key, label, &f);
        if key == "instantiate.pooling" {
            let store = time(iterations, || async {
                h.store_only();
                Ok(())
            })
            .await?;
            report.line("instantiate.storeOnly", "  of which the store and its WASI context alone", &store);
            super::bench_floor::run(report, h.runtime(), &dir, iterations).await?;
        }
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The parts of the benchmark, for `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "camelCase")]
pub enum Section {
    /// Lines 1-3: single calls.
    Calls,
    /// Line 4.
    FetchAll,
    /// Line 5.
    Cold,
    /// Line 6.
    Scale,
    /// Line 7.
    Trigger,
}

/// Runs the benchmark (every section, or those in `only`) and shows its figures (a table, or
/// JSON with `json`).
pub async fn run(component: Option<PathBuf>, iterations: usize, json: bool, only: &[Section]) -> anyhow::Result<i32> {
    let wanted = |section: Section| only.is_empty() || only.contains(&section);
    let iterations = iterations.max(1);
    let mut report = Report::new(json);
    let path = qlik_harness::runtime::component_path(component.as_deref())?;
    let bytes = std::fs::metadata(&path)?.len();
    let profile =
        if cfg!(debug_assertions) { "debug (build with --release for representative figures)" } else { "release" };
    let head = json!({
        "harness": profile,
        "iterations": iterations,
        "machine": machine(),
        "component": {"path": path.display().to_string(), "bytes": bytes},
    });
    report.text(&format!("qlik-harness bench — harness {profile}, {iterations} iterations, component {bytes} bytes"));
    report.text(&format!("  machine: {}", head["machine"]));
    report.text(&format!("  {:<52} {:>10} {:>10} {:>10}", "", "min", "median", "p90"));
    if wanted(Section::Calls) {
        single_calls(&mut report, &component, iterations).await?;
    }
    if wanted(Section::FetchAll) {
        fetch_all(&mut report, &component, 1000, iterations.div_ceil(20).max(5), "fetchAllVsNative").await?;
        fetch_all(&mut report, &component, 10_000, iterations.div_ceil(200).max(3), "fetchAll10000VsNative").await?;
    }
    if wanted(Section::Cold) {
        cold_start(&mut report, &path, iterations).await?;
    }
    if wanted(Section::Scale) {
        super::bench_scale::run(&mut report, &component, iterations).await?;
    }
    if wanted(Section::Trigger) {
        super::bench_trigger::run(&mut report, component, iterations.div_ceil(100).max(5)).await?;
    }
    report.finish(head);
    Ok(0)
}
