//! The `test` pipeline and `build-widget`.

use std::path::PathBuf;
use std::time::Instant;

use crate::cmd::{Cmd, Totals, cargo, root};
use crate::setup;

struct Steps {
    started: Instant,
    done: Vec<(String, f64)>,
}

impl Steps {
    fn new() -> Steps {
        Steps {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    fn run(&mut self, name: &str, f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        println!("\n==> {name}");
        let t = Instant::now();
        f().map_err(|e| format!("step `{name}` failed: {e}"))?;
        self.done.push((name.to_owned(), t.elapsed().as_secs_f64()));
        Ok(())
    }

    fn summary(&self, totals: &Totals) {
        println!("\n==> summary");
        for (name, secs) in &self.done {
            println!("  ok  {secs:7.1}s  {name}");
        }
        println!(
            "all {} steps passed in {:.0}s",
            self.done.len(),
            self.started.elapsed().as_secs_f64()
        );
        println!(
            "tests: {} passed, {} failed, {} skipped",
            totals.passed, totals.failed, totals.ignored
        );
    }
}

/// Everything CI runs.
pub fn test() -> Result<(), String> {
    let mut s = Steps::new();
    let mut totals = Totals::default();
    s.run("set-up: wasm32 target", setup::wasm_target)?;
    s.run("set-up: npm packages (wasm-opt from binaryen)", || {
        setup::wasm_opt().map(|p| println!("wasm-opt: {}", p.display()))
    })?;
    s.run(
        "set-up: Chromium and chromedriver (Debian packages)",
        setup::chromium,
    )?;
    s.run("set-up: Caddy (Debian package)", setup::caddy)?;
    s.run("format (cargo fmt --check)", || {
        Cmd::new(&cargo()).args(["fmt", "--all", "--check"]).run()
    })?;
    s.run("lint (clippy -D warnings)", || {
        Cmd::new(&cargo())
            .args([
                "clippy",
                "--locked",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    })?;
    s.run("lint the widget for wasm32, with its browser tests", || {
        // Twice: the library alone is the shipped no_std build (src/rt.rs included); with
        // `--all-targets` the tests' dev-dependencies turn on `std`, which leaves rt.rs out.
        for all_targets in [false, true] {
            Cmd::new(&cargo())
                .args([
                    "clippy",
                    "--locked",
                    "-p",
                    "kuvert-widget",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .args(if all_targets {
                    &["--all-targets"][..]
                } else {
                    &[]
                })
                .args(["--", "-D", "warnings"])
                .run()?;
        }
        Ok(())
    })?;
    s.run("native tests", || {
        Cmd::new(&cargo())
            .args(["test", "--locked", "--workspace", "--all-features"])
            .run_counting(&mut totals)
    })?;
    s.run(
        "age test kit (C2SP vectors: header parser and opener)",
        || {
            // Run again with its output shown: the counts and the skipped vectors by reason.
            // Both crates' `testkit` targets with the native step's features, so nothing is
            // built again (a `-p` build resolves features apart: 111 s more on a cold run).
            Cmd::new(&cargo())
                .args(["test", "--locked", "--workspace", "--all-features"])
                .args(["--test", "testkit", "--", "--nocapture"])
                .run()?;
            Ok(())
        },
    )?;
    s.run("examples: seal | open round trip (README)", || {
        let (booking, opened) = examples_round_trip()?;
        for key in ["form", "public", "fields", "consent"] {
            if booking[key] != opened[key] {
                return Err(format!("`{key}` differs after seal | open"));
            }
        }
        println!("sealed and opened examples/booking.json: identical");
        Ok(())
    })?;
    s.run(
        "core and kuvert-age build for wasm32 (no I/O, no age crate)",
        || {
            Cmd::new(&cargo())
                .args([
                    "build",
                    "--locked",
                    "-p",
                    "kuvert-age",
                    "-p",
                    "kuvert-core",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--release",
                ])
                .run()
        },
    )?;
    s.run(
        "widget: release build, wasm-bindgen, wasm-opt, size report",
        || crate::widget::build(&cargo()).map(|_| ()),
    )?;
    s.run("core tests on wasm32 (Node, wasm-bindgen-test)", || {
        wasm_tests(&mut totals, "kuvert-core", "wasm", &[])
    })?;
    s.run(
        "widget tests in headless Chromium (wasm-bindgen-test)",
        || {
            wasm_tests(
                &mut totals,
                "kuvert-widget",
                "web",
                &[
                    ("CHROMEDRIVER", "/usr/bin/chromedriver".into()),
                    (
                        "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                        root().join("crates/kuvert-widget/webdriver.json"),
                    ),
                ],
            )
        },
    )?;
    s.run(
        "browser tests: loader, frame, inbox and key tool (playwright-core, Chromium)",
        || browser_tests(&mut totals),
    )?;
    s.summary(&totals);
    Ok(())
}

/// `cargo xtask build-widget`.
pub fn build_widget() -> Result<(), String> {
    setup::wasm_target()?;
    crate::widget::build(&cargo()).map(|_| ())
}

/// Runs `cargo test -p <package> --test <test>` for wasm32 with this binary as the runner
/// (`wasm-bindgen-test-runner` linked in), plus `env`.
fn wasm_tests(
    totals: &mut Totals,
    package: &str,
    test: &str,
    env: &[(&str, PathBuf)],
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    // An absolute runner path keeps working when CARGO_TARGET_DIR is set.
    let runner = format!("{} wasm-test-runner", exe.display());
    let mut cmd = Cmd::new(&cargo())
        .args([
            "test",
            "--locked",
            "-p",
            package,
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            test,
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner);
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    cmd.run_counting(totals)
}

/// `tests/browser/*.test.mjs`: a real inbox, a host page on another origin, Debian Chromium.
fn browser_tests(totals: &mut Totals) -> Result<(), String> {
    // The binaries `cargo test --workspace --all-features` built (a plain `cargo build` would
    // resolve features without the dev-dependencies and rebuild everything).
    Cmd::new(&cargo())
        .args([
            "test",
            "--locked",
            "--workspace",
            "--all-features",
            "--no-run",
        ])
        .run()?;
    let bin = |name: &str| root().join("target/debug").join(name);
    Cmd::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(root().join("tests/browser"))
        .env("KUVERT_INBOX_BIN", bin("kuvert-inbox"))
        .env("KUVERT_BIN", bin("kuvert"))
        .current_dir(root())
        .run_counting(totals)
}

/// `wasm-bindgen-test-runner`, linked in as a library.
pub fn wasm_test_runner(args: &[String]) -> Result<(), String> {
    let argv = std::iter::once("wasm-bindgen-test-runner".to_owned()).chain(args.iter().cloned());
    wasm_bindgen_cli::wasm_bindgen_test_runner::run_cli_with_args(argv)
        .map_err(|e| format!("{e:#}"))
}

/// Builds the core's examples, seals `examples/booking.json` to the demo key and opens it.
/// Returns (input, opened) as JSON, after printing the envelope (shortened) and the booking.
fn examples_round_trip() -> Result<(serde_json::Value, serde_json::Value), String> {
    let examples = root().join("crates/kuvert-core/examples");
    Cmd::new(&cargo())
        .args([
            "build",
            "--locked",
            "--quiet",
            // Same package set and features as the test step, so its build is reused.
            "--workspace",
            "--all-features",
            "--examples",
        ])
        .run()?;
    let key = examples.join("demo-key.txt");
    let key_text = std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
    let recipient = demo_recipient(&key_text)?;
    let booking = std::fs::read(examples.join("booking.json")).map_err(|e| e.to_string())?;
    let bin = root().join("target/debug/examples");

    println!("\n--- The widget's job: seal a booking to the business's public key");
    println!("    (examples/booking.json, sealed to {recipient})");
    let envelope = Cmd::new(bin.join("seal").to_str().expect("UTF-8 path"))
        .args(["--recipient", &recipient])
        .output_with_input(&booking)?;
    let text = String::from_utf8_lossy(&envelope);
    println!("\nThe envelope the inbox stores (sealed part shortened):");
    println!("{}", shorten_sealed(text.trim()));

    println!("\n--- The staff's job: open it with the private key");
    let opened = Cmd::new(bin.join("open").to_str().expect("UTF-8 path"))
        .arg("-i")
        .arg(&key)
        .output_with_input(&envelope)?;
    println!("{}", String::from_utf8_lossy(&opened).trim());
    let parse =
        |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).map_err(|e| e.to_string());
    Ok((parse(&booking)?, parse(&opened)?))
}

fn demo_recipient(key_text: &str) -> Result<String, String> {
    key_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .map(|r| r.trim().to_owned())
        .ok_or_else(|| "demo-key.txt has no `# public key:` line".to_owned())
}

fn shorten_sealed(json: &str) -> String {
    match (json.find("\"sealed\":\""), json.find("\",\"cancel\"")) {
        (Some(a), Some(b)) if b > a + 70 => {
            let start = a + "\"sealed\":\"".len();
            format!(
                "{}…({} base64 characters)…{}",
                &json[..start + 40],
                b - start,
                &json[b - 8..]
            )
        }
        _ => json.to_owned(),
    }
}
