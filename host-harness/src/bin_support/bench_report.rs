//! What `qlik-harness bench` measures, kept and shown: timings as min / median / p90, ratios
//! and values, printed as a table or (with `--json`) written as one JSON document at the end.

use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// Minimum, median, 90th and 99th percentile of a set of timings.
#[derive(Clone, Copy, Debug)]
pub(super) struct Figures {
    pub(super) min: Duration,
    pub(super) median: Duration,
    pub(super) p90: Duration,
    pub(super) p99: Duration,
    pub(super) samples: usize,
}

/// The figures of `samples` (not empty).
pub(super) fn figures(mut samples: Vec<Duration>) -> Figures {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Figures { min: samples[0], median: at(0.5), p90: at(0.9), p99: at(0.99), samples: samples.len() }
}

pub(super) fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times `step` `iterations` times after one untimed warm-up.
pub(super) async fn time<F, Fut>(iterations: usize, mut step: F) -> anyhow::Result<Figures>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    step().await?;
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        step().await?;
        samples.push(started.elapsed());
    }
    Ok(figures(samples))
}

/// The lines of one run, shown as they come (table) or kept for the end (`--json`).
pub(super) struct Report {
    json: bool,
    figures: Map<String, Value>,
    ratios: Map<String, Value>,
    sections: Map<String, Value>,
}

impl Report {
    pub(super) fn new(json: bool) -> Self {
        Report { json, figures: Map::new(), ratios: Map::new(), sections: Map::new() }
    }

    /// A heading or free text line of the table.
    pub(super) fn text(&self, text: &str) {
        if !self.json {
            println!("{text}");
        }
    }

    /// A timing line: `label`, then min / median / p90 in µs; kept under `key`.
    pub(super) fn line(&mut self, key: &str, label: &str, f: &Figures) {
        self.text(&format!(
            "  {label:<52} {:>10.1} {:>10.1} {:>10.1} µs",
            micros(f.min),
            micros(f.median),
            micros(f.p90)
        ));
        self.figures.insert(
            key.into(),
            json!({
                "minMicros": round(micros(f.min)),
                "medianMicros": round(micros(f.median)),
                "p90Micros": round(micros(f.p90)),
                "samples": f.samples,
            }),
        );
    }

    /// A ratio of two medians, `a / b`; kept under `ratios.key`.
    pub(super) fn ratio(&mut self, key: &str, label: &str, a: &Figures, b: &Figures) -> f64 {
        let ratio = a.median.as_secs_f64() / b.median.as_secs_f64();
        self.text(&format!("  {label:<52} {ratio:>10.2}x"));
        self.ratios.insert(key.into(), json!((ratio * 1000.0).round() / 1000.0));
        ratio
    }

    /// Rows of a section that is not timings (the scale and trigger tables), for the JSON.
    pub(super) fn section(&mut self, key: &str, rows: Vec<Value>) {
        self.sections.insert(key.into(), Value::Array(rows));
    }

    /// Prints the JSON document (`--json`); nothing for the table.
    pub(super) fn finish(self, head: Value) {
        if !self.json {
            return;
        }
        let mut out = head.as_object().cloned().unwrap_or_default();
        out.insert("figures".into(), Value::Object(self.figures));
        out.insert("ratios".into(), Value::Object(self.ratios));
        out.extend(self.sections);
        println!("{}", serde_json::to_string_pretty(&Value::Object(out)).unwrap_or_default());
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The machine the figures came from: CPU model, logical CPUs, memory.
pub(super) fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, m)| m.trim().to_string()));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    json!({
        "cpu": model,
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "memoryGiB": memory_kib.map(|k| (k as f64 / 1048576.0 * 10.0).round() / 10.0),
        "os": std::env::consts::OS,
    })
}

/// This process's resident memory now, bytes (Linux; 0 elsewhere).
pub(super) fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|pages| pages.parse::<u64>().ok()).map_or(0, |pages| pages * 4096)
}
