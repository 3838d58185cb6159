//! Runs table entries: validates the connection and inputs (nothing is sent when either is
//! invalid), then performs the entry's operation through a [`Client`]. Every error leaves with
//! the call's secrets redacted.

pub mod data_files;
pub mod data_stores;
mod list;
pub mod pages;
mod picklist;
mod poll;
pub mod raw;
pub mod reloads;
pub mod reports;
mod request;
mod rmw;
mod waiting;

use crate::client::Client;
use crate::connection::{resolve, Connection, Resolved};
use crate::error::{ConnectorError, Result};
use crate::host::Host;
use crate::inputs::{validate, Inputs};
use crate::table::{find, ExportKind, ExportSpec, Op};
pub use picklist::{scim_contains, PicklistItem};
pub use request::{set_pointer, Output};
use serde_json::Value;

/// Looks up an export of the given kind and validates the connection and inputs.
fn prepare(
    key: &str,
    kind: ExportKind,
    connection: &Connection,
    input: &str,
) -> Result<(&'static ExportSpec, Inputs, Resolved)> {
    let spec = find(key)
        .filter(|spec| spec.kind == kind)
        .ok_or_else(|| ConnectorError::invalid("key", format!("no {} named {key}", kind.interface())))?;
    let resolved = resolve(connection)?;
    let inputs = validate(spec, input)?;
    Ok((spec, inputs, resolved))
}

/// Runs `work` with a client for the call and redacts its secrets from any error.
fn with_client<T>(
    host: &mut dyn Host,
    resolved: Resolved,
    work: impl FnOnce(&mut Client<'_>) -> Result<T>,
) -> Result<T> {
    let mut client = Client::new(host, resolved);
    work(&mut client).map_err(|error| error.redact(&client.secrets()))
}

/// Runs the action `key` and returns its output as JSON.
pub fn run_action(host: &mut dyn Host, key: &str, connection: &Connection, input: &str) -> Result<Value> {
    action_output(host, key, connection, input)?.into_value()
}

/// Runs the action `key` and returns its output as JSON text (the guest's form: an output that
/// is the response body is passed on as it came, parsed once to check it).
pub fn run_action_text(host: &mut dyn Host, key: &str, connection: &Connection, input: &str) -> Result<String> {
    Ok(action_output(host, key, connection, input)?.into_text())
}

fn action_output(host: &mut dyn Host, key: &str, connection: &Connection, input: &str) -> Result<Output> {
    let (spec, inputs, resolved) = prepare(key, ExportKind::Action, connection, input)?;
    with_client(host, resolved, |client| match spec.op {
        Op::Request(request) => request::run(client, &request, &inputs),
        Op::List(list) => list::run(client, &list, &inputs),
        Op::ReadMergeWrite(rmw) => rmw::run(client, &rmw, &inputs).map(Output::Json),
        Op::Custom(custom) => custom(client, &inputs).map(Output::Json),
        Op::Picklist(_) | Op::Poll(_) => unreachable!("the table test keeps picklists and polls out of actions"),
    })
}

/// Runs the data source `key` and returns its items.
pub fn run_data_source(
    host: &mut dyn Host,
    key: &str,
    connection: &Connection,
    input: &str,
) -> Result<Vec<PicklistItem>> {
    let (spec, inputs, resolved) = prepare(key, ExportKind::DataSource, connection, input)?;
    let Op::Picklist(picklist) = spec.op else { unreachable!("the table test keeps data sources picklists") };
    with_client(host, resolved, |client| picklist::run(client, &picklist, &inputs))
}

/// The trigger `key`'s resource types, its checked inputs and the resolved connection.
fn prepare_trigger(
    key: &str,
    connection: &Connection,
    input: &str,
) -> Result<(&'static [crate::table::PollSource], Inputs, Resolved)> {
    let (spec, inputs, resolved) = prepare(key, ExportKind::Trigger, connection, input)?;
    let Op::Poll(sources) = spec.op else { unreachable!("the table test keeps triggers polls") };
    Ok((sources, inputs, resolved))
}

/// Runs the trigger `key` once.
pub fn run_trigger(
    host: &mut dyn Host,
    key: &str,
    connection: &Connection,
    input: &str,
) -> Result<crate::trigger::classify::PollOutcome> {
    let (sources, inputs, resolved) = prepare_trigger(key, connection, input)?;
    with_client(host, resolved, |client| poll::run(client, sources, &inputs))
}

/// Acknowledges poll `poll_id` of the trigger `key` (`ack-poll`).
pub fn run_ack_poll(host: &mut dyn Host, key: &str, connection: &Connection, input: &str, poll_id: &str) -> Result<()> {
    let (sources, inputs, resolved) = prepare_trigger(key, connection, input)?;
    if poll_id.trim().is_empty() {
        return Err(ConnectorError::invalid("pollId", "is required"));
    }
    with_client(host, resolved, |client| poll::acknowledge(client, sources, &inputs, poll_id.trim()))
}

#[cfg(test)]
mod tests;
