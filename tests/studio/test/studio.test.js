// The browser test of `qlik-harness studio` on its simulated tenant: headless Chromium (the
// system's) drives the page as a person would, and each step asserts what the page shows.
// The steps share one studio and one page, in order. Screenshots go to screenshotDir(); the
// bench figures are printed, never asserted.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";
import { harnessBinary, launchBrowser, median, screenshotDir, startStudio } from "../lib/studio.js";

const SENTINEL_API_KEY = "SENTINEL-STUDIO-KEY-7f3a91";

let studio, browser, page, manifest, shots;
const spaceName = `Studio Space ${Date.now()}`;
let spaceId;
// Every response body the page received, to check that no secret ever came back.
const bodies = [];
// The API calls the page made: {route, key}.
const calls = [];

before(async () => {
  studio = await startStudio();
  shots = screenshotDir();
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname.startsWith("/api/")) {
      calls.push({ route: new URL(request.url()).pathname, key: JSON.parse(request.postData() ?? "{}").key });
    }
  });
  page.on("response", async (response) => {
    try { bodies.push(await response.text()); } catch { /* a redirect or an aborted load has no body */ }
  });
  manifest = await (await fetch(new URL("/api/manifest", studio.url))).json();
});

after(async () => {
  await browser?.close();
  await studio?.stop();
  assert.ok(!studio.stderr().includes(SENTINEL_API_KEY), "a secret in the studio's stderr");
});

