//! Kuvert's benchmark programs. `cargo xtask bench` builds this in release mode, runs each
//! command and writes BENCHMARKS.md from their JSON output. Numbers are never asserted.
//!
//! * `open [--count N]`: seal N bookings, then open them as the key tool does (`kuvert open`:
//!   `kuvert_core::open::open` over rayon) on one thread and on all cores, next to the raw
//!   X25519 Diffie-Hellman rate measured in the same run (each open does one DH: the floor).
//! * `load --inbox URL --form F --service S --concurrency C --count N`: the load generator, a
//!   separate process from the inbox it loads. Seals N bookings for free slots first, then posts
//!   them with C concurrent clients and reports accepted bookings per second and latency.
//! * `purge --count N --dir D`: fills a fresh inbox database with N expired bookings (one
//!   transaction per 10 000), reports its size per 1 000 bookings, then times the purge.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kuvert_core::{Booking, CancelCode, Envelope, PublicFacts, Recipient};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;

const DEMO_KEY: &str = include_str!("../../kuvert-core/examples/demo-key.txt");
const DEMO_PUBLIC: &str = "age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8";
const EXAMPLE: &str = include_str!("../../kuvert-core/examples/booking.json");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("open") => open(&args[1..]),
        Some("load") => load(&args[1..]),
        Some("purge") => purge(&args[1..]),
        _ => Err("usage: kuvert-bench open|load|purge [options] (see the source's header)".into()),
    };
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kuvert-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match flag(args, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name} needs a number")),
    }
}

/// The example booking (about 300 bytes of fields and receipt), for the given slot.
fn booking(form: &str, public: PublicFacts) -> Result<Booking, String> {
    let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).map_err(|e| e.to_string())?;
    v["kuvert"] = 1.into();
    v["form"] = form.into();
    v["public"] = serde_json::to_value(&public).map_err(|e| e.to_string())?;
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Seals `publics.len()` bookings in parallel, deterministic per `first_seed` + index.
fn seal_many(
    form: &str,
    publics: Vec<PublicFacts>,
    first_seed: u64,
) -> Result<Vec<Envelope>, String> {
    let recipients = Recipient::parse_list(DEMO_PUBLIC).map_err(|e| e.to_string())?;
    publics
        .into_par_iter()
        .enumerate()
        .map(|(i, public)| {
            let mut rng = ChaCha20Rng::seed_from_u64(first_seed.wrapping_add(i as u64));
            let code = CancelCode::generate(&mut rng).map_err(|e| e.to_string())?;
            let b = booking(form, public)?;
            kuvert_core::seal(&mut rng, &recipients, &b, &code).map_err(|e| e.to_string())
        })
        .collect()
}

fn open(args: &[String]) -> Result<String, String> {
    let count = number(args, "--count", 100_000)?;
    let public = PublicFacts {
        service: "cut".into(),
        start: "2027-03-01T09:00:00Z".into(),
        end: "2027-03-01T09:30:00Z".into(),
    };
    let envelopes = seal_many("salon", vec![public; count], 0)?;
    let identities = kuvert_core::open::identities_from_bytes(DEMO_KEY.as_bytes(), || None)
        .map_err(|e| e.to_string())?;
    let rate = |threads: usize| -> Result<f64, String> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let opened = pool.install(|| {
            envelopes
                .par_iter()
                .filter(|e| kuvert_core::open::open(e, &identities).is_ok())
                .count()
        });
        let secs = started.elapsed().as_secs_f64();
        if opened != count {
            return Err(format!("only {opened} of {count} opened"));
        }
        Ok(count as f64 / secs)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let single = rate(1)?;
    let all = rate(cores)?;
    // The floor: one X25519 scalar multiplication per open.
    let mut point = [9u8; 32];
    let scalar = [0x42u8; 32];
    let started = Instant::now();
    for _ in 0..count {
        point = x25519_dalek::x25519(scalar, point);
    }
    let dh = count as f64 / started.elapsed().as_secs_f64();
    std::hint::black_box(point);
    Ok(serde_json::json!({
        "count": count,
        "cores": cores,
        "open_per_s_1_core": single.round() as u64,
        "open_per_s_all_cores": all.round() as u64,
        "x25519_per_s_1_core": dh.round() as u64,
        "open_vs_dh_1_core": (single / dh * 1000.0).round() / 1000.0,
    })
    .to_string())
}

