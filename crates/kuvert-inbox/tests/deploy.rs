//! The files under `deploy/`, exercised for real: the systemd units pass `systemd-analyze
//! verify`, the inbox's unit reaches an "OK" exposure level in `systemd-analyze security`, and
//! the backup service's two commands (`backup --keep`, `restore-drill`) do what it relies on.
//! (`deploy/Caddyfile` is exercised by `tests/browser/https.test.mjs`: a booking through Caddy
//! in Chromium.)

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");
const BIN: &str = env!("CARGO_BIN_EXE_kuvert-inbox");

/// The units as shipped, with the binary's path made this build's (verify checks that the
/// executable exists).
fn units(dir: &Path) -> Vec<PathBuf> {
    [
        "kuvert-inbox.service",
        "kuvert-backup.service",
        "kuvert-backup.timer",
    ]
    .iter()
    .map(|name| {
        let text = std::fs::read_to_string(Path::new(DEPLOY).join(name))
            .unwrap()
            .replace("/usr/local/bin/kuvert-inbox", BIN);
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    })
    .collect()
}

#[test]
fn the_systemd_units_verify_and_the_inbox_runs_sandboxed() {
    let dir = tempfile::tempdir().unwrap();
    let units = units(dir.path());
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .output()
        .expect("systemd-analyze (Debian's systemd package) is installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");

    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes"])
        .arg(&units[0])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no exposure level in:\n{text}"));
    println!("{}", line.trim());
    let score: f64 = line
        .rsplit(':')
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    // systemd's scale: below 2.0 is "OK" (and below 1.0 "SAFE").
    assert!(score < 2.0, "{line}");
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What kuvert-backup.service runs, on a real database after bookings, erasures and a purge:
/// rotation keeps N private backups with their heads, and the drill passes on a good backup
/// and fails on a tampered one.
#[tokio::test]
async fn backups_rotate_and_the_restore_drill_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("salon.json"), SALON).unwrap();
    let config = dir.path().join("inbox.toml");
    std::fs::write(
        &config,
        config_text("[accounts]\npublic_url = \"https://inbox.example\"\nroles = [\"desk\"]\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_owned();
    let backups = dir.path().join("backups");
    for args in [
        &["add-owner", "Olive"][..],
        &["invite", "Ana", "--role", "desk"],
    ] {
        let mut all = vec!["staff", "--config", &config];
        all.extend_from_slice(args);
        let (ok, out, err) = run(&all);
        assert!(ok && out.contains("/desk/#enrol="), "{out}{err}");
    }
    let t = TestInbox::at(dir.path());
    let mut refs = Vec::new();
    for (i, (start, end)) in [("09:00", "09:30"), ("09:30", "10:00"), ("10:00", "10:30")]
        .iter()
        .enumerate()
    {
        let (env, _) = envelope(
            50 + i as u64,
            "cut",
            &format!("2027-03-01T{start}:00Z"),
            &format!("2027-03-01T{end}:00Z"),
            "",
        );
        let (s, _, json, _) = call(&t.app, post_json("/v1/bookings", env)).await;
        assert_eq!(s, 201, "{json}");
        refs.push(json["reference"].as_str().unwrap().to_owned());
    }
    // An erasure, and a booking past its retention that a purge erases.
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", refs[0])),
    )
    .await;
    assert_eq!(s, 204);
    let (env, _) = envelope(
        60,
        "cut",
        "2027-03-01T09:00:00Z",
        "2027-03-01T09:30:00Z",
        "",
    );
    t.state
        .inner()
        .store
        .insert_unchecked(&[kuvert_inbox::store::NewBooking {
            reference: "EXPD-0000-0001",
            form: "salon",
            service: "cut",
            start: 0,
            end: 1,
            envelope: &env,
            cancel_sha256: "00",
            received: 0,
            expires: 1,
        }])
        .unwrap();
    let (ok, out, err) = run(&["purge", "--config", &config]);
    assert!(ok && out.contains("erased 1 booking(s)"), "{out}{err}");

    for _ in 0..3 {
        let (ok, out, err) = run(&[
            "backup",
            "--config",
            &config,
            "--keep",
            "2",
            backups.to_str().unwrap(),
        ]);
        assert!(ok && out.contains("backed up to"), "{out}{err}");
    }
    let names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let dbs: Vec<&String> = names.iter().filter(|n| n.ends_with(".sqlite3")).collect();
    assert_eq!(dbs.len(), 2, "{names:?}");
    assert_eq!(
        names.len(),
        4,
        "each backup keeps its audit head: {names:?}"
    );
    #[cfg(unix)]
    for n in &names {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(backups.join(n))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{n}");
    }

    // Erased after the newest backup: the drill must see it erased again.
    let (s, _, _, _) = call(
        &t.app,
        staff("DELETE", &format!("/v1/staff/bookings/{}", refs[1])),
    )
    .await;
    assert_eq!(s, 204);
    // And a leaver removed after it: the drill must see them removed again.
    let (ok, out, err) = run(&["staff", "--config", &config, "remove", "Ana"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(&[
        "restore-drill",
        "--config",
        &config,
        backups.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    for needle in [
        "integrity check: ok",
        "audit log: Intact",
        "bookings: 2; erased since the backup: 1 (erased again)",
        "erased bookings that came back: 0",
        "staff removed since the backup: 1 (removed again); came back: 0",
        "restore drill passed",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert_eq!(
        t.state.inner().store.count().unwrap(),
        1,
        "the drill changed nothing live"
    );

    // A backup whose audit log was cut fails the drill.
    let mut newest: Vec<PathBuf> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite3"))
        .collect();
    newest.sort();
    let conn = rusqlite::Connection::open(newest.last().unwrap()).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_delete; DELETE FROM audit;")
        .unwrap();
    drop(conn);
    let (ok, out, _) = run(&[
        "restore-drill",
        "--config",
        &config,
        backups.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("audit log: Cut"), "{out}");
}
