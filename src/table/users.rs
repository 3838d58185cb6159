//! Users: the `selectUser` data source.

use super::common::SEARCH;
use super::{ExportKind, ExportSpec, LabelRule, Op};
use crate::paging::PagingStyle;

/// The Users exports.
pub const EXPORTS: &[ExportSpec] = &[ExportSpec {
    key: "selectUser",
    label: "Select User",
    description: "Pick a user.",
    kind: ExportKind::DataSource,
    inputs: &[SEARCH],
    op: Op::Picklist {
        path: "/users",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        search_param: None,
        key_field: "id",
        label: LabelRule::FirstOf(&["name", "email"]),
    },
    example_output: r#"[{"key":"60a7c4e8f1b2c3d4e5f60718","label":"Ada Lovelace"}]"#,
}];
