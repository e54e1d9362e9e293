//! Staff accounts in the inbox's SQLite: people with roles and a state, one-time invites,
//! passkeys, sessions, CLI tokens, each person's public key (with copies of the secret key
//! wrapped on their device), and grants.
//!
//! The inbox can authenticate people but cannot open anything for them: a grant is an
//! audience's secret key sealed (age) to a person's public key on the owner's device, and a
//! wrapped key is the person's own secret key sealed on their device. Both are opaque bytes
//! here. Invites, sessions and tokens are 32 random bytes shown once; only their SHA-256 is
//! stored, so a copy of the database signs no one in.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::config::Scope;
use crate::store::{Store, StoreError};

/// Migration 3: the account tables.
pub const MIGRATION: &str = "CREATE TABLE people (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        handle BLOB NOT NULL UNIQUE,
        roles TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('invited', 'active', 'removed')),
        created INTEGER NOT NULL,
        last_sign_in INTEGER,
        public_key TEXT,
        wrapped TEXT
    );
    CREATE TABLE invites (
        sha256 BLOB PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        expires INTEGER NOT NULL,
        used INTEGER
    );
    CREATE TABLE passkeys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person INTEGER NOT NULL REFERENCES people(id),
        credential BLOB NOT NULL UNIQUE,
        passkey TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_used INTEGER
    );
    CREATE TABLE sessions (
        sha256 BLOB PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        created INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        sha256 BLOB PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        scopes TEXT NOT NULL,
        created INTEGER NOT NULL,
        expires INTEGER NOT NULL,
        last_used INTEGER
    );
    CREATE TABLE grants (
        person INTEGER NOT NULL REFERENCES people(id),
        role TEXT NOT NULL,
        sealed TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (person, role)
    );";

/// The role that manages people, grants and forms.
pub const OWNER: &str = "owner";

/// Longest person name.
pub const MAX_NAME: usize = 64;

/// A secret shown once (invite, session, token): 32 random bytes, base64url. Wiped on drop;
/// no `Debug`, so it cannot reach a log by accident.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// A new random secret and the SHA-256 the store keeps of it.
    pub fn generate() -> Result<(Secret, [u8; 32]), getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut())?;
        let secret = Secret(Zeroizing::new(URL_SAFE_NO_PAD.encode(&bytes[..])));
        let hash = hash_secret(secret.expose());
        Ok((secret, hash))
    }

    /// The text to hand to its holder, once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What the store keeps of a secret presented to it.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// Whether `name` can name a person: 1 to 64 characters, letters, digits, spaces and
/// `.-_'`, not starting or ending with a space. Names appear in the audit log and on staff
/// screens, so nothing that could reshape either (controls, bidi, separators) is allowed.
pub fn is_valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME).contains(&n)
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '\''))
}

/// Where a person's account is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonState {
    /// Invited, no passkey yet.
    Invited,
    /// Enrolled.
    Active,
    /// Removed: no sessions, tokens, passkeys or grants; kept so the audit log's name stays
    /// meaningful.
    Removed,
}

impl PersonState {
    fn parse(s: &str) -> PersonState {
        match s {
            "active" => PersonState::Active,
            "invited" => PersonState::Invited,
            _ => PersonState::Removed,
        }
    }

    /// Its name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonState::Invited => "invited",
            PersonState::Active => "active",
            PersonState::Removed => "removed",
        }
    }
}

/// A staff member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Row id.
    pub id: i64,
    /// Display name, unique (the audit log's actor).
    pub name: String,
    /// The WebAuthn user handle: 16 random bytes, never the name.
    pub handle: [u8; 16],
    /// Roles (`owner`, and the config's audiences).
    pub roles: BTreeSet<String>,
    /// Where the account is.
    pub state: PersonState,
    /// When made, UTC seconds.
    pub created: i64,
    /// Last passkey sign-in.
    pub last_sign_in: Option<i64>,
    /// Their personal age public key (`age1…`), once set.
    pub public_key: Option<String>,
}

