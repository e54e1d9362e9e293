//! Staff accounts through the router (`oneshot`): origins, invites, scopes, token expiry,
//! removal, ceremonies, and the grant round trip (the owner seals a role key to a person, the
//! person opens it and then a booking; someone without the grant cannot). Passkey ceremonies
//! themselves run in Chromium (`tests/browser/staff.test.mjs`); here a session is started the
//! way a finished sign-in starts it (`Store::add_session`).

mod common;

use age::secrecy::ExposeSecret;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use kuvert_inbox::api::directory::invite_person;
use kuvert_inbox::config::Scope;
use kuvert_inbox::people::{Person, Secret};
use std::collections::BTreeSet;
use std::io::{Read, Write};

const ORIGIN: &str = "https://inbox.example";

fn accounts_inbox() -> TestInbox {
    inbox_with(&format!(
        "[accounts]\npublic_url = \"{ORIGIN}\"\nroles = [\"desk\", \"care\"]\n"
    ))
}

/// An enrolled person (invite used with a stand-in credential id) and a live session secret.
fn enrolled(t: &TestInbox, name: &str, roles: &[&str]) -> (Person, Secret) {
    let store = &t.state.inner().store;
    let accounts = t.state.inner().config.accounts.as_ref().unwrap();
    let roles: BTreeSet<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    let now = t.state.inner().clock.now();
    let (person, invite, _) = invite_person(store, accounts, name, &roles, now)
        .unwrap()
        .unwrap();
    let hash = kuvert_inbox::people::hash_secret(invite.expose());
    store
        .enrol(&hash, name.as_bytes(), "{}", now)
        .unwrap()
        .unwrap();
    let (session, hash) = Secret::generate().unwrap();
    store.add_session(person.id, &hash, now).unwrap();
    (store.person(name).unwrap().unwrap(), session)
}

fn with_session(
    method: &str,
    uri: &str,
    session: &Secret,
    origin: Option<&str>,
    body: Option<String>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header(
        "cookie",
        format!("__Host-kuvert-session={}", session.expose()),
    );
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    match body {
        Some(json) => b
            .header("content-type", "application/json")
            .body(Body::from(json))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn with_token(method: &str, uri: &str, token: &Secret) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {}", token.expose()))
        .body(Body::empty())
        .unwrap()
}

fn token(t: &TestInbox, person: &Person, scopes: &[Scope], lifetime: i64) -> Secret {
    let (secret, hash) = Secret::generate().unwrap();
    let now = t.state.inner().clock.now();
    t.state
        .inner()
        .store
        .add_token(
            person.id,
            &hash,
            &scopes.iter().copied().collect(),
            now,
            now + lifetime,
        )
        .unwrap();
    secret
}

fn personal_key() -> (age::x25519::Identity, String) {
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    (id, public)
}

fn key_body(public: &str) -> String {
    serde_json::json!({"public_key": public, "wrapped": []}).to_string()
}

#[tokio::test]
async fn a_cookie_request_that_changes_something_needs_the_inbox_origin() {
    let t = accounts_inbox();
    let (_, session) = enrolled(&t, "Ana", &["desk"]);
    let (_, public) = personal_key();
    for origin in [
        None,
        Some("https://evil.example"),
        Some("http://inbox.example"),
    ] {
        let (status, _, json, _) = call(
            &t.app,
            with_session(
                "PUT",
                "/v1/staff/me/key",
                &session,
                origin,
                Some(key_body(&public)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
        assert_eq!(error_code(&json), "wrong_origin");
    }
    let (status, ..) = call(
        &t.app,
        with_session(
            "PUT",
            "/v1/staff/me/key",
            &session,
            Some(ORIGIN),
            Some(key_body(&public)),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Reading needs no Origin (SameSite=Strict keeps the cookie off cross-site requests).
    let (status, _, me, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/me", &session, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["public_key"], public.as_str());
    // Enrolment and sign-in are refused from elsewhere too (login CSRF).
    for path in ["/v1/staff/enrol/start", "/v1/staff/signin/start"] {
        let req = Request::post(path)
            .header("content-type", "application/json")
            .header("origin", "https://evil.example")
            .body(Body::from(r#"{"invite":"x","name":"Ana"}"#))
            .unwrap();
        let (status, _, json, _) = call(&t.app, req).await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::FORBIDDEN, "wrong_origin"),
            "{path}"
        );
    }
}

fn enrol_start(invite: &str) -> Request<Body> {
    Request::post("/v1/staff/enrol/start")
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(
            serde_json::json!({ "invite": invite }).to_string(),
        ))
        .unwrap()
}

#[tokio::test]
async fn invites_that_expired_were_used_or_never_were_are_refused_distinctly() {
    let t = accounts_inbox();
    let store = &t.state.inner().store;
    let accounts = t.state.inner().config.accounts.as_ref().unwrap();
    let now = t.state.inner().clock.now();
    let roles = BTreeSet::from(["desk".to_owned()]);
    let (_, fresh, _) = invite_person(store, accounts, "Ana", &roles, now)
        .unwrap()
        .unwrap();
    let (status, _, json, _) = call(&t.app, enrol_start(fresh.expose())).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(json["options"]["publicKey"]["challenge"].is_string());
    assert_eq!(
        json["options"]["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_ne!(
        json["options"]["publicKey"]["user"]["id"], "Ana",
        "the handle is not the name"
    );

    let (_, old, _) = invite_person(store, accounts, "Bo", &roles, now - 86_400)
        .unwrap()
        .unwrap();
    let (status, _, json, _) = call(&t.app, enrol_start(old.expose())).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::GONE, "invite_expired")
    );

    let (_, used, _) = invite_person(store, accounts, "Cy", &roles, now)
        .unwrap()
        .unwrap();
    let hash = kuvert_inbox::people::hash_secret(used.expose());
    store.enrol(&hash, b"cy", "{}", now).unwrap().unwrap();
    let (status, _, json, _) = call(&t.app, enrol_start(used.expose())).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::GONE, "invite_used")
    );

    let (status, _, json, _) = call(&t.app, enrol_start("not-an-invite")).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::NOT_FOUND, "invite_unknown")
    );

    // A finish for a ceremony that never was (or was finished: a replay) is refused.
    let req = Request::post("/v1/staff/signin/finish")
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(r#"{"ceremony":"gone","credential":{}}"#))
        .unwrap();
    let (status, _, json, _) = call(&t.app, req).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::BAD_REQUEST, "ceremony_expired")
    );
}

