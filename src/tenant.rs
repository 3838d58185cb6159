//! Tenant normalisation (`connector.md` §1 "Tenant"): what a user typed → the one origin the
//! component ever sends requests to.

use crate::uri::Uri;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The message for input that does not look like a tenant at all.
const LIKE: &str = "must be a Qlik tenant like `acme`, `acme.eu` or `acme.eu.qlikcloud.com`";

/// A tenant's base: scheme, host and optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBase {
    /// `https`, or `http` for a loopback host.
    pub scheme: String,
    /// Lowercase host name, IPv4 address, or bracketed IPv6 address (`[::1]`).
    pub host: String,
    /// The port, only when it is not the scheme's default.
    pub port: Option<u16>,
}

impl TenantBase {
    /// "https://acme.us.qlikcloud.com" (port only when not default)
    pub fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{}", self.scheme, self.host, port),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// origin + "/api/v1"
    pub fn api_root(&self) -> String {
        format!("{}/api/v1", self.origin())
    }

    /// true when an absolute URL's scheme+host+port equal this tenant's
    pub fn same_origin(&self, url: &str) -> bool {
        match (Uri::parse_absolute(url), Uri::parse_absolute(&self.origin())) {
            (Ok(other), Ok(own)) => other.origin() == own.origin(),
            _ => false,
        }
    }
}

/// Normalises what a user typed as the tenant. Err(message) explains what is wrong (the caller
/// names the input `tenant`).
///
/// Accepts `acme` (→ `acme.us.qlikcloud.com`), `acme.eu` (→ `acme.eu.qlikcloud.com`), any host
/// of three or more labels, optionally with a port, and pasted `https://` URLs (path dropped).
/// Plain `http` is accepted for loopback hosts only.
pub fn normalize_tenant(raw: &str) -> Result<TenantBase, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("is required".into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("must not contain spaces; {LIKE}"));
    }

    // Anything with `:`, `/` or `\` is an address: it must be a whole http(s) URL. A typo such
    // as `https:/acme…` or `https//acme…` is refused, never read as a tenant named `https`.
    let url_text = match text.find("://") {
        Some(i) => {
            let scheme = &text[..i];
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                return Err(format!("must be an https address; {LIKE}"));
            }
            text.to_string()
        }
        None if text.contains([':', '/', '\\']) => {
            return Err(format!(
                "looks like an address but is not a whole URL: write it as `https://host` (no `:`, `/` or `\\` otherwise); {LIKE}"
            ))
        }
        None => format!("https://{text}"),
    };
    let had_scheme = text.contains("://");
    let (before_query, _) = text.split_once(['?', '#']).unwrap_or((text, ""));
    let authority =
        before_query.split_once("://").map_or(before_query, |(_, rest)| rest).split(['/', '\\']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    if text.contains('?') {
        return Err("must not contain a query (`?…`)".into());
    }
    if text.contains('#') {
        return Err("must not contain a fragment (`#…`)".into());
    }
    if authority.is_empty() {
        return Err(LIKE.into());
    }
    if authority.contains('%') || !authority.is_ascii() {
        return Err(format!("has invalid characters in the host; {LIKE}"));
    }

    let url = Uri::parse_absolute(&url_text).map_err(|_| LIKE.to_string())?;
    let scheme = url.scheme;
    let port = url.port;
    if port == Some(0) {
        return Err(format!("has port 0; {LIKE}"));
    }

    let host = if let Some(v6) = url.host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Hostname::Ip(IpAddr::V6(v6.parse::<Ipv6Addr>().map_err(|_| LIKE.to_string())?))
    } else if let Ok(ip) = url.host.parse::<Ipv4Addr>() {
        Hostname::Ip(IpAddr::V4(ip))
    } else {
        let domain = url.host.strip_suffix('.').unwrap_or(&url.host).to_string();
        check_domain(&domain)?;
        let labels = domain.split('.').count();
        if had_scheme || labels >= 3 || domain == "localhost" {
            Hostname::Domain(domain)
        } else if labels == 1 {
            Hostname::Domain(format!("{domain}.us.qlikcloud.com"))
        } else {
            Hostname::Domain(format!("{domain}.qlikcloud.com"))
        }
    };

    if scheme == "http" && !host.is_loopback() {
        return Err("must use https (plain http is only for a loopback address)".into());
    }

    Ok(TenantBase { scheme, host: host.to_string(), port })
}

