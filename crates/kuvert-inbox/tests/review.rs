//! Regression tests for the security review's inbox findings (issue 18), each named after its
//! finding. Each failed on the code before its fix.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use kuvert_inbox::store::AuditCheck;

fn bad_token(uri: &str, from: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", "Bearer kvt_wrong")
        .header("x-forwarded-for", from)
        .body(Body::empty())
        .unwrap()
}

fn audit_rows(t: &TestInbox) -> i64 {
    rusqlite::Connection::open(t.dir.path().join("inbox.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap()
}

/// Finding 6, "unauthenticated audit flood": bad tokens are counted, not written one row
/// each; past the limit the address gets 429 with Retry-After, even with a good token.
#[tokio::test]
async fn audit_flood_failed_auth_is_limited_and_aggregated() {
    let t = inbox_with(
        "trust_forwarded_for = true\n[rate_limits]\nstaff_auth_failures_per_minute = 5\n",
    );
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let (s, headers, json, _) =
            call(&t.app, bad_token("/v1/staff/bookings", "192.0.2.9")).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(error_code(&json), "rate_limited");
            let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry), "{retry}");
        }
        statuses.push(s);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        5
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        35
    );
    // Locked out: the right token is not even looked at from this address…
    let locked = Request::get("/v1/staff/bookings")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("x-forwarded-for", "192.0.2.9")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&t.app, locked).await.0, StatusCode::TOO_MANY_REQUESTS);
    // …while another address is not.
    let (s, _, _, _) = call(&t.app, bad_token("/v1/staff/bookings", "198.51.100.1")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_rows(&t), 0, "no row per failure");

    // When the minute ends, one row per address with its count.
    t.clock.set(unix(NOW) + 60);
    t.state
        .flush_auth_failures(t.state.inner().clock.now())
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(t.dir.path().join("inbox.sqlite3")).unwrap();
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT actor, target, outcome FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|(a, _, o)| a == "anonymous" && o == "denied")
    );
    assert!(
        rows.iter()
            .any(|(_, t, _)| t.starts_with("192.0.2.9 ") && t.ends_with("count=41"))
    );
    assert!(
        rows.iter()
            .any(|(_, t, _)| t.starts_with("198.51.100.1 ") && t.ends_with("count=1"))
    );
    // A new window starts clean.
    let ok = Request::get("/v1/staff/bookings")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("x-forwarded-for", "192.0.2.9")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&t.app, ok).await.0, StatusCode::OK);
}

