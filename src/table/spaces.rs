//! Spaces: actions and the `selectSpace` data source.

use super::common::{limit, FETCH_ALL, MAX_RECORDS, OWNER_ID, PAGE, PARAMS, SEARCH, SPACE_ID};
use super::{
    query, BodySpec, ExportKind, ExportSpec, InputSpec, InputType, LabelRule, ListSpec, Op, OutputSpec, PicklistSpec,
    RequestSpec, Search,
};
use crate::error::Result;
use crate::inputs::{require_one_of, Inputs};
use crate::paging::PagingStyle;

/// Largest spaces page the connector asks for (Qlik documents no maximum; 100 is what the
/// simulated tenant allows).
const MAX_LIMIT: i64 = 100;

const SPACE_EXAMPLE: &str = r#"{"id":"5f0f5f6a9d8d4c0001a1b2c3","name":"Finance","type":"shared","description":"Finance team content","ownerId":"60a7c4e8f1b2c3d4e5f60718","tenantId":"xqFQ0k66vSR8f9G7J-vYb7g8gI9i0PoS","createdAt":"2024-05-01T10:00:00.000Z","createdBy":"60a7c4e8f1b2c3d4e5f60718","updatedAt":"2024-05-02T08:30:00.000Z","links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/spaces/5f0f5f6a9d8d4c0001a1b2c3"},"assignments":{"href":"https://acme.us.qlikcloud.com/api/v1/spaces/5f0f5f6a9d8d4c0001a1b2c3/assignments"}},"meta":{"actions":["read","update","delete"],"roles":[],"assignableRoles":["consumer","contributor"]}}"#;

const NAME: InputSpec = InputSpec {
    required: true,
    example: Some("Finance"),
    ..InputSpec::text("name", "Space Name", "The name of the space; unique in the tenant.")
};

const DESCRIPTION: InputSpec = InputSpec {
    example: Some("Finance team content"),
    ..InputSpec::text("description", "Space Description", "The description of the space.")
};

const SPACE_TYPE: InputSpec = InputSpec {
    ty: InputType::Picklist(&["shared", "managed", "data"]),
    default: Some("\"shared\""),
    ..InputSpec::text("spaceType", "Type", "The type of space: shared, managed or data.")
};

const SORT: InputSpec = InputSpec {
    example: Some("-createdAt"),
    ..InputSpec::text("sort", "Sort", "Field to sort by: `name`, `type` or `createdAt`, with `-` for descending.")
};

/// updateSpace changes at least one field.
fn one_space_field(inputs: &Inputs) -> Result<()> {
    require_one_of(inputs, &["name", "description", "ownerId"])
}

/// The Spaces exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "createSpace",
        label: "Create Space",
        description: "Create a space.",
        kind: ExportKind::Action,
        inputs: &[NAME, DESCRIPTION, SPACE_TYPE],
        op: Op::Request(RequestSpec::post(
            "/spaces",
            BodySpec::Json {
                base: None,
                fields: &[("/name", "name"), ("/type", "spaceType"), ("/description", "description")],
            },
        )),
        check: None,
        example_output: SPACE_EXAMPLE,
    },
    ExportSpec {
        key: "getSpace",
        label: "Get Space",
        description: "Get a space by its ID.",
        kind: ExportKind::Action,
        inputs: &[SPACE_ID],
        op: Op::Request(RequestSpec::get("/spaces/{spaceId}")),
        check: None,
        example_output: SPACE_EXAMPLE,
    },
    ExportSpec {
        key: "updateSpace",
        label: "Update Space",
        description: "Change a space's name, description or owner; only the fields given change.",
        kind: ExportKind::Action,
        inputs: &[
            SPACE_ID,
            InputSpec { required: false, ..NAME },
            DESCRIPTION,
            InputSpec { data_source: Some("selectUser"), ..OWNER_ID },
        ],
        op: Op::Request(RequestSpec::patch(
            "/spaces/{spaceId}",
            BodySpec::PatchReplace(&[("/name", "name"), ("/description", "description"), ("/ownerId", "ownerId")]),
        )),
        check: Some(one_space_field),
        example_output: SPACE_EXAMPLE,
    },
    ExportSpec {
        key: "deleteSpace",
        label: "Delete Space",
        description: "Delete a space; Qlik refuses a space that still holds content.",
        kind: ExportKind::Action,
        inputs: &[SPACE_ID],
        op: Op::Request(RequestSpec::delete("/spaces/{spaceId}").output(OutputSpec::Deleted { id_input: "spaceId" })),
        check: None,
        example_output: r#"{"deleted":true,"id":"5f0f5f6a9d8d4c0001a1b2c3"}"#,
    },
    ExportSpec {
        key: "listSpaces",
        label: "List Spaces",
        description: "List the spaces the user can see, one page or all of them.",
        kind: ExportKind::Action,
        inputs: &[limit(MAX_LIMIT), SORT, PARAMS, PAGE, FETCH_ALL, MAX_RECORDS],
        op: Op::List(ListSpec {
            path: "/spaces",
            paging: PagingStyle::Cursor,
            max_limit: MAX_LIMIT,
            query: &[query("sort", "sort")],
        }),
        check: None,
        example_output: concat!(
            r#"{"data":[{"id":"5f0f5f6a9d8d4c0001a1b2c3","name":"Finance","type":"shared","createdAt":"2024-05-01T10:00:00.000Z","updatedAt":"2024-05-02T08:30:00.000Z"}],"#,
            r#""links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/spaces?limit=1"},"next":{"href":"https://acme.us.qlikcloud.com/api/v1/spaces?limit=1&next=b2Zmc2V0OjE"}},"#,
            r#""meta":{"count":2},"nextPage":"b2Zmc2V0OjE"}"#
        ),
    },
    ExportSpec {
        key: "selectSpace",
        label: "Select Space",
        description: "Pick a space.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: Op::Picklist(PicklistSpec {
            path: "/spaces",
            paging: PagingStyle::Cursor,
            page_size: MAX_LIMIT,
            fixed_query: &[],
            search: Search::Param("name"),
            key_field: "id",
            label: LabelRule::NameWithSpaceType,
        }),
        check: None,
        example_output: r#"[{"key":"5f0f5f6a9d8d4c0001a1b2c3","label":"Finance"},{"key":"62b1c2d3e4f5a6b7c8d9e0f1","label":"Sales (managed)"}]"#,
    },
];
