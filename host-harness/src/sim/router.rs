//! The tenant API: one table of routes (method, path pattern, auth, rate-limit tier, handler).
//! A request is matched against the patterns, then its method, auth and rate limit are checked
//! before the route's handler runs.

use http::StatusCode;
use serde_json::json;

use super::errors::{self, Api, ApiError};
use super::oauth;
use super::ratelimit::Tier;
use super::reply::Reply;
use super::request::Ctx;
use super::routes_apps as apps;
use super::routes_data_files as data_files;
use super::routes_data_stores::{self as data_stores, Kind};
use super::routes_reloads as reloads;
use super::routes_spaces as spaces;
use super::routes_users as users;
use super::state::State;

/// The values of a matched pattern's `{name}` segments, in order, percent-decoded.
pub(crate) struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The value of `{name}`; "" when the pattern has no such segment.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str())
    }
}

type Handler = fn(&mut State, &Ctx, &Params) -> Result<Reply, ApiError>;

/// Whether a route needs a bearer credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// The API key or a live OAuth access token.
    Bearer,
    /// None (the OAuth endpoints and the authorization-server metadata).
    Open,
}

/// One endpoint of the tenant: method, pattern (literal segments and `{name}` segments that
/// match one non-empty segment), auth, rate-limit tier, handler.
struct Route {
    method: &'static str,
    pattern: &'static str,
    auth: Auth,
    tier: Tier,
    handler: Handler,
}

use Auth::{Bearer, Open};
use Tier::{One, ReloadCancel, ReloadCreate, Two};

/// Every tenant endpoint. Tiers per qlik-api.md "Rate limits": Tier 1 for the reads, Tier 2 for
/// writes, `/oauth/token` and `/oauth/revoke`; the reloads API's POSTs have special tiers.
#[rustfmt::skip]
const ROUTES: &[Route] = &[
    route("GET", "/api/v1/spaces", Bearer, One, list_spaces),
    route("POST", "/api/v1/spaces", Bearer, Two, create_space),
    route("GET", "/api/v1/spaces/types", Bearer, One, space_types),
    route("GET", "/api/v1/spaces/{spaceId}", Bearer, One, get_space),
    route("PATCH", "/api/v1/spaces/{spaceId}", Bearer, Two, patch_space),
    route("PUT", "/api/v1/spaces/{spaceId}", Bearer, Two, put_space),
    route("DELETE", "/api/v1/spaces/{spaceId}", Bearer, Two, delete_space),
    route("GET", "/api/v1/users", Bearer, One, list_users),
    route("GET", "/api/v1/users/me", Bearer, One, my_user),
    route("GET", "/api/v1/users/{userId}", Bearer, One, get_user),
    // apps and items
    route("POST", "/api/v1/apps", Bearer, Two, create_app),
    route("GET", "/api/v1/apps/{appId}", Bearer, One, get_app),
    route("PUT", "/api/v1/apps/{appId}", Bearer, Two, update_app),
    route("DELETE", "/api/v1/apps/{appId}", Bearer, Two, delete_app),
    route("GET", "/api/v1/items", Bearer, One, list_items),

    // data files
    route("GET", "/api/v1/data-files", Bearer, One, data_files::list_route),
    route("POST", "/api/v1/data-files", Bearer, Two, data_files::create_route),
    route("GET", "/api/v1/data-files/{id}", Bearer, One, data_files::get_route),
    route("PUT", "/api/v1/data-files/{id}", Bearer, Two, data_files::put_route),
    route("DELETE", "/api/v1/data-files/{id}", Bearer, Two, data_files::delete_route),
    // data stores, data assets, data sets
    route("GET", "/api/v1/data-stores", Bearer, One, ds_list_stores),
    route("POST", "/api/v1/data-stores", Bearer, Two, ds_create_store),
    route("DELETE", "/api/v1/data-stores", Bearer, Two, ds_delete_stores),
    route("GET", "/api/v1/data-stores/{data-store-id}", Bearer, One, ds_get_store),
    route("PUT", "/api/v1/data-stores/{data-store-id}", Bearer, Two, ds_put_store),
    route("GET", "/api/v1/data-stores/{data-store-ids}/data-assets", Bearer, One, ds_list_assets),
    route("DELETE", "/api/v1/data-stores/{data-store-ids}/data-assets", Bearer, Two, ds_delete_assets_of),
    route("GET", "/api/v1/data-stores/{data-store-ids}/data-assets/{data-asset-ids}/data-sets", Bearer, One, ds_list_sets),
    route("DELETE", "/api/v1/data-stores/{data-store-ids}/data-assets/{data-asset-ids}/data-sets", Bearer, Two, ds_delete_sets_of),
    route("POST", "/api/v1/data-assets", Bearer, Two, ds_create_asset),
    route("DELETE", "/api/v1/data-assets", Bearer, Two, ds_delete_assets),
    route("GET", "/api/v1/data-assets/{data-asset-id}", Bearer, One, ds_get_asset),
    route("PUT", "/api/v1/data-assets/{data-asset-id}", Bearer, Two, ds_put_asset),
    route("POST", "/api/v1/data-sets", Bearer, Two, ds_create_set),
    route("DELETE", "/api/v1/data-sets", Bearer, Two, ds_delete_sets),
    route("GET", "/api/v1/data-sets/{data-set-id}", Bearer, One, ds_get_set),
    route("PUT", "/api/v1/data-sets/{data-set-id}", Bearer, Two, ds_put_set),

    // reports
    route("POST", "/api/v1/reports", Bearer, Two, create_report),
    route("GET", "/api/v1/reports/{id}/status", Bearer, One, report_status),

    // reloads
    route("GET", "/api/v1/reloads", Bearer, One, reloads::list_route),
    route("POST", "/api/v1/reloads", Bearer, ReloadCreate, reloads::create_route),
    route("GET", "/api/v1/reloads/{reloadId}", Bearer, One, reloads::get_route),
    route("POST", "/api/v1/reloads/{reloadId}/actions/cancel", Bearer, ReloadCancel, reloads::cancel_route),

    route("POST", "/oauth/token", Open, Two, oauth_token),
    route("POST", "/oauth/revoke", Open, Two, oauth_revoke),
    route("GET", "/.well-known/oauth-authorization-server", Open, One, well_known),
];