/** Milliseconds from navigation to the end of a trivial page's second module, `times` loads. */
async function chromiumFloor(page, times) {
  const files = {
    "/": ["text/html", '<!doctype html><html><head><link rel="stylesheet" href="/a.css"><script type="module" src="/a.js"></script></head><body></body></html>'],
    "/a.css": ["text/css", "body { font-family: sans-serif; }"],
    "/a.js": ["text/javascript", 'import "/b.js";'],
    "/b.js": ["text/javascript", "window.readyAt = performance.now();"],
  };
  const server = http.createServer((request, response) => {
    const [type, body] = files[new URL(request.url, "http://x").pathname] ?? ["text/plain", ""];
    response.writeHead(type === "text/plain" ? 404 : 200, { "content-type": type });
    response.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const loads = [];
  try {
    for (let i = 0; i < times; i++) {
      await page.goto(url);
      await page.waitForFunction(() => window.readyAt !== undefined);
      loads.push(await page.evaluate(() => window.readyAt));
    }
  } finally {
    server.close();
  }
  return loads;
}

async function shot(name, { top = true } = {}) {
  if (top) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function open(key) {
  await page.click(`.export-item[data-key="${key}"]`);
  await page.waitForSelector(`#export-key:text-is("${key}")`);
}

async function run() {
  const before = await page.evaluate(() => window.studio.bench.length);
  await page.click("#run-button");
  await page.waitForFunction((n) => window.studio.bench.length > n, before);
}

async function outputJson() {
  return JSON.parse(await page.$eval("#output", (el) => el.dataset.json));
}

async function requestRows() {
  return page.$$eval("table.requests tbody tr", (rows) => rows.map((row) => {
    const cells = [...row.querySelectorAll("td")].map((td) => td.textContent.trim());
    return { method: cells[0], path: cells[1], status: cells[2] };
  }));
}

test("the page lists every export of the manifest, grouped", async () => {
  const loads = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(studio.url);
    await page.waitForSelector("body[data-ready=true]");
    loads.push(await page.evaluate(() => ({
      ready: window.studio.readyAt,
      html: performance.getEntriesByType("navigation")[0].responseEnd,
      api: window.studio.loadMs,
    })));
  }
  // The studio's own share: its answers to the page's requests, one after another.
  const served = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    for (const asset of ["/", "/app.js", "/dom.js", "/group.js", "/controls.js", "/json-view.js", "/app.css", "/favicon.svg", "/api/manifest", "/api/connection"]) {
      const response = await fetch(new URL(asset, studio.url));
      assert.equal(response.status, 200, asset);
      await response.arrayBuffer();
    }
    served.push(performance.now() - started);
  }
  // Chromium's own floor: a page of the same structure (a stylesheet, a module importing
  // another) that renders nothing, served from here, loaded the same way.
  const floor = await chromiumFloor(page, 5);
  await page.goto(studio.url);
  await page.waitForSelector("body[data-ready=true]");
  console.log(`studio bench: page load, the studio serving the page's 10 requests (HTML, scripts, styles, icon, manifest, connection; median of 5): ${median(served).toFixed(1)} ms`);
  const m = (f) => median(loads.map(f)).toFixed(1);
  console.log(`studio bench: page load (median of ${loads.length}): navigation to a rendered list ${m((l) => l.ready)} ms;` +
    ` the HTML ${m((l) => l.html)} ms, scripts and styles to the start of app.js ${m((l) => l.ready - l.api - l.html)} ms,` +
    ` the manifest and connection fetched and the list rendered ${m((l) => l.api)} ms (no component call: the manifest is read once, at start)`);
  console.log(`studio bench: page load, Chromium's floor (a page with a stylesheet and two modules that renders nothing, median of 5): ${median(floor).toFixed(1)} ms;` +
    ` the studio's page above that floor: ${(median(loads.map((l) => l.ready)) - median(floor)).toFixed(1)} ms`);
  const keys = [...manifest.actions, ...manifest.dataSources, ...manifest.triggers].map((e) => e.key);
  const listed = await page.$$eval(".export-item", (items) => items.map((i) => i.dataset.key));
  assert.deepEqual([...listed].sort(), [...keys].sort());
  const groups = await page.$$eval(".group-title", (titles) => titles.map((t) => t.firstChild.textContent));
  for (const group of ["Space", "App", "Data File", "Reload", "Report", "Other", "Trigger"]) assert.ok(groups.includes(group), `group ${group} in ${groups}`);
  const groupOf = Object.fromEntries(await page.$$eval(".export-item", (items) =>
    items.map((i) => [i.dataset.key, i.closest(".group").querySelector(".group-title").firstChild.textContent])));
  assert.deepEqual(
    ["createSpace", "selectSpace", "getMyUser", "deleteDataStoresAssets", "getReload", "createReport", "rawRequest", "pollChangesTrigger"].map((k) => groupOf[k]),
    ["Space", "Space", "User", "Data Store", "Reload", "Report", "Other", "Trigger"]);
  assert.match(await page.textContent("#connection-summary"), /^Simulated tenant · http:\/\/127\.0\.0\.1:\d+$/);
  await page.fill("#export-search", "space");
  const found = await page.$$eval(".export-item", (items) => items.map((i) => i.dataset.key));
  assert.ok(found.includes("createSpace") && found.includes("selectSpace") && !found.includes("getApp"), `${found}`);
  await shot("01-search");
  await page.fill("#export-search", "");
});

test("createSpace's form: name required, spaceType defaulting to shared", async () => {
  await open("createSpace");
  const name = page.locator('.field[data-input="name"]');
  assert.equal(await name.locator(".required").count(), 1);
  assert.equal(await page.locator('.field[data-input="description"] .required').count(), 0);
  assert.equal(await page.inputValue("#in-spaceType"), "shared");
  // The manifest's options, after an empty choice (the input is optional).
  const options = await page.$$eval("#in-spaceType option", (o) => o.map((x) => x.value));
  assert.deepEqual(options, ["", "shared", "managed", "data"]);
  assert.equal(await page.getAttribute("#in-name", "placeholder"), "Finance");
  assert.match(await name.locator(".help").textContent(), /unique in the tenant/);
  await shot("02-create-space-form");
});

test("createSpace runs: the new space's id in the output, one POST in the request panel", async () => {
  await page.fill("#in-name", spaceName);
  await page.fill("#in-description", "Made in the studio");
  await run();
  const output = await outputJson();
  assert.equal(output.name, spaceName);
  assert.match(output.id, /\S/);
  spaceId = output.id;
  assert.ok((await page.textContent("#output")).includes(spaceId), "the id is shown");
  const rows = await requestRows();
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0].method, "POST");
  assert.equal(rows[0].path, "/api/v1/spaces");
  assert.equal(rows[0].status, "201");
  const command = await page.textContent("#command");
  assert.match(command, /^export QLIK_API_KEY='sim-api-key'\nqlik-harness call createSpace /);
  await shot("03-create-space-run");
});

