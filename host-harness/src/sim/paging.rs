//! List-query plumbing shared by the cursor-paged APIs: `limit`, `sort`, opaque `next`/`prev`
//! cursors and the absolute `links` object.
//!
//! A cursor is the hex encoding of `<n|p><position>:<anchor id>`: `n` = the page after the
//! anchor record, `p` = the page before it. The anchor makes paging stable under inserts; the
//! position is the fallback when the anchor has been deleted meanwhile.

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
        ApiError::bad_request(format!(
            "limit must be an integer between 1 and {}, got {raw:?}",
            rule.max
        ))
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
        let detail = format!(
            "unsupported sort {raw:?}; supported fields: {}",
            allowed.join(", ")
        );
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

impl Cursor {
    fn encode(&self) -> String {
        let text = format!(
            "{}{}:{}",
            if self.forward { 'n' } else { 'p' },
            self.position,
            self.anchor
        );
        text.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(raw: &str) -> Option<Cursor> {
        if !raw.len().is_multiple_of(2) || raw.is_empty() {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..raw.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
            .collect();
        let text = String::from_utf8(bytes?).ok()?;
        let forward = match text.chars().next()? {
            'n' => true,
            'p' => false,
            _ => return None,
        };
        let (position, anchor) = text[1..].split_once(':')?;
        let anchor_ok = anchor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !anchor_ok {
            return None;
        }
        Some(Cursor {
            forward,
            position: position.parse().ok()?,
            anchor: anchor.to_string(),
        })
    }
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
    let cursor = Cursor::decode(raw)
        .ok_or_else(|| ApiError::bad_request(format!("invalid {name} cursor")).param(name))?;
    if cursor.forward != (name == "next") {
        return Err(ApiError::bad_request(format!("invalid {name} cursor")).param(name));
    }
    Ok(Some(cursor))
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
    let find = |c: &Cursor| ids.iter().position(|id| *id == c.anchor);
    let (start, end) = match cursor {
        None => (0, limit.min(len)),
        Some(c) if c.forward => {
            let start = find(c)
                .map_or(c.position.saturating_sub(1), |i| i + 1)
                .min(len);
            (start, (start + limit).min(len))
        }
        Some(c) => {
            let end = find(c).unwrap_or(c.position).min(len);
            (end.saturating_sub(limit), end)
        }
    };
    let next = (end < len).then(|| {
        let anchor = if end > 0 {
            ids[end - 1].to_string()
        } else {
            String::new()
        };
        Cursor {
            forward: true,
            position: end,
            anchor,
        }
        .encode()
    });
    let prev = (start > 0).then(|| {
        Cursor {
            forward: false,
            position: start,
            anchor: ids[start].to_string(),
        }
        .encode()
    });
    Window {
        start,
        end,
        next,
        prev,
    }
}

/// `{self, next?, prev?}`, each `{href}` with an absolute URL. `next`/`prev` keep the caller's
/// other query parameters and append the cursor.
pub(crate) fn links(ctx: &Ctx, base_url: &str, w: &Window) -> Value {
    let mut links = Map::new();
    let query = if ctx.raw_query.is_empty() {
        String::new()
    } else {
        format!("?{}", ctx.raw_query)
    };
    links.insert(
        "self".into(),
        json!({ "href": format!("{base_url}{}{query}", ctx.path) }),
    );
    for (key, cursor) in [("next", &w.next), ("prev", &w.prev)] {
        if let Some(cursor) = cursor {
            links.insert(
                key.into(),
                json!({ "href": href_with_cursor(ctx, base_url, key, cursor) }),
            );
        }
    }
    Value::Object(links)
}

fn href_with_cursor(ctx: &Ctx, base_url: &str, key: &str, cursor: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in ctx.query.iter().filter(|(k, _)| k != "next" && k != "prev") {
        query.append_pair(k, v);
    }
    query.append_pair(key, cursor);
    format!("{base_url}{}?{}", ctx.path, query.finish())
}

/// One cursor page of `sorted` records: reads `limit` and the cursor from the request, and
/// returns the page's records rendered as JSON with its `links` (absolute, on the origin the
/// caller addressed).
pub(crate) fn cursor_page<T>(
    ctx: &Ctx,
    own_url: &str,
    limit: LimitRule,
    sorted: &[&T],
    id: impl Fn(&T) -> &str,
    render: impl Fn(&T) -> Value,
) -> Result<(Vec<Value>, Value), ApiError> {
    let limit = parse_limit(ctx, limit)?;
    let cursor = parse_cursor(ctx)?;
    let ids: Vec<&str> = sorted.iter().map(|r| id(r)).collect();
    let w = window(&ids, limit, cursor.as_ref());
    let data = sorted[w.start..w.end].iter().map(|r| render(r)).collect();
    Ok((data, links(ctx, &ctx.origin(own_url), &w)))
}

/// Sorts records by `compare`, descending when `desc`.
pub(crate) fn sort_records<T>(records: &mut [&T], desc: bool, compare: impl Fn(&T, &T) -> std::cmp::Ordering) {
    records.sort_by(|a, b| {
        let order = compare(a, b);
        if desc {
            order.reverse()
        } else {
            order
        }
    });
}
