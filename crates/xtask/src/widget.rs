//! The widget's release build: cargo (wasm32, release profile) → wasm-bindgen (as a library)
//! → wasm-opt -Oz (npm binaryen) → `www/pkg/`, with a size report of every file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::setup;
use crate::tasks::{Cmd, root};

/// The budget for everything the frame loads, brotli-compressed (issue 3).
pub const FRAME_BUDGET_BROTLI: usize = 45 * 1024;

/// Crates that must never be compiled into the widget (private keys and opening live in the
/// key tool; the `age` crate is also far too heavy for the frame).
const FORBIDDEN_IN_WIDGET: &[&str] = &["age", "age-core", "rusqlite", "axum"];

/// Checks the invariant "the widget never links the age crate" on the real dependency tree.
fn check_dependencies(cargo: &str) -> Result<(), String> {
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args([
            "tree",
            "--locked",
            "-p",
            "kuvert-widget",
            "--target",
            "wasm32-unknown-unknown",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if FORBIDDEN_IN_WIDGET.contains(&name) {
            return Err(format!(
                "the widget depends on `{name}`, which must stay on the staff side"
            ));
        }
    }
    println!(
        "widget dependency tree: {} crates, none of {:?}",
        tree.lines().count(),
        FORBIDDEN_IN_WIDGET
    );
    Ok(())
}

/// Builds the widget into `www/pkg/` and prints its sizes. Returns the output folder.
pub fn build(cargo: &str) -> Result<PathBuf, String> {
    check_dependencies(cargo)?;
    Cmd::new(cargo)
        .args([
            "build",
            "--locked",
            "-p",
            "kuvert-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ])
        .run()?;
    let input = root().join("target/wasm32-unknown-unknown/release/kuvert_widget.wasm");
    let out = root().join("www/pkg");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // KUVERT_WIDGET_NAMES=1 keeps function names in the output, for `twiggy top`.
    let keep_names = std::env::var_os("KUVERT_WIDGET_NAMES").is_some();
    println!("$ wasm-bindgen (library) --target web {}", input.display());
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?
        .typescript(false)
        .remove_name_section(!keep_names)
        .remove_producers_section(true)
        // The library defaults this to true (the CLI does not); without it `init()` cannot
        // find the .wasm next to the glue.
        .omit_default_module_path(false)
        .generate(&out)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    let wasm = out.join("kuvert_widget_bg.wasm");
    let wasm_opt = setup::wasm_opt()?;
    Cmd::new(wasm_opt.to_str().ok_or("non-UTF-8 path")?)
        .args(["-Oz", "--strip-producers"])
        .args(if keep_names {
            &["-g"][..]
        } else {
            &["--strip-debug"][..]
        })
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm)
        .run()?;
    report(&out)?;
    Ok(out)
}

/// (raw, gzip -9, brotli -q 11) sizes in bytes.
pub fn sizes(bytes: &[u8]) -> (usize, usize, usize) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).expect("writing to memory");
    let gzip = gz.finish().expect("writing to memory").len();
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params).expect("writing to memory");
    (bytes.len(), gzip, br.len())
}

fn report(dir: &Path) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    println!(
        "\nwidget size (www/pkg):\n  {:<28} {:>9} {:>9} {:>9}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    let mut total = (0, 0, 0);
    for f in &files {
        let (r, g, b) = sizes(&std::fs::read(f).map_err(|e| e.to_string())?);
        total = (total.0 + r, total.1 + g, total.2 + b);
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("  {name:<28} {r:>9} {g:>9} {b:>9}");
    }
    println!(
        "  {:<28} {:>9} {:>9} {:>9}",
        "total", total.0, total.1, total.2
    );
    println!(
        "  frame budget: {} of {} bytes brotli ({}; the frame page, CSS and strings come with the form UI)",
        total.2,
        FRAME_BUDGET_BROTLI,
        if total.2 <= FRAME_BUDGET_BROTLI {
            "within"
        } else {
            "OVER"
        }
    );
    Ok(())
}
