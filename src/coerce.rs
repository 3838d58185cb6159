//! Coercion of loosely typed flow inputs to their declared types (`connector.md` §2).
//!
//! Error messages start with a verb ("must be …", "is not …") so that the caller can prefix the
//! input's name. They never contain the value of a [`InputType::Password`] input.

use serde_json::{Map, Value};

/// Declared input types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputType {
    /// Text; numbers and booleans become their text.
    String,
    /// Secret text, never echoed in an error.
    Password,
    /// A whole number, optionally within an inclusive range.
    Integer {
        /// Smallest accepted value.
        min: Option<i64>,
        /// Largest accepted value.
        max: Option<i64>,
    },
    /// `true`/`false`, also as text (any case) or `1`/`0`.
    Boolean,
    /// Any JSON value; a string is parsed as JSON.
    Code,
    /// A file: text as given, or an object such as `{"base64": ..., "contentType": ...}`
    /// (read by `multipart::file_input`).
    File,
    /// Any JSON value, or text: a string that starts with `{` or `[` is parsed as JSON (and
    /// must be valid), any other string stays text (rawRequest's `data`).
    CodeOrText,
    /// A list of strings.
    ValueList,
    /// Ordered `(key, value)` text pairs; a key may repeat (repeated query parameters).
    KeyValueList,
    /// One of a fixed set of strings (case-sensitive).
    Picklist(&'static [&'static str]),
}

/// Coerces a raw JSON value to the declared type. Ok(None) = absent (missing, null, or "" /
/// whitespace-only string for every type). Err(message) = rejected; the message never contains
/// the value of a Password input.
///
/// Outputs: String/Password/Picklist → `Value::String`, Integer → `Value::Number` (i64),
/// Boolean → `Value::Bool`, Code → the JSON value, ValueList → `Value::Array` of strings (an
/// empty list is absent), KeyValueList → `Value::Array` of `[key, value]` string pairs in the order given (an empty
/// list is absent).
pub fn coerce(ty: InputType, raw: Option<&Value>) -> Result<Option<Value>, String> {
    let raw = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(v) => v,
    };
    match ty {
        InputType::String | InputType::Password => text(raw).map(|s| Some(Value::String(s))),
        InputType::Integer { min, max } => integer(raw, min, max).map(|n| Some(Value::from(n))),
        InputType::Boolean => boolean(raw).map(|b| Some(Value::Bool(b))),
        InputType::Code => code(raw).map(Some),
        InputType::File => file(raw).map(Some),
        InputType::CodeOrText => match raw {
            Value::String(s) if !s.trim_start().starts_with(['{', '[']) => Ok(Some(raw.clone())),
            other => code(other).map(Some),
        },
        InputType::ValueList => value_list(raw)
            .map(|items| (!items.is_empty()).then(|| Value::Array(items.into_iter().map(Value::String).collect()))),
        InputType::KeyValueList => key_value_list(raw).map(|pairs| {
            (!pairs.is_empty()).then(|| {
                Value::Array(pairs.into_iter().map(|(k, v)| Value::Array(vec![Value::String(k), v])).collect())
            })
        }),
        InputType::Picklist(options) => picklist(raw, options).map(|s| Some(Value::String(s))),
    }
}

/// "an object" / "a list" / "true or false" …: what a value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Text of a scalar; objects and lists are refused.
fn text(v: &Value) -> Result<String, String> {
    scalar_text(v).ok_or_else(|| format!("must be text, not {}", kind(v)))
}