#[tokio::test]
async fn tokens_have_scopes_and_expire_and_owner_routes_need_an_owner() {
    let t = accounts_inbox();
    let (ana, ana_session) = enrolled(&t, "Ana", &["desk"]);
    let read = token(&t, &ana, &[Scope::Read], 3600);
    let (status, ..) = call(&t.app, with_token("GET", "/v1/staff/bookings", &read)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, json, _) = call(
        &t.app,
        with_token("DELETE", "/v1/staff/bookings/AAAA-BBBB-CCCC", &read),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
    for (method, path) in [
        ("GET", "/v1/staff/people"),
        ("DELETE", "/v1/staff/people/Ana"),
    ] {
        let (status, ..) = call(&t.app, with_token(method, path, &read)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} by token");
        let (status, ..) = call(
            &t.app,
            with_session(method, path, &ana_session, Some(ORIGIN), None),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} by a desk session");
    }
    t.clock.set(t.state.inner().clock.now() + 3600);
    let (status, _, json, _) = call(&t.app, with_token("GET", "/v1/staff/bookings", &read)).await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}

#[tokio::test]
async fn a_removed_person_is_refused_at_once_by_session_and_by_token() {
    let t = accounts_inbox();
    let (_, owner) = enrolled(&t, "Olive", &["owner"]);
    let (ana, ana_session) = enrolled(&t, "Ana", &["desk"]);
    let ana_token = token(&t, &ana, &[Scope::Read], 3600);
    let (status, ..) = call(
        &t.app,
        with_session("DELETE", "/v1/staff/people/Ana", &owner, Some(ORIGIN), None),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, ..) = call(
        &t.app,
        with_session("GET", "/v1/staff/me", &ana_session, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, ..) = call(&t.app, with_token("GET", "/v1/staff/bookings", &ana_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, json, _) = call(
        &t.app,
        with_session("DELETE", "/v1/staff/people/Ana", &owner, Some(ORIGIN), None),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

/// Seals `plaintext` to `recipient` as armored age (what `kuvert grant` and the console do).
fn seal_armored(recipient: &str, plaintext: &[u8]) -> String {
    let r: age::x25519::Recipient = recipient.parse().unwrap();
    let e = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut out = vec![];
    let armor =
        age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor).unwrap();
    let mut w = e.wrap_output(armor).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap().finish().unwrap();
    String::from_utf8(out).unwrap()
}

fn open_armored(identity: &age::x25519::Identity, file: &str) -> Option<Vec<u8>> {
    let d = age::Decryptor::new(age::armor::ArmoredReader::new(file.as_bytes())).ok()?;
    let mut r = d
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .ok()?;
    let mut out = vec![];
    r.read_to_end(&mut out).ok()?;
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_opens_bookings_for_its_holder_only_and_no_secret_is_left_in_logs_or_database() {
    let logs = Captured::install();
    let t = accounts_inbox();
    let (_, owner) = enrolled(&t, "Olive", &["owner"]);
    let (ana, ana_session) = enrolled(&t, "Ana", &["desk"]);
    let (_, bo_session) = enrolled(&t, "Bo", &["desk"]);

    // The desk role's key: a booking sealed to its recipient.
    let desk = age::x25519::Identity::generate();
    let desk_public = desk.to_public().to_string();
    let (envelope, _) = envelope_to(&desk_public);
    let (status, ..) = call(&t.app, post_json("/v1/bookings", envelope.clone())).await;
    assert_eq!(status, StatusCode::CREATED);

    // Ana and Bo set personal keys; only Ana is granted the desk key.
    let (ana_key, ana_public) = personal_key();
    let (bo_key, bo_public) = personal_key();
    for (s, p) in [(&ana_session, &ana_public), (&bo_session, &bo_public)] {
        let (status, ..) = call(
            &t.app,
            with_session(
                "PUT",
                "/v1/staff/me/key",
                s,
                Some(ORIGIN),
                Some(key_body(p)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, _, key, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/people/Ana/key", &owner, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(key["public_key"], ana_public.as_str());
    let secret_line = desk.to_string();
    let sealed = seal_armored(&ana_public, secret_line.expose_secret().as_bytes());
    let body = serde_json::json!({ "sealed": sealed }).to_string();
    let (status, ..) = call(
        &t.app,
        with_session(
            "PUT",
            "/v1/staff/people/Ana/grants/desk",
            &owner,
            Some(ORIGIN),
            Some(body.clone()),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, json, _) = call(
        &t.app,
        with_session(
            "PUT",
            "/v1/staff/people/Ana/grants/nurse",
            &owner,
            Some(ORIGIN),
            Some(body),
        ),
    )
    .await;
    assert_eq!(
        (status, error_code(&json)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_role")
    );

    // Ana opens her grant, then the booking with the key inside it.
    let (status, _, grants, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/me/grants", &ana_session, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grants["grants"][0]["role"], "desk");
    assert_eq!(grants["grants"][0]["granted_by"], "Olive");
    let opened = open_armored(&ana_key, grants["grants"][0]["sealed"].as_str().unwrap()).unwrap();
    let role_key: age::x25519::Identity = std::str::from_utf8(&opened)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (_, _, page, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/bookings", &ana_session, None, None),
    )
    .await;
    let stored = page["bookings"][0]["envelope"].to_string();
    let stored = kuvert_core::Envelope::from_json(stored.as_bytes()).unwrap();
    let booking = kuvert_core::open::open(&stored, &[Box::new(role_key)]).unwrap();
    assert_eq!(booking.fields.get("name"), Some("Ann Berg"));

    // Bo has no grant, and Ana's cannot be opened with his key.
    let (_, _, bo_grants, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/me/grants", &bo_session, None, None),
    )
    .await;
    assert_eq!(bo_grants["grants"].as_array().unwrap().len(), 0);
    assert!(open_armored(&bo_key, grants["grants"][0]["sealed"].as_str().unwrap()).is_none());
    assert!(kuvert_core::open::open(&stored, &[Box::new(bo_key.clone())]).is_err());

    // Withdrawn: gone from Ana's grants and roles.
    let (status, ..) = call(
        &t.app,
        with_session(
            "DELETE",
            "/v1/staff/people/Ana/grants/desk",
            &owner,
            Some(ORIGIN),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, me, _) = call(
        &t.app,
        with_session("GET", "/v1/staff/me", &ana_session, None, None),
    )
    .await;
    assert_eq!(me["grants"].as_array().unwrap().len(), 0);
    assert_eq!(me["roles"].as_array().unwrap().len(), 0);
    let ana_token = token(&t, &ana, &[Scope::Read], 3600);
    let _ = call(&t.app, with_token("GET", "/v1/staff/me", &ana_token)).await;

    // No session id, token or role secret key in the logs or the database file and its WAL.
    let db = t.state.inner().config.database.clone();
    let mut files = std::fs::read(&db).unwrap();
    files.extend(std::fs::read(db.with_extension("sqlite3-wal")).unwrap_or_default());
    let logs = logs.0.lock().unwrap().clone();
    for secret in [
        owner.expose(),
        ana_session.expose(),
        bo_session.expose(),
        ana_token.expose(),
        secret_line.expose_secret(),
    ] {
        assert!(!contains(&logs, secret), "a secret in the logs");
        assert!(!contains(&files, secret), "a secret in the database");
    }
    assert!(!contains(&logs, "Ann Berg"));
}

/// A booking for the salon's first slot sealed to `recipient`.
fn envelope_to(recipient: &str) -> (String, kuvert_core::CancelCode) {
    envelope_for(
        recipient.parse().unwrap(),
        1,
        "cut",
        "2027-02-22T10:00:00Z",
        "2027-02-22T10:30:00Z",
        "",
    )
}
