// A collapsible JSON view.
import { el } from "./dom.js";

// ---------------------------------------------------------------- JSON view

export function jsonTree(value, openDepth = 2) {
  const root = el("div", { class: "json" });
  root.append(jsonNode(value, null, 0, openDepth));
  return root;
}

function jsonNode(value, key, depth, openDepth) {
  const label = key === null ? null : el("span", { class: "j-key", text: typeof key === "number" ? `${key}` : `"${key}"` });
  const sep = key === null ? null : el("span", { class: "j-punct", text: ": " });
  if (value !== null && typeof value === "object") {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
    const summary = el("summary", {}, label, sep,
      el("span", { class: "j-punct", text: isArray ? "[" : "{" }),
      el("span", { class: "j-count", text: isArray ? `${entries.length} item${entries.length === 1 ? "" : "s"}` : `${entries.length} key${entries.length === 1 ? "" : "s"}` }),
      el("span", { class: "j-punct", text: isArray ? "]" : "}" }));
    const details = el("details", { class: "j-node", open: depth < openDepth }, summary,
      el("div", { class: "j-children" }, entries.map(([k, v]) => jsonNode(v, k, depth + 1, openDepth))));
    return details;
  }
  const type = value === null ? "null" : typeof value;
  const text = type === "string" ? JSON.stringify(value) : String(value);
  return el("div", { class: "j-leaf" }, label, sep, el("span", { class: `j-${type}`, text }));
}

