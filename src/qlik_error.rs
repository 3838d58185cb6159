//! Parsing of the error bodies Qlik Cloud answers with.
//!
//! Qlik's services share one envelope, `{ "errors": [{ code, title, detail, status, meta,
//! source }], "traceId" }`, with small variations per service (see `qlik-api.md`, "Errors").
//! A proxy in front of a tenant may instead answer with an HTML page or nothing at all; those
//! still yield a typed [`QlikError`] carrying the HTTP status.

use serde_json::Value;

/// Longest text body (in characters) kept as `detail` when the body is not JSON.
const MAX_TEXT_DETAIL_CHARS: usize = 200;

/// An error answered by Qlik: HTTP status plus the first entry of the `errors[]` body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QlikError {
    /// The HTTP status of the response.
    pub status: u16,
    /// Qlik's error code, e.g. `HTTP-429`, `DF-001`, `USERS-7`.
    pub code: Option<String>,
    /// A short human title; the standard reason phrase when Qlik gave none.
    pub title: String,
    /// Qlik's longer explanation, when given.
    pub detail: Option<String>,
    /// The trace id (`traceId` in the body, else a request/trace id header).
    pub trace_id: Option<String>,
}

/// Builds a QlikError from a status, the response headers (lowercase names) and the raw body.
///
/// Takes the first entry of `errors[]`, falling back to the deprecated top-level
/// `code`/`title`/`detail` (and OAuth's `error`/`error_description`). A body that is not JSON
/// yields the status's reason phrase as title; a short plain-text body (not HTML) becomes the
/// detail, cut to 200 characters.
pub fn parse_qlik_error(status: u16, headers: &[(String, String)], body: &[u8]) -> QlikError {
    let mut code = None;
    let mut title = None;
    let mut detail = None;
    let mut trace_id = None;

    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => {
            let first = top
                .get("errors")
                .and_then(Value::as_array)
                .and_then(|errors| errors.first())
                .and_then(Value::as_object);
            if let Some(entry) = first {
                code = text_field(entry.get("code"));
                title = text_field(entry.get("title"));
                detail = text_field(entry.get("detail"));
            }
            // Deprecated top-level fields, and OAuth's RFC 6749 error shape.
            code = code.or_else(|| text_field(top.get("code"))).or_else(|| text_field(top.get("error")));
            title = title.or_else(|| text_field(top.get("title")));
            detail =
                detail.or_else(|| text_field(top.get("detail"))).or_else(|| text_field(top.get("error_description")));
            trace_id = text_field(top.get("traceId"));
        }
        Ok(_) => {}
        Err(_) => detail = text_detail(body),
    }

    let trace_id = trace_id.or_else(|| {
        ["x-request-id", "x-b3-traceid", "traceid"].iter().find_map(|wanted| {
            headers
                .iter()
                .find(|(name, value)| name.eq_ignore_ascii_case(wanted) && !value.trim().is_empty())
                .map(|(_, value)| value.trim().to_string())
        })
    });

    QlikError { status, code, title: title.unwrap_or_else(|| default_title(status)), detail, trace_id }
}

/// The standard reason phrase of an HTTP status (`503` → "Service Unavailable"), if known.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

/// The reason phrase, or `HTTP <status>` when the status has none.
fn default_title(status: u16) -> String {
    reason_phrase(status).map_or_else(|| format!("HTTP {status}"), str::to_string)
}

