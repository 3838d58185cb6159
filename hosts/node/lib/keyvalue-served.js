// `wasi:keyvalue/store@0.2.0-draft` as a module for `jco serve --jco-map` (docs/deploy.md,
// "jco serve"): one store for the server process, shared by every request, so the trigger's
// state and cached tokens outlive a request. In memory, or, when QLIK_STATE_DIR is set, files
// in the `qlik-harness --state-dir` format (keyvalue.js).
import { createKeyValueStore } from "./keyvalue.js";

const store = createKeyValueStore({ dir: process.env.QLIK_STATE_DIR || undefined });

/** The bucket resource (jco checks that `open` returns an instance of it). */
export const { Bucket } = store;

/** `open(identifier)`: the bucket of that name. */
export const open = (identifier) => store.open(identifier);
