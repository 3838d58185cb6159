//! rawRequest's exchange: the caller's own headers, redirects followed on the tenant origin
//! only, and answers below 400 returned as they are.

use super::{check_status, redirect_target, Body, Client, MAX_REDIRECTS};
use crate::connection::Auth;
use crate::error::{ConnectorError, Result};
use crate::host::{self, HttpResponse, Method};

impl Client<'_> {
    /// Whether `url` is an absolute URL on the tenant origin (scheme, host and port).
    pub fn on_tenant(&self, url: &str) -> bool {
        self.connection.tenant.same_origin(url)
    }

    /// Sends a rawRequest: `headers` (already checked: no `Authorization`, `Content-Type` or
    /// hop-by-hop header) replace the client's `Accept` and `User-Agent` and add to the rest.
    /// Follows up to [`MAX_REDIRECTS`] redirects on the tenant origin; a redirect elsewhere is
    /// returned as it is, never followed. A status of 400 or more left after the retries is
    /// the typed error.
    pub fn send_raw(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<&Body>,
    ) -> Result<HttpResponse> {
        let (mut method, mut url, mut body) = (method, url.to_string(), body);
        for _ in 0..=MAX_REDIRECTS {
            let response = self.exchange_raw(method, &url, headers, body)?;
            let Some(next) = redirect_target(&response, &url).filter(|next| self.on_tenant(next)) else {
                if response.status >= 400 {
                    return check_status(response, host::now_unix_secs(self.host));
                }
                return Ok(response);
            };
            if response.status == 303 || (matches!(response.status, 301 | 302) && method != Method::Head) {
                method = Method::Get;
                body = None;
            }
            url = next;
        }
        Err(ConnectorError::InvalidResponse(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// One exchange with the caller's headers, auth and retries (a 401 with client credentials
    /// fetches a new token once).
    fn exchange_raw(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<&Body>,
    ) -> Result<HttpResponse> {
        if !self.on_tenant(url) {
            return Err(ConnectorError::InvalidResponse(format!(
                "refused to send a request off the tenant host: {url}"
            )));
        }
        let mut refreshed = false;
        loop {
            let bearer = self.bearer()?;
            let mut request = self.build(method, url, Some(&bearer), body);
            for (name, value) in headers {
                if matches!(name.as_str(), "accept" | "user-agent") {
                    request.headers.retain(|(n, _)| n != name);
                }
                request.headers.push((name.clone(), value.clone()));
            }
            let response = self.with_retries(&request, method.is_idempotent())?;
            let client_credentials = matches!(self.connection.auth, Auth::ClientCredentials { .. });
            if response.status == 401 && client_credentials && !refreshed {
                refreshed = true;
                self.forget_token();
                continue;
            }
            return Ok(response);
        }
    }
}
