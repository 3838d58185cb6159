//! Reports (`/reports`): 202 + Location, a status machine on the simulated clock.

use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::ApiError;
use super::reply::Reply;
use super::request::Ctx;
use super::state::{Resource, State};

/// Template types `POST /reports` accepts (reports.json `ReportRequest.type`).
const TYPES: &[&str] = &[
    "composition-1.0",
    "sense-image-1.0",
    "sense-data-1.0",
    "sense-sheet-1.0",
    "sense-story-1.0",
    "qv-data-1.0",
    "qv-data-2.0",
    "sense-excel-template-1.0",
    "sense-pixel-perfect-template-1.0",
    "sense-html-template-1.0",
    "sense-powerpoint-template-1.0",
    "sense-word-template-1.0",
];
/// How a report ends.
const OUTCOMES: &[&str] = &["done", "failed", "aborted"];
/// Default seconds a new report stays `queued`, then `processing`.
const QUEUED_SECONDS: f64 = 1.0;
const PROCESSING_SECONDS: f64 = 2.0;

/// One report request.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub id: String,
    pub output_id: String,
    /// When it starts processing, and when it reaches `outcome`.
    pub processing_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub outcome: &'static str,
}

/// The records of this API.
#[derive(Debug, Default)]
pub(crate) struct ReportsState {
    pub reports: Vec<Report>,
}

/// A report to add (`POST /reports` or a seed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewReport {
    pub id: Option<String>,
    pub output_id: Option<String>,
    /// `done` (default), `failed` or `aborted`.
    pub outcome: Option<String>,
    pub queued_seconds: Option<f64>,
    pub processing_seconds: Option<f64>,
}

fn seconds(s: f64) -> Duration {
    Duration::milliseconds((s * 1000.0).round() as i64)
}

/// A UUID-shaped id from the generator.
fn uuid(st: &mut State) -> String {
    let h = st.gen.hex(16);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Checks a new report; `Err` says what is wrong (seeding).
fn check(st: &State, new: &NewReport) -> Result<&'static str, String> {
    let outcome = new.outcome.as_deref().unwrap_or("done");
    let outcome = OUTCOMES.iter().find(|o| **o == outcome).ok_or(format!("outcome must be one of {OUTCOMES:?}"))?;
    for s in [new.queued_seconds, new.processing_seconds].into_iter().flatten() {
        if !(0.0..=86_400.0).contains(&s) {
            return Err("queuedSeconds and processingSeconds must be between 0 and 86400".into());
        }
    }
    if let Some(id) = &new.id {
        if id.is_empty() || id.contains('/') || st.reports.reports.iter().any(|r| &r.id == id) {
            return Err(format!("report id {id:?} is empty, holds '/' or is taken"));
        }
    }
    Ok(outcome)
}

/// Adds a report starting now.
fn insert(st: &mut State, new: NewReport, outcome: &'static str) -> String {
    let now = st.now();
    let id = new.id.unwrap_or_else(|| uuid(st));
    let processing_at = now + seconds(new.queued_seconds.unwrap_or(QUEUED_SECONDS));
    let ends_at = processing_at + seconds(new.processing_seconds.unwrap_or(PROCESSING_SECONDS));
    let output_id = new.output_id.unwrap_or_else(|| "output1".into());
    st.reports.reports.push(Report { id: id.clone(), output_id, processing_at, ends_at, outcome });
    st.log_change(Resource::Reports, &id, "created", now);
    id
}

/// Seeds `count` generated reports and the explicit `records`; all or nothing.
pub(crate) fn seed(st: &mut State, count: usize, records: &[Value]) -> Result<Vec<String>, String> {
    let mut checked = Vec::new();
    for record in records {
        let new: NewReport =
            serde_json::from_value(record.clone()).map_err(|e| format!("invalid report record: {e}"))?;
        let outcome = check(st, &new)?;
        if new.id.is_some() && checked.iter().any(|(n, _): &(NewReport, _)| n.id == new.id) {
            return Err(format!("report id {:?} is given twice", new.id));
        }
        checked.push((new, outcome));
    }
    let mut created: Vec<String> = checked.into_iter().map(|(new, outcome)| insert(st, new, outcome)).collect();
    created.extend((0..count).map(|_| insert(st, NewReport::default(), "done")));
    Ok(created)
}

fn bad(detail: impl Into<String>, pointer: &str) -> ApiError {
    ApiError::bad_request(detail).coded("REP-400000", "Bad request").pointer(pointer)
}

/// POST /reports: checks the ReportRequest's `type` and `output`, answers 202 with `Location`.
pub(crate) fn create(st: &mut State, ctx: &Ctx) -> Result<Reply, ApiError> {
    let body = ctx.json().filter(Value::is_object).ok_or_else(|| bad("The body must be a JSON object.", ""))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if !TYPES.contains(&kind) {
        return Err(bad(format!("type must be one of {}.", TYPES.join(", ")), "/type"));
    }
    let output = body.get("output").filter(|o| o.is_object()).ok_or_else(|| bad("output is required.", "/output"))?;
    let output_id = output.get("outputId").and_then(Value::as_str).filter(|s| !s.is_empty());
    let output_id = output_id.ok_or_else(|| bad("output.outputId is required.", "/output/outputId"))?;
    if output.get("type").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(bad("output.type is required.", "/output/type"));
    }
    let new = NewReport { output_id: Some(output_id.to_string()), ..Default::default() };
    let id = insert(st, new, "done");
    let origin = ctx.origin(&st.identity.base_url);
    let body = json!({
        "message": "Report request has been accepted and is being processed.",
        "requestId": id,
        "outputsUrl": format!("{origin}/api/v1/reports/{id}/outputs"),
    });
    Ok(Reply::json(StatusCode::ACCEPTED, &body).with_header("location", format!("{origin}/api/v1/reports/{id}/status")))
}

/// GET /reports/{id}/status: `queued`, `processing`, then the report's outcome, by the clock.
pub(crate) fn status(st: &mut State, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
    let now = st.now();
    let report = st.reports.reports.iter().find(|r| r.id == id).cloned().ok_or_else(|| {
        ApiError::not_found(format!("Report request '{id}' was not found.")).coded("REP-404000", "Not found")
    })?;
    let status = if now < report.processing_at {
        "queued"
    } else if now < report.ends_at {
        "processing"
    } else {
        report.outcome
    };
    let mut body = json!({
        "status": status,
        "statusLocation": format!("/reports/{id}/status"),
        "resolutionAttempts": if status == "queued" { 0 } else { 1 },
    });
    let origin = ctx.origin(&st.identity.base_url);
    match status {
        "done" => {
            let content = st.gen.hex(12);
            body["results"] = json!([{ "outputId": report.output_id,
                "location": format!("{origin}/api/v1/temp-contents/{content}?inline=1") }]);
        }
        "failed" => {
            body["reasons"] = json!([{ "outputId": report.output_id, "traceId": ctx.trace_id,
                "exportErrors": [{ "code": "REP-500000", "title": "Internal error",
                    "detail": "The report could not be generated." }] }]);
        }
        _ => {}
    }
    Ok(Reply::json(StatusCode::OK, &body))
}
