//! The CLI's commands (`main` parses the arguments and calls these).

use anyhow::Context as _;
use qlik_harness::component_yaml::manifest_yaml;
use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::outcome::describe_error;
use qlik_harness::sim::{self, SimConfig};
use qlik_harness::{Harness, HarnessOptions, Outcome};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// A mistake in how the CLI was invoked (malformed JSON argument, unknown export, unreadable
/// `@file`): exit code 2, like the usage errors the argument parser reports.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Parses a JSON argument (text or `@file`); any failure is a usage error naming the flag.
fn json_arg(flag: &str, value: &str) -> anyhow::Result<Value> {
    let text = read_arg(value).map_err(|e| usage(format!("{flag}: {e:#}")))?;
    serde_json::from_str(&text).map_err(|e| usage(format!("{flag} is not valid JSON: {e}")))
}

/// Arguments of `call`.
#[derive(clap::Args)]
pub struct CallArgs {
    /// Export key (e.g. createSpace) or WIT name (create-space).
    pub key: String,
    /// Connection JSON, or @file.
    #[arg(long)]
    pub connection: String,
    /// Input JSON object, or @file.
    #[arg(long, default_value = "{}")]
    pub input: String,
    #[command(flatten)]
    pub host: HostArgs,
    /// With a trigger's key: acknowledge this poll (its `pollId`, input `acknowledge`) instead
    /// of polling; prints null.
    #[arg(long, value_name = "POLL_ID")]
    pub ack_poll: Option<String>,
}

/// Arguments of `simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The API key the tenant accepts.
    #[arg(long, default_value = "sim-api-key")]
    pub api_key: String,
    /// Seed for generated records.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Storage (shared by every request) and the outbound policy.
    #[command(flatten)]
    pub host: HostArgs,
}

/// Arguments of `studio`.
#[derive(clap::Args)]
pub struct StudioArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Connection JSON, or @file; without it the studio starts a simulated tenant and connects to it.
    #[arg(long)]
    pub connection: Option<String>,
    /// Storage (a temporary directory when not given) and the outbound policy.
    #[command(flatten)]
    pub host: HostArgs,
}

/// What `call`, `serve` and `studio` share: the component's storage and its outbound policy.
#[derive(clap::Args, Clone)]
pub struct HostArgs {
    /// Directory for the component's storage (trigger state, cached tokens).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Another host the component may reach (besides Qlik Cloud hosts and loopback); repeatable.
    #[arg(long = "allow-host")]
    pub allow_hosts: Vec<String>,
    /// Send every request to this HOST:PORT (or http://HOST:PORT) over plain http, e.g. a
    /// simulated tenant; the tenant host stays in the Host header.
    #[arg(long, value_name = "HOST:PORT", value_parser = qlik_harness::outbound::parse_route_to)]
    pub route_to: Option<http::uri::Authority>,
    /// Cap on the first-byte timeout, in milliseconds.
    #[arg(long)]
    pub first_byte_timeout_ms: Option<u64>,
}

impl HostArgs {
    /// The outbound policy: the default hosts, `--allow-host` and `extra`, routing and the cap.
    fn policy(&self, extra: impl IntoIterator<Item = String>) -> OutboundPolicy {
        OutboundPolicy {
            route_to: self.route_to.clone(),
            max_first_byte_timeout: self.first_byte_timeout_ms.map(Duration::from_millis),
            ..OutboundPolicy::allowing(self.allow_hosts.iter().cloned().chain(extra))
        }
    }

    /// The outbound policy of a call with `connection`: [`HostArgs::policy`] plus the
    /// connection's tenant host.
    fn connection_policy(&self, connection: &Value) -> OutboundPolicy {
        // The host the component derives from each, by the component's own rules; a value it
        // refuses adds nothing (the component reports it as invalid input).
        let tenant_hosts = ["tenant", "tokenUrl"]
            .into_iter()
            .filter_map(|key| connection[key].as_str().map(qlik_connector::tenant::normalize_tenant)?.ok())
            .map(|base| base.host);
        self.policy(tenant_hosts)
    }

    /// These flags as command-line words (for the studio's copyable command lines).
    fn words(&self) -> Vec<String> {
        use qlik_harness::studio::connection::shell_word;
        let mut words = Vec::new();
        if let Some(dir) = &self.state_dir {
            words.extend(["--state-dir".to_string(), shell_word(&dir.display().to_string())]);
        }
        for host in &self.allow_hosts {
            words.extend(["--allow-host".to_string(), shell_word(host)]);
        }
        if let Some(route) = &self.route_to {
            words.extend(["--route-to".to_string(), shell_word(route.as_str())]);
        }
        if let Some(ms) = self.first_byte_timeout_ms {
            words.extend(["--first-byte-timeout-ms".to_string(), ms.to_string()]);
        }
        words
    }
}

