//! The learned suggester: codes a line (account and cost centre) from approved history.
//!
//! Why this design (measured on 110,912 real council invoice lines; see `cargo xtask bench coding`):
//! a supplier's history decides most lines, but four lines in five come from suppliers coded to
//! several accounts, a quarter of lines come from suppliers never seen before, and the chart drifts
//! over time. So each target is a recency-weighted count model over hashed features of the
//! supplier, description, amount and VAT category ([`features`]), combined log-linearly with one
//! weight per feature group fitted on the most recent part of the history ([`model`]) — separately
//! for known and unknown suppliers, because what helps for one hurts the other. For a known
//! supplier that score is mixed with a hierarchical back-off ([`backoff`]): the supplier's own
//! history (and its history with this description) decides in proportion to how much of it there
//! is, and backs off to the cross-supplier model; strengths and mix are chosen on the same
//! held-out tail. How sure a suggestion is comes from a small logistic model over signals of
//! the prediction (margin, how much of the supplier's history backs it, whether the supplier's last
//! lines agree; [`confidence`]), and is calibrated by isotonic regression ([`calibration`]), both
//! fitted on that same held-out tail. Counts make
//! incremental learning exact (approve = add, forget a vendor = subtract, "don't learn" = skip) and
//! training fast (one pass, two threads).
//!
//! Nothing here reads the clock or a random source: recency is measured from the newest line the
//! model has learned, and the held-out tail is chosen by date, so the same history always gives
//! the same model and the same suggestions.

pub mod backoff;
pub mod calibration;
pub mod confidence;
mod explain;
pub mod features;
pub mod model;
pub mod snapshot;

pub use explain::{Explanation, FeatureContribution, SimilarLine};

use backoff::{Backoff, BackoffFit, Level};
use calibration::Isotonic;
use chrono::NaiveDate;
use confidence::{ConfidenceModel, Signals, SupplierContext};
use features::{Feature, LineInput, description_tokens, extract, hash_parts, supplier_key};
use model::{Evidence, FitCase, TargetModel, WeightFit, Weights, default_weights, fit_weights};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The fields the suggester predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Account,
    CostCentre,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Account, Target::CostCentre];

    pub fn name(self) -> &'static str {
        match self {
            Target::Account => "account",
            Target::CostCentre => "cost_centre",
        }
    }

    fn index(self) -> usize {
        match self {
            Target::Account => 0,
            Target::CostCentre => 1,
        }
    }
}

/// An approved (or imported) coded line to learn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub date: NaiveDate,
    pub supplier: String,
    pub description: String,
    pub amount: Decimal,
    pub vat_category: Option<String>,
    /// How a reviewer recognises the line: an invoice number, or `line 12` of a history file.
    pub reference: String,
    pub account: String,
    pub cost_centre: String,
    /// False when a reviewer marked the correction "don't learn from this".
    pub learn: bool,
}

impl Example {
    fn input(&self) -> LineInput<'_> {
        LineInput {
            date: self.date,
            supplier: &self.supplier,
            description: &self.description,
            amount: self.amount,
            vat_category: self.vat_category.as_deref(),
        }
    }

    fn label(&self, target: Target) -> &str {
        match target {
            Target::Account => &self.account,
            Target::CostCentre => &self.cost_centre,
        }
    }
}

/// A line to code.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub date: NaiveDate,
    pub supplier: String,
    pub description: String,
    pub amount: Decimal,
    pub vat_category: Option<String>,
}

impl Query {
    fn input(&self) -> LineInput<'_> {
        LineInput {
            date: self.date,
            supplier: &self.supplier,
            description: &self.description,
            amount: self.amount,
            vat_category: self.vat_category.as_deref(),
        }
    }
}

impl From<&Example> for Query {
    fn from(e: &Example) -> Self {
        Query {
            date: e.date,
            supplier: e.supplier.clone(),
            description: e.description.clone(),
            amount: e.amount,
            vat_category: e.vat_category.clone(),
        }
    }
}

