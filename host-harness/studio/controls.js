// The form's controls: one labelled control per manifest input, by its type. Each field
// element has read(), the value to send (undefined: the input is left out). Changes bubble as
// "input" and "change" events.
import { api, debounce, el, richText } from "./dom.js";

export function describeError(error) {
  if (error.kind === "invalid-input") {
    return String(error.message ?? "").startsWith(error.input) ? error.message : `${error.input}: ${error.message}`;
  }
  if (["timeout", "transport", "invalid-response"].includes(error.kind)) return error.message ?? error.kind;
  return [error.status, error.code, error.title, error.detail && `(${error.detail})`].filter(Boolean).join(" ");
}


export function field(input, value, { secretSet = false } = {}) {
  const id = `in-${input.key}`;
  const control = controlFor(input, id, value, secretSet);
  const range = rangeText(input);
  const wrap = el("div", { class: `field type-${input.type}`, "data-input": input.key },
    el("label", { for: id, class: "field-label" },
      el("span", { text: input.label ?? input.key }),
      input.required ? el("span", { class: "required", title: "required", text: "*" }) : null,
      el("span", { class: "field-key", text: input.key }),
      el("span", { class: "field-type", text: input.type + (input.dataSource ? ` · ${input.dataSource}` : "") })),
    control.node,
    input.comments || range ? el("div", { class: "help" }, ...richText(input.comments), range ? el("span", { class: "range", text: range }) : null) : null,
    el("div", { class: "field-error", role: "alert" }));
  wrap.read = control.read;
  return wrap;
}

function rangeText(input) {
  const min = input.minimum, max = input.maximum;
  if (min === undefined && max === undefined) return "";
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  return min !== undefined ? ` ≥ ${min}` : ` ≤ ${max}`;
}

function exampleText(example) {
  if (example === undefined || example === null) return undefined;
  return typeof example === "string" ? example : JSON.stringify(example);
}

// A control by type: {node, read} where read() gives the value to send (undefined = absent).
function controlFor(input, id, saved, secretSet) {
  const initial = saved !== undefined ? saved : input.default;
  const placeholder = exampleText(input.example);
  if (input.dataSource) return dataSourceControl(input, id, initial);
  switch (input.type) {
    case "password": {
      const node = el("input", {
        id, name: input.key, type: "password", autocomplete: "off",
        placeholder: secretSet ? "•••••••• saved · leave empty to keep" : (placeholder ?? ""),
      });
      return { node, read: () => node.value || undefined };
    }
    case "integer": {
      const node = el("input", {
        id, name: input.key, type: "number", step: 1, inputmode: "numeric",
        min: input.minimum, max: input.maximum, placeholder: placeholder ?? "",
      });
      if (initial !== undefined && initial !== null) node.value = initial;
      return { node, read: () => (node.value === "" ? (node.validity.badInput ? "not a number" : undefined) : Number(node.value)) };
    }
    case "boolean": {
      const box = el("input", { id, name: input.key, type: "checkbox", role: "switch" });
      box.checked = initial === true || initial === "true";
      let touched = saved !== undefined;
      box.addEventListener("change", () => { touched = true; });
      const node = el("label", { class: "toggle" }, box, el("span", { class: "track" }),
        el("span", { class: "toggle-text", text: box.checked ? "On" : "Off" }));
      box.addEventListener("change", () => { node.querySelector(".toggle-text").textContent = box.checked ? "On" : "Off"; });
      // Sent when it has a default or was switched; otherwise the input stays absent.
      return { node, read: () => (touched || input.default !== undefined ? box.checked : undefined) };
    }
    case "picklist": {
      const node = el("select", { id, name: input.key },
        input.required && initial !== undefined ? null : el("option", { value: "", text: "— none —" }),
        (input.options ?? []).map((option) => el("option", { value: option, text: option })));
      if (initial !== undefined) node.value = initial;
      return { node, read: () => node.value || undefined };
    }
    case "code": return codeControl(input, id, initial, placeholder);
    case "valuelist": return listControl(input, id, initial, placeholder, false);
    case "keyvaluelist": return listControl(input, id, initial, placeholder, true);
    default: {
      const node = el("input", { id, name: input.key, type: "text", autocomplete: "off", placeholder: placeholder ?? "" });
      if (initial !== undefined && initial !== null) node.value = typeof initial === "string" ? initial : JSON.stringify(initial);
      return { node, read: () => node.value || undefined };
    }
  }
}

// A JSON editor: says where the JSON is invalid as it is typed. Valid JSON is sent parsed;
// invalid text is sent as it is, so the component names the input.
function codeControl(input, id, initial, placeholder) {
  const area = el("textarea", { id, name: input.key, rows: 5, spellcheck: "false", class: "code", placeholder: placeholder ?? "{ }" });
  if (initial !== undefined && initial !== null) area.value = typeof initial === "string" ? initial : JSON.stringify(initial, null, 2);
  const status = el("div", { class: "json-status" });
  const check = () => {
    const text = area.value.trim();
    area.classList.remove("json-bad");
    status.className = "json-status";
    if (!text) { status.textContent = ""; return; }
    try {
      JSON.parse(text);
      status.textContent = "✓ valid JSON";
      status.classList.add("ok");
    } catch (error) {
      status.textContent = `✗ ${jsonErrorText(area.value, error)}`;
      status.classList.add("bad");
      area.classList.add("json-bad");
    }
  };
  area.addEventListener("input", check);
  check();
  const node = el("div", { class: "code-wrap" }, area, status);
  return {
    node,
    read: () => {
      const text = area.value.trim();
      if (!text) return undefined;
      try { return JSON.parse(text); } catch { return area.value; }
    },
  };
}

