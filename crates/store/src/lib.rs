//! Folio's store: one workspace is a folder holding `folio.sqlite` and `blobs/`.
//!
//! * `folio.sqlite` is the local record of everything: imported documents, journals, master data
//!   and the audit log. Its schema ([`schema`]) keeps money as exact decimal text, mirrors the
//!   domain's invariants in CHECKs and triggers, and is refused when a newer Folio wrote it.
//! * `blobs/` holds the original files content-addressed by SHA-256 ([`BlobStore`]).
//!
//! Every mutating method takes a [`Change`] (who and when — the store never reads the clock, so
//! tests and imports are reproducible) and commits the state change together with its audit event
//! ([`audit`]) in one transaction: either both are there or neither is.

pub mod approvals;
pub mod audit;
mod batch;
pub mod blobs;
pub mod documents;
mod error;
pub mod export;
pub mod history;
pub mod journals;
pub mod master;
pub mod outbox;
pub mod overview;
pub mod queue;
pub mod review;
pub mod schema;
mod settings;
pub mod suggestions;

pub use approvals::{
    ApprovalProgress, ApprovalRequest, StoredDecision, StoredUser, journal_content_sha256,
};
pub use audit::AuditEvent;
pub use blobs::{BlobRef, BlobStore};
pub use documents::{
    DocumentId, DocumentRow, NewDocument, OriginalFile, StoredDocument, normalise_number,
    normalise_supplier,
};
pub use error::StoreError;
pub use export::{ExportedJournal, LineFilter, LineRow, LineVisitor, LinesSnapshot};
pub use history::{
    ApprovedLine, ForgottenVendor, HistoryImport, LearningState, NewHistoryLine, StoredHistoryLine,
    StoredRate,
};
pub use journals::{JournalId, StoredJournal};
pub use master::MasterData;
pub use outbox::{GlCall, OutboxEntry, OutboxOutcome, OutboxState};
pub use overview::{SpendLine, VendorAccuracy};
pub use queue::{QueueOrder, QueuePage, QueueQuery, QueueReason, QueueRow, QueueStatus};
pub use review::{ReviewDecision, SimilarDocument};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use suggestions::{NewRulePack, NewSuggestion, StoredRulePack, StoredSuggestion};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The database file of a workspace.
pub const DB_FILE: &str = "folio.sqlite";
/// The folder of original files in a workspace.
pub const BLOBS_DIR: &str = "blobs";

/// Who makes a change and when. The caller reads the clock, never the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Change {
    pub fn new(actor: impl Into<String>, at: DateTime<Utc>) -> Change {
        Change {
            actor: actor.into(),
            at,
        }
    }
}

/// An open workspace.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    root: PathBuf,
    blobs: BlobStore,
    /// The review queue's last count and the database state it counted (see `queue`).
    queue_count: queue::CountMemo,
}

