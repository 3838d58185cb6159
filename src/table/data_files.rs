//! Data files: actions (multipart uploads) and the `selectDataFile` data source.

use super::ExportSpec;

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[];
