//! Scheduled backups and the restore drill: `kuvert-inbox backup --keep N DIR` and
//! `kuvert-inbox restore-drill DIR` (see `deploy/` for the systemd units that run them).
//!
//! A backup is the database copy (SQLite's online backup, mode 0600) and, beside it, the audit
//! head as of that copy (`.audit-head`, HMAC'd under the inbox's audit key). The drill restores
//! the newest backup into a private temporary folder, with the inbox's key and erasure log, and
//! checks what a real restore would give: SQLite's integrity check, the audit chain against the
//! head the backup was made at, and that no booking erased since comes back.

use std::path::{Path, PathBuf};

use crate::anchor::{Anchor, sidecar};
use crate::store::{AuditCheck, Store};

/// How backup files are named: `kuvert-<UTC time to the millisecond>.sqlite3`, so names sort
/// by age.
const PREFIX: &str = "kuvert-";
const SUFFIX: &str = ".sqlite3";

fn backup_name(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let ms = unix_ms.rem_euclid(1000);
    let stamp = crate::store::rfc3339(secs).replace(['-', ':'], "");
    let stamp = stamp.trim_end_matches('Z');
    format!("{PREFIX}{stamp}.{ms:03}Z{SUFFIX}")
}

/// The backups in `dir`, oldest first.
pub fn backups(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Writes a new backup into `dir` (made 0700 if it is created) and removes the oldest beyond
/// `keep`, with their heads. Returns the new backup's path.
pub fn backup_rotating(
    store: &Store,
    dir: &Path,
    keep: usize,
    unix_ms: i64,
) -> Result<PathBuf, String> {
    if keep == 0 {
        return Err("--keep must be at least 1".into());
    }
    if !dir.exists() {
        create_private_dir(dir, true)?;
    }
    let path = dir.join(backup_name(unix_ms));
    store
        .backup(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let all = backups(dir)?;
    for old in &all[..all.len().saturating_sub(keep)] {
        std::fs::remove_file(old).map_err(|e| format!("cannot remove {}: {e}", old.display()))?;
        let head = sidecar(old, ".audit-head");
        if head.exists() {
            std::fs::remove_file(&head)
                .map_err(|e| format!("cannot remove {}: {e}", head.display()))?;
        }
    }
    Ok(path)
}

/// What the drill found.
#[derive(Debug, PartialEq, Eq)]
pub struct Drill {
    /// The backup restored.
    pub backup: PathBuf,
    /// `PRAGMA integrity_check` said `ok`.
    pub integrity_ok: bool,
    /// The audit chain against the head the backup was made at.
    pub audit: AuditCheck,
    /// Bookings in the backup.
    pub bookings: i64,
    /// Of those, erased since the backup (the erasure log): a restore erases them again.
    pub erased_since: usize,
    /// Past their retention by `now`: a restore's first purge erases them.
    pub expired: usize,
    /// Erased bookings still present after the restore's re-application (must be 0).
    pub came_back: usize,
    /// Staff removed since the backup (the removal log): a restore removes them again.
    pub removed_since: usize,
    /// Removed staff still present after the re-application (must be 0).
    pub removed_came_back: usize,
}

impl Drill {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.integrity_ok
            && matches!(self.audit, AuditCheck::Intact { .. })
            && self.came_back == 0
            && self.removed_came_back == 0
    }
}

/// Restores the newest backup in `dir` into a private temporary folder, as `restore` would
/// for the inbox whose database is `database`, and checks it (see [`Drill`]). The temporary
/// copy is removed afterwards, whatever the result.
pub fn restore_drill(database: &Path, dir: &Path, now: i64) -> Result<Drill, String> {
    let backup = backups(dir)?
        .pop()
        .ok_or_else(|| format!("no backup (kuvert-*.sqlite3) in {}", dir.display()))?;
    let tmp = private_temp_dir()?;
    let result = drill_in(database, &backup, &tmp, now);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn drill_in(database: &Path, backup: &Path, tmp: &Path, now: i64) -> Result<Drill, String> {
    let copy = tmp.join("drill.sqlite3");
    let cp = |from: &Path, to: &Path| {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("cannot copy {}: {e}", from.display()))
    };
    cp(backup, &copy)?;
    let head = sidecar(backup, ".audit-head");
    if head.exists() {
        cp(&head, &sidecar(&copy, ".audit-head"))?;
    }
    cp(&Anchor::key_path(database), &Anchor::key_path(&copy))?;
    let erased = sidecar(database, ".erased");
    if erased.exists() {
        cp(&erased, &sidecar(&copy, ".erased"))?;
    }
    let store = Store::open(&copy).map_err(|e| format!("{}: {e}", backup.display()))?;
    let err = |e: crate::store::StoreError| format!("{}: {e}", backup.display());
    let integrity_ok = store.integrity_check().map_err(err)? == "ok";
    let audit = store.verify_audit().map_err(err)?;
    let bookings = store.count().map_err(err)?;
    let erased_since = store.erased_present().map_err(err)?;
    store.reapply_erasures().map_err(err)?;
    let expired = store.purge(now).map_err(err)?;
    let came_back = store.erased_present().map_err(err)?;
    let removed_since = store.removed_present().map_err(err)?.len();
    store.reapply_removals().map_err(err)?;
    let removed_came_back = store.removed_present().map_err(err)?.len();
    Ok(Drill {
        backup: backup.to_owned(),
        integrity_ok,
        audit,
        bookings,
        erased_since,
        expired,
        came_back,
        removed_since,
        removed_came_back,
    })
}

/// A new folder only this user can enter, under the system's temporary folder.
fn private_temp_dir() -> Result<PathBuf, String> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("kuvert-drill-{}", kuvert_core::hex(&raw)));
    create_private_dir(&dir, false)?;
    Ok(dir)
}

/// Creates `dir` with mode 0700 (and its parents, if `parents`); a new folder only: without
/// `parents`, an existing one is an error.
fn create_private_dir(dir: &Path, parents: bool) -> Result<(), String> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(parents);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_sort_by_time() {
        let a = backup_name(1_803_891_600_001);
        let b = backup_name(1_803_891_600_010);
        let c = backup_name(1_803_891_601_000);
        assert_eq!(a, "kuvert-20270301T090000.001Z.sqlite3");
        assert!(a < b && b < c);
    }
}