/// Training settings. The defaults were chosen by measurement on the Harrogate history.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// A line this many days older than the newest weighs half as much.
    pub half_life_days: f64,
    /// Pseudo-lines shrinking each feature's class distribution towards the prior.
    pub shrinkage: f64,
    /// Share of the history (the most recent lines) held out to fit weights and calibration.
    pub holdout_fraction: f64,
    /// At most this many held-out lines are used for fitting (evenly spaced).
    pub max_fit_cases: usize,
    /// Fit group weights and calibration (false: default weights, raw probabilities).
    pub fit: bool,
    /// Character n-gram sizes of description words (`(0, 0)`: none).
    pub ngrams: (usize, usize),
    /// Worker threads for training and bulk prediction (results do not depend on it).
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            half_life_days: 365.0,
            shrinkage: 2.0,
            holdout_fraction: 0.15,
            max_fit_cases: 6000,
            fit: true,
            ngrams: (3, 5),
            threads: 2,
        }
    }
}

/// One suggested value with its calibrated confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub value: String,
    pub confidence: f64,
}

/// The suggestion for one field: the best value and the top 3 (best first).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSuggestion {
    pub value: Option<String>,
    /// Calibrated: of suggestions with confidence 0.9, about nine in ten are right.
    pub confidence: f64,
    /// Up to three candidates, best first, the first being `value`.
    pub top: Vec<Candidate>,
}

/// The suggestion for one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub account: FieldSuggestion,
    pub cost_centre: FieldSuggestion,
    pub explanation: Option<Explanation>,
}

impl Suggestion {
    pub fn field(&self, target: Target) -> &FieldSuggestion {
        match target {
            Target::Account => &self.account,
            Target::CostCentre => &self.cost_centre,
        }
    }
}

/// What training measured and chose, per target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitReport {
    pub holdout_lines: usize,
    /// Per target: fits for lines from known and from unknown suppliers.
    pub targets: Vec<TargetFit>,
}

/// Fits of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFit {
    pub target: Target,
    pub known_supplier: Option<WeightFit>,
    pub unknown_supplier: Option<WeightFit>,
    /// Top-1 accuracy on the held-out cases with default and with fitted weights.
    pub holdout_accuracy_default: f64,
    pub holdout_accuracy_fitted: f64,
    /// The back-off strengths chosen for lines from known suppliers, with what they measured.
    pub backoff: Option<BackoffFit>,
    /// The confidence models for lines from known and from unknown suppliers.
    pub confidence: [Option<ConfidenceModel>; 2],
}

/// A learned line kept for explanations ("coded like …") and for forgetting a vendor.
#[derive(Debug, Clone)]
struct StoredLine {
    date: NaiveDate,
    supplier: String,
    supplier_key: String,
    description: String,
    amount: Decimal,
    vat_category: Option<String>,
    reference: String,
    classes: [u16; 2],
    tokens: Vec<u64>,
    hash: u64,
}

/// The learned suggester.
#[derive(Debug, Clone)]
pub struct Suggester {
    options: TrainOptions,
    origin: Option<NaiveDate>,
    latest: Option<NaiveDate>,
    targets: [TargetModel; 2],
    /// `[target][0 = known supplier, 1 = unknown supplier]`.
    weights: [[Weights; 2]; 2],
    /// `[target][0 = known supplier, 1 = unknown supplier]`.
    calibrators: [[Isotonic; 2]; 2],
    /// `[target][0 = known supplier, 1 = unknown supplier]`: the raw score before calibration
    /// (None: the top probability).
    confidence: [[Option<ConfidenceModel>; 2]; 2],
    /// Per target: the back-off strengths for lines from known suppliers.
    backoff: [Backoff; 2],
    lines: Vec<StoredLine>,
    by_supplier: HashMap<String, Vec<u32>>,
    by_description: HashMap<String, Vec<u32>>,
    content_hash: u64,
    report: FitReport,
}

/// Runs `f` over `items` in `threads` contiguous chunks and concatenates the results in order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    if threads == 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn token_hashes(description: &str) -> Vec<u64> {
    let mut tokens = Vec::new();
    description_tokens(description, &mut tokens);
    let mut hashes: Vec<u64> = tokens.iter().map(|t| hash_parts(0, &[t])).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

impl Suggester {
    /// An empty suggester (suggests nothing until it learns).
    pub fn new(options: TrainOptions) -> Self {
        Self {
            options,
            origin: None,
            latest: None,
            targets: [TargetModel::default(), TargetModel::default()],
            weights: [[default_weights(); 2]; 2],
            calibrators: Default::default(),
            confidence: Default::default(),
            backoff: [Backoff::default(); 2],
            lines: Vec::new(),
            by_supplier: HashMap::new(),
            by_description: HashMap::new(),
            content_hash: 0,
            report: FitReport::default(),
        }
    }

