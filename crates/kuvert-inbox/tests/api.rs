//! Router tests with `oneshot`: every endpoint and every error code.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;

const SLOT: (&str, &str) = ("2027-02-22T09:00:00Z", "2027-02-22T09:30:00Z");

async fn book(
    t: &TestInbox,
    seed: u64,
    start: &str,
    end: &str,
) -> (StatusCode, serde_json::Value, kuvert_core::CancelCode) {
    let (env, code) = envelope(seed, "cut", start, end, "");
    let (status, _, json, _) = call(&t.app, post_json("/v1/bookings", env)).await;
    (status, json, code)
}

/// Two-party key pinning (issue 20): the form config carries the keys the inbox's config pins
/// (the widget compares them with the snippet's), and the schema itself none.
#[tokio::test]
async fn form_config_serves_the_schema_and_the_configured_key_pin() {
    let t = inbox();
    let (status, headers, json, _) = call(&t.app, get("/v1/forms/salon")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["schema"]["id"], "salon");
    assert_eq!(json["time_zone"], "Europe/Stockholm");
    assert_eq!(
        json["recipients"],
        serde_json::json!([recipient().to_string()])
    );
    assert!(
        !json["schema"].to_string().contains("age1"),
        "no keys in the schema"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, json, _) = call(&t.app, get("/v1/forms/clinic")).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::NOT_FOUND, "unknown_form")
    );
}

#[tokio::test]
async fn slots_honour_hours_notice_and_blackouts_and_disappear_when_full() {
    let t = inbox();
    let (status, _, json, _) = call(
        &t.app,
        get("/v1/forms/salon/slots?service=cut&from=2027-02-22&to=2027-02-26"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let starts: Vec<&str> = json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts[0], SLOT.0,
        "the first slot is an hour after now (minimum notice)"
    );
    assert!(
        !starts.iter().any(|s| s.starts_with("2027-02-26")),
        "Friday is blacked out"
    );
    assert!(
        !starts.iter().any(|s| s.starts_with("2027-02-22T11:")),
        "lunch 12-13 local is closed"
    );
    // Monday: 10:00-12:00 (4) + 13:00-17:00 (8); Tue-Thu 16 each.
    assert_eq!(starts.len(), 12 + 3 * 16);

    let (status, _, _) = book(&t, 1, SLOT.0, SLOT.1).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, json, _) = call(
        &t.app,
        get("/v1/forms/salon/slots?service=cut&from=2027-02-22&to=2027-02-22"),
    )
    .await;
    assert_ne!(
        json["slots"][0]["start"], SLOT.0,
        "a full slot is not offered"
    );

    let (_, _, json, _) = call(
        &t.app,
        get("/v1/forms/salon/slots?service=colour&from=2027-02-22&to=2027-02-22"),
    )
    .await;
    assert_eq!(
        json["slots"][0]["remaining"], 2,
        "colour takes two per slot"
    );
}

#[tokio::test]
async fn slot_queries_are_checked() {
    let t = inbox();
    for q in [
        "",
        "?service=cut",
        "?service=cut&from=2027-02-22&to=2027-01-01",
        "?service=cut&from=2027-02-22&to=2027-06-01",
        "?service=cut&from=monday&to=2027-02-22",
    ] {
        let (status, _, json, _) = call(&t.app, get(&format!("/v1/forms/salon/slots{q}"))).await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::BAD_REQUEST, "bad_query"),
            "{q}"
        );
    }
    let (status, _, json, _) = call(
        &t.app,
        get("/v1/forms/salon/slots?service=massage&from=2027-02-22&to=2027-02-22"),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::NOT_FOUND, "unknown_service")
    );
}

#[tokio::test]
async fn a_booking_is_stored_once_and_the_slot_is_then_taken() {
    let t = inbox();
    let (status, json, _) = book(&t, 1, SLOT.0, SLOT.1).await;
    assert_eq!(status, StatusCode::CREATED);
    let reference = json["reference"].as_str().unwrap();
    assert_eq!(reference.len(), 14);
    assert_eq!(
        json["expires"], "2027-03-24T09:30:00Z",
        "slot end + 30 days retention"
    );
    let (status, json, _) = book(&t, 2, SLOT.0, SLOT.1).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::CONFLICT, "slot_taken")
    );
    assert_eq!(t.state.inner().store.count().unwrap(), 1);
}

