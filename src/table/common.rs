//! Inputs shared by several exports.

use super::{InputSpec, InputType};

/// Example id shown on id inputs.
const EXAMPLE_ID: &str = "5f0f5f6a9d8d4c0001a1b2c3";

/// `spaceId`, required, offered by `selectSpace`.
pub const SPACE_ID: InputSpec = InputSpec {
    required: true,
    example: Some(EXAMPLE_ID),
    data_source: Some("selectSpace"),
    ..InputSpec::text("spaceId", "Space ID", "The ID of the space.")
};

/// `appId`, required, offered by `selectApp`.
pub const APP_ID: InputSpec = InputSpec {
    required: true,
    example: Some("f5ceaff0-1c2d-4e3f-8a9b-0c1d2e3f4a5b"),
    data_source: Some("selectApp"),
    ..InputSpec::text("appId", "App ID", "The ID of the app.")
};

/// `ownerId`, offered by `selectUser`.
pub const OWNER_ID: InputSpec =
    InputSpec { example: Some(EXAMPLE_ID), ..InputSpec::text("ownerId", "Owner ID", "The user ID of the owner.") };

/// `limit`: page size; the maximum is the API's.
pub const fn limit(max: i64) -> InputSpec {
    InputSpec {
        ty: InputType::Integer { min: Some(1), max: Some(max) },
        example: Some("20"),
        ..InputSpec::text(
            "limit",
            "Limit",
            "Records per page; the API's default when empty. Each API has its own maximum.",
        )
    }
}

/// `page`: where to start, from an earlier output's `nextPage`.
pub const PAGE: InputSpec = InputSpec::text(
    "page",
    "Page",
    "Where to start: the `nextPage` value of an earlier output. Empty starts at the beginning.",
);

/// `fetchAll`: follow every page.
pub const FETCH_ALL: InputSpec = InputSpec {
    ty: InputType::Boolean,
    default: Some("false"),
    ..InputSpec::text("fetchAll", "Fetch All", "Follow every page and return all records (up to Max Records).")
};

/// `maxRecords`: cap for `fetchAll`.
pub const MAX_RECORDS: InputSpec = InputSpec {
    ty: InputType::Integer { min: Some(1), max: Some(1_000_000) },
    default: Some("10000"),
    ..InputSpec::text(
        "maxRecords",
        "Max Records",
        "With Fetch All, stop after this many records; the output then says `truncated: true`.",
    )
};

/// `paramsInputFields`: extra query parameters (filters).
pub const PARAMS: InputSpec = InputSpec {
    ty: InputType::KeyValueList,
    example: Some("name=Finance"),
    ..InputSpec::text(
        "paramsInputFields",
        "Query Params",
        "Extra query parameters such as filters. They cannot replace the ones this action sets (limit, the page position, sort).",
    )
};

/// `waitForCompletion`: poll a job until it ends; `comments` names the job's final statuses.
pub const fn wait_for_completion(comments: &'static str) -> InputSpec {
    InputSpec {
        ty: InputType::Boolean,
        default: Some("false"),
        ..InputSpec::text("waitForCompletion", "Wait For Completion", comments)
    }
}

/// `maxWaitSeconds`: how long waiting may take, at most `max`, by default `default`.
pub const fn max_wait_seconds(max: i64, default: &'static str) -> InputSpec {
    InputSpec {
        ty: InputType::Integer { min: Some(1), max: Some(max) },
        default: Some(default),
        ..InputSpec::text(
            "maxWaitSeconds",
            "Max Wait Seconds",
            "With waiting, stop after this long; the output then says `timedOut: true`.",
        )
    }
}

/// `search`: a case-insensitive substring filter for data sources.
pub const SEARCH: InputSpec =
    InputSpec::text("search", "Search", "Only items whose label contains this text (case-insensitive).");