/// Finding 7, "rate limits are bypassable": the client writes the first X-Forwarded-For
/// entries (and lines); only the last one, the trusted proxy's, counts.
#[tokio::test]
async fn rate_limit_keys_on_the_address_the_proxy_appended() {
    let t = inbox_with("trust_forwarded_for = true\n[rate_limits]\ncancel_attempts_per_hour = 3\n");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let forged = format!("10.0.0.{i}");
        // One header line the client sent, and the proxy's line after it; and the same in
        // one line, as proxies that append with a comma write it.
        let req = if i % 2 == 0 {
            Request::post("/v1/bookings/AAAA-BBBB-CCCC/cancel")
                .header("content-type", "application/json")
                .header("x-forwarded-for", forged.as_str())
                .header("x-forwarded-for", "203.0.113.5")
        } else {
            Request::post("/v1/bookings/AAAA-BBBB-CCCC/cancel")
                .header("content-type", "application/json")
                .header("x-forwarded-for", format!("{forged}, 203.0.113.5"))
        };
        let req = req
            .body(Body::from(r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#))
            .unwrap();
        statuses.push(call(&t.app, req).await.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
        ]
    );
}

/// Finding 7: one IPv6 /64 is one client.
#[tokio::test]
async fn rate_limit_keys_ipv6_by_64() {
    let t = inbox_with("trust_forwarded_for = true\n[rate_limits]\ncancel_attempts_per_hour = 2\n");
    let mut limited = 0;
    for i in 0..10 {
        let req = Request::post("/v1/bookings/AAAA-BBBB-CCCC/cancel")
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("2001:db8:7:7::{i:x}"))
            .body(Body::from(r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#))
            .unwrap();
        if call(&t.app, req).await.0 == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert_eq!(limited, 8);
}

/// Finding 8: `/metrics` reveals booking volume, so it needs a `metrics` token; `/healthz`
/// stays open.
#[tokio::test]
async fn metrics_need_a_metrics_scope_and_healthz_stays_open() {
    let hash = |t: &[u8]| kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(t));
    let t = inbox_with(&format!(
        "[[staff]]\nname = \"prometheus\"\ntoken_sha256 = \"{}\"\nscopes = [\"metrics\"]\n[[staff]]\nname = \"desk\"\ntoken_sha256 = \"{}\"\n",
        hash(b"kvt_metrics_only"),
        hash(b"kvt_default_scopes"),
    ));
    assert_eq!(call(&t.app, get("/healthz")).await.0, StatusCode::OK);
    assert_eq!(
        call(&t.app, get("/metrics")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let default_scopes = Request::get("/metrics")
        .header("authorization", "Bearer kvt_default_scopes")
        .body(Body::empty())
        .unwrap();
    let (s, _, json, _) = call(&t.app, default_scopes).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
    let with = |uri: &str| {
        Request::get(uri)
            .header("authorization", "Bearer kvt_metrics_only")
            .body(Body::empty())
            .unwrap()
    };
    let (s, _, _, text) = call(&t.app, with("/metrics")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("kuvert_"), "{text}");
    // And that token reads no bookings.
    let (s, _, json, _) = call(&t.app, with("/v1/staff/bookings")).await;
    assert_eq!(
        (s, error_code(&json)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
}

/// Finding 5, "the audit log is not tamper-evident": dropping the triggers and cutting the
/// tail, or rewriting a record and every hash after it, no longer verifies.
#[tokio::test]
async fn audit_cut_and_rewrite_are_detected_against_the_anchor() {
    let t = inbox();
    for _ in 0..6 {
        call(&t.app, staff("GET", "/v1/staff/bookings")).await;
    }
    let store = &t.state.inner().store;
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { records: 6 }
    );

    let db = t.dir.path().join("inbox.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > 3;",
    )
    .unwrap();
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Cut {
            anchored: 6,
            found: 3
        }
    );
}

#[tokio::test]
async fn audit_rewrite_with_recomputed_hashes_is_detected() {
    let t = inbox();
    for _ in 0..4 {
        call(&t.app, staff("GET", "/v1/staff/bookings")).await;
    }
    let db = t.dir.path().join("inbox.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
    // Rewrite record 2's actor and recompute the whole chain, as anyone with the database can
    // (the chain itself is unkeyed SHA-256).
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2", [])
        .unwrap();
    let rows: Vec<(i64, i64, String, String, String, String)> = conn
        .prepare("SELECT seq, time, actor, action, target, outcome FROM audit ORDER BY seq")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = kuvert_inbox::store::GENESIS.to_owned();
    for (seq, time, actor, action, target, outcome) in rows {
        let line = format!("{prev}\n{seq}\t{time}\t{actor}\t{action}\t{target}\t{outcome}");
        let hash = kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(line.as_bytes()));
        conn.execute(
            "UPDATE audit SET prev_sha256 = ?1, sha256 = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
    assert_eq!(
        t.state.inner().store.verify_audit().unwrap(),
        AuditCheck::Diverged { anchored: 4 }
    );
}

/// Finding 5: a backup copied over the database (a rollback) no longer verifies, and
/// `restore` records the rollback and re-applies the erasures made since the backup.
#[tokio::test]
async fn restore_reapplies_erasures_and_records_the_rollback() {
    let t = inbox();
    let mut refs = Vec::new();
    for (i, (start, end)) in [
        ("2027-03-01T09:00:00Z", "2027-03-01T09:30:00Z"),
        ("2027-03-01T10:00:00Z", "2027-03-01T10:30:00Z"),
    ]
    .iter()
    .enumerate()
    {
        let (env, _) = envelope(100 + i as u64, "cut", start, end, "");
        let (s, _, json, _) = call(&t.app, post_json("/v1/bookings", env)).await;
        assert_eq!(s, StatusCode::CREATED);
        refs.push(json["reference"].as_str().unwrap().to_owned());
    }
    call(&t.app, staff("GET", "/v1/staff/bookings")).await;
    let store = &t.state.inner().store;
    let backup = t.dir.path().join("backup.sqlite3");
    store.backup(&backup).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "finding 11: backups are private");
    }
    // After the backup: a staff erasure, and more audit records.
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    call(&t.app, staff("GET", "/v1/staff/bookings")).await;
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { records: 3 }
    );

    // A rollback by copying the file is detected…
    let rolled = tempfile::tempdir().unwrap();
    let copy = rolled.path().join("inbox.sqlite3");
    std::fs::copy(&backup, &copy).unwrap();
    for sidecar in [".audit-key", ".audit-head", ".erased"] {
        let name = format!("inbox.sqlite3{sidecar}");
        std::fs::copy(t.dir.path().join(&name), rolled.path().join(&name)).unwrap();
    }
    let copied = kuvert_inbox::store::Store::open(&copy).unwrap();
    assert_eq!(
        copied.verify_audit().unwrap(),
        AuditCheck::Cut {
            anchored: 3,
            found: 1
        }
    );

    // …and `restore` brings back neither the erased booking nor silence.
    let r = store.restore(&backup, unix(NOW), "test").unwrap();
    assert_eq!(
        (r.bookings, r.erased_again, r.audit_records_lost),
        (1, 1, 2)
    );
    assert!(
        store.get(&refs[0]).unwrap().is_none(),
        "an erased booking came back"
    );
    assert!(store.get(&refs[1]).unwrap().is_some());
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { records: 2 }
    );
    let conn = rusqlite::Connection::open(t.dir.path().join("inbox.sqlite3")).unwrap();
    let (action, target): (String, String) = conn
        .query_row(
            "SELECT action, target FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "restore");
    assert!(
        target.contains("ended at record 3") && target.contains("2 record(s) not in the backup"),
        "{target}"
    );
    // The erasure log names no reference.
    let erased = std::fs::read_to_string(t.dir.path().join("inbox.sqlite3.erased")).unwrap();
    assert!(!erased.contains(&refs[0]));
}

/// Finding 11: a WAL truncate that a reader blocks is reported and retried, not ignored.
#[tokio::test]
async fn wal_truncate_blocked_by_a_reader_is_retried() {
    let t = inbox();
    let (env, _) = envelope(7, "cut", "2027-03-01T09:00:00Z", "2027-03-01T09:30:00Z", "");
    let (_, _, json, _) = call(&t.app, post_json("/v1/bookings", env)).await;
    let reference = json["reference"].as_str().unwrap().to_owned();
    let store = &t.state.inner().store;
    store
        .set_busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let db = t.dir.path().join("inbox.sqlite3");
    let wal = t.dir.path().join("inbox.sqlite3-wal");
    // A reader holding a snapshot from before the erasure (as a long backup does).
    let reader = rusqlite::Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get(0))
        .unwrap();
    assert!(store.delete(&reference).unwrap());
    assert!(
        store.wal_truncate_pending(),
        "the blocked truncate was not noticed"
    );
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    assert!(store.retry_wal_truncate().unwrap());
    assert!(!store.wal_truncate_pending());
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
}

/// Finding 9: `allowed_origins` goes into the frame's CSP and CORS list, so only exact
/// origins are accepted, at start; a config that would break the header never serves.
#[test]
fn allowed_origins_are_exact_origins_or_the_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    for bad in [
        "https://*",
        "https://*.salon.example",
        "https://salon.example\\u0007",
        "https://salon.example;script-src *",
        "https://salon example",
        "https://Salon.example",
        "https://user@salon.example",
        "https://salon.example:0",
        "https://salon.example:99999",
        "https://salon.example/",
        "https://salon..example",
        "javascript://salon.example",
    ] {
        let text = config_text("").replace(
            "allowed_origins = [\"https://salon.example\"]",
            &format!("allowed_origins = [\"{bad}\"]"),
        );
        let err = kuvert_inbox::config::Config::from_toml(&text, dir.path(), "inbox.toml")
            .err()
            .unwrap_or_else(|| panic!("{bad} was accepted"))
            .to_string();
        assert!(err.contains("allowed_origins[0]"), "{err}");
        assert!(
            !err.contains('\u{7}'),
            "the error echoes a control character"
        );
    }
    for good in [
        "https://salon.example",
        "http://localhost:8080",
        "http://127.0.0.1:8080",
        "https://[2001:db8::1]:8443",
        "https://xn--sln-qla.example",
    ] {
        assert!(kuvert_inbox::config::is_origin(good), "{good}");
    }
}
