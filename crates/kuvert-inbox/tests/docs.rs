//! `docs/api.md` is checked against the code: its route table is exactly
//! `kuvert_api::routes::ALL`, each documented route is routed, and the error-code table is
//! exactly what `ApiError` can answer (every `ErrorCode`, with its statuses).

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;

const DOC: &str = include_str!("../../../docs/api.md");

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
    let mut documented = Vec::new();
    for line in DOC.lines().filter(|l| {
        ["GET", "POST", "PUT", "DELETE"]
            .iter()
            .any(|m| l.starts_with(&format!("| `{m}`")))
    }) {
        let c = cells(line);
        let path = c[1]
            .replace("/passkeys/{id}", "/passkeys/1")
            .replace("{id}", "salon")
            .replace("{name}", "Ana")
            .replace("{role}", "desk")
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
        documented.push((c[0].clone(), c[1].clone()));
        n += 1;
    }
    assert_eq!(n, kuvert_api::routes::ALL.len());
    let routes: Vec<(String, String)> = kuvert_api::routes::ALL
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented, routes,
        "docs/api.md's routes are the API's, in its order"
    );
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
    let expected: BTreeSet<(String, u16)> = kuvert_inbox::api::ApiError::examples()
        .iter()
        .map(|e| (e.code().as_str().to_owned(), e.status().as_u16()))
        .collect();
    let codes: BTreeSet<&str> = expected.iter().map(|(c, _)| c.as_str()).collect();
    let all: BTreeSet<&str> = kuvert_api::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(
        codes, all,
        "every ErrorCode can be answered, and nothing else"
    );
    assert_eq!(documented, expected);
}