/// How the store writes an instant: RFC 3339 in UTC with a `Z`, with as many fractional digits as
/// the instant has, so that what is read back is exactly what was given.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Store {
    /// Creates a new workspace in `dir` (created if missing): `folio.sqlite` with the current
    /// schema, and `blobs/`. Refuses with [`StoreError::AlreadyExists`] when `dir` already has a
    /// `folio.sqlite`, and touches nothing then.
    pub fn create(dir: &Path, at: DateTime<Utc>) -> Result<Store, StoreError> {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let db_path = dir.join(DB_FILE);
        // Claim the file name atomically: of two concurrent creates, one fails here.
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&db_path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists { path: db_path });
            }
            Err(e) => return Err(StoreError::io(&db_path, e)),
        }
        match Store::initialise(dir, &db_path, at) {
            Ok(store) => Ok(store),
            Err(e) => {
                // Leave no half-made workspace behind (best effort; the error says what failed).
                for suffix in ["", "-wal", "-shm"] {
                    let _ = fs::remove_file(dir.join(format!("{DB_FILE}{suffix}")));
                }
                Err(e)
            }
        }
    }

    fn initialise(dir: &Path, db_path: &Path, at: DateTime<Utc>) -> Result<Store, StoreError> {
        let mut conn = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::configure(&conn)?;
        queue::register_collation(&conn)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        schema::migrate(&mut conn)?;
        let blobs = BlobStore::new(dir.join(BLOBS_DIR));
        match fs::create_dir(blobs.dir()) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::io(blobs.dir(), e)),
        }
        blobs::sync_dir(dir)?;
        let change = Change::new("folio", at);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let meta = [
            ("created_at", timestamp(at)),
            ("created_by_version", env!("CARGO_PKG_VERSION").to_string()),
        ];
        for (key, value) in &meta {
            tx.execute(
                "INSERT INTO workspace_meta (key, value) VALUES (?1, ?2)",
                (key, value),
            )?;
        }
        let after: serde_json::Map<String, serde_json::Value> = meta
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        audit::append(
            &tx,
            &change,
            audit::NewEvent {
                action: "workspace.create",
                entity: "workspace",
                entity_id: "",
                before: None,
                after: Some(audit::to_json(&after)?),
            },
        )?;
        tx.commit()?;
        Ok(Store {
            conn,
            root: dir.to_path_buf(),
            blobs,
            queue_count: queue::CountMemo::default(),
        })
    }

    /// Opens the workspace in `dir`, bringing an older schema up to date.
    ///
    /// Refuses, before writing anything: a folder without `folio.sqlite` or whose database is not
    /// Folio's ([`StoreError::NotAWorkspace`]), and a database written by a newer Folio
    /// ([`StoreError::NewerSchema`]).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        let not_a_workspace = |reason: String| StoreError::NotAWorkspace {
            path: dir.to_path_buf(),
            reason,
        };
        match fs::metadata(&db_path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(not_a_workspace(format!("{DB_FILE} is not a file"))),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(not_a_workspace(format!("it has no {DB_FILE}")));
            }
            Err(e) => return Err(StoreError::io(db_path, e)),
        }
        let mut conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::configure_read_only_settings(&conn)?;
        // The first read of the header is where a non-SQLite file shows.
        let app_id = match schema::application_id(&conn) {
            Ok(id) => id,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(not_a_workspace(format!(
                    "{DB_FILE} is not a SQLite database"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if app_id != APPLICATION_ID {
            return Err(not_a_workspace(format!(
                "{DB_FILE} is a SQLite database of another application (application_id {app_id})"
            )));
        }
        let found = schema::user_version(&conn)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        schema::configure(&conn)?;
        queue::register_collation(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            root: dir.to_path_buf(),
            blobs: BlobStore::new(dir.join(BLOBS_DIR)),
            queue_count: queue::CountMemo::default(),
        })
    }

    /// The workspace folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    /// The original files.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Starts the write transaction of one state change. IMMEDIATE takes the write lock up front
    /// so that two processes never both read and then fail to upgrade.
    pub(crate) fn begin(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(schema::user_version(&self.conn)?)
    }

    /// The full schema as SQL (what the snapshot test compares).
    pub fn schema_sql(&self) -> Result<String, StoreError> {
        schema::dump(&self.conn)
    }

    /// A value of `workspace_meta` (`created_at`, `created_by_version`).
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM workspace_meta WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: [`StoreError::Corrupt`] listing
    /// what SQLite found, if anything.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut findings = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for line in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let line = line?;
            if line != "ok" {
                findings.push(line);
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")?;
        let rows = stmt.query_map([], |r| {
            Ok(format!(
                "{} row {} refers to a missing {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                r.get::<_, String>(2)?
            ))
        })?;
        for row in rows {
            findings.push(row?);
        }
        if findings.is_empty() {
            Ok(())
        } else {
            Err(StoreError::corrupt(format!(
                "{}: {}",
                self.db_path().display(),
                findings.join("; ")
            )))
        }
    }
}