/// A host after expansion.
enum Hostname {
    Domain(String),
    Ip(IpAddr),
}

impl Hostname {
    fn is_loopback(&self) -> bool {
        match self {
            // Only the literal name: `*.localhost` is loopback only if a resolver says so.
            Hostname::Domain(d) => d == "localhost",
            Hostname::Ip(ip) => ip.is_loopback(),
        }
    }
}

impl std::fmt::Display for Hostname {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hostname::Domain(d) => f.write_str(d),
            Hostname::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Hostname::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// Host names: dot-separated labels of letters, digits and inner hyphens (underscores tolerated).
fn check_domain(domain: &str) -> Result<(), String> {
    let ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("has invalid characters in the host; {LIKE}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(scheme: &str, host: &str, port: Option<u16>) -> TenantBase {
        TenantBase { scheme: scheme.into(), host: host.into(), port }
    }

    #[test]
    fn accepted_table() {
        let cases: [(&str, &str); 25] = [
            ("acme", "https://acme.us.qlikcloud.com"),
            ("  ACME  ", "https://acme.us.qlikcloud.com"),
            ("acme.eu", "https://acme.eu.qlikcloud.com"),
            ("acme.DE", "https://acme.de.qlikcloud.com"),
            ("acme-corp.ap", "https://acme-corp.ap.qlikcloud.com"),
            ("acme.eu.qlikcloud.com", "https://acme.eu.qlikcloud.com"),
            ("Acme.EU.QlikCloud.com", "https://acme.eu.qlikcloud.com"),
            ("acme.us.qlikcloudgov.com", "https://acme.us.qlikcloudgov.com"),
            ("analytics.example.com", "https://analytics.example.com"),
            ("https://acme.eu.qlikcloud.com", "https://acme.eu.qlikcloud.com"),
            ("https://acme.eu.qlikcloud.com/", "https://acme.eu.qlikcloud.com"),
            ("https://acme.eu.qlikcloud.com/hub/home", "https://acme.eu.qlikcloud.com"),
            ("https://acme.eu.qlikcloud.com/api/v1/", "https://acme.eu.qlikcloud.com"),
            ("HTTPS://ACME.EU.QLIKCLOUD.COM/", "https://acme.eu.qlikcloud.com"),
            ("https://acme.eu.qlikcloud.com:443/", "https://acme.eu.qlikcloud.com"),
            ("https://acme.eu.qlikcloud.com:9443", "https://acme.eu.qlikcloud.com:9443"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://LOCALHOST:8080/api/v1", "http://localhost:8080"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://127.0.0.1", "http://127.0.0.1"),
            ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
            ("https://localhost", "https://localhost"),
            ("acme.eu.qlikcloud.com.", "https://acme.eu.qlikcloud.com"),
        ];
        for (input, want) in cases {
            let got = normalize_tenant(input).unwrap_or_else(|e| panic!("{input:?} rejected: {e}"));
            assert_eq!(got.origin(), want, "input: {input:?}");
        }
    }

    #[test]
    fn parts() {
        assert_eq!(normalize_tenant("acme").unwrap(), base("https", "acme.us.qlikcloud.com", None));
        assert_eq!(normalize_tenant("http://[::1]:8080").unwrap(), base("http", "[::1]", Some(8080)));
        assert_eq!(normalize_tenant("https://localhost:8080").unwrap(), base("https", "localhost", Some(8080)));
        assert_eq!(normalize_tenant("https://acme:8443").unwrap(), base("https", "acme", Some(8443)));
    }

    #[test]
    fn rejected_table() {
        let cases: [(&str, &str); 40] = [
            ("", "is required"),
            ("   ", "is required"),
            ("acme corp", "spaces"),
            ("acme\teu", "spaces"),
            ("https://acme.eu.qlikcloud.com/my hub", "spaces"),
            ("user@acme.eu.qlikcloud.com", "user name"),
            ("https://user:pw@acme.eu.qlikcloud.com", "user name"),
            ("https://acme.eu.qlikcloud.com/?x=1", "query"),
            ("acme.eu.qlikcloud.com?x=1", "query"),
            ("https://acme.eu.qlikcloud.com/#/home", "fragment"),
            ("http://acme.eu.qlikcloud.com", "https"),
            ("http://10.0.0.1:8080", "https"),
            ("http://127.example.com", "https"),
            ("ftp://acme.eu.qlikcloud.com", "https"),
            ("file:///etc/passwd", "https"),
            ("mailto:acme", "Qlik tenant like"),
            ("acme!.eu", "invalid characters"),
            ("acme..com", "invalid characters"),
            ("-acme", "invalid characters"),
            ("ac%41me", "invalid characters"),
            ("acme.eu.qlikcloud.com:99999", "Qlik tenant like"),
            ("https://", "Qlik tenant like"),
            ("https:///path", "Qlik tenant like"),
            ("ácme", "Qlik tenant like"),
            // Mistyped schemes and bare addresses: never read as a tenant named `https`.
            ("https:/acme.eu.qlikcloud.com", "not a whole URL"),
            ("https//acme.eu", "not a whole URL"),
            ("https//acme.eu.qlikcloud.com", "not a whole URL"),
            ("https:\\acme.eu.qlikcloud.com", "not a whole URL"),
            ("https:\\\\acme.eu.qlikcloud.com", "not a whole URL"),
            ("HTTPS:/acme.eu.qlikcloud.com", "not a whole URL"),
            ("https:/analytics.example.com", "not a whole URL"),
            ("http:/127.0.0.1:8080", "not a whole URL"),
            ("http//localhost:8080", "not a whole URL"),
            ("https:acme.eu.qlikcloud.com", "not a whole URL"),
            ("acme.eu.qlikcloud.com:8443", "not a whole URL"),
            ("acme.eu.qlikcloud.com/hub/home", "not a whole URL"),
            ("localhost:8080", "not a whole URL"),
            ("acme:", "not a whole URL"),
            // Port 0 can only fail; `*.localhost` is not loopback for plain http.
            ("https://acme.eu.qlikcloud.com:0", "port 0"),
            ("http://foo.localhost:18111", "https"),
        ];
        for (input, want) in cases {
            match normalize_tenant(input) {
                Ok(b) => panic!("{input:?} accepted as {b:?}"),
                Err(e) => assert!(e.contains(want), "input {input:?}: message {e:?} lacks {want:?}"),
            }
        }
    }

    #[test]
    fn api_root_and_same_origin() {
        let t = normalize_tenant("acme.eu").unwrap();
        assert_eq!(t.api_root(), "https://acme.eu.qlikcloud.com/api/v1");
        let cases = [
            ("https://acme.eu.qlikcloud.com/api/v1/spaces?next=1", true),
            ("https://ACME.eu.qlikcloud.com:443/x", true),
            ("http://acme.eu.qlikcloud.com/x", false),
            ("https://acme.eu.qlikcloud.com:8443/x", false),
            ("https://acme.us.qlikcloud.com/x", false),
            ("https://acme.eu.qlikcloud.com.evil.com/x", false),
            ("/api/v1/spaces", false),
            ("not a url", false),
        ];
        for (url, want) in cases {
            assert_eq!(t.same_origin(url), want, "url: {url}");
        }
        let local = normalize_tenant("http://127.0.0.1:8080").unwrap();
        assert_eq!(local.api_root(), "http://127.0.0.1:8080/api/v1");
        assert!(local.same_origin("http://127.0.0.1:8080/api/v1/users"));
        assert!(!local.same_origin("http://127.0.0.1:8081/api/v1/users"));
        assert!(!local.same_origin("http://localhost:8080/api/v1/users"));
    }
}
