//! Keeping the learned suggester current while a workspace is open.
//!
//! What the suggester learns from is imported history plus the expense lines of approved
//! journals, minus forgotten vendors and "don't learn" lines ([`training_examples`]). Training it
//! from scratch takes about a second per 100,000 lines (release build), so redoing that after
//! every approval would make a reviewer wait each time a controller approves; yet its counts
//! make learning more lines exact ([`Suggester::update`]). So a workspace keeps its trained model
//! in a [`ModelCache`] together with the [`LearningState`] it was trained on, and before each use:
//!
//! * same state: the cached model is used as it is. Opening a document asks this at every
//!   keystroke, so a cheap [`Store::learning_fingerprint`] (read from indexes) is compared first,
//!   and only when it changed is the exact [`LearningState`] read and compared;
//! * only journals were approved since (by this handle or by another process — the state is read
//!   from the database, not remembered from events): exactly the lines of those journals are
//!   learned, with the current forgotten vendors and "don't learn" marks applied
//!   ([`LearningState::journals_added_since`] proves nothing else changed; the state and the
//!   lines are read in one read transaction, so no line can be missed or learned twice);
//! * anything else — history imported, a vendor forgotten, a journal leaving the approved set
//!   (sent back, edited, rejected by the GL), a "don't learn" mark on a learned line, no model
//!   yet — trains in full: correctness first.
//!
//! An update keeps the weights and the calibration that the last full training fitted on its
//! newest lines. **Refit rule:** the update is refused, and the model trained in full, once the
//! lines learned by updates since that training would exceed [`REFIT_PERCENT`] % of the lines it
//! learned, or when that training had too few lines to fit anything (then it is small and
//! retraining costs milliseconds). The fit holds out the newest 15 % of the lines, so at 5 % a
//! third of that window is still newer than the fit; on 110,000 lines that is one full training
//! per ~5,500 approved lines instead of one per approval.
//!
//! Because an updated model's weights were fitted on fewer lines than a full training on the same
//! state would fit, its version says so: `<version> (weights fitted on <version then>)`. The
//! version stored with each suggestion thus names one model exactly, and `folio replay`
//! re-derives model proposals only with that same model.
//!
//! The update happens at the next use of the model (coding, explaining, [`Workspace::refresh_model`]),
//! never inside the approval's transaction; the desktop keeps one workspace open, so its model
//! lives across approvals.
//!
//! **Across processes.** Training on a large history takes seconds, and every CLI command that
//! codes, and the desktop after a start, is a new process. So the model is also kept in the
//! workspace folder as a snapshot ([`crate::model_snapshot`]: a cache next to the database, not in
//! it) with the exact [`LearningState`] it learned. With no model yet, a process first tries the
//! snapshot: same state → it is used as it is (`loaded`); only journals added since → it is
//! loaded and updated as above; anything else, or a snapshot that is missing, damaged, truncated,
//! of another format or inconsistent → trained in full (the reason names why the snapshot was
//! not used). The snapshot is written after every full training **and** every update, so the
//! next process loads the newest state instead of redoing updates: on the 110,895-line history
//! that costs ~0.1 s per write (measured by `cargo xtask bench learn`) against ~1.3–3 s per
//! training saved. Writing is atomic (temporary file, fsync, rename), so concurrent processes
//! only ever read a whole snapshot, and the state check makes an older one harmless. A failed
//! write is kept in [`ModelCacheStats::snapshot_error`]; the model is used all the same.

use crate::error::AppError;
use crate::model_snapshot::{self, SnapshotHeader};
use crate::settings::COST_CENTRE;
use crate::workspace::Workspace;
use folio_coding::learn::features::supplier_key;
use folio_coding::learn::{Example, Suggester, TrainOptions};
use folio_store::{ApprovedLine, DocumentId, ForgottenVendor, LearningState, Store};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// Lines learned by updates since the last full training, as a percentage of the lines that
/// training learned, beyond which the next change retrains in full (see the module docs).
pub const REFIT_PERCENT: usize = 5;

