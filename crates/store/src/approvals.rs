//! Users, roles and journal decisions (migration 0006): who may do what, who prepared a journal,
//! and which approvals it has for which content.
//!
//! The store records; the app decides (`folio_app::access` checks roles and policies). What the
//! store guarantees on its own, so that not even a bug in the app breaks it:
//!
//! * every person who saves a version of a journal's content is recorded as one of its
//!   *preparers* ([`Store::journal_preparers`]), and a trigger refuses an approval by a preparer;
//! * an approval records the SHA-256 of the journal content it was given for
//!   ([`journal_content_sha256`]); it only counts while the journal still has that content and it
//!   has not been voided. Saving a different content voids the live approvals in the same
//!   transaction, with the reason, audited;
//! * a journal is approved (and queued for the GL) only in the transaction that records the
//!   approval completing its policy's count of distinct approvers ([`Store::record_approval`]);
//! * decisions are never changed or deleted, only voided once.

use crate::audit::{self, NewEvent};
use crate::journals::{JournalId, change_status, current_status_of};
use crate::{Change, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use folio_domain::{Journal, JournalStatus};
use rusqlite::{Connection, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A user of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredUser {
    pub name: String,
    /// `clerk`, `controller` or `admin`.
    pub role: String,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}

/// One decision about a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDecision {
    pub id: i64,
    pub journal: JournalId,
    /// `submit`, `approve` or `reject`.
    pub decision: String,
    pub actor: String,
    pub role: String,
    pub at: DateTime<Utc>,
    /// SHA-256 of the journal content the decision was given for.
    pub content_sha256: String,
    pub comment: String,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_by: Option<String>,
    pub voided_reason: Option<String>,
}

impl StoredDecision {
    pub fn is_live(&self) -> bool {
        self.voided_at.is_none()
    }
}

/// What an approval needs besides who gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRequest {
    /// The approver's role (recorded with the decision).
    pub role: String,
    /// Distinct approvers the journal's policy needs.
    pub required: u32,
    /// The GL reference it is queued under once approved.
    pub reference: String,
    /// Which policy rule set `required`, for the audit log.
    pub policy: String,
}

/// Where a journal stands after an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalProgress {
    /// Everyone whose approval counts, in order.
    pub approvers: Vec<String>,
    pub required: u32,
    /// True when this approval completed the count: the journal is approved and queued.
    pub queued: bool,
    pub content_sha256: String,
}

/// The SHA-256 of a journal's content — date, memo and lines, not its status — as hex: what an
/// approval is bound to. `folio-journal-v1` ‖ JSON of `{date, memo, lines}` (serde's field order,
/// dimensions sorted by key).
pub fn journal_content_sha256(journal: &Journal) -> String {
    let content = serde_json::json!({
        "date": journal.date,
        "memo": journal.memo,
        "lines": journal.lines,
    });
    let mut h = Sha256::new();
    h.update(b"folio-journal-v1");
    h.update(content.to_string().as_bytes());
    hex::encode(h.finalize())
}

const DECISION_SELECT: &str = "SELECT id, journal_id, decision, actor, role, at, content_sha256, \
     comment, voided_at, voided_by, voided_reason FROM journal_decisions";

type RawDecision = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn read_decision(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawDecision> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn decision(raw: RawDecision) -> Result<StoredDecision, StoreError> {
    let (id, journal, decision, actor, role, at, sha, comment, voided_at, voided_by, reason) = raw;
    let time = |t: &str| {
        parse_timestamp(t).ok_or_else(|| StoreError::corrupt(format!("decision {id}: time '{t}'")))
    };
    Ok(StoredDecision {
        id,
        journal: JournalId(journal),
        decision,
        actor,
        role,
        at: time(&at)?,
        content_sha256: sha,
        comment,
        voided_at: voided_at.as_deref().map(time).transpose()?,
        voided_by,
        voided_reason: reason,
    })
}

pub(crate) fn decisions_of(
    conn: &Connection,
    id: JournalId,
) -> Result<Vec<StoredDecision>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "{DECISION_SELECT} WHERE journal_id = ?1 ORDER BY id"
    ))?;
    let raw: Vec<RawDecision> = stmt
        .query_map([id.0], read_decision)?
        .collect::<Result<_, _>>()?;
    raw.into_iter().map(decision).collect()
}

/// Records `actor` as a preparer of journal `id` (once).
pub(crate) fn add_preparer(
    conn: &Connection,
    id: JournalId,
    actor: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO journal_preparers (journal_id, actor) VALUES (?1, ?2)",
        params![id.0, actor],
    )?;
    Ok(())
}

