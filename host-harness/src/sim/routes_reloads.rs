//! Reloads (`/api/v1/reloads`, reloads.json): start a reload of an app, list and read reloads,
//! cancel one. A reload follows the simulated clock: `QUEUED` for `queuedSeconds` (default 1),
//! `RELOADING` for `reloadingSeconds` (default 3), then its final status (`SUCCEEDED` unless a
//! behaviour says otherwise). `startTime` appears once it reloads, `endTime` once it is final.
//!
//! The change log gets `created` at a reload's `creationTime` and `updated` at its `endTime`
//! once it is final. Statuses follow the clock lazily, so [`settle`] runs at the start of every
//! request (tenant or control) and logs, in order of `endTime`, each final transition whose time
//! has come, exactly once; a settled reload stays final even if the clock is later set back.
//!
//! Behaviour (status codes as reloads.json lists them per operation):
//! - `POST /reloads` (`ReloadRequest`): 201 with the `QUEUED` reload (`type: external`); 400
//!   (`RELOADS-001`) for a body that is not a JSON object, a missing `appId`, a non-boolean
//!   `partial`, a `weight` outside 1..10, more than 20 `variables` or a name/value over 256
//!   characters, an unknown `resourceType`; 403 (`RELOADS-003`) for an app that does not exist
//!   (the operation documents no 404: the access check of a missing app fails); 429
//!   (`RELOADS-007`, no `Retry-After`) while the app has a reload `QUEUED`, `RELOADING` or
//!   `CANCELING` ("a pending reload request already exists for this app"). Its rate limit is
//!   the special tier, 50 per minute (the platform's 429 with `Retry-After`).
//! - `GET /reloads`: `appId` (optional: every caller of the simulator acts as the tenant admin),
//!   `filter` (SCIM, `eq` on `status`, `partial`, `type` with `and`/`or`/parentheses; values
//!   checked against the enums), `partial`, `log`, `sort` (`[+|-]creationTime|startTime|endTime|status`,
//!   default `-creationTime`; a reload without that time sorts as the smallest; ties by id),
//!   cursor paging (`limit` 1..100, default 10; `next`/`prev`; absolute `links`).
//! - `GET /reloads/{id}`: 200 (with `log`), 404 (`RELOADS-004`).
//! - `POST /reloads/{id}/actions/cancel`: `QUEUED` → `CANCELED` at once (204); `RELOADING` →
//!   `CANCELING` (202 `{"status": "CANCELING"}`), `CANCELED` one second later; `CANCELING` →
//!   202 again (nothing changes); a final reload → 409 (`RELOADS-008`); unknown → 404.
//!
//! Control: `POST /__sim/reloads` queues behaviours for the next `POST /reloads` (of `appId` if
//! given, else of any app; the first matching behaviour in queue order is used):
//! `{"appId"?, "outcome": "SUCCEEDED"|"FAILED"|"EXCEEDED_LIMIT"|"HANG", "queuedSeconds"?,
//! "reloadingSeconds"? (not with HANG), "errorCode"?, "errorMessage"? (FAILED and EXCEEDED_LIMIT
//! only), "count"? (1..1000, default 1)}`. `GET /__sim/reloads` lists the queue, `DELETE` clears
//! it. A `HANG` reload stays `RELOADING` until canceled.
//!
//! Seeding (`POST /__sim/seed`, `resource: "reloads"`): `count` generated finished reloads, one
//! every 3 minutes going back from now (mostly `SUCCEEDED`, some `FAILED`, `CANCELED`,
//! `EXCEEDED_LIMIT`), on the app `parentId` or spread over the existing apps (one app is created
//! when there is none); and `records` with `id`, `appId`, `status` (a final one, or `QUEUED` /
//! `RELOADING`, which stay so until canceled), `creationTime`, `startTime`, `endTime` (a final
//! status with a future `endTime` reloads until then), `partial`, `type`, `weight`, `errorCode`,
//! `errorMessage`. All or nothing.
//!
//! Churn (`POST /__sim/churn`, `resource: "reloads"`): `create` starts reloads now (`type:
//! hub`, default timing) on random apps without a pending reload (apps with one are skipped);
//! `update` makes random active reloads reach their final status now (a hanging or queued one
//! `SUCCEEDED`, a canceling one `CANCELED`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::paging::{self, LimitRule};
use super::reply::Reply;
use super::request::Ctx;
use super::router::Params;
use super::scim::{Filter, Rules};
use super::state::{Resource, State};

