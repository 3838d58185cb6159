//! `rawRequest`: any request on the tenant host, with its own retry policy.

use super::{ExportKind, ExportSpec, InputSpec, InputType, Op};

const fn pairs(key: &'static str, label: &'static str, comments: &'static str) -> InputSpec {
    InputSpec { ty: InputType::KeyValueList, ..InputSpec::text(key, label, comments) }
}

const fn flag(key: &'static str, label: &'static str, comments: &'static str) -> InputSpec {
    InputSpec { ty: InputType::Boolean, default: Some("false"), ..InputSpec::text(key, label, comments) }
}

const INPUTS: &[InputSpec] = &[
    InputSpec {
        required: true,
        example: Some("/spaces"),
        ..InputSpec::text(
            "url",
            "URL",
            "A path under /api/v1 (/spaces), or a full URL on the tenant's own host; other hosts are refused.",
        )
    },
    InputSpec {
        ty: InputType::Picklist(&["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        required: true,
        example: Some("GET"),
        ..InputSpec::text("method", "Method", "The HTTP method.")
    },
    InputSpec {
        ty: InputType::CodeOrText,
        example: Some(r#"{"name": "Finance"}"#),
        ..InputSpec::text("data", "Data", "The body: JSON is sent as application/json, other text as text/plain.")
    },
    pairs("formData", "Form Data", "Multipart text fields (name=value)."),
    pairs("fileData", "File Data", "Multipart files (name=content): text, or {\"base64\": ..., \"contentType\": ...}."),
    pairs("fileDataFileNames", "File Data File Names", "File names by File Data name; the name itself by default."),
    pairs("queryParams", "Query Parameter", "Query parameters added to the URL."),
    InputSpec {
        example: Some("X-Qlik-User-Agent: flow"),
        ..pairs("headers", "Header", "Extra headers; Authorization and Content-Type are set by the connector.")
    },
    InputSpec {
        ty: InputType::Picklist(&["json", "text", "binary"]),
        default: Some("\"json\""),
        ..InputSpec::text("responseType", "Response Type", "How to read the answer: JSON, text, or base64 binary.")
    },
    InputSpec {
        ty: InputType::Integer { min: Some(1), max: Some(300_000) },
        example: Some("2000"),
        ..InputSpec::text("timeout", "Timeout", "Milliseconds to wait for the answer (default 60000).")
    },
    InputSpec {
        ty: InputType::Integer { min: Some(0), max: Some(60_000) },
        default: Some("0"),
        ..InputSpec::text(
            "retryDelayMS",
            "Retry Delay (ms)",
            "Milliseconds between retries without exponential backoff.",
        )
    },
    flag("retryAllErrors", "Retry On All Errors", "Retry every error status, not only 5xx and connection failures."),
    InputSpec {
        ty: InputType::Integer { min: Some(0), max: Some(10) },
        default: Some("0"),
        ..InputSpec::text("maxRetries", "Max Retry Count", "How many times to retry a failed request (at most 10).")
    },
    flag(
        "useExponentialBackoff",
        "Use Exponential Backoff",
        "Wait 0.5 s doubling (up to 8 s, jittered) between retries.",
    ),
];

/// The raw request export.
pub const EXPORTS: &[ExportSpec] = &[ExportSpec {
    key: "rawRequest",
    label: "Raw Request",
    description: "Send any HTTP request to the tenant's API with the connection's credentials.",
    kind: ExportKind::Action,
    inputs: INPUTS,
    op: Op::Custom(crate::ops::raw::run),
    check: None,
    example_output: r#"{"status":200,"headers":{"content-type":"application/json"},"data":{"id":"5f0f5f6a9d8d4c0001a1b2c3","name":"Finance","type":"shared"}}"#,
}];
