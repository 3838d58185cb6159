// OAuth 2.0 client credentials through jco: the component fetches a token once and caches it in
// the `wasi:keyvalue` store this JS host gives each instance (in memory, or files in the
// `qlik-harness --state-dir` format), never storing the secret.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, beforeEach, test } from "node:test";
import { callExport } from "../lib/exports.js";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { harnessBinary } from "../lib/paths.js";
import { outcome, testEnv } from "../support/env.js";

let env;
let manifest;
let spaceId;
const clientCredentials = (clientSecret = env.sim.clientSecret) => ({
  tag: "oauth2",
  val: {
    grantType: "client-credentials",
    tokenUrl: `${env.sim.url}/oauth/token`,
    clientId: env.sim.clientId,
    clientSecret,
  },
});
const getSpace = async (store, connection = clientCredentials()) => {
  const instance = await env.instance({ store });
  return outcome(() => callExport(instance, manifest, "getSpace", connection, { spaceId }));
};
const paths = async () => (await env.sim.requests()).map((r) => `${r.method} ${r.path}`);

before(async () => {
  env = await testEnv();
  manifest = JSON.parse((await env.instance()).manifest.get());
  [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
});
beforeEach(() => env.sim.clearRequests());
after(() => env.close());

test("the token is fetched once, cached in the JS store, and reused by the next instance", async () => {
  const store = createKeyValueStore();
  assert.equal((await getSpace(store)).ok.id, spaceId);
  assert.deepEqual(await paths(), ["POST /oauth/token", `GET /api/v1/spaces/${spaceId}`]);
  const [token] = await env.sim.requests();
  assert.deepEqual([token.body.grant_type, token.body.client_id], ["client_credentials", env.sim.clientId]);
  assert.equal(token.body.client_secret, "***", "the tenant's log masks the secret it received");
  const stored = store.entries();
  assert.equal(Object.keys(stored).length, 1, JSON.stringify(Object.keys(stored)));
  assert.ok(!JSON.stringify(stored).includes(env.sim.clientSecret), "the secret itself is never stored");

  await env.sim.clearRequests();
  assert.equal((await getSpace(store)).ok.id, spaceId);
  assert.deepEqual(await paths(), [`GET /api/v1/spaces/${spaceId}`], "a fresh instance, the cached token");

  // Another connection instance has its own store: it asks for its own token.
  await env.sim.clearRequests();
  assert.equal((await getSpace(createKeyValueStore())).ok.id, spaceId);
  assert.deepEqual(await paths(), ["POST /oauth/token", `GET /api/v1/spaces/${spaceId}`]);
});

test("a file-backed store keeps the token across store objects (a restarted host), files 0600", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qlik-node-kv-"));
  try {
    assert.equal((await getSpace(createKeyValueStore({ dir }))).ok.id, spaceId);
    await env.sim.clearRequests();
    assert.equal((await getSpace(createKeyValueStore({ dir }))).ok.id, spaceId);
    assert.deepEqual(await paths(), [`GET /api/v1/spaces/${spaceId}`]);
    assert.deepEqual(readdirSync(dir), ["default.kv.json"]);
    const file = path.join(dir, "default.kv.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, "utf8").includes(env.sim.clientSecret));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a state directory Node wrote is read by `qlik-harness call --state-dir`: the same format", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qlik-node-kv-"));
  try {
    assert.equal((await getSpace(createKeyValueStore({ dir }))).ok.id, spaceId);
    await env.sim.clearRequests();
    const { val } = clientCredentials();
    const connection = { type: "oauth2", ...val, grantType: "client_credentials" };
    const run = spawnSync(
      harnessBinary(),
      ["call", "getSpace", "--state-dir", dir, "--connection", JSON.stringify(connection), "--input", JSON.stringify({ spaceId })],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).id, spaceId);
    assert.deepEqual(await paths(), [`GET /api/v1/spaces/${spaceId}`], "wasmtime used the token Node cached");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a storage failure only costs a token request", async () => {
  const store = createKeyValueStore();
  store.failNext(2);
  assert.equal((await getSpace(store)).ok.id, spaceId);
  assert.deepEqual(await paths(), ["POST /oauth/token", `GET /api/v1/spaces/${spaceId}`]);
});

test("a refused client secret is unauthorized naming the client id, without the secret", async () => {
  const sentinel = "SENTINEL-CLIENT-SECRET-node-93b7";
  const { err } = await getSpace(createKeyValueStore(), clientCredentials(sentinel));
  assert.equal(err.tag, "unauthorized");
  assert.match(JSON.stringify(err), new RegExp(env.sim.clientId));
  assert.ok(!JSON.stringify(err).includes(sentinel));
  assert.ok(!JSON.stringify(await env.sim.requests()).includes(sentinel), "the tenant's log masks it too");
});