/// The text of an argument, or of the file it names with `@` (without a UTF-8 byte order mark,
/// which Windows editors write).
pub fn read_arg(value: &str) -> anyhow::Result<String> {
    match value.strip_prefix('@') {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
        }
        None => Ok(value.to_string()),
    }
}

async fn harness(
    component: Option<PathBuf>,
    state_dir: Option<PathBuf>,
    outbound: OutboundPolicy,
) -> anyhow::Result<Harness> {
    Harness::new(HarnessOptions { component, state_dir, outbound, ..Default::default() })
}

/// `exports`: prints every export as JSON.
pub async fn exports(component: Option<PathBuf>) -> anyhow::Result<i32> {
    let harness = harness(component, None, OutboundPolicy::default()).await?;
    let manifest = harness.runtime().manifest().await?;
    let mut out = Vec::new();
    for (group, kind) in [("actions", "action"), ("dataSources", "data-source"), ("triggers", "trigger")] {
        for entry in manifest[group].as_array().into_iter().flatten() {
            let inputs: Vec<String> = entry["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    format!("{}{}", i["key"].as_str().unwrap_or_default(), if i["required"] == true { "*" } else { "" })
                })
                .collect();
            out.push(json!({"kind": kind, "key": entry["key"], "witName": entry["witName"], "interface": entry["interface"], "inputs": inputs}));
        }
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(0)
}

