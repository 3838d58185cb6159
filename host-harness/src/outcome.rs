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
        // Messages usually start with the input's name already ("limit must be …").
        "invalid-input" => {
            let (input, message) = (field("input").unwrap_or_default(), field("message").unwrap_or_default());
            if message.starts_with(&input) {
                message
            } else {
                format!("{input}: {message}")
            }
        }
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

#[cfg(test)]
mod tests {
    use super::describe_error;
    use serde_json::json;

    #[test]
    fn the_input_is_named_once() {
        let named = json!({"kind": "invalid-input", "input": "limit", "message": "limit must be a whole number"});
        assert_eq!(describe_error(&named), "invalid-input: limit must be a whole number");
        let other = json!({"kind": "invalid-input", "input": "input", "message": "the inputs must be a JSON object"});
        assert_eq!(describe_error(&other), "invalid-input: input: the inputs must be a JSON object");
    }
}
