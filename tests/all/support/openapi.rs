//! Validation of recorded HTTP traffic against Qlik's published OpenAPI 3 documents.
//!
//! The documents live outside the repository, in `../shared/spec/qlik-openapi/` (relative to
//! the crate root); they are read at run time and never copied. See that directory's README.
//!
//! A module of the root test binary (`crate::support::openapi`); the harness tests include
//! the file by path.
//!
//! An exchange is one entry of the simulator's `GET /__sim/requests` list:
//! ```json
//! {"seq": 3, "method": "GET", "path": "/api/v1/spaces", "query": "limit=10",
//!  "headers": {"authorization": "Bearer ..."}, "body": null,
//!  "response": {"status": 200, "headers": {"content-type": "application/json"}, "body": {...}}}
//! ```
//!
//! OpenAPI 3.0 schemas are converted to JSON Schema 2020-12 before validation:
//! - `nullable: true` (and the Swagger-2 style `x-nullable: true`) admit `null`;
//! - schemas with `properties`/`additionalProperties`/`required` but no `type` are objects,
//!   schemas with `items` but no `type` are arrays (the documents omit `type: object` often);
//! - `example`, `default`, `description`, `readOnly`, `writeOnly`, `discriminator`, `x-*` and
//!   other annotations are dropped;
//! - only the `date-time` and `date` formats are kept, and they are asserted (RFC 3339);
//!   `uid`, `uri`, `url`, `uuid`, `int32`, ... are dropped;
//! - properties marked `readOnly` are not required in requests, `writeOnly` ones not in
//!   responses;
//! - `$ref`s (all of them `#/components/schemas/...` inside schemas) resolve within the same
//!   document; `#/components/responses|requestBodies|parameters/...` are followed here.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Statuses the simulator injects as faults; allowed even where an operation does not
/// document them, as long as a JSON body looks like a Qlik error body: what a gateway or an
/// edge in front of any API may answer (throttling, server errors, redirects, refusals of
/// over-long URLs and headers).
pub const FAULT_STATUSES: &[u16] = &[301, 302, 303, 307, 308, 414, 429, 431, 500, 502, 503, 504];

/// Exception: apps.json documents no error response at all (qlik-api.md "Apps"), yet the apps
/// API answers an unknown app with 404 and a malformed body with 400. Those statuses are
/// allowed on `/api/v1/apps...` when the body looks like a Qlik error body, as for faults.
const UNDOCUMENTED_ERRORS: &[(&str, &[u16])] = &[("/api/v1/apps", &[400, 404])];

fn undocumented_error(path: &str, status: u64) -> bool {
    UNDOCUMENTED_ERRORS
        .iter()
        .any(|(prefix, statuses)| path.starts_with(prefix) && statuses.iter().any(|s| u64::from(*s) == status))
}

/// At most this many schema violations are listed per body.
const MAX_ERRORS_PER_BODY: usize = 20;