const fn route(method: &'static str, pattern: &'static str, auth: Auth, tier: Tier, handler: Handler) -> Route {
    Route { method, pattern, auth, tier, handler }
}

fn list_spaces(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    spaces::list(st, ctx)
}

fn create_space(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    spaces::create(st, ctx)
}

fn space_types(_: &mut State, _: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    let body = json!({ "data": spaces::SPACE_TYPES });
    Ok(Reply::json(StatusCode::OK, &body))
}

fn get_space(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    spaces::get(st, p.get("spaceId"))
}

fn patch_space(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    spaces::patch(st, ctx, p.get("spaceId"))
}

fn put_space(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    spaces::put(st, ctx, p.get("spaceId"))
}

fn delete_space(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    spaces::delete(st, p.get("spaceId"))
}

fn list_users(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    users::list(st, ctx)
}

fn my_user(st: &mut State, _: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    users::me(st)
}

fn get_user(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    users::get(st, p.get("userId"))
}

fn oauth_token(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    oauth::token(st, ctx)
}

fn oauth_revoke(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    oauth::revoke(st, ctx)
}

fn well_known(st: &mut State, _: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    oauth::well_known(st)
}

// apps and items

fn create_app(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    apps::create(st, ctx)
}

fn get_app(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    apps::get(st, p.get("appId"))
}

fn update_app(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    apps::update(st, ctx, p.get("appId"))
}

fn delete_app(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    apps::delete(st, p.get("appId"))
}

fn list_items(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    apps::list_items(st, ctx)
}

// data stores, data assets, data sets

fn ds_list_stores(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::list_stores(st, ctx)
}

fn ds_create_store(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::create(st, ctx, Kind::Store)
}

fn ds_delete_stores(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::delete_batch(st, ctx, Kind::Store)
}

fn ds_get_store(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::get(st, ctx, Kind::Store, p.get("data-store-id"))
}

fn ds_put_store(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::put(st, ctx, Kind::Store, p.get("data-store-id"))
}

fn ds_list_assets(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::list_assets(st, ctx, p.get("data-store-ids"))
}

fn ds_delete_assets_of(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::delete_assets_of(st, p.get("data-store-ids"))
}

fn ds_list_sets(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::list_sets(st, ctx, p.get("data-store-ids"), p.get("data-asset-ids"))
}

fn ds_delete_sets_of(st: &mut State, _: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::delete_sets_of(st, p.get("data-store-ids"), p.get("data-asset-ids"))
}

fn ds_create_asset(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::create(st, ctx, Kind::Asset)
}

fn ds_delete_assets(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::delete_batch(st, ctx, Kind::Asset)
}

fn ds_get_asset(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::get(st, ctx, Kind::Asset, p.get("data-asset-id"))
}

fn ds_put_asset(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::put(st, ctx, Kind::Asset, p.get("data-asset-id"))
}

fn ds_create_set(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::create(st, ctx, Kind::Set)
}

fn ds_delete_sets(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    data_stores::delete_batch(st, ctx, Kind::Set)
}

fn ds_get_set(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::get(st, ctx, Kind::Set, p.get("data-set-id"))
}

fn ds_put_set(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    data_stores::put(st, ctx, Kind::Set, p.get("data-set-id"))
}

/// (method, pattern) of every tenant route, in table order.
pub(crate) fn table() -> Vec<(&'static str, &'static str)> {
    ROUTES.iter().map(|r| (r.method, r.pattern)).collect()
}

