//! No residue: once bookings are cancelled, deleted or purged, their ciphertext and their
//! cancellation hashes are nowhere in the database file, its WAL, or the logs; and the logs of
//! the whole run contain no envelope content, cancellation code or staff token. Staff accounts
//! too (issue 21): no invite, session or account token is anywhere in the clear (the database
//! holds their SHA-256 only), and once a person is removed not even those hashes remain.

mod common;

use axum::http::StatusCode;
use common::*;

/// A distinctive 48-character piece from the middle of the ciphertext.
fn sealed_piece(envelope: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(envelope).unwrap();
    let s = v["sealed"].as_str().unwrap();
    s[s.len() / 2..s.len() / 2 + 48].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_bookings_leave_nothing_behind() {
    let logs = Captured::install();

    let t = inbox_with(
        "[rate_limits]\nbookings_per_minute = 1000\ncancel_attempts_per_hour = 1000\n[accounts]\npublic_url = \"https://inbox.example\"\nroles = [\"desk\"]\n",
    );
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

    let accounts = staff_accounts(&t).await;

    let disk = files_bytes(t.dir.path());
    let logs = logs.0.lock().unwrap().clone();
    for (what, secret) in &accounts.secrets {
        assert!(!contains(&logs, secret), "{what} in the logs");
        assert!(!contains(&disk, secret), "{what} in the database files");
    }
    for (what, hash) in &accounts.removed_hashes {
        assert!(
            !contains_bytes(&disk, hash),
            "{what}'s hash left after the removal"
        );
    }
    // The check can fail: the hash of a token still in use is found.
    assert!(
        contains_bytes(&disk, &accounts.kept_hash),
        "the search does not work"
    );
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

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

struct AccountResidue {
    /// Secrets shown once, with what they are.
    secrets: Vec<(&'static str, String)>,
    /// Hashes of a removed person's secrets.
    removed_hashes: Vec<(&'static str, [u8; 32])>,
    /// The hash of a token that stays.
    kept_hash: [u8; 32],
}

/// Two people with invites, sessions and tokens that are used; one is removed.
async fn staff_accounts(t: &TestInbox) -> AccountResidue {
    use kuvert_inbox::people::{Secret, hash_secret};
    let store = &t.state.inner().store;
    let config = &t.state.inner().config;
    let accounts = config.accounts.as_ref().unwrap();
    let now = t.state.inner().clock.now();
    let roles = std::collections::BTreeSet::from(["desk".to_owned()]);
    let mut out = AccountResidue {
        secrets: Vec::new(),
        removed_hashes: Vec::new(),
        kept_hash: [0; 32],
    };
    for name in ["Ana", "Bo"] {
        let (person, invite, _) =
            kuvert_inbox::api::directory::invite_person(store, accounts, name, &roles, now)
                .unwrap()
                .unwrap();
        let invite_hash = hash_secret(invite.expose());
        store
            .enrol(&invite_hash, name.as_bytes(), "{}", now)
            .unwrap()
            .unwrap();
        let (session, session_hash) = Secret::generate().unwrap();
        store.add_session(person.id, &session_hash, now).unwrap();
        let (token, token_hash) = Secret::generate().unwrap();
        let scopes = std::collections::BTreeSet::from([kuvert_inbox::config::Scope::Read]);
        store
            .add_token(person.id, &token_hash, &scopes, now, now + 3600)
            .unwrap();
        let me = axum::http::Request::get("/v1/staff/me")
            .header(
                "cookie",
                format!("__Host-kuvert-session={}", session.expose()),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(call(&t.app, me).await.0, StatusCode::OK);
        let list = axum::http::Request::get("/v1/staff/bookings")
            .header("authorization", format!("Bearer {}", token.expose()))
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(call(&t.app, list).await.0, StatusCode::OK);
        out.secrets.push(("an invite", invite.expose().to_owned()));
        out.secrets
            .push(("a session id", session.expose().to_owned()));
        out.secrets
            .push(("an account token", token.expose().to_owned()));
        if name == "Ana" {
            out.removed_hashes.push(("Ana's session", session_hash));
            out.removed_hashes.push(("Ana's token", token_hash));
        } else {
            out.kept_hash = token_hash;
        }
    }
    assert!(store.remove_person("Ana").unwrap());
    out
}
