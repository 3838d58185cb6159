//! `qlik-harness serve`: the composed HTTP component (`qlik_connector_http.wasm`) behind a hyper
//! server, through wasmtime-wasi-http's `wasi:http/proxy` support. Every request gets a fresh
//! instance from the harness's `InstancePre`, with the harness's storage, outbound policy and
//! environment, as `call` does.

use crate::runtime::{Ctx, Harness};
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView as _;

/// The environment variable with the shared secret the adapter asks requests for.
pub const TOKEN_VARIABLE: &str = "QLIK_CONNECTOR_TOKEN";

/// Where the composed HTTP component is found: `explicit`, else `$QLIK_HTTP_COMPONENT`, else the
/// build this crate made (`target/component/.../qlik_connector_http.wasm`).
pub fn http_component_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match (explicit, std::env::var_os("QLIK_HTTP_COMPONENT")) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(path)) => PathBuf::from(path),
        (None, None) => PathBuf::from(env!("QLIK_HTTP_COMPONENT_BUILT")),
    };
    anyhow::ensure!(
        path.exists(),
        "no HTTP component at {}: `cargo build -p qlik-harness` composes it, or pass --component",
        path.display()
    );
    Ok(path)
}

/// A harness serving its component over HTTP.
#[derive(Clone)]
pub struct Server {
    harness: Arc<Harness>,
    proxy: ProxyPre<Ctx>,
}

impl Server {
    /// A server for the harness's component, which must export `wasi:http/incoming-handler`.
    pub fn new(harness: Harness) -> anyhow::Result<Server> {
        let proxy = ProxyPre::new(harness.instance_pre().clone()).map_err(anyhow::Error::from).context(
            "the component does not export wasi:http/incoming-handler (serve needs qlik_connector_http.wasm)",
        )?;
        Ok(Server { harness: Arc::new(harness), proxy })
    }

    /// Serves HTTP/1.1 on `listener` until the task is dropped.
    pub async fn run(self, listener: TcpListener) -> anyhow::Result<()> {
        crate::http1::serve(listener, move |request| {
            let server = self.clone();
            async move { server.answer(request).await }
        })
        .await
    }

    /// The component's answer, or a JSON 500 when it gave none (a trap, a limit).
    async fn answer(&self, request: hyper::Request<Incoming>) -> hyper::Response<HyperOutgoingBody> {
        match self.handle(request).await {
            Ok(response) => response,
            Err(error) => {
                let message = crate::outcome::one_line(&format!("{error:#}"));
                let body = serde_json::json!({"error": {"kind": "internal", "message": message}}).to_string();
                let body = Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed_unsync();
                let mut response = hyper::Response::new(body);
                *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert("content-type", http::HeaderValue::from_static("application/json"));
                response
            }
        }
    }

    async fn handle(&self, request: hyper::Request<Incoming>) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let mut store = self.harness.request_store();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let request = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let proxy = self.proxy.clone();
        // The body is written after the head: the instance runs on while hyper sends it.
        let task = tokio::spawn(async move {
            let proxy = proxy.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(&mut store, request, out).await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(anyhow::anyhow!("the component answered with an error: {code:?}")),
            Err(_) => {
                let error = match task.await {
                    Ok(Ok(())) => anyhow::anyhow!("the component set no response"),
                    Ok(Err(error)) => anyhow::Error::from(error),
                    Err(join) => join.into(),
                };
                Err(error.context("the component set no response"))
            }
        }
    }
}
