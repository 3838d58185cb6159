//! Apps (`/apps`) and the items that list them (`/items`).
//!
//! Apps have no list endpoint; every app is also an item (`resourceType: app`, `resourceId` =
//! the app id, an item id of its own). The apps API documents no error codes: unknown apps get
//! a 404, malformed bodies a 400, in the generic `{errors: [{code, title, detail}], traceId}`
//! shape. Items errors have no `traceId` in the body (it is the `X-B3-Traceid` header).

use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::paging::{self, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::state::{Resource, State};

/// `limit` of `GET /items`: default 10, 1 to 100, larger values are a 400.
const ITEMS_LIMIT: LimitRule = LimitRule { default: 10, max: 100, clamp: false };
/// `usage` values the apps API accepts.
pub(crate) const USAGES: &[&str] = &["ANALYTICS", "DATA_PREPARATION", "DATAFLOW_PREP", "SINGLE_TABLE_PREP"];
/// `sort` values of `GET /items` (the prefix is mandatory).
const ITEM_SORTS: &[&str] = &["createdAt", "name", "updatedAt", "recentlyUsed"];
/// Resource types the items API knows (only apps exist here, the others match nothing).
const RESOURCE_TYPES: &[&str] = &[
    "app",
    "collection",
    "qlikview",
    "insight",
    "qvapp",
    "genericlink",
    "sharingservicetask",
    "note",
    "dataasset",
    "dataset",
    "automation",
    "automl-experiment",
    "automl-deployment",
    "assistant",
    "dataproduct",
    "dataqualityrule",
    "glossary",
    "knowledgebase",
    "script",
    "semantictype",
    "page",
];
const PRIVILEGES: &[&str] = &[
    "read",
    "create",
    "update",
    "delete",
    "reload",
    "import",
    "publish",
    "duplicate",
    "export",
    "exportdata",
    "change_owner",
    "change_space",
];
const ITEM_ACTIONS: &[&str] = &["read", "update", "delete", "reload", "publish", "duplicate", "export"];

/// An app; it is also listed as an item.
#[derive(Debug, Clone)]
pub(crate) struct App {
    /// The app id (a GUID), the item's `resourceId`.
    pub id: String,
    /// The item id (an ObjectId of its own).
    pub item_id: String,
    pub name: String,
    pub description: String,
    pub space_id: Option<String>,
    pub owner_id: String,
    pub locale: Option<String>,
    pub usage: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub publish_time: Option<DateTime<Utc>>,
}

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct AppsState {
    /// Every app, in creation order.
    pub apps: Vec<App>,
}

impl AppsState {
    fn index(&self, id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.id == id)
    }
}

/// Fields of an app to create.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewApp {
    /// A given id (seeding); `None` generates one.
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub space_id: Option<String>,
    pub owner_id: Option<String>,
    pub locale: Option<String>,
    pub usage: Option<String>,
    pub published: bool,
}

/// POST /apps: `{attributes: {name, description, spaceId, locale, usage}}` → 200 `NxApp`.
pub(crate) fn create(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let attributes = attributes(ctx)?;
    let new = NewApp {
        id: None,
        name: string_attr(&attributes, "name")?.unwrap_or_default(),
        description: string_attr(&attributes, "description")?.unwrap_or_default(),
        space_id: string_attr(&attributes, "spaceId")?.filter(|s| !s.is_empty()),
        owner_id: None,
        locale: string_attr(&attributes, "locale")?,
        usage: string_attr(&attributes, "usage")?,
        published: false,
    };
    let app = insert(st, new)?;
    Ok(Reply::json(StatusCode::OK, &to_json(st, &app)))
}

