//! Apps (`/apps`) and the items that list them (`/items`).

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct AppsState {}
