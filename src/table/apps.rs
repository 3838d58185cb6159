//! Apps: actions and the `selectApp` data source (items with `resourceType=app`).

use super::ExportSpec;

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[];
