//! The sync worker: takes approved journals out of the outbox and posts them to the GL, exactly
//! once, whatever the network and the GL do.
//!
//! One round:
//!
//! 1. **Doubts first.** Entries left `sending` by a crash and entries whose answer was lost
//!    (`unknown`) are looked up in the GL by reference once they have *settled* (longer than any
//!    request about them can still be running at the GL: a timed-out request may still be
//!    booking); found ones are posted, missing ones go back to the queue. Nothing in doubt is
//!    ever sent again before this look-up succeeded.
//! 2. **Due entries** (`queued`, next attempt reached) are checked before sending: a journal that
//!    does not balance, or uses an account or dimension value the GL's master data does not have,
//!    is rejected with the problems as its reason, never sent.
//! 3. They are marked `sending` (one transaction, audited) *before* the first byte leaves, then
//!    sent in batches, at most `concurrency` batches in flight.
//! 4. Each answer is recorded: posted (GL id and receipt), rejected (the GL's message, back to the
//!    reviewer), unknown (looked up in the next round), or retry at a time from exponential
//!    backoff with jitter (from the random source passed in) or the GL's `Retry-After`.
//!
//! Each round (look-ups and sends) holds the workspace's sync lease ([`crate::sync_lease`]): a
//! worker in another process, or a person's look-up, waits for it, so none of them can take a
//! journal this round has marked `sending` but not sent yet for one that is missing from the GL.
//!
//! A circuit breaker stops sending while the GL is unreachable and probes it again after a
//! pause that grows to a few seconds, so a GL that comes back is noticed quickly without a
//! stream of doomed requests while it is away. Every API call lands in the integration monitor.
//!
//! A GL whose sign-in is gone (an OAuth grant revoked or expired: [`GlError::SignInAgain`]) is
//! not "down" and not worth retrying: the journals of that round stay queued, the worker stops
//! sending and the run ends with [`ErrorCode::GlSignInRequired`] ("sign in again"), so the user
//! is asked once instead of a loop of failing refreshes.

use crate::dto_gl::{OutboxView, SyncReport};
use crate::error::{AppError, ErrorCode};
use crate::gl::postable_problems;
use crate::sync_lease::SyncLease;
use crate::workspace::Workspace;
use chrono::{DateTime, Utc};
use folio_gl::retry::{Backoff, CircuitBreaker};
use folio_gl::{AnyConnector, CallRecord, Connector, GlError, JournalRef, Outgoing};
use folio_store::{GlCall, JournalId, OutboxEntry, OutboxOutcome, OutboxState, Store};
use rand::RngCore;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Stop when nothing is left to do (or after `max_wait`), instead of watching the outbox.
    pub once: bool,
    /// With `once`: how long to keep waiting out retries and outages before stopping.
    pub max_wait: Duration,
    /// Batches in flight at once against the GL.
    pub concurrency: usize,
    /// Journals per request (capped by the connector's maximum).
    pub batch: usize,
    pub backoff: Backoff,
    /// Failures in a row that open the circuit, its first and its longest pause.
    pub breaker: (u32, Duration, Duration),
    /// How often a watching worker looks for newly approved journals.
    pub poll: Duration,
    /// How long after a lost answer (or a crash mid-send) the GL is asked whether it booked the
    /// journal: longer than a request can take, so that no request about it is still running at
    /// the GL when its absence is taken as "not booked" (the request timeout and a margin).
    pub settle: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            once: true,
            max_wait: Duration::from_secs(120),
            concurrency: 2,
            batch: 500,
            backoff: Backoff::default(),
            breaker: (3, Duration::from_millis(500), Duration::from_secs(2)),
            poll: Duration::from_secs(1),
            settle: crate::gl::REQUEST_TIMEOUT + Duration::from_secs(2),
        }
    }
}

/// The runtime the GL use cases run their async connectors on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::new(ErrorCode::Io, format!("cannot start the sync runtime: {e}")))
}

/// Stores the connector's call records in the integration monitor.
pub(crate) fn record_calls(store: &mut Store, calls: Vec<CallRecord>) -> Result<(), AppError> {
    let rows: Vec<GlCall> = calls
        .into_iter()
        .map(|c| GlCall {
            at: DateTime::<Utc>::from(c.started),
            connector: c.connector,
            operation: c.operation,
            status: c.status,
            duration: c.duration,
            correlation_id: c.correlation_id,
            error: c.error,
        })
        .collect();
    store.record_gl_calls(&rows)?;
    Ok(())
}

