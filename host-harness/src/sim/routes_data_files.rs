//! Data files (`/data-files`): multipart uploads, string page cursors.

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct DataFilesState {}
