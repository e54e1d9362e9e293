//! `cargo xtask bench`: measures weight, browser speed, staff opening, inbox load and purge,
//! runs the fuzzer for a while, and rewrites BENCHMARKS.md. Nothing here asserts a number.
//!
//! Options: `--quick` (small counts, for checking the pipeline), `--fuzz-seconds N` (default
//! 600), `--no-fuzz`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::cmd::{Cmd, cargo, root};
use crate::widget;

struct Options {
    quick: bool,
    fuzz_seconds: Option<u64>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        fuzz_seconds: Some(600),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-fuzz" => o.fuzz_seconds = None,
            "--fuzz-seconds" => {
                o.fuzz_seconds = Some(
                    it.next()
                        .and_then(|n| n.parse().ok())
                        .ok_or("--fuzz-seconds needs a number of seconds")?,
                )
            }
            other => {
                return Err(format!(
                    "unknown bench option `{other}` (use --quick, --fuzz-seconds N, --no-fuzz)"
                ));
            }
        }
    }
    Ok(o)
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn json(text: &str) -> Result<Value, String> {
    let last = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("not JSON ({e}): {text}"))
}

fn bin(name: &str) -> PathBuf {
    root().join("target/release").join(name)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let o = options(args)?;
    let started = Instant::now();
    crate::setup::all(true)?;
    let cargo = cargo();
    Cmd::new(&cargo)
        .args([
            "build",
            "--locked",
            "--release",
            "-p",
            "kuvert-bench",
            "-p",
            "kuvert-inbox",
        ])
        .run()?;
    let dir = root().join("target/bench");
    let web = dir.join("web");
    std::fs::create_dir_all(&web).map_err(|e| e.to_string())?;

    // The bench build of the widget (with `bench_seal`), then the shipped one.
    widget::compile(&cargo, &["bench"], &web.join("pkg"))?;
    widget::build(&cargo)?;
    let esbuild = root().join("node_modules/.bin/esbuild");
    for name in ["sodium", "hpke", "openpgp"] {
        Cmd::new(esbuild.to_str().ok_or("non-UTF-8 path")?)
            .arg(root().join(format!("crates/xtask/bench/{name}.mjs")))
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                "--log-level=warning",
            ])
            .arg(format!(
                "--outfile={}",
                web.join(format!("{name}.js")).display()
            ))
            .run()?;
    }
    std::fs::copy(
        root().join("crates/xtask/bench/index.html"),
        web.join("index.html"),
    )
    .map_err(|e| e.to_string())?;

    // 1. Weight.
    let mut weight = Vec::new();
    let mut frame = (0, 0, 0);
    for f in widget::frame_files()? {
        let s =
            widget::sizes(&std::fs::read(root().join("www").join(f)).map_err(|e| e.to_string())?);
        frame = (frame.0 + s.0, frame.1 + s.1, frame.2 + s.2);
    }
    let loader =
        widget::sizes(&std::fs::read(root().join("www/kuvert.js")).map_err(|e| e.to_string())?);
    weight.push(("Kuvert loader `kuvert.js`".to_owned(), loader, "≤ 1.5 KB"));
    weight.push((
        "Kuvert frame: html, css, glue, Wasm (form, notice, sealer), one language pack".to_owned(),
        frame,
        "≤ 48 KB",
    ));
    for (name, what) in [
        ("sodium", "libsodium-wrappers: `crypto_box_seal` only"),
        (
            "hpke",
            "hpke-js: @hpke/core + dhkem-x25519 + chacha20poly1305",
        ),
        ("openpgp", "OpenPGP.js: `encrypt` to a curve25519 key"),
    ] {
        let s = widget::sizes(
            &std::fs::read(web.join(format!("{name}.js"))).map_err(|e| e.to_string())?,
        );
        weight.push((what.to_owned(), s, ""));
    }

    // An inbox for the browser and load runs: the salon for the cold start, and a `bench`
    // form whose one service takes 1 000 bookings per slot.
    let inbox_dir = dir.join("inbox");
    let _ = std::fs::remove_dir_all(&inbox_dir);
    std::fs::create_dir_all(&inbox_dir).map_err(|e| e.to_string())?;
    let host = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let host_origin = format!("http://{}", host.local_addr().map_err(|e| e.to_string())?);
    let (mut inbox, inbox_url) = start_inbox(&inbox_dir, &host_origin)?;
    let result = (|| -> Result<(Value, Value, Vec<Value>), String> {
        let snippet = format!(
            r#"<script src="{inbox_url}/kuvert.js" crossorigin="anonymous" data-inbox="{inbox_url}" data-form="salon" data-recipients="age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8" async></script>"#
        );
        let page = crate::demo::host_page(&snippet);
        std::thread::spawn(move || crate::demo::serve_page(host, page));

        // 2. Browser speed.
        let seals = if o.quick { "200" } else { "2000" };
        let browser = json(&output(
            Command::new("node")
                .arg(root().join("crates/xtask/bench/browser.mjs"))
                .arg(&web)
                .arg(&inbox_url)
                .arg(format!("{host_origin}/"))
                .arg(seals),
        )?)?;

        // 3. Staff open.
        let count = if o.quick { "10000" } else { "100000" };
        let open = json(&output(
            Command::new(bin("kuvert-bench")).args(["open", "--count", count]),
        )?)?;

        // 4. Inbox load, from a separate process.
        let (from, to) = dates(60)?;
        let mut load = Vec::new();
        for (c, n) in [(1, 300), (16, 3000), (64, 6000)] {
            let n = if o.quick { n / 10 } else { n };
            load.push(json(&output(Command::new(bin("kuvert-bench")).args([
                "load",
                "--inbox",
                &inbox_url,
                "--form",
                "bench",
                "--service",
                "slot",
                "--concurrency",
                &c.to_string(),
                "--count",
                &n.to_string(),
                "--from",
                &from,
                "--to",
                &to,
            ]))?)?);
        }
        Ok((browser, open, load))
    })();
    let _ = inbox.kill();
    let _ = inbox.wait();
    let (browser, open, load) = result?;

    let count = if o.quick { "50000" } else { "1000000" };
    let purge = json(&output(Command::new(bin("kuvert-bench")).args([
        "purge",
        "--count",
        count,
        "--dir",
        dir.to_str().ok_or("non-UTF-8 path")?,
    ]))?)?;

    // 5. Fuzzing.
    let fuzz = match o.fuzz_seconds {
        Some(secs) => Some(fuzz(secs)?),
        None => None,
    };

    let doc = render(&Report {
        quick: o.quick,
        weight,
        browser,
        open,
        load,
        purge,
        fuzz,
        minutes: started.elapsed().as_secs_f64() / 60.0,
    });
    std::fs::write(root().join("BENCHMARKS.md"), doc).map_err(|e| e.to_string())?;
    println!("\nwrote BENCHMARKS.md");
    Ok(())
}

