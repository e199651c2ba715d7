//! What the users, approval and audit use cases return (exported to TypeScript with the other
//! DTOs, so that the desktop can show who is working and why an action was refused).

use serde::Serialize;
use ts_rs::TS;

/// A user of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UserView {
    pub name: String,
    /// `clerk`, `controller` or `admin`.
    pub role: String,
    /// RFC 3339; absent for the "who is working" answer.
    pub added_at: Option<String>,
    pub added_by: Option<String>,
}

/// One decision about a journal: a submission, an approval or a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DecisionView {
    pub journal_id: String,
    /// `submit`, `approve` or `reject`.
    pub decision: String,
    pub actor: String,
    pub role: String,
    /// RFC 3339.
    pub at: String,
    /// SHA-256 of the journal content the decision was given for.
    pub content_sha256: String,
    pub comment: String,
    /// When it stopped counting (an edit after approval, a rejection), by whom and why.
    pub voided_at: Option<String>,
    pub voided_by: Option<String>,
    pub voided_reason: Option<String>,
}

/// Where a document's journal stands in its approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApprovalStatusView {
    pub document_id: String,
    pub journal_id: String,
    /// The journal's status.
    pub status: String,
    /// SHA-256 of its content now.
    pub content_sha256: String,
    /// Distinct controllers the policy asks for, and why.
    pub required: u32,
    pub policy: String,
    /// Whose approvals count for the content as it is now.
    pub approvers: Vec<String>,
    /// Everyone who saved a version of the journal (they may not approve it).
    pub preparers: Vec<String>,
    /// When it was sent back and not yet edited or resubmitted: the comment.
    pub returned: Option<String>,
    /// Problems with its date: a locked or closed period.
    pub period_problems: Vec<folio_domain::Problem>,
    pub decisions: Vec<DecisionView>,
}

/// The local period lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LockView {
    /// Journals dated on or before this day are locked (YYYY-MM-DD), if set.
    pub until: Option<String>,
    /// The GL's closed periods from the last master-data pull.
    pub closed_periods: Vec<String>,
}

/// What `folio audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditVerifyReport {
    /// True when the whole chain holds (and the head given, if any, is in it).
    pub ok: bool,
    /// Events checked.
    #[ts(type = "number")]
    pub events: u64,
    /// The last event now.
    #[ts(type = "number")]
    pub head_seq: i64,
    pub head_hash: String,
    /// The first event that was altered or removed.
    #[ts(type = "number | null")]
    pub first_bad_event: Option<i64>,
    /// That event as it reads now (time, action, entity, actor), if it is still there.
    pub event: Option<String>,
    pub reason: Option<String>,
}

/// One stored suggestion, replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReplayField {
    pub line: u32,
    /// `account`, `dimension:cost_centre`, `tax_code`, `split`.
    pub field: String,
    /// `person`, `rule`, `model` or `fixed`.
    pub source: String,
    /// The value stored.
    pub value: String,
    /// Decimal string, 0 to 1.
    pub confidence: String,
    /// `same` (re-derived with the versions stored, the same value came out), `different`,
    /// `recorded` (a person's decision) or `not re-derived` (see the view's notes for why).
    pub status: String,
    /// What the re-derivation gave, when there was one.
    pub replayed: Option<String>,
    pub made_at: String,
    pub made_by: String,
}

/// A field today's rules and model would decide differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReplayChange {
    pub line: u32,
    pub field: String,
    pub then_value: String,
    pub then_source: String,
    pub today_value: Option<String>,
    pub today_source: Option<String>,
}

/// What `folio replay DOC` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReplayView {
    pub document_id: String,
    /// When the suggestions replayed were made.
    pub suggested_at: String,
    /// The rule packs in use then and now (`pack version+hash`).
    pub rule_packs_then: Vec<String>,
    pub rule_packs_now: Vec<String>,
    pub model_then: Option<String>,
    pub model_now: Option<String>,
    /// True when everything re-derived came out the same.
    pub same: bool,
    pub fields: Vec<ReplayField>,
    /// What today's rules and model would change.
    pub changes: Vec<ReplayChange>,
    /// What could not be re-derived, and why.
    pub notes: Vec<String>,
}
