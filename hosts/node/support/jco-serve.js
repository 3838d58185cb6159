// `jco serve` of the composed qlik_connector_http.wasm as a child process: jco's own CLI, its
// default mode (one instance for every request, on preview2-shim's HTTP server), with
// `wasi:keyvalue` mapped to lib/keyvalue-served.js (the shim has no keyvalue). docs/deploy.md
// shows the command `jcoServeCommand` builds.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { httpComponentPath, repoRoot } from "../lib/paths.js";

const jcoCli = fileURLToPath(new URL("../node_modules/@bytecodealliance/jco/dist/jco.js", import.meta.url));
const keyvalueModule = fileURLToPath(new URL("../lib/keyvalue-served.js", import.meta.url));

/**
 * The arguments after `jco`: the component first (`--jco-map` takes every argument after it).
 * @param {{wasm: string, port: number|string, dir: string, keyvalue: string}} parts
 */
export function jcoServeCommand({ wasm, port, dir, keyvalue }) {
  const map = `wasi:keyvalue/store@0.2.0-draft=${keyvalue}`;
  return ["serve", wasm, "--host", "127.0.0.1", "--port", String(port), "--jco-dir", dir, "--jco-map", map];
}

/** The command as docs/deploy.md shows it (from the repository root). */
export const documentedCommand = `hosts/node/node_modules/.bin/jco ${jcoServeCommand({
  wasm: "target/component/wasm32-wasip2/release/qlik_connector_http.wasm",
  port: 8082,
  dir: "./jco-serve",
  keyvalue: "$PWD/hosts/node/lib/keyvalue-served.js",
})
  .map((arg) => (arg.includes("$") ? `"${arg}"` : arg))
  .join(" ")}`;

/** A free loopback port (closed again before jco binds it). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `jco serve` with `env` added to this process's environment; resolves once it listens.
 * @param {{ env?: Record<string, string> }} [options]
 */
export async function startJcoServe({ env = {} } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "qlik-jco-serve-"));
  const port = await freePort();
  const args = jcoServeCommand({ wasm: httpComponentPath(), port, dir, keyvalue: keyvalueModule });
  // Its own process group: jco runs the server in a grandchild, stopped with it.
  const child = spawn(process.execPath, [jcoCli, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  const lines = createInterface({ input: child.stderr });
  lines.on("line", (line) => (output += `${line}\n`));
  await new Promise((resolve, reject) => {
    lines.on("line", (line) => line.startsWith("Server listening @") && resolve());
    child.once("exit", (code) => reject(new Error(`jco serve exited (${code}): ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    /** Everything the server printed so far. */
    output: () => output,
    /** Stops the server's process group (the one this started) and removes its files. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        process.kill(-child.pid, "SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
