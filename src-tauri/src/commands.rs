//! The Tauri commands: each one locks the workspace and calls one `folio_app` function.
//!
//! No business logic lives here — listing, filtering, coding, approval and sync are all in
//! folio-app, shared with the CLI. Errors cross to the UI as folio-app's `AppError`, which
//! serialises as `{code, message, problems}`.
//!
//! The workspace is opened lazily, on the first command that needs it, so that a window started
//! before `folio init` can show how to create the workspace and then pick it up on "Try again".
//! Long work (import, approval, sync) runs on a blocking thread so the window keeps painting;
//! the import reports its progress as `import-progress` events. Forgetting a vendor and importing
//! coding history retrain the learned suggester and re-code the open documents, so they run on a
//! blocking thread too.

use crate::location::WorkspaceLocation;
use folio_app::history::HistoryImportOptions;
use folio_app::{
    AppError, ApprovalStatusView, ApproveOutcome, BulkPreview, CodeLineRequest, CodeReport,
    CodingChoices, Context, DecisionView, DocumentDetail, DocumentOpenView, DocumentSummary,
    ErrorCode, ExceptionsReport, ExplainView, GlCallView, GlConnectionView, ImportProgress,
    ImportRun, JournalView, OutboxView, QueueFilter, QueuePageView, QueueSort, SyncOptions,
    SyncReport, UserView, Workspace, WorkspaceInfo,
};
use folio_app::{ForgetVendorReport, HistoryImportReport, LearnedModelView};
use folio_app::{OutboxActionView, RateLimitView, Resolution};
use folio_app::{OverviewView, PullReport, RulePackInfo, RulesDiffReport, RulesTestReport};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use tauri::{AppHandle, Emitter, Manager, State};

/// What the window holds: where its workspace is, and the workspace once it is open.
/// `Workspace` holds a SQLite connection and is not `Sync`, hence the mutex.
pub struct Desktop {
    location: WorkspaceLocation,
    workspace: Mutex<Option<Workspace>>,
    /// Who works in the window when someone switched user (like the CLI's `--as`); the OS user
    /// otherwise.
    actor: Mutex<Option<String>>,
}

impl Desktop {
    pub fn new(location: WorkspaceLocation) -> Desktop {
        Desktop {
            location,
            workspace: Mutex::new(None),
            actor: Mutex::new(None),
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
            None => self.open()?,
        };
        let result = action(&mut workspace);
        *slot = Some(workspace);
        result
    }
}

impl Desktop {
    fn open(&self) -> Result<Workspace, AppError> {
        let actor = self
            .actor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut context = Context::from_environment();
        if let Some(actor) = actor {
            context.actor = actor;
        }
        Workspace::open_with(&self.location.path, context)
    }

    /// Works as `name` from now on (reopening the workspace), if `name` is a user of it.
    fn switch_user(&self, name: String) -> Result<UserView, AppError> {
        let mut slot = self
            .workspace
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let previous = self
            .actor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(name);
        let opened = self
            .open()
            .and_then(|ws| ws.current_user().map(|user| (ws, user)));
        match opened {
            Ok((workspace, user)) => {
                *slot = Some(workspace);
                Ok(user)
            }
            Err(e) => {
                *self.actor.lock().unwrap_or_else(PoisonError::into_inner) = previous;
                Err(e)
            }
        }
    }
}

/// Runs `action` on the workspace on a blocking thread (imports and syncs take seconds and run
/// their own async runtime, which must not be nested in Tauri's).
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    action: impl FnOnce(&mut Workspace, &AppHandle) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        let desktop = app.state::<Desktop>();
        desktop.with(|ws| action(ws, &app))
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Storage, format!("the task stopped: {e}")))?
}

