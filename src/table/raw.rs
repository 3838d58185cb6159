//! `rawRequest`: any request on the tenant host, with its own retry policy.

use super::ExportSpec;

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[];
