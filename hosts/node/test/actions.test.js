// One call of every kind of export, through the transpiled component in Node, each checked
// against what the simulated tenant received (GET /__sim/requests).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, test } from "node:test";
import { callExport } from "../lib/exports.js";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { testEnv } from "../support/env.js";

let env;
let manifest;
/** Calls `key` on a fresh instance (the way a host calls per action), with `store` if given. */
async function call(key, input, { store, connection = env.apiKey } = {}) {
  const instance = await env.instance({ store });
  return callExport(instance, manifest, key, connection, input);
}
const requestsTo = async (prefix) => (await env.sim.requests()).filter((r) => r.path.startsWith(prefix));
const methodsAndPaths = (requests) => requests.map((r) => `${r.method} ${r.path}`);

before(async () => {
  env = await testEnv();
  manifest = JSON.parse((await env.instance()).manifest.get());
});
beforeEach(() => env.sim.clearRequests());
after(() => env.close());

test("a single request: createSpace POSTs the space and answers Qlik's record", async () => {
  const space = await call("createSpace", { name: "Finance (node)", spaceType: "managed", description: "from jco" });
  assert.equal(space.name, "Finance (node)");
  assert.equal(space.type, "managed");
  const [sent, ...rest] = await requestsTo("/api/v1/spaces");
  assert.deepEqual(rest, []);
  assert.deepEqual([sent.method, sent.path], ["POST", "/api/v1/spaces"]);
  assert.deepEqual(sent.body, { name: "Finance (node)", description: "from jco", type: "managed" });
  assert.equal(sent.headers.authorization, "Bearer ***", "the simulator masks the key it received");
});

test("a list with fetchAll follows every page: 250 spaces in 3 requests of 100", async () => {
  await env.sim.reset();
  await env.sim.seed({ resource: "spaces", count: 250 });
  await env.sim.clearRequests();
  const out = await call("listSpaces", { fetchAll: true, limit: 100 });
  assert.equal(out.data.length, 250);
  assert.equal(new Set(out.data.map((s) => s.id)).size, 250, "no space twice");
  assert.equal(out.truncated, false);
  const requests = await requestsTo("/api/v1/spaces");
  assert.equal(requests.length, 3);
  assert.ok(requests.every((r) => r.method === "GET" && new URLSearchParams(r.query).get("limit") === "100"));
});

test("a picklist: selectSpace reads every page and answers sorted {key, label} items", async () => {
  await env.sim.reset();
  const ids = (await env.sim.seed({ resource: "spaces", count: 120 })).created;
  await env.sim.clearRequests();
  const items = await call("selectSpace", {});
  assert.equal(items.length, 120);
  assert.deepEqual(new Set(items.map((i) => i.key)), new Set(ids));
  assert.ok(items.every((i) => typeof i.label === "string" && i.label.length > 0));
  const labels = items.map((i) => i.label.toLowerCase());
  assert.deepEqual(labels, [...labels].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "sorted by label");
  assert.equal((await requestsTo("/api/v1/spaces")).length, 2, "two pages of 100");
});

test("a read-merge-write update: updateDataStore GETs the store and PUTs it back with one field changed", async () => {
  const [store] = (
    await env.sim.seed({
      resource: "data-stores",
      records: [{ name: "Warehouse", technicalName: "dw", type: "snowflake", uri: "https://old.example.com" }],
    })
  ).created;
  await env.sim.clearRequests();
  const updated = await call("updateDataStore", { dataStoreId: store, uri: "https://new.example.com" });
  assert.equal(updated.uri, "https://new.example.com");
  assert.equal(updated.version, 2);
  const requests = await requestsTo("/api/v1/data-stores");
  assert.deepEqual(methodsAndPaths(requests), [`GET /api/v1/data-stores/${store}`, `PUT /api/v1/data-stores/${store}`]);
  const [read, write] = requests;
  assert.equal(write.body.uri, "https://new.example.com");
  assert.equal(write.body.version, 1, "the version read is sent back");
  assert.equal(write.body.name, read.response.body.name, "the other fields are kept");
  assert.equal(write.body.technicalName, "dw");
});

test("a multipart upload: createDataFile sends the file and its JSON as two parts", async () => {
  const text = "region,amount\nNorth,10\nSouth,20\n";
  const file = await call("createDataFile", { fileName: "sales-node.csv", fileInput: text });
  assert.equal(file.name, "sales-node.csv");
  assert.equal(file.size, text.length);
  const [sent] = await requestsTo("/api/v1/data-files");
  assert.equal(sent.method, "POST");
  assert.match(sent.headers["content-type"], /^multipart\/form-data; boundary=/);
  const [filePart, jsonPart] = sent.body.parts;
  assert.deepEqual([filePart.name, jsonPart.name], ["File", "Json"]);
  assert.equal(filePart.size, text.length);
  assert.equal(filePart.sha256, createHash("sha256").update(text).digest("hex"));
});

