//! One target's model (account, or cost centre): recency-weighted counts and a log-linear score.
//!
//! Why counts: they make every operation the issue asks for exact and cheap. Training is one pass;
//! approving a journal adds its lines' counts (so an incremental update equals retraining on the
//! union); forgetting a vendor subtracts them; "don't learn from this" simply never adds. Recency
//! is a weight of `2^(days / half_life)` on each line, stored relative to the model's first day,
//! and rescaled at scoring time so the newest line weighs 1: the chart of accounts changes over
//! time, and accounts a supplier has not used lately fade without being forgotten.
//!
//! The score of class `y` for a line with features `F` is
//! `a_prior * ln P(y) + sum_g a_g * mean_{f in F_g, f known} ln(P(y|f) / P(y))`, with `P(y|f)`
//! shrunk towards `P(y)` by `mu` pseudo-lines. Only the classes a feature has seen get a term
//! (the others share a constant that cancels in the softmax), so scoring is sparse. The group
//! weights `a` are fitted by measurement (maximum likelihood on a held-out recent tail, see
//! [`fit_weights`]), one set for lines from known suppliers and one for unknown suppliers.

use super::features::{Feature, GROUPS, Group};
use super::snapshot::{Reader, SnapshotError, Writer};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Feature ids are already well-mixed hashes: the map uses them as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// Counts for one feature.
#[derive(Debug, Clone, Default)]
struct FeatStat {
    total: f64,
    classes: Vec<(u16, f64)>,
    /// `ln(n'(f,y) + mu P(y)) - ln(mu P(y))` per entry of `classes`, filled by `compile`.
    corr: Vec<f32>,
    /// `ln((n'(f) + mu) / mu)`: subtracted from `corr` gives `ln(P(y|f) / P(y))`, the
    /// feature's evidence for the class relative to the prior (used by explanations).
    offset: f32,
}

/// Number of weights: the prior plus one per group.
pub const WEIGHTS: usize = GROUPS + 1;

/// Weights of the prior (index 0) and of each group (index `1 + group`).
pub type Weights = [f64; WEIGHTS];

/// Per class, the group-wise evidence of one line (sparse: only classes with evidence).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// `(class, group, value)`.
    pub entries: Vec<(u16, u8, f32)>,
}

/// Counts and compiled scores of one target.
#[derive(Debug, Clone, Default)]
pub struct TargetModel {
    pub labels: Vec<String>,
    index: HashMap<String, u16>,
    class_weight: Vec<f64>,
    feats: IdMap<FeatStat>,
    /// Ids of features derived at compile time (supplier-name words), replaced by each compile.
    derived: Vec<u64>,
    /// `ln P(y)` after `compile`.
    pub log_prior: Vec<f64>,
    /// The recency scale of the last `compile` (stored counts times this: the newest line is 1).
    scale: f64,
}

const EPSILON: f64 = 1e-9;

/// The log prior of a class that has no lines: never suggested.
pub const NO_CLASS: f64 = -1e6;

impl TargetModel {
    /// The class id of a label, adding it when new.
    pub fn label_id(&mut self, label: &str) -> u16 {
        if let Some(id) = self.index.get(label) {
            return *id;
        }
        let id = u16::try_from(self.labels.len()).unwrap_or(u16::MAX);
        self.labels.push(label.to_owned());
        self.index.insert(label.to_owned(), id);
        self.class_weight.push(0.0);
        id
    }

    /// The class id of a label, if known.
    pub fn find(&self, label: &str) -> Option<u16> {
        self.index.get(label).copied()
    }

    /// Adds (or with a negative weight, removes) one line's counts.
    pub fn add(&mut self, features: &[Feature], class: u16, weight: f64) {
        let c = usize::from(class);
        self.class_weight[c] = clean(self.class_weight[c] + weight);
        for f in features.iter().filter(|f| f.group != Group::SupplierWord) {
            let stat = self.feats.entry(f.id).or_default();
            stat.total = clean(stat.total + weight);
            match stat.classes.iter_mut().find(|(k, _)| *k == class) {
                Some(entry) => entry.1 = clean(entry.1 + weight),
                None => stat.classes.push((class, weight)),
            }
            if weight < 0.0 {
                stat.classes.retain(|(_, w)| *w > EPSILON);
                if stat.classes.is_empty() {
                    self.feats.remove(&f.id);
                }
            }
        }
    }

