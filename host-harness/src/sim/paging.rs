//! List-query plumbing shared by the cursor-paged APIs: `limit`, `sort`, opaque `next`/`prev`
//! cursors and the absolute `links` object.
//!
//! A cursor is standard base64 (padded) of three fixed bytes, `<n|p><position>:<anchor id>`
//! and `;` filler: `n` = the page after the anchor record, `p` = the page before it. The anchor
//! makes paging stable under inserts; the position is the fallback when the anchor has been
//! deleted meanwhile. The fixed bytes and the filler make every cursor contain `+`, `/` and
//! `=`, so a client that does not percent-encode it in the query gets a 400.

use serde_json::{json, Map, Value};

use super::errors::ApiError;
use super::request::Ctx;

/// How an API treats `limit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitRule {
    pub default: usize,
    pub max: usize,
    /// Clamp values above `max` (spaces: no documented maximum) instead of answering 400.
    pub clamp: bool,
}

/// Parses `limit`: an integer of at least 1, at most `max` (or clamped to it).
pub(crate) fn parse_limit(ctx: &Ctx, rule: LimitRule) -> Result<usize, ApiError> {
    let Some(raw) = ctx.param("limit") else {
        return Ok(rule.default);
    };
    let bad = || {
        ApiError::bad_request(format!("limit must be an integer between 1 and {}, got {raw:?}", rule.max))
            .param("limit")
    };
    let n = parse_integer(raw).ok_or_else(bad)?;
    if n < 1 || (n > rule.max as i64 && !rule.clamp) {
        return Err(bad());
    }
    Ok((n as usize).min(rule.max))
}

fn parse_integer(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    raw.parse::<i64>().ok().or_else(|| {
        let f: f64 = raw.parse().ok()?;
        (f.is_finite() && f.fract() == 0.0).then_some(f as i64)
    })
}

/// Parses `sort` (`field`, `+field` or `-field`) into the field and whether it descends;
/// `None` when absent. A `+` sent unencoded arrives as a space and counts as `+`.
pub(crate) fn parse_sort(ctx: &Ctx, allowed: &[&str]) -> Result<Option<(String, bool)>, ApiError> {
    let Some(raw) = ctx.param("sort") else {
        return Ok(None);
    };
    let (desc, field) = match raw.chars().next() {
        Some('-') => (true, &raw[1..]),
        Some('+') | Some(' ') => (false, &raw[1..]),
        _ => (false, raw),
    };
    if !allowed.contains(&field) {
        let detail = format!("unsupported sort {raw:?}; supported fields: {}", allowed.join(", "));
        return Err(ApiError::bad_request(detail).param("sort"));
    }
    Ok(Some((field.to_string(), desc)))
}

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    forward: bool,
    position: usize,
    anchor: String,
}

/// Leading bytes of every cursor: base64 `+/+/`, so every cursor holds `+` and `/`.
const CURSOR_MAGIC: [u8; 3] = [0xfb, 0xff, 0xbf];
/// Trailing filler that makes the byte count `1 (mod 3)`, so every cursor ends in `==`.
const CURSOR_FILL: u8 = b';';

impl Cursor {
    /// Standard base64 (with padding) of [`CURSOR_MAGIC`], `<n|p><position>:<anchor>` and
    /// filler: like Qlik's cursors opaque base64, and always in need of percent-encoding.
    fn encode(&self) -> String {
        let mut bytes = CURSOR_MAGIC.to_vec();
        bytes.push(if self.forward { b'n' } else { b'p' });
        bytes.extend_from_slice(format!("{}:{}", self.position, self.anchor).as_bytes());
        while bytes.len() % 3 != 1 {
            bytes.push(CURSOR_FILL);
        }
        base64_encode(&bytes)
    }

