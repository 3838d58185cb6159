//! Input validation driven by the table: parses the input JSON, coerces every declared input,
//! applies defaults, and checks required inputs and path ids. Runs before any request, so an
//! invalid input means nothing is sent.

use crate::coerce::coerce;
use crate::error::{ConnectorError, Result};
use crate::table::{ExportSpec, InputSpec, Op};
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

    /// A key-value list input as pairs.
    pub fn pairs(&self, key: &str) -> Vec<(String, String)> {
        match self.get(key) {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect(),
            _ => Vec::new(),
        }
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

/// Coerces one declared input, applying its default and the required check.
pub fn coerce_input(spec: &InputSpec, raw: Option<&Value>) -> Result<Option<Value>> {
    let value = coerce(spec.ty, raw).map_err(|message| ConnectorError::invalid(spec.key, format!("{} {message}", spec.key)))?;
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
        if let Some(value) = coerce_input(input, object.get(input.key))? {
            inputs.insert(input.key, value);
        }
    }
    let inputs = Inputs(inputs);
    if let Op::Request { path, at_least_one_of, .. } = spec.op {
        check_path_ids(path, &inputs)?;
        if !at_least_one_of.is_empty() && at_least_one_of.iter().all(|key| inputs.get(key).is_none()) {
            return Err(ConnectorError::invalid(
                at_least_one_of[0],
                format!("give at least one of {}", at_least_one_of.join(", ")),
            ));
        }
    }
    Ok(inputs)
}

/// Ids that go into a path may not contain `/` or `..`.
fn check_path_ids(path: &str, inputs: &Inputs) -> Result<()> {
    for key in path_placeholders(path) {
        if let Some(id) = inputs.str(key) {
            if id.contains('/') || id.contains("..") {
                return Err(ConnectorError::invalid(key, format!("{key} may not contain `/` or `..`")));
            }
        }
    }
    Ok(())
}

/// The `{input}` placeholders of a path template.
pub fn path_placeholders(path: &str) -> impl Iterator<Item = &str> {
    path.split('{').skip(1).filter_map(|rest| rest.split('}').next())
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
        for raw in [r#"{}"#, r#"{"spaceId":""}"#, r#"{"spaceId":null}"#, r#"{"spaceId":{"a":1}}"#, r#"{"spaceId":[1]}"#] {
            assert_eq!(invalid(validate(get, raw)).0, "spaceId", "{raw}");
        }
    }

    #[test]
    fn defaults_apply_and_loose_values_coerce() {
        let list = find("listSpaces").unwrap();
        let inputs = validate(list, r#"{"limit":"20","fetchAll":"TRUE","paramsInputFields":"name=Fin\ntype=shared"}"#).unwrap();
        assert_eq!(inputs.int("limit"), Some(20));
        assert!(inputs.flag("fetchAll"));
        assert_eq!(inputs.int("maxRecords"), Some(10000));
        assert_eq!(inputs.pairs("paramsInputFields").len(), 2);
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
        assert_eq!(invalid(validate(get, r#"{"spaceId":"a/b"}"#)).0, "spaceId");
        assert_eq!(invalid(validate(get, r#"{"spaceId":".."}"#)).0, "spaceId");
        assert!(validate(get, r#"{"spaceId":"a b?"}"#).is_ok());
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
