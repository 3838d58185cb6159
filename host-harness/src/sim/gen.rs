//! Deterministic generation of ids, tokens and realistic record names from the seed.

use chrono::{DateTime, Utc};

/// SplitMix64: small, fast and good enough for test data.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Generator state. Names come from their own stream, so the names a seed call produces
/// depend only on the seed and earlier seed calls, not on how many requests were served.
#[derive(Debug, Clone)]
pub(crate) struct Gen {
    names: SplitMix,
    misc: SplitMix,
    machine: u64,
    counter: u32,
}

const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Sales",
    "Marketing",
    "Human Resources",
    "Operations",
    "Supply Chain",
    "Customer Success",
    "Engineering",
    "Procurement",
    "Legal",
    "IT",
    "Product",
    "Logistics",
    "Risk",
    "Compliance",
    "Support",
];
const PURPOSES: &[&str] = &[
    "Analytics",
    "Reporting",
    "Dashboards",
    "Forecasting",
    "Data Lake",
    "Planning",
    "KPIs",
    "Insights",
    "Self-Service",
    "Budgeting",
];
const STAGES: &[&str] = &["", " (dev)", " (test)", " (prod)"];
const FIRST_NAMES: &[&str] = &[
    "Alice", "Bob", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Luis", "Maya",
    "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yusuf", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Andersson",
    "Brown",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Müller",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Novak",
    "Weber",
    "Young",
];
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

impl Gen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut misc = SplitMix(seed ^ 0x5155_4C49_4B53_494D);
        let machine = misc.next() & 0xFF_FFFF_FFFF;
        let counter = (misc.next() & 0xFF_FFFF) as u32;
        Gen { names: SplitMix(seed), misc, machine, counter }
    }

    /// A 24-hex id shaped like Qlik's (MongoDB ObjectId): time, machine, counter. Ids made in
    /// the same second increase in creation order.
    pub fn object_id(&mut self, at: DateTime<Utc>) -> String {
        self.counter = (self.counter + 1) & 0xFF_FFFF;
        let secs = at.timestamp().clamp(0, u32::MAX as i64) as u32;
        format!("{secs:08x}{:010x}{:06x}", self.machine, self.counter)
    }

    /// `n_bytes` random bytes as lowercase hex.
    pub fn hex(&mut self, n_bytes: usize) -> String {
        (0..n_bytes).map(|_| format!("{:02x}", self.misc.next() as u8)).collect()
    }

    /// A 32-character tenant id like `xqGQ0k66vSR8f9G7J-vYtHZQkiYrCpct`.
    pub fn tenant_id(&mut self) -> String {
        (0..32).map(|_| ID_CHARS[self.misc.below(ID_CHARS.len())] as char).collect()
    }

    /// A space name such as `Finance Forecasting (dev)` and a matching description.
    pub fn space_name(&mut self) -> (String, String) {
        let dept = DEPARTMENTS[self.names.below(DEPARTMENTS.len())];
        let purpose = PURPOSES[self.names.below(PURPOSES.len())];
        let stage = STAGES[self.names.below(STAGES.len())];
        let name = format!("{dept} {purpose}{stage}");
        let description = format!("{purpose} content for the {dept} team.");
        (name, description)
    }

    /// A person's full name and the local part of their e-mail address.
    pub fn person(&mut self) -> (String, String) {
        let first = FIRST_NAMES[self.names.below(FIRST_NAMES.len())];
        let last = LAST_NAMES[self.names.below(LAST_NAMES.len())];
        let local = format!("{}.{}", first, last).to_lowercase().replace('ü', "u");
        (format!("{first} {last}"), local)
    }

    /// A number below `n` (0 when `n` is 0), from the misc stream.
    pub fn below(&mut self, n: usize) -> usize {
        self.misc.below(n)
    }

    /// Picks one of `items` using the name stream.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.names.below(items.len())]
    }
}
