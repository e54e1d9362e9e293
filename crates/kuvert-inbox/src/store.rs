//! The SQLite store: bookings (ciphertext + public facts), and the append-only audit log.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and a single connection
//! makes "count, then insert" atomic under `BEGIN IMMEDIATE` without retry loops. Every commit
//! is durable (`synchronous=FULL` in WAL mode); deleted rows are overwritten (`secure_delete`)
//! and the WAL is truncated after erasures, so erased ciphertext does not linger on disk.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use kuvert_core::hex;

use crate::anchor::{Anchor, AnchorError, Head};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE bookings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reference TEXT NOT NULL UNIQUE,
        form TEXT NOT NULL,
        service TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        envelope TEXT NOT NULL,
        cancel_sha256 TEXT NOT NULL,
        received INTEGER NOT NULL,
        expires INTEGER NOT NULL
    );
    CREATE INDEX bookings_slot ON bookings(form, service, start);
    CREATE INDEX bookings_expires ON bookings(expires);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        prev_sha256 TEXT NOT NULL,
        sha256 TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 2: finding a resent envelope (`reserve`'s repeat check) by its cancel hash.
    "CREATE INDEX bookings_cancel ON bookings(cancel_sha256);",
    // 3: staff accounts (`crate::people`). Secrets (invites, sessions, tokens) are stored as
    // SHA-256 only; keys are public keys and opaque sealed or wrapped age files.
    crate::people::MIGRATION,
];

/// The chain's starting point.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A store error. Its text names SQLite's complaint, never row contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The slot has no room left.
    #[error("the slot is full")]
    SlotFull,
    /// An anchor file (audit key, head, erasure log) failed.
    #[error("{0}")]
    Anchor(#[from] AnchorError),
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The database was written by a newer inbox.
    #[error(
        "the database has schema version {found}; this inbox knows up to {known}. Upgrade the inbox."
    )]
    TooNew {
        /// Version found.
        found: i64,
        /// Newest known.
        known: i64,
    },
}

/// A booking to store.
pub struct NewBooking<'a> {
    /// Public reference given to the customer.
    pub reference: &'a str,
    /// Form id.
    pub form: &'a str,
    /// Service id.
    pub service: &'a str,
    /// Slot start, UTC seconds.
    pub start: i64,
    /// Slot end, UTC seconds.
    pub end: i64,
    /// The envelope JSON.
    pub envelope: &'a str,
    /// Hex SHA-256 of the cancellation code.
    pub cancel_sha256: &'a str,
    /// When received.
    pub received: i64,
    /// When to erase.
    pub expires: i64,
}

/// A stored booking, as staff see it: the API's record (one definition for the inbox and its
/// clients).
pub use kuvert_api::StaffRecord as StoredBooking;

/// What [`Store::reserve`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Stored; its cursor.
    New {
        /// Position for `since=` paging.
        cursor: i64,
    },
    /// This envelope was stored already, as this booking; nothing was stored.
    Repeat {
        /// The stored booking's reference.
        reference: String,
        /// Its expiry, UTC seconds.
        expires: i64,
    },
}

/// One audit record to append.
pub struct AuditEntry<'a> {
    /// When.
    pub time: i64,
    /// Who (staff name, or `anonymous`).
    pub actor: &'a str,
    /// What (`list`, `get`, `delete`, `export`, `auth`).
    pub action: &'a str,
    /// On what (a reference, a cursor, or `-`).
    pub target: &'a str,
    /// How it ended (`ok`, `not_found`, `denied`).
    pub outcome: &'a str,
}

/// The database, and the files beside it that anchor it ([`Anchor`]).
pub struct Store {
    conn: Mutex<Connection>,
    anchor: Anchor,
    /// An erasure's WAL truncate could not finish (a reader held an old snapshot): erased
    /// ciphertext may still be in the WAL until a later truncate succeeds.
    wal_pending: AtomicBool,
}

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditCheck {
    /// The chain is intact and ends at its anchored head.
    Intact {
        /// Number of records.
        records: u64,
    },
    /// A record's hash or link does not verify: it was rewritten, or inserted.
    Broken {
        /// The first record that does not verify.
        seq: i64,
    },
    /// The chain ends before its anchored head: records were cut, or an older copy of the
    /// database was put in place.
    Cut {
        /// The anchored last record.
        anchored: i64,
        /// The last record found.
        found: i64,
    },
    /// The record at the anchored position is not the one anchored: the log was rewritten
    /// from there on.
    Diverged {
        /// The anchored last record.
        anchored: i64,
    },
    /// The chain verifies and holds the anchored head, but has records after it (a crash
    /// between a write and its anchoring, or records added behind the inbox's back). The next
    /// audited action anchors them.
    Unanchored {
        /// The anchored last record.
        anchored: i64,
        /// The last record found.
        found: i64,
    },
    /// The database has audit records but no head was ever anchored for them.
    NoHead {
        /// Number of records.
        records: u64,
    },
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// Bookings in the restored database, after re-applying erasures.
    pub bookings: i64,
    /// Bookings erased since the backup was made, erased again.
    pub erased_again: usize,
    /// The audit records the replaced database had beyond the backup's (the restore itself is
    /// audited, naming them).
    pub audit_records_lost: i64,
    /// Staff removed since the backup was made, removed again.
    pub removed_again: usize,
}

