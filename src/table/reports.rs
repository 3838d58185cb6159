//! Reports: create a report request and follow its status.

use super::common::{max_wait_seconds, wait_for_completion};
use super::{ExportKind, ExportSpec, InputSpec, InputType, Op};
use crate::error::{ConnectorError, Result};
use crate::inputs::{check_path_ids, Inputs};
use serde_json::Value;

const REPORT_INPUT: InputSpec = InputSpec {
    ty: InputType::Code,
    required: true,
    example: Some(
        r#"{"type":"sense-sheet-1.0","output":{"type":"pdf","outputId":"output1"},"senseSheetTemplate":{"appId":"2451e58e-a1b9-4047-abf6-315e91d8a610","sheet":{"id":"ffrxJyA"}}}"#,
    ),
    ..InputSpec::text(
        "reportInput",
        "Report",
        "The report request as Qlik's ReportRequest JSON (type, output and the matching template); sent as given.",
    )
};

const REPORT_ID: InputSpec = InputSpec {
    required: true,
    example: Some("f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1"),
    ..InputSpec::text("reportId", "Report ID", "The ID of the report request, from Create Report's `reportId`.")
};

const WAIT: InputSpec =
    wait_for_completion("Poll until the report is done, failed or aborted, or Max Wait Seconds pass.");

const MAX_WAIT: InputSpec = max_wait_seconds(300, "60");

/// The report request is a JSON object with Qlik's required `type` and `output`.
fn report_object(inputs: &Inputs) -> Result<()> {
    let Some(report) = inputs.get("reportInput") else { return Ok(()) };
    if report.get("type").is_some_and(Value::is_string) && report.get("output").is_some_and(Value::is_object) {
        return Ok(());
    }
    Err(ConnectorError::invalid("reportInput", "reportInput must be a JSON object with a type and an output"))
}

/// The report id goes into a path.
fn report_id(inputs: &Inputs) -> Result<()> {
    check_path_ids(crate::ops::reports::STATUS_PATH, inputs)
}

/// The Reports exports.
pub const EXPORTS: &[ExportSpec] = &[
    ExportSpec {
        key: "createReport",
        label: "Create Report",
        description: "Request a report; Qlik answers at once and builds it in the background.",
        kind: ExportKind::Action,
        inputs: &[REPORT_INPUT],
        op: Op::Custom(crate::ops::reports::create),
        check: Some(report_object),
        example_output: r#"{"message":"Report request has been accepted and is being processed.","requestId":"f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1","outputsUrl":"https://acme.us.qlikcloud.com/api/v1/reports/f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1/outputs","reportId":"f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1","statusLocation":"https://acme.us.qlikcloud.com/api/v1/reports/f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1/status"}"#,
    },
    ExportSpec {
        key: "getReportRequestStatus",
        label: "Get Report Request Status",
        description: "Get the status of a report request, optionally waiting until it ends.",
        kind: ExportKind::Action,
        inputs: &[REPORT_ID, WAIT, MAX_WAIT],
        op: Op::Custom(crate::ops::reports::status),
        check: Some(report_id),
        example_output: r#"{"status":"done","statusLocation":"/reports/f5ceaff0-2bd0-4a2c-8e4b-0bd8a0b3e5d1/status","resolutionAttempts":1,"results":[{"outputId":"output1","location":"https://acme.us.qlikcloud.com/api/v1/temp-contents/619baab68023910001efcb86?inline=1"}]}"#,
    },
];
