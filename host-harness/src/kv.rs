//! `wasi:keyvalue/store` for the component: buckets kept in memory for the harness's lifetime,
//! and, with a state directory, in one JSON file per bucket (`<bucket>.kv.json`), so trigger
//! state and cached tokens survive between CLI calls.
//!
//! Every change is a read-modify-write under an exclusive lock on `<bucket>.kv.lock` (held across
//! processes and threads), written to a unique temp file in the same directory and renamed over
//! the bucket file, so readers see the old or the new file whole and no concurrent update is
//! lost. A bucket file that cannot be parsed is a storage error naming it, never an empty bucket:
//! the component must be able to tell "storage failed" from "nothing stored yet".

use anyhow::Context as _;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wasmtime::component::{HasData, Resource, ResourceTable};

mod generated {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "qlik:connector/connector",
        imports: { default: trappable },
        with: { "wasi:keyvalue/store.bucket": super::Bucket },
        trappable_error_type: { "wasi:keyvalue/store.error" => super::KvError },
    });
}

use generated::wasi::keyvalue::store;

/// Errors the store reports to the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    /// `open` of a bucket the store does not have (see [`KvStore::with_buckets`]).
    NoSuchStore,
    /// The host refused access.
    AccessDenied,
    /// An I/O or encoding failure.
    Other(String),
}

impl From<wasmtime::component::ResourceTableError> for KvError {
    fn from(e: wasmtime::component::ResourceTableError) -> Self {
        KvError::Other(e.to_string())
    }
}

/// An open bucket: its name.
pub struct Bucket {
    name: String,
}

/// Bucket name → its entries.
type Buckets = HashMap<String, BTreeMap<String, Vec<u8>>>;

/// Where buckets live.
#[derive(Clone, Default)]
pub struct KvStore {
    dir: Option<PathBuf>,
    memory: Arc<Mutex<Buckets>>,
    failures: Arc<Mutex<InjectedFailures>>,
    /// The only bucket names `open` accepts; every name when `None`.
    buckets: Option<Arc<[String]>>,
}

/// Which guest calls an injected failure hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOp {
    /// `get`, `exists`, `list-keys`.
    Read,
    /// `set`, `delete`.
    Write,
}

/// Guest calls still to fail, per kind (tests of the component's storage-error paths).
#[derive(Debug, Default)]
struct InjectedFailures {
    reads: u32,
    writes: u32,
    /// Bucket name → the error every `open` of it answers.
    opens: HashMap<String, KvError>,
}