/// Validates and stores a new app (POST /apps and seeding), logging the change.
pub(crate) fn insert(st: &mut State, new: NewApp) -> Result<App, ApiError> {
    validate_name(&new.name)?;
    let usage = new.usage.unwrap_or_else(|| USAGES[0].to_string());
    if !USAGES.contains(&usage.as_str()) {
        let detail = format!("usage must be one of {}", USAGES.join(", "));
        return Err(ApiError::bad_request(detail).pointer("/attributes/usage"));
    }
    if let Some(space_id) = &new.space_id {
        if st.space_index(space_id).is_none() {
            return Err(ApiError::not_found(format!("Space '{space_id}' not found or access denied."))
                .pointer("/attributes/spaceId"));
        }
    }
    if let Some(id) = &new.id {
        if id.trim().is_empty() || id.contains('/') || st.apps.index(id).is_some() {
            return Err(ApiError::bad_request(format!("app id {id:?} is empty, malformed or taken")));
        }
    }
    let now = st.now();
    let id = new.id.unwrap_or_else(|| guid(st));
    let app = App {
        item_id: st.new_id(),
        id,
        name: new.name,
        description: new.description,
        space_id: new.space_id,
        owner_id: new.owner_id.unwrap_or_else(|| st.admin_id.clone()),
        locale: new.locale,
        usage,
        created_at: now,
        updated_at: now,
        publish_time: new.published.then_some(now),
    };
    st.apps.apps.push(app.clone());
    st.log_change(Resource::Apps, &app.id, "created", now);
    Ok(app)
}

/// A GUID such as `f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b` (app ids are GUIDs).
fn guid(st: &mut State) -> String {
    let hex = st.gen.hex(16);
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// GET /apps/{appId}
pub(crate) fn get(st: &State, id: &str) -> Result<Reply, ApiError> {
    let index = st.apps.index(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(StatusCode::OK, &to_json(st, &st.apps.apps[index])))
}

/// PUT /apps/{appId}: `{attributes: {name?, description?}}` → 200 `NxApp`.
pub(crate) fn update(st: &mut State, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
    let index = st.apps.index(id).ok_or_else(|| not_found(id))?;
    let attributes = attributes(ctx)?;
    let mut app = st.apps.apps[index].clone();
    if let Some(name) = string_attr(&attributes, "name")? {
        validate_name(&name)?;
        app.name = name;
    }
    if let Some(description) = string_attr(&attributes, "description")? {
        app.description = description;
    }
    app.updated_at = st.now();
    st.apps.apps[index] = app.clone();
    st.log_change(Resource::Apps, id, "updated", app.updated_at);
    Ok(Reply::json(StatusCode::OK, &to_json(st, &app)))
}

/// DELETE /apps/{appId}: 200 with an empty body (its item goes too).
pub(crate) fn delete(st: &mut State, id: &str) -> Result<Reply, ApiError> {
    let index = st.apps.index(id).ok_or_else(|| not_found(id))?;
    st.apps.apps.remove(index);
    st.log_change(Resource::Apps, id, "deleted", st.now());
    Ok(Reply::empty(StatusCode::OK))
}

/// GET /items: the apps as items, filtered by `resourceType`, `name` (case-insensitive, exact),
/// `query` (case-insensitive substring of name or description), `spaceId` (`personal`: no
/// space), `ownerId`, `resourceId`/`resourceIds`; sorted by `sort` (default `+createdAt`);
/// cursor paging with absolute `links`.
pub(crate) fn list_items(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (field, desc) = item_sort(ctx)?;
    let filter = ItemFilter::from_query(ctx)?;
    let mut matching: Vec<&App> = st.apps.apps.iter().filter(|a| filter.accepts(a)).collect();
    paging::sort_records(&mut matching, desc, |a, b| {
        let primary = match field.as_str() {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            "updatedAt" | "recentlyUsed" => a.updated_at.cmp(&b.updated_at),
            _ => a.created_at.cmp(&b.created_at),
        };
        primary.then(a.created_at.cmp(&b.created_at)).then_with(|| a.item_id.cmp(&b.item_id))
    });
    let (data, links) =
        paging::cursor_page(ctx, &st.identity.base_url, ITEMS_LIMIT, &matching, |a| &a.item_id, |a| item_json(st, a))?;
    let body = json!({ "data": data, "links": links });
    Ok(Reply::json(StatusCode::OK, &body).with_header("x-b3-traceid", ctx.trace_id.clone()))
}

/// `sort`: one of [`ITEM_SORTS`] with a mandatory `+` or `-` (an unencoded `+` arrives as a space).
fn item_sort(ctx: &Ctx) -> Result<(String, bool), ApiError> {
    let Some(raw) = ctx.param("sort") else {
        return Ok(("createdAt".into(), false));
    };
    let parsed = match raw.chars().next() {
        Some('-') => Some((&raw[1..], true)),
        Some('+' | ' ') => Some((&raw[1..], false)),
        _ => None,
    };
    match parsed {
        Some((field, desc)) if ITEM_SORTS.contains(&field) => Ok((field.to_string(), desc)),
        _ => {
            let allowed: Vec<String> = ITEM_SORTS.iter().flat_map(|f| [format!("+{f}"), format!("-{f}")]).collect();
            let detail = format!("unsupported sort {raw:?}; use one of {}", allowed.join(", "));
            Err(ApiError::bad_request(detail).param("sort"))
        }
    }
}

/// The filters of `GET /items` that apps can match.
struct ItemFilter {
    wants_apps: bool,
    name: Option<String>,
    query: Option<String>,
    space_id: Option<String>,
    owner_id: Option<String>,
    resource_ids: Option<Vec<String>>,
}

impl ItemFilter {
    fn from_query(ctx: &Ctx) -> Result<ItemFilter, ApiError> {
        let wants_apps = match ctx.param("resourceType") {
            None => true,
            Some(raw) => {
                let mut apps = false;
                for kind in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    // `app[qvd,]` filters by sub-type; simulated apps have none, so `app[]` or a
                    // list with a trailing comma keeps them.
                    let (base, subtypes) = match kind.split_once('[') {
                        Some((base, rest)) => (base, Some(rest.trim_end_matches(']'))),
                        None => (kind, None),
                    };
                    if !RESOURCE_TYPES.contains(&base) {
                        let detail = format!("unknown resourceType {base:?}");
                        return Err(ApiError::bad_request(detail).param("resourceType"));
                    }
                    apps |= base == "app" && subtypes.is_none_or(|s| s.is_empty() || s.ends_with(','));
                }
                apps
            }
        };
        let resource_ids = match (ctx.param("resourceId"), ctx.param("resourceIds")) {
            (None, None) => None,
            (one, many) => {
                if ctx.param("resourceType").is_none() {
                    let detail = "resourceId and resourceIds need resourceType";
                    return Err(ApiError::bad_request(detail).param("resourceType"));
                }
                Some(one.into_iter().chain(many.into_iter().flat_map(|m| m.split(','))).map(str::to_string).collect())
            }
        };
        Ok(ItemFilter {
            wants_apps,
            name: ctx.param("name").map(str::to_lowercase),
            query: ctx.param("query").map(str::to_lowercase),
            space_id: ctx.param("spaceId").map(str::to_string),
            owner_id: ctx.param("ownerId").map(str::to_string),
            resource_ids,
        })
    }

    fn accepts(&self, a: &App) -> bool {
        self.wants_apps
            && self.name.as_ref().is_none_or(|n| a.name.to_lowercase() == *n)
            && self
                .query
                .as_ref()
                .is_none_or(|q| a.name.to_lowercase().contains(q) || a.description.to_lowercase().contains(q))
            && self.space_id.as_ref().is_none_or(|s| match &a.space_id {
                None => s == "personal",
                Some(own) => own == s,
            })
            && self.owner_id.as_ref().is_none_or(|o| *o == a.owner_id)
            && self.resource_ids.as_ref().is_none_or(|ids| ids.contains(&a.id))
    }
}