/// Voids every live submission and approval of journal `id` with `reason`, one audit event for
/// all of them. Returns how many were voided.
pub(crate) fn void_live(
    conn: &Connection,
    id: JournalId,
    reason: &str,
    change: &Change,
) -> Result<usize, StoreError> {
    let live: Vec<StoredDecision> = decisions_of(conn, id)?
        .into_iter()
        .filter(|d| d.is_live() && d.decision != "reject")
        .collect();
    if live.is_empty() {
        return Ok(0);
    }
    let at = timestamp(change.at);
    for d in &live {
        conn.execute(
            "UPDATE journal_decisions SET voided_at = ?2, voided_by = ?3, voided_reason = ?4 \
             WHERE id = ?1",
            params![d.id, at, change.actor, reason],
        )?;
    }
    audit::append(
        conn,
        change,
        NewEvent {
            action: "journal.approvals_voided",
            entity: "journal",
            entity_id: &id.to_string(),
            before: Some(audit::to_json(&live)?),
            after: Some(audit::to_json(&serde_json::json!({ "reason": reason }))?),
        },
    )?;
    Ok(live.len())
}

/// Sends an approved (never sent) journal back to draft: its outbox entry is voided, its
/// approvals too. Does nothing to a draft but voiding its approvals.
pub(crate) fn reopen(
    conn: &Connection,
    id: JournalId,
    reason: &str,
    change: &Change,
) -> Result<(), StoreError> {
    if current_status_of(conn, id)? == JournalStatus::Approved {
        crate::outbox::void(conn, id, reason, change)?;
        change_status(conn, id, JournalStatus::Draft, change)?;
    }
    void_live(conn, id, reason, change)?;
    Ok(())
}

fn insert_decision(
    conn: &Connection,
    id: JournalId,
    kind: &str,
    role: &str,
    sha: &str,
    comment: &str,
    change: &Change,
) -> Result<StoredDecision, StoreError> {
    conn.execute(
        "INSERT INTO journal_decisions (journal_id, decision, actor, role, at, content_sha256, \
         comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id.0,
            kind,
            change.actor,
            role,
            timestamp(change.at),
            sha,
            comment
        ],
    )?;
    let row = conn.last_insert_rowid();
    let raw = conn.query_row(
        &format!("{DECISION_SELECT} WHERE id = ?1"),
        [row],
        read_decision,
    )?;
    decision(raw)
}

/// The journal `id` if it is the current version of its document, with its status.
fn current_journal(conn: &Connection, id: JournalId) -> Result<Journal, StoreError> {
    let stored = crate::journals::load_by_id(conn, id)?;
    let latest: i64 = conn.query_row(
        "SELECT max(version) FROM journals WHERE document_id = ?1",
        [stored.document.0],
        |r| r.get(0),
    )?;
    if latest != i64::from(stored.version) {
        return Err(StoreError::Immutable {
            what: id.to_string(),
            reason: format!(
                "it is version {} of its document's journal, superseded by version {latest}",
                stored.version
            ),
        });
    }
    Ok(stored.journal)
}

