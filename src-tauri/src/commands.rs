//! The Tauri commands: each one locks the workspace and calls one `folio_app` function.
//!
//! No business logic lives here — listing, validation, journal drafting and balancing are all in
//! folio-app, shared with the CLI. Errors cross to the UI as folio-app's `AppError`, which
//! serialises as `{code, message, problems}`.
//!
//! The workspace is opened lazily, on the first command that needs it, so that a window started
//! before `folio init` can show how to create the workspace and then pick it up on "Try again".

use crate::location::WorkspaceLocation;
use folio_app::{AppError, DocumentDetail, DocumentSummary, JournalView, Workspace, WorkspaceInfo};
use std::sync::{Mutex, PoisonError};
use tauri::State;

/// What the window holds: where its workspace is, and the workspace once it is open.
/// `Workspace` holds a SQLite connection and is not `Sync`, hence the mutex.
pub struct Desktop {
    location: WorkspaceLocation,
    workspace: Mutex<Option<Workspace>>,
}

impl Desktop {
    pub fn new(location: WorkspaceLocation) -> Desktop {
        Desktop {
            location,
            workspace: Mutex::new(None),
        }
    }

    /// Runs `action` on the workspace, opening it first if this is the first call (or the last
    /// attempt failed).
    fn with<T>(
        &self,
        action: impl FnOnce(&mut Workspace) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut slot = self
            .workspace
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut workspace = match slot.take() {
            Some(workspace) => workspace,
            None => Workspace::open(&self.location.path)?,
        };
        let result = action(&mut workspace);
        *slot = Some(workspace);
        result
    }
}

/// Where this window's workspace is and how it was chosen. Never fails.
#[tauri::command]
pub fn workspace_location(desktop: State<'_, Desktop>) -> WorkspaceLocation {
    desktop.location.clone()
}

/// Opens the workspace if needed and describes it (path and counts).
#[tauri::command]
pub async fn workspace_info(desktop: State<'_, Desktop>) -> Result<WorkspaceInfo, AppError> {
    desktop.with(|ws| ws.info())
}

/// Every document of the workspace, newest import first.
#[tauri::command]
pub async fn list_documents(desktop: State<'_, Desktop>) -> Result<Vec<DocumentSummary>, AppError> {
    desktop.with(|ws| ws.list_documents())
}

/// One document with its problems and its original file's facts.
#[tauri::command]
pub async fn show_document(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<DocumentDetail, AppError> {
    desktop.with(|ws| ws.show_document(&id))
}

/// The document's journal draft (built and saved by folio-app if needed), with its totals per
/// currency, its balance check and its problems.
#[tauri::command]
pub async fn journal_draft(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<JournalView, AppError> {
    desktop.with(|ws| ws.journal_draft(&id))
}
