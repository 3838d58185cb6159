// What every test file shares: the component transpiled once per build (cached by the
// .wasm's SHA-256 under hosts/node/.jco/), a simulated tenant, and instances made from it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConnector } from "../lib/host.js";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { componentPath } from "../lib/paths.js";
import { transpileComponent } from "../lib/transpile.js";
import { startSimulator } from "./sim.js";

const cacheRoot = fileURLToPath(new URL("../.jco/", import.meta.url));

/** The transpiled component's directory and how long transpiling took (null when cached). */
export async function transpiled() {
  const wasm = componentPath();
  const digest = createHash("sha256").update(readFileSync(wasm)).digest("hex").slice(0, 16);
  const dir = path.join(cacheRoot, digest);
  if (existsSync(dir)) return { dir, transpileMs: null };
  // Into a temp dir first, then renamed: test files running at once never see half a directory.
  await mkdir(cacheRoot, { recursive: true });
  const temp = await mkdtemp(path.join(cacheRoot, `.tmp-${digest}-`));
  const transpileMs = await transpileComponent(wasm, temp);
  try {
    await rename(temp, dir);
  } catch (e) {
    if (!existsSync(dir)) throw e;
    await rm(temp, { recursive: true, force: true });
  }
  // Earlier builds' transpilations are of no further use.
  for (const old of (await readdir(cacheRoot)).filter((d) => d !== digest && !d.startsWith("."))) {
    await rm(path.join(cacheRoot, old), { recursive: true, force: true });
  }
  return { dir, transpileMs };
}

/** A simulated tenant and the connector, for one test file; `close()` stops the tenant. */
export async function testEnv() {
  const { dir, transpileMs } = await transpiled();
  const [connector, sim] = await Promise.all([loadConnector(dir), startSimulator()]);
  const host = new URL(sim.url).hostname;
  const apiKey = { tag: "api-key", val: { apiKey: sim.apiKey, tenant: sim.url } };
  return {
    sim,
    connector,
    transpileMs,
    /** The API-key connection to the simulated tenant. */
    apiKey,
    /** A fresh instance allowed to reach the simulator only; its own in-memory store unless given. */
    instance: ({ store = createKeyValueStore(), env, allowedHosts = [host], onRequest } = {}) =>
      connector.instantiate({ store, env, allowedHosts, onRequest }),
    close: () => sim.stop(),
  };
}

/** Calls `fn`; resolves to `{ok: value}` or `{err: payload}` for a ComponentError (anything else rethrown). */
export async function outcome(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    if (e?.payload?.tag) return { err: e.payload };
    throw e;
  }
}