const LIMIT: LimitRule = LimitRule { default: 10, max: 100, clamp: false };
const SORT_FIELDS: &[&str] = &["creationTime", "startTime", "endTime", "status"];
/// reloads.json `filter`: `eq` on status, partial and type.
const FILTER_RULES: Rules = Rules { eq: &["status", "partial", "type"], co: &[], sw: &[], group_status: false };
/// reloads.json `Type`.
pub(crate) const TYPES: &[&str] = &["hub", "external", "chronos", "automations", "data-refresh", "choreographer"];
/// reloads.json `Status`.
const STATUSES: &[&str] = &["QUEUED", "RELOADING", "CANCELING", "SUCCEEDED", "FAILED", "CANCELED", "EXCEEDED_LIMIT"];
/// reloads.json `ResourceType`.
const RESOURCE_TYPES: &[&str] = &["api", "reload-tasks", "tasks", "automate"];
const QUEUED_SECONDS: f64 = 1.0;
const RELOADING_SECONDS: f64 = 3.0;
/// How long `CANCELING` lasts.
const CANCEL_SECONDS: f64 = 1.0;
const MAX_VARIABLES: usize = 20;
const MAX_VARIABLE_CHARS: usize = 256;
/// Behaviours one control call may queue.
const MAX_BEHAVIOURS: u32 = 1000;
/// Generated history: one reload every this many seconds, going back from now.
const HISTORY_SPACING_SECONDS: i64 = 180;
const FAILED_CODE: &str = "EngineConnectionError";
const FAILED_MESSAGE: &str = "failed to complete reload: unexpected EOF";
const EXCEEDED_CODE: &str = "ReloadTimeLimitExceeded";
const EXCEEDED_MESSAGE: &str = "the reload exceeded the tenant's reload time limit";

/// A final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Final {
    Succeeded,
    Failed,
    Canceled,
    ExceededLimit,
}

impl Final {
    fn as_str(self) -> &'static str {
        match self {
            Final::Succeeded => "SUCCEEDED",
            Final::Failed => "FAILED",
            Final::Canceled => "CANCELED",
            Final::ExceededLimit => "EXCEEDED_LIMIT",
        }
    }

    fn parse(s: &str) -> Option<Final> {
        [Final::Succeeded, Final::Failed, Final::Canceled, Final::ExceededLimit].into_iter().find(|f| f.as_str() == s)
    }

    /// The default error code and message of an outcome that has them.
    fn default_error(self) -> Option<(&'static str, &'static str)> {
        match self {
            Final::Failed => Some((FAILED_CODE, FAILED_MESSAGE)),
            Final::ExceededLimit => Some((EXCEEDED_CODE, EXCEEDED_MESSAGE)),
            _ => None,
        }
    }
}

/// One reload.
#[derive(Debug, Clone)]
pub(crate) struct Reload {
    pub id: String,
    pub app_id: String,
    pub user_id: String,
    pub kind: String,
    pub partial: bool,
    pub weight: u8,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it leaves the queue; `None`: it never does (seeded `QUEUED`, or canceled while queued).
    pub starts_at: Option<DateTime<Utc>>,
    /// When it reaches `outcome`; `None`: not on its own (a hang) until canceled.
    pub ends_at: Option<DateTime<Utc>>,
    pub outcome: Final,
    pub error: Option<(String, String)>,
    /// A cancel was asked while it reloaded: `CANCELING` until `ends_at`.
    pub canceling: bool,
    /// Its final transition is logged; it stays final whatever the clock says.
    pub settled: bool,
}

impl Reload {
    /// The status at `now`.
    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.settled {
            return self.outcome.as_str();
        }
        if self.starts_at.is_none_or(|s| now < s) {
            return "QUEUED";
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return self.outcome.as_str();
        }
        if self.canceling {
            "CANCELING"
        } else {
            "RELOADING"
        }
    }

    fn is_active(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status(now), "QUEUED" | "RELOADING" | "CANCELING")
    }

    fn start_time(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.status(now) == "QUEUED" {
            None
        } else {
            self.starts_at
        }
    }

    fn end_time(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_active(now) {
            None
        } else {
            self.ends_at
        }
    }
}

/// How the next `POST /reloads` of an app (or of any app) goes (`POST /__sim/reloads`).
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    app_id: Option<String>,
    /// `None`: hang.
    outcome: Option<Final>,
    queued_seconds: f64,
    reloading_seconds: f64,
    error: Option<(String, String)>,
    remaining: u32,
}

impl Behaviour {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "appId": self.app_id,
            "outcome": self.outcome.map_or("HANG", Final::as_str),
            "queuedSeconds": self.queued_seconds,
            "remaining": self.remaining,
        });
        if self.outcome.is_some() {
            v["reloadingSeconds"] = json!(self.reloading_seconds);
        }
        if let Some((code, message)) = &self.error {
            v["errorCode"] = json!(code);
            v["errorMessage"] = json!(message);
        }
        v
    }
}

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct ReloadsState {
    pub reloads: Vec<Reload>,
    /// Index of each reload in `reloads`, by id.
    by_id: HashMap<String, usize>,
    /// Indices of the reloads not settled yet.
    active: Vec<usize>,
    behaviours: Vec<Behaviour>,
}

impl ReloadsState {
    fn push(&mut self, r: Reload) {
        let i = self.reloads.len();
        self.by_id.insert(r.id.clone(), i);
        if !r.settled {
            self.active.push(i);
        }
        self.reloads.push(r);
    }

