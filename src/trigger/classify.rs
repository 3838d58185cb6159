//! One poll, as a pure function: the stored state, the records the poll read and the server's
//! time in, the changes to emit and the state to store out.
//!
//! Rules (connector.md §7): the watermark is server time, never the component's clock, and
//! never moves back. Each poll considers the records updated at or after `watermark - overlap`
//! (but never before the first run's server time: that is history) and suppresses those whose dedupe key `<id>@<updated timestamp>` was already emitted, so ties
//! at the watermark are neither lost nor repeated. A record is `created` when it was created
//! inside that window and nothing was emitted for it before, else `updated`; a record created
//! and updated within one window thus comes out once, as created. Records whose timestamps
//! cannot be read are counted in `skipped`. The show-filters hide kinds of changes from the
//! output, but the changes still count as delivered.

use super::state::TriggerState;
use crate::timestamp::parse_unix_millis;
use serde_json::Value;

/// Where a resource keeps its id and timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollFields {
    /// The id field (`id`, or `resourceId` for items).
    pub id: &'static str,
    /// The creation timestamp (`createdAt`, `createdDate`, `createdTime`).
    pub created: &'static str,
    /// The update timestamp (`updatedAt`, `lastUpdatedAt`, `modifiedDate`, `lastModifiedTime`;
    /// a reload's `endTime`).
    pub updated: &'static str,
    /// What names a change.
    pub dedupe: Dedupe,
}

/// The second part of a dedupe key `<id>@…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedupe {
    /// The update timestamp: every update is a change.
    UpdatedTime,
    /// Jobs such as reloads: `<id>@<status>` once the record reached one of `finals` (its
    /// `updated` field then says when), else `<id>@<created timestamp>`. So a job comes out when
    /// it is created and when it finished, never for the steps in between.
    FinalStatus {
        /// The status field.
        field: &'static str,
        /// The statuses after which the job does not change.
        finals: &'static [&'static str],
    },
}

/// Which kinds of changes the output shows (`showNewRecords`, `showUpdatedRecords`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Show {
    /// Show created records.
    pub created: bool,
    /// Show updated records.
    pub updated: bool,
}

/// One change: its dedupe key and the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `<id>@<updated timestamp>`.
    pub dedupe_key: String,
    /// The record as the API answered it.
    pub record: Value,
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollOutcome {
    /// Records created since the last poll.
    pub created: Vec<Change>,
    /// Records updated since the last poll.
    pub updated: Vec<Change>,
    /// Records whose id or timestamps could not be read.
    pub skipped: u32,
    /// With `acknowledge` on and changes reported: the id to pass to `ack-poll`.
    pub poll_id: Option<String>,
}

impl PollOutcome {
    /// True when nothing is reported (WIT `polled-no-changes`).
    pub fn no_changes(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty()
    }
}

/// The state a first run stores: the server's time, nothing seen; it emits nothing.
pub fn first_run(server_now_ms: i64) -> TriggerState {
    TriggerState::at(server_now_ms)
}

/// The start of the window a poll after `state` re-reads (Unix ms): the overlap before the
/// watermark, but never before the first run.
pub fn window_start(state: &TriggerState, overlap_ms: i64) -> i64 {
    state.watermark_ms.saturating_sub(overlap_ms).max(state.since_ms)
}

/// For a list sorted by `field`, newest first: whether a page's last record's `field` is
/// before the window, so no later page can hold a change. A page whose last timestamp cannot be
/// read never stops the walk.
pub fn page_ends_before(records: &[Value], field: &str, window_start_ms: i64) -> bool {
    records.last().and_then(|r| timestamp(r, field)).is_some_and(|(_, ms)| ms < window_start_ms)
}

fn timestamp<'r>(record: &'r Value, field: &str) -> Option<(&'r str, i64)> {
    let text = record.get(field)?.as_str()?;
    parse_unix_millis(text).map(|ms| (text, ms))
}

