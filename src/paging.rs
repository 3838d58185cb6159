//! The paging styles of Qlik's list APIs, as pure functions (`qlik-api.md` "Paging styles",
//! `connector.md` §4).

use crate::uri::{form_decode, form_encode, Uri};
use serde_json::Value;
use std::collections::HashSet;

/// How an API pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingStyle {
    /// Spaces, users, items: query `next` (opaque cursor), next page at `links.next.href`.
    Cursor,
    /// Data files: query `page` (opaque cursor string), next page at `links.next.href`.
    PageCursor,
    /// Data stores family: query `page` (integer from 0), body `page`/`pages`, `links.next`.
    PageNumber,
}

impl PagingStyle {
    /// The query parameter that carries the position (`next` or `page`).
    pub fn position_param(self) -> &'static str {
        match self {
            PagingStyle::Cursor => "next",
            PagingStyle::PageCursor | PagingStyle::PageNumber => "page",
        }
    }
}

/// What one page says about the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage {
    /// Absolute URL to GET for the next page.
    pub url: String,
    /// The token a user passes back as the `page` input to resume there (cursor string, or page
    /// number as text).
    pub token: String,
}

/// Errors of paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagingError {
    /// The next link points to another origin (it is never followed); carries the link.
    ForeignHost(String),
    /// The next link stays on the tenant but leaves the list's path (another API, the token
    /// endpoint): it is never followed; carries the link.
    ForeignPath(String),
    /// The next link cannot be used (unparseable, or no position parameter); carries a reason.
    BadLink(String),
}

impl std::fmt::Display for PagingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PagingError::ForeignHost(link) => {
                write!(f, "the next-page link points to another host: {link}")
            }
            PagingError::ForeignPath(link) => {
                write!(f, "the next-page link leaves the list's path: {link}")
            }
            PagingError::BadLink(why) => write!(f, "the next-page link is unusable: {why}"),
        }
    }
}

impl std::error::Error for PagingError {}

/// Reads the next page from a page body. `current_url` is the absolute URL just fetched;
/// `origin` is the tenant origin like "https://acme.us.qlikcloud.com" or "http://127.0.0.1:8080".
///
/// Follows `links.next.href` (or a string `links.next`); a relative href is resolved against
/// the page just fetched (an absolute path thus lands on the tenant origin). A link to another
/// origin is [`PagingError::ForeignHost`], one to another path [`PagingError::ForeignPath`], except that an `http` link to the tenant's own host
/// (default port) is upgraded to the tenant's `https` origin. For [`PagingStyle::PageNumber`]
/// without a link, `page + 1 < pages` in the body gives the next page, unless `data` is empty.
pub fn next_page(
    style: PagingStyle,
    body: &Value,
    current_url: &str,
    origin: &str,
) -> Result<Option<NextPage>, PagingError> {
    let data_is_empty = body.get("data").and_then(Value::as_array).is_some_and(Vec::is_empty);
    next_page_of(style, body, data_is_empty, current_url, origin)
}

/// [`next_page`] for a body whose `data` was read apart (`data_is_empty`: it held no record).
pub fn next_page_of(
    style: PagingStyle,
    body: &Value,
    data_is_empty: bool,
    current_url: &str,
    origin: &str,
) -> Result<Option<NextPage>, PagingError> {
    let param = style.position_param();
    if let Some(href) = next_href(body) {
        let url = resolve_link(href, current_url, origin)?;
        match url.query_param(param) {
            Some(token) if !token.is_empty() => {
                return Ok(Some(NextPage { url: url.to_string(), token }));
            }
            _ if style == PagingStyle::PageNumber => {
                // Fall back to the body's page arithmetic below.
                if let Some(next) = page_number_next(body, current_url) {
                    return Ok(Some(next));
                }
            }
            _ => {}
        }
        return Err(PagingError::BadLink(format!("no `{param}` parameter in {url}")));
    }
    if style != PagingStyle::PageNumber {
        return Ok(None);
    }
    if data_is_empty {
        return Ok(None);
    }
    Ok(page_number_next(body, current_url))
}