    /// Derives the supplier-name-word features from suppliers rather than lines: each supplier
    /// votes once, with its own class distribution, for each of its name words (a vote weighs
    /// less when the supplier's lines are old). Counting lines instead would let one big
    /// supplier decide what "MAINTENANCE" means for every new supplier with that word.
    /// `suppliers` gives each supplier's feature id and its name words' feature ids.
    pub fn derive_supplier_words(&mut self, suppliers: &[(u64, Vec<u64>)], scale: f64) {
        for id in std::mem::take(&mut self.derived) {
            self.feats.remove(&id);
        }
        let mut derived: IdMap<FeatStat> = IdMap::default();
        for (supplier, words) in suppliers {
            let Some(stat) = self.feats.get(supplier) else {
                continue;
            };
            if stat.total <= 0.0 {
                continue;
            }
            let vote = (stat.total * scale).min(1.0);
            for word in words {
                let entry = derived.entry(*word).or_default();
                entry.total += vote;
                for &(class, n) in &stat.classes {
                    let share = vote * n / stat.total;
                    match entry.classes.iter_mut().find(|(k, _)| *k == class) {
                        Some(e) => e.1 += share,
                        None => entry.classes.push((class, share)),
                    }
                }
            }
        }
        for (id, mut stat) in derived {
            // Stored in line units like the rest; `compile` applies `scale` to every count.
            let unscale = scale.recip();
            stat.total *= unscale;
            for e in &mut stat.classes {
                e.1 *= unscale;
            }
            self.derived.push(id);
            self.feats.insert(id, stat);
        }
        self.derived.sort_unstable();
    }

    /// The recency-weighted class counts of one feature (the newest line weighs 1): its total
    /// and `(class, count)` pairs. The back-off levels of the suggester read the supplier's and
    /// the supplier-and-description's counts here.
    pub fn counts(&self, id: u64) -> Option<(f64, impl Iterator<Item = (u16, f64)> + '_)> {
        let stat = self.feats.get(&id)?;
        let scale = self.scale;
        (stat.total > 0.0).then(|| {
            (
                stat.total * scale,
                stat.classes.iter().map(move |&(c, n)| (c, n * scale)),
            )
        })
    }

    /// Appends everything, compiled values included (see [`super::snapshot`]).
    pub(crate) fn write(&self, w: &mut Writer) {
        w.len(self.labels.len());
        for (label, weight) in self.labels.iter().zip(&self.class_weight) {
            w.str(label);
            w.f64(*weight);
        }
        w.len(self.feats.len());
        for (id, stat) in &self.feats {
            w.u64(*id);
            w.f64(stat.total);
            w.f32(stat.offset);
            w.len(stat.classes.len());
            w.bool(stat.corr.len() == stat.classes.len());
            for (&(class, n), corr) in stat
                .classes
                .iter()
                .zip(stat.corr.iter().copied().chain(std::iter::repeat(0.0)))
            {
                w.u16(class);
                w.f64(n);
                w.f32(corr);
            }
        }
        w.len(self.derived.len());
        for id in &self.derived {
            w.u64(*id);
        }
        w.len(self.log_prior.len());
        for v in &self.log_prior {
            w.f64(*v);
        }
        w.f64(self.scale);
    }

