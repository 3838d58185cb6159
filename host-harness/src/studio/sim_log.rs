//! The simulated tenant's request log, read around a Run so the page can show the requests that
//! Run made: the log's last sequence number before the call, the entries after it.

use super::connection::Connection;
use crate::outbound::OutboundPolicy;
use crate::sim_client;
use serde_json::{json, Value};

/// Where the tenant's control API answers, when the tenant is a simulator: the `--route-to`
/// address, else a plain-http loopback tenant; `None` when nothing there answers `/__sim/clock`.
pub async fn probe(connection: &Connection, policy: &OutboundPolicy) -> Option<String> {
    let base = match &policy.route_to {
        Some(route) => format!("http://{route}"),
        None => {
            let tenant = connection.value()["tenant"].as_str()?;
            let url = url::Url::parse(tenant).ok()?;
            let loopback = match url.host()? {
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
                url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            };
            if url.scheme() != "http" || !loopback {
                return None;
            }
            format!("http://{}:{}", url.host_str()?, url.port_or_known_default()?)
        }
    };
    sim_client::request(&base, "GET", "/__sim/clock", None).await.ok().map(|_| base)
}

/// The sequence number of the newest request the tenant logged (0 for none), reading only the
/// entries after `known`, a mark taken earlier (`?after=`: the log is not read whole each Run).
pub async fn mark(base: &str, known: u64) -> anyhow::Result<u64> {
    Ok(since(base, known).await?.1)
}

/// The requests logged after `mark`: method, path, query, status and the tenant's time in ms;
/// and the newest `seq` among them (`mark` when there are none).
pub async fn since(base: &str, mark: u64) -> anyhow::Result<(Vec<Value>, u64)> {
    let log = sim_client::request(base, "GET", &format!("/__sim/requests?after={mark}"), None).await?;
    let entries = log["requests"].as_array().cloned().unwrap_or_default();
    let newest = entries.iter().filter_map(|r| r["seq"].as_u64()).max().unwrap_or(mark);
    let requests = entries
        .iter()
        .filter(|r| r["seq"].as_u64().is_some_and(|seq| seq > mark))
        .map(|r| {
            let millis = r["response"]["micros"].as_u64().map(|us| us as f64 / 1000.0);
            json!({
                "method": r["method"],
                "path": r["path"],
                "query": r["query"],
                "status": r["response"]["status"],
                "ms": millis,
            })
        })
        .collect();
    Ok((requests, newest))
}