#[tokio::test]
async fn every_refusal_has_its_status_and_code_and_stores_nothing() {
    let t = inbox();
    let (good, _) = envelope(3, "cut", SLOT.0, SLOT.1, "");
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("{".into(), StatusCode::BAD_REQUEST, "malformed_envelope"),
        (
            with(&|v| v["extra"] = 1.into()),
            StatusCode::BAD_REQUEST,
            "malformed_envelope",
        ),
        (
            with(&|v| v["kuvert"] = 2.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_version",
        ),
        (
            with(&|v| v["form"] = "clinic".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_form",
        ),
        (
            with(&|v| v["form"] = "Not An Id".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_form",
        ),
        (
            with(&|v| v["public"]["service"] = "massage".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_service",
        ),
        (
            with(&|v| v["public"]["start"] = "2027-02-22T09:00:00+01:00".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_public",
        ),
        (
            with(&|v| {
                v["public"]["start"] = "2027-02-22T09:05:00Z".into();
                v["public"]["end"] = "2027-02-22T09:35:00Z".into();
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_slot",
        ),
        (
            with(&|v| {
                v["public"]["start"] = "2027-02-22T08:30:00Z".into();
                v["public"]["end"] = "2027-02-22T09:00:00Z".into();
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_slot",
        ),
        (
            with(&|v| v["public"]["end"] = "2027-02-22T10:00:00Z".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_slot",
        ),
        (
            with(&|v| v["cancel"] = "xyz".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_cancel",
        ),
        (
            with(&|v| v["sealed"] = "not base64!".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_base64",
        ),
        (
            with(&|v| v["sealed"] = "aGVsbG8gd29ybGQ=".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_age",
        ),
        (
            with(&|v| v["sealed"] = "A".repeat(60_000).into()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ];
    for (body, status, code) in cases {
        let (s, _, json, _) = call(&t.app, post_json("/v1/bookings", body)).await;
        assert_eq!((s, error_code(&json)), (status, code));
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let no_type = Request::post("/v1/bookings")
        .body(Body::from(good.clone()))
        .unwrap();
    let (s, _, json, _) = call(&t.app, no_type).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = Request::post("/v1/bookings")
        .header("content-type", "application/json")
        .header("content-length", "10000000")
        .body(Body::from("{}"))
        .unwrap();
    let (s, _, json, _) = call(&t.app, huge).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    let streamed = post_json("/v1/bookings", "x".repeat(200_000));
    let (s, _, json, _) = call(&t.app, streamed).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(t.state.inner().store.count().unwrap(), 0, "nothing stored");
    let (_, _, _, metrics) = call(&t.app, staff("GET", "/metrics")).await;
    assert!(
        metrics.contains("kuvert_bookings_rejected_total{reason=\"not_a_slot\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn bookings_are_rate_limited_per_address() {
    let t = inbox_with("[rate_limits]\nbookings_per_minute = 2\n");
    let mut statuses = Vec::new();
    for (i, start) in ["09:00", "09:30", "10:00"].iter().enumerate() {
        let s = format!("2027-02-22T{start}:00Z");
        let e = UtcTimestamp_plus(&s, 1800);
        let (status, json, _) = book(&t, 10 + i as u64, &s, &e).await;
        statuses.push((status, error_code(&json).to_owned()));
    }
    assert_eq!(
        statuses[2],
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_owned())
    );
    assert_eq!(statuses[0].0, StatusCode::CREATED);
}

#[allow(non_snake_case)]
fn UtcTimestamp_plus(s: &str, secs: i64) -> String {
    kuvert_core::UtcTimestamp::from_unix(unix(s) + secs)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn cancelling_with_the_code_erases_and_frees_the_slot() {
    let t = inbox();
    let (_, json, code) = book(&t, 4, SLOT.0, SLOT.1).await;
    let reference = json["reference"].as_str().unwrap().to_owned();
    let uri = format!("/v1/bookings/{reference}/cancel");

    let (s, _, json, _) = call(&t.app, post_json(&uri, r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#)).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::NOT_FOUND, "not_found"),
        "wrong code"
    );
    let (s, _, json, _) = call(&t.app, post_json(&uri, r#"{"code":"nope"}"#)).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::BAD_REQUEST, "malformed_code")
    );
    let (s, _, json, _) = call(&t.app, post_json(&uri, r#"{"kode":"x"}"#)).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::BAD_REQUEST, "malformed_request")
    );
    let (s, _, json, _) = call(&t.app, Request::post(&uri).body(Body::from("{}")).unwrap()).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let typed = code.display_grouped().to_lowercase();
    let (s, _, _, _) = call(&t.app, post_json(&uri, format!(r#"{{"code":"{typed}"}}"#))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(t.state.inner().store.count().unwrap(), 0);
    let (s, _, _, _) = call(&t.app, post_json(&uri, format!(r#"{{"code":"{typed}"}}"#))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "already erased");
    let (status, _, _) = book(&t, 5, SLOT.0, SLOT.1).await;
    assert_eq!(status, StatusCode::CREATED, "the slot is free again");
}

#[tokio::test]
async fn wrong_cancellation_codes_are_rate_limited() {
    let t = inbox_with("[rate_limits]\ncancel_attempts_per_hour = 3\n");
    let mut last = (StatusCode::OK, String::new());
    for _ in 0..4 {
        let (s, _, json, _) = call(
            &t.app,
            post_json(
                "/v1/bookings/AAAA-BBBB-CCCC/cancel",
                r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#,
            ),
        )
        .await;
        last = (s, error_code(&json).to_owned());
    }
    assert_eq!(
        last,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_owned())
    );
}

#[tokio::test]
async fn staff_list_get_delete_export_with_token_and_audit() {
    let t = inbox();
    let mut refs = Vec::new();
    for (i, start) in ["09:00", "09:30", "10:00"].iter().enumerate() {
        let s = format!("2027-02-22T{start}:00Z");
        let (status, json, _) = book(&t, 20 + i as u64, &s, &UtcTimestamp_plus(&s, 1800)).await;
        assert_eq!(status, StatusCode::CREATED);
        refs.push(json["reference"].as_str().unwrap().to_owned());
    }
    for req in [
        get("/v1/staff/bookings"),
        Request::get("/v1/staff/export")
            .header("authorization", "Bearer wrong")
            .body(Body::empty())
            .unwrap(),
    ] {
        let (s, headers, json, _) = call(&t.app, req).await;
        assert_eq!(
            (s, error_code(&json)),
            (StatusCode::UNAUTHORIZED, "unauthorized")
        );
        assert_eq!(headers["www-authenticate"], "Bearer");
    }

    let (s, _, page1, _) = call(&t.app, staff("GET", "/v1/staff/bookings?limit=2")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page1["bookings"].as_array().unwrap().len(), 2);
    assert_eq!(page1["more"], true);
    let next = page1["next"].as_i64().unwrap();
    let (_, _, page2, _) = call(
        &t.app,
        staff("GET", &format!("/v1/staff/bookings?since={next}&limit=2")),
    )
    .await;
    assert_eq!(page2["bookings"][0]["reference"], refs[2].as_str());
    assert_eq!(page2["more"], false);
    assert!(
        page2["bookings"][0]["envelope"]["sealed"]
            .as_str()
            .unwrap()
            .starts_with("YWdlLWVuY3J5cHRpb24ub3JnL3Yx")
    );
    let (s, _, json, _) = call(&t.app, staff("GET", "/v1/staff/bookings?limit=0")).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::BAD_REQUEST, "bad_query")
    );

    let (s, _, one, _) = call(
        &t.app,
        staff("GET", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!(
        (s, one["reference"].as_str()),
        (StatusCode::OK, Some(refs[0].as_str()))
    );
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, json, _) = call(
        &t.app,
        staff("GET", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!((s, error_code(&json)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, headers, _, text) = call(&t.app, staff("GET", "/v1/staff/export")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/jsonl");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);

    // List ×3 (a bad query is refused after auth), get ×2, delete ×2, export; the two
    // denials are counted and audited as one row when their minute ends.
    let verified = t.state.inner().store.verify_audit().unwrap();
    assert!(
        matches!(verified, kuvert_inbox::store::AuditCheck::Intact { records } if records >= 7),
        "{verified:?}"
    );
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_tampering_is_detected() {
    let t = inbox();
    call(&t.app, staff("GET", "/v1/staff/export")).await;
    call(&t.app, staff("GET", "/v1/staff/bookings")).await;
    let conn = rusqlite::Connection::open(t.dir.path().join("inbox.sqlite3")).unwrap();
    assert!(
        conn.execute("UPDATE audit SET actor = 'mallory'", [])
            .is_err()
    );
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    conn.execute(
        "INSERT INTO audit (seq, time, actor, action, target, outcome, prev_sha256, sha256) VALUES (3, 0, 'mallory', 'export', '-', 'ok', 'x', 'y')",
        [],
    )
    .unwrap();
    assert_eq!(
        t.state.inner().store.verify_audit().unwrap(),
        kuvert_inbox::store::AuditCheck::Broken { seq: 3 }
    );
}

#[tokio::test]
async fn retention_purge_erases_only_expired_bookings() {
    let t = inbox();
    let (_, early, _) = book(&t, 30, SLOT.0, SLOT.1).await;
    let (_, late, _) = book(&t, 31, "2027-03-01T09:00:00Z", "2027-03-01T09:30:00Z").await;
    t.clock.set(unix("2027-03-24T09:29:59Z"));
    assert_eq!(
        t.state.purge().await.unwrap(),
        0,
        "one second before expiry"
    );
    t.clock.set(unix("2027-03-24T09:30:00Z"));
    assert_eq!(t.state.purge().await.unwrap(), 1);
    let store = &t.state.inner().store;
    assert!(
        store
            .get(early["reference"].as_str().unwrap())
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get(late["reference"].as_str().unwrap())
            .unwrap()
            .is_some()
    );
    let (_, _, _, metrics) = call(&t.app, staff("GET", "/metrics")).await;
    assert!(metrics.contains("kuvert_bookings_erased_total{cause=\"retention\"} 1"));
}

#[tokio::test]
async fn health_metrics_and_unknown_routes() {
    let t = inbox();
    let (s, _, _, text) = call(&t.app, get("/healthz")).await;
    assert_eq!((s, text.as_str()), (StatusCode::OK, "ok\n"));
    book(&t, 40, SLOT.0, SLOT.1).await;
    let (s, headers, _, text) = call(&t.app, staff("GET", "/metrics")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(text.contains("kuvert_bookings_accepted_total 1"));
    assert!(text.contains("kuvert_request_duration_seconds_count"));
    let (s, headers, json, _) = call(&t.app, get("/v1/nope")).await;
    assert_eq!((s, error_code(&json)), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let t = inbox();
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/v1/bookings")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _, _) = call(&t.app, preflight("https://salon.example")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://salon.example"
    );
    let (_, headers, _, _) = call(&t.app, preflight("https://evil.example")).await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_trusted() {
    async fn two_bookings(t: &TestInbox) -> StatusCode {
        let mut last = StatusCode::OK;
        for (i, (start, end)) in [SLOT, ("2027-02-22T09:30:00Z", "2027-02-22T10:00:00Z")]
            .iter()
            .enumerate()
        {
            let (env, _) = envelope(60 + i as u64, "cut", start, end, "");
            let req = Request::post("/v1/bookings")
                .header("content-type", "application/json")
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .body(Body::from(env))
                .unwrap();
            last = call(&t.app, req).await.0;
        }
        last
    }
    let untrusted = inbox_with("[rate_limits]\nbookings_per_minute = 1\n");
    assert_eq!(
        two_bookings(&untrusted).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed header must not open a new bucket"
    );
    let trusted =
        inbox_with("trust_forwarded_for = true\n[rate_limits]\nbookings_per_minute = 1\n");
    assert_eq!(
        two_bookings(&trusted).await,
        StatusCode::CREATED,
        "behind a trusted proxy each client has its own bucket"
    );
}

#[tokio::test]
async fn internal_failures_answer_generically_and_store_nothing() {
    let t = inbox();
    // Break the database under the running app from a second connection.
    let conn = rusqlite::Connection::open(t.dir.path().join("inbox.sqlite3")).unwrap();
    conn.execute_batch("DROP TABLE bookings").unwrap();
    let (env, _) = envelope(70, "cut", SLOT.0, SLOT.1, "");
    let (s, _, json, text) = call(&t.app, post_json("/v1/bookings", env)).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    assert!(
        !text.to_lowercase().contains("sql") && !text.contains("bookings"),
        "internals leaked: {text}"
    );
    let (s, _, json, _) = call(&t.app, get("/healthz")).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
}

/// The export streams page by page (1,000 records a page): every record of a store larger than
/// one page arrives, each whole, in order.
#[tokio::test]
async fn the_export_streams_every_page() {
    let t = inbox();
    let (env, _) = envelope(3, "cut", SLOT.0, SLOT.1, "");
    let refs: Vec<String> = (0..2_345)
        .map(|i| {
            let mut r = format!("{i:012}");
            r.insert(8, '-');
            r.insert(4, '-');
            r
        })
        .collect();
    let bookings: Vec<kuvert_inbox::store::NewBooking<'_>> = refs
        .iter()
        .map(|r| kuvert_inbox::store::NewBooking {
            reference: r,
            form: "salon",
            service: "cut",
            start: unix(SLOT.0),
            end: unix(SLOT.1),
            envelope: &env,
            cancel_sha256: "00",
            received: unix(NOW),
            expires: unix(NOW) + 86_400,
        })
        .collect();
    t.state.inner().store.insert_unchecked(&bookings).unwrap();
    let (s, _, _, text) = call(&t.app, staff("GET", "/v1/staff/export")).await;
    assert_eq!(s, StatusCode::OK);
    let got: Vec<String> = text
        .lines()
        .map(|l| {
            let r: kuvert_api::StaffRecord = serde_json::from_str(l).unwrap();
            r.reference.as_str().to_owned()
        })
        .collect();
    assert_eq!(got, refs);
}

/// Issue 20, "booking that survives the network": the widget resends the same envelope after
/// a lost answer. The inbox answers a repeat (same cancel hash, same sealed bytes) with the
/// booking it already stored and 200, even when the slot has filled since, and stores nothing
/// twice; an envelope that only shares the cancel hash is a new booking.
#[tokio::test]
async fn a_repeated_envelope_gets_the_same_booking_and_is_stored_once() {
    let t = inbox();
    let (env, _) = envelope(70, "cut", SLOT.0, SLOT.1, "");
    let (s, _, first, _) = call(&t.app, post_json("/v1/bookings", env.clone())).await;
    assert_eq!(s, StatusCode::CREATED);
    // The slot (capacity 1) is full now; the repeat still gets its booking.
    let (s, _, again, _) = call(&t.app, post_json("/v1/bookings", env.clone())).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again, first, "the same reference and expiry");
    assert_eq!(t.state.inner().store.count().unwrap(), 1, "stored once");
    // Also when the slot's time has passed by the time the retry arrives.
    t.clock.set(unix(SLOT.1));
    let (s, _, late, _) = call(&t.app, post_json("/v1/bookings", env.clone())).await;
    assert_eq!((s, &late), (StatusCode::OK, &first));
    t.clock.set(unix(NOW));
    // Same cancel hash, other sealed bytes: not a repeat, so the full slot refuses it.
    let mut other: serde_json::Value = serde_json::from_str(&env).unwrap();
    let (env2, _) = envelope(71, "cut", SLOT.0, SLOT.1, "");
    let env2: serde_json::Value = serde_json::from_str(&env2).unwrap();
    other["sealed"] = env2["sealed"].clone();
    let (s, _, json, _) = call(&t.app, post_json("/v1/bookings", other.to_string())).await;
    assert_eq!((s, error_code(&json)), (StatusCode::CONFLICT, "slot_taken"));
    assert_eq!(t.state.inner().store.count().unwrap(), 1);
}

/// A widget that could not be used reports what kind of problem, and nothing else; the
/// metrics count it.
#[tokio::test]
async fn widget_problems_are_counted_by_kind_only() {
    let t = inbox();
    let report =
        |form: &str, body: &str| post_json(&format!("/v1/forms/{form}/problems"), body.to_owned());
    let (status, ..) = call(&t.app, report("salon", r#"{"problem":"key_mismatch"}"#)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for (form, body, expected, code) in [
        (
            "salon",
            r#"{"problem":"anything else"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "salon",
            r#"{"problem":"key_mismatch","name":"Ada"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "clinic",
            r#"{"problem":"key_mismatch"}"#,
            StatusCode::NOT_FOUND,
            "unknown_form",
        ),
    ] {
        let (status, _, json, _) = call(&t.app, report(form, body)).await;
        assert_eq!((status, error_code(&json)), (expected, code), "{body}");
    }
    let (_, _, _, metrics) = call(&t.app, staff("GET", "/metrics")).await;
    assert!(
        metrics.contains("kuvert_widget_problems_total{problem=\"key_mismatch\"} 1\n"),
        "{metrics}"
    );
}