/// A non-empty string field; numbers are turned into text (some services send numeric codes).
fn text_field(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The detail kept from a body that is not JSON: short plain text only, never HTML.
fn text_detail(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() || looks_like_markup(text) {
        return None;
    }
    let cut: String = text.chars().take(MAX_TEXT_DETAIL_CHARS).collect();
    let cut = cut.trim_end();
    (!cut.is_empty()).then(|| cut.to_string())
}

/// True for HTML/XML pages, such as a proxy's error page.
fn looks_like_markup(text: &str) -> bool {
    let head: String = text.chars().take(512).collect::<String>().to_ascii_lowercase();
    head.starts_with('<') || head.contains("<html") || head.contains("<!doctype")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    struct Case {
        name: &'static str,
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
        code: Option<&'static str>,
        title: &'static str,
        detail: Option<&'static str>,
        trace_id: Option<&'static str>,
    }

    #[test]
    fn parses_table() {
        let cases = [
            Case {
                name: "users envelope with traceId",
                status: 404,
                headers: &[("x-request-id", "req-1")],
                body: r#"{"errors":[{"code":"USERS-7","title":"Not found","detail":"No user","status":404}],"traceId":"abc123"}"#,
                code: Some("USERS-7"),
                title: "Not found",
                detail: Some("No user"),
                trace_id: Some("abc123"),
            },
            Case {
                name: "first entry wins",
                status: 400,
                headers: &[],
                body: r#"{"errors":[{"code":"A","title":"first"},{"code":"B","title":"second"}]}"#,
                code: Some("A"),
                title: "first",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "rate limit, trace id from x-request-id",
                status: 429,
                headers: &[("retry-after", "13"), ("x-request-id", "req-9")],
                body: r#"{"errors":[{"code":"HTTP-429","title":"Rate limit reached","detail":"13"}]}"#,
                code: Some("HTTP-429"),
                title: "Rate limit reached",
                detail: Some("13"),
                trace_id: Some("req-9"),
            },
            Case {
                name: "items: trace id from x-b3-traceid",
                status: 403,
                headers: &[("content-type", "application/json"), ("x-b3-traceid", "b3")],
                body: r#"{"errors":[{"code":"ITEMS-1","title":"Forbidden","meta":{"temporary":false}}]}"#,
                code: Some("ITEMS-1"),
                title: "Forbidden",
                detail: None,
                trace_id: Some("b3"),
            },
            Case {
                name: "x-request-id preferred over x-b3-traceid whatever the order",
                status: 500,
                headers: &[("x-b3-traceid", "b3"), ("x-request-id", "req")],
                body: "{}",
                code: None,
                title: "Internal Server Error",
                detail: None,
                trace_id: Some("req"),
            },
            Case {
                name: "traceid header last",
                status: 500,
                headers: &[("traceid", "t")],
                body: "",
                code: None,
                title: "Internal Server Error",
                detail: None,
                trace_id: Some("t"),
            },
            Case {
                name: "header names compared case-insensitively",
                status: 500,
                headers: &[("X-Request-Id", "R")],
                body: "",
                code: None,
                title: "Internal Server Error",
                detail: None,
                trace_id: Some("R"),
            },
            Case {
                name: "deprecated top-level fields",
                status: 409,
                headers: &[],
                body: r#"{"code":"SPACES-3","title":"Name taken","detail":"Pick another"}"#,
                code: Some("SPACES-3"),
                title: "Name taken",
                detail: Some("Pick another"),
                trace_id: None,
            },
            Case {
                name: "oauth error shape",
                status: 400,
                headers: &[],
                body: r#"{"error":"invalid_client","error_description":"bad client"}"#,
                code: Some("invalid_client"),
                title: "Bad Request",
                detail: Some("bad client"),
                trace_id: None,
            },
            Case {
                name: "missing title falls back to reason phrase",
                status: 404,
                headers: &[],
                body: r#"{"errors":[{"code":"DF-404"}]}"#,
                code: Some("DF-404"),
                title: "Not Found",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "empty title falls back to reason phrase",
                status: 412,
                headers: &[],
                body: r#"{"errors":[{"code":"X","title":"  "}]}"#,
                code: Some("X"),
                title: "Precondition Failed",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "numeric code becomes text",
                status: 400,
                headers: &[],
                body: r#"{"errors":[{"code":17,"title":"t"}]}"#,
                code: Some("17"),
                title: "t",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "empty errors array",
                status: 422,
                headers: &[],
                body: r#"{"errors":[]}"#,
                code: None,
                title: "Unprocessable Content",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "html proxy page",
                status: 503,
                headers: &[("content-type", "text/html")],
                body: "<html><head><title>503</title></head><body>Service Unavailable</body></html>",
                code: None,
                title: "Service Unavailable",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "html with doctype after whitespace",
                status: 502,
                headers: &[],
                body: "\n  <!DOCTYPE html><html></html>",
                code: None,
                title: "Bad Gateway",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "empty body",
                status: 504,
                headers: &[],
                body: "",
                code: None,
                title: "Gateway Timeout",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "short text body becomes detail",
                status: 502,
                headers: &[],
                body: "  upstream connect error  \n",
                code: None,
                title: "Bad Gateway",
                detail: Some("upstream connect error"),
                trace_id: None,
            },
            Case {
                name: "unknown status",
                status: 599,
                headers: &[],
                body: "",
                code: None,
                title: "HTTP 599",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "json that is not an object",
                status: 500,
                headers: &[],
                body: r#"["oops"]"#,
                code: None,
                title: "Internal Server Error",
                detail: None,
                trace_id: None,
            },
            Case {
                name: "body traceId beats headers",
                status: 401,
                headers: &[("x-request-id", "hdr")],
                body: r#"{"errors":[{"code":"AUTH-1","title":"Unauthorized"}],"traceId":"body"}"#,
                code: Some("AUTH-1"),
                title: "Unauthorized",
                detail: None,
                trace_id: Some("body"),
            },
        ];
        for c in cases {
            let got = parse_qlik_error(c.status, &h(c.headers), c.body.as_bytes());
            let want = QlikError {
                status: c.status,
                code: c.code.map(str::to_string),
                title: c.title.to_string(),
                detail: c.detail.map(str::to_string),
                trace_id: c.trace_id.map(str::to_string),
            };
            assert_eq!(got, want, "case: {}", c.name);
        }
    }

    #[test]
    fn long_text_body_is_cut_to_200_chars() {
        let body = "é".repeat(500);
        let err = parse_qlik_error(500, &[], body.as_bytes());
        assert_eq!(err.detail.unwrap().chars().count(), 200);
    }

    #[test]
    fn invalid_utf8_body_has_no_detail() {
        let err = parse_qlik_error(500, &[], &[0xff, 0xfe, 0x00]);
        assert_eq!(err.detail, None);
        assert_eq!(err.title, "Internal Server Error");
    }

    #[test]
    fn serializes_with_field_names() {
        let err = parse_qlik_error(404, &[], br#"{"errors":[{"code":"X","title":"T"}]}"#);
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["status"], 404);
        assert_eq!(json["code"], "X");
        assert_eq!(json["trace_id"], Value::Null);
    }
}