    /// What [`TargetModel::write`] wrote; the label index is rebuilt.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<TargetModel, SnapshotError> {
        let n = r.len(16)?;
        let mut model = TargetModel::default();
        for _ in 0..n {
            let label = r.string()?;
            let weight = r.f64()?;
            let id = model.label_id(&label);
            if usize::from(id) != model.labels.len() - 1 {
                return Err(r.invalid(format!("label {label:?} appears twice")));
            }
            model.class_weight[usize::from(id)] = weight;
        }
        let n = r.len(8 + 8 + 4 + 8 + 1)?;
        model.feats.reserve(n);
        for _ in 0..n {
            let id = r.u64()?;
            let total = r.f64()?;
            let offset = r.f32()?;
            let k = r.len(2 + 8 + 4)?;
            let compiled = r.bool()?;
            let mut classes = Vec::with_capacity(k);
            let mut corr = Vec::with_capacity(if compiled { k } else { 0 });
            for _ in 0..k {
                let class = r.u16()?;
                if usize::from(class) >= model.labels.len() {
                    return Err(r.invalid(format!(
                        "class {class} beyond the {} labels",
                        model.labels.len()
                    )));
                }
                classes.push((class, r.f64()?));
                let c = r.f32()?;
                if compiled {
                    corr.push(c);
                }
            }
            let stat = FeatStat {
                total,
                classes,
                corr,
                offset,
            };
            if model.feats.insert(id, stat).is_some() {
                return Err(r.invalid(format!("feature {id:016x} appears twice")));
            }
        }
        let n = r.len(8)?;
        model.derived = (0..n).map(|_| r.u64()).collect::<Result<_, _>>()?;
        let n = r.len(8)?;
        if n != model.labels.len() {
            return Err(r.invalid(format!("{n} prior terms for {} labels", model.labels.len())));
        }
        model.log_prior = (0..n).map(|_| r.f64()).collect::<Result<_, _>>()?;
        model.scale = r.f64()?;
        Ok(model)
    }

    /// Number of distinct features.
    pub fn feature_count(&self) -> usize {
        self.feats.len()
    }

    /// Precomputes the prior and every feature's per-class term for the given recency `scale`
    /// (multiplies stored counts so the newest line weighs 1) and shrinkage `mu`.
    pub fn compile(&mut self, scale: f64, mu: f64) {
        self.scale = scale;
        let total: f64 = self.class_weight.iter().sum::<f64>() * scale;
        // Classes with no learned line left (all forgotten) cannot be suggested.
        let classes = self
            .class_weight
            .iter()
            .filter(|w| **w > 0.0)
            .count()
            .max(1) as f64;
        self.log_prior = self
            .class_weight
            .iter()
            .map(|w| {
                if *w > 0.0 {
                    ((w * scale + 0.1) / (total + 0.1 * classes)).ln()
                } else {
                    NO_CLASS
                }
            })
            .collect();
        let log_prior = &self.log_prior;
        let log_mu = mu.ln();
        for stat in self.feats.values_mut() {
            stat.corr.clear();
            stat.offset = ((stat.total * scale + mu) / mu).ln() as f32;
            for &(class, n) in &stat.classes {
                let lp = log_prior[usize::from(class)];
                let mu_p = (log_mu + lp).exp();
                stat.corr
                    .push(((n * scale + mu_p).ln() - (log_mu + lp)) as f32);
            }
        }
    }

    /// The group-wise evidence of a line: per group, the mean over its known features.
    /// `scratch` must hold `GROUPS * classes` zeros and is left zeroed.
    pub fn evidence(&self, features: &[Feature], scratch: &mut [f32], out: &mut Evidence) {
        let classes = self.labels.len();
        out.entries.clear();
        let mut known = [0u32; GROUPS];
        let mut touched: Vec<(u8, u16)> = Vec::new();
        for f in features {
            let Some(stat) = self.feats.get(&f.id) else {
                continue;
            };
            let g = f.group as usize;
            known[g] += 1;
            for (&(class, _), &corr) in stat.classes.iter().zip(&stat.corr) {
                let slot = &mut scratch[g * classes + usize::from(class)];
                if *slot == 0.0 {
                    touched.push((g as u8, class));
                }
                *slot += corr;
                if *slot == 0.0 {
                    *slot = f32::MIN_POSITIVE;
                }
            }
        }
        for (g, class) in touched {
            let slot = &mut scratch[usize::from(g) * classes + usize::from(class)];
            let value = *slot / known[usize::from(g)] as f32;
            *slot = 0.0;
            out.entries.push((class, g, value));
        }
    }

    /// Per-feature contributions to one class's score relative to the prior (for explanations),
    /// as `(feature index, weighted ln(P(y|f) / P(y)))`.
    pub fn contributions(
        &self,
        features: &[Feature],
        class: u16,
        weights: &Weights,
    ) -> Vec<(usize, f64)> {
        let mut known = [0u32; GROUPS];
        for f in features {
            if self.feats.contains_key(&f.id) {
                known[f.group as usize] += 1;
            }
        }
        let mut out = Vec::new();
        for (i, f) in features.iter().enumerate() {
            let Some(stat) = self.feats.get(&f.id) else {
                continue;
            };
            let g = f.group as usize;
            if let Some(pos) = stat.classes.iter().position(|(k, _)| *k == class) {
                let lift = f64::from(stat.corr[pos] - stat.offset);
                let value = lift * weights[1 + g] / f64::from(known[g]);
                out.push((i, value));
            }
        }
        out
    }
}

fn clean(x: f64) -> f64 {
    if x.abs() < EPSILON { 0.0 } else { x }
}

