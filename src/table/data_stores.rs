//! Data stores, data assets and data sets: actions and their data sources.

use super::common::{limit, FETCH_ALL, MAX_RECORDS, PAGE, PARAMS, SEARCH};
use super::{
    query, BodySpec, ExportKind, ExportSpec, InputSpec, InputType, LabelRule, ListSpec, Op, OutputSpec, PicklistSpec,
    RequestSpec, RmwSpec, Search,
};
use crate::error::{ConnectorError, Result};
use crate::inputs::{require_one_of, Inputs};
use crate::ops::data_stores::{check_store_ids, delete_data_stores_assets};
use crate::paging::PagingStyle;

/// Largest page of this API family.
const MAX_LIMIT: i64 = 100;

/// Example id shown on id inputs.
const EXAMPLE_ID: &str = "edaeaff0-faa1-41c4-a479-03ff004839dc";

/// Response-only fields a PUT must not send (`readOnly` in Qlik's schemas).
const READ_ONLY: &[&str] = &["tenantId", "createdBy", "createdTime", "lastModifiedBy", "lastModifiedTime"];

const STORE_EXAMPLE: &str = r#"{"id":"edaeaff0-faa1-41c4-a479-03ff004839dc","name":"Sales Warehouse","technicalName":"sales_dw","type":"snowflake","uri":"https://acme.snowflakecomputing.com","ownerId":"60a7c4e8f1b2c3d4e5f60718","spaceId":"5f0f5f6a9d8d4c0001a1b2c3","version":2,"createdTime":"2024-05-01T10:00:00.000Z","lastModifiedTime":"2024-05-02T08:30:00.000Z"}"#;

const ASSET_EXAMPLE: &str = r#"{"id":"65f1c2d3e4f5a6b7c8d9e0f1","name":"Orders","technicalName":"orders","appId":"2451e58e-a1b9-4047-abf6-315e91d8a610","appType":"QIX-DF","dataStoreInfo":{"id":"edaeaff0-faa1-41c4-a479-03ff004839dc","name":"Sales Warehouse","type":"snowflake"},"version":1,"createdTime":"2024-05-01T10:00:00.000Z","lastModifiedTime":"2024-05-01T10:00:00.000Z"}"#;

const SET_EXAMPLE: &str = r#"{"id":"f5ceaff0-faa1-41c4-a479-03ff004839dc","name":"Orders 2024","technicalName":"orders_2024.csv","qri":"qdf:qix-datafiles:xqFQ0k66:sid@5f0f5f6a:orders_2024.csv","secureQri":"qri:qdf:space://Ebw1EudUywmUi8p2bM7COr5OATHzuYxvT0BIrCc2irU#orders_2024.csv","dataAssetInfo":{"id":"65f1c2d3e4f5a6b7c8d9e0f1","name":"Orders"},"version":1,"createdTime":"2024-05-01T10:00:00.000Z"}"#;

const fn id(key: &'static str, label: &'static str, comments: &'static str, source: &'static str) -> InputSpec {
    InputSpec {
        required: true,
        example: Some(EXAMPLE_ID),
        data_source: Some(source),
        ..InputSpec::text(key, label, comments)
    }
}

const fn ids(key: &'static str, label: &'static str, comments: &'static str, source: &'static str) -> InputSpec {
    InputSpec { ty: InputType::ValueList, ..id(key, label, comments, source) }
}

const fn json(key: &'static str, label: &'static str, comments: &'static str) -> InputSpec {
    InputSpec { ty: InputType::Code, ..InputSpec::text(key, label, comments) }
}

const fn required(input: InputSpec, example: &'static str) -> InputSpec {
    InputSpec { required: true, example: Some(example), ..input }
}

const DATA_STORE_ID: InputSpec = id("dataStoreId", "Data Store ID", "The ID of the data store.", "selectDataStore");
const DATA_STORE_IDS: InputSpec =
    ids("dataStoreIds", "Data Store IDs", "The IDs of the data stores.", "selectDataStore");
const DATA_ASSETS_ID: InputSpec = id("dataAssetsId", "Data Asset ID", "The ID of the data asset.", "selectDataAsset");
const DATA_SET_ID: InputSpec = id("dataSetId", "Data Set ID", "The ID of the data set.", "selectDataSet");

const PROJECTIONS: InputSpec = InputSpec {
    ty: InputType::ValueList,
    example: Some("id,name"),
    ..InputSpec::text("projections", "Projections", "Fields to return; all fields when empty.")
};

const SORT: InputSpec = InputSpec {
    ty: InputType::ValueList,
    example: Some("name,-createdTime"),
    ..InputSpec::text("sort", "Sort", "Fields to sort by, comma-separated; `-` before a field sorts descending.")
};

const STORE_TECHNICAL_NAME: InputSpec =
    InputSpec::text("technicalName", "Technical Name", "Technical name of the data store.");
