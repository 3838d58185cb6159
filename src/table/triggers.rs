//! The polling trigger `pollChangesTrigger` (connector.md §7) and where each resource type's
//! records, timestamps and update-time sort are.

use super::{ExportKind, ExportSpec, InputSpec, InputType, Op, PollSource};
use crate::paging::PagingStyle;
use crate::trigger::classify::{Dedupe, PollFields};

/// Fields of a record whose change is its update time.
const fn fields(id: &'static str, created: &'static str, updated: &'static str) -> PollFields {
    PollFields { id, created, updated, dedupe: Dedupe::UpdatedTime }
}

/// Every resource type the trigger polls.
pub const SOURCES: &[PollSource] = &[
    PollSource {
        resource: "spaces",
        path: "/spaces",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        sorts: &[],
        scope: &[],
        fields: fields("id", "createdAt", "updatedAt"),
    },
    PollSource {
        resource: "users",
        path: "/users",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        sorts: &[],
        scope: &[],
        fields: fields("id", "createdAt", "lastUpdatedAt"),
    },
    PollSource {
        resource: "dataFiles",
        path: "/data-files",
        paging: PagingStyle::PageCursor,
        page_size: 1000,
        fixed_query: &[("includeAllSpaces", "true")],
        sorts: &[("-modifiedDate", "modifiedDate")],
        scope: &[],
        fields: fields("id", "createdDate", "modifiedDate"),
    },
    PollSource {
        resource: "dataStores",
        path: "/data-stores",
        paging: PagingStyle::PageNumber,
        page_size: 100,
        fixed_query: &[],
        sorts: &[("-lastModifiedTime", "lastModifiedTime")],
        scope: &[],
        fields: fields("id", "createdTime", "lastModifiedTime"),
    },
    PollSource {
        resource: "apps",
        path: "/items",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[("resourceType", "app")],
        sorts: &[("-updatedAt", "updatedAt")],
        scope: &[],
        fields: fields("resourceId", "createdAt", "updatedAt"),
    },
    PollSource {
        resource: "reloads",
        path: "/reloads",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        sorts: &[("-creationTime", "creationTime"), ("-endTime", "endTime")],
        scope: &["appId", "filter"],
        fields: PollFields {
            id: "id",
            created: "creationTime",
            updated: "endTime",
            dedupe: Dedupe::FinalStatus { field: "status", finals: crate::ops::reloads::FINAL },
        },
    },
];

/// The resource types, as the picklist offers them.
const RESOURCE_TYPES: &[&str] = &["spaces", "users", "dataFiles", "dataStores", "apps", "reloads"];

/// The trigger's key; `ack-poll` acknowledges its polls.
pub const KEY: &str = "pollChangesTrigger";

/// The WIT function that acknowledges a poll (input `acknowledge`).
pub const ACK_WIT_NAME: &str = "ack-poll";

/// The trigger exports.
pub const EXPORTS: &[ExportSpec] = &[ExportSpec {
    key: KEY,
    label: "New and Updated Records",
    description: "Poll for records created or updated since the last poll: each change once, by dedupe key `<id>@<updated timestamp>`, against the tenant's own clock. Deletions are not detected.",
    kind: ExportKind::Trigger,
    inputs: &[
        InputSpec {
            ty: InputType::Picklist(RESOURCE_TYPES),
            required: true,
            example: Some("spaces"),
            ..InputSpec::text(
                "pollResourceType",
                "Resource Type",
                "What to watch: spaces, users, dataFiles, dataStores, apps, or reloads (new and finished ones).",
            )
        },
        InputSpec {
            ty: InputType::Boolean,
            default: Some("true"),
            ..InputSpec::text("showNewRecords", "Show New Records", "Report records created since the last poll.")
        },
        InputSpec {
            ty: InputType::Boolean,
            default: Some("true"),
            ..InputSpec::text("showUpdatedRecords", "Show Updated Records", "Report records updated since the last poll.")
        },
        InputSpec {
            ty: InputType::Integer { min: Some(0), max: Some(60) },
            default: Some("5"),
            ..InputSpec::text(
                "overlapMinutes",
                "Overlap (minutes)",
                "Each poll re-reads this much before the last one, so late writes are not lost.",
            )
        },
        InputSpec {
            required: false,
            comments: "Reloads only: watch this app's reloads; empty watches the whole tenant (tenant admins).",
            ..super::common::APP_ID
        },
        InputSpec {
            example: Some(r#"status eq "FAILED""#),
            ..InputSpec::text("filter", "Filter", "Reloads only: a SCIM filter on status, partial or type.")
        },
        InputSpec {
            ty: InputType::Boolean,
            default: Some("false"),
            ..InputSpec::text(
                "acknowledge",
                "Wait for Acknowledgement",
                "On: a poll's changes stay pending, and later polls report them again, until the host calls ack-poll with the poll's pollId. Off: the state advances at the poll.",
            )
        },
    ],
    op: Op::Poll(SOURCES),
    check: None,
    example_output: r#"{"created":[{"dedupeKey":"5f0f5f6a9d8d4c0001a1b2c3@2024-05-02T08:30:00.000Z","record":{"id":"5f0f5f6a9d8d4c0001a1b2c3","name":"Finance","createdAt":"2024-05-02T08:30:00.000Z","updatedAt":"2024-05-02T08:30:00.000Z"}}],"updated":[],"polledNoChanges":false,"skipped":0,"pollId":null}"#,
}];