    /// Trains on `examples` (those marked `learn: false` are skipped). With `options.fit`, the
    /// most recent `holdout_fraction` of the history is first predicted by a model of the older
    /// part, to fit the group weights and the calibration; then it is learned too.
    pub fn train(examples: &[Example], options: &TrainOptions) -> Self {
        let mut learnable: Vec<&Example> = examples.iter().filter(|e| e.learn).collect();
        learnable.sort_by_key(|e| e.date);
        let mut suggester = Self::new(options.clone());
        let holdout = if options.fit && learnable.len() >= 200 {
            let mut cut = ((learnable.len() as f64) * (1.0 - options.holdout_fraction)) as usize;
            // Cut at a date boundary so that no day is split.
            while cut > 0 && cut < learnable.len() && learnable[cut].date == learnable[cut - 1].date
            {
                cut += 1;
            }
            cut.min(learnable.len())
        } else {
            learnable.len()
        };
        let (head, tail) = learnable.split_at(holdout);
        suggester.learn(head);
        if !tail.is_empty() {
            suggester.fit(tail);
            suggester.learn(tail);
        }
        suggester
    }

    /// Learns more approved lines (an approved journal). Weights and calibration stay as fitted;
    /// the counts become exactly those of a model trained on all lines so far.
    pub fn update(&mut self, examples: &[Example]) {
        let learnable: Vec<&Example> = examples.iter().filter(|e| e.learn).collect();
        self.learn(&learnable);
    }

    /// Forgets everything learned from a vendor (matched by normalised name); returns how many
    /// lines were forgotten. The vendor's lines are suggested afterwards as if never seen.
    pub fn forget_vendor(&mut self, supplier: &str) -> usize {
        let key = supplier_key(supplier);
        let Some(origin) = self.origin else {
            return 0;
        };
        let (gone, kept): (Vec<StoredLine>, Vec<StoredLine>) = std::mem::take(&mut self.lines)
            .into_iter()
            .partition(|l| l.supplier_key == key);
        let ngrams = self.options.ngrams;
        let mut features = Vec::new();
        for line in &gone {
            let input = LineInput {
                date: line.date,
                supplier: &line.supplier,
                description: &line.description,
                amount: line.amount,
                vat_category: line.vat_category.as_deref(),
            };
            extract(&input, ngrams, &mut features, None);
            let weight = self.line_weight(origin, line.date);
            for (t, model) in self.targets.iter_mut().enumerate() {
                model.add(&features, line.classes[t], -weight);
            }
            self.content_hash = self.content_hash.wrapping_sub(line.hash);
        }
        self.lines = kept;
        self.latest = self.lines.iter().map(|l| l.date).max();
        self.rebuild_indexes();
        self.compile();
        gone.len()
    }

    /// The model version shown in explanations: changes whenever what it learned changes.
    pub fn version(&self) -> String {
        format!(
            "learned-v3/{}-lines/{}/{:08x}",
            self.lines.len(),
            self.latest
                .map_or_else(|| "empty".to_owned(), |d| d.to_string()),
            (self.content_hash ^ (self.content_hash >> 32)) & 0xffff_ffff
        )
    }

    /// What training measured and chose.
    pub fn fit_report(&self) -> &FitReport {
        &self.report
    }

    /// Number of learned lines.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Whether a supplier has learned lines.
    pub fn knows_supplier(&self, supplier: &str) -> bool {
        self.by_supplier.contains_key(&supplier_key(supplier))
    }

    /// The values of the supplier's most recently learned lines (at most
    /// [`confidence::RECENT_LINES`], in learning order, which is date order for a trained model
    /// and for approvals added later).
    fn recent_classes(&self, supplier: &str, target: Target) -> Vec<u16> {
        let Some(indices) = self.by_supplier.get(&supplier_key(supplier)) else {
            return Vec::new();
        };
        let from = indices.len().saturating_sub(confidence::RECENT_LINES);
        indices[from..]
            .iter()
            .filter_map(|&i| self.lines.get(i as usize))
            .map(|l| l.classes[target.index()])
            .collect()
    }

    fn line_weight(&self, origin: NaiveDate, date: NaiveDate) -> f64 {
        let days = (date - origin).num_days() as f64;
        (days / self.options.half_life_days).exp2()
    }

