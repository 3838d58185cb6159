//! The optional shared secret: when `QLIK_CONNECTOR_TOKEN` is set (and not empty), every request
//! must carry `Authorization: Bearer <token>`.

/// The environment variable holding the shared secret.
pub const TOKEN_VARIABLE: &str = "QLIK_CONNECTOR_TOKEN";

/// Whether a request with this `Authorization` header may go on. `token` is the configured secret
/// (`None` or empty: no secret, every request may). The comparison takes the same time wherever
/// the header differs.
pub fn authorized(token: Option<&str>, authorization: Option<&[u8]>) -> bool {
    let Some(token) = token.filter(|t| !t.is_empty()) else { return true };
    let Some(header) = authorization else { return false };
    let Some(scheme) = header.get(..7) else { return false };
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    equal_in_constant_time(&header[7..], token.as_bytes())
}

fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::authorized;

    #[test]
    fn no_token_lets_everything_through() {
        assert!(authorized(None, None));
        assert!(authorized(Some(""), None));
        assert!(authorized(None, Some(b"Bearer whatever")));
    }

    #[test]
    fn a_token_needs_the_exact_bearer_header() {
        let token = Some("s3cret");
        assert!(authorized(token, Some(b"Bearer s3cret")));
        assert!(authorized(token, Some(b"bearer s3cret")));
        for wrong in
            [&b"Bearer s3cre"[..], b"Bearer s3cret2", b"Basic s3cret", b"s3cret", b"Bearer", b"", b"Bearer  s3cret"]
        {
            assert!(!authorized(token, Some(wrong)), "{}", String::from_utf8_lossy(wrong));
        }
        assert!(!authorized(token, None));
    }
}
