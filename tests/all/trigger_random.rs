//! The trigger's guarantee, tested the hard way: for each resource type, 200 polls through the
//! real component while the simulated tenant creates and updates records at random (at the
//! watermark second with its clock frozen, and while a poll is paging), its clock skewed up to
//! ±5 minutes, and faults injected into some polls (5xx, 429, dropped connections, storage
//! failures). Checked against the tenant's own change log (`/__sim/changes`): every observable
//! change is emitted exactly once, none is lost, nothing from before the first run is emitted,
//! and a failed poll leaves the state file byte for byte as it was.
//!
//! Replay a seed with `QLIK_TRIGGER_SEED=<n> cargo test --test all trigger_random`.

use crate::support::env::{temp_dir, Env, EnvOptions};
use qlik_harness::kv::KvOp;
use qlik_harness::Outcome;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const POLLS: usize = 200;

/// One resource type as the trigger, the simulator's churn and its change log name it.
struct Workload {
    trigger: &'static str,
    sim: &'static str,
    list_path: &'static str,
    initial: usize,
    /// Records seeded first (reloads need apps).
    prepare: &'static [(&'static str, usize)],
}

const WORKLOADS: &[Workload] = &[
    // More than one page of 100, so that changes land between pages.
    Workload { trigger: "spaces", sim: "spaces", list_path: "/api/v1/spaces", initial: 150, prepare: &[] },
    Workload { trigger: "users", sim: "users", list_path: "/api/v1/users", initial: 150, prepare: &[] },
    Workload { trigger: "dataFiles", sim: "dataFiles", list_path: "/api/v1/data-files", initial: 40, prepare: &[] },
    Workload { trigger: "dataStores", sim: "data-stores", list_path: "/api/v1/data-stores", initial: 30, prepare: &[] },
    Workload { trigger: "apps", sim: "apps", list_path: "/api/v1/items", initial: 30, prepare: &[] },
    // Reloads start on random apps and run for random times (some across many polls, some hang
    // until the churn finishes them), ending in random final statuses.
    Workload {
        trigger: "reloads",
        sim: "reloads",
        list_path: "/api/v1/reloads",
        initial: 120,
        prepare: &[("apps", 40)],
    },
];

/// Final statuses the simulator's next reloads end in, picked at random (HANG: until finished).
const RELOAD_OUTCOMES: &[&str] = &["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED", "EXCEEDED_LIMIT", "HANG"];

/// xorshift64: small, seedable, replayable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

fn millis(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text}: {e}")).timestamp_millis()
}

/// A change as (record id, update time in ms): what a dedupe key names.
type ChangeKey = (String, i64);

fn key_of(dedupe_key: &str) -> ChangeKey {
    let (id, at) = dedupe_key.rsplit_once('@').unwrap_or_else(|| panic!("dedupe key {dedupe_key}"));
    (id.to_string(), millis(at))
}

/// One successful poll: the change-log length before and after it, what it emitted.
struct Poll {
    log_before: usize,
    log_after: usize,
    created: Vec<ChangeKey>,
    updated: Vec<ChangeKey>,
}

#[derive(Default, Debug)]
struct Counts {
    polls: usize,
    failed: usize,
    faults: usize,
    changes: usize,
    required: usize,
    emitted: usize,
    lost: usize,
    duplicates: usize,
}

async fn changes_of(env: &Env, sim_resource: &str) -> Vec<(usize, ChangeKey, String)> {
    let log = env.control("GET", "/__sim/changes", None).await;
    log["changes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, c)| c["resource"] == sim_resource)
        .map(|(i, c)| {
            let mut key = (c["id"].as_str().unwrap().to_string(), millis(c["timestamp"].as_str().unwrap()));
            if sim_resource == "reloads" {
                key.1 = reload_time(key.1, c["kind"] == "updated");
            }
            (i, key, c["kind"].as_str().unwrap().to_string())
        })
        .collect()
}

async fn log_len(env: &Env) -> usize {
    env.control("GET", "/__sim/changes", None).await["changes"].as_array().unwrap().len()
}

/// A reload's two changes, creation and end, as one time line even when both fall in one
/// millisecond (a frozen clock): `2 × ms`, plus 1 for the end.
fn reload_time(ms: i64, ended: bool) -> i64 {
    2 * ms + i64::from(ended)
}

/// A reported change as (id, ms) of the change log: from its dedupe key, or for reloads (keyed
/// `<id>@<status>` once finished) from the record's end or creation time.
fn keys(result: &Value, kind: &str) -> Vec<ChangeKey> {
    let change_key = |c: &Value| match c["record"].get("creationTime") {
        Some(created) => {
            let id = c["record"]["id"].as_str().unwrap().to_string();
            let ended = !c["dedupeKey"].as_str().unwrap().ends_with(&format!("@{}", created.as_str().unwrap()));
            let at = if ended { c["record"]["endTime"].as_str().unwrap() } else { created.as_str().unwrap() };
            (id, reload_time(millis(at), ended))
        }
        None => key_of(c["dedupeKey"].as_str().unwrap()),
    };
    result[kind].as_array().unwrap().iter().map(change_key).collect()
}

/// Injects one random fault for the next poll; returns its name.
async fn inject_fault(env: &Env, harness: &qlik_harness::Harness, rng: &mut Rng, path: &str) -> &'static str {
    let count = 1 + rng.below(4);
    match rng.below(5) {
        0 => {
            // `Retry-After: 0` keeps the test fast; the backoff itself is unit-tested.
            env.fault(json!({"method": "GET", "path": path, "status": 503, "count": count, "retryAfter": "0"})).await;
            "503"
        }
        1 => {
            env.fault(json!({"method": "GET", "path": path, "status": 429, "count": count, "retryAfter": "0"})).await;
            "429"
        }
        2 => {
            env.fault(json!({"method": "GET", "path": path, "drop": true, "count": count})).await;
            "drop"
        }
        3 => {
            harness.kv().fail_next(KvOp::Read, 1);
            "storage read"
        }
        _ => {
            harness.kv().fail_next(KvOp::Write, 1);
            "storage write"
        }
    }
}

