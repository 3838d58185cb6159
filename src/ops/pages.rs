//! The one page walker of list actions, data sources and the trigger: follows next links with
//! the API's paging style, and says how the walk ended, so that no caller can mistake an early
//! stop for the end of the collection.

use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::paging::{next_page_of, LoopGuard, NextPage, PagingError, PagingStyle};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A walk stops after this many empty pages in a row that still point further.
pub const MAX_EMPTY_RUN: u32 = 3;

/// Why a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagesEnd {
    /// The last page had no next link: everything was read.
    Exhausted,
    /// A next link repeated one already read.
    LoopDetected,
    /// The page cap was reached with more pages left.
    PageCap,
    /// [`MAX_EMPTY_RUN`] empty pages in a row, still pointing further.
    EmptyPages,
    /// The caller's stop predicate said the last page read was enough (e.g. a page sorted by
    /// update time that ends before the trigger's window).
    Stopped,
}

/// One page read.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page body, its `data` emptied (the records are in `records`).
    pub body: Map<String, Value>,
    /// The page's records (`data`), as the tenant sent them: checked JSON, not parsed into
    /// values (a list's output passes them on; [`Page::values`] parses them).
    pub records: Vec<Box<RawValue>>,
    /// The position this page was read at (`None` for a walk's first page without one).
    pub position: Option<String>,
    /// The position of the next page, when the page links one.
    pub next: Option<String>,
    /// The server's time when it answered (its `Date` header), Unix milliseconds.
    pub server_time_ms: Option<i64>,
}

/// Says, after a page was read, that the walk should read no further.
pub type StopWhen = fn(&Page) -> bool;

/// A walk over a list's pages. Pass the client to each [`Pages::next`].
#[derive(Debug)]
pub struct Pages {
    stop_when: Option<StopWhen>,
    style: PagingStyle,
    first: Option<(String, Option<String>)>,
    pending: Option<NextPage>,
    guard: LoopGuard,
    max_pages: usize,
    read: usize,
    empty_run: u32,
    last_position: Option<String>,
    end: Option<PagesEnd>,
    resume: Option<String>,
}

impl Pages {
    /// A walk from `first_url` (read at `start`, the position a user passed in), reading at
    /// most `max_pages` pages.
    pub fn new(style: PagingStyle, first_url: String, start: Option<String>, max_pages: usize) -> Self {
        Pages {
            stop_when: None,
            style,
            first: Some((first_url, start)),
            pending: None,
            guard: LoopGuard::new(usize::MAX),
            max_pages: max_pages.max(1),
            read: 0,
            empty_run: 0,
            last_position: None,
            end: None,
            resume: None,
        }
    }

    /// The same walk, ending ([`PagesEnd::Stopped`]) after the first page for which `stop`
    /// says so; that page is still returned.
    pub fn stop_when(self, stop: StopWhen) -> Self {
        Pages { stop_when: Some(stop), ..self }
    }

    /// Reads the next page; `Ok(None)` once the walk has ended ([`Pages::end`] says why).
    pub fn next(&mut self, client: &mut Client<'_>) -> Result<Option<Page>> {
        if self.end.is_some() {
            return Ok(None);
        }
        let (url, position) = match self.first.take() {
            Some(first) => first,
            None => {
                let Some(next) = self.pending.take() else {
                    self.end = Some(PagesEnd::Exhausted);
                    return Ok(None);
                };
                if self.read >= self.max_pages {
                    return Ok(self.stop(PagesEnd::PageCap, Some(next.token)));
                }
                (next.url, Some(next.token))
            }
        };
        if !self.guard.admit(&url) {
            let resume = self.last_position.clone();
            return Ok(self.stop(PagesEnd::LoopDetected, resume));
        }
        let response = client.send(Method::Get, &url, None)?;
        let server_time_ms = response.header("date").and_then(crate::timestamp::parse_http_date_millis);
        let (body, records) = split_page(&response)?;
        let body = Value::Object(body);
        let next =
            next_page_of(self.style, &body, records.is_empty(), &url, client.origin()).map_err(ConnectorError::from)?;
        let Value::Object(body) = body else { unreachable!("made an object above") };
        self.read += 1;
        self.empty_run = if records.is_empty() { self.empty_run + 1 } else { 0 };
        self.last_position = position.clone();
        let next_token = next.as_ref().map(|n| n.token.clone());
        let page = Page { body, records, position, next: next_token, server_time_ms };
        let stop = self.stop_when.is_some_and(|stop| stop(&page));
        match next {
            None => self.end = Some(PagesEnd::Exhausted),
            Some(next) if stop => {
                self.stop(PagesEnd::Stopped, Some(next.token));
            }
            Some(next) if self.empty_run >= MAX_EMPTY_RUN => {
                self.stop(PagesEnd::EmptyPages, Some(next.token));
            }
            Some(next) => self.pending = Some(next),
        }
        Ok(Some(page))
    }

