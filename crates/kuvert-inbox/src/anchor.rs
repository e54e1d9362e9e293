//! What anchors the database from outside it: the files beside it that someone who can only
//! rewrite the database (or restore an old copy of it) cannot rewrite to match.
//!
//! - `<db>.audit-key`: 32 random bytes (hex), made on first open, mode 0600. Never in the
//!   database, so never in its backups.
//! - `<db>.audit-head`: the audit log's last sequence number and hash, with an HMAC under the
//!   key, rewritten (atomically, by rename) after every audit record. `audit verify` recomputes
//!   the chain and compares its end to this head: a cut, a rewritten record or a rolled-back
//!   database no longer ends where the head says.
//! - `<db>.erased`: one line per erased booking, an HMAC of its reference under the key
//!   (so the file names no reference), appended before the row is deleted. `restore` erases
//!   these again in the restored copy, so a backup never brings back an erased booking.
//!   Removed staff are logged the same way (an HMAC of their random WebAuthn handle, under
//!   another domain), so a restore removes them again: a backup never brings back a leaver.
//!
//! Appending to the log behind the inbox's back is not prevented, and a person who holds the
//! key file can forge a head: keep the key where database backups do not go.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use kuvert_core::hex;

/// A problem with the anchor files. Names files, never contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key file is not 64 hex characters.
    #[error("{0} is not an audit key (64 hex characters); restore it from where you keep it")]
    BadKey(String),
    /// The head file is damaged or its HMAC does not verify under the key.
    #[error("{0} does not verify under the audit key: it was altered, or belongs to another key")]
    BadHead(String),
    /// The database has audit records, but its key file is missing.
    #[error(
        "{0} is missing, but the database has an audit log; restore the key file next to the database"
    )]
    MissingKey(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AnchorError + '_ {
    move |source| AnchorError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The audit log's end, as last anchored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Sequence number of the last record.
    pub seq: i64,
    /// Its chain hash (hex).
    pub hash: String,
}

/// The anchor files of one database.
pub struct Anchor {
    key: Zeroizing<[u8; 32]>,
    head_path: PathBuf,
    erased_path: PathBuf,
}

/// The path of `db` with `suffix` appended (`inbox.sqlite3` → `inbox.sqlite3.audit-head`).
pub fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn private() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Creates `path` new with mode 0600 (whatever the umask); fails if it exists. For every file
/// beside the database that holds what the database holds, or what anchors it.
pub fn create_private(path: &Path) -> Result<File, AnchorError> {
    private()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))
}

impl Anchor {
    /// The key file's path for the database at `db`.
    pub fn key_path(db: &Path) -> PathBuf {
        sidecar(db, ".audit-key")
    }

    /// Opens the anchor files of `db`, making the key if `may_create` (a database without an
    /// audit log yet).
    pub fn open(db: &Path, may_create: bool) -> Result<Anchor, AnchorError> {
        let key_path = Self::key_path(db);
        let key = match std::fs::read_to_string(&key_path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let key = crate::config::decode_hex32(text.trim())
                    .ok_or_else(|| AnchorError::BadKey(key_path.display().to_string()))?;
                Zeroizing::new(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
                let mut key = Zeroizing::new([0u8; 32]);
                getrandom::fill(&mut key[..]).map_err(|e| AnchorError::Io {
                    path: key_path.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                let mut f = create_private(&key_path)?;
                let text = Zeroizing::new(format!("{}\n", hex(&key[..])));
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(io(&key_path))?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AnchorError::MissingKey(key_path.display().to_string()));
            }
            Err(e) => return Err(io(&key_path)(e)),
        };
        Ok(Anchor {
            key,
            head_path: sidecar(db, ".audit-head"),
            erased_path: sidecar(db, ".erased"),
        })
    }

    fn mac(&self, domain: &str, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key[..])
            .expect("HMAC takes keys of any length");
        mac.update(domain.as_bytes());
        mac.update(b"\n");
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The anchored head, if one was ever written.
    pub fn head(&self) -> Result<Option<Head>, AnchorError> {
        let text = match std::fs::read_to_string(&self.head_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&self.head_path)(e)),
        };
        let bad = || AnchorError::BadHead(self.head_path.display().to_string());
        let mut parts = text.split_whitespace();
        let (Some(seq), Some(hash), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let expected = self.mac("kuvert audit head", &format!("{seq} {hash}"));
        let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes()).into();
        if !same {
            return Err(bad());
        }
        Ok(Some(Head {
            seq,
            hash: hash.to_owned(),
        }))
    }

    /// Anchors a new head: written to a new file, synced, then renamed over the old one.
    pub fn set_head(&self, head: &Head) -> Result<(), AnchorError> {
        let line = format!("{} {}", head.seq, head.hash);
        let text = format!("{line} {}\n", self.mac("kuvert audit head", &line));
        let tmp = sidecar(&self.head_path, ".new");
        let mut f = private()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, &self.head_path).map_err(io(&self.head_path))
    }

    /// Copies the anchored head (as it is now) to `dest`, mode 0600, if one was ever written:
    /// a backup keeps the head it was made at, for `restore-drill`.
    pub fn copy_head_to(&self, dest: &Path) -> Result<(), AnchorError> {
        let bytes = match std::fs::read(&self.head_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&self.head_path)(e)),
        };
        let mut f = create_private(dest)?;
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .map_err(io(dest))
    }

    /// The erasure log's token for `reference`.
    pub fn erased_token(&self, reference: &str) -> String {
        self.mac("kuvert erased reference", reference)
    }

    /// The erasure log's token for a removed person (by their WebAuthn handle, hex).
    pub fn removed_token(&self, handle_hex: &str) -> String {
        self.mac("kuvert removed person", handle_hex)
    }

    /// Records that `reference` is being erased (before the row is deleted), durably.
    pub fn record_erasure(&self, reference: &str) -> Result<(), AnchorError> {
        self.append_token(&self.erased_token(reference))
    }

    /// Records that the person with this handle is being removed (before the rows go), durably.
    pub fn record_removal(&self, handle_hex: &str) -> Result<(), AnchorError> {
        self.append_token(&self.removed_token(handle_hex))
    }

    fn append_token(&self, token: &str) -> Result<(), AnchorError> {
        let mut f: File = private()
            .append(true)
            .create(true)
            .open(&self.erased_path)
            .map_err(io(&self.erased_path))?;
        writeln!(f, "{token}")
            .and_then(|()| f.sync_data())
            .map_err(io(&self.erased_path))
    }

    /// Every erasure token recorded.
    pub fn erased(&self) -> Result<std::collections::HashSet<String>, AnchorError> {
        let f = match File::open(&self.erased_path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => return Err(io(&self.erased_path)(e)),
        };
        std::io::BufReader::new(f)
            .lines()
            .map(|l| l.map(|l| l.trim().to_owned()))
            .filter(|l| !matches!(l, Ok(l) if l.is_empty()))
            .collect::<Result<_, _>>()
            .map_err(io(&self.erased_path))
    }
}
