//! Data sources (connector.md §6): every page at the API's maximum page size, up to 2000 items,
//! sorted by label (case-insensitive) then key, filtered by `search`.

use super::list::paging_error;
use super::request::with_query;
use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::paging::{next_page, LoopGuard};
use crate::retry::Method;
use crate::table::{LabelRule, Op};
use serde_json::Value;

/// Most items a data source returns.
pub const MAX_ITEMS: usize = 2000;

/// One choice (mirrors WIT `picklist-item`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicklistItem {
    /// The stored value.
    pub key: String,
    /// What the user sees.
    pub label: String,
}

fn field<'v>(record: &'v Value, name: &str) -> Option<&'v str> {
    record.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Makes the item of one record; a record without a key is skipped.
pub fn item(record: &Value, key_field: &str, rule: LabelRule) -> Option<PicklistItem> {
    let key = match record.get(key_field)? {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let label = match rule {
        LabelRule::FirstOf(fields) => fields.iter().find_map(|f| field(record, f)).map(str::to_string),
        LabelRule::NameWithSpaceType => field(record, "name").map(|name| match field(record, "type") {
            Some(kind) if kind != "shared" => format!("{name} ({kind})"),
            _ => name.to_string(),
        }),
    };
    Some(PicklistItem { label: label.unwrap_or_else(|| key.clone()), key })
}

/// Sorts by label (case-insensitive), then key, and keeps those matching `search`.
pub fn finish(mut items: Vec<PicklistItem>, search: Option<&str>) -> Vec<PicklistItem> {
    if let Some(search) = search.map(str::to_lowercase) {
        items.retain(|item| item.label.to_lowercase().contains(&search));
    }
    items.sort_by(|a, b| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then_with(|| a.key.cmp(&b.key)));
    items.truncate(MAX_ITEMS);
    items
}

/// Runs a data source.
pub fn run<H: Host>(client: &mut Client<'_, H>, op: &Op, inputs: &Inputs) -> Result<Vec<PicklistItem>> {
    let Op::Picklist { path, paging, page_size, fixed_query, search_param, key_field, label } = *op else {
        unreachable!("picklist::run takes picklist entries")
    };
    let search = inputs.str("search");
    let mut pairs: Vec<(String, String)> = fixed_query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    pairs.push(("limit".into(), page_size.to_string()));
    if let (Some(param), Some(search)) = (search_param, search) {
        pairs.push((param.into(), search.into()));
    }
    let mut url = with_query(&client.api_url(path), &pairs);
    let mut guard = LoopGuard::new(MAX_ITEMS);
    let mut items = Vec::new();
    while items.len() < MAX_ITEMS && guard.admit(&url) {
        let (_, body) = client.send_json(Method::Get, &url, None)?;
        let records = body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| ConnectorError::InvalidResponse("a list page without a `data` array".into()))?;
        items.extend(records.iter().filter_map(|r| item(r, key_field, label)));
        match next_page(paging, &body, &url, &client.origin()).map_err(paging_error)? {
            Some(next) => url = next.url,
            None => break,
        }
    }
    Ok(finish(items, search))
}