impl Person {
    /// Whether they hold `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// What a session of theirs may do: every role reads and erases; the owner also sees
    /// metrics and manages people and grants.
    pub fn session_scopes(&self) -> BTreeSet<Scope> {
        let mut s = BTreeSet::from([Scope::Read, Scope::Erase]);
        if self.has_role(OWNER) {
            s.extend([Scope::Metrics, Scope::Manage]);
        }
        s
    }
}

const PERSON_COLUMNS: &str = "id, name, handle, roles, state, created, last_sign_in, public_key";

/// The person with row id `id`, in any state.
fn person_in(conn: &rusqlite::Connection, id: i64) -> rusqlite::Result<Option<Person>> {
    conn.query_row(
        &format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = ?1"),
        [id],
        person_row,
    )
    .optional()
}

fn person_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let handle: Vec<u8> = r.get(2)?;
    let roles: String = r.get(3)?;
    let state: String = r.get(4)?;
    Ok(Person {
        id: r.get(0)?,
        name: r.get(1)?,
        handle: handle.try_into().unwrap_or([0; 16]),
        roles: roles.split_whitespace().map(str::to_owned).collect(),
        state: PersonState::parse(&state),
        created: r.get(5)?,
        last_sign_in: r.get(6)?,
        public_key: r.get(7)?,
    })
}

/// Why an invite could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InviteRefused {
    /// No invite has this secret.
    Unknown,
    /// It expired.
    Expired,
    /// It was used already.
    Used,
}

/// A stored passkey.
#[derive(Clone, Debug)]
pub struct StoredPasskey {
    /// Row id (what the API names it by).
    pub id: i64,
    /// The credential id.
    pub credential: Vec<u8>,
    /// webauthn-rs's `Passkey`, as JSON (public key and counter; no secret).
    pub passkey: String,
    /// When registered.
    pub created: i64,
    /// Last sign-in with it.
    pub last_used: Option<i64>,
}

/// A token, as the access review shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// What it may do.
    pub scopes: BTreeSet<Scope>,
    /// When made.
    pub created: i64,
    /// When it stops working.
    pub expires: i64,
    /// Last request with it.
    pub last_used: Option<i64>,
}

/// One row of the access review (`staff list`).
#[derive(Clone, Debug)]
pub struct Review {
    /// The person.
    pub person: Person,
    /// Their passkeys: (id, created, last used).
    pub passkeys: Vec<(i64, i64, Option<i64>)>,
    /// The roles they hold a grant for.
    pub grants: Vec<String>,
    /// Their tokens.
    pub tokens: Vec<TokenInfo>,
}

/// How long sessions live.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// Idle seconds before a session ends.
    pub idle: i64,
    /// Seconds after sign-in that a session ends regardless.
    pub max: i64,
}

fn scopes_text(scopes: &BTreeSet<Scope>) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_scopes(s: &str) -> BTreeSet<Scope> {
    s.split_whitespace().filter_map(Scope::parse).collect()
}

