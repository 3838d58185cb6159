// Embedding the connector in a Node platform: the snippet docs/hosting.md shows (between the
// guide markers), run by test/embedding.test.js against the simulated tenant.
// guide:begin node-embed
import path from "node:path";
import { loadConnector } from "../lib/host.js";
import { createKeyValueStore } from "../lib/keyvalue.js";
import { transpileComponent } from "../lib/transpile.js";

/** Once per process: transpile (or ship the transpiled files), compile, make one instance. */
export async function startConnector(wasmPath, outDir) {
  await transpileComponent(wasmPath, outDir);
  return (await loadConnector(outDir)).reusable();
}

/** One action for one connection instance, with that connection's own storage and hosts. */
export function runAction(instance, { connectionId, connection, action, input, stateRoot, allowedHosts }) {
  const store = createKeyValueStore({ dir: path.join(stateRoot, connectionId) });
  return instance.run({ store, allowedHosts }, ({ actions }) => {
    try {
      return { ok: JSON.parse(actions[action](connection, JSON.stringify(input))) };
    } catch (e) {
      if (e.payload?.tag) return { error: e.payload }; // the WIT error variant: {tag, val}
      throw e; // a trap, not a connector error: make a new instance
    }
  });
}
// guide:end node-embed
