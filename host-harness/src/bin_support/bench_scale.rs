//! The scale lines of `qlik-harness bench`: N calls in flight at once through one harness
//! (N = 1, 8, 64, 512), each a `getSpace` on a fresh instance: throughput, p50 and p99 latency,
//! the process's resident memory before and at its peak while they ran (what earlier lines left
//! is in the first), and the largest linear memory one call's instance reached.

use super::bench_report::{figures, micros, rss_bytes, Report};
use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::sim::{self, SimConfig};
use qlik_harness::sim_client;
use qlik_harness::{Harness, HarnessOptions, Outcome};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Calls in flight at once, per line.
const CONCURRENCY: [usize; 4] = [1, 8, 64, 512];

/// Samples the process's resident memory every millisecond until stopped; the peak.
fn rss_sampler(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = rss_bytes();
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_bytes());
            std::thread::sleep(Duration::from_millis(1));
        }
        peak.max(rss_bytes())
    })
}

/// Runs the scale lines: `calls` calls per line (at least 8 per caller).
pub(super) async fn run(report: &mut Report, component: &Option<PathBuf>, calls: usize) -> anyhow::Result<()> {
    let sim = sim::start(SimConfig::default()).await?;
    let limits = json!({"rateLimits": {"tier1": 100_000_000, "tier2": 100_000_000}});
    sim_client::request(&sim.url(), "POST", "/__sim/config", Some(&limits)).await?;
    let ids = sim_client::request(&sim.url(), "POST", "/__sim/seed", Some(&json!({"resource": "spaces", "count": 1})))
        .await?;
    let input = Arc::new(json!({"spaceId": ids["created"][0]}));
    let connection = Arc::new(json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()}));
    let harness = Arc::new(Harness::new(HarnessOptions {
        component: component.clone(),
        outbound: OutboundPolicy::allowing([]),
        ..Default::default()
    })?);
    report.text(
        "  scale: getSpace, N calls in flight through one harness    calls/s    p50 µs     p99 µs  RSS before → peak  guest mem",
    );
    let mut rows = Vec::new();
    for n in CONCURRENCY {
        let total = calls.max(n * 8);
        let issued = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        harness.runtime().take_peak_guest_memory();
        let stop = Arc::new(AtomicBool::new(false));
        let rss_before = rss_bytes();
        let sampler = rss_sampler(stop.clone());
        let started = Instant::now();
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (harness, connection, input, issued, failed) =
                (harness.clone(), connection.clone(), input.clone(), issued.clone(), failed.clone());
            callers.spawn(async move {
                let mut latencies = Vec::new();
                while issued.fetch_add(1, Ordering::Relaxed) < total {
                    let call = Instant::now();
                    match harness.call("getSpace", &connection, &input).await {
                        Ok(Outcome::Ok(_)) => latencies.push(call.elapsed()),
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                latencies
            });
        }
        let mut latencies = Vec::with_capacity(total);
        while let Some(done) = callers.join_next().await {
            latencies.extend(done?);
        }
        let wall = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        let peak_rss = sampler.join().unwrap_or(0);
        let failed = failed.load(Ordering::Relaxed);
        anyhow::ensure!(failed == 0 && !latencies.is_empty(), "{failed} of {total} calls failed at {n} in flight");
        let f = figures(latencies);
        let per_second = total as f64 / wall.as_secs_f64();
        let guest = harness.runtime().take_peak_guest_memory();
        let mib = |bytes: u64| bytes as f64 / 1048576.0;
        report.text(&format!(
            "    N = {n:<4} {total:>6} calls {:>30.0} {:>10.1} {:>10.1} {:>6.1} → {:>6.1} MiB {:>6.2} MiB",
            per_second,
            micros(f.median),
            micros(f.p99),
            mib(rss_before),
            mib(peak_rss),
            mib(guest as u64)
        ));
        rows.push(json!({
            "concurrency": n,
            "calls": total,
            "callsPerSecond": per_second.round(),
            "p50Micros": micros(f.median).round(),
            "p99Micros": micros(f.p99).round(),
            "rssBeforeMiB": (mib(rss_before) * 10.0).round() / 10.0,
            "peakRssMiB": (mib(peak_rss) * 10.0).round() / 10.0,
            "peakGuestMemoryMiB": (mib(guest as u64) * 100.0).round() / 100.0,
        }));
    }
    report.section("scale", rows);
    sim.shutdown().await;
    Ok(())
}
