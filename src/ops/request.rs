//! One-request actions: fills the path, the query and the body from the inputs.

use crate::client::Client;
use crate::error::Result;
use crate::host::Host;
use crate::inputs::Inputs;
use crate::retry::Method;
use crate::table::{BodySpec, OutputSpec};
use crate::uri::Uri;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

/// Characters kept as they are in a path segment (RFC 3986 unreserved).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Replaces each `{input}` of a path template with the percent-encoded input.
pub fn fill_path(template: &str, inputs: &Inputs) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map(|i| open + i).expect("table paths close their braces");
        let key = &rest[open + 1..close];
        out.extend(utf8_percent_encode(inputs.str(key).unwrap_or_default(), PATH_SEGMENT));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Appends query parameters to an absolute URL.
pub fn with_query(url: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return url.to_string();
    }
    let mut parsed = Uri::parse_absolute(url).expect("client URLs are absolute");
    parsed.append_query_pairs(pairs);
    parsed.to_string()
}

/// The query pairs whose inputs are present, as text.
pub fn query_pairs(query: &[(&str, &str)], inputs: &Inputs) -> Vec<(String, String)> {
    query
        .iter()
        .filter_map(|(param, input)| inputs.get(input).map(|v| (param.to_string(), text(v))))
        .collect()
}

/// A value as query or body text (strings without quotes).
fn text(value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string())
}

/// Builds the JSON body of a request.
pub fn build_body(body: BodySpec, inputs: &Inputs) -> Option<Value> {
    match body {
        BodySpec::None => None,
        BodySpec::Object(fields) => {
            let map: Map<String, Value> = fields
                .iter()
                .filter_map(|(json_key, input)| inputs.get(input).map(|v| (json_key.to_string(), v.clone())))
                .collect();
            Some(Value::Object(map))
        }
        BodySpec::PatchReplace(fields) => Some(Value::Array(
            fields
                .iter()
                .filter_map(|(pointer, input)| inputs.get(input).map(|v| json!({"op": "replace", "path": pointer, "value": v})))
                .collect(),
        )),
    }
}

/// Runs a one-request action.
pub fn run<H: Host>(
    client: &mut Client<'_, H>,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: BodySpec,
    output: OutputSpec,
    inputs: &Inputs,
) -> Result<Value> {
    let url = with_query(&client.api_url(&fill_path(path, inputs)), &query_pairs(query, inputs));
    let (_, response) = client.send_json(method, &url, build_body(body, inputs).as_ref())?;
    Ok(match output {
        OutputSpec::Body => response,
        OutputSpec::Deleted { id_input } => json!({"deleted": true, "id": inputs.get(id_input)}),
    })
}
