//! The simulated tenant's reports, over raw HTTP.
