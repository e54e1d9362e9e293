//! The widget's release build: cargo (wasm32, the `widget` profile: release, opt-level "z")
//! → never-called table entries made `unreachable` → short import names → wasm-opt (npm
//! binaryen, [`WASM_OPT`]) → glue and `frame.css` minified by esbuild → `www/pkg/`, plus one
//! language pack per language in `www/pkg/l10n/`, with a size report of every file.

use std::io::Write;
use std::path::{Path, PathBuf};

use kuvert_core::Locale;
use kuvert_core::notice::Wording;

use crate::cmd::{Cmd, root};
use crate::setup;

/// The ceiling for everything the frame loads, brotli-compressed: 48 KB (the owner's decision
/// in issue 20). The build fails above it.
pub const FRAME_BUDGET_BROTLI: usize = 48 * 1024;

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
    let out = root().join("www/pkg");
    compile(cargo, &[], &out)?;
    write_packs(&out)?;
    report()?;
    Ok(out)
}

/// `--config` rustflags that shorten the source paths in the Wasm's panic locations: the
/// workspace, the crates.io sources and a local copy of std's sources, so the shipped file names
/// no directory of the machine that built it (and is smaller). Cargo joins these flags with those
/// in `.cargo/config.toml`; setting RUSTFLAGS instead would replace them.
fn remap_paths() -> String {
    let mut prefixes = vec![(root().display().to_string(), String::new())];
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(Ok(registries)) = cargo_home.map(|h| std::fs::read_dir(h.join("registry/src"))) {
        for dir in registries.flatten() {
            prefixes.push((dir.path().display().to_string(), String::new()));
        }
    }
    // With the rust-src component installed, std's inlined code names its local copy; the
    // same path as without it (`/rustc/<commit>`) keeps the output the same either way.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let ask = |args: &[&str]| {
        std::process::Command::new(&rustc)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let sysroot = ask(&["--print", "sysroot"]);
    let sysroot = sysroot.trim();
    let version = ask(&["-vV"]);
    if !sysroot.is_empty()
        && let Some(commit) = version
            .lines()
            .find_map(|l| l.strip_prefix("commit-hash: "))
    {
        prefixes.push((
            format!("{sysroot}/lib/rustlib/src/rust"),
            format!("/rustc/{}", commit.trim()),
        ));
    }
    // TOML basic strings: backslashes and quotes escaped.
    let toml = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let flags: Vec<String> = prefixes
        .iter()
        .map(|(from, to)| format!("\"--remap-path-prefix={}={}\"", toml(from), toml(to)))
        .collect();
    format!(
        "target.wasm32-unknown-unknown.rustflags=[{}]",
        flags.join(",")
    )
}

/// What wasm-opt runs, in order. Measured on the frame's Wasm (binaryen 132, brotli 11): plain
/// `-Oz` gave 45,750 bytes, this 45,050, before the second `--flatten --rereloop` round and
/// `--converge`. Those two took the frame from 49,039 to 48,988 B, and issue 20's typed flow (not
/// landed) from 49,673 to 49,428 B; wasm-opt then takes about 40 s instead of 18.
///
/// - `--low-memory-unused` lets binaryen fold `load(p + c)` into `load offset=c (p)` for `c`
///   under 1024. The two differ only when `p + c` wraps past 4 GiB, where the add lands in the
///   first KiB and the offset traps. Rust never forms such a pointer: pointer arithmetic that
///   wraps is undefined behaviour (`ptr::add`, LLVM's `inbounds`), and the widget does no
///   address arithmetic of its own.
/// - `--flatten --rereloop` rebuilds each function's control flow before the size passes, twice
///   (the second round finds work the first `-Oz` made); the size passes then run again, as
///   later rounds still find work after earlier ones.
/// - `--monomorphize` then copies a function for call sites that pass it constants, where the
///   copy, optimised, comes out smaller (binaryen's default threshold; lower ones grow the
///   file); a last `-Oz` tidies up. Commit 827791c measured the frame 66 B smaller (brotli).
/// - `--converge` runs the whole list again until the file stops shrinking.
const WASM_OPT: [&str; 11] = [
    "--low-memory-unused",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--flatten",
    "--rereloop",
    "-Oz",
    "-Oz",
    "--monomorphize",
    "-Oz",
    "--converge",
];

