//! List actions (connector.md §4): one page, or every page with `fetchAll` up to `maxRecords`.
//!
//! A fetchAll that stops for any reason other than "no next page" (the record cap, a repeating
//! cursor, the page cap of `ceil(maxRecords / limit) + 2`, three empty pages in a row) says
//! `truncated: true` with `nextPage` where to resume, never a silent `truncated: false`.

use super::pages::{Pages, PagesEnd};
use super::request::Output;
use super::request::{fill_path, query_pairs};
use crate::client::Client;
use crate::error::Result;
use crate::inputs::Inputs;
use crate::table::{ListSpec, Query};
use crate::uri::with_query;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Query parameters a list action owns: user query params cannot set them.
const OWNED_PARAMS: &[&str] = &["limit", "next", "prev", "page", "sort"];

/// Pages read beyond those `maxRecords` needs at the page size (a short page or two).
const PAGE_MARGIN: usize = 2;

/// The URL of the first page: user params, the action's own params, limit and position.
fn first_url(client: &Client<'_>, spec: &ListSpec, limit: Option<i64>, inputs: &Inputs) -> String {
    let owned = |k: &str| OWNED_PARAMS.contains(&k) || spec.query.iter().any(|q: &Query| q.param == k);
    let mut pairs: Vec<(String, String)> =
        inputs.pairs("paramsInputFields").into_iter().filter(|(k, _)| !owned(k)).collect();
    pairs.extend(query_pairs(spec.query, inputs));
    if let Some(limit) = limit {
        pairs.push(("limit".into(), limit.to_string()));
    }
    if let Some(page) = inputs.str("page") {
        pairs.push((spec.paging.position_param().into(), page.to_string()));
    }
    with_query(&client.api_url(&fill_path(spec.path, inputs)), &pairs)
}

/// Runs a list action. Its records are passed on as the tenant sent them (see [`Output`]).
pub fn run(client: &mut Client<'_>, spec: &ListSpec, inputs: &Inputs) -> Result<Output> {
    let fetch_all = inputs.flag("fetchAll");
    let max_records = inputs.int("maxRecords").unwrap_or(10_000).max(1) as usize;
    // With fetchAll the first page is never larger than maxRecords, so it is never cut.
    let limit = match (inputs.int("limit"), fetch_all) {
        (Some(limit), true) => Some(limit.min(max_records as i64)),
        (None, true) => Some(spec.max_limit.min(max_records as i64)),
        (limit, false) => limit,
    };
    let max_pages = if fetch_all { max_records.div_ceil(limit.unwrap_or(1).max(1) as usize) + PAGE_MARGIN } else { 1 };
    let url = first_url(client, spec, limit, inputs);
    let mut pages = Pages::new(spec.paging, url, inputs.str("page").map(str::to_string), max_pages);
    let first = pages.next(client)?.expect("a walk's first page is always read");
    let mut output = first.body;
    if !fetch_all {
        output.insert("nextPage".into(), first.next.map(Value::String).unwrap_or(Value::Null));
        return Ok(with_records(&output, &first.records));
    }
    let mut records = first.records;
    // The position of the page read last: where a cut page can be read again.
    let mut last_position = first.position;
    while records.len() < max_records {
        let Some(page) = pages.next(client)? else { break };
        records.extend(page.records);
        last_position = page.position;
    }
    let (truncated, next_page) = if records.len() > max_records {
        records.truncate(max_records);
        // Resume at the page the cut fell in: a few records may repeat, none are skipped.
        (true, last_position)
    } else {
        match pages.end() {
            Some(PagesEnd::Exhausted) => (false, None),
            _ => (true, pages.resume()),
        }
    };
    output.shift_remove("links");
    output.insert("truncated".into(), Value::Bool(truncated));
    output.insert("nextPage".into(), next_page.map(Value::String).unwrap_or(Value::Null));
    Ok(with_records(&output, &records))
}

/// The output's text: `body`'s fields in order, its `data` holding `records` as they came.
fn with_records(body: &Map<String, Value>, records: &[Box<RawValue>]) -> Output {
    struct WithRecords<'a>(&'a Map<String, Value>, &'a [Box<RawValue>]);
    impl serde::Serialize for WithRecords<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in self.0 {
                if key == "data" {
                    map.serialize_entry(key, self.1)?;
                } else {
                    map.serialize_entry(key, value)?;
                }
            }
            map.end()
        }
    }
    Output::Text(
        serde_json::to_string(&WithRecords(body, records)).expect("JSON values and checked JSON text serialize"),
    )
}
