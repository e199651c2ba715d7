//! Approving, rejecting and submitting journals, and period locks: the controls a controller
//! must be able to prove to an auditor.
//!
//! An approval (by a controller, [`crate::access`]) is refused, each time by a named rule, when:
//!
//! * `SOD-PREPARER` — the controller prepared the journal (saved a version of it). Checked here,
//!   by a trigger in the store, and again by the sync worker before it sends anything;
//! * `SOD-DISTINCT` — the controller approved this content already (a policy asking for two
//!   approvers needs two different controllers);
//! * `APPROVAL-RETURNED` — the journal was sent back (`folio reject`) and neither edited nor
//!   submitted again since;
//! * `PERIOD-LOCKED` — the journal's date is on or before the local lock date (`folio lock`) or
//!   in a period the GL has closed (from the last master-data pull).
//!
//! Each approval records the SHA-256 of the journal content
//! ([`folio_store::journal_content_sha256`]); the journal is approved and queued once the distinct
//! approvals for its current content reach what the policy ([`crate::policy`]) asks for. An
//! edit voids the approvals (and an approved journal not yet sent goes back to draft), with the
//! reason, audited.

use crate::access::{Permission, refused};
use crate::dto_approvals::{ApprovalStatusView, DecisionView, LockView};
use crate::dto_gl::ApproveOutcome;
use crate::error::{AppError, ErrorCode};
use crate::policy::{Facts, Policy, Requirement};
use crate::workspace::{Workspace, not_found, parse_document_id};
use chrono::NaiveDate;
use folio_domain::{Currency, Journal, JournalStatus, Period, Problem};
use folio_gl::JournalRef;
use folio_store::{
    ApprovalRequest, DocumentId, JournalId, StoredDecision, StoredJournal, journal_content_sha256,
};
use rand::RngCore;

/// The setting holding the local lock date.
pub const LOCK_UNTIL: &str = "periods.lock_until";

/// The local lock date and the GL's closed periods.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeriodLocks {
    until: Option<NaiveDate>,
    closed: Vec<Period>,
}

impl PeriodLocks {
    /// What keeps `journal` out of the GL because of its date.
    pub(crate) fn problems(&self, journal: &Journal) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(until) = self.until
            && journal.date <= until
        {
            problems.push(Problem::error(
                "PERIOD_LOCKED",
                "date",
                format!(
                    "the journal is dated {}, on or before the local lock date {until} \
                     (`folio lock`)",
                    journal.date
                ),
            ));
        }
        for p in self.closed.iter().filter(|p| p.contains(journal.date)) {
            problems.push(Problem::error(
                "PERIOD_CLOSED",
                "date",
                format!(
                    "the journal is dated {}, in period {} ({} to {}), which the GL has closed",
                    journal.date, p.name, p.start, p.end
                ),
            ));
        }
        problems
    }
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn decision_view(d: &StoredDecision) -> DecisionView {
    DecisionView {
        journal_id: d.journal.to_string(),
        decision: d.decision.clone(),
        actor: d.actor.clone(),
        role: d.role.clone(),
        at: rfc3339(d.at),
        content_sha256: d.content_sha256.clone(),
        comment: d.comment.clone(),
        voided_at: d.voided_at.map(rfc3339),
        voided_by: d.voided_by.clone(),
        voided_reason: d.voided_reason.clone(),
    }
}

/// Whose live approvals count for content `sha`, in order.
fn approvers_for(decisions: &[StoredDecision], sha: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for d in decisions {
        if d.is_live()
            && d.decision == "approve"
            && d.content_sha256 == sha
            && !names.contains(&d.actor)
        {
            names.push(d.actor.clone());
        }
    }
    names
}

/// The live rejection of content `sha` that no submission followed, if any.
fn returned(decisions: &[StoredDecision], sha: &str) -> Option<StoredDecision> {
    let reject = decisions
        .iter()
        .rev()
        .find(|d| d.is_live() && d.decision == "reject")?;
    let resubmitted = decisions
        .iter()
        .any(|d| d.is_live() && d.decision == "submit" && d.id > reject.id);
    (reject.content_sha256 == sha && !resubmitted).then(|| reject.clone())
}

impl Workspace {
    /// The workspace's approval policy (`policies.toml`, or the default).
    pub fn policy(&self) -> Result<Policy, AppError> {
        Policy::load(self.path())
    }