pub(crate) fn outbox_view(e: &OutboxEntry) -> OutboxView {
    OutboxView {
        journal_id: e.journal.to_string(),
        reference: e.reference.clone(),
        state: e.state.as_str().to_owned(),
        attempts: e.attempts,
        gl_id: e.gl_id.clone(),
        receipt: e.receipt.clone(),
        last_error: e.last_error.clone(),
        next_attempt_at: rfc3339(e.next_attempt_at),
        updated_at: rfc3339(e.updated_at),
    }
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn reference(e: &OutboxEntry) -> Result<JournalRef, AppError> {
    JournalRef::parse(&e.reference).map_err(|err| {
        AppError::new(
            ErrorCode::WorkspaceCorrupt,
            format!("outbox entry of {}: {err}", e.journal),
        )
    })
}

fn rejection(error: &GlError) -> String {
    match error {
        GlError::Permanent {
            message,
            field: Some(field),
        } => format!("{field}: {message}"),
        other => other.to_string(),
    }
}

/// The worker's state across rounds.
struct Worker<'a> {
    ws: &'a mut Workspace,
    connector: AnyConnector,
    options: SyncOptions,
    rng: &'a mut (dyn RngCore + Send),
    breaker: CircuitBreaker,
    started: Instant,
    report: SyncReport,
    /// Set when the GL's sign-in is gone: nothing more is sent in this run.
    sign_in_again: Option<String>,
}

