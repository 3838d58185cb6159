//! Data stores, data assets and data sets: every action and their data sources, through the real component against the simulated tenant.
