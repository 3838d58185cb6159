//! Users: the `selectUser` data source.

use super::common::SEARCH;
use super::{ExportKind, ExportSpec, LabelRule, Op, PicklistSpec, Search};
use crate::paging::PagingStyle;

/// The Users exports.
pub const EXPORTS: &[ExportSpec] = &[ExportSpec {
    key: "selectUser",
    label: "Select User",
    description: "Pick a user.",
    kind: ExportKind::DataSource,
    inputs: &[SEARCH],
    op: Op::Picklist(PicklistSpec {
        path: "/users",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        search: Search::ScimContains(&["name", "email"]),
        key_field: "id",
        label: LabelRule::FirstOf(&["name", "email"]),
    }),
    check: None,
    example_output: r#"[{"key":"60a7c4e8f1b2c3d4e5f60718","label":"Ada Lovelace"}]"#,
}];
