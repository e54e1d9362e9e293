//! Durability: the real binary is killed with SIGKILL at random points while several clients
//! book; after each restart every booking that got a 201 is there exactly once and SQLite's
//! integrity check passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use common::*;
use kuvert_core::UtcTimestamp;
use rand_core::{Rng, SeedableRng};

const CLIENTS: usize = 4;
const ROUNDS: usize = 4;

fn write_config(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("salon.json"), SALON).unwrap();
    let every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .map(|d| format!("{d} = [\"00:00-24:00\"]"))
        .join(", ");
    let text = format!(
        r#"listen = "127.0.0.1:0"
database = "inbox.sqlite3"
time_zone = "UTC"
[rate_limits]
bookings_per_minute = 100000
[[forms]]
schema_file = "salon.json"
recipients = ["age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8"]
[forms.services.cut]
hours = {{ {every_day} }}
horizon_days = 30
min_notice_minutes = 0
[forms.services.colour]
hours = {{ mon = ["09:00-17:00"] }}
"#
    );
    let path = dir.join("inbox.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts the server; returns it and its base URL once it listens.
fn start(config: &Path, log: &Path) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    spawn_server(config, Stdio::from(log))
}

#[test]
fn acknowledged_bookings_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let log = dir.path().join("inbox.log");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let base = (now + 3600).div_euclid(1800) * 1800 + 1800;
    let next_slot = Arc::new(AtomicUsize::new(0));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    // What must never reach the log: a piece of each sealed part, and each cancel hash.
    let secrets: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(now as u64);

    for round in 0..ROUNDS {
        let (mut child, url) = start(&config, &log);
        let (tx, rx) = mpsc::channel();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (url, next_slot, acked, tx, secrets) = (
                    url.clone(),
                    next_slot.clone(),
                    acked.clone(),
                    tx.clone(),
                    secrets.clone(),
                );
                std::thread::spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    loop {
                        let i = next_slot.fetch_add(1, Ordering::SeqCst) as i64;
                        let start = UtcTimestamp::from_unix(base + i * 1800)
                            .unwrap()
                            .to_string();
                        let end = UtcTimestamp::from_unix(base + i * 1800 + 1800)
                            .unwrap()
                            .to_string();
                        let (env, _) = envelope(
                            (round * 100_000 + c * 10_000) as u64 + i as u64,
                            "cut",
                            &start,
                            &end,
                            "",
                        );
                        {
                            let v: serde_json::Value = serde_json::from_str(&env).unwrap();
                            let sealed = v["sealed"].as_str().unwrap();
                            let mut list = secrets.lock().unwrap();
                            list.push(sealed[sealed.len() / 2..sealed.len() / 2 + 40].to_owned());
                            list.push(v["cancel"].as_str().unwrap().to_owned());
                        }
                        let Ok(mut res) = agent
                            .post(format!("{url}/v1/bookings"))
                            .content_type("application/json")
                            .send(&env)
                        else {
                            return; // the server is gone
                        };
                        let status = res.status().as_u16();
                        let Ok(body) = res.body_mut().read_to_string() else {
                            return;
                        };
                        assert_eq!(status, 201, "{body}");
                        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
                        acked
                            .lock()
                            .unwrap()
                            .push(json["reference"].as_str().unwrap().to_owned());
                        if tx.send(()).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        // Kill after a random number of acknowledgements in this round: a random point in
        // the stream of commits, chosen by progress rather than by time.
        let kill_after = 5 + (rng.next_u32() % 20) as usize;
        for _ in 0..kill_after {
            rx.recv().unwrap();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        drop(rx);
        for c in clients {
            c.join().unwrap();
        }
    }

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= ROUNDS * 5);
    eprintln!(
        "{} acknowledged bookings over {ROUNDS} SIGKILLs; {} slot(s) attempted",
        acked.len(),
        next_slot.load(Ordering::SeqCst)
    );
    let store = kuvert_inbox::store::Store::open(&dir.path().join("inbox.sqlite3")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    for reference in &acked {
        assert!(
            store.get(reference).unwrap().is_some(),
            "acknowledged booking {reference} lost"
        );
    }
    let conn = rusqlite::Connection::open(dir.path().join("inbox.sqlite3")).unwrap();
    for reference in &acked {
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM bookings WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{reference} stored {n} times");
    }
    let doubled: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT start FROM bookings GROUP BY start HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(doubled, 0, "a capacity-1 slot holds two bookings");
    // The server's own log (every round) holds no ciphertext, cancel hash or reference.
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("request"), "the log was written");
    for needle in secrets.lock().unwrap().iter().chain(acked.iter()) {
        assert!(
            !log_text.contains(needle.as_str()),
            "{needle} found in the server log"
        );
    }
    // A restart after the last kill serves again.
    let (mut child, url) = start(&config, &log);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let res = agent.get(format!("{url}/healthz")).call().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
}