    /// Whether `app_id` has a reload `QUEUED`, `RELOADING` or `CANCELING` at `now`.
    fn has_pending(&self, app_id: &str, now: DateTime<Utc>) -> bool {
        self.active.iter().any(|&i| self.reloads[i].app_id == app_id && self.reloads[i].is_active(now))
    }
}

fn seconds(s: f64) -> Duration {
    Duration::milliseconds((s * 1000.0).round() as i64)
}

/// Logs, in order of `endTime`, the final transitions whose time has come, once each.
pub(crate) fn settle(st: &mut State) {
    if st.reloads.active.is_empty() {
        return;
    }
    let now = st.now();
    let reloads = &st.reloads.reloads;
    let mut due: Vec<(DateTime<Utc>, usize)> =
        st.reloads.active.iter().filter_map(|&i| reloads[i].ends_at.filter(|e| *e <= now).map(|e| (e, i))).collect();
    if due.is_empty() {
        return;
    }
    due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| reloads[a.1].id.cmp(&reloads[b.1].id)));
    for (at, i) in due {
        st.reloads.reloads[i].settled = true;
        let id = st.reloads.reloads[i].id.clone();
        st.log_change(Resource::Reloads, &id, "updated", at);
    }
    let reloads = &st.reloads.reloads;
    st.reloads.active.retain(|&i| !reloads[i].settled);
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(detail).coded("RELOADS-001", "Bad request")
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Reload '{id}' was not found. The resource either never existed, or may have been deleted."
    ))
    .coded("RELOADS-004", "Resource not found.")
}

// ---- the tenant routes

pub(crate) fn list_route(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    list(st, ctx)
}

pub(crate) fn create_route(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    create(st, ctx)
}

pub(crate) fn get_route(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    get(st, p.get("reloadId"))
}

pub(crate) fn cancel_route(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    cancel(st, p.get("reloadId"))
}

/// POST /reloads
fn create(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let body = ctx.json().filter(Value::is_object).ok_or_else(|| bad("The request body must be a JSON object."))?;
    let app_id = match body.get("appId") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) => return Err(bad("appId is required.").pointer("/appId")),
        Some(_) => return Err(bad("appId must be a non-empty string.").pointer("/appId")),
    };
    let partial = match body.get("partial") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("partial must be a boolean.").pointer("/partial")),
    };
    let weight = match body.get("weight") {
        None | Some(Value::Null) => 1,
        Some(w) => match w.as_u64().filter(|w| (1..=10).contains(w)) {
            Some(w) => w as u8,
            None => return Err(bad("weight must be an integer between 1 and 10.").pointer("/weight")),
        },
    };
    check_variables(body.get("variables"))?;
    let resource_type = optional_string(&body, "resourceType")?;
    if let Some(t) = &resource_type {
        if !RESOURCE_TYPES.contains(&t.as_str()) {
            let detail = format!("resourceType must be one of {}.", RESOURCE_TYPES.join(", "));
            return Err(bad(detail).pointer("/resourceType"));
        }
    }
    let resource_id = optional_string(&body, "resourceId")?;
    if !st.apps.apps.iter().any(|a| a.id == app_id) {
        let detail = format!("The app '{app_id}' does not exist or you are not allowed to reload it.");
        return Err(ApiError::new(StatusCode::FORBIDDEN, detail).coded("RELOADS-003", "Forbidden"));
    }
    let now = st.now();
    if st.reloads.has_pending(&app_id, now) {
        let detail = "A pending reload request already exists for this app.";
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, detail).coded("RELOADS-007", "Too Many Requests"));
    }
    let behaviour = take_behaviour(st, &app_id);
    let (queued, reloading, outcome, error) = match behaviour {
        Some(b) => (b.queued_seconds, Some(b.reloading_seconds).filter(|_| b.outcome.is_some()), b.outcome, b.error),
        None => (QUEUED_SECONDS, Some(RELOADING_SECONDS), Some(Final::Succeeded), None),
    };
    let starts_at = now + seconds(queued);
    let reload = Reload {
        id: st.new_id(),
        app_id,
        user_id: st.admin_id.clone(),
        kind: "external".into(),
        partial,
        weight,
        resource_type,
        resource_id,
        created_at: now,
        starts_at: Some(starts_at),
        ends_at: reloading.map(|r| starts_at + seconds(r)),
        outcome: outcome.unwrap_or(Final::Succeeded),
        error,
        canceling: false,
        settled: false,
    };
    st.log_change(Resource::Reloads, &reload.id, "created", now);
    let body = to_json(st, &reload, now, false);
    st.reloads.push(reload);
    Ok(Reply::json(StatusCode::CREATED, &body))
}

fn optional_string(body: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} must be a string.")).pointer(&format!("/{name}"))),
    }
}

