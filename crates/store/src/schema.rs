//! The database schema: embedded migrations, connection settings and the guards that keep Folio
//! from opening what it must not.
//!
//! Why these choices:
//!
//! * **Migrations are plain SQL files** under `crates/store/migrations/NNNN_name.sql`, embedded with
//!   `include_str!` so the binary carries its schema, and tracked with `PRAGMA user_version` (stored
//!   in the database header, so no bookkeeping table can disagree with it). Each migration runs in
//!   its own transaction together with the bump of `user_version`: a crash leaves the database at
//!   the previous version, never half-migrated. After each migration `PRAGMA foreign_key_check`
//!   must come back empty, or the migration is rolled back.
//! * **`PRAGMA application_id`** is set to [`APPLICATION_ID`] so that Folio refuses a random
//!   SQLite file instead of adding its tables to it.
//! * **The newer-schema guard** reads `user_version` before anything is written: a workspace
//!   written by a newer Folio is refused with [`StoreError::NewerSchema`] and left byte-for-byte
//!   unchanged.
//! * **WAL journal**: readers (the desktop UI) do not block the writer (an import) and vice versa,
//!   and a commit is one sequential append.
//! * **`synchronous = FULL`**, not NORMAL: in WAL mode NORMAL is still consistent after a power
//!   loss, but may lose the last commits. Folio's commits are a reviewer approving a journal or
//!   importing an invoice — human-paced, a few per minute — so the extra fsync per commit costs
//!   nothing noticeable, and in exchange "Folio said it is approved" stays true after a power cut.
//!   For an audit trail that matters more than write throughput.
//! * **`foreign_keys = ON`** on every connection (SQLite's default is off, per connection).
//! * **`busy_timeout`** so that a second Folio process (CLI next to the desktop app) waits for a
//!   lock instead of failing at once.
//! * **`trusted_schema = OFF`**: the schema is Folio's own, and nothing in it needs functions with
//!   side effects; this limits what a tampered schema could make Folio run.

use crate::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::time::Duration;

/// `PRAGMA application_id` of a Folio workspace: the bytes `FOLI`.
pub const APPLICATION_ID: i32 = 0x464F_4C49;

/// How long a connection waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` the database has after this migration.
    pub version: i64,
    /// The file name, for messages.
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Versions start at 1 and increase by one; a test checks that.
/// Never edit a migration that has shipped: add a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial.sql",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_settings.sql",
        sql: include_str!("../migrations/0002_settings.sql"),
    },
    Migration {
        version: 3,
        name: "0003_document_review.sql",
        sql: include_str!("../migrations/0003_document_review.sql"),
    },
    Migration {
        version: 4,
        name: "0004_suggestions.sql",
        sql: include_str!("../migrations/0004_suggestions.sql"),
    },
    Migration {
        version: 5,
        name: "0005_outbox.sql",
        sql: include_str!("../migrations/0005_outbox.sql"),
    },
    Migration {
        version: 6,
        name: "0006_approvals.sql",
        sql: include_str!("../migrations/0006_approvals.sql"),
    },
    Migration {
        version: 7,
        name: "0007_rule_pack_archive.sql",
        sql: include_str!("../migrations/0007_rule_pack_archive.sql"),
    },
    Migration {
        version: 8,
        name: "0008_change_seq.sql",
        sql: include_str!("../migrations/0008_change_seq.sql"),
    },
    Migration {
        version: 9,
        name: "0009_review_queue.sql",
        sql: include_str!("../migrations/0009_review_queue.sql"),
    },
    Migration {
        version: 10,
        name: "0010_review_speed.sql",
        sql: include_str!("../migrations/0010_review_speed.sql"),
    },
    Migration {
        version: 11,
        name: "0011_amount_order.sql",
        sql: include_str!("../migrations/0011_amount_order.sql"),
    },
];

/// The schema version this build of Folio writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Applies the settings every Folio connection needs. Writes nothing to the database file except
/// the switch to WAL (a no-op when it already is in WAL mode).
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "trusted_schema", false)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::corrupt(format!(
            "the database refused WAL mode (journal_mode is {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Settings that need no write: used before the guards have looked at the file.
pub(crate) fn configure_read_only_settings(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "trusted_schema", false)?;
    Ok(())
}

/// `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// `PRAGMA application_id`.
pub(crate) fn application_id(conn: &Connection) -> rusqlite::Result<i32> {
    conn.pragma_query_value(None, "application_id", |r| r.get(0))
}

/// Runs every migration above the database's `user_version`, each in its own transaction.
/// Returns the versions applied.
pub(crate) fn migrate(conn: &mut Connection) -> Result<Vec<i64>, StoreError> {
    let current = user_version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql)
            .map_err(|e| StoreError::corrupt(format!("migration {} failed: {e}", m.name)))?;
        let violations: i64 =
            tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if violations > 0 {
            return Err(StoreError::corrupt(format!(
                "migration {} leaves {violations} foreign key violations",
                m.name
            )));
        }
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// The whole schema as SQL, one statement per object ordered by name, preceded by the version.
/// This is what the schema snapshot test compares.
pub(crate) fn dump(conn: &Connection) -> Result<String, StoreError> {
    let mut out = format!("-- user_version = {}\n", user_version(conn)?);
    let mut stmt =
        conn.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name, type")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for sql in rows {
        out.push('\n');
        out.push_str(&sql?);
        out.push_str(";\n");
    }
    Ok(out)
}
