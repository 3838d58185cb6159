//! Method and path to a route: `GET /v1/manifest`, `POST /v1/{actions,data-sources,triggers}/{key}`
//! and `POST /v1/triggers/{key}/ack`.

use crate::reply::Reply;

/// The manifest groups that hold exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// `/v1/actions/{key}`
    Actions,
    /// `/v1/data-sources/{key}`
    DataSources,
    /// `/v1/triggers/{key}`
    Triggers,
}

impl Group {
    /// The manifest's field listing this group's entries.
    pub fn manifest_field(self) -> &'static str {
        match self {
            Group::Actions => "actions",
            Group::DataSources => "dataSources",
            Group::Triggers => "triggers",
        }
    }

    fn from_segment(segment: &str) -> Option<Group> {
        match segment {
            "actions" => Some(Group::Actions),
            "data-sources" => Some(Group::DataSources),
            "triggers" => Some(Group::Triggers),
            _ => None,
        }
    }
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /v1/manifest`
    Manifest,
    /// `POST /v1/{group}/{key}`: call the export.
    Call {
        /// Where the key is looked up.
        group: Group,
        /// The export's manifest key.
        key: &'a str,
    },
    /// `POST /v1/triggers/{key}/ack`: `ack-poll` for the trigger `key`.
    Ack {
        /// The trigger's manifest key.
        key: &'a str,
    },
}

/// The route of `method` and `path` (a query string is ignored), or the answer when there is
/// none: 404 for an unknown path, 405 (with `Allow`) for a known path and another method.
pub fn route<'a>(method: &str, path: &'a str) -> Result<Route<'a>, Reply> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let segments: Vec<&str> = path.strip_prefix("/v1/").map(|rest| rest.split('/').collect()).unwrap_or_default();
    let (route, allowed) = match segments.as_slice() {
        ["manifest"] => (Route::Manifest, "GET"),
        [group, key] if !key.is_empty() => match Group::from_segment(group) {
            Some(group) => (Route::Call { group, key }, "POST"),
            None => return Err(no_route()),
        },
        ["triggers", key, "ack"] if !key.is_empty() => (Route::Ack { key }, "POST"),
        _ => return Err(no_route()),
    };
    if method != allowed {
        return Err(Reply::failure(405, "method-not-allowed", &format!("this route answers {allowed} only"))
            .with_header("allow", allowed));
    }
    Ok(route)
}

fn no_route() -> Reply {
    Reply::failure(
        404,
        "no-such-route",
        "the routes are GET /v1/manifest and POST /v1/{actions,data-sources,triggers}/{key} (and /v1/triggers/{key}/ack)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("GET", "/v1/manifest"), Ok(Route::Manifest));
        assert_eq!(route("POST", "/v1/actions/getSpace"), Ok(Route::Call { group: Group::Actions, key: "getSpace" }));
        assert_eq!(
            route("POST", "/v1/data-sources/selectApp?x=1"),
            Ok(Route::Call { group: Group::DataSources, key: "selectApp" })
        );
        assert_eq!(
            route("POST", "/v1/triggers/pollChangesTrigger"),
            Ok(Route::Call { group: Group::Triggers, key: "pollChangesTrigger" })
        );
        assert_eq!(route("POST", "/v1/triggers/pollChangesTrigger/ack"), Ok(Route::Ack { key: "pollChangesTrigger" }));
    }

    #[test]
    fn unknown_paths_are_404_and_other_methods_405() {
        for path in
            ["/", "/v1", "/v1/", "/v2/manifest", "/v1/manifest/x", "/v1/actions/", "/v1/things/a", "/v1/actions/a/b"]
        {
            assert_eq!(route("POST", path).unwrap_err().status, 404, "{path}");
        }
        let wrong = route("POST", "/v1/manifest").unwrap_err();
        assert_eq!((wrong.status, wrong.header("allow")), (405, Some("GET")));
        let wrong = route("GET", "/v1/actions/getSpace").unwrap_err();
        assert_eq!((wrong.status, wrong.header("allow")), (405, Some("POST")));
        assert_eq!(route("DELETE", "/v1/triggers/t/ack").unwrap_err().status, 405);
    }
}