impl KvStore {
    /// A store kept in memory only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A store persisted under `dir`. A missing `dir` is created readable by its owner only
    /// (0700 on Unix: bucket files hold bearer tokens); an existing one is used as it is.
    pub fn in_dir(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).with_context(|| format!("creating state dir {}", dir.display()))?;
        }
        Ok(KvStore { dir: Some(dir.to_path_buf()), ..Default::default() })
    }

    /// The same store exposing only the buckets `names`: `open` of any other name answers
    /// `no-such-store` (as `wasmtime serve -S keyvalue`, whose only bucket is `""`). In a state
    /// dir, `""` is kept in `default.kv.json` (as the Node host does).
    pub fn with_buckets(self, names: impl IntoIterator<Item = String>) -> Self {
        KvStore { buckets: Some(names.into_iter().collect()), ..self }
    }

    /// Makes every guest `open` of `bucket` fail with `error` (`None` ends it). For tests.
    pub fn fail_open(&self, bucket: &str, error: Option<KvError>) {
        let opens = &mut self.failures.lock().unwrap().opens;
        match error {
            Some(error) => opens.insert(bucket.to_string(), error),
            None => opens.remove(bucket),
        };
    }

    /// Whether a guest may open `bucket`: an injected failure, else a name not exposed, fails.
    fn check_open(&self, bucket: &str) -> Result<(), KvError> {
        if let Some(error) = self.failures.lock().unwrap().opens.get(bucket) {
            return Err(error.clone());
        }
        match &self.buckets {
            Some(names) if !names.iter().any(|n| n == bucket) => Err(KvError::NoSuchStore),
            _ => Ok(()),
        }
    }

    /// `<dir>/<bucket>` with characters outside `[A-Za-z0-9_-]` replaced; the caller adds the
    /// extension.
    fn base(&self, bucket: &str) -> Option<PathBuf> {
        let safe: String =
            bucket.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let safe = if safe.is_empty() { "default".to_string() } else { safe };
        self.dir.as_ref().map(|d| d.join(safe))
    }

    fn file(&self, bucket: &str) -> Option<PathBuf> {
        self.base(bucket).map(|base| base.with_extension("kv.json"))
    }

    /// Makes the next `count` guest calls of kind `op` fail with a storage error (nothing is
    /// read or written by them). For tests: the library API only, never the CLI.
    pub fn fail_next(&self, op: KvOp, count: u32) {
        let mut failures = self.failures.lock().unwrap();
        match op {
            KvOp::Read => failures.reads = count,
            KvOp::Write => failures.writes = count,
        }
    }

    /// Spends one injected failure of kind `op`, if any is left.
    fn injected_failure(&self, op: KvOp) -> Result<(), KvError> {
        let mut failures = self.failures.lock().unwrap();
        let left = match op {
            KvOp::Read => &mut failures.reads,
            KvOp::Write => &mut failures.writes,
        };
        if *left == 0 {
            return Ok(());
        }
        *left -= 1;
        Err(KvError::Other(format!("injected storage failure ({op:?})")))
    }

    /// Reads a whole bucket.
    pub fn load(&self, bucket: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
        match self.file(bucket) {
            Some(file) => read_bucket(&file),
            None => Ok(self.memory.lock().unwrap().get(bucket).cloned().unwrap_or_default()),
        }
    }

    /// Applies a change to a bucket and writes it back, holding the bucket's lock throughout.
    pub fn update(&self, bucket: &str, change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Result<(), String> {
        let (Some(file), Some(base)) = (self.file(bucket), self.base(bucket)) else {
            change(self.memory.lock().unwrap().entry(bucket.to_string()).or_default());
            return Ok(());
        };
        let lock_path = base.with_extension("kv.lock");
        let lock = private_options().read(true).write(true).create(true).truncate(false).open(&lock_path);
        let lock = lock.map_err(|e| format!("opening the lock file {}: {e}", lock_path.display()))?;
        lock.lock().map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
        let mut map = read_bucket(&file)?;
        change(&mut map);
        let json: Map<String, Value> = map.iter().map(|(k, v)| (k.clone(), encode(v))).collect();
        write_atomically(&file, &serde_json::to_vec_pretty(&json).unwrap())
        // `lock` is released when it is closed, here.
    }
}

/// Options for a new file readable by its owner only (0600 on Unix).
fn private_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// The entries of a bucket file; none when it does not exist yet.
fn read_bucket(file: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let corrupt = |why: String| {
        format!(
            "the state file {} is corrupt ({why}); fix it, or delete it to start over without stored state",
            file.display()
        )
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Err(corrupt("not UTF-8".into())),
        Err(e) => return Err(format!("reading the state file {}: {e}", file.display())),
    };
    let map: Map<String, Value> = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    map.into_iter()
        .map(|(key, value)| match decode(&value) {
            Some(bytes) => Ok((key, bytes)),
            None => Err(corrupt(format!("the value of `{key}` is neither text nor a list of bytes"))),
        })
        .collect()
}

/// Replaces `file` with `bytes`: a unique temp file in the same directory (0600), flushed to
/// disk, then renamed over it.
fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let dir = file.parent().unwrap_or(Path::new("."));
    let prefix = format!(".{}.", file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut temp = builder.tempfile_in(dir).map_err(|e| format!("creating a temp file in {}: {e}", dir.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| format!("writing {}: {e}", temp.path().display()))?;
    temp.persist(file).map_err(|e| format!("replacing {}: {}", file.display(), e.error))?;
    Ok(())
}

/// Values are kept as text when they are UTF-8 (they usually are JSON), else as a byte list.
fn encode(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
    }
}

/// The bytes [`encode`] wrote; `None` for anything it cannot have written.
fn decode(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.clone().into_bytes()),
        Value::Array(items) => items.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect(),
        _ => None,
    }
}

/// The store as seen by one component instance.
pub struct KvView<'a> {
    /// The store.
    pub store: &'a KvStore,
    /// The instance's resource table.
    pub table: &'a mut ResourceTable,
}

