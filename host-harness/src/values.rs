//! JSON ↔ WIT values for the typed parts of the contract: the connection going in, results and
//! errors coming out. Keys are camelCase in JSON and kebab-case in WIT.

use anyhow::{bail, Context as _};
use serde_json::{Map, Value};
use wasmtime::component::Val;

/// `retry-after-seconds` → `retryAfterSeconds`.
pub fn camel_case(kebab: &str) -> String {
    let mut out = String::with_capacity(kebab.len());
    let mut upper = false;
    for c in kebab.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn optional(object: &Map<String, Value>, key: &str) -> Val {
    match object.get(key) {
        Some(Value::Null) | None => Val::Option(None),
        Some(_) => Val::Option(Some(Box::new(Val::String(text(object, key))))),
    }
}

/// Builds the WIT `connection` from its JSON form:
/// `{"type":"apiKey","apiKey":..,"tenant":..}` or `{"type":"oauth2","grantType":..,"tokenUrl":..,...}`.
pub fn connection(json: &Value) -> anyhow::Result<Val> {
    let object = json.as_object().context("the connection must be a JSON object")?;
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => bail!("the connection's `type` must be a string: \"apiKey\" or \"oauth2\""),
        None => bail!("the connection has no `type`: add \"type\": \"apiKey\" or \"oauth2\""),
    };
    // Unknown values are not repeated in errors: a misplaced secret must not end up in a log.
    match kind {
        "apiKey" | "api-key" => Ok(Val::Variant(
            "api-key".into(),
            Some(Box::new(Val::Record(vec![
                ("api-key".into(), Val::String(text(object, "apiKey"))),
                ("tenant".into(), Val::String(text(object, "tenant"))),
            ]))),
        )),
        "oauth2" => {
            let grant = match object.get("grantType").and_then(Value::as_str).unwrap_or("authorization_code") {
                "authorization_code" | "authorization-code" => "authorization-code",
                "client_credentials" | "client-credentials" => "client-credentials",
                _ => bail!("unknown grantType: use authorization_code or client_credentials"),
            };
            Ok(Val::Variant(
                "oauth2".into(),
                Some(Box::new(Val::Record(vec![
                    ("grant-type".into(), Val::Enum(grant.into())),
                    ("tenant".into(), optional(object, "tenant")),
                    ("authorize-url".into(), optional(object, "authorizeUrl")),
                    ("token-url".into(), Val::String(text(object, "tokenUrl"))),
                    ("scopes".into(), optional(object, "scopes")),
                    ("client-id".into(), Val::String(text(object, "clientId"))),
                    ("client-secret".into(), Val::String(text(object, "clientSecret"))),
                    ("access-token".into(), optional(object, "accessToken")),
                ]))),
            ))
        }
        _ => bail!("unknown connection type: use apiKey or oauth2"),
    }
}

/// Converts a WIT value to JSON. Records become objects with camelCase keys; a variant becomes
/// `{"kind": case, ...}` with a record payload's fields merged in (a nested `error` record is
/// merged too) or a text payload as `message`. A string holding JSON stays a string here.
pub fn to_json(value: &Val) -> Value {
    match value {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => (*n).into(),
        Val::U8(n) => (*n).into(),
        Val::S16(n) => (*n).into(),
        Val::U16(n) => (*n).into(),
        Val::S32(n) => (*n).into(),
        Val::U32(n) => (*n).into(),
        Val::S64(n) => (*n).into(),
        Val::U64(n) => (*n).into(),
        Val::Float32(n) => (*n as f64).into(),
        Val::Float64(n) => (*n).into(),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::Tuple(items) => Value::Array(items.iter().map(to_json).collect()),
        Val::Record(fields) => Value::Object(fields.iter().map(|(k, v)| (camel_case(k), to_json(v))).collect()),
        Val::Variant(case, payload) => variant(case, payload.as_deref()),
        Val::Enum(case) => Value::String(case.clone()),
        Val::Option(inner) => inner.as_deref().map(to_json).unwrap_or(Value::Null),
        Val::Result(result) => match result {
            Ok(v) => v.as_deref().map(to_json).unwrap_or(Value::Null),
            Err(e) => e.as_deref().map(to_json).unwrap_or(Value::Null),
        },
        Val::Flags(flags) => Value::Array(flags.iter().map(|f| Value::String(f.clone())).collect()),
        other => Value::String(format!("{other:?}")),
    }
}

fn variant(case: &str, payload: Option<&Val>) -> Value {
    let mut out = Map::new();
    out.insert("kind".into(), Value::String(case.into()));
    match payload.map(to_json) {
        Some(Value::Object(fields)) => {
            for (key, value) in fields {
                match (key.as_str(), value) {
                    ("error", Value::Object(inner)) => out.extend(inner),
                    (_, value) => {
                        out.insert(key, value);
                    }
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            out.insert("message".into(), other);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connection_from_json() {
        let val = connection(&json!({"type": "apiKey", "apiKey": "k", "tenant": "acme"})).unwrap();
        assert!(matches!(val, Val::Variant(ref c, Some(_)) if c == "api-key"));
        assert!(connection(&json!({"type": "ldap"})).is_err());
        assert!(connection(&json!({"type": "oauth2", "grantType": "password"})).is_err());
        // No default type: a missing or non-string one is an error, not an API-key connection.
        for bad in [
            json!({"apiKey": "k", "tenant": "acme"}),
            json!({"type": 5, "apiKey": "k"}),
            json!({"type": null}),
            json!({"type": ["apiKey"]}),
        ] {
            let error = connection(&bad).expect_err(&bad.to_string()).to_string();
            assert!(error.contains("type"), "{bad}: {error}");
        }
        assert!(!connection(&json!({"type": "SECRET-1"})).unwrap_err().to_string().contains("SECRET-1"));
    }

    #[test]
    fn errors_flatten() {
        let error = Val::Variant(
            "rate-limited".into(),
            Some(Box::new(Val::Record(vec![
                ("retry-after-seconds".into(), Val::Option(Some(Box::new(Val::U32(5))))),
                (
                    "error".into(),
                    Val::Record(vec![("status".into(), Val::U16(429)), ("trace-id".into(), Val::Option(None))]),
                ),
            ]))),
        );
        assert_eq!(
            to_json(&error),
            json!({"kind": "rate-limited", "retryAfterSeconds": 5, "status": 429, "traceId": null})
        );
        let timeout = Val::Variant("timeout".into(), Some(Box::new(Val::String("slow".into()))));
        assert_eq!(to_json(&timeout), json!({"kind": "timeout", "message": "slow"}));
    }
}