/// What the workspace's model cache did so far (for tests, benchmarks and diagnostics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelCacheStats {
    /// Trainings from scratch.
    pub full_trains: u32,
    /// Updates that learned newly approved journals.
    pub incremental_updates: u32,
    /// Lines learned by updates since the last full training.
    pub lines_since_training: usize,
    /// Why the last full training happened (in this process, or in the one that wrote the
    /// snapshot this handle loaded).
    pub last_full_train: Option<String>,
    /// Models loaded from the workspace's snapshot instead of trained.
    pub snapshot_loads: u32,
    /// Snapshots written (after full trainings and updates).
    pub snapshot_writes: u32,
    /// Why the last snapshot found was not used (damaged, another format, another state).
    pub snapshot_ignored: Option<String>,
    /// Why the last snapshot could not be written (the model is used all the same).
    pub snapshot_error: Option<String>,
}

/// What [`Workspace::refresh_model`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRefresh {
    /// `cached`, `loaded` (from the snapshot, current as it was), `updated` (possibly after
    /// loading the snapshot) or `trained`.
    pub action: &'static str,
    /// Why it trained in full.
    pub reason: Option<String>,
    /// Journals and lines an update learned.
    pub journals_learned: usize,
    pub lines_learned: usize,
    /// Lines the model has learned in all.
    pub model_lines: usize,
    pub version: String,
}

/// The trained model of a workspace with the state it learned.
#[derive(Debug)]
struct Cached {
    /// [`Store::learning_fingerprint`] and [`Store::learning_state`] read with the lines learned.
    fingerprint: String,
    state: LearningState,
    model: Arc<Suggester>,
    /// The version and line count of the last full training, and whether it fitted weights.
    trained_version: String,
    trained_lines: usize,
    fitted: bool,
    since_training: usize,
    /// Why that training happened.
    trained_because: Option<String>,
}

