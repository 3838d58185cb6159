//! `qlik-harness`: runs the qlik-connector component. Exit codes: 0 success, 1 a call that
//! failed (its error as JSON on stdout, one line on stderr), 2 usage errors.

use clap::{Parser, Subcommand};
use qlik_harness::cli;
use std::path::PathBuf;

/// Runs the Qlik connector component locally, against a simulated tenant or a real one.
#[derive(Parser)]
#[command(name = "qlik-harness", version, about)]
struct Args {
    /// The component (.wasm); else $QLIK_COMPONENT, else the workspace's release build.
    #[arg(long, global = true)]
    component: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every export: kind, key, WIT name and inputs (JSON).
    Exports,
    /// Call an export by key (or WIT name) and print its result as JSON.
    Call(cli::CallArgs),
    /// Serve the simulated Qlik tenant until interrupted; the first stdout line is {"url","apiKey",...}.
    Simulate(cli::SimulateArgs),
    /// Walk through a realistic flow against an in-process simulated tenant.
    Demo,
    /// Print component.yaml (generated from the component's manifest).
    Manifest,
    /// Print performance figures: component calls vs native requests against the simulator.
    Bench {
        /// Timed iterations per figure.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(async move {
        let component = args.component;
        let result = match args.command {
            Command::Exports => cli::exports(component).await,
            Command::Call(call) => cli::call(component, call).await,
            Command::Simulate(sim) => cli::simulate(sim).await,
            Command::Demo => qlik_harness::demo::run(component).await,
            Command::Manifest => cli::manifest(component).await,
            Command::Bench { iterations } => qlik_harness::bench::run(component, iterations).await,
        };
        match result {
            Ok(code) => code,
            Err(error) => {
                eprintln!("qlik-harness: {}", cli::one_line(&format!("{error:#}")));
                if error.is::<cli::UsageError>() { 2 } else { 1 }
            }
        }
    });
    std::process::exit(code);
}
