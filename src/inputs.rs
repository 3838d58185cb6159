//! Input validation driven by the table: parses the input JSON, coerces every declared input
//! (under its key or an alias), applies defaults, trims ids, checks required inputs, path ids
//! and the export's cross-field rule. Runs before any request, so an invalid input means
//! nothing is sent.

use crate::coerce::coerce;
use crate::error::{ConnectorError, Result};
use crate::table::{ExportSpec, InputSpec};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Validated inputs: key → coerced value (absent optional inputs are missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs(BTreeMap<&'static str, Value>);

impl Inputs {
    /// The value of an input.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A string input.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// An integer input.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }

    /// A boolean input (false when absent).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// A value-list input's items (empty when absent).
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
    }

    /// A key-value list input as ordered pairs (a key may repeat).
    pub fn pairs(&self, key: &str) -> Vec<(String, String)> {
        let pair = |item: &Value| match item.as_array().map(Vec::as_slice) {
            Some([Value::String(k), Value::String(v)]) => Some((k.clone(), v.clone())),
            _ => None,
        };
        self.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(pair).collect()
    }

    /// Inputs from raw values, for tests of the operations.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&'static str, Value)]) -> Inputs {
        Inputs(pairs.iter().cloned().collect())
    }
}

/// Parses the raw input text of an export call into a JSON object (empty text or `null` is `{}`).
pub fn parse_object(raw: &str) -> Result<Map<String, Value>> {
    if raw.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(ConnectorError::invalid("input", "the inputs must be a JSON object")),
        Err(e) => Err(ConnectorError::invalid("input", format!("the inputs are not valid JSON: {e}"))),
    }
}

/// Coerces one declared input, applying its default and the required check. Inputs bound to
/// a data source are ids: trimmed, and empty after trimming counts as missing.
pub fn coerce_input(spec: &InputSpec, raw: Option<&Value>) -> Result<Option<Value>> {
    let value =
        coerce(spec.ty, raw).map_err(|message| ConnectorError::invalid(spec.key, format!("{} {message}", spec.key)))?;
    let value = match value {
        Some(Value::String(id)) if spec.data_source.is_some() => Some(Value::String(id.trim().to_string())),
        Some(Value::Array(ids)) if spec.data_source.is_some() => Some(Value::Array(
            ids.into_iter()
                .map(|id| id.as_str().map_or(id.clone(), |id| Value::String(id.trim().to_string())))
                .collect(),
        )),
        other => other,
    };
    let value = match (value, spec.default) {
        (None, Some(default)) => Some(serde_json::from_str(default).expect("table defaults are valid JSON")),
        (value, _) => value,
    };
    if value.is_none() && spec.required {
        return Err(ConnectorError::invalid(spec.key, format!("{} is required", spec.key)));
    }
    Ok(value)
}

/// Validates the raw input text of an export against its table entry.
pub fn validate(spec: &ExportSpec, raw: &str) -> Result<Inputs> {
    let object = parse_object(raw)?;
    let mut inputs = BTreeMap::new();
    for input in spec.inputs {
        let given = object.get(input.key).or_else(|| input.aliases.iter().find_map(|alias| object.get(*alias)));
        if let Some(value) = coerce_input(input, given)? {
            inputs.insert(input.key, value);
        }
    }
    let inputs = Inputs(inputs);
    if let Some(path) = spec.op.path() {
        check_path_ids(path, &inputs)?;
    }
    if let Some(check) = spec.check {
        check(&inputs)?;
    }
    Ok(inputs)
}

/// "Give at least one of": `invalid-input` naming the first key when none is present.
pub fn require_one_of(inputs: &Inputs, keys: &[&str]) -> Result<()> {
    if keys.iter().any(|key| inputs.get(key).is_some()) {
        return Ok(());
    }
    Err(ConnectorError::invalid(keys[0], format!("give at least one of {}", keys.join(", "))))
}

/// Ids that go into a path: not `/`, not `..`, not only dots (`.` would address the
/// collection once a URL is normalised), and no empty item in a list joined into a path.
pub fn check_path_ids(path: &str, inputs: &Inputs) -> Result<()> {
    for (key, joined) in path_placeholders(path) {
        let ids: Vec<&str> = if joined { inputs.list(key) } else { inputs.str(key).into_iter().collect() };
        for id in ids {
            if id.is_empty() || id.contains('/') || id.contains("..") || id.bytes().all(|b| b == b'.') {
                let what = if joined { format!("every item of {key}") } else { key.to_string() };
                return Err(ConnectorError::invalid(
                    key,
                    format!("{what} must be an id: not empty, without `/` or `..`, and not only dots"),
                ));
            }
        }
    }
    Ok(())
}