/// The directory holding Qlik's OpenAPI documents: `shared/spec/qlik-openapi` beside the
/// workspace, found from whichever package (root or harness) includes this module.
pub fn spec_dir() -> PathBuf {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .map(|dir| dir.join("../shared/spec/qlik-openapi"))
        .find(|candidate| candidate.is_dir())
        .unwrap_or_else(|| manifest_dir.join("../shared/spec/qlik-openapi"))
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Mode {
    Response,
    Request,
}

#[derive(Debug)]
enum Seg {
    Lit(String),
    Param,
}

struct Route {
    /// Full template including the server path prefix, e.g. `/api/v1/spaces/{spaceId}`.
    template: String,
    segs: Vec<Seg>,
    /// JSON pointer of the path item inside the document.
    pointer: String,
}

struct Doc {
    name: String,
    raw: Value,
    routes: Vec<Route>,
    /// Converted `components.schemas`, for responses and for requests.
    schemas_response: Value,
    schemas_request: Value,
}

type Compiled = Arc<Result<jsonschema::Validator, String>>;

/// All loaded OpenAPI documents, plus a cache of compiled validators.
pub struct Spec {
    docs: Vec<Doc>,
    cache: Mutex<HashMap<(usize, Mode, String), Compiled>>,
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

impl Spec {
    /// Loads the named documents (`"spaces"` or `"spaces.json"`), or every `*.json` document in
    /// [`spec_dir`] when `names` is empty. Panics if a document is missing or not JSON.
    pub fn load(names: &[&str]) -> Spec {
        Self::load_from(&spec_dir(), names)
    }

    /// Every document, loaded once per test binary.
    pub fn shared() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| Spec::load(&[]))
    }

    pub fn load_from(dir: &Path, names: &[&str]) -> Spec {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        if names.is_empty() {
            let entries = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("cannot read OpenAPI directory {}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("directory entry").path();
                if path.extension().and_then(|e| e.to_str()) == Some("json") {
                    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                    files.push((stem, path));
                }
            }
            files.sort();
            assert!(!files.is_empty(), "no OpenAPI documents in {}", dir.display());
        } else {
            for name in names {
                let stem = name.strip_suffix(".json").unwrap_or(name);
                files.push((stem.to_string(), dir.join(format!("{stem}.json"))));
            }
        }
        let docs = files
            .into_iter()
            .map(|(name, path)| {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read OpenAPI document {}: {e}", path.display()));
                let raw: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
                Doc::new(name, raw)
            })
            .collect();
        Spec { docs, cache: Mutex::new(HashMap::new()) }
    }

    /// Names of the loaded documents.
    pub fn documents(&self) -> Vec<&str> {
        self.docs.iter().map(|d| d.name.as_str()).collect()
    }

    /// Compiles every JSON request and response schema of every operation; returns the
    /// failures (empty = every schema is usable).
    pub fn compile_all(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for (di, doc) in self.docs.iter().enumerate() {
            for route in &doc.routes {
                let Some((item, item_ptr)) = doc.resolve_at(&route.pointer) else { continue };
                for method in METHODS {
                    let Some(op) = item.get(*method) else { continue };
                    let op_ptr = format!("{item_ptr}/{method}");
                    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                        for key in responses.keys() {
                            let ptr = format!("{op_ptr}/responses/{}", escape(key));
                            if let Some((_, sp, _)) = doc.json_schema_of(&ptr) {
                                if let Err(e) = &*self.compiled(di, Mode::Response, &sp) {
                                    failures.push(format!("{}: {e}", doc.name));
                                }
                            }
                        }
                    }
                    if op.get("requestBody").is_some() {
                        let ptr = format!("{op_ptr}/requestBody");
                        if let Some((_, sp, _)) = doc.json_schema_of(&ptr) {
                            if let Err(e) = &*self.compiled(di, Mode::Request, &sp) {
                                failures.push(format!("{}: {e}", doc.name));
                            }
                        }
                    }
                }
            }
        }
        failures
    }

    /// Validates many exchanges; every violation is prefixed with `seq N METHOD PATH STATUS: `.
    pub fn check_all(&self, exchanges: &[Value]) -> Vec<String> {
        let mut out = Vec::new();
        for ex in exchanges {
            let seq = match ex.get("seq") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => "?".to_string(),
            };
            let method = ex.get("method").and_then(Value::as_str).unwrap_or("?");
            let path = ex.get("path").and_then(Value::as_str).unwrap_or("?");
            let status = ex
                .get("response")
                .and_then(|r| r.get("status"))
                .and_then(Value::as_u64)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".to_string());
            for v in self.check_exchange(ex) {
                out.push(format!("seq {seq} {method} {path} {status}: {v}"));
            }
        }
        out
    }

    /// Panics, listing every violation, unless all exchanges conform.
    pub fn assert_conforms(&self, exchanges: &[Value]) {
        let violations = self.check_all(exchanges);
        assert!(violations.is_empty(), "{} OpenAPI violation(s):\n{}", violations.len(), violations.join("\n"));
    }

    /// Validates one exchange; returns human-readable violations (empty = conforms).
    pub fn check_exchange(&self, ex: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let method_raw = ex.get("method").and_then(Value::as_str).unwrap_or("");
        let method = method_raw.to_ascii_lowercase();
        let full_path = ex.get("path").and_then(Value::as_str).unwrap_or("");
        let path = full_path.split(['?', '#']).next().unwrap_or("");
        if path.starts_with("/__sim/") || path == "/__sim" {
            return out;
        }
        if method.is_empty() || !path.starts_with('/') {
            out.push(format!("malformed exchange: method {method_raw:?}, path {full_path:?}"));
            return out;
        }

        // Find the operation.
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut best: Option<(Vec<bool>, usize, String)> = None; // (literal flags, doc, op pointer)
        let mut path_only: Vec<String> = Vec::new();
        for (di, doc) in self.docs.iter().enumerate() {
            for route in &doc.routes {
                if !route_matches(&route.segs, &segs) {
                    continue;
                }
                let Some((item, item_ptr)) = doc.resolve_at(&route.pointer) else { continue };
                if item.get(&method).map(Value::is_object) != Some(true) {
                    let methods: Vec<String> =
                        METHODS.iter().filter(|m| item.get(**m).is_some()).map(|m| m.to_ascii_uppercase()).collect();
                    path_only.push(format!("{} {} in {}", methods.join("/"), route.template, doc.name));
                    continue;
                }
                let flags: Vec<bool> = route.segs.iter().map(|s| matches!(s, Seg::Lit(_))).collect();
                // Prefer literal segments, earliest first: `/spaces/types` over `/spaces/{id}`.
                if best.as_ref().is_none_or(|(f, _, _)| flags > *f) {
                    best = Some((flags, di, format!("{item_ptr}/{method}")));
                }
            }
        }
        let Some((_, di, op_ptr)) = best else {
            let upper = method.to_ascii_uppercase();
            if path_only.is_empty() {
                out.push(format!("no operation for {upper} {path}"));
            } else {
                out.push(format!("no operation for {upper} {path} (documented: {})", path_only.join("; ")));
            }
            return out;
        };
        let doc = &self.docs[di];

        // Request body.
        self.check_request(di, doc, &op_ptr, ex, &mut out);

        // Response.
        let response = match ex.get("response") {
            Some(r) if r.is_object() => r,
            _ => return out, // dropped connection
        };
        let status = response.get("status").and_then(Value::as_u64).unwrap_or(0);
        if status == 0 {
            return out;
        }
        // The simulator notes injected faults; a body fault corrupts the body on purpose, and
        // a raw body is the test's own text.
        if ex.pointer("/fault/body").is_some() || ex.pointer("/fault/rawBody").is_some() {
            return out;
        }
        let resp_headers = response.get("headers");
        let resp_ct = header(resp_headers, "content-type");
        let body = classify_body(response.get("body").unwrap_or(&Value::Null), resp_ct.as_deref());

        let op = doc.raw.pointer(&op_ptr).expect("operation pointer");
        let responses = op.get("responses").and_then(Value::as_object);
        let key = responses.and_then(|rs| {
            let exact = status.to_string();
            let range = format!("{}XX", status / 100);
            if rs.contains_key(&exact) {
                Some(exact)
            } else if let Some(k) = rs.keys().find(|k| k.eq_ignore_ascii_case(&range)) {
                Some(k.clone())
            } else if rs.contains_key("default") {
                Some("default".to_string())
            } else {
                None
            }
        });
        let Some(key) = key else {
            if FAULT_STATUSES.contains(&(status as u16)) || undocumented_error(path, status) {
                if let Body::Json(v) = &body {
                    let errs = validate_with(fault_error_validator(), v);
                    for e in errs {
                        out.push(format!("response {status} (undocumented fault) body {e}"));
                    }
                }
            } else {
                let documented: Vec<&str> =
                    responses.map(|rs| rs.keys().map(String::as_str).collect()).unwrap_or_default();
                out.push(format!(
                    "status {status} is not documented for {} {} (documented: {})",
                    method.to_ascii_uppercase(),
                    path,
                    documented.join(", ")
                ));
            }
            return out;
        };

        let resp_ptr = format!("{op_ptr}/responses/{}", escape(&key));
        let (resolved, _) = match doc.resolve_at(&resp_ptr) {
            Some(r) => r,
            None => {
                out.push(format!("response {status}: unresolvable response object at {resp_ptr}"));
                return out;
            }
        };
        let content = resolved.get("content").and_then(Value::as_object).filter(|c| !c.is_empty());
        let Some(content) = content else {
            if matches!(status, 204 | 205 | 304) && !matches!(body, Body::Empty) {
                out.push(format!("response {status} must have an empty body, got {}", body.describe()));
            }
            return out;
        };
        if matches!(status, 204 | 205 | 304) && !matches!(body, Body::Empty) {
            out.push(format!("response {status} must have an empty body, got {}", body.describe()));
            return out;
        }
        let Some((media, schema_ptr, _)) = doc.json_schema_of(&resp_ptr) else {
            // Only non-JSON media types (octet-stream, text/html, ...), or JSON without schema.
            if content.keys().any(|m| is_json_media(m)) {
                if let Body::Text(_) = body {
                    out.push(format!("response {status}: body is not JSON"));
                }
            }
            return out;
        };
        if let Some(ct) = &resp_ct {
            if !is_json_media(ct) && media != "*/*" {
                out.push(format!(
                    "response {status}: content-type {ct:?}, documented {}",
                    content.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        match &body {
            Body::Empty => {
                out.push(format!("response {status}: body is empty, but the operation documents a {media} body"))
            }
            Body::Text(_) => out.push(format!("response {status}: body is not JSON ({media} documented)")),
            Body::Json(v) => {
                let compiled = self.compiled(di, Mode::Response, &schema_ptr);
                match &*compiled {
                    Ok(validator) => {
                        for e in validate_with(validator, v) {
                            out.push(format!("response {status} body {e}"));
                        }
                    }
                    Err(e) => out.push(format!("response {status}: {e}")),
                }
            }
        }
        out
    }

    fn check_request(&self, di: usize, doc: &Doc, op_ptr: &str, ex: &Value, out: &mut Vec<String>) {
        let req_ct = header(ex.get("headers"), "content-type");
        if let Some(ct) = &req_ct {
            let ct = ct.to_ascii_lowercase();
            if ct.starts_with("application/x-www-form-urlencoded") || ct.starts_with("multipart/") {
                return;
            }
        }
        let body = classify_body(ex.get("body").unwrap_or(&Value::Null), req_ct.as_deref());
        let rb_ptr = format!("{op_ptr}/requestBody");
        let Some((rb, _)) = doc.resolve_at(&rb_ptr) else {
            return; // no request body documented; nothing to compare against
        };
        let content = rb.get("content").and_then(Value::as_object);
        let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
        let Some((media, schema_ptr, _)) = doc.json_schema_of(&rb_ptr) else {
            if let (Body::Json(_), Some(content)) = (&body, content) {
                if !content.keys().any(|m| is_json_media(m)) {
                    out.push(format!(
                        "request: JSON body sent, but the operation accepts only {}",
                        content.keys().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            return;
        };
        match &body {
            Body::Empty => {
                if required {
                    out.push(format!("request: body is required ({media})"));
                }
            }
            Body::Text(_) => {
                if req_ct.as_deref().is_some_and(is_json_media) {
                    out.push("request: content-type is JSON but the body is not JSON".to_string());
                }
            }
            Body::Json(v) => match &*self.compiled(di, Mode::Request, &schema_ptr) {
                Ok(validator) => {
                    for e in validate_with(validator, v) {
                        out.push(format!("request: body {e}"));
                    }
                }
                Err(e) => out.push(format!("request: {e}")),
            },
        }
    }

    /// The compiled validator for the schema at `schema_ptr` in document `di`.
    fn compiled(&self, di: usize, mode: Mode, schema_ptr: &str) -> Compiled {
        let key = (di, mode, schema_ptr.to_string());
        if let Some(c) = self.cache.lock().unwrap().get(&key) {
            return c.clone();
        }
        let doc = &self.docs[di];
        let result = (|| {
            let schema =
                doc.raw.pointer(schema_ptr).ok_or_else(|| format!("no schema at {schema_ptr} in {}", doc.name))?;
            let converted = convert(schema, mode, &doc.raw);
            let components = match mode {
                Mode::Response => &doc.schemas_response,
                Mode::Request => &doc.schemas_request,
            };
            let mut root = match converted {
                Value::Object(m) => m,
                other => {
                    let mut m = Map::new();
                    m.insert("allOf".into(), json!([other]));
                    m
                }
            };
            root.insert("components".into(), json!({ "schemas": components }));
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&Value::Object(root))
                .map_err(|e| format!("schema {schema_ptr} in {}.json does not compile: {e}", doc.name))
        })();
        let compiled = Arc::new(result);
        self.cache.lock().unwrap().insert(key, compiled.clone());
        compiled
    }
}

impl Doc {
    fn new(name: String, raw: Value) -> Doc {
        // Server path prefixes: `https://{tenant}.{region}.qlikcloud.com` → "", `/api/v1` → "/api/v1".
        let mut prefixes: Vec<String> = raw
            .get("servers")
            .and_then(Value::as_array)
            .map(|servers| {
                servers.iter().filter_map(|s| s.get("url").and_then(Value::as_str)).map(server_path).collect()
            })
            .unwrap_or_default();
        if prefixes.is_empty() {
            prefixes.push(String::new());
        }
        prefixes.sort();
        prefixes.dedup();

        let mut routes = Vec::new();
        if let Some(paths) = raw.get("paths").and_then(Value::as_object) {
            for template in paths.keys() {
                for prefix in &prefixes {
                    let full = format!("{prefix}{template}");
                    let segs =
                        full.split('/')
                            .filter(|s| !s.is_empty())
                            .map(|s| {
                                if s.starts_with('{') && s.ends_with('}') {
                                    Seg::Param
                                } else {
                                    Seg::Lit(s.to_string())
                                }
                            })
                            .collect();
                    routes.push(Route { template: full, segs, pointer: format!("/paths/{}", escape(template)) });
                }
            }
        }

        let schemas = raw.pointer("/components/schemas").and_then(Value::as_object);
        let convert_all = |mode| {
            let mut m = Map::new();
            if let Some(schemas) = schemas {
                for (k, v) in schemas {
                    m.insert(k.clone(), convert(v, mode, &raw));
                }
            }
            Value::Object(m)
        };
        let schemas_response = convert_all(Mode::Response);
        let schemas_request = convert_all(Mode::Request);
        Doc { name, raw, routes, schemas_response, schemas_request }
    }

    /// Follows `$ref`s starting at `pointer`; returns the target and its pointer.
    fn resolve_at(&self, pointer: &str) -> Option<(&Value, String)> {
        let mut ptr = pointer.to_string();
        for _ in 0..16 {
            let v = self.raw.pointer(&ptr)?;
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => ptr = r.strip_prefix('#')?.to_string(),
                None => return Some((v, ptr)),
            }
        }
        None
    }

    /// For a response or request body object at `pointer`: the JSON-ish media type with a
    /// schema, the schema's pointer, and the content map.
    fn json_schema_of(&self, pointer: &str) -> Option<(String, String, &Map<String, Value>)> {
        let (obj, obj_ptr) = self.resolve_at(pointer)?;
        let content = obj.get("content")?.as_object()?;
        let mut medias: Vec<&String> = content
            .keys()
            .filter(|m| is_json_media(m) || m.as_str() == "*/*" || m.as_str() == "application/*")
            .collect();
        // Prefer application/json, then other JSON types, then wildcards.
        medias.sort_by_key(|m| match m.as_str() {
            "application/json" => 0,
            "*/*" | "application/*" => 2,
            _ => 1,
        });
        for m in medias {
            if content[m].get("schema").is_some() {
                let sp = format!("{obj_ptr}/content/{}/schema", escape(m));
                return Some((m.clone(), sp, content));
            }
        }
        None
    }
}

fn server_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None if url.starts_with('/') => return url.trim_end_matches('/').to_string(),
        None => url,
    };
    match rest.find('/') {
        Some(i) => rest[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

fn route_matches(route: &[Seg], path: &[&str]) -> bool {
    route.len() == path.len()
        && route.iter().zip(path).all(|(r, p)| match r {
            Seg::Param => true,
            Seg::Lit(l) => l == p,
        })
}

/// JSON-pointer escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn is_json_media(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    m == "application/json" || m.ends_with("+json") || m == "text/json"
}

/// Case-insensitive header lookup; values may be strings or arrays of strings.
fn header(headers: Option<&Value>, name: &str) -> Option<String> {
    let headers = headers?.as_object()?;
    let (_, v) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

enum Body {
    Empty,
    Json(Value),
    Text(String),
}

impl Body {
    fn describe(&self) -> String {
        match self {
            Body::Empty => "an empty body".into(),
            Body::Json(v) => truncate(&v.to_string()),
            Body::Text(t) => format!("text {:?}", truncate(t)),
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(80).collect::<String>())
    }
}

/// Recorded bodies are JSON values when the payload was JSON and strings otherwise.
fn classify_body(body: &Value, content_type: Option<&str>) -> Body {
    match body {
        Value::Null => Body::Empty,
        Value::String(s) if s.is_empty() => Body::Empty,
        Value::String(s) => {
            let json_ct = content_type.is_some_and(is_json_media);
            let looks_json = matches!(s.trim_start().chars().next(), Some('{' | '['));
            if json_ct || (content_type.is_none() && looks_json) {
                match serde_json::from_str::<Value>(s) {
                    Ok(v) => Body::Json(v),
                    Err(_) => Body::Text(s.clone()),
                }
            } else {
                Body::Text(s.clone())
            }
        }
        other => Body::Json(other.clone()),
    }
}

fn validate_with(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut extra = 0usize;
    for e in validator.iter_errors(instance) {
        if out.len() >= MAX_ERRORS_PER_BODY {
            extra += 1;
            continue;
        }
        let at = e.instance_path().as_str();
        let at = if at.is_empty() { "(root)" } else { at };
        out.push(format!("at {at}: {e}"));
    }
    if extra > 0 {
        out.push(format!("... and {extra} more"));
    }
    out
}

/// What an injected fault's JSON body must look like: `{"errors": [{"code"?, "title"?, ...}]}`.
fn fault_error_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json!({
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "title": {"type": "string"},
                                "detail": {"type": "string"},
                                "status": {"type": ["string", "integer"]}
                            }
                        }
                    },
                    "traceId": {"type": "string"}
                }
            }))
            .expect("fault error schema")
    })
}

