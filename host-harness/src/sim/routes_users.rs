//! `/api/v1/users`: list (cursor paging, SCIM `filter`), get, and `/users/me` (301 to the caller's record).

use http::StatusCode;
use serde_json::{json, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::paging::{self, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::scim::Filter;
use super::state::{Resource, State, User};

const LIMIT: LimitRule = LimitRule { default: 20, max: 100, clamp: false };
const SORT_FIELDS: &[&str] =
    &["name", "_id", "id", "tenantId", "clientId", "status", "subject", "email", "inviteExpiry", "createdAt"];
pub(crate) const USER_STATUSES: &[&str] = &["active", "invited", "disabled", "deleted", "provisioned"];
const ADMIN_ROLE: (&str, &str, &str) = ("5f8e3a1b2c4d6e8f0a1b2c01", "TenantAdmin", "admin");
const USER_ROLE: (&str, &str, &str) = ("5f8e3a1b2c4d6e8f0a1b2c02", "SharedSpaceCreator", "user");

/// Fields of a user to create by seeding.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewUser {
    /// A given id (seeding); `None` generates one.
    pub id: Option<String>,
    pub name: String,
    pub email: String,
    pub subject: Option<String>,
    pub status: Option<String>,
}

/// GET /users
pub(crate) fn list(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (field, desc) = paging::parse_sort(ctx, SORT_FIELDS)?.unwrap_or(("name".into(), false));
    let total_results = parse_bool(ctx, "totalResults")?;
    let filter = parse_filter(ctx)?;
    let mut matching: Vec<&User> = st
        .users
        .iter()
        .filter(|u| deprecated_filters_accept(ctx, u))
        .filter(|u| filter.as_ref().is_none_or(|f| f.matches(&|attr| filter_values(u, attr))))
        .collect();
    paging::sort_records(&mut matching, desc, |a, b| {
        sort_key(st, a, &field).cmp(&sort_key(st, b, &field)).then_with(|| a.id.cmp(&b.id))
    });
    let (data, links) =
        paging::cursor_page(ctx, &st.identity.base_url, LIMIT, &matching, |u| &u.id, |u| to_json(st, u))?;
    let mut body = json!({ "data": data, "links": links });
    if total_results {
        body["totalResults"] = json!(matching.len());
    }
    Ok(Reply::json(StatusCode::OK, &body))
}

/// Query parameters the users API marks deprecated; `filter` cannot be combined with them.
const DEPRECATED_PARAMS: &[&str] =
    &["email", "status", "subject", "role", "tenantId", "sortBy", "sortOrder", "startingAfter", "endingBefore"];

/// Parses `filter` (SCIM, see [`scim`]); a malformed one, or one combined with a deprecated
/// parameter, is a 400 pointing at `filter`.
fn parse_filter(ctx: &Ctx) -> Result<Option<Filter>, ApiError> {
    let Some(raw) = ctx.param("filter") else {
        return Ok(None);
    };
    let bad = |detail: String| ApiError::bad_request(detail).param("filter");
    if let Some(old) = DEPRECATED_PARAMS.iter().find(|p| ctx.param(p).is_some()) {
        return Err(bad(format!("filter cannot be combined with the deprecated parameter {old}")));
    }
    Filter::parse(raw).map(Some).map_err(|e| bad(format!("invalid filter: {e}")))
}

/// A user's values of a (lowercase) filter attribute.
fn filter_values(u: &User, attr: &str) -> Vec<String> {
    let (role_id, role_name, _) = role(u);
    let one = |v: &str| vec![v.to_string()];
    match attr {
        "id" => one(&u.id),
        "subject" => one(&u.subject),
        "name" => one(&u.name),
        "email" => one(&u.email),
        "status" => one(&u.status),
        "assignedroles.id" => one(role_id),
        "assignedroles.name" => one(role_name),
        // No simulated user has a client id, groups or scopes.
        _ => Vec::new(),
    }
}

fn role(u: &User) -> (&'static str, &'static str, &'static str) {
    if u.admin {
        ADMIN_ROLE
    } else {
        USER_ROLE
    }
}

/// The deprecated exact-match filters `email`, `status` and `subject`.
fn deprecated_filters_accept(ctx: &Ctx, u: &User) -> bool {
    [("email", &u.email), ("status", &u.status), ("subject", &u.subject)]
        .iter()
        .all(|(param, value)| ctx.param(param).is_none_or(|wanted| wanted.eq_ignore_ascii_case(value)))
}

fn sort_key(st: &State, u: &User, field: &str) -> String {
    match field {
        "name" => u.name.to_lowercase(),
        "status" => u.status.clone(),
        "subject" => u.subject.to_lowercase(),
        "email" => u.email.to_lowercase(),
        "createdAt" => rfc3339(u.created_at),
        "tenantId" => st.tenant_id.clone(),
        "clientId" | "inviteExpiry" => String::new(),
        _ => u.id.clone(),
    }
}

fn parse_bool(ctx: &Ctx, name: &str) -> Result<bool, ApiError> {
    match ctx.param(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!("{name} must be true or false, got {other:?}")).param(name)),
    }
}