/// Scores every class: `a_prior ln P(y) + sum of weighted evidence`.
pub fn scores(log_prior: &[f64], evidence: &Evidence, weights: &Weights, out: &mut Vec<f64>) {
    out.clear();
    out.extend(log_prior.iter().map(|lp| {
        if *lp <= NO_CLASS {
            f64::NEG_INFINITY
        } else {
            weights[0] * lp
        }
    }));
    for &(class, group, value) in &evidence.entries {
        out[usize::from(class)] += weights[1 + usize::from(group)] * f64::from(value);
    }
}

/// Softmax in place; returns nothing, leaves probabilities.
pub fn softmax(values: &mut [f64]) {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        for v in values.iter_mut() {
            *v /= sum;
        }
    }
}

/// One held-out line for fitting: its evidence and true class.
#[derive(Debug, Clone)]
pub struct FitCase {
    pub evidence: Evidence,
    pub truth: u16,
}

/// Mean negative log-likelihood and its gradient in the weights.
fn loss_and_gradient(
    log_prior: &[f64],
    cases: &[FitCase],
    weights: &Weights,
    l2: f64,
    start: &Weights,
) -> (f64, Weights) {
    let mut grad = [0.0; WEIGHTS];
    let mut loss = 0.0;
    let mut p = Vec::with_capacity(log_prior.len());
    for case in cases {
        scores(log_prior, &case.evidence, weights, &mut p);
        softmax(&mut p);
        let t = usize::from(case.truth);
        loss -= p[t].max(1e-12).ln();
        // d loss / d w_0 = E_p[ln P] - ln P(truth)
        let mut expected_prior = 0.0;
        for (pi, lp) in p.iter().zip(log_prior) {
            if *pi > 0.0 {
                expected_prior += pi * lp;
            }
        }
        grad[0] += expected_prior - log_prior[t];
        for &(class, group, value) in &case.evidence.entries {
            let v = f64::from(value);
            let g = 1 + usize::from(group);
            grad[g] += p[usize::from(class)] * v;
            if usize::from(class) == t {
                grad[g] -= v;
            }
        }
    }
    let n = cases.len().max(1) as f64;
    loss /= n;
    for (i, g) in grad.iter_mut().enumerate() {
        *g /= n;
        let d = weights[i] - start[i];
        *g += 2.0 * l2 * d;
        loss += l2 * d * d;
    }
    (loss, grad)
}

/// What fitting the weights did, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightFit {
    pub cases: usize,
    pub iterations: usize,
    pub loss_before: f64,
    pub loss_after: f64,
    pub weights: Weights,
}

/// Fits the weights by gradient descent (Barzilai–Borwein steps) on the mean log-loss of the
/// held-out cases, starting from `start`. The problem is convex (a multinomial logistic
/// regression over a dozen inputs), so a few dozen steps suffice.
pub fn fit_weights(
    log_prior: &[f64],
    cases: &[FitCase],
    start: &Weights,
    iterations: usize,
) -> WeightFit {
    let l2 = 1e-4;
    let mut w = *start;
    let (loss_before, mut grad) = loss_and_gradient(log_prior, cases, &w, l2, start);
    let mut loss = loss_before;
    let mut step = 0.5;
    let mut done = 0;
    if cases.is_empty() {
        return WeightFit {
            cases: 0,
            iterations: 0,
            loss_before,
            loss_after: loss_before,
            weights: w,
        };
    }
    for _ in 0..iterations {
        done += 1;
        let mut next = w;
        for i in 0..WEIGHTS {
            next[i] = (w[i] - step * grad[i]).clamp(-2.0, 20.0);
        }
        let (next_loss, next_grad) = loss_and_gradient(log_prior, cases, &next, l2, start);
        if !next_loss.is_finite() || next_loss > loss + 1e-4 {
            step *= 0.3;
            if step < 1e-6 {
                break;
            }
            continue;
        }
        let mut sy = 0.0;
        let mut ss = 0.0;
        for i in 0..WEIGHTS {
            let s = next[i] - w[i];
            let y = next_grad[i] - grad[i];
            sy += s * y;
            ss += s * s;
        }
        step = if sy > 1e-12 {
            (ss / sy).clamp(1e-4, 50.0)
        } else {
            step * 2.0
        };
        let improvement = loss - next_loss;
        w = next;
        grad = next_grad;
        loss = next_loss;
        if improvement.abs() < 1e-6 {
            break;
        }
    }
    WeightFit {
        cases: cases.len(),
        iterations: done,
        loss_before,
        loss_after: loss,
        weights: w,
    }
}

/// Default weights before fitting.
pub fn default_weights() -> Weights {
    let mut w = [1.0; WEIGHTS];
    w[1 + Group::NGram as usize] = 0.5;
    w
}