/// `variables`: an object of at most 20 strings, names and values at most 256 characters.
fn check_variables(variables: Option<&Value>) -> Result<(), ApiError> {
    let variables = match variables {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(bad("variables must be an object of strings.").pointer("/variables")),
    };
    if variables.len() > MAX_VARIABLES {
        let detail = format!("At most {MAX_VARIABLES} variables are allowed, got {}.", variables.len());
        return Err(bad(detail).pointer("/variables"));
    }
    for (name, value) in variables {
        let pointer = format!("/variables/{}", name.replace('~', "~0").replace('/', "~1"));
        let Some(value) = value.as_str() else {
            return Err(bad(format!("The value of variable {name:?} must be a string.")).pointer(&pointer));
        };
        if name.is_empty() || name.chars().count() > MAX_VARIABLE_CHARS {
            let detail = format!("Variable names must have 1 to {MAX_VARIABLE_CHARS} characters.");
            return Err(bad(detail).pointer(&pointer));
        }
        if value.chars().count() > MAX_VARIABLE_CHARS {
            let detail = format!("The value of variable {name:?} exceeds {MAX_VARIABLE_CHARS} characters.");
            return Err(bad(detail).pointer(&pointer));
        }
    }
    Ok(())
}

/// Takes the first queued behaviour for `app_id` (or for any app).
fn take_behaviour(st: &mut State, app_id: &str) -> Option<Behaviour> {
    let queue = &mut st.reloads.behaviours;
    let i = queue.iter().position(|b| b.app_id.as_deref().is_none_or(|a| a == app_id))?;
    queue[i].remaining -= 1;
    let taken = queue[i].clone();
    if queue[i].remaining == 0 {
        queue.remove(i);
    }
    Some(taken)
}

/// GET /reloads/{id}
fn get(st: &State, id: &str) -> Result<Reply, ApiError> {
    let i = *st.reloads.by_id.get(id).ok_or_else(|| not_found(id))?;
    let now = st.now();
    Ok(Reply::json(StatusCode::OK, &to_json(st, &st.reloads.reloads[i], now, true)))
}

/// POST /reloads/{id}/actions/cancel
fn cancel(st: &mut State, id: &str) -> Result<Reply, ApiError> {
    let i = *st.reloads.by_id.get(id).ok_or_else(|| not_found(id))?;
    let now = st.now();
    let r = &mut st.reloads.reloads[i];
    match r.status(now) {
        "QUEUED" => {
            r.starts_at = None;
            r.ends_at = Some(now);
            r.outcome = Final::Canceled;
            r.error = None;
            r.settled = true;
            st.reloads.active.retain(|&a| a != i);
            st.log_change(Resource::Reloads, id, "updated", now);
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        "RELOADING" => {
            r.canceling = true;
            r.ends_at = Some(now + seconds(CANCEL_SECONDS));
            r.outcome = Final::Canceled;
            r.error = None;
            Ok(Reply::json(StatusCode::ACCEPTED, &json!({ "status": "CANCELING" })))
        }
        "CANCELING" => Ok(Reply::json(StatusCode::ACCEPTED, &json!({ "status": "CANCELING" }))),
        status => {
            let detail = format!("Reload '{id}' is {status}: not in a cancellable state.");
            Err(ApiError::new(StatusCode::CONFLICT, detail).coded("RELOADS-008", "Conflict"))
        }
    }
}

/// GET /reloads
fn list(st: &State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let app_id = ctx.param("appId");
    if app_id == Some("") {
        return Err(bad("appId must not be empty.").param("appId"));
    }
    let partial = parse_bool(ctx, "partial")?;
    let with_log = parse_bool(ctx, "log")?.unwrap_or(false);
    let filter = parse_filter(ctx)?;
    let (field, desc) = paging::parse_sort(ctx, SORT_FIELDS)?.unwrap_or(("creationTime".into(), true));
    let now = st.now();
    let mut matching: Vec<&Reload> = st
        .reloads
        .reloads
        .iter()
        .filter(|r| app_id.is_none_or(|a| a == r.app_id))
        .filter(|r| partial.is_none_or(|p| p == r.partial))
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(&|attr| filter_values(r, attr, now))))
        .collect();
    paging::sort_records(&mut matching, desc, |a, b| {
        let by_field = match field.as_str() {
            "startTime" => a.start_time(now).cmp(&b.start_time(now)),
            "endTime" => a.end_time(now).cmp(&b.end_time(now)),
            "status" => a.status(now).cmp(b.status(now)),
            _ => a.created_at.cmp(&b.created_at),
        };
        by_field.then_with(|| a.id.cmp(&b.id))
    });
    let (data, links) = paging::cursor_page(
        ctx,
        &st.identity.base_url,
        LIMIT,
        &matching,
        |r| &r.id,
        |r| to_json(st, r, now, with_log),
    )?;
    Ok(Reply::json(StatusCode::OK, &json!({ "data": data, "links": links })))
}

fn parse_bool(ctx: &Ctx, name: &str) -> Result<Option<bool>, ApiError> {
    match ctx.param(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(bad(format!("{name} must be true or false, got {other:?}.")).param(name)),
    }
}

