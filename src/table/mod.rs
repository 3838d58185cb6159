//! The declarative table: every export (action, data source, trigger) with its inputs and how
//! its request is built. It is the one source of truth for input validation (`inputs`), request
//! building (`ops`), the `manifest` export and so `component.yaml`.

mod apps;
mod common;
pub mod connections;
mod data_files;
mod data_stores;
mod raw;
mod reloads;
mod reports;
mod spaces;
pub mod triggers;
mod users;

use crate::client::Client;
pub use crate::coerce::InputType;
use crate::error::Result;
use crate::host::Method;
use crate::inputs::Inputs;
use crate::paging::PagingStyle;
use serde_json::Value;

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
    /// The data source (picklist) that offers values for this input; such inputs are ids and
    /// are trimmed of surrounding whitespace.
    pub data_source: Option<&'static str>,
    /// Other keys accepted for this input (old spellings); the key itself wins when both are given.
    pub aliases: &'static [&'static str],
}

impl InputSpec {
    /// An optional text input with no default; the base that consts refine.
    pub const fn text(key: &'static str, label: &'static str, comments: &'static str) -> InputSpec {
        InputSpec {
            key,
            label,
            ty: InputType::String,
            required: false,
            default: None,
            example: None,
            comments,
            data_source: None,
            aliases: &[],
        }
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

/// A query parameter filled from an input when it is present; a value list is joined by `,`.
#[derive(Debug, Clone, Copy)]
pub struct Query {
    /// The query parameter.
    pub param: &'static str,
    /// The input that fills it.
    pub input: &'static str,
}

/// `Query { param, input }`.
pub const fn query(param: &'static str, input: &'static str) -> Query {
    Query { param, input }
}

/// A request body built from inputs.
#[derive(Debug, Clone, Copy)]
pub enum BodySpec {
    /// No body.
    None,
    /// A JSON object: the object of the `base` input (a JSON input) when given, then every
    /// `(JSON pointer, input key)` whose input is present set into it, creating objects on the
    /// way (`/attributes/name`). Explicit inputs thus win over the same keys in the base.
    Json {
        /// A JSON-object input merged under the explicit fields.
        base: Option<&'static str>,
        /// `(JSON pointer, input key)` pairs.
        fields: &'static [(&'static str, &'static str)],
    },
    /// A JSON Patch array with one `replace` op per present input: `(JSON pointer, input key)`.
    PatchReplace(&'static [(&'static str, &'static str)]),
    /// The JSON value of one input, as given.
    Input(&'static str),
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
    /// `{"deleted": true, "ids": [<the input's items>]}` (batch deletes).
    DeletedIds {
        /// The value-list input holding the deleted ids.
        ids_input: &'static str,
    },
    /// The body (an object, `{}` when empty) plus `<id_key>`, the last path segment of the
    /// `Location` header, and `statusLocation`, the header itself (202-style answers).
    WithLocation {
        /// The output key of the id read from `Location`.
        id_key: &'static str,
    },
}

/// One request, declaratively. `path` holds `{input}` placeholders (one percent-encoded
/// segment) and `{input,}` placeholders (a value list, each item encoded, joined by `,`).
#[derive(Debug, Clone, Copy)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: Method,
    /// Path under the API root.
    pub path: &'static str,
    /// Query parameters from inputs.
    pub query: &'static [Query],
    /// The body.
    pub body: BodySpec,
    /// What the action returns.
    pub output: OutputSpec,
    /// Follow redirects on the tenant host (at most 5); otherwise a 3xx is an `api` error.
    pub follow_redirects: bool,
}

impl RequestSpec {
    /// A request with no query, no body, the body as output, and no redirects followed.
    pub const fn new(method: Method, path: &'static str) -> Self {
        RequestSpec {
            method,
            path,
            query: &[],
            body: BodySpec::None,
            output: OutputSpec::Body,
            follow_redirects: false,
        }
    }
    /// `GET path`.
    pub const fn get(path: &'static str) -> Self {
        Self::new(Method::Get, path)
    }
    /// `POST path` with a body.
    pub const fn post(path: &'static str, body: BodySpec) -> Self {
        Self::new(Method::Post, path).body(body)
    }
    /// `PATCH path` with a body.
    pub const fn patch(path: &'static str, body: BodySpec) -> Self {
        Self::new(Method::Patch, path).body(body)
    }
    /// `PUT path` with a body.
    pub const fn put(path: &'static str, body: BodySpec) -> Self {
        Self::new(Method::Put, path).body(body)
    }
    /// `DELETE path`.
    pub const fn delete(path: &'static str) -> Self {
        Self::new(Method::Delete, path)
    }
    /// With these query parameters.
    pub const fn query(self, query: &'static [Query]) -> Self {
        RequestSpec { query, ..self }
    }
    /// With this body.
    pub const fn body(self, body: BodySpec) -> Self {
        RequestSpec { body, ..self }
    }
    /// With this output.
    pub const fn output(self, output: OutputSpec) -> Self {
        RequestSpec { output, ..self }
    }
    /// Following redirects on the tenant host.
    pub const fn following_redirects(self) -> Self {
        RequestSpec { follow_redirects: true, ..self }
    }
}

/// A list action with the paging inputs of connector.md §4.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    /// Path under the API root (placeholders as in [`RequestSpec`]).
    pub path: &'static str,
    /// The API's paging style.
    pub paging: PagingStyle,
    /// The API's maximum page size.
    pub max_limit: i64,
    /// Query parameters from inputs (the action's own filters and sort).
    pub query: &'static [Query],
}

/// How a data source's `search` reaches the API.
#[derive(Debug, Clone, Copy)]
pub enum Search {
    /// The API has no filter: items are matched on their label here.
    Local,
    /// Sent as this query parameter (e.g. `name`); labels are also matched here.
    Param(&'static str),
    /// Sent as this wildcard query parameter, `*<search>*` (data files' `baseNameWildcard`);
    /// labels are also matched here.
    Wildcard(&'static str),
    /// Sent as a SCIM `filter`, `<field> co "<search>"` for each field joined by `or`; the API's
    /// match is trusted (a label may not show the field that matched, e.g. an email).
    ScimContains(&'static [&'static str]),
}

/// A data source reading every page (connector.md §6).
#[derive(Debug, Clone, Copy)]
pub struct PicklistSpec {
    /// Path under the API root.
    pub path: &'static str,
    /// The API's paging style.
    pub paging: PagingStyle,
    /// Page size asked for (the API's maximum).
    pub page_size: i64,
    /// Fixed query parameters.
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// How `search` is applied.
    pub search: Search,
    /// Record field holding the key.
    pub key_field: &'static str,
    /// How labels are made.
    pub label: LabelRule,
}

/// An update that changes only what was given: GET the record, merge, PUT it back with the
/// record's `version` (data stores, data assets, data sets). A stale version is `conflict`.
#[derive(Debug, Clone, Copy)]
pub struct RmwSpec {
    /// Path of the record (GET and PUT), with placeholders as in [`RequestSpec`].
    pub path: &'static str,
    /// A JSON-object input merged over the record (before the explicit fields).
    pub base: Option<&'static str>,
    /// `(JSON pointer, input key)` pairs set over the record when present.
    pub fields: &'static [(&'static str, &'static str)],
    /// Response-only fields dropped before the PUT (`links`, timestamps, ...).
    pub read_only: &'static [&'static str],
}

/// One resource type the trigger polls.
#[derive(Debug, Clone, Copy)]
pub struct PollSource {
    /// The `pollResourceType` value.
    pub resource: &'static str,
    /// The list's path under the API root.
    pub path: &'static str,
    /// The API's paging style.
    pub paging: PagingStyle,
    /// Page size asked for (the API's maximum).
    pub page_size: i64,
    /// Fixed query parameters.
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// Reads a poll makes, each `(sort, the timestamp field it orders by newest first)`, and
    /// each stopping at the first page that ends before the window; empty: one read of every page
    /// (the API cannot sort by update time).
    pub sorts: &'static [(&'static str, &'static str)],
    /// Inputs sent as query parameters of the same name (filters), which also scope the state.
    pub scope: &'static [&'static str],
    /// Where the records keep their id and timestamps.
    pub fields: crate::trigger::classify::PollFields,
}

/// An operation that needs code; it runs after validation, with the call's client.
pub type CustomOp = fn(&mut Client<'_>, &Inputs) -> Result<Value>;

/// A cross-field rule checked after every input was coerced, before anything is sent.
pub type Check = fn(&Inputs) -> Result<()>;

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
    /// One request.
    Request(RequestSpec),
    /// A list action.
    List(ListSpec),
    /// A data source.
    Picklist(PicklistSpec),
    /// A read-merge-write update.
    ReadMergeWrite(RmwSpec),
    /// Code, for the few operations no declarative shape fits.
    Custom(CustomOp),
    /// The polling trigger over these resource types.
    Poll(&'static [PollSource]),
}

impl Op {
    /// The path template of a declarative op.
    pub fn path(&self) -> Option<&'static str> {
        match self {
            Op::Request(r) => Some(r.path),
            Op::List(l) => Some(l.path),
            Op::Picklist(p) => Some(p.path),
            Op::ReadMergeWrite(r) => Some(r.path),
            Op::Custom(_) | Op::Poll(_) => None,
        }
    }
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
    /// A cross-field rule (e.g. "give at least one of"), checked before anything is sent.
    pub check: Option<Check>,
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
    [
        spaces::EXPORTS,
        users::EXPORTS,
        apps::EXPORTS,
        data_files::EXPORTS,
        data_stores::EXPORTS,
        reports::EXPORTS,
        reloads::EXPORTS,
        raw::EXPORTS,
        triggers::EXPORTS,
    ]
    .into_iter()
    .flatten()
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
            match (spec.kind, &spec.op) {
                (ExportKind::Trigger, Op::Poll(_))
                | (ExportKind::DataSource, Op::Picklist(_))
                | (ExportKind::Action, Op::Request(_) | Op::List(_) | Op::ReadMergeWrite(_) | Op::Custom(_)) => {}
                (kind, op) => panic!("{}: a {kind:?} cannot run {op:?}", spec.key),
            }
            for referenced in referenced_inputs(&spec.op) {
                assert!(inputs.contains(referenced), "{} uses undeclared input {referenced}", spec.key);
            }
        }
    }

    fn referenced_inputs(op: &Op) -> Vec<&'static str> {
        let pairs =
            |fields: &'static [(&'static str, &'static str)]| fields.iter().map(|(_, i)| *i).collect::<Vec<_>>();
        let mut all: Vec<&'static str> =
            op.path().map(|p| crate::inputs::path_placeholders(p).map(|(key, _)| key).collect()).unwrap_or_default();
        match *op {
            Op::Request(r) => {
                all.extend(r.query.iter().map(|q| q.input));
                match r.body {
                    BodySpec::None => {}
                    BodySpec::Json { base, fields } => {
                        all.extend(base);
                        all.extend(pairs(fields));
                    }
                    BodySpec::PatchReplace(fields) => all.extend(pairs(fields)),
                    BodySpec::Input(input) => all.push(input),
                }
                match r.output {
                    OutputSpec::Deleted { id_input } => all.push(id_input),
                    OutputSpec::DeletedIds { ids_input } => all.push(ids_input),
                    OutputSpec::Body | OutputSpec::WithLocation { .. } => {}
                }
            }
            Op::List(l) => all.extend(l.query.iter().map(|q| q.input)),
            Op::Picklist(_) => all.push("search"),
            Op::ReadMergeWrite(r) => {
                all.extend(r.base);
                all.extend(pairs(r.fields));
            }
            Op::Custom(_) => {}
            Op::Poll(_) => all.push("pollResourceType"),
        }
        all
    }
}
