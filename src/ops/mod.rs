//! Runs table entries: validates the connection and inputs (nothing is sent when either is
//! invalid), then performs the entry's operation through a [`Client`].

mod list;
mod picklist;
mod request;

use crate::client::Client;
use crate::connection::{resolve, Connection};
use crate::error::{ConnectorError, Result};
use crate::host::Host;
use crate::inputs::{validate, Inputs};
use crate::table::{find, ExportKind, ExportSpec, Op};
pub use picklist::PicklistItem;
use serde_json::Value;

/// Looks up an export of the given kind, validates everything, and returns a ready client.
fn prepare<'h, H: Host>(
    host: &'h mut H,
    key: &str,
    kind: ExportKind,
    connection: &Connection,
    input: &str,
) -> Result<(&'static ExportSpec, Inputs, Client<'h, H>)> {
    let spec = find(key)
        .filter(|spec| spec.kind == kind)
        .ok_or_else(|| ConnectorError::invalid("key", format!("no {} named {key}", kind.interface())))?;
    let resolved = resolve(connection)?;
    let inputs = validate(spec, input)?;
    Ok((spec, inputs, Client::new(host, resolved)))
}

/// Runs the action `key` and returns its output as JSON.
pub fn run_action<H: Host>(host: &mut H, key: &str, connection: &Connection, input: &str) -> Result<Value> {
    let (spec, inputs, mut client) = prepare(host, key, ExportKind::Action, connection, input)?;
    match spec.op {
        Op::Request { method, path, query, body, output, .. } => {
            request::run(&mut client, method, path, query, body, output, &inputs)
        }
        Op::List { path, paging, max_limit, query } => list::run(&mut client, path, paging, max_limit, query, &inputs),
        Op::Picklist { .. } => unreachable!("actions are never picklists"),
    }
}

/// Runs the data source `key` and returns its items.
pub fn run_data_source<H: Host>(host: &mut H, key: &str, connection: &Connection, input: &str) -> Result<Vec<PicklistItem>> {
    let (spec, inputs, mut client) = prepare(host, key, ExportKind::DataSource, connection, input)?;
    match spec.op {
        Op::Picklist { .. } => picklist::run(&mut client, &spec.op, &inputs),
        _ => unreachable!("data sources are picklists"),
    }
}

#[cfg(test)]
mod tests;
