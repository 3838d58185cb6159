//! Users: `listUsers`, `getMyUser` and the `selectUser` data source.

use super::common::{limit, FETCH_ALL, MAX_RECORDS, PAGE, PARAMS, SEARCH};
use super::{query, ExportKind, ExportSpec, InputSpec, LabelRule, ListSpec, Op, PicklistSpec, RequestSpec, Search};
use crate::paging::PagingStyle;

/// Largest users page (documented maximum).
const MAX_LIMIT: i64 = 100;

const USER_EXAMPLE: &str = r#"{"id":"60a7c4e8f1b2c3d4e5f60718","tenantId":"xqFQ0k66vSR8f9G7J-vYb7g8gI9i0PoS","subject":"auth0|a1b2c3","name":"Ada Lovelace","email":"ada@example.com","status":"active","createdAt":"2024-05-01T10:00:00.000Z","lastUpdatedAt":"2024-05-02T08:30:00.000Z","links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/users/60a7c4e8f1b2c3d4e5f60718"}}}"#;

const SORT: InputSpec = InputSpec {
    example: Some("-createdAt"),
    ..InputSpec::text(
        "sort",
        "Sort",
        "Field to sort by, e.g. `name`, `email`, `status` or `createdAt`, with `-` for descending.",
    )
};

/// The Users exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "listUsers",
        label: "List Users",
        description: "List the users of the tenant, one page or all of them.",
        kind: ExportKind::Action,
        inputs: &[limit(MAX_LIMIT), SORT, PARAMS, PAGE, FETCH_ALL, MAX_RECORDS],
        op: Op::List(ListSpec {
            path: "/users",
            paging: PagingStyle::Cursor,
            max_limit: MAX_LIMIT,
            query: &[query("sort", "sort")],
        }),
        check: None,
        example_output: concat!(
            r#"{"data":[{"id":"60a7c4e8f1b2c3d4e5f60718","name":"Ada Lovelace","email":"ada@example.com","status":"active"}],"#,
            r#""links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/users?limit=1"}},"nextPage":null}"#
        ),
    },
    ExportSpec {
        key: "getMyUser",
        label: "Get My User",
        description: "Get the user the connection acts as.",
        kind: ExportKind::Action,
        inputs: &[],
        op: Op::Request(RequestSpec::get("/users/me").following_redirects()),
        check: None,
        example_output: USER_EXAMPLE,
    },
    ExportSpec {
        key: "selectUser",
        label: "Select User",
        description: "Pick a user.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: Op::Picklist(PicklistSpec {
            path: "/users",
            paging: PagingStyle::Cursor,
            page_size: MAX_LIMIT,
            fixed_query: &[],
            search: Search::ScimContains(&["name", "email"]),
            key_field: "id",
            label: LabelRule::FirstOf(&["name", "email"]),
        }),
        check: None,
        example_output: r#"[{"key":"60a7c4e8f1b2c3d4e5f60718","label":"Ada Lovelace"}]"#,
    },
];
