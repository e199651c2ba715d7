//! What can go wrong in the store, said so that a person knows which file or record is concerned
//! and what to do about it.

use std::path::PathBuf;

/// An error of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder has no `folio.sqlite`, or that file is not a database Folio wrote.
    #[error("{path} is not a Folio workspace: {reason}")]
    NotAWorkspace { path: PathBuf, reason: String },

    /// `Store::create` found a workspace already there; nothing was touched.
    #[error("{path} already exists; Folio will not overwrite an existing workspace")]
    AlreadyExists { path: PathBuf },

    /// The database was written by a newer Folio: opening it could misread or damage it.
    #[error(
        "this workspace was written by a newer version of Folio (schema version {found}, this \
         Folio understands up to {supported}); upgrade Folio to open it. Nothing was changed."
    )]
    NewerSchema { found: i64, supported: i64 },

    /// A change to something that must not change any more, such as an approved journal.
    #[error("{what} cannot be changed: {reason}")]
    Immutable { what: String, reason: String },

    /// A journal status change that the lifecycle (or the journal's state) does not allow.
    #[error("{journal} cannot go from {from} to {to}: {reason}")]
    InvalidTransition {
        journal: String,
        from: &'static str,
        to: &'static str,
        reason: String,
    },

    /// A record that was asked for by id does not exist.
    #[error("{what} was not found")]
    NotFound { what: String },

    /// Input the store refuses before touching anything, e.g. a malformed SHA-256.
    #[error("invalid {what}")]
    Invalid { what: String },

    /// A file-system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// SQLite reported an error (including a CHECK or trigger refusing a change).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// Stored data that cannot be what Folio wrote, e.g. a `body_json` that does not parse.
    #[error("the workspace data is corrupt: {what}")]
    Corrupt { what: String },

    /// The audit log's hash chain does not hold at event `seq`; `first` is the first event that
    /// was altered or removed (`seq` itself, the one before it, or the first of a gap).
    #[error("the audit log is broken: event {first} was altered or removed ({reason})")]
    AuditBreak {
        seq: i64,
        first: i64,
        reason: String,
    },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt { what: what.into() }
    }

    /// The message of a SQLite constraint or trigger failure (`RAISE(ABORT, …)`, CHECK, UNIQUE),
    /// when this is one.
    pub fn constraint_message(&self) -> Option<&str> {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, msg))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Some(msg.as_deref().unwrap_or("constraint failed"))
            }
            _ => None,
        }
    }
}
