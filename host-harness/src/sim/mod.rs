//! A simulated Qlik Cloud tenant: an HTTP/1.1 server on loopback that answers the Spaces, Users
//! and OAuth token APIs the way Qlik Cloud does (cursor paging with absolute links, `errors[]`
//! bodies, API-key and OAuth bearer auth, per-tier rate limits with `Retry-After`), plus a control
//! API under `/__sim/` for tests: seeding, request log, change log, clock, faults, config, reset.

mod body;
mod churn;
mod clock;
mod control;
mod errors;
mod faults;
mod form_data;
mod gen;
mod limits;
mod oauth;
mod paging;
mod ratelimit;
mod record;
mod reply;
mod request;
mod router;
mod routes_apps;
mod routes_data_files;
mod routes_data_stores;
mod routes_reloads;
mod routes_reports;
mod routes_spaces;
mod routes_users;
mod scim;
mod server;
mod state;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The client id of the OAuth client every simulated tenant has registered (client_credentials).
const CLIENT_ID: &str = "sim-client";
/// The secret of that client.
const CLIENT_SECRET: &str = "sim-client-secret";

/// Settings for a simulated tenant.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// TCP port to bind on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// The API key accepted as `Authorization: Bearer <api_key>`.
    pub api_key: String,
    /// Seed for generated ids, names and tokens.
    pub seed: u64,
}

impl Default for SimConfig {
    /// Port 0 (any free port), API key `sim-api-key`, seed 1.
    fn default() -> Self {
        SimConfig { port: 0, api_key: "sim-api-key".to_string(), seed: 1 }
    }
}

/// A running simulated tenant; dropping it (or calling [`SimHandle::shutdown`]) stops the server.
pub struct SimHandle {
    url: String,
    api_key: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SimHandle {
    /// Base URL of the tenant, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The API key the tenant accepts.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Client id of the pre-registered OAuth client (grant type client_credentials).
    pub fn client_id(&self) -> &str {
        CLIENT_ID
    }

    /// Client secret of the pre-registered OAuth client.
    pub fn client_secret(&self) -> &str {
        CLIENT_SECRET
    }

    /// Stops accepting connections, closes open ones and waits for the server task to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The tenant's routes as (method, path pattern), e.g. `("GET", "/api/v1/spaces/{spaceId}")`,
/// in the order of the simulator's route table. The control API under `/__sim/` is not listed.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    router::table()
}

/// Connections waiting to be accepted. A tenant's front end takes hundreds of connections at
/// once; the 128 of `TcpListener::bind` made the 512th of a burst wait a second for a SYN retry.
const ACCEPT_BACKLOG: u32 = 1024;

fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Starts the simulator on the current tokio runtime, bound to 127.0.0.1 only.
pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
    let listener =
        listen(config.port).with_context(|| format!("binding the simulated tenant to 127.0.0.1:{}", config.port))?;
    let port = listener.local_addr().context("reading the simulator's bound address")?.port();
    let url = format!("http://127.0.0.1:{port}");
    let identity = state::Identity {
        api_key: config.api_key.clone(),
        client_id: CLIENT_ID.to_string(),
        client_secret: CLIENT_SECRET.to_string(),
        base_url: url.clone(),
    };
    let shared = Arc::new(Mutex::new(state::State::new(identity, config.seed)));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, shared, stopped));
    Ok(SimHandle { url, api_key: config.api_key, stop, task })
}
