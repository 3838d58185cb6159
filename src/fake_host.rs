//! A scripted [`Host`] for native unit tests: answers queued responses, records requests,
//! keeps storage in memory and sleeps on a virtual clock.

use crate::host::{Host, HttpRequest, HttpResponse, SendError};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// A fake host.
#[derive(Default)]
pub struct FakeHost {
    /// Answers, in order.
    pub answers: VecDeque<Result<HttpResponse, SendError>>,
    /// Requests sent, in order.
    pub sent: Vec<HttpRequest>,
    /// Sleeps taken.
    pub slept: Vec<Duration>,
    /// Storage.
    pub store: HashMap<String, Vec<u8>>,
    /// Wall clock, Unix seconds.
    pub now: u64,
}

impl FakeHost {
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
}

impl Host for FakeHost {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, SendError> {
        self.sent.push(request.clone());
        self.answers.pop_front().expect("a request the test did not script")
    }
    fn sleep(&mut self, duration: Duration) {
        self.slept.push(duration);
        self.now += duration.as_secs();
    }
    fn now_unix_secs(&self) -> u64 {
        self.now
    }
    fn random_unit(&mut self) -> f64 {
        0.5
    }
    fn store_get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.store.get(key).cloned()
    }
    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        self.store.insert(key.to_string(), value.to_vec());
        Ok(())
    }
}
