//! The tenant API: resolves a request to a route, then checks method, auth and rate limit
//! before handing it to the route's handler.

use http::{Method, StatusCode};
use serde_json::json;

use super::errors::{self, Api, ApiError};
use super::oauth;
use super::ratelimit::Tier;
use super::reply::Reply;
use super::request::Ctx;
use super::routes_spaces as spaces;
use super::routes_users as users;
use super::state::State;

/// The tenant's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Spaces,
    SpaceTypes,
    Space(String),
    Users,
    UserMe,
    User(String),
    OAuthToken,
    OAuthRevoke,
    WellKnown,
}

impl Route {
    fn resolve(path: &str) -> Option<Route> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let route = match segments.as_slice() {
            ["api", "v1", "spaces"] => Route::Spaces,
            ["api", "v1", "spaces", "types"] => Route::SpaceTypes,
            ["api", "v1", "spaces", id] if !id.is_empty() => Route::Space(id.to_string()),
            ["api", "v1", "users"] => Route::Users,
            ["api", "v1", "users", "me"] => Route::UserMe,
            ["api", "v1", "users", id] if !id.is_empty() => Route::User(id.to_string()),
            ["oauth", "token"] => Route::OAuthToken,
            ["oauth", "revoke"] => Route::OAuthRevoke,
            [".well-known", "oauth-authorization-server"] => Route::WellKnown,
            _ => return None,
        };
        Some(route)
    }

    fn methods(&self) -> &'static [Method] {
        match self {
            Route::Spaces => &[Method::GET, Method::POST],
            Route::Space(_) => &[Method::GET, Method::PATCH, Method::PUT, Method::DELETE],
            Route::OAuthToken | Route::OAuthRevoke => &[Method::POST],
            Route::SpaceTypes
            | Route::Users
            | Route::UserMe
            | Route::User(_)
            | Route::WellKnown => &[Method::GET],
        }
    }

    /// REST routes need a bearer credential; the OAuth endpoints do not.
    fn authenticated(&self) -> bool {
        !matches!(
            self,
            Route::OAuthToken | Route::OAuthRevoke | Route::WellKnown
        )
    }
}

/// Answers one tenant request (everything outside `/__sim/`).
pub(crate) fn handle(st: &mut State, ctx: &Ctx) -> Reply {
    let api = Api::of_path(&ctx.path);
    let route = match check_route(ctx) {
        Ok(route) => route,
        Err(e) => return e.reply(api, &ctx.trace_id),
    };
    if route.authenticated() {
        if let Err(e) = oauth::authenticate(st, ctx) {
            return e.reply(api, &ctx.trace_id);
        }
    }
    if let Err(retry_after) = count_request(st, &ctx.method) {
        return errors::rate_limited(retry_after);
    }
    dispatch(st, ctx, &route).unwrap_or_else(|e| e.reply(api, &ctx.trace_id))
}

fn check_route(ctx: &Ctx) -> Result<Route, ApiError> {
    let route = Route::resolve(&ctx.path)
        .ok_or_else(|| ApiError::not_found(format!("No route for {} {}.", ctx.method, ctx.path)))?;
    let allowed = route.methods();
    if !allowed.contains(&ctx.method) {
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let detail = format!(
            "{} is not allowed on {}; allowed: {allow}.",
            ctx.method, ctx.path
        );
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, detail).header("allow", allow));
    }
    Ok(route)
}

/// Tier 1 for reads, Tier 2 for everything else (writes, `/oauth/token`, `/oauth/revoke`).
fn count_request(st: &mut State, method: &Method) -> Result<(), u64> {
    let (tier, limit) = if method == Method::GET {
        (Tier::One, st.settings.tier1_per_minute)
    } else {
        (Tier::Two, st.settings.tier2_per_minute)
    };
    let now = st.now();
    st.limiter.check(tier, limit, now)
}

fn dispatch(st: &mut State, ctx: &Ctx, route: &Route) -> Result<Reply, ApiError> {
    match (route, &ctx.method) {
        (Route::Spaces, &Method::GET) => spaces::list(st, ctx),
        (Route::Spaces, _) => spaces::create(st, ctx),
        (Route::SpaceTypes, _) => Ok(Reply::json(
            StatusCode::OK,
            &json!({ "data": spaces::SPACE_TYPES }),
        )),
        (Route::Space(id), &Method::GET) => spaces::get(st, id),
        (Route::Space(id), &Method::PATCH) => spaces::patch(st, ctx, id),
        (Route::Space(id), &Method::PUT) => spaces::put(st, ctx, id),
        (Route::Space(id), _) => spaces::delete(st, id),
        (Route::Users, _) => users::list(st, ctx),
        (Route::UserMe, _) => users::me(st),
        (Route::User(id), _) => users::get(st, id),
        (Route::OAuthToken, _) => oauth::token(st, ctx),
        (Route::OAuthRevoke, _) => oauth::revoke(st, ctx),
        (Route::WellKnown, _) => oauth::well_known(st),
    }
}
