//! Hierarchical back-off for lines from suppliers with history: supplier and description →
//! supplier → the cross-supplier model → the prior.
//!
//! Why: a log-linear model with one weight per feature group cannot say "trust this supplier's
//! own history in proportion to how much of it there is". Measured on the Harrogate history, it let
//! words shared across suppliers outvote a supplier coded to one account hundreds of times, and
//! lost to "the supplier's most frequent account" on known suppliers. The back-off is the classic
//! answer (Dirichlet smoothing, as in language models): each level's recency-weighted counts are
//! shrunk towards the level below by a pseudo-count,
//! `P_level(y) = (n_level(y) + s * P_below(y)) / (n_level + s)`, so a level with many lines decides
//! and a level with a few only tilts the one below. The bottom is the cross-supplier model (words,
//! character n-grams, number shapes, amount and supplier-name words, whose group weights are fitted
//! on held-out lines of suppliers the model had not seen), so a new description from a known
//! supplier is still read. The two pseudo-counts, and how much of the log-linear model's own
//! probability to mix in, are chosen by measurement on the same held-out recent tail as the other
//! fits ([`fit`]): not set by hand, and refitted for every history.

/// The fitted back-off strengths of one target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Pseudo-lines of the cross-supplier model in the supplier level.
    pub supplier: f64,
    /// Pseudo-lines of the supplier level in the supplier-and-description level.
    pub description: f64,
    /// Share of the log-linear (all groups) model mixed into the back-off result, in `[0, 1]`.
    pub blend: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            supplier: 1.0,
            description: 1.0,
            blend: 0.0,
        }
    }
}

/// One level's counts: the total and `(class, count)` pairs (recency-weighted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Level {
    pub total: f64,
    pub classes: Vec<(u16, f64)>,
}

impl Level {
    /// A level of `total` lines with these `(class, count)` pairs.
    pub fn new(total: f64, classes: &[(u16, f64)]) -> Self {
        Self {
            total,
            classes: classes.to_vec(),
        }
    }

    fn count(&self, class: u16) -> f64 {
        self.classes
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(0.0, |e| e.1)
    }
}

impl Backoff {
    /// Combines, in place: `out` holds the log-linear model's probabilities, `cross` the
    /// cross-supplier model's; the levels are the supplier's and the supplier-and-description's
    /// counts (either may be empty). `out` stays a probability distribution.
    pub fn combine(&self, out: &mut [f64], cross: &[f64], supplier: &Level, description: &Level) {
        let (w1, w2) = self.level_weights(supplier, description);
        let keep = self.blend;
        let base = (1.0 - keep) * w1 * w2;
        for (o, c) in out.iter_mut().zip(cross) {
            *o = keep * *o + base * c;
        }
        let rest = 1.0 - keep;
        if supplier.total > 0.0 {
            let k = rest * w2 / (supplier.total + self.supplier);
            for &(c, n) in &supplier.classes {
                out[usize::from(c)] += k * n;
            }
        }
        if description.total > 0.0 {
            let k = rest / (description.total + self.description);
            for &(c, n) in &description.classes {
                out[usize::from(c)] += k * n;
            }
        }
    }

    /// The probability of one class, from that class's log-linear and cross probabilities.
    pub fn probability(
        &self,
        class: u16,
        loglinear: f64,
        cross: f64,
        supplier: &Level,
        description: &Level,
    ) -> f64 {
        let (w1, w2) = self.level_weights(supplier, description);
        let mut p = w1 * cross;
        if supplier.total > 0.0 {
            p += supplier.count(class) / (supplier.total + self.supplier);
        }
        p *= w2;
        if description.total > 0.0 {
            p += description.count(class) / (description.total + self.description);
        }
        self.blend * loglinear + (1.0 - self.blend) * p
    }

    /// The weight each level leaves to the one below.
    fn level_weights(&self, supplier: &Level, description: &Level) -> (f64, f64) {
        let w1 = if supplier.total > 0.0 {
            self.supplier / (supplier.total + self.supplier)
        } else {
            1.0
        };
        let w2 = if description.total > 0.0 {
            self.description / (description.total + self.description)
        } else {
            1.0
        };
        (w1, w2)
    }
}

