//! The connector's error type: the native mirror of the WIT `error` variant.

use crate::qlik_error::QlikError;

/// Every way an export can fail (mirrors WIT `types.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    /// An input is missing or malformed; nothing was sent.
    InvalidInput {
        /// The input's key.
        input: String,
        /// What is wrong with it.
        message: String,
    },
    /// 401.
    Unauthorized(QlikError),
    /// 403.
    Forbidden(QlikError),
    /// 404.
    NotFound(QlikError),
    /// 409 or 412.
    Conflict(QlikError),
    /// 429 left after the retries.
    RateLimited {
        /// How long Qlik asked to wait, when it said.
        retry_after_seconds: Option<u32>,
        /// Qlik's error.
        error: QlikError,
    },
    /// Any other error status.
    Api(QlikError),
    /// No answer in time.
    Timeout(String),
    /// The request could not be sent, or the connection broke.
    Transport(String),
    /// A 2xx answer that is not what the API promises.
    InvalidResponse(String),
}

impl ConnectorError {
    /// An `invalid-input` error naming `input`.
    pub fn invalid(input: &str, message: impl Into<String>) -> Self {
        ConnectorError::InvalidInput { input: input.to_string(), message: message.into() }
    }

    /// Maps an error status answered by Qlik to its kind (connector.md §3).
    pub fn from_qlik(error: QlikError) -> Self {
        match error.status {
            401 => ConnectorError::Unauthorized(error),
            403 => ConnectorError::Forbidden(error),
            404 => ConnectorError::NotFound(error),
            409 | 412 => ConnectorError::Conflict(error),
            429 => ConnectorError::RateLimited { retry_after_seconds: None, error },
            _ => ConnectorError::Api(error),
        }
    }

    /// The same error with every occurrence of each secret replaced by `***`, in every text
    /// it carries: a tenant or identity provider that echoes a credential (a debugging proxy,
    /// a misconfigured token endpoint) must not put it into a flow's error. Secrets shorter
    /// than 6 characters are left alone, so that one letter never blanks a message.
    pub fn redact(self, secrets: &[&str]) -> Self {
        let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 6).collect();
        if secrets.is_empty() {
            return self;
        }
        let clean = |text: String| secrets.iter().fold(text, |text, secret| text.replace(secret, "***"));
        let clean_qlik = |e: QlikError| QlikError {
            code: e.code.map(clean),
            title: clean(e.title),
            detail: e.detail.map(clean),
            trace_id: e.trace_id.map(clean),
            ..e
        };
        match self {
            ConnectorError::InvalidInput { input, message } => {
                ConnectorError::InvalidInput { input, message: clean(message) }
            }
            ConnectorError::Unauthorized(e) => ConnectorError::Unauthorized(clean_qlik(e)),
            ConnectorError::Forbidden(e) => ConnectorError::Forbidden(clean_qlik(e)),
            ConnectorError::NotFound(e) => ConnectorError::NotFound(clean_qlik(e)),
            ConnectorError::Conflict(e) => ConnectorError::Conflict(clean_qlik(e)),
            ConnectorError::RateLimited { retry_after_seconds, error } => {
                ConnectorError::RateLimited { retry_after_seconds, error: clean_qlik(error) }
            }
            ConnectorError::Api(e) => ConnectorError::Api(clean_qlik(e)),
            ConnectorError::Timeout(m) => ConnectorError::Timeout(clean(m)),
            ConnectorError::Transport(m) => ConnectorError::Transport(clean(m)),
            ConnectorError::InvalidResponse(m) => ConnectorError::InvalidResponse(clean(m)),
        }
    }

    /// The WIT case name, e.g. `not-found`.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorError::InvalidInput { .. } => "invalid-input",
            ConnectorError::Unauthorized(_) => "unauthorized",
            ConnectorError::Forbidden(_) => "forbidden",
            ConnectorError::NotFound(_) => "not-found",
            ConnectorError::Conflict(_) => "conflict",
            ConnectorError::RateLimited { .. } => "rate-limited",
            ConnectorError::Api(_) => "api",
            ConnectorError::Timeout(_) => "timeout",
            ConnectorError::Transport(_) => "transport",
            ConnectorError::InvalidResponse(_) => "invalid-response",
        }
    }
}

/// Result of connector operations.
pub type Result<T> = std::result::Result<T, ConnectorError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn qe(status: u16) -> QlikError {
        QlikError { status, code: None, title: "t".into(), detail: None, trace_id: None }
    }

    #[test]
    fn redact_blanks_every_secret_in_every_text() {
        let error = QlikError {
            status: 400,
            code: Some("SENTINEL-KEY-1".into()),
            title: "bad Bearer SENTINEL-KEY-1".into(),
            detail: Some("body: {\"client_secret\":\"SECRET-2222\"} and SENTINEL-KEY-1".into()),
            trace_id: None,
        };
        let cases = [
            ConnectorError::Api(error.clone()),
            ConnectorError::Unauthorized(error.clone()),
            ConnectorError::RateLimited { retry_after_seconds: Some(1), error },
            ConnectorError::Transport("echo SECRET-2222".into()),
            ConnectorError::invalid("tenant", "saw SENTINEL-KEY-1"),
        ];
        for case in cases {
            let text = format!("{:?}", case.redact(&["SENTINEL-KEY-1", "SECRET-2222", "k"]));
            assert!(!text.contains("SENTINEL-KEY-1") && !text.contains("SECRET-2222"), "{text}");
            assert!(text.contains("***"), "{text}");
        }
        // Too short to redact safely: left alone.
        let kept = ConnectorError::Transport("k is fine".into()).redact(&["k"]);
        assert_eq!(kept, ConnectorError::Transport("k is fine".into()));
    }

    #[test]
    fn statuses_map_to_kinds() {
        let table = [
            (400, "api"),
            (401, "unauthorized"),
            (403, "forbidden"),
            (404, "not-found"),
            (409, "conflict"),
            (412, "conflict"),
            (422, "api"),
            (429, "rate-limited"),
            (500, "api"),
            (503, "api"),
        ];
        for (status, kind) in table {
            assert_eq!(ConnectorError::from_qlik(qe(status)).kind(), kind, "status {status}");
        }
    }
}
