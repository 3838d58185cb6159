//! Read-merge-write updates: GET the record, drop its response-only fields, merge the JSON
//! input and then the explicit inputs over it, PUT it back. The record keeps the `version` it
//! was read with, so a concurrent change makes the tenant answer 409, which is `conflict`.

use super::request::{fill_path, merge_fields};
use crate::client::{parse_json_body, Body, Client};
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::inputs::Inputs;
use crate::table::RmwSpec;
use serde_json::Value;

/// Runs a read-merge-write update.
pub fn run(client: &mut Client<'_>, spec: &RmwSpec, inputs: &Inputs) -> Result<Value> {
    let url = client.api_url(&fill_path(spec.path, inputs));
    let (_, record) = client.send_json(Method::Get, &url, None)?;
    let Value::Object(mut record) = record else {
        return Err(ConnectorError::InvalidResponse("the record to update is not a JSON object".into()));
    };
    for field in spec.read_only {
        record.shift_remove(*field);
    }
    if let Some(key) = spec.base {
        match inputs.get(key) {
            None => {}
            Some(Value::Object(given)) => record.extend(given.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Some(_) => return Err(ConnectorError::invalid(key, format!("{key} must be a JSON object"))),
        }
    }
    let merged = merge_fields(Value::Object(record), spec.fields, inputs);
    let response = client.send(Method::Put, &url, Some(&Body::json(&merged)))?;
    parse_json_body(&response)
}
