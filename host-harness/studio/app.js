// The studio page: renders the component's manifest (GET /api/manifest) the way a flow builder
// does and runs each export through the component (POST /api/run, /api/data-source, /api/ack).
// Nothing about the connector is known here beyond what the manifest says.
import { $, api, debounce, el, richText } from "./dom.js";
import { groupExports } from "./group.js";
import { jsonTree } from "./json-view.js";
import { describeError, field } from "./controls.js";

const studio = {
  manifest: null,
  connection: null,
  exports: [], // {key, kind, group, entry}
  selected: null,
  polling: null,
  polls: [],
  // Round trips of Runs measured in the page next to the call's own time on the server.
  bench: [],
};
window.studio = studio;

// ---------------------------------------------------------------- export list

function renderList() {
  const query = $("export-search").value.trim().toLowerCase();
  const list = $("export-list");
  list.replaceChildren();
  const groups = new Map();
  for (const item of studio.exports) {
    const haystack = [item.key, item.entry.label, item.entry.description, item.group, item.kind].join(" ").toLowerCase();
    if (query && !query.split(/\s+/).every((word) => haystack.includes(word))) continue;
    if (!groups.has(item.group)) groups.set(item.group, []);
    groups.get(item.group).push(item);
  }
  // Groups in manifest order, "Other" and the trigger last.
  const order = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
  let shown = 0;
  for (const group of order) {
    const items = groups.get(group);
    shown += items.length;
    list.append(el("div", { class: "group" },
      el("div", { class: "group-title" }, group, el("span", { class: "group-count", text: items.length })),
      items.map((item) => el("button", {
        type: "button",
        class: "export-item" + (studio.selected?.key === item.key ? " selected" : ""),
        "data-key": item.key,
        title: item.entry.description,
        onclick: () => select(item.key),
      }, el("span", { class: "export-label", text: item.entry.label }),
         el("span", { class: `badge ${item.kind.replace(" ", "-")}`, text: item.kind })))));
  }
  if (!shown) list.append(el("p", { class: "muted pad", text: "Nothing matches." }));
  $("export-count").textContent = `${shown} of ${studio.exports.length} exports`;
}

function rank(group) {
  if (group === "Trigger") return 1e6 + 1;
  if (group === "Other") return 1e6;
  return studio.exports.findIndex((item) => item.group === group);
}


// ---------------------------------------------------------------- the form

const forms = new Map(); // key -> last values typed, kept while switching exports

function select(key, { push = true } = {}) {
  const item = studio.exports.find((e) => e.key === key);
  if (!item) return;
  stopPolling();
  if (studio.selected) forms.set(studio.selected.key, readValues());
  studio.selected = item;
  studio.polls = [];
  if (push && location.hash !== `#${key}`) history.replaceState(null, "", `#${key}`);
  $("empty-state").hidden = true;
  $("export-view").hidden = false;
  $("export-title").textContent = item.entry.label;
  $("export-description").replaceChildren(...richText(item.entry.description));
  $("export-group").textContent = item.group;
  $("export-kind").textContent = item.kind;
  $("export-key").textContent = item.key;
  const trigger = item.kind === "trigger";
  $("form-actions").hidden = trigger;
  $("trigger-actions").hidden = !trigger;
  $("trigger-card").hidden = !trigger;
  $("state-card").hidden = !trigger;
  $("output-title").textContent = trigger ? "Last poll" : item.kind === "data source" ? "Items" : "Output";
  $("run-button").textContent = item.kind === "data source" ? "Load items" : "Run";
  $("polls").replaceChildren(el("p", { class: "muted", text: "No poll yet. The first poll stores a watermark and reports nothing." }));
  $("poll-count").textContent = "";
  $("output").replaceChildren(el("p", { class: "muted", text: "Run the export to see its output." }));
  $("requests").replaceChildren(el("p", { class: "muted", text: "The requests of the last run appear here." }));
  $("requests-hint").textContent = "";
  $("run-status").textContent = "";
  $("poll-status").textContent = "";
  renderFields(item, forms.get(key));
  renderList();
  updateCommand();
  if (trigger) refreshState();
}

function renderFields(item, saved) {
  const inputs = item.entry.inputs ?? [];
  const fields = $("fields");
  fields.replaceChildren();
  if (!inputs.length) fields.append(el("p", { class: "muted", text: "This export takes no inputs." }));
  for (const input of inputs) fields.append(field(input, saved?.[input.key]));
  const required = inputs.filter((i) => i.required).length;
  $("required-hint").textContent = required ? `${required} required` : "";
}

