//! The outbox: approved journals on their way to the general ledger (migration 0005).
//!
//! Approval and queueing are one transaction ([`Store::approve_and_queue`]): the journal's
//! reference is persisted before anything is sent, so a journal is only ever sent under one
//! reference and can always be looked up by it. Every state change of an outbox row is one
//! transaction per batch with one audit event per row (entity `outbox`), and moves the journal's
//! own status along (approved → queued when first sent, → posted or → rejected at the end).
//!
//! A row left in `sending` (the process died mid-request) and a row in `unknown` (the answer was
//! lost) are *in doubt*: the sync worker looks their references up in the GL before anything is
//! sent again ([`Store::outbox_in_doubt`]).

use crate::audit::{self, NewEvent};
use crate::journals::{JournalId, change_status};
use crate::{Change, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use folio_domain::JournalStatus;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::time::Duration;

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Queued,
    Sending,
    Posted,
    Rejected,
    Unknown,
    /// Approved, then edited or rejected before it was ever sent: waits for the next approval.
    Voided,
}

impl OutboxState {
    pub fn as_str(&self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Posted => "posted",
            OutboxState::Rejected => "rejected",
            OutboxState::Unknown => "unknown",
            OutboxState::Voided => "voided",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxState> {
        use OutboxState::*;
        [Queued, Sending, Posted, Rejected, Unknown, Voided]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One journal in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub journal: JournalId,
    /// The reference the journal carries in the GL (`FK3P9Q-1Z`).
    pub reference: String,
    pub state: OutboxState,
    /// Sends so far.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub gl_id: Option<String>,
    pub receipt: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How a send (or a look-up) ended for one journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxOutcome {
    /// In the GL, with its id and the GL's receipt.
    Posted { gl_id: String, receipt: String },
    /// Refused for good; the reason goes back to the reviewer.
    Rejected { reason: String },
    /// The answer was lost: look it up before sending again.
    Unknown { error: String },
    /// Not booked; send again at `at`.
    Retry { error: String, at: DateTime<Utc> },
}

/// One API call, as the integration monitor stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlCall {
    pub at: DateTime<Utc>,
    pub connector: String,
    pub operation: String,
    pub status: String,
    pub duration: Duration,
    pub correlation_id: Option<String>,
    pub error: Option<String>,
}

const SELECT: &str = "SELECT journal_id, reference, state, attempts, next_attempt_at, last_error, \
     gl_id, receipt, queued_at, updated_at FROM outbox";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        journal: r.get(0)?,
        reference: r.get(1)?,
        state: r.get(2)?,
        attempts: r.get(3)?,
        next_attempt_at: r.get(4)?,
        last_error: r.get(5)?,
        gl_id: r.get(6)?,
        receipt: r.get(7)?,
        queued_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

struct OutboxRow {
    journal: i64,
    reference: String,
    state: String,
    attempts: i64,
    next_attempt_at: String,
    last_error: Option<String>,
    gl_id: Option<String>,
    receipt: Option<String>,
    queued_at: String,
    updated_at: String,
}

impl OutboxRow {
    fn entry(self) -> Result<OutboxEntry, StoreError> {
        let id = JournalId(self.journal);
        let bad = |what: String| StoreError::corrupt(format!("outbox entry of {id}: {what}"));
        let time = |text: &str| parse_timestamp(text).ok_or_else(|| bad(format!("time '{text}'")));
        Ok(OutboxEntry {
            journal: id,
            state: OutboxState::parse(&self.state)
                .ok_or_else(|| bad(format!("state '{}'", self.state)))?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| bad(format!("attempts {}", self.attempts)))?,
            next_attempt_at: time(&self.next_attempt_at)?,
            queued_at: time(&self.queued_at)?,
            updated_at: time(&self.updated_at)?,
            reference: self.reference,
            last_error: self.last_error,
            gl_id: self.gl_id,
            receipt: self.receipt,
        })
    }
}

fn query(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stmt = conn.prepare(&format!("{SELECT} {filter}"))?;
    let rows: Vec<OutboxRow> = stmt.query_map(args, read_row)?.collect::<Result<_, _>>()?;
    rows.into_iter().map(OutboxRow::entry).collect()
}

fn load(conn: &Connection, id: JournalId) -> Result<OutboxEntry, StoreError> {
    let row = conn
        .query_row(&format!("{SELECT} WHERE journal_id = ?1"), [id.0], read_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound {
            what: format!("the outbox entry of {id}"),
        })?;
    row.entry()
}

fn journal_status(conn: &Connection, id: JournalId) -> Result<JournalStatus, StoreError> {
    let text: String =
        conn.query_row("SELECT status FROM journals WHERE id = ?1", [id.0], |r| {
            r.get(0)
        })?;
    JournalStatus::parse(&text)
        .ok_or_else(|| StoreError::corrupt(format!("{id} has status '{text}'")))
}

/// Moves the journal along its lifecycle to `to` through `queued` if it is still `approved`.
fn move_journal(
    conn: &Connection,
    id: JournalId,
    to: JournalStatus,
    change: &Change,
) -> Result<(), StoreError> {
    let current = journal_status(conn, id)?;
    if current == to {
        return Ok(());
    }
    if current == JournalStatus::Approved && to != JournalStatus::Queued {
        change_status(conn, id, JournalStatus::Queued, change)?;
    }
    change_status(conn, id, to, change)
}

/// Writes `after` over the row of `before` and audits the change.
fn update(
    conn: &Connection,
    before: &OutboxEntry,
    after: &OutboxEntry,
    action: &str,
    change: &Change,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5, \
         gl_id = ?6, receipt = ?7, updated_at = ?8 WHERE journal_id = ?1",
        params![
            after.journal.0,
            after.state.as_str(),
            i64::from(after.attempts),
            timestamp(after.next_attempt_at),
            after.last_error,
            after.gl_id,
            after.receipt,
            timestamp(after.updated_at),
        ],
    )?;
    audit::append(
        conn,
        change,
        NewEvent {
            action,
            entity: "outbox",
            entity_id: &after.journal.to_string(),
            before: Some(audit::to_json(before)?),
            after: Some(audit::to_json(after)?),
        },
    )?;
    Ok(())
}

