//! A test environment: a simulated tenant, the real component in the harness, and helpers to
//! call exports and read what the tenant received. Include with
//! `use crate::support::env;`.
//!
//! When an `Env` ends, every exchange its tenant saw is validated against Qlik's published
//! OpenAPI documents: the whole suite's traffic conforms, not a sample of it.
#![allow(dead_code)]

pub use super::openapi;

use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::sim::{self, SimConfig, SimHandle};
use qlik_harness::sim_client;
use qlik_harness::{Harness, HarnessOptions, Outcome};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// A sentinel API key: it must never appear in any output, error or log.
pub const SENTINEL_API_KEY: &str = "SENTINEL-API-KEY-7c1e9d";

/// Options for [`Env::with`].
#[derive(Default)]
pub struct EnvOptions {
    /// Storage directory; in memory when `None`.
    pub state_dir: Option<PathBuf>,
    /// Route every request to the simulator (for tenant forms that are not loopback).
    pub route: bool,
    /// Cap on the first-byte timeout.
    pub max_first_byte: Option<Duration>,
    /// A shorter deadline for each whole request exchange (the component's host setting).
    pub request_deadline: Option<Duration>,
    /// A new connection per request instead of the harness's keep-alive pool.
    pub fresh_connections: bool,
    /// The only keyvalue buckets the host has; every name when `None`.
    pub kv_buckets: Option<Vec<String>>,
}

/// One test's world.
pub struct Env {
    pub sim: SimHandle,
    pub harness: Harness,
    pub connection: Value,
}

impl Env {
    /// The simulator with the sentinel API key, and an API-key connection to it.
    pub async fn new() -> Env {
        Env::with(EnvOptions::default()).await
    }

    /// As [`Env::new`], with options.
    pub async fn with(options: EnvOptions) -> Env {
        let sim = sim::start(SimConfig { api_key: SENTINEL_API_KEY.into(), ..SimConfig::default() })
            .await
            .expect("sim starts");
        let harness = harness(&sim, &options);
        let connection = json!({"type": "apiKey", "apiKey": SENTINEL_API_KEY, "tenant": sim.url()});
        Env { sim, harness, connection }
    }

    /// Another harness on the same simulator (a separate host process, as far as state goes).
    pub fn new_harness(&self, options: &EnvOptions) -> Harness {
        harness(&self.sim, options)
    }

    /// A client-credentials connection with the simulator's registered OAuth client.
    pub fn client_credentials(&self) -> Value {
        json!({
            "type": "oauth2",
            "grantType": "client_credentials",
            "tokenUrl": format!("{}/oauth/token", self.sim.url()),
            "clientId": self.sim.client_id(),
            "clientSecret": self.sim.client_secret(),
        })
    }

    /// Calls an export with this env's connection.
    pub async fn call(&self, key: &str, input: Value) -> Outcome {
        self.call_with(&self.connection, key, input).await
    }

    /// Calls an export with another connection.
    pub async fn call_with(&self, connection: &Value, key: &str, input: Value) -> Outcome {
        tokio::time::timeout(Duration::from_secs(60), self.harness.call(key, connection, &input))
            .await
            .expect("a call must end, not hang")
            .expect("the harness runs the call")
    }

    /// Calls and expects success.
    pub async fn ok(&self, key: &str, input: Value) -> Value {
        match self.call(key, input).await {
            Outcome::Ok(value) => value,
            Outcome::Err(error) => panic!("{key} failed: {error}"),
        }
    }

    /// Calls and expects an error.
    pub async fn err(&self, key: &str, input: Value) -> Value {
        match self.call(key, input).await {
            Outcome::Err(error) => error,
            Outcome::Ok(value) => panic!("{key} unexpectedly succeeded: {value}"),
        }
    }

    /// A control API call (`/__sim/...`).
    pub async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        sim_client::request(&self.sim.url(), method, path, body.as_ref()).await.expect("control API call")
    }

    /// Every request the tenant received, oldest first.
    pub async fn requests(&self) -> Vec<Value> {
        self.control("GET", "/__sim/requests", None).await["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Requests to paths starting with `prefix`.
    pub async fn requests_to(&self, prefix: &str) -> Vec<Value> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r["path"].as_str().unwrap_or_default().starts_with(prefix))
            .collect()
    }

    /// Forgets the received requests.
    pub async fn clear_requests(&self) {
        self.control("DELETE", "/__sim/requests", None).await;
    }

    /// Seeds `count` records; returns their ids.
    pub async fn seed(&self, resource: &str, count: usize) -> Vec<String> {
        let out = self.control("POST", "/__sim/seed", Some(json!({"resource": resource, "count": count}))).await;
        out["created"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    /// Queues a fault.
    pub async fn fault(&self, fault: Value) {
        self.control("POST", "/__sim/faults", Some(fault)).await;
    }
}

impl Drop for Env {
    /// Validates the tenant's traffic against Qlik's OpenAPI documents (unless the test already
    /// failed). Needs the multi-thread runtime every test here uses.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let url = self.sim.url();
        let log = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(sim_client::request(&url, "GET", "/__sim/requests", None))
        })
        .expect("the request log");
        let exchanges = log["requests"].as_array().cloned().unwrap_or_default();
        openapi::Spec::shared().assert_conforms(&exchanges);
    }
}

fn harness(sim: &SimHandle, options: &EnvOptions) -> Harness {
    let route = || qlik_harness::outbound::parse_route_to(&sim.url()).expect("the simulator's address");
    let component_env = options
        .request_deadline
        .map(|d| (qlik_connector::host::DEADLINE_ENV.to_string(), d.as_millis().to_string()))
        .into_iter()
        .collect();
    Harness::new(HarnessOptions {
        outbound: OutboundPolicy {
            route_to: options.route.then(route),
            max_first_byte_timeout: options.max_first_byte,
            ..OutboundPolicy::allowing(["analytics.example.com".to_string()])
        },
        state_dir: options.state_dir.clone(),
        component_env,
        fresh_connections: options.fresh_connections,
        kv_buckets: options.kv_buckets.clone(),
        ..Default::default()
    })
    .expect("the component loads")
}

/// A fresh temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qlik-test-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Asserts that no text in `haystack` contains `secret`.
pub fn assert_no_secret(haystack: &str, secret: &str) {
    assert!(!haystack.contains(secret), "a secret leaked into: {haystack}");
}

/// Asserts an error of `kind` carrying Qlik's `status`, a non-empty `code` and a non-empty `title`.
pub fn assert_qlik_error(error: &Value, kind: &str, status: u16) {
    assert_eq!(error["kind"], kind, "{error}");
    assert_eq!(error["status"], status, "{error}");
    assert!(error["code"].as_str().is_some_and(|c| !c.is_empty()), "{error}");
    assert!(error["title"].as_str().is_some_and(|t| !t.is_empty()), "{error}");
}