    fn compile(&mut self) {
        let (Some(origin), Some(latest)) = (self.origin, self.latest) else {
            return;
        };
        let scale = self.line_weight(origin, latest).recip();
        let mut keys: Vec<&String> = self.by_supplier.keys().collect();
        keys.sort();
        let suppliers: Vec<(u64, Vec<u64>)> = keys
            .into_iter()
            .map(|key| {
                (
                    hash_parts(features::Group::Supplier as u8, &[key]),
                    features::supplier_words(key)
                        .map(|w| hash_parts(features::Group::SupplierWord as u8, &[w]))
                        .collect(),
                )
            })
            .collect();
        for model in &mut self.targets {
            model.derive_supplier_words(&suppliers, scale);
            model.compile(scale, self.options.shrinkage);
        }
    }

    fn rebuild_indexes(&mut self) {
        self.by_supplier.clear();
        self.by_description.clear();
        for (i, line) in self.lines.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            self.by_supplier
                .entry(line.supplier_key.clone())
                .or_default()
                .push(i);
            self.by_description
                .entry(features::description_key(&line.description))
                .or_default()
                .push(i);
        }
    }

    fn learn(&mut self, examples: &[&Example]) {
        if examples.is_empty() {
            return;
        }
        let first = examples.iter().map(|e| e.date).min();
        let origin = *self.origin.get_or_insert_with(|| first.unwrap_or_default());
        let ngrams = self.options.ngrams;
        let extracted: Vec<Vec<Feature>> = parallel_map(examples, self.options.threads, |e| {
            let mut out = Vec::new();
            extract(&e.input(), ngrams, &mut out, None);
            out
        });
        let weights: Vec<f64> = examples
            .iter()
            .map(|e| self.line_weight(origin, e.date))
            .collect();
        let mut classes = vec![[0u16; 2]; examples.len()];
        for target in Target::ALL {
            let t = target.index();
            for (e, c) in examples.iter().zip(classes.iter_mut()) {
                c[t] = self.targets[t].label_id(e.label(target));
            }
        }
        let [account, cost_centre] = &mut self.targets;
        let count = |model: &mut TargetModel, t: usize| {
            for ((features, w), c) in extracted.iter().zip(&weights).zip(&classes) {
                model.add(features, c[t], *w);
            }
        };
        if self.options.threads > 1 {
            std::thread::scope(|scope| {
                scope.spawn(|| count(account, 0));
                count(cost_centre, 1);
            });
        } else {
            count(account, 0);
            count(cost_centre, 1);
        }
        for (e, c) in examples.iter().zip(classes) {
            let hash = hash_parts(
                7,
                &[
                    &e.date.to_string(),
                    &e.supplier,
                    &e.description,
                    &e.amount.normalize().to_string(),
                    &e.account,
                    &e.cost_centre,
                    &e.reference,
                ],
            );
            self.content_hash = self.content_hash.wrapping_add(hash);
            let index = u32::try_from(self.lines.len()).unwrap_or(u32::MAX);
            let line = StoredLine {
                date: e.date,
                supplier: e.supplier.clone(),
                supplier_key: supplier_key(&e.supplier),
                description: e.description.clone(),
                amount: e.amount,
                vat_category: e.vat_category.clone(),
                reference: e.reference.clone(),
                classes: c,
                tokens: token_hashes(&e.description),
                hash,
            };
            self.by_supplier
                .entry(line.supplier_key.clone())
                .or_default()
                .push(index);
            self.by_description
                .entry(features::description_key(&line.description))
                .or_default()
                .push(index);
            self.lines.push(line);
        }
        self.latest = self.latest.max(examples.iter().map(|e| e.date).max());
        self.compile();
    }

    /// Fits group weights and calibration on held-out lines the model has not learned yet.
    fn fit(&mut self, tail: &[&Example]) {
        let step = tail
            .len()
            .div_ceil(self.options.max_fit_cases.max(1))
            .max(1);
        let sample: Vec<&Example> = tail.iter().step_by(step).copied().collect();
        let ngrams = self.options.ngrams;
        let prepared: Vec<(Vec<Feature>, bool)> =
            parallel_map(&sample, self.options.threads, |e| {
                let mut out = Vec::new();
                extract(&e.input(), ngrams, &mut out, None);
                let known = self.by_supplier.contains_key(&supplier_key(&e.supplier));
                (out, known)
            });
        self.report.holdout_lines = tail.len();
        let mut fits = Vec::new();
        let mut calibrators: [[Isotonic; 2]; 2] = Default::default();
        let mut weights = self.weights;
        let per_target = |target: Target| {
            let t = target.index();
            let model = &self.targets[t];
            let classes = model.labels.len();
            let mut scratch = vec![0f32; features::GROUPS * classes];
            let mut regimes: [Vec<FitCase>; 2] = [Vec::new(), Vec::new()];
            let mut known_levels: Vec<(Level, Level)> = Vec::new();
            let mut known_recent: Vec<Vec<u16>> = Vec::new();
            let mut unknown_truth: [usize; 2] = [0, 0];
            for (e, (f, known)) in sample.iter().zip(&prepared) {
                let r = usize::from(!known);
                match model.find(e.label(target)) {
                    Some(truth) => {
                        let mut evidence = Evidence::default();
                        model.evidence(f, &mut scratch, &mut evidence);
                        regimes[r].push(FitCase { evidence, truth });
                        if r == 0 {
                            known_levels.push(levels(model, f));
                            known_recent.push(self.recent_classes(&e.supplier, target));
                        }
                    }
                    None => unknown_truth[r] += 1,
                }
            }
            let mut fitted = [default_weights(); 2];
            let mut fit_results: [Option<WeightFit>; 2] = [None, None];
            for r in 0..2 {
                if regimes[r].len() >= 30 {
                    let fit = fit_weights(&model.log_prior, &regimes[r], &default_weights(), 60);
                    fitted[r] = fit.weights;
                    fit_results[r] = Some(fit);
                }
            }
            // Lines from known suppliers: choose the back-off strengths on the same cases.
            let cross = cross_weights(&fitted[1]);
            let mut p = Vec::new();
            let mut q = Vec::new();
            let backoff_cases: Vec<backoff::FitCase> = regimes[0]
                .iter()
                .zip(known_levels)
                .map(|(case, (supplier, description))| {
                    model::scores(&model.log_prior, &case.evidence, &fitted[0], &mut p);
                    model::softmax(&mut p);
                    model::scores(&model.log_prior, &case.evidence, &cross, &mut q);
                    model::softmax(&mut q);
                    backoff::FitCase::new(case.truth, &p, &q, supplier, description, 4)
                })
                .collect();
            let backoff_fit = backoff::fit(&backoff_cases);
            let chosen = backoff_fit.chosen;
            let mut signalled: [Vec<(Signals, f64, bool)>; 2] = [Vec::new(), Vec::new()];
            let mut right_default = 0usize;
            let mut right_fitted = 0usize;
            for (r, cases) in regimes.iter().enumerate() {
                for (i, case) in cases.iter().enumerate() {
                    model::scores(&model.log_prior, &case.evidence, &default_weights(), &mut p);
                    if argmax(&p) == usize::from(case.truth) {
                        right_default += 1;
                    }
                    model::scores(&model.log_prior, &case.evidence, &fitted[r], &mut p);
                    model::softmax(&mut p);
                    if r == 0 {
                        model::scores(&model.log_prior, &case.evidence, &cross, &mut q);
                        model::softmax(&mut q);
                        let b = &backoff_cases[i];
                        chosen.combine(&mut p, &q, &b.supplier, &b.description);
                    }
                    let (best, second) = top_two(&p);
                    let right = best == usize::from(case.truth);
                    right_fitted += usize::from(right);
                    let context = (r == 0).then(|| SupplierContext {
                        supplier: &backoff_cases[i].supplier,
                        description: &backoff_cases[i].description,
                        cross: &q,
                        recent: &known_recent[i],
                    });
                    let s = confidence::signals(&p, best, second, context);
                    signalled[r].push((s, p[best], right));
                }
            }
            let confidence_models: [Option<ConfidenceModel>; 2] = std::array::from_fn(|r| {
                let cases: Vec<(Signals, bool)> = signalled[r]
                    .iter()
                    .map(|(s, _, right)| (*s, *right))
                    .collect();
                ConfidenceModel::fit(&cases)
            });
            let mut samples: [Vec<(f64, bool)>; 2] = [Vec::new(), Vec::new()];
            for r in 0..2 {
                samples[r] = signalled[r]
                    .iter()
                    .map(|(s, top, right)| {
                        let raw = confidence_models[r].as_ref().map_or(*top, |m| m.score(s));
                        (raw, *right)
                    })
                    .collect();
                // Lines whose true value the model had never seen are always wrong; they count
                // for calibration at the median raw score of the rest.
                let mut raw: Vec<f64> = samples[r].iter().map(|s| s.0).collect();
                raw.sort_by(f64::total_cmp);
                let median = raw.get(raw.len() / 2).copied().unwrap_or(0.5);
                for _ in 0..unknown_truth[r] {
                    samples[r].push((median, false));
                }
            }
            let total = (regimes[0].len() + regimes[1].len() + unknown_truth[0] + unknown_truth[1])
                .max(1) as f64;
            // Each kind of line gets its own calibration when there is enough of it: lines from
            // unknown suppliers are right far less often at the same raw score.
            let pooled: Vec<(f64, bool)> = samples.concat();
            let isotonic = |own: &[(f64, bool)]| {
                if own.len() >= 200 {
                    Isotonic::fit(own)
                } else {
                    Isotonic::fit(&pooled)
                }
            };
            let calibration = [isotonic(&samples[0]), isotonic(&samples[1])];
            let fit = TargetFit {
                target,
                known_supplier: fit_results[0].clone(),
                unknown_supplier: fit_results[1].clone(),
                holdout_accuracy_default: right_default as f64 / total,
                holdout_accuracy_fitted: right_fitted as f64 / total,
                backoff: (backoff_fit.cases > 0).then_some(backoff_fit),
                confidence: confidence_models.clone(),
            };
            (fitted, calibration, chosen, fit, confidence_models)
        };
        let results: Vec<_> = if self.options.threads > 1 {
            std::thread::scope(|scope| {
                let handle = scope.spawn(|| per_target(Target::Account));
                let second = per_target(Target::CostCentre);
                let first = handle.join().ok();
                [first, Some(second)]
            })
            .into_iter()
            .flatten()
            .collect()
        } else {
            Target::ALL.iter().map(|t| per_target(*t)).collect()
        };
        for (t, (w, iso, b, fit, conf)) in results.into_iter().enumerate() {
            weights[t] = w;
            self.confidence[t] = conf;
            calibrators[t] = iso;
            self.backoff[t] = b;
            fits.push(fit);
        }
        self.weights = weights;
        self.calibrators = calibrators;
        self.report.targets = fits;
    }

    /// Suggests the coding of one line, with an explanation.
    pub fn suggest(&self, query: &Query) -> Suggestion {
        let mut scratch = Scratch::default();
        self.suggest_with(query, true, &mut scratch)
    }

    /// Suggests many lines (in parallel; the result does not depend on the thread count).
    pub fn suggest_many(&self, queries: &[Query], explain: bool) -> Vec<Suggestion> {
        let threads = self.options.threads.max(1);
        if threads == 1 || queries.len() < 64 {
            let mut scratch = Scratch::default();
            return queries
                .iter()
                .map(|q| self.suggest_with(q, explain, &mut scratch))
                .collect();
        }
        let chunk = queries.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = queries
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut scratch = Scratch::default();
                        part.iter()
                            .map(|q| self.suggest_with(q, explain, &mut scratch))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    fn suggest_with(&self, query: &Query, explain: bool, scratch: &mut Scratch) -> Suggestion {
        let input = query.input();
        let mut names = Vec::new();
        extract(
            &input,
            self.options.ngrams,
            &mut scratch.features,
            explain.then_some(&mut names),
        );
        let known = self
            .by_supplier
            .contains_key(&supplier_key(&query.supplier));
        let regime = usize::from(!known);
        let mut fields = Vec::with_capacity(2);
        let mut best_classes = [None; 2];
        for target in Target::ALL {
            let t = target.index();
            let model = &self.targets[t];
            let classes = model.labels.len();
            if classes == 0 {
                fields.push(FieldSuggestion {
                    value: None,
                    confidence: 0.0,
                    top: Vec::new(),
                });
                continue;
            }
            scratch.dense.clear();
            scratch.dense.resize(features::GROUPS * classes, 0.0);
            model.evidence(&scratch.features, &mut scratch.dense, &mut scratch.evidence);
            model::scores(
                &model.log_prior,
                &scratch.evidence,
                &self.weights[t][regime],
                &mut scratch.probs,
            );
            model::softmax(&mut scratch.probs);
            let mut supplier_levels = None;
            if known {
                // Lines from a known supplier: back off from the supplier's own history.
                model::scores(
                    &model.log_prior,
                    &scratch.evidence,
                    &cross_weights(&self.weights[t][1]),
                    &mut scratch.cross,
                );
                model::softmax(&mut scratch.cross);
                let (supplier, description) = levels(model, &scratch.features);
                self.backoff[t].combine(
                    &mut scratch.probs,
                    &scratch.cross,
                    &supplier,
                    &description,
                );
                supplier_levels = Some((
                    supplier,
                    description,
                    self.recent_classes(&query.supplier, target),
                ));
            }
            let probs = &scratch.probs;
            // The three most probable classes (ties: lower class id first), in one pass.
            let mut order: Vec<usize> = Vec::with_capacity(4);
            for c in (0..classes).filter(|c| model.log_prior[*c] > model::NO_CLASS) {
                let at = order
                    .iter()
                    .position(|&o| probs[c] > probs[o])
                    .unwrap_or(order.len());
                if at < 3 {
                    order.insert(at, c);
                    order.truncate(3);
                }
            }
            if order.is_empty() {
                fields.push(FieldSuggestion {
                    value: None,
                    confidence: 0.0,
                    top: Vec::new(),
                });
                continue;
            }
            let p_top = probs[order[0]];
            let raw = match &self.confidence[t][regime] {
                Some(m) => {
                    let context =
                        supplier_levels
                            .as_ref()
                            .map(|(supplier, description, recent)| SupplierContext {
                                supplier,
                                description,
                                cross: &scratch.cross,
                                recent,
                            });
                    m.score(&confidence::signals(
                        probs,
                        order[0],
                        order.get(1).copied(),
                        context,
                    ))
                }
                None => p_top,
            };
            let confidence = self.calibrators[t][regime].apply(raw);
            let rest_scale = if p_top < 1.0 {
                (1.0 - confidence) / (1.0 - p_top)
            } else {
                0.0
            };
            let top: Vec<Candidate> = order
                .iter()
                .enumerate()
                .map(|(rank, &c)| Candidate {
                    value: model.labels[c].clone(),
                    confidence: if rank == 0 {
                        confidence
                    } else {
                        (probs[c] * rest_scale).min(confidence)
                    },
                })
                .collect();
            best_classes[t] = u16::try_from(order[0]).ok();
            fields.push(FieldSuggestion {
                value: Some(model.labels[order[0]].clone()),
                confidence,
                top,
            });
        }
        let explanation = explain.then(|| {
            explain::explain(self, query, &scratch.features, &names, regime, best_classes)
        });
        let cost_centre = fields.pop().unwrap_or(FieldSuggestion {
            value: None,
            confidence: 0.0,
            top: Vec::new(),
        });
        let account = fields.pop().unwrap_or(FieldSuggestion {
            value: None,
            confidence: 0.0,
            top: Vec::new(),
        });
        Suggestion {
            account,
            cost_centre,
            explanation,
        }
    }
}