    /// How many approvers `journal` of `document` needs under the workspace's policy.
    pub(crate) fn requirement(
        &self,
        policy: &Policy,
        document: DocumentId,
        journal: &Journal,
    ) -> Result<Requirement, AppError> {
        let stored = self
            .store
            .get_document(document)?
            .ok_or_else(|| not_found(document))?;
        let base = self
            .store
            .setting(crate::coding::BASE_CURRENCY)?
            .and_then(|c| Currency::parse(&c).ok());
        let rates: Vec<folio_coding::ExchangeRate> = self
            .store
            .exchange_rates()?
            .into_iter()
            .map(|r| folio_coding::ExchangeRate {
                from: r.from,
                to: r.to,
                valid_from: r.valid_from,
                rate: r.rate,
            })
            .collect();
        let rate = base
            .and_then(|b| folio_coding::exchange_rate(&stored.document, b, &rates))
            .map(|r| r.rate);
        Ok(policy.requirement(
            journal,
            &Facts {
                document: Some(&stored.document),
                base_currency: base,
                rate_to_base: rate,
                cost_centre_dimension: crate::settings::COST_CENTRE,
            },
        ))
    }

    /// The local lock date and the GL's closed periods.
    pub fn locks(&self) -> Result<LockView, AppError> {
        let master = self.store.master_data()?;
        Ok(LockView {
            until: self.store.setting(LOCK_UNTIL)?,
            closed_periods: master
                .periods
                .iter()
                .filter(|p| p.closed)
                .map(|p| format!("{} ({} to {})", p.name, p.start, p.end))
                .collect(),
        })
    }