/// Text of a string, number or boolean.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn integer(v: &Value, min: Option<i64>, max: Option<i64>) -> Result<i64, String> {
    const WHOLE: &str = "must be a whole number";
    let n: i64 = match v {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i,
            (None, Some(_), _) => return Err(too_large(max)),
            (None, None, Some(f)) => whole_f64(f).ok_or_else(|| range_or_whole(f, max))?,
            _ => return Err(WHOLE.into()),
        },
        Value::String(s) => {
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(i) => i,
                Err(_) if s.bytes().all(|b| b.is_ascii_digit()) => return Err(too_large(max)),
                Err(_) => match s.parse::<f64>() {
                    Ok(f) if f.is_finite() => whole_f64(f).ok_or_else(|| range_or_whole(f, max))?,
                    _ => return Err(WHOLE.into()),
                },
            }
        }
        other => return Err(format!("{WHOLE}, not {}", kind(other))),
    };
    if let Some(min) = min.filter(|&m| n < m) {
        return Err(format!("must be at least {min}"));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        return Err(format!("must be at most {max}"));
    }
    Ok(n)
}

/// An f64 with no fraction that fits an i64.
fn whole_f64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every f64 below it with no fraction fits in an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

fn range_or_whole(f: f64, max: Option<i64>) -> String {
    if f.is_finite() && f.fract() == 0.0 {
        if f > 0.0 {
            too_large(max)
        } else {
            "is too small".into()
        }
    } else {
        "must be a whole number".into()
    }
}

fn too_large(max: Option<i64>) -> String {
    match max {
        Some(max) => format!("must be at most {max}"),
        None => "is too large".into(),
    }
}

fn boolean(v: &Value) -> Result<bool, String> {
    const MSG: &str = "must be true or false";
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(MSG.into()),
        },
        Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
        Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
        _ => Err(MSG.into()),
    }
}

fn file(v: &Value) -> Result<Value, String> {
    match v {
        Value::Object(map) if map.get("base64").is_some_and(Value::is_string) => Ok(v.clone()),
        other => scalar_text(other)
            .map(Value::String)
            .ok_or_else(|| "must be text or {\"base64\": ..., \"contentType\": ...}".to_string()),
    }
}

fn code(v: &Value) -> Result<Value, String> {
    match v {
        Value::String(s) => parse_json(s),
        other => Ok(other.clone()),
    }
}

/// Parses JSON text, saying where it fails.
fn parse_json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = full.strip_suffix(&suffix).unwrap_or(&full);
        format!("is not valid JSON (line {}, column {}: {what})", e.line(), e.column())
    })
}

fn value_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => list_items(items),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('[') {
                if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t) {
                    return list_items(&items);
                }
            }
            Ok(vec![t.to_string()])
        }
        Value::Number(_) | Value::Bool(_) => Ok(scalar_text(v).into_iter().collect()),
        other => Err(format!("must be a list of text values, not {}", kind(other))),
    }
}

/// Items of a value list: trimmed text, empty ones dropped, nested values refused.
fn list_items(items: &[Value]) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Null => {}
            Value::Array(_) | Value::Object(_) => {
                return Err(format!("item {} must be text, not {}", i + 1, kind(item)));
            }
            _ => {
                let s = scalar_text(item).unwrap_or_default();
                let s = s.trim();
                if !s.is_empty() {
                    out.push(s.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// Ordered key/value pairs.
type Pairs = Vec<(String, Value)>;

fn key_value_list(v: &Value) -> Result<Pairs, String> {
    match v {
        Value::Array(items) => pairs_from_items(items),
        Value::Object(map) => pairs_from_map(map),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('{') || t.starts_with('[') {
                match parse_json(s)? {
                    Value::Array(items) => pairs_from_items(&items),
                    Value::Object(map) => pairs_from_map(&map),
                    _ => unreachable!("JSON text starting with {{ or [ is an object or array"),
                }
            } else {
                pairs_from_lines(t)
            }
        }
        other => Err(format!("must be a list of key/value pairs, not {}", kind(other))),
    }
}

/// Value text of a pair: scalars as text, null as "", nested values refused.
fn pair_value(v: Option<&Value>, what: impl Fn() -> String) -> Result<Value, String> {
    match v {
        None | Some(Value::Null) => Ok(Value::String(String::new())),
        Some(v) => scalar_text(v).map(Value::String).ok_or_else(|| format!("{} must be text, not {}", what(), kind(v))),
    }
}

/// `[{key, value}, ...]`; a string item may also be a `k=v` line.
fn pairs_from_items(items: &[Value]) -> Result<Pairs, String> {
    let mut map = Pairs::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        match item {
            Value::Object(o) => {
                let key = o
                    .get("key")
                    .and_then(scalar_text)
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| format!("item {n} has no key"))?;
                let value = pair_value(o.get("value"), || format!("the value of item {n}"))?;
                map.push((key, value));
            }
            Value::Null => {}
            Value::String(s) if s.trim().is_empty() => {}
            Value::String(s) => {
                let (k, v) = split_line(s.trim()).map_err(|e| format!("item {n} {e}"))?;
                map.push((k, Value::String(v)));
            }
            other => return Err(format!("item {n} must be a {{key, value}} object, not {}", kind(other))),
        }
    }
    Ok(map)
}

