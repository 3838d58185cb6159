//! The manifest: component.yaml is what the component says, it matches its JSON Schema, and the
//! manifest and the component's WIT exports name the same functions, both ways.

use qlik_harness::component_yaml::manifest_yaml;
use qlik_harness::{Harness, HarnessOptions, WitExport};
use serde_json::Value;
use std::collections::BTreeSet;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn harness() -> Harness {
    Harness::new(HarnessOptions::default()).expect("the component loads")
}

#[tokio::test(flavor = "multi_thread")]
async fn committed_component_yaml_is_generated_from_the_component() {
    let generated = manifest_yaml(&harness().manifest().await.unwrap()).unwrap();
    let committed = std::fs::read_to_string(format!("{ROOT}/component.yaml")).expect("component.yaml is committed");
    assert!(
        committed == generated,
        "component.yaml is stale: regenerate it with `cargo run -p qlik-harness -- manifest > component.yaml`"
    );
}

#[test]
fn component_yaml_matches_its_json_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{ROOT}/schema/component.schema.json")).unwrap())
            .unwrap();
    let yaml: Value =
        serde_yaml::from_str(&std::fs::read_to_string(format!("{ROOT}/component.yaml")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(&yaml).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "component.yaml violates its schema:\n{}", errors.join("\n"));

    // The schema can fail: a manifest missing a required field is refused.
    let mut broken = yaml.clone();
    broken["actions"][0].as_object_mut().unwrap().remove("witName");
    assert!(!validator.is_valid(&broken));
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_entries_and_wit_exports_agree_both_ways() {
    let harness = harness();
    let manifest = harness.manifest().await.unwrap();
    let from_manifest: BTreeSet<WitExport> = ["actions", "dataSources", "triggers"]
        .iter()
        .flat_map(|group| manifest[group].as_array().unwrap().clone())
        .flat_map(|entry| {
            // A trigger's acknowledgement is its own WIT function.
            let ack = &entry["trigger"]["acknowledge"];
            [&entry, ack]
                .into_iter()
                .filter(|e| e.is_object())
                .map(|e| WitExport {
                    interface: e["interface"].as_str().unwrap().to_string(),
                    function: e["witName"].as_str().unwrap().to_string(),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let from_wit: BTreeSet<WitExport> =
        harness.wit_exports().into_iter().filter(|e| e.interface != "manifest").collect();
    let missing_in_wit: Vec<_> = from_manifest.difference(&from_wit).collect();
    let missing_in_manifest: Vec<_> = from_wit.difference(&from_manifest).collect();
    assert!(missing_in_wit.is_empty(), "manifest entries without a WIT export: {missing_in_wit:?}");
    assert!(missing_in_manifest.is_empty(), "WIT exports without a manifest entry: {missing_in_manifest:?}");
    assert!(harness.wit_exports().contains(&WitExport { interface: "manifest".into(), function: "get".into() }));
    assert!(from_wit.len() >= 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_data_source_binding_names_a_data_source() {
    let manifest = harness().manifest().await.unwrap();
    let sources: BTreeSet<&str> =
        manifest["dataSources"].as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
    let bound: Vec<(String, String)> = manifest["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|i| i["dataSource"].as_str().map(|d| (i["key"].to_string(), d.to_string())))
        })
        .collect();
    assert!(bound.iter().any(|(input, source)| input == "\"spaceId\"" && source == "selectSpace"));
    for (input, source) in bound {
        assert!(sources.contains(source.as_str()), "{input} binds unknown data source {source}");
    }
}