/// One held-out line for choosing the strengths: the classes that can win (the best few of the
/// two models, the levels' classes and the truth) with both models' probabilities for each.
#[derive(Debug, Clone, Default)]
pub struct FitCase {
    pub truth: u16,
    /// `(class, log-linear probability, cross-supplier probability)`.
    pub candidates: Vec<(u16, f64, f64)>,
    pub supplier: Level,
    pub description: Level,
}

impl FitCase {
    /// Builds a case from the two dense distributions, keeping the `keep` best of each.
    pub fn new(
        truth: u16,
        loglinear: &[f64],
        cross: &[f64],
        supplier: Level,
        description: Level,
        keep: usize,
    ) -> Self {
        let mut classes: Vec<u16> = Vec::new();
        for dist in [loglinear, cross] {
            let mut best: Vec<(usize, f64)> = Vec::with_capacity(keep + 1);
            for (c, p) in dist.iter().enumerate() {
                let at = best.iter().position(|b| *p > b.1).unwrap_or(best.len());
                if at < keep {
                    best.insert(at, (c, *p));
                    best.truncate(keep);
                }
            }
            classes.extend(best.iter().filter_map(|b| u16::try_from(b.0).ok()));
        }
        classes.extend(supplier.classes.iter().map(|e| e.0));
        classes.extend(description.classes.iter().map(|e| e.0));
        classes.push(truth);
        classes.sort_unstable();
        classes.dedup();
        let candidates = classes
            .into_iter()
            .filter(|c| usize::from(*c) < loglinear.len().min(cross.len()))
            .map(|c| (c, loglinear[usize::from(c)], cross[usize::from(c)]))
            .collect();
        Self {
            truth,
            candidates,
            supplier,
            description,
        }
    }
}

/// What choosing the strengths measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffFit {
    pub cases: usize,
    pub chosen: Backoff,
    /// Held-out top-1 accuracy and mean log-loss of the chosen strengths.
    pub accuracy: f64,
    pub log_loss: f64,
    /// The same for the log-linear model alone (blend 1), for comparison.
    pub loglinear_accuracy: f64,
}

/// Pseudo-counts tried (a doubling grid: the result is not sensitive within a factor of two).
const STRENGTHS: [f64; 7] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
/// Shares of the log-linear model tried.
const BLENDS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// Accuracy and mean log-loss of `b` on `cases`.
pub fn evaluate(b: &Backoff, cases: &[FitCase]) -> (f64, f64) {
    let mut right = 0usize;
    let mut loss = 0.0;
    for case in cases {
        let mut best = (0u16, f64::NEG_INFINITY);
        let mut truth = 0.0;
        for &(c, ll, cr) in &case.candidates {
            let p = b.probability(c, ll, cr, &case.supplier, &case.description);
            // Ties go to the lower class id, as in prediction.
            if p > best.1 {
                best = (c, p);
            }
            if c == case.truth {
                truth = p;
            }
        }
        right += usize::from(best.0 == case.truth);
        loss -= truth.max(1e-12).ln();
    }
    let n = cases.len().max(1) as f64;
    (right as f64 / n, loss / n)
}

