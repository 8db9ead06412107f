//! `GET /openapi.json` and the `/docs` page, over HTTP without an API key: the document is
//! OpenAPI 3.1, and the page and everything it loads come from the server itself (its assets are
//! embedded in the binary: no CDN).

use serde_json::Value;

use crate::server::deployment::{Deployment, Kind};

/// Every `src="..."` and `href="..."` of an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["src=", "href="] {
        for (i, _) in html.match_indices(attribute) {
            let rest = &html[i + attribute.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(end) = rest[1..].find(quote) {
                out.push(rest[1..1 + end].to_string());
            }
        }
    }
    out
}

fn external(reference: &str, base: &str) -> bool {
    let lower = reference.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//"))
        && !lower.starts_with(&base.to_ascii_lowercase())
}

#[tokio::test]
async fn the_document_and_the_docs_page_are_served_without_a_key_or_a_cdn() {
    let d = Deployment::start(Kind::Embedded, 0, Vec::new())
        .await
        .unwrap();
    let base = d.server.base.clone();
    let http = reqwest::Client::new();

    let doc = http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    let doc: Value = doc.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0", "{doc}");
    assert!(doc["paths"]["/v1/batch/jobs"]["post"].is_object());

    // /docs redirects to /docs/, the page.
    let page = http.get(format!("{base}/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.url().path(), "/docs/");
    let html = page.text().await.unwrap();
    let refs = references(&html);
    assert!(
        refs.iter().any(|r| r.ends_with(".js")) && refs.iter().any(|r| r.ends_with(".css")),
        "no script or style in the page: {html}"
    );
    for r in &refs {
        assert!(!external(r, &base), "the page loads {r} from elsewhere");
        let url = page_url(&base, r);
        let asset = http.get(&url).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{url}");
        let text = asset.text().await.unwrap();
        // A stylesheet's imports, and the initializer's document URL, stay on the server too.
        if r.ends_with(".css") {
            assert!(
                !text.contains("@import url(http"),
                "{url} imports from elsewhere"
            );
        }
        if r.ends_with("swagger-initializer.js") {
            assert!(text.contains("\"/openapi.json\""), "{text}");
            assert!(!text.contains("petstore"), "{text}");
            assert!(text.contains("validatorUrl"), "{text}");
        }
    }
    assert!(
        refs.iter().any(|r| r.ends_with("swagger-initializer.js")),
        "{refs:?}"
    );
}

/// A page reference as a URL of the server (relative ones are under `/docs/`).
fn page_url(base: &str, reference: &str) -> String {
    if reference.starts_with("http") {
        reference.to_string()
    } else if let Some(absolute) = reference.strip_prefix('/') {
        format!("{base}/{absolute}")
    } else {
        format!("{base}/docs/{}", reference.trim_start_matches("./"))
    }
}
