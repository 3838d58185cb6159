// Where the suite finds what the Rust build made. The component is built by the harness's
// build script into `<repo>/target/component/` (host-harness/build.rs, whatever CARGO_TARGET_DIR
// says); the `qlik-harness` binary lives in the cargo target dir (CARGO_TARGET_DIR, default
// `<repo>/target`). QLIK_COMPONENT, QLIK_HTTP_COMPONENT and QLIK_HARNESS_BIN override them.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above hosts/node). */
export const repoRoot = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The cargo target dir: CARGO_TARGET_DIR (relative to the current directory, as cargo reads it), else `<repo>/target`. */
export function cargoTargetDir() {
  const dir = process.env.CARGO_TARGET_DIR;
  return dir ? path.resolve(dir) : path.join(repoRoot, "target");
}

/** The release component: QLIK_COMPONENT, else where host-harness/build.rs puts it. */
export function componentPath() {
  return required(
    process.env.QLIK_COMPONENT ??
      path.join(repoRoot, "target", "component", "wasm32-wasip2", "release", "qlik_connector.wasm"),
    "the component",
  );
}

/** The composed HTTP component: QLIK_HTTP_COMPONENT, else where host-harness/build.rs puts it. */
export function httpComponentPath() {
  return required(
    process.env.QLIK_HTTP_COMPONENT ??
      path.join(repoRoot, "target", "component", "wasm32-wasip2", "release", "qlik_connector_http.wasm"),
    "the HTTP component",
  );
}

/** The `qlik-harness` binary: QLIK_HARNESS_BIN, else `<target dir>/debug/qlik-harness`. */
export function harnessBinary() {
  return required(process.env.QLIK_HARNESS_BIN ?? path.join(cargoTargetDir(), "debug", "qlik-harness"), "qlik-harness");
}

function required(file, what) {
  if (!existsSync(file)) {
    throw new Error(`${what} is not at ${file}: run \`cargo build -p qlik-harness\` first (or the README's test command)`);
  }
  return file;
}
