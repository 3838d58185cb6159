// manifest.get through jco: every manifest entry is a JS function of the instance, every
// exported function is in the manifest, and both hosts see the same exports.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { camelCase, exportedFunction, manifestEntries } from "../lib/exports.js";
import { harnessBinary } from "../lib/paths.js";
import { testEnv } from "../support/env.js";

let env;
let instance;
let manifest;
before(async () => {
  env = await testEnv();
  instance = await env.instance();
  manifest = JSON.parse(instance.manifest.get());
});
after(() => env.close());

test("manifest.get answers the manifest: the world, the outbound hosts, 37 actions, 7 data sources, the trigger", () => {
  assert.equal(manifest.world, "qlik:connector/connector@0.1.0");
  assert.deepEqual(manifest.allowedOutboundHosts, ["https://{{ tenant }}"]);
  assert.deepEqual([manifest.actions.length, manifest.dataSources.length, manifest.triggers.length], [37, 7, 1]);
});

test("every manifest entry maps to a JS function of its interface", () => {
  for (const entry of manifestEntries(manifest)) {
    assert.equal(typeof exportedFunction(instance, entry), "function", `${entry.interface}.${entry.witName}`);
  }
});

test("every exported JS function is a manifest entry (plus triggers.ackPoll), and nothing is missing", () => {
  const named = new Set(manifestEntries(manifest).map((e) => `${camelCase(e.interface)}.${camelCase(e.witName)}`));
  const exported = ["actions", "dataSources", "triggers"].flatMap((ns) =>
    Object.keys(instance[ns]).map((f) => `${ns}.${f}`),
  );
  assert.deepEqual(exported.filter((f) => !named.has(f)), ["triggers.ackPoll"]);
  assert.equal(exported.length, named.size + 1);
  // jco once dropped an empty `triggers` interface; with the trigger it is there.
  assert.deepEqual(Object.keys(instance.triggers).sort(), ["ackPoll", "pollChangesTrigger"]);
});

test("Node and `qlik-harness exports` (wasmtime) see the same exports, WIT names and interfaces", () => {
  const wasmtime = JSON.parse(execFileSync(harnessBinary(), ["exports"], { encoding: "utf8" }));
  const fromWasmtime = wasmtime.map((e) => [e.key, e.witName, e.interface]);
  const fromNode = manifestEntries(manifest).map((e) => [e.key, e.witName, e.interface]);
  assert.deepEqual(fromNode, fromWasmtime);
});