/// Runs one workload; `seed` is the test's (printed on failure, to replay), `stream` this
/// workload's own.
async fn run_workload(workload: &'static Workload, seed: u64, stream: u64) -> Counts {
    let mut rng = Rng(stream | 1);
    let env = Env::new().await;
    let state_dir = temp_dir(&format!("trigger-random-{}", workload.trigger));
    let harness = env.new_harness(&EnvOptions { state_dir: Some(state_dir.clone()), ..Default::default() });
    let state_file = state_dir.join("default.kv.json");
    let input = json!({"pollResourceType": workload.trigger});
    let skew = rng.below(601) as i64 - 300;
    env.control("POST", "/__sim/clock", Some(json!({"skewSeconds": skew}))).await;
    for (resource, count) in workload.prepare {
        env.control("POST", "/__sim/seed", Some(json!({"resource": resource, "count": count}))).await;
    }
    env.control("POST", "/__sim/seed", Some(json!({"resource": workload.sim, "count": workload.initial}))).await;
    // History, seconds before the first run.
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let first = harness.call("pollChangesTrigger", &env.connection, &input).await.unwrap();
    let Outcome::Ok(first) = first else { panic!("first run: {first:?}") };
    assert_eq!(first["polledNoChanges"], true, "a first run emits nothing: {first}");
    let history_end = log_len(&env).await;

    let mut counts = Counts::default();
    let mut polls: Vec<Poll> = Vec::new();
    let mut frozen = false;
    for round in 0..POLLS + 2 {
        let draining = round >= POLLS;
        if draining {
            // Two clean polls at the end collect what the last rounds left.
            env.control("DELETE", "/__sim/faults", None).await;
            env.control("POST", "/__sim/clock", Some(json!({"freeze": false, "advanceSeconds": 2}))).await;
        } else {
            if rng.one_in(6) {
                frozen = !frozen;
                env.control("POST", "/__sim/clock", Some(json!({"freeze": frozen}))).await;
            }
            if !rng.one_in(3) {
                let seconds = if rng.one_in(20) { 600 } else { rng.below(61) };
                env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": seconds}))).await;
            }
            let (create, update) = (rng.below(3), rng.below(4));
            if workload.trigger == "reloads" {
                let outcome = RELOAD_OUTCOMES[rng.below(RELOAD_OUTCOMES.len() as u64) as usize];
                let mut behaviour = json!({"outcome": outcome, "queuedSeconds": rng.below(30), "count": create.max(1)});
                if outcome != "HANG" {
                    behaviour["reloadingSeconds"] = json!(rng.below(300));
                }
                env.control("POST", "/__sim/reloads", Some(behaviour)).await;
            }
            env.control(
                "POST",
                "/__sim/churn",
                Some(json!({"resource": workload.sim, "create": create, "update": update})),
            )
            .await;
            if rng.one_in(4) {
                // Lands while the poll is paging: after its first request was answered.
                let churn = json!({"resource": workload.sim, "create": rng.below(2), "update": 1 + rng.below(2),
                                   "afterRequests": 1});
                env.control("POST", "/__sim/churn", Some(churn)).await;
            }
            if rng.one_in(6) {
                inject_fault(&env, &harness, &mut rng, workload.list_path).await;
                counts.faults += 1;
            }
        }
        let before_bytes = std::fs::read(&state_file).unwrap();
        let log_before = log_len(&env).await;
        let outcome = harness.call("pollChangesTrigger", &env.connection, &input).await.unwrap();
        let log_after = log_len(&env).await;
        counts.polls += 1;
        match outcome {
            Outcome::Ok(result) => polls.push(Poll {
                log_before,
                log_after,
                created: keys(&result, "created"),
                updated: keys(&result, "updated"),
            }),
            Outcome::Err(error) => {
                assert!(!draining, "seed {seed}: a clean poll failed: {error}");
                counts.failed += 1;
                let after_bytes = std::fs::read(&state_file).unwrap();
                assert!(
                    after_bytes == before_bytes,
                    "seed {seed}, round {round}: a failed poll ({error}) changed the state"
                );
            }
        }
        env.control("DELETE", "/__sim/faults", None).await;
        harness.kv().fail_next(KvOp::Read, 0);
        harness.kv().fail_next(KvOp::Write, 0);
    }
    check(workload, seed, &env, history_end, &polls, &mut counts).await;
    std::fs::remove_dir_all(state_dir).unwrap();
    counts
}

