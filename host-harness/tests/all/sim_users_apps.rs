//! The simulated tenant's users, apps and items, over raw HTTP.
