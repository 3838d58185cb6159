//! The component stores in the `wasi:keyvalue` bucket `"default"` (Spin's, wasmCloud's, the
//! harness's and Node's) and nowhere else. A host without it fails every call that needs storage,
//! loudly: wasmtime serve's one bucket, `""`, is new and empty for every request, so falling back
//! to it would make every poll a first run that reports nothing (docs/deploy.md).

use crate::support::env::{Env, EnvOptions};
use qlik_harness::kv::KvError;
use qlik_harness::{Harness, Outcome};
use serde_json::{json, Value};

async fn poll(env: &Env, harness: &Harness) -> Outcome {
    harness.call("pollChangesTrigger", &env.connection, &json!({"pollResourceType": "spaces"})).await.unwrap()
}

fn ok(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Ok(value) => value,
        Outcome::Err(error) => panic!("the poll failed: {error}"),
    }
}

/// Ids of the created records a poll reported, sorted.
fn created_ids(result: &Value) -> Vec<String> {
    let mut ids: Vec<String> = result["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["dedupeKey"].as_str().unwrap().split('@').next().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// Polls on a host with only `"default"`: a first run, a change reported once, then nothing; the
/// trigger state and the client-credentials token are stored there.
#[tokio::test(flavor = "multi_thread")]
async fn with_the_default_bucket_state_and_token_live_in_it() {
    let env = Env::new().await;
    let harness = env.new_harness(&EnvOptions { kv_buckets: Some(vec!["default".into()]), ..Default::default() });
    assert_eq!(ok(poll(&env, &harness).await)["polledNoChanges"], true, "a first run");
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let mut created = env.seed("spaces", 2).await;
    created.sort();
    assert_eq!(created_ids(&ok(poll(&env, &harness).await)), created, "the change, once");
    let again = ok(poll(&env, &harness).await);
    assert_eq!(again["polledNoChanges"], true, "nothing repeated: {again}");
    assert_eq!(harness.kv().load("default").unwrap().len(), 1, "the trigger's state");

    // A client-credentials token is fetched once and reused from the same bucket.
    let credentials = env.client_credentials();
    for _ in 0..2 {
        assert!(matches!(harness.call("listSpaces", &credentials, &json!({})).await.unwrap(), Outcome::Ok(_)));
    }
    assert_eq!(env.requests_to("/oauth/token").await.len(), 1, "the token is cached");
    assert_eq!(harness.kv().load("default").unwrap().len(), 2, "state and token");
}

/// A host with only the bucket `""` (wasmtime serve's): every poll fails as a storage error
/// naming the missing bucket, none is taken for a first run, and nothing is stored in `""`;
/// a call that needs no storage works.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_default_bucket_a_poll_fails_loudly_and_nothing_falls_back() {
    let env = Env::new().await;
    let harness = env.new_harness(&EnvOptions { kv_buckets: Some(vec![String::new()]), ..Default::default() });
    for attempt in 0..2 {
        let Outcome::Err(error) = poll(&env, &harness).await else {
            panic!("poll {attempt} without its bucket worked")
        };
        assert_eq!(error["kind"], "transport", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("storage bucket does not exist"), "{error}");
        assert!(harness.kv().load("").unwrap().is_empty(), "fell back to bucket \"\"");
    }
    assert!(matches!(harness.call("listSpaces", &env.connection, &json!({})).await.unwrap(), Outcome::Ok(_)));
}

/// Opening `"default"` denied or failing is a storage error: the poll fails, nothing is stored
/// in `""` (though the host has it) and the state does not advance.
#[tokio::test(flavor = "multi_thread")]
async fn a_default_bucket_that_fails_to_open_is_an_error_not_a_fallback() {
    let env = Env::new().await;
    let harness = env.new_harness(&EnvOptions::default());
    ok(poll(&env, &harness).await);
    let before = harness.kv().load("default").unwrap();
    assert_eq!(before.len(), 1);
    env.control("POST", "/__sim/clock", Some(json!({"advanceSeconds": 2}))).await;
    let mut created = env.seed("spaces", 1).await;
    created.sort();
    for (failure, text) in [(KvError::AccessDenied, "denied"), (KvError::Other("disk on fire".into()), "disk on fire")]
    {
        harness.kv().fail_open("default", Some(failure.clone()));
        let Outcome::Err(error) = poll(&env, &harness).await else { panic!("{failure:?} was ignored") };
        assert_eq!(error["kind"], "transport", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("storage") && message.contains(text), "{failure:?}: {error}");
        assert!(harness.kv().load("").unwrap().is_empty(), "{failure:?}: fell back to bucket \"\"");
        assert_eq!(harness.kv().load("default").unwrap(), before, "{failure:?}: state unchanged");
    }
    // Once the store opens again, the next poll reports the change the failed ones did not.
    harness.kv().fail_open("default", None);
    assert_eq!(created_ids(&ok(poll(&env, &harness).await)), created);
    assert!(harness.kv().load("").unwrap().is_empty());
}