const JSON_TYPES: &[&str] = &["null", "boolean", "object", "array", "number", "string", "integer"];
const KEPT_FORMATS: &[&str] = &["date-time", "date"];

/// Whether a (possibly `$ref`) property schema is marked `readOnly`/`writeOnly`.
fn has_flag(schema: &Value, flag: &str, doc: &Value) -> bool {
    let mut s = schema;
    for _ in 0..16 {
        if s.get(flag).and_then(Value::as_bool) == Some(true) {
            return true;
        }
        match s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(p) => match doc.pointer(p) {
                Some(t) => s = t,
                None => return false,
            },
            None => return false,
        }
    }
    false
}

/// ECMA-262 allows identity escapes such as `\<` and `\>` (spaces.json's name pattern uses
/// them); the Rust regex engines read those as word boundaries and refuse them in a class.
fn ecma_pattern(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('<' | '>')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Exception (apps.json `UsageEnum`): Qlik writes some enums as a `oneOf` of `{title,
/// x-qlik-const}` entries with no constraint, which as JSON Schema every value matches more than
/// once (so nothing passes `oneOf`). The titles are the values: read them as an `enum`.
fn title_enum(one_of: &Value) -> Option<Value> {
    let entries = one_of.as_array().filter(|a| !a.is_empty())?;
    let titles = entries.iter().map(|e| {
        let m = e.as_object()?;
        m.keys().all(|k| k == "title" || k.starts_with("x-")).then(|| m.get("title").cloned()).flatten()
    });
    titles.collect::<Option<Vec<Value>>>().map(Value::Array)
}

/// Converts an OpenAPI 3.0 schema object to JSON Schema 2020-12.
fn convert(schema: &Value, mode: Mode, doc: &Value) -> Value {
    let Value::Object(m) = schema else { return schema.clone() };
    if let Some(r) = m.get("$ref") {
        // OpenAPI 3.0: siblings of $ref are ignored.
        return json!({ "$ref": r });
    }
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "properties" => {
                if let Value::Object(props) = v {
                    let conv: Map<String, Value> =
                        props.iter().map(|(n, s)| (n.clone(), convert(s, mode, doc))).collect();
                    out.insert(k.clone(), Value::Object(conv));
                }
            }
            "additionalProperties" | "items" | "not" => {
                out.insert(k.clone(), if v.is_object() { convert(v, mode, doc) } else { v.clone() });
            }
            "oneOf" if title_enum(v).is_some() => {
                out.insert("enum".into(), title_enum(v).unwrap_or_default());
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(a) = v {
                    out.insert(k.clone(), Value::Array(a.iter().map(|s| convert(s, mode, doc)).collect()));
                }
            }
            "type" => match v {
                Value::String(t) if JSON_TYPES.contains(&t.as_str()) => {
                    out.insert(k.clone(), v.clone());
                }
                _ => {}
            },
            "format" if v.as_str().is_some_and(|f| KEPT_FORMATS.contains(&f)) => {
                out.insert(k.clone(), v.clone());
            }
            "pattern" => {
                if let Value::String(p) = v {
                    out.insert(k.clone(), Value::String(ecma_pattern(p)));
                }
            }
            "required" | "enum" | "maxLength" | "minLength" | "maximum" | "minimum" | "maxItems" | "minItems"
            | "uniqueItems" | "multipleOf" | "maxProperties" | "minProperties" => {
                out.insert(k.clone(), v.clone());
            }
            "exclusiveMaximum" | "exclusiveMinimum" => {
                // 3.0: boolean modifiers of maximum/minimum.
                if v.as_bool() == Some(true) {
                    let bound = if k == "exclusiveMaximum" { "maximum" } else { "minimum" };
                    if let Some(b) = m.get(bound) {
                        out.insert(k.clone(), b.clone());
                    }
                } else if v.is_number() {
                    out.insert(k.clone(), v.clone());
                }
            }
            _ => {} // description, example, default, readOnly, nullable, x-*, ...
        }
    }
    if m.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true) {
        out.remove("maximum");
    }
    if m.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true) {
        out.remove("minimum");
    }

    // readOnly properties are not required in requests, writeOnly ones not in responses.
    if let (Some(Value::Array(req)), Some(Value::Object(props))) = (m.get("required"), m.get("properties")) {
        let flag = match mode {
            Mode::Request => "readOnly",
            Mode::Response => "writeOnly",
        };
        let kept: Vec<Value> = req
            .iter()
            .filter(|n| n.as_str().and_then(|n| props.get(n)).is_none_or(|p| !has_flag(p, flag, doc)))
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }

    // Implicit types.
    if !out.contains_key("type") {
        if ["properties", "additionalProperties", "required", "maxProperties", "minProperties"]
            .iter()
            .any(|k| out.contains_key(*k))
        {
            out.insert("type".into(), json!("object"));
        } else if out.contains_key("items") {
            out.insert("type".into(), json!("array"));
        }
    }

    let nullable = m.get("nullable").and_then(Value::as_bool) == Some(true)
        || m.get("x-nullable").and_then(Value::as_bool) == Some(true);
    if nullable {
        let composite = ["allOf", "anyOf", "oneOf", "not"].iter().any(|k| out.contains_key(*k));
        match out.get("type").cloned() {
            Some(Value::String(t)) if !composite => {
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            }
            _ => return json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] }),
        }
    }
    Value::Object(out)
}
