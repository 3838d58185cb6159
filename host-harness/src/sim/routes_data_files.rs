//! Data files (`/data-files`): list (string `page` cursors), get, multipart upload and
//! re-upload, delete; seeding.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::form_data::{self, FormPart};
use super::paging::{self, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::router::Params;
use super::state::{Resource, State};

/// `limit`: default 20, at most 1000 (a larger value is a 400).
const LIMIT: LimitRule = LimitRule { default: 20, max: 1000, clamp: false };
const SORT_FIELDS: &[&str] = &["name", "size", "modifiedDate", "folder", "baseName"];
/// Characters a data-file name may not hold (`/` separates folders).
const NAME_FORBIDDEN: &[char] = &['<', '>', '"', ':', '|', '?', '*', '\0'];
/// The personal space's data-file quota; uploads beyond it answer 413 `DF-016`.
pub(crate) const PERSONAL_QUOTA_BYTES: u64 = 1 << 30;
const ACTIONS: &[&str] = &["read", "update", "delete", "list", "change_owner", "change_space"];
const FILE_WORDS: &[&str] = &["sales", "orders", "customers", "inventory", "budget", "forecast", "regions", "products"];
const FILE_EXTENSIONS: &[&str] = &["csv", "qvd", "xlsx", "txt", "json"];

/// One data file or folder.
#[derive(Debug, Clone)]
pub(crate) struct DataFile {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub owner_id: String,
    pub space_id: Option<String>,
    pub connection_id: Option<String>,
    pub app_id: Option<String>,
    pub folder: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    pub content_updated: DateTime<Utc>,
}

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct DataFilesState {
    pub files: Vec<DataFile>,
}

impl DataFilesState {
    fn index(&self, id: &str) -> Option<usize> {
        self.files.iter().position(|f| f.id == id)
    }

    /// Whether another item (not `except`) in the same place has `name` (case-insensitive).
    fn name_taken(&self, name: &str, connection_id: Option<&str>, except: Option<&str>) -> bool {
        let wanted = name.to_lowercase();
        // ASCII names (nearly all) compare without allocating: seeding 10,000 files stays fast.
        let same = |other: &str| match other.is_ascii() && name.is_ascii() {
            true => other.eq_ignore_ascii_case(name),
            false => other.to_lowercase() == wanted,
        };
        self.files
            .iter()
            .any(|f| Some(f.id.as_str()) != except && f.connection_id.as_deref() == connection_id && same(&f.name))
    }

    /// Bytes used in the personal space, leaving out `except`.
    fn personal_bytes(&self, except: Option<&str>) -> u64 {
        self.files.iter().filter(|f| f.connection_id.is_none() && Some(f.id.as_str()) != except).map(|f| f.size).sum()
    }
}

/// A UUID-shaped id (version 4 layout) from the simulator's generator.
fn new_uuid(st: &mut State) -> String {
    let hex = st.gen.hex(16);
    format!("{}-{}-4{}-a{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

fn base_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// The `DataFileUploadResponse` record.
pub(crate) fn to_json(f: &DataFile) -> Value {
    let stats = [
        "aggregateAppScopedFileSize",
        "aggregateFileSize",
        "aggregateInternalFileSize",
        "directAppScopedFileCount",
        "directFileCount",
        "directFolderCount",
        "directInternalFileCount",
        "totalAppScopedFileCount",
        "totalFileCount",
        "totalFolderCount",
        "totalInternalFileCount",
    ];
    json!({
        "id": f.id,
        "name": f.name,
        "baseName": base_name(&f.name),
        "size": f.size,
        "ownerId": f.owner_id,
        "spaceId": f.space_id,
        "appId": f.app_id,
        "folder": f.folder,
        "createdDate": rfc3339(f.created),
        "modifiedDate": rfc3339(f.modified),
        "contentUpdatedDate": rfc3339(f.content_updated),
        "actions": ACTIONS,
        "folderStats": stats.iter().map(|k| (k.to_string(), json!(0))).collect::<Map<_, _>>(),
    })
}

/// `?` and `*` wildcards, case-insensitive.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|i| wildcard(rest, &text[i..])),
        Some((p, rest)) => {
            text.first().is_some_and(|t| *p == '?' || t.to_lowercase().eq(p.to_lowercase()))
                && wildcard(rest, &text[1..])
        }
    }
}

fn flag(ctx: &Ctx, name: &str) -> Result<bool, ApiError> {
    match ctx.param(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(ApiError::bad_request(format!("{name} must be true or false, got {v:?}")).param(name)),
    }
}

/// GET /data-files
pub(crate) fn list(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let sort = paging::parse_sort(ctx, SORT_FIELDS)
        .map_err(|e| e.coded("DF-002", "The sort specification is invalid."))?
        .unwrap_or_default();
    let cursor =
        paging::parse_page_cursor(ctx, "page").map_err(|e| e.coded("DF-001", "Cursor not formatted correctly."))?;
    let limit = paging::parse_limit(ctx, LIMIT)?;
    let all_spaces = flag(ctx, "includeAllSpaces")?;
    let include_folders = flag(ctx, "includeFolders")?;
    let connection = ctx.param("connectionId");
    let pattern: Option<Vec<char>> = ctx.param("baseNameWildcard").map(|p| p.chars().collect());
    let mut matching: Vec<&DataFile> = st
        .data_files
        .files
        .iter()
        .filter(|f| match connection {
            Some(c) => f.connection_id.as_deref() == Some(c),
            None => all_spaces || f.connection_id.is_none(),
        })
        .filter(|f| include_folders || !f.folder)
        .filter(|f| ctx.param("name").is_none_or(|n| f.name.eq_ignore_ascii_case(n)))
        .filter(|f| ctx.param("ownerId").is_none_or(|o| f.owner_id == o))
        .filter(|f| ctx.param("notOwnerId").is_none_or(|o| f.owner_id != o))
        .filter(|f| ctx.param("appId").map_or(f.app_id.is_none(), |a| a == "*" || f.app_id.as_deref() == Some(a)))
        .filter(|f| pattern.as_ref().is_none_or(|p| wildcard(p, &base_name(&f.name).chars().collect::<Vec<_>>())))
        .collect();
    let (field, desc) = sort;
    paging::sort_records(&mut matching, desc, |a, b| compare(a, b, &field));
    let ids: Vec<&str> = matching.iter().map(|f| f.id.as_str()).collect();
    let window = paging::window(&ids, limit, cursor.as_ref());
    let data: Vec<Value> = matching[window.start..window.end].iter().map(|f| to_json(f)).collect();
    let links = paging::page_links(ctx, &ctx.origin(&st.identity.base_url), &window, "page");
    Ok(Reply::json(StatusCode::OK, &json!({ "data": data, "links": links })))
}

/// Orders by `field` (none: creation order), then creation time, then id.
fn compare(a: &DataFile, b: &DataFile, field: &str) -> Ordering {
    let primary = match field {
        "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        "baseName" => base_name(&a.name).to_lowercase().cmp(&base_name(&b.name).to_lowercase()),
        "size" => a.size.cmp(&b.size),
        "modifiedDate" => a.modified.cmp(&b.modified),
        "folder" => a.folder.cmp(&b.folder),
        _ => Ordering::Equal,
    };
    primary.then(a.created.cmp(&b.created)).then_with(|| a.id.cmp(&b.id))
}

/// GET /data-files/{id}
pub(crate) fn get(st: &State, id: &str) -> Result<Reply, ApiError> {
    let index = st.data_files.index(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(StatusCode::OK, &to_json(&st.data_files.files[index])))
}

/// The `File` and `Json` parts of an upload.
struct Upload {
    file: Option<FormPart>,
    json: Map<String, Value>,
}

fn read_upload(ctx: &Ctx) -> Result<Upload, ApiError> {
    let parts = form_data::parts(ctx)
        .ok_or_else(|| ApiError::bad_request("the body must be multipart/form-data with parts File and Json"))?
        .map_err(ApiError::bad_request)?;
    let mut upload = Upload { file: None, json: Map::new() };
    for part in parts {
        match part.name.as_deref() {
            Some("File") => {
                if part.filename.is_none() {
                    return Err(ApiError::bad_request("the File part must carry a filename"));
                }
                upload.file = Some(part);
            }
            Some("Json") => match serde_json::from_slice(&part.bytes) {
                Ok(Value::Object(map)) => upload.json = map,
                _ => return Err(ApiError::bad_request("the Json part must be a JSON object")),
            },
            other => return Err(ApiError::bad_request(format!("unexpected form part {other:?}"))),
        }
    }
    Ok(upload)
}

fn optional_str(json: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match json.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("Json.{field} must be a string"))),
    }
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err(ApiError::bad_request("Json.name must be a non-empty canonical name").coded("DF-015", "Bad name"));
    }
    if name.contains(NAME_FORBIDDEN) {
        return Err(ApiError::bad_request("Json.name must not contain any of < > \" : | ? *"));
    }
    Ok(())
}

