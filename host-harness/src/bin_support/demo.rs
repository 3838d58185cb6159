//! `qlik-harness demo`: starts the simulated tenant in-process and walks through a realistic flow
//! with the real component, printing what happens.

use qlik_harness::outbound::OutboundPolicy;
use qlik_harness::outcome::describe_error;
use qlik_harness::sim::{self, SimConfig};
use qlik_harness::sim_client;
use qlik_harness::{Harness, HarnessOptions, Outcome};
use serde_json::{json, Value};
use std::path::PathBuf;

struct Demo {
    harness: Harness,
    connection: Value,
    tenant: String,
}

impl Demo {
    /// Requests the tenant has received so far.
    async fn received(&self) -> anyhow::Result<usize> {
        Ok(sim_client::request(&self.tenant, "GET", "/__sim/requests", None).await?["requests"]
            .as_array()
            .map_or(0, Vec::len))
    }

    async fn call(&self, key: &str, input: Value) -> anyhow::Result<Result<Value, Value>> {
        println!("\n> {key} {input}");
        let before = self.received().await?;
        let outcome = self.harness.call(key, &self.connection, &input).await?;
        let sent = self.received().await? - before;
        println!("  ({sent} request{} to the tenant)", if sent == 1 { "" } else { "s" });
        Ok(match outcome {
            Outcome::Ok(value) => Ok(value),
            Outcome::Err(error) => {
                println!("  error → {}", describe_error(&error));
                Err(error)
            }
        })
    }
}

fn names(records: &Value) -> String {
    records.as_array().into_iter().flatten().filter_map(|r| r["name"].as_str()).collect::<Vec<_>>().join(", ")
}

/// The dedupe keys of a poll's created or updated records, with the record's name.
fn changes(result: &Value, kind: &str) -> String {
    let listed: Vec<String> = result[kind]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            format!("{} ({})", c["dedupeKey"].as_str().unwrap_or_default(), c["record"]["name"].as_str().unwrap_or("?"))
        })
        .collect();
    if listed.is_empty() {
        "none".into()
    } else {
        listed.join(", ")
    }
}

/// The trigger: a first poll (nothing), changes, the next poll (exactly those), a quiet poll.
async fn trigger(demo: &Demo) -> anyhow::Result<()> {
    let poll = json!({"pollResourceType": "spaces"});
    println!("\nThe trigger, polled as a scheduler would (state in the harness's store):");
    if let Ok(first) = demo.call("pollChangesTrigger", poll.clone()).await? {
        println!("  first run: polledNoChanges = {} (history is not replayed)", first["polledNoChanges"]);
    }
    // A minute later on the tenant's clock, someone creates a space and edits another.
    sim_client::request(&demo.tenant, "POST", "/__sim/clock", Some(&json!({"advanceSeconds": 60}))).await?;
    let created = demo.call("createSpace", json!({"name": "Ops Review", "spaceType": "shared"})).await?;
    let edited = demo.call("listSpaces", json!({"limit": 1})).await?;
    if let (Ok(_), Ok(page)) = (&created, &edited) {
        let id = page["data"][0]["id"].clone();
        let _ = demo.call("updateSpace", json!({"spaceId": id, "description": "Edited for the trigger demo"})).await?;
    }
    if let Ok(next) = demo.call("pollChangesTrigger", poll.clone()).await? {
        println!("  created: {}", changes(&next, "created"));
        println!("  updated: {}", changes(&next, "updated"));
    }
    if let Ok(quiet) = demo.call("pollChangesTrigger", poll).await? {
        println!("  next poll: polledNoChanges = {} (nothing is repeated)", quiet["polledNoChanges"]);
    }
    Ok(())
}

