//! The polling trigger's I/O (connector.md §7): reads the stored state, walks the pages (only as
//! far as the window reaches where the API sorts by update time), classifies, and writes the new
//! state only after everything was read and the result built. Any error fails the poll and
//! changes nothing, so the next poll covers the same ground; a storage failure is never taken
//! for a first run.

use super::pages::Pages;
use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::inputs::Inputs;
use crate::table::PollSource;
use crate::trigger::classify::{classify, first_run, page_ends_before, window_start, PollOutcome, Show};
use crate::trigger::state::{state_key, TriggerState};
use crate::uri::with_query;
use serde_json::Value;

/// Most pages one poll reads (a guard; a full scan of 100,000 records at 100 a page).
const MAX_PAGES: usize = 1000;

fn storage(what: &str, error: crate::host::StoreError) -> ConnectorError {
    ConnectorError::Transport(format!("the host's storage failed while {what} the trigger state: {}", error.0))
}

fn list_url(client: &Client<'_>, source: &PollSource, inputs: &Inputs, limit: i64, sort: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> =
        source.fixed_query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    pairs.extend(source.scope.iter().filter_map(|k| inputs.str(k).map(|v| (k.to_string(), v.to_string()))));
    pairs.push(("limit".into(), limit.to_string()));
    if let Some(sort) = sort {
        pairs.push(("sort".into(), sort.into()));
    }
    with_query(&client.api_url(source.path), &pairs)
}

/// The storage key of this trigger's state: per tenant and resource type, and per filter
/// (`appId`, `filter`) where the resource takes them, so two filtered triggers never share one.
fn key_of(client: &Client<'_>, source: &PollSource, inputs: &Inputs) -> String {
    let mut scoped = source.resource.to_string();
    for input in source.scope.iter().filter(|k| inputs.str(k).is_some()) {
        scoped.push_str(&format!("&{input}={}", inputs.str(input).unwrap_or_default()));
    }
    state_key(client.origin(), &scoped)
}

/// The server's time: the first page's `Date`, else the newest update time read.
fn server_time(date_ms: Option<i64>, records: &[Value], source: &PollSource) -> Result<i64> {
    let newest = records
        .iter()
        .filter_map(|r| r.get(source.fields.updated).and_then(Value::as_str))
        .filter_map(crate::timestamp::parse_unix_millis)
        .max();
    date_ms.or(newest).ok_or_else(|| {
        ConnectorError::InvalidResponse(
            "the tenant's answer has no Date header and no timestamps to tell its time".into(),
        )
    })
}

/// The resource type to poll; a filter input it does not take is refused, naming the input.
fn source<'s>(sources: &'s [PollSource], inputs: &Inputs) -> Result<&'s PollSource> {
    let resource = inputs.str("pollResourceType").unwrap_or_default();
    let source = sources
        .iter()
        .find(|s| s.resource == resource)
        .ok_or_else(|| ConnectorError::invalid("pollResourceType", format!("no resource type {resource}")))?;
    let scoped = sources.iter().flat_map(|s| s.scope.iter());
    if let Some(foreign) = scoped.filter(|k| !source.scope.contains(k)).find(|k| inputs.str(k).is_some()) {
        return Err(ConnectorError::invalid(foreign, format!("{foreign} does not apply to {resource}")));
    }
    Ok(source)
}