/// Chooses the strengths with the best held-out accuracy; among those within 0.2 points of it,
/// the lowest log-loss (better-ranked confidences). Too few cases: the defaults.
pub fn fit(cases: &[FitCase]) -> BackoffFit {
    let defaults = Backoff::default();
    let loglinear = Backoff {
        blend: 1.0,
        ..defaults
    };
    let loglinear_accuracy = evaluate(&loglinear, cases).0;
    if cases.len() < 30 {
        let (accuracy, log_loss) = evaluate(&defaults, cases);
        return BackoffFit {
            cases: cases.len(),
            chosen: defaults,
            accuracy,
            log_loss,
            loglinear_accuracy,
        };
    }
    let mut results: Vec<(Backoff, f64, f64)> = Vec::new();
    for &supplier in &STRENGTHS {
        for &description in &STRENGTHS {
            for &blend in &BLENDS {
                let b = Backoff {
                    supplier,
                    description,
                    blend,
                };
                let (acc, loss) = evaluate(&b, cases);
                results.push((b, acc, loss));
            }
        }
    }
    let top = results.iter().map(|r| r.1).fold(0.0, f64::max);
    let chosen = results
        .iter()
        .filter(|r| r.1 >= top - 0.002)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .copied()
        .unwrap_or((defaults, 0.0, 0.0));
    BackoffFit {
        cases: cases.len(),
        chosen: chosen.0,
        accuracy: chosen.1,
        log_loss: chosen.2,
        loglinear_accuracy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_is_a_distribution_and_matches_probability() {
        let b = Backoff {
            supplier: 2.0,
            description: 0.5,
            blend: 0.25,
        };
        let loglinear = [0.5, 0.3, 0.2];
        let cross = [0.1, 0.6, 0.3];
        let s = Level::new(10.0, &[(0, 7.0), (2, 3.0)]);
        let d = Level::new(2.0, &[(2, 2.0)]);
        let mut out = loglinear.to_vec();
        b.combine(&mut out, &cross, &s, &d);
        assert!((out.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{out:?}");
        for c in 0..3u16 {
            let p = b.probability(c, loglinear[c as usize], cross[c as usize], &s, &d);
            assert!((p - out[c as usize]).abs() < 1e-12);
        }
    }

    /// Back-off ordering: the more lines a level has, the more it decides; with none, the level
    /// below decides alone.
    #[test]
    fn strong_levels_decide_and_empty_levels_defer() {
        let b = Backoff::default();
        let cross = [0.9, 0.1];
        let empty = Level::default();
        let mut out = cross.to_vec();
        b.combine(&mut out, &cross, &empty, &empty);
        assert_eq!(out, cross.to_vec());
        let mut shares = Vec::new();
        for n in [1.0, 5.0, 50.0, 500.0] {
            let mut out = cross.to_vec();
            b.combine(&mut out, &cross, &Level::new(n, &[(1, n)]), &empty);
            shares.push(out[1]);
        }
        assert!(shares.windows(2).all(|w| w[0] < w[1]), "{shares:?}");
        assert!(shares[0] < 0.6 && shares[3] > 0.99, "{shares:?}");
        // The description level outranks the supplier level below it.
        let mut out = cross.to_vec();
        b.combine(
            &mut out,
            &cross,
            &Level::new(40.0, &[(0, 40.0)]),
            &Level::new(20.0, &[(1, 20.0)]),
        );
        assert!(out[1] > out[0], "{out:?}");
    }

    /// Fitting picks the strengths that fit the held-out lines: when the supplier's history is
    /// right and the cross model wrong, a weak pull towards the cross model wins; the other way
    /// round, a strong one.
    #[test]
    fn fit_follows_the_held_out_lines() {
        let case = |truth: u16| {
            FitCase::new(
                truth,
                &[0.2, 0.8],
                &[0.05, 0.95],
                Level::new(3.0, &[(0, 3.0)]),
                Level::default(),
                2,
            )
        };
        let supplier_right: Vec<FitCase> = (0..100).map(|_| case(0)).collect();
        let fit_s = fit(&supplier_right);
        assert_eq!(fit_s.accuracy, 1.0);
        assert!(fit_s.chosen.supplier <= 2.0 && fit_s.chosen.blend < 0.5);
        let cross_right: Vec<FitCase> = (0..100).map(|_| case(1)).collect();
        let fit_c = fit(&cross_right);
        assert_eq!(fit_c.accuracy, 1.0);
        assert!(fit_c.chosen.supplier >= 4.0 || fit_c.chosen.blend >= 0.5);
        assert_eq!(fit(&supplier_right[..10]).chosen, Backoff::default());
    }
}
