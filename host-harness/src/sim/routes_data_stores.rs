//! Data stores, data assets and data sets (`/data-stores`, `/data-assets`, `/data-sets`).

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct DataStoresState {}