/// Tomorrow (so every slot is in the future) and `days` after it, as `YYYY-MM-DD`.
fn dates(days: u64) -> Result<(String, String), String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let tomorrow = now + 86_400;
    Ok((date(tomorrow), date(tomorrow + days * 86_400)))
}

/// `YYYY-MM-DD` of a Unix time, by the core's one UTC formatter.
fn date(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(kuvert_core::UtcTimestamp::from_unix)
        .map(|t| t.to_string()[..10].to_owned())
        .unwrap_or_default()
}

fn start_inbox(dir: &Path, host_origin: &str) -> Result<(std::process::Child, String), String> {
    let salon = include_str!("../../kuvert-core/tests/fixtures/salon.json");
    std::fs::write(dir.join("salon.json"), salon).map_err(|e| e.to_string())?;
    let mut bench: Value = serde_json::from_str(salon).map_err(|e| e.to_string())?;
    bench["id"] = "bench".into();
    bench["services"] = serde_json::json!([
        {"id": "slot", "name": "Bench slot", "duration_minutes": 30, "capacity": 1000}
    ]);
    std::fs::write(dir.join("bench.json"), bench.to_string()).map_err(|e| e.to_string())?;
    let all_day = r#"{ mon = ["00:00-23:30"], tue = ["00:00-23:30"], wed = ["00:00-23:30"], thu = ["00:00-23:30"], fri = ["00:00-23:30"], sat = ["00:00-23:30"], sun = ["00:00-23:30"] }"#;
    let config = format!(
        r#"listen = "127.0.0.1:0"
database = "inbox.sqlite3"
time_zone = "Europe/Stockholm"
allowed_origins = ["{host_origin}"]
static_dir = {www:?}

[rate_limits]
bookings_per_minute = 1000000
cancel_attempts_per_hour = 1000

[[forms]]
schema_file = "salon.json"
recipients = ["age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8"]
[forms.services.cut]
hours = {all_day}
horizon_days = 60
min_notice_minutes = 0
[forms.services.colour]
hours = {all_day}
horizon_days = 60
min_notice_minutes = 0

[[forms]]
schema_file = "bench.json"
recipients = ["age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8"]
[forms.services.slot]
hours = {all_day}
horizon_days = 62
min_notice_minutes = 0
"#,
        www = root().join("www").display().to_string(),
    );
    std::fs::write(dir.join("inbox.toml"), config).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin("kuvert-inbox"))
        .args(["serve", "--config"])
        .arg(dir.join("inbox.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start kuvert-inbox: {e}"))?;
    let mut line = String::new();
    let mut reader = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line.trim().rsplit(' ').next().unwrap_or("").to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        let _ = child.kill();
        return Err(format!("kuvert-inbox did not start: {line}"));
    }
    // The host page is on 127.0.0.1: name the inbox `localhost` so the frame is cross-origin.
    Ok((child, url.replace("127.0.0.1", "localhost")))
}

