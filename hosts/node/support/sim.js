// `qlik-harness simulate` as a child process (preview2-shim's HTTP blocks the calling thread,
// so the tenant must not run in the test's own thread), and its control API under /__sim/.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { harnessBinary } from "../lib/paths.js";

/**
 * Starts a simulated tenant on a free loopback port; resolves once it printed its address.
 * @param {{ apiKey?: string }} [options]
 */
export async function startSimulator({ apiKey = "sim-api-key" } = {}) {
  const child = spawn(harnessBinary(), ["simulate", "--port", "0", "--api-key", apiKey], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`qlik-harness simulate exited (${code}): ${stderr}`)));
  });
  const info = JSON.parse(first);
  const sim = {
    ...info,
    /** Calls the control API; resolves to the parsed JSON answer (or null). */
    async ctl(method, path, body) {
      const response = await fetch(`${info.url}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    /** Every tenant request received so far (control calls excluded). */
    async requests() {
      return (await sim.ctl("GET", "/__sim/requests")).requests;
    },
    clearRequests: () => sim.ctl("DELETE", "/__sim/requests"),
    fault: (fault) => sim.ctl("POST", "/__sim/faults", fault),
    seed: (body) => sim.ctl("POST", "/__sim/seed", body),
    reset: () => sim.ctl("POST", "/__sim/reset", {}),
    /** Stops the simulator (the child this started, by its pid). */
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    },
  };
  return sim;
}