/// The app's `attributes` as the apps API returns them.
fn attributes_json(st: &State, a: &App) -> Value {
    let owner = st.user(&a.owner_id).map_or_else(|| a.owner_id.clone(), |u| u.subject.clone());
    let mut attributes = json!({
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "thumbnail": "",
        "createdDate": rfc3339(a.created_at),
        "modifiedDate": rfc3339(a.updated_at),
        "owner": owner,
        "ownerId": a.owner_id,
        "dynamicColor": "",
        "published": false,
        "custom": {},
        "hasSectionAccess": false,
        "encrypted": true,
        "originAppId": "",
        "isDirectQueryMode": false,
        "usage": a.usage,
    });
    let map = attributes.as_object_mut().expect("an object");
    if let Some(at) = a.publish_time {
        map.insert("publishTime".into(), json!(rfc3339(at)));
    }
    if let Some(space_id) = &a.space_id {
        map.insert("spaceId".into(), json!(space_id));
    }
    if let Some(locale) = &a.locale {
        map.insert("locale".into(), json!(locale));
    }
    attributes
}

/// The `NxApp` record.
pub(crate) fn to_json(st: &State, a: &App) -> Value {
    json!({
        "attributes": attributes_json(st, a),
        "privileges": PRIVILEGES,
        "create": [
            { "resource": "sheet", "canCreate": true },
            { "resource": "bookmark", "canCreate": true },
            { "resource": "story", "canCreate": true },
        ],
    })
}