#[derive(Debug, Default)]
struct Scratch {
    features: Vec<Feature>,
    dense: Vec<f32>,
    evidence: Evidence,
    probs: Vec<f64>,
    cross: Vec<f64>,
}

/// The weights of the cross-supplier model: those fitted on lines of suppliers the model had not
/// seen, with the groups that name the supplier turned off (the back-off levels hold them).
fn cross_weights(unknown: &Weights) -> Weights {
    let mut w = *unknown;
    for g in features::Group::ALL {
        if g.is_supplier_specific() {
            w[1 + g as usize] = 0.0;
        }
    }
    w
}

/// The supplier's and the supplier-and-description's counts for a line's features.
fn levels(model: &TargetModel, features: &[Feature]) -> (Level, Level) {
    let level = |group: features::Group| {
        features
            .iter()
            .find(|f| f.group == group)
            .and_then(|f| model.counts(f.id))
            .map(|(total, classes)| Level {
                total,
                classes: classes.collect(),
            })
            .unwrap_or_default()
    };
    (
        level(features::Group::Supplier),
        level(features::Group::SupplierDescription),
    )
}

/// The most and the second most probable classes (ties: the lower class first).
fn top_two(values: &[f64]) -> (usize, Option<usize>) {
    let best = argmax(values);
    let mut second: Option<usize> = None;
    for (i, v) in values.iter().enumerate() {
        if i != best && second.is_none_or(|s| *v > values[s]) {
            second = Some(i);
        }
    }
    (best, second)
}

/// The index of the largest value (ties: the lowest index).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}
