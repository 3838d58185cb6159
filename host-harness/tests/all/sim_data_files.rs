//! The simulated tenant's data files, over raw HTTP.
