//! Data files: actions (multipart uploads) and the `selectDataFile` data source.

use super::common::{limit, FETCH_ALL, MAX_RECORDS, PAGE, PARAMS, SEARCH};
use super::{
    query, ExportKind, ExportSpec, InputSpec, InputType, LabelRule, ListSpec, Op, OutputSpec, PicklistSpec,
    RequestSpec, Search,
};
use crate::error::Result;
use crate::inputs::{check_path_ids, require_one_of, Inputs};
use crate::ops::data_files::{create, update};
use crate::paging::PagingStyle;

/// Largest data-files page Qlik allows.
const MAX_LIMIT: i64 = 1000;

const FILE_EXAMPLE: &str = r#"{"id":"ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc","name":"sales.csv","baseName":"sales.csv","size":1024,"ownerId":"60a7c4e8f1b2c3d4e5f60718","spaceId":null,"createdDate":"2024-05-01T10:00:00.000Z","modifiedDate":"2024-05-02T08:30:00.000Z","actions":["read","update","delete","list","change_owner","change_space"]}"#;

const DATA_FILE_ID: InputSpec = InputSpec {
    required: true,
    example: Some("ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc"),
    data_source: Some("selectDataFile"),
    ..InputSpec::text("dataFileId", "Data File ID", "The ID of the data file.")
};

const FILE_NAME: InputSpec = InputSpec {
    required: true,
    example: Some("sales.csv"),
    ..InputSpec::text("fileName", "File Name", "The file's name in Qlik; `/` separates folders.")
};

const FILE_INPUT: InputSpec = InputSpec {
    ty: InputType::File,
    required: true,
    example: Some("region,amount\nNorth,10\n"),
    ..InputSpec::text(
        "fileInput",
        "File",
        "The file's content: its text, or {\"base64\": ..., \"contentType\": ...} for binary files (up to 32 MiB).",
    )
};

const CONNECTION_ID: InputSpec = InputSpec {
    example: Some("ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc"),
    ..InputSpec::text(
        "connectionId",
        "Connection ID",
        "The data-files connection of the space that holds the file; empty means the personal space.",
    )
};

const JSON: InputSpec = InputSpec {
    ty: InputType::Code,
    example: Some(r#"{"appId":"f34b91a1-0dc3-44ac-a847-51cb84122c84"}"#),
    ..InputSpec::text("json", "JSON", "More upload fields such as `appId` or `folderId`; the inputs above win.")
};

const SORT: InputSpec = InputSpec {
    example: Some("-modifiedDate"),
    ..InputSpec::text("sort", "Sort", "Sort by `name`, `size`, `modifiedDate`, `folder` or `baseName`; `-` descends.")
};

/// updateDataFile names a valid id (its custom op has no path template) and changes at least
/// one thing.
fn one_file_change(inputs: &Inputs) -> Result<()> {
    check_path_ids(crate::ops::data_files::FILE_PATH, inputs)?;
    require_one_of(inputs, &["fileInput", "fileName", "json"])
}

/// The data-files exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "listDatafiles",
        label: "List Data Files",
        description: "List data files, one page or all of them.",
        kind: ExportKind::Action,
        inputs: &[
            limit(MAX_LIMIT),
            SORT,
            InputSpec { required: false, ..CONNECTION_ID },
            PARAMS,
            PAGE,
            FETCH_ALL,
            MAX_RECORDS,
        ],
        op: Op::List(ListSpec {
            path: "/data-files",
            paging: PagingStyle::PageCursor,
            max_limit: MAX_LIMIT,
            query: &[query("sort", "sort"), query("connectionId", "connectionId")],
        }),
        check: None,
        example_output: concat!(
            r#"{"data":[{"id":"ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc","name":"sales.csv","size":1024,"createdDate":"2024-05-01T10:00:00.000Z"}],"#,
            r#""links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/data-files?limit=1"},"next":{"href":"https://acme.us.qlikcloud.com/api/v1/data-files?limit=1&page=bjE"},"prev":{}},"#,
            r#""nextPage":"bjE"}"#
        ),
    },
    ExportSpec {
        key: "getDataFile",
        label: "Get Data File",
        description: "Get a data file's details by its ID.",
        kind: ExportKind::Action,
        inputs: &[DATA_FILE_ID],
        op: Op::Request(RequestSpec::get("/data-files/{dataFileId}")),
        check: None,
        example_output: FILE_EXAMPLE,
    },
    ExportSpec {
        key: "createDataFile",
        label: "Create Data File",
        description: "Upload a new data file.",
        kind: ExportKind::Action,
        inputs: &[FILE_NAME, FILE_INPUT, CONNECTION_ID, JSON],
        op: Op::Custom(create),
        check: None,
        example_output: FILE_EXAMPLE,
    },
    ExportSpec {
        key: "updateDataFile",
        label: "Update Data File",
        description: "Replace a data file's content, rename it, or change other upload fields.",
        kind: ExportKind::Action,
        inputs: &[
            DATA_FILE_ID,
            InputSpec { required: false, ..FILE_INPUT },
            InputSpec { required: false, ..FILE_NAME },
            JSON,
        ],
        op: Op::Custom(update),
        check: Some(one_file_change),
        example_output: FILE_EXAMPLE,
    },
    ExportSpec {
        key: "deleteDataFile",
        label: "Delete Data File",
        description: "Delete a data file (a folder with everything in it).",
        kind: ExportKind::Action,
        inputs: &[DATA_FILE_ID],
        op: Op::Request(
            RequestSpec::delete("/data-files/{dataFileId}").output(OutputSpec::Deleted { id_input: "dataFileId" }),
        ),
        check: None,
        example_output: r#"{"deleted":true,"id":"ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc"}"#,
    },
    ExportSpec {
        key: "selectDataFile",
        label: "Select Data File",
        description: "Pick a data file.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: Op::Picklist(PicklistSpec {
            path: "/data-files",
            paging: PagingStyle::PageCursor,
            page_size: MAX_LIMIT,
            fixed_query: &[("includeAllSpaces", "true")],
            search: Search::Wildcard("baseNameWildcard"),
            key_field: "id",
            label: LabelRule::FirstOf(&["name"]),
        }),
        check: None,
        example_output: r#"[{"key":"ee6a390c-5d33-11e8-9c2d-fa7ae01bbebc","label":"sales.csv"}]"#,
    },
];
