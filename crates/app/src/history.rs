//! Importing coded history: past lines (`date,supplier,description,amount,account,cost_centre`,
//! extra columns ignored) that the learned suggester learns from as approved history.
//!
//! A history file is a bulk statement about the past, so it is taken whole or not at all: every
//! row is checked first, and the first bad row rejects the file with its row and column; then all
//! rows go in one transaction with one audit event (file, SHA-256, row count). Afterwards the open
//! documents are re-coded, so the model fills the blanks rules and people left.

use crate::coding_dto::HistoryImportReport;
use crate::error::{AppError, ErrorCode};
use crate::learning::training_examples;
use crate::workspace::{Workspace, count};
use folio_coding::history::{HistoryError, read_history_csv};
use folio_coding::learn::features::supplier_key;
use folio_domain::VatCategory;
use folio_store::NewHistoryLine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// History files larger than this are refused unread.
pub const MAX_HISTORY_BYTES: u64 = 512 * 1024 * 1024;

fn rejected(path: &Path, reason: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        format!("{}: {reason}; nothing was imported", path.display()),
    )
}

impl Workspace {
    /// Imports a history CSV (see the module docs) and re-codes the open documents with it.
    pub fn import_history(&mut self, path: &Path) -> Result<HistoryImportReport, AppError> {
        self.require(crate::access::Permission::Code)?;
        let io =
            |e: std::io::Error| AppError::new(ErrorCode::Io, format!("{}: {e}", path.display()));
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_HISTORY_BYTES {
            return Err(rejected(
                path,
                format!("{size} bytes is more than a history file may have ({MAX_HISTORY_BYTES})"),
            ));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let text = String::from_utf8(bytes)
            .map_err(|e| rejected(path, format!("the file is not UTF-8 text ({e})")))?;
        let lines = read_history_csv(&text).map_err(|e: HistoryError| rejected(path, e))?;
        let mut new = Vec::with_capacity(lines.len());
        for l in lines {
            let bad = |column: &str, value: &str, expected: &str| {
                rejected(
                    path,
                    format!("row {}: {column} '{value}' is not {expected}", l.row),
                )
            };
            if l.supplier.is_empty() {
                return Err(bad("supplier", "", "a supplier name"));
            }
            if l.account.is_empty() {
                return Err(bad("account", "", "an account code"));
            }
            if let Some(v) = &l.vat_category
                && VatCategory::parse(v).is_none()
            {
                return Err(bad(
                    "vat_category",
                    v,
                    "a VAT category (S, Z, E, AE, K, G, O, L, M)",
                ));
            }
            new.push(NewHistoryLine {
                row_no: u32::try_from(l.row).unwrap_or(u32::MAX),
                date: l.date,
                supplier_key: supplier_key(&l.supplier),
                supplier: l.supplier,
                description: l.description,
                amount: l.amount,
                account: l.account,
                cost_centre: l.cost_centre,
                vat_category: l.vat_category,
            });
        }
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let import = self
            .store
            .import_history(&file, &sha256, &new, &self.context.change())
            .map_err(|e| match e {
                folio_store::StoreError::Invalid { what } => {
                    AppError::new(ErrorCode::InvalidInput, what)
                }
                other => other.into(),
            })?;
        let documents_recoded = self.recode_open_documents()?;
        let model = self.model()?;
        let (examples, _) = training_examples(&self.store)?;
        Ok(HistoryImportReport {
            file,
            sha256,
            rows: import.row_count,
            model_lines: count(examples.iter().filter(|e| e.learn).count()),
            model_version: model.version,
            documents_recoded,
        })
    }
}