fn rng() -> StdRng {
    StdRng::from_os_rng()
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

/// One page of the review queue under a filter and an order.
#[tauri::command]
pub async fn review_queue(
    desktop: State<'_, Desktop>,
    filter: QueueFilter,
    sort: QueueSort,
    offset: u64,
    limit: u32,
) -> Result<QueuePageView, AppError> {
    desktop.with(|ws| ws.review_queue(&filter, sort, offset, limit))
}

/// One document with its problems and its original file's facts.
#[tauri::command]
pub async fn show_document(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<DocumentDetail, AppError> {
    desktop.with(|ws| ws.show_document(&id))
}

/// The document view's one read: the document, its journal draft and how it is coded (the
/// coding sources loaded once; see `folio_app::document_view`).
#[tauri::command]
pub async fn open_document(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<DocumentOpenView, AppError> {
    desktop.with(|ws| ws.open_document(&id))
}

/// The bytes of a document's original file (a PDF for pdf.js, an XML file), as a raw buffer.
#[tauri::command]
pub async fn original_file(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<tauri::ipc::Response, AppError> {
    desktop.with(|ws| ws.original_bytes(&id).map(tauri::ipc::Response::new))
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

/// How each line of a document is coded, why, and what else was proposed.
#[tauri::command]
pub async fn explain(desktop: State<'_, Desktop>, id: String) -> Result<ExplainView, AppError> {
    desktop.with(|ws| ws.explain(&id))
}

/// Records a person's coding of one line and rebuilds the journal draft.
#[tauri::command]
pub async fn code_line(
    desktop: State<'_, Desktop>,
    request: CodeLineRequest,
) -> Result<CodeReport, AppError> {
    desktop.with(|ws| ws.code_line(&request))
}

/// The accounts, dimension values and tax codes a line may be coded with.
#[tauri::command]
pub async fn coding_choices(desktop: State<'_, Desktop>) -> Result<CodingChoices, AppError> {
    desktop.with(|ws| ws.coding_choices())
}

/// Imports files and folders, emitting `import-progress` after each file.
#[tauri::command]
pub async fn import_paths(app: AppHandle, paths: Vec<String>) -> Result<ImportRun, AppError> {
    blocking(app, move |ws, app| {
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        let mut progress = |p: &ImportProgress| {
            // A window that closed mid-import misses the event; the import goes on.
            let _ = app.emit("import-progress", p);
        };
        let (outcomes, summary) = ws.import_paths(&paths, &mut progress)?;
        Ok(ImportRun { outcomes, summary })
    })
    .await
}

/// Approves and queues the journals of the given documents.
#[tauri::command]
pub async fn approve(app: AppHandle, ids: Vec<String>) -> Result<Vec<ApproveOutcome>, AppError> {
    blocking(app, move |ws, _| ws.approve(&ids, false, &mut rng())).await
}

/// How many open documents a filter shows, and their totals per currency.
#[tauri::command]
pub async fn bulk_approve_preview(
    desktop: State<'_, Desktop>,
    filter: QueueFilter,
) -> Result<BulkPreview, AppError> {
    desktop.with(|ws| ws.bulk_approve_preview(&filter))
}

/// Approves every open document of a filter, if they are still what the person confirmed.
#[tauri::command]
pub async fn bulk_approve(
    app: AppHandle,
    filter: QueueFilter,
    confirmed: BulkPreview,
) -> Result<Vec<ApproveOutcome>, AppError> {
    blocking(app, move |ws, _| {
        ws.bulk_approve(&filter, &confirmed, &mut rng())
    })
    .await
}

/// Posts the outbox to the GL once (waiting out retries for a short while).
#[tauri::command]
pub async fn sync(app: AppHandle) -> Result<SyncReport, AppError> {
    blocking(app, move |ws, _| {
        ws.sync(SyncOptions::default(), &mut rng())
    })
    .await
}

/// Every outbox entry, oldest first.
#[tauri::command]
pub async fn outbox(desktop: State<'_, Desktop>) -> Result<Vec<OutboxView>, AppError> {
    desktop.with(|ws| ws.outbox())
}

/// The latest GL API calls, oldest first.
#[tauri::command]
pub async fn gl_log(desktop: State<'_, Desktop>, limit: u32) -> Result<Vec<GlCallView>, AppError> {
    desktop.with(|ws| ws.gl_log(limit as usize))
}

/// The workspace's GL connection (never its secret).
#[tauri::command]
pub async fn gl_connection(desktop: State<'_, Desktop>) -> Result<GlConnectionView, AppError> {
    desktop.with(|ws| ws.gl_connection_view())
}

/// Connects the workspace to a GL; the secret goes to the OS keychain and is never returned.
#[tauri::command]
pub async fn gl_connect(
    desktop: State<'_, Desktop>,
    kind: String,
    url: Option<String>,
    ledger: Option<String>,
    user: Option<String>,
    secret: Option<String>,
) -> Result<GlConnectionView, AppError> {
    desktop.with(|ws| {
        ws.gl_connect(
            &kind,
            url.as_deref(),
            ledger.as_deref().map(std::path::Path::new),
            user.as_deref(),
            secret.as_deref(),
            &mut rng(),
        )
    })
}

/// Signs in to Xero through the system browser (opened here; the URL also goes to the window as
/// `gl-sign-in-url` in case no browser opens) and connects the workspace to the organisation.
/// The tokens go to the OS keychain and never come back.
#[tauri::command]
pub async fn gl_connect_xero(
    app: AppHandle,
    client_id: String,
    tenant: Option<String>,
    post_as: Option<String>,
) -> Result<GlConnectionView, AppError> {
    blocking(app, move |ws, app| {
        let request = folio_app::gl_oauth::OAuthConnect {
            kind: "xero".into(),
            client_id,
            api_url: None,
            login_url: None,
            identity_url: None,
            tenant: tenant.filter(|t| !t.trim().is_empty()),
            post_as,
            timeout: std::time::Duration::from_secs(180),
        };
        let mut show = |url: &str| {
            let _ = app.emit("gl-sign-in-url", url.to_owned());
            folio_app::gl_oauth::open_in_browser(url);
        };
        ws.gl_connect_oauth(&request, &mut show, &mut rng())
    })
    .await
}

/// Connects the workspace to a QuickBooks Online company (`company_url` names the realm) with
/// the company's Intuit app: the client secret goes to the OS keychain and never comes back;
/// the sign-in opens in the system browser (its URL also goes to the window as
/// `gl-sign-in-url`) and its tokens go to the keychain too.
#[tauri::command]
pub async fn gl_connect_quickbooks(
    app: AppHandle,
    company_url: String,
    client_id: String,
    client_secret: String,
) -> Result<GlConnectionView, AppError> {
    blocking(app, move |ws, app| {
        let mut show = |url: &str| {
            let _ = app.emit("gl-sign-in-url", url.to_owned());
            folio_app::gl_oauth::open_in_browser(url);
        };
        ws.gl_connect_quickbooks(
            company_url.trim(),
            client_id.trim(),
            &client_secret,
            &mut show,
            std::time::Duration::from_secs(180),
            &mut rng(),
        )
    })
    .await
}

/// Connects the workspace to a Business Central company through the Entra ID sign-in in the
/// system browser (a public client: no secret); the tokens go to the OS keychain.
#[tauri::command]
pub async fn gl_connect_business_central(
    app: AppHandle,
    company_url: String,
    client_id: String,
) -> Result<GlConnectionView, AppError> {
    blocking(app, move |ws, app| {
        let request = folio_app::gl_business_central::BusinessCentralConnect {
            company_url: company_url.trim().to_owned(),
            client_id,
            login_url: None,
            timeout: std::time::Duration::from_secs(180),
        };
        let mut show = |url: &str| {
            let _ = app.emit("gl-sign-in-url", url.to_owned());
            folio_app::gl_oauth::open_in_browser(url);
        };
        ws.gl_connect_business_central(&request, &mut show, &mut rng())
    })
    .await
}

/// Where the cloud GL's rate limits stand (`null` for GLs without them).
#[tauri::command]
pub async fn gl_rate_limits(
    desktop: State<'_, Desktop>,
) -> Result<Option<RateLimitView>, AppError> {
    desktop.with(|ws| ws.gl_rate_limits())
}

/// Every exception of the open documents, grouped by reason.
#[tauri::command]
pub async fn exceptions(desktop: State<'_, Desktop>) -> Result<ExceptionsReport, AppError> {
    desktop.with(|ws| ws.exceptions())
}

/// Who is working, with their role.
#[tauri::command]
pub async fn current_user(desktop: State<'_, Desktop>) -> Result<UserView, AppError> {
    desktop.with(|ws| ws.current_user())
}

/// The workspace's users.
#[tauri::command]
pub async fn users(desktop: State<'_, Desktop>) -> Result<Vec<UserView>, AppError> {
    desktop.with(|ws| ws.users())
}

/// Works as another user of the workspace (as the CLI's `--as`).
#[tauri::command]
pub async fn switch_user(desktop: State<'_, Desktop>, name: String) -> Result<UserView, AppError> {
    desktop.switch_user(name)
}

/// Where a document's journal stands in its approval.
#[tauri::command]
pub async fn approval_status(
    desktop: State<'_, Desktop>,
    id: String,
) -> Result<ApprovalStatusView, AppError> {
    desktop.with(|ws| ws.approval_status(&id))
}

/// Sends a journal back to its preparer with a comment (controllers).
#[tauri::command]
pub async fn reject_document(
    desktop: State<'_, Desktop>,
    id: String,
    comment: String,
) -> Result<DecisionView, AppError> {
    desktop.with(|ws| ws.reject_document(&id, &comment))
}

/// Submits a journal, as it is, for approval (clerks and admins).
#[tauri::command]
pub async fn submit_document(
    desktop: State<'_, Desktop>,
    id: String,
    comment: String,
) -> Result<DecisionView, AppError> {
    desktop.with(|ws| ws.submit_document(&id, &comment))
}

/// The rule packs in use.
#[tauri::command]
pub async fn rules_in_use(desktop: State<'_, Desktop>) -> Result<Vec<RulePackInfo>, AppError> {
    desktop.with(|ws| ws.rules_in_use())
}

/// Runs the tests of the rule packs in a folder.
#[tauri::command]
pub async fn rules_test(dir: String) -> Result<RulesTestReport, AppError> {
    tauri::async_runtime::spawn_blocking(move || folio_app::rules::test_packs(Path::new(&dir)))
        .await
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("the task stopped: {e}")))?
}

/// What the rule packs in a folder would code differently from those in use (blast radius).
#[tauri::command]
pub async fn rules_diff(app: AppHandle, dir: String) -> Result<RulesDiffReport, AppError> {
    blocking(app, move |ws, _| ws.rules_diff(Path::new(&dir))).await
}

/// The overview: spend, accuracy per vendor, exceptions by age, payables forecast.
#[tauri::command]
pub async fn overview(app: AppHandle) -> Result<OverviewView, AppError> {
    blocking(app, move |ws, _| ws.overview()).await
}

/// Fetches the GL's master data (accounts, dimensions, tax codes, vendors, periods) for offline
/// use, listing the drafts that use something the GL no longer has.
#[tauri::command]
pub async fn gl_pull(app: AppHandle) -> Result<PullReport, AppError> {
    blocking(app, move |ws, _| ws.gl_pull()).await
}

/// Retries outbox entries: queued ones become due now, ones in doubt are looked up in the GL.
#[tauri::command]
pub async fn outbox_retry(
    app: AppHandle,
    references: Vec<String>,
) -> Result<Vec<OutboxActionView>, AppError> {
    blocking(app, move |ws, _| ws.outbox_retry(&references)).await
}

/// Resolves an outbox entry in doubt: looks it up in the GL now, or (`gl_id` and `note` given,
/// a controller only) records that the person found it in the GL as `gl_id`.
#[tauri::command]
pub async fn outbox_resolve(
    app: AppHandle,
    reference: String,
    gl_id: Option<String>,
    note: Option<String>,
) -> Result<OutboxActionView, AppError> {
    let resolution = match gl_id {
        Some(gl_id) => Resolution::PostedAs {
            gl_id,
            note: note.unwrap_or_default(),
        },
        None => Resolution::LookUp,
    };
    blocking(app, move |ws, _| ws.outbox_resolve(&reference, resolution)).await
}

/// Forgets what the learned suggester learned from a vendor (admins) and re-codes the open
/// documents without it.
#[tauri::command]
pub async fn forget_vendor(app: AppHandle, vendor: String) -> Result<ForgetVendorReport, AppError> {
    blocking(app, move |ws, _| ws.forget_vendor(&vendor)).await
}

/// Imports a coding-history CSV as approved history and re-codes the open documents with it.
#[tauri::command]
pub async fn import_history(
    app: AppHandle,
    path: String,
    skip_invalid: Option<bool>,
) -> Result<HistoryImportReport, AppError> {
    let options = HistoryImportOptions {
        skip_invalid: skip_invalid.unwrap_or(false),
    };
    blocking(app, move |ws, _| {
        ws.import_history_with(Path::new(&path), options)
    })
    .await
}

/// What the learned suggester knows, brought up to date first (it may train).
#[tauri::command]
pub async fn learned_model(app: AppHandle) -> Result<LearnedModelView, AppError> {
    blocking(app, move |ws, _| ws.learned_model()).await
}
