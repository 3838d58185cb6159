//! The wasmtime host, in two parts:
//!
//! - [`Runtime`]: what depends only on the component file, built once and shared (`Arc`): the
//!   engine, the compiled component (with wasmtime's compile cache), an `InstancePre` linking
//!   WASI, `wasi:http` (through [`Hooks`]) and the harness's `wasi:keyvalue`, and, read on first
//!   use, the manifest and every export resolved to its `ComponentExportIndex` by key and WIT
//!   name. [`Runtime::shared`] keeps one per component file per process.
//! - [`Harness`]: one host's state on top of a runtime: its storage, outbound policy and log.
//!   Every call instantiates a fresh instance from the `InstancePre`.

use crate::kv::{self, KvStore, KvView};
use crate::limits;
use crate::outbound::{Hooks, Outbound, OutboundPolicy, OutboundRecord};
pub use crate::outcome::Outcome;
use crate::pool::ConnectionPool;
use crate::values;
use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker, ResourceTable, Val};
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
            "no component at {}: build it with `cargo build -p qlik-harness` (its build script builds the component), or pass --component",
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
    /// Used when the component is first loaded in this process (see [`Runtime::shared`]).
    pub cache_dir: Option<PathBuf>,
    /// Environment variables the component sees (WASI `environment`), e.g.
    /// `QLIK_CONNECTOR_REQUEST_DEADLINE_MS` to shorten each request's deadline.
    pub component_env: Vec<(String, String)>,
    /// How long one call may compute (not wait) before it is stopped; [`limits::GUEST_COMPUTE`]
    /// when `None`.
    pub guest_compute: Option<std::time::Duration>,
    /// A new connection per request instead of the harness's keep-alive pool (for comparison
    /// in the benchmark; see [`crate::pool`]).
    pub fresh_connections: bool,
    /// The only bucket names the component's `wasi:keyvalue` store has (`open` of any other
    /// answers `no-such-store`, see [`KvStore::with_buckets`]); every name when `None`.
    pub kv_buckets: Option<Vec<String>>,
}

/// Per-call store state.
pub struct Ctx {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: Hooks,
    table: ResourceTable,
    kv: KvStore,
    limits: limits::GuestLimits,
    /// Epoch ticks left for computing (see [`crate::limits`]).
    compute_ticks_left: u64,
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

/// A manifest entry resolved against the component.
struct Export {
    /// `actions`, `dataSources` or `triggers`, and the position in that list.
    group: &'static str,
    position: usize,
    /// The entry's key (for messages).
    key: String,
    /// The exported function.
    func: ComponentExportIndex,
}

/// What is read from the component on first use: its manifest and its exports by key and WIT name.
struct Loaded {
    manifest: Value,
    exports: HashMap<String, Export>,
}

/// The manifest groups holding exports.
const GROUPS: [&str; 3] = ["actions", "dataSources", "triggers"];

/// A compiled, linked component; share it between harnesses with `Arc`.
pub struct Runtime {
    path: PathBuf,
    engine: Engine,
    component: Component,
    pre: InstancePre<Ctx>,
    loaded: tokio::sync::OnceCell<Loaded>,
    /// The largest linear memory any call's instance reached, bytes (see [`Runtime::take_peak_guest_memory`]).
    peak_guest_memory: Arc<std::sync::atomic::AtomicUsize>,
}

/// The engine configuration every runtime uses (and a precompiled file must match): the
/// component model, the [`limits`], and the compile cache in `cache_dir` (default the OS temp
/// dir's `qlik-harness-cache`).
fn engine_config(cache_dir: Option<&Path>, pooling: bool) -> anyhow::Result<Config> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    limits::configure(&mut config, pooling);
    // For profiling only: `perf` then names the guest's functions (from /tmp/perf-PID.map).
    if std::env::var_os("QLIK_HARNESS_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let cache_dir = cache_dir.map_or_else(|| std::env::temp_dir().join("qlik-harness-cache"), Path::to_path_buf);
    let mut cache_config = CacheConfig::new();
    cache_config.with_directory(cache_dir);
    config.cache(Some(Cache::new(cache_config)?));
    Ok(config)
}

/// A component file's identity for the process-wide cache: modification time and size.
type Stamp = (Option<SystemTime>, u64);

/// The process-wide runtimes, by canonical component path.
type Runtimes = Mutex<HashMap<PathBuf, (Stamp, Arc<Runtime>)>>;

fn stamp(path: &Path) -> anyhow::Result<Stamp> {
    let metadata = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((metadata.modified().ok(), metadata.len()))
}

impl Runtime {
    /// Compiles (or loads from the compile cache in `cache_dir`, default the OS temp dir's
    /// `qlik-harness-cache`) and links the component at `path`.
    ///
    /// A file ending in `.cwasm` is a component precompiled by [`Runtime::precompile`] (or
    /// `qlik-harness precompile`) and is loaded without compiling. wasmtime refuses one made by
    /// another version or configuration; its code is trusted, so load only files you made.
    pub fn load(path: &Path, cache_dir: Option<&Path>) -> anyhow::Result<Runtime> {
        Runtime::load_with_allocator(path, cache_dir, true)
    }

