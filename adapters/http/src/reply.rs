//! Answers: `200 {"result": ...}`, the connector's errors as `{"error": {...}}` with a status per
//! error kind, and the adapter's own errors (`{"error": {"kind", "message"}}`).

use serde_json::{json, Value};

/// One HTTP answer; the body is always JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers besides `content-type`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

/// The status for a connector error kind (the WIT `error` case).
pub fn status_for(kind: &str) -> u16 {
    match kind {
        "invalid-input" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not-found" => 404,
        "conflict" => 409,
        "rate-limited" => 429,
        "timeout" => 504,
        // api, transport, invalid-response, and anything newer: the tenant side failed.
        _ => 502,
    }
}

impl Reply {
    /// `200 {"result": <json>}` around JSON text the connector produced (checked to be JSON).
    pub fn result_text(json: &str) -> Reply {
        match serde_json::from_str::<&serde_json::value::RawValue>(json) {
            Ok(raw) => Reply::ok(format!("{{\"result\":{}}}", raw.get())),
            Err(_) => Reply::failure(502, "invalid-response", "the connector returned an output that is not JSON"),
        }
    }

    /// `200 {"result": value}`.
    pub fn result(value: &Value) -> Reply {
        Reply::ok(json!({ "result": value }).to_string())
    }

    fn ok(body: String) -> Reply {
        Reply { status: 200, headers: Vec::new(), body }
    }

    /// A connector error (`{"kind": ..., ...}`, the form `qlik-harness call` prints) with the
    /// status of its kind, and `Retry-After` for a rate limit that said how long.
    pub fn connector_error(error: Value) -> Reply {
        let status = status_for(error["kind"].as_str().unwrap_or_default());
        let retry_after = error["retryAfterSeconds"].as_u64();
        let reply = Reply { status, headers: Vec::new(), body: json!({ "error": error }).to_string() };
        match retry_after {
            Some(seconds) if status == 429 => reply.with_header("retry-after", &seconds.to_string()),
            _ => reply,
        }
    }

    /// The adapter's own error: `{"error": {"kind": kind, "message": message}}`.
    pub fn failure(status: u16, kind: &str, message: &str) -> Reply {
        let body = json!({ "error": { "kind": kind, "message": message } }).to_string();
        Reply { status, headers: Vec::new(), body }
    }

    /// A 400 `bad-request`: the request body is not what the route takes.
    pub fn bad_request(message: &str) -> Reply {
        Reply::failure(400, "bad-request", message)
    }

    /// The same answer with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_status() {
        let table = [
            ("invalid-input", 400),
            ("unauthorized", 401),
            ("forbidden", 403),
            ("not-found", 404),
            ("conflict", 409),
            ("rate-limited", 429),
            ("api", 502),
            ("timeout", 504),
            ("transport", 502),
            ("invalid-response", 502),
        ];
        for (kind, status) in table {
            let reply = Reply::connector_error(json!({"kind": kind, "message": "m"}));
            assert_eq!(reply.status, status, "{kind}");
            let body: Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(body, json!({"error": {"kind": kind, "message": "m"}}));
        }
    }

    #[test]
    fn a_rate_limit_says_when_to_retry() {
        let reply = Reply::connector_error(json!({"kind": "rate-limited", "retryAfterSeconds": 7, "status": 429}));
        assert_eq!(reply.header("Retry-After"), Some("7"));
        let unknown = Reply::connector_error(json!({"kind": "rate-limited", "retryAfterSeconds": null}));
        assert_eq!((unknown.status, unknown.header("retry-after")), (429, None));
    }

    #[test]
    fn results_wrap_the_output() {
        assert_eq!(Reply::result_text(r#"{"id": "a"}"#).body, r#"{"result":{"id": "a"}}"#);
        assert_eq!(Reply::result_text("not json").status, 502);
        assert_eq!(Reply::result(&json!([1])).body, r#"{"result":[1]}"#);
    }
}