/// `links.next.href`, or `links.next` as a string, when non-empty.
fn next_href(body: &Value) -> Option<&str> {
    let next = body.get("links")?.get("next")?;
    let href = match next {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("href")?.as_str()?,
        _ => return None,
    };
    let href = href.trim();
    (!href.is_empty()).then_some(href)
}

/// Next page from the body's `page` and `pages` numbers (zero-based page).
fn page_number_next(body: &Value, current_url: &str) -> Option<NextPage> {
    let page = body.get("page")?.as_u64()?;
    let pages = body.get("pages")?.as_u64()?;
    let next = page.checked_add(1)?;
    (next < pages).then(|| {
        let token = next.to_string();
        NextPage { url: with_query_param(current_url, "page", &token), token }
    })
}

/// Resolves a link and checks that it stays on the tenant origin.
fn resolve_link(href: &str, current_url: &str, origin: &str) -> Result<Uri, PagingError> {
    let origin_url =
        Uri::parse_absolute(origin).map_err(|e| PagingError::BadLink(format!("bad origin {origin}: {e}")))?;
    let own = origin_url.origin();
    let base =
        Uri::parse_absolute(current_url).ok().filter(|u| u.origin() == own).unwrap_or_else(|| origin_url.clone());
    let mut url = base.resolve(href).map_err(|e| PagingError::BadLink(format!("cannot read link {href}: {e}")))?;
    let own_path = |url: Uri| {
        if url.path == base.path {
            Ok(url)
        } else {
            Err(PagingError::ForeignPath(href.to_string()))
        }
    };
    if url.origin() == own {
        return own_path(url);
    }
    // Services behind a TLS-terminating proxy may write `http://` links to their own host:
    // follow them over the tenant's https origin, never in plain text.
    if url.host == origin_url.host && url.scheme == "http" && origin_url.scheme == "https" && url.port.is_none() {
        url.scheme = "https".into();
        url.port = origin_url.port;
        return own_path(url);
    }
    Err(PagingError::ForeignHost(href.to_string()))
}

/// Stops loops: remembers every URL fetched and refuses a repeat, and caps the number of pages.
#[derive(Debug, Clone)]
pub struct LoopGuard {
    max_pages: usize,
    seen: HashSet<String>,
}

impl LoopGuard {
    /// A guard that admits at most `max_pages` distinct URLs.
    pub fn new(max_pages: usize) -> Self {
        LoopGuard { max_pages, seen: HashSet::new() }
    }

    /// True when this URL may be fetched (it is then remembered); false for a repeat, or once
    /// `max_pages` URLs have been admitted.
    pub fn admit(&mut self, url: &str) -> bool {
        if self.seen.len() >= self.max_pages {
            return false;
        }
        // Compare URLs in their normalised form (`HTTPS://Host:443/x` equals `https://host/x`).
        let key = Uri::parse_absolute(url).map_or_else(|_| url.to_string(), |u| u.to_string());
        self.seen.insert(key)
    }

    /// How many URLs have been admitted.
    pub fn pages(&self) -> usize {
        self.seen.len()
    }
}