/// UTC seconds as `YYYY-MM-DDTHH:MM:SSZ` (empty outside years 1970-9999).
pub fn rfc3339(secs: i64) -> String {
    kuvert_core::UtcTimestamp::from_unix(secs).map_or_else(String::new, |t| t.to_string())
}

fn audit_hash(prev: &str, seq: i64, e: &AuditEntry<'_>) -> String {
    let line = format!(
        "{prev}\n{seq}\t{}\t{}\t{}\t{}\t{}",
        e.time, e.actor, e.action, e.target, e.outcome
    );
    hex(&Sha256::digest(line.as_bytes()))
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        let records: i64 = conn.query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))?;
        let anchor = Anchor::open(path, records == 0)?;
        Ok(Store {
            conn: Mutex::new(conn),
            anchor,
            wal_pending: AtomicBool::new(false),
        })
    }

    /// Sets how long SQLite waits for a lock (5 s by default), e.g. for a WAL truncate while
    /// a backup reads.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<(), StoreError> {
        Ok(self.conn().busy_timeout(timeout)?)
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The booking stored from exactly this envelope (the same cancel hash and the same
    /// envelope text, so the same sealed bytes and facts): its reference and expiry.
    pub fn find_repeat(
        &self,
        cancel_sha256: &str,
        envelope: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        Self::repeat_in(&self.conn(), cancel_sha256, envelope)
    }

    fn repeat_in(
        conn: &Connection,
        cancel_sha256: &str,
        envelope: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        Ok(conn
            .query_row(
                "SELECT reference, expires FROM bookings WHERE cancel_sha256 = ?1 AND envelope = ?2",
                params![cancel_sha256, envelope],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Stores a booking if its slot has room, atomically, unless this very envelope is stored
    /// already (a client resending after a lost answer): then that booking, and nothing stored.
    pub fn reserve(&self, b: &NewBooking<'_>, capacity: u32) -> Result<Reserved, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((reference, expires)) = Self::repeat_in(&tx, b.cancel_sha256, b.envelope)? {
            return Ok(Reserved::Repeat { reference, expires });
        }
        let taken: i64 = tx.query_row(
            "SELECT COUNT(*) FROM bookings WHERE form = ?1 AND service = ?2 AND start = ?3",
            params![b.form, b.service, b.start],
            |r| r.get(0),
        )?;
        if taken >= i64::from(capacity) {
            return Err(StoreError::SlotFull);
        }
        tx.execute(
            "INSERT INTO bookings (reference, form, service, start, end, envelope, cancel_sha256, received, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![b.reference, b.form, b.service, b.start, b.end, b.envelope, b.cancel_sha256, b.received, b.expires],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Reserved::New { cursor: id })
    }

    /// Bookings per slot start for one service between two instants.
    pub fn taken(
        &self,
        form: &str,
        service: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT start, COUNT(*) FROM bookings WHERE form = ?1 AND service = ?2 AND start >= ?3 AND start <= ?4 GROUP BY start",
        )?;
        let rows = stmt.query_map(params![form, service, from, to], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Erases the booking if `cancel_sha256` matches. Returns whether one was erased.
    pub fn cancel(&self, reference: &str, cancel_sha256: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let stored: Option<String> = conn
            .query_row(
                "SELECT cancel_sha256 FROM bookings WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .optional()?;
        let matches = stored.is_some_and(|s| {
            use subtle::ConstantTimeEq;
            bool::from(s.as_bytes().ct_eq(cancel_sha256.as_bytes()))
        });
        if !matches {
            return Ok(false);
        }
        self.anchor.record_erasure(reference)?;
        let n = conn.execute("DELETE FROM bookings WHERE reference = ?1", [reference])?;
        self.truncate_wal(&conn)?;
        Ok(n == 1)
    }

    /// Moves everything into the main file (where secure_delete zeroed erased rows) and
    /// empties the WAL, so erased ciphertext is not left in old WAL frames. SQLite waits for
    /// readers up to the busy timeout; if one still holds an old snapshot (a long backup), the
    /// truncate is reported and left pending, and retried by the next erasure or purge
    /// ([`Store::retry_wal_truncate`]). Returns whether the WAL is empty now.
    pub(crate) fn truncate_wal(&self, conn: &Connection) -> Result<bool, StoreError> {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        let done = busy == 0;
        self.wal_pending.store(!done, Ordering::SeqCst);
        if !done {
            tracing::warn!(
                "erasure: the WAL truncate is postponed (a reader holds an old snapshot); erased ciphertext stays in the WAL until it succeeds"
            );
        }
        Ok(done)
    }

    /// Whether an erasure's WAL truncate is still pending (see [`Store::retry_wal_truncate`]).
    pub fn wal_truncate_pending(&self) -> bool {
        self.wal_pending.load(Ordering::SeqCst)
    }

    /// Tries a pending WAL truncate again; returns whether none is pending now.
    pub fn retry_wal_truncate(&self) -> Result<bool, StoreError> {
        if !self.wal_truncate_pending() {
            return Ok(true);
        }
        let conn = self.conn();
        self.truncate_wal(&conn)
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBooking> {
        let envelope: String = r.get(2)?;
        let reference: String = r.get(1)?;
        // Only the inbox writes references, always of this shape; anything else is damage.
        let reference = kuvert_api::Reference::parse(&reference).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                "a stored reference is not of the reference shape".into(),
            )
        })?;
        Ok(StoredBooking {
            cursor: r.get(0)?,
            reference,
            envelope: serde_json::from_str(&envelope).unwrap_or(serde_json::Value::Null),
            received: rfc3339(r.get(3)?),
            expires: rfc3339(r.get(4)?),
        })
    }

    /// Up to `limit` bookings after `cursor`, oldest first.
    pub fn list_since(&self, cursor: i64, limit: u32) -> Result<Vec<StoredBooking>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, reference, envelope, received, expires FROM bookings WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![cursor, limit], Self::row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One booking by reference.
    pub fn get(&self, reference: &str) -> Result<Option<StoredBooking>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT id, reference, envelope, received, expires FROM bookings WHERE reference = ?1",
                [reference],
                Self::row,
            )
            .optional()?)
    }

    /// Erases a booking (staff). Returns whether it existed.
    pub fn delete(&self, reference: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM bookings WHERE reference = ?1)",
            [reference],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(false);
        }
        self.anchor.record_erasure(reference)?;
        let n = conn.execute("DELETE FROM bookings WHERE reference = ?1", [reference])?;
        self.truncate_wal(&conn)?;
        Ok(n > 0)
    }

    /// Stores many bookings in one transaction, without capacity checks. For benchmarks and
    /// load fixtures only (`kuvert-bench purge`): the API always goes through [`Store::reserve`].
    #[doc(hidden)]
    pub fn insert_unchecked(&self, bookings: &[NewBooking<'_>]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO bookings (reference, form, service, start, end, envelope, cancel_sha256, received, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for b in bookings {
                insert.execute(params![
                    b.reference,
                    b.form,
                    b.service,
                    b.start,
                    b.end,
                    b.envelope,
                    b.cancel_sha256,
                    b.received,
                    b.expires
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Erases every booking whose retention ended at or before `now`. Returns how many.
    pub fn purge(&self, now: i64) -> Result<usize, StoreError> {
        let conn = self.conn();
        let n = conn.execute("DELETE FROM bookings WHERE expires <= ?1", [now])?;
        if n > 0 || self.wal_truncate_pending() {
            self.truncate_wal(&conn)?;
        }
        Ok(n)
    }

    /// Number of stored bookings.
    pub fn count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get(0))?)
    }

    /// Appends an audit record, chained to the previous one by SHA-256.
    pub fn audit(&self, e: &AuditEntry<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (seq, prev) = last.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h));
        let hash = audit_hash(&prev, seq, e);
        tx.execute(
            "INSERT INTO audit (seq, time, actor, action, target, outcome, prev_sha256, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![seq, e.time, e.actor, e.action, e.target, e.outcome, prev, hash],
        )?;
        tx.commit()?;
        // Anchored after the commit, still under the lock: a crash in between leaves one
        // record after the head, which `verify` reports and the next record anchors.
        self.anchor.set_head(&Head { seq, hash })?;
        Ok(())
    }

    /// The chain's records in order, checked link by link: `Ok(chain)` with every record's
    /// (seq, hash), or `Err(seq)` at the first record whose hash or link does not verify.
    fn audit_chain(conn: &Connection) -> Result<Result<Vec<(i64, String)>, i64>, StoreError> {
        let mut stmt = conn.prepare("SELECT seq, time, actor, action, target, outcome, prev_sha256, sha256 FROM audit ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_owned();
        let mut chain = Vec::new();
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (actor, action, target, outcome): (String, String, String, String) =
                (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let entry = AuditEntry {
                time: r.get(1)?,
                actor: &actor,
                action: &action,
                target: &target,
                outcome: &outcome,
            };
            let (link, hash): (String, String) = (r.get(6)?, r.get(7)?);
            let expected_seq = chain.len() as i64 + 1;
            if seq != expected_seq || link != prev || audit_hash(&prev, seq, &entry) != hash {
                return Ok(Err(seq));
            }
            prev.clone_from(&hash);
            chain.push((seq, hash));
        }
        Ok(Ok(chain))
    }

    /// Checks the audit chain from its first record to its anchored head (see [`AuditCheck`]).
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        let conn = self.conn();
        let chain = match Self::audit_chain(&conn)? {
            Ok(chain) => chain,
            Err(seq) => return Ok(AuditCheck::Broken { seq }),
        };
        let found = chain.last().map_or(0, |(seq, _)| *seq);
        let Some(head) = self.anchor.head()? else {
            return Ok(if chain.is_empty() {
                AuditCheck::Intact { records: 0 }
            } else {
                AuditCheck::NoHead {
                    records: chain.len() as u64,
                }
            });
        };
        if found < head.seq {
            return Ok(AuditCheck::Cut {
                anchored: head.seq,
                found,
            });
        }
        let at_head = chain.get(usize::try_from(head.seq - 1).unwrap_or(usize::MAX));
        if at_head.is_none_or(|(_, hash)| *hash != head.hash) {
            return Ok(AuditCheck::Diverged { anchored: head.seq });
        }
        if found > head.seq {
            return Ok(AuditCheck::Unanchored {
                anchored: head.seq,
                found,
            });
        }
        Ok(AuditCheck::Intact {
            records: chain.len() as u64,
        })
    }

    /// Writes a consistent copy of the database to `dest` (SQLite's online backup), a new
    /// file of mode 0600: it holds the same as the database.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        crate::anchor::create_private(dest)?;
        let conn = self.conn();
        let mut target = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
        // The audit head as of this copy (still under the lock, so no record came between),
        // beside it: `restore-drill` verifies the copy against it.
        self.anchor
            .copy_head_to(&crate::anchor::sidecar(dest, ".audit-head"))?;
        Ok(())
    }

    /// Replaces the database's contents with those of the backup at `src`, then erases again
    /// every booking erased since (the erasure log outside the database), and audits the
    /// restore with the audit records the replaced database had beyond the backup's, so the
    /// rollback is on record rather than silent. `now` and `actor` go into that record.
    pub fn restore(&self, src: &Path, now: i64, actor: &str) -> Result<Restored, StoreError> {
        let old_head = self.anchor.head()?;
        {
            let mut conn = self.conn();
            let source =
                Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let backup = rusqlite::backup::Backup::new(&source, &mut conn)?;
            backup.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
        }
        let erased_again = self.reapply_erasures()?;
        let removed_again = self.reapply_removals()?;
        let restored_last: i64 =
            self.conn()
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))?;
        let anchored = old_head.as_ref().map_or(0, |h| h.seq);
        let lost = (anchored - restored_last).max(0);
        let target = match &old_head {
            Some(h) => format!(
                "backup; replaced log ended at record {} ({}); {lost} record(s) not in the backup; {erased_again} erasure(s) and {removed_again} removal(s) re-applied",
                h.seq, h.hash
            ),
            None => format!(
                "backup; {erased_again} erasure(s) and {removed_again} removal(s) re-applied"
            ),
        };
        self.audit(&AuditEntry {
            time: now,
            actor,
            action: "restore",
            target: &target,
            outcome: "ok",
        })?;
        Ok(Restored {
            bookings: self.count()?,
            erased_again,
            audit_records_lost: lost,
            removed_again,
        })
    }

    /// The anchor files (the people module logs removals there).
    pub(crate) fn anchor(&self) -> &Anchor {
        &self.anchor
    }

    /// The stored bookings that the erasure log says were erased (after a restore, the ones an
    /// old copy brought back).
    fn erased_references(&self) -> Result<Vec<String>, StoreError> {
        let erased = self.anchor.erased()?;
        let conn = self.conn();
        let refs: Vec<String> = conn
            .prepare("SELECT reference FROM bookings")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(refs
            .into_iter()
            .filter(|r| erased.contains(&self.anchor.erased_token(r)))
            .collect())
    }

    /// How many stored bookings the erasure log says were erased.
    pub fn erased_present(&self) -> Result<usize, StoreError> {
        Ok(self.erased_references()?.len())
    }

    /// Erases again every stored booking the erasure log names; returns how many.
    pub fn reapply_erasures(&self) -> Result<usize, StoreError> {
        let refs = self.erased_references()?;
        let conn = self.conn();
        let mut n = 0;
        for r in &refs {
            n += conn.execute("DELETE FROM bookings WHERE reference = ?1", [r])?;
        }
        self.truncate_wal(&conn)?;
        Ok(n)
    }

    /// `PRAGMA integrity_check`; `"ok"` when healthy.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}
