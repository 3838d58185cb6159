//! Data stores, data assets and data sets (`/data-stores`, `/data-assets`, `/data-sets`): page
//! numbers with `page`/`pages`/`total` and `links`, `projections`, `sort`, a `version` bumped on
//! every update (a stale one is 409), batch deletes with `{"ids": [...]}`, and the nested lists
//! `/data-stores/{ids}/data-assets` and `.../data-assets/{ids}/data-sets` (`*` for all).

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::paging::{query_encode, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::state::{Resource, State};

/// `limit`: default 20, at most 100 (a larger value is a 400).
const LIMIT: LimitRule = LimitRule { default: 20, max: 100, clamp: false };

/// The records of this API, in creation order; each is the record as Qlik returns it.
#[derive(Debug, Default, Clone)]
pub(crate) struct DataStoresState {
    pub stores: Vec<Map<String, Value>>,
    pub assets: Vec<Map<String, Value>>,
    pub sets: Vec<Map<String, Value>>,
}

/// One of the three record kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Store,
    Asset,
    Set,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Store => "Data store",
            Kind::Asset => "Data asset",
            Kind::Set => "Data set",
        }
    }

    fn resource(self) -> Resource {
        match self {
            Kind::Store => Resource::DataStores,
            Kind::Asset => Resource::DataAssets,
            Kind::Set => Resource::DataSets,
        }
    }

    /// Fields a client may set, with their JSON type (`s` string, `a` string array, `o` object).
    fn writable(self) -> &'static [(&'static str, char)] {
        const COMMON: [(&str, char); 8] = [
            ("name", 's'),
            ("technicalName", 's'),
            ("description", 's'),
            ("technicalDescription", 's'),
            ("ownerId", 's'),
            ("spaceId", 's'),
            ("tags", 'a'),
            ("properties", 'o'),
        ];
        const STORE: [(&str, char); 10] = concat8(COMMON, [("type", 's'), ("uri", 's')]);
        const ASSET: [(&str, char); 11] = concat8(COMMON, [("appId", 's'), ("appType", 's'), ("dataFreshness", 's')]);
        const SET: [(&str, char); 15] = concat8(
            COMMON,
            [
                ("qri", 's'),
                ("secureQri", 's'),
                ("type", 's'),
                ("schema", 'o'),
                ("additionalSchemas", 'r'),
                ("operational", 'o'),
                ("appTypeOverride", 's'),
            ],
        );
        match self {
            Kind::Store => &STORE,
            Kind::Asset => &ASSET,
            Kind::Set => &SET,
        }
    }

    /// Required string fields with their (min, max) lengths.
    fn required(self) -> &'static [(&'static str, usize, usize)] {
        match self {
            Kind::Store => &[("technicalName", 1, 255), ("type", 1, 64)],
            Kind::Asset => &[("technicalName", 1, 255), ("appType", 0, usize::MAX)],
            Kind::Set => &[("technicalName", 1, 255), ("qri", 8, 1024), ("secureQri", 0, usize::MAX)],
        }
    }

    fn records(self, st: &State) -> &Vec<Map<String, Value>> {
        match self {
            Kind::Store => &st.data_stores.stores,
            Kind::Asset => &st.data_stores.assets,
            Kind::Set => &st.data_stores.sets,
        }
    }

    fn records_mut(self, st: &mut State) -> &mut Vec<Map<String, Value>> {
        match self {
            Kind::Store => &mut st.data_stores.stores,
            Kind::Asset => &mut st.data_stores.assets,
            Kind::Set => &mut st.data_stores.sets,
        }
    }
}

