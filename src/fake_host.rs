//! A scripted [`Host`] for native unit tests: answers queued responses, records requests,
//! keeps storage in memory (with injectable failures) and sleeps on a virtual millisecond clock.

use crate::host::{Host, HttpRequest, HttpResponse, Method, SendError, StoreError, Timeouts};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A request as the fake host saw it (owned, so tests can read it after the call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
    /// Timeouts asked for.
    pub timeouts: Timeouts,
}

impl SentRequest {
    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A fake host.
#[derive(Default)]
pub struct FakeHost {
    /// Answers, in order.
    pub answers: VecDeque<Result<HttpResponse, SendError>>,
    /// Requests sent, in order.
    pub sent: Vec<SentRequest>,
    /// Sleeps taken.
    pub slept: Vec<Duration>,
    /// Storage.
    pub store: HashMap<String, Vec<u8>>,
    /// When set, every storage call fails with this message.
    pub store_failure: Option<String>,
    /// Wall clock, Unix milliseconds; sleeping advances it.
    pub now_ms: u64,
}

impl FakeHost {
    /// A fake host whose clock reads `secs` Unix seconds.
    pub fn at(secs: u64) -> Self {
        FakeHost { now_ms: secs * 1000, ..Default::default() }
    }

    /// Queues a response with a JSON (or empty) body.
    pub fn answer(&mut self, status: u16, headers: &[(&str, &str)], body: &str) -> &mut Self {
        self.answers.push_back(Ok(HttpResponse {
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }));
        self
    }

    /// Queues a send failure.
    pub fn fail(&mut self, error: SendError) -> &mut Self {
        self.answers.push_back(Err(error));
        self
    }

    fn storage(&self) -> Result<(), StoreError> {
        self.store_failure.clone().map_or(Ok(()), |e| Err(StoreError(e)))
    }
}

impl Host for FakeHost {
    fn send(&mut self, request: &HttpRequest<'_>) -> Result<HttpResponse, SendError> {
        self.sent.push(SentRequest {
            method: request.method,
            url: request.url.to_string(),
            headers: request.headers.clone(),
            body: request.body.map(<[u8]>::to_vec),
            timeouts: request.timeouts,
        });
        self.answers.pop_front().expect("a request the test did not script")
    }
    fn sleep(&mut self, duration: Duration) {
        self.slept.push(duration);
        self.now_ms += duration.as_millis() as u64;
    }
    fn now_unix_millis(&self) -> u64 {
        self.now_ms
    }
    fn random_bytes(&mut self, buf: &mut [u8]) {
        // 0x80.. little-endian makes `random_unit` exactly 0.5.
        buf.fill(0);
        if let Some(last) = buf.last_mut() {
            *last = 0x80;
        }
    }
    fn store_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.storage()?;
        Ok(self.store.get(key).cloned())
    }
    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.storage()?;
        self.store.insert(key.to_string(), value.to_vec());
        Ok(())
    }
    fn store_delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.storage()?;
        self.store.remove(key);
        Ok(())
    }
}
