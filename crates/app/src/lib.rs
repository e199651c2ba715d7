//! Folio's use cases: the one API that both the `folio` CLI and the desktop app call.
//!
//! Nothing above this crate touches the store, the importers or the coding engine directly, so
//! every rule (what a duplicate is, when a journal may change, what gets audited) holds the same
//! whether a person clicks or types. Errors leave as [`AppError`] (`{code, message, problems}`);
//! results leave as the plain DTOs of [`dto`], which are exported to TypeScript for the UI
//! ([`bindings`]). This crate must never depend on tauri: `cargo tree -p folio-app` proves it.

pub mod access;
pub mod api;
pub mod approvals;
pub mod audit;
pub mod audit_export;
pub mod bindings;
pub mod choices;
pub mod clock;
pub mod coding;
pub mod coding_dto;
pub mod credentials;
pub mod demo;
pub mod document_view;
pub mod dto;
pub mod dto_approvals;
pub mod dto_gl;
pub mod dto_import;
pub mod duplicates;
pub mod error;
pub mod exceptions;
pub mod export;
pub mod gl;
pub mod gl_business_central;
pub mod gl_oauth;
pub mod gl_quickbooks;
pub mod gl_write_bound;
pub mod history;
pub mod import;
pub mod import_tabular;
pub mod learned_model;
pub mod learning;
pub mod model_snapshot;
pub mod overview;
pub mod policy;
pub mod profiles;
pub mod queue;
pub mod replay;
pub mod rules;
pub mod settings;
pub mod sync;
pub mod sync_actions;
pub mod sync_lease;
pub mod workspace;

pub use api::{ApiStatusView, JournalSyncView};
pub use audit_export::AuditExportReport;
pub use choices::{CodeChoice, CodingChoices, DimensionChoices};
pub use clock::{Clock, FixedClock, SystemClock};
pub use coding_dto::*;
pub use document_view::DocumentOpenView;
pub use dto::*;
pub use dto_approvals::*;
pub use dto_gl::*;
pub use dto_import::{DuplicateResolution, ProfileView};
pub use error::{AppError, ErrorCode};
pub use export::ledger::JournalExportReport;
pub use export::lines::LinesExportReport;
pub use export::payables::{
    DueTotal, EarlyPaymentDiscount, ForecastWeek, OpenPayable, PayableSum, PayablesExport,
    PayablesForecast,
};
pub use export::{LedgerFormat, LinesFormat, PayablesFormat};
pub use import::ImportOptions;
pub use overview::OverviewView;
pub use queue::{
    BulkPreview, CurrencyAmount, QueueFilter, QueuePageView, QueueReasonFilter, QueueRowView,
    QueueSort, QueueSortKey, QueueStatusFilter,
};
pub use sync::SyncOptions;
pub use sync_actions::Resolution;
pub use workspace::{Context, Workspace, default_workspace_dir};