/// Runs the demo.
pub async fn run(component: Option<PathBuf>) -> anyhow::Result<i32> {
    let sim = sim::start(SimConfig::default()).await?;
    println!("Simulated Qlik tenant at {}", sim.url());
    let harness =
        Harness::new(HarnessOptions { component, outbound: OutboundPolicy::allowing([]), ..Default::default() })?;
    println!("Component loaded: {} exports", harness.wit_exports().len());
    let demo = Demo {
        harness,
        connection: json!({"type": "apiKey", "apiKey": sim.api_key(), "tenant": sim.url()}),
        tenant: sim.url(),
    };

    let seeded =
        sim_client::request(&sim.url(), "POST", "/__sim/seed", Some(&json!({"resource": "spaces", "count": 12})))
            .await?;
    println!("Seeded {} spaces in the tenant.", seeded["created"].as_array().map_or(0, Vec::len));

    let created = demo
        .call(
            "createSpace",
            json!({"name": "Finance Analytics", "description": "Quarterly reporting", "spaceType": "managed"}),
        )
        .await?;
    let Ok(space) = created else { return Ok(1) };
    let id = space["id"].as_str().unwrap_or_default().to_string();
    println!("  created space {id} ({} / {})", space["name"], space["type"]);

    let again = demo.call("createSpace", json!({"name": "Finance Analytics"})).await?;
    println!("  a second space with the same name is refused: {}", again.is_err());

    if let Ok(fetched) = demo.call("getSpace", json!({"spaceId": id})).await? {
        println!("  fetched: {} — {}", fetched["name"], fetched["description"]);
    }

    if let Ok(page) = demo.call("listSpaces", json!({"limit": 5})).await? {
        println!("  first page: {}", names(&page["data"]));
        println!("  nextPage = {}", page["nextPage"]);
        if let Some(next) = page["nextPage"].as_str() {
            if let Ok(second) = demo.call("listSpaces", json!({"limit": 5, "page": next})).await? {
                println!("  second page: {}", names(&second["data"]));
            }
        }
    }

    if let Ok(all) = demo.call("listSpaces", json!({"fetchAll": true, "limit": 5})).await? {
        println!(
            "  fetchAll read {} spaces; truncated = {}",
            all["data"].as_array().map_or(0, Vec::len),
            all["truncated"]
        );
    }

    if let Ok(items) = demo.call("selectSpace", json!({"search": "finance"})).await? {
        println!("  picklist: {items}");
    }

    if let Ok(updated) =
        demo.call("updateSpace", json!({"spaceId": id, "description": "Quarterly and annual reporting"})).await?
    {
        println!("  updated description: {}", updated["description"]);
    }

    let _ = demo.call("getSpace", json!({"spaceId": "no/such"})).await?;

    if let Ok(deleted) = demo.call("deleteSpace", json!({"spaceId": id})).await? {
        println!("  {deleted}");
    }
    let _ = demo.call("getSpace", json!({"spaceId": id})).await?;

    // Apps: create one in the space flows work in, find it through the picklist, read it.
    if let Ok(app) = demo.call("createApp", json!({"name": "Sales Dashboard", "usage": "ANALYTICS"})).await? {
        let app_id = app["attributes"]["id"].as_str().unwrap_or_default().to_string();
        println!("  created app {app_id} ({})", app["attributes"]["name"]);
        if let Ok(items) = demo.call("selectApp", json!({"search": "sales"})).await? {
            println!("  picklist: {items}");
        }
        if let Ok(fetched) = demo.call("getApp", json!({"appId": app_id})).await? {
            println!("  fetched: {} (usage {})", fetched["attributes"]["name"], fetched["attributes"]["usage"]);
        }
        // Reload it and wait (the tenant's reload takes two seconds on its clock).
        let quick = json!({"appId": app_id, "outcome": "SUCCEEDED", "queuedSeconds": 0, "reloadingSeconds": 2});
        sim_client::request(&demo.tenant, "POST", "/__sim/reloads", Some(&quick)).await?;
        let reload = json!({"appId": app_id, "waitForCompletion": true, "maxWaitSeconds": 60});
        if let Ok(done) = demo.call("reloadApp", reload).await? {
            println!(
                "  reload {} ended {} at {} (timed out: {})",
                done["id"], done["status"], done["endTime"], done["timedOut"]
            );
        }
        // A second reload while one is pending is a conflict, not retried.
        let hang = json!({"appId": app_id, "outcome": "HANG"});
        sim_client::request(&demo.tenant, "POST", "/__sim/reloads", Some(&hang)).await?;
        if let Ok(pending) = demo.call("reloadApp", json!({"appId": app_id})).await? {
            let _ = demo.call("reloadApp", json!({"appId": app_id})).await?;
            if let Ok(canceled) = demo.call("cancelReload", json!({"reloadId": pending["id"]})).await? {
                println!("  canceled: {canceled}");
            }
        }
    }

    // A data file: upload a CSV (multipart), then list the data files.
    let csv = "region,amount\nNorth,120\nSouth,95\n";
    if let Ok(file) = demo.call("createDataFile", json!({"fileName": "sales.csv", "fileInput": csv})).await? {
        println!("  uploaded {} ({} bytes, id {})", file["name"], file["size"], file["id"]);
    }
    if let Ok(files) = demo.call("listDatafiles", json!({"limit": 10})).await? {
        println!("  data files: {}", names(&files["data"]));
    }

    // A report: request it, then wait for it to finish (the tenant's clock moves it along).
    let report = json!({"type": "sense-sheet-1.0", "output": {"type": "pdf", "outputId": "sheet1"},
        "senseSheetTemplate": {"appId": "a1", "sheet": {"id": "s1"}}});
    if let Ok(created) = demo.call("createReport", json!({"reportInput": report})).await? {
        println!("  report {} queued; status at {}", created["reportId"], created["statusLocation"]);
        let wait = json!({"reportId": created["reportId"], "waitForCompletion": true, "maxWaitSeconds": 30});
        if let Ok(status) = demo.call("getReportRequestStatus", wait).await? {
            println!("  report status: {} (timed out: {})", status["status"], status["timedOut"] == true);
        }
    }

    trigger(&demo).await?;

    println!("\nThe tenant received {} requests in all.", demo.received().await?);
    sim.shutdown().await;
    Ok(0)
}