struct Fuzz {
    seconds: u64,
    runs: u64,
    findings: usize,
}

fn fuzz(seconds: u64) -> Result<Fuzz, String> {
    let has = Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        Cmd::new(&cargo())
            .args(["install", "cargo-fuzz", "--locked"])
            .run()?;
    }
    let fuzz_dir = root().join("fuzz");
    let artifacts = fuzz_dir.join("artifacts/envelope_open");
    let before = count_files(&artifacts);
    println!("$ cargo fuzz run envelope_open -- -max_total_time={seconds}");
    let out = Command::new(cargo())
        .current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            "run",
            "envelope_open",
            "--",
            &format!("-max_total_time={seconds}"),
            "-print_final_stats=1",
        ])
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let runs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let findings = count_files(&artifacts).saturating_sub(before);
    if !out.status.success() && findings == 0 {
        return Err(format!("cargo fuzz failed:\n{log}"));
    }
    Ok(Fuzz {
        seconds,
        runs,
        findings,
    })
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

struct Report {
    quick: bool,
    weight: Vec<(String, (usize, usize, usize), &'static str)>,
    browser: Value,
    open: Value,
    load: Vec<Value>,
    purge: Value,
    fuzz: Option<Fuzz>,
    minutes: f64,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|kb| kb.trim().trim_end_matches(" kB").parse::<u64>().ok())
        })
        .map_or_else(String::new, |kb| format!(", {} GiB RAM", kb / 1024 / 1024));
    let version = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    format!(
        "{cpu}, {cores} cores{mem}; {}; node {}; {}",
        version("rustc", "--version"),
        version("node", "--version"),
        version("/usr/bin/chromium", "--version")
    )
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