test("a report with waiting: createReport, then getReportRequestStatus polls until done", async () => {
  const input = {
    reportInput: {
      type: "sense-sheet-1.0",
      output: { type: "pdf", outputId: "sheet1" },
      senseSheetTemplate: { appId: "a1", sheet: { id: "s1" } },
    },
  };
  const created = await call("createReport", input);
  assert.ok(created.reportId, JSON.stringify(created));
  assert.match(created.statusLocation, new RegExp(`/reports/${created.reportId}/status$`));
  // The simulated report is queued, then processing, then done within a few seconds.
  const status = await call("getReportRequestStatus", {
    reportId: created.reportId,
    waitForCompletion: true,
    maxWaitSeconds: 30,
  });
  assert.equal(status.status, "done", JSON.stringify(status));
  assert.equal(status.timedOut, undefined);
  const polls = await requestsTo(`/api/v1/reports/${created.reportId}/status`);
  assert.ok(polls.length >= 2, `it polled until done (${polls.length} polls)`);
  assert.equal(polls.at(-1).response.body.status, "done");
});

test("a raw request answers {status, headers, data} with the connection's credentials", async () => {
  const out = await call("rawRequest", { url: "/spaces", method: "GET", queryParams: "limit=2" });
  assert.equal(out.status, 200);
  assert.ok(Array.isArray(out.data.data));
  assert.ok(out.headers["content-type"].startsWith("application/json"), JSON.stringify(out.headers));
  const [sent] = await requestsTo("/api/v1/spaces");
  assert.equal(sent.query, "limit=2");
  assert.equal(sent.headers.authorization, "Bearer ***");
});

test("the trigger: a first poll reports nothing, the next reports each change once, state in the JS store", async () => {
  const store = createKeyValueStore();
  const input = { pollResourceType: "dataFiles" };
  const poll = () => call("pollChangesTrigger", input, { store });
  const first = await poll();
  assert.equal(first.polledNoChanges, true);
  assert.deepEqual([first.created, first.updated], [[], []]);
  const [learn] = await requestsTo("/api/v1/data-files");
  assert.equal(new URLSearchParams(learn.query).get("limit"), "1", "a first run only learns the tenant's time");
  const stateKeys = Object.keys(store.entries()).filter((k) => k.startsWith("trigger/v1/"));
  assert.equal(stateKeys.length, 1, "one state document, in the store this host gave the instance");

  await env.sim.ctl("POST", "/__sim/clock", { advanceSeconds: 2 });
  const file = await call("createDataFile", { fileName: "new-after-first-poll.csv", fileInput: "a\n1\n" });
  const second = await poll();
  assert.deepEqual(
    second.created.map((c) => JSON.parse(c.record).id),
    [file.id],
  );
  assert.ok(second.created[0].dedupeKey.startsWith(`${file.id}@`));
  assert.equal(second.polledNoChanges, false);
  const third = await poll();
  assert.equal(third.polledNoChanges, true, "nothing is reported twice");
});

test("the trigger with acknowledge: changes stay pending until ackPoll", async () => {
  const store = createKeyValueStore();
  const input = { pollResourceType: "spaces", acknowledge: true };
  const poll = () => call("pollChangesTrigger", input, { store });
  assert.equal((await poll()).polledNoChanges, true);
  await env.sim.ctl("POST", "/__sim/clock", { advanceSeconds: 2 });
  const created = (await env.sim.seed({ resource: "spaces", count: 2 })).created;
  const delivered = await poll();
  assert.deepEqual(new Set(delivered.created.map((c) => JSON.parse(c.record).id)), new Set(created));
  assert.match(delivered.pollId, /^[0-9a-f]{32}$/);
  const again = await poll();
  assert.deepEqual(again.created.map((c) => c.dedupeKey), delivered.created.map((c) => c.dedupeKey));
  await env.sim.clearRequests();
  const instance = await env.instance({ store });
  assert.equal(instance.triggers.ackPoll(env.apiKey, JSON.stringify(input), again.pollId), undefined);
  assert.deepEqual(await env.sim.requests(), [], "ack-poll reads and writes storage only");
  const after = await poll();
  assert.equal(after.polledNoChanges, true);
  assert.equal(after.pollId, undefined);
});