const STORE_TYPE: InputSpec = InputSpec::text("type", "Type", "The type of the data store, e.g. snowflake.");
const URI: InputSpec = InputSpec::text("uri", "URI", "The URI of the data store.");
const DATA_STORE_INPUT: InputSpec =
    json("dataStoreInput", "Data Store", "More data store fields as JSON; the inputs above win over it.");

const APP_ID: InputSpec = InputSpec {
    data_source: Some("selectApp"),
    ..InputSpec::text("appId", "App ID", "The ID of the app the data asset belongs to.")
};
const APP_TYPE: InputSpec = InputSpec::text("appType", "App Type", "The app type of the data asset, e.g. QIX-DF.");
const ASSET_TECHNICAL_NAME: InputSpec =
    InputSpec::text("technicalName", "Technical Name", "Technical name of the data asset.");
const DATA_ASSET_INPUT: InputSpec =
    json("dataAssetInput", "Data Asset", "More data asset fields as JSON; the inputs above win over it.");

const SET_TECHNICAL_NAME: InputSpec =
    InputSpec::text("technicalName", "Technical Name", "Technical name of the data set.");
const QRI: InputSpec = InputSpec::text(
    "qri",
    "QRI",
    "Qlik resource identifier: `qdf:<store-type>:<tenant-id>:<uid@user-id|sid@space-id>:<path-to-file>`.",
);
const SECURE_QRI: InputSpec = InputSpec::text("secureQri", "Secure QRI", "The secure QRI of the data set.");
const DATA_SET_INPUT: InputSpec =
    json("dataSetInput", "Data Set", "More data set fields as JSON; the inputs above win over it.");

const DELETED_IDS: &str = r#"{"deleted":true,"ids":["edaeaff0-faa1-41c4-a479-03ff004839dc"]}"#;

/// A JSON input given as something else than an object is refused before anything is sent.
fn object_input(inputs: &Inputs, key: &str) -> Result<()> {
    match inputs.get(key) {
        Some(value) if !value.is_object() => Err(ConnectorError::invalid(key, format!("{key} must be a JSON object"))),
        _ => Ok(()),
    }
}

fn create_store_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataStoreInput")
}

fn update_store_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataStoreInput")?;
    require_one_of(inputs, &["technicalName", "type", "uri", "dataStoreInput"])
}

fn create_asset_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataAssetInput")
}

fn update_asset_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataAssetInput")?;
    require_one_of(inputs, &["appId", "appType", "technicalName", "dataAssetInput"])
}

/// Qlik requires the data set's data asset: `dataAssetId`, or `dataAssetInfo.id` in the JSON.
fn create_set_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataSetInput")?;
    let in_json =
        inputs.get("dataSetInput").and_then(|v| v.pointer("/dataAssetInfo/id")).is_some_and(|id| id.is_string());
    if inputs.get("dataAssetId").is_none() && !in_json {
        return Err(ConnectorError::invalid("dataAssetId", "give dataAssetId (or dataAssetInfo.id in dataSetInput)"));
    }
    Ok(())
}

fn update_set_check(inputs: &Inputs) -> Result<()> {
    object_input(inputs, "dataSetInput")?;
    require_one_of(inputs, &["technicalName", "qri", "secureQri", "dataSetInput"])
}

