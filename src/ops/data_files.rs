//! Data-file uploads: `POST /data-files` and `PUT /data-files/{id}` as multipart forms with a
//! `File` part (the bytes) and a `Json` part (the upload fields).

use super::request::{build_body, fill_path};
use crate::client::{parse_json_body, Client};
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::inputs::Inputs;
use crate::multipart::{file_input, form, FileInput, Part};
use crate::table::BodySpec;
use serde_json::Value;

/// The data file of updateDataFile (its id is checked against this template too).
pub const FILE_PATH: &str = "/data-files/{dataFileId}";

/// The `Json` part: the `json` input, with `name` and `connectionId` from the inputs over it.
const JSON_PART: BodySpec =
    BodySpec::Json { base: Some("json"), fields: &[("/name", "fileName"), ("/connectionId", "connectionId")] };

/// Largest file the connector uploads (its answers are capped alike).
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// createDataFile: `POST /data-files` with `File` and `Json` (`{name: fileName, ...json}`).
pub fn create(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    upload(client, inputs, Method::Post, "/data-files".to_string())
}

/// updateDataFile: `PUT /data-files/{dataFileId}`, the `File` part only when `fileInput` is given.
pub fn update(client: &mut Client<'_>, inputs: &Inputs) -> Result<Value> {
    upload(client, inputs, Method::Put, fill_path(FILE_PATH, inputs))
}

/// Validates everything, then sends one multipart request.
fn upload(client: &mut Client<'_>, inputs: &Inputs, method: Method, path: String) -> Result<Value> {
    let file: Option<FileInput> = inputs.get("fileInput").map(|v| file_input(v, "fileInput")).transpose()?;
    if file.as_ref().is_some_and(|f| f.bytes.len() > MAX_FILE_BYTES) {
        return Err(ConnectorError::invalid("fileInput", "fileInput is larger than 32 MiB"));
    }
    let fields = build_body(JSON_PART, inputs)?.unwrap_or_default();
    // The part's file name: the file's new name, else the data file's ID (Qlik keeps its name).
    let filename =
        fields.get("name").and_then(Value::as_str).or(inputs.str("dataFileId")).unwrap_or("file").to_string();
    let json = fields.to_string().into_bytes();
    let mut parts = Vec::with_capacity(2);
    if let Some(file) = &file {
        let content_type = file.content_type.as_deref().unwrap_or("application/octet-stream");
        parts.push(Part {
            name: "File",
            filename: Some(&filename),
            content_type: Some(content_type),
            bytes: &file.bytes,
        });
    }
    parts.push(Part { name: "Json", filename: None, content_type: Some("application/json"), bytes: &json });
    let body = form(client.host(), &parts);
    drop(file);
    let url = client.api_url(&path);
    let response = client.send(method, &url, Some(&body))?;
    parse_json_body(&response)
}