/// A new poll id: 16 random bytes from the host, as hex.
fn new_poll_id(client: &mut Client<'_>) -> String {
    let mut bytes = [0u8; 16];
    client.host().random_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one poll. With `acknowledge` on, a poll that reports changes leaves them pending under
/// its `pollId` (the state does not advance) until [`acknowledge`] confirms that poll.
pub fn run(client: &mut Client<'_>, sources: &[PollSource], inputs: &Inputs) -> Result<PollOutcome> {
    let source = source(sources, inputs)?;
    let show = Show { created: inputs.flag("showNewRecords"), updated: inputs.flag("showUpdatedRecords") };
    let overlap_ms = inputs.int("overlapMinutes").unwrap_or(5) * 60_000;
    let key = key_of(client, source, inputs);
    let stored = client.host().store_get(&key).map_err(|e| storage("reading", e))?;
    let Some(bytes) = stored else {
        // First run: one small request to learn the server's time; nothing is emitted.
        let url = list_url(client, source, inputs, 1, source.sorts.first().map(|(sort, _)| *sort));
        let mut pages = Pages::new(source.paging, url, None, 1);
        let page = pages.next(client)?.expect("a walk's first page is always read");
        let now = server_time(page.server_time_ms, &page.values()?, source)?;
        let state = first_run(now);
        client.host().store_set(&key, &state.to_bytes()).map_err(|e| storage("writing", e))?;
        return Ok(PollOutcome::default());
    };
    // A pending poll is superseded: this one starts from the acknowledged state, so it reports
    // the pending changes again.
    let prev = TriggerState::parse(&bytes)?.acknowledged();
    let start = window_start(&prev, overlap_ms);
    let (records, date_ms, full_scan) = match read(client, source, inputs, !prev.full_scan, start) {
        // A tenant that refuses the update-time sort: read everything, and remember it.
        Err(ConnectorError::Api(e)) if e.status == 400 && !source.sorts.is_empty() && !prev.full_scan => {
            let (records, date_ms, _) = read(client, source, inputs, false, start)?;
            (records, date_ms, true)
        }
        other => other?,
    };
    let now = server_time(date_ms, &records, source)?;
    let (mut outcome, mut next) = classify(&prev, &records, &source.fields, now, overlap_ms, show);
    next.full_scan = full_scan;
    if inputs.flag("acknowledge") && !outcome.no_changes() {
        let poll_id = new_poll_id(client);
        next = TriggerState::with_pending(&prev, next, poll_id.clone());
        outcome.poll_id = Some(poll_id);
    }
    client.host().store_set(&key, &next.to_bytes()).map_err(|e| storage("writing", e))?;
    Ok(outcome)
}

/// `ack-poll`: the host handed poll `poll_id`'s changes on; the state advances past them.
/// Acknowledging the last acknowledged poll again is fine (a retried call); any other id is
/// `invalid-input` naming `pollId`, and nothing changes.
pub fn acknowledge(client: &mut Client<'_>, sources: &[PollSource], inputs: &Inputs, poll_id: &str) -> Result<()> {
    let source = source(sources, inputs)?;
    let key = key_of(client, source, inputs);
    let stored = client.host().store_get(&key).map_err(|e| storage("reading", e))?;
    let not_pending = |why: String| ConnectorError::invalid("pollId", why);
    let Some(bytes) = stored else {
        return Err(not_pending(format!("poll {poll_id} is not pending: this trigger has not polled yet")));
    };
    let state = TriggerState::parse(&bytes)?;
    if state.acked_poll_id.as_deref() == Some(poll_id) {
        return Ok(());
    }
    match &state.pending {
        Some(pending) if pending.poll_id == poll_id => {}
        Some(_) => {
            return Err(not_pending(format!(
                "poll {poll_id} is not pending: a later poll reported its changes again; acknowledge that one"
            )))
        }
        None => return Err(not_pending(format!("poll {poll_id} is not pending"))),
    }
    let next = state.acknowledge().expect("a pending poll");
    client.host().store_set(&key, &next.to_bytes()).map_err(|e| storage("writing", e))
}

/// Reads the pages a poll needs: with the sorts, each read only until a page ends before the
/// window; without (or with `sorted` false), every page once. A record read twice (it changed
/// between two reads) counts as last read. Returns the records, the first page's server time and
/// whether it was a full scan.
fn read(
    client: &mut Client<'_>,
    source: &PollSource,
    inputs: &Inputs,
    sorted: bool,
    start: i64,
) -> Result<(Vec<Value>, Option<i64>, bool)> {
    let reads: Vec<(Option<&str>, Option<&str>)> = match (sorted, source.sorts) {
        (true, sorts) if !sorts.is_empty() => sorts.iter().map(|(sort, field)| (Some(*sort), Some(*field))).collect(),
        _ => vec![(None, None)],
    };
    let mut records: Vec<Value> = Vec::new();
    let mut date_ms = None;
    for (sort, field) in &reads {
        let url = list_url(client, source, inputs, source.page_size, *sort);
        let mut pages = Pages::new(source.paging, url, None, MAX_PAGES);
        while let Some(page) = pages.next(client)? {
            date_ms = date_ms.or(page.server_time_ms);
            let values = page.values()?;
            let done = field.is_some_and(|field| page_ends_before(&values, field, start));
            records.extend(values);
            if done {
                break;
            }
        }
        if pages.end().is_some_and(|end| end != super::pages::PagesEnd::Exhausted) {
            return Err(ConnectorError::InvalidResponse(format!(
                "the {} list did not end ({:?})",
                source.resource,
                pages.end()
            )));
        }
    }
    if reads.len() > 1 {
        // Records without an id are kept, each: classify counts them as skipped.
        let id_of = |r: &Value| r.get(source.fields.id).filter(|id| !id.is_null()).cloned();
        let mut kept: Vec<Value> = Vec::with_capacity(records.len());
        for record in records.into_iter().rev() {
            let id = id_of(&record);
            if id.is_none() || !kept.iter().any(|k| id_of(k) == id) {
                kept.push(record);
            }
        }
        records = kept;
    }
    Ok((records, date_ms, reads[0].0.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{resolve, Connection, Secret};
    use crate::fake_host::FakeHost;
    use serde_json::json;

    #[test]
    fn two_reads_keep_the_last_version_of_each_record_and_every_record_without_an_id() {
        let reloads = crate::table::triggers::SOURCES.iter().find(|s| s.resource == "reloads").unwrap();
        let mut host = FakeHost::at(1_700_000_000);
        let page = |data: Value| json!({"data": data, "links": {}}).to_string();
        host.answer(200, &[], &page(json!([{"id": "r1", "status": "QUEUED"}, {"status": "QUEUED"}]))).answer(
            200,
            &[],
            &page(json!([{"id": "r1", "status": "SUCCEEDED"}, {"status": "FAILED"}])),
        );
        let resolved =
            resolve(&Connection::ApiKey { api_key: Secret("KEY-123456".into()), tenant: "http://127.0.0.1:9".into() })
                .unwrap();
        let mut client = Client::new(&mut host, resolved);
        let inputs = Inputs::from_pairs(&[("pollResourceType", json!("reloads"))]);
        let (records, _, full_scan) = read(&mut client, reloads, &inputs, true, 0).unwrap();
        assert!(!full_scan);
        assert_eq!(records.len(), 3, "{records:?}");
        assert_eq!(records.iter().filter(|r| r.get("id").is_none()).count(), 2, "both records without an id kept");
        assert_eq!(records.iter().filter(|r| r["id"] == "r1").count(), 1);
        assert_eq!(records.iter().find(|r| r["id"] == "r1").unwrap()["status"], "SUCCEEDED", "the last read wins");
        let sorts: Vec<&str> = host.sent.iter().map(|r| r.url.split("sort=").nth(1).unwrap_or_default()).collect();
        assert_eq!(sorts, ["-creationTime", "-endTime"]);
    }
}
