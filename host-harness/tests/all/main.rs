//! The harness's integration tests, in one binary: the CLI contract (the built binary run as a
//! child process), `serve`'s HTTP contract, `studio`'s JSON API, and the simulated tenant over raw HTTP.

mod child;
mod cli;
mod embedding;
mod limits;
mod serve;
mod sim_api;
mod sim_data_files;
mod sim_data_stores;
mod sim_reloads;
mod sim_reports_raw;
mod sim_users_apps;
mod studio;
