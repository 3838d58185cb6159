//! Data stores, data assets and data sets: actions and their data sources.

use super::ExportSpec;

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[];
