// `wasi:keyvalue/store@0.2.0-draft` for the component, in JS: buckets in memory, or, with a
// directory, one JSON file per bucket in the format `qlik-harness --state-dir` uses
// (`<dir>/<bucket>.kv.json`: UTF-8 values as text, others as a list of bytes; files 0600, the
// directory 0700, every change written to a temp file and renamed over the old one). A host
// creates one store per connection instance (see docs/hosting.md, "Storage"). One process per
// directory: unlike the harness, this store takes no file lock.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A storage failure as the WIT `error` variant (thrown: jco maps a thrown value to `err`). */
const other = (message) => ({ tag: "other", val: message });

/**
 * @param {{ dir?: string }} [options] `dir`: keep buckets in files there; in memory when absent.
 * @returns the import object for `wasi:keyvalue/store`, plus `entries(bucket)` to inspect a
 *   bucket and `failNext(count)` to make the next storage calls fail (tests).
 */
export function createKeyValueStore({ dir } = {}) {
  /** @type {Map<string, Map<string, Uint8Array>>} */
  const memory = new Map();
  let failures = 0;
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });

  const file = (bucket) => path.join(dir, `${bucket.replace(/[^A-Za-z0-9_-]/g, "_") || "default"}.kv.json`);

  function load(bucket) {
    if (!dir) return memory.get(bucket) ?? new Map();
    let text;
    try {
      text = readFileSync(file(bucket), "utf8");
    } catch (e) {
      if (e.code === "ENOENT") return new Map();
      throw other(`reading the state file ${file(bucket)}: ${e.message}`);
    }
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw other(`the state file ${file(bucket)} is corrupt (${e.message})`);
    }
    return new Map(Object.entries(parsed).map(([key, value]) => [key, decode(value, key, file(bucket))]));
  }

  function save(bucket, entries) {
    if (!dir) {
      memory.set(bucket, entries);
      return;
    }
    const json = Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, encode(v)]));
    const target = file(bucket);
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
    try {
      writeFileSync(temp, JSON.stringify(json, null, 2), { mode: 0o600 });
      renameSync(temp, target);
    } catch (e) {
      throw other(`writing the state file ${target}: ${e.message}`);
    }
  }

  function spendFailure() {
    if (failures > 0) {
      failures -= 1;
      throw other("injected storage failure");
    }
  }

  const backend = { load, save, spendFailure };
  return {
    Bucket,
    open(identifier) {
      return new Bucket(backend, identifier);
    },
    /** The bucket's entries as `{key: text}` (values decoded as UTF-8). */
    entries(bucket = "default") {
      return Object.fromEntries([...load(bucket)].map(([k, v]) => [k, new TextDecoder().decode(v)]));
    },
    /** Makes the next `count` storage calls fail with an `other` error. */
    failNext(count) {
      failures = count;
    },
  };
}

/**
 * An open bucket. One class for every store (jco checks that a returned resource is an instance
 * of the import's class), so `scopedStore` can hand out any store's buckets.
 */
export class Bucket {
  #backend;
  #name;
  constructor(backend, name) {
    this.#backend = backend;
    this.#name = name;
  }
  get(key) {
    this.#backend.spendFailure();
    return this.#backend.load(this.#name).get(key);
  }
  set(key, value) {
    this.#backend.spendFailure();
    const entries = this.#backend.load(this.#name);
    entries.set(key, Uint8Array.from(value));
    this.#backend.save(this.#name, entries);
  }
  delete(key) {
    this.#backend.spendFailure();
    const entries = this.#backend.load(this.#name);
    entries.delete(key);
    this.#backend.save(this.#name, entries);
  }
  exists(key) {
    this.#backend.spendFailure();
    return this.#backend.load(this.#name).has(key);
  }
  listKeys(cursor) {
    this.#backend.spendFailure();
    const keys = [...this.#backend.load(this.#name).keys()].sort();
    return { keys: keys.slice(Number(cursor ?? 0n)), cursor: undefined };
  }
}

/**
 * A `wasi:keyvalue/store` import that opens buckets in whichever store `current()` returns: one
 * reused instance serving calls for many connection instances, each call with its own store.
 * @param {() => {open: (name: string) => Bucket}} current
 */
export function scopedStore(current) {
  return { Bucket, open: (identifier) => current().open(identifier) };
}

function encode(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return [...bytes];
  }
}

function decode(value, key, where) {
  if (typeof value === "string") return new TextEncoder().encode(value);
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) return Uint8Array.from(value);
  throw other(`the state file ${where} is corrupt (the value of \`${key}\` is neither text nor a list of bytes)`);
}