// One labelled control for a manifest input; `value` restores what was typed before.

function readValues() {
  const values = {};
  for (const wrap of $("fields").querySelectorAll(".field")) {
    const value = wrap.read();
    if (value !== undefined) values[wrap.dataset.input] = value;
  }
  return values;
}


// ---------------------------------------------------------------- running

function clearErrors() {
  for (const wrap of document.querySelectorAll("#fields .field.invalid")) {
    wrap.classList.remove("invalid");
    wrap.querySelector(".field-error").textContent = "";
  }
}


async function runSelected() {
  const item = studio.selected;
  if (!item) return;
  clearErrors();
  const input = readValues();
  const route = item.kind === "data source" ? "/api/data-source" : "/api/run";
  $("run-button").disabled = true;
  $("run-status").textContent = "Running…";
  $("run-status").className = "run-status";
  const started = performance.now();
  try {
    const answer = await api(route, { key: item.key, input });
    const roundTripMs = performance.now() - started;
    studio.bench.push({ key: item.key, roundTripMs, callMs: answer.callMs, serverMs: answer.serverMs });
    showAnswer(item, answer, roundTripMs);
  } catch (error) {
    $("run-status").textContent = error.message;
    $("run-status").className = "run-status bad";
  } finally {
    $("run-button").disabled = false;
  }
}

function showAnswer(item, answer, roundTripMs) {
  const { outcome } = answer;
  const timing = `${answer.callMs.toFixed(1)} ms in the component call · ${roundTripMs.toFixed(1)} ms in the page`;
  if (outcome.error) {
    $("run-status").replaceChildren(el("span", { class: "pill bad", text: outcome.error.kind }), ` ${timing}`);
    $("output").replaceChildren(errorView(outcome.error));
    highlight(outcome.error);
  } else {
    $("run-status").replaceChildren(el("span", { class: "pill ok", text: "ok" }), ` ${timing}`);
    $("output").replaceChildren(jsonTree(outcome.ok));
  }
  $("output").dataset.json = JSON.stringify(outcome.ok ?? outcome.error, null, 2);
  showRequests(answer.requests);
}

function errorView(error) {
  const rows = Object.entries(error).filter(([key]) => key !== "kind");
  return el("div", { class: "error-view", "data-kind": error.kind },
    el("div", { class: "error-title" }, el("span", { class: "pill bad", text: error.kind }), " ", describeError(error)),
    el("dl", {}, rows.map(([key, value]) => [el("dt", { text: key }), el("dd", { text: typeof value === "string" ? value : JSON.stringify(value) })])));
}

function highlight(error) {
  if (error.kind !== "invalid-input" || !error.input) return;
  const wrap = document.querySelector(`#fields .field[data-input="${CSS.escape(error.input)}"]`);
  if (!wrap) return;
  wrap.classList.add("invalid");
  wrap.querySelector(".field-error").textContent = error.message;
  wrap.scrollIntoView({ block: "center" });
  wrap.querySelector("input, select, textarea")?.focus({ preventScroll: true });
}

function showRequests(requests) {
  const box = $("requests");
  if (requests === null || requests === undefined) {
    box.replaceChildren(el("p", { class: "muted", text: "The tenant's request log is shown for a simulated tenant." }));
    $("requests-hint").textContent = "";
    return;
  }
  $("requests-hint").textContent = `${requests.length} request${requests.length === 1 ? "" : "s"} this run`;
  if (!requests.length) {
    box.replaceChildren(el("p", { class: "muted no-requests", text: "No request reached the tenant." }));
    return;
  }
  box.replaceChildren(el("table", { class: "requests" },
    el("thead", {}, el("tr", {}, el("th", { text: "Method" }), el("th", { text: "Path" }), el("th", { text: "Status" }), el("th", { class: "num", text: "Time" }))),
    el("tbody", {}, requests.map((r) => el("tr", {},
      el("td", {}, el("span", { class: `method m-${String(r.method).toLowerCase()}`, text: r.method })),
      el("td", { class: "path", title: r.query ? `${r.path}?${r.query}` : r.path }, r.path, r.query ? el("span", { class: "query", text: `?${r.query}` }) : null),
      el("td", {}, el("span", { class: `status s${String(r.status)[0]}`, text: r.status })),
      el("td", { class: "num", text: r.ms === null || r.ms === undefined ? "" : `${r.ms.toFixed(1)} ms` }))))));
}


