//! The one page walker of list actions, data sources and the trigger: follows next links with
//! the API's paging style, and says how the walk ended, so that no caller can mistake an early
//! stop for the end of the collection.

use crate::client::Client;
use crate::error::{ConnectorError, Result};
use crate::host::Method;
use crate::paging::{next_page, LoopGuard, NextPage, PagingError, PagingStyle};
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
}

/// One page read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page body, its `data` emptied (the records are in `records`).
    pub body: Map<String, Value>,
    /// The page's records (`data`).
    pub records: Vec<Value>,
    /// The position this page was read at (`None` for a walk's first page without one).
    pub position: Option<String>,
    /// The position of the next page, when the page links one.
    pub next: Option<String>,
}

/// A walk over a list's pages. Pass the client to each [`Pages::next`].
#[derive(Debug)]
pub struct Pages {
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
        let (_, body) = client.send_json(Method::Get, &url, None)?;
        let next = next_page(self.style, &body, &url, client.origin()).map_err(ConnectorError::from)?;
        let Value::Object(mut body) = body else { return Err(no_data()) };
        // The records are taken out but `data` keeps its place, so outputs keep Qlik's order.
        let Some(Value::Array(data)) = body.get_mut("data") else { return Err(no_data()) };
        let records = std::mem::take(data);
        self.read += 1;
        self.empty_run = if records.is_empty() { self.empty_run + 1 } else { 0 };
        self.last_position = position.clone();
        let next_token = next.as_ref().map(|n| n.token.clone());
        match next {
            None => self.end = Some(PagesEnd::Exhausted),
            Some(next) if self.empty_run >= MAX_EMPTY_RUN => {
                self.stop(PagesEnd::EmptyPages, Some(next.token));
            }
            Some(next) => self.pending = Some(next),
        }
        Ok(Some(Page { body, records, position, next: next_token }))
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

    /// Where to resume: the next page not read (a walk not ended, the page cap, empty pages),
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