    fn stop(&mut self, end: PagesEnd, resume: Option<String>) -> Option<Page> {
        self.end = Some(end);
        self.resume = resume;
        None
    }

    /// How the walk ended; `None` while it may go on.
    pub fn end(&self) -> Option<PagesEnd> {
        self.end
    }

    /// Where to resume: the next page not read (a walk not ended, the page cap, empty pages, a
    /// stop),
    /// or the last page read (a loop: it is read again, so nothing is skipped). `None` once
    /// everything was read.
    pub fn resume(&self) -> Option<String> {
        match self.end {
            None => self.pending.as_ref().map(|n| n.token.clone()),
            Some(PagesEnd::Exhausted) => None,
            Some(_) => self.resume.clone(),
        }
    }

    /// Pages read so far.
    pub fn read(&self) -> usize {
        self.read
    }
}

/// A page's records as the tenant sent them.
type RawRecords = Vec<Box<RawValue>>;

/// A page body's fields, `data` left in its place as `[]`, and its records unparsed, in one
/// pass over the text: each record is checked JSON, kept as the tenant's own text.
fn split_page(response: &crate::host::HttpResponse) -> Result<(Map<String, Value>, RawRecords)> {
    let invalid = |e: &dyn std::fmt::Display| {
        ConnectorError::InvalidResponse(format!("the {} response is not valid JSON: {e}", response.status))
    };
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err(no_data());
    }
    // Read as text: one JSON reader (over `str`) serves every raw-value parse in the component.
    let text = std::str::from_utf8(&response.body).map_err(|e| invalid(&e))?;
    match serde_json::from_str::<PageParts>(text) {
        Ok(PageParts { body, records: Some(records) }) => Ok((body, records)),
        Ok(PageParts { records: None, .. }) => Err(no_data()),
        // Well-formed JSON of another shape: not an object, or a `data` that is not an array.
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(no_data()),
        Err(e) => Err(invalid(&e)),
    }
}

/// A page object: its members in order as values, except `data`, whose items stay raw.
struct PageParts {
    body: Map<String, Value>,
    records: Option<RawRecords>,
}

impl<'de> serde::Deserialize<'de> for PageParts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = PageParts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<PageParts, A::Error> {
                let mut parts = PageParts { body: Map::new(), records: None };
                while let Some(key) = map.next_key::<String>()? {
                    if key == "data" {
                        parts.records = Some(map.next_value()?);
                        parts.body.insert(key, Value::Array(Vec::new()));
                    } else {
                        let value = map.next_value()?;
                        parts.body.insert(key, value);
                    }
                }
                Ok(parts)
            }
        }
        deserializer.deserialize_map(Members)
    }
}

impl Page {
    /// The records parsed into values (for callers that read their fields).
    pub fn values(&self) -> Result<Vec<Value>> {
        self.records
            .iter()
            .map(|raw| {
                serde_json::from_str(raw.get())
                    .map_err(|e| ConnectorError::InvalidResponse(format!("a record is not valid JSON: {e}")))
            })
            .collect()
    }
}

fn no_data() -> ConnectorError {
    ConnectorError::InvalidResponse("a list page without a `data` array".into())
}

