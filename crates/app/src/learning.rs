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
//! lives across approvals, while the CLI trains once per command.

use crate::error::AppError;
use crate::settings::COST_CENTRE;
use crate::workspace::Workspace;
use folio_coding::learn::features::supplier_key;
use folio_coding::learn::{Example, Suggester, TrainOptions};
use folio_store::{ApprovedLine, DocumentId, ForgottenVendor, LearningState, Store};
use std::cell::RefCell;
use std::collections::BTreeSet;
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
    /// Why the last full training happened.
    pub last_full_train: Option<String>,
}

/// What [`Workspace::refresh_model`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRefresh {
    /// `cached`, `updated` or `trained`.
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
    Update {
        cached: Cached,
        fingerprint: String,
        state: LearningState,
        journals: usize,
        examples: Vec<Example>,
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

/// Decides, from the database as it is now, what brings `cached` up to date, and reads what
/// that needs. Runs inside one read transaction.
fn plan(store: &Store, cached: Option<Cached>) -> Result<Step, AppError> {
    let fingerprint = store.learning_fingerprint()?;
    let state = store.learning_state()?;
    let reason = match cached {
        Some(mut cached) if cached.state == state => {
            // Something changed that is not learned from (a journal queued or posted, say).
            cached.fingerprint = fingerprint;
            return Ok(Step::Keep(cached));
        }
        None => "no model trained yet".to_owned(),
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
        let step = self.store.read_consistently(|store| plan(store, taken))?;
        let (cached, action, reason, journals_learned, lines_learned) = match step {
            Step::Keep(cached) => (cached, "cached", None, 0, 0),
            Step::Update {
                mut cached,
                fingerprint,
                state,
                journals,
                examples,
            } => {
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
                    model: Arc::new(model),
                };
                inner.stats.full_trains += 1;
                inner.stats.last_full_train = Some(reason.clone());
                (cached, "trained", Some(reason), 0, 0)
            }
        };
        inner.stats.lines_since_training = cached.since_training;
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
