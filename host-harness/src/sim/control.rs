//! The control API under `/__sim/`: seeding, request and change logs, clock, faults, config,
//! token revocation, reset and the behaviours of the next reloads (`/__sim/reloads`). No auth; JSON in and out; errors are `{"error": "..."}`.

use http::StatusCode;
use serde::Deserialize;
use std::collections::HashSet;

use serde_json::{json, Value};

use super::clock::rfc3339;
use super::oauth;
use super::reply::Reply;
use super::request::Ctx;
use super::routes_data_stores::{self as data_stores, Kind};
use super::routes_spaces::{self as spaces, NewSpace, SPACE_TYPES};
use super::routes_users::{self as users, NewUser};
use super::state::State;

type Handler = fn(&mut State, &Ctx) -> Result<(StatusCode, Value), String>;

/// The longest token lifetime `/__sim/config` accepts: 10 years (of 365.25 days).
const MAX_TOKEN_LIFETIME_SECONDS: i64 = 10 * 31_557_600;

/// Seeding more than this many records in one call is refused.
const MAX_SEED: usize = 100_000;

const ROUTES: &[(&str, &str, Handler)] = &[
    ("POST", "/__sim/seed", seed),
    ("GET", "/__sim/requests", list_requests),
    ("DELETE", "/__sim/requests", clear_requests),
    ("GET", "/__sim/changes", list_changes),
    ("POST", "/__sim/churn", super::churn::post),
    ("GET", "/__sim/clock", get_clock),
    ("POST", "/__sim/clock", set_clock),
    ("GET", "/__sim/faults", list_faults),
    ("POST", "/__sim/faults", add_faults),
    ("DELETE", "/__sim/faults", clear_faults),
    ("GET", "/__sim/config", get_config),
    ("POST", "/__sim/config", set_config),
    ("POST", "/__sim/oauth/revoke", revoke_tokens),
    ("POST", "/__sim/reset", reset),
    // reloads
    ("GET", "/__sim/reloads", super::routes_reloads::get_behaviours),
    ("POST", "/__sim/reloads", super::routes_reloads::post_behaviours),
    ("DELETE", "/__sim/reloads", super::routes_reloads::clear_behaviours),
];

/// Whether a path belongs to the control API.
pub(crate) fn is_control_path(path: &str) -> bool {
    path == "/__sim" || path.starts_with("/__sim/")
}

/// Answers one control request.
pub(crate) fn handle(st: &mut State, ctx: &Ctx) -> Reply {
    let path = ctx.path.trim_end_matches('/');
    let on_path: Vec<_> = ROUTES.iter().filter(|(_, p, _)| *p == path).collect();
    if on_path.is_empty() {
        return error(StatusCode::NOT_FOUND, format!("no control endpoint {path}"));
    }
    let Some((_, _, handler)) = on_path.iter().find(|(m, _, _)| *m == ctx.method.as_str()) else {
        let allow = on_path.iter().map(|(m, _, _)| *m).collect::<Vec<_>>().join(", ");
        return error(StatusCode::METHOD_NOT_ALLOWED, format!("use {allow} on {path}")).with_header("allow", allow);
    };
    match handler(st, ctx) {
        Ok((status, body)) => Reply::json(status, &body),
        Err(message) => error(StatusCode::BAD_REQUEST, message),
    }
}

fn error(status: StatusCode, message: String) -> Reply {
    Reply::json(status, &json!({ "error": message }))
}

