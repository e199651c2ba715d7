//! What the coding use cases return (and take): explanations of suggested coding, corrections,
//! rule-pack tests and diffs, exceptions, history imports. Exported to TypeScript with the other
//! DTOs; amounts and confidences are decimal strings.

use folio_coding::suggest::{Explanation, Source};
use folio_domain::Problem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A rule pack: in use in the workspace, or read from a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RulePackInfo {
    pub id: String,
    pub version: String,
    /// SHA-256 of the pack's text.
    pub content_hash: String,
    pub rules: u32,
    /// The folder it was read from, or when it was put in use (RFC 3339) and by whom.
    pub origin: String,
}

/// One value proposed for a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProposalView {
    pub source: Source,
    pub value: String,
    /// 0 to 1, as a decimal string.
    pub confidence: String,
    pub explanation: Explanation,
    /// When it was proposed (RFC 3339) and by whom.
    pub created_at: String,
    pub created_by: String,
}

/// One field of a line: the value used (the first proposal) and everything else proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldExplanation {
    /// `account`, `dimension:cost_centre`, `tax_code`, `split`.
    pub field: String,
    pub value: String,
    pub source: Source,
    pub confidence: String,
    /// Every proposal, strongest source first; the first is the value used.
    pub proposals: Vec<ProposalView>,
}

/// One line of a document and how it is coded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LineExplanation {
    /// 1-based.
    pub line: u32,
    pub description: String,
    /// Net amount, as a decimal string.
    pub amount: String,
    pub fields: Vec<FieldExplanation>,
}

/// How a document is coded and why (`folio explain`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExplainView {
    pub document_id: String,
    pub number: String,
    pub supplier_name: String,
    /// The rule packs in use.
    pub rule_packs: Vec<RulePackInfo>,
    /// The learned suggester's version, when it has learned anything.
    pub model_version: Option<String>,
    pub lines: Vec<LineExplanation>,
    /// What coding noticed (a rule's split that did not fit, lines nobody coded, …).
    pub problems: Vec<Problem>,
}

/// A person's coding of one line (`folio code`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CodeLineRequest {
    pub document_id: String,
    /// 1-based.
    pub line: u32,
    pub account: Option<String>,
    /// Dimension code → value code.
    pub dimensions: BTreeMap<String, String>,
    pub tax_code: Option<String>,
    /// False: "don't learn from this".
    pub learn: bool,
}

/// What a correction did: the document's coding now, and its journal draft rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CodeReport {
    pub explanation: ExplainView,
    /// True when the journal draft was rebuilt with the correction.
    pub journal_rebuilt: bool,
    /// Why the journal could not be rebuilt, if it could not.
    pub journal_problems: Vec<Problem>,
}

/// What forgetting a vendor did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ForgetVendorReport {
    pub vendor: String,
    pub history_lines_deleted: u32,
    /// Approved journal lines of the vendor that are no longer learned from.
    pub approved_lines_skipped: u32,
    /// Open documents re-coded without the vendor's history.
    pub documents_recoded: u32,
}

/// What `folio history import` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryImportReport {
    pub file: String,
    pub sha256: String,
    pub rows: u32,
    /// Rows skipped because they could not be read (only when the person chose to skip them).
    pub skipped_rows: u32,
    /// Why, row by row (at most 200, then how many more).
    pub skipped: Vec<Problem>,
    /// Lines the learned suggester now learns from (history and approved journals).
    pub model_lines: u32,
    pub model_version: String,
    /// Open documents re-coded with the new history.
    pub documents_recoded: u32,
}

/// A vendor whose learned coding was forgotten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ForgottenVendorView {
    pub name: String,
    /// When (RFC 3339) and by whom.
    pub forgotten_at: String,
    pub forgotten_by: String,
}