// ---------------------------------------------------------------- the trigger

async function pollOnce() {
  const item = studio.selected;
  if (item?.kind !== "trigger") return;
  clearErrors();
  const input = readValues();
  $("poll-now").disabled = true;
  const started = performance.now();
  try {
    const answer = await api("/api/run", { key: item.key, input });
    const roundTripMs = performance.now() - started;
    studio.bench.push({ key: item.key, roundTripMs, callMs: answer.callMs, serverMs: answer.serverMs });
    studio.polls.push({ at: new Date(), answer, input });
    renderPolls();
    showState(answer.state, input);
    const timing = `${answer.callMs.toFixed(1)} ms in the component call`;
    if (answer.outcome.error) {
      $("poll-status").replaceChildren(el("span", { class: "pill bad", text: answer.outcome.error.kind }), ` ${timing}`);
      $("output").replaceChildren(errorView(answer.outcome.error));
      highlight(answer.outcome.error);
    } else {
      $("poll-status").replaceChildren(el("span", { class: "pill ok", text: "ok" }), ` ${timing}`);
      $("output").replaceChildren(jsonTree(answer.outcome.ok, 1));
    }
    $("output").dataset.json = JSON.stringify(answer.outcome.ok ?? answer.outcome.error, null, 2);
    showRequests(answer.requests);
  } catch (error) {
    $("poll-status").textContent = error.message;
  } finally {
    $("poll-now").disabled = false;
  }
}

function renderPolls() {
  const box = $("polls");
  box.replaceChildren();
  $("poll-count").textContent = `${studio.polls.length} poll${studio.polls.length === 1 ? "" : "s"}`;
  [...studio.polls].reverse().forEach((poll, index) => {
    const number = studio.polls.length - index;
    const result = poll.answer.outcome.ok;
    const head = el("div", { class: "poll-head" },
      el("span", { class: "poll-number", text: `#${number}` }),
      el("span", { class: "poll-time", text: poll.at.toLocaleTimeString() }));
    if (!result) {
      head.append(el("span", { class: "pill bad", text: poll.answer.outcome.error.kind }));
      box.append(el("div", { class: "poll" }, head));
      return;
    }
    const created = result.created ?? [], updated = result.updated ?? [];
    head.append(...[
      el("span", { class: "pill created", text: `${created.length} created` }),
      el("span", { class: "pill updated", text: `${updated.length} updated` }),
      result.polledNoChanges ? el("span", { class: "muted", text: "no changes" }) : null,
      result.skipped ? el("span", { class: "pill bad", text: `${result.skipped} skipped` }) : null,
      result.pollId ? el("button", { type: "button", class: "small", text: "Acknowledge", onclick: (e) => acknowledge(poll, e.target) }) : null,
    ].filter(Boolean));
    const changes = [...created.map((c) => ["created", c]), ...updated.map((c) => ["updated", c])];
    box.append(el("div", { class: "poll", "data-poll": number }, head,
      changes.length ? el("ul", { class: "changes" }, changes.map(([kind, change]) => el("li", { class: `change ${kind}` },
        el("span", { class: `pill ${kind}`, text: kind }),
        el("span", { class: "change-name", text: recordName(change.record) }),
        el("code", { class: "dedupe", text: change.dedupeKey })))) : null));
  });
}

function recordName(record) {
  if (!record || typeof record !== "object") return String(record);
  return record.name ?? record.technicalName ?? record.email ?? record.id ?? JSON.stringify(record).slice(0, 60);
}

async function acknowledge(poll, button) {
  button.disabled = true;
  try {
    const answer = await api("/api/ack", { key: studio.selected.key, input: poll.input, pollId: poll.answer.outcome.ok.pollId });
    button.textContent = answer.outcome.error ? `ack failed: ${answer.outcome.error.kind}` : "Acknowledged";
    showState(answer.state, poll.input);
  } catch (error) {
    button.textContent = error.message;
  }
}