fn check_quota(st: &State, connection_id: Option<&str>, except: Option<&str>, size: u64) -> Result<(), ApiError> {
    if connection_id.is_none() && st.data_files.personal_bytes(except) + size > PERSONAL_QUOTA_BYTES {
        let detail = format!("The personal space's data-file quota of {PERSONAL_QUOTA_BYTES} bytes would be exceeded.");
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, detail)
            .coded("DF-016", "The datafile size quota for the given personal space has been exceeded."));
    }
    Ok(())
}

fn name_conflict(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, format!("A data file named '{name}' already exists."))
}

/// POST /data-files: 201 with the new record.
pub(crate) fn create(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let upload = read_upload(ctx)?;
    let name = optional_str(&upload.json, "name")?.ok_or_else(|| ApiError::bad_request("Json.name is required"))?;
    let folder = upload.json.get("folder").and_then(Value::as_bool).unwrap_or(false);
    let new = NewFile {
        id: None,
        name,
        size: upload.file.as_ref().map_or(0, |f| f.bytes.len() as u64),
        owner_id: None,
        space_id: None,
        connection_id: optional_str(&upload.json, "connectionId")?,
        app_id: optional_str(&upload.json, "appId")?,
        folder,
    };
    if upload.file.is_none() && !folder {
        return Err(ApiError::bad_request("a file needs a File part"));
    }
    validate_name(&new.name)?;
    let file = insert(st, new)?;
    Ok(Reply::json(StatusCode::CREATED, &to_json(&file)))
}

