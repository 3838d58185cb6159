// Starting `qlik-harness studio` and headless Chromium for the browser test.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The repository root (two levels above tests/studio/lib). */
export const repoRoot = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The cargo target dir: CARGO_TARGET_DIR (relative to the current directory, as cargo reads it), else `<repo>/target`. */
export function cargoTargetDir() {
  const dir = process.env.CARGO_TARGET_DIR;
  return dir ? path.resolve(dir) : path.join(repoRoot, "target");
}

/** The `qlik-harness` binary: QLIK_HARNESS_BIN, else `<target dir>/debug/qlik-harness`. */
export function harnessBinary() {
  const file = process.env.QLIK_HARNESS_BIN ?? path.join(cargoTargetDir(), "debug", "qlik-harness");
  if (!existsSync(file)) throw new Error(`qlik-harness is not at ${file}: run \`cargo build -p qlik-harness\` first (or tools/test)`);
  return file;
}

/** Where screenshots go: STUDIO_SCREENSHOTS, else `<repo>/target/studio-screenshots` (not tracked). */
export function screenshotDir() {
  const dir = process.env.STUDIO_SCREENSHOTS ? path.resolve(process.env.STUDIO_SCREENSHOTS) : path.join(repoRoot, "target", "studio-screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The system's Chromium (Debian's `chromium`): CHROMIUM, else /usr/bin/chromium. */
export function chromiumPath() {
  const file = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(file)) throw new Error(`Chromium is not at ${file}: apt-get install chromium (or set CHROMIUM)`);
  return file;
}

/**
 * Starts `qlik-harness studio --port 0 ...args`; resolves to {url, tenant, stop, stderr()} once its
 * first stdout line ({"url", "tenant"?}) arrived.
 */
export async function startStudio(args = []) {
  const child = spawn(harnessBinary(), ["studio", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`qlik-harness studio exited with ${code}: ${stderr}`)));
  });
  const line = JSON.parse(first);
  return {
    url: line.url,
    tenant: line.tenant,
    stderr: () => stderr,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGINT");
    }),
  };
}

/** Headless Chromium with a fresh profile and no background traffic (the network is closed). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