    /// Locks every day up to and including `until` (YYYY-MM-DD) for posting (controllers and
    /// admins; audited as a setting). Moving it back unlocks days again, and is audited too.
    pub fn lock_periods(&mut self, until: &str) -> Result<LockView, AppError> {
        self.require(Permission::LockPeriods)?;
        let date = NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("--until '{until}' is not a date (YYYY-MM-DD)"),
            )
        })?;
        let change = self.context.change();
        self.store
            .save_settings(&[(LOCK_UNTIL, &date.to_string())], &change)?;
        self.locks()
    }

    /// The local lock date and the GL's closed periods, read once for many journals.
    pub(crate) fn period_locks(&self) -> Result<PeriodLocks, AppError> {
        Ok(PeriodLocks {
            until: self
                .store
                .setting(LOCK_UNTIL)?
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            closed: self
                .store
                .master_data()?
                .periods
                .into_iter()
                .filter(|p| p.closed)
                .collect(),
        })
    }

    /// What keeps `journal` out of the GL because of its date: the local lock, a closed period.
    pub fn period_problems(&self, journal: &Journal) -> Result<Vec<Problem>, AppError> {
        Ok(self.period_locks()?.problems(journal))
    }

    fn current_journal(&self, document: DocumentId) -> Result<StoredJournal, AppError> {
        self.store
            .get_document(document)?
            .ok_or_else(|| not_found(document))?;
        self.store.journal_for_document(document)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::JournalNotBuildable,
                format!(
                    "{document} has no journal yet: a clerk builds it with `folio journal \
                     {document}`"
                ),
            )
        })
    }

    /// Records the actor's approval of the document's journal as it is stored (never rebuilt
    /// here: an approval is for what was prepared). Queues it for the GL once its policy's count
    /// of distinct controllers is reached. Every refusal by a rule is an error with code
    /// `NOT_PERMITTED` naming the rule. The learned suggester learns an approved journal at its
    /// next use, by an incremental update outside this transaction ([`crate::learning`]).
    pub fn approve_document(
        &mut self,
        document: &str,
        rng: &mut dyn RngCore,
    ) -> Result<ApproveOutcome, AppError> {
        let role = self.require(Permission::Approve)?;
        let document = parse_document_id(document)?;
        let stored = self.current_journal(document)?;
        let id = stored.id;
        if stored.journal.status != JournalStatus::Draft {
            return Err(AppError::new(
                ErrorCode::JournalImmutable,
                format!(
                    "{id} of {document} is already {}",
                    stored.journal.status.as_str()
                ),
            ));
        }
        let problems = folio_domain::check_balanced(&stored.journal);
        if !problems.is_empty() {
            return Err(AppError::new(
                ErrorCode::JournalNotBuildable,
                format!("{id} of {document} does not balance"),
            )
            .with_problems(problems));
        }
        let actor = self.actor().to_owned();
        let preparers = self.store.journal_preparers(id)?;
        if preparers.contains(&actor) {
            return Err(refused(
                "SOD-PREPARER",
                "journal",
                format!(
                    "{actor} prepared {id} ({document}), and the preparer of a journal never \
                     approves it; another controller must"
                ),
            ));
        }
        let sha = journal_content_sha256(&stored.journal);
        let decisions = self.store.journal_decisions(id)?;
        if let Some(reject) = returned(&decisions, &sha) {
            return Err(refused(
                "APPROVAL-RETURNED",
                "journal",
                format!(
                    "{id} ({document}) was sent back by {} (\"{}\") and has been neither edited \
                     nor submitted again (`folio submit {document}`)",
                    reject.actor, reject.comment
                ),
            ));
        }
        let policy = self.policy()?;
        let requirement = self.requirement(&policy, document, &stored.journal)?;
        if approvers_for(&decisions, &sha).contains(&actor) {
            return Err(refused(
                "SOD-DISTINCT",
                "journal",
                format!(
                    "{actor} approved {id} ({document}) as it is already; {} needs {} different \
                     controllers",
                    requirement.reason, requirement.approvers
                ),
            ));
        }
        let period = self.period_problems(&stored.journal)?;
        if !period.is_empty() {
            let mut e = refused(
                "PERIOD-LOCKED",
                "date",
                format!(
                    "{id} ({document}) is dated {} in a locked period",
                    stored.journal.date
                ),
            );
            e.problems.extend(period);
            return Err(e);
        }
        let tag = self.ensure_workspace_tag(rng)?;
        let reference = JournalRef::new(&tag, id.0).map_err(|e| {
            AppError::new(ErrorCode::Storage, format!("no reference for {id}: {e}"))
        })?;
        let change = self.context.change();
        let progress = self.store.record_approval(
            id,
            &ApprovalRequest {
                role: role.as_str().to_owned(),
                required: requirement.approvers,
                reference: reference.to_string(),
                policy: requirement.reason.clone(),
            },
            &change,
        )?;
        let approvals = crate::workspace::count(progress.approvers.len());
        Ok(ApproveOutcome {
            document_id: document.to_string(),
            journal_id: Some(id.to_string()),
            reference: progress.queued.then(|| reference.to_string()),
            status: if progress.queued {
                "queued"
            } else {
                "awaiting"
            }
            .into(),
            reason: (!progress.queued).then(|| {
                format!(
                    "{approvals} of {} approvals: {}",
                    requirement.approvers, requirement.reason
                )
            }),
            rule: None,
            approvals,
            required: requirement.approvers,
            problems: Vec::new(),
        })
    }

    /// Sends the document's journal back to its preparer with `comment` (controllers): its
    /// approvals are voided, an approved journal not yet sent goes back to draft.
    pub fn reject_document(
        &mut self,
        document: &str,
        comment: &str,
    ) -> Result<DecisionView, AppError> {
        let role = self.require(Permission::Reject)?;
        let document = parse_document_id(document)?;
        if comment.trim().is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "a rejection needs a comment saying what to change (--comment TEXT)",
            ));
        }
        let stored = self.current_journal(document)?;
        let change = self.context.change();
        let decision =
            self.store
                .reject_journal(stored.id, role.as_str(), comment.trim(), &change)?;
        Ok(decision_view(&decision))
    }

    /// Submits the document's journal, as it is, for approval (clerks and admins): needed after a
    /// rejection when nothing was changed.
    pub fn submit_document(
        &mut self,
        document: &str,
        comment: &str,
    ) -> Result<DecisionView, AppError> {
        let role = self.require(Permission::Submit)?;
        let document = parse_document_id(document)?;
        let stored = self.current_journal(document)?;
        let change = self.context.change();
        let decision =
            self.store
                .submit_journal(stored.id, role.as_str(), comment.trim(), &change)?;
        Ok(decision_view(&decision))
    }

    /// Where the document's journal stands in its approval.
    pub fn approval_status(&self, document: &str) -> Result<ApprovalStatusView, AppError> {
        let document = parse_document_id(document)?;
        let stored = self.current_journal(document)?;
        let sha = journal_content_sha256(&stored.journal);
        let decisions = self.store.journal_decisions(stored.id)?;
        let requirement = self.requirement(&self.policy()?, document, &stored.journal)?;
        Ok(ApprovalStatusView {
            document_id: document.to_string(),
            journal_id: stored.id.to_string(),
            status: stored.journal.status.as_str().to_owned(),
            required: requirement.approvers,
            policy: requirement.reason,
            approvers: approvers_for(&decisions, &sha),
            preparers: self.store.journal_preparers(stored.id)?,
            returned: returned(&decisions, &sha).map(|r| format!("{}: {}", r.actor, r.comment)),
            period_problems: self.period_problems(&stored.journal)?,
            decisions: decisions.iter().map(decision_view).collect(),
            content_sha256: sha,
        })
    }

    /// Why the sync worker must not send journal `id` now, if it must not: checked again right
    /// before sending, whatever happened since the approval. A live approval must exist for the
    /// journal's exact content, none of its approvers may be among its preparers, and its date
    /// must not be in a locked or closed period.
    pub(crate) fn send_refusal(
        &self,
        id: JournalId,
        journal: &Journal,
        locks: &PeriodLocks,
    ) -> Result<Option<String>, AppError> {
        let sha = journal_content_sha256(journal);
        let approvers = approvers_for(&self.store.journal_decisions(id)?, &sha);
        if approvers.is_empty() {
            return Ok(Some(format!(
                "refused by rule APPROVAL-MISSING: {id} has no approval for its content (SHA-256 \
                 {sha}); approve it again"
            )));
        }
        let preparers = self.store.journal_preparers(id)?;
        if let Some(both) = approvers.iter().find(|a| preparers.contains(a)) {
            return Ok(Some(format!(
                "refused by rule SOD-PREPARER: {both} both prepared and approved {id}"
            )));
        }
        let period = locks.problems(journal);
        if !period.is_empty() {
            let list: Vec<String> = period.iter().map(ToString::to_string).collect();
            return Ok(Some(format!(
                "refused by rule PERIOD-LOCKED: {}",
                list.join("; ")
            )));
        }
        Ok(None)
    }

    /// Before an edit of the document's journal: an approved journal not yet sent goes back to
    /// draft and its approvals are voided with `reason` (audited). Nothing to do for a draft (its
    /// approvals are voided when the edited content is saved) or a document without a journal.
    pub(crate) fn reopen_for_edit(
        &mut self,
        document: DocumentId,
        reason: &str,
    ) -> Result<(), AppError> {
        if let Some(stored) = self.store.journal_for_document(document)?
            && stored.journal.status == JournalStatus::Approved
        {
            let change = self.context.change();
            self.store.reopen_for_edit(stored.id, reason, &change)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(id: i64, decision: &str, actor: &str, sha: &str, live: bool) -> StoredDecision {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        StoredDecision {
            id,
            journal: JournalId(1),
            decision: decision.into(),
            actor: actor.into(),
            role: "controller".into(),
            at,
            content_sha256: sha.into(),
            comment: "fix the cost centre".into(),
            voided_at: (!live).then_some(at),
            voided_by: (!live).then(|| "x".into()),
            voided_reason: (!live).then(|| "edited".into()),
        }
    }

    #[test]
    fn only_live_approvals_of_this_content_count_once_per_person() {
        let decisions = [
            d(1, "approve", "anna", "a", true),
            d(2, "approve", "anna", "a", true),
            d(3, "approve", "ben", "b", true),
            d(4, "approve", "carl", "a", false),
            d(5, "approve", "dora", "a", true),
        ];
        assert_eq!(approvers_for(&decisions, "a"), ["anna", "dora"]);
    }

    #[test]
    fn a_returned_journal_needs_an_edit_or_a_submission() {
        let rejected = [d(1, "reject", "anna", "a", true)];
        assert!(returned(&rejected, "a").is_some());
        assert!(returned(&rejected, "b").is_none(), "edited since");
        let resubmitted = [
            d(1, "reject", "anna", "a", true),
            d(2, "submit", "clara", "a", true),
        ];
        assert!(returned(&resubmitted, "a").is_none());
    }
}