/// The placeholders of a path template: `{input}` → `(input, false)`; `{input,}` (a value
/// list joined by `,`) → `(input, true)`.
pub fn path_placeholders(path: &str) -> impl Iterator<Item = (&str, bool)> {
    path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).map(|p| match p.strip_suffix(',') {
        Some(key) => (key, true),
        None => (p, false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::find;

    fn invalid(result: Result<Inputs>) -> (String, String) {
        match result {
            Err(ConnectorError::InvalidInput { input, message }) => (input, message),
            other => panic!("expected invalid-input, got {other:?}"),
        }
    }

    #[test]
    fn required_inputs_are_named_when_missing_empty_or_mistyped() {
        let get = find("getSpace").unwrap();
        for raw in [r#"{}"#, r#"{"spaceId":""}"#, r#"{"spaceId":null}"#, r#"{"spaceId":{"a":1}}"#, r#"{"spaceId":[1]}"#]
        {
            assert_eq!(invalid(validate(get, raw)).0, "spaceId", "{raw}");
        }
    }

    #[test]
    fn defaults_apply_and_loose_values_coerce() {
        let list = find("listSpaces").unwrap();
        let inputs =
            validate(list, r#"{"limit":"20","fetchAll":"TRUE","paramsInputFields":"name=Fin\ntype=shared"}"#).unwrap();
        assert_eq!(inputs.int("limit"), Some(20));
        assert!(inputs.flag("fetchAll"));
        assert_eq!(inputs.int("maxRecords"), Some(10000));
        assert_eq!(
            inputs.pairs("paramsInputFields"),
            [("name".into(), "Fin".into()), ("type".into(), "shared".into())]
        );
        assert_eq!(invalid(validate(list, r#"{"limit":"abc"}"#)).0, "limit");
        assert_eq!(invalid(validate(list, r#"{"limit":1.5}"#)).0, "limit");
        assert_eq!(invalid(validate(list, r#"{"limit":101}"#)).0, "limit");
        let create = find("createSpace").unwrap();
        assert_eq!(validate(create, r#"{"name":"A"}"#).unwrap().str("spaceType"), Some("shared"));
        assert_eq!(invalid(validate(create, r#"{"name":"A","spaceType":"personal"}"#)).0, "spaceType");
    }

    #[test]
    fn path_ids_with_slashes_or_dots_are_refused() {
        let get = find("getSpace").unwrap();
        for id in ["a/b", "..", ".", "...", "a..b", " . "] {
            let raw = serde_json::json!({ "spaceId": id }).to_string();
            assert_eq!(invalid(validate(get, &raw)).0, "spaceId", "{id:?}");
        }
        assert!(validate(get, r#"{"spaceId":"a b?"}"#).is_ok());
        assert!(validate(get, r#"{"spaceId":".a"}"#).is_ok());
    }

    #[test]
    fn ids_are_trimmed_and_blank_ids_are_missing() {
        let get = find("getSpace").unwrap();
        assert_eq!(validate(get, r#"{"spaceId":"  abc \n"}"#).unwrap().str("spaceId"), Some("abc"));
        let (input, message) = invalid(validate(get, r#"{"spaceId":" \t "}"#));
        assert_eq!((input.as_str(), message.as_str()), ("spaceId", "spaceId is required"));
    }

    #[test]
    fn placeholders_name_lists() {
        let found: Vec<_> = path_placeholders("/data-stores/{dataStoreIds,}/assets/{id}").collect();
        assert_eq!(found, [("dataStoreIds", true), ("id", false)]);
    }

    #[test]
    fn update_needs_one_field() {
        let update = find("updateSpace").unwrap();
        assert_eq!(invalid(validate(update, r#"{"spaceId":"s"}"#)).0, "name");
        assert!(validate(update, r#"{"spaceId":"s","ownerId":"u"}"#).is_ok());
    }

    #[test]
    fn input_must_be_an_object() {
        let get = find("getSpace").unwrap();
        assert_eq!(invalid(validate(get, "[1]")).0, "input");
        assert_eq!(invalid(validate(get, "{oops")).0, "input");
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let get = find("getSpace").unwrap();
        assert!(validate(get, r#"{"spaceId":"s","extra":1}"#).is_ok());
    }
}
