//! The connector's own logic (`qlik_connector::ops`) run natively, outside the component, on a
//! [`Host`] that sends through a harness's [`Outbound`] path: the same policy, routing and
//! pooled connections the component's `wasi:http` calls use. The benchmark puts it next to
//! the component, so that the ratio measures what the component model costs and nothing else.

use crate::outbound::Outbound;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use qlik_connector::connection::{Connection, Secret};
use qlik_connector::host::{Host, HttpRequest, HttpResponse, SendError, StoreError, MAX_RESPONSE_BYTES};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions};

/// A native [`Host`]: HTTP through `outbound` (blocking on `runtime`), storage in memory.
pub struct NativeHost {
    outbound: Outbound,
    runtime: tokio::runtime::Handle,
    store: HashMap<String, Vec<u8>>,
    random_state: u64,
}

impl NativeHost {
    /// A host sending through `outbound`; its blocking calls wait on `runtime`, so run it on a
    /// blocking thread (`spawn_blocking`), never on a runtime worker.
    pub fn new(outbound: Outbound, runtime: tokio::runtime::Handle) -> Self {
        let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        NativeHost { outbound, runtime, store: HashMap::new(), random_state: seed | 1 }
    }

    async fn exchange(&self, request: &HttpRequest<'_>) -> Result<HttpResponse, SendError> {
        let mut builder = http::Request::builder().method(request.method.as_str()).uri(request.url);
        // HTTP/1.1 needs `Host`; wasmtime sets it from the authority for the component's requests.
        if let Some(authority) = request.url.parse::<http::Uri>().ok().and_then(|u| u.authority().cloned()) {
            builder = builder.header(http::header::HOST, authority.as_str());
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body = Full::new(Bytes::copy_from_slice(request.body.unwrap_or_default()));
        let outgoing = builder
            .body(body.map_err(|never| match never {}).boxed_unsync())
            .map_err(|_| SendError::Other("the request could not be built".into()))?;
        let options = RequestOptions {
            connect_timeout: Some(request.timeouts.connect),
            first_byte_timeout: Some(request.timeouts.first_byte),
            between_bytes_timeout: Some(request.timeouts.between_bytes),
        };
        let response = self.outbound.send(outgoing, Some(options)).await.map_err(send_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        let mut incoming = response.into_body();
        while let Some(frame) = incoming.frame().await {
            if let Ok(data) = frame.map_err(send_error)?.into_data() {
                if body.len() + data.len() > MAX_RESPONSE_BYTES {
                    return Err(SendError::TooLarge);
                }
                body.extend_from_slice(&data);
            }
        }
        Ok(HttpResponse { status, headers, body })
    }
}

/// wasmtime's send errors as the component's [`SendError`]s (the cases `wasi_host` tells apart).
fn send_error(error: HttpError) -> SendError {
    match error {
        HttpError::ConnectionTimeout | HttpError::DnsTimeout => {
            SendError::ConnectTimeout("connecting timed out".into())
        }
        HttpError::ConnectionReadTimeout | HttpError::HttpResponseTimeout => {
            SendError::Timeout("the tenant did not answer in time".into())
        }
        HttpError::Connect(_) | HttpError::Hyper(_) | HttpError::ConnectionRefused | HttpError::Tls(_) => {
            SendError::Connection("the connection failed".into())
        }
        HttpError::HttpRequestDenied => SendError::Other("the host denied the request".into()),
        _ => SendError::Other("the HTTP request failed".into()),
    }
}

impl Host for NativeHost {
    fn send(&mut self, request: &HttpRequest<'_>) -> Result<HttpResponse, SendError> {
        let deadline = request.timeouts.total;
        self.runtime.block_on(async {
            tokio::time::timeout(deadline, self.exchange(request))
                .await
                .unwrap_or_else(|_| Err(SendError::Timeout("the exchange passed its deadline".into())))
        })
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn now_unix_millis(&self) -> u64 {
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    }

    /// xorshift64*: retry jitter and multipart boundaries need variety, not secrecy.
    fn random_bytes(&mut self, buf: &mut [u8]) {
        for byte in buf {
            self.random_state ^= self.random_state >> 12;
            self.random_state ^= self.random_state << 25;
            self.random_state ^= self.random_state >> 27;
            *byte = (self.random_state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }

    fn store_get(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.store.get(key).cloned())
    }

    fn store_set(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.store.insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn store_delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.store.remove(key);
        Ok(())
    }
}

/// An API-key connection in the CLI's JSON form (`{"type": "apiKey", "apiKey", "tenant"}`).
pub fn api_key_connection(json: &Value) -> anyhow::Result<Connection> {
    anyhow::ensure!(json["type"] == "apiKey", "the native host takes API-key connections only");
    let text = |name: &str| json[name].as_str().unwrap_or_default().to_string();
    Ok(Connection::ApiKey { api_key: Secret(text("apiKey")), tenant: text("tenant") })
}

/// Runs the action `key` natively on a blocking thread: its output, or the error's kind and
/// message.
pub async fn run_action(outbound: &Outbound, key: &str, connection: &Value, input: &Value) -> anyhow::Result<Value> {
    let connection = api_key_connection(connection)?;
    let (outbound, key, input) = (outbound.clone(), key.to_string(), input.to_string());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut host = NativeHost::new(outbound, runtime);
        qlik_connector::ops::run_action(&mut host, &key, &connection, &input)
            .map_err(|error| anyhow::anyhow!("{} error: {error:?}", error.kind()))
    })
    .await?
}
