//! Importing coded history: past lines (`date,supplier,description,amount,account,cost_centre`,
//! extra columns ignored) that the learned suggester learns from as approved history.
//!
//! A history file is a bulk statement about the past, so by default it is taken whole or not at
//! all: every row is checked first, and if any row is bad the file is refused with *every* bad
//! row, its column and what it should be (a person fixing an export wants the whole list, not one
//! row per attempt). Real exports have a few incomplete rows (the Harrogate history has 17 rows
//! without an account among 110,912), so the person may instead choose to skip them
//! ([`HistoryImportOptions::skip_invalid`], `--skip-invalid`): the good rows are imported and the
//! skipped ones are listed in the report and recorded in the audit event. Either way the rows go in
//! one transaction with one audit event (file, SHA-256, row count, skipped rows). Afterwards the
//! open documents are re-coded, so the model fills the blanks rules and people left.

use crate::coding_dto::HistoryImportReport;
use crate::error::{AppError, ErrorCode};
use crate::learning::training_examples;
use crate::workspace::{Workspace, count};
use folio_coding::history::{HistoryError, RowProblem, read_history_rows};
use folio_coding::learn::features::supplier_key;
use folio_domain::{Problem, Severity, VatCategory};
use folio_store::NewHistoryLine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// History files larger than this are refused unread.
pub const MAX_HISTORY_BYTES: u64 = 512 * 1024 * 1024;

/// At most this many bad rows are listed in an error or a report (the count is always complete).
pub const MAX_LISTED_ROWS: usize = 200;

/// How to import a history file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryImportOptions {
    /// Import the rows that can be read and skip the others (listed in the report), instead of
    /// refusing the whole file.
    pub skip_invalid: bool,
}

fn rejected(path: &Path, reason: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        format!("{}: {reason}; nothing was imported", path.display()),
    )
}

impl Workspace {
    /// Imports a history CSV whole or not at all (see the module docs) and re-codes the open
    /// documents with it.
    pub fn import_history(&mut self, path: &Path) -> Result<HistoryImportReport, AppError> {
        self.import_history_with(path, HistoryImportOptions::default())
    }

    /// Imports a history CSV (see the module docs) and re-codes the open documents with it.
    pub fn import_history_with(
        &mut self,
        path: &Path,
        options: HistoryImportOptions,
    ) -> Result<HistoryImportReport, AppError> {
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
        let read = read_history_rows(&text).map_err(|e: HistoryError| rejected(path, e))?;
        let total_rows = read.lines.len() + count_rows(&read.problems);
        let mut problems = read.problems;
        let mut new = Vec::with_capacity(read.lines.len());
        for l in read.lines {
            let before = problems.len();
            let mut bad = |column: &'static str, value: &str, expected: &'static str| {
                problems.push(RowProblem {
                    row: l.row,
                    column,
                    value: value.to_owned(),
                    expected,
                });
            };
            if l.supplier.is_empty() {
                bad("supplier", "", "a supplier name");
            }
            if l.account.is_empty() {
                bad("account", "", "an account code");
            }
            if let Some(v) = &l.vat_category
                && VatCategory::parse(v).is_none()
            {
                bad(
                    "vat_category",
                    v,
                    "a VAT category (S, Z, E, AE, K, G, O, L, M)",
                );
            }
            if problems.len() > before {
                continue;
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
        problems.sort_by_key(|p| p.row);
        let bad_rows = count_rows(&problems);
        if bad_rows > 0 && !options.skip_invalid {
            let first = problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(rejected(
                path,
                format!(
                    "{bad_rows} of {total_rows} rows cannot be imported (the first: {first}). Fix \
                     them, or import the other {} rows and skip these (`--skip-invalid`)",
                    total_rows - bad_rows
                ),
            )
            .with_problems(listed(&problems)));
        }
        if new.is_empty() {
            return Err(rejected(path, "the file has no rows that can be imported"));
        }
        let mut skipped_rows: Vec<u32> = problems
            .iter()
            .map(|p| u32::try_from(p.row).unwrap_or(u32::MAX))
            .collect();
        skipped_rows.dedup();
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let import = self
            .store
            .import_history(&file, &sha256, &new, &skipped_rows, &self.context.change())
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
            skipped_rows: count(skipped_rows.len()),
            skipped: listed(&problems),
            model_lines: count(examples.iter().filter(|e| e.learn).count()),
            model_version: model.version,
            documents_recoded,
        })
    }
}

/// Number of distinct rows among problems sorted or grouped by row.
fn count_rows(problems: &[RowProblem]) -> usize {
    let mut rows: Vec<usize> = problems.iter().map(|p| p.row).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len()
}

/// The first [`MAX_LISTED_ROWS`] row problems as problems for a person, and how many more.
fn listed(problems: &[RowProblem]) -> Vec<Problem> {
    let mut out: Vec<Problem> = problems
        .iter()
        .take(MAX_LISTED_ROWS)
        .map(|p| {
            Problem::new(
                "HISTORY-ROW",
                Severity::Error,
                format!("row {}/{}", p.row, p.column),
                p.to_string(),
            )
        })
        .collect();
    if problems.len() > MAX_LISTED_ROWS {
        out.push(Problem::new(
            "HISTORY-ROW",
            Severity::Error,
            "",
            format!(
                "and {} more problem(s) not listed",
                problems.len() - MAX_LISTED_ROWS
            ),
        ));
    }
    out
}
