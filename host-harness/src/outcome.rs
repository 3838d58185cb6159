//! What a call gives back ([`Outcome`]) and the one-line summaries the CLI, the demo and tests
//! print for it.

use serde_json::Value;

/// The outcome of a call: the output, or the component's typed error as JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Success: the action output, picklist items or poll result.
    Ok(Value),
    /// The WIT `error` as `{"kind": ..., ...}`.
    Err(Value),
}

/// The first line of a message.
pub fn one_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_string()
}

/// A one-line summary of a component error (never contains secrets: the component puts none in errors).
pub fn describe_error(error: &Value) -> String {
    let kind = error["kind"].as_str().unwrap_or("error");
    let field = |k: &str| error[k].as_str().map(str::to_string);
    let text = match kind {
        "invalid-input" => format!("{}: {}", field("input").unwrap_or_default(), field("message").unwrap_or_default()),
        "timeout" | "transport" | "invalid-response" => field("message").unwrap_or_default(),
        _ => {
            let mut parts = vec![error["status"].to_string()];
            parts.extend(field("code"));
            parts.extend(field("title"));
            if let Some(detail) = field("detail") {
                parts.push(format!("({detail})"));
            }
            parts.join(" ")
        }
    };
    one_line(&format!("{kind}: {text}"))
}
