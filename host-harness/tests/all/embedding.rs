//! The guide's wasmtime embedding (docs/hosting.md shows the code between the guide markers,
//! checked by hosts/node/test/guide.test.js): plain wasmtime, wasmtime-wasi and
//! wasmtime-wasi-http, typed bindings of the connector's world, an outbound allow-list, one
//! storage per connection instance. Run here against the simulated tenant.

// guide:begin rust-embed
use bindings::qlik::connector::types::{ApiKeyConnection, Connection, Error};
use bindings::ConnectorPre;
use qlik_harness::kv::{self, KvStore, KvView};
use std::future::Future;
use std::path::Path;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

mod bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "qlik:connector/connector", exports: { default: async } });
}

/// One call's state: WASI, `wasi:http` behind the allow-list, and the storage of the
/// connection instance the call runs for (any `wasi:keyvalue/store`; here the harness's).
pub struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: AllowList,
    table: ResourceTable,
    kv: KvStore,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

fn kv_view(state: &mut CallState) -> KvView<'_> {
    KvView { store: &state.kv, table: &mut state.table }
}

/// The hosts one connection may reach (component.yaml: `allowedOutboundHosts`, its tenant).
pub struct AllowList(pub Vec<String>);

type Io = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for AllowList {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _: Io,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, Io), HttpError>> + Send> {
        let host = request.uri().host().unwrap_or_default().to_ascii_lowercase();
        let allowed = self.0.contains(&host);
        Box::new(async move {
            if !allowed {
                return Err(HttpError::HttpRequestDenied);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(http_body_util::BodyExt::boxed_unsync), Box::new(io) as Io))
        })
    }
}

/// Once per process: compile (through wasmtime's cache) and link WASI, `wasi:http` and storage.
pub fn load(wasm: &Path, cache_dir: &Path) -> wasmtime::Result<ConnectorPre<CallState>> {
    let mut cache = CacheConfig::new();
    cache.with_directory(cache_dir);
    let mut config = Config::new();
    config.cache(Some(Cache::new(cache)?));
    let engine = Engine::new(&config)?;
    let component = Component::from_file(&engine, wasm)?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    kv::add_to_linker(&mut linker, kv_view)?;
    ConnectorPre::new(linker.instantiate_pre(&component)?)
}

/// Per call: a fresh instance (microseconds from the `InstancePre`) with this connection
/// instance's storage and hosts. `Ok(Err(_))` is the connector's typed error; `Err(_)` a trap.
pub async fn get_space(
    pre: &ConnectorPre<CallState>,
    storage: KvStore,
    allowed_hosts: Vec<String>,
    connection: &Connection,
    input: &str,
) -> wasmtime::Result<Result<String, Error>> {
    let state = CallState {
        wasi: WasiCtx::builder().build(),
        http: WasiHttpCtx::new(),
        hooks: AllowList(allowed_hosts),
        table: ResourceTable::new(),
        kv: storage,
    };
    let mut store = Store::new(pre.engine(), state);
    let connector = pre.instantiate_async(&mut store).await?;
    connector.qlik_connector_actions().call_get_space(&mut store, connection, &input.to_string()).await
}
// guide:end rust-embed

use qlik_harness::sim::{start, SimConfig};
use qlik_harness::sim_client::exchange;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn the_guides_wasmtime_embedding_calls_the_component() {
    let sim = start(SimConfig::default()).await.unwrap();
    let seeded = exchange(
        &sim.url(),
        "POST",
        "/__sim/seed",
        &[],
        json!({"resource": "spaces", "count": 1}).to_string().as_bytes(),
    )
    .await
    .unwrap()
    .unwrap();
    let id = serde_json::from_slice::<Value>(&seeded.body).unwrap()["created"][0].as_str().unwrap().to_string();
    let cache = std::env::temp_dir().join("qlik-embedding-test-cache");
    let pre = load(&qlik_harness::component_path(None).unwrap(), &cache).unwrap();
    let connection = Connection::ApiKey(ApiKeyConnection { api_key: sim.api_key().into(), tenant: sim.url() });
    let loopback = || vec!["127.0.0.1".to_string()];

    let input = json!({"spaceId": id}).to_string();
    let space = get_space(&pre, KvStore::in_memory(), loopback(), &connection, &input).await.unwrap().unwrap();
    let space: Value = serde_json::from_str(&space).unwrap();
    assert_eq!(space["id"], id.as_str());

    let missing = get_space(&pre, KvStore::in_memory(), loopback(), &connection, r#"{"spaceId":"gone"}"#).await;
    let Ok(Err(Error::NotFound(error))) = missing else { panic!("{missing:?}") };
    assert_eq!(error.status, 404);

    // A host outside the allow-list is refused before anything is sent.
    let elsewhere = Connection::ApiKey(ApiKeyConnection { api_key: "k".into(), tenant: "acme.eu".into() });
    let denied = get_space(&pre, KvStore::in_memory(), loopback(), &elsewhere, r#"{"spaceId":"s"}"#).await;
    let Ok(Err(Error::Transport(message))) = denied else { panic!("{denied:?}") };
    assert!(message.contains("denied"), "{message}");
    let log = exchange(&sim.url(), "GET", "/__sim/requests", &[], b"").await.unwrap().unwrap();
    let paths: Vec<String> = serde_json::from_slice::<Value>(&log.body).unwrap()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, [format!("/api/v1/spaces/{id}"), "/api/v1/spaces/gone".to_string()]);
}
