//! Errors the way `rage` reports them: one line of what went wrong, one of how to fix it.

use std::fmt;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the command failed (nothing, or only what is reported, was done).
pub const EXIT_ERROR: u8 = 1;
/// Exit status: some bookings could not be opened; the others were written.
pub const EXIT_SOME_FAILED: u8 = 3;

/// A failure to show to staff.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong.
    pub what: String,
    /// How to fix it.
    pub fix: String,
}

impl CliError {
    /// A new error.
    pub fn new(what: impl Into<String>, fix: impl Into<String>) -> Self {
        CliError {
            what: what.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}\nhint: {}", self.what, self.fix)
    }
}

/// Shorthand.
pub type Result<T> = std::result::Result<T, CliError>;

/// Names a file in a read error, with the usual fixes.
pub fn read_error(path: &std::path::Path, e: &std::io::Error) -> CliError {
    match e.kind() {
        std::io::ErrorKind::NotFound => CliError::new(
            format!("{} does not exist", path.display()),
            "check the file name",
        ),
        std::io::ErrorKind::PermissionDenied => CliError::new(
            format!("cannot read {}: permission denied", path.display()),
            "check the file's owner and mode",
        ),
        _ => CliError::new(
            format!("cannot read {}: {e}", path.display()),
            "check the file",
        ),
    }
}