/// Sets (or replaces) one query parameter on a URL, keeping the others.
///
/// The first `key` parameter is replaced in place and any further ones dropped; otherwise the
/// parameter is appended. Other parameters and the fragment are kept byte for byte; the value
/// is form-encoded.
pub fn with_query_param(url: &str, key: &str, value: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    let pair = format!("{}={}", form_encode(key), form_encode(value));

    let mut parts: Vec<String> = Vec::new();
    let mut replaced = false;
    for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let raw_key = part.split('=').next().unwrap_or("");
        if form_decode(raw_key) == key {
            if !replaced {
                parts.push(pair.clone());
                replaced = true;
            }
        } else {
            parts.push(part.to_string());
        }
    }
    if !replaced {
        parts.push(pair);
    }
    format!("{path}?{}{fragment}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ORIGIN: &str = "https://acme.us.qlikcloud.com";
    const SPACES: &str = "https://acme.us.qlikcloud.com/api/v1/spaces?limit=10";

    fn next(url: &str, token: &str) -> Option<NextPage> {
        Some(NextPage { url: url.to_string(), token: token.to_string() })
    }

    #[test]
    fn position_params() {
        assert_eq!(PagingStyle::Cursor.position_param(), "next");
        assert_eq!(PagingStyle::PageCursor.position_param(), "page");
        assert_eq!(PagingStyle::PageNumber.position_param(), "page");
    }

    #[test]
    fn next_page_table() {
        use PagingStyle::*;
        let ds = "https://acme.us.qlikcloud.com/api/v1/data-stores?limit=20";
        type Row =
            (&'static str, PagingStyle, Value, &'static str, &'static str, Result<Option<NextPage>, PagingError>);
        let cases: Vec<Row> = vec![
            (
                "cursor, absolute link, other params kept",
                Cursor,
                json!({"data": [1], "links": {"self": {"href": SPACES}, "next": {"href": "https://acme.us.qlikcloud.com/api/v1/spaces?limit=10&type=shared&next=abc%3D%3D"}}}),
                SPACES,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/spaces?limit=10&type=shared&next=abc%3D%3D", "abc==")),
            ),
            (
                "cursor, relative link resolves on origin",
                Cursor,
                json!({"links": {"next": {"href": "/api/v1/users?next=u2&limit=5"}}}),
                "https://acme.us.qlikcloud.com/api/v1/users?limit=5",
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/users?next=u2&limit=5", "u2")),
            ),
            (
                "cursor, next as a plain string",
                Cursor,
                json!({"links": {"next": "https://acme.us.qlikcloud.com/api/v1/spaces?next=i9"}}),
                SPACES,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/spaces?next=i9", "i9")),
            ),
            (
                "cursor, a link to another path on the tenant is refused",
                Cursor,
                json!({"links": {"next": {"href": "https://acme.us.qlikcloud.com/api/v1/items?next=i9"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::ForeignPath("https://acme.us.qlikcloud.com/api/v1/items?next=i9".into())),
            ),
            (
                "cursor, a relative link that changes the path is refused",
                Cursor,
                json!({"links": {"next": {"href": "next?next=r"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::ForeignPath("next?next=r".into())),
            ),
            (
                "cursor, explicit default port is the same origin",
                Cursor,
                json!({"links": {"next": {"href": "https://ACME.us.qlikcloud.com:443/api/v1/spaces?next=c"}}}),
                SPACES,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/spaces?next=c", "c")),
            ),
            (
                "cursor, http link to own host upgraded to https",
                Cursor,
                json!({"links": {"next": {"href": "http://acme.us.qlikcloud.com/api/v1/spaces?next=g"}}}),
                SPACES,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/spaces?next=g", "g")),
            ),
            (
                "cursor, foreign host",
                Cursor,
                json!({"links": {"next": {"href": "https://evil.example.com/api/v1/spaces?next=x"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::ForeignHost("https://evil.example.com/api/v1/spaces?next=x".into())),
            ),
            (
                "cursor, other port is foreign",
                Cursor,
                json!({"links": {"next": {"href": "https://acme.us.qlikcloud.com:8443/api/v1/spaces?next=x"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::ForeignHost("https://acme.us.qlikcloud.com:8443/api/v1/spaces?next=x".into())),
            ),
            (
                "cursor, scheme-relative link to another host",
                Cursor,
                json!({"links": {"next": {"href": "//evil.example.com/x?next=1"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::ForeignHost("//evil.example.com/x?next=1".into())),
            ),
            (
                "cursor, https link from an http loopback tenant is foreign",
                Cursor,
                json!({"links": {"next": {"href": "https://127.0.0.1:8080/api/v1/spaces?next=x"}}}),
                "http://127.0.0.1:8080/api/v1/spaces",
                "http://127.0.0.1:8080",
                Err(PagingError::ForeignHost("https://127.0.0.1:8080/api/v1/spaces?next=x".into())),
            ),
            (
                "cursor, loopback simulator",
                Cursor,
                json!({"links": {"next": {"href": "http://127.0.0.1:8080/api/v1/spaces?next=p2"}}}),
                "http://127.0.0.1:8080/api/v1/spaces",
                "http://127.0.0.1:8080",
                Ok(next("http://127.0.0.1:8080/api/v1/spaces?next=p2", "p2")),
            ),
            (
                "cursor, link without the cursor",
                Cursor,
                json!({"links": {"next": {"href": "/api/v1/spaces?limit=10"}}}),
                SPACES,
                ORIGIN,
                Err(PagingError::BadLink(
                    "no `next` parameter in https://acme.us.qlikcloud.com/api/v1/spaces?limit=10".into(),
                )),
            ),
            ("cursor, no links", Cursor, json!({"data": [1, 2]}), SPACES, ORIGIN, Ok(None)),
            ("cursor, next null", Cursor, json!({"links": {"next": null}}), SPACES, ORIGIN, Ok(None)),
            ("cursor, next without href", Cursor, json!({"links": {"next": {}}}), SPACES, ORIGIN, Ok(None)),
            ("cursor, empty href", Cursor, json!({"links": {"next": {"href": ""}}}), SPACES, ORIGIN, Ok(None)),
            ("cursor, ignores page/pages", Cursor, json!({"page": 0, "pages": 3}), SPACES, ORIGIN, Ok(None)),
            (
                "page cursor (data-files)",
                PageCursor,
                json!({"data": [], "links": {"self": {"href": "x"}, "next": {"href": "https://acme.us.qlikcloud.com/api/v1/data-files?limit=2&page=Zm9v%2Bbar"}, "prev": {}}}),
                "https://acme.us.qlikcloud.com/api/v1/data-files?limit=2",
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-files?limit=2&page=Zm9v%2Bbar", "Zm9v+bar")),
            ),
            (
                "page cursor, link carries next= not page=",
                PageCursor,
                json!({"links": {"next": {"href": "/api/v1/data-files?next=abc"}}}),
                "https://acme.us.qlikcloud.com/api/v1/data-files",
                ORIGIN,
                Err(PagingError::BadLink(
                    "no `page` parameter in https://acme.us.qlikcloud.com/api/v1/data-files?next=abc".into(),
                )),
            ),
            (
                "page cursor, next without href",
                PageCursor,
                json!({"data": [1], "links": {"next": {}}}),
                SPACES,
                ORIGIN,
                Ok(None),
            ),
            (
                "page number, link wins",
                PageNumber,
                json!({"data": [1], "page": 0, "pages": 5, "links": {"next": {"href": "https://acme.us.qlikcloud.com/api/v1/data-stores?limit=20&page=1"}}}),
                ds,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-stores?limit=20&page=1", "1")),
            ),
            (
                "page number, arithmetic from page/pages",
                PageNumber,
                json!({"data": [1], "page": 0, "pages": 3, "total": 50, "limit": 20}),
                ds,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-stores?limit=20&page=1", "1")),
            ),
            (
                "page number, arithmetic replaces current page",
                PageNumber,
                json!({"data": [1], "page": 1, "pages": 3}),
                "https://acme.us.qlikcloud.com/api/v1/data-stores?page=1&limit=20&sort=-name",
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-stores?page=2&limit=20&sort=-name", "2")),
            ),
            ("page number, last page", PageNumber, json!({"data": [1], "page": 2, "pages": 3}), ds, ORIGIN, Ok(None)),
            ("page number, beyond last", PageNumber, json!({"data": [1], "page": 7, "pages": 3}), ds, ORIGIN, Ok(None)),
            ("page number, zero pages", PageNumber, json!({"data": [], "page": 0, "pages": 0}), ds, ORIGIN, Ok(None)),
            (
                "page number, empty data stops",
                PageNumber,
                json!({"data": [], "page": 0, "pages": 3}),
                ds,
                ORIGIN,
                Ok(None),
            ),
            ("page number, no numbers", PageNumber, json!({"data": [1]}), ds, ORIGIN, Ok(None)),
            (
                "page number, page as string ignored",
                PageNumber,
                json!({"data": [1], "page": "0", "pages": 3}),
                ds,
                ORIGIN,
                Ok(None),
            ),
            (
                "page number, empty data but a link",
                PageNumber,
                json!({"data": [], "links": {"next": {"href": "/api/v1/data-stores?page=4"}}}),
                ds,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-stores?page=4", "4")),
            ),
            (
                "page number, link without page falls back to arithmetic",
                PageNumber,
                json!({"data": [1], "page": 0, "pages": 2, "links": {"next": {"href": "/api/v1/data-stores?limit=20"}}}),
                ds,
                ORIGIN,
                Ok(next("https://acme.us.qlikcloud.com/api/v1/data-stores?limit=20&page=1", "1")),
            ),
            (
                "page number, foreign link",
                PageNumber,
                json!({"data": [1], "page": 0, "pages": 2, "links": {"next": {"href": "https://other.eu.qlikcloud.com/api/v1/data-stores?page=1"}}}),
                ds,
                ORIGIN,
                Err(PagingError::ForeignHost("https://other.eu.qlikcloud.com/api/v1/data-stores?page=1".into())),
            ),
        ];
        for (name, style, body, current, origin, want) in cases {
            assert_eq!(next_page(style, &body, current, origin), want, "case: {name}");
        }
    }

    #[test]
    fn bad_origin_is_bad_link() {
        let body = json!({"links": {"next": {"href": "/x?next=1"}}});
        assert!(matches!(next_page(PagingStyle::Cursor, &body, "nonsense", "not a url"), Err(PagingError::BadLink(_))));
    }

    #[test]
    fn with_query_param_table() {
        let cases = [
            ("https://h/a", "page", "1", "https://h/a?page=1"),
            ("https://h/a?", "page", "1", "https://h/a?page=1"),
            ("https://h/a?limit=20", "page", "1", "https://h/a?limit=20&page=1"),
            ("https://h/a?page=0&limit=20", "page", "1", "https://h/a?page=1&limit=20"),
            ("https://h/a?limit=20&page=0&page=3", "page", "1", "https://h/a?limit=20&page=1"),
            ("https://h/a?pages=9&page=0", "page", "1", "https://h/a?pages=9&page=1"),
            ("https://h/a?q=a%20b&x", "page", "2", "https://h/a?q=a%20b&x&page=2"),
            ("https://h/a?limit=1#frag", "next", "a b&c", "https://h/a?limit=1&next=a+b%26c#frag"),
            ("https://h/a?ne%78t=old", "next", "new", "https://h/a?next=new"),
            ("/api/v1/x", "page", "3", "/api/v1/x?page=3"),
        ];
        for (url, key, value, want) in cases {
            assert_eq!(with_query_param(url, key, value), want, "url: {url}");
        }
    }

    #[test]
    fn loop_guard_refuses_repeats() {
        let mut g = LoopGuard::new(10);
        assert!(g.admit("https://h/a?next=1"));
        assert!(g.admit("https://h/a?next=2"));
        assert!(!g.admit("https://h/a?next=1"));
        assert!(!g.admit("HTTPS://H:443/a?next=2"), "normalised repeat");
        assert_eq!(g.pages(), 2);
    }

    #[test]
    fn loop_guard_caps_pages() {
        let mut g = LoopGuard::new(3);
        let admitted: Vec<bool> = (0..5).map(|i| g.admit(&format!("https://h/a?page={i}"))).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        assert_eq!(g.pages(), 3);
        let mut none = LoopGuard::new(0);
        assert!(!none.admit("https://h/"));
        assert_eq!(none.pages(), 0);
    }

    #[test]
    fn follow_a_cursor_chain_until_it_repeats() {
        let pages = [
            json!({"links": {"next": {"href": "/api/v1/spaces?next=b"}}}),
            json!({"links": {"next": {"href": "/api/v1/spaces?next=c"}}}),
            json!({"links": {"next": {"href": "/api/v1/spaces?next=b"}}}),
        ];
        let mut g = LoopGuard::new(100);
        let mut url = format!("{ORIGIN}/api/v1/spaces");
        let mut fetched = 0;
        while g.admit(&url) {
            let body = &pages[fetched];
            fetched += 1;
            match next_page(PagingStyle::Cursor, body, &url, ORIGIN).unwrap() {
                Some(n) => url = n.url,
                None => break,
            }
        }
        assert_eq!(fetched, 3);
    }
}
