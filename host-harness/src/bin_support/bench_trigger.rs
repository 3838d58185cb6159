//! The trigger lines of `qlik-harness bench`: one poll of ours through the component and one of
//! the old connector's algorithm (anchor-prismatic-qlik.md §5, reimplemented here natively as the
//! reference), over the same simulated tenant: requests and wall time, side by side.
//!
//! The old algorithm: every poll (the first included) reads every page at `limit=100`, following
//! `links.next.href`, and classifies each record against the runner's clock with a strict `>`.
//! It sends through a keep-alive pool like the component's, so the two differ in algorithm only.

use super::bench_report::Report;
use qlik_harness::outbound::{Outbound, OutboundPolicy};
use qlik_harness::pool::ConnectionPool;
use qlik_harness::sim::{self, SimConfig, SimHandle};
use qlik_harness::sim_client;
use qlik_harness::{Harness, HarnessOptions, Outcome};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One scenario: a collection of `size` records of `resource` and 10 changes since the last poll.
struct Scenario {
    label: &'static str,
    trigger: &'static str,
    sim: &'static str,
    list_path: &'static str,
    size: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        label: "10,000 data files",
        trigger: "dataFiles",
        sim: "dataFiles",
        list_path: "/api/v1/data-files",
        size: 10_000,
    },
    Scenario { label: "2,000 spaces", trigger: "spaces", sim: "spaces", list_path: "/api/v1/spaces", size: 2_000 },
];

/// Median wall time and the list requests of one kind of poll.
struct PollFigures {
    first_run_requests: usize,
    requests: usize,
    median: Duration,
    changes: usize,
}

async fn control(sim: &SimHandle, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let body = (!body.is_null()).then_some(body);
    sim_client::request(&sim.url(), method, path, body.as_ref()).await
}

async fn list_requests(sim: &SimHandle, path: &str) -> anyhow::Result<usize> {
    let log = control(sim, "GET", "/__sim/requests", Value::Null).await?;
    let requests = log["requests"].as_array().cloned().unwrap_or_default();
    Ok(requests.iter().filter(|r| r["path"] == path).count())
}

/// Ten changes (5 created, 5 updated) after the last poll.
async fn churn(sim: &SimHandle, scenario: &Scenario) -> anyhow::Result<()> {
    control(sim, "POST", "/__sim/clock", json!({"advanceSeconds": 2})).await?;
    control(sim, "POST", "/__sim/churn", json!({"resource": scenario.sim, "create": 5, "update": 5})).await?;
    control(sim, "DELETE", "/__sim/requests", Value::Null).await?;
    Ok(())
}

async fn ours(
    sim: &SimHandle,
    scenario: &Scenario,
    component: Option<PathBuf>,
    rounds: usize,
) -> anyhow::Result<PollFigures> {
    let connection = json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()});
    let input = json!({"pollResourceType": scenario.trigger});
    let (mut samples, mut requests, mut first_run_requests, mut changes) = (Vec::new(), 0, 0, 0);
    for _ in 0..rounds {
        // A fresh in-memory store each round: a first run, then the timed poll.
        let harness = Harness::new(HarnessOptions {
            component: component.clone(),
            outbound: qlik_harness::outbound::OutboundPolicy::allowing([]),
            ..Default::default()
        })?;
        // The last round's changes are seconds old: before this first run, not reported.
        control(sim, "POST", "/__sim/clock", json!({"advanceSeconds": 2})).await?;
        control(sim, "DELETE", "/__sim/requests", Value::Null).await?;
        harness.call("pollChangesTrigger", &connection, &input).await?;
        first_run_requests = list_requests(sim, scenario.list_path).await?;
        churn(sim, scenario).await?;
        let started = Instant::now();
        let outcome = harness.call("pollChangesTrigger", &connection, &input).await?;
        samples.push(started.elapsed());
        let Outcome::Ok(result) = outcome else { anyhow::bail!("our poll failed: {outcome:?}") };
        changes = result["created"].as_array().map_or(0, Vec::len) + result["updated"].as_array().map_or(0, Vec::len);
        requests = list_requests(sim, scenario.list_path).await?;
    }
    Ok(PollFigures { first_run_requests, requests, median: super::bench_report::figures(samples).median, changes })
}