/// The inbox the built frame posts to, as a JS string literal for esbuild's `--define`:
/// `KUVERT_INBOX` (an origin, `https://host[:port]`) for a copy of `www/` that another origin
/// serves, or `""`, which `frame.js` reads as "this frame's own origin" (the inbox serving
/// `www/` itself, as the demo does). The frame never takes it from the page that embeds it.
fn inbox_define() -> Result<String, String> {
    let Ok(inbox) = std::env::var("KUVERT_INBOX") else {
        return Ok("\"\"".into());
    };
    let rest = inbox
        .strip_prefix("https://")
        .or_else(|| inbox.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-:[]".contains(&b))
    });
    if !ok {
        return Err(format!(
            "KUVERT_INBOX={inbox:?} is not an origin; set it to the inbox's scheme://host[:port], e.g. https://bookings.example.com"
        ));
    }
    Ok(format!("\"{inbox}\""))
}

/// wasm32 build (the `widget` profile) with `features`, then wasm-bindgen, wasm-opt and esbuild
/// into `out`.
pub fn compile(cargo: &str, features: &[&str], out: &Path) -> Result<(), String> {
    let mut cmd = Cmd::new(cargo).args([
        "build",
        "--locked",
        "-p",
        "kuvert-widget",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "widget",
    ]);
    if !features.is_empty() {
        cmd = cmd.args(["--features", &features.join(",")]);
    }
    cmd.args(["--config", &remap_paths()]).run()?;
    let input = root().join("target/wasm32-unknown-unknown/widget/kuvert_widget.wasm");
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // KUVERT_WIDGET_NAMES=1 keeps function names in the output, for `twiggy top`.
    let keep_names = std::env::var_os("KUVERT_WIDGET_NAMES").is_some();
    println!("$ wasm-bindgen (library) --target web {}", input.display());
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?
        .typescript(false)
        // The names are needed by `prune` below; wasm-opt's `--strip-debug` drops them.
        .remove_name_section(false)
        .remove_producers_section(true)
        // Every browser that runs the frame has `TextEncoder.encodeInto` (Chrome 74, Firefox 66,
        // Safari 14.1; `WebAssembly.compileStreaming`, which frame.js uses, came later), so the
        // glue needs no fallback for it.
        .encode_into(wasm_bindgen_cli_support::EncodeInto::Always)
        // The library defaults this to true (the CLI does not); without it `init()` cannot
        // find the .wasm next to the glue.
        .omit_default_module_path(false)
        .generate(out)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?;
    let wasm = out.join("kuvert_widget_bg.wasm");
    post_link(&wasm, &out.join("kuvert_widget.js"), !keep_names)?;
    let wasm_opt = setup::wasm_opt()?;
    Cmd::new(wasm_opt.to_str().ok_or("non-UTF-8 path")?)
        .args(WASM_OPT)
        // Custom sections no browser reads.
        .args(["--strip-producers", "--strip-target-features"])
        .args(if keep_names {
            &["-g"][..]
        } else {
            &["--strip-debug"][..]
        })
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm)
        .run()?;
    // The generated glue is readable JS with comments; esbuild (npm, already in the lockfile for
    // the bench) minifies it in place. Kept readable with KUVERT_WIDGET_NAMES=1.
    let esbuild = root().join("node_modules/.bin/esbuild");
    let esbuild = esbuild.to_str().ok_or("non-UTF-8 path")?;
    if !keep_names {
        let glue = out.join("kuvert_widget.js");
        Cmd::new(esbuild)
            .arg(&glue)
            .args([
                "--minify",
                "--format=esm",
                "--allow-overwrite",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", glue.display()))
            .run()?;
    }
    // The frame's one script, `pkg/frame.js`: the widget crate's `frame.js` bundled with the
    // glue, which drops the glue's unused async loader (and a request).
    let frame_js = out.join("frame.js");
    std::fs::copy(root().join("crates/kuvert-widget/frame.js"), &frame_js)
        .map_err(|e| format!("cannot write {}: {e}", frame_js.display()))?;
    Cmd::new(esbuild)
        .arg(&frame_js)
        .args([
            "--bundle",
            "--format=esm",
            "--allow-overwrite",
            "--log-level=warning",
        ])
        .arg(format!("--define:KUVERT_INBOX={}", inbox_define()?))
        .args(if keep_names {
            &[][..]
        } else {
            &["--minify"][..]
        })
        .arg(format!("--outfile={}", frame_js.display()))
        .run()?;
    // The frame loads `pkg/frame.css`: `www/frame.css` without its comments and spaces.
    Cmd::new(esbuild)
        .arg(root().join("www/frame.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", out.join("frame.css").display()))
        .run()?;
    Ok(())
}

/// Writes `out/l10n/<code>.txt` for every language: the pack the frame loads (see the widget's
/// `i18n` module for the format): a header, the core's wording, the widget's strings.
pub fn write_packs(out: &Path) -> Result<(), String> {
    let dir = out.join("l10n");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for locale in Locale::ALL {
        let code = locale.code();
        let strings_file = root().join(format!("crates/kuvert-widget/l10n/{code}.txt"));
        let strings = std::fs::read_to_string(&strings_file)
            .map_err(|e| format!("cannot read {}: {e}", strings_file.display()))?;
        let pack = format!(
            "kuvert-l10n {} {code}\n{}{strings}",
            kuvert_core::VERSION,
            Wording::builtin_text(locale)
        );
        let path = dir.join(format!("{code}.txt"));
        std::fs::write(&path, pack).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The steps between wasm-bindgen and wasm-opt, on one parse of the Wasm: table entries that
/// nothing can call become `unreachable` (see `prune.rs`), and, when `shorten`, the imports
/// get short names.
fn post_link(wasm: &Path, glue: &Path, shorten: bool) -> Result<(), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let mut module = walrus::Module::from_buffer(&read(wasm)?)
        .map_err(|e| format!("cannot parse {}: {e:#}", wasm.display()))?;
    let done = crate::prune::prune(&mut module)?;
    println!(
        "prune: {} functions that only never-called table entries reach now trap",
        done.functions
    );
    let mut js = String::from_utf8(read(glue)?).map_err(|_| "the glue is not UTF-8".to_owned())?;
    if shorten {
        shorten_imports(&mut module, &mut js)?;
    }
    let write = |p: &Path, bytes: &[u8]| {
        std::fs::write(p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    write(wasm, &module.emit_wasm())?;
    write(glue, js.as_bytes())
}

/// Renames the glue's imports (`__wbg_setAttribute_3fe74e09d53acb0b` and so on, about a hundred,
/// each spelled in the .wasm and in the JS, with a hash that does not compress) to short names in
/// both files (with the no_std build and the wiping allocator, commit c1bcc72 took the frame from
/// 92.1 to 79.0 KB brotli). The module they come from, `./kuvert_widget_bg.js`, becomes `k` (once
/// per import in the .wasm). By hand because binaryen's `--minify-imports` renames imports from
/// `env` only. Each old name must appear exactly once in the JS, as the key of its import function,
/// or the build stops.
fn shorten_imports(module: &mut walrus::Module, js: &mut String) -> Result<(), String> {
    // The module name, spelled once per import in the .wasm: `k`, in both files.
    const GLUE: &str = "./kuvert_widget_bg.js";
    let key = format!("\"{GLUE}\":");
    if js.matches(&key).count() != 1 {
        return Err(format!(
            "cannot shorten the import module {GLUE}: the glue does not spell it exactly once"
        ));
    }
    *js = js.replace(&key, "k:");
    let mut next = 0usize;
    for import in module.imports.iter_mut() {
        if import.module != GLUE {
            continue;
        }
        import.module = "k".to_owned();
        if !import.name.starts_with("__wbg") {
            continue;
        }
        let old = format!("{}:", import.name);
        if js.matches(&old).count() != 1 {
            return Err(format!(
                "cannot shorten the import {}: the glue does not spell it exactly once",
                import.name
            ));
        }
        // `$` never starts a name wasm-bindgen generates, so the short names cannot collide.
        let new = format!("${}", short_name(next));
        next += 1;
        *js = js.replace(&old, &format!("{new}:"));
        import.name = new;
    }
    Ok(())
}

/// 0 → "a", 25 → "z", 26 → "A", 52 → "ba", …
fn short_name(mut n: usize) -> String {
    const DIGITS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut s = Vec::new();
    loop {
        s.push(DIGITS[n % 52]);
        n /= 52;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// What the frame loads, relative to `www/`: [`FRAME_FILES`] and the largest language pack
/// (a customer loads one; a second only if they switch language).
pub fn frame_files() -> Result<Vec<String>, String> {
    let mut files: Vec<String> = FRAME_FILES.iter().map(|f| (*f).to_owned()).collect();
    let mut largest = None;
    for locale in Locale::ALL {
        let name = format!("pkg/l10n/{}.txt", locale.code());
        let bytes = std::fs::read(root().join("www").join(&name))
            .map_err(|e| format!("cannot read www/{name}: {e}"))?;
        let br = sizes(&bytes).2;
        if largest.as_ref().is_none_or(|(size, _)| br > *size) {
            largest = Some((br, name));
        }
    }
    files.extend(largest.map(|(_, name)| name));
    Ok(files)
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

/// The ceiling for the loader, brotli-compressed: 1.5 KB. The build fails above it.
pub const LOADER_BUDGET_BROTLI: usize = 1536;

/// Fails when the frame or the loader is over its ceiling (brotli bytes), naming which.
fn check_ceilings(frame: usize, loader: usize) -> Result<(), String> {
    let mut over = Vec::new();
    if frame > FRAME_BUDGET_BROTLI {
        over.push(format!(
            "the frame is {frame} bytes brotli, over its ceiling of {FRAME_BUDGET_BROTLI} by {}",
            frame - FRAME_BUDGET_BROTLI
        ));
    }
    if loader > LOADER_BUDGET_BROTLI {
        over.push(format!(
            "the loader is {loader} bytes brotli, over its ceiling of {LOADER_BUDGET_BROTLI} by {}",
            loader - LOADER_BUDGET_BROTLI
        ));
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; see the size report above (KUVERT_WIDGET_NAMES=1 keeps names for twiggy)",
            over.join("; ")
        ))
    }
}

/// What the frame loads, relative to `www/`: the page, its CSS, its script (starter and glue in
/// one bundle), the Wasm.
/// (And one language pack: see [`frame_files`].)
const FRAME_FILES: &[&str] = &[
    "frame.html",
    "pkg/frame.css",
    "pkg/frame.js",
    "pkg/kuvert_widget_bg.wasm",
];

/// Prints raw / gzip / brotli sizes of everything the frame loads and of the loader, each
/// against its budget.
fn report() -> Result<(), String> {
    let www = root().join("www");
    println!(
        "\nwidget size (www/):\n  {:<28} {:>9} {:>9} {:>9}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    let line = |name: &str| -> Result<(usize, usize, usize), String> {
        let bytes =
            std::fs::read(www.join(name)).map_err(|e| format!("cannot read www/{name}: {e}"))?;
        let (r, g, b) = sizes(&bytes);
        println!("  {name:<28} {r:>9} {g:>9} {b:>9}");
        Ok((r, g, b))
    };
    let mut total = (0, 0, 0);
    let files = frame_files()?;
    for name in &files {
        let (r, g, b) = line(name)?;
        total = (total.0 + r, total.1 + g, total.2 + b);
    }
    println!(
        "  {:<28} {:>9} {:>9} {:>9}",
        "frame total", total.0, total.1, total.2
    );
    let verdict = |size: usize, ceiling: usize| if size <= ceiling { "within" } else { "OVER" };
    println!(
        "  frame ceiling: {} of {} bytes brotli ({})",
        total.2,
        FRAME_BUDGET_BROTLI,
        verdict(total.2, FRAME_BUDGET_BROTLI)
    );
    println!("  the other language packs (the total counts the largest; a customer loads one):");
    for locale in Locale::ALL {
        let name = format!("pkg/l10n/{}.txt", locale.code());
        if !files.contains(&name) {
            line(&name)?;
        }
    }
    let (_, _, loader) = line("kuvert.js")?;
    println!(
        "  loader ceiling: {} of {} bytes brotli ({})",
        loader,
        LOADER_BUDGET_BROTLI,
        verdict(loader, LOADER_BUDGET_BROTLI)
    );
    check_ceilings(total.2, loader)
}

#[cfg(test)]
mod tests {
    use super::{FRAME_BUDGET_BROTLI, LOADER_BUDGET_BROTLI, check_ceilings, short_name};

    #[test]
    fn the_build_fails_above_either_ceiling() {
        assert!(check_ceilings(FRAME_BUDGET_BROTLI, LOADER_BUDGET_BROTLI).is_ok());
        let frame = check_ceilings(FRAME_BUDGET_BROTLI + 1, 0).unwrap_err();
        assert!(
            frame.contains("the frame is 49153 bytes brotli, over its ceiling of 49152 by 1"),
            "{frame}"
        );
        let loader = check_ceilings(0, LOADER_BUDGET_BROTLI + 10).unwrap_err();
        assert!(
            loader.contains("the loader is 1546 bytes") && !loader.contains("frame is"),
            "{loader}"
        );
    }

    #[test]
    fn short_names_are_distinct_and_short() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(
            (
                &names[0][..],
                &names[25][..],
                &names[26][..],
                &names[52][..]
            ),
            ("a", "z", "A", "ba")
        );
        assert!(names.iter().all(|n| n.len() <= 3));
    }
}