impl Cached {
    fn version(&self) -> String {
        if self.since_training == 0 {
            self.model.version()
        } else {
            format!(
                "{} (weights fitted on {})",
                self.model.version(),
                self.trained_version
            )
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    cached: Option<Cached>,
    stats: ModelCacheStats,
}

/// A trained suggester kept while the workspace is open, with the state it learned.
#[derive(Debug, Default)]
pub struct ModelCache(RefCell<Inner>);

/// The model in use with its version (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub suggester: Arc<Suggester>,
    pub version: String,
}

/// What the model cache must do, decided inside the read transaction.
enum Step {
    Keep(Cached),
    /// Loaded from the snapshot, which learned the current state.
    Loaded(Cached),
    Update {
        cached: Cached,
        fingerprint: String,
        state: LearningState,
        journals: usize,
        examples: Vec<Example>,
        /// The model being updated was just loaded from the snapshot.
        loaded: bool,
    },
    Train {
        fingerprint: String,
        state: LearningState,
        examples: Vec<Example>,
        reason: String,
    },
}

/// Imported history as training examples.
fn history_examples(store: &Store) -> Result<Vec<Example>, AppError> {
    Ok(store
        .history_lines()?
        .into_iter()
        .map(|h| Example {
            date: h.line.date,
            supplier: h.line.supplier,
            description: h.line.description,
            amount: h.line.amount,
            vat_category: h.line.vat_category,
            reference: format!("{} row {}", h.file_name, h.line.row_no),
            account: h.line.account,
            cost_centre: h.line.cost_centre,
            learn: true,
        })
        .collect())
}

/// Approved lines as training examples: not learned (`learn: false`) when their vendor was
/// forgotten after they were approved or a person marked them "don't learn". Also returns how
/// many were skipped for a forgotten vendor.
fn approved_examples(
    lines: Vec<ApprovedLine>,
    forgotten: &[ForgottenVendor],
    no_learn: &BTreeSet<(DocumentId, u32)>,
) -> (Vec<Example>, u32) {
    let mut skipped = 0u32;
    let examples = lines
        .into_iter()
        .map(|a| {
            let key = supplier_key(&a.supplier);
            let forgot = forgotten
                .iter()
                .any(|f| f.supplier_key == key && a.approved_at <= f.forgotten_at);
            skipped += u32::from(forgot);
            Example {
                date: a.date,
                reference: format!("{} ({}) line {}", a.number, a.document, a.line_no),
                learn: !forgot && !no_learn.contains(&(a.document, a.line_no)),
                supplier: a.supplier,
                description: a.description,
                amount: a.amount,
                vat_category: None,
                account: a.account,
                cost_centre: a.dimensions.get(COST_CENTRE).cloned().unwrap_or_default(),
            }
        })
        .collect();
    (examples, skipped)
}

/// What the learned suggester learns from: imported history, and the expense lines of approved
/// journals — except lines of forgotten vendors (approved before they were forgotten) and lines
/// a person marked "don't learn from this". Also returns how many approved lines are skipped for
/// a forgotten vendor.
pub(crate) fn training_examples(store: &Store) -> Result<(Vec<Example>, u32), AppError> {
    let mut examples = history_examples(store)?;
    let no_learn: BTreeSet<(DocumentId, u32)> = store
        .person_values()?
        .into_iter()
        .filter(|p| !p.proposal.learn)
        .map(|p| (p.document, p.proposal.line_no))
        .collect();
    let (approved, skipped) = approved_examples(
        store.approved_lines()?,
        &store.forgotten_vendors()?,
        &no_learn,
    );
    examples.extend(approved);
    Ok((examples, skipped))
}

fn learnable(examples: &[Example]) -> usize {
    examples.iter().filter(|e| e.learn).count()
}

/// The model of the workspace's snapshot, when it learned `state` or a state that `state` only
/// adds journals to; otherwise why not (nothing there, damaged, another format, another state).
fn load_snapshot(dir: &Path, state: &LearningState) -> Result<Cached, String> {
    let bytes = model_snapshot::read(dir)?.ok_or_else(|| "there is none".to_owned())?;
    let unverified = model_snapshot::open(bytes)?;
    if unverified.header.state != *state {
        state
            .journals_added_since(&unverified.header.state)
            .map_err(|why| format!("it learned another state: {why}"))?;
    }
    let (header, model) = unverified.model()?;
    Ok(Cached {
        fingerprint: String::new(),
        state: header.state,
        model: Arc::new(model),
        trained_version: header.trained_version,
        trained_lines: header.trained_lines,
        fitted: header.fitted,
        since_training: header.since_training,
        trained_because: header.trained_because,
    })
}

/// Decides, from the database as it is now, what brings `cached` up to date, and reads what
/// that needs; with no model yet, the workspace's snapshot is tried first (`ignored` then says
/// why it was not used). Runs inside one read transaction.
fn plan(
    store: &Store,
    dir: &Path,
    cached: Option<Cached>,
    ignored: &mut Option<String>,
) -> Result<Step, AppError> {
    let fingerprint = store.learning_fingerprint()?;
    let state = store.learning_state()?;
    let (cached, loaded) = match cached {
        Some(cached) => (Some(cached), false),
        None => match load_snapshot(dir, &state) {
            Ok(loaded) => (Some(loaded), true),
            Err(why) => {
                *ignored = Some(why);
                (None, false)
            }
        },
    };
    let reason = match cached {
        Some(mut cached) if cached.state == state => {
            // Something changed that is not learned from (a journal queued or posted, say).
            cached.fingerprint = fingerprint;
            return Ok(if loaded {
                Step::Loaded(cached)
            } else {
                Step::Keep(cached)
            });
        }
        None => match ignored {
            Some(why) => format!("no model trained yet (the snapshot was not used: {why})"),
            None => "no model trained yet".to_owned(),
        },
        Some(cached) => match state.journals_added_since(&cached.state) {
            Err(why) => why,
            Ok(_) if !cached.fitted => format!(
                "the model had too few lines ({}) to fit its weights: a small model is retrained \
                 at every change",
                cached.trained_lines
            ),
            Ok(added) => {
                let (examples, _) = approved_examples(
                    store.approved_lines_of(&added)?,
                    &state.forgotten,
                    &state.no_learn,
                );
                let lines = learnable(&examples);
                let limit = cached.trained_lines * REFIT_PERCENT / 100;
                if cached.since_training + lines <= limit {
                    return Ok(Step::Update {
                        cached,
                        fingerprint,
                        state,
                        journals: added.len(),
                        examples,
                        loaded,
                    });
                }
                format!(
                    "refit: {} lines learned since the last full training would exceed \
                     {REFIT_PERCENT} % of its {} lines",
                    cached.since_training + lines,
                    cached.trained_lines
                )
            }
        },
    };
    let (examples, _) = training_examples(store)?;
    Ok(Step::Train {
        fingerprint,
        state,
        examples,
        reason,
    })
}

impl Workspace {
    /// The learned suggester brought up to date with what the workspace learns from now, and
    /// what that took (see the module docs).
    fn refresh(&self) -> Result<(Model, ModelRefresh), AppError> {
        let mut inner = self.model_cache.0.borrow_mut();
        let taken = inner.cached.take();
        let mut ignored = None;
        let step = self
            .store
            .read_consistently(|store| plan(store, self.path(), taken, &mut ignored))?;
        if ignored.is_some() {
            inner.stats.snapshot_ignored = ignored;
        }
        let (cached, action, reason, journals_learned, lines_learned) = match step {
            Step::Keep(cached) => (cached, "cached", None, 0, 0),
            Step::Loaded(cached) => {
                inner.stats.snapshot_loads += 1;
                inner.stats.last_full_train = cached.trained_because.clone();
                (cached, "loaded", None, 0, 0)
            }
            Step::Update {
                mut cached,
                fingerprint,
                state,
                journals,
                examples,
                loaded,
            } => {
                if loaded {
                    inner.stats.snapshot_loads += 1;
                    inner.stats.last_full_train = cached.trained_because.clone();
                }
                let lines = learnable(&examples);
                // In place when no coding run holds the model any more (the usual case).
                Arc::make_mut(&mut cached.model).update(&examples);
                cached.fingerprint = fingerprint;
                cached.state = state;
                cached.since_training += lines;
                inner.stats.incremental_updates += 1;
                (cached, "updated", None, journals, lines)
            }
            Step::Train {
                fingerprint,
                state,
                examples,
                reason,
            } => {
                let model = Suggester::train(&examples, &TrainOptions::default());
                let cached = Cached {
                    fingerprint,
                    state,
                    trained_version: model.version(),
                    trained_lines: model.line_count(),
                    fitted: !model.fit_report().targets.is_empty(),
                    since_training: 0,
                    trained_because: Some(reason.clone()),
                    model: Arc::new(model),
                };
                inner.stats.full_trains += 1;
                inner.stats.last_full_train = Some(reason.clone());
                (cached, "trained", Some(reason), 0, 0)
            }
        };
        inner.stats.lines_since_training = cached.since_training;
        if matches!(action, "trained" | "updated") {
            // Kept for the next process (see the module docs); a failure only costs it a training.
            let header = SnapshotHeader {
                model_version: cached.model.version(),
                trained_version: cached.trained_version.clone(),
                trained_lines: cached.trained_lines,
                fitted: cached.fitted,
                since_training: cached.since_training,
                trained_because: cached.trained_because.clone(),
                state: cached.state.clone(),
            };
            let bytes = model_snapshot::encode(&header, &cached.model);
            match model_snapshot::write(self.path(), &bytes) {
                Ok(()) => inner.stats.snapshot_writes += 1,
                Err(e) => {
                    // An older snapshot left in place would never be trusted (its state is not
                    // the store's), but it may hold lines since forgotten: remove it.
                    let _ = std::fs::remove_file(model_snapshot::snapshot_path(self.path()));
                    inner.stats.snapshot_error = Some(e);
                }
            }
        }
        let model = Model {
            suggester: cached.model.clone(),
            version: cached.version(),
        };
        let report = ModelRefresh {
            action,
            reason,
            journals_learned,
            lines_learned,
            model_lines: cached.model.line_count(),
            version: model.version.clone(),
        };
        inner.cached = Some(cached);
        Ok((model, report))
    }

    /// The learned suggester, up to date with what the workspace learns from now.
    pub(crate) fn model(&self) -> Result<Model, AppError> {
        Ok(self.refresh()?.0)
    }

    /// Brings the learned suggester up to date now (coding does it first anyway): a front end
    /// may call it after an approval, off the reviewer's path, so that the next document is
    /// coded without waiting. Says whether the model was kept, updated or trained, and why.
    pub fn refresh_model(&self) -> Result<ModelRefresh, AppError> {
        Ok(self.refresh()?.1)
    }

    /// What this workspace handle's model cache did so far.
    pub fn model_cache_stats(&self) -> ModelCacheStats {
        self.model_cache.0.borrow().stats.clone()
    }
}
