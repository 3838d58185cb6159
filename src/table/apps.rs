//! Apps: actions and the `selectApp` data source (items with `resourceType=app`).

use super::common::{APP_ID, SEARCH, SPACE_ID};
use super::{
    BodySpec, ExportKind, ExportSpec, InputSpec, InputType, LabelRule, Op, OutputSpec, PicklistSpec, RequestSpec,
    Search,
};
use crate::error::Result;
use crate::inputs::{require_one_of, Inputs};
use crate::paging::PagingStyle;

/// Largest items page (documented maximum).
const ITEMS_MAX_LIMIT: i64 = 100;

const APP_EXAMPLE: &str = r#"{"attributes":{"id":"f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b","name":"Sales Dashboard","description":"Quarterly sales","ownerId":"60a7c4e8f1b2c3d4e5f60718","spaceId":"5f0f5f6a9d8d4c0001a1b2c3","createdDate":"2024-05-01T10:00:00.000Z","modifiedDate":"2024-05-02T08:30:00.000Z","usage":"ANALYTICS"},"privileges":["read","update","delete","reload"]}"#;

const NAME: InputSpec = InputSpec {
    required: true,
    example: Some("Sales Dashboard"),
    ..InputSpec::text("name", "App Name", "The name (title) of the app.")
};

const DESCRIPTION: InputSpec = InputSpec {
    example: Some("Quarterly sales"),
    ..InputSpec::text("description", "App Description", "The description of the app.")
};

const LOCALE: InputSpec = InputSpec {
    example: Some("en-US"),
    ..InputSpec::text("locale", "Locale", "A locale instead of the tenant's default.")
};

const USAGE: InputSpec = InputSpec {
    ty: InputType::Picklist(&["ANALYTICS", "DATA_PREPARATION", "DATAFLOW_PREP", "SINGLE_TABLE_PREP"]),
    example: Some("ANALYTICS"),
    ..InputSpec::text("usage", "Usage", "What the app is for: analytics or one of the data preparation kinds.")
};

/// updateApp changes at least one field.
fn one_app_field(inputs: &Inputs) -> Result<()> {
    require_one_of(inputs, &["name", "description"])
}

/// The Apps exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "getApp",
        label: "Get App",
        description: "Get an app by its ID.",
        kind: ExportKind::Action,
        inputs: &[APP_ID],
        op: Op::Request(RequestSpec::get("/apps/{appId}")),
        check: None,
        example_output: APP_EXAMPLE,
    },
    ExportSpec {
        key: "createApp",
        label: "Create App",
        description: "Create an app, in a space when one is given.",
        kind: ExportKind::Action,
        inputs: &[
            NAME,
            DESCRIPTION,
            InputSpec { required: false, comments: "The space to create the app in; personal when empty.", ..SPACE_ID },
            LOCALE,
            USAGE,
        ],
        op: Op::Request(RequestSpec::post(
            "/apps",
            BodySpec::Json {
                base: None,
                fields: &[
                    ("/attributes/name", "name"),
                    ("/attributes/description", "description"),
                    ("/attributes/spaceId", "spaceId"),
                    ("/attributes/locale", "locale"),
                    ("/attributes/usage", "usage"),
                ],
            },
        )),
        check: None,
        example_output: APP_EXAMPLE,
    },
    ExportSpec {
        key: "updateApp",
        label: "Update App",
        description: "Change an app's name or description; only the fields given change.",
        kind: ExportKind::Action,
        inputs: &[APP_ID, InputSpec { required: false, ..NAME }, DESCRIPTION],
        op: Op::Request(RequestSpec::put(
            "/apps/{appId}",
            BodySpec::Json {
                base: None,
                fields: &[("/attributes/name", "name"), ("/attributes/description", "description")],
            },
        )),
        check: Some(one_app_field),
        example_output: APP_EXAMPLE,
    },
    ExportSpec {
        key: "deleteApp",
        label: "Delete App",
        description: "Delete an app.",
        kind: ExportKind::Action,
        inputs: &[APP_ID],
        op: Op::Request(RequestSpec::delete("/apps/{appId}").output(OutputSpec::Deleted { id_input: "appId" })),
        check: None,
        example_output: r#"{"deleted":true,"id":"f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b"}"#,
    },
    ExportSpec {
        key: "selectApp",
        label: "Select App",
        description: "Pick an app.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: Op::Picklist(PicklistSpec {
            path: "/items",
            paging: PagingStyle::Cursor,
            page_size: ITEMS_MAX_LIMIT,
            fixed_query: &[("resourceType", "app")],
            // `name` matches a whole name; `query` finds the text in a name or description, and
            // labels are matched here, so the search is a substring of the name.
            search: Search::Param("query"),
            key_field: "resourceId",
            label: LabelRule::FirstOf(&["name"]),
        }),
        check: None,
        example_output: r#"[{"key":"f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b","label":"Sales Dashboard"}]"#,
    },
];