function showState(documents, input) {
  const box = $("state");
  const type = input?.pollResourceType;
  const mine = (documents ?? []).filter((d) => !type || d.resourceType === type);
  if (!mine.length) {
    box.replaceChildren(el("p", { class: "muted", text: "Nothing stored yet." }));
    return;
  }
  const time = (ms) => (typeof ms === "number" ? new Date(ms).toISOString().replace(".000Z", "Z") : "—");
  box.replaceChildren(...mine.map((d) => el("div", { class: "state-doc" },
    el("div", { class: "state-key" }, el("span", { class: "pill", text: d.resourceType ?? "?" }), " ", d.tenant ?? "", el("code", { text: d.key })),
    el("div", { class: "state-summary" },
      el("span", {}, "watermark ", el("b", { text: time(d.document?.watermarkMs) })),
      el("span", {}, "since ", el("b", { text: time(d.document?.sinceMs) })),
      el("span", {}, el("b", { text: Object.keys(d.document?.seen ?? {}).length }), " keys seen in the window"),
      d.document?.pending ? el("span", { class: "pill updated", text: "a poll awaits its ack" }) : null),
    jsonTree(d.document, 1))));
}

async function refreshState() {
  try {
    const answer = await api("/api/trigger-state");
    showState(answer.state, readValues());
  } catch { /* the state panel keeps what it showed */ }
}

function startPolling() {
  const seconds = Math.max(1, Number($("poll-seconds").value) || 10);
  stopPolling();
  studio.polling = setInterval(pollOnce, seconds * 1000);
  $("poll-toggle").textContent = "Stop polling";
  $("poll-toggle").classList.add("active");
  pollOnce();
}

function stopPolling() {
  if (studio.polling) clearInterval(studio.polling);
  studio.polling = null;
  $("poll-toggle").textContent = "Start polling";
  $("poll-toggle").classList.remove("active");
}


// ---------------------------------------------------------------- command line

// `qlik-harness call KEY --connection ... --input ...`: the connection as the server gives it
// (each secret read from an environment variable), the form's input, the studio's host flags.
function commandLine() {
  const item = studio.selected;
  const cli = studio.connection?.cli;
  if (!item || !cli) return "";
  const quote = (text) => `'${text.replaceAll("'", `'\\''`)}'`;
  const known = cli.variables.filter((v) => v.value !== null).map((v) => `export ${v.name}=${quote(String(v.value))}`);
  const words = ["qlik-harness", "call", item.key, "--connection", cli.connection, "--input", quote(JSON.stringify(readValues())), ...cli.flags];
  // One line per flag and its value.
  const lines = [];
  let line = "";
  for (const word of words) {
    if (line && word.startsWith("--")) {
      lines.push(line + " \\");
      line = "  " + word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return [...known, ...lines].join("\n");
}

function updateCommand() {
  $("command").textContent = commandLine();
  const cli = studio.connection?.cli;
  const unknown = (cli?.variables ?? []).filter((v) => v.value === null);
  $("command-note").textContent = unknown.length
    ? `Set ${unknown.map((v) => v.name).join(" and ")} to the connection's ${unknown.map((v) => v.input).join(" and ")} first: secrets never appear on this page.`
    : studio.connection?.simulated
      ? "Runs against the studio's simulated tenant while the studio runs (its API key is the public default of qlik-harness simulate)."
      : "";
}

// ---------------------------------------------------------------- connection

function connectionSummary(view) {
  const fields = view.fields ?? {};
  if (view.simulated) return `Simulated tenant · ${fields.tenant}`;
  const type = (studio.manifest.connections ?? []).find((c) => c.key === fields.type)?.label ?? fields.type;
  const where = fields.tenant ?? fields.tokenUrl ?? "";
  return `${type}${fields.grantType ? ` (${fields.grantType})` : ""} · ${where}`;
}

function showConnection(view) {
  studio.connection = view;
  $("connection-summary").textContent = connectionSummary(view);
  $("connection-dot").className = `dot ${view.simulated ? "sim" : "real"}`;
  updateCommand();
}

let connectionMode = null;

function openConnection() {
  const view = studio.connection;
  connectionMode = view.simulated ? "simulated" : view.fields.type;
  renderConnectionModes();
  $("connection-error").textContent = "";
  $("connection-dialog").showModal();
}