fn load(args: &[String]) -> Result<String, String> {
    let inbox = flag(args, "--inbox").ok_or("--inbox URL is required")?;
    let form = flag(args, "--form").unwrap_or_else(|| "bench".into());
    let service = flag(args, "--service").unwrap_or_else(|| "slot".into());
    let concurrency = number(args, "--concurrency", 1)?.max(1);
    let count = number(args, "--count", 1000)?;
    let capacity = number(args, "--capacity", 1000)?;
    let from = flag(args, "--from").ok_or("--from YYYY-MM-DD is required")?;
    let to = flag(args, "--to").ok_or("--to YYYY-MM-DD is required")?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut res = agent
        .get(format!(
            "{inbox}/v1/forms/{form}/slots?service={service}&from={from}&to={to}"
        ))
        .call()
        .map_err(|e| format!("cannot fetch slots: {e}"))?;
    let text = res
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("slots: {e}"))?;
    let body: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("slots: {e}"))?;
    // Spread the bookings over free slots, up to `capacity` per slot.
    let mut publics = Vec::with_capacity(count);
    for s in body["slots"].as_array().ok_or("no slots in the answer")? {
        let remaining = s["remaining"].as_u64().unwrap_or(0) as usize;
        for _ in 0..remaining.min(capacity) {
            if publics.len() == count {
                break;
            }
            publics.push(PublicFacts {
                service: service.clone(),
                start: s["start"].as_str().unwrap_or_default().into(),
                end: s["end"].as_str().unwrap_or_default().into(),
            });
        }
    }
    if publics.len() < count {
        return Err(format!(
            "only {} free places for {count} bookings",
            publics.len()
        ));
    }
    // Seeds of their own per run: a later run that books a slot an earlier one left room in
    // would otherwise seal byte-identical envelopes, which the inbox answers as resends.
    let first_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let bodies: Vec<String> = seal_many(&form, publics, first_seed)?
        .iter()
        .map(Envelope::to_json)
        .collect();
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(count));
    let accepted = AtomicUsize::new(0);
    let url = format!("{inbox}/v1/bookings");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = Instant::now();
                    let status = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(body.as_str())
                        .map(|r| r.status().as_u16());
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    if matches!(status, Ok(201)) {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(mine);
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let mut l = latencies.into_inner().unwrap_or_else(|p| p.into_inner());
    l.sort_by(f64::total_cmp);
    let pct = |p: f64| l[((l.len() as f64 - 1.0) * p).round() as usize];
    let accepted = accepted.into_inner();
    Ok(serde_json::json!({
        "concurrency": concurrency,
        "posted": count,
        "accepted": accepted,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "accepted_per_s": (accepted as f64 / secs).round() as u64,
        "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
        "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
    })
    .to_string())
}

fn purge(args: &[String]) -> Result<String, String> {
    let count = number(args, "--count", 1_000_000)?;
    let dir = flag(args, "--dir").ok_or("--dir is required")?;
    let path = std::path::Path::new(&dir).join("purge-bench.sqlite3");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = kuvert_inbox::store::Store::open(&path).map_err(|e| e.to_string())?;
    // A real envelope's size; the same ciphertext in every row is as large as distinct ones.
    let envelope = seal_many(
        "salon",
        vec![PublicFacts {
            service: "cut".into(),
            start: "2027-03-01T09:00:00Z".into(),
            end: "2027-03-01T09:30:00Z".into(),
        }],
        0,
    )?
    .remove(0)
    .to_json();
    let cancel = "0".repeat(64);
    let filled = Instant::now();
    let mut references: Vec<String> = Vec::with_capacity(10_000);
    for chunk in 0..count.div_ceil(10_000) {
        references.clear();
        let n = (count - chunk * 10_000).min(10_000);
        references.extend((0..n).map(|i| format!("B{:011}", chunk * 10_000 + i)));
        let rows: Vec<_> = references
            .iter()
            .map(|r| kuvert_inbox::store::NewBooking {
                reference: r,
                form: "salon",
                service: "cut",
                start: 1_800_000_000,
                end: 1_800_001_800,
                envelope: &envelope,
                cancel_sha256: &cancel,
                received: 1_700_000_000,
                expires: 1_700_000_100,
            })
            .collect();
        store.insert_unchecked(&rows).map_err(|e| e.to_string())?;
    }
    let fill_secs = filled.elapsed().as_secs_f64();
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let bytes = size(&path) + size(&wal);
    let started = Instant::now();
    let purged = store.purge(1_800_000_000).map_err(|e| e.to_string())?;
    let purge_secs = started.elapsed().as_secs_f64();
    if purged != count {
        return Err(format!("purged {purged} of {count}"));
    }
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(serde_json::json!({
        "count": count,
        "envelope_bytes": envelope.len(),
        "fill_seconds": (fill_secs * 10.0).round() / 10.0,
        "db_bytes_per_1k": (bytes as f64 / count as f64 * 1000.0).round() as u64,
        "purge_seconds": (purge_secs * 100.0).round() / 100.0,
    })
    .to_string())
}
