//! Reports (`/reports`): 202 + Location, a status machine on the simulated clock.

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct ReportsState {}
