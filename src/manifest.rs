//! The manifest: what a flow builder needs to know about every connection and export, built
//! from the table. The `manifest.get` export returns it and `component.yaml` is its YAML form.

use crate::table::connections::{ConnectionSpec, CONNECTIONS};
use crate::table::{exports, ExportKind, ExportSpec, InputSpec, InputType, Op, PollSource};
use serde_json::{json, Map, Value};

/// The WIT world the component implements.
pub const WORLD: &str = "qlik:connector/connector@0.1.0";

/// The manifest as JSON.
pub fn manifest() -> Value {
    let of_kind = |kind: ExportKind| exports().filter(|s| s.kind == kind).map(export).collect::<Vec<_>>();
    json!({
        "key": "qlik",
        "label": "Qlik",
        "description": "Qlik Cloud is a data analytics platform. Work with your Qlik Cloud tenant from your flows.",
        "version": env!("CARGO_PKG_VERSION"),
        "world": WORLD,
        "allowedOutboundHosts": ["https://{{ tenant }}"],
        "connections": CONNECTIONS.iter().map(connection).collect::<Vec<_>>(),
        "actions": of_kind(ExportKind::Action),
        "dataSources": of_kind(ExportKind::DataSource),
        "triggers": of_kind(ExportKind::Trigger),
    })
}

fn connection(spec: &ConnectionSpec) -> Value {
    let mut out = json!({
        "key": spec.key,
        "label": spec.label,
        "description": spec.description,
        "inputs": spec.inputs.iter().map(input).collect::<Vec<_>>(),
    });
    if spec.key == "oauth2" {
        out["oauth"] = json!({
            "grantTypes": ["authorization_code", "client_credentials"],
            "authorizeUrl": "https://{{ tenant }}/oauth/authorize",
            "tokenUrl": "https://{{ tenant }}/oauth/token",
            "pkce": "S256",
        });
    }
    out
}

fn export(spec: &ExportSpec) -> Value {
    let mut out = json!({
        "key": spec.key,
        "witName": spec.wit_name(),
        "interface": spec.kind.interface(),
        "label": spec.label,
        "description": spec.description,
        "inputs": spec.inputs.iter().map(input).collect::<Vec<_>>(),
        "examplePayload": serde_json::from_str::<Value>(spec.example_output).expect("table examples are valid JSON"),
    });
    if let Op::Poll(sources) = spec.op {
        out["trigger"] = trigger(sources);
    }
    out
}

/// How the trigger works, for the people who wire it into a flow (README, "The trigger").
fn trigger(sources: &[PollSource]) -> Value {
    let source = |s: &PollSource| {
        json!({
            "resourceType": s.resource,
            "path": s.path,
            "createdField": s.fields.created,
            "updatedField": s.fields.updated,
            "sorts": s.sorts.iter().map(|(sort, _)| *sort).collect::<Vec<_>>(),
            "filters": s.scope,
        })
    };
    json!({
        "dedupeKey": "<id>@<updated timestamp> (reloads: <id>@<creationTime> when created, <id>@<status> once finished): each change once; a record created and updated between polls comes once, as created",
        "watermark": "the tenant's time (the Date header, else the newest update time read), never the host's clock",
        "firstRun": "stores the watermark and reports nothing: one request with limit=1",
        "overlap": "each poll re-reads overlapMinutes (default 5) before the watermark; changes already reported there are suppressed by dedupe key",
        "failures": "a failed poll (any error) changes nothing; the next poll covers the same ground",
        "deletions": "not detected: no Qlik list shows deleted records",
        "acknowledge": {
            "input": "acknowledge",
            "interface": "triggers",
            "witName": crate::table::triggers::ACK_WIT_NAME,
            "semantics": "with acknowledge on, a poll's changes stay pending (its pollId is in the result) and every later poll reports them again until ack-poll is called with that pollId",
        },
        "resourceTypes": sources.iter().map(source).collect::<Vec<_>>(),
    })
}

/// An input's manifest entry.
fn input(spec: &InputSpec) -> Value {
    let mut out = Map::new();
    out.insert("key".into(), spec.key.into());
    out.insert("label".into(), spec.label.into());
    out.insert("type".into(), type_name(spec.ty).into());
    out.insert("required".into(), spec.required.into());
    if let Some(default) = spec.default {
        out.insert("default".into(), serde_json::from_str(default).expect("table defaults are valid JSON"));
    }
    if let Some(example) = spec.example {
        out.insert("example".into(), example.into());
    }
    out.insert("comments".into(), spec.comments.into());
    if let Some(source) = spec.data_source {
        out.insert("dataSource".into(), source.into());
    }
    match spec.ty {
        InputType::Picklist(options) => {
            out.insert("options".into(), options.iter().map(|o| Value::from(*o)).collect());
        }
        InputType::Integer { min, max } => {
            if let Some(min) = min {
                out.insert("minimum".into(), min.into());
            }
            if let Some(max) = max {
                out.insert("maximum".into(), max.into());
            }
        }
        _ => {}
    }
    Value::Object(out)
}

/// The manifest name of an input type.
pub fn type_name(ty: InputType) -> &'static str {
    match ty {
        InputType::String => "string",
        InputType::Password => "password",
        InputType::Integer { .. } => "integer",
        InputType::Boolean => "boolean",
        InputType::Code | InputType::CodeOrText => "code",
        InputType::File => "data",
        InputType::ValueList => "valuelist",
        InputType::KeyValueList => "keyvaluelist",
        InputType::Picklist(_) => "picklist",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_appears_once_under_its_kind() {
        let m = manifest();
        let listed: usize = ["actions", "dataSources", "triggers"].iter().map(|k| m[k].as_array().unwrap().len()).sum();
        assert_eq!(listed, exports().count());
        let list = m["actions"].as_array().unwrap().iter().find(|a| a["key"] == "listSpaces").unwrap();
        assert_eq!(list["witName"], "list-spaces");
        let limit = list["inputs"].as_array().unwrap().iter().find(|i| i["key"] == "limit").unwrap();
        assert_eq!(limit["maximum"], 100);
        let update = m["actions"].as_array().unwrap().iter().find(|a| a["key"] == "updateSpace").unwrap();
        let owner = update["inputs"].as_array().unwrap().iter().find(|i| i["key"] == "ownerId").unwrap();
        assert_eq!(owner["dataSource"], "selectUser");
    }
}
