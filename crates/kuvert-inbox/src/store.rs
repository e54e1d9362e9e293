//! The SQLite store: bookings (ciphertext + public facts), and the append-only audit log.
//!
//! One connection behind a mutex: SQLite serialises writers anyway, and a single connection
//! makes "count, then insert" atomic under `BEGIN IMMEDIATE` without retry loops. Every commit
//! is durable (`synchronous=FULL` in WAL mode); deleted rows are overwritten (`secure_delete`)
//! and the WAL is truncated after erasures, so erased ciphertext does not linger on disk.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use kuvert_core::hex;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &["CREATE TABLE bookings (
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
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"];

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

/// A stored booking, as staff see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredBooking {
    /// Monotonic position, for `since=` paging.
    pub cursor: i64,
    /// Public reference.
    pub reference: String,
    /// When received, RFC 3339 UTC.
    pub received: String,
    /// When it will be erased, RFC 3339 UTC.
    pub expires: String,
    /// The envelope exactly as accepted.
    pub envelope: serde_json::Value,
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

/// The database.
pub struct Store {
    conn: Mutex<Connection>,
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
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a booking if its slot has room, atomically. Returns the cursor.
    pub fn reserve(&self, b: &NewBooking<'_>, capacity: u32) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
        Ok(id)
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
        let n = conn.execute("DELETE FROM bookings WHERE reference = ?1", [reference])?;
        Self::truncate_wal(&conn)?;
        Ok(n == 1)
    }

    fn truncate_wal(conn: &Connection) -> Result<(), StoreError> {
        // Move everything into the main file (where secure_delete zeroed erased rows) and empty
        // the WAL, so erased ciphertext is not left in old WAL frames.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBooking> {
        let envelope: String = r.get(2)?;
        Ok(StoredBooking {
            cursor: r.get(0)?,
            reference: r.get(1)?,
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
        let n = conn.execute("DELETE FROM bookings WHERE reference = ?1", [reference])?;
        if n > 0 {
            Self::truncate_wal(&conn)?;
        }
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
        if n > 0 {
            Self::truncate_wal(&conn)?;
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
        Ok(())
    }

    /// Checks the audit chain from the first record. `Ok(n)` is the number of records;
    /// `Err(seq)` is the first record whose hash or link does not verify.
    pub fn verify_audit(&self) -> Result<Result<u64, i64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT seq, time, actor, action, target, outcome, prev_sha256, sha256 FROM audit ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut n = 0;
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
            if seq != expected_seq || link != prev || audit_hash(&prev, seq, &entry) != hash {
                return Ok(Err(seq));
            }
            prev = hash;
            expected_seq += 1;
            n += 1;
        }
        Ok(Ok(n))
    }

    /// Writes a consistent copy of the database to `dest` (SQLite's online backup).
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut target = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }

    /// Replaces the database's contents with those of the backup at `src`.
    pub fn restore(&self, src: &Path) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let source = Connection::open_with_flags(src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let backup = rusqlite::backup::Backup::new(&source, &mut conn)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(0), None)?;
        Ok(())
    }

    /// `PRAGMA integrity_check`; `"ok"` when healthy.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}
