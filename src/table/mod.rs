//! The declarative table: every export (action, data source, trigger) with its inputs and how
//! its request is built. It is the one source of truth for input validation (`inputs`), request
//! building (`ops`), the `manifest` export and so `component.yaml`.

mod common;
pub mod connections;
mod spaces;
mod users;

pub use crate::coerce::InputType;
use crate::paging::PagingStyle;
use crate::retry::Method;

/// One input of an export or a connection.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    /// Key in the input JSON object, e.g. `spaceId`.
    pub key: &'static str,
    /// Label shown in the flow builder.
    pub label: &'static str,
    /// Declared type; drives coercion.
    pub ty: InputType,
    /// Whether the input must be given.
    pub required: bool,
    /// Default as JSON text, used when the input is absent.
    pub default: Option<&'static str>,
    /// Example value shown to users.
    pub example: Option<&'static str>,
    /// Help text.
    pub comments: &'static str,
    /// The data source (picklist) that offers values for this input.
    pub data_source: Option<&'static str>,
}

impl InputSpec {
    /// An optional text input with no default; the base that consts refine.
    pub const fn text(key: &'static str, label: &'static str, comments: &'static str) -> InputSpec {
        InputSpec { key, label, ty: InputType::String, required: false, default: None, example: None, comments, data_source: None }
    }
}

/// What kind of export an entry is; each kind lives in its own WIT interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// `actions` interface; returns JSON.
    Action,
    /// `data-sources` interface; returns picklist items.
    DataSource,
    /// `triggers` interface; returns a poll result.
    Trigger,
}

impl ExportKind {
    /// The WIT interface that holds exports of this kind.
    pub fn interface(self) -> &'static str {
        match self {
            ExportKind::Action => "actions",
            ExportKind::DataSource => "data-sources",
            ExportKind::Trigger => "triggers",
        }
    }
}

/// A JSON body built from inputs.
#[derive(Debug, Clone, Copy)]
pub enum BodySpec {
    /// No body.
    None,
    /// An object: each `(json key, input key)` pair whose input is present.
    Object(&'static [(&'static str, &'static str)]),
    /// A JSON Patch array with one `replace` op per present input: `(json pointer, input key)`.
    PatchReplace(&'static [(&'static str, &'static str)]),
}

/// What an action returns.
#[derive(Debug, Clone, Copy)]
pub enum OutputSpec {
    /// The parsed response body.
    Body,
    /// `{"deleted": true, "id": <the input>}`.
    Deleted {
        /// The input holding the deleted id.
        id_input: &'static str,
    },
}

/// How a picklist item's label is made from a record.
#[derive(Debug, Clone, Copy)]
pub enum LabelRule {
    /// The first of these fields that is a non-empty string, else the key.
    FirstOf(&'static [&'static str]),
    /// `name`, plus ` (type)` when `type` is not `shared` (spaces).
    NameWithSpaceType,
}

/// How an export does its work.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// One request. `path` holds `{inputKey}` placeholders (percent-encoded when filled).
    Request {
        /// HTTP method.
        method: Method,
        /// Path under the API root, with `{inputKey}` placeholders.
        path: &'static str,
        /// `(query parameter, input key)` pairs sent when the input is present.
        query: &'static [(&'static str, &'static str)],
        /// The JSON body.
        body: BodySpec,
        /// What the action returns.
        output: OutputSpec,
        /// At least one of these inputs must be given (update actions).
        at_least_one_of: &'static [&'static str],
    },
    /// A list action with the paging inputs of connector.md §4.
    List {
        /// Path under the API root.
        path: &'static str,
        /// The API's paging style.
        paging: PagingStyle,
        /// The API's maximum page size.
        max_limit: i64,
        /// `(query parameter, input key)` pairs sent when the input is present.
        query: &'static [(&'static str, &'static str)],
    },
    /// A data source reading every page (connector.md §6).
    Picklist {
        /// Path under the API root.
        path: &'static str,
        /// The API's paging style.
        paging: PagingStyle,
        /// Page size asked for (the API's maximum).
        page_size: i64,
        /// Fixed query parameters.
        fixed_query: &'static [(&'static str, &'static str)],
        /// The API's name filter that `search` is sent as, if it has one.
        search_param: Option<&'static str>,
        /// Record field holding the key.
        key_field: &'static str,
        /// How labels are made.
        label: LabelRule,
    },
}

