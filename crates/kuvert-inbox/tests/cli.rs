//! The `kuvert-inbox` binary: config check, tokens, backup/restore, audit verify, static files
//! with the frame's CSP, and a clean exit on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kuvert-inbox"))
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn setup(dir: &Path, extra: &str) -> String {
    std::fs::write(dir.join("salon.json"), SALON).unwrap();
    let path = dir.join("inbox.toml");
    std::fs::write(&path, config_text(extra)).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_example_config_is_valid() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inbox.toml");
    let (ok, out, err) = run(&["check", "--config", example]);
    assert!(ok, "{err}");
    assert!(
        out.contains("ok (1 form(s), 1 staff token(s) in the config, staff accounts off)"),
        "{out}"
    );
}

#[test]
fn a_broken_config_says_what_and_how_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.toml");
    std::fs::write(
        &path,
        config_text("").replace("Europe/Stockholm", "Europe/Atlantis"),
    )
    .unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    let (ok, _, err) = run(&["check", "--config", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains(
            "time_zone: `Europe/Atlantis` is not a known time zone; fix: use an IANA name"
        ),
        "{err}"
    );
    let (ok, _, err) = run(&["check", "--config", "/nonexistent/inbox.toml"]);
    assert!(
        !ok && err.contains("cannot read /nonexistent/inbox.toml"),
        "{err}"
    );
}

#[test]
fn token_prints_a_token_and_its_hash() {
    let (ok, out, _) = run(&["token"]);
    assert!(ok);
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token (give to the staff member; shown once): "))
        .unwrap();
    let hash = out
        .lines()
        .find_map(|l| l.strip_prefix("token_sha256 (put in the config under [[staff]]): "))
        .unwrap();
    assert!(token.starts_with("kvt_") && token.len() == 68);
    assert_eq!(
        hash,
        kuvert_core::hex(&<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()))
    );
}

#[tokio::test]
async fn backup_restore_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "");
    {
        let t = TestInbox::at(dir.path());
        let (env, _) = envelope(1, "cut", "2027-02-22T09:00:00Z", "2027-02-22T09:30:00Z", "");
        assert_eq!(call(&t.app, post_json("/v1/bookings", env)).await.0, 201);
        call(&t.app, staff("GET", "/v1/staff/export")).await;
    }
    let backup = dir.path().join("backup.sqlite3");
    let (ok, out, err) = run(&["backup", "--config", &config, backup.to_str().unwrap()]);
    assert!(ok && out.contains("backed up"), "{err}");
    let (ok, _, err) = run(&["backup", "--config", &config, backup.to_str().unwrap()]);
    assert!(
        !ok && err.contains("exists; choose a new file name"),
        "{err}"
    );

    let (ok, out, _) = run(&["audit", "verify", "--config", &config]);
    assert!(ok && out.contains("audit log ok: 1 record(s)"), "{out}");

    // Lose the booking, then restore it from the backup.
    rusqlite::Connection::open(dir.path().join("inbox.sqlite3"))
        .unwrap()
        .execute("DELETE FROM bookings", [])
        .unwrap();
    let (ok, out, err) = run(&["restore", "--config", &config, backup.to_str().unwrap()]);
    assert!(
        ok && out.contains("1 booking(s); 0 erased since the backup"),
        "{out}{err}"
    );
    // The restore is on record, and the log still verifies against its anchor.
    let (ok, out, err) = run(&["audit", "verify", "--config", &config]);
    assert!(
        ok && out.contains("audit log ok: 2 record(s)"),
        "{out}{err}"
    );
    let store = kuvert_inbox::store::Store::open(&dir.path().join("inbox.sqlite3")).unwrap();
    assert_eq!(store.count().unwrap(), 1);

    rusqlite::Connection::open(dir.path().join("inbox.sqlite3"))
        .unwrap()
        .execute(
            "INSERT INTO audit VALUES (3, 0, 'mallory', 'export', '-', 'ok', 'x', 'y')",
            [],
        )
        .unwrap();
    let (ok, _, err) = run(&["audit", "verify", "--config", &config]);
    assert!(!ok && err.contains("audit log broken at record 3"), "{err}");
}

#[test]
fn serves_static_files_with_the_frame_csp_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    std::fs::write(
        dir.path().join("www/frame.html"),
        "<!doctype html><title>frame</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("www/widget.3f9a0c1d.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.path().join("www/kuvert.js"), "/* loader */").unwrap();
    let config = setup(dir.path(), "static_dir = \"www\"");
    let (child, url) = spawn_server(Path::new(&config), Stdio::piped());

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut res = agent.get(format!("{url}/frame.html")).call().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors https://salon.example"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(csp.contains("require-trusted-types-for 'script'"), "{csp}");
    assert!(
        res.headers().get("access-control-allow-origin").is_none(),
        "only the loader is shared cross-origin"
    );
    assert!(
        res.headers().get("x-frame-options").is_none(),
        "the frame must be embeddable"
    );
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-cache");
    assert!(res.body_mut().read_to_string().unwrap().contains("frame"));
    let res = agent.get(format!("{url}/kuvert.js")).call().unwrap();
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "*",
        "the loader is fetched with crossorigin=anonymous for its SRI check"
    );
    let res = agent
        .get(format!("{url}/widget.3f9a0c1d.wasm"))
        .call()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("cache-control").unwrap(),
        "public, max-age=31536000, immutable"
    );
    let res = agent.get(format!("{url}/v1/forms/salon")).call().unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shutting down"));
}

#[test]
fn sigterm_finishes_a_request_that_is_in_flight() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "");
    let (mut child, url) = spawn_server(Path::new(&config), Stdio::null());
    let addr = url.trim_start_matches("http://").to_owned();

    // A booking request whose handler is running (the server asked for the body) ...
    let body = r#"{"kuvert":2}"#;
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(conn, "POST /v1/bookings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n", body.len()).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 100"), "{status}");
    let mut blank = String::new();
    reader.read_line(&mut blank).unwrap();

    // ... is still answered after SIGTERM, and then the server exits cleanly.
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    conn.write_all(body.as_bytes()).unwrap();
    let mut response = String::new();
    reader.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 422"), "{response}");
    assert!(response.contains("unsupported_version"), "{response}");
    assert!(child.wait().unwrap().success());
}
