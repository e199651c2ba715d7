//! A person's actions on outbox entries, from `folio gl retry|resolve` and the desktop's sync
//! view: **retry** and **resolve**. Neither ever weakens exactly-once: nothing here sends a
//! journal. They only change when the sync worker sends it, or record that it is in the GL.
//!
//! * **Retry** makes a queued journal due now (its backoff or the GL's `Retry-After` wait is
//!   cleared; the next sync sends it). A journal in doubt (`unknown`, or `sending` left by a
//!   crash) is *looked up* instead, never resent blindly: see resolve.
//! * **Resolve by look-up** asks the GL now for the journal's reference: found → posted with the
//!   GL's id; authoritatively absent → queued again and due now (sent once by the next sync); the
//!   GL cannot be asked → it stays as it is, with the reason. "Absent" counts only once no request
//!   about the journal can still be running at the GL (the same *settle* time the worker waits:
//!   a request that timed out may still be booking); before that the entry stays in doubt.
//! * **Resolve by hand** records a controller's finding that the journal is in the GL as a given
//!   GL id (they checked the GL themselves, e.g. it was keyed in by hand): posted, with who, when
//!   and their note as the receipt, in the hash-chained audit log. Only a controller may
//!   (`ROLE-RESOLVE`), and not one who prepared the journal (`SOD-PREPARER`). When the GL can be
//!   asked and holds the reference under another id, the claim is refused.
//! * A journal the GL **rejected** is already back in review (its journal is `rejected`: the
//!   review queue shows it, the exceptions list it under "Rejected by the GL" with the GL's
//!   reason, and an edit starts its next version, approved
//!   and queued under a new reference). Retrying or resolving it is refused with that advice:
//!   sending the same journal again would be refused again.
//!
//! A look-up holds the workspace's sync lease ([`crate::sync_lease`]) while it asks and records:
//! when a sync in another process holds it for longer than a moment (it may be sending the very
//! journal), the look-up is refused with `SYNC_BUSY` ("a sync is already running (pid N)").
//!
//! Each change is one SQLite transaction with its audit event (`outbox.retry_now`,
//! `outbox.posted`, `outbox.retry`, `outbox.resolved_manually`); a look-up's outcome is recorded
//! only if the entry is still as it was read (a worker in another process may have moved it).

use crate::access::{Permission, refused};
use crate::dto_gl::OutboxActionView;
use crate::error::{AppError, ErrorCode};
use crate::sync::{outbox_view, record_calls, reference, rfc3339, runtime};
use crate::sync_lease::SyncLease;
use crate::workspace::Workspace;
use folio_gl::{Connector, ConnectorKind, JournalRef, Posted};
use folio_store::{OutboxEntry, OutboxOutcome, OutboxState};
use std::collections::BTreeMap;
use std::time::Duration;

/// How a person resolves an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Ask the GL for the journal's reference now.
    LookUp,
    /// The person checked the GL: the journal is in it as `gl_id`; `note` is their evidence.
    PostedAs { gl_id: String, note: String },
}

/// How long after its last send a journal's absence from the GL counts as "not booked" for
/// connector `kind`: the worker's settle time, and for Tryton the bound within which a create
/// whose answer was lost may still commit.
pub(crate) fn settle_for(kind: ConnectorKind) -> Duration {
    let base = crate::sync::SyncOptions::default().settle;
    match kind {
        ConnectorKind::Tryton => {
            base.max(folio_gl::tryton::DEFAULT_WRITE_BOUND + Duration::from_secs(2))
        }
        ConnectorKind::QuickBooks => {
            base.max(folio_gl::quickbooks::DEFAULT_WRITE_BOUND + Duration::from_secs(2))
        }
        _ => base,
    }
}

/// How long a person's look-up waits for a sync elsewhere to finish its round before it is
/// refused with [`ErrorCode::SyncBusy`].
const LOOKUP_LEASE_WAIT: Duration = Duration::from_secs(2);

fn conflict(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::OutboxConflict, message)
}

fn describe(e: &OutboxEntry) -> String {
    format!("{} ({})", e.journal, e.reference)
}

/// Why an entry in `state` takes no retry or resolve, and what to do instead.
fn final_state(e: &OutboxEntry) -> Option<String> {
    match e.state {
        OutboxState::Posted => Some(format!(
            "{} is posted in the GL as {}; there is nothing to retry or resolve",
            describe(e),
            e.gl_id.as_deref().unwrap_or("?")
        )),
        OutboxState::Rejected => Some(format!(
            "{} was rejected by the GL ({}); it is back in review as a rejected journal: \
             correct it and approve it again (sending the same journal again would be refused \
             again)",
            describe(e),
            e.last_error.as_deref().unwrap_or("no reason given")
        )),
        OutboxState::Voided => Some(format!(
            "{} was voided (the journal changed before it was ever sent); it is queued again \
             when it is approved again",
            describe(e)
        )),
        _ => None,
    }
}