/// `filter`: SCIM `eq` on status, partial and type, values from their enums.
fn parse_filter(ctx: &Ctx) -> Result<Option<Filter>, ApiError> {
    let Some(raw) = ctx.param("filter") else {
        return Ok(None);
    };
    let invalid = |e: String| bad(format!("invalid filter: {e}")).param("filter");
    let filter = Filter::parse_with(raw, &FILTER_RULES).map_err(invalid)?;
    check_filter_values(&filter).map_err(invalid)?;
    Ok(Some(filter))
}

fn check_filter_values(f: &Filter) -> Result<(), String> {
    match f {
        Filter::Or(parts) | Filter::And(parts) => parts.iter().try_for_each(check_filter_values),
        Filter::Compare { attr, value, .. } => {
            let allowed: Vec<String> = match attr.as_str() {
                "status" => STATUSES.iter().map(|s| s.to_lowercase()).collect(),
                "type" => TYPES.iter().map(|s| s.to_string()).collect(),
                _ => vec!["true".into(), "false".into()],
            };
            if allowed.contains(value) {
                Ok(())
            } else {
                Err(format!("{value:?} is not a valid {attr}"))
            }
        }
    }
}

fn filter_values(r: &Reload, attr: &str, now: DateTime<Utc>) -> Vec<String> {
    match attr {
        "status" => vec![r.status(now).to_string()],
        "partial" => vec![r.partial.to_string()],
        "type" => vec![r.kind.clone()],
        _ => Vec::new(),
    }
}

/// The `Reload` record as Qlik returns it; `log` only when asked.
pub(crate) fn to_json(st: &State, r: &Reload, now: DateTime<Utc>, with_log: bool) -> Value {
    let status = r.status(now);
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("appId".into(), json!(r.app_id));
    m.insert("tenantId".into(), json!(st.tenant_id));
    m.insert("userId".into(), json!(r.user_id));
    m.insert("type".into(), json!(r.kind));
    m.insert("status".into(), json!(status));
    m.insert("partial".into(), json!(r.partial));
    m.insert("weight".into(), json!(r.weight));
    m.insert("creationTime".into(), json!(rfc3339(r.created_at)));
    if let Some(t) = r.start_time(now) {
        m.insert("startTime".into(), json!(rfc3339(t)));
    }
    let end = r.end_time(now);
    if let Some(t) = end {
        m.insert("endTime".into(), json!(rfc3339(t)));
        if status == "SUCCEEDED" {
            m.insert("engineTime".into(), json!(rfc3339(t)));
        }
    }
    if end.is_some() {
        if let Some((code, message)) = &r.error {
            m.insert("errorCode".into(), json!(code));
            m.insert("errorMessage".into(), json!(message));
        }
    }
    if let Some(t) = &r.resource_type {
        m.insert("resourceType".into(), json!(t));
    }
    if let Some(id) = &r.resource_id {
        m.insert("resourceId".into(), json!(id));
    }
    if with_log {
        m.insert("log".into(), json!(log_text(r, status)));
    }
    m.insert("links".into(), json!({ "self": { "href": st.abs(&format!("/api/v1/reloads/{}", r.id)) } }));
    Value::Object(m)
}

/// A short reload log like Qlik's.
fn log_text(r: &Reload, status: &str) -> String {
    let started = format!(
        "ReloadID: {}\nStarted loading\n(A detailed script progress log can be downloaded when the reload is finished)\n",
        r.id
    );
    let message = r.error.as_ref().map_or("", |(_, m)| m.as_str());
    match status {
        "QUEUED" => String::new(),
        "RELOADING" => started,
        "CANCELING" => format!("{started}Canceling\n"),
        "SUCCEEDED" => format!("{started}App saved\nFinished successfully\n"),
        "FAILED" => format!("{started}Error: {message}\nReload failed\n"),
        "EXCEEDED_LIMIT" => format!("{started}Error: {message}\nReload exceeded the limit\n"),
        _ if r.starts_at.is_some() => format!("{started}Reload was canceled\n"),
        _ => format!("ReloadID: {}\nReload was canceled before it started\n", r.id),
    }
}

// ---- control: behaviours

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BehaviourRequest {
    app_id: Option<String>,
    outcome: String,
    queued_seconds: Option<f64>,
    reloading_seconds: Option<f64>,
    error_code: Option<String>,
    error_message: Option<String>,
    count: Option<u32>,
}

fn check_seconds(name: &str, s: Option<f64>) -> Result<(), String> {
    match s {
        Some(s) if !(s.is_finite() && (0.0..=86_400.0).contains(&s)) => {
            Err(format!("{name} must be a number of seconds between 0 and 86400, got {s}"))
        }
        _ => Ok(()),
    }
}