impl Worker<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.ws.context.clock.now()
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn flush_calls(&mut self) -> Result<(), AppError> {
        let calls = self.connector.drain_calls();
        self.report.requests += crate::workspace::count(calls.len());
        record_calls(&mut self.ws.store, calls)
    }

    fn record(&mut self, outcomes: Vec<(JournalId, OutboxOutcome)>) -> Result<(), AppError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let change = self.ws.context.change();
        self.ws.store.outbox_record(&outcomes, &change)?;
        for (id, outcome) in &outcomes {
            match outcome {
                OutboxOutcome::Posted { .. } => self.report.posted += 1,
                OutboxOutcome::Rejected { .. } => {
                    self.report.rejected += 1;
                    if let Some(e) = self.ws.store.outbox()?.iter().find(|e| e.journal == *id) {
                        self.report.exceptions.push(outbox_view(e));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The retry of one journal after `error`, and what the breaker makes of it.
    fn after_failure(&mut self, entry: &OutboxEntry, error: &GlError) -> OutboxOutcome {
        let now = self.now();
        match error {
            GlError::Permanent { .. } => OutboxOutcome::Rejected {
                reason: rejection(error),
            },
            GlError::Unknown { message } => OutboxOutcome::Unknown {
                error: message.clone(),
            },
            GlError::RateLimited { wait, message } => OutboxOutcome::Retry {
                error: message.clone(),
                at: now + chrono::Duration::from_std(*wait).unwrap_or_default(),
            },
            GlError::SignInAgain { message } => OutboxOutcome::Retry {
                error: format!("sign in to the GL again: {message}"),
                at: now,
            },
            GlError::Retryable { message } => {
                let delay = self
                    .options
                    .backoff
                    .delay(entry.attempts, self.rng.next_u64());
                OutboxOutcome::Retry {
                    error: message.clone(),
                    at: now + chrono::Duration::from_std(delay).unwrap_or_default(),
                }
            }
        }
    }

    fn note_gl(&mut self, error: Option<&GlError>) {
        let at = self.elapsed();
        match error {
            None | Some(GlError::Permanent { .. }) => self.breaker.success(),
            Some(GlError::RateLimited { wait, .. }) => self.breaker.pause_until(at + *wait),
            Some(GlError::SignInAgain { message }) => {
                self.sign_in_again = Some(message.clone());
            }
            Some(_) => self.breaker.failure(at),
        }
    }

    /// Looks up every entry in doubt. False when the GL could not be asked.
    async fn resolve_doubts(&mut self) -> Result<bool, AppError> {
        // Only doubts old enough that no request about them can still be running at the GL.
        let settled_before =
            self.now() - chrono::Duration::from_std(self.options.settle).unwrap_or_default();
        let doubts: Vec<OutboxEntry> = self
            .ws
            .store
            .outbox_in_doubt()?
            .into_iter()
            .filter(|e| e.updated_at <= settled_before)
            .collect();
        let max = self.connector.capabilities().max_batch.max(1);
        for chunk in doubts.chunks(max) {
            let refs: Vec<JournalRef> = chunk.iter().map(reference).collect::<Result<_, _>>()?;
            let found = self.connector.lookup(refs.clone()).await;
            self.flush_calls()?;
            let found = match found {
                Ok(found) => {
                    self.note_gl(None);
                    found
                }
                Err(e) => {
                    self.note_gl(Some(&e));
                    return Ok(false);
                }
            };
            let now = self.now();
            let outcomes = chunk
                .iter()
                .zip(&refs)
                .map(|(entry, r)| {
                    let outcome = match found.get(r) {
                        Some(posted) => {
                            self.report.found_by_lookup += 1;
                            OutboxOutcome::Posted {
                                gl_id: posted.gl_id.clone(),
                                receipt: posted.receipt.clone(),
                            }
                        }
                        None => OutboxOutcome::Retry {
                            error: "not in the GL after an unknown outcome; sending again".into(),
                            at: now,
                        },
                    };
                    (entry.journal, outcome)
                })
                .collect();
            self.record(outcomes)?;
        }
        Ok(true)
    }

    /// Sends what is due. False when nothing was due.
    async fn send_due(&mut self) -> Result<bool, AppError> {
        let batch = self
            .options
            .batch
            .clamp(1, self.connector.capabilities().max_batch.max(1));
        let concurrency = self.options.concurrency.max(1);
        let due = self.ws.store.outbox_due(self.now(), batch * concurrency)?;
        if due.is_empty() {
            return Ok(false);
        }
        let master = self.ws.store.master_data()?;
        let locks = self.ws.period_locks()?;
        let mut refused = Vec::new();
        let mut ready = Vec::new();
        for entry in due {
            let stored = self.ws.store.get_journal(entry.journal)?.ok_or_else(|| {
                AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!(
                        "the outbox holds {} but the journal is missing",
                        entry.journal
                    ),
                )
            })?;
            // Segregation of duties, the approval's content and the period, once more.
            if let Some(reason) = self
                .ws
                .send_refusal(entry.journal, &stored.journal, &locks)?
            {
                refused.push((
                    entry.journal,
                    OutboxOutcome::Rejected {
                        reason: format!("not sent: {reason}"),
                    },
                ));
                continue;
            }
            let problems = postable_problems(&stored.journal, &master);
            if problems.is_empty() {
                ready.push((entry, stored.journal));
            } else {
                let reason: Vec<String> = problems.iter().map(ToString::to_string).collect();
                refused.push((
                    entry.journal,
                    OutboxOutcome::Rejected {
                        reason: format!("not sent: {}", reason.join("; ")),
                    },
                ));
            }
        }
        self.record(refused)?;
        let ids: Vec<JournalId> = ready.iter().map(|(e, _)| e.journal).collect();
        let change = self.ws.context.change();
        let marked = self.ws.store.outbox_mark_sending(&ids, &change)?;
        // The chain's head now (it includes the marking): a copy goes into each entry's metadata.
        let audit_head = self
            .ws
            .store
            .audit_head()?
            .map(|(seq, hash)| format!("{seq}-{hash}"));
        let mut journals: BTreeMap<JournalId, folio_domain::Journal> =
            ready.into_iter().map(|(e, j)| (e.journal, j)).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in marked.chunks(batch) {
            let mut outgoing = Vec::with_capacity(chunk.len());
            for entry in chunk {
                if let Some(journal) = journals.remove(&entry.journal) {
                    outgoing.push(Outgoing {
                        reference: reference(entry)?,
                        journal,
                        audit_head: audit_head.clone(),
                    });
                }
            }
            let connector = self.connector.clone();
            let entries = chunk.to_vec();
            tasks.spawn(async move { (entries, connector.post(outgoing).await) });
        }
        while let Some(done) = tasks.join_next().await {
            let (entries, outcome) =
                done.map_err(|e| AppError::new(ErrorCode::Io, format!("a send task failed: {e}")))?;
            let by_ref: BTreeMap<&str, &Result<folio_gl::Posted, GlError>> = outcome
                .iter()
                .map(|(r, result)| (r.as_str(), result))
                .collect();
            let mut outcomes = Vec::with_capacity(entries.len());
            let mut gl_failure = None;
            for entry in &entries {
                let result = by_ref.get(entry.reference.as_str());
                let outcome = match result {
                    Some(Ok(posted)) => OutboxOutcome::Posted {
                        gl_id: posted.gl_id.clone(),
                        receipt: posted.receipt.clone(),
                    },
                    Some(Err(e)) => {
                        if !matches!(e, GlError::Permanent { .. }) {
                            gl_failure = Some(e.clone());
                        }
                        self.after_failure(entry, e)
                    }
                    None => OutboxOutcome::Unknown {
                        error: "the connector gave no outcome".into(),
                    },
                };
                outcomes.push((entry.journal, outcome));
            }
            self.note_gl(gl_failure.as_ref());
            self.record(outcomes)?;
        }
        self.flush_calls()?;
        Ok(true)
    }

    fn remaining(&self) -> Result<u32, AppError> {
        Ok(crate::workspace::count(
            self.ws
                .store
                .outbox()?
                .iter()
                .filter(|e| {
                    matches!(
                        e.state,
                        OutboxState::Queued | OutboxState::Sending | OutboxState::Unknown
                    )
                })
                .count(),
        ))
    }

    /// Waits for the workspace's sync lease (another process may be sending or looking up);
    /// with `once`, up to the run's `max_wait`, then [`ErrorCode::SyncBusy`].
    async fn take_lease(&mut self) -> Result<SyncLease, AppError> {
        loop {
            match SyncLease::try_acquire(self.ws.path())? {
                Ok(lease) => return Ok(lease),
                Err(holder) if self.options.once && self.elapsed() >= self.options.max_wait => {
                    return Err(crate::sync_lease::busy(
                        &holder,
                        self.elapsed(),
                        "it is sending the outbox; run `folio sync --once` again when it has \
                         finished if anything is left",
                    ));
                }
                Err(_) => tokio::time::sleep(crate::sync_lease::poll()).await,
            }
        }
    }

    async fn run(mut self) -> Result<SyncReport, AppError> {
        loop {
            let out_of_time = self.options.once && self.elapsed() >= self.options.max_wait;
            if out_of_time || self.sign_in_again.is_some() {
                break;
            }
            if let Some(wait) = self.breaker.wait(self.elapsed()) {
                tokio::time::sleep(wait.min(self.options.poll)).await;
                continue;
            }
            // The round's look-ups and sends happen under the workspace's sync lease; the
            // waits between rounds do not hold it.
            let lease = self.take_lease().await?;
            if !self.resolve_doubts().await? {
                drop(lease);
                if self.sign_in_again.is_some() {
                    break;
                }
                // The GL could not be asked: pause a little (the breaker takes over if it stays).
                let pause = self.options.backoff.delay(1, self.rng.next_u64());
                tokio::time::sleep(pause).await;
                continue;
            }
            let sent = self.send_due().await?;
            drop(lease);
            if sent {
                continue;
            }
            // Nothing due now: stop, or wait for the next retry or a new approval.
            let next = self.ws.store.outbox_next_due()?;
            if self.options.once && next.is_none() && self.ws.store.outbox_in_doubt()?.is_empty() {
                break;
            }
            let wait = next
                .and_then(|t| (t - self.now()).to_std().ok())
                .unwrap_or(self.options.poll)
                .min(self.options.poll);
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
        self.flush_calls()?;
        if let Some(message) = self.sign_in_again.take() {
            return Err(AppError::new(
                ErrorCode::GlSignInRequired,
                format!(
                    "sign in to the GL again ({message}): run `folio gl connect` for it; \
                     the outbox keeps {} journals queued until then",
                    self.remaining()?
                ),
            ));
        }
        self.report.remaining = self.remaining()?;
        if let AnyConnector::Xero(xero) = &self.connector {
            self.report.rate_limit = Some(crate::dto_gl::RateLimitView::from_xero(
                xero.rate_limit_state(),
            ));
        }
        if let AnyConnector::QuickBooks(quickbooks) = &self.connector {
            self.report.rate_limit = Some(crate::dto_gl::RateLimitView::from_quickbooks(
                quickbooks.rate_limit_state(),
            ));
        }
        if let AnyConnector::BusinessCentral(bc) = &self.connector {
            self.report.rate_limit = Some(crate::dto_gl::RateLimitView::from_business_central(
                bc.rate_limit_state(),
            ));
        }
        self.report.elapsed_ms = u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(self.report)
    }
}

impl Workspace {
    /// Posts the outbox to the workspace's GL (see the module docs). `rng` draws the jitter of
    /// the retries.
    pub fn sync(
        &mut self,
        options: SyncOptions,
        rng: &mut (dyn RngCore + Send),
    ) -> Result<SyncReport, AppError> {
        let connector = self.gl_connector()?;
        // A look-up after a lost answer waits at least as long as the GL may still book it.
        let settle = options.settle.max(self.gl_settle(connector.kind())?);
        self.sync_with(connector, SyncOptions { settle, ..options }, rng)
    }

    /// [`Workspace::sync`] with a given connector (tests and benchmarks put a fault proxy or a
    /// different server in front).
    pub fn sync_with(
        &mut self,
        connector: AnyConnector,
        options: SyncOptions,
        rng: &mut (dyn RngCore + Send),
    ) -> Result<SyncReport, AppError> {
        self.require(crate::access::Permission::Sync)?;
        let runtime = runtime()?;
        let (threshold, open_for, max_open) = options.breaker;
        let worker = Worker {
            report: SyncReport {
                connector: connector.kind().as_str().to_owned(),
                posted: 0,
                found_by_lookup: 0,
                rejected: 0,
                remaining: 0,
                requests: 0,
                elapsed_ms: 0,
                exceptions: Vec::new(),
                rate_limit: None,
            },
            connector,
            breaker: CircuitBreaker::new(threshold, open_for, max_open),
            options,
            rng,
            started: Instant::now(),
            sign_in_again: None,
            ws: self,
        };
        runtime.block_on(worker.run())
    }

    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxView>, AppError> {
        Ok(self.store.outbox()?.iter().map(outbox_view).collect())
    }
}
