//! The wasmtime host: compiles the component once (with wasmtime's compile cache), links WASI,
//! `wasi:http` (through [`Hooks`]) and the harness's `wasi:keyvalue`, and instantiates a fresh
//! instance from an `InstancePre` for every call.

use crate::kv::{self, KvStore, KvView};
use crate::outbound::{Hooks, OutboundPolicy, OutboundRecord};
use crate::values;
use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The WIT package prefix of every exported interface.
pub const PACKAGE: &str = "qlik:connector";
/// The WIT package version.
pub const PACKAGE_VERSION: &str = "0.1.0";

/// The full WIT name of one of the component's interfaces, e.g. `qlik:connector/actions@0.1.0`.
pub fn interface_name(interface: &str) -> String {
    format!("{PACKAGE}/{interface}@{PACKAGE_VERSION}")
}

/// Where the component is found: `explicit`, else `$QLIK_COMPONENT`, else the build this crate
/// made (`target/component/...`), else `target/wasm32-wasip2/release/qlik_connector.wasm`.
pub fn component_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return existing(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("QLIK_COMPONENT") {
        return existing(PathBuf::from(path));
    }
    let built = PathBuf::from(env!("QLIK_COMPONENT_BUILT"));
    if built.exists() {
        return Ok(built);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    existing(workspace.join("target/wasm32-wasip2/release/qlik_connector.wasm"))
}

fn existing(path: PathBuf) -> anyhow::Result<PathBuf> {
    if path.exists() {
        Ok(path)
    } else {
        bail!(
            "no component at {}: build it with `cargo build --release --target wasm32-wasip2` (or `cargo build -p qlik-harness`), or pass --component",
            path.display()
        )
    }
}

/// Options of a harness.
#[derive(Clone, Debug, Default)]
pub struct HarnessOptions {
    /// The component file; see [`component_path`] when `None`.
    pub component: Option<PathBuf>,
    /// Directory for the component's storage; in memory when `None`.
    pub state_dir: Option<PathBuf>,
    /// Outbound HTTP policy.
    pub outbound: OutboundPolicy,
    /// wasmtime compile cache directory; the OS temp dir's `qlik-harness-cache` when `None`.
    pub cache_dir: Option<PathBuf>,
}

/// Per-call store state.
pub struct Ctx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: Hooks,
    table: ResourceTable,
    kv: KvStore,
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for Ctx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

fn kv_view(ctx: &mut Ctx) -> KvView<'_> {
    KvView { store: &ctx.kv, table: &mut ctx.table }
}

/// One function the component exports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct WitExport {
    /// Short interface name, e.g. `actions`.
    pub interface: String,
    /// Function name, e.g. `create-space`.
    pub function: String,
}

/// The outcome of a call: the output, or the component's typed error as JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Success: the action output, picklist items or poll result.
    Ok(Value),
    /// The WIT `error` as `{"kind": ..., ...}`.
    Err(Value),
}

/// A loaded component, ready to call.
pub struct Harness {
    engine: Engine,
    component: Component,
    pre: InstancePre<Ctx>,
    kv: KvStore,
    policy: Arc<OutboundPolicy>,
    log: Arc<Mutex<Vec<OutboundRecord>>>,
    manifest: OnceLock<Value>,
}

