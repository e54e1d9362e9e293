//! Creating the files kuvert writes. Every file that can hold plaintext or a key is created
//! with mode 0600 (whatever the umask) and never overwrites anything: opened bookings, CSV
//! exports, key files, exported age files, fetched records.

use std::fs::{File, OpenOptions};
use std::path::Path;

fn private() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `path` new, mode 0600; fails if it exists.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    private().write(true).create_new(true).open(path)
}

/// Opens `path` for appending, creating it with mode 0600 if it is missing. An existing file
/// keeps its mode, unless others can read it: that is refused, since it would leak.
pub fn append_private(path: &Path) -> std::io::Result<File> {
    let file = private().append(true).create(true).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "the file is readable by others (mode {:o}); run chmod 600 on it first",
                    mode & 0o777
                ),
            ));
        }
    }
    Ok(file)
}
