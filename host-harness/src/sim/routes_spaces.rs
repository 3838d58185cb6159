//! `/api/v1/spaces`: list (cursor paging), create, get, patch, put, delete.

use std::cmp::Ordering;
use std::collections::HashSet;

use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::paging::{self, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::state::{Resource, Space, State};

/// Space types Qlik returns as records.
pub(crate) const SPACE_TYPES: &[&str] = &["shared", "managed", "data"];
/// Spaces document only a default of 10; the simulator clamps larger values to 100.
const LIMIT: LimitRule = LimitRule { default: 10, max: 100, clamp: true };
const SORT_FIELDS: &[&str] = &["name", "type", "createdAt"];
const NAME_FORBIDDEN: &[char] = &['"', '*', '?', '<', '>', '/', '|', '\\', ':'];

/// Fields of a space to create.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewSpace {
    /// A given id (seeding); `None` generates one.
    pub id: Option<String>,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub owner_id: Option<String>,
    pub non_empty: bool,
}

/// GET /spaces
pub(crate) fn list(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (field, desc) = paging::parse_sort(ctx, SORT_FIELDS)?.unwrap_or_default();
    let filter = Filter::from_query(ctx)?;
    let mut matching: Vec<&Space> = st.spaces.iter().filter(|s| filter.accepts(s)).collect();
    paging::sort_records(&mut matching, desc, |a, b| compare(a, b, &field));
    let (data, links) =
        paging::cursor_page(ctx, &st.identity.base_url, LIMIT, &matching, |s| &s.id, |s| SpaceJson::of(st, s))?;
    let page = ListPage { data, links, meta: Count { count: matching.len() } };
    Ok(Reply::json(StatusCode::OK, &page))
}

/// A page of a list, serialized straight to bytes (a page of 100 spaces is served in well
/// under a millisecond).
#[derive(Serialize)]
struct ListPage<R> {
    data: Vec<R>,
    links: Value,
    meta: Count,
}

#[derive(Serialize)]
struct Count {
    count: usize,
}

/// The list filters `name`, `type` and `ownerId`.
struct Filter {
    name: Option<String>,
    types: Option<Vec<String>>,
    owner_id: Option<String>,
}

impl Filter {
    fn from_query(ctx: &Ctx) -> Result<Filter, ApiError> {
        let types = match ctx.param("type") {
            None => None,
            Some(raw) => Some(parse_types(raw)?),
        };
        Ok(Filter {
            name: ctx.param("name").map(str::to_lowercase),
            types,
            owner_id: ctx.param("ownerId").map(str::to_string),
        })
    }

    fn accepts(&self, s: &Space) -> bool {
        self.name.as_ref().is_none_or(|n| s.name.to_lowercase().contains(n))
            && self.types.as_ref().is_none_or(|t| t.contains(&s.kind))
            && self.owner_id.as_ref().is_none_or(|o| *o == s.owner_id)
    }
}

fn parse_types(raw: &str) -> Result<Vec<String>, ApiError> {
    let types: Vec<String> = raw.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    match types.iter().find(|t| !SPACE_TYPES.contains(&t.as_str())) {
        Some(bad) => Err(ApiError::bad_request(format!("unknown space type {bad:?}")).param("type")),
        None => Ok(types),
    }
}

/// Orders by `field` (none: creation order), then createdAt, then id.
fn compare(a: &Space, b: &Space, field: &str) -> Ordering {
    let primary = match field {
        "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        "type" => a.kind.cmp(&b.kind),
        _ => Ordering::Equal,
    };
    primary.then(a.created_at.cmp(&b.created_at)).then_with(|| a.id.cmp(&b.id))
}

/// POST /spaces
pub(crate) fn create(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let body = json_object(ctx)?;
    let new = NewSpace {
        id: None,
        name: required_str(&body, "name")?,
        kind: required_str(&body, "type")?,
        description: optional_str(&body, "description")?.unwrap_or_default(),
        owner_id: None,
        non_empty: false,
    };
    let space = insert(st, new, None)?;
    Ok(Reply::json(StatusCode::CREATED, &to_json(st, &space)))
}