fn render(r: &Report) -> String {
    let mut s = String::new();
    let date = date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    s.push_str("# Benchmarks\n\n");
    s.push_str(&format!(
        "Written by `cargo xtask bench{}` on {date} in {:.0} minutes.\n\nMachine: {}.\n\n",
        if r.quick { " --quick" } else { "" },
        r.minutes,
        machine()
    ));
    if r.quick {
        s.push_str(
            "**This is a `--quick` run: small counts, for checking the pipeline only.**\n\n",
        );
    }
    s.push_str("Everything in one table comes from the same run, side by side; compare within a table, not across machines or runs. No test asserts these numbers.\n\n");

    s.push_str("## 1. Weight\n\nWhat a page downloads to seal one booking. Kuvert's frame also holds the whole form, the notice and the strings in the customer's language; the others are only the sealing library, bundled with esbuild (`--bundle --minify`, `crates/xtask/bench/*.mjs`).\n\n| what | raw | gzip -9 | brotli 11 | ceiling (the build fails above it) |\n|---|---:|---:|---:|---|\n");
    for (name, (raw, gz, br), budget) in &r.weight {
        s.push_str(&format!(
            "| {name} | {} | {} | {} | {budget} |\n",
            kb(*raw),
            kb(*gz),
            kb(*br)
        ));
    }
    s.push_str(
        "\nCommand: `cargo xtask build-widget` prints the first two rows on every build.\n\n",
    );

    let b = &r.browser;
    s.push_str(&format!(
        "## 2. Browser speed\n\nHeadless Chromium, one page; {} seals of a {}-byte booking each, interleaved in ten rounds (`crates/xtask/bench/browser.mjs`). Kuvert's row is the shipped sealer (age v1, X25519, plus the JSON envelope and base64); it is called synchronously, the others through promises.\n\n| sealer | median µs | p90 µs |\n|---|---:|---:|\n",
        b["kuvert"]["n"], b["plaintext_bytes"]
    ));
    for (k, name) in [
        ("kuvert", "Kuvert Wasm (`bench_seal`)"),
        ("libsodium", "libsodium `crypto_box_seal`"),
        (
            "hpke",
            "hpke-js seal (X25519, HKDF-SHA256, ChaCha20-Poly1305)",
        ),
    ] {
        s.push_str(&format!(
            "| {name} | {} | {} |\n",
            b[k]["median_us"], b[k]["p90_us"]
        ));
    }
    s.push_str(&format!(
        "\nCold start, from the loader's response to the first service choice in the frame (fresh browser context, inbox on loopback, 5 runs): median **{} ms** (runs: {}).\n\n",
        b["cold_start_ms"]["median"], b["cold_start_ms"]["runs"]
    ));
    s.push_str(&format!(
        "The same at **100 ms of emulated latency on every request** (CDP `Network.emulateNetworkConditions`; Chromium with `--disable-site-isolation-trials --disable-features=IsolateOrigins,site-per-process`, so that the frame is throttled too; 7 fresh contexts): median **{} ms** (runs: {}). The chain is three round trips: `frame.html`; then its script, style and the Wasm at once (`frame.html` preloads the Wasm); then the language pack and the form config. The goal is 350 ms (issue 20).\n\n",
        b["cold_start_100ms_rtt_ms"]["median"], b["cold_start_100ms_rtt_ms"]["runs"]
    ));

    let o = &r.open;
    s.push_str(&format!(
        "## 3. Staff open\n\n`kuvert-bench open --count {}`: envelopes opened as `kuvert open` does (`kuvert_core::open::open`, rayon), next to the raw X25519 Diffie-Hellman rate in the same run (every open does one DH: the floor).\n\n| | per second |\n|---|---:|\n| open, 1 core | {} |\n| open, all {} cores | {} |\n| X25519 DH, 1 core | {} |\n\nOpen rate ÷ DH rate on one core: **{}**.\n\n",
        o["count"], o["open_per_s_1_core"], o["cores"], o["open_per_s_all_cores"], o["x25519_per_s_1_core"], o["open_vs_dh_1_core"]
    ));

    s.push_str("## 4. Inbox load\n\n`kuvert-bench load` (a separate process) posts pre-sealed bookings over loopback to a release `kuvert-inbox` (`synchronous=FULL`, WAL, one SQLite file) with C concurrent clients.\n\n| clients | bookings | accepted | accepted / s | p50 ms | p99 ms |\n|---:|---:|---:|---:|---:|---:|\n");
    for l in &r.load {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            l["concurrency"],
            l["posted"],
            l["accepted"],
            l["accepted_per_s"],
            l["p50_ms"],
            l["p99_ms"]
        ));
    }
    let p = &r.purge;
    s.push_str(&format!(
        "\nPurge: `kuvert-bench purge --count {}` fills a fresh database with expired bookings ({}-byte envelopes) in {} s; the database then takes **{:.0} KB per 1 000 bookings**. The retention purge (`DELETE` with `secure_delete`, then a WAL truncate) erases them all in **{} s**.\n\n",
        p["count"],
        p["envelope_bytes"],
        p["fill_seconds"],
        p["db_bytes_per_1k"].as_f64().unwrap_or(0.0) / 1024.0,
        p["purge_seconds"]
    ));

    s.push_str("## 5. Fuzzing\n\n");
    match &r.fuzz {
        Some(f) => s.push_str(&format!(
            "`cargo fuzz run envelope_open` (`fuzz/`, arbitrary bytes into envelope parsing and opening) for {} s: **{} executions, {} findings**.\n\n",
            f.seconds, f.runs, f.findings
        )),
        None => s.push_str("Not run (`--no-fuzz`).\n\n"),
    }
    // A one-off comparison, kept with its commits (it cannot be measured again from one tree).
    s.push_str(PROFILE_COMPARISON);
    s.push_str("## Reproduce\n\n```sh\ncargo xtask bench                    # everything, with a 10-minute fuzz run\ncargo xtask bench --fuzz-seconds 3600\ncargo xtask bench --quick --no-fuzz  # small counts: checks the pipeline\n```\n\nThe pieces: `crates/kuvert-bench` (open, load, purge), `crates/xtask/bench/` (bundles and the browser page), `crates/xtask/src/bench.rs` (this file's writer).\n");
    s
}