    fn decode(raw: &str) -> Option<Cursor> {
        let bytes = base64_decode(raw)?;
        let rest = bytes.strip_prefix(&CURSOR_MAGIC[..])?;
        let end = rest.iter().rposition(|b| *b != CURSOR_FILL)? + 1;
        if rest.len() - end > 2 {
            return None;
        }
        let text = std::str::from_utf8(&rest[..end]).ok()?;
        let forward = match text.chars().next()? {
            'n' => true,
            'p' => false,
            _ => return None,
        };
        let (position, anchor) = text[1..].split_once(':')?;
        let anchor_ok = anchor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !anchor_ok || !position.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cursor { forward, position: position.parse().ok()?, anchor: anchor.to_string() })
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64, standard alphabet, with `=` padding (RFC 4648 §4).
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strict base64 decoding: standard alphabet, padded to a multiple of 4, `=` only at the end,
/// unused bits zero. `None` for anything else (a `+` sent unencoded arrives as a space).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let raw = text.as_bytes();
    if raw.is_empty() || !raw.len().is_multiple_of(4) {
        return None;
    }
    let pad = raw.iter().rev().take_while(|b| **b == b'=').count();
    if pad > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() / 4 * 3);
    let mut n: u32 = 0;
    for (i, b) in raw[..raw.len() - pad].iter().enumerate() {
        let v = B64.iter().position(|c| c == b)? as u32;
        n = (n << 6) | v;
        if i % 4 == 3 {
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
            n = 0;
        }
    }
    match pad {
        0 => {}
        1 => {
            if n & 0b11 != 0 {
                return None;
            }
            out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
        }
        _ => {
            if n & 0b1111 != 0 {
                return None;
            }
            out.push((n >> 4) as u8);
        }
    }
    Some(out)
}

/// Reads `next` / `prev` (at most one of them).
pub(crate) fn parse_cursor(ctx: &Ctx) -> Result<Option<Cursor>, ApiError> {
    let (next, prev) = (ctx.param("next"), ctx.param("prev"));
    if next.is_some() && prev.is_some() {
        return Err(ApiError::bad_request("next and prev cannot be used together").param("next"));
    }
    let Some((name, raw)) = next.map(|v| ("next", v)).or(prev.map(|v| ("prev", v))) else {
        return Ok(None);
    };
    let cursor =
        Cursor::decode(raw).ok_or_else(|| ApiError::bad_request(format!("invalid {name} cursor")).param(name))?;
    if cursor.forward != (name == "next") {
        return Err(ApiError::bad_request(format!("invalid {name} cursor")).param(name));
    }
    Ok(Some(cursor))
}

/// Reads a cursor from one parameter that moves both ways (data files' `page`).
pub(crate) fn parse_page_cursor(ctx: &Ctx, param: &str) -> Result<Option<Cursor>, ApiError> {
    let bad = || ApiError::bad_request(format!("invalid {param} cursor")).param(param);
    ctx.param(param).map(|raw| Cursor::decode(raw).ok_or_else(bad)).transpose()
}

/// Data files' `links`: `self`, `next` and `prev` always present, each `{href}` or `{}`; the
/// cursors go in `param`.
pub(crate) fn page_links(ctx: &Ctx, base_url: &str, w: &Window, param: &str) -> Value {
    let query = if ctx.raw_query.is_empty() { String::new() } else { format!("?{}", ctx.raw_query) };
    let link = |cursor: &Option<String>| match cursor {
        Some(cursor) => json!({ "href": href_with_cursor(ctx, base_url, param, cursor) }),
        None => json!({}),
    };
    json!({ "self": { "href": format!("{base_url}{}{query}", ctx.path) }, "next": link(&w.next), "prev": link(&w.prev) })
}

/// The slice of a sorted list one page covers, and the cursors around it.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub start: usize,
    pub end: usize,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Picks the page of `ids` (the sorted, filtered list) that `cursor` and `limit` select.
pub(crate) fn window(ids: &[&str], limit: usize, cursor: Option<&Cursor>) -> Window {
    let len = ids.len();
    // Where the anchor was when the cursor was made (records unchanged since), else a search.
    let find = |c: &Cursor| {
        let hint = if c.forward { c.position.checked_sub(1) } else { Some(c.position) };
        hint.filter(|&i| ids.get(i) == Some(&c.anchor.as_str())).or_else(|| ids.iter().position(|id| *id == c.anchor))
    };
    let (start, end) = match cursor {
        None => (0, limit.min(len)),
        Some(c) if c.forward => {
            let start = find(c).map_or(c.position.saturating_sub(1), |i| i + 1).min(len);
            (start, (start + limit).min(len))
        }
        Some(c) => {
            let end = find(c).unwrap_or(c.position).min(len);
            (end.saturating_sub(limit), end)
        }
    };
    let next = (end < len).then(|| {
        let anchor = if end > 0 { ids[end - 1].to_string() } else { String::new() };
        Cursor { forward: true, position: end, anchor }.encode()
    });
    let prev = (start > 0).then(|| Cursor { forward: false, position: start, anchor: ids[start].to_string() }.encode());
    Window { start, end, next, prev }
}