impl Store {
    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<StoredUser>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name, role, added_at, added_by FROM users ORDER BY name")?;
        let raw: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        raw.into_iter()
            .map(|(name, role, at, by)| {
                Ok(StoredUser {
                    added_at: parse_timestamp(&at)
                        .ok_or_else(|| StoreError::corrupt(format!("user {name}: time '{at}'")))?,
                    name,
                    role,
                    added_by: by,
                })
            })
            .collect()
    }

    /// The user called `name`, if there is one.
    pub fn user(&self, name: &str) -> Result<Option<StoredUser>, StoreError> {
        Ok(self.users()?.into_iter().find(|u| u.name == name))
    }

    /// Adds a user (audited). Refuses a name that exists already.
    pub fn add_user(&mut self, name: &str, role: &str, change: &Change) -> Result<(), StoreError> {
        let tx = self.begin()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(StoreError::Invalid {
                what: format!("user name '{name}': there is a user of that name already"),
            });
        }
        tx.execute(
            "INSERT INTO users (name, role, added_at, added_by) VALUES (?1, ?2, ?3, ?4)",
            params![name, role, timestamp(change.at), change.actor],
        )?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "user.add",
                entity: "user",
                entity_id: name,
                before: None,
                after: Some(audit::to_json(
                    &serde_json::json!({ "name": name, "role": role }),
                )?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives user `name` another role (audited, with the role before). Refuses a name that is not
    /// a user.
    pub fn set_user_role(
        &mut self,
        name: &str,
        role: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        let before: String = tx
            .query_row("SELECT role FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound {
                    what: format!("user {name}"),
                },
                other => other.into(),
            })?;
        tx.execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role],
        )?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "user.role",
                entity: "user",
                entity_id: name,
                before: Some(audit::to_json(
                    &serde_json::json!({ "name": name, "role": before }),
                )?),
                after: Some(audit::to_json(
                    &serde_json::json!({ "name": name, "role": role }),
                )?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Everyone who saved a version of journal `id`'s content.
    pub fn journal_preparers(&self, id: JournalId) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT actor FROM journal_preparers WHERE journal_id = ?1 ORDER BY actor")?;
        Ok(stmt
            .query_map([id.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// Every decision about journal `id`, oldest first (voided ones included).
    pub fn journal_decisions(&self, id: JournalId) -> Result<Vec<StoredDecision>, StoreError> {
        decisions_of(self.conn(), id)
    }

    /// Records `change.actor`'s approval of draft journal `id` for its current content. When the
    /// distinct approvers whose approval is live and for this content reach `request.required`,
    /// the journal is approved and queued under `request.reference` in the same transaction.
    /// Refuses (and writes nothing) when the journal is not the current draft, when the actor
    /// approved this content already, and — by trigger — when the actor prepared it.
    pub fn record_approval(
        &mut self,
        id: JournalId,
        request: &ApprovalRequest,
        change: &Change,
    ) -> Result<ApprovalProgress, StoreError> {
        let tx = self.begin()?;
        let journal = current_journal(&tx, id)?;
        if journal.status != JournalStatus::Draft {
            return Err(StoreError::InvalidTransition {
                journal: id.to_string(),
                from: journal.status.as_str(),
                to: JournalStatus::Approved.as_str(),
                reason: "only a draft is approved".into(),
            });
        }
        let sha = journal_content_sha256(&journal);
        let counting = |decisions: &[StoredDecision]| -> Vec<String> {
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
        };
        if counting(&decisions_of(&tx, id)?).contains(&change.actor) {
            return Err(StoreError::Invalid {
                what: format!(
                    "approval of {id}: {} approved this content already; a second approval must \
                     come from someone else",
                    change.actor
                ),
            });
        }
        let recorded = insert_decision(&tx, id, "approve", &request.role, &sha, "", change)?;
        let approvers = counting(&decisions_of(&tx, id)?);
        let queued = approvers.len() >= request.required as usize;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "journal.approve",
                entity: "journal",
                entity_id: &id.to_string(),
                before: None,
                after: Some(audit::to_json(&serde_json::json!({
                    "decision": recorded,
                    "policy": request.policy,
                    "required": request.required,
                    "approvers": approvers,
                }))?),
            },
        )?;
        if queued {
            change_status(&tx, id, JournalStatus::Approved, change)?;
            crate::outbox::queue(&tx, id, &request.reference, change)?;
        }
        tx.commit()?;
        Ok(ApprovalProgress {
            approvers,
            required: request.required,
            queued,
            content_sha256: sha,
        })
    }

    /// Sends journal `id` back to its preparer with `comment`: an approved (never sent) journal
    /// goes back to draft, every live approval and submission is voided, and the rejection is
    /// recorded — one transaction, audited.
    pub fn reject_journal(
        &mut self,
        id: JournalId,
        role: &str,
        comment: &str,
        change: &Change,
    ) -> Result<StoredDecision, StoreError> {
        let tx = self.begin()?;
        let journal = current_journal(&tx, id)?;
        if !matches!(
            journal.status,
            JournalStatus::Draft | JournalStatus::Approved
        ) {
            return Err(StoreError::Immutable {
                what: id.to_string(),
                reason: format!(
                    "it is {}; only a draft or an approved journal not yet sent can be sent back",
                    journal.status.as_str()
                ),
            });
        }
        let reason = format!("rejected by {}: {comment}", change.actor);
        reopen(&tx, id, &reason, change)?;
        let sha = journal_content_sha256(&journal);
        let recorded = insert_decision(&tx, id, "reject", role, &sha, comment, change)?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "journal.reject",
                entity: "journal",
                entity_id: &id.to_string(),
                before: None,
                after: Some(audit::to_json(&recorded)?),
            },
        )?;
        tx.commit()?;
        Ok(recorded)
    }

    /// Records that the preparer submits draft journal `id` (as it is now) for approval; a
    /// journal sent back by a rejection needs this (or an edit) before it can be approved again.
    pub fn submit_journal(
        &mut self,
        id: JournalId,
        role: &str,
        comment: &str,
        change: &Change,
    ) -> Result<StoredDecision, StoreError> {
        let tx = self.begin()?;
        let journal = current_journal(&tx, id)?;
        if journal.status != JournalStatus::Draft {
            return Err(StoreError::Immutable {
                what: id.to_string(),
                reason: format!(
                    "it is {}; only a draft is submitted",
                    journal.status.as_str()
                ),
            });
        }
        let sha = journal_content_sha256(&journal);
        let recorded = insert_decision(&tx, id, "submit", role, &sha, comment, change)?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "journal.submit",
                entity: "journal",
                entity_id: &id.to_string(),
                before: None,
                after: Some(audit::to_json(&recorded)?),
            },
        )?;
        tx.commit()?;
        Ok(recorded)
    }

    /// Voids journal `id`'s approval because it is about to be edited: an approved journal that
    /// was never sent goes back to draft (its outbox entry voided), every live approval is voided
    /// with `reason`. One transaction, audited.
    pub fn reopen_for_edit(
        &mut self,
        id: JournalId,
        reason: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        let status = current_status_of(&tx, id)?;
        if status.is_immutable() && status != JournalStatus::Approved {
            return Err(StoreError::Immutable {
                what: id.to_string(),
                reason: format!(
                    "it is {} (sent to the GL or on its way); it can no longer be edited",
                    status.as_str()
                ),
            });
        }
        reopen(&tx, id, reason, change)?;
        tx.commit()?;
        Ok(())
    }
}
