//! Shared test support: the simulated tenant + component environment, and the OpenAPI checker.

pub mod env;
pub mod openapi;
