//! `deleteDataStoresAssets`: deletes the data assets of data stores, all of them or only the
//! given ones, and never an asset outside those stores.

use super::pages::Pages;
use super::picklist::MAX_PAGES;
use super::request::fill_path;
use crate::client::{Body, Client};
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::inputs::Inputs;
use crate::uri::with_query;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The stores' assets, as a path (`{ids joined by ,}`).
const ASSETS_PATH: &str = "/data-stores/{dataStoreIds,}/data-assets";

/// Store ids go into one path segment: none may be empty, `*` (every store), or hold `,`,
/// `/` or `..`; checked before anything is sent.
pub fn check_store_ids(inputs: &Inputs) -> Result<()> {
    for id in inputs.list("dataStoreIds") {
        if id.is_empty() || id == "*" || id.contains([',', '/']) || id.contains("..") || id.bytes().all(|b| b == b'.') {
            return Err(ConnectorError::invalid(
                "dataStoreIds",
                "every item of dataStoreIds must be an id: not empty, not `*`, without `,`, `/` or `..`",
            ));
        }
    }
    Ok(())
}

/// Without `dataAssetsIds`: DELETE `/data-stores/{ids}/data-assets`. With them: lists the
/// stores' assets first, refuses (`invalid-input`, nothing deleted) any id not among them, then
/// DELETE `/data-assets` `{"ids": [...]}`.
pub fn delete_data_stores_assets(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    let stores = inputs.list("dataStoreIds");
    let path = fill_path(ASSETS_PATH, inputs);
    let wanted = inputs.list("dataAssetsIds");
    if wanted.is_empty() {
        let url = client.api_url(&path);
        client.send(Method::Delete, &url, None)?;
        return Ok(json!({"deleted": true, "dataStoreIds": stores}));
    }
    let url =
        with_query(&client.api_url(&path), &[("limit".into(), "100".into()), ("projections".into(), "id".into())]);
    let mut pages = Pages::new(crate::paging::PagingStyle::PageNumber, url, None, MAX_PAGES);
    let mut present = HashSet::new();
    while let Some(page) = pages.next(client)? {
        present.extend(page.values()?.iter().filter_map(|r| r.get("id")?.as_str().map(str::to_string)));
    }
    if pages.end() != Some(super::pages::PagesEnd::Exhausted) {
        return Err(ConnectorError::InvalidResponse("the data stores' assets could not all be read".into()));
    }
    if let Some(outside) = wanted.iter().find(|id| !present.contains(**id)) {
        return Err(ConnectorError::invalid(
            "dataAssetsIds",
            format!("data asset {outside} is not in the given data stores; nothing was deleted"),
        ));
    }
    let body = Body::json(&json!({"ids": wanted}));
    let url = client.api_url("/data-assets");
    client.send(Method::Delete, &url, Some(&body))?;
    Ok(json!({"deleted": true, "dataStoreIds": stores, "ids": wanted}))
}
