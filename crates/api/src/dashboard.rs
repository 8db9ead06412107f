//! The web dashboard: a page at `/` and its assets under `/dashboard/`, compiled into the
//! binary (crates/api/dashboard/), so both deployments serve it with nothing to install or
//! download. The page itself needs no API key; everything it shows comes from the public API,
//! called by the browser with the key the user signs in with.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use blob::{Access, Bucket};
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// One file of the page: its name under `/dashboard/`, its media type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_str!("../dashboard/index.html"),
};

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../dashboard/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/app.js"),
    },
    Asset {
        name: "api.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/api.js"),
    },
    Asset {
        name: "upload.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/upload.js"),
    },
    Asset {
        name: "jobs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/jobs.js"),
    },
    Asset {
        name: "job.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/job.js"),
    },
    Asset {
        name: "ui.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../dashboard/ui.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../dashboard/favicon.svg"),
    },
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/dashboard/{file}", get(asset))
}

async fn index(State(state): State<AppState>, request_headers: HeaderMap) -> Response {
    let csp = content_security_policy(&signed_url_origin(&state).await);
    serve(&INDEX, &request_headers, Some(&csp))
}

async fn asset(Path(file): Path<String>, request_headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(asset) => serve(asset, &request_headers, None),
        None => ApiError::not_found().into_response(),
    }
}

/// The page may load scripts, styles and images from the server only; it talks to the API (its
/// own origin) and plays and uploads through signed URLs, which point at the server itself
/// (embedded) or at S3 (fleet), whose origin is `signed_origin`.
fn content_security_policy(signed_origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {signed_origin}; media-src 'self' {signed_origin}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// Where the blob store's signed URLs point (scheme, host and port), read off a URL signed for
/// nothing in particular: signing is local (no request is made).
async fn signed_url_origin(state: &AppState) -> String {
    let signed = state
        .blobs
        .presign(
            Access::Get,
            Bucket::Output,
            "dashboard-origin-probe",
            "application/octet-stream",
            Duration::from_secs(1),
        )
        .await;
    signed
        .ok()
        .and_then(|u| url::Url::parse(&u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .unwrap_or_default()
}

/// Serves `asset`, or 304 when the browser already has these bytes: `no-cache` makes it ask
/// every time, so a new binary's page is never mixed with an old one's script.
fn serve(asset: &Asset, request_headers: &HeaderMap, csp: Option<&str>) -> Response {
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(asset.body.as_bytes()))[..32]
    );
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, asset.body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header value"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(csp) = csp {
        if let Ok(value) = HeaderValue::from_str(csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_served() {
        let page = INDEX.body;
        for asset in ASSETS {
            assert!(!asset.body.is_empty(), "{} is empty", asset.name);
        }
        for name in ["app.css", "app.js", "favicon.svg"] {
            assert!(page.contains(&format!("/dashboard/{name}")), "{name}");
        }
        // Every module an asset imports is one of the assets.
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            for line in asset.body.lines().filter(|l| l.starts_with("import ")) {
                let target = line
                    .rsplit_once("\"./")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(name, _)| name)
                    .unwrap_or_else(|| panic!("unreadable import in {}: {line}", asset.name));
                assert!(
                    ASSETS.iter().any(|a| a.name == target),
                    "{} imports {target}, which is not served",
                    asset.name
                );
            }
        }
    }

    #[test]
    fn the_page_runs_no_inline_script() {
        let page = INDEX.body;
        assert!(!page.contains("<script>"), "an inline script");
        let handler = page.split(" on").skip(1).find(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(handler.is_none(), "an inline event handler: on{handler:?}");
        assert!(!page.contains("style="), "an inline style");
        let csp = content_security_policy("http://s3.example:9000");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(
            csp.contains("media-src 'self' http://s3.example:9000"),
            "{csp}"
        );
    }
}