/// Validates and stores a new space (POST /spaces and seeding), logging the change. `taken`, when
/// the caller keeps one (seeding thousands), holds every space's name in lowercase and is
/// checked instead of every space.
pub(crate) fn insert(st: &mut State, new: NewSpace, taken: Option<&HashSet<String>>) -> Result<Space, ApiError> {
    validate_name(&new.name)?;
    if !SPACE_TYPES.contains(&new.kind.as_str()) {
        let detail = format!("type must be one of {}", SPACE_TYPES.join(", "));
        return Err(ApiError::bad_request(detail).pointer("/type"));
    }
    let name_taken = match taken {
        Some(taken) => taken.contains(&new.name.to_lowercase()),
        None => st.space_name_taken(&new.name, None),
    };
    if name_taken {
        return Err(name_conflict(&new.name));
    }
    if let Some(id) = &new.id {
        if id.is_empty() || st.space_index(id).is_some() {
            return Err(ApiError::bad_request(format!("space id {id:?} is empty or taken")));
        }
    }
    let now = st.now();
    let admin = st.admin_id.clone();
    let space = Space {
        id: new.id.unwrap_or_else(|| st.new_id()),
        name: new.name,
        kind: new.kind,
        description: new.description,
        owner_id: new.owner_id.unwrap_or_else(|| admin.clone()),
        created_by: admin,
        created_at: now,
        updated_at: now,
        non_empty: new.non_empty,
    };
    st.spaces.push(space.clone());
    st.log_change(Resource::Spaces, &space.id, "created", now);
    Ok(space)
}

/// GET /spaces/{id}
pub(crate) fn get(st: &State, id: &str) -> Result<Reply, ApiError> {
    let index = st.space_index(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(StatusCode::OK, &to_json(st, &st.spaces[index])))
}

/// PATCH /spaces/{id}: a JSON Patch array of `replace` operations on name, description, ownerId.
pub(crate) fn patch(st: &mut State, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
    let index = st.space_index(id).ok_or_else(|| not_found(id))?;
    let Some(Value::Array(ops)) = ctx.json() else {
        return Err(ApiError::bad_request("body must be a JSON Patch array"));
    };
    let mut changes = Map::new();
    for (i, op) in ops.iter().enumerate() {
        let (field, value) = patch_op(op).map_err(|detail| ApiError::bad_request(detail).pointer(&format!("/{i}")))?;
        changes.insert(field.to_string(), Value::String(value));
    }
    update(st, index, &changes)
}

fn patch_op(op: &Value) -> Result<(&'static str, String), String> {
    if op.get("op").and_then(Value::as_str) != Some("replace") {
        return Err("op must be \"replace\"".into());
    }
    let field = match op.get("path").and_then(Value::as_str) {
        Some("/name") => "name",
        Some("/description") => "description",
        Some("/ownerId") => "ownerId",
        other => return Err(format!("unsupported path {other:?}; use /name, /description or /ownerId")),
    };
    let value = op.get("value").and_then(Value::as_str).ok_or("value must be a string")?;
    Ok((field, value.to_string()))
}

/// PUT /spaces/{id}: `{name?, description?, ownerId?}`.
pub(crate) fn put(st: &mut State, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
    let index = st.space_index(id).ok_or_else(|| not_found(id))?;
    let body = json_object(ctx)?;
    let mut changes = Map::new();
    for field in ["name", "description", "ownerId"] {
        if let Some(value) = optional_str(&body, field)? {
            changes.insert(field.to_string(), Value::String(value));
        }
    }
    update(st, index, &changes)
}

/// Applies validated field changes and bumps `updatedAt`.
fn update(st: &mut State, index: usize, changes: &Map<String, Value>) -> Result<Reply, ApiError> {
    let mut space = st.spaces[index].clone();
    for (field, value) in changes {
        let value = value.as_str().unwrap_or_default().to_string();
        match field.as_str() {
            "name" => space.name = value,
            "description" => space.description = value,
            _ => space.owner_id = value,
        }
    }
    if changes.contains_key("name") {
        validate_name(&space.name)?;
        if st.space_name_taken(&space.name, Some(&space.id)) {
            return Err(name_conflict(&space.name));
        }
    }
    if space.owner_id.trim().is_empty() {
        return Err(ApiError::bad_request("ownerId must not be empty").pointer("/ownerId"));
    }
    space.updated_at = st.now();
    st.spaces[index] = space.clone();
    st.log_change(Resource::Spaces, &space.id, "updated", space.updated_at);
    Ok(Reply::json(StatusCode::OK, &to_json(st, &space)))
}