/// Compares what the polls emitted with the tenant's change log.
async fn check(workload: &Workload, seed: u64, env: &Env, history_end: usize, polls: &[Poll], counts: &mut Counts) {
    let log = changes_of(env, workload.sim).await;
    let replay = format!("{}: replay with QLIK_TRIGGER_SEED={seed}", workload.trigger);
    let mut emitted: BTreeMap<ChangeKey, usize> = BTreeMap::new();
    let mut first_emission: BTreeMap<String, bool> = BTreeMap::new();
    for poll in polls {
        for (key, created) in poll.created.iter().map(|k| (k, true)).chain(poll.updated.iter().map(|k| (k, false))) {
            *emitted.entry(key.clone()).or_default() += 1;
            if created {
                assert!(!first_emission.contains_key(&key.0), "{replay}: {key:?} created after it was emitted");
            }
            first_emission.entry(key.0.clone()).or_insert(created);
        }
    }
    counts.emitted = emitted.values().sum();
    counts.duplicates = emitted.values().filter(|n| **n > 1).map(|n| n - 1).sum();
    let after_first_run: Vec<&(usize, ChangeKey, String)> =
        log.iter().filter(|(i, _, kind)| *i >= history_end && kind != "deleted").collect();
    let created_later: BTreeSet<&str> =
        after_first_run.iter().filter(|(_, _, kind)| kind == "created").map(|(_, k, _)| k.0.as_str()).collect();
    let mut distinct: Vec<&(usize, ChangeKey, String)> = Vec::new();
    for change in &after_first_run {
        // Two writes of one record in one millisecond are one change: they share a dedupe key.
        if !distinct.iter().any(|c| c.1 == change.1) {
            distinct.push(change);
        }
    }
    counts.changes = distinct.len();
    for (index, key, _) in &distinct {
        let next_write = log.iter().find(|(i, k, _)| i > index && k.0 == key.0 && k.1 != key.1).map(|c| c.0);
        let visible_until = next_write.unwrap_or(usize::MAX);
        // Log entry `n` exists once the log is longer than `n`. A poll reads between its
        // `log_before` and `log_after`: it may see a change that was visible at some point of
        // that span, and must see one visible throughout it.
        let could_see = polls.iter().any(|p| p.log_after > *index && p.log_before <= visible_until);
        let must_see = polls.iter().find(|p| p.log_before > *index).is_some_and(|p| visible_until >= p.log_after);
        let times = emitted.get(key).copied().unwrap_or(0);
        if !could_see {
            assert_eq!(times, 0, "{replay}: {key:?} was overwritten before any poll could read it, yet emitted");
        }
        if must_see {
            counts.required += 1;
            if times == 0 {
                counts.lost += 1;
                eprintln!("{replay}: lost {key:?}");
            }
        }
    }
    for key in emitted.keys() {
        assert!(distinct.iter().any(|c| c.1 == *key), "{replay}: {key:?} emitted but not a change after the first run");
    }
    for (id, created) in &first_emission {
        assert_eq!(*created, created_later.contains(id.as_str()), "{replay}: {id} first came out as created={created}");
    }
    assert_eq!(counts.lost, 0, "{replay}: {counts:?}");
    assert_eq!(counts.duplicates, 0, "{replay}: {counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_change_comes_out_exactly_once_through_faults_skew_and_paging() {
    let seed: u64 = std::env::var("QLIK_TRIGGER_SEED").ok().map_or(0x5EED_2026_1201, |s| s.parse().expect("a number"));
    // The workloads run side by side, each against its own simulated tenant.
    let runs: Vec<_> = WORKLOADS
        .iter()
        .enumerate()
        .map(|(n, workload)| tokio::spawn(run_workload(workload, seed, seed.wrapping_add(n as u64 * 0x9E37_79B9))))
        .collect();
    let mut polls = 0;
    for (workload, run) in WORKLOADS.iter().zip(runs) {
        let counts = run.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        println!(
            "trigger randomized ({}, seed {seed}): polls {} (failed {}), faults {}, changes {} (required {}), emitted {}, lost {}, duplicates {}",
            workload.trigger,
            counts.polls,
            counts.failed,
            counts.faults,
            counts.changes,
            counts.required,
            counts.emitted,
            counts.lost,
            counts.duplicates
        );
        assert!(
            counts.polls > POLLS && counts.required > 100 && counts.failed > 5,
            "{}: a real workload: {counts:?}",
            workload.trigger
        );
        polls += counts.polls;
    }
    assert!(polls >= 5 * POLLS);
}