function renderConnectionModes() {
  const modes = [];
  if (studio.connection.simulatorAvailable) modes.push({ key: "simulated", label: "Simulated tenant", description: "The tenant the studio started, seeded with a few records of every kind. Its request log shows what each run sent." });
  for (const c of studio.manifest.connections ?? []) modes.push({ key: c.key, label: c.label, description: c.description, connection: c });
  $("connection-modes").replaceChildren(...modes.map((mode) => el("button", {
    type: "button", role: "tab", class: mode.key === connectionMode ? "active" : "", "aria-selected": String(mode.key === connectionMode),
    "data-mode": mode.key, text: mode.label, onclick: () => { connectionMode = mode.key; renderConnectionModes(); },
  })));
  const mode = modes.find((m) => m.key === connectionMode) ?? modes[0];
  connectionMode = mode.key;
  $("connection-description").textContent = mode.description ?? "";
  const box = $("connection-fields");
  box.replaceChildren();
  if (!mode.connection) return;
  const view = studio.connection;
  const current = !view.simulated && view.fields.type === mode.key ? view.fields : {};
  for (const input of mode.connection.inputs ?? []) {
    const secretSet = input.type === "password" && !view.simulated && view.fields.type === mode.key && view.secretsSet.includes(input.key);
    const wrap = field(input, input.type === "password" ? undefined : current[input.key], { secretSet });
    wrap.querySelector("input, select, textarea")?.setAttribute("id", `conn-${input.key}`);
    wrap.querySelector("label")?.setAttribute("for", `conn-${input.key}`);
    box.append(wrap);
  }
}

async function saveConnection(event) {
  event.preventDefault();
  const body = connectionMode === "simulated" ? { simulated: true } : { connection: { type: connectionMode, ...readConnectionFields() } };
  $("connection-save").disabled = true;
  try {
    const view = await api("/api/connection", body);
    showConnection(view);
    $("connection-dialog").close();
    // Data-source dropdowns reload for the new tenant.
    if (studio.selected) select(studio.selected.key);
  } catch (error) {
    $("connection-error").textContent = error.message;
  } finally {
    $("connection-save").disabled = false;
    for (const secret of $("connection-fields").querySelectorAll("input[type=password]")) secret.value = "";
  }
}

function readConnectionFields() {
  const values = {};
  for (const wrap of $("connection-fields").querySelectorAll(".field")) {
    const value = wrap.read();
    if (value !== undefined) values[wrap.dataset.input] = value;
  }
  return values;
}

// ---------------------------------------------------------------- start

async function start() {
  const loadStarted = performance.now();
  const [manifest, connection] = await Promise.all([api("/api/manifest"), api("/api/connection")]);
  studio.manifest = manifest;
  studio.exports = groupExports(manifest);
  $("component-label").textContent = manifest.label ?? manifest.key;
  $("component-version").textContent = manifest.version ? `v${manifest.version}` : "";
  document.title = `${manifest.label ?? "Connector"} · Studio`;
  showConnection(connection);
  renderList();
  $("export-search").addEventListener("input", renderList);
  $("export-form").addEventListener("submit", (event) => { event.preventDefault(); runSelected(); });
  $("fields").addEventListener("input", debounce(updateCommand, 150));
  $("fields").addEventListener("change", updateCommand);
  $("poll-now").addEventListener("click", pollOnce);
  $("poll-toggle").addEventListener("click", () => (studio.polling ? stopPolling() : startPolling()));
  $("copy-command").addEventListener("click", () => copy($("command").textContent, $("copy-command"), $("command")));
  $("copy-output").addEventListener("click", () => copy($("output").dataset.json ?? $("output").innerText, $("copy-output"), $("output")));
  $("expand-all").addEventListener("click", () => $("output").querySelectorAll("details").forEach((d) => { d.open = true; }));
  $("collapse-all").addEventListener("click", () => $("output").querySelectorAll("details").forEach((d) => { d.open = false; }));
  $("connection-pill").addEventListener("click", openConnection);
  $("connection-close").addEventListener("click", () => $("connection-dialog").close());
  $("connection-cancel").addEventListener("click", () => $("connection-dialog").close());
  $("connection-form").addEventListener("submit", saveConnection);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted && studio.exports.some((e) => e.key === wanted)) select(wanted, { push: false });
  studio.loadMs = performance.now() - loadStarted;
  studio.readyAt = performance.now();
  document.body.dataset.ready = "true";
}

// Copies text; where the clipboard is refused, selects `shown` for the user to copy.
async function copy(text, button, shown) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    const range = document.createRange();
    range.selectNodeContents(shown);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = "Selected";
  }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

start().catch((error) => {
  document.body.dataset.ready = "error";
  $("main").replaceChildren(el("div", { class: "empty-state" }, el("h2", { text: "The studio could not start" }), el("p", { text: error.message })));
});
