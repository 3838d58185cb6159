//! The tenant's state: identity, settings, records, tokens, change log and the other stores.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::clock::{rfc3339, SimClock};
use super::faults::FaultQueue;
use super::gen::Gen;
use super::ratelimit::RateLimiter;
use super::record::RequestLog;

/// What stays fixed for the life of a simulator, across resets.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub api_key: String,
    pub client_id: String,
    pub client_secret: String,
    pub base_url: String,
}

/// Settings changeable through `/__sim/config`.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub tier1_per_minute: u32,
    pub tier2_per_minute: u32,
    pub token_lifetime_seconds: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { tier1_per_minute: 1000, tier2_per_minute: 100, token_lifetime_seconds: 3600 }
    }
}

/// A space record.
#[derive(Debug, Clone)]
pub(crate) struct Space {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub owner_id: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Holds content, so DELETE answers 412.
    pub non_empty: bool,
}

/// A user record.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub subject: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An issued OAuth access token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// Which resource a change or seed concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Spaces,
    Users,
    // apps
    Apps,
    // data files
    DataFiles,
    // data stores, data assets, data sets
    DataStores,
    DataAssets,
    DataSets,
    // reports
    Reports,
    // reloads
    Reloads,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Spaces => "spaces",
            Resource::Users => "users",
            // apps
            Resource::Apps => "apps",
            // data files
            Resource::DataFiles => "dataFiles",
            // data stores, data assets, data sets
            Resource::DataStores => "data-stores",
            Resource::DataAssets => "data-assets",
            Resource::DataSets => "data-sets",
            // reports
            Resource::Reports => "reports",
            // reloads
            Resource::Reloads => "reloads",
        }
    }
}

/// One entry of the tenant's change log.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub id: String,
    pub resource: Resource,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
}

impl Change {
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "resource": self.resource.as_str(), "kind": self.kind,
                "timestamp": rfc3339(self.at) })
    }
}

/// Everything the simulator knows, behind one mutex.
pub(crate) struct State {
    pub identity: Identity,
    pub seed: u64,
    pub tenant_id: String,
    pub admin_id: String,
    pub settings: Settings,
    pub clock: SimClock,
    pub gen: Gen,
    pub spaces: Vec<Space>,
    pub users: Vec<User>,
    pub apps: super::routes_apps::AppsState,
    pub data_files: super::routes_data_files::DataFilesState,
    pub data_stores: super::routes_data_stores::DataStoresState,
    pub reports: super::routes_reports::ReportsState,
    pub reloads: super::routes_reloads::ReloadsState,
    pub tokens: std::collections::HashMap<String, Token>,
    pub changes: Vec<Change>,
    /// Churns waiting for their request count (`/__sim/churn`).
    pub churn: Vec<super::churn::Pending>,
    pub log: RequestLog,
    pub faults: FaultQueue,
    pub limiter: RateLimiter,
}

impl State {
    /// A fresh tenant holding only the "Sim Admin" user.
    pub fn new(identity: Identity, seed: u64) -> Self {
        let clock = SimClock::default();
        let mut gen = Gen::new(seed);
        let tenant_id = gen.tenant_id();
        let admin_id = gen.object_id(clock.now());
        let mut state = State {
            identity,
            seed,
            tenant_id,
            admin_id,
            settings: Settings::default(),
            clock,
            gen,
            spaces: Vec::new(),
            users: Vec::new(),
            apps: Default::default(),
            data_files: Default::default(),
            data_stores: Default::default(),
            reports: Default::default(),
            reloads: Default::default(),
            tokens: Default::default(),
            changes: Vec::new(),
            churn: Vec::new(),
            log: RequestLog::default(),
            faults: FaultQueue::default(),
            limiter: RateLimiter::default(),
        };
        state.add_admin();
        state
    }

    /// Clears records, logs, faults, settings and the clock offset; identity, tenant id,
    /// the admin user's id and issued tokens stay.
    pub fn reset(&mut self) {
        self.gen = Gen::new(self.seed);
        self.settings = Settings::default();
        self.clock = SimClock::default();
        self.spaces.clear();
        self.users.clear();
        self.apps = Default::default();
        self.data_files = Default::default();
        self.data_stores = Default::default();
        self.reports = Default::default();
        self.reloads = Default::default();
        self.changes.clear();
        self.churn.clear();
        self.log = RequestLog::default();
        self.faults = FaultQueue::default();
        self.limiter = RateLimiter::default();
        self.add_admin();
    }

    fn add_admin(&mut self) {
        let now = self.clock.now();
        self.users.push(User {
            id: self.admin_id.clone(),
            subject: "sim|admin".to_string(),
            name: "Sim Admin".to_string(),
            email: "sim.admin@example.com".to_string(),
            status: "active".to_string(),
            admin: true,
            created_at: now,
            updated_at: now,
        });
    }

    /// The simulated current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A new record id stamped with the simulated time.
    pub fn new_id(&mut self) -> String {
        let now = self.now();
        self.gen.object_id(now)
    }

    /// A 32-hex trace id for `x-request-id` and error bodies.
    pub fn trace_id(&mut self) -> String {
        self.gen.hex(16)
    }

    /// Appends to the change log; `at` is the record's own new timestamp, so that the log and
    /// the record agree to the millisecond.
    pub fn log_change(&mut self, resource: Resource, id: &str, kind: &'static str, at: DateTime<Utc>) {
        self.changes.push(Change { id: id.to_string(), resource, kind, at });
    }

    pub fn space_index(&self, id: &str) -> Option<usize> {
        self.spaces.iter().position(|s| s.id == id)
    }

    /// Whether another space (not `except_id`) already has `name`, compared case-insensitively.
    pub fn space_name_taken(&self, name: &str, except_id: Option<&str>) -> bool {
        self.spaces.iter().any(|s| Some(s.id.as_str()) != except_id && same_name(&s.name, name))
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The absolute URL of a tenant path.
    pub fn abs(&self, path: &str) -> String {
        format!("{}{}", self.identity.base_url, path)
    }
}

/// Whether two names are equal ignoring case (Unicode lowercase, without allocating).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}
