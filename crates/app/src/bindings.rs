//! TypeScript bindings of the types the desktop receives, generated with ts-rs.
//!
//! The generated files are committed under `ui/src/bindings/` so the UI builds without Rust; the
//! test below fails when they drift from the Rust types, and `cargo xtask bindings` rewrites them.

use crate::coding_dto::*;
use crate::dto::*;
use crate::dto_approvals::*;
use crate::dto_gl::*;
use crate::error::{AppError, ErrorCode};
use std::collections::BTreeMap;
use std::path::Path;
use ts_rs::{Config, TS};

/// Every exported type with its dependencies, as `file name → contents`.
pub fn generate() -> Result<BTreeMap<String, String>, String> {
    let dir = tempfile_dir()?;
    let cfg = Config::new().with_out_dir(&dir);
    let result = (|| -> Result<(), ts_rs::ExportError> {
        DocumentSummary::export_all(&cfg)?;
        DocumentDetail::export_all(&cfg)?;
        crate::document_view::DocumentOpenView::export_all(&cfg)?;
        JournalView::export_all(&cfg)?;
        ImportOutcome::export_all(&cfg)?;
        ImportProgress::export_all(&cfg)?;
        ImportSummary::export_all(&cfg)?;
        WorkspaceInfo::export_all(&cfg)?;
        InitReport::export_all(&cfg)?;
        ExplainView::export_all(&cfg)?;
        CodeLineRequest::export_all(&cfg)?;
        CodeReport::export_all(&cfg)?;
        ForgetVendorReport::export_all(&cfg)?;
        HistoryImportReport::export_all(&cfg)?;
        LearnedModelView::export_all(&cfg)?;
        ExceptionsReport::export_all(&cfg)?;
        RulesTestReport::export_all(&cfg)?;
        RulesDiffReport::export_all(&cfg)?;
        RulePackInfo::export_all(&cfg)?;
        AppError::export_all(&cfg)?;
        ErrorCode::export_all(&cfg)?;
        GlConnectionView::export_all(&cfg)?;
        ApproveOutcome::export_all(&cfg)?;
        OutboxView::export_all(&cfg)?;
        OutboxActionView::export_all(&cfg)?;
        SyncReport::export_all(&cfg)?;
        RateLimitView::export_all(&cfg)?;
        PullReport::export_all(&cfg)?;
        GlCallView::export_all(&cfg)?;
        crate::export::ledger::JournalExportReport::export_all(&cfg)?;
        UserView::export_all(&cfg)?;
        DecisionView::export_all(&cfg)?;
        ApprovalStatusView::export_all(&cfg)?;
        LockView::export_all(&cfg)?;
        AuditVerifyReport::export_all(&cfg)?;
        ReplayView::export_all(&cfg)?;
        crate::audit_export::AuditExportReport::export_all(&cfg)?;
        crate::queue::QueueFilter::export_all(&cfg)?;
        crate::overview::OverviewView::export_all(&cfg)?;
        ImportRun::export_all(&cfg)?;
        crate::choices::CodingChoices::export_all(&cfg)?;
        crate::queue::QueueSort::export_all(&cfg)?;
        crate::queue::QueuePageView::export_all(&cfg)?;
        crate::queue::BulkPreview::export_all(&cfg)?;
        crate::export::lines::LinesExportReport::export_all(&cfg)?;
        crate::export::payables::PayablesExport::export_all(&cfg)?;
        crate::export::payables::PayablesForecast::export_all(&cfg)?;
        crate::api::JournalSyncView::export_all(&cfg)?;
        crate::api::ApiStatusView::export_all(&cfg)?;
        Ok(())
    })();
    let files = result
        .map_err(|e| e.to_string())
        .and_then(|()| read_dir(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    files
}

/// Writes the bindings into `dir`, replacing every `.ts` file there.
pub fn write(dir: &Path) -> Result<usize, String> {
    let files = generate()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "ts") {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    for (name, contents) in &files {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(files.len())
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("folio-bindings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn read_dir(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            files.insert(name.to_owned(), text);
        }
    }
    Ok(files)
}