/// The change a record shows: the dedupe key's second part and when it happened (Unix ms).
fn version<'r>(record: &'r Value, fields: &PollFields) -> Option<(&'r str, i64)> {
    match fields.dedupe {
        // A record never updated may carry only its creation time.
        Dedupe::UpdatedTime => timestamp(record, fields.updated)
            .or_else(|| record.get(fields.updated).is_none().then(|| timestamp(record, fields.created)).flatten()),
        Dedupe::FinalStatus { field, finals } => {
            let status = record.get(field)?.as_str()?;
            if finals.contains(&status) {
                timestamp(record, fields.updated).map(|(_, ms)| (status, ms))
            } else {
                timestamp(record, fields.created)
            }
        }
    }
}

fn record_id(record: &Value, field: &str) -> Option<String> {
    match record.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Classifies the records a poll read after `prev`; returns what to emit and the state to store.
pub fn classify(
    prev: &TriggerState,
    records: &[Value],
    fields: &PollFields,
    server_now_ms: i64,
    overlap_ms: i64,
    show: Show,
) -> (PollOutcome, TriggerState) {
    let start = window_start(prev, overlap_ms);
    let mut outcome = PollOutcome::default();
    let mut next = prev.clone();
    for record in records {
        let Some(id) = record_id(record, fields.id) else {
            outcome.skipped += 1;
            continue;
        };
        let (Some((updated_text, updated_ms)), Some((_, created_ms))) =
            (version(record, fields), timestamp(record, fields.created))
        else {
            outcome.skipped += 1;
            continue;
        };
        if updated_ms < start {
            continue;
        }
        let dedupe_key = format!("{id}@{updated_text}");
        if next.has_seen(&dedupe_key) {
            continue;
        }
        next.seen.push((dedupe_key.clone(), updated_ms));
        let change = Change { dedupe_key, record: record.clone() };
        let emitted_before =
            prev.seen.iter().any(|(k, _)| k.rsplit_once('@').is_some_and(|(seen_id, _)| seen_id == id));
        if created_ms >= start && !emitted_before {
            if show.created {
                outcome.created.push(change);
            }
        } else if show.updated {
            outcome.updated.push(change);
        }
    }
    next.watermark_ms = prev.watermark_ms.max(server_now_ms);
    let keep_from = window_start(&next, overlap_ms);
    next.seen.retain(|(_, ms)| *ms >= keep_from);
    (outcome, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeSet;

    const FIELDS: PollFields =
        PollFields { id: "id", created: "createdAt", updated: "updatedAt", dedupe: Dedupe::UpdatedTime };
    const BOTH: Show = Show { created: true, updated: true };
    const MIN: i64 = 60_000;
    /// 2024-05-01T10:00:00Z.
    const T0: i64 = 1_714_557_600_000;

    fn at(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    fn rec(id: &str, created: i64, updated: i64) -> Value {
        json!({"id": id, "createdAt": at(created), "updatedAt": at(updated), "name": id})
    }

    fn keys(changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| c.dedupe_key.clone()).collect()
    }

    fn key(id: &str, updated: i64) -> String {
        format!("{id}@{}", at(updated))
    }

    /// One table row: the state before (watermark, seen keys), what the poll read, the
    /// server's time, the show-filters, and what must come out.
    struct Row {
        name: &'static str,
        watermark: i64,
        seen: Vec<(String, i64)>,
        records: Vec<Value>,
        server_now: i64,
        show: Show,
        created: Vec<String>,
        updated: Vec<String>,
        skipped: u32,
        watermark_after: i64,
    }

    #[test]
    fn classify_table() {
        let wm = T0;
        let rows = vec![
            Row {
                name: "nothing new",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm - 60 * MIN, wm - 30 * MIN)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a record created after the watermark",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 10_000, wm + 10_000)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm + 10_000)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "an old record updated after the watermark",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm - 600 * MIN, wm + 10_000)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![key("a", wm + 10_000)],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "created and updated within one window comes out once, as created",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 1_000, wm + 20_000)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm + 20_000)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a tie at the watermark is read, once",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm - 600 * MIN, wm)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![key("a", wm)],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a tie at the watermark already emitted is not repeated",
                watermark: wm,
                seen: vec![(key("a", wm), wm)],
                records: vec![rec("a", wm - 600 * MIN, wm)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "the overlap re-reads, and dedupe keys suppress what was emitted",
                watermark: wm,
                seen: vec![(key("a", wm - 2 * MIN), wm - 2 * MIN)],
                records: vec![rec("a", wm - 600 * MIN, wm - 2 * MIN), rec("b", wm - 600 * MIN, wm - 3 * MIN)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![key("b", wm - 3 * MIN)],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a record emitted as created and updated since is an update",
                watermark: wm,
                seen: vec![(key("a", wm - MIN), wm - MIN)],
                records: vec![rec("a", wm - MIN, wm + 30_000)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![key("a", wm + 30_000)],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a record created in the window but never emitted arrives late, as created",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm - 2 * MIN, wm - 2 * MIN)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm - 2 * MIN)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "before the overlap window is ignored",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm - 600 * MIN, wm - 6 * MIN)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "unreadable timestamps and ids are skipped, counted",
                watermark: wm,
                seen: vec![],
                records: vec![
                    json!({"id": "a", "createdAt": "yesterday", "updatedAt": at(wm + 1)}),
                    json!({"id": "b", "createdAt": at(wm), "updatedAt": 5}),
                    json!({"createdAt": at(wm), "updatedAt": at(wm)}),
                    rec("c", wm + 1, wm + 1),
                ],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("c", wm + 1)],
                updated: vec![],
                skipped: 3,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a record never updated uses its creation time",
                watermark: wm,
                seen: vec![],
                records: vec![json!({"id": "a", "createdAt": at(wm + 5)})],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm + 5)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "show only created",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 1, wm + 1), rec("b", wm - 600 * MIN, wm + 2)],
                server_now: wm + MIN,
                show: Show { created: true, updated: false },
                created: vec![key("a", wm + 1)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "show only updated",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 1, wm + 1), rec("b", wm - 600 * MIN, wm + 2)],
                server_now: wm + MIN,
                show: Show { created: false, updated: true },
                created: vec![],
                updated: vec![key("b", wm + 2)],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a server clock behind the records does not lose them",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 5 * MIN, wm + 5 * MIN)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm + 5 * MIN)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
            Row {
                name: "a server clock that went back never moves the watermark back",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 1, wm + 1)],
                server_now: wm - 10 * MIN,
                show: BOTH,
                created: vec![key("a", wm + 1)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm,
            },
            Row {
                name: "the same record twice in one read (a page shift) comes out once",
                watermark: wm,
                seen: vec![],
                records: vec![rec("a", wm + 1, wm + 1), rec("a", wm + 1, wm + 1)],
                server_now: wm + MIN,
                show: BOTH,
                created: vec![key("a", wm + 1)],
                updated: vec![],
                skipped: 0,
                watermark_after: wm + MIN,
            },
        ];
        for row in rows {
            let mut prev = TriggerState::at(row.watermark);
            // The first run was long before: the whole overlap window is re-read.
            prev.since_ms = row.watermark - 60 * MIN;
            prev.seen = row.seen;
            let (out, next) = classify(&prev, &row.records, &FIELDS, row.server_now, 5 * MIN, row.show);
            assert_eq!(keys(&out.created), row.created, "{}: created", row.name);
            assert_eq!(keys(&out.updated), row.updated, "{}: updated", row.name);
            assert_eq!(out.skipped, row.skipped, "{}: skipped", row.name);
            assert_eq!(next.watermark_ms, row.watermark_after, "{}: watermark", row.name);
            for change in out.created.iter().chain(&out.updated) {
                assert!(next.has_seen(&change.dedupe_key), "{}: {} kept", row.name, change.dedupe_key);
            }
        }
    }

    #[test]
    fn state_keeps_only_keys_inside_the_next_window() {
        let mut prev = TriggerState::at(T0);
        prev.since_ms = T0 - 60 * MIN;
        prev.seen.push((key("old", T0 - 5 * MIN), T0 - 5 * MIN));
        let (_, next) = classify(&prev, &[rec("new", T0 + 1, T0 + 1)], &FIELDS, T0 + 2 * MIN, 5 * MIN, BOTH);
        // The next window starts at T0 - 3 min: `old` falls out, `new` stays.
        assert_eq!(next.seen, [(key("new", T0 + 1), T0 + 1)]);
    }

    #[test]
    fn filtered_changes_still_count_as_delivered() {
        let prev = TriggerState::at(T0);
        let only_updated = Show { created: false, updated: true };
        let (out, next) = classify(&prev, &[rec("a", T0 + 1, T0 + 1)], &FIELDS, T0 + MIN, 5 * MIN, only_updated);
        assert!(out.no_changes());
        let (again, _) = classify(&next, &[rec("a", T0 + 1, T0 + 1)], &FIELDS, T0 + 2 * MIN, 5 * MIN, BOTH);
        assert!(again.no_changes(), "not emitted later either");
    }

    /// Many polls over a changing collection, each reading the records of the window: every
    /// change comes out exactly once.
    #[test]
    fn successive_polls_emit_every_change_exactly_once() {
        let mut state = first_run(T0);
        let mut records: Vec<Value> = Vec::new();
        let mut emitted: Vec<String> = Vec::new();
        let mut expected: Vec<String> = Vec::new();
        let mut now = T0;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next_rand = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for poll in 0..300 {
            for _ in 0..next_rand(4) {
                // Changes land on whole seconds, often exactly at the watermark second.
                let at_ms = if next_rand(3) == 0 { state.watermark_ms } else { now - (next_rand(30) as i64) * 1000 };
                if records.is_empty() || next_rand(2) == 0 {
                    let id = format!("r{}", records.len());
                    records.push(rec(&id, at_ms, at_ms));
                    expected.push(key(&id, at_ms));
                } else {
                    let index = next_rand(records.len() as u64) as usize;
                    let created = parse_unix_millis(records[index]["createdAt"].as_str().unwrap()).unwrap();
                    let updated = at_ms.max(created);
                    let id = records[index]["id"].as_str().unwrap().to_string();
                    if key(&id, updated) != records[index]["updatedAt"].as_str().map(|u| format!("{id}@{u}")).unwrap() {
                        records[index] = rec(&id, created, updated);
                        expected.push(key(&id, updated));
                    }
                }
            }
            now += (1 + next_rand(90) as i64) * 1000;
            let (out, next) = classify(&state, &records, &FIELDS, now, 5 * MIN, BOTH);
            emitted.extend(keys(&out.created).into_iter().chain(keys(&out.updated)));
            state = next;
            assert!(state.seen.len() < 1000, "poll {poll}: state stays small");
        }
        // A change overwritten before any poll read it is not observable; every observable one
        // is emitted once.
        let mut unique = emitted.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), emitted.len(), "no duplicates");
        let current: BTreeSet<String> = records
            .iter()
            .map(|r| format!("{}@{}", r["id"].as_str().unwrap(), r["updatedAt"].as_str().unwrap()))
            .collect();
        for key in &current {
            let at_ms = parse_unix_millis(key.rsplit_once('@').unwrap().1).unwrap();
            if at_ms >= T0 {
                assert!(emitted.contains(key), "lost {key}");
            }
        }
        for key in &emitted {
            let at_ms = parse_unix_millis(key.rsplit_once('@').unwrap().1).unwrap();
            assert!(at_ms >= T0, "history before the first run emitted: {key}");
        }
        assert!(!expected.is_empty() && emitted.len() > 100, "a real workload: {}", emitted.len());
    }

    #[test]
    fn a_first_run_replays_no_history_and_keeps_ties_at_its_time() {
        let state = first_run(T0);
        let history = [rec("old", T0 - 10 * MIN, T0 - 10 * MIN), rec("recent", T0 - MIN, T0 - 1)];
        let tie = rec("tie", T0, T0);
        let late = rec("late", T0 - 30 * MIN, T0 + 1000);
        let records: Vec<Value> = history.iter().cloned().chain([tie, late]).collect();
        let (out, next) = classify(&state, &records, &FIELDS, T0 + MIN, 5 * MIN, BOTH);
        assert_eq!(keys(&out.created), [key("tie", T0)], "created at the first run's time is not history");
        assert_eq!(keys(&out.updated), [key("late", T0 + 1000)]);
        assert_eq!(next.since_ms, T0, "the floor stays");
        assert_eq!(window_start(&next, 5 * MIN), T0, "the window never reaches before the first run");
        assert_eq!(window_start(&TriggerState { watermark_ms: T0 + 6 * MIN, ..next }, 5 * MIN), T0 + MIN);
    }

    #[test]
    fn jobs_come_out_when_created_and_when_finished_never_in_between() {
        const RELOADS: PollFields = PollFields {
            id: "id",
            created: "creationTime",
            updated: "endTime",
            dedupe: Dedupe::FinalStatus { field: "status", finals: &["SUCCEEDED", "FAILED"] },
        };
        let reload = |id: &str, status: &str, end: Option<i64>| {
            let mut r = json!({"id": id, "status": status, "creationTime": at(T0 + 1000)});
            if let Some(end) = end {
                r["endTime"] = json!(at(end));
            }
            r
        };
        let state = first_run(T0);
        let (out, state) = classify(&state, &[reload("r1", "QUEUED", None)], &RELOADS, T0 + MIN, 5 * MIN, BOTH);
        assert_eq!(keys(&out.created), [key("r1", T0 + 1000)], "created, keyed by its creation time");
        let (out, state) = classify(&state, &[reload("r1", "RELOADING", None)], &RELOADS, T0 + 2 * MIN, 5 * MIN, BOTH);
        assert!(out.no_changes(), "a step in between is not a change");
        let done = reload("r1", "FAILED", Some(T0 + 2 * MIN));
        let (out, state) = classify(&state, std::slice::from_ref(&done), &RELOADS, T0 + 3 * MIN, 5 * MIN, BOTH);
        assert_eq!(keys(&out.updated), ["r1@FAILED"], "finished: keyed by its status");
        let (out, _) = classify(&state, &[done], &RELOADS, T0 + 4 * MIN, 5 * MIN, BOTH);
        assert!(out.no_changes());

        // Created and finished within one window: once, as created, with its final status; a
        // final status without an end time cannot be placed.
        let records = [reload("r2", "SUCCEEDED", Some(T0 + 5000)), reload("r3", "SUCCEEDED", None)];
        let (out, _) = classify(&first_run(T0), &records, &RELOADS, T0 + MIN, 5 * MIN, BOTH);
        assert_eq!((keys(&out.created), out.updated.len(), out.skipped), (vec!["r2@SUCCEEDED".to_string()], 0, 1));
    }

    #[test]
    fn sorted_pages_stop_once_they_end_before_the_window() {
        let start = T0 - 5 * MIN;
        assert!(page_ends_before(&[rec("a", T0, T0), rec("b", T0, start - 1)], "updatedAt", start));
        assert!(!page_ends_before(&[rec("a", T0, T0), rec("b", T0, start)], "updatedAt", start));
        assert!(!page_ends_before(&[json!({"id": "x", "updatedAt": "?"})], "updatedAt", start));
        assert!(!page_ends_before(&[], "updatedAt", start));
    }
}
