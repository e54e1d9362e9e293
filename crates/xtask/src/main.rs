//! `cargo xtask`: Kuvert's build chores, in Rust so they run wherever cargo runs.
//!
//! * `cargo xtask test`  — set-up, then every check and test (what CI runs).
//! * `cargo xtask demo`  — set-up, then the whole product: inbox, host page, widget, staff steps.
//! * `cargo xtask bench` — measurements into BENCHMARKS.md (see `bench.rs`).
//! * `cargo xtask setup` — only the set-up (idempotent; installs only what is missing).
//!
//! Internal: `cargo xtask wasm-test-runner <file.wasm> …` is the wasm32 test runner that
//! `test` hands to cargo, so wasm-bindgen runs as a library and nothing is installed globally.

#![forbid(unsafe_code)]

mod bench;
mod cmd;
mod demo;
mod prune;
mod setup;
mod tasks;
mod widget;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test     set up what is missing, then run every check and test (fmt, clippy, native tests,
           wasm32 build and wasm tests of the core)
  demo     set up what is missing, build, and run the demo: inbox on localhost:8787, a host
           page on 127.0.0.1:8080, and the staff commands (Ctrl-C stops it)
  setup    only set up: wasm32 target, npm packages (wasm-opt), and with --browser Chromium
  bench    measure weight, browser speed, staff opening, inbox load and purge, fuzz for a while,
           and rewrite BENCHMARKS.md (--quick, --fuzz-seconds N, --no-fuzz)
  build-widget  release-build the widget into www/pkg/ and report its size
  help     show this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => tasks::test(),
        Some("demo") => demo::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("setup") => setup::all(args.iter().any(|a| a == "--browser")),
        Some("build-widget") => tasks::build_widget(),
        Some("wasm-test-runner") => tasks::wasm_test_runner(&args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
