//! Reports: create a report request and follow its status.

use super::ExportSpec;

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[];