const fn picklist(path: &'static str, label: &'static [&'static str]) -> Op {
    Op::Picklist(PicklistSpec {
        path,
        paging: PagingStyle::PageNumber,
        page_size: MAX_LIMIT,
        fixed_query: &[],
        search: Search::Local,
        key_field: "id",
        label: LabelRule::FirstOf(label),
    })
}

/// The exports of this group.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "listDataStores",
        label: "List Data Stores",
        description: "List data stores, one page or all of them.",
        kind: ExportKind::Action,
        inputs: &[limit(MAX_LIMIT), SORT, PARAMS, PAGE, FETCH_ALL, MAX_RECORDS, PROJECTIONS],
        op: Op::List(ListSpec {
            path: "/data-stores",
            paging: PagingStyle::PageNumber,
            max_limit: MAX_LIMIT,
            query: &[query("sort", "sort"), query("projections", "projections")],
        }),
        check: None,
        example_output: r#"{"data":[{"id":"edaeaff0-faa1-41c4-a479-03ff004839dc","name":"Sales Warehouse","technicalName":"sales_dw","type":"snowflake","version":2}],"page":0,"limit":1,"pages":2,"total":2,"links":{"next":{"href":"https://acme.us.qlikcloud.com/api/v1/data-stores?limit=1&page=1"}},"nextPage":"1"}"#,
    },
    ExportSpec {
        key: "getDataStore",
        label: "Get Data Store",
        description: "Get a data store by its ID.",
        kind: ExportKind::Action,
        inputs: &[DATA_STORE_ID, PROJECTIONS],
        op: Op::Request(RequestSpec::get("/data-stores/{dataStoreId}").query(&[query("projections", "projections")])),
        check: None,
        example_output: STORE_EXAMPLE,
    },
    ExportSpec {
        key: "createDataStore",
        label: "Create Data Store",
        description: "Create a data store.",
        kind: ExportKind::Action,
        inputs: &[required(STORE_TECHNICAL_NAME, "sales_dw"), required(STORE_TYPE, "snowflake"), URI, DATA_STORE_INPUT],
        op: Op::Request(RequestSpec::post(
            "/data-stores",
            BodySpec::Json {
                base: Some("dataStoreInput"),
                fields: &[("/technicalName", "technicalName"), ("/type", "type"), ("/uri", "uri")],
            },
        )),
        check: Some(create_store_check),
        example_output: STORE_EXAMPLE,
    },
    ExportSpec {
        key: "updateDataStore",
        label: "Update Data Store",
        description: "Change a data store; only the fields given change.",
        kind: ExportKind::Action,
        inputs: &[DATA_STORE_ID, STORE_TECHNICAL_NAME, STORE_TYPE, URI, DATA_STORE_INPUT],
        op: Op::ReadMergeWrite(RmwSpec {
            path: "/data-stores/{dataStoreId}",
            base: Some("dataStoreInput"),
            fields: &[("/technicalName", "technicalName"), ("/type", "type"), ("/uri", "uri")],
            read_only: READ_ONLY,
        }),
        check: Some(update_store_check),
        example_output: STORE_EXAMPLE,
    },
    ExportSpec {
        key: "deleteDataStores",
        label: "Delete Data Stores",
        description: "Delete data stores that hold no data assets.",
        kind: ExportKind::Action,
        inputs: &[DATA_STORE_IDS],
        op: Op::Request(
            RequestSpec::delete("/data-stores")
                .body(BodySpec::Json { base: None, fields: &[("/ids", "dataStoreIds")] })
                .output(OutputSpec::DeletedIds { ids_input: "dataStoreIds" }),
        ),
        check: None,
        example_output: DELETED_IDS,
    },
    ExportSpec {
        key: "deleteDataStoresAssets",
        label: "Delete Data Stores Assets",
        description: "Delete the data assets of data stores.",
        kind: ExportKind::Action,
        inputs: &[
            DATA_STORE_IDS,
            InputSpec {
                required: false,
                ..ids(
                    "dataAssetsIds",
                    "Data Asset IDs",
                    "Only these data assets of the data stores; all of them when empty.",
                    "selectDataAsset",
                )
            },
        ],
        op: Op::Custom(delete_data_stores_assets),
        check: Some(check_store_ids),
        example_output: r#"{"deleted":true,"dataStoreIds":["edaeaff0-faa1-41c4-a479-03ff004839dc"],"ids":["65f1c2d3e4f5a6b7c8d9e0f1"]}"#,
    },
    ExportSpec {
        key: "getDataAssets",
        label: "Get Data Asset",
        description: "Get a data asset by its ID.",
        kind: ExportKind::Action,
        inputs: &[DATA_ASSETS_ID, PROJECTIONS],
        op: Op::Request(RequestSpec::get("/data-assets/{dataAssetsId}").query(&[query("projections", "projections")])),
        check: None,
        example_output: ASSET_EXAMPLE,
    },
    ExportSpec {
        key: "createDataAssets",
        label: "Create Data Asset",
        description: "Create a data asset.",
        kind: ExportKind::Action,
        inputs: &[
            InputSpec { required: true, example: Some(EXAMPLE_ID), ..APP_ID },
            required(APP_TYPE, "QIX-DF"),
            required(ASSET_TECHNICAL_NAME, "orders"),
            DATA_ASSET_INPUT,
        ],
        op: Op::Request(RequestSpec::post(
            "/data-assets",
            BodySpec::Json {
                base: Some("dataAssetInput"),
                fields: &[("/appId", "appId"), ("/appType", "appType"), ("/technicalName", "technicalName")],
            },
        )),
        check: Some(create_asset_check),
        example_output: ASSET_EXAMPLE,
    },
    ExportSpec {
        key: "updateDataAssets",
        label: "Update Data Asset",
        description: "Change a data asset; only the fields given change.",
        kind: ExportKind::Action,
        inputs: &[DATA_ASSETS_ID, APP_ID, APP_TYPE, ASSET_TECHNICAL_NAME, DATA_ASSET_INPUT],
        op: Op::ReadMergeWrite(RmwSpec {
            path: "/data-assets/{dataAssetsId}",
            base: Some("dataAssetInput"),
            fields: &[("/appId", "appId"), ("/appType", "appType"), ("/technicalName", "technicalName")],
            read_only: READ_ONLY,
        }),
        check: Some(update_asset_check),
        example_output: ASSET_EXAMPLE,
    },
    ExportSpec {
        key: "deleteDataAssets",
        label: "Delete Data Assets",
        description: "Delete data assets and their data sets.",
        kind: ExportKind::Action,
        inputs: &[InputSpec {
            aliases: &["dataSetIds"],
            ..ids("dataAssetIds", "Data Asset IDs", "The IDs of the data assets.", "selectDataAsset")
        }],
        op: Op::Request(
            RequestSpec::delete("/data-assets")
                .body(BodySpec::Json { base: None, fields: &[("/ids", "dataAssetIds")] })
                .output(OutputSpec::DeletedIds { ids_input: "dataAssetIds" }),
        ),
        check: None,
        example_output: DELETED_IDS,
    },
    ExportSpec {
        key: "getDataset",
        label: "Get Data Set",
        description: "Get a data set by its ID.",
        kind: ExportKind::Action,
        inputs: &[DATA_SET_ID, PROJECTIONS],
        op: Op::Request(RequestSpec::get("/data-sets/{dataSetId}").query(&[query("projections", "projections")])),
        check: None,
        example_output: SET_EXAMPLE,
    },
    ExportSpec {
        key: "createDataset",
        label: "Create New Data Set",
        description: "Create a data set in a data asset.",
        kind: ExportKind::Action,
        inputs: &[
            required(SET_TECHNICAL_NAME, "orders_2024.csv"),
            required(QRI, "qdf:qix-datafiles:xqFQ0k66:sid@5f0f5f6a:orders_2024.csv"),
            required(SECURE_QRI, "qri:qdf:space://orders_2024.csv"),
            InputSpec {
                required: false,
                ..id("dataAssetId", "Data Asset ID", "The data asset the data set belongs to.", "selectDataAsset")
            },
            DATA_SET_INPUT,
        ],
        op: Op::Request(RequestSpec::post(
            "/data-sets",
            BodySpec::Json {
                base: Some("dataSetInput"),
                fields: &[
                    ("/technicalName", "technicalName"),
                    ("/qri", "qri"),
                    ("/secureQri", "secureQri"),
                    ("/dataAssetInfo/id", "dataAssetId"),
                ],
            },
        )),
        check: Some(create_set_check),
        example_output: SET_EXAMPLE,
    },
    ExportSpec {
        key: "updateDataset",
        label: "Update Data Set",
        description: "Change a data set; only the fields given change.",
        kind: ExportKind::Action,
        inputs: &[DATA_SET_ID, SET_TECHNICAL_NAME, QRI, SECURE_QRI, DATA_SET_INPUT],
        op: Op::ReadMergeWrite(RmwSpec {
            path: "/data-sets/{dataSetId}",
            base: Some("dataSetInput"),
            fields: &[("/technicalName", "technicalName"), ("/qri", "qri"), ("/secureQri", "secureQri")],
            read_only: READ_ONLY,
        }),
        check: Some(update_set_check),
        example_output: SET_EXAMPLE,
    },
    ExportSpec {
        key: "deleteDataset",
        label: "Delete Data Sets",
        description: "Delete data sets.",
        kind: ExportKind::Action,
        inputs: &[ids("dataSetIds", "Data Set IDs", "The IDs of the data sets.", "selectDataSet")],
        op: Op::Request(
            RequestSpec::delete("/data-sets")
                .body(BodySpec::Json { base: None, fields: &[("/ids", "dataSetIds")] })
                .output(OutputSpec::DeletedIds { ids_input: "dataSetIds" }),
        ),
        check: None,
        example_output: DELETED_IDS,
    },
    ExportSpec {
        key: "selectDataStore",
        label: "Select Data Store",
        description: "Pick a data store.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: picklist("/data-stores", &["name"]),
        check: None,
        example_output: r#"[{"key":"edaeaff0-faa1-41c4-a479-03ff004839dc","label":"Sales Warehouse"}]"#,
    },
    ExportSpec {
        key: "selectDataAsset",
        label: "Select Data Asset",
        description: "Pick a data asset of any data store.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: picklist("/data-stores/*/data-assets", &["name", "technicalName"]),
        check: None,
        example_output: r#"[{"key":"65f1c2d3e4f5a6b7c8d9e0f1","label":"Orders"}]"#,
    },
    ExportSpec {
        key: "selectDataSet",
        label: "Select Data Set",
        description: "Pick a data set of any data asset.",
        kind: ExportKind::DataSource,
        inputs: &[SEARCH],
        op: picklist("/data-stores/*/data-assets/*/data-sets", &["name", "technicalName"]),
        check: None,
        example_output: r#"[{"key":"f5ceaff0-faa1-41c4-a479-03ff004839dc","label":"Orders 2024"}]"#,
    },
];