    /// As [`Runtime::load`], with wasmtime's pooling allocator or (`pooling` false) instances
    /// allocated on demand.
    pub fn load_with_allocator(path: &Path, cache_dir: Option<&Path>, pooling: bool) -> anyhow::Result<Runtime> {
        let engine = Engine::new(&engine_config(cache_dir, pooling)?)?;
        limits::start_ticking(&engine);
        let component = if path.extension().is_some_and(|e| e == "cwasm") {
            // SAFETY: a precompiled file is native code; the caller made it (see above), and
            // wasmtime checks that this engine's version and configuration produced it.
            unsafe { Component::deserialize_file(&engine, path) }
        } else {
            Component::from_file(&engine, path)
        };
        let component =
            component.map_err(anyhow::Error::from).with_context(|| format!("loading {}", path.display()))?;
        let mut linker: Linker<Ctx> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        kv::add_to_linker(&mut linker, kv_view)?;
        let pre = linker.instantiate_pre(&component)?;
        Ok(Runtime {
            path: path.to_path_buf(),
            engine,
            component,
            pre,
            loaded: tokio::sync::OnceCell::new(),
            peak_guest_memory: Arc::default(),
        })
    }

    /// Compiles the component at `path` ahead of time for this harness's engine configuration;
    /// returns the bytes of a `.cwasm` file that [`Runtime::load`] loads without compiling.
    pub fn precompile(path: &Path) -> anyhow::Result<Vec<u8>> {
        let mut config = engine_config(None, true)?;
        config.cache(None);
        let engine = Engine::new(&config)?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        engine
            .precompile_component(&bytes)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling {}", path.display()))
    }

    /// The process's runtime for the component at `path`: loaded on first use, then reused until
    /// the file's modification time or size changes. Concurrent first uses wait for one load.
    pub fn shared(path: &Path, cache_dir: Option<&Path>) -> anyhow::Result<Arc<Runtime>> {
        static RUNTIMES: OnceLock<Runtimes> = OnceLock::new();
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let stamp = stamp(&key)?;
        // Held while loading, so a test binary's concurrent first harnesses compile once.
        let mut runtimes =
            RUNTIMES.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((known, runtime)) = runtimes.get(&key) {
            if *known == stamp {
                return Ok(runtime.clone());
            }
        }
        let runtime = Arc::new(Runtime::load(path, cache_dir)?);
        runtimes.insert(key, (stamp, runtime.clone()));
        Ok(runtime)
    }

    /// The component file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The largest linear memory a call's instance reached since the last time this was asked,
    /// in bytes (calls still running report when they end).
    pub fn take_peak_guest_memory(&self) -> usize {
        self.peak_guest_memory.swap(0, std::sync::atomic::Ordering::Relaxed)
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

    /// How many functions the component imports (from every imported interface) and exports:
    /// what instantiating it costs in proportion to (the benchmark's floor line).
    pub fn function_counts(&self) -> (usize, usize) {
        let count = |items: &mut dyn Iterator<Item = ComponentItem>| {
            items
                .map(|item| match item {
                    ComponentItem::ComponentInstance(instance) => instance
                        .exports(&self.engine)
                        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                        .count(),
                    ComponentItem::ComponentFunc(_) => 1,
                    _ => 0,
                })
                .sum()
        };
        let ty = self.component.component_type();
        let imports = count(&mut ty.imports(&self.engine).map(|(_, item)| item.ty));
        let exports = count(&mut ty.exports(&self.engine).map(|(_, item)| item.ty));
        (imports, exports)
    }

    /// The function `interface.function` (short interface name) of the component.
    fn func_index(&self, interface: &str, function: &str) -> anyhow::Result<ComponentExportIndex> {
        let interface_index = self
            .component
            .get_export_index(None, interface_name(interface))
            .ok_or_else(|| anyhow!("the component exports no interface {interface}"))?;
        self.component
            .get_export_index(Some(&interface_index), function)
            .ok_or_else(|| anyhow!("{interface} has no function {function}"))
    }

    /// A store for one call: its memory bounded, its computing time budgeted (a call that
    /// spins traps; one that waits on I/O only yields, once per tick it ran).
    fn store(&self, ctx: Ctx) -> Store<Ctx> {
        let mut store = Store::new(&self.engine, ctx);
        store.limiter(|ctx| &mut ctx.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let left = &mut ctx.data_mut().compute_ticks_left;
            if *left == 0 {
                return Err(wasmtime::Error::msg(
                    "the component computed for longer than its limit without waiting; the call was stopped",
                ));
            }
            *left -= 1;
            Ok(wasmtime::UpdateDeadline::Yield(1))
        });
        store
    }