/// The app as an item of `GET /items`.
fn item_json(st: &State, a: &App) -> Value {
    let mut item = json!({
        "id": a.item_id,
        "name": a.name,
        "description": a.description,
        "resourceType": "app",
        "resourceId": a.id,
        "resourceAttributes": attributes_json(st, a),
        "resourceCustomAttributes": {},
        "ownerId": a.owner_id,
        "creatorId": a.owner_id,
        "updaterId": a.owner_id,
        "tenantId": st.tenant_id,
        "createdAt": rfc3339(a.created_at),
        "updatedAt": rfc3339(a.updated_at),
        "resourceCreatedAt": rfc3339(a.created_at),
        "resourceUpdatedAt": rfc3339(a.updated_at),
        "collectionIds": [],
        "isFavorited": false,
        "actions": ITEM_ACTIONS,
        "meta": { "actions": ITEM_ACTIONS, "collections": [], "isFavorited": false, "tags": [] },
        "links": {
            "self": { "href": st.abs(&format!("/api/v1/items/{}", a.item_id)) },
            "open": { "href": st.abs(&format!("/sense/app/{}", a.id)) },
        },
    });
    if let Some(space_id) = &a.space_id {
        item["spaceId"] = json!(space_id);
    }
    item
}

/// Qlik's app names: not empty, at most 256 characters.
fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("attributes.name must not be empty").pointer("/attributes/name"));
    }
    if name.chars().count() > 256 {
        return Err(ApiError::bad_request("attributes.name must be at most 256 characters").pointer("/attributes/name"));
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("App '{id}' not found.")).coded("HTTP-404", "App not found")
}

/// The body's `attributes` object (a body without it changes nothing).
fn attributes(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    let Some(Value::Object(body)) = ctx.json() else {
        return Err(ApiError::bad_request("body must be a JSON object"));
    };
    match body.get("attributes") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(ApiError::bad_request("attributes must be an object").pointer("/attributes")),
    }
}

fn string_attr(attributes: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match attributes.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("attributes.{field} must be a string"))
            .pointer(&format!("/attributes/{field}"))),
    }
}

/// One explicit app of `POST /__sim/seed` (`resource: "apps"`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedApp {
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    space_id: Option<String>,
    owner_id: Option<String>,
    locale: Option<String>,
    usage: Option<String>,
    #[serde(default)]
    published: bool,
}

/// Seeds explicit `records` then `count` generated apps; on any error none of them stay.
pub(crate) fn seed(st: &mut State, count: usize, records: &[Value], prefix: &str) -> Result<Vec<String>, String> {
    let mark = st.apps.apps.len();
    let result = seed_all(st, count, records, prefix);
    if result.is_err() {
        st.apps.apps.truncate(mark);
    }
    result
}

fn seed_all(st: &mut State, count: usize, records: &[Value], prefix: &str) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    for record in records {
        let r: SeedApp = serde_json::from_value(record.clone()).map_err(|e| format!("invalid app record: {e}"))?;
        let (generated_name, generated_description) =
            if r.name.is_none() || r.description.is_none() { generated(st, prefix) } else { Default::default() };
        let new = NewApp {
            id: r.id,
            name: r.name.unwrap_or(generated_name),
            description: r.description.unwrap_or(generated_description),
            space_id: r.space_id,
            owner_id: r.owner_id,
            locale: r.locale,
            usage: r.usage,
            published: r.published,
        };
        created.push(insert(st, new).map_err(|e| e.detail)?.id);
    }
    for _ in 0..count {
        let (name, description) = generated(st, prefix);
        created.push(insert(st, NewApp { name, description, ..Default::default() }).map_err(|e| e.detail)?.id);
    }
    Ok(created)
}

/// A realistic app name such as `Finance Forecasting (dev)` and a description.
fn generated(st: &mut State, prefix: &str) -> (String, String) {
    let (name, description) = st.gen.space_name();
    (format!("{prefix}{name}"), description.replace("content", "app"))
}