/// DELETE /spaces/{id}: 204, or 412 while the space holds content.
pub(crate) fn delete(st: &mut State, id: &str) -> Result<Reply, ApiError> {
    let index = st.space_index(id).ok_or_else(|| not_found(id))?;
    if st.spaces[index].non_empty {
        let detail = format!("Space '{id}' is not empty; delete or move its content first.");
        return Err(ApiError::new(StatusCode::PRECONDITION_FAILED, detail).coded("SPACES-412", "Space is not empty"));
    }
    st.spaces.remove(index);
    st.log_change(Resource::Spaces, id, "deleted", st.now());
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The `Space` record as Qlik returns it.
pub(crate) fn to_json(st: &State, s: &Space) -> Value {
    serde_json::to_value(SpaceJson::of(st, s)).unwrap_or_default()
}

/// A space as Qlik answers it, fields in Qlik's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SpaceJson<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    description: &'a str,
    owner_id: &'a str,
    tenant_id: &'a str,
    created_at: String,
    created_by: &'a str,
    updated_at: String,
    meta: SpaceMeta,
    links: SpaceLinks,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpaceMeta {
    actions: Vec<&'static str>,
    roles: [&'static str; 0],
    assignable_roles: &'static [&'static str],
}

#[derive(Serialize)]
struct SpaceLinks {
    #[serde(rename = "self")]
    own: Href,
    assignments: Href,
}

#[derive(Serialize)]
struct Href {
    href: String,
}

impl<'a> SpaceJson<'a> {
    pub(crate) fn of(st: &'a State, s: &'a Space) -> Self {
        let self_href = st.abs(&format!("/api/v1/spaces/{}", s.id));
        SpaceJson {
            id: &s.id,
            name: &s.name,
            kind: &s.kind,
            description: &s.description,
            owner_id: &s.owner_id,
            tenant_id: &st.tenant_id,
            created_at: rfc3339(s.created_at),
            created_by: &s.created_by,
            updated_at: rfc3339(s.updated_at),
            meta: SpaceMeta { actions: actions(&s.kind), roles: [], assignable_roles: assignable_roles(&s.kind) },
            links: SpaceLinks {
                assignments: Href { href: format!("{self_href}/assignments") },
                own: Href { href: self_href },
            },
        }
    }
}

fn actions(kind: &str) -> Vec<&'static str> {
    let mut actions = vec!["change_owner", "create", "delete", "read", "update"];
    if kind == "managed" {
        actions.push("publish");
    }
    actions
}

fn assignable_roles(kind: &str) -> &'static [&'static str] {
    match kind {
        "managed" => &["consumer", "contributor", "dataconsumer", "facilitator", "publisher", "basicconsumer"],
        "data" => &["consumer", "dataconsumer", "datapreview", "facilitator", "operator", "producer", "publisher"],
        _ => &["codeveloper", "consumer", "dataconsumer", "facilitator", "producer"],
    }
}

/// Qlik's name rule: 1–256 characters, none of `" * ? < > / | \ :`.
pub(crate) fn validate_name(name: &str) -> Result<(), ApiError> {
    let bad = |detail: &str| Err(ApiError::bad_request(detail).pointer("/name"));
    if name.trim().is_empty() {
        return bad("name must not be empty");
    }
    if name.chars().count() > 256 {
        return bad("name must be at most 256 characters");
    }
    if name.contains(NAME_FORBIDDEN) {
        return bad("name must not contain any of \" * ? < > / | \\ :");
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Space '{id}' not found or access denied."))
}

fn name_conflict(name: &str) -> ApiError {
    let detail = format!("A space named '{name}' already exists.");
    ApiError::new(StatusCode::CONFLICT, detail).coded("SPACES-409", "Space name must be unique").pointer("/name")
}

fn json_object(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    match ctx.json() {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad_request("body must be a JSON object")),
    }
}

fn required_str(body: &Map<String, Value>, field: &str) -> Result<String, ApiError> {
    optional_str(body, field)?
        .ok_or_else(|| ApiError::bad_request(format!("{field} is required")).pointer(&format!("/{field}")))
}

fn optional_str(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{field} must be a string")).pointer(&format!("/{field}"))),
    }
}
