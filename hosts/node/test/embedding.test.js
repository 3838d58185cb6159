// The guide's Node embedding (examples/embed.mjs) and the reusable instance under it: one
// instance serves several connection instances, each with its own storage and allow-list.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { runAction, startConnector } from "../examples/embed.mjs";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { componentPath } from "../lib/paths.js";
import { outcome, testEnv } from "../support/env.js";

let env;
let stateRoot;
let spaceId;
const paths = async () => (await env.sim.requests()).map((r) => `${r.method} ${r.path}`);
const clientCredentials = () => ({
  tag: "oauth2",
  val: {
    grantType: "client-credentials",
    tokenUrl: `${env.sim.url}/oauth/token`,
    clientId: env.sim.clientId,
    clientSecret: env.sim.clientSecret,
  },
});

before(async () => {
  env = await testEnv();
  stateRoot = mkdtempSync(path.join(tmpdir(), "qlik-embed-"));
  [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
});
beforeEach(() => env.sim.clearRequests());
after(async () => {
  rmSync(stateRoot, { recursive: true, force: true });
  await env.close();
});

test("the guide's embedding: one instance, each connection instance with its own state directory", async () => {
  const instance = await startConnector(componentPath(), path.join(stateRoot, "transpiled"));
  const call = (connectionId) =>
    runAction(instance, {
      connectionId,
      connection: clientCredentials(),
      action: "getSpace",
      input: { spaceId },
      stateRoot,
      allowedHosts: ["127.0.0.1"],
    });
  assert.equal(call("conn-a").ok.id, spaceId);
  assert.equal(call("conn-a").ok.id, spaceId);
  assert.equal(call("conn-b").ok.id, spaceId);
  assert.deepEqual(await paths(), [
    "POST /oauth/token",
    `GET /api/v1/spaces/${spaceId}`,
    `GET /api/v1/spaces/${spaceId}`,
    "POST /oauth/token",
    `GET /api/v1/spaces/${spaceId}`,
  ]);
  for (const id of ["conn-a", "conn-b"]) assert.deepEqual(readdirSync(path.join(stateRoot, id)), ["default.kv.json"]);
  const missing = runAction(instance, {
    connectionId: "conn-a",
    connection: env.apiKey,
    action: "getSpace",
    input: { spaceId: "gone" },
    stateRoot,
    allowedHosts: ["127.0.0.1"],
  });
  assert.equal(missing.error.tag, "not-found");
});

test("a reused instance applies each call's allow-list and store, not the previous call's", async () => {
  const { connector } = env;
  const instance = await connector.reusable();
  const [a, b] = [createKeyValueStore(), createKeyValueStore()];
  const getSpace = (scope) =>
    instance.run(scope, ({ actions }) => outcome(() => JSON.parse(actions.getSpace(clientCredentials(), JSON.stringify({ spaceId })))));
  assert.equal((await getSpace({ store: a, allowedHosts: ["127.0.0.1"] })).ok.id, spaceId);
  const denied = await getSpace({ store: b, allowedHosts: ["*.qlikcloud.com"] });
  assert.equal(denied.err.tag, "transport", JSON.stringify(denied));
  assert.match(denied.err.val, /denied/, "the token request was refused by this call's allow-list");
  assert.equal(Object.keys(b.entries()).length, 0);
  assert.equal(Object.keys(a.entries()).length, 1);
  assert.deepEqual(await paths(), ["POST /oauth/token", `GET /api/v1/spaces/${spaceId}`]);
});