impl From<PagingError> for ConnectorError {
    fn from(error: PagingError) -> Self {
        ConnectorError::InvalidResponse(match error {
            PagingError::ForeignHost(url) => format!("refused a next-page link to another host: {url}"),
            PagingError::ForeignPath(url) => format!("refused a next-page link to another path: {url}"),
            PagingError::BadLink(why) => format!("unreadable next-page link: {why}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{resolve, Connection, Secret};
    use crate::fake_host::FakeHost;
    use serde_json::json;

    const ORIGIN: &str = "http://127.0.0.1:9";

    #[test]
    fn a_page_is_taken_apart_at_the_top_level_only() {
        let response = |body: &str| crate::host::HttpResponse { status: 200, headers: vec![], body: body.into() };
        let (body, records) =
            split_page(&response(r#"{"meta":{"n":2},"data":[{"id": "a",  "x":1e400}, [1]],"links":{}}"#)).unwrap();
        assert_eq!(body.keys().collect::<Vec<_>>(), ["meta", "data", "links"], "the order kept, data in its place");
        assert_eq!(body["data"], json!([]));
        assert_eq!(records.iter().map(|r| r.get()).collect::<Vec<_>>(), [r#"{"id": "a",  "x":1e400}"#, "[1]"]);
        for no_data in ["", "  ", "[]", "\"text\"", r#"{"links":{}}"#, r#"{"data":{}}"#] {
            let error = split_page(&response(no_data)).unwrap_err();
            assert!(
                matches!(&error, ConnectorError::InvalidResponse(m) if m.contains("without a `data` array")),
                "{no_data:?}: {error:?}"
            );
        }
        for bad in ["{", r#"{"data":[1,]}"#, "<html>", r#"{"data":[]} x"#] {
            let error = split_page(&response(bad)).unwrap_err();
            assert!(
                matches!(&error, ConnectorError::InvalidResponse(m) if m.contains("not valid JSON")),
                "{bad:?}: {error:?}"
            );
        }
    }

    fn page(ids: &[i64], next: Option<&str>) -> String {
        let data: Vec<_> = ids.iter().map(|id| json!({ "id": id })).collect();
        let links = next.map_or(json!({}), |n| json!({"next": {"href": format!("{ORIGIN}/api/v1/items?next={n}")}}));
        json!({"data": data, "links": links}).to_string()
    }

    /// Walks every page the host answers; returns the pages' first ids and how the walk ended.
    fn walk(
        host: &mut FakeHost,
        max_pages: usize,
        stop: Option<StopWhen>,
    ) -> (Vec<i64>, Option<PagesEnd>, Option<String>) {
        let connection = Connection::ApiKey { api_key: Secret("k".into()), tenant: ORIGIN.into() };
        let mut client = Client::new(host, resolve(&connection).unwrap());
        let mut pages = Pages::new(PagingStyle::Cursor, format!("{ORIGIN}/api/v1/items"), None, max_pages);
        if let Some(stop) = stop {
            pages = pages.stop_when(stop);
        }
        let mut firsts = Vec::new();
        while let Some(page) = pages.next(&mut client).unwrap() {
            firsts.push(page.values().unwrap().first().and_then(|r| r["id"].as_i64()).unwrap_or(-1));
        }
        (firsts, pages.end(), pages.resume())
    }

    #[test]
    fn end_reasons() {
        let mut host = FakeHost::default();
        host.answer(200, &[], &page(&[1], Some("a"))).answer(200, &[], &page(&[2], None));
        assert_eq!(walk(&mut host, 10, None), (vec![1, 2], Some(PagesEnd::Exhausted), None));

        let mut host = FakeHost::default();
        host.answer(200, &[], &page(&[1], Some("a"))).answer(200, &[], &page(&[2], Some("a")));
        assert_eq!(walk(&mut host, 10, None), (vec![1, 2], Some(PagesEnd::LoopDetected), Some("a".into())));

        let mut host = FakeHost::default();
        host.answer(200, &[], &page(&[1], Some("a"))).answer(200, &[], &page(&[2], Some("b")));
        assert_eq!(walk(&mut host, 2, None), (vec![1, 2], Some(PagesEnd::PageCap), Some("b".into())));

        let mut host = FakeHost::default();
        host.answer(200, &[], &page(&[], Some("a"))).answer(200, &[], &page(&[], Some("b"))).answer(
            200,
            &[],
            &page(&[], Some("c")),
        );
        assert_eq!(walk(&mut host, 10, None), (vec![-1, -1, -1], Some(PagesEnd::EmptyPages), Some("c".into())));

        // An empty run broken by a record starts again.
        let mut host = FakeHost::default();
        for (ids, next) in [(&[][..], Some("a")), (&[], Some("b")), (&[7], Some("c")), (&[], Some("d")), (&[], None)] {
            host.answer(200, &[], &page(ids, next));
        }
        assert_eq!(walk(&mut host, 10, None).1, Some(PagesEnd::Exhausted));
    }

    #[test]
    fn a_stop_predicate_ends_the_walk_after_its_page() {
        let mut host = FakeHost::default();
        host.answer(200, &[], &page(&[5, 4], Some("a"))).answer(200, &[], &page(&[3, 2], Some("b")));
        let before_three: StopWhen = |page| page.values().unwrap().iter().any(|r| r["id"].as_i64() < Some(3));
        assert_eq!(walk(&mut host, 10, Some(before_three)), (vec![5, 3], Some(PagesEnd::Stopped), Some("b".into())));
        assert_eq!(host.sent.len(), 2);
    }
}