    /// Instantiates the component in `store` and calls `func` with `params`; returns its one result.
    async fn call_index(
        &self,
        mut store: Store<Ctx>,
        func: ComponentExportIndex,
        params: &[Val],
    ) -> anyhow::Result<Val> {
        let instance = self.pre.instantiate_async(&mut store).await?;
        let func = instance.get_func(&mut store, func).ok_or_else(|| anyhow!("the export is not a function"))?;
        let mut results = [Val::Bool(false)];
        func.call_async(&mut store, params, &mut results).await?;
        let [result] = results;
        Ok(result)
    }

    /// The manifest and export table, read from the component on first use.
    async fn loaded(&self) -> anyhow::Result<&Loaded> {
        self.loaded.get_or_try_init(|| self.read_manifest()).await
    }

    async fn read_manifest(&self) -> anyhow::Result<Loaded> {
        // `manifest.get` does no I/O: no storage to share, every host denied.
        let outbound = Outbound::new(Arc::default(), Arc::default(), ConnectionPool::new(false));
        let ctx = Ctx::new(KvStore::in_memory(), outbound, &[], limits::GUEST_COMPUTE, Arc::default());
        let func = self.func_index("manifest", "get")?;
        let Val::String(text) = self.call_index(self.store(ctx), func, &[]).await? else {
            bail!("manifest.get returned no string")
        };
        let manifest: Value = serde_json::from_str(&text).context("manifest.get returned invalid JSON")?;
        let mut exports = HashMap::new();
        for group in GROUPS {
            for (position, entry) in manifest[group].as_array().into_iter().flatten().enumerate() {
                let (Some(key), Some(wit_name)) = (entry["key"].as_str(), entry["witName"].as_str()) else {
                    bail!("a manifest entry in {group} has no key or witName: {entry}");
                };
                let interface = entry["interface"].as_str().unwrap_or_default();
                let func = self.func_index(interface, wit_name).with_context(|| format!("the manifest's {key}"))?;
                for name in [key, wit_name] {
                    exports.insert(name.to_string(), Export { group, position, key: key.to_string(), func });
                }
            }
        }
        Ok(Loaded { manifest, exports })
    }

    /// The component's manifest (`manifest.get`), read once per runtime.
    pub async fn manifest(&self) -> anyhow::Result<&Value> {
        Ok(&self.loaded().await?.manifest)
    }

    /// The manifest entry (action, data source or trigger) with this key or WIT name.
    pub async fn find_export(&self, key: &str) -> anyhow::Result<&Value> {
        let loaded = self.loaded().await?;
        let export = loaded
            .exports
            .get(key)
            .ok_or_else(|| anyhow!("no export named `{key}`; `qlik-harness exports` lists them"))?;
        Ok(&loaded.manifest[export.group][export.position])
    }
}

impl Ctx {
    fn new(
        kv: KvStore,
        outbound: Outbound,
        env: &[(String, String)],
        compute: std::time::Duration,
        peak_memory: Arc<std::sync::atomic::AtomicUsize>,
    ) -> Ctx {
        Ctx {
            wasi: WasiCtx::builder().envs(env).build(),
            http: WasiHttpCtx::new(),
            hooks: Hooks::new(outbound),
            table: ResourceTable::new(),
            kv,
            limits: limits::GuestLimits::new(peak_memory),
            compute_ticks_left: limits::compute_ticks(compute),
        }
    }
}

/// A loaded component with one host's state (storage, outbound policy and log), ready to call.
pub struct Harness {
    runtime: Arc<Runtime>,
    kv: KvStore,
    outbound: Outbound,
    env: Arc<[(String, String)]>,
    /// How long one call may compute.
    compute: std::time::Duration,
}

impl Harness {
    /// A harness on the process's shared [`Runtime`] for the component (loaded and linked on
    /// first use, see [`Runtime::shared`]).
    pub fn new(options: HarnessOptions) -> anyhow::Result<Self> {
        let path = component_path(options.component.as_deref())?;
        let runtime = Runtime::shared(&path, options.cache_dir.as_deref())?;
        let mut harness = Harness::with_runtime(runtime, options.state_dir.as_deref(), options.outbound)?
            .with_component_env(options.component_env);
        if let Some(names) = options.kv_buckets {
            harness.kv = harness.kv.with_buckets(names);
        }
        if options.fresh_connections {
            harness.outbound = Outbound::new(harness.outbound.policy(), Arc::default(), ConnectionPool::new(false));
        }
        Ok(harness.with_guest_compute(options.guest_compute.unwrap_or(limits::GUEST_COMPUTE)))
    }

