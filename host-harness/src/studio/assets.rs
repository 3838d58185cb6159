//! The page and its assets, embedded in the binary (no build step, nothing fetched from a CDN:
//! the studio works offline). The script is a few ES modules: `app.js` (the page) imports
//! `dom.js` (helpers), `group.js` (grouping the manifest), `controls.js` (the form's controls)
//! and `json-view.js`.

use bytes::Bytes;
use http_body_util::Full;

/// One embedded file.
pub struct Asset {
    /// Its content type.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

const ASSETS: &[(&str, Asset)] = &[
    ("/", Asset { content_type: "text/html; charset=utf-8", body: include_bytes!("../../studio/index.html") }),
    ("/app.js", Asset { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../studio/app.js") }),
    ("/dom.js", Asset { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../studio/dom.js") }),
    (
        "/group.js",
        Asset { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../studio/group.js") },
    ),
    (
        "/controls.js",
        Asset { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../studio/controls.js") },
    ),
    (
        "/json-view.js",
        Asset { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../studio/json-view.js") },
    ),
    ("/app.css", Asset { content_type: "text/css; charset=utf-8", body: include_bytes!("../../studio/app.css") }),
    ("/favicon.svg", Asset { content_type: "image/svg+xml", body: include_bytes!("../../studio/favicon.svg") }),
];

/// The asset served at `path`.
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|(p, _)| *p == path).map(|(_, asset)| asset)
}

impl Asset {
    /// The asset as a response; the page allows only its own scripts and styles.
    pub fn response(&self) -> hyper::Response<Full<Bytes>> {
        let mut response = hyper::Response::new(Full::new(Bytes::from_static(self.body)));
        let headers = response.headers_mut();
        headers.insert("content-type", http::HeaderValue::from_static(self.content_type));
        headers.insert("cache-control", http::HeaderValue::from_static("no-cache"));
        headers.insert("x-content-type-options", http::HeaderValue::from_static("nosniff"));
        headers.insert(
            "content-security-policy",
            http::HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ),
        );
        response
    }
}