/// POST /__sim/reloads: queues behaviours for the next POST /reloads.
pub(crate) fn post_behaviours(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let req: BehaviourRequest = serde_json::from_slice(&ctx.body).map_err(|e| format!("invalid request body: {e}"))?;
    let outcome = match req.outcome.as_str() {
        "HANG" => None,
        "SUCCEEDED" | "FAILED" | "EXCEEDED_LIMIT" => Final::parse(&req.outcome),
        other => return Err(format!("outcome must be SUCCEEDED, FAILED, EXCEEDED_LIMIT or HANG, got {other:?}")),
    };
    check_seconds("queuedSeconds", req.queued_seconds)?;
    check_seconds("reloadingSeconds", req.reloading_seconds)?;
    if outcome.is_none() && req.reloading_seconds.is_some() {
        return Err("reloadingSeconds does not apply to HANG (it reloads until canceled)".into());
    }
    let default_error = outcome.and_then(Final::default_error);
    if default_error.is_none() && (req.error_code.is_some() || req.error_message.is_some()) {
        return Err("errorCode and errorMessage apply to FAILED and EXCEEDED_LIMIT only".into());
    }
    let count = req.count.unwrap_or(1);
    if !(1..=MAX_BEHAVIOURS).contains(&count) {
        return Err(format!("count must be between 1 and {MAX_BEHAVIOURS}, got {count}"));
    }
    if let Some(app_id) = &req.app_id {
        if !st.apps.apps.iter().any(|a| &a.id == app_id) {
            return Err(format!("no app {app_id:?}; seed or create it first"));
        }
    }
    let error = default_error.map(|(code, message)| {
        (req.error_code.unwrap_or_else(|| code.into()), req.error_message.unwrap_or_else(|| message.into()))
    });
    st.reloads.behaviours.push(Behaviour {
        app_id: req.app_id,
        outcome,
        queued_seconds: req.queued_seconds.unwrap_or(QUEUED_SECONDS),
        reloading_seconds: req.reloading_seconds.unwrap_or(RELOADING_SECONDS),
        error,
        remaining: count,
    });
    Ok((StatusCode::CREATED, behaviours_json(st)))
}

/// GET /__sim/reloads: the queued behaviours.
pub(crate) fn get_behaviours(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, behaviours_json(st)))
}

/// DELETE /__sim/reloads: drops the queued behaviours.
pub(crate) fn clear_behaviours(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    let cleared = std::mem::take(&mut st.reloads.behaviours).len();
    Ok((StatusCode::OK, json!({ "cleared": cleared })))
}

fn behaviours_json(st: &State) -> Value {
    json!({ "behaviours": st.reloads.behaviours.iter().map(Behaviour::to_json).collect::<Vec<_>>() })
}

// ---- seeding

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedReload {
    id: Option<String>,
    app_id: Option<String>,
    status: Option<String>,
    creation_time: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    partial: Option<bool>,
    #[serde(rename = "type")]
    kind: Option<String>,
    weight: Option<u8>,
    error_code: Option<String>,
    error_message: Option<String>,
}

fn parse_time(name: &str, value: &Option<String>) -> Result<Option<DateTime<Utc>>, String> {
    value
        .as_deref()
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| format!("{name} {v:?} is not an RFC 3339 time: {e}"))
        })
        .transpose()
}

