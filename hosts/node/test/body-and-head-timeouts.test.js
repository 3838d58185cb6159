// The shim's timeouts, in Node. A body that stalls after its head: preview2-shim ends it with its own timer (it
// starts first-byte only once the head is in, so after 60 s here, where wasmtime's between-bytes
// timer fires at 30 s) by destroying the request: the stream error reads "aborted" and carries no
// `http-error-code`, like a dropped connection. The component takes the silence for what it is
// (src/body_error.rs): a timeout, not retried, instead of transport after three more minutes of
// retries. A head slower than the connect timeout: the shim applies the connect timeout (10 s)
// as a socket idle timeout until the head arrives and calls it `connection-timeout`, so the
// component takes it for "nothing reached the tenant" (wasmtime would wait for the 60 s
// first-byte timeout). About 70 s: in its own file, so it runs beside the others.
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
  // Four: were it retried, every attempt would stall too.
  await env.sim.fault({ method: "GET", body: "drip", dripMs: 120_000, count: 4 });
  const instance = await env.instance();
  const started = performance.now();
  const { err } = await outcome(() => instance.actions.getSpace(env.apiKey, JSON.stringify({ spaceId })));
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(err, { tag: "timeout", val: "the tenant stopped sending the response" });
  assert.ok(seconds >= 30, `ended by a timer after ${seconds.toFixed(1)} s of silence, not by the deadline or a reset`);
  assert.equal((await env.sim.requests()).length, 1, "a timeout after the request went out is not retried");
  await env.sim.ctl("DELETE", "/__sim/faults");
});

test("a head slower than 10 s is a connect timeout under the shim: the GET is sent again", async () => {
  const [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
  await env.sim.clearRequests();
  await env.sim.fault({ method: "GET", delayMs: 11_000 });
  const instance = await env.instance();
  const { ok } = await outcome(() => JSON.parse(instance.actions.getSpace(env.apiKey, JSON.stringify({ spaceId }))));
  assert.equal(ok.id, spaceId);
  const sent = (await env.sim.requests()).filter((r) => r.path === `/api/v1/spaces/${spaceId}`);
  assert.equal(sent.length, 2, "the tenant received it twice: the first answer came after the shim gave up");
});