/// Section 6 of BENCHMARKS.md: the native release profile before and after issue 19, measured
/// once on two commits. Written as it was measured; the rest of the file is measured anew.
const PROFILE_COMPARISON: &str = r#"## 6. The native release profile: opt-level "s" → 3 (measured once)

Issue 19 made the native release profile (the inbox, the key tool, `kuvert-bench`) `opt-level = 3`; the widget keeps its own `"z"` profile. Measured on 2026-12-01, once before (commit 3845a50, `opt-level = "s"`) and once after (the commit that changed the profile), each with `cargo xtask bench` (the before run with `--no-fuzz`), plus five runs of `./target/release/kuvert-bench open --count 30000` on each side (medians, since single runs on this VM spread by a third). Rerun by checking out each commit.

| | `"s"` | `3` |
|---|---:|---:|
| open, 1 core (bench run) | 5859 /s | 7473 /s |
| open, 2 cores (bench run) | 14068 /s | 16882 /s |
| X25519 DH, 1 core (bench run) | 16034 /s | 14328 /s |
| open, 1 core (median of 5; runs 5584–9658 and 6916–10666) | 7711 /s | 7775 /s |
| open, 2 cores (median of 5) | 15060 /s | 17221 /s |
| inbox load, 1 client: accepted/s, p50, p99 | 2714, 0.35 ms, 0.85 ms | 2371, 0.41 ms, 1.04 ms |
| inbox load, 16 clients | 3120, 5.03 ms, 11.50 ms | 3914, 3.91 ms, 10.34 ms |
| inbox load, 64 clients | 2882, 20.68 ms, 58.18 ms | 2899, 21.52 ms, 56.96 ms |

Opening on one core is unchanged within the noise (its cost is the X25519 and ChaCha20 code, which is already tight); on two cores it is about 14 % faster. The inbox takes about a quarter more bookings per second at 16 clients; at 1 and 64 the two are within the noise (at 64, SQLite's one writer is the limit).

"#;

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(951_782_400), "2000-02-29");
        assert_eq!(super::date(1_795_392_000), "2026-11-23");
    }
}
