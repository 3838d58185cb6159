// Transpiles the component with jco into JS + core wasm modules, for `--instantiation async`:
// the generated module exports `instantiate(getCoreModule, imports)`, so each instance gets its
// own imports (storage, outbound policy, environment).
import { transpile } from "@bytecodealliance/jco";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** Name of the generated files (`<name>.js`, `<name>.core.wasm`, ...). */
export const NAME = "qlik_connector";

/**
 * Transpiles the component at `wasmPath` into `outDir`; resolves to the milliseconds it took.
 * @param {string} wasmPath
 * @param {string} outDir
 */
export async function transpileComponent(wasmPath, outDir) {
  const started = performance.now();
  const bytes = await readFile(wasmPath);
  const { files } = await transpile(bytes, { name: NAME, instantiation: "async", noTypescript: true, quiet: true });
  await mkdir(outDir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(outDir, file)), { recursive: true });
    await writeFile(path.join(outDir, file), content);
  }
  return performance.now() - started;
}
