//! How a failed read of a response body is classified, whatever the host: by the host's
//! `wasi:http` error code first (`http-error-code` on the stream's error), by the error's text
//! only when the host gives no code, and, as a last resort, by how long the body had been silent.
//!
//! Hosts differ here. wasmtime 48 keeps body errors in its own type, so `http-error-code` says
//! nothing and only its text ("connection read timeout") tells a timeout; Node's preview2-shim
//! ends a stalled body by destroying the request, which reads as the stream error "aborted",
//! exactly like a dropped connection. A read that fails after no byte came for the between-bytes
//! timeout the component asked for is the host's timer at work: a `timeout`, never retried, and
//! not a broken connection that an idempotent request would retry three more times.
//! Pure, so it is tested natively; `wasi_host` maps the WASI types onto it.

use crate::host::SendError;
use std::time::Duration;

/// What the host's `wasi:http` error code says about a failed body read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyErrorCode {
    /// A timeout of any kind (`connection-read-timeout`, `HTTP-response-timeout`, ...).
    Timeout,
    /// The body outgrew the host's limit (`HTTP-response-body-size`).
    TooLarge,
    /// Any other code: the connection or the protocol broke.
    Broken,
}

/// The message of a timeout while reading the body.
const STOPPED: &str = "the tenant stopped sending the response";

/// Classifies a failed body read: `code` from `http-error-code`, `text` the error's debug
/// string, `silent_for` the time since the last body bytes (or the response head) arrived,
/// `between_bytes` the timeout the component asked for.
pub fn classify(code: Option<BodyErrorCode>, text: &str, silent_for: Duration, between_bytes: Duration) -> SendError {
    match code {
        Some(BodyErrorCode::Timeout) => return SendError::Timeout(STOPPED.into()),
        Some(BodyErrorCode::TooLarge) => return SendError::TooLarge,
        Some(BodyErrorCode::Broken) => {
            return SendError::Connection("the connection broke while the response was being read".into())
        }
        None => {}
    }
    // A host backtrace can follow the first line (RUST_BACKTRACE); it only adds weight.
    let first_line = text.lines().next().unwrap_or_default();
    let lower = first_line.to_lowercase();
    if lower.contains("timeout") || lower.contains("timed out") || silent_for >= between_bytes {
        SendError::Timeout(STOPPED.into())
    } else {
        SendError::Connection(format!("reading the response failed: {first_line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BETWEEN: Duration = Duration::from_secs(30);

    fn quiet(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn the_code_wins_over_the_text_and_the_silence() {
        // A code says what happened, whatever the text or the clock suggest.
        assert_eq!(
            classify(Some(BodyErrorCode::Timeout), "aborted", quiet(0), BETWEEN),
            SendError::Timeout(STOPPED.into())
        );
        assert_eq!(classify(Some(BodyErrorCode::TooLarge), "timeout", quiet(99), BETWEEN), SendError::TooLarge);
        assert!(matches!(
            classify(Some(BodyErrorCode::Broken), "read timeout", quiet(99), BETWEEN),
            SendError::Connection(_)
        ));
    }

    #[test]
    fn without_a_code_the_text_tells_a_timeout() {
        // wasmtime 48's body timeout, and other hosts' wordings, on the first line only.
        for text in ["connection read timeout", "Read Timeout", "operation timed out\nbacktrace..."] {
            assert_eq!(classify(None, text, quiet(1), BETWEEN), SendError::Timeout(STOPPED.into()), "{text}");
        }
        assert_eq!(
            classify(None, "connection reset\nat timeout.rs:1", quiet(1), BETWEEN),
            SendError::Connection("reading the response failed: connection reset".into())
        );
    }

    #[test]
    fn without_a_code_a_body_silent_for_the_between_bytes_timeout_timed_out() {
        // preview2-shim: its timer destroys the request, and the stream error reads "aborted".
        assert_eq!(classify(None, "Error: aborted", quiet(30), BETWEEN), SendError::Timeout(STOPPED.into()));
        assert_eq!(classify(None, "Error: aborted", quiet(60), BETWEEN), SendError::Timeout(STOPPED.into()));
        // The same error sooner is a broken connection (retried for idempotent requests).
        assert_eq!(
            classify(None, "Error: aborted", Duration::from_millis(29_999), BETWEEN),
            SendError::Connection("reading the response failed: Error: aborted".into())
        );
    }
}
