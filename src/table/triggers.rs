//! The polling trigger `pollChangesTrigger` (connector.md §7) and where each resource type's
//! records, timestamps and update-time sort are.

use super::{ExportKind, ExportSpec, InputSpec, InputType, Op, PollSource};
use crate::paging::PagingStyle;
use crate::trigger::classify::PollFields;

const AT: PollFields = PollFields { id: "id", created: "createdAt", updated: "updatedAt" };

/// Every resource type the trigger polls.
pub const SOURCES: &[PollSource] = &[
    PollSource {
        resource: "spaces",
        path: "/spaces",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        sort: None,
        fields: AT,
    },
    PollSource {
        resource: "users",
        path: "/users",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[],
        sort: None,
        fields: PollFields { id: "id", created: "createdAt", updated: "lastUpdatedAt" },
    },
    PollSource {
        resource: "dataFiles",
        path: "/data-files",
        paging: PagingStyle::PageCursor,
        page_size: 1000,
        fixed_query: &[("includeAllSpaces", "true")],
        sort: Some("-modifiedDate"),
        fields: PollFields { id: "id", created: "createdDate", updated: "modifiedDate" },
    },
    PollSource {
        resource: "dataStores",
        path: "/data-stores",
        paging: PagingStyle::PageNumber,
        page_size: 100,
        fixed_query: &[],
        sort: Some("-lastModifiedTime"),
        fields: PollFields { id: "id", created: "createdTime", updated: "lastModifiedTime" },
    },
    PollSource {
        resource: "apps",
        path: "/items",
        paging: PagingStyle::Cursor,
        page_size: 100,
        fixed_query: &[("resourceType", "app")],
        sort: Some("-updatedAt"),
        fields: PollFields { id: "resourceId", created: "createdAt", updated: "updatedAt" },
    },
];

/// The resource types, as the picklist offers them.
const RESOURCE_TYPES: &[&str] = &["spaces", "users", "dataFiles", "dataStores", "apps"];

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
            ..InputSpec::text("pollResourceType", "Resource Type", "What to watch: spaces, users, dataFiles, dataStores or apps.")
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