    /// The same harness, each call allowed to compute (not wait) this long before it is stopped.
    pub fn with_guest_compute(self, compute: std::time::Duration) -> Self {
        Harness { compute, ..self }
    }

    /// The same harness, its component seeing these environment variables.
    pub fn with_component_env(self, env: Vec<(String, String)>) -> Self {
        Harness { env: env.into(), ..self }
    }

    /// A harness on a given runtime, with storage in `state_dir` (in memory when `None`).
    pub fn with_runtime(
        runtime: Arc<Runtime>,
        state_dir: Option<&Path>,
        outbound: OutboundPolicy,
    ) -> anyhow::Result<Self> {
        let kv = match state_dir {
            Some(dir) => KvStore::in_dir(dir)?,
            None => KvStore::in_memory(),
        };
        Ok(Harness {
            runtime,
            kv,
            outbound: Outbound::new(Arc::new(outbound), Arc::default(), ConnectionPool::new(true)),
            env: Arc::new([]),
            compute: limits::GUEST_COMPUTE,
        })
    }

    /// The host storage this harness gives its component (to inject failures in tests).
    pub fn kv(&self) -> &KvStore {
        &self.kv
    }

    /// The shared runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Every function in the component's exported interfaces, read from its type.
    pub fn wit_exports(&self) -> Vec<WitExport> {
        self.runtime.wit_exports()
    }

    /// What the component sent so far (allowed or not).
    pub fn outbound_log(&self) -> Vec<OutboundRecord> {
        self.outbound.log()
    }

    /// The outbound path every call of this harness sends through (policy, log, connections).
    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    fn new_store(&self) -> Store<Ctx> {
        self.runtime.store(Ctx::new(
            self.kv.clone(),
            self.outbound.clone(),
            &self.env,
            self.compute,
            self.runtime.peak_guest_memory.clone(),
        ))
    }

    /// Makes a call's store (WASI context, HTTP hooks, limits) and drops it, instantiating
    /// nothing (for the benchmark: what instantiating costs beyond the store).
    pub fn store_only(&self) {
        drop(self.new_store());
    }

    /// A store for one incoming request of [`crate::serve`]: this harness's storage, outbound
    /// path, environment and limits.
    pub(crate) fn request_store(&self) -> Store<Ctx> {
        self.new_store()
    }

    /// The pre-linked component every call and request instantiates.
    pub(crate) fn instance_pre(&self) -> &InstancePre<Ctx> {
        &self.runtime.pre
    }

    /// Instantiates the component once and drops it (for the benchmark).
    pub async fn instantiate_only(&self) -> anyhow::Result<()> {
        let mut store = self.new_store();
        self.runtime.pre.instantiate_async(&mut store).await?;
        Ok(())
    }

    /// Calls `interface.function` of a fresh instance with `params`; returns its one result.
    pub async fn call_raw(&self, interface: &str, function: &str, params: &[Val]) -> anyhow::Result<Val> {
        let func = self.runtime.func_index(interface, function)?;
        self.runtime.call_index(self.new_store(), func, params).await
    }

    /// The component's manifest (`manifest.get`), read once per runtime; a copy (see
    /// [`Runtime::manifest`] for a reference).
    pub async fn manifest(&self) -> anyhow::Result<Value> {
        self.runtime.manifest().await.cloned()
    }