/// What the learned suggester knows now and what bringing it up to date just did (the desktop's
/// "Learned model").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LearnedModelView {
    /// The model's version as stored with its suggestions; `None` when it has learned nothing.
    pub version: Option<String>,
    /// Lines the model learned from (history and approved journals, less what it must not learn).
    pub lines_learned: u32,
    /// Lines of imported coding history in the workspace.
    pub history_lines: u32,
    /// Journals approved (or queued, or posted) whose lines are learned from.
    pub approved_journals: u32,
    /// Lines of those journals a person marked "don't learn from this".
    pub not_learned_lines: u32,
    pub forgotten_vendors: Vec<ForgottenVendorView>,
    /// What bringing the model up to date did just now: `cached`, `loaded` (from the workspace's
    /// model snapshot), `updated` or `trained`.
    pub refresh: String,
    /// Why it trained in full, when it did.
    pub refresh_reason: Option<String>,
    /// Why the last training from scratch in this process happened (an import, a forgotten
    /// vendor, … retrain before this view is asked for).
    pub last_full_train: Option<String>,
    /// Since the workspace was opened in this process: trainings from scratch and updates that
    /// learned newly approved journals.
    pub full_trains: u32,
    pub incremental_updates: u32,
}

/// Why a document or line needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionReason {
    LowConfidence,
    MissingDimension,
    NotPostable,
    ClosedPeriod,
    Duplicate,
    Validation,
    NewVendor,
    BankDetailsChanged,
    AmountOverThreshold,
    /// The GL refused the journal (or the sync worker refused to send it); the reason is the
    /// GL's message.
    GlRejected,
}

impl ExceptionReason {
    pub fn label(self) -> &'static str {
        match self {
            ExceptionReason::LowConfidence => "Low confidence",
            ExceptionReason::MissingDimension => "Missing required dimension",
            ExceptionReason::NotPostable => "Account or code not postable or inactive",
            ExceptionReason::ClosedPeriod => "Closed period",
            ExceptionReason::Duplicate => "Possible duplicate",
            ExceptionReason::Validation => "Validation errors",
            ExceptionReason::NewVendor => "New vendor",
            ExceptionReason::BankDetailsChanged => "Bank details changed",
            ExceptionReason::AmountOverThreshold => "Amount over threshold",
            ExceptionReason::GlRejected => "Rejected by the GL",
        }
    }
}

/// One exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExceptionView {
    pub document_id: String,
    pub number: String,
    pub supplier_name: String,
    /// 1-based line, when the exception is about one line.
    pub line: Option<u32>,
    pub field: Option<String>,
    pub message: String,
    /// What would clear it.
    pub clear: String,
}

/// Exceptions of one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExceptionGroup {
    pub reason: ExceptionReason,
    pub label: String,
    pub count: u32,
    pub exceptions: Vec<ExceptionView>,
}

/// Every exception of the open documents, grouped by reason (`folio exceptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExceptionsReport {
    /// Documents whose journal is not approved yet.
    pub documents_checked: u32,
    pub total: u32,
    pub groups: Vec<ExceptionGroup>,
}

/// A case of a pack's tests that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CaseFailure {
    /// The test file.
    pub file: String,
    pub case: String,
    pub line: Option<u32>,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// One pack's test run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PackTestReport {
    pub pack: RulePackInfo,
    pub cases: u32,
    pub passed: u32,
    pub failures: Vec<CaseFailure>,
}

/// `folio rules test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RulesTestReport {
    pub passed: bool,
    pub packs: Vec<PackTestReport>,
}

/// A field of a line that edited rules would code differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldChange {
    pub line: u32,
    pub field: String,
    pub before: Option<String>,
    pub before_source: Option<Source>,
    pub after: Option<String>,
    pub after_source: Option<Source>,
    /// `pack/rule` that sets the new value, when a rule does.
    pub after_rule: Option<String>,
}

/// A document that edited rules would code differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentDiff {
    pub document_id: String,
    pub number: String,
    pub supplier_name: String,
    pub changes: Vec<FieldChange>,
}

/// The blast radius of edited rules (`folio rules diff`, `folio rules save`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RulesDiffReport {
    pub in_use: Vec<RulePackInfo>,
    pub edited: Vec<RulePackInfo>,
    /// Documents whose coding can still change (journal not approved yet).
    pub documents_checked: u32,
    /// Documents left out because their journal is approved or later.
    pub documents_frozen: u32,
    pub lines_changed: u32,
    pub documents: Vec<DocumentDiff>,
    /// Set by `folio rules save`: the edited packs are in use now and the changed documents'
    /// drafts were rebuilt.
    pub saved: bool,
}