/// The export key or WIT name nearest to `typed` (at most 2 edits, case ignored), if any.
fn closest_export(manifest: &Value, typed: &str) -> Option<String> {
    let typed = typed.to_ascii_lowercase();
    let names = ["actions", "dataSources", "triggers"]
        .iter()
        .flat_map(|group| manifest[*group].as_array().into_iter().flatten())
        .flat_map(|entry| [entry["key"].as_str(), entry["witName"].as_str()])
        .flatten();
    names
        .map(|name| (edit_distance(&typed, &name.to_ascii_lowercase()), name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n.to_string())
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// `call`: runs one export.
pub async fn call(component: Option<PathBuf>, args: CallArgs) -> anyhow::Result<i32> {
    let connection = json_arg("--connection", &args.connection)?;
    let input = json_arg("--input", &args.input)?;
    if !input.is_object() {
        return Err(usage("--input must be a JSON object"));
    }
    qlik_harness::values::connection(&connection).map_err(|e| usage(format!("--connection: {e}")))?;
    let policy = args.host.connection_policy(&connection);
    let harness = harness(component, args.host.state_dir.clone(), policy).await?;
    if harness.find_export(&args.key).await.is_err() {
        // The key is not repeated: a misplaced argument there may be a connection or a key.
        let suggestion = closest_export(harness.runtime().manifest().await?, &args.key)
            .map(|k| format!("; did you mean `{k}`?"))
            .unwrap_or_default();
        return Err(usage(format!(
            "no export has the name given to `call`{suggestion} (`qlik-harness exports` lists them)"
        )));
    }
    let outcome = match &args.ack_poll {
        Some(poll_id) => {
            let export = harness.find_export(&args.key).await?;
            if export["interface"] != "triggers" {
                return Err(usage("--ack-poll goes with a trigger's key (pollChangesTrigger)"));
            }
            harness.ack_poll(&connection, &input, poll_id).await?
        }
        None => harness.call(&args.key, &connection, &input).await?,
    };
    match outcome {
        Outcome::Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(0)
        }
        Outcome::Err(error) => {
            println!("{}", json!({ "error": error }));
            eprintln!("qlik-harness: {}", describe_error(&error));
            Ok(1)
        }
    }
}

/// `precompile`: writes the component compiled ahead of time and prints its path.
pub fn precompile(component: Option<PathBuf>, out: Option<PathBuf>) -> anyhow::Result<i32> {
    let path = qlik_harness::component_path(component.as_deref())?;
    let out = out.unwrap_or_else(|| path.with_extension("cwasm"));
    std::fs::write(&out, qlik_harness::Runtime::precompile(&path)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(0)
}

/// `simulate`: serves the simulated tenant until Ctrl-C.
pub async fn simulate(args: SimulateArgs) -> anyhow::Result<i32> {
    let handle = sim::start(SimConfig { port: args.port, api_key: args.api_key, seed: args.seed }).await?;
    println!(
        "{}",
        json!({"url": handle.url(), "apiKey": handle.api_key(), "clientId": handle.client_id(), "clientSecret": handle.client_secret()})
    );
    use std::io::Write as _;
    std::io::stdout().flush()?;
    eprintln!(
        "Simulated Qlik tenant at {} (control API under {}/__sim/). Ctrl-C stops it.",
        handle.url(),
        handle.url()
    );
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(0)
}

/// `serve`: serves the composed HTTP component on 127.0.0.1 until interrupted. The first stdout
/// line is `{"url": ...}`. `QLIK_CONNECTOR_TOKEN`, when set, is passed to the component (which
/// then asks every request for it) and never printed.
pub async fn serve(component: Option<PathBuf>, args: ServeArgs) -> anyhow::Result<i32> {
    use qlik_harness::serve::{http_component_path, Server};
    let component = http_component_path(component.as_deref())?;
    let outbound = args.host.policy([]);
    let token = std::env::var(qlik_harness::serve::TOKEN_VARIABLE).ok().filter(|t| !t.is_empty());
    let env = token.iter().map(|t| (qlik_harness::serve::TOKEN_VARIABLE.to_string(), t.clone())).collect();
    let harness = Harness::new(HarnessOptions {
        component: Some(component),
        state_dir: args.host.state_dir,
        outbound,
        component_env: env,
        ..Default::default()
    })?;
    let server = Server::new(harness)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await.context("binding the port")?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("{}", json!({ "url": url }));
    use std::io::Write as _;
    std::io::stdout().flush()?;
    let secret = if token.is_some() { "with the shared secret" } else { "without a shared secret" };
    eprintln!("Serving the connector at {url}/v1/ ({secret}). Ctrl-C stops it.");
    tokio::select! {
        result = server.run(listener) => result.map(|()| 0),
        signal = tokio::signal::ctrl_c() => signal.map(|()| 0).map_err(Into::into),
    }
}

/// `studio`: serves the flow-builder preview page on 127.0.0.1 until interrupted, on the given
/// connection or on a simulated tenant it starts and seeds. The first stdout line is
/// `{"url": ...}` (and `"tenant"`, the simulated tenant's URL, when it started one).
pub async fn studio(component: Option<PathBuf>, mut args: StudioArgs) -> anyhow::Result<i32> {
    use qlik_harness::studio::{self, connection::Connection, Studio, StudioOptions};
    let given = args.connection.as_deref().map(|text| json_arg("--connection", text)).transpose()?;
    if let Some(connection) = &given {
        qlik_harness::values::connection(connection).map_err(|e| usage(format!("--connection: {e}")))?;
    }
    let listener = studio::bind(args.port).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let mut simulator = None;
    let connection = match given {
        Some(connection) => Connection::custom(connection),
        None => {
            let sim = sim::start(SimConfig::default()).await?;
            let seeded = studio::seed::seed(&sim.url()).await?;
            eprintln!("Simulated Qlik tenant at {} ({seeded} records seeded).", sim.url());
            let connection = json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()});
            simulator = Some(sim);
            Connection::simulated(connection)
        }
    };
    // Without --state-dir, storage lives in a temporary directory for the studio's lifetime,
    // so that its command lines can share the trigger's state.
    let _temporary = match &args.host.state_dir {
        Some(_) => None,
        None => {
            let (dir, path) = studio::temporary_state_dir()?;
            args.host.state_dir = Some(path);
            Some(dir)
        }
    };
    let mut flags = component
        .iter()
        .flat_map(|c| ["--component".to_string(), studio::connection::shell_word(&c.display().to_string())])
        .collect::<Vec<_>>();
    flags.extend(args.host.words());
    let host = std::sync::Arc::new(args.host.clone());
    let options = StudioOptions {
        harness: HarnessOptions { component, state_dir: args.host.state_dir.clone(), ..Default::default() },
        policy_for: std::sync::Arc::new(move |connection: &Value| host.connection_policy(connection)),
        simulated: connection.is_simulated().then(|| connection.clone()),
        connection,
        cli_flags: flags,
    };
    let server = Studio::new(options).await?;
    let mut first = json!({ "url": url });
    if let Some(sim) = &simulator {
        first["tenant"] = json!(sim.url());
    }
    println!("{first}");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    eprintln!("Studio at {url}: open it in a browser. Ctrl-C stops it.");
    let result = tokio::select! {
        result = server.run(listener) => result.map(|()| 0),
        signal = tokio::signal::ctrl_c() => signal.map(|()| 0).map_err(Into::into),
    };
    if let Some(sim) = simulator {
        sim.shutdown().await;
    }
    result
}

/// `manifest`: prints component.yaml.
pub async fn manifest(component: Option<PathBuf>) -> anyhow::Result<i32> {
    let harness = harness(component, None, OutboundPolicy::default()).await?;
    print!("{}", manifest_yaml(harness.runtime().manifest().await?)?);
    Ok(0)
}