/// Applies `outcome` to the entry `before` (not posted) and audits it.
fn record_one(
    conn: &Connection,
    before: OutboxEntry,
    outcome: &OutboxOutcome,
    change: &Change,
) -> Result<OutboxEntry, StoreError> {
    let id = before.journal;
    let mut after = before.clone();
    after.updated_at = change.at;
    let action = match outcome {
        OutboxOutcome::Posted { gl_id, receipt } => {
            after.state = OutboxState::Posted;
            after.gl_id = Some(gl_id.clone());
            after.receipt = Some(receipt.clone());
            after.last_error = None;
            move_journal(conn, id, JournalStatus::Posted, change)?;
            "outbox.posted"
        }
        OutboxOutcome::Rejected { reason } => {
            after.state = OutboxState::Rejected;
            after.last_error = Some(reason.clone());
            if journal_status(conn, id)? != JournalStatus::Rejected {
                move_journal(conn, id, JournalStatus::Rejected, change)?;
            }
            "outbox.rejected"
        }
        OutboxOutcome::Unknown { error } => {
            after.state = OutboxState::Unknown;
            after.last_error = Some(error.clone());
            "outbox.unknown"
        }
        OutboxOutcome::Retry { error, at } => {
            after.state = OutboxState::Queued;
            after.last_error = Some(error.clone());
            after.next_attempt_at = *at;
            "outbox.retry"
        }
    };
    update(conn, &before, &after, action, change)?;
    Ok(after)
}

