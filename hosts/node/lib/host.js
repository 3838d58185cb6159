// The Node host: loads the transpiled component once (its core modules compiled once) and makes
// instances, each with its own imports: WASI from preview2-shim (no environment unless given),
// `wasi:http` behind an outbound allow-list, and a `wasi:keyvalue/store` the caller chooses.
import { http as shimHttp } from "@bytecodealliance/preview2-shim";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { NAME } from "./transpile.js";

/**
 * Loads a component transpiled into `dir` (see transpile.js); resolves to a connector whose
 * `instantiate` makes instances.
 * @param {string} dir
 */
export async function loadConnector(dir) {
  const { instantiate } = await import(pathToFileURL(path.join(dir, `${NAME}.js`)).href);
  const modules = new Map();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".wasm"))) {
    modules.set(file, await WebAssembly.compile(await readFile(path.join(dir, file))));
  }
  return {
    /**
     * A fresh instance of the component: `{actions, dataSources, triggers, manifest}`.
     * @param {object} options
     * @param {object} options.store the `wasi:keyvalue/store` import (keyvalue.js), one per connection instance
     * @param {string[]} options.allowedHosts hosts the component may reach: `acme.eu.qlikcloud.com`, `*.qlikcloud.com`, `127.0.0.1`
     * @param {Record<string, string>} [options.env] environment the component sees (none by default)
     * @param {(request: {method: string, url: string, allowed: boolean}) => void} [options.onRequest] sees every request
     */
    async instantiate({ store, allowedHosts, env = {}, onRequest }) {
      const shim = new WASIShim({ sandbox: { env, args: [] }, http: guardedHttp(allowedHosts, onRequest) });
      const imports = { ...shim.getImportObject(), "wasi:keyvalue/store": store };
      return instantiate((file) => modules.get(file), imports);
    },
  };
}

/** True when `host` (no port) matches a pattern: exact, or `*.suffix` for any subdomain. */
export function hostAllowed(host, patterns) {
  const h = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    return pattern.startsWith("*.") ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern;
  });
}

/** The host part of an authority (`host:port`, `[::1]:port`). */
function hostOf(authority) {
  const at = authority.lastIndexOf("@");
  const rest = authority.slice(at + 1);
  if (rest.startsWith("[")) return rest.slice(0, rest.indexOf("]") + 1);
  return rest.split(":")[0];
}

/**
 * preview2-shim's `wasi:http` with two changes:
 * - `outgoing-handler.handle` checks the allow-list first and refuses a host outside it with the
 *   WIT error `HTTP-request-denied` (the shim's own `enableNetwork: false` throws a bare string
 *   that jco cannot convert into an `error-code`);
 * - `types.http-error-code` answers only real `error-code` values: for a failed body stream the
 *   shim hands back the Node error itself, which jco cannot lower (a TypeError that would trap
 *   the component); the component then classifies the error by its text.
 */
function guardedHttp(allowedHosts, onRequest) {
  return {
    ...shimHttp,
    outgoingHandler: {
      handle(request, options) {
        const authority = request.authority() ?? "";
        const scheme = request.scheme();
        const url = `${scheme?.tag === "HTTP" ? "http" : "https"}://${authority}${request.pathWithQuery() ?? "/"}`;
        const allowed = hostAllowed(hostOf(authority), allowedHosts);
        onRequest?.({ method: request.method().tag, url, allowed });
        if (!allowed) throw { tag: "HTTP-request-denied" };
        return shimHttp.outgoingHandler.handle(request, options);
      },
    },
    types: {
      ...shimHttp.types,
      httpErrorCode(error) {
        const code = shimHttp.types.httpErrorCode(error);
        return code && !(code instanceof Error) && typeof code.tag === "string" ? code : undefined;
      },
    },
  };
}
