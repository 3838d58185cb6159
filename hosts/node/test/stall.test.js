// A body that stalls after its head, in Node. preview2-shim ends it with its own timer (it
// starts first-byte only once the head is in, so after 60 s here, where wasmtime's between-bytes
// timer fires at 30 s) by destroying the request: the stream error reads "aborted" and carries no
// `http-error-code`, like a dropped connection. The component takes the silence for what it is
// (src/body_error.rs): a timeout, not retried, instead of transport after three more minutes of
// retries. About 60 s: in its own file, so it runs beside the others.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { outcome, testEnv } from "../support/env.js";

let env;
before(async () => {
  env = await testEnv();
});
after(() => env.close());

test("a stalled body is a timeout after the shim's timer, not transport, and is not retried", async () => {
  const [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
  await env.sim.clearRequests();
  await env.sim.fault({ method: "GET", body: "drip", dripMs: 120_000, count: 4 });
  const instance = await env.instance();
  const started = performance.now();
  const { err } = await outcome(() => instance.actions.getSpace(env.apiKey, JSON.stringify({ spaceId })));
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(err, { tag: "timeout", val: "the tenant stopped sending the response" });
  assert.ok(seconds >= 30, `ended by a timer after ${seconds.toFixed(1)} s of silence, not by the deadline or a reset`);
  assert.equal((await env.sim.requests()).length, 1, "a timeout after the request went out is not retried");
});
