//! `docs/api.md` is checked against the code: documented routes exist, and the error-code
//! table matches the codes the inbox can send, with their statuses.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;

const DOC: &str = include_str!("../../../docs/api.md");
const API_SOURCE: &str = include_str!("../src/api.rs");

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().trim_matches('`').to_owned())
        .collect()
}

#[tokio::test]
async fn every_documented_route_exists() {
    let t = inbox();
    let mut n = 0;
    for line in DOC.lines().filter(|l| {
        l.starts_with("| `GET`") || l.starts_with("| `POST`") || l.starts_with("| `DELETE`")
    }) {
        let c = cells(line);
        let path = c[1]
            .replace("{id}", "salon")
            .replace("{reference}", "AAAA-BBBB-CCCC");
        let req = Request::builder()
            .method(c[0].as_str())
            .uri(&path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, json, _) = call(&t.app, req).await;
        let unrouted = status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND && json["error"]["message"] == "no such resource");
        assert!(
            !unrouted,
            "{} {path} is documented but not routed ({status})",
            c[0]
        );
        n += 1;
    }
    assert_eq!(n, 10);
}

/// (code, status) pairs written in `api.rs` as `ApiError::new(StatusCode::X, "code", …)`.
fn codes_in_source() -> BTreeSet<(String, u16)> {
    let mut out = BTreeSet::new();
    let mut rest = API_SOURCE;
    while let Some(i) = rest.find("StatusCode::") {
        rest = &rest[i + "StatusCode::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if let Some(after) = after
            .strip_prefix(',')
            .map(str::trim_start)
            .and_then(|a| a.strip_prefix('"'))
        {
            let code: String = after.chars().take_while(|c| *c != '"').collect();
            let status = match name.as_str() {
                "BAD_REQUEST" => 400,
                "UNAUTHORIZED" => 401,
                "FORBIDDEN" => 403,
                "NOT_FOUND" => 404,
                "CONFLICT" => 409,
                "PAYLOAD_TOO_LARGE" => 413,
                "UNSUPPORTED_MEDIA_TYPE" => 415,
                "UNPROCESSABLE_ENTITY" => 422,
                "TOO_MANY_REQUESTS" => 429,
                "INTERNAL_SERVER_ERROR" => 500,
                other => panic!("unexpected status {other}"),
            };
            out.insert((code, status));
        }
    }
    out
}

#[test]
fn the_error_table_matches_the_code() {
    let documented: BTreeSet<(String, u16)> = DOC
        .lines()
        .skip_while(|l| !l.starts_with("## Error codes"))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c = cells(l);
            (c[0].clone(), c[1].parse().unwrap())
        })
        .collect();
    let mut expected = codes_in_source();
    assert!(
        expected.len() >= 15,
        "source scan found too little: {expected:?}"
    );
    // Envelope checks from the core that answer 422 with the core's own code.
    for e in [
        kuvert_core::Error::UnsupportedVersion,
        kuvert_core::Error::InvalidForm,
        kuvert_core::Error::InvalidPublicFacts("x"),
        kuvert_core::Error::InvalidCancelHash,
        kuvert_core::Error::BadBase64,
        kuvert_core::Error::MalformedAge(kuvert_core::age::HeaderError::Malformed),
    ] {
        expected.insert((e.code().to_owned(), 422));
    }
    assert_eq!(documented, expected);
}