impl Store {
    /// Approves journal `id` (draft → approved; it must balance) and queues it for the GL under
    /// `reference`, in one transaction with its audit events: one approval by `change.actor` as a
    /// controller under a policy of one approver (see [`Store::record_approval`]).
    pub fn approve_and_queue(
        &mut self,
        id: JournalId,
        reference: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        let progress = self.record_approval(
            id,
            &crate::approvals::ApprovalRequest {
                role: "controller".into(),
                required: 1,
                reference: reference.to_owned(),
                policy: "one approver".into(),
            },
            change,
        )?;
        debug_assert!(progress.queued);
        Ok(())
    }

    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        query(self.conn(), "ORDER BY journal_id", &[])
    }

    /// Queued entries whose time has come, earliest first, at most `limit`.
    pub fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query(
            self.conn(),
            "WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, journal_id \
             LIMIT ?2",
            &[&timestamp(now), &limit],
        )
    }

    /// When the next queued entry is due, if any is queued.
    pub fn outbox_next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<String> = self.conn().query_row(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'",
            [],
            |r| r.get(0),
        )?;
        Ok(next.as_deref().and_then(parse_timestamp))
    }

    /// Entries whose fate is in doubt: left `sending` by a crash, or `unknown`.
    pub fn outbox_in_doubt(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        query(
            self.conn(),
            "WHERE state IN ('sending', 'unknown') ORDER BY journal_id",
            &[],
        )
    }

    /// Marks `ids` as being sent (one more attempt each), and their journals as queued, in one
    /// transaction. Entries that are no longer queued are left alone; the ones marked are returned.
    pub fn outbox_mark_sending(
        &mut self,
        ids: &[JournalId],
        change: &Change,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let tx = self.begin()?;
        let mut marked = Vec::with_capacity(ids.len());
        for id in ids {
            let before = load(&tx, *id)?;
            if before.state != OutboxState::Queued {
                continue;
            }
            let mut after = before.clone();
            after.state = OutboxState::Sending;
            after.attempts += 1;
            after.updated_at = change.at;
            update(&tx, &before, &after, "outbox.sending", change)?;
            move_journal(&tx, *id, JournalStatus::Queued, change)?;
            marked.push(after);
        }
        tx.commit()?;
        Ok(marked)
    }

    /// Records how each send or look-up ended, in one transaction; the journals follow (posted or
    /// rejected). An entry already posted is left as it is.
    pub fn outbox_record(
        &mut self,
        outcomes: &[(JournalId, OutboxOutcome)],
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        for (id, outcome) in outcomes {
            let before = load(&tx, *id)?;
            if before.state == OutboxState::Posted {
                continue;
            }
            record_one(&tx, before, outcome, change)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// [`Store::outbox_record`] for outcomes decided on entries as they were read earlier (a
    /// person's look-up): an entry whose state or update time changed since (a sync worker in
    /// another process got to it first) is left alone. Returns the entries after, `None` for
    /// the ones left alone.
    pub fn outbox_record_if_unchanged(
        &mut self,
        outcomes: &[(OutboxEntry, OutboxOutcome)],
        change: &Change,
    ) -> Result<Vec<Option<OutboxEntry>>, StoreError> {
        let tx = self.begin()?;
        let mut after = Vec::with_capacity(outcomes.len());
        for (read, outcome) in outcomes {
            let before = load(&tx, read.journal)?;
            if before.state == OutboxState::Posted
                || before.state != read.state
                || before.updated_at != read.updated_at
            {
                after.push(None);
                continue;
            }
            after.push(Some(record_one(&tx, before, outcome, change)?));
        }
        tx.commit()?;
        Ok(after)
    }

    /// Makes queued entry `id` due at `change.at` (a person's "retry now": its backoff or
    /// `Retry-After` wait is cleared; attempts and the last error stay as evidence), in one
    /// transaction with its audit event (`outbox.retry_now`). Returns the entry as it is after;
    /// an entry that is no longer queued is returned unchanged (the caller says why).
    pub fn outbox_retry_now(
        &mut self,
        id: JournalId,
        change: &Change,
    ) -> Result<OutboxEntry, StoreError> {
        let tx = self.begin()?;
        let before = load(&tx, id)?;
        if before.state != OutboxState::Queued || before.next_attempt_at <= change.at {
            return Ok(before);
        }
        let mut after = before.clone();
        after.next_attempt_at = change.at;
        after.updated_at = change.at;
        update(&tx, &before, &after, "outbox.retry_now", change)?;
        tx.commit()?;
        Ok(after)
    }

    /// Records a person's finding that entry `id` is in the GL as `gl_id` (they checked the GL
    /// themselves): posted, with `evidence` as its receipt, in one transaction with its audit
    /// event (`outbox.resolved_manually`; the actor is the person). Only an entry that is
    /// queued, unknown, or left `sending` before `settled_before` (no request about it can still
    /// be running) may be resolved so; the journal follows to posted.
    pub fn outbox_resolve_posted(
        &mut self,
        id: JournalId,
        gl_id: &str,
        evidence: &str,
        settled_before: DateTime<Utc>,
        change: &Change,
    ) -> Result<OutboxEntry, StoreError> {
        let tx = self.begin()?;
        let before = load(&tx, id)?;
        let refuse = |reason: String| StoreError::InvalidTransition {
            journal: id.to_string(),
            from: before.state.as_str(),
            to: "posted",
            reason,
        };
        match before.state {
            OutboxState::Queued | OutboxState::Unknown => {}
            OutboxState::Sending if before.updated_at <= settled_before => {}
            OutboxState::Sending => {
                return Err(refuse(format!(
                    "it is being sent right now (since {}); wait until no request about it can                      still be running",
                    timestamp(before.updated_at)
                )));
            }
            other => {
                return Err(refuse(format!("it is {}", other.as_str())));
            }
        }
        let mut after = before.clone();
        after.state = OutboxState::Posted;
        after.gl_id = Some(gl_id.to_owned());
        after.receipt = Some(evidence.to_owned());
        after.last_error = None;
        after.updated_at = change.at;
        update(&tx, &before, &after, "outbox.resolved_manually", change)?;
        move_journal(&tx, id, JournalStatus::Posted, change)?;
        tx.commit()?;
        Ok(after)
    }

    /// Appends API call records to the integration monitor (no audit event: they record calls,
    /// not changes of state).
    pub fn record_gl_calls(&mut self, calls: &[GlCall]) -> Result<(), StoreError> {
        if calls.is_empty() {
            return Ok(());
        }
        let tx = self.begin()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO gl_calls (at, connector, operation, status, duration_ms, \
                 correlation_id, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for c in calls {
                stmt.execute(params![
                    timestamp(c.at),
                    c.connector,
                    c.operation,
                    c.status,
                    i64::try_from(c.duration.as_millis()).unwrap_or(i64::MAX),
                    c.correlation_id,
                    c.error,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The latest `limit` API calls, oldest first.
    pub fn gl_calls(&self, limit: usize) -> Result<Vec<GlCall>, StoreError> {
        type Raw = (
            String,
            String,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn().prepare(
            "SELECT at, connector, operation, status, duration_ms, correlation_id, error FROM \
             (SELECT * FROM gl_calls ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows: Vec<Raw> = stmt
            .query_map([limit], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(
                |(at, connector, operation, status, ms, correlation_id, error)| {
                    Ok(GlCall {
                        at: parse_timestamp(&at)
                            .ok_or_else(|| StoreError::corrupt(format!("gl call time '{at}'")))?,
                        connector,
                        operation,
                        status,
                        duration: Duration::from_millis(u64::try_from(ms).unwrap_or_default()),
                        correlation_id,
                        error,
                    })
                },
            )
            .collect()
    }
}

/// Queues journal `id` (just approved) under `reference`: a new entry, or the voided entry of an
/// earlier approval of the same journal (never sent, so its reference is still unused).
pub(crate) fn queue(
    conn: &Connection,
    id: JournalId,
    reference: &str,
    change: &Change,
) -> Result<(), StoreError> {
    let at = timestamp(change.at);
    let existing = conn
        .query_row(&format!("{SELECT} WHERE journal_id = ?1"), [id.0], read_row)
        .optional()?
        .map(OutboxRow::entry)
        .transpose()?;
    match existing {
        None => {
            conn.execute(
                "INSERT INTO outbox (journal_id, reference, state, attempts, next_attempt_at, \
                 queued_at, updated_at) VALUES (?1, ?2, 'queued', 0, ?3, ?3, ?3)",
                params![id.0, reference, at],
            )?;
            let entry = load(conn, id)?;
            audit::append(
                conn,
                change,
                NewEvent {
                    action: "outbox.queued",
                    entity: "outbox",
                    entity_id: &id.to_string(),
                    before: None,
                    after: Some(audit::to_json(&entry)?),
                },
            )?;
        }
        Some(before) if before.state == OutboxState::Voided => {
            let mut after = before.clone();
            after.state = OutboxState::Queued;
            after.next_attempt_at = change.at;
            after.updated_at = change.at;
            after.last_error = None;
            update(conn, &before, &after, "outbox.queued", change)?;
        }
        Some(before) => {
            return Err(StoreError::InvalidTransition {
                journal: id.to_string(),
                from: "approved",
                to: "queued",
                reason: format!("it is in the outbox already ({})", before.state.as_str()),
            });
        }
    }
    Ok(())
}

/// Voids the outbox entry of journal `id`, if it has one that was never sent.
pub(crate) fn void(
    conn: &Connection,
    id: JournalId,
    reason: &str,
    change: &Change,
) -> Result<(), StoreError> {
    let existing = conn
        .query_row(&format!("{SELECT} WHERE journal_id = ?1"), [id.0], read_row)
        .optional()?
        .map(OutboxRow::entry)
        .transpose()?;
    if let Some(before) = existing
        && before.state == OutboxState::Queued
        && before.attempts == 0
    {
        let mut after = before.clone();
        after.state = OutboxState::Voided;
        after.last_error = Some(reason.to_owned());
        after.updated_at = change.at;
        update(conn, &before, &after, "outbox.voided", change)?;
    }
    Ok(())
}
