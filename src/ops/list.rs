//! List actions (connector.md §4): one page, or every page with `fetchAll` up to `maxRecords`.

use super::request::{query_pairs, with_query};
use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::paging::{next_page, LoopGuard, NextPage, PagingError, PagingStyle};
use crate::retry::Method;
use serde_json::{Map, Value};

/// Most pages one call reads; a guard against a tenant that never stops paging.
const MAX_PAGES: usize = 100_000;

/// Query parameters a list action owns: user query params cannot set them.
const OWNED_PARAMS: &[&str] = &["limit", "next", "prev", "page", "sort"];

/// One page read: its body object and the way on.
struct Page {
    body: Map<String, Value>,
    next: Option<NextPage>,
}

fn fetch<H: Host>(client: &mut Client<'_, H>, url: &str, paging: PagingStyle) -> Result<Page> {
    let (_, body) = client.send_json(Method::Get, url, None)?;
    let next = next_page(paging, &body, url, &client.origin()).map_err(paging_error)?;
    match body {
        Value::Object(body) if body.get("data").is_some_and(Value::is_array) => Ok(Page { body, next }),
        _ => Err(ConnectorError::InvalidResponse("a list page without a `data` array".into())),
    }
}

/// Maps paging errors to `invalid-response`.
pub fn paging_error(error: PagingError) -> ConnectorError {
    match error {
        PagingError::ForeignHost(url) => ConnectorError::InvalidResponse(format!("refused a next-page link to another host: {url}")),
        PagingError::BadLink(why) => ConnectorError::InvalidResponse(format!("unreadable next-page link: {why}")),
    }
}

/// The URL of the first page: user params, the action's own params, limit and position.
fn first_url<H: Host>(client: &Client<'_, H>, path: &str, paging: PagingStyle, limit: Option<i64>, query: &[(&str, &str)], inputs: &Inputs) -> String {
    let mut pairs: Vec<(String, String)> = inputs
        .pairs("paramsInputFields")
        .into_iter()
        .filter(|(k, _)| !OWNED_PARAMS.contains(&k.as_str()) && !query.iter().any(|(param, _)| param == k))
        .collect();
    pairs.extend(query_pairs(query, inputs));
    if let Some(limit) = limit {
        pairs.push(("limit".into(), limit.to_string()));
    }
    if let Some(page) = inputs.str("page") {
        pairs.push((paging.position_param().into(), page.to_string()));
    }
    with_query(&client.api_url(path), &pairs)
}

/// Runs a list action.
pub fn run<H: Host>(
    client: &mut Client<'_, H>,
    path: &str,
    paging: PagingStyle,
    max_limit: i64,
    query: &[(&str, &str)],
    inputs: &Inputs,
) -> Result<Value> {
    let fetch_all = inputs.flag("fetchAll");
    let max_records = inputs.int("maxRecords").unwrap_or(10_000).max(1) as usize;
    // With fetchAll the first page is never larger than maxRecords, so it is never cut.
    let limit = match (inputs.int("limit"), fetch_all) {
        (Some(limit), true) => Some(limit.min(max_records as i64)),
        (None, true) => Some(max_limit.min(max_records as i64)),
        (limit, false) => limit,
    };
    let url = first_url(client, path, paging, limit, query, inputs);
    let first = fetch(client, &url, paging)?;
    let mut output = first.body;
    if !fetch_all {
        output.insert("nextPage".into(), first.next.map(|n| Value::String(n.token)).unwrap_or(Value::Null));
        return Ok(Value::Object(output));
    }
    let mut records = take_data(&mut output);
    let mut guard = LoopGuard::new(MAX_PAGES);
    guard.admit(&url);
    let mut next = first.next;
    // The position of the page read last: where a cut page can be read again.
    let mut last_position = inputs.str("page").map(str::to_string);
    while records.len() < max_records {
        let Some(step) = next.take() else { break };
        if !guard.admit(&step.url) {
            break;
        }
        let mut page = fetch(client, &step.url, paging)?;
        records.extend(take_data(&mut page.body));
        last_position = Some(step.token);
        next = page.next;
    }
    let (truncated, next_page) = if records.len() > max_records {
        records.truncate(max_records);
        // Resume at the page the cut fell in: a few records may repeat, none are skipped.
        (true, last_position)
    } else {
        (next.is_some(), next.map(|n| n.token))
    };
    output.remove("links");
    output.insert("data".into(), Value::Array(records));
    output.insert("truncated".into(), Value::Bool(truncated));
    output.insert("nextPage".into(), next_page.map(Value::String).unwrap_or(Value::Null));
    Ok(Value::Object(output))
}

fn take_data(body: &mut Map<String, Value>) -> Vec<Value> {
    match body.remove("data") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}
