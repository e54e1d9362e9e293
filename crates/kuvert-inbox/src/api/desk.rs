//! The staff pages at `/desk/` (sign-in, enrolment), compiled into the inbox so that they
//! always match its API. Served only when `[accounts]` is on, under a CSP that allows this
//! origin's own script, style and API and nothing else, and never in a frame.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;

const INDEX: &str = include_str!("../../desk/index.html");
const SCRIPT: &str = include_str!("../../desk/desk.js");
const STYLE: &str = include_str!("../../desk/desk.css");

/// The staff pages' CSP.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse + Clone {
    ([(header::CONTENT_TYPE, content_type)], body)
}

/// `/desk/` and its files.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/desk", get(|| async { Redirect::permanent("/desk/") }))
        .route(
            "/desk/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/desk/desk.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/desk/desk.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CSP),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                )),
        )
}