/// Concatenates the common fields with a kind's own (const, so the tables stay static).
const fn concat8<const N: usize, const M: usize>(
    a: [(&'static str, char); 8],
    b: [(&'static str, char); N],
) -> [(&'static str, char); M] {
    let mut out = [("", 's'); M];
    let mut i = 0;
    while i < 8 {
        out[i] = a[i];
        i += 1;
    }
    while i < M {
        out[i] = b[i - 8];
        i += 1;
    }
    out
}

fn id_of(record: &Map<String, Value>) -> &str {
    record.get("id").and_then(Value::as_str).unwrap_or_default()
}

fn index(st: &State, kind: Kind, id: &str) -> Option<usize> {
    kind.records(st).iter().position(|r| id_of(r) == id)
}

fn not_found(kind: Kind, id: &str) -> ApiError {
    ApiError::not_found(format!("{} '{id}' not found.", kind.noun()))
}

/// The parent id of an asset (`dataStoreInfo.id`) or a set (`dataAssetInfo.id`).
fn parent_of(kind: Kind, record: &Map<String, Value>) -> Option<&str> {
    let info = match kind {
        Kind::Store => return None,
        Kind::Asset => "dataStoreInfo",
        Kind::Set => "dataAssetInfo",
    };
    record.get(info)?.get("id")?.as_str()
}

// ------------------------------------------------------------------------------------ lists

/// GET /data-stores
pub(crate) fn list_stores(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let records: Vec<&Map<String, Value>> = st.data_stores.stores.iter().collect();
    page(st, ctx, records)
}

/// GET /data-stores/{ids}/data-assets
pub(crate) fn list_assets(st: &State, ctx: &Ctx, store_ids: &str) -> Result<Reply, ApiError> {
    let stores = id_list(st, Kind::Store, store_ids)?;
    let records = st.data_stores.assets.iter().filter(|a| in_list(&stores, parent_of(Kind::Asset, a))).collect();
    page(st, ctx, records)
}

/// GET /data-stores/{ids}/data-assets/{ids}/data-sets
pub(crate) fn list_sets(st: &State, ctx: &Ctx, store_ids: &str, asset_ids: &str) -> Result<Reply, ApiError> {
    let assets = assets_of(st, store_ids, asset_ids)?;
    let records =
        st.data_stores.sets.iter().filter(|s| in_list(&Some(assets.clone()), parent_of(Kind::Set, s))).collect();
    page(st, ctx, records)
}

/// A comma list of ids of `kind` (`None` for `*`); an unknown id is a 404.
fn id_list(st: &State, kind: Kind, raw: &str) -> Result<Option<Vec<String>>, ApiError> {
    if raw == "*" {
        return Ok(None);
    }
    let ids: Vec<String> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request("give a comma-separated list of ids or *"));
    }
    match ids.iter().find(|id| index(st, kind, id).is_none()) {
        Some(missing) => Err(not_found(kind, missing)),
        None => Ok(Some(ids)),
    }
}

fn in_list(list: &Option<Vec<String>>, id: Option<&str>) -> bool {
    match list {
        None => true,
        Some(ids) => id.is_some_and(|id| ids.iter().any(|i| i == id)),
    }
}

/// The ids of the assets `asset_ids` selects among the assets of `store_ids`.
fn assets_of(st: &State, store_ids: &str, asset_ids: &str) -> Result<Vec<String>, ApiError> {
    let stores = id_list(st, Kind::Store, store_ids)?;
    let assets = id_list(st, Kind::Asset, asset_ids)?;
    Ok(st
        .data_stores
        .assets
        .iter()
        .filter(|a| in_list(&stores, parent_of(Kind::Asset, a)) && in_list(&assets, Some(id_of(a))))
        .map(|a| id_of(a).to_string())
        .collect())
}

/// One page: `sort`, `limit`, `page` (from 0), `projections`; links `self`, `first`, `last`
/// and `next`/`prev` where they exist, absolute, keeping the caller's other parameters.
fn page(st: &State, ctx: &Ctx, mut records: Vec<&Map<String, Value>>) -> Result<Reply, ApiError> {
    let limit = super::paging::parse_limit(ctx, LIMIT)?;
    let page = match ctx.param("page") {
        None => 0,
        Some(raw) => raw.trim().parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("page must be an integer of at least 0, got {raw:?}")).param("page")
        })?,
    };
    sort(ctx, &mut records)?;
    let projections = projections(ctx);
    let total = records.len();
    let pages = total.div_ceil(limit);
    let data: Vec<Value> = records
        .iter()
        .skip(page.saturating_mul(limit))
        .take(limit)
        .map(|r| project(r, projections.as_deref()))
        .collect();
    let origin = ctx.origin(&st.identity.base_url);
    let href = |n: usize| json!({ "href": page_href(ctx, &origin, n) });
    let mut links = Map::new();
    links.insert("self".into(), href(page));
    links.insert("first".into(), href(0));
    links.insert("last".into(), href(pages.saturating_sub(1)));
    if page + 1 < pages {
        links.insert("next".into(), href(page + 1));
    }
    if page > 0 && page <= pages {
        links.insert("prev".into(), href(page - 1));
    }
    let body = json!({ "data": data, "page": page, "limit": limit, "pages": pages, "total": total, "links": links });
    Ok(Reply::json(StatusCode::OK, &body))
}

