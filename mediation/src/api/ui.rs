//! The web UI: static assets compiled into the binary (`mediation/ui/`), served without
//! authentication (the data comes from `/api/v1` with the session cookie). `/` is the page,
//! `/ui/...` its modules, style sheet and icon. Client-side routing uses the URL fragment, so
//! the server needs no route per page.
//!
//! The assets are written for the CSP the API sends on every response (`default-src 'self'`):
//! no inline script or style, no `eval`, no HTML built from strings (the tests below check the
//! sources for it). Caching: `no-cache` with an ETag, so a browser revalidates (304) and an
//! upgraded engine is picked up at once.
use super::{ApiState, error};
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
pub struct Asset {
    /// Path under `/ui/` (and under `mediation/ui/` in the source tree).
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! assets {
    ($($path:literal => $ct:expr),* $(,)?) => {
        &[$(Asset { path: $path, content_type: $ct, body: include_bytes!(concat!("../../ui/", $path)) }),*]
    };
}

/// Every file of the UI (a test checks that `mediation/ui/` holds no other).
pub static ASSETS: &[Asset] = assets![
    "index.html" => HTML,
    "app.css" => CSS,
    "favicon.svg" => SVG,
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/dom.js" => JS,
    "js/login.js" => JS,
    "js/calls.js" => JS,
    "js/call.js" => JS,
    "js/ladder.js" => JS,
    "js/chart.js" => JS,
    "js/admin.js" => JS,
];

fn find(path: &str) -> Option<(usize, &'static Asset)> {
    ASSETS.iter().enumerate().find(|(_, a)| a.path == path)
}

/// Strong ETags, one per asset, computed once.
fn etag(i: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..32]))
            .collect()
    })
    .get(i)
    .map_or("\"\"", String::as_str)
}

/// `/` and `/ui/...`, with a JSON 404 for any other unknown path.
pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route(
            "/",
            get(|h: HeaderMap| async move { serve("index.html", &h) }),
        )
        .route(
            "/ui/{*path}",
            get(|Path(p): Path<String>, h: HeaderMap| async move { serve(&p, &h) }),
        )
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such page: the web UI is at /, the REST API under /api/v1",
            )
        })
}

fn serve(path: &str, req: &HeaderMap) -> Response {
    let Some((i, asset)) = find(path) else {
        return error(
            StatusCode::NOT_FOUND,
            "no such UI file: open the web UI at /",
        );
    };
    let tag = etag(i);
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn ui_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui")
    }

    fn files(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, base, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }

    #[test]
    fn every_ui_file_is_embedded_once() {
        let mut on_disk = Vec::new();
        files(&ui_dir(), &ui_dir(), &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "list new UI files in ASSETS (api/ui.rs)");
    }

    /// What `default-src 'self'` would refuse, or what builds HTML from strings (an injection
    /// risk with call data such as SIP headers): none of it in the sources.
    #[test]
    fn assets_need_nothing_the_csp_forbids() {
        let forbidden = [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute('style'",
            "setAttribute(\"style\"",
            "javascript:",
            "http://",
            "https://",
        ];
        for a in ASSETS {
            let text = std::str::from_utf8(a.body).unwrap();
            for f in forbidden {
                // The SVG namespace URI is an identifier, not a fetch.
                let hits = text
                    .match_indices(f)
                    .filter(|(i, _)| !text[*i..].starts_with("http://www.w3.org/2000/svg"))
                    .count();
                assert_eq!(hits, 0, "{} contains {f:?}", a.path);
            }
        }
        let html = std::str::from_utf8(find("index.html").unwrap().1.body).unwrap();
        assert!(!html.contains("<style"), "no inline style element");
        assert!(!html.contains(" style="), "no style attribute");
        assert!(!html.contains(" on"), "no inline event handler");
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains(" src=\"/ui/"), "scripts come from /ui: {tag}");
        }
    }

    #[test]
    fn assets_have_types_and_etags() {
        let h = HeaderMap::new();
        let r = serve("js/app.js", &h);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], JS);
        let tag = r.headers()[header::ETAG].clone();
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, tag);
        assert_eq!(serve("js/app.js", &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve("../Cargo.toml", &h).status(), StatusCode::NOT_FOUND);
        assert_eq!(
            serve("index.html", &HeaderMap::new()).headers()[header::CONTENT_TYPE],
            HTML
        );
    }
}
