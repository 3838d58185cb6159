//! `multipart/form-data` (RFC 7578), as pure functions: parts in, one request body out; and
//! the file inputs flows hand over (text, or `{"base64": ..., "contentType": ...}`).
//! Data-file uploads and rawRequest's form and file data share them.

use crate::client::Body;
use crate::error::{ConnectorError, Result};
use crate::host::Host;
use base64::Engine as _;
use serde_json::Value;

/// One part of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    /// The form field name.
    pub name: &'a str,
    /// The file name, for a file part.
    pub filename: Option<&'a str>,
    /// The part's media type; none for a plain text field.
    pub content_type: Option<&'a str>,
    /// The part's bytes.
    pub bytes: &'a [u8],
}

/// A file as a flow gave it: its bytes and, when it said, its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInput {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The media type the flow gave (`contentType`), if any.
    pub content_type: Option<String>,
}

/// Reads a file input named `input`: a string is the file's text (UTF-8); an object
/// `{"base64": "...", "contentType": "..."}` is binary (standard base64, padding optional,
/// whitespace ignored). Anything else is `invalid-input` naming the input.
pub fn file_input(value: &Value, input: &str) -> Result<FileInput> {
    match value {
        Value::String(text) => Ok(FileInput { bytes: text.as_bytes().to_vec(), content_type: None }),
        Value::Object(map) => {
            let encoded = map.get("base64").and_then(Value::as_str).ok_or_else(|| {
                ConnectorError::invalid(
                    input,
                    format!("{input} must be text or {{\"base64\": ..., \"contentType\": ...}}"),
                )
            })?;
            let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(compact.trim_end_matches('='))
                .map_err(|e| ConnectorError::invalid(input, format!("{input} has invalid base64: {e}")))?;
            let content_type = match map.get("contentType") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) if t.trim().is_empty() => None,
                Some(Value::String(t)) if is_media_type(t.trim()) => Some(t.trim().to_string()),
                Some(_) => {
                    return Err(ConnectorError::invalid(
                        input,
                        format!("{input}.contentType must be a media type like text/csv"),
                    ))
                }
            };
            Ok(FileInput { bytes, content_type })
        }
        _ => Err(ConnectorError::invalid(
            input,
            format!("{input} must be text or {{\"base64\": ..., \"contentType\": ...}}"),
        )),
    }
}

/// `type/subtype` with optional parameters, no control characters.
fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    !text.chars().any(char::is_control) && essence.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// A boundary from 16 random bytes: `qlik-connector-<32 hex digits>`.
pub fn boundary_from(random: [u8; 16]) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("qlik-connector-{hex}")
}

/// Encodes the parts with a fresh random boundary that occurs in none of them.
pub fn form(host: &mut dyn Host, parts: &[Part<'_>]) -> Body {
    loop {
        let mut random = [0u8; 16];
        host.random_bytes(&mut random);
        let boundary = boundary_from(random);
        let marker = format!("--{boundary}");
        if !parts.iter().any(|p| contains(p.bytes, marker.as_bytes())) {
            return encode(parts, &boundary);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A header parameter value in quotes: `"` and line breaks percent-encoded, as browsers do.
fn quoted(value: &str) -> String {
    value.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// Encodes the parts with `boundary` (which must occur in none of them).
pub fn encode(parts: &[Part<'_>], boundary: &str) -> Body {
    let size: usize = parts.iter().map(|p| p.bytes.len() + 160).sum();
    let mut bytes = Vec::with_capacity(size + boundary.len() + 8);
    for part in parts {
        bytes.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", quoted(part.name));
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{}\"", quoted(filename)));
        }
        bytes.extend_from_slice(disposition.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            bytes.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(part.bytes);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Body { content_type: format!("multipart/form-data; boundary={boundary}"), bytes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_host::FakeHost;
    use serde_json::json;

    #[test]
    fn encodes_fields_and_files() {
        let parts = [
            Part {
                name: "File",
                filename: Some("sales \"q1\".csv"),
                content_type: Some("text/csv"),
                bytes: b"a,b\n1,2\n",
            },
            Part { name: "Json", filename: None, content_type: Some("application/json"), bytes: br#"{"name":"x"}"# },
        ];
        let body = encode(&parts, "B");
        assert_eq!(body.content_type, "multipart/form-data; boundary=B");
        let want = concat!(
            "--B\r\nContent-Disposition: form-data; name=\"File\"; filename=\"sales %22q1%22.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n",
            "--B\r\nContent-Disposition: form-data; name=\"Json\"\r\nContent-Type: application/json\r\n\r\n{\"name\":\"x\"}\r\n",
            "--B--\r\n"
        );
        assert_eq!(String::from_utf8(body.bytes).unwrap(), want);
    }

    #[test]
    fn the_boundary_never_occurs_in_a_part() {
        let mut host = FakeHost::default();
        let body = form(&mut host, &[Part { name: "f", filename: None, content_type: None, bytes: b"x" }]);
        let boundary = body.content_type.split("boundary=").nth(1).unwrap().to_string();
        assert!(boundary.starts_with("qlik-connector-") && boundary.len() == 15 + 32, "{boundary}");
        let marker = format!("--{boundary}");
        assert!(contains(marker.as_bytes(), marker.as_bytes()));
        assert!(!contains(b"x", marker.as_bytes()));
    }

    #[test]
    fn file_inputs_are_text_or_base64() {
        assert_eq!(
            file_input(&json!("a,b\n"), "fileInput").unwrap(),
            FileInput { bytes: b"a,b\n".to_vec(), content_type: None }
        );
        let binary =
            file_input(&json!({"base64": "AP8Q\nAA==", "contentType": "application/octet-stream"}), "fileInput")
                .unwrap();
        assert_eq!(
            binary,
            FileInput { bytes: vec![0, 255, 16, 0], content_type: Some("application/octet-stream".into()) }
        );
        assert_eq!(file_input(&json!({"base64": "AP8QAA"}), "f").unwrap().bytes, vec![0, 255, 16, 0]);
        for bad in [
            json!({"base64": "***"}),
            json!({"text": "x"}),
            json!(5),
            json!({"base64": "AA", "contentType": "bad type"}),
        ] {
            match file_input(&bad, "fileInput") {
                Err(ConnectorError::InvalidInput { input, .. }) => assert_eq!(input, "fileInput", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
