// docs/hosting.md shows the code the tests run: each region between `guide:begin NAME` and
// `guide:end NAME` markers in the files below appears in the guide verbatim. And its error
// table names every case of the WIT `error` variant, with its JS tag and Rust enum variant.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { repoRoot } from "../lib/paths.js";

const read = (file) => readFileSync(path.join(repoRoot, file), "utf8");
const guide = read("docs/hosting.md");

/** The lines strictly between the markers of `name` in `file`. */
function region(file, name) {
  const lines = read(file).split("\n");
  const begin = lines.findIndex((l) => l.includes(`guide:begin ${name}`));
  const end = lines.findIndex((l) => l.includes(`guide:end ${name}`));
  assert.ok(begin >= 0 && end > begin, `${file} marks the region ${name}`);
  return lines.slice(begin + 1, end).join("\n");
}

for (const [file, name] of [
  ["host-harness/tests/all/embedding.rs", "rust-embed"],
  ["hosts/node/examples/embed.mjs", "node-embed"],
  ["hosts/node/lib/host.js", "node-host"],
]) {
  test(`the guide shows ${file} (${name}) verbatim`, () => {
    const code = region(file, name);
    assert.ok(code.split("\n").length > 10, "a real snippet");
    assert.ok(guide.includes(`\n${code}\n`), `docs/hosting.md lacks the code of ${file} between its markers`);
  });
}

test("the guide's error table has every WIT error case, its JS payload tag and its Rust variant", () => {
  const wit = read("wit/connector.wit");
  const variant = wit.slice(wit.indexOf("variant error {"), wit.indexOf("}", wit.indexOf("variant error {")));
  const cases = [...variant.matchAll(/^\s+([a-z-]+)\(([a-z-]+)\),/gm)].map((m) => [m[1], m[2]]);
  assert.equal(cases.length, 10);
  const pascal = (kebab) => kebab.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase());
  for (const [name, payload] of cases) {
    const row = guide.split("\n").find((l) => l.startsWith(`| \`${name}(${payload})\``));
    assert.ok(row, `a row for ${name}(${payload})`);
    assert.ok(row.includes(`\`{tag: "${name}"`), `${name}: the JS tag`);
    assert.ok(row.includes(`\`Error::${pascal(name)}(`), `${name}: the Rust variant Error::${pascal(name)}`);
  }
});
