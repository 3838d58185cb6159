//! The simulated tenant's data stores, data assets and data sets, over raw HTTP.
