//! The records the studio's embedded simulated tenant starts with: a few of every kind, so that
//! every data source has something to offer.

use crate::sim_client;
use serde_json::{json, Value};

/// What is seeded: (resource, count, the resource whose first new record is the parent), in an
/// order where parents come first.
const SEED: &[(&str, usize, Option<&str>)] = &[
    ("spaces", 8, None),
    ("users", 10, None),
    ("apps", 6, None),
    ("dataFiles", 8, None),
    ("data-stores", 3, None),
    ("data-assets", 4, Some("data-stores")),
    ("data-sets", 4, Some("data-assets")),
    ("reloads", 3, Some("apps")),
];

/// Seeds the simulated tenant at `base` (its control API); returns how many records it made.
pub async fn seed(base: &str) -> anyhow::Result<usize> {
    let mut made: Vec<(&str, Vec<Value>)> = Vec::new();
    for (resource, count, parent) in SEED {
        let mut request = json!({"resource": resource, "count": count});
        if let Some(parent) = parent {
            let id = made.iter().find(|(r, _)| r == parent).and_then(|(_, ids)| ids.first()).cloned();
            request["parentId"] = id.unwrap_or(Value::Null);
        }
        let created = sim_client::request(base, "POST", "/__sim/seed", Some(&request))
            .await
            .map_err(|e| e.context(format!("seeding {resource}")))?;
        made.push((resource, created["created"].as_array().cloned().unwrap_or_default()));
    }
    Ok(made.iter().map(|(_, ids)| ids.len()).sum())
}
