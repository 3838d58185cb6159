//! Reloads (connector.md §9): reload an app (and wait for it), read, list and cancel reloads.

use super::common::{limit, max_wait_seconds, wait_for_completion, APP_ID, FETCH_ALL, MAX_RECORDS, PAGE};
use super::{query, ExportKind, ExportSpec, InputSpec, InputType, ListSpec, Op, RequestSpec};
use crate::error::{ConnectorError, Result};
use crate::inputs::{check_path_ids, Inputs};
use crate::ops::reloads::{CANCEL_PATH, MAX_VARIABLES, MAX_VARIABLE_CHARS};
use crate::paging::PagingStyle;

/// Largest reloads page (reloads.json).
const MAX_LIMIT: i64 = 100;

const RELOAD_EXAMPLE: &str = r#"{"id":"65f1c0a8e4b0c2a1d3f4e5a6","appId":"f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b","tenantId":"xqFQ0k66vSR8f9G7J-vYb7g8gI9i0PoS","userId":"60a7c4e8f1b2c3d4e5f60718","type":"external","status":"SUCCEEDED","partial":false,"creationTime":"2024-05-02T08:30:00.000Z","startTime":"2024-05-02T08:30:01.000Z","endTime":"2024-05-02T08:30:09.000Z","engineTime":"2024-05-02T08:30:08.000Z"}"#;

const RELOAD_ID: InputSpec = InputSpec {
    required: true,
    example: Some("65f1c0a8e4b0c2a1d3f4e5a6"),
    ..InputSpec::text("reloadId", "Reload ID", "The ID of the reload, from Reload App or List Reloads.")
};

const PARTIAL: InputSpec = InputSpec {
    ty: InputType::Boolean,
    default: Some("false"),
    ..InputSpec::text("partial", "Partial Reload", "Run a partial reload (the script's Add and Replace loads only).")
};

const VARIABLES: InputSpec = InputSpec {
    ty: InputType::KeyValueList,
    example: Some("region=North"),
    ..InputSpec::text(
        "variables",
        "Variables",
        "Script variables for this reload: at most 20, names and values up to 256 characters.",
    )
};

const WAIT: InputSpec = wait_for_completion(
    "Poll until the reload succeeded, failed, was canceled or exceeded its limits, or Max Wait Seconds pass.",
);

const MAX_WAIT: InputSpec = max_wait_seconds(3600, "300");

const FILTER: InputSpec = InputSpec {
    example: Some(r#"status eq "FAILED""#),
    ..InputSpec::text("filter", "Filter", "A SCIM filter on status, partial or type, e.g. `status eq \"FAILED\"`.")
};

const SORT: InputSpec = InputSpec {
    ty: InputType::Picklist(&[
        "-creationTime",
        "+creationTime",
        "-startTime",
        "+startTime",
        "-endTime",
        "+endTime",
        "-status",
        "+status",
    ]),
    example: Some("-creationTime"),
    ..InputSpec::text("sort", "Sort", "The order: creation, start or end time, or status; `-` for descending.")
};

const LOG: InputSpec =
    InputSpec { ty: InputType::Boolean, ..InputSpec::text("log", "Include Log", "Include each reload's log.") };

/// Script variables within reloads.json's limits.
fn variables(inputs: &Inputs) -> Result<()> {
    let pairs = inputs.pairs("variables");
    let too_long =
        pairs.iter().any(|(k, v)| k.chars().count() > MAX_VARIABLE_CHARS || v.chars().count() > MAX_VARIABLE_CHARS);
    if pairs.len() > MAX_VARIABLES || too_long {
        return Err(ConnectorError::invalid(
            "variables",
            "at most 20 variables, names and values up to 256 characters",
        ));
    }
    Ok(())
}

/// The reload id goes into a path.
fn reload_id(inputs: &Inputs) -> Result<()> {
    check_path_ids(CANCEL_PATH, inputs)
}

/// The Reloads exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "reloadApp",
        label: "Reload App",
        description: "Reload an app's data, optionally waiting until the reload finished. A failed reload is an output: branch on `status`.",
        kind: ExportKind::Action,
        inputs: &[APP_ID, PARTIAL, VARIABLES, WAIT, MAX_WAIT],
        op: Op::Custom(crate::ops::reloads::reload),
        check: Some(variables),
        example_output: RELOAD_EXAMPLE,
    },
    ExportSpec {
        key: "getReload",
        label: "Get Reload",
        description: "Get a reload by its ID: status, times, and the error when it failed.",
        kind: ExportKind::Action,
        inputs: &[RELOAD_ID],
        op: Op::Request(RequestSpec::get("/reloads/{reloadId}")),
        check: None,
        example_output: RELOAD_EXAMPLE,
    },
    ExportSpec {
        key: "listReloads",
        label: "List Reloads",
        description: "List reloads, of one app or (for tenant admins) of the whole tenant, one page or all of them.",
        kind: ExportKind::Action,
        inputs: &[
            InputSpec { required: false, comments: "Only this app's reloads; tenant admins may leave it empty.", ..APP_ID },
            FILTER,
            InputSpec { default: None, comments: "Only partial (true) or only full (false) reloads.", ..PARTIAL },
            LOG,
            SORT,
            limit(MAX_LIMIT),
            PAGE,
            FETCH_ALL,
            MAX_RECORDS,
        ],
        op: Op::List(ListSpec {
            path: "/reloads",
            paging: PagingStyle::Cursor,
            max_limit: MAX_LIMIT,
            query: &[query("appId", "appId"), query("filter", "filter"), query("partial", "partial"), query("log", "log"), query("sort", "sort")],
        }),
        check: None,
        example_output: concat!(
            r#"{"data":[{"id":"65f1c0a8e4b0c2a1d3f4e5a6","appId":"f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b","type":"external","status":"FAILED","partial":false,"creationTime":"2024-05-02T08:30:00.000Z","endTime":"2024-05-02T08:30:09.000Z","errorCode":"EngineConnectionError"}],"#,
            r#""links":{"self":{"href":"https://acme.us.qlikcloud.com/api/v1/reloads?limit=1"}},"nextPage":null}"#
        ),
    },
    ExportSpec {
        key: "cancelReload",
        label: "Cancel Reload",
        description: "Cancel a queued or running reload (status 204: canceled; 202: being canceled).",
        kind: ExportKind::Action,
        inputs: &[RELOAD_ID],
        op: Op::Custom(crate::ops::reloads::cancel),
        check: Some(reload_id),
        example_output: r#"{"canceled":true,"id":"65f1c0a8e4b0c2a1d3f4e5a6","status":204}"#,
    },
];
