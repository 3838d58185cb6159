// The error mapping through jco: the WIT `error` variant arrives as ComponentError.payload
// {tag, val}; retries and timeouts as in wasmtime, driven by the simulator's fault injection.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { callExport } from "../lib/exports.js";
import { outcome, testEnv } from "../support/env.js";

let env;
let manifest;
const call = async (key, input, { connection = env.apiKey, ...options } = {}) => {
  const instance = await env.instance(options);
  return outcome(() => callExport(instance, manifest, key, connection, input));
};
const requestsTo = async (prefix) => (await env.sim.requests()).filter((r) => r.path.startsWith(prefix));
const statuses = (requests) => requests.map((r) => r.response?.status ?? 0);
let spaceId;

before(async () => {
  env = await testEnv();
  manifest = JSON.parse((await env.instance()).manifest.get());
  [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
});
beforeEach(() => env.sim.clearRequests());
after(() => env.close());

test("invalid inputs are invalid-input naming the input, and nothing is sent", async () => {
  for (const [key, input, named] of [
    ["getSpace", {}, "spaceId"],
    ["createSpace", { name: "x", spaceType: "private" }, "spaceType"],
    ["listSpaces", { limit: "many" }, "limit"],
    ["getSpace", { spaceId: "../etc" }, "spaceId"],
    ["createDataFile", { fileName: "a.csv" }, "fileInput"],
  ]) {
    const { err } = await call(key, input);
    assert.equal(err?.tag, "invalid-input", `${key} ${JSON.stringify(input)}`);
    assert.equal(err.val.input, named);
    assert.equal(typeof err.val.message, "string");
  }
  const bad = { tag: "api-key", val: { apiKey: "k", tenant: "https:/acme" } };
  assert.equal((await call("getSpace", { spaceId }, { connection: bad })).err.val.input, "tenant");
  assert.deepEqual(await env.sim.requests(), [], "nothing was sent");
});

test("404 is not-found with Qlik's error: status, code, title, detail, trace id", async () => {
  const { err } = await call("getSpace", { spaceId: "no-such-space" });
  assert.equal(err.tag, "not-found");
  assert.equal(err.val.status, 404);
  assert.equal(err.val.code, "HTTP-404");
  assert.equal(typeof err.val.title, "string");
  assert.match(err.val.detail, /no-such-space/);
  assert.equal(err.val.traceId, (await requestsTo("/api/v1/spaces"))[0].response.headers["x-request-id"]);
});

test("401 is unauthorized, and the refused key is in no error", async () => {
  const sentinel = "SENTINEL-API-KEY-node-5f1c2a";
  const connection = { tag: "api-key", val: { apiKey: sentinel, tenant: env.sim.url } };
  const { err } = await call("getSpace", { spaceId }, { connection });
  assert.equal(err.tag, "unauthorized");
  assert.equal(err.val.status, 401);
  assert.ok(!JSON.stringify(err).includes(sentinel));
  const [sent] = await requestsTo("/api/v1/spaces");
  assert.equal(sent.headers.authorization, "Bearer ***");
  assert.ok(!JSON.stringify(await env.sim.requests()).includes(sentinel), "nor in the tenant's log");
});

test("429 with Retry-After is waited out, then the call succeeds", async () => {
  await env.sim.fault({ method: "GET", path: `/api/v1/spaces/${spaceId}`, status: 429, retryAfter: "1" });
  const started = performance.now();
  const { ok } = await call("getSpace", { spaceId });
  assert.equal(ok.id, spaceId);
  assert.ok(performance.now() - started >= 1000, "it waited the second Qlik asked for");
  assert.deepEqual(statuses(await requestsTo("/api/v1/spaces")), [429, 200]);
});

test("429 asking for more than the retry budget is rate-limited at once, carrying the wait", async () => {
  await env.sim.fault({ path: `/api/v1/spaces/${spaceId}`, status: 429, retryAfter: "120" });
  const { err } = await call("getSpace", { spaceId });
  assert.equal(err.tag, "rate-limited");
  assert.equal(err.val.retryAfterSeconds, 120);
  assert.equal(err.val.error.status, 429);
  assert.equal((await requestsTo("/api/v1/spaces")).length, 1);
});

test("503 then success: a GET is retried", async () => {
  await env.sim.fault({ method: "GET", path: `/api/v1/spaces/${spaceId}`, status: 503, count: 2 });
  const { ok } = await call("getSpace", { spaceId });
  assert.equal(ok.id, spaceId);
  assert.deepEqual(statuses(await requestsTo("/api/v1/spaces")), [503, 503, 200]);
});

test("a POST is not retried on 503: api error, one request", async () => {
  await env.sim.fault({ method: "POST", path: "/api/v1/spaces", status: 503 });
  const { err } = await call("createSpace", { name: "Not twice" });
  assert.equal(err.tag, "api");
  assert.equal(err.val.status, 503);
  assert.deepEqual(statuses(await requestsTo("/api/v1/spaces")), [503]);
});

test("a body cut short is transport after the GET's retries (no trap: the shim's stream error has no code)", async () => {
  await env.sim.fault({ path: "/api/v1/spaces", body: "truncated", count: 10 });
  const { err } = await call("listSpaces", {});
  assert.equal(err.tag, "transport", JSON.stringify(err));
  assert.equal((await requestsTo("/api/v1/spaces")).length, 4);
});

test("a dripping tenant ends in timeout at the deadline the host set through the environment", async () => {
  await env.sim.fault({ method: "GET", body: "drip", dripMs: 400, dripBytes: 30 });
  const env1500 = { QLIK_CONNECTOR_REQUEST_DEADLINE_MS: "1500" };
  const { err } = await call("getSpace", { spaceId }, { env: env1500 });
  assert.equal(err.tag, "timeout");
  assert.match(err.val, /deadline/);
  assert.equal((await requestsTo("/api/v1/spaces")).length, 1, "a timeout is not retried");
});

test("a host outside the allow-list is denied before anything is sent", async () => {
  const seen = [];
  const connection = { tag: "api-key", val: { apiKey: "k", tenant: "acme.eu" } };
  const { err } = await call("getSpace", { spaceId }, { connection, onRequest: (r) => seen.push(r) });
  assert.equal(err.tag, "transport");
  assert.match(err.val, /denied/);
  assert.deepEqual(seen, [{ method: "get", url: `https://acme.eu.qlikcloud.com/api/v1/spaces/${spaceId}`, allowed: false }]);
  assert.deepEqual(await env.sim.requests(), []);
});