/// `{"k": "v", ...}`.
fn pairs_from_map(src: &Map<String, Value>) -> Result<Pairs, String> {
    let mut map = Pairs::new();
    for (i, (key, value)) in src.iter().enumerate() {
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("item {} has no key", i + 1));
        }
        let value = pair_value(Some(value), || format!("the value of `{key}`"))?;
        map.push((key.to_string(), value));
    }
    Ok(map)
}

/// `k=v` lines; blank lines skipped.
fn pairs_from_lines(s: &str) -> Result<Pairs, String> {
    let mut map = Pairs::new();
    for (i, line) in s.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = split_line(line).map_err(|e| format!("line {} {e}", i + 1))?;
        map.push((k, Value::String(v)));
    }
    Ok(map)
}

/// Splits `k=v` at the first `=`; key and value trimmed.
fn split_line(line: &str) -> Result<(String, String), String> {
    let (k, v) = line.split_once('=').ok_or_else(|| "must look like key=value".to_string())?;
    let k = k.trim();
    if k.is_empty() {
        return Err("has no key".into());
    }
    Ok((k.to_string(), v.trim().to_string()))
}

fn picklist(v: &Value, options: &[&str]) -> Result<String, String> {
    let listed = || options.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ");
    let s = scalar_text(v).ok_or_else(|| format!("must be one of {}, not {}", listed(), kind(v)))?;
    let s = s.trim();
    options.iter().find(|o| **o == s).map(|o| o.to_string()).ok_or_else(|| format!("must be one of {}", listed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Want = Result<Option<Value>, &'static str>;

    /// Runs a table; an `Err` row passes when the message contains the given text.
    fn run(ty: InputType, cases: &[(Option<Value>, Want)]) {
        for (raw, want) in cases {
            let got = coerce(ty, raw.as_ref());
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w, "{ty:?} {raw:?}"),
                (Err(w), Err(g)) => assert!(g.contains(w), "{ty:?} {raw:?}: {g:?} lacks {w:?}"),
                _ => panic!("{ty:?} {raw:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    fn s(v: &str) -> Option<Value> {
        Some(json!(v))
    }

    #[test]
    fn absent_for_every_type() {
        let types = [
            InputType::String,
            InputType::Password,
            InputType::Integer { min: Some(1), max: Some(5) },
            InputType::Boolean,
            InputType::Code,
            InputType::File,
            InputType::ValueList,
            InputType::KeyValueList,
            InputType::Picklist(&["a"]),
        ];
        for ty in types {
            run(ty, &[(None, Ok(None)), (Some(Value::Null), Ok(None)), (s(""), Ok(None)), (s(" \n\t "), Ok(None))]);
        }
    }

    #[test]
    fn string_table() {
        run(
            InputType::String,
            &[
                (s("hello"), Ok(Some(json!("hello")))),
                (s(" padded "), Ok(Some(json!(" padded ")))),
                (Some(json!(42)), Ok(Some(json!("42")))),
                (Some(json!(-1.5)), Ok(Some(json!("-1.5")))),
                (Some(json!(true)), Ok(Some(json!("true")))),
                (Some(json!(false)), Ok(Some(json!("false")))),
                (Some(json!({"a": 1})), Err("must be text, not an object")),
                (Some(json!(["a"])), Err("must be text, not a list")),
            ],
        );
    }

    #[test]
    fn password_table_and_never_echoed() {
        run(
            InputType::Password,
            &[
                (s("s3cr3t "), Ok(Some(json!("s3cr3t ")))),
                (Some(json!(1234)), Ok(Some(json!("1234")))),
                (Some(json!({"k": "s3cr3t"})), Err("must be text, not an object")),
                (Some(json!(["s3cr3t"])), Err("must be text, not a list")),
            ],
        );
        for raw in [json!({"k": "s3cr3t"}), json!(["s3cr3t"])] {
            let err = coerce(InputType::Password, Some(&raw)).unwrap_err();
            assert!(!err.contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn integer_table() {
        let ty = InputType::Integer { min: Some(1), max: Some(100) };
        run(
            ty,
            &[
                (Some(json!(20)), Ok(Some(json!(20)))),
                (s("20"), Ok(Some(json!(20)))),
                (s("  20 "), Ok(Some(json!(20)))),
                (s("+20"), Ok(Some(json!(20)))),
                (Some(json!(20.0)), Ok(Some(json!(20)))),
                (s("20.0"), Ok(Some(json!(20)))),
                (Some(json!(1)), Ok(Some(json!(1)))),
                (Some(json!(100)), Ok(Some(json!(100)))),
                (s("abc"), Err("must be a whole number")),
                (s("12abc"), Err("must be a whole number")),
                (Some(json!(1.5)), Err("must be a whole number")),
                (s("1.5"), Err("must be a whole number")),
                (s("NaN"), Err("must be a whole number")),
                (s("inf"), Err("must be a whole number")),
                (Some(json!(0)), Err("must be at least 1")),
                (s("-3"), Err("must be at least 1")),
                (Some(json!(101)), Err("must be at most 100")),
                (s("1000"), Err("must be at most 100")),
                (Some(json!(u64::MAX)), Err("must be at most 100")),
                (s("99999999999999999999999"), Err("must be at most 100")),
                (Some(json!(1e30)), Err("must be at most 100")),
                (Some(json!(true)), Err("must be a whole number, not true or false")),
                (Some(json!({})), Err("must be a whole number, not an object")),
                (Some(json!([1])), Err("must be a whole number, not a list")),
            ],
        );
        let open = InputType::Integer { min: None, max: None };
        run(
            open,
            &[
                (Some(json!(i64::MIN)), Ok(Some(json!(i64::MIN)))),
                (Some(json!(i64::MAX)), Ok(Some(json!(i64::MAX)))),
                (s("-9223372036854775808"), Ok(Some(json!(i64::MIN)))),
                (Some(json!(u64::MAX)), Err("is too large")),
                (s("9223372036854775808"), Err("is too large")),
                (Some(json!(-1e30)), Err("is too small")),
            ],
        );
    }

    #[test]
    fn boolean_table() {
        run(
            InputType::Boolean,
            &[
                (Some(json!(true)), Ok(Some(json!(true)))),
                (Some(json!(false)), Ok(Some(json!(false)))),
                (s("true"), Ok(Some(json!(true)))),
                (s("TRUE"), Ok(Some(json!(true)))),
                (s(" False "), Ok(Some(json!(false)))),
                (s("1"), Ok(Some(json!(true)))),
                (s("0"), Ok(Some(json!(false)))),
                (Some(json!(1)), Ok(Some(json!(true)))),
                (Some(json!(0)), Ok(Some(json!(false)))),
                (Some(json!(1.0)), Ok(Some(json!(true)))),
                (s("yes"), Err("must be true or false")),
                (s("2"), Err("must be true or false")),
                (Some(json!(2)), Err("must be true or false")),
                (Some(json!([true])), Err("must be true or false")),
                (Some(json!({})), Err("must be true or false")),
            ],
        );
    }

    #[test]
    fn code_or_text_keeps_plain_text() {
        run(
            InputType::CodeOrText,
            &[
                (Some(json!({"a": 1})), Ok(Some(json!({"a": 1})))),
                (s(r#" {"a": 1}"#), Ok(Some(json!({"a": 1})))),
                (s("[1]"), Ok(Some(json!([1])))),
                (s("plain text, 42"), Ok(Some(json!("plain text, 42")))),
                (s("42"), Ok(Some(json!("42")))),
                (Some(json!(42)), Ok(Some(json!(42)))),
                (s("{not json"), Err("is not valid JSON")),
            ],
        );
    }

    #[test]
    fn code_table() {
        run(
            InputType::Code,
            &[
                (Some(json!({"a": [1, 2]})), Ok(Some(json!({"a": [1, 2]})))),
                (Some(json!([1, "x"])), Ok(Some(json!([1, "x"])))),
                (Some(json!({})), Ok(Some(json!({})))),
                (Some(json!(5)), Ok(Some(json!(5)))),
                (Some(json!(true)), Ok(Some(json!(true)))),
                (s(r#"{"name": "x", "n": 1}"#), Ok(Some(json!({"name": "x", "n": 1})))),
                (s(" [1,2] "), Ok(Some(json!([1, 2])))),
                (s(r#""quoted""#), Ok(Some(json!("quoted")))),
                (s("42"), Ok(Some(json!(42)))),
                (s("null"), Ok(Some(Value::Null))),
                (s("{\"a\": }"), Err("is not valid JSON (line 1, column 7: expected value)")),
                (s("{\n  \"a\": 1,\n}"), Err("is not valid JSON (line 3, column 1: trailing comma")),
                (s("not json"), Err("is not valid JSON (line 1, column 2: expected ident)")),
            ],
        );
    }

    #[test]
    fn file_table() {
        run(
            InputType::File,
            &[
                (s("a,b\n1,2\n"), Ok(Some(json!("a,b\n1,2\n")))),
                (s("not json"), Ok(Some(json!("not json")))),
                (Some(json!({"base64": "AA=="})), Ok(Some(json!({"base64": "AA=="})))),
                (Some(json!({"text": "x"})), Err("must be text or {\"base64\": ..., \"contentType\": ...}")),
                (Some(json!([1])), Err("must be text or {\"base64\": ..., \"contentType\": ...}")),
            ],
        );
    }

    #[test]
    fn value_list_table() {
        run(
            InputType::ValueList,
            &[
                (Some(json!(["a", "b"])), Ok(Some(json!(["a", "b"])))),
                (Some(json!(["a", 2, true])), Ok(Some(json!(["a", "2", "true"])))),
                (Some(json!([" a ", "", "  ", null, "b"])), Ok(Some(json!(["a", "b"])))),
                (s("one"), Ok(Some(json!(["one"])))),
                (s(" one, two "), Ok(Some(json!(["one, two"])))),
                (s(r#"["x", "y"]"#), Ok(Some(json!(["x", "y"])))),
                (s(r#" ["x", 3] "#), Ok(Some(json!(["x", "3"])))),
                (s("[draft] report"), Ok(Some(json!(["[draft] report"])))),
                (s("[]"), Ok(None)),
                (Some(json!([])), Ok(None)),
                (Some(json!(["", null])), Ok(None)),
                (Some(json!(7)), Ok(Some(json!(["7"])))),
                (Some(json!(["a", {"b": 1}])), Err("item 2 must be text, not an object")),
                (Some(json!([["a"]])), Err("item 1 must be text, not a list")),
                (s(r#"["a", {"b": 1}]"#), Err("item 2 must be text, not an object")),
                (Some(json!({"a": 1})), Err("must be a list of text values, not an object")),
            ],
        );
    }

    #[test]
    fn key_value_list_table() {
        run(
            InputType::KeyValueList,
            &[
                (
                    Some(
                        json!([{"key": "name", "value": "x"}, {"key": "limit", "value": 5}, {"key": "on", "value": true}]),
                    ),
                    Ok(Some(json!([["name", "x"], ["limit", "5"], ["on", "true"]]))),
                ),
                (Some(json!([{"key": " k ", "value": null}])), Ok(Some(json!([["k", ""]])))),
                (Some(json!([{"key": "k"}])), Ok(Some(json!([["k", ""]])))),
                // A key may repeat, in the order given (repeated query parameters).
                (
                    Some(json!([{"key": "k", "value": "1"}, {"key": "k", "value": "2"}])),
                    Ok(Some(json!([["k", "1"], ["k", "2"]]))),
                ),
                (Some(json!([null, "a=b"])), Ok(Some(json!([["a", "b"]])))),
                (Some(json!({"ownerId": "u1", "n": 2})), Ok(Some(json!([["ownerId", "u1"], ["n", "2"]])))),
                (
                    s("name=x\ntype = shared \r\n\n ownerId=u=1 \nname=y"),
                    Ok(Some(json!([["name", "x"], ["type", "shared"], ["ownerId", "u=1"], ["name", "y"]]))),
                ),
                (s("a="), Ok(Some(json!([["a", ""]])))),
                (s(r#"{"a": "1", "b": 2}"#), Ok(Some(json!([["a", "1"], ["b", "2"]])))),
                (s(r#"[{"key": "a", "value": "1"}]"#), Ok(Some(json!([["a", "1"]])))),
                (Some(json!([])), Ok(None)),
                (Some(json!({})), Ok(None)),
                (s("{}"), Ok(None)),
                (Some(json!([{"key": "a", "value": "1"}, {"value": "2"}])), Err("item 2 has no key")),
                (Some(json!([{"key": "", "value": "2"}])), Err("item 1 has no key")),
                (Some(json!([{"key": "  ", "value": "2"}])), Err("item 1 has no key")),
                (Some(json!([{"key": {"x": 1}, "value": "2"}])), Err("item 1 has no key")),
                (
                    Some(json!([{"key": "a", "value": {"x": 1}}])),
                    Err("the value of item 1 must be text, not an object"),
                ),
                (Some(json!([5])), Err("item 1 must be a {key, value} object, not a number")),
                (Some(json!(["nokey"])), Err("item 1 must look like key=value")),
                (Some(json!({"a": [1]})), Err("the value of `a` must be text, not a list")),
                (Some(json!({"": "x"})), Err("item 1 has no key")),
                (s("a=1\n=2"), Err("line 2 has no key")),
                (s("a=1\nb: 2"), Err("line 2 must look like key=value")),
                (s("{\"a\": 1"), Err("is not valid JSON (line 1, column 7: EOF while parsing an object)")),
                (s("\n {\"a\" 1}"), Err("is not valid JSON (line 2, column 7: expected `:`)")),
                (s("[1]"), Err("item 1 must be a {key, value} object")),
                (Some(json!(5)), Err("must be a list of key/value pairs, not a number")),
                (Some(json!(true)), Err("must be a list of key/value pairs, not true or false")),
            ],
        );
    }

    #[test]
    fn picklist_table() {
        const OPTS: &[&str] = &["authorization_code", "client_credentials"];
        run(
            InputType::Picklist(OPTS),
            &[
                (s("client_credentials"), Ok(Some(json!("client_credentials")))),
                (s(" authorization_code "), Ok(Some(json!("authorization_code")))),
                (s("Client_Credentials"), Err("must be one of `authorization_code`, `client_credentials`")),
                (s("password"), Err("must be one of `authorization_code`, `client_credentials`")),
                (Some(json!(["client_credentials"])), Err("not a list")),
                (Some(json!(1)), Err("must be one of")),
            ],
        );
        run(InputType::Picklist(&["10", "20"]), &[(Some(json!(20)), Ok(Some(json!("20"))))]);
    }
}