fn parse<T: for<'de> Deserialize<'de>>(ctx: &Ctx) -> Result<T, String> {
    serde_json::from_slice(&ctx.body).map_err(|e| format!("invalid request body: {e}"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedRequest {
    resource: String,
    #[serde(default)]
    count: usize,
    #[serde(default)]
    non_empty: bool,
    #[serde(default)]
    name_prefix: String,
    /// Space type of generated spaces (default: picked per record).
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    records: Vec<Value>,
    // data stores, data assets, data sets
    /// The store of seeded data assets, the asset of seeded data sets.
    #[serde(default)]
    parent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedSpace {
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    description: Option<String>,
    owner_id: Option<String>,
    #[serde(default)]
    non_empty: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUser {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    subject: Option<String>,
    status: Option<String>,
}

/// POST /__sim/seed: `count` generated records and/or explicit `records`; all or nothing.
fn seed(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let req: SeedRequest = parse(ctx)?;
    if req.count.saturating_add(req.records.len()) > MAX_SEED {
        return Err(format!("at most {MAX_SEED} records per seed call"));
    }
    let marks = (st.spaces.len(), st.users.len(), st.changes.len());
    match seed_request(st, &req) {
        Ok(created) => Ok((StatusCode::CREATED, json!({ "created": created }))),
        Err(message) => {
            st.spaces.truncate(marks.0);
            st.users.truncate(marks.1);
            st.changes.truncate(marks.2);
            Err(message)
        }
    }
}

/// `count` generated records of `resource`, as `/__sim/seed` makes them (for `/__sim/churn`).
pub(crate) fn seed_generated(st: &mut State, resource: &str, count: usize) -> Result<Vec<String>, String> {
    if count == 0 {
        return Ok(Vec::new());
    }
    seed_request(st, &SeedRequest { resource: resource.to_string(), count, ..Default::default() })
}

fn seed_request(st: &mut State, req: &SeedRequest) -> Result<Vec<String>, String> {
    match req.resource.as_str() {
        "spaces" => seed_spaces(st, req),
        "users" => seed_users(st, req),
        // apps
        "apps" => super::routes_apps::seed(st, req.count, &req.records, &req.name_prefix),

        // data files
        "dataFiles" => super::routes_data_files::seed(st, &req.records, req.count, &req.name_prefix),
        // data stores, data assets, data sets
        "data-stores" | "data-assets" | "data-sets" => {
            let kind = match req.resource.as_str() {
                "data-stores" => Kind::Store,
                "data-assets" => Kind::Asset,
                _ => Kind::Set,
            };
            data_stores::seed(st, kind, req.count, &req.records, req.parent_id.as_deref())
        }
        // reports
        "reports" => super::routes_reports::seed(st, req.count, &req.records),
        // reloads
        "reloads" => super::routes_reloads::seed(st, req.count, &req.records, req.parent_id.as_deref()),
        other => Err(format!("unsupported resource {other:?}; use \"spaces\" or \"users\"")),
    }
}

fn seed_spaces(st: &mut State, req: &SeedRequest) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    // Names in use, lowercase: generating 10,000 names checks a set, not every space each time.
    let mut taken: HashSet<String> = st.spaces.iter().map(|s| s.name.to_lowercase()).collect();
    for record in &req.records {
        let r: SeedSpace = serde_json::from_value(record.clone()).map_err(|e| format!("invalid space record: {e}"))?;
        let needs_generated = r.name.is_none() || r.description.is_none();
        let (generated_name, generated_description) =
            if needs_generated { generated_space_name(st, &taken, &req.name_prefix) } else { Default::default() };
        let new = NewSpace {
            id: r.id,
            name: r.name.unwrap_or(generated_name),
            kind: r.kind.unwrap_or_else(|| st.gen.pick(SPACE_TYPES).to_string()),
            description: r.description.unwrap_or(generated_description),
            owner_id: r.owner_id,
            non_empty: r.non_empty || req.non_empty,
        };
        let space = spaces::insert(st, new, Some(&taken)).map_err(|e| e.detail)?;
        taken.insert(space.name.to_lowercase());
        created.push(space.id);
    }
    for _ in 0..req.count {
        let (name, description) = generated_space_name(st, &taken, &req.name_prefix);
        let kind = req.kind.clone().unwrap_or_else(|| st.gen.pick(SPACE_TYPES).to_string());
        let new = NewSpace { id: None, name, kind, description, owner_id: None, non_empty: req.non_empty };
        let space = spaces::insert(st, new, Some(&taken)).map_err(|e| e.detail)?;
        taken.insert(space.name.to_lowercase());
        created.push(space.id);
    }
    Ok(created)
}

/// A realistic space name not in `taken` (lowercase names in use; a number is appended when the
/// plain one is taken).
fn generated_space_name(st: &mut State, taken: &HashSet<String>, prefix: &str) -> (String, String) {
    let (base, description) = st.gen.space_name();
    let base = format!("{prefix}{base}");
    let name = (1..)
        .map(|n| if n == 1 { base.clone() } else { format!("{base} {n}") })
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .unwrap_or(base);
    (name, description)
}

fn seed_users(st: &mut State, req: &SeedRequest) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    for record in &req.records {
        let r: SeedUser = serde_json::from_value(record.clone()).map_err(|e| format!("invalid user record: {e}"))?;
        let needs_generated = r.name.is_none() || r.email.is_none();
        let (generated_name, generated_email) =
            if needs_generated { generated_person(st, &req.name_prefix) } else { Default::default() };
        let new = NewUser {
            id: r.id,
            name: r.name.unwrap_or(generated_name),
            email: r.email.unwrap_or(generated_email),
            subject: r.subject,
            status: r.status,
        };
        created.push(users::insert(st, new)?.id);
    }
    for _ in 0..req.count {
        let (name, email) = generated_person(st, &req.name_prefix);
        created.push(users::insert(st, NewUser { name, email, ..Default::default() })?.id);
    }
    Ok(created)
}

/// A realistic name and an e-mail address no user has yet.
fn generated_person(st: &mut State, prefix: &str) -> (String, String) {
    let (name, local) = st.gen.person();
    let email = (1..)
        .map(|n| if n == 1 { format!("{local}@example.com") } else { format!("{local}{n}@example.com") })
        .find(|candidate| !st.users.iter().any(|u| u.email.eq_ignore_ascii_case(candidate)))
        .unwrap_or_default();
    (format!("{prefix}{name}"), email)
}

/// GET /__sim/requests, or with `?after=N` only the requests whose `seq` is above N.
fn list_requests(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let after = match ctx.query.iter().find(|(k, _)| k == "after") {
        Some((_, n)) => n.parse::<u64>().map_err(|_| "after must be a request's seq (a whole number)".to_string())?,
        None => 0,
    };
    Ok((StatusCode::OK, st.log.to_json(after)))
}

fn clear_requests(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, json!({ "cleared": st.log.clear() })))
}

fn list_changes(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    let changes: Vec<Value> = st.changes.iter().map(|c| c.to_json()).collect();
    Ok((StatusCode::OK, json!({ "changes": changes })))
}

fn clock_json(st: &State) -> Value {
    let offset = st.clock.offset_seconds();
    let offset = if offset.fract() == 0.0 { json!(offset as i64) } else { json!(offset) };
    json!({ "now": rfc3339(st.now()), "offsetSeconds": offset, "frozen": st.clock.is_frozen() })
}

fn get_clock(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, clock_json(st)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClockRequest {
    advance_seconds: Option<f64>,
    skew_seconds: Option<f64>,
    freeze: Option<bool>,
}

/// POST /__sim/clock: `freeze` stops (`true`) or resumes (`false`) the clock, `skewSeconds`
/// sets the offset, `advanceSeconds` adds to it (in that order). A frozen clock moves only by
/// `skewSeconds` / `advanceSeconds` and resumes from where it stands.
fn set_clock(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let req: ClockRequest = parse(ctx)?;
    if req.advance_seconds.is_none() && req.skew_seconds.is_none() && req.freeze.is_none() {
        return Err("give freeze, advanceSeconds or skewSeconds".into());
    }
    match req.freeze {
        Some(true) => st.clock.freeze(),
        Some(false) => st.clock.unfreeze(),
        None => {}
    }
    if let Some(skew) = req.skew_seconds {
        st.clock.set_skew(skew);
    }
    if let Some(advance) = req.advance_seconds {
        st.clock.advance(advance);
    }
    Ok((StatusCode::OK, clock_json(st)))
}

fn list_faults(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, st.faults.to_json()))
}

