//! What every task shares: the workspace root, the cargo to run, and a command runner that
//! prints each command and totals test counts. It depends on nothing else in xtask, so the
//! modules point one way: `cmd` ← `setup` ← `widget` ← `tasks`, `demo`, `bench`.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .expect("crates/xtask lives two levels below the root")
        .to_path_buf()
}

/// The cargo running this xtask (`CARGO`), or `cargo`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// A command that prints itself before running and fails with a readable error.
pub struct Cmd {
    inner: Command,
    shown: String,
}

impl Cmd {
    /// A new command for `program`, run from the workspace root.
    pub fn new(program: &str) -> Cmd {
        let mut inner = Command::new(program);
        inner.current_dir(root());
        let name = std::path::Path::new(program)
            .file_name()
            .map_or_else(|| program.to_owned(), |n| n.to_string_lossy().into_owned());
        Cmd { inner, shown: name }
    }

    /// Adds one argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Cmd {
        self.shown.push(' ');
        self.shown.push_str(&a.as_ref().to_string_lossy());
        self.inner.arg(a);
        self
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Cmd {
        self.inner.env(k, v);
        self
    }

    /// Runs in `dir` instead of the root.
    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Cmd {
        self.inner.current_dir(dir);
        self
    }

    /// Runs to completion; an error names the command and its exit status.
    pub fn run(mut self) -> Result<(), String> {
        println!("$ {}", self.shown);
        let status = self
            .inner
            .status()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }

    /// Runs to completion, echoing stdout line by line and totalling libtest's
    /// `test result: … N passed; M failed; K ignored` lines into `totals`.
    pub fn run_counting(mut self, totals: &mut Totals) -> Result<(), String> {
        use std::io::BufRead;
        use std::process::Stdio;
        println!("$ {}", self.shown);
        let mut child = self
            .inner
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        let stdout = child.stdout.take().expect("piped");
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading `{}`: {e}", self.shown))?;
            println!("{line}");
            totals.add(&line);
        }
        let status = child
            .wait()
            .map_err(|e| format!("`{}` failed: {e}", self.shown))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }

    /// Runs to completion and returns stdout; stdin from `input`.
    pub fn output_with_input(mut self, input: &[u8]) -> Result<Vec<u8>, String> {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .inner
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input)
            .map_err(|e| format!("could not write to `{}`: {e}", self.shown))?;
        let out = child
            .wait_with_output()
            .map_err(|e| format!("`{}` failed: {e}", self.shown))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(format!("`{}` failed ({})", self.shown, out.status))
        }
    }
}

/// Test counts summed over every `test result:` line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tests passed.
    pub passed: u64,
    /// Tests failed.
    pub failed: u64,
    /// Tests skipped or ignored.
    pub ignored: u64,
}

impl Totals {
    pub fn add(&mut self, line: &str) {
        // node --test ends with `ℹ pass N`, `ℹ fail N`, `ℹ skipped N` (spec reporter) or the
        // same after `# ` (TAP).
        let node = |label: &str| {
            ["ℹ ", "# "].iter().find_map(|p| {
                line.strip_prefix(p)?
                    .strip_prefix(label)?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        };
        self.passed += node("pass ").unwrap_or(0);
        self.failed += node("fail ").unwrap_or(0);
        self.ignored += node("skipped ").unwrap_or(0);
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        let count = |label: &str| -> u64 {
            rest.split([';', '.'])
                .filter_map(|part| part.trim().strip_suffix(label))
                .find_map(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        self.passed += count("passed");
        self.failed += count("failed");
        self.ignored += count("ignored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_libtest_wasm_bindgen_test_and_node_test_lines() {
        let mut t = Totals::default();
        t.add("test result: ok. 25 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.15s");
        t.add(
            "test result: FAILED. 2 passed; 1 failed; 3 ignored; 0 filtered out; finished in 0.07s",
        );
        t.add("running 3 tests");
        t.add("ℹ pass 4");
        t.add("ℹ fail 1");
        t.add("# skipped 2");
        t.add("ℹ duration_ms 6030.08");
        assert_eq!(
            t,
            Totals {
                passed: 31,
                failed: 2,
                ignored: 5
            }
        );
    }
}