/// One export.
#[derive(Debug, Clone, Copy)]
pub struct ExportSpec {
    /// Key, e.g. `createSpace`; the WIT name is its kebab-case form.
    pub key: &'static str,
    /// Label in the flow builder.
    pub label: &'static str,
    /// One-sentence description.
    pub description: &'static str,
    /// Action, data source or trigger.
    pub kind: ExportKind,
    /// Inputs besides the connection.
    pub inputs: &'static [InputSpec],
    /// How it works.
    pub op: Op,
    /// An example of the output, as JSON text.
    pub example_output: &'static str,
}

impl ExportSpec {
    /// The WIT function name (`listDatafiles` → `list-datafiles`).
    pub fn wit_name(&self) -> String {
        kebab_case(self.key)
    }
}

/// `getDataAssets` → `get-data-assets`.
pub fn kebab_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every export, in manifest order.
pub fn exports() -> impl Iterator<Item = &'static ExportSpec> {
    spaces::EXPORTS.iter().chain(users::EXPORTS)
}

/// The export with this key.
pub fn find(key: &str) -> Option<&'static ExportSpec> {
    exports().find(|spec| spec.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kebab_case_matches_the_wit_convention() {
        assert_eq!(kebab_case("listDatafiles"), "list-datafiles");
        assert_eq!(kebab_case("getDataAssets"), "get-data-assets");
        assert_eq!(kebab_case("selectSpace"), "select-space");
    }

    #[test]
    fn keys_are_unique_and_inputs_consistent() {
        let mut keys = HashSet::new();
        for spec in exports() {
            assert!(keys.insert(spec.key), "duplicate key {}", spec.key);
            let inputs: HashSet<_> = spec.inputs.iter().map(|i| i.key).collect();
            assert_eq!(inputs.len(), spec.inputs.len(), "duplicate input in {}", spec.key);
            serde_json::from_str::<serde_json::Value>(spec.example_output)
                .unwrap_or_else(|e| panic!("{} example output: {e}", spec.key));
            for input in spec.inputs {
                if let Some(default) = input.default {
                    serde_json::from_str::<serde_json::Value>(default)
                        .unwrap_or_else(|e| panic!("{}.{} default: {e}", spec.key, input.key));
                }
                if let Some(source) = input.data_source {
                    assert!(find(source).is_some_and(|s| s.kind == ExportKind::DataSource), "{source}");
                }
            }
            for referenced in referenced_inputs(&spec.op) {
                assert!(inputs.contains(referenced), "{} uses undeclared input {referenced}", spec.key);
            }
        }
    }

    fn referenced_inputs(op: &Op) -> Vec<&'static str> {
        let placeholders = |path: &'static str| {
            path.split('{').skip(1).filter_map(|rest| rest.split('}').next()).collect::<Vec<_>>()
        };
        match *op {
            Op::Request { path, query, body, output, at_least_one_of, .. } => {
                let mut all = placeholders(path);
                all.extend(query.iter().map(|(_, i)| *i));
                if let BodySpec::Object(fields) | BodySpec::PatchReplace(fields) = body {
                    all.extend(fields.iter().map(|(_, i)| *i));
                }
                if let OutputSpec::Deleted { id_input } = output {
                    all.push(id_input);
                }
                all.extend(at_least_one_of);
                all
            }
            Op::List { path, query, .. } => {
                let mut all = placeholders(path);
                all.extend(query.iter().map(|(_, i)| *i));
                all
            }
            Op::Picklist { .. } => vec![],
        }
    }
}