/// Seeds `count` generated finished reloads and the explicit `records`; all or nothing.
pub(crate) fn seed(
    st: &mut State,
    count: usize,
    records: &[Value],
    parent_id: Option<&str>,
) -> Result<Vec<String>, String> {
    let now = st.now();
    let apps: HashSet<&str> = st.apps.apps.iter().map(|a| a.id.as_str()).collect();
    if let Some(p) = parent_id {
        if !apps.contains(p) {
            return Err(format!("parentId {p:?} is not an app"));
        }
    }
    // Check every explicit record before anything changes.
    let mut checked = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut pending: HashSet<String> = HashSet::new();
    for record in records {
        let r: SeedReload =
            serde_json::from_value(record.clone()).map_err(|e| format!("invalid reload record: {e}"))?;
        if let Some(id) = &r.id {
            let well_formed = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !well_formed || st.reloads.by_id.contains_key(id) || !ids.insert(id.clone()) {
                return Err(format!("reload id {id:?} is malformed (letters, digits, - and _), taken or given twice"));
            }
        }
        if let Some(app) = r.app_id.as_deref().or(parent_id) {
            if !apps.contains(app) {
                return Err(format!("reload record's appId {app:?} is not an app"));
            }
        }
        let status = r.status.clone().unwrap_or_else(|| "SUCCEEDED".into());
        let outcome = Final::parse(&status);
        if outcome.is_none() && status != "QUEUED" && status != "RELOADING" {
            return Err(format!("reload status must be one of SUCCEEDED, FAILED, CANCELED, EXCEEDED_LIMIT, QUEUED, RELOADING, got {status:?}"));
        }
        let kind = r.kind.clone().unwrap_or_else(|| "external".into());
        if !TYPES.contains(&kind.as_str()) {
            return Err(format!("reload type must be one of {}", TYPES.join(", ")));
        }
        if r.weight.is_some_and(|w| !(1..=10).contains(&w)) {
            return Err("reload weight must be between 1 and 10".into());
        }
        let default_error = outcome.and_then(Final::default_error);
        if default_error.is_none() && (r.error_code.is_some() || r.error_message.is_some()) {
            return Err("errorCode and errorMessage apply to FAILED and EXCEEDED_LIMIT only".into());
        }
        let error = default_error.map(|(code, message)| {
            (
                r.error_code.clone().unwrap_or_else(|| code.into()),
                r.error_message.clone().unwrap_or_else(|| message.into()),
            )
        });
        let (creation, start, end) = (
            parse_time("creationTime", &r.creation_time)?,
            parse_time("startTime", &r.start_time)?,
            parse_time("endTime", &r.end_time)?,
        );
        if creation.is_some_and(|c| c > now) {
            return Err("creationTime must not be in the future".into());
        }
        let (created_at, starts_at, ends_at) = match outcome {
            Some(_) => {
                let end = end.unwrap_or(now);
                let created = creation.unwrap_or(end - Duration::seconds(5));
                let start = start.unwrap_or(created + (end - created) / 5);
                if !(created <= start && start <= end) {
                    return Err("a reload needs creationTime <= startTime <= endTime".into());
                }
                (created, Some(start), Some(end))
            }
            None => {
                if end.is_some() {
                    return Err(format!("a {status} reload has no endTime"));
                }
                if status == "QUEUED" && start.is_some() {
                    return Err("a QUEUED reload has no startTime".into());
                }
                let created = creation.unwrap_or(now);
                let start = (status == "RELOADING").then(|| start.unwrap_or(created));
                if start.is_some_and(|s| s < created || s > now) {
                    return Err("a RELOADING reload needs creationTime <= startTime <= now".into());
                }
                (created, start, None)
            }
        };
        let active = ends_at.is_none_or(|e| e > now);
        checked.push((r, outcome, kind, error, created_at, starts_at, ends_at, active));
    }
    // Apps for the records without one, and for the generated history.
    let needs_app = count > 0 || checked.iter().any(|c| c.0.app_id.is_none() && parent_id.is_none());
    let mut pool: Vec<String> = match parent_id {
        Some(p) => vec![p.to_string()],
        None => st.apps.apps.iter().map(|a| a.id.clone()).collect(),
    };
    // Pending reloads per app: at most one, as Qlik allows.
    let now_pending: Vec<String> = st
        .reloads
        .active
        .iter()
        .map(|&i| &st.reloads.reloads[i])
        .filter(|r| r.is_active(now))
        .map(|r| r.app_id.clone())
        .collect();
    pending.extend(now_pending);
    let mut assigned = Vec::with_capacity(checked.len());
    for c in &checked {
        let app = c.0.app_id.clone().or(parent_id.map(str::to_string));
        assigned.push(app);
    }
    let apps_mark = st.apps.apps.len();
    if pool.is_empty() && needs_app {
        let (name, description) = st.gen.space_name();
        let new = super::routes_apps::NewApp {
            name,
            description: description.replace("content", "app"),
            ..Default::default()
        };
        pool.push(super::routes_apps::insert(st, new).map_err(|e| e.detail)?.id);
    }
    for (c, app) in checked.iter().zip(assigned.iter_mut()) {
        let app_id = match app.take() {
            Some(a) => a,
            None => pool[st.gen.below(pool.len())].clone(),
        };
        if c.7 && !pending.insert(app_id.clone()) {
            st.apps.apps.truncate(apps_mark);
            return Err(format!("app {app_id:?} would have two pending reloads"));
        }
        *app = Some(app_id);
    }
    // Everything checked: add the records, then log their changes in time order.
    let mut created = Vec::with_capacity(checked.len() + count);
    let mut events: Vec<(DateTime<Utc>, u8, String)> = Vec::new();
    for ((r, outcome, kind, error, created_at, starts_at, ends_at, active), app_id) in checked.into_iter().zip(assigned)
    {
        let id = r.id.unwrap_or_else(|| st.gen.object_id(created_at));
        events.push((created_at, 0, id.clone()));
        if let (false, Some(end)) = (active, ends_at) {
            events.push((end, 1, id.clone()));
        }
        created.push(id.clone());
        st.reloads.push(Reload {
            id,
            app_id: app_id.unwrap_or_default(),
            user_id: st.admin_id.clone(),
            kind,
            partial: r.partial.unwrap_or(false),
            weight: r.weight.unwrap_or(1),
            resource_type: None,
            resource_id: None,
            created_at,
            starts_at,
            ends_at,
            outcome: outcome.unwrap_or(Final::Succeeded),
            error,
            canceling: false,
            settled: !active,
        });
    }
    for k in 0..count {
        let created_at = now - Duration::seconds(HISTORY_SPACING_SECONDS * (count - k) as i64);
        let starts_at = created_at + Duration::milliseconds(500 + st.gen.below(4500) as i64);
        let ends_at = starts_at + Duration::milliseconds(5_000 + st.gen.below(115_000) as i64);
        let outcome = match st.gen.below(20) {
            0..=15 => Final::Succeeded,
            16 | 17 => Final::Failed,
            18 => Final::Canceled,
            _ => Final::ExceededLimit,
        };
        let kind = match st.gen.below(20) {
            0..=11 => "chronos",
            12..=16 => "external",
            _ => "hub",
        };
        let id = st.gen.object_id(created_at);
        let app_id = pool[st.gen.below(pool.len())].clone();
        events.push((created_at, 0, id.clone()));
        events.push((ends_at, 1, id.clone()));
        created.push(id.clone());
        st.reloads.push(Reload {
            id,
            app_id,
            user_id: st.admin_id.clone(),
            kind: kind.into(),
            partial: st.gen.below(10) == 0,
            weight: 1,
            resource_type: None,
            resource_id: None,
            created_at,
            starts_at: Some(starts_at),
            ends_at: Some(ends_at),
            outcome,
            error: outcome.default_error().map(|(c, m)| (c.to_string(), m.to_string())),
            canceling: false,
            settled: true,
        });
    }
    events.sort();
    for (at, kind, id) in events {
        st.log_change(Resource::Reloads, &id, if kind == 0 { "created" } else { "updated" }, at);
    }
    Ok(created)
}

