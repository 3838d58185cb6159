//! One-request actions: fills the path, the query and the body from the inputs, and shapes
//! the output.

use crate::client::{Body, Client};
use crate::error::{ConnectorError, Result};
use crate::inputs::{path_placeholders, Inputs};
use crate::table::{BodySpec, OutputSpec, Query, RequestSpec};
use crate::uri::{encode_segment, with_query};
use serde_json::{json, Map, Value};

/// Replaces each `{input}` of a path template with the percent-encoded input, and each
/// `{input,}` with the value list's items, each encoded, joined by `,`.
pub fn fill_path(template: &str, inputs: &Inputs) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut placeholders = path_placeholders(template);
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map(|i| open + i).expect("table paths close their braces");
        let (key, joined) = placeholders.next().expect("one placeholder per brace");
        if joined {
            out.push_str(&inputs.list(key).into_iter().map(encode_segment).collect::<Vec<_>>().join(","));
        } else {
            out.push_str(&encode_segment(inputs.str(key).unwrap_or_default()));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The query pairs whose inputs are present, as text (a value list joined by `,`).
pub fn query_pairs(query: &[Query], inputs: &Inputs) -> Vec<(String, String)> {
    query.iter().filter_map(|q| inputs.get(q.input).map(|v| (q.param.to_string(), text(v)))).collect()
}

/// A value as query text: strings without quotes, lists joined by `,`.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Sets `value` at a JSON pointer (`/attributes/name`), creating objects on the way.
pub fn set_pointer(target: &mut Value, pointer: &str, value: Value) {
    let mut here = target;
    let tokens: Vec<String> = pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    let Some((last, parents)) = tokens.split_last() else {
        *here = value;
        return;
    };
    for token in parents {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        here = here.as_object_mut().expect("made an object").entry(token.clone()).or_insert(Value::Null);
    }
    if !here.is_object() {
        *here = Value::Object(Map::new());
    }
    here.as_object_mut().expect("made an object").insert(last.clone(), value);
}

/// A JSON object input (a JSON input given as text was parsed by validation).
fn object_input(inputs: &Inputs, key: &str) -> Result<Option<Value>> {
    match inputs.get(key) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(Value::Object(map.clone()))),
        Some(_) => Err(ConnectorError::invalid(key, format!("{key} must be a JSON object"))),
    }
}

/// The explicit fields set over `base` (explicit inputs win over the same keys in the base).
pub fn merge_fields(mut base: Value, fields: &[(&str, &str)], inputs: &Inputs) -> Value {
    for (pointer, input) in fields {
        if let Some(value) = inputs.get(input) {
            set_pointer(&mut base, pointer, value.clone());
        }
    }
    base
}

/// Builds the JSON body of a request.
pub fn build_body(body: BodySpec, inputs: &Inputs) -> Result<Option<Value>> {
    Ok(match body {
        BodySpec::None => None,
        BodySpec::Json { base, fields } => {
            let base = match base {
                Some(key) => object_input(inputs, key)?,
                None => None,
            };
            Some(merge_fields(base.unwrap_or_else(|| json!({})), fields, inputs))
        }
        BodySpec::PatchReplace(fields) => Some(Value::Array(
            fields
                .iter()
                .filter_map(|(pointer, input)| {
                    inputs.get(input).map(|v| json!({"op": "replace", "path": pointer, "value": v}))
                })
                .collect(),
        )),
        BodySpec::Input(key) => inputs.get(key).cloned(),
    })
}

/// An action's output: built as a JSON value, or JSON text (the response body as the tenant
/// sent it, or a list's fields around its records as they came), checked, which the guest passes
/// on without parsing and printing it again.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A value the action built.
    Json(Value),
    /// Checked JSON text.
    Text(String),
}

impl Output {
    /// The output as a value.
    pub fn into_value(self) -> Result<Value> {
        match self {
            Output::Json(value) => Ok(value),
            Output::Text(text) => serde_json::from_str(&text)
                .map_err(|e| ConnectorError::InvalidResponse(format!("the response is not valid JSON: {e}"))),
        }
    }

    /// The output as JSON text.
    pub fn into_text(self) -> String {
        match self {
            Output::Json(value) => value.to_string(),
            Output::Text(text) => text,
        }
    }
}

/// Runs a one-request action.
pub fn run(client: &mut Client<'_>, spec: &RequestSpec, inputs: &Inputs) -> Result<Output> {
    let url = with_query(&client.api_url(&fill_path(spec.path, inputs)), &query_pairs(spec.query, inputs));
    let body = build_body(spec.body, inputs)?.map(|value| Body::json(&value));
    let response = if spec.follow_redirects {
        client.send_following(spec.method, &url, body.as_ref())?
    } else {
        client.send(spec.method, &url, body.as_ref())?
    };
    if let OutputSpec::Body = spec.output {
        return crate::client::json_body_text(response).map(Output::Text);
    }
    let parsed = crate::client::parse_json_body(&response)?;
    Ok(Output::Json(match spec.output {
        OutputSpec::Body => unreachable!("passed through above"),
        OutputSpec::Deleted { id_input } => json!({"deleted": true, "id": inputs.get(id_input)}),
        OutputSpec::DeletedIds { ids_input } => json!({"deleted": true, "ids": inputs.list(ids_input)}),
        OutputSpec::WithLocation { id_key } => {
            let location = response.header("location").map(str::to_string);
            let id = location
                .as_deref()
                .and_then(|l| l.split(['?', '#']).next())
                .and_then(|l| l.rsplit('/').find(|s| !s.is_empty()));
            let mut out = match parsed {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            out.insert(id_key.to_string(), id.map_or(Value::Null, |id| Value::String(id.to_string())));
            out.insert("statusLocation".into(), location.map_or(Value::Null, Value::String));
            Value::Object(out)
        }
    }))
}