impl Workspace {
    /// The outbox entries named by `refs` (GL references such as `FK3P9Q-12`, or journal ids
    /// such as `JNL-12`), in the order given; every name must match.
    fn outbox_entries(&self, refs: &[String]) -> Result<Vec<OutboxEntry>, AppError> {
        if refs.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "name at least one outbox entry (its GL reference or journal id)",
            ));
        }
        let all = self.store.outbox()?;
        let mut found = Vec::with_capacity(refs.len());
        let mut missing = Vec::new();
        for name in refs {
            let wanted = name.trim().to_ascii_uppercase();
            let hit = all.iter().find(|e| {
                e.reference == wanted
                    || e.journal.to_string() == wanted
                    || wanted.parse::<i64>().is_ok_and(|n| e.journal.0 == n)
            });
            match hit {
                Some(e) if !found.iter().any(|f: &OutboxEntry| f.journal == e.journal) => {
                    found.push(e.clone());
                }
                Some(_) => {}
                None => missing.push(name.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(AppError::new(
                ErrorCode::OutboxNotFound,
                format!(
                    "no outbox entry has the reference or journal id {} (see `folio gl outbox`)",
                    missing.join(", ")
                ),
            ));
        }
        Ok(found)
    }

    /// Retries the named outbox entries (see the module docs): queued ones become due now,
    /// ones in doubt are looked up in the GL. Refused as a whole, before anything changes, when
    /// one of them is posted, rejected or voided.
    pub fn outbox_retry(&mut self, refs: &[String]) -> Result<Vec<OutboxActionView>, AppError> {
        self.require(Permission::Sync)?;
        let entries = self.outbox_entries(refs)?;
        if let Some(reason) = entries.iter().find_map(final_state) {
            return Err(conflict(reason));
        }
        let mut results: BTreeMap<usize, OutboxActionView> = BTreeMap::new();
        let mut doubts = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            if entry.state != OutboxState::Queued {
                doubts.push((i, entry.clone()));
                continue;
            }
            let change = self.context.change();
            let after = self.store.outbox_retry_now(entry.journal, &change)?;
            let (result, message) = if after.state != OutboxState::Queued {
                (
                    "unchanged",
                    format!(
                        "{} is {} now (a sync got to it first)",
                        describe(&after),
                        after.state.as_str()
                    ),
                )
            } else if after.updated_at == change.at && entry.next_attempt_at > change.at {
                (
                    "due_now",
                    format!(
                        "{} is due now (it was waiting until {}{}); the next sync sends it",
                        describe(&after),
                        rfc3339(entry.next_attempt_at),
                        entry
                            .last_error
                            .as_deref()
                            .map(|e| format!(" after: {e}"))
                            .unwrap_or_default()
                    ),
                )
            } else {
                (
                    "due_now",
                    format!(
                        "{} is already due; the next sync sends it",
                        describe(&after)
                    ),
                )
            };
            results.insert(
                i,
                OutboxActionView {
                    before: entry.state.as_str().to_owned(),
                    result: result.to_owned(),
                    message,
                    entry: outbox_view(&after),
                },
            );
        }
        if !doubts.is_empty() {
            let (index, doubts): (Vec<usize>, Vec<OutboxEntry>) = doubts.into_iter().unzip();
            for (i, view) in index.into_iter().zip(self.look_up_now(&doubts)?) {
                results.insert(i, view);
            }
        }
        Ok(results.into_values().collect())
    }

    /// Resolves one outbox entry in doubt (see the module docs).
    pub fn outbox_resolve(
        &mut self,
        name: &str,
        resolution: Resolution,
    ) -> Result<OutboxActionView, AppError> {
        match &resolution {
            Resolution::LookUp => self.require(Permission::Sync)?,
            Resolution::PostedAs { .. } => self.require(Permission::ResolveGl)?,
        };
        let entry = self
            .outbox_entries(&[name.to_owned()])?
            .pop()
            .ok_or_else(|| AppError::new(ErrorCode::OutboxNotFound, name.to_owned()))?;
        if let Some(reason) = final_state(&entry) {
            return Err(conflict(reason));
        }
        match resolution {
            Resolution::LookUp => self
                .look_up_now(std::slice::from_ref(&entry))?
                .pop()
                .ok_or_else(|| conflict(format!("{} was not looked up", describe(&entry)))),
            Resolution::PostedAs { gl_id, note } => self.resolve_by_hand(&entry, &gl_id, &note),
        }
    }

    fn resolve_by_hand(
        &mut self,
        entry: &OutboxEntry,
        gl_id: &str,
        note: &str,
    ) -> Result<OutboxActionView, AppError> {
        let (gl_id, note) = (gl_id.trim(), note.trim());
        if gl_id.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "--posted-as needs the GL's id of the entry you found",
            ));
        }
        if note.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                "--note is required: say how you checked the GL (it is kept as the evidence)",
            ));
        }
        let actor = self.actor().to_owned();
        if self
            .store
            .journal_preparers(entry.journal)?
            .iter()
            .any(|p| p == &actor)
        {
            return Err(refused(
                "SOD-PREPARER",
                "actor",
                format!(
                    "{actor} prepared {}; someone who did not prepare it records that it is in \
                     the GL",
                    entry.journal
                ),
            ));
        }
        // Ask the GL too, when it can be asked: it must not hold the reference under another id.
        let kind = self.gl_kind()?;
        let (found, asked) = match self.look_up(entry) {
            Ok(found) => (found, None),
            Err(e) => (None, Some(e.message)),
        };
        if let Some(posted) = &found
            && posted.gl_id != gl_id
        {
            return Err(conflict(format!(
                "the GL holds {} as {}, not {gl_id}; `folio gl resolve {} --lookup` records the \
                 GL's own entry",
                entry.reference, posted.gl_id, entry.reference
            )));
        }
        let change = self.context.change();
        let gl_says = match (&found, &asked) {
            (Some(_), _) => "the GL's look-up finds the reference there too".to_owned(),
            (None, None) => "the GL's look-up does not find the reference".to_owned(),
            (None, Some(e)) => format!("the GL could not be asked ({e})"),
        };
        let evidence = format!(
            "resolved by hand by {actor} at {}: in the GL as {gl_id}; {note} ({gl_says})",
            rfc3339(change.at)
        );
        let settled_before =
            change.at - chrono::Duration::from_std(self.gl_settle(kind)?).unwrap_or_default();
        let after = self
            .store
            .outbox_resolve_posted(entry.journal, gl_id, &evidence, settled_before, &change)
            .map_err(|e| match e {
                folio_store::StoreError::InvalidTransition { .. } => conflict(e.to_string()),
                other => other.into(),
            })?;
        Ok(OutboxActionView {
            before: entry.state.as_str().to_owned(),
            result: "posted".into(),
            message: format!(
                "{} recorded as posted in the GL as {gl_id}",
                describe(&after)
            ),
            entry: outbox_view(&after),
        })
    }

    /// The kind of the workspace's GL connection (no keychain read).
    fn gl_kind(&self) -> Result<ConnectorKind, AppError> {
        let connection = self.gl_connection()?;
        ConnectorKind::parse(&connection.kind).ok_or_else(|| {
            AppError::new(
                ErrorCode::WorkspaceCorrupt,
                format!("unknown GL connector '{}'", connection.kind),
            )
        })
    }

    /// Looks one reference up in the GL: `Some` when it is there.
    fn look_up(&mut self, entry: &OutboxEntry) -> Result<Option<Posted>, AppError> {
        let r = reference(entry)?;
        let mut found = self.gl_lookup(std::slice::from_ref(&r))?;
        Ok(found.remove(&r))
    }

    /// Asks the workspace's GL for `refs` (the calls go to the integration monitor).
    fn gl_lookup(&mut self, refs: &[JournalRef]) -> Result<BTreeMap<JournalRef, Posted>, AppError> {
        let connector = self.gl_connector()?;
        let runtime = runtime()?;
        let max = connector.capabilities().max_batch.max(1);
        let (found, calls) = runtime.block_on(async {
            let mut found = BTreeMap::new();
            for chunk in refs.chunks(max) {
                match connector.lookup(chunk.to_vec()).await {
                    Ok(part) => found.extend(part),
                    Err(e) => return (Err(e), connector.drain_calls()),
                }
            }
            (Ok(found), connector.drain_calls())
        });
        record_calls(&mut self.store, calls)?;
        found.map_err(crate::gl::gl_error)
    }

    /// Looks `entries` up in the GL now and records what that settles.
    fn look_up_now(&mut self, entries: &[OutboxEntry]) -> Result<Vec<OutboxActionView>, AppError> {
        let kind = self.gl_kind()?;
        let refs: Vec<JournalRef> = entries.iter().map(reference).collect::<Result<_, _>>()?;
        // Absence counts only while no sync elsewhere can be sending these journals.
        let _lease = SyncLease::acquire(
            self.path(),
            LOOKUP_LEASE_WAIT,
            "it looks journals in doubt up itself; look again when it has finished",
        )?;
        let found = match self.gl_lookup(&refs) {
            Ok(found) => found,
            Err(e) => {
                return Ok(entries
                    .iter()
                    .map(|entry| OutboxActionView {
                        before: entry.state.as_str().to_owned(),
                        result: "unchanged".into(),
                        message: format!(
                            "{} stays {}: the GL could not be asked ({}); nothing is sent \
                             before a look-up answers",
                            describe(entry),
                            entry.state.as_str(),
                            e.message
                        ),
                        entry: outbox_view(entry),
                    })
                    .collect());
            }
        };
        let now = self.context.clock.now();
        let settle = self.gl_settle(kind)?;
        let settled_before = now - chrono::Duration::from_std(settle).unwrap_or_default();
        // (entry, outcome to record or None, result, message)
        let mut decided: Vec<(OutboxEntry, Option<OutboxOutcome>, &str, String)> = Vec::new();
        for (entry, r) in entries.iter().zip(&refs) {
            let in_doubt = matches!(entry.state, OutboxState::Unknown | OutboxState::Sending);
            match found.get(r) {
                Some(posted) => decided.push((
                    entry.clone(),
                    Some(OutboxOutcome::Posted {
                        gl_id: posted.gl_id.clone(),
                        receipt: posted.receipt.clone(),
                    }),
                    "posted",
                    format!(
                        "{} is in the GL as {}: posted",
                        describe(entry),
                        posted.gl_id
                    ),
                )),
                None if !in_doubt => decided.push((
                    entry.clone(),
                    None,
                    "unchanged",
                    format!(
                        "{} is not in the GL; it stays queued (next attempt {})",
                        describe(entry),
                        rfc3339(entry.next_attempt_at)
                    ),
                )),
                None if entry.updated_at <= settled_before => decided.push((
                    entry.clone(),
                    Some(OutboxOutcome::Retry {
                        error: format!(
                            "not in the GL when looked up by {} after an unknown outcome; \
                             sending again",
                            self.actor()
                        ),
                        at: now,
                    }),
                    "queued",
                    format!(
                        "{} is not in the GL: queued again, due now (the next sync sends it once)",
                        describe(entry)
                    ),
                )),
                None => decided.push((
                    entry.clone(),
                    None,
                    "unchanged",
                    format!(
                        "{} is not in the GL yet, but a request about it sent at {} may still be \
                         running there; it stays {} (look again after {})",
                        describe(entry),
                        rfc3339(entry.updated_at),
                        entry.state.as_str(),
                        rfc3339(
                            entry.updated_at
                                + chrono::Duration::from_std(settle).unwrap_or_default()
                        )
                    ),
                )),
            }
        }
        let to_record: Vec<(OutboxEntry, OutboxOutcome)> = decided
            .iter()
            .filter_map(|(e, o, _, _)| o.clone().map(|o| (e.clone(), o)))
            .collect();
        let change = self.context.change();
        let mut recorded = self
            .store
            .outbox_record_if_unchanged(&to_record, &change)?
            .into_iter();
        let mut views = Vec::with_capacity(decided.len());
        for (entry, outcome, result, message) in decided {
            let view = if outcome.is_some() {
                match recorded.next().flatten() {
                    Some(after) => OutboxActionView {
                        before: entry.state.as_str().to_owned(),
                        result: result.to_owned(),
                        message,
                        entry: outbox_view(&after),
                    },
                    None => OutboxActionView {
                        before: entry.state.as_str().to_owned(),
                        result: "unchanged".into(),
                        message: format!(
                            "{} changed while it was looked up (a sync got to it first); look \
                             at it again",
                            describe(&entry)
                        ),
                        entry: outbox_view(&entry),
                    },
                }
            } else {
                OutboxActionView {
                    before: entry.state.as_str().to_owned(),
                    result: result.to_owned(),
                    message,
                    entry: outbox_view(&entry),
                }
            };
            views.push(view);
        }
        Ok(views)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tryton_waits_for_its_write_bound_before_absence_counts() {
        assert!(settle_for(ConnectorKind::Tryton) > folio_gl::tryton::DEFAULT_WRITE_BOUND);
        assert!(settle_for(ConnectorKind::QuickBooks) > folio_gl::quickbooks::DEFAULT_WRITE_BOUND);
        assert!(settle_for(ConnectorKind::Fava) > crate::gl::REQUEST_TIMEOUT);
        assert_eq!(
            settle_for(ConnectorKind::Fava),
            settle_for(ConnectorKind::HledgerWeb)
        );
    }
}