// "line L, column C: message" from a JSON.parse error (V8 names a position).
function jsonErrorText(text, error) {
  const message = String(error.message);
  const at = message.match(/position (\d+)/);
  const lineCol = message.match(/line (\d+) column (\d+)/);
  let line, column;
  if (lineCol) [line, column] = [Number(lineCol[1]), Number(lineCol[2])];
  else if (at) {
    const before = text.slice(0, Number(at[1]));
    line = before.split("\n").length;
    column = before.length - before.lastIndexOf("\n");
  } else {
    line = text.split("\n").length;
    column = text.length - text.lastIndexOf("\n");
  }
  const reason = message.replace(/^JSON\.parse: /, "").replace(/ in JSON at position \d+.*$/, "").replace(/\s*\(line \d+ column \d+\)$/, "");
  return `invalid JSON at line ${line}, column ${column}: ${reason}`;
}

// A value list (one text per row) or a key-value list (key and value per row).
function listControl(input, id, initial, placeholder, pairs) {
  const rows = el("div", { class: "rows" });
  const addRow = (value) => {
    const remove = el("button", { type: "button", class: "icon", title: "Remove", "aria-label": "Remove", text: "×" });
    const row = pairs
      ? el("div", { class: "row" },
          el("input", { type: "text", class: "kv-key", placeholder: "key", value: value?.key ?? "", "aria-label": `${input.key} key` }),
          el("input", { type: "text", class: "kv-value", placeholder: "value", value: value?.value ?? "", "aria-label": `${input.key} value` }),
          remove)
      : el("div", { class: "row" },
          el("input", { type: "text", class: "vl-value", placeholder: placeholder ?? "value", value: value ?? "", "aria-label": input.key }),
          remove);
    remove.addEventListener("click", () => { row.remove(); rows.dispatchEvent(new Event("change", { bubbles: true })); });
    rows.append(row);
  };
  const values = Array.isArray(initial) ? initial
    : pairs && initial && typeof initial === "object" ? Object.entries(initial).map(([key, value]) => ({ key, value }))
    : initial !== undefined && initial !== null ? [initial] : [];
  values.forEach(addRow);
  if (!values.length) addRow();
  const add = el("button", { type: "button", class: "small add", text: pairs ? "+ Add pair" : "+ Add value", onclick: () => { addRow(); } });
  const node = el("div", { class: "list-control", id, "data-name": input.key }, rows, add);
  return {
    node,
    read: () => {
      if (pairs) {
        const items = [...rows.querySelectorAll(".row")]
          .map((row) => ({ key: row.querySelector(".kv-key").value, value: row.querySelector(".kv-value").value }))
          .filter((pair) => pair.key !== "" || pair.value !== "");
        return items.length ? items : undefined;
      }
      const items = [...rows.querySelectorAll(".vl-value")].map((i) => i.value).filter((v) => v !== "");
      return items.length ? items : undefined;
    },
  };
}

// An input bound to a data source: a dropdown loaded live by calling the data source through
// the component, with its `search`, as a flow builder does. Value lists get a multi-select.
function dataSourceControl(input, id, initial) {
  const multiple = input.type === "valuelist";
  const selectNode = el("select", { id, name: input.key, multiple, "data-source": input.dataSource, size: multiple ? 5 : undefined });
  const search = el("input", { type: "search", class: "ds-search", placeholder: `Search (${input.dataSource})`, "aria-label": `Search ${input.label}` });
  const status = el("span", { class: "ds-status" });
  const reload = el("button", { type: "button", class: "icon", title: "Reload", "aria-label": "Reload", text: "↻" });
  const wanted = new Set(multiple ? (Array.isArray(initial) ? initial : initial ? [initial] : []) : initial ? [initial] : []);
  const load = async () => {
    status.textContent = "loading…";
    status.className = "ds-status";
    const keep = new Set([...selectNode.selectedOptions].map((o) => o.value).filter(Boolean).concat([...wanted]));
    try {
      const input_ = search.value.trim() ? { search: search.value.trim() } : {};
      const answer = await api("/api/data-source", { key: input.dataSource, input: input_ });
      if (answer.outcome.error) throw new Error(describeError(answer.outcome.error));
      const items = answer.outcome.ok ?? [];
      const options = items.map((item) => el("option", { value: item.key, title: item.key, text: item.label }));
      if (!multiple) options.unshift(el("option", { value: "", text: items.length ? "— select —" : "— no items —" }));
      selectNode.replaceChildren(...options);
      for (const option of selectNode.options) if (keep.has(option.value)) option.selected = true;
      status.textContent = `${items.length} item${items.length === 1 ? "" : "s"} · ${answer.callMs.toFixed(0)} ms`;
      selectNode.dispatchEvent(new Event("loaded"));
    } catch (error) {
      selectNode.replaceChildren(el("option", { value: "", text: "— could not load —" }));
      status.textContent = `could not load: ${error.message}`;
      status.className = "ds-status bad";
    }
  };
  search.addEventListener("input", debounce(load, 250));
  reload.addEventListener("click", load);
  selectNode.addEventListener("change", () => { wanted.clear(); });
  queueMicrotask(load);
  const node = el("div", { class: "ds-control" }, el("div", { class: "ds-bar" }, search, reload, status), selectNode);
  return {
    node,
    read: () => {
      const chosen = [...selectNode.selectedOptions].map((o) => o.value).filter(Boolean);
      if (!chosen.length && wanted.size) return multiple ? [...wanted] : [...wanted][0];
      return multiple ? (chosen.length ? chosen : undefined) : (chosen[0] || undefined);
    },
  };
}

