//! `component.yaml`: the component's manifest as YAML, keys in the order a reader looks for them.

use serde_json::Value;

/// Header of the generated component.yaml.
pub const YAML_HEADER: &str = "# Generated from the component's manifest by `qlik-harness manifest`; do not edit.\n";

/// Keys a reader looks for first, in this order; others follow as they came.
const KEY_ORDER: &[&str] = &[
    "key",
    "witName",
    "interface",
    "label",
    "description",
    "version",
    "world",
    "allowedOutboundHosts",
    "type",
    "required",
    "default",
    "options",
    "minimum",
    "maximum",
    "example",
    "dataSource",
    "comments",
    "oauth",
    "connections",
    "inputs",
    "actions",
    "dataSources",
    "triggers",
    "trigger",
    "examplePayload",
];

/// Orders the manifest's own objects by [`KEY_ORDER`]; example payloads stay as they are.
fn ordered(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| KEY_ORDER.iter().position(|o| o == k).unwrap_or(KEY_ORDER.len()));
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), if k == "examplePayload" { map[k].clone() } else { ordered(&map[k]) }))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(ordered).collect()),
        other => other.clone(),
    }
}

/// The manifest as component.yaml text.
pub fn manifest_yaml(manifest: &Value) -> anyhow::Result<String> {
    Ok(format!("{YAML_HEADER}{}", serde_yaml::to_string(&ordered(manifest))?))
}
