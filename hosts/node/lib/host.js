// The Node host: loads the transpiled component once (its core modules compiled once) and makes
// instances with their own imports: WASI from preview2-shim (no environment unless given),
// `wasi:http` behind an outbound allow-list, and a `wasi:keyvalue/store` the caller chooses.
// `instantiate` gives an instance bound to one store and allow-list; `reusable` gives one
// instance whose store and allow-list are chosen per call (under jco a fresh instance costs far
// more than a call: docs/hosting.md, "Instance per call or reused").
import { http as shimHttp } from "@bytecodealliance/preview2-shim";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { scopedStore } from "./keyvalue.js";
import { NAME } from "./transpile.js";

// guide:begin node-host
/**
 * Loads a component transpiled into `dir` (transpile.js: `--instantiation async`).
 * @param {string} dir
 */
export async function loadConnector(dir) {
  const { instantiate } = await import(pathToFileURL(path.join(dir, `${NAME}.js`)).href);
  const modules = new Map();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".wasm"))) {
    modules.set(file, await WebAssembly.compile(await readFile(path.join(dir, file))));
  }
  const make = (env, policy, store) => {
    const shim = new WASIShim({ sandbox: { env, args: [] }, http: guardedHttp(policy) });
    const imports = { ...shim.getImportObject(), "wasi:keyvalue/store": store };
    return instantiate((file) => modules.get(file), imports);
  };
  return {
    /**
     * A fresh instance, `{actions, dataSources, triggers, manifest}`, bound to one store.
     * @param {object} options
     * @param {object} options.store `wasi:keyvalue/store` (keyvalue.js), one per connection instance
     * @param {string[]} options.allowedHosts `acme.eu.qlikcloud.com`, `*.qlikcloud.com`, `127.0.0.1`
     * @param {Record<string, string>} [options.env] what the component sees (nothing by default)
     * @param {(request: {method: string, url: string, allowed: boolean}) => void} [options.onRequest]
     */
    instantiate({ store, allowedHosts, env = {}, onRequest }) {
      return make(env, () => ({ allowedHosts, onRequest }), store);
    },
    /**
     * One instance for many calls: `run(scope, fn)` calls `fn(exports)` with the scope's
     * `{store, allowedHosts, onRequest}` in force. jco calls are synchronous, so one call runs
     * at a time. After a trap (a JS error that is not a ComponentError), make a new one.
     */
    async reusable({ env = {} } = {}) {
      let scope;
      const current = () => scope ?? { allowedHosts: [], store: undefined };
      const exports = await make(env, current, scopedStore(() => current().store));
      return {
        run(callScope, fn) {
          scope = callScope;
          try {
            return fn(exports);
          } finally {
            scope = undefined;
          }
        },
      };
    },
  };
}
// guide:end node-host

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
  const rest = authority.slice(authority.lastIndexOf("@") + 1);
  if (rest.startsWith("[")) return rest.slice(0, rest.indexOf("]") + 1);
  return rest.split(":")[0];
}

/**
 * preview2-shim's `wasi:http` with two changes, `policy()` giving the allow-list in force:
 * - `outgoing-handler.handle` checks the allow-list first and refuses a host outside it with the
 *   WIT error `HTTP-request-denied` (the shim's own `enableNetwork: false` throws a bare string
 *   that jco cannot convert into an `error-code`);
 * - `types.http-error-code` answers only real `error-code` values: for a failed body stream the
 *   shim hands back the Node error itself, which jco cannot lower (a TypeError that traps the
 *   component); the component then classifies the error by its text and timing.
 */
function guardedHttp(policy) {
  return {
    ...shimHttp,
    outgoingHandler: {
      handle(request, options) {
        const { allowedHosts, onRequest } = policy();
        const authority = request.authority() ?? "";
        const scheme = request.scheme()?.tag === "HTTP" ? "http" : "https";
        const url = `${scheme}://${authority}${request.pathWithQuery() ?? "/"}`;
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