test("getSpace: the spaceId dropdown offers that space (loaded through selectSpace), and it runs", async () => {
  await open("getSpace");
  await page.waitForSelector(`#in-spaceId option[value="${spaceId}"]`, { state: "attached" });
  assert.equal(await page.getAttribute("#in-spaceId", "data-source"), "selectSpace");
  assert.ok(calls.some((c) => c.route === "/api/data-source" && c.key === "selectSpace"), JSON.stringify(calls));
  assert.equal(await page.textContent(`#in-spaceId option[value="${spaceId}"]`), spaceName);
  // The dropdown's search goes to the data source's `search`.
  await page.fill('.field[data-input="spaceId"] .ds-search', spaceName.slice(-8));
  await page.waitForFunction((id) => {
    const options = [...document.querySelectorAll("#in-spaceId option")].filter((o) => o.value);
    return options.length === 1 && options[0].value === id;
  }, spaceId);
  await page.selectOption("#in-spaceId", spaceId);
  await run();
  const output = await outputJson();
  assert.equal(output.id, spaceId);
  const rows = await requestRows();
  assert.deepEqual(rows.map((r) => [r.method, r.path, r.status]), [["GET", `/api/v1/spaces/${spaceId}`, "200"]]);
  await shot("04-get-space");

  // The page's command line works as printed (with the binary as `qlik-harness` on the PATH).
  const command = await page.textContent("#command");
  const bin = path.dirname(harnessBinary());
  const printed = execFileSync("bash", ["-c", command], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  assert.equal(JSON.parse(printed).id, spaceId);
});

test("an invalid input: the error names it and the form highlights it; no request sent", async () => {
  await open("listSpaces");
  assert.equal(await page.getAttribute("#in-limit", "max"), "100");
  await page.fill("#in-limit", "1000");
  await run();
  assert.equal(await page.textContent("#output .error-view .pill"), "invalid-input");
  const error = await outputJson();
  assert.equal(error.kind, "invalid-input");
  assert.equal(error.input, "limit");
  const field = page.locator('.field[data-input="limit"]');
  assert.match(await field.getAttribute("class"), /\binvalid\b/);
  assert.match(await field.locator(".field-error").textContent(), /limit/);
  assert.equal(await page.locator("#fields .field.invalid").count(), 1);
  assert.equal((await requestRows()).length, 0);
  assert.equal(await page.textContent("#requests .no-requests"), "No request reached the tenant.");
  await shot("05-invalid-input", { top: false });
});

test("a key-value list goes into the request; a JSON editor says where its JSON is invalid", async () => {
  await open("listSpaces");
  await page.fill("#in-limit", "");
  await page.fill('.field[data-input="paramsInputFields"] .kv-key', "name");
  await page.fill('.field[data-input="paramsInputFields"] .kv-value', spaceName);
  await run();
  const output = await outputJson();
  assert.deepEqual(output.data.map((s) => s.id), [spaceId]);
  const [request] = await page.$$eval("table.requests td.path .query", (q) => q.map((x) => x.textContent));
  assert.ok(decodeURIComponent(request.replaceAll("+", " ")).includes(`name=${spaceName}`), request);

  await open("createDataStore");
  await page.fill("#in-technicalName", "studio_store");
  await page.fill("#in-type", "snowflake");
  await page.fill("#in-dataStoreInput", '{\n  "description": "x",\n}');
  assert.match(await page.textContent('.field[data-input="dataStoreInput"] .json-status'), /invalid JSON at line 3, column 1/);
  await run();
  const error = await outputJson();
  assert.deepEqual([error.kind, error.input], ["invalid-input", "dataStoreInput"]);
  assert.equal((await requestRows()).length, 0);
  await page.fill("#in-dataStoreInput", '{"description": "From the studio"}');
  assert.match(await page.textContent('.field[data-input="dataStoreInput"] .json-status'), /valid JSON/);
  await run();
  const store = await outputJson();
  assert.deepEqual([store.technicalName, store.description], ["studio_store", "From the studio"]);
});

test("the trigger: polls around a change report it once, with the state between polls", async () => {
  await open("pollChangesTrigger");
  await page.selectOption("#in-pollResourceType", "spaces");
  const poll = async (n) => {
    await page.click("#poll-now");
    await page.waitForSelector(`.poll[data-poll="${n}"]`);
    return page.$$eval(`.poll[data-poll="${n}"] .change`, (items) => items.map((i) => ({
      kind: i.classList.contains("created") ? "created" : "updated",
      name: i.querySelector(".change-name").textContent,
      dedupe: i.querySelector(".dedupe").textContent,
    })));
  };
  assert.deepEqual(await poll(1), [], "a first run reports nothing");
  const stateAfterFirst = await page.textContent("#state");
  assert.match(stateAfterFirst, /sinceMs/);
  // A change in the tenant between the polls.
  const changed = `Trigger Space ${Date.now()}`;
  const seeded = await fetch(new URL("/__sim/seed", studio.tenant), {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ resource: "spaces", records: [{ name: changed, type: "shared" }] }),
  });
  assert.equal(seeded.status, 201);
  const second = await poll(2);
  assert.deepEqual(second.map((c) => [c.kind, c.name]), [["created", changed]]);
  assert.deepEqual(await poll(3), [], "the change is reported once");
  assert.match(await page.textContent("#state"), /seen/);
  assert.match(await page.textContent("#command"), /qlik-harness call pollChangesTrigger[\s\S]*--state-dir/);
  await shot("06-trigger");

  // Polling every second: two more polls come, then it stops.
  await page.fill("#poll-seconds", "1");
  await page.click("#poll-toggle");
  assert.equal(await page.textContent("#poll-toggle"), "Stop polling");
  await page.waitForSelector('.poll[data-poll="5"]');
  await page.click("#poll-toggle");
  assert.equal(await page.textContent("#poll-toggle"), "Start polling");
  await page.waitForFunction(() => !document.querySelector("#poll-now").disabled);

  // With acknowledge on, a poll's changes wait for their ack, shown in the state.
  await page.click('.field[data-input="acknowledge"] .toggle');
  const acked = `Acked Space ${Date.now()}`;
  await fetch(new URL("/__sim/seed", studio.tenant), {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ resource: "spaces", records: [{ name: acked, type: "shared" }] }),
  });
  const polls = await page.$$eval(".poll", (p) => p.length);
  const pending = await poll(polls + 1);
  assert.deepEqual(pending.map((c) => [c.kind, c.name]), [["created", acked]]);
  assert.match(await page.textContent("#state"), /a poll awaits its ack/);
  await page.click(`.poll[data-poll="${polls + 1}"] button:text-is("Acknowledge")`);
  await page.waitForSelector(`.poll[data-poll="${polls + 1}"] button:text-is("Acknowledged")`);
  assert.doesNotMatch(await page.textContent("#state"), /a poll awaits its ack/);
  assert.deepEqual(await poll(polls + 2), [], "an acknowledged change is not reported again");
});

