//! No residue: once bookings are cancelled, deleted or purged, their ciphertext and their
//! cancellation hashes are nowhere in the database file, its WAL, or the logs; and the logs of
//! the whole run contain no envelope content, cancellation code or staff token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A distinctive 48-character piece from the middle of the ciphertext.
fn sealed_piece(envelope: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(envelope).unwrap();
    let s = v["sealed"].as_str().unwrap();
    s[s.len() / 2..s.len() / 2 + 48].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_bookings_leave_nothing_behind() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let t = inbox();
    let slots = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];
    let mut booked = Vec::new();
    for (i, hhmm) in slots.iter().enumerate() {
        let start = format!("2027-02-22T{hhmm}:00Z");
        let end = kuvert_core::UtcTimestamp::from_unix(unix(&start) + 1800)
            .unwrap()
            .to_string();
        // Later bookings are a week later, so they outlive the purge below.
        let (start, end) = if i >= 4 {
            (start.replace("-22T", "-23T"), end.replace("-22T", "-23T"))
        } else {
            (start, end)
        };
        let (env, code) = envelope(500 + i as u64, "cut", &start, &end, "canary note 7f3a");
        let (s, _, json, _) = call(&t.app, post_json("/v1/bookings", env.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{json}");
        let cancel_hash = serde_json::from_str::<serde_json::Value>(&env).unwrap()["cancel"]
            .as_str()
            .unwrap()
            .to_owned();
        booked.push((
            json["reference"].as_str().unwrap().to_owned(),
            env,
            code,
            cancel_hash,
        ));
    }
    // 0, 1: cancelled by the customer. 2: deleted by staff. 3, 4: purged. 5: stays.
    for (reference, _, code, _) in &booked[..2] {
        let body = format!(r#"{{"code":"{}"}}"#, code.display_grouped());
        let (s, _, _, _) = call(
            &t.app,
            post_json(&format!("/v1/bookings/{reference}/cancel"), body),
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        // A wrong code first would be logged by route only; try one too.
        call(
            &t.app,
            post_json(
                &format!("/v1/bookings/{reference}/cancel"),
                r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#,
            ),
        )
        .await;
    }
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", booked[2].0)),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    call(&t.app, staff("GET", "/v1/staff/export")).await;
    t.clock.set(unix("2027-03-24T12:00:00Z")); // past the expiry of the Monday bookings only
    assert_eq!(
        t.state.purge().await.unwrap(),
        1,
        "booking 3 (Monday) expires; 4 and 5 are Tuesday"
    );
    t.clock.set(unix("2027-03-25T11:45:00Z")); // booking 4 (ends Tue 11:30) has expired, 5 (ends 12:00) not
    assert_eq!(t.state.purge().await.unwrap(), 1);

    let disk = files_bytes(t.dir.path());
    let logs = logs.0.lock().unwrap().clone();
    for (i, (reference, env, code, hash)) in booked.iter().enumerate() {
        let piece = sealed_piece(env);
        if i < 5 {
            assert!(
                !contains(&disk, &piece),
                "booking {i}: ciphertext left on disk"
            );
            assert!(
                !contains(&disk, hash),
                "booking {i}: cancel hash left on disk"
            );
        } else {
            // The check can fail: what is still stored is found.
            assert!(
                contains(&disk, &piece) && contains(&disk, hash),
                "the search does not work"
            );
        }
        assert!(!contains(&logs, &piece), "booking {i}: ciphertext in logs");
        assert!(!contains(&logs, hash), "booking {i}: cancel hash in logs");
        assert!(
            !contains(&logs, &code.display_grouped()),
            "booking {i}: cancellation code in logs"
        );
        assert!(
            !contains(&logs, reference),
            "booking {i}: reference in logs"
        );
    }
    assert!(!contains(&logs, TOKEN), "staff token in logs");
    assert!(!contains(&logs, "canary note"), "plaintext?! in logs");
    assert!(
        contains(&logs, "route=/v1/bookings"),
        "the logs are captured"
    );
}
