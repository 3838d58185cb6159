// The same inputs through both hosts: `qlik-harness call` (wasmtime) and this Node host (jco),
// against one simulated tenant. Each case's outcome (result or typed error) and the requests the
// tenant received must be identical, once the values that differ per request are set aside
// (trace ids, `Date`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { callExport } from "../lib/exports.js";
import { harnessBinary } from "../lib/paths.js";
import { outcome, testEnv } from "../support/env.js";

let env;
let manifest;
let ids;

/** The harness's JSON connection form, and jco's variant, of one connection. */
const connections = {
  apiKey: () => ({ type: "apiKey", apiKey: env.sim.apiKey, tenant: env.sim.url }),
  badKey: () => ({ type: "apiKey", apiKey: "not-the-key", tenant: env.sim.url }),
  typo: () => ({ type: "apiKey", apiKey: env.sim.apiKey, tenant: "https:/acme" }),
};
const asVariant = ({ type, ...val }) => ({ tag: type === "apiKey" ? "api-key" : type, val });

/**
 * Every case: an export key, its input (a function of the seeded ids), the connection, and
 * optionally a fault queued before each host's call. Good and bad inputs, every error kind the
 * tenant can cause without changing its state.
 */
const CASES = [
  ["getSpace", () => ({ spaceId: ids.spaces[0] })],
  ["listSpaces", () => ({ limit: 3 })],
  ["listSpaces", () => ({ limit: "2", sort: "-name" })],
  ["listSpaces", () => ({ fetchAll: true, limit: 2, maxRecords: 5 })],
  ["selectSpace", () => ({})],
  ["listUsers", () => ({ limit: 2 })],
  ["selectUser", () => ({})],
  ["getMyUser", () => ({})],
  ["getDataStore", () => ({ dataStoreId: ids.stores[0] })],
  ["listDataStores", () => ({ limit: 2, page: 2 })],
  ["selectDataStore", () => ({})],
  ["listDatafiles", () => ({ limit: 2 })],
  ["selectApp", () => ({})],
  ["rawRequest", () => ({ url: "/spaces", method: "GET", queryParams: "limit=1" })],
  ["pollChangesTrigger", () => ({ pollResourceType: "spaces" })],
  ["getSpace", () => ({})],
  ["getSpace", () => ({ spaceId: "  " })],
  ["getSpace", () => ({ spaceId: "no-such-space" })],
  ["getSpace", () => ({ spaceId: ids.spaces[0] }), "badKey"],
  ["getSpace", () => ({ spaceId: ids.spaces[0] }), "typo"],
  ["listSpaces", () => ({ limit: 101 })],
  ["listSpaces", () => ({ limit: "many" })],
  ["createSpace", () => ({ name: "x", spaceType: "private" })],
  ["updateSpace", () => ({ spaceId: ids.spaces[0] })],
  ["getDataStore", () => ({ dataStoreId: "missing-store" })],
  ["createDataFile", () => ({ fileName: "a.csv" })],
  ["rawRequest", () => ({ url: "https://elsewhere.example.com/api/v1/spaces", method: "GET" })],
  ["pollChangesTrigger", () => ({ pollResourceType: "nope" })],
  ["getSpace", () => ({ spaceId: ids.spaces[0] }), "apiKey", { status: 403 }],
  ["getSpace", () => ({ spaceId: ids.spaces[0] }), "apiKey", { status: 429, retryAfter: "3600" }],
  ["createSpace", () => ({ name: "Never created" }), "apiKey", { method: "POST", status: 500 }],
  ["listSpaces", () => ({}), "apiKey", { body: "malformed" }],
];

/** Drops what differs per request or per host run: trace ids, dates, absent options. */
function normalize(value) {
  return JSON.parse(
    JSON.stringify(value, (key, v) =>
      ["traceId", "x-request-id", "date"].includes(key) || v === null ? undefined : v,
    ),
  );
}

/** jco's error payload in the harness's JSON form: `{kind, ...fields}` (README, "Calling an export"). */
function harnessError({ tag, val }) {
  if (typeof val === "string") return { kind: tag, message: val };
  const { error, ...fields } = val ?? {};
  return { kind: tag, ...fields, ...error };
}

function viaHarness(key, connection, input) {
  const run = spawnSync(
    harnessBinary(),
    ["call", key, "--connection", JSON.stringify(connection), "--input", JSON.stringify(input)],
    { encoding: "utf8" },
  );
  assert.ok(run.status === 0 || run.status === 1, `qlik-harness call ${key} exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

async function viaNode(key, connection, input) {
  const instance = await env.instance();
  const { ok, err } = await outcome(() => callExport(instance, manifest, key, asVariant(connection), input));
  if (err) return { error: harnessError(err) };
  // The harness shows a trigger's records as the objects they are.
  if (ok && Array.isArray(ok.created)) {
    for (const change of [...ok.created, ...ok.updated]) change.record = JSON.parse(change.record);
  }
  return ok;
}

/** Runs one host on a case: the outcome and the requests the tenant received. */
async function run(host, [key, input, connection = "apiKey", fault]) {
  await env.sim.clearRequests();
  if (fault) await env.sim.fault({ count: 10, ...fault });
  const out = await host(key, connections[connection](), input());
  await env.sim.ctl("DELETE", "/__sim/faults");
  const sent = (await env.sim.requests()).map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.body }));
  return normalize({ out, sent });
}

before(async () => {
  env = await testEnv();
  manifest = JSON.parse((await env.instance()).manifest.get());
  ids = {
    spaces: (await env.sim.seed({ resource: "spaces", count: 7 })).created,
    stores: (await env.sim.seed({ resource: "data-stores", count: 5 })).created,
  };
  await env.sim.seed({ resource: "users", count: 3 });
  await env.sim.seed({ resource: "dataFiles", count: 3 });
  await env.sim.seed({ resource: "apps", count: 3 });
  // A frozen clock: both hosts see the same tenant time.
  await env.sim.ctl("POST", "/__sim/clock", { freeze: true });
});
after(() => env.close());

const label = ([key, input, , fault]) =>
  `${key} ${JSON.stringify(input())}${fault ? ` after the fault ${JSON.stringify(fault)}` : ""}`;
/** A test name (the inputs need the seeded ids, known only once the tests run). */
const name = ([key, input, connection, fault]) =>
  `${key} ${input.toString().replace(/^\(\) => \(?|\)?$/g, "")}${connection && connection !== "apiKey" ? ` (${connection} connection)` : ""}${fault ? ` after ${JSON.stringify(fault)}` : ""}`;
const outcomes = [];

test(`the differential list has at least 20 cases, good and bad (${CASES.length})`, () => {
  assert.ok(CASES.length >= 20);
});

for (const [n, testCase] of CASES.entries()) {
  test(`same in wasmtime and Node (${n + 1}/${CASES.length}): ${name(testCase)}`, async () => {
    const wasmtime = await run(viaHarness, testCase);
    const node = await run(viaNode, testCase);
    assert.deepEqual(node, wasmtime, label(testCase));
    if (!wasmtime.out?.error) assert.ok(wasmtime.sent.length > 0, "a result means the tenant was asked");
    outcomes.push(wasmtime.out?.error ? "error" : "ok");
  });
}

test("the cases cover results and errors alike", (t) => {
  const count = (kind) => outcomes.filter((o) => o === kind).length;
  t.diagnostic(`differential: ${outcomes.length} cases identical in both hosts (${count("ok")} results, ${count("error")} errors)`);
  assert.equal(outcomes.length, CASES.length);
  assert.ok(count("ok") >= 10 && count("error") >= 10);
});