test("a real tenant's connection: the secret is never sent back to the page", async () => {
  await page.click("#connection-pill");
  await page.click('#connection-modes [data-mode="apiKey"]');
  await page.fill("#conn-apiKey", SENTINEL_API_KEY);
  await page.fill("#conn-tenant", studio.tenant);
  await page.click("#connection-save");
  await page.waitForFunction(() => document.querySelector("#connection-summary").textContent.startsWith("API Key"));
  await page.click("#connection-pill");
  assert.equal(await page.inputValue("#conn-apiKey"), "", "the secret field is empty after saving");
  assert.match(await page.getAttribute("#conn-apiKey", "placeholder"), /saved/);
  await shot("07-connection");
  await page.click("#connection-cancel");
  await open("getSpace");
  await page.waitForSelector('.field[data-input="spaceId"] .ds-status.bad');
  await page.selectOption("#in-spaceId", { index: 0 });
  await run();
  // The data source failed (the simulated tenant does not know this key); an empty id is refused.
  assert.equal((await outputJson()).kind, "invalid-input", "an empty spaceId is refused before anything is sent");
  const command = await page.textContent("#command");
  assert.ok(command.includes('"$QLIK_API_KEY"'), command);
  assert.match(await page.textContent("#command-note"), /Set QLIK_API_KEY/);
  const html = await page.content();
  for (const text of [html, command, ...bodies]) assert.ok(!text.includes(SENTINEL_API_KEY), "the secret came back to the page");
  // Back to the simulated tenant.
  await page.click("#connection-pill");
  await page.click('#connection-modes [data-mode="simulated"]');
  await page.click("#connection-save");
  await page.waitForFunction(() => document.querySelector("#connection-summary").textContent.startsWith("Simulated"));
});

test("bench: what a Run adds to the component call (printed, not asserted)", async () => {
  await open("getSpace");
  await page.waitForSelector(`#in-spaceId option[value="${spaceId}"]`, { state: "attached" });
  await page.selectOption("#in-spaceId", spaceId);
  await run(); // warm
  const start = await page.evaluate(() => window.studio.bench.length);
  for (let i = 0; i < 9; i++) await run();
  const runs = (await page.evaluate(() => window.studio.bench)).slice(start);
  const m = (f) => median(runs.map(f)).toFixed(1);
  console.log(`studio bench: getSpace Run (median of ${runs.length}): round trip in the page minus the component call ${m((r) => r.roundTripMs - r.callMs)} ms` +
    ` = server ${m((r) => r.serverMs - r.callMs)} ms (the request log read before and after) + page and HTTP ${m((r) => r.roundTripMs - r.serverMs)} ms;` +
    ` the component call ${m((r) => r.callMs)} ms, the round trip ${m((r) => r.roundTripMs)} ms`);
  assert.equal(runs.length, 9);
});
