// Figures for docs/hosting.md ("Instance per call or reused"): printed as test diagnostics,
// never asserted (a test asserts behaviour, not speed). Each sample's call must succeed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { loadConnector } from "../lib/host.js";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { componentPath } from "../lib/paths.js";
import { transpileComponent } from "../lib/transpile.js";
import { outcome, testEnv } from "../support/env.js";

const SAMPLES = 40;
let env;
let spaceId;
before(async () => {
  env = await testEnv();
  [spaceId] = (await env.sim.seed({ resource: "spaces", count: 1 })).created;
});
after(() => env.close());

/** min / median / p90 of `SAMPLES` runs of `fn`, in ms (one warm-up run first). */
async function measure(fn) {
  await fn();
  const times = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return `${times[0].toFixed(2)} / ${at(0.5).toFixed(2)} / ${at(0.9).toFixed(2)} ms`;
}

test("figures: transpile, load, a fresh instance, calls on fresh and reused instances, Node's own fetch", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "qlik-jco-"));
  try {
    const transpileMs = await transpileComponent(componentPath(), dir);
    let started = performance.now();
    const connector = await loadConnector(dir);
    const loadMs = performance.now() - started;
    const options = { store: createKeyValueStore(), allowedHosts: ["127.0.0.1"] };
    const input = JSON.stringify({ spaceId });
    const getSpace = (instance) => {
      const space = JSON.parse(instance.actions.getSpace(env.apiKey, input));
      assert.equal(space.id, spaceId);
    };
    const reused = await connector.instantiate(options);
    const lines = [
      `transpile (jco ${"1.35.0"}): ${transpileMs.toFixed(0)} ms; import + compile the core modules: ${loadMs.toFixed(0)} ms`,
      `min / median / p90 of ${SAMPLES}:`,
      `fresh instance: ${await measure(() => connector.instantiate(options))}`,
      `fresh instance + a call that sends nothing (invalid input): ${await measure(async () => {
        const instance = await connector.instantiate(options);
        const { err } = await outcome(() => instance.actions.getSpace(env.apiKey, "{}"));
        assert.equal(err.tag, "invalid-input");
      })}`,
      `getSpace on a reused instance: ${await measure(() => getSpace(reused))}`,
      `getSpace through reusable().run (store and allow-list per call): ${await (async () => {
        const instance = await connector.reusable();
        return measure(() => instance.run(options, (exports) => getSpace(exports)));
      })()}`,
      `getSpace on a fresh instance: ${await measure(async () => getSpace(await connector.instantiate(options)))}`,
      `the same GET with Node's fetch: ${await measure(async () => {
        const response = await fetch(`${env.sim.url}/api/v1/spaces/${spaceId}`, {
          headers: { authorization: `Bearer ${env.sim.apiKey}` },
        });
        assert.equal((await response.json()).id, spaceId);
      })}`,
    ];
    for (const line of lines) t.diagnostic(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