    /// The manifest entry (action, data source or trigger) with this key or WIT name; a copy.
    pub async fn find_export(&self, key: &str) -> anyhow::Result<Value> {
        self.runtime.find_export(key).await.cloned()
    }

    /// Calls the export `key` (or WIT name) with a connection (JSON form) and an input object.
    pub async fn call(&self, key: &str, connection: &Value, input: &Value) -> anyhow::Result<Outcome> {
        let loaded = self.runtime.loaded().await?;
        let export = loaded
            .exports
            .get(key)
            .ok_or_else(|| anyhow!("no export named `{key}`; `qlik-harness exports` lists them"))?;
        let params = [values::connection(connection)?, Val::String(input_text(input))];
        let result = self.runtime.call_index(self.new_store(), export.func, &params).await?;
        let mut outcome = outcome(&export.key, result)?;
        if let (Outcome::Ok(poll), "triggers") = (&mut outcome, export.group) {
            records_as_json(poll);
        }
        Ok(outcome)
    }

    /// Acknowledges poll `poll_id` of the trigger (`triggers.ack-poll`, for input `acknowledge`);
    /// `input` is the trigger's input. `Ok(null)` on success.
    pub async fn ack_poll(&self, connection: &Value, input: &Value, poll_id: &str) -> anyhow::Result<Outcome> {
        let func = self.runtime.func_index("triggers", "ack-poll")?;
        let params = [values::connection(connection)?, Val::String(input_text(input)), Val::String(poll_id.into())];
        let result = self.runtime.call_index(self.new_store(), func, &params).await?;
        outcome("ack-poll", result)
    }
}

/// A poll result's records arrive as JSON text (WIT `json`); shown as the objects they are, like
/// the manifest's example payload.
fn records_as_json(poll: &mut Value) {
    for kind in ["created", "updated"] {
        for change in poll[kind].as_array_mut().into_iter().flatten() {
            if let Some(parsed) = change["record"].as_str().and_then(|text| serde_json::from_str::<Value>(text).ok()) {
                change["record"] = parsed;
            }
        }
    }
}

/// An input object as the JSON text exports take (a string is passed as it is).
fn input_text(input: &Value) -> String {
    match input {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An export's `result<_, error>` as an [`Outcome`].
fn outcome(key: &str, result: Val) -> anyhow::Result<Outcome> {
    let Val::Result(result) = result else { bail!("{key} did not return a result") };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn harnesses_share_one_runtime_and_resolve_exports_once() {
        let first = Harness::new(HarnessOptions::default()).unwrap();
        let second = Harness::new(HarnessOptions::default()).unwrap();
        assert!(Arc::ptr_eq(first.runtime(), second.runtime()), "two harnesses, one compiled component");
        let manifest = first.runtime().manifest().await.unwrap();
        assert!(std::ptr::eq(manifest, second.runtime().manifest().await.unwrap()), "one manifest");
        // Every manifest entry is reachable by key and by WIT name, and is the same entry.
        for group in GROUPS {
            for entry in manifest[group].as_array().into_iter().flatten() {
                let by_key = first.runtime().find_export(entry["key"].as_str().unwrap()).await.unwrap();
                let by_wit_name = first.runtime().find_export(entry["witName"].as_str().unwrap()).await.unwrap();
                assert!(std::ptr::eq(by_key, entry) && std::ptr::eq(by_wit_name, entry), "{entry}");
            }
        }
        assert!(first.find_export("noSuchExport").await.is_err());
        assert_eq!(first.find_export("create-space").await.unwrap()["key"], "createSpace");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_changed_component_file_is_loaded_again() {
        let dir = std::env::temp_dir().join(format!("qlik-runtime-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let copy = dir.join("component.wasm");
        std::fs::copy(component_path(None).unwrap(), &copy).unwrap();
        let options = HarnessOptions { component: Some(copy.clone()), ..Default::default() };
        let first = Harness::new(options.clone()).unwrap();
        assert!(Arc::ptr_eq(first.runtime(), Harness::new(options.clone()).unwrap().runtime()));
        assert!(!first.wit_exports().is_empty());
        // Replaced by something else (another size): the cached runtime is not used for it.
        std::fs::write(&copy, b"not a component").unwrap();
        let error = Harness::new(options.clone()).err().expect("the changed file is loaded again, and fails");
        assert!(format!("{error:#}").contains("component.wasm"), "{error:#}");
        // Harnesses made before keep working on the runtime they hold.
        assert!(first.runtime().manifest().await.is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