fn add_faults(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let body: Value = parse(ctx)?;
    st.faults.add(body)?;
    Ok((StatusCode::CREATED, st.faults.to_json()))
}

fn clear_faults(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    st.faults.clear();
    Ok((StatusCode::OK, st.faults.to_json()))
}

fn config_json(st: &State) -> Value {
    let s = &st.settings;
    json!({
        "rateLimits": { "tier1": s.tier1_per_minute, "tier2": s.tier2_per_minute },
        "tokenLifetimeSeconds": s.token_lifetime_seconds,
    })
}

fn get_config(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, config_json(st)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigRequest {
    rate_limits: Option<RateLimits>,
    token_lifetime_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimits {
    tier1: Option<u32>,
    tier2: Option<u32>,
}

/// POST /__sim/config: partial update of rate limits and token lifetime.
fn set_config(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let req: ConfigRequest = parse(ctx)?;
    if req.token_lifetime_seconds.is_some_and(|s| !(1..=MAX_TOKEN_LIFETIME_SECONDS).contains(&s)) {
        return Err(format!("tokenLifetimeSeconds must be between 1 and {MAX_TOKEN_LIFETIME_SECONDS} (10 years)"));
    }
    let settings = &mut st.settings;
    if let Some(limits) = req.rate_limits {
        settings.tier1_per_minute = limits.tier1.unwrap_or(settings.tier1_per_minute);
        settings.tier2_per_minute = limits.tier2.unwrap_or(settings.tier2_per_minute);
    }
    settings.token_lifetime_seconds = req.token_lifetime_seconds.unwrap_or(settings.token_lifetime_seconds);
    Ok((StatusCode::OK, config_json(st)))
}

fn revoke_tokens(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    Ok((StatusCode::OK, json!({ "revoked": oauth::revoke_all(st) })))
}

fn reset(st: &mut State, _: &Ctx) -> Result<(StatusCode, Value), String> {
    st.reset();
    Ok((StatusCode::OK, json!({ "reset": true })))
}
