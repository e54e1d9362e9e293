//! Set-up that `test` and `demo` do first. Each step checks before it acts, so a second run
//! does nothing; each failure says what to do by hand. Nothing is downloaded from anywhere but
//! the package registries (crates.io, npm, Debian) and rustup's own target download.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{Cmd, root};

/// Oldest wasm-opt that can read what wasm-bindgen emits (Debian's 108 cannot).
const MIN_WASM_OPT: u32 = 116;

/// All set-up steps; Chromium only with `browser`.
pub fn all(browser: bool) -> Result<(), String> {
    wasm_target()?;
    let wasm_opt = wasm_opt()?;
    println!("xtask: wasm-opt ready at {}", wasm_opt.display());
    if browser {
        chromium()?;
    }
    println!("xtask: set-up complete");
    Ok(())
}

/// `rustup target add wasm32-unknown-unknown`, only if it is missing.
pub fn wasm_target() -> Result<(), String> {
    pinned_toolchain()?;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("could not run rustup ({e}); install Rust with rustup first"))?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    Cmd::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .run()
        .map_err(|e| {
            format!("{e}\nfix: run `rustup target add wasm32-unknown-unknown` by hand and retry")
        })
}

/// Checks that the rustc cargo runs is the one `rust-toolchain.toml` pins (rustup reads that
/// file, so it always is under rustup; a rustc from elsewhere on PATH is refused by name).
fn pinned_toolchain() -> Result<(), String> {
    let file = std::fs::read_to_string(root().join("rust-toolchain.toml"))
        .map_err(|e| format!("cannot read rust-toolchain.toml: {e}"))?;
    let pinned = file
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or("rust-toolchain.toml names no channel")?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .arg("--version")
        .output()
        .map_err(|e| format!("could not run {rustc} ({e}); install Rust with rustup first"))?;
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    if version.split_whitespace().nth(1) == Some(pinned.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "{rustc} is `{}`, but rust-toolchain.toml pins {pinned}\nfix: run cargo through rustup (with rust-toolchain.toml in force), or install Rust {pinned} with rustup",
            version.trim()
        ))
    }
}

/// `npm ci` when `node_modules` is missing or older than `package-lock.json`.
pub fn node_modules() -> Result<(), String> {
    let root = root();
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (lock.metadata(), stamp.metadata()) {
        (Ok(l), Ok(s)) => match (l.modified(), s.modified()) {
            (Ok(l), Ok(s)) => s >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&root)
        .run()
        .map_err(|e| {
            format!(
                "{e}\nfix: install Node.js 20 and npm, then run `npm ci` in {}",
                root.display()
            )
        })
}

/// The npm `binaryen` package's `wasm-opt`, checked to be new enough.
pub fn wasm_opt() -> Result<PathBuf, String> {
    node_modules()?;
    let path = root().join("node_modules/.bin/wasm-opt");
    let out = Command::new(&path)
        .arg("--version")
        .output()
        .map_err(|e| format!("could not run {} ({e}); run `npm ci`", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = parse_wasm_opt_version(&text)
        .ok_or_else(|| format!("could not read the wasm-opt version from {text:?}"))?;
    if version < MIN_WASM_OPT {
        return Err(format!(
            "wasm-opt {version} is too old (need {MIN_WASM_OPT}+); the npm `binaryen` package pinned in package.json provides it"
        ));
    }
    Ok(path)
}

fn parse_wasm_opt_version(text: &str) -> Option<u32> {
    // "wasm-opt version 123 (version_123)"
    text.split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)?
        .parse()
        .ok()
}

/// Debian `chromium` + `chromium-driver`, via apt when missing and we are root.
pub fn chromium() -> Result<(), String> {
    debian_packages(
        &["/usr/bin/chromium", "/usr/bin/chromedriver"],
        &["chromium", "chromium-driver"],
    )
}

/// Debian's Caddy, for the HTTPS test of `deploy/Caddyfile` (`tests/browser/https.test.mjs`),
/// when missing. Installing it starts no service here (no systemd as PID 1), and the test runs
/// its own.
pub fn caddy() -> Result<(), String> {
    debian_packages(&["/usr/bin/caddy"], &["caddy"])
}

/// Installs `packages` with apt-get unless every one of `binaries` exists already.
fn debian_packages(binaries: &[&str], packages: &[&str]) -> Result<(), String> {
    if binaries.iter().all(|p| Path::new(p).exists()) {
        return Ok(());
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if uid != "0" {
        return Err(format!(
            "{} missing and we are not root\nfix: run `apt-get install -y {}` as root",
            binaries.join(" or "),
            packages.join(" ")
        ));
    }
    Cmd::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    Cmd::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wasm_opt_versions() {
        assert_eq!(
            parse_wasm_opt_version("wasm-opt version 132 (version_132)\n"),
            Some(132)
        );
        assert_eq!(parse_wasm_opt_version("wasm-opt version 108\n"), Some(108));
        assert_eq!(parse_wasm_opt_version("garbage"), None);
    }
}