impl Harness {
    /// Loads and links the component.
    pub fn new(options: HarnessOptions) -> anyhow::Result<Self> {
        let path = component_path(options.component.as_deref())?;
        let mut config = Config::new();
        config.wasm_component_model(true);
        let cache_dir = options.cache_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("qlik-harness-cache"));
        let mut cache_config = CacheConfig::new();
        cache_config.with_directory(cache_dir);
        config.cache(Some(Cache::new(cache_config)?));
        let engine = Engine::new(&config)?;
        let component = Component::from_file(&engine, &path)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("loading {}", path.display()))?;
        let mut linker: Linker<Ctx> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        kv::add_to_linker(&mut linker, kv_view)?;
        let pre = linker.instantiate_pre(&component)?;
        let kv = match &options.state_dir {
            Some(dir) => KvStore::in_dir(dir)?,
            None => KvStore::in_memory(),
        };
        Ok(Harness {
            engine,
            component,
            pre,
            kv,
            policy: Arc::new(options.outbound),
            log: Default::default(),
            manifest: OnceLock::new(),
        })
    }

    /// Every function in the component's exported interfaces, read from its type.
    pub fn wit_exports(&self) -> Vec<WitExport> {
        let mut out = Vec::new();
        for (name, item) in self.component.component_type().exports(&self.engine) {
            let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
            let short = name.trim_start_matches(&format!("{PACKAGE}/")).split('@').next().unwrap_or(name).to_string();
            for (function, item) in instance.exports(&self.engine) {
                if matches!(item.ty, ComponentItem::ComponentFunc(_)) {
                    out.push(WitExport { interface: short.clone(), function: function.to_string() });
                }
            }
        }
        out.sort();
        out
    }

    /// What the component sent so far (allowed or not).
    pub fn outbound_log(&self) -> Vec<OutboundRecord> {
        self.log.lock().unwrap().clone()
    }

    fn new_store(&self) -> Store<Ctx> {
        let ctx = Ctx {
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            hooks: Hooks::new(self.policy.clone(), self.log.clone()),
            table: ResourceTable::new(),
            kv: self.kv.clone(),
        };
        Store::new(&self.engine, ctx)
    }

    /// Instantiates the component once and drops it (for the benchmark).
    pub async fn instantiate_only(&self) -> anyhow::Result<()> {
        let mut store = self.new_store();
        self.pre.instantiate_async(&mut store).await?;
        Ok(())
    }

    /// Calls `interface.function` of a fresh instance with `params`; returns its one result.
    pub async fn call_raw(&self, interface: &str, function: &str, params: &[Val]) -> anyhow::Result<Val> {
        let mut store = self.new_store();
        let instance = self.pre.instantiate_async(&mut store).await?;
        let interface_index = instance
            .get_export_index(&mut store, None, &interface_name(interface))
            .ok_or_else(|| anyhow!("the component exports no interface {interface}"))?;
        let function_index = instance
            .get_export_index(&mut store, Some(&interface_index), function)
            .ok_or_else(|| anyhow!("{interface} has no function {function}"))?;
        let func = instance.get_func(&mut store, function_index).ok_or_else(|| anyhow!("{function} is not a function"))?;
        let mut results = [Val::Bool(false)];
        func.call_async(&mut store, params, &mut results).await?;
        let [result] = results;
        Ok(result)
    }

    /// The component's manifest (`manifest.get`), read once.
    pub async fn manifest(&self) -> anyhow::Result<Value> {
        if let Some(manifest) = self.manifest.get() {
            return Ok(manifest.clone());
        }
        let Val::String(text) = self.call_raw("manifest", "get", &[]).await? else { bail!("manifest.get returned no string") };
        let manifest: Value = serde_json::from_str(&text).context("manifest.get returned invalid JSON")?;
        Ok(self.manifest.get_or_init(|| manifest).clone())
    }

    /// The manifest entry (action, data source or trigger) with this key or WIT name.
    pub async fn find_export(&self, key: &str) -> anyhow::Result<Value> {
        let manifest = self.manifest().await?;
        ["actions", "dataSources", "triggers"]
            .iter()
            .flat_map(|group| manifest[group].as_array().cloned().unwrap_or_default())
            .find(|entry| entry["key"] == key || entry["witName"] == key)
            .ok_or_else(|| anyhow!("no export named `{key}`; `qlik-harness exports` lists them"))
    }

    /// Calls the export `key` with a connection (JSON form) and an input object.
    pub async fn call(&self, key: &str, connection: &Value, input: &Value) -> anyhow::Result<Outcome> {
        let entry = self.find_export(key).await?;
        let interface = entry["interface"].as_str().unwrap_or_default().to_string();
        let function = entry["witName"].as_str().unwrap_or_default().to_string();
        let input_text = match input {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let params = [values::connection(connection)?, Val::String(input_text)];
        let result = self.call_raw(&interface, &function, &params).await?;
        let Val::Result(result) = result else { bail!("{function} did not return a result") };
        Ok(match result {
            Ok(Some(value)) => Outcome::Ok(match *value {
                // Actions return JSON text; everything else is typed.
                Val::String(text) => serde_json::from_str(&text).with_context(|| format!("{key} returned invalid JSON"))?,
                other => values::to_json(&other),
            }),
            Ok(None) => Outcome::Ok(Value::Null),
            Err(error) => Outcome::Err(error.map(|e| values::to_json(&e)).unwrap_or(Value::Null)),
        })
    }
}