/// GET /users/{id}
pub(crate) fn get(st: &State, id: &str) -> Result<Reply, ApiError> {
    let user = st
        .user(id)
        .ok_or_else(|| ApiError::not_found(format!("User '{id}' was not found.")).coded("USERS-7", "Not found"))?;
    Ok(Reply::json(StatusCode::OK, &to_json(st, user)))
}

/// GET /users/me: 301 to the caller's own record (the API key and every token act as Sim Admin).
pub(crate) fn me(st: &State) -> Result<Reply, ApiError> {
    let location = format!("/api/v1/users/{}", st.admin_id);
    let html = format!("<a href=\"{location}\">Moved Permanently</a>.\n");
    Ok(Reply::bytes(StatusCode::MOVED_PERMANENTLY, "text/html; charset=utf-8", html).with_header("location", location))
}

/// Validates and stores a new user (seeding), logging the change.
pub(crate) fn insert(st: &mut State, new: NewUser) -> Result<User, String> {
    if new.name.trim().is_empty() {
        return Err("user name must not be empty".into());
    }
    let status = new.status.unwrap_or_else(|| "active".into());
    if !USER_STATUSES.contains(&status.as_str()) {
        return Err(format!("user status must be one of {}", USER_STATUSES.join(", ")));
    }
    if let Some(id) = &new.id {
        if id.is_empty() || st.user(id).is_some() {
            return Err(format!("user id {id:?} is empty or taken"));
        }
    }
    let now = st.now();
    let id = new.id.unwrap_or_else(|| st.new_id());
    let user = User {
        subject: new.subject.unwrap_or_else(|| format!("sim|{id}")),
        id,
        name: new.name,
        email: new.email,
        status,
        admin: false,
        created_at: now,
        updated_at: now,
    };
    st.users.push(user.clone());
    st.log_change(Resource::Users, &user.id, "created", now);
    Ok(user)
}

/// The `User` record as Qlik returns it.
pub(crate) fn to_json(st: &State, u: &User) -> Value {
    let (role_id, role_name, level) = role(u);
    json!({
        "id": u.id,
        "tenantId": st.tenant_id,
        "subject": u.subject,
        "name": u.name,
        "email": u.email,
        "status": u.status,
        "createdAt": rfc3339(u.created_at),
        "lastUpdatedAt": rfc3339(u.updated_at),
        "locale": "en",
        "zoneinfo": "UTC",
        "assignedRoles": [{ "id": role_id, "name": role_name, "type": "default", "level": level }],
        "assignedGroups": [],
        "assignedScopes": [],
        "links": { "self": { "href": st.abs(&format!("/api/v1/users/{}", u.id)) } },
    })
}
