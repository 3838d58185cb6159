//! rawRequest's exchange: the caller's own headers, redirects followed on the tenant origin
//! only, and answers below 400 returned as they are.

use super::{check_status, Body, Client};
use crate::error::Result;
use crate::host::{self, HttpResponse, Method};

impl Client<'_> {
    /// Whether `url` is an absolute URL on the tenant origin (scheme, host and port).
    pub fn on_tenant(&self, url: &str) -> bool {
        self.connection.tenant.same_origin(url)
    }

    /// Sends a rawRequest: `headers` (already checked: no `Authorization`, `Content-Type` or
    /// hop-by-hop header) replace the client's `Accept` and `User-Agent` and add to the rest.
    /// Follows up to [`MAX_REDIRECTS`](super::MAX_REDIRECTS) redirects on the tenant origin; a redirect elsewhere is
    /// returned as it is, never followed. A status of 400 or more left after the retries is
    /// the typed error.
    pub fn send_raw(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<&Body>,
    ) -> Result<HttpResponse> {
        let (response, _) = self.follow(method, url, body, headers)?;
        if response.status >= 400 {
            return check_status(response, host::now_unix_secs(self.host));
        }
        Ok(response)
    }
}