/// Fields of a data file to create.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewFile {
    pub id: Option<String>,
    pub name: String,
    pub size: u64,
    pub owner_id: Option<String>,
    pub space_id: Option<String>,
    pub connection_id: Option<String>,
    pub app_id: Option<String>,
    pub folder: bool,
}

/// Stores a new data file (uploads and seeding): 409 on a taken name, 413 over the quota.
pub(crate) fn insert(st: &mut State, new: NewFile) -> Result<DataFile, ApiError> {
    if st.data_files.name_taken(&new.name, new.connection_id.as_deref(), None) {
        return Err(name_conflict(&new.name));
    }
    check_quota(st, new.connection_id.as_deref(), None, new.size)?;
    if let Some(id) = &new.id {
        if id.is_empty() || st.data_files.index(id).is_some() {
            return Err(ApiError::bad_request(format!("data file id {id:?} is empty or taken")));
        }
    }
    Ok(insert_checked(st, new))
}

/// Adds a file whose name, quota and id were checked.
fn insert_checked(st: &mut State, new: NewFile) -> DataFile {
    let now = st.now();
    let id = match new.id {
        Some(id) => id,
        None => new_uuid(st),
    };
    let file = DataFile {
        id,
        name: new.name,
        size: new.size,
        owner_id: new.owner_id.unwrap_or_else(|| st.admin_id.clone()),
        space_id: new.space_id,
        connection_id: new.connection_id,
        app_id: new.app_id,
        folder: new.folder,
        created: now,
        modified: now,
        content_updated: now,
    };
    st.data_files.files.push(file.clone());
    st.log_change(Resource::DataFiles, &file.id, "created", now);
    file
}

/// PUT /data-files/{id}: new content and/or new fields; 201 with the record.
pub(crate) fn put(st: &mut State, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
    let index = st.data_files.index(id).ok_or_else(|| not_found(id))?;
    let upload = read_upload(ctx)?;
    let mut file = st.data_files.files[index].clone();
    if let Some(name) = optional_str(&upload.json, "name")? {
        validate_name(&name)?;
        file.name = name;
    }
    if let Some(connection) = optional_str(&upload.json, "connectionId")? {
        file.connection_id = Some(connection);
    }
    if let Some(app) = optional_str(&upload.json, "appId")? {
        file.app_id = Some(app);
    }
    if st.data_files.name_taken(&file.name, file.connection_id.as_deref(), Some(id)) {
        return Err(name_conflict(&file.name));
    }
    let now = st.now();
    if let Some(part) = &upload.file {
        file.size = part.bytes.len() as u64;
        file.content_updated = now;
    }
    check_quota(st, file.connection_id.as_deref(), Some(id), file.size)?;
    file.modified = now;
    st.data_files.files[index] = file.clone();
    st.log_change(Resource::DataFiles, id, "updated", now);
    Ok(Reply::json(StatusCode::CREATED, &to_json(&file)))
}

