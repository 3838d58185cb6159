//! The little URL handling the component needs (http and https only), in place of the `url`
//! crate: parsing, normalisation, origins, resolving next-page links, and form-encoded queries.
//!
//! Normalisation follows the WHATWG URL rules for the parts that matter here: scheme and host
//! lowercase, default port dropped, empty path is `/`, dot segments removed, `\` read as `/`
//! before the query, characters not allowed in a part percent-encoded, IPv4 and IPv6 literals in
//! canonical form. Stricter than `url`: user info, non-ASCII or percent-encoded hosts and
//! shorthand IPv4 forms (`127.1`, `0x7f.0.0.1`) are rejected.

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Bytes kept as they are by `application/x-www-form-urlencoded` (space becomes `+`).
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_').remove(b' ');
/// Bytes percent-encoded in a path.
const PATH: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');
/// Bytes percent-encoded in the query of an http(s) URL.
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>').add(b'\'');
/// Bytes percent-encoded in one path segment filled from an input: all but RFC 3986's
/// unreserved characters, so an id stays one segment whatever it holds.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// Bytes percent-encoded in a fragment.
const FRAGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// Why a URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UriError(pub &'static str);

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for UriError {}

/// An absolute, normalised http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// `http` or `https`.
    pub scheme: String,
    /// Lowercase host name, IPv4 address, or bracketed IPv6 address (`[::1]`).
    pub host: String,
    /// The port, only when it is not the scheme's default.
    pub port: Option<u16>,
    /// The path, at least `/`.
    pub path: String,
    /// The raw query, without `?`.
    pub query: Option<String>,
    /// The raw fragment, without `#`.
    pub fragment: Option<String>,
}

impl Uri {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse_absolute(text: &str) -> Result<Uri, UriError> {
        let text = clean(text);
        let (scheme, rest) = text.split_once(':').ok_or(UriError("not an absolute URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(UriError("not an http or https URL")),
        };
        let rest = rest.strip_prefix("//").ok_or(UriError("no host"))?;
        let (rest, fragment) = split_off(rest, '#');
        let (rest, query) = split_off(rest, '?');
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(UriError("user info is not allowed"));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (ip, after) = v6.split_once(']').ok_or(UriError("bad IPv6 address"))?;
                let ip: Ipv6Addr = ip.parse().map_err(|_| UriError("bad IPv6 address"))?;
                let port = match after {
                    "" => "",
                    _ => after.strip_prefix(':').ok_or(UriError("bad port"))?,
                };
                (format!("[{ip}]"), port)
            }
            None => {
                let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
                (parse_host(host)?, port)
            }
        };
        let port = match port {
            "" => None,
            p if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().map_err(|_| UriError("bad port"))?),
            _ => return Err(UriError("bad port")),
        };
        Ok(Uri {
            scheme,
            host,
            port: port.filter(|&p| p != default_port),
            path: utf8_percent_encode(&remove_dot_segments(path), PATH).to_string(),
            query: query.map(|q| utf8_percent_encode(q, QUERY).to_string()),
            fragment: fragment.map(|f| utf8_percent_encode(f, FRAGMENT).to_string()),
        })
    }

    /// `host` or `host:port` (the port only when not the default).
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// `scheme://authority`, e.g. `https://acme.us.qlikcloud.com`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }

    /// The path with `?query` when there is one (what an HTTP request line carries).
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// Resolves a link against this URL: an absolute http(s) URL, `//host/…`, `/path?query`,
    /// `?query`, `#fragment`, or a path relative to this URL's directory.
    pub fn resolve(&self, href: &str) -> Result<Uri, UriError> {
        let href = clean(href);
        let has_scheme = href.find(':').is_some_and(|i| {
            let scheme = &href[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        if has_scheme {
            return Uri::parse_absolute(&href);
        }
        if href.starts_with("//") {
            return Uri::parse_absolute(&format!("{}:{href}", self.scheme));
        }
        let (rest, fragment) = split_off(&href, '#');
        let (path, query) = split_off(rest, '?');
        let (path, query) = match (path, query) {
            ("", None) => (self.path.clone(), self.query.as_deref()),
            ("", Some(_)) => (self.path.clone(), query),
            (p, _) if p.starts_with('/') => (p.to_string(), query),
            (p, _) => {
                let dir = &self.path[..self.path.rfind('/').map_or(0, |i| i + 1)];
                (format!("{dir}{p}"), query)
            }
        };
        let mut text = format!("{}{path}", self.origin());
        for (mark, part) in [('?', query), ('#', fragment)] {
            if let Some(part) = part {
                text.push(mark);
                text.push_str(part);
            }
        }
        Uri::parse_absolute(&text)
    }

    /// The decoded value of the first `key` parameter of the query.
    pub fn query_param(&self, key: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').filter(|p| !p.is_empty()).find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k) == key).then(|| form_decode(v))
        })
    }

    /// Appends form-encoded `key=value` pairs to the query, after any already there.
    pub fn append_query_pairs(&mut self, pairs: &[(String, String)]) {
        let query = self.query.get_or_insert_with(String::new);
        for (key, value) in pairs {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&form_encode(key));
            query.push('=');
            query.push_str(&form_encode(value));
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority(), self.path_and_query())?;
        match &self.fragment {
            Some(fragment) => write!(f, "#{fragment}"),
            None => Ok(()),
        }
    }
}