fn page_href(ctx: &Ctx, origin: &str, page: usize) -> String {
    let mut pairs: Vec<String> = ctx
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
        .collect();
    pairs.push(format!("page={page}"));
    format!("{origin}{}?{}", ctx.path, pairs.join("&"))
}

/// Fields a list may be sorted by.
const SORT_FIELDS: &[&str] = &[
    "id",
    "name",
    "technicalName",
    "type",
    "appType",
    "ownerId",
    "spaceId",
    "version",
    "createdTime",
    "lastModifiedTime",
];

/// `sort`: a comma list of fields, `-` for descending; a stable sort, creation order last.
fn sort(ctx: &Ctx, records: &mut [&Map<String, Value>]) -> Result<(), ApiError> {
    let Some(raw) = ctx.param("sort") else { return Ok(()) };
    let mut keys = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (desc, field) = match part.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        if !SORT_FIELDS.contains(&field) {
            let detail = format!("unsupported sort field {field:?}; supported: {}", SORT_FIELDS.join(", "));
            return Err(ApiError::bad_request(detail).param("sort"));
        }
        keys.push((field, desc));
    }
    records.sort_by(|a, b| {
        keys.iter()
            .map(|(field, desc)| {
                let order = sort_key(a, field).cmp(&sort_key(b, field));
                if *desc {
                    order.reverse()
                } else {
                    order
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(())
}

fn sort_key(record: &Map<String, Value>, field: &str) -> (u8, i64, String) {
    match record.get(field) {
        Some(Value::Number(n)) => (1, n.as_i64().unwrap_or_default(), String::new()),
        Some(Value::String(s)) => (1, 0, s.to_lowercase()),
        _ => (0, 0, String::new()),
    }
}

/// `projections` (comma list, repeatable), `None` when absent.
fn projections(ctx: &Ctx) -> Option<Vec<String>> {
    let fields: Vec<String> = ctx
        .query
        .iter()
        .filter(|(k, _)| k == "projections")
        .flat_map(|(_, v)| v.split(','))
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    (!fields.is_empty()).then_some(fields)
}

/// The record with only the projected fields; `id` and the schema's required fields stay, so
/// every projected record is still a valid record.
fn project(record: &Map<String, Value>, fields: Option<&[String]>) -> Value {
    const KEEP: &[&str] = &["id", "technicalName", "type", "appType", "qri", "secureQri", "dataAssetInfo"];
    let Some(fields) = fields else { return Value::Object(record.clone()) };
    let kept = record.iter().filter(|(k, _)| KEEP.contains(&k.as_str()) || fields.iter().any(|f| f == *k));
    Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
}

// --------------------------------------------------------------------------- single records

/// GET /data-stores/{id}, /data-assets/{id}, /data-sets/{id}
pub(crate) fn get(st: &State, ctx: &Ctx, kind: Kind, id: &str) -> Result<Reply, ApiError> {
    let i = index(st, kind, id).ok_or_else(|| not_found(kind, id))?;
    let projections = projections(ctx);
    Ok(Reply::json(StatusCode::OK, &project(&kind.records(st)[i], projections.as_deref())))
}

/// POST /data-stores, /data-assets, /data-sets: 201 with the new record.
pub(crate) fn create(st: &mut State, ctx: &Ctx, kind: Kind) -> Result<Reply, ApiError> {
    let body = json_object(ctx)?;
    for field in ["id", "version"] {
        if body.get(field).is_some_and(|v| !v.is_null()) {
            return Err(
                ApiError::bad_request(format!("{field} must be null for a new resource")).pointer(&format!("/{field}"))
            );
        }
    }
    let record = insert(st, kind, None, &body)?;
    Ok(Reply::json(StatusCode::CREATED, &Value::Object(record)))
}

/// Validates and stores a new record (POST and seeding), logging the change.
pub(crate) fn insert(
    st: &mut State,
    kind: Kind,
    id: Option<String>,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    if let Some(id) = &id {
        if id.is_empty() || id == "*" || id.contains(',') || index(st, kind, id).is_some() {
            return Err(ApiError::bad_request(format!("id {id:?} is empty, reserved or taken")));
        }
    }
    let mut record = Map::new();
    let id = id.unwrap_or_else(|| st.new_id());
    record.insert("id".into(), json!(id));
    copy_fields(kind, body, &mut record)?;
    let parent = link_parent(st, kind, body)?;
    let at = st.now();
    let now = rfc3339(at);
    let admin = st.admin_id.clone();
    record.entry("ownerId").or_insert_with(|| json!(admin));
    if let Some((key, info)) = parent {
        record.insert(key.into(), info);
    }
    record.insert("version".into(), json!(1));
    record.insert("tenantId".into(), json!(st.tenant_id));
    record.insert("createdBy".into(), json!(admin));
    record.insert("createdTime".into(), json!(now));
    record.insert("lastModifiedBy".into(), json!(admin));
    record.insert("lastModifiedTime".into(), json!(now));
    kind.records_mut(st).push(record.clone());
    st.log_change(kind.resource(), &id, "created", at);
    Ok(record)
}

/// Copies and checks the writable fields of a body (required ones must be there).
fn copy_fields(kind: Kind, body: &Map<String, Value>, record: &mut Map<String, Value>) -> Result<(), ApiError> {
    for (field, ty) in kind.writable() {
        let Some(value) = body.get(*field).filter(|v| !v.is_null()) else { continue };
        let ok = match ty {
            's' => value.is_string(),
            'a' => value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            'r' => value.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
            _ => value.as_object().is_some_and(|o| *field != "properties" || o.values().all(Value::is_object)),
        };
        if !ok {
            return Err(ApiError::bad_request(format!("{field} has the wrong type")).pointer(&format!("/{field}")));
        }
        record.insert(field.to_string(), value.clone());
    }
    for (field, min, max) in kind.required() {
        let len = record.get(*field).and_then(Value::as_str).map(|s| s.chars().count());
        match len {
            None => return Err(ApiError::bad_request(format!("{field} is required")).pointer(&format!("/{field}"))),
            Some(n) if n < *min || n > *max => {
                let detail = format!("{field} must be {min} to {max} characters");
                return Err(ApiError::bad_request(detail).pointer(&format!("/{field}")));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The parent info of an asset (`dataStoreInfo` of an existing store, optional) or a set
/// (`dataAssetInfo` of an existing asset, required), filled with the parent's names.
fn link_parent(st: &State, kind: Kind, body: &Map<String, Value>) -> Result<Option<(&'static str, Value)>, ApiError> {
    let (key, parent_kind) = match kind {
        Kind::Store => return Ok(None),
        Kind::Asset => ("dataStoreInfo", Kind::Store),
        Kind::Set => ("dataAssetInfo", Kind::Asset),
    };
    let given = body.get(key).filter(|v| !v.is_null());
    let Some(id) = given.map(|info| info.get("id").and_then(Value::as_str)) else {
        if kind == Kind::Set {
            return Err(ApiError::bad_request("dataAssetInfo is required").pointer("/dataAssetInfo"));
        }
        return Ok(None);
    };
    let pointer = format!("/{key}/id");
    let id = id.ok_or_else(|| ApiError::bad_request(format!("{key}.id is required")).pointer(&pointer))?;
    let i = index(st, parent_kind, id).ok_or_else(|| {
        ApiError::bad_request(format!("{} '{id}' does not exist", parent_kind.noun())).pointer(&pointer)
    })?;
    Ok(Some((key, info(parent_kind, &parent_kind.records(st)[i], st))))
}

/// `{id, name, type}` of a store, `{id, name, dataStoreInfo}` of an asset.
fn info(kind: Kind, record: &Map<String, Value>, st: &State) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(id_of(record)));
    if let Some(name) = record.get("name") {
        out.insert("name".into(), name.clone());
    }
    match kind {
        Kind::Store => {
            out.insert("type".into(), record.get("type").cloned().unwrap_or(Value::Null));
        }
        _ => {
            if let Some(store) = parent_of(Kind::Asset, record).and_then(|id| index(st, Kind::Store, id)) {
                out.insert("dataStoreInfo".into(), info(Kind::Store, &st.data_stores.stores[store], st));
            }
        }
    }
    Value::Object(out)
}

/// PUT /data-stores/{id}, /data-assets/{id}, /data-sets/{id}: the whole record with the
/// `version` it was read at (a stale one is 409); 200 with the record, its version bumped.
pub(crate) fn put(st: &mut State, ctx: &Ctx, kind: Kind, id: &str) -> Result<Reply, ApiError> {
    let i = index(st, kind, id).ok_or_else(|| not_found(kind, id))?;
    let body = json_object(ctx)?;
    if let Some(given) = body.get("id").filter(|v| !v.is_null()) {
        if given.as_str() != Some(id) {
            return Err(ApiError::bad_request("id must match the path").pointer("/id"));
        }
    }
    let current = kind.records(st)[i].get("version").and_then(Value::as_i64).unwrap_or_default();
    let version = match body.get("version") {
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
        Some(Value::Null) | None => {
            return Err(ApiError::bad_request("version is required when updating").pointer("/version"))
        }
        Some(_) => return Err(ApiError::bad_request("version must be an integer").pointer("/version")),
    };
    if version != current {
        let detail = format!(
            "{} '{id}' was changed meanwhile: version {version} is stale, the current one is {current}.",
            kind.noun()
        );
        return Err(ApiError::new(StatusCode::CONFLICT, detail));
    }
    let old = kind.records(st)[i].clone();
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    copy_fields(kind, &body, &mut record)?;
    let parent = match link_parent(st, kind, &body)? {
        Some(parent) => Some(parent),
        // An asset keeps its store when the body leaves it out.
        None => old.get("dataStoreInfo").map(|v| ("dataStoreInfo", v.clone())),
    };
    if let Some((key, value)) = parent {
        record.insert(key.into(), value);
    }
    record.entry("ownerId").or_insert_with(|| old["ownerId"].clone());
    for field in ["tenantId", "createdBy", "createdTime"] {
        record.insert(field.into(), old[field].clone());
    }
    record.insert("version".into(), json!(current + 1));
    record.insert("lastModifiedBy".into(), json!(st.admin_id));
    let at = st.now();
    record.insert("lastModifiedTime".into(), json!(rfc3339(at)));
    kind.records_mut(st)[i] = record.clone();
    st.log_change(kind.resource(), id, "updated", at);
    Ok(Reply::json(StatusCode::OK, &Value::Object(record)))
}

// ---------------------------------------------------------------------------------- deletes

/// DELETE /data-stores, /data-assets, /data-sets with `{"ids": [...]}`: 204. Every id must
/// exist (404, nothing deleted); a store that still has data assets is 409. Deleting assets
/// deletes their data sets.
pub(crate) fn delete_batch(st: &mut State, ctx: &Ctx, kind: Kind) -> Result<Reply, ApiError> {
    let body = json_object(ctx)?;
    let ids: Vec<String> = match body.get("ids") {
        Some(Value::Array(ids)) if !ids.is_empty() && ids.iter().all(Value::is_string) => {
            ids.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        _ => return Err(ApiError::bad_request("ids must be a non-empty array of strings").pointer("/ids")),
    };
    if let Some(missing) = ids.iter().find(|id| index(st, kind, id).is_none()) {
        return Err(not_found(kind, missing));
    }
    if kind == Kind::Store {
        let busy =
            ids.iter().find(|id| st.data_stores.assets.iter().any(|a| parent_of(Kind::Asset, a) == Some(id.as_str())));
        if let Some(busy) = busy {
            let detail = format!("Data store '{busy}' still has data assets; delete them first.");
            return Err(ApiError::new(StatusCode::CONFLICT, detail));
        }
    }
    remove(st, kind, &ids);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// DELETE /data-stores/{ids}/data-assets: the stores' assets and their sets; 204.
pub(crate) fn delete_assets_of(st: &mut State, store_ids: &str) -> Result<Reply, ApiError> {
    let assets = assets_of(st, store_ids, "*")?;
    remove(st, Kind::Asset, &assets);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// DELETE /data-stores/{ids}/data-assets/{ids}/data-sets: those assets' sets; 204.
pub(crate) fn delete_sets_of(st: &mut State, store_ids: &str, asset_ids: &str) -> Result<Reply, ApiError> {
    let assets = assets_of(st, store_ids, asset_ids)?;
    let sets = sets_of(st, &assets);
    remove(st, Kind::Set, &sets);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The ids of the data sets of these assets.
fn sets_of(st: &State, asset_ids: &[String]) -> Vec<String> {
    let assets = Some(asset_ids.to_vec());
    st.data_stores
        .sets
        .iter()
        .filter(|s| in_list(&assets, parent_of(Kind::Set, s)))
        .map(|s| id_of(s).to_string())
        .collect()
}

/// Removes records (and, for assets, their sets), logging each deletion.
fn remove(st: &mut State, kind: Kind, ids: &[String]) {
    if kind == Kind::Asset {
        let sets = sets_of(st, ids);
        remove(st, Kind::Set, &sets);
    }
    kind.records_mut(st).retain(|r| !ids.iter().any(|id| id == id_of(r)));
    for id in ids {
        st.log_change(kind.resource(), id, "deleted", st.now());
    }
}

fn json_object(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    match ctx.json() {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad_request("body must be a JSON object")),
    }
}

// -------------------------------------------------------------------------------------- seed

const STORE_TYPES: &[&str] = &["qix-datafiles", "snowflake", "postgresql", "amazon-s3"];
const SUBJECTS: &[&str] = &["Orders", "Customers", "Invoices", "Shipments", "Products", "Payroll", "Leads", "Tickets"];
const QUALIFIERS: &[&str] = &["Daily", "Monthly", "Archive", "Staging", "Curated", "Raw"];

/// `POST /__sim/seed` for `data-stores`, `data-assets` (each in a store: the record's
/// `dataStoreId`, else `parentId`) and `data-sets` (in an asset: `dataAssetId`, else
/// `parentId`). `count` generated records and/or explicit `records` (any record field, an
/// `id`; a `name` of `null` leaves the record nameless). All or nothing.
pub(crate) fn seed(
    st: &mut State,
    kind: Kind,
    count: usize,
    records: &[Value],
    parent_id: Option<&str>,
) -> Result<Vec<String>, String> {
    let before = st.data_stores.clone();
    let result = seed_all(st, kind, count, records, parent_id);
    if result.is_err() {
        st.data_stores = before;
    }
    result
}

fn seed_all(
    st: &mut State,
    kind: Kind,
    count: usize,
    records: &[Value],
    parent_id: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    let generated = std::iter::repeat_n(Value::Object(Map::new()), count);
    for record in records.iter().cloned().chain(generated) {
        let Value::Object(mut record) = record else { return Err("every record must be a JSON object".into()) };
        let id = match record.remove("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id),
            Some(_) => return Err("id must be a string".into()),
        };
        let parent_key = match kind {
            Kind::Store => None,
            Kind::Asset => Some(("dataStoreId", "dataStoreInfo")),
            Kind::Set => Some(("dataAssetId", "dataAssetInfo")),
        };
        if let Some((key, info)) = parent_key {
            let parent = match record.remove(key) {
                Some(Value::String(p)) => p,
                _ => parent_id.map(str::to_string).ok_or_else(|| format!("give {key} or parentId"))?,
            };
            record.insert(info.into(), json!({ "id": parent }));
        }
        generate(st, kind, &mut record);
        created.push(id_of(&insert(st, kind, id, &record).map_err(|e| e.detail)?).to_string());
    }
    Ok(created)
}

/// Fills the fields a seeded record leaves out with realistic values.
fn generate(st: &mut State, kind: Kind, record: &mut Map<String, Value>) {
    let subject = st.gen.pick(SUBJECTS);
    let qualifier = st.gen.pick(QUALIFIERS);
    let n = st.data_stores.stores.len() + st.data_stores.assets.len() + st.data_stores.sets.len() + 1;
    let name = format!("{subject} {qualifier} {n}");
    let technical = name.to_lowercase().replace(' ', "_");
    match record.get("name") {
        None => {
            record.insert("name".into(), json!(name));
        }
        Some(Value::Null) => {
            record.remove("name");
        }
        Some(_) => {}
    }
    record.entry("technicalName").or_insert_with(|| json!(technical));
    match kind {
        Kind::Store => {
            let kind = st.gen.pick(STORE_TYPES);
            record.entry("type").or_insert_with(|| json!(kind));
            record.entry("uri").or_insert_with(|| json!(format!("https://data.example.com/{technical}")));
        }
        Kind::Asset => {
            record.entry("appType").or_insert_with(|| json!("QIX-DF"));
        }
        Kind::Set => {
            let qri = format!("qdf:qix-datafiles:{}:sid@{}:{technical}.csv", st.tenant_id, st.admin_id);
            record.entry("secureQri").or_insert_with(|| json!(format!("qri:qdf:space://{technical}.csv")));
            record.entry("qri").or_insert_with(|| json!(qri));
            record.entry("type").or_insert_with(|| json!("delimited"));
        }
    }
}
