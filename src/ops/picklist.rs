//! Data sources (connector.md §6): every page at the API's maximum page size, keeping up to
//! 2000 items that match `search`, sorted by label (case-insensitive) then key.

use super::pages::Pages;
use crate::client::Client;
use crate::error::Result;
use crate::inputs::Inputs;
use crate::table::{LabelRule, PicklistSpec, Search};
use crate::uri::with_query;
use serde_json::Value;

/// Most items a data source returns (counted over matching items).
pub const MAX_ITEMS: usize = 2000;

/// Most pages a data source reads (100,000 records at a page size of 100).
pub const MAX_PAGES: usize = 1000;

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

/// Sorts by label (case-insensitive), then key.
pub fn sort(items: &mut [PicklistItem]) {
    items.sort_by(|a, b| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then_with(|| a.key.cmp(&b.key)));
}

/// A SCIM filter `<f1> co "<text>" or <f2> co "<text>"`, the text's `\` and `"` escaped.
pub fn scim_contains(fields: &[&str], text: &str) -> String {
    let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
    fields.iter().map(|f| format!("{f} co \"{quoted}\"")).collect::<Vec<_>>().join(" or ")
}

/// Runs a data source.
pub fn run(client: &mut Client<'_>, spec: &PicklistSpec, inputs: &Inputs) -> Result<Vec<PicklistItem>> {
    let search = inputs.str("search");
    let mut pairs: Vec<(String, String)> =
        spec.fixed_query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    pairs.push(("limit".into(), spec.page_size.to_string()));
    let local_match = match (spec.search, search) {
        (_, None) => None,
        (Search::Local, Some(text)) => Some(text.to_lowercase()),
        (Search::Param(param), Some(text)) => {
            pairs.push((param.into(), text.into()));
            Some(text.to_lowercase())
        }
        (Search::Wildcard(param), Some(text)) => {
            pairs.push((param.into(), format!("*{text}*")));
            Some(text.to_lowercase())
        }
        (Search::ScimContains(fields), Some(text)) => {
            pairs.push(("filter".into(), scim_contains(fields, text)));
            None
        }
    };
    let url = with_query(&client.api_url(spec.path), &pairs);
    let mut pages = Pages::new(spec.paging, url, None, MAX_PAGES);
    let mut items = Vec::new();
    while items.len() < MAX_ITEMS {
        let Some(page) = pages.next(client)? else { break };
        let records = page.values()?;
        let matching = records
            .iter()
            .filter_map(|r| item(r, spec.key_field, spec.label))
            .filter(|item| local_match.as_ref().is_none_or(|text| item.label.to_lowercase().contains(text)));
        items.extend(matching);
    }
    sort(&mut items);
    items.truncate(MAX_ITEMS);
    Ok(items)
}