/// `{self, next?, prev?}`, each `{href}` with an absolute URL. `next`/`prev` keep the caller's
/// other query parameters and append the cursor.
pub(crate) fn links(ctx: &Ctx, base_url: &str, w: &Window) -> Value {
    let mut links = Map::new();
    let query = if ctx.raw_query.is_empty() { String::new() } else { format!("?{}", ctx.raw_query) };
    links.insert("self".into(), json!({ "href": format!("{base_url}{}{query}", ctx.path) }));
    for (key, cursor) in [("next", &w.next), ("prev", &w.prev)] {
        if let Some(cursor) = cursor {
            links.insert(key.into(), json!({ "href": href_with_cursor(ctx, base_url, key, cursor) }));
        }
    }
    Value::Object(links)
}

fn href_with_cursor(ctx: &Ctx, base_url: &str, key: &str, cursor: &str) -> String {
    let mut pairs: Vec<String> = ctx
        .query
        .iter()
        .filter(|(k, _)| k != "next" && k != "prev" && k != key)
        .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
        .collect();
    pairs.push(format!("{key}={}", query_encode(cursor)));
    format!("{base_url}{}?{}", ctx.path, pairs.join("&"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a space as `%20`, `+` as
/// `%2B`, `/` as `%2F`, `=` as `%3D`), so form and plain percent-decoding read the same value.
pub(crate) fn query_encode(value: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(value, KEEP).to_string()
}

/// One cursor page of `sorted` records: reads `limit` and the cursor from the request, and
/// returns the page's records rendered as JSON with its `links` (absolute, on the origin the
/// caller addressed).
pub(crate) fn cursor_page<'a, T, R>(
    ctx: &Ctx,
    own_url: &str,
    limit: LimitRule,
    sorted: &[&'a T],
    id: impl Fn(&T) -> &str,
    render: impl Fn(&'a T) -> R,
) -> Result<(Vec<R>, Value), ApiError> {
    let limit = parse_limit(ctx, limit)?;
    let cursor = parse_cursor(ctx)?;
    let ids: Vec<&str> = sorted.iter().map(|r| id(r)).collect();
    let w = window(&ids, limit, cursor.as_ref());
    let data = sorted[w.start..w.end].iter().map(|r| render(*r)).collect();
    Ok((data, links(ctx, &ctx.origin(own_url), &w)))
}

/// Sorts records by `compare`, descending when `desc`. Records already in order (the usual
/// case: kept in creation order, listed without `sort`) are checked in one pass, not sorted.
pub(crate) fn sort_records<T>(records: &mut [&T], desc: bool, compare: impl Fn(&T, &T) -> std::cmp::Ordering) {
    let order = |a: &&T, b: &&T| {
        let order = compare(a, b);
        if desc {
            order.reverse()
        } else {
            order
        }
    };
    if !records.is_sorted_by(|a, b| order(a, b) != std::cmp::Ordering::Greater) {
        records.sort_by(order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            if !encoded.is_empty() {
                assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            }
        }
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        for bad in ["", "Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg=="] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cursors_hold_plus_slash_and_padding_and_decode_back() {
        for (forward, position, anchor) in
            [(true, 0, ""), (true, 10, "65f1c2d3e4f5a6b7c8d9e0f1"), (false, 7, "a_b-c"), (true, 12345, "x")]
        {
            let cursor = Cursor { forward, position, anchor: anchor.to_string() };
            let text = cursor.encode();
            assert!(text.contains('+') && text.contains('/') && text.ends_with("=="), "{text}");
            assert_eq!(Cursor::decode(&text), Some(cursor));
            assert_eq!(Cursor::decode(&text.replace('+', " ")), None);
        }
        // Well-formed base64 of something else is not a cursor.
        assert_eq!(Cursor::decode(&base64_encode(b"n10:abc")), None);
        assert_eq!(Cursor::decode(&base64_encode(b"\xfb\xff\xbfn1:a/b;")), None);
        assert_eq!(Cursor::decode(&base64_encode(b"\xfb\xff\xbfx1:ab")), None);
    }

    #[test]
    fn query_values_are_percent_encoded_for_any_decoder() {
        assert_eq!(query_encode("+/= a\"é~-._"), "%2B%2F%3D%20a%22%C3%A9~-._");
    }
}