impl Store {
    /// Adds a person, invited. `None` when the name is taken.
    pub fn add_person(
        &self,
        name: &str,
        roles: &BTreeSet<String>,
        now: i64,
    ) -> Result<Option<Person>, StoreError> {
        let mut handle = [0u8; 16];
        getrandom::fill(&mut handle).map_err(|_| StoreError::Random)?;
        let roles_text = roles.iter().cloned().collect::<Vec<_>>().join(" ");
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO people (name, handle, roles, state, created) VALUES (?1, ?2, ?3, 'invited', ?4)
             ON CONFLICT(name) DO NOTHING",
            params![name, &handle[..], roles_text, now],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(Person {
            id: conn.last_insert_rowid(),
            name: name.to_owned(),
            handle,
            roles: roles.clone(),
            state: PersonState::Invited,
            created: now,
            last_sign_in: None,
            public_key: None,
        }))
    }

    /// The person with this name, in any state.
    pub fn person(&self, name: &str) -> Result<Option<Person>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {PERSON_COLUMNS} FROM people WHERE name = ?1"),
                [name],
                person_row,
            )
            .optional()?)
    }

    /// The person with this row id.
    pub fn person_by_id(&self, id: i64) -> Result<Option<Person>, StoreError> {
        Ok(person_in(&self.conn(), id)?)
    }

    /// Stores an invite for `person` (its secret's hash), valid until `expires`.
    pub fn add_invite(
        &self,
        person: i64,
        sha256: &[u8; 32],
        expires: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO invites (sha256, person, expires) VALUES (?1, ?2, ?3)",
            params![&sha256[..], person, expires],
        )?;
        Ok(())
    }

    /// The person an unused, unexpired invite is for (a person since removed has none).
    pub fn invite(
        &self,
        sha256: &[u8; 32],
        now: i64,
    ) -> Result<Result<Person, InviteRefused>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, i64, Option<i64>)> = conn
            .query_row(
                "SELECT person, expires, used FROM invites WHERE sha256 = ?1",
                [&sha256[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((person, expires, used)) = row else {
            return Ok(Err(InviteRefused::Unknown));
        };
        if used.is_some() {
            return Ok(Err(InviteRefused::Used));
        }
        if now >= expires {
            return Ok(Err(InviteRefused::Expired));
        }
        let person = person_in(&conn, person)?;
        Ok(match person {
            Some(p) if p.state != PersonState::Removed => Ok(p),
            _ => Err(InviteRefused::Unknown),
        })
    }

    /// Uses an invite: in one transaction, marks it used, stores the passkey and makes the
    /// person active. Refused (nothing written) if the invite was used or expired meanwhile.
    pub fn enrol(
        &self,
        sha256: &[u8; 32],
        credential: &[u8],
        passkey_json: &str,
        now: i64,
    ) -> Result<Result<i64, InviteRefused>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let marked = tx.execute(
            "UPDATE invites SET used = ?2 WHERE sha256 = ?1 AND used IS NULL AND expires > ?2",
            params![&sha256[..], now],
        )?;
        if marked == 0 {
            return Ok(Err(InviteRefused::Used));
        }
        let person: i64 = tx.query_row(
            "SELECT person FROM invites WHERE sha256 = ?1",
            [&sha256[..]],
            |r| r.get(0),
        )?;
        let activated = tx.execute(
            "UPDATE people SET state = 'active' WHERE id = ?1 AND state != 'removed'",
            [person],
        )?;
        if activated == 0 {
            return Ok(Err(InviteRefused::Unknown));
        }
        tx.execute(
            "INSERT INTO passkeys (person, credential, passkey, created) VALUES (?1, ?2, ?3, ?4)",
            params![person, credential, passkey_json, now],
        )?;
        tx.commit()?;
        Ok(Ok(person))
    }

    /// Adds another passkey for an active person.
    pub fn add_passkey(
        &self,
        person: i64,
        credential: &[u8],
        passkey_json: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO passkeys (person, credential, passkey, created) VALUES (?1, ?2, ?3, ?4)",
            params![person, credential, passkey_json, now],
        )?;
        Ok(())
    }

    /// Whether any person holds a passkey with this credential id.
    pub fn credential_taken(&self, credential: &[u8]) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM passkeys WHERE credential = ?1",
                [credential],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// A person's passkeys.
    pub fn passkeys(&self, person: i64) -> Result<Vec<StoredPasskey>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, credential, passkey, created, last_used FROM passkeys WHERE person = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([person], |r| {
            Ok(StoredPasskey {
                id: r.get(0)?,
                credential: r.get(1)?,
                passkey: r.get(2)?,
                created: r.get(3)?,
                last_used: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a sign-in with a passkey: its new state (counter) and the time.
    pub fn signed_in(
        &self,
        person: i64,
        passkey: i64,
        passkey_json: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE passkeys SET last_used = ?3, passkey = COALESCE(?4, passkey) WHERE id = ?2 AND person = ?1",
            params![person, passkey, now, passkey_json],
        )?;
        tx.execute(
            "UPDATE people SET last_sign_in = ?2 WHERE id = ?1",
            params![person, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes one of a person's passkeys, unless it is their last (they could never sign in
    /// again). `Ok(false)`: no such passkey, or the last one.
    pub fn remove_passkey(&self, person: i64, id: i64) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "DELETE FROM passkeys WHERE id = ?2 AND person = ?1
             AND (SELECT COUNT(*) FROM passkeys WHERE person = ?1) > 1",
            params![person, id],
        )?;
        Ok(n == 1)
    }

    /// Starts a session (its secret's hash) for `person`.
    pub fn add_session(&self, person: i64, sha256: &[u8; 32], now: i64) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sessions (sha256, person, created, last_seen) VALUES (?1, ?2, ?3, ?3)",
            params![&sha256[..], person, now],
        )?;
        Ok(())
    }

    /// The active person a live session belongs to, marking it seen. A session past its idle
    /// or total limit is deleted and answers `None`.
    pub fn session(
        &self,
        sha256: &[u8; 32],
        now: i64,
        limits: SessionLimits,
    ) -> Result<Option<Person>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, i64, i64)> = conn
            .query_row(
                "SELECT person, created, last_seen FROM sessions WHERE sha256 = ?1",
                [&sha256[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((person, created, last_seen)) = row else {
            return Ok(None);
        };
        if now - last_seen >= limits.idle || now - created >= limits.max {
            conn.execute("DELETE FROM sessions WHERE sha256 = ?1", [&sha256[..]])?;
            return Ok(None);
        }
        conn.execute(
            "UPDATE sessions SET last_seen = ?2 WHERE sha256 = ?1",
            params![&sha256[..], now],
        )?;
        let person = person_in(&conn, person)?;
        Ok(person.filter(|p| p.state == PersonState::Active))
    }

    /// Ends a session (sign-out). Whether there was one.
    pub fn end_session(&self, sha256: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM sessions WHERE sha256 = ?1", [&sha256[..]])?
            == 1)
    }

    /// Deletes sessions past their limits (the purge).
    pub fn purge_sessions(&self, now: i64, limits: SessionLimits) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM sessions WHERE ?1 - last_seen >= ?2 OR ?1 - created >= ?3",
            params![now, limits.idle, limits.max],
        )?)
    }

    /// Stores a token (its secret's hash) for `person`.
    pub fn add_token(
        &self,
        person: i64,
        sha256: &[u8; 32],
        scopes: &BTreeSet<Scope>,
        now: i64,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO tokens (sha256, person, scopes, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&sha256[..], person, scopes_text(scopes), now, expires],
        )?;
        Ok(())
    }

    /// The active person and scopes of an unexpired token, marking it used.
    pub fn token(
        &self,
        sha256: &[u8; 32],
        now: i64,
    ) -> Result<Option<(Person, BTreeSet<Scope>)>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, String, i64)> = conn
            .query_row(
                "SELECT person, scopes, expires FROM tokens WHERE sha256 = ?1",
                [&sha256[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((person, scopes, expires)) = row else {
            return Ok(None);
        };
        if now >= expires {
            return Ok(None);
        }
        conn.execute(
            "UPDATE tokens SET last_used = ?2 WHERE sha256 = ?1",
            params![&sha256[..], now],
        )?;
        let person = person_in(&conn, person)?;
        Ok(person
            .filter(|p| p.state == PersonState::Active)
            .map(|p| (p, parse_scopes(&scopes))))
    }

    /// Removes a person at once: state `removed`; their sessions, tokens, invites, passkeys
    /// and grants deleted, in one transaction. `Ok(false)` if there is no such person still
    /// present.
    pub fn remove_person(&self, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM people WHERE name = ?1 AND state != 'removed'",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Ok(false);
        };
        let handle: Vec<u8> =
            tx.query_row("SELECT handle FROM people WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        // Logged outside the database first, so a restore of an older copy removes them again.
        self.anchor().record_removal(&kuvert_core::hex(&handle))?;
        for table in ["sessions", "tokens", "invites", "passkeys", "grants"] {
            tx.execute(&format!("DELETE FROM {table} WHERE person = ?1"), [id])?;
        }
        tx.execute(
            "UPDATE people SET state = 'removed', public_key = NULL, wrapped = NULL WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        // As after an erasure: the deleted rows' old pages leave the WAL too.
        self.truncate_wal(&conn)?;
        Ok(true)
    }

    /// People present (not removed) whom the erasure log says were removed: after a restore,
    /// the leavers an old copy brought back.
    pub fn removed_present(&self) -> Result<Vec<String>, StoreError> {
        let logged = self.anchor().erased()?;
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT name, handle FROM people WHERE state != 'removed'")?;
        let rows: Vec<(String, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows
            .into_iter()
            .filter(|(_, h)| logged.contains(&self.anchor().removed_token(&kuvert_core::hex(h))))
            .map(|(name, _)| name)
            .collect())
    }

    /// Removes again everyone [`Store::removed_present`] names; returns how many.
    pub fn reapply_removals(&self) -> Result<usize, StoreError> {
        let names = self.removed_present()?;
        for name in &names {
            self.remove_person(name)?;
        }
        Ok(names.len())
    }

    /// Sets a person's public key and the wrapped copies of its secret (opaque JSON). A new
    /// key drops the grants sealed to the old one.
    pub fn set_key(&self, person: i64, public_key: &str, wrapped: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let old: Option<String> = tx.query_row(
            "SELECT public_key FROM people WHERE id = ?1",
            [person],
            |r| r.get(0),
        )?;
        if old.as_deref() != Some(public_key) {
            tx.execute("DELETE FROM grants WHERE person = ?1", [person])?;
        }
        tx.execute(
            "UPDATE people SET public_key = ?2, wrapped = ?3 WHERE id = ?1",
            params![person, public_key, wrapped],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A person's public key and wrapped copies (JSON), if set.
    pub fn key(&self, person: i64) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT public_key, COALESCE(wrapped, '[]') FROM people WHERE id = ?1 AND public_key IS NOT NULL",
                [person],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Stores (or replaces) the grant of `role` to `person`.
    pub fn put_grant(
        &self,
        person: i64,
        role: &str,
        sealed: &str,
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO grants (person, role, sealed, granted_by, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(person, role) DO UPDATE SET sealed = ?3, granted_by = ?4, created = ?5",
            params![person, role, sealed, by, now],
        )?;
        Ok(())
    }

    /// Withdraws a grant. Whether there was one.
    pub fn withdraw_grant(&self, person: i64, role: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM grants WHERE person = ?1 AND role = ?2",
            params![person, role],
        )? == 1)
    }

    /// A person's grants: (role, sealed age file, granted by, when).
    pub fn grants(&self, person: i64) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT role, sealed, granted_by, created FROM grants WHERE person = ?1 ORDER BY role",
        )?;
        let rows = stmt.query_map([person], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets a person's roles.
    pub fn set_roles(&self, person: i64, roles: &BTreeSet<String>) -> Result<(), StoreError> {
        let text = roles.iter().cloned().collect::<Vec<_>>().join(" ");
        self.conn().execute(
            "UPDATE people SET roles = ?2 WHERE id = ?1",
            params![person, text],
        )?;
        Ok(())
    }

    /// The access review: everyone not removed, with passkeys, grants and tokens.
    pub fn review(&self) -> Result<Vec<Review>, StoreError> {
        let people: Vec<Person> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {PERSON_COLUMNS} FROM people WHERE state != 'removed' ORDER BY name"
            ))?;
            stmt.query_map([], person_row)?.collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(people.len());
        for person in people {
            let passkeys = self
                .passkeys(person.id)?
                .into_iter()
                .map(|p| (p.id, p.created, p.last_used))
                .collect();
            let grants = self.grants(person.id)?.into_iter().map(|g| g.0).collect();
            let tokens = {
                let conn = self.conn();
                let mut stmt = conn.prepare_cached(
                    "SELECT scopes, created, expires, last_used FROM tokens WHERE person = ?1 ORDER BY created",
                )?;
                stmt.query_map([person.id], |r| {
                    let scopes: String = r.get(0)?;
                    Ok(TokenInfo {
                        scopes: parse_scopes(&scopes),
                        created: r.get(1)?,
                        expires: r.get(2)?,
                        last_used: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?
            };
            out.push(Review {
                person,
                passkeys,
                grants,
                tokens,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("inbox.db")).unwrap();
        (dir, store)
    }

    fn roles(r: &[&str]) -> BTreeSet<String> {
        r.iter().map(|s| (*s).to_owned()).collect()
    }

    /// `name`, a desk person, invited at 0 and enrolled at 1 with a passkey `credential`.
    fn enrolled(s: &Store, name: &str, credential: &[u8]) -> Person {
        let p = s.add_person(name, &roles(&["desk"]), 0).unwrap().unwrap();
        let (_i, invite) = Secret::generate().unwrap();
        s.add_invite(p.id, &invite, 1000).unwrap();
        s.enrol(&invite, credential, "{}", 1).unwrap().unwrap();
        p
    }

    #[test]
    fn names_that_could_reshape_a_log_or_screen_are_refused() {
        assert!(is_valid_name("Ana Müller"));
        assert!(is_valid_name("o'brien-2"));
        for bad in [
            "",
            " ana",
            "ana ",
            "a\nb",
            "a\u{202e}b",
            "a\u{2028}b",
            "a;b",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn an_invite_works_once_and_not_after_it_expires() {
        let (_d, s) = store();
        let p = s
            .add_person("Ana", &roles(&["desk"]), 100)
            .unwrap()
            .unwrap();
        assert!(
            s.add_person("Ana", &roles(&[]), 100).unwrap().is_none(),
            "name taken"
        );
        let (_secret, hash) = Secret::generate().unwrap();
        s.add_invite(p.id, &hash, 200).unwrap();
        assert_eq!(s.invite(&hash, 150).unwrap(), Ok(p.clone()));
        assert_eq!(s.invite(&hash, 200).unwrap(), Err(InviteRefused::Expired));
        assert_eq!(
            s.enrol(&hash, b"cred", "{}", 200).unwrap(),
            Err(InviteRefused::Used)
        );
        assert_eq!(s.enrol(&hash, b"cred", "{}", 150).unwrap(), Ok(p.id));
        assert_eq!(s.invite(&hash, 150).unwrap(), Err(InviteRefused::Used));
        assert_eq!(
            s.enrol(&hash, b"cred2", "{}", 150).unwrap(),
            Err(InviteRefused::Used)
        );
        assert_eq!(s.person("Ana").unwrap().unwrap().state, PersonState::Active);
        assert_eq!(
            s.invite(&[0; 32], 150).unwrap(),
            Err(InviteRefused::Unknown)
        );
    }

    #[test]
    fn sessions_end_when_idle_at_their_limit_and_at_sign_out() {
        let (_d, s) = store();
        let p = enrolled(&s, "Ana", b"c");
        let limits = SessionLimits {
            idle: 900,
            max: 3600,
        };
        let (_a, a) = Secret::generate().unwrap();
        s.add_session(p.id, &a, 0).unwrap();
        assert!(s.session(&a, 899, limits).unwrap().is_some());
        assert!(
            s.session(&a, 1798, limits).unwrap().is_some(),
            "seen at 899"
        );
        assert!(s.session(&a, 2698, limits).unwrap().is_none(), "idle 900 s");
        assert!(
            s.session(&a, 1799, limits).unwrap().is_none(),
            "deleted, not revived"
        );
        let (_b, b) = Secret::generate().unwrap();
        s.add_session(p.id, &b, 0).unwrap();
        for t in (600..3600).step_by(600) {
            assert!(s.session(&b, t, limits).unwrap().is_some());
        }
        assert!(s.session(&b, 3600, limits).unwrap().is_none(), "12 h cap");
        let (_c, c) = Secret::generate().unwrap();
        s.add_session(p.id, &c, 0).unwrap();
        assert!(s.end_session(&c).unwrap());
        assert!(s.session(&c, 1, limits).unwrap().is_none());
    }

    #[test]
    fn removing_a_person_ends_everything_they_held_at_once() {
        let (_d, s) = store();
        let p = enrolled(&s, "Ana", b"c");
        let limits = SessionLimits {
            idle: 900,
            max: 3600,
        };
        let (_a, session) = Secret::generate().unwrap();
        s.add_session(p.id, &session, 2).unwrap();
        let (_t, token) = Secret::generate().unwrap();
        s.add_token(p.id, &token, &BTreeSet::from([Scope::Read]), 2, 10_000)
            .unwrap();
        s.set_key(p.id, "age1public", "[]").unwrap();
        s.put_grant(p.id, "desk", "sealed", "Owner", 3).unwrap();
        assert!(s.token(&token, 5).unwrap().is_some());
        assert!(s.remove_person("Ana").unwrap());
        assert!(s.session(&session, 5, limits).unwrap().is_none());
        assert!(s.token(&token, 5).unwrap().is_none());
        assert!(s.grants(p.id).unwrap().is_empty());
        assert!(s.passkeys(p.id).unwrap().is_empty());
        assert!(s.key(p.id).unwrap().is_none());
        assert_eq!(
            s.person("Ana").unwrap().unwrap().state,
            PersonState::Removed
        );
        assert!(!s.remove_person("Ana").unwrap(), "already removed");
        assert!(s.review().unwrap().is_empty());
    }

    /// A restore of a backup made before a removal brings the leaver back; the removal log
    /// beside the database removes them again.
    #[test]
    fn a_restore_does_not_bring_back_a_removed_person() {
        let (dir, s) = store();
        let p = enrolled(&s, "Ana", b"c");
        let (_t, token) = Secret::generate().unwrap();
        s.add_token(p.id, &token, &BTreeSet::from([Scope::Read]), 2, 10_000)
            .unwrap();
        s.add_person("Bo", &roles(&["desk"]), 0).unwrap().unwrap();
        let backup = dir.path().join("before.sqlite3");
        s.backup(&backup).unwrap();
        assert!(s.remove_person("Ana").unwrap());
        let restored = s.restore(&backup, 10, "test").unwrap();
        assert_eq!(restored.removed_again, 1);
        assert_eq!(
            s.person("Ana").unwrap().unwrap().state,
            PersonState::Removed
        );
        assert!(
            s.token(&token, 5).unwrap().is_none(),
            "her token stays revoked"
        );
        assert_eq!(s.person("Bo").unwrap().unwrap().state, PersonState::Invited);
        assert!(s.removed_present().unwrap().is_empty());
    }

    #[test]
    fn tokens_expire_and_a_new_key_drops_grants_sealed_to_the_old() {
        let (_d, s) = store();
        let p = enrolled(&s, "Ana", b"c");
        let (_t, token) = Secret::generate().unwrap();
        s.add_token(p.id, &token, &BTreeSet::from([Scope::Read]), 0, 100)
            .unwrap();
        assert!(s.token(&token, 99).unwrap().is_some());
        assert!(s.token(&token, 100).unwrap().is_none());
        s.set_key(p.id, "age1one", "[]").unwrap();
        s.put_grant(p.id, "desk", "sealed", "Owner", 3).unwrap();
        s.set_key(p.id, "age1one", "[{\"kind\":\"prf\"}]").unwrap();
        assert_eq!(s.grants(p.id).unwrap().len(), 1, "same key: grants kept");
        s.set_key(p.id, "age1two", "[]").unwrap();
        assert!(s.grants(p.id).unwrap().is_empty());
    }

    #[test]
    fn the_last_passkey_cannot_be_removed() {
        let (_d, s) = store();
        let p = enrolled(&s, "Ana", b"c1");
        s.add_passkey(p.id, b"c2", "{}", 2).unwrap();
        let keys = s.passkeys(p.id).unwrap();
        assert!(s.remove_passkey(p.id, keys[0].id).unwrap());
        assert!(!s.remove_passkey(p.id, keys[1].id).unwrap());
        assert!(s.credential_taken(b"c2").unwrap());
    }
}