// ---- churn

/// Starts up to `count` reloads now on random apps without a pending reload.
pub(crate) fn churn_create(st: &mut State, count: usize) -> Vec<String> {
    let now = st.now();
    let mut free: Vec<String> =
        st.apps.apps.iter().map(|a| a.id.clone()).filter(|a| !st.reloads.has_pending(a, now)).collect();
    let mut created = Vec::new();
    while created.len() < count && !free.is_empty() {
        let app_id = free.swap_remove(st.gen.below(free.len()));
        let starts_at = now + seconds(QUEUED_SECONDS);
        let reload = Reload {
            id: st.new_id(),
            app_id,
            user_id: st.admin_id.clone(),
            kind: "hub".into(),
            partial: false,
            weight: 1,
            resource_type: None,
            resource_id: None,
            created_at: now,
            starts_at: Some(starts_at),
            ends_at: Some(starts_at + seconds(RELOADING_SECONDS)),
            outcome: Final::Succeeded,
            error: None,
            canceling: false,
            settled: false,
        };
        st.log_change(Resource::Reloads, &reload.id, "created", now);
        created.push(reload.id.clone());
        st.reloads.push(reload);
    }
    created
}

/// Makes up to `count` random active reloads reach their final status now.
pub(crate) fn churn_finish(st: &mut State, count: usize) -> Vec<String> {
    let now = st.now();
    let mut finished = Vec::new();
    while finished.len() < count {
        let active: Vec<usize> =
            st.reloads.active.iter().copied().filter(|&i| st.reloads.reloads[i].is_active(now)).collect();
        if active.is_empty() {
            break;
        }
        let i = active[st.gen.below(active.len())];
        let r = &mut st.reloads.reloads[i];
        if r.starts_at.is_none_or(|s| s > now) {
            r.starts_at = Some(now);
        }
        r.ends_at = Some(now);
        r.settled = true;
        let id = r.id.clone();
        st.reloads.active.retain(|&a| a != i);
        st.log_change(Resource::Reloads, &id, "updated", now);
        finished.push(id);
    }
    finished
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reload(starts: Option<i64>, ends: Option<i64>) -> Reload {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        Reload {
            id: "r".into(),
            app_id: "a".into(),
            user_id: "u".into(),
            kind: "external".into(),
            partial: false,
            weight: 1,
            resource_type: None,
            resource_id: None,
            created_at: t0,
            starts_at: starts.map(|s| t0 + Duration::seconds(s)),
            ends_at: ends.map(|s| t0 + Duration::seconds(s)),
            outcome: Final::Failed,
            error: None,
            canceling: false,
            settled: false,
        }
    }

    #[test]
    fn the_status_follows_the_clock_and_a_settled_reload_stays_final() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut r = reload(Some(1), Some(4));
        let at = |s: i64| t0 + Duration::seconds(s);
        assert_eq!(
            [r.status(at(0)), r.status(at(1)), r.status(at(3)), r.status(at(4))],
            ["QUEUED", "RELOADING", "RELOADING", "FAILED"]
        );
        assert_eq!(r.start_time(at(0)), None);
        assert_eq!(r.end_time(at(3)), None);
        assert_eq!(r.end_time(at(4)), Some(at(4)));
        r.settled = true;
        assert_eq!(r.status(at(0)), "FAILED");
        let hang = reload(Some(1), None);
        assert_eq!(hang.status(at(100_000)), "RELOADING");
        assert_eq!(reload(None, None).status(at(100_000)), "QUEUED");
    }
}
