//! `POST /__sim/churn`: the tenant's users at work, for trigger tests. It creates records as
//! `/__sim/seed` generates them and updates existing ones picked at random (the update time set
//! to the simulator's now, logged as `updated` in `/__sim/changes`), at once or, with
//! `afterRequests: n`, right after the n-th tenant request from now was answered, so that a
//! change can land while a poll is paging. For `reloads`, `create` starts reloads now on random
//! apps that have no pending reload, and `update` makes random active reloads final now.

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::clock::rfc3339;
use super::request::Ctx;
use super::state::{Resource, State};

/// Resources churn can change: the ones the trigger watches.
const RESOURCES: &[&str] = &["spaces", "users", "apps", "dataFiles", "data-stores", "reloads"];

/// Most records one churn creates plus updates.
const MAX_CHANGES: usize = 1000;

/// One churn request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Churn {
    resource: String,
    #[serde(default)]
    create: usize,
    #[serde(default)]
    update: usize,
    /// Apply after this many more tenant requests were answered (absent or 0: now).
    #[serde(default)]
    after_requests: u32,
}

/// A churn waiting for its request count.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    remaining: u32,
    churn: Churn,
}

/// POST /__sim/churn.
pub(crate) fn post(st: &mut State, ctx: &Ctx) -> Result<(StatusCode, Value), String> {
    let churn: Churn = serde_json::from_slice(&ctx.body).map_err(|e| format!("invalid request body: {e}"))?;
    if !RESOURCES.contains(&churn.resource.as_str()) {
        return Err(format!("unsupported resource {:?}; use one of {}", churn.resource, RESOURCES.join(", ")));
    }
    if churn.create.saturating_add(churn.update) > MAX_CHANGES {
        return Err(format!("at most {MAX_CHANGES} changes per churn"));
    }
    if churn.after_requests > 0 {
        let remaining = churn.after_requests;
        st.churn.push(Pending { remaining, churn });
        return Ok((StatusCode::ACCEPTED, json!({ "scheduled": remaining })));
    }
    let (created, updated) = apply(st, &churn)?;
    Ok((StatusCode::OK, json!({ "created": created, "updated": updated })))
}

/// Counts one answered tenant request and applies the churns that were waiting for it.
pub(crate) fn after_request(st: &mut State) {
    if st.churn.is_empty() {
        return;
    }
    let mut due = Vec::new();
    st.churn.retain_mut(|pending| {
        pending.remaining -= 1;
        let keep = pending.remaining > 0;
        if !keep {
            due.push(pending.churn.clone());
        }
        keep
    });
    for churn in due {
        // Validated when posted; a resource with nothing to update just updates nothing.
        let _ = apply(st, &churn);
    }
}

fn apply(st: &mut State, churn: &Churn) -> Result<(Vec<String>, Vec<String>), String> {
    // reloads: `create` starts reloads on apps without a pending one, `update` finishes
    // active reloads now (see routes_reloads).
    if churn.resource == "reloads" {
        let created = super::routes_reloads::churn_create(st, churn.create);
        return Ok((created, super::routes_reloads::churn_finish(st, churn.update)));
    }
    let created = super::control::seed_generated(st, &churn.resource, churn.create)?;
    let updated = (0..churn.update).filter_map(|_| touch_one(st, &churn.resource)).collect();
    Ok((created, updated))
}

/// Sets a random record's update time to now and logs the change.
fn touch_one(st: &mut State, resource: &str) -> Option<String> {
    let now = st.now();
    let (kind, id) = match resource {
        "spaces" => {
            let i = pick(st, st.spaces.len())?;
            st.spaces[i].updated_at = now;
            (Resource::Spaces, st.spaces[i].id.clone())
        }
        "users" => {
            let i = pick(st, st.users.len())?;
            st.users[i].updated_at = now;
            (Resource::Users, st.users[i].id.clone())
        }
        "apps" => {
            let i = pick(st, st.apps.apps.len())?;
            st.apps.apps[i].updated_at = now;
            (Resource::Apps, st.apps.apps[i].id.clone())
        }
        "dataFiles" => {
            let i = pick(st, st.data_files.files.len())?;
            st.data_files.files[i].modified = now;
            (Resource::DataFiles, st.data_files.files[i].id.clone())
        }
        _ => {
            let i = pick(st, st.data_stores.stores.len())?;
            let store = &mut st.data_stores.stores[i];
            store.insert("lastModifiedTime".into(), json!(rfc3339(now)));
            (Resource::DataStores, store["id"].as_str().unwrap_or_default().to_string())
        }
    };
    st.log_change(kind, &id, "updated", now);
    Some(id)
}

fn pick(st: &mut State, len: usize) -> Option<usize> {
    (len > 0).then(|| st.gen.below(len))
}
