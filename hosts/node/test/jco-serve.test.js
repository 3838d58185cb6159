// The HTTP contract against an independent host: the composed qlik_connector_http.wasm under
// `jco serve` (support/jco-serve.js), the simulated tenant behind it. Each call is checked
// against what the tenant received (GET /__sim/requests): a POST that sends, refusals that send
// nothing, the shared secret, a data source, and the trigger's state kept between requests.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { repoRoot } from "../lib/paths.js";
import { documentedCommand, startJcoServe } from "../support/jco-serve.js";
import { startSimulator } from "../support/sim.js";

const SENTINEL_API_KEY = "SENTINEL-JCO-API-KEY-41d7";
const SENTINEL_TOKEN = "SENTINEL-JCO-TOKEN-c8e2";

let sim;
let served;
let connection;

/** Sends a request with the shared secret unless `auth` says otherwise; `{status, headers, body}`. */
async function send(method, route, { body, auth = `Bearer ${SENTINEL_TOKEN}` } = {}) {
  const headers = auth === null ? {} : { authorization: auth };
  const response = await fetch(`${served.url}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.headers.get("content-type"), "application/json", `${method} ${route}: ${text}`);
  assert.ok(!text.includes(SENTINEL_API_KEY) && !text.includes(SENTINEL_TOKEN), `a secret in ${text}`);
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}
const post = (route, input, extra = {}) => send("POST", route, { body: { connection, input, ...extra } });
const sent = async () => (await sim.requests()).map((r) => `${r.method} ${r.path}`);

before(async () => {
  sim = await startSimulator({ apiKey: SENTINEL_API_KEY });
  connection = { type: "apiKey", apiKey: SENTINEL_API_KEY, tenant: sim.url };
  served = await startJcoServe({ env: { QLIK_CONNECTOR_TOKEN: SENTINEL_TOKEN } });
});
beforeEach(() => sim.clearRequests());
after(async () => {
  await served?.stop();
  await sim?.stop();
  const output = served?.output() ?? "";
  assert.ok(!output.includes(SENTINEL_API_KEY) && !output.includes(SENTINEL_TOKEN), `a secret in jco's output: ${output}`);
});

test("GET /v1/manifest answers the connector's manifest", async () => {
  const { status, body } = await send("GET", "/v1/manifest");
  assert.equal(status, 200);
  assert.deepEqual(
    [body.result.actions.length, body.result.dataSources.length, body.result.triggers.length],
    [37, 7, 1],
  );
  assert.equal(body.result.actions.find((a) => a.key === "getSpace").witName, "get-space");
  assert.deepEqual(await sent(), []);
});

test("a POST action sends its request and answers Qlik's record; the data source lists it", async () => {
  const created = await post("/v1/actions/createSpace", { name: "Finance (jco serve)" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.result.name, "Finance (jco serve)");
  const [request, ...rest] = await sim.requests();
  assert.deepEqual(rest, []);
  assert.deepEqual([request.method, request.path, request.body.name], ["POST", "/api/v1/spaces", "Finance (jco serve)"]);
  assert.equal(request.headers.authorization, "Bearer ***", "the simulator masks the key it received");

  const picked = await post("/v1/data-sources/selectSpace", {});
  assert.equal(picked.status, 200, JSON.stringify(picked.body));
  assert.ok(
    picked.body.result.some((item) => item.key === created.body.result.id && item.label === "Finance (jco serve)"),
    JSON.stringify(picked.body),
  );
});

test("refusals are JSON errors with their status, and send nothing", async () => {
  const invalid = await post("/v1/actions/getSpace", {});
  assert.deepEqual([invalid.status, invalid.body.error.kind, invalid.body.error.input], [400, "invalid-input", "spaceId"]);
  const unknown = await post("/v1/actions/noSuchAction", {});
  assert.deepEqual([unknown.status, unknown.body.error.kind], [404, "no-such-export"]);
  const wrongGroup = await post("/v1/data-sources/getSpace", {});
  assert.deepEqual([wrongGroup.status, wrongGroup.body.error.kind], [404, "no-such-export"]);
  const wrongMethod = await send("GET", "/v1/actions/getSpace");
  assert.deepEqual([wrongMethod.status, wrongMethod.body.error.kind], [405, "method-not-allowed"]);
  assert.equal(wrongMethod.headers.get("allow"), "POST");
  for (const auth of [null, `Bearer ${SENTINEL_TOKEN}x`, SENTINEL_TOKEN]) {
    for (const [method, route] of [["POST", "/v1/actions/listSpaces"], ["GET", "/v1/manifest"]]) {
      const refused = await send(method, route, { auth, body: method === "POST" ? { connection } : undefined });
      assert.deepEqual([refused.status, refused.body.error.kind], [401, "missing-token"], `${route} ${auth}`);
      assert.equal(refused.headers.get("www-authenticate"), "Bearer");
    }
  }
  assert.deepEqual(await sent(), [], "nothing reached the tenant");
});

test("the trigger keeps its state in the mapped keyvalue store between requests", async () => {
  const input = { pollResourceType: "spaces", acknowledge: true };
  const trigger = "/v1/triggers/pollChangesTrigger";
  const first = await post(trigger, input);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual([first.body.result.polledNoChanges, first.body.result.pollId], [true, null]);
  await sim.ctl("POST", "/__sim/clock", { advanceSeconds: 2 });
  const seeded = await sim.seed({ resource: "spaces", count: 2 });
  const delivered = await post(trigger, input);
  assert.equal(delivered.status, 200, JSON.stringify(delivered.body));
  const ids = delivered.body.result.created.map((change) => change.record.id);
  for (const id of seeded.created) assert.ok(ids.includes(id), `${id} in ${ids}`);
  const { pollId } = delivered.body.result;
  assert.ok(pollId, "a poll id");
  const acked = await post(`${trigger}/ack`, input, { pollId });
  assert.deepEqual([acked.status, acked.body], [200, { result: null }]);
  const afterAck = await post(trigger, input);
  assert.equal(afterAck.body.result.polledNoChanges, true, JSON.stringify(afterAck.body));
  assert.ok((await sent()).every((request) => request.startsWith("GET /api/v1/spaces")), "the polls read spaces");
});

test("docs/deploy.md shows the command this file runs", () => {
  const deploy = readFileSync(path.join(repoRoot, "docs/deploy.md"), "utf8");
  assert.ok(deploy.includes(documentedCommand), `docs/deploy.md lacks:\n${documentedCommand}`);
});