impl KvView<'_> {
    fn bucket(&self, bucket: &Resource<Bucket>) -> Result<String, KvError> {
        Ok(self.table.get(bucket)?.name.clone())
    }
}

impl store::Host for KvView<'_> {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, KvError> {
        self.store.check_open(&identifier)?;
        Ok(self.table.push(Bucket { name: identifier })?)
    }

    fn convert_error(&mut self, err: KvError) -> wasmtime::Result<store::Error> {
        match err {
            KvError::NoSuchStore => Ok(store::Error::NoSuchStore),
            KvError::AccessDenied => Ok(store::Error::AccessDenied),
            KvError::Other(e) => Ok(store::Error::Other(e)),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, KvError> {
        self.store.injected_failure(KvOp::Read)?;
        let name = self.bucket(&bucket)?;
        Ok(self.store.load(&name).map_err(KvError::Other)?.remove(&key))
    }

    fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), KvError> {
        self.store.injected_failure(KvOp::Write)?;
        let name = self.bucket(&bucket)?;
        self.store
            .update(&name, |map| {
                map.insert(key, value);
            })
            .map_err(KvError::Other)
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), KvError> {
        self.store.injected_failure(KvOp::Write)?;
        let name = self.bucket(&bucket)?;
        self.store
            .update(&name, |map| {
                map.remove(&key);
            })
            .map_err(KvError::Other)
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, KvError> {
        self.store.injected_failure(KvOp::Read)?;
        let name = self.bucket(&bucket)?;
        Ok(self.store.load(&name).map_err(KvError::Other)?.contains_key(&key))
    }

    fn list_keys(&mut self, bucket: Resource<Bucket>, cursor: Option<u64>) -> Result<store::KeyResponse, KvError> {
        self.store.injected_failure(KvOp::Read)?;
        let name = self.bucket(&bucket)?;
        let keys: Vec<String> = self.store.load(&name).map_err(KvError::Other)?.into_keys().collect();
        let start = usize::try_from(cursor.unwrap_or(0)).unwrap_or(usize::MAX).min(keys.len());
        Ok(store::KeyResponse { keys: keys[start..].to_vec(), cursor: None })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

struct HasKv;

impl HasData for HasKv {
    type Data<'a> = KvView<'a>;
}

/// Adds `wasi:keyvalue/store` to a linker.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    view: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<_, HasKv>(linker, view)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory for one test (removed by the test when it passes).
    fn temp_dir(name: &str) -> PathBuf {
        tempfile::Builder::new().prefix(&format!("qlik-kv-{name}-")).tempdir().unwrap().keep()
    }

    /// Sets `<prefix>-0` … `<prefix>-<count-1>` one update at a time through its own store.
    fn write_keys(dir: &Path, prefix: &str, count: usize) {
        let store = KvStore::in_dir(dir).unwrap();
        for i in 0..count {
            store
                .update("default", |m| {
                    m.insert(format!("{prefix}-{i}"), format!("{i}").into_bytes());
                })
                .unwrap();
        }
    }

    fn assert_all_keys(dir: &Path, prefixes: &[String], count: usize) {
        let map = KvStore::in_dir(dir).unwrap().load("default").unwrap();
        for prefix in prefixes {
            for i in 0..count {
                assert_eq!(
                    map.get(&format!("{prefix}-{i}")),
                    Some(&format!("{i}").into_bytes()),
                    "{prefix}-{i} was lost"
                );
            }
        }
        assert_eq!(map.len(), prefixes.len() * count);
    }

    #[test]
    fn concurrent_threads_lose_no_update() {
        let dir = temp_dir("threads");
        let prefixes: Vec<String> = (0..8).map(|t| format!("thread{t}")).collect();
        std::thread::scope(|scope| {
            for prefix in &prefixes {
                scope.spawn(|| write_keys(&dir, prefix, 30));
            }
        });
        assert_all_keys(&dir, &prefixes, 30);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left behind: {leftovers:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Run as a child process (the test binary re-executed with `QLIK_KV_WRITER=<dir>/<prefix>`),
    /// this test is one writer; run normally, it starts three writers and checks their keys.
    #[test]
    fn concurrent_processes_lose_no_update() {
        const NAME: &str = "kv::tests::concurrent_processes_lose_no_update";
        const COUNT: usize = 30;
        if let Some(writer) = std::env::var_os("QLIK_KV_WRITER") {
            let writer = PathBuf::from(writer);
            write_keys(writer.parent().unwrap(), &writer.file_name().unwrap().to_string_lossy(), COUNT);
            return;
        }
        let dir = temp_dir("processes");
        let prefixes: Vec<String> = (0..3).map(|p| format!("process{p}")).collect();
        let children: Vec<_> = prefixes
            .iter()
            .map(|prefix| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args(["--exact", NAME, "--test-threads=1", "--quiet"])
                    .env("QLIK_KV_WRITER", dir.join(prefix))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success(), "a writer process failed");
        }
        assert_all_keys(&dir, &prefixes, COUNT);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_bucket_file_is_a_storage_error_not_an_empty_bucket() {
        let dir = temp_dir("corrupt");
        let file = dir.join("default.kv.json");
        for corrupt in ["{not json", "[1, 2]", r#"{"k": {"x": 1}}"#, r#"{"k": [1, 256]}"#] {
            std::fs::write(&file, corrupt).unwrap();
            let store = KvStore::in_dir(&dir).unwrap();
            for error in [store.load("default").unwrap_err(), store.update("default", |m| m.clear()).unwrap_err()] {
                assert!(error.contains(&file.display().to_string()), "{corrupt}: {error}");
                assert!(error.contains("corrupt") && error.contains("delete it"), "{corrupt}: {error}");
            }
            assert_eq!(std::fs::read_to_string(&file).unwrap(), corrupt, "a failed update must not overwrite the file");
        }
        // Deleting it starts over.
        std::fs::remove_file(&file).unwrap();
        assert!(KvStore::in_dir(&dir).unwrap().load("default").unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn created_dir_and_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let root = temp_dir("modes");
        let dir = root.join("state");
        let store = KvStore::in_dir(&dir).unwrap();
        store.update("default", |m| drop(m.insert("k".into(), b"v".to_vec()))).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("default.kv.json")), 0o600);
        assert_eq!(mode(&dir.join("default.kv.lock")), 0o600);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn dir_store_persists_across_instances_and_keeps_binary() {
        let dir = temp_dir("persist");
        let store = KvStore::in_dir(&dir).unwrap();
        store
            .update("default", |m| {
                m.insert("a/b:c".into(), b"{\"x\":1}".to_vec());
                m.insert("bin".into(), vec![0xff, 0x00]);
            })
            .unwrap();
        let again = KvStore::in_dir(&dir).unwrap();
        let map = again.load("default").unwrap();
        assert_eq!(map["a/b:c"], b"{\"x\":1}");
        assert_eq!(map["bin"], vec![0xff, 0x00]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// What a guest's `open` of `name` answers.
    fn open(store: &KvStore, name: &str) -> Result<(), KvError> {
        let mut table = ResourceTable::new();
        let mut view = KvView { store, table: &mut table };
        store::Host::open(&mut view, name.to_string()).map(drop)
    }

    #[test]
    fn buckets_limit_what_opens_and_injected_open_failures_apply() {
        let every = KvStore::in_memory();
        assert_eq!(open(&every, "default"), Ok(()));
        assert_eq!(open(&every, ""), Ok(()));
        let only_empty = KvStore::in_memory().with_buckets(["".to_string()]);
        assert_eq!(open(&only_empty, ""), Ok(()));
        assert_eq!(open(&only_empty, "default"), Err(KvError::NoSuchStore));
        let mut table = ResourceTable::new();
        let mut view = KvView { store: &only_empty, table: &mut table };
        assert!(matches!(store::Host::convert_error(&mut view, KvError::NoSuchStore), Ok(store::Error::NoSuchStore)));
        assert!(matches!(store::Host::convert_error(&mut view, KvError::AccessDenied), Ok(store::Error::AccessDenied)));

        every.fail_open("default", Some(KvError::AccessDenied));
        assert_eq!(open(&every, "default"), Err(KvError::AccessDenied));
        assert_eq!(open(&every, ""), Ok(()), "only the named bucket fails");
        every.fail_open("default", None);
        assert_eq!(open(&every, "default"), Ok(()));
    }
}
