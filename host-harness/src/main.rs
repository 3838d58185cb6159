//! `qlik-harness`: runs the qlik-connector component. Exit codes: 0 success; 1 a call that
//! failed (its error as JSON on stdout, one line on stderr) or a harness failure such as a
//! missing component (one line on stderr, nothing on stdout); 2 usage errors.
//!
//! The commands live in `bin_support` (binary only); the library `qlik_harness` is the host.

mod bin_support {
    pub mod bench;
    pub mod bench_floor;
    pub mod bench_report;
    pub mod bench_scale;
    pub mod bench_trigger;
    pub mod cli;
    pub mod demo;
}

use bin_support::{bench, cli, demo};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory as _, Parser, Subcommand};
use qlik_harness::outcome::one_line;
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
    /// Serve the connector over HTTP (the composed qlik_connector_http.wasm) until interrupted;
    /// the first stdout line is {"url"}. Set QLIK_CONNECTOR_TOKEN to require a bearer token.
    Serve(cli::ServeArgs),
    /// Serve the flow-builder preview page on 127.0.0.1 (a simulated tenant unless --connection
    /// is given); the first stdout line is {"url"}.
    Studio(cli::StudioArgs),
    /// Walk through a realistic flow against an in-process simulated tenant.
    Demo,
    /// Print component.yaml (generated from the component's manifest).
    Manifest,
    /// Compile the component ahead of time into a `.cwasm` file that `--component` loads
    /// without compiling (for this harness version only).
    Precompile {
        /// Where to write it (default: the component's path with the `.cwasm` extension).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print performance figures: component calls vs native requests against the simulator.
    Bench {
        /// Timed iterations per figure.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        /// Print the figures as one JSON document (with `ratios.getSpaceVsNative` and
        /// `ratios.fetchAllVsNative`) instead of the table.
        #[arg(long)]
        json: bool,
        /// Run only these sections (comma-separated): calls, fetchAll, cold, scale, trigger.
        #[arg(long, value_delimiter = ',')]
        only: Vec<bench::Section>,
    },
}

/// Parses the arguments. clap's own messages are kept where they can only name flags; where
/// they would repeat what was typed (an unexpected argument, an invalid value), which may be a
/// connection JSON or a key, the message names the flag or the problem instead.
fn parse_args() -> Args {
    let error = match Args::try_parse() {
        Ok(args) => return args,
        Err(error) => error,
    };
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        | ErrorKind::MissingSubcommand
        | ErrorKind::MissingRequiredArgument
        | ErrorKind::ArgumentConflict
        | ErrorKind::WrongNumberOfValues
        | ErrorKind::TooFewValues
        | ErrorKind::NoEquals => error.exit(),
        _ => {
            eprintln!("error: {}", redacted_message(&error));
            if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
                eprintln!("\n{usage}");
            }
            eprintln!("\nFor more information, try '--help'.");
            std::process::exit(2);
        }
    }
}

/// The text of a context entry, when it is a single string.
fn context(error: &clap::Error, kind: ContextKind) -> Option<&str> {
    match error.get(kind) {
        Some(ContextValue::String(text)) => Some(text),
        _ => None,
    }
}

/// What went wrong, naming flags and commands but never a value the user typed.
fn redacted_message(error: &clap::Error) -> String {
    const NOT_SHOWN: &str = "not shown: it may hold a connection or a key";
    let value = context(error, ContextKind::InvalidValue).unwrap_or_default();
    let arg = context(error, ContextKind::InvalidArg).unwrap_or("an argument");
    let mut message = match error.kind() {
        ErrorKind::UnknownArgument => {
            let name = arg.split_once('=').map_or(arg, |(name, _)| name);
            let flag_like = name.len() <= 40
                && (name.starts_with("--") || name.len() == 2 && name.starts_with('-'))
                && name.trim_start_matches('-').chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if flag_like {
                format!("unexpected argument '{name}'")
            } else {
                format!("unexpected argument ({NOT_SHOWN}); JSON goes after --connection or --input")
            }
        }
        ErrorKind::InvalidSubcommand => {
            let names: Vec<String> = Args::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
            format!("unknown command ({NOT_SHOWN}); the commands are {}", names.join(", "))
        }
        ErrorKind::InvalidValue if value.is_empty() => format!("a value is required for '{arg}' but none was supplied"),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(error)
                .map(|e| e.to_string())
                .filter(|r| value.is_empty() || !r.contains(value));
            match reason {
                Some(reason) => format!("invalid value for '{arg}' ({NOT_SHOWN}): {reason}"),
                None => format!("invalid value for '{arg}' ({NOT_SHOWN})"),
            }
        }
        ErrorKind::TooManyValues => format!("unexpected extra value for '{arg}' ({NOT_SHOWN})"),
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_string(),
        _ => "invalid arguments".to_string(),
    };
    for suggestion in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand] {
        if let Some(suggested) = context(error, suggestion) {
            message.push_str(&format!("; did you mean '{suggested}'?"));
        }
    }
    message
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(async move {
        let component = args.component;
        let result = match args.command {
            Command::Exports => cli::exports(component).await,
            Command::Call(call) => cli::call(component, call).await,
            Command::Simulate(sim) => cli::simulate(sim).await,
            Command::Serve(serve) => cli::serve(component, serve).await,
            Command::Studio(studio) => cli::studio(component, studio).await,
            Command::Demo => demo::run(component).await,
            Command::Manifest => cli::manifest(component).await,
            Command::Precompile { out } => cli::precompile(component, out),
            Command::Bench { iterations, json, only } => bench::run(component, iterations, json, &only).await,
        };
        match result {
            Ok(code) => code,
            Err(error) => {
                eprintln!("qlik-harness: {}", one_line(&format!("{error:#}")));
                if error.is::<cli::UsageError>() {
                    2
                } else {
                    1
                }
            }
        }
    });
    std::process::exit(code);
}