/// The old algorithm's poll: every page at limit=100; `created > since`, else `updated > since`.
async fn old_poll(outbound: &Outbound, sim: &SimHandle, scenario: &Scenario, since_ms: i64) -> anyhow::Result<usize> {
    let (created, updated) = match scenario.trigger {
        "dataFiles" => ("createdDate", "modifiedDate"),
        _ => ("createdAt", "updatedAt"),
    };
    let bearer = format!("Bearer {}", sim.api_key());
    let mut target = format!("{}{}?limit=100", sim.url(), scenario.list_path);
    let mut matched = 0;
    loop {
        let page: Value = serde_json::from_slice(&super::bench::bare_get(outbound, &target, &bearer).await?)?;
        let after = |record: &Value, field: &str| {
            record[field]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.timestamp_millis() > since_ms)
        };
        let records = page["data"].as_array().cloned().unwrap_or_default();
        matched += records.iter().filter(|r| after(r, created) || after(r, updated)).count();
        let Some(next) = page["links"]["next"]["href"].as_str() else { break };
        target = next.to_string();
    }
    Ok(matched)
}

async fn old(sim: &SimHandle, scenario: &Scenario, rounds: usize) -> anyhow::Result<PollFigures> {
    let outbound = Outbound::new(Arc::new(OutboundPolicy::allowing([])), Arc::default(), ConnectionPool::new(true));
    let (mut samples, mut requests, mut first_run_requests, mut changes) = (Vec::new(), 0, 0, 0);
    for _ in 0..rounds {
        control(sim, "DELETE", "/__sim/requests", Value::Null).await?;
        let clock = control(sim, "GET", "/__sim/clock", Value::Null).await?;
        // The runner's clock; here the tenant's, so that the reference is not hurt by skew.
        let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap_or_default())?.timestamp_millis();
        old_poll(&outbound, sim, scenario, now).await?;
        first_run_requests = list_requests(sim, scenario.list_path).await?;
        churn(sim, scenario).await?;
        let started = Instant::now();
        changes = old_poll(&outbound, sim, scenario, now).await?;
        samples.push(started.elapsed());
        requests = list_requests(sim, scenario.list_path).await?;
    }
    Ok(PollFigures { first_run_requests, requests, median: super::bench_report::figures(samples).median, changes })
}

/// Runs the trigger scenarios and shows their lines.
pub(super) async fn run(report: &mut Report, component: Option<PathBuf>, rounds: usize) -> anyhow::Result<()> {
    let rounds = rounds.max(1);
    report.text(&format!(
        "  trigger, one poll after 10 changes ({rounds} rounds, median)   requests  first run    wall     changes"
    ));
    let mut rows = Vec::new();
    for scenario in SCENARIOS {
        let sim = sim::start(SimConfig::default()).await?;
        control(&sim, "POST", "/__sim/config", json!({"rateLimits": {"tier1": 1_000_000, "tier2": 1_000_000}})).await?;
        control(&sim, "POST", "/__sim/seed", json!({"resource": scenario.sim, "count": scenario.size})).await?;
        // The collection is an hour old: outside any overlap window.
        control(&sim, "POST", "/__sim/clock", json!({"advanceSeconds": 3600})).await?;
        let ours = ours(&sim, scenario, component.clone(), rounds).await?;
        let old = old(&sim, scenario, rounds).await?;
        for (who, f) in [("ours", &ours), ("old algorithm", &old)] {
            report.text(&format!(
                "    {:<18} {:<15} {:>8} {:>10} {:>8.1} ms {:>8}",
                scenario.label,
                who,
                f.requests,
                f.first_run_requests,
                f.median.as_secs_f64() * 1e3,
                f.changes
            ));
            rows.push(json!({
                "scenario": scenario.label,
                "algorithm": who,
                "requests": f.requests,
                "firstRunRequests": f.first_run_requests,
                "medianMillis": (f.median.as_secs_f64() * 1e4).round() / 10.0,
                "changes": f.changes,
            }));
        }
        report.text(&format!(
            "    {:<18} ratio old / ours: requests {:.1}x, wall {:.1}x",
            scenario.label,
            old.requests as f64 / ours.requests.max(1) as f64,
            old.median.as_secs_f64() / ours.median.as_secs_f64()
        ));
        sim.shutdown().await;
    }
    report.section("trigger", rows);
    Ok(())
}