/// Percent-encodes text as one path segment (callers refuse ids made only of dots, which a
/// URL normaliser would treat as dot segments).
pub fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// Appends form-encoded query pairs to an absolute URL.
pub fn with_query(url: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return url.to_string();
    }
    let mut parsed = Uri::parse_absolute(url).expect("client URLs are absolute");
    parsed.append_query_pairs(pairs);
    parsed.to_string()
}

/// Encodes text as `application/x-www-form-urlencoded`: alphanumerics and `*-._` kept, space as
/// `+`, every other byte of the UTF-8 as `%XX`.
pub fn form_encode(text: &str) -> String {
    utf8_percent_encode(text, FORM).to_string().replace(' ', "+")
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte; invalid UTF-8
/// becomes U+FFFD.
pub fn form_decode(text: &str) -> String {
    let bytes = text.replace('+', " ");
    percent_decode(bytes.as_bytes()).decode_utf8_lossy().into_owned()
}

/// Drops leading and trailing spaces and controls and every tab and newline, and reads `\` as
/// `/` before the query (as browsers do).
fn clean(text: &str) -> String {
    let text: String =
        text.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let end = text.find(['?', '#']).unwrap_or(text.len());
    text[..end].replace('\\', "/") + &text[end..]
}

/// Splits `text` at the first `mark`: (before, Some(after)) or (text, None).
fn split_off(text: &str, mark: char) -> (&str, Option<&str>) {
    match text.split_once(mark) {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    }
}

/// Checks and lowercases a host name or IPv4 address. A host whose last label is a number must
/// be a dotted-decimal IPv4 address.
fn parse_host(host: &str) -> Result<String, UriError> {
    if host.is_empty() {
        return Err(UriError("no host"));
    }
    if !host.is_ascii() || host.bytes().any(|b| b <= b' ' || b == 0x7f || b"#%/:<>?@[\\]^|".contains(&b)) {
        return Err(UriError("invalid characters in the host"));
    }
    let host = host.to_ascii_lowercase();
    let bare = host.strip_suffix('.').unwrap_or(&host);
    let last = bare.rsplit('.').next().unwrap_or("");
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.strip_prefix("0x").is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric {
        let ip: Ipv4Addr = bare.parse().map_err(|_| UriError("bad IPv4 address"))?;
        return Ok(ip.to_string());
    }
    Ok(host)
}

/// Removes `.` and `..` segments (also written `%2e`) from a path; an empty path becomes `/`.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let dots = match segment.len() {
            1..=6 => segment.to_ascii_lowercase().replace("%2e", "."),
            _ => String::new(),
        };
        match dots.as_str() {
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            "." if last => out.push(""),
            "." => {}
            _ => out.push(segment),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        Uri::parse_absolute(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).to_string()
    }

    #[test]
    fn parse_normalises() {
        let cases = [
            ("https://h", "https://h/"),
            ("HTTPS://Acme.EU.qlikcloud.com:443/X?Y=Z#F", "https://acme.eu.qlikcloud.com/X?Y=Z#F"),
            ("http://h:80/", "http://h/"),
            ("http://h:443/", "http://h:443/"),
            ("https://h:/a", "https://h/a"),
            ("https://h:08443/a", "https://h:8443/a"),
            ("  https://h/a\t/b\n ", "https://h/a/b"),
            ("https:\\\\h\\a\\b?x=\\", "https://h/a/b?x=\\"),
            ("https://h/a/./b/../c", "https://h/a/c"),
            ("https://h/a/b/..", "https://h/a/"),
            ("https://h/a/%2E%2e/b/.", "https://h/b/"),
            ("https://h/../../x", "https://h/x"),
            ("https://h/a//b/", "https://h/a//b/"),
            (
                "https://h/a b\"<>`{}?q=a b'\"<>`#f g`",
                "https://h/a%20b%22%3C%3E%60%7B%7D?q=a%20b%27%22%3C%3E`#f%20g%60",
            ),
            ("https://h/é?é", "https://h/%C3%A9?%C3%A9"),
            ("https://h/a%2Fb?x=%41", "https://h/a%2Fb?x=%41"),
            ("https://h?x=1", "https://h/?x=1"),
            ("https://h#f", "https://h/#f"),
            ("https://h/?", "https://h/?"),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"),
            ("http://127.0.0.1./", "http://127.0.0.1/"),
            ("https://acme.com./", "https://acme.com./"),
            ("https://under_score.example.com/", "https://under_score.example.com/"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "input: {input:?}");
        }
    }

    #[test]
    fn parse_parts() {
        let u = Uri::parse_absolute("https://Acme.eu.qlikcloud.com:8443/api/v1/spaces?limit=2#x").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "acme.eu.qlikcloud.com");
        assert_eq!(u.port, Some(8443));
        assert_eq!(u.path, "/api/v1/spaces");
        assert_eq!(u.query.as_deref(), Some("limit=2"));
        assert_eq!(u.fragment.as_deref(), Some("x"));
        assert_eq!(u.authority(), "acme.eu.qlikcloud.com:8443");
        assert_eq!(u.origin(), "https://acme.eu.qlikcloud.com:8443");
        assert_eq!(u.path_and_query(), "/api/v1/spaces?limit=2");
        let v6 = Uri::parse_absolute("http://[::1]/").unwrap();
        assert_eq!((v6.authority().as_str(), v6.path_and_query().as_str()), ("[::1]", "/"));
    }

    #[test]
    fn parse_rejects() {
        let cases = [
            "",
            "not a url",
            "/api/v1/x",
            "ftp://h/",
            "file:///etc/passwd",
            "mailto:x",
            "https:h",
            "https://",
            "https:///path",
            "https://user@h/",
            "https://u:p@h/",
            "https://h:99999/",
            "https://h:+44/",
            "https://h:x/",
            "https://h:1:2/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[nope]/",
            "https://[::1%25eth0]/",
            "https://ác.me/",
            "https://a%41.com/",
            "https://a<b.com/",
            "https://h|x/",
            "https://127.1/",
            "https://0x7f.0.0.1/",
            "https://acme.123/",
            "https://acme.0x1f/",
            "https://256.0.0.1/",
            "https://1.2.3.4.5/",
        ];
        for input in cases {
            assert!(Uri::parse_absolute(input).is_err(), "accepted: {input:?}");
        }
    }

    #[test]
    fn resolve_table() {
        let base = Uri::parse_absolute("https://h/api/v1/spaces?limit=10#top").unwrap();
        let cases = [
            ("https://other.com/x?next=1", "https://other.com/x?next=1"),
            ("HTTP://H:80/x", "http://h/x"),
            ("//evil.example.com/x?next=1", "https://evil.example.com/x?next=1"),
            ("\\\\evil.example.com/x", "https://evil.example.com/x"),
            ("/api/v1/users?next=u2", "https://h/api/v1/users?next=u2"),
            ("/api/v1/users", "https://h/api/v1/users"),
            ("items?next=i", "https://h/api/v1/items?next=i"),
            ("./items", "https://h/api/v1/items"),
            ("../v2/x", "https://h/api/v2/x"),
            ("../../../../x", "https://h/x"),
            ("?next=c", "https://h/api/v1/spaces?next=c"),
            ("#frag", "https://h/api/v1/spaces?limit=10#frag"),
            ("/a b?c d", "https://h/a%20b?c%20d"),
        ];
        for (href, want) in cases {
            let got = base.resolve(href).unwrap_or_else(|e| panic!("{href:?}: {e}"));
            assert_eq!(got.to_string(), want, "href: {href:?}");
        }
        for href in ["mailto:x", "javascript:alert(1)", "ftp://h/x", "//", "https://u@h/"] {
            assert!(base.resolve(href).is_err(), "resolved: {href:?}");
        }
    }

    #[test]
    fn query_params() {
        let u = Uri::parse_absolute("https://h/?a=1&&next=abc%3D%3D&page=Zm9v%2Bbar&q=a+b%20c&flag&ne%78t=2").unwrap();
        assert_eq!(u.query_param("a").as_deref(), Some("1"));
        assert_eq!(u.query_param("next").as_deref(), Some("abc=="));
        assert_eq!(u.query_param("page").as_deref(), Some("Zm9v+bar"));
        assert_eq!(u.query_param("q").as_deref(), Some("a b c"));
        assert_eq!(u.query_param("flag").as_deref(), Some(""));
        assert_eq!(u.query_param("missing"), None);
        assert_eq!(Uri::parse_absolute("https://h/").unwrap().query_param("a"), None);
    }

    #[test]
    fn append_pairs() {
        let pairs = |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let cases = [
            ("http://127.0.0.1:9/api/v1/spaces", "http://127.0.0.1:9/api/v1/spaces?limit=100&name=fin"),
            ("https://h/a?x=1", "https://h/a?x=1&limit=100&name=fin"),
            ("https://h/a?", "https://h/a?limit=100&name=fin"),
            ("https://h/a#f", "https://h/a?limit=100&name=fin#f"),
        ];
        for (url, want) in cases {
            let mut u = Uri::parse_absolute(url).unwrap();
            u.append_query_pairs(&pairs(&[("limit", "100"), ("name", "fin")]));
            assert_eq!(u.to_string(), want);
        }
        let mut u = Uri::parse_absolute("https://h/").unwrap();
        u.append_query_pairs(&pairs(&[("a b", "x&y=z"), ("é", "*-._~!'()")]));
        assert_eq!(u.to_string(), "https://h/?a+b=x%26y%3Dz&%C3%A9=*-._%7E%21%27%28%29");
    }

    #[test]
    fn form_round_trip() {
        assert_eq!(form_encode("aZ09*-._ ~+%/?#&=é"), "aZ09*-._+%7E%2B%25%2F%3F%23%26%3D%C3%A9");
        assert_eq!(form_decode("aZ09*-._+%7E%2B%25%2F%3F%23%26%3D%C3%A9"), "aZ09*-._ ~+%/?#&=é");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
        assert_eq!(form_decode("%FF"), "\u{FFFD}");
        for text in ["", "a b", "100%", "ünï cödé & more=stuff+"] {
            assert_eq!(form_decode(&form_encode(text)), text);
        }
    }
}
