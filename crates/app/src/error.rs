//! Errors as the CLI and the desktop see them: a stable code, a sentence, and the problems.
//!
//! Every use case returns [`AppError`]; it serialises as `{code, message, problems}` so that the
//! UI can branch on `code`, show `message`, and list `problems` with their arithmetic. The codes are
//! part of the interface (scripts and the UI match on them): add new ones, never rename.

use folio_domain::Problem;
use serde::Serialize;
use std::fmt;
use ts_rs::TS;

/// What went wrong, in a word the UI and scripts can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The folder is not a Folio workspace (no `folio.sqlite`, or not Folio's).
    WorkspaceNotFound,
    /// `init` on a folder that already holds a workspace.
    WorkspaceExists,
    /// The workspace was written by a newer Folio.
    WorkspaceTooNew,
    /// The workspace's data failed a consistency check.
    WorkspaceCorrupt,
    DocumentNotFound,
    /// The journal could not be built; `problems` says why.
    JournalNotBuildable,
    /// The journal is approved or later and cannot change.
    JournalImmutable,
    /// An argument was malformed (e.g. a document id).
    InvalidInput,
    /// Reading or writing a file failed.
    Io,
    /// The database failed in a way the user cannot fix by changing their input.
    Storage,
    /// The general ledger could not be reached or did not answer.
    GlUnavailable,
    /// The general ledger refused the request.
    GlRefused,
    /// The OS keychain, where GL credentials live, is not available.
    KeychainUnavailable,
    /// What was asked for cannot be written in the export format (e.g. an account without a
    /// ledger name); the message names the journal and line.
    NotExportable,
    /// The local read API is off for the workspace, or has no token yet.
    ApiDisabled,
    /// A rule refused the action: the actor's role, segregation of duties, the approval policy
    /// or a period lock. The message and the problem's code name the rule.
    NotPermitted,
    /// The GL's sign-in (an OAuth grant) is revoked or expired: sign in to the GL again. Nothing
    /// was lost; the outbox keeps its journals queued until then.
    GlSignInRequired,
    /// No outbox entry has the reference (or journal id) given.
    OutboxNotFound,
    /// The outbox entry is not in a state the action applies to (posted, rejected, being sent,
    /// or the GL holds it under another id); the message says what it is and what to do.
    OutboxConflict,
    /// Another process (a `folio sync`, the desktop) holds the workspace's sync lease: it is
    /// sending or looking journals up. The message names its process id.
    SyncBusy,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::WorkspaceNotFound => "WORKSPACE_NOT_FOUND",
            ErrorCode::WorkspaceExists => "WORKSPACE_EXISTS",
            ErrorCode::WorkspaceTooNew => "WORKSPACE_TOO_NEW",
            ErrorCode::WorkspaceCorrupt => "WORKSPACE_CORRUPT",
            ErrorCode::DocumentNotFound => "DOCUMENT_NOT_FOUND",
            ErrorCode::JournalNotBuildable => "JOURNAL_NOT_BUILDABLE",
            ErrorCode::JournalImmutable => "JOURNAL_IMMUTABLE",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::Io => "IO",
            ErrorCode::Storage => "STORAGE",
            ErrorCode::GlUnavailable => "GL_UNAVAILABLE",
            ErrorCode::GlRefused => "GL_REFUSED",
            ErrorCode::KeychainUnavailable => "KEYCHAIN_UNAVAILABLE",
            ErrorCode::NotExportable => "NOT_EXPORTABLE",
            ErrorCode::ApiDisabled => "API_DISABLED",
            ErrorCode::NotPermitted => "NOT_PERMITTED",
            ErrorCode::GlSignInRequired => "GL_SIGN_IN_REQUIRED",
            ErrorCode::OutboxNotFound => "OUTBOX_NOT_FOUND",
            ErrorCode::OutboxConflict => "OUTBOX_CONFLICT",
            ErrorCode::SyncBusy => "SYNC_BUSY",
        }
    }

    /// True for errors about the workspace itself rather than one piece of input.
    pub fn is_workspace_error(&self) -> bool {
        matches!(
            self,
            ErrorCode::WorkspaceNotFound
                | ErrorCode::WorkspaceExists
                | ErrorCode::WorkspaceTooNew
                | ErrorCode::WorkspaceCorrupt
                | ErrorCode::Storage
        )
    }
}

/// The one error type of Folio's use cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn with_problems(mut self, problems: Vec<Problem>) -> AppError {
        self.problems = problems;
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<folio_store::StoreError> for AppError {
    fn from(e: folio_store::StoreError) -> AppError {
        use folio_store::StoreError as E;
        let code = match &e {
            E::NotAWorkspace { .. } => ErrorCode::WorkspaceNotFound,
            E::AlreadyExists { .. } => ErrorCode::WorkspaceExists,
            E::NewerSchema { .. } => ErrorCode::WorkspaceTooNew,
            E::Corrupt { .. } | E::AuditBreak { .. } => ErrorCode::WorkspaceCorrupt,
            E::Invalid { .. } => ErrorCode::InvalidInput,
            E::Immutable { .. } | E::InvalidTransition { .. } => ErrorCode::JournalImmutable,
            E::NotFound { .. } => ErrorCode::DocumentNotFound,
            E::Io { .. } => ErrorCode::Io,
            _ => ErrorCode::Storage,
        };
        AppError::new(code, e.to_string())
    }
}
