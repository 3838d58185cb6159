// What preview2-shim 0.26.1 does when used as it is, and why lib/host.js wraps two of its
// functions (docs/hosting.md, "What remains different under preview2-shim"). Should a shim
// release fix either, its test here fails, and the wrapper can go.
import assert from "node:assert/strict";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { NAME } from "../lib/transpile.js";
import { testEnv, transpiled } from "../support/env.js";

let env;
let spaceId;
/** An instance on the shim's own imports, nothing wrapped. */
async function unwrapped(shimConfig) {
  const { dir } = await transpiled();
  const { instantiate } = await import(pathToFileURL(path.join(dir, `${NAME}.js`)).href);
  const modules = new Map();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".wasm"))) {
    modules.set(file, await WebAssembly.compile(await readFile(path.join(dir, file))));
  }
  const imports = { ...new WASIShim(shimConfig).getImportObject(), "wasi:keyvalue/store": createKeyValueStore() };
  return instantiate((file) => modules.get(file), imports);
}
/** What a call throws that is not the component's own error (a ComponentError). */
function trapOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.equal(e.payload, undefined, `a typed error, not a trap: ${JSON.stringify(e.payload)}`);
    return e;
  }
  assert.fail("the call succeeded");
}

before(async () => {
  env = await testEnv();
  [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
});
after(() => env.close());

test("the shim's http-error-code on a failed body stream traps the component (a TypeError)", async () => {
  const instance = await unwrapped({ sandbox: { env: {} } });
  await env.sim.fault({ path: `/api/v1/spaces/${spaceId}`, body: "truncated" });
  const trap = trapOf(() => instance.actions.getSpace(env.apiKey, JSON.stringify({ spaceId })));
  assert.ok(trap instanceof TypeError, String(trap));
  assert.match(trap.message, /ErrorCode/);
  await env.sim.ctl("DELETE", "/__sim/faults");
});

test("the shim's enableNetwork: false throws a bare string that jco cannot convert: no typed error", async () => {
  const instance = await unwrapped({ sandbox: { env: {}, enableNetwork: false } });
  await env.sim.clearRequests();
  const trap = trapOf(() => instance.actions.getSpace(env.apiKey, JSON.stringify({ spaceId })));
  assert.ok(trap instanceof TypeError, String(trap));
  assert.deepEqual(await env.sim.requests(), [], "nothing was sent, but the call did not fail as `transport` either");
});
