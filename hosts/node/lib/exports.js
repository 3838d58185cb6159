// The component's exports by manifest key, as jco names them: interfaces and functions in
// camelCase (`data-sources` → `dataSources`, `list-datafiles` → `listDatafiles`).

/** `retry-after-seconds` → `retryAfterSeconds`. */
export const camelCase = (kebab) => kebab.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

/** The JS function of a manifest entry (`{witName, interface}`) in an instance, or undefined. */
export function exportedFunction(instance, entry) {
  return instance[camelCase(entry.interface)]?.[camelCase(entry.witName)];
}

/** Every action, data source and trigger entry of a manifest. */
export function manifestEntries(manifest) {
  return ["actions", "dataSources", "triggers"].flatMap((group) => manifest[group] ?? []);
}

/**
 * Calls the export `key` with a connection and an input object. Actions answer JSON text, which
 * is parsed; data sources and triggers answer typed values (a trigger's records stay JSON text).
 * A failure throws jco's `ComponentError`, its `payload` the WIT `error` variant `{tag, val}`.
 */
export function callExport(instance, manifest, key, connection, input) {
  const entry = manifestEntries(manifest).find((e) => e.key === key || e.witName === key);
  if (!entry) throw new Error(`no export named ${key}`);
  const result = exportedFunction(instance, entry)(connection, typeof input === "string" ? input : JSON.stringify(input));
  return entry.interface === "actions" ? JSON.parse(result) : result;
}
