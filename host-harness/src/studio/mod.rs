//! `qlik-harness studio`: a local page that renders the component's manifest the way a
//! low-code flow builder does and runs each export through the component. This module is the
//! server (loopback only, one page and a small JSON API); the page itself is vanilla HTML, CSS
//! and JavaScript under `host-harness/studio/`, embedded in the binary ([`assets`]).
//!
//! Every Run is one [`Harness::call`] on the same harness the CLI builds, with the CLI's outbound
//! policy for the current connection ([`StudioOptions::policy_for`]).

pub mod api;
pub mod assets;
pub mod connection;
pub mod seed;
pub mod sim_log;

use crate::outbound::OutboundPolicy;
use crate::runtime::{Harness, HarnessOptions};
use anyhow::Context as _;
use bytes::Bytes;
use connection::Connection;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::RwLock;

/// The largest request body the API reads (a 32 MiB upload as base64, with room for its JSON).
const MAX_BODY: usize = 48 << 20;

/// Builds the outbound policy for a connection (the CLI's own: defaults, `--allow-host`,
/// `--route-to`, the cap, and the connection's tenant host).
pub type PolicyFor = Arc<dyn Fn(&Value) -> OutboundPolicy + Send + Sync>;

/// How to start a studio.
pub struct StudioOptions {
    /// The harness options every connection's harness starts from (component, state dir,
    /// cache); `outbound` is replaced by [`StudioOptions::policy_for`]'s.
    pub harness: HarnessOptions,
    /// The outbound policy for a connection.
    pub policy_for: PolicyFor,
    /// The connection to start with.
    pub connection: Connection,
    /// The embedded simulated tenant's connection, when the studio started one (the page can
    /// switch back to it).
    pub simulated: Option<Connection>,
    /// The `--state-dir` and the other host flags, repeated in the page's command lines.
    pub cli_flags: Vec<String>,
}

/// The connection in use and the harness built for it.
struct Current {
    connection: Connection,
    harness: Arc<Harness>,
    /// Where the simulated tenant's request log is read, when the tenant is one.
    sim_base: Option<String>,
}

/// A running studio's state, shared by its connections.
pub struct Studio {
    options: StudioOptions,
    manifest: Value,
    /// The manifest as the page receives it, serialized once.
    manifest_json: Bytes,
    current: RwLock<Current>,
    /// A `seq` of the tenant's request log known to be read (see [`sim_log::mark`]).
    log_mark: std::sync::atomic::AtomicU64,
}

impl Studio {
    /// A studio on a harness for `options.connection`; reads the manifest once.
    pub async fn new(options: StudioOptions) -> anyhow::Result<Arc<Studio>> {
        let current = Self::current_for(&options, options.connection.clone()).await?;
        let manifest = current.harness.manifest().await?;
        let manifest_json = Bytes::from(manifest.to_string());
        let current = RwLock::new(current);
        Ok(Arc::new(Studio { options, manifest, manifest_json, current, log_mark: Default::default() }))
    }

    /// A harness for `connection`, with the CLI's policy for it, and where its tenant's request
    /// log is read when it is a simulator.
    async fn current_for(options: &StudioOptions, connection: Connection) -> anyhow::Result<Current> {
        let outbound = (options.policy_for)(connection.value());
        let sim_base = sim_log::probe(&connection, &outbound).await;
        let harness = Arc::new(Harness::new(HarnessOptions { outbound, ..options.harness.clone() })?);
        Ok(Current { connection, harness, sim_base })
    }

    /// The component's manifest (`manifest.get`).
    pub fn manifest(&self) -> &Value {
        &self.manifest
    }

    /// Replaces the connection (and the harness, whose policy admits its tenant host).
    async fn set_connection(&self, connection: Connection) -> anyhow::Result<()> {
        *self.current.write().await = Self::current_for(&self.options, connection).await?;
        // Another tenant's log numbers its requests from 1.
        self.log_mark.store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Serves the page and its API on `listener` (which must be bound to loopback) until the
    /// task is dropped.
    pub async fn run(self: Arc<Self>, listener: TcpListener) -> anyhow::Result<()> {
        let local = listener.local_addr()?;
        anyhow::ensure!(local.ip().is_loopback(), "the studio serves on loopback only");
        crate::http1::serve(listener, move |request| {
            let studio = self.clone();
            async move { studio.answer(request, local.port()).await }
        })
        .await
    }

    async fn answer(&self, request: hyper::Request<Incoming>, port: u16) -> hyper::Response<Full<Bytes>> {
        if let Err(refusal) = same_origin(&request, port) {
            return reply(403, json!({"error": {"kind": "studio", "message": refusal}}));
        }
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        if method == hyper::Method::GET {
            if let Some(asset) = assets::find(&path) {
                return asset.response();
            }
            if path == "/api/manifest" {
                return json_response(200, self.manifest_json.clone());
            }
        }
        let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return reply(413, json!({"error": {"kind": "studio", "message": "the request body is too large"}}))
            }
        };
        match api::handle(self, method.as_str(), &path, &body).await {
            Ok((status, value)) => reply(status, value),
            Err(error) => {
                let message = crate::outcome::one_line(&format!("{error:#}"));
                reply(500, json!({"error": {"kind": "studio", "message": message}}))
            }
        }
    }
}

/// Refuses requests another site's page could make: a `Host` that is not this loopback address
/// (DNS rebinding), or an `Origin` from elsewhere.
fn same_origin(request: &hyper::Request<Incoming>, port: u16) -> Result<(), &'static str> {
    let allowed = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    match header("host") {
        Some(host) if allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) => {}
        _ => return Err("the studio answers only requests addressed to its own loopback address"),
    }
    match header("origin") {
        None => Ok(()),
        Some(origin) if allowed.iter().any(|a| origin.eq_ignore_ascii_case(&format!("http://{a}"))) => Ok(()),
        Some(_) => Err("the studio answers only its own page"),
    }
}

/// A JSON response.
fn reply(status: u16, body: Value) -> hyper::Response<Full<Bytes>> {
    json_response(status, Bytes::from(body.to_string()))
}

/// A response with this JSON text.
fn json_response(status: u16, body: Bytes) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", http::HeaderValue::from_static("application/json"));
    headers.insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

/// Binds 127.0.0.1:`port` (0 picks a free one).
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await.with_context(|| format!("binding 127.0.0.1:{port}"))
}

/// A state directory for a studio started without `--state-dir`: removed when dropped.
pub fn temporary_state_dir() -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new().prefix("qlik-studio-").tempdir().context("creating a state directory")?;
    let path = dir.path().to_path_buf();
    Ok((dir, path))
}
