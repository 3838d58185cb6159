//! `wasi:keyvalue/store` for the component: buckets kept in memory for the harness's lifetime,
//! and, with a state directory, in one JSON file per bucket written atomically (temp file +
//! rename), so trigger state and cached tokens survive between CLI calls.

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
pub enum KvError {
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
        Ok(KvStore { dir: Some(dir.to_path_buf()), memory: Default::default() })
    }

    fn file(&self, bucket: &str) -> Option<PathBuf> {
        let safe: String = bucket.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let safe = if safe.is_empty() { "default".to_string() } else { safe };
        self.dir.as_ref().map(|d| d.join(format!("{safe}.kv.json")))
    }

    /// Reads a whole bucket.
    pub fn load(&self, bucket: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
        let Some(file) = self.file(bucket) else {
            return Ok(self.memory.lock().unwrap().get(bucket).cloned().unwrap_or_default());
        };
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(format!("reading {}: {e}", file.display())),
        };
        let map: Map<String, Value> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(map.into_iter().map(|(k, v)| (k, decode(&v))).collect())
    }

    /// Applies a change to a bucket and writes it back.
    pub fn update(&self, bucket: &str, change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Result<(), String> {
        let Some(file) = self.file(bucket) else {
            change(self.memory.lock().unwrap().entry(bucket.to_string()).or_default());
            return Ok(());
        };
        let mut map = self.load(bucket)?;
        change(&mut map);
        let json: Map<String, Value> = map.iter().map(|(k, v)| (k.clone(), encode(v))).collect();
        let temp = file.with_extension(format!("tmp{}", std::process::id()));
        write_private(&temp, &serde_json::to_vec_pretty(&json).unwrap()).map_err(|e| format!("writing {}: {e}", temp.display()))?;
        std::fs::rename(&temp, &file).map_err(|e| format!("replacing {}: {e}", file.display()))
    }
}

/// Writes a new file readable by its owner only (0600 on Unix).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Values are kept as text when they are UTF-8 (they usually are JSON), else as a byte list.
fn encode(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
    }
}

fn decode(value: &Value) -> Vec<u8> {
    match value {
        Value::String(text) => text.clone().into_bytes(),
        Value::Array(items) => items.iter().filter_map(|b| b.as_u64().map(|b| b as u8)).collect(),
        _ => Vec::new(),
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
        Ok(self.table.push(Bucket { name: identifier })?)
    }

    fn convert_error(&mut self, err: KvError) -> wasmtime::Result<store::Error> {
        match err {
            KvError::Other(e) => Ok(store::Error::Other(e)),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.load(&name).map_err(KvError::Other)?.remove(&key))
    }

    fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        self.store.update(&name, |map| {
            map.insert(key, value);
        })
        .map_err(KvError::Other)
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), KvError> {
        let name = self.bucket(&bucket)?;
        self.store.update(&name, |map| {
            map.remove(&key);
        })
        .map_err(KvError::Other)
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, KvError> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.load(&name).map_err(KvError::Other)?.contains_key(&key))
    }

    fn list_keys(&mut self, bucket: Resource<Bucket>, cursor: Option<u64>) -> Result<store::KeyResponse, KvError> {
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

    #[test]
    fn dir_store_persists_across_instances_and_keeps_binary() {
        let dir = std::env::temp_dir().join(format!("qlik-kv-test-{}", std::process::id()));
        let store = KvStore::in_dir(&dir).unwrap();
        store.update("default", |m| {
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
}