/// DELETE /data-files/{id}: 204; a folder goes with everything under it.
pub(crate) fn delete(st: &mut State, id: &str) -> Result<Reply, ApiError> {
    let index = st.data_files.index(id).ok_or_else(|| not_found(id))?;
    let gone = st.data_files.files.remove(index);
    if gone.folder {
        let prefix = format!("{}/", gone.name.to_lowercase());
        st.data_files
            .files
            .retain(|f| f.connection_id != gone.connection_id || !f.name.to_lowercase().starts_with(&prefix));
    }
    st.log_change(Resource::DataFiles, id, "deleted", st.now());
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Data file '{id}' not found."))
}

/// A seeded record: every field optional.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedFile {
    id: Option<String>,
    name: Option<String>,
    size: Option<u64>,
    owner_id: Option<String>,
    space_id: Option<String>,
    connection_id: Option<String>,
    app_id: Option<String>,
    #[serde(default)]
    folder: bool,
}

/// Seeds explicit `records` (a given `name` may be empty, as a nameless record) and `count`
/// generated files named `<prefix><word>-<n>.<ext>`; all or nothing.
pub(crate) fn seed(st: &mut State, records: &[Value], count: usize, prefix: &str) -> Result<Vec<String>, String> {
    let mark = st.data_files.files.len();
    let result = seed_all(st, records, count, prefix);
    if result.is_err() {
        st.data_files.files.truncate(mark);
    }
    result
}

fn seed_all(st: &mut State, records: &[Value], count: usize, prefix: &str) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    // The personal files' names, read once and kept up to date (seeding 10,000 files stays fast).
    let mut taken: HashSet<String> =
        st.data_files.files.iter().filter(|f| f.connection_id.is_none()).map(|f| f.name.to_lowercase()).collect();
    for record in records {
        let r: SeedFile =
            serde_json::from_value(record.clone()).map_err(|e| format!("invalid data file record: {e}"))?;
        let name = match r.name {
            Some(name) => name,
            None => generated_name(st, prefix, &taken),
        };
        let new = NewFile {
            id: r.id,
            name,
            size: r.size.unwrap_or(1024),
            owner_id: r.owner_id,
            space_id: r.space_id,
            connection_id: r.connection_id,
            app_id: r.app_id,
            folder: r.folder,
        };
        let file = insert(st, new).map_err(|e| e.detail)?;
        if file.connection_id.is_none() {
            taken.insert(file.name.to_lowercase());
        }
        created.push(file.id);
    }
    // Generated files: the quota is read once, not per file.
    let mut used = st.data_files.personal_bytes(None);
    for _ in 0..count {
        let name = generated_name(st, prefix, &taken);
        let size = 512 + u64::from_str_radix(&st.gen.hex(2), 16).unwrap_or(0);
        if used + size > PERSONAL_QUOTA_BYTES {
            return Err(format!("seeding would exceed the personal quota of {PERSONAL_QUOTA_BYTES} bytes"));
        }
        used += size;
        taken.insert(name.to_lowercase());
        created.push(insert_checked(st, NewFile { name, size, ..Default::default() }).id);
    }
    Ok(created)
}

/// A realistic file name not in `taken` (the personal files' names, lowercase). The number
/// starts past the count of files, so a free name is usually found at the first try.
fn generated_name(st: &mut State, prefix: &str, taken: &HashSet<String>) -> String {
    let word = st.gen.pick(FILE_WORDS);
    let extension = st.gen.pick(FILE_EXTENSIONS);
    (st.data_files.files.len() + 1..)
        .map(|n| format!("{prefix}{word}-{n}.{extension}"))
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .unwrap_or_default()
}

// Route handlers (the router's signature).

pub(crate) fn list_route(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    list(st, ctx)
}

pub(crate) fn create_route(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    create(st, ctx)
}

pub(crate) fn get_route(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    get(st, p.get("id"))
}

pub(crate) fn put_route(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    put(st, ctx, p.get("id"))
}

pub(crate) fn delete_route(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    delete(st, p.get("id"))
}