/// Answers one tenant request (everything outside `/__sim/`).
pub(crate) fn handle(st: &mut State, ctx: &Ctx) -> Reply {
    let api = Api::of_path(&ctx.path);
    let (route, params) = match resolve(ctx) {
        Ok(found) => found,
        Err(e) => return e.reply(api, &ctx.trace_id),
    };
    if route.auth == Auth::Bearer {
        if let Err(e) = oauth::authenticate(st, ctx) {
            return e.reply(api, &ctx.trace_id);
        }
    }
    if let Err(retry_after) = count_request(st, route.tier) {
        return errors::rate_limited(retry_after);
    }
    (route.handler)(st, ctx, &params).unwrap_or_else(|e| e.reply(api, &ctx.trace_id))
}

/// The route for the request's method and path: 404 when no pattern matches the path, 405
/// (with `Allow`) when the best-matching pattern has no route for the method. A pattern with
/// more literal segments, earlier, wins (`/spaces/types` over `/spaces/{spaceId}`).
fn resolve(ctx: &Ctx) -> Result<(&'static Route, Params), ApiError> {
    let segments = ctx.segments();
    let mut best: Option<(Vec<bool>, &'static str, Params)> = None;
    for r in ROUTES {
        if best.as_ref().is_some_and(|(_, p, _)| *p == r.pattern) {
            continue;
        }
        let Some((literals, params)) = match_pattern(r.pattern, &segments) else {
            continue;
        };
        if best.as_ref().is_none_or(|(l, _, _)| literals > *l) {
            best = Some((literals, r.pattern, params));
        }
    }
    let not_found = || ApiError::not_found(format!("No route for {} {}.", ctx.method, ctx.path));
    let (_, pattern, params) = best.ok_or_else(not_found)?;
    let on_pattern = || ROUTES.iter().filter(move |r| r.pattern == pattern);
    if let Some(r) = on_pattern().find(|r| r.method == ctx.method.as_str()) {
        return Ok((r, params));
    }
    let allow = on_pattern().map(|r| r.method).collect::<Vec<_>>().join(", ");
    let detail = format!("{} is not allowed on {}; allowed: {allow}.", ctx.method, ctx.path);
    Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, detail).header("allow", allow))
}

/// Matches decoded path segments against a pattern; returns which pattern segments are
/// literal (for ranking) and the parameter values.
fn match_pattern(pattern: &'static str, segments: &[String]) -> Option<(Vec<bool>, Params)> {
    let parts: Vec<&'static str> = pattern.split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut literals = Vec::with_capacity(parts.len());
    let mut params = Vec::new();
    for (part, segment) in parts.into_iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !segment.is_empty() => {
                literals.push(false);
                params.push((name, segment.clone()));
            }
            Some(_) => return None,
            None if part == segment => literals.push(true),
            None => return None,
        }
    }
    Some((literals, Params(params)))
}

/// Counts the request against its route's tier.
fn count_request(st: &mut State, tier: Tier) -> Result<(), u64> {
    let limit = match tier {
        Tier::One => st.settings.tier1_per_minute,
        Tier::Two => st.settings.tier2_per_minute,
        Tier::ReloadCreate | Tier::ReloadCancel => super::ratelimit::SPECIAL_RELOADS_PER_MINUTE,
    };
    let now = st.now();
    st.limiter.check(tier, limit, now)
}

// reports

fn create_report(st: &mut State, ctx: &Ctx, _: &Params) -> Result<Reply, ApiError> {
    super::routes_reports::create(st, ctx)
}

fn report_status(st: &mut State, ctx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    super::routes_reports::status(st, ctx, p.get("id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        path.split('/').skip(1).map(str::to_string).collect()
    }

    #[test]
    fn patterns_match_whole_non_empty_segments() {
        let (lit, p) = match_pattern("/api/v1/spaces/{spaceId}", &segs("/api/v1/spaces/a b")).unwrap();
        assert_eq!(lit, [true, true, true, false]);
        assert_eq!(p.get("spaceId"), "a b");
        assert!(match_pattern("/api/v1/spaces/{spaceId}", &segs("/api/v1/spaces/")).is_none());
        assert!(match_pattern("/api/v1/spaces/{spaceId}", &segs("/api/v1/spaces/a/b")).is_none());
        assert!(match_pattern("/api/v1/spaces", &segs("/api/v1/spaces/")).is_none());
    }

    #[test]
    fn every_pattern_is_well_formed_and_routes_are_unique() {
        let table = table();
        for (method, pattern) in &table {
            assert!(pattern.starts_with('/') && !pattern.ends_with('/'), "{pattern}");
            assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method));
            assert_eq!(table.iter().filter(|r| r == &&(*method, *pattern)).count(), 1);
        }
    }
}
