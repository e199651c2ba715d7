//! What the use cases return: plain data for the CLI's `--json` and for the desktop.
//!
//! These types are exported to TypeScript (`ui/src/bindings`, checked for drift in CI), so their
//! field names are the JSON interface. Amounts are decimal strings, never numbers, so no consumer
//! can lose a cent to a float.

use folio_domain::{Currency, CurrencyTotals, Document, JournalStatus, Problem, Side};
use serde::Serialize;
use std::collections::BTreeMap;
use ts_rs::TS;

/// One document in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentSummary {
    /// `DOC-12`.
    pub id: String,
    pub number: String,
    /// `invoice` or `credit_note`.
    pub doc_type: String,
    /// `ubl`, `cii`, …
    pub syntax: String,
    pub supplier_name: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    pub due_date: Option<String>,
    pub currency: Currency,
    /// Amount due (BT-115), as a decimal string.
    pub payable_amount: String,
    pub lines: u32,
    pub problem_count: u32,
    /// Status of the document's journal, when one has been built.
    pub journal_status: Option<JournalStatus>,
}

/// The file a document was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OriginalFileInfo {
    pub file_name: String,
    pub sha256: String,
    pub media_type: String,
    /// Bytes; a JSON number (files are far below 2^53).
    #[ts(type = "number")]
    pub size: u64,
}

/// A document with everything known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentDetail {
    pub summary: DocumentSummary,
    pub document: Document,
    pub problems: Vec<Problem>,
    pub original: OriginalFileInfo,
    /// When it was imported (RFC 3339) and by whom.
    pub imported_at: String,
    pub imported_by: String,
}

/// One posting of a journal, with the account's name for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JournalLineView {
    pub account: String,
    /// The account's name from the master data; `None` when the account is unknown.
    pub account_name: Option<String>,
    pub description: String,
    pub side: Side,
    pub amount: String,
    pub currency: Currency,
    pub dimensions: BTreeMap<String, String>,
    pub tax_code: Option<String>,
    pub source: Option<String>,
}

/// A document's journal, ready to show: postings, sums per currency and whether it balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JournalView {
    pub document_id: String,
    pub journal_id: String,
    pub version: u32,
    pub status: JournalStatus,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub memo: String,
    pub lines: Vec<JournalLineView>,
    pub totals: Vec<CurrencyTotals>,
    pub balanced: bool,
    /// Why it does not balance, and what the builder noticed (rounding, unknown vendor, …).
    pub problems: Vec<Problem>,
}

/// What happened to one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Imported,
    /// The very same file (by SHA-256) is already in the workspace.
    AlreadyImported,
    /// Imported, but the same supplier already sent an invoice with this number: held for review.
    Duplicate,
    Rejected,
}

/// One line of `folio import --json`: the stable per-file result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportOutcome {
    pub path: String,
    pub status: ImportStatus,
    pub document_id: Option<String>,
    pub syntax: Option<String>,
    pub doc_type: Option<String>,
    pub number: Option<String>,
    pub currency: Option<Currency>,
    pub payable_amount: Option<String>,
    pub lines: Option<u32>,
    pub problems: Vec<Problem>,
    /// Why the file was rejected, or which document it repeats.
    pub reason: Option<String>,
}

/// Progress of a long import, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportProgress {
    /// The inputs were expanded into this many files.
    Started { total: u32, skipped: u32 },
    /// File `index` (0-based) is done.
    FileDone {
        index: u32,
        total: u32,
        outcome: Box<ImportOutcome>,
    },
}

/// Counts of an import run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ImportSummary {
    pub imported: u32,
    pub already_imported: u32,
    pub duplicate: u32,
    pub rejected: u32,
    /// Files in the given folders that were not read because their extension is not an invoice's.
    pub skipped: u32,
}

/// The workspace as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WorkspaceInfo {
    pub path: String,
    #[ts(type = "number")]
    pub documents: u64,
    pub accounts: u32,
    pub vendors: u32,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct InitReport {
    pub path: String,
    pub demo: bool,
    pub accounts: u32,
    pub cost_centres: u32,
    pub tax_codes: u32,
    pub vendors: u32,
    pub documents: u32,
    pub journals: u32,
}

/// What one import run did: every file's outcome and the counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportRun {
    pub outcomes: Vec<ImportOutcome>,
    pub summary: ImportSummary,
}
