// Grouping the manifest's exports by resource, from manifest data only.

// ---------------------------------------------------------------- grouping

// The manifest carries no resource field. Groups come from manifest data only: the trigger
// group is the entry's `interface`; every other entry joins the resource of the data source
// whose noun (its label without the verb: "Select Space" -> "Space") its label names first;
// else the noun after its verb, when at least two exports share it ("Get Reload", "List
// Reloads"); else "Other".
export function groupExports(manifest) {
  const words = (label) => String(label).split(/\s+/).filter(Boolean);
  const squash = (text) => text.toLowerCase().replace(/[^a-z]/g, "");
  const nouns = (manifest.dataSources ?? []).map((ds) => words(ds.label).slice(1).join(" ")).filter(Boolean);
  const dataSourceNoun = (label) => {
    const rest = words(label).slice(1);
    for (let start = 0; start < rest.length; start++) {
      const tail = squash(rest.slice(start).join(""));
      const found = nouns.filter((noun) => tail.startsWith(squash(noun))).sort((a, b) => b.length - a.length)[0];
      if (found) return found;
    }
    return null;
  };
  const singular = (word) => (word && word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word);
  const entries = [];
  for (const [list, kind] of [["actions", "action"], ["dataSources", "data source"], ["triggers", "trigger"]]) {
    for (const entry of manifest[list] ?? []) entries.push({ key: entry.key, kind, entry });
  }
  const fallback = new Map();
  for (const item of entries) {
    item.noun = item.kind === "trigger" ? null : dataSourceNoun(item.entry.label);
    if (!item.noun && item.kind !== "trigger") {
      item.verbNoun = singular(words(item.entry.label)[1]);
      if (item.verbNoun) fallback.set(item.verbNoun, (fallback.get(item.verbNoun) ?? 0) + 1);
    }
  }
  for (const item of entries) {
    if (item.kind === "trigger") item.group = "Trigger";
    else if (item.noun) item.group = item.noun;
    else if (item.verbNoun && fallback.get(item.verbNoun) >= 2) item.group = item.verbNoun;
    else item.group = "Other";
  }
  return entries;
}

