//! Evaluation metrics for coding suggestions: how often they are right, and whether their
//! confidences can be trusted.
//!
//! Why these metrics: top-1 accuracy says how much typing a reviewer saves; accuracy on suppliers
//! unseen in training says whether the suggester generalises or only remembers; coverage at a
//! precision says how many lines could be auto-accepted at that error rate (the reason a
//! confidence exists); expected calibration error says whether "0.9" means nine in ten. Timing is
//! measured by the caller and passed in (this crate never reads the clock).

use serde::Serialize;

/// One evaluated prediction of one field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub confidence: f64,
    pub correct: bool,
    /// The line's supplier was not in the training history.
    pub unseen_supplier: bool,
}

/// Metrics of one target (account or cost centre).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetMetrics {
    pub lines: usize,
    pub top1_accuracy: f64,
    pub unseen_supplier_lines: usize,
    pub unseen_supplier_accuracy: f64,
    pub coverage_at_95: f64,
    pub coverage_at_97: f64,
    pub coverage_at_99: f64,
    pub expected_calibration_error: f64,
    /// Wall-clock seconds to train the model (one model codes both targets, so both report it).
    pub training_seconds: f64,
    /// Wall-clock seconds to predict all test lines (both targets together).
    pub prediction_seconds: f64,
}

/// Computes the metrics of one target.
pub fn target_metrics(
    scored: &[Scored],
    training_seconds: f64,
    prediction_seconds: f64,
) -> TargetMetrics {
    let accuracy = |items: &mut dyn Iterator<Item = &Scored>| {
        let (mut n, mut right) = (0usize, 0usize);
        for s in items {
            n += 1;
            right += usize::from(s.correct);
        }
        (n, if n == 0 { 0.0 } else { right as f64 / n as f64 })
    };
    let (lines, top1) = accuracy(&mut scored.iter());
    let (unseen, unseen_accuracy) = accuracy(&mut scored.iter().filter(|s| s.unseen_supplier));
    TargetMetrics {
        lines,
        top1_accuracy: top1,
        unseen_supplier_lines: unseen,
        unseen_supplier_accuracy: unseen_accuracy,
        coverage_at_95: coverage_at_precision(scored, 0.95),
        coverage_at_97: coverage_at_precision(scored, 0.97),
        coverage_at_99: coverage_at_precision(scored, 0.99),
        expected_calibration_error: expected_calibration_error(scored, 10),
        training_seconds,
        prediction_seconds,
    }
}

/// The largest share of lines that a confidence threshold can select such that the selected lines
/// (those at or above it) are at least `precision` right. Lines with equal confidence are selected
/// together, because a threshold cannot split them.
pub fn coverage_at_precision(scored: &[Scored], precision: f64) -> f64 {
    if scored.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<&Scored> = scored.iter().collect();
    sorted.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut best = 0usize;
    let mut right = 0usize;
    for (i, s) in sorted.iter().enumerate() {
        right += usize::from(s.correct);
        let boundary = sorted
            .get(i + 1)
            .is_none_or(|next| next.confidence < s.confidence);
        if boundary && right as f64 >= precision * (i + 1) as f64 {
            best = i + 1;
        }
    }
    best as f64 / scored.len() as f64
}

/// Expected calibration error over `bins` equal-width confidence bins: the line-weighted mean of
/// |accuracy − mean confidence| per bin.
pub fn expected_calibration_error(scored: &[Scored], bins: usize) -> f64 {
    if scored.is_empty() || bins == 0 {
        return 0.0;
    }
    let mut count = vec![0usize; bins];
    let mut conf = vec![0f64; bins];
    let mut right = vec![0usize; bins];
    for s in scored {
        let c = s.confidence.clamp(0.0, 1.0);
        let b = ((c * bins as f64) as usize).min(bins - 1);
        count[b] += 1;
        conf[b] += c;
        right[b] += usize::from(s.correct);
    }
    let n = scored.len() as f64;
    (0..bins)
        .filter(|b| count[*b] > 0)
        .map(|b| {
            let k = count[b] as f64;
            (k / n) * (right[b] as f64 / k - conf[b] / k).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(confidence: f64, correct: bool) -> Scored {
        Scored {
            confidence,
            correct,
            unseen_supplier: false,
        }
    }

    #[test]
    fn coverage_respects_ties_and_precision() {
        let scored = [s(0.9, true), s(0.9, true), s(0.8, false), s(0.7, true)];
        assert_eq!(coverage_at_precision(&scored, 0.95), 0.5);
        assert_eq!(coverage_at_precision(&scored, 0.75), 1.0);
        let tied = [s(0.9, true), s(0.9, false)];
        assert_eq!(coverage_at_precision(&tied, 0.95), 0.0);
        assert_eq!(coverage_at_precision(&[], 0.95), 0.0);
    }

    #[test]
    fn ece_of_calibrated_and_overconfident() {
        let calibrated: Vec<Scored> = (0..10).map(|i| s(0.75, i % 4 != 0)).collect();
        assert!(expected_calibration_error(&calibrated, 10) < 0.06);
        let over: Vec<Scored> = (0..10).map(|_| s(0.99, false)).collect();
        assert!((expected_calibration_error(&over, 10) - 0.99).abs() < 1e-9);
    }

    #[test]
    fn metrics_count_unseen() {
        let mut scored = vec![s(0.9, true), s(0.4, false)];
        scored[1].unseen_supplier = true;
        let m = target_metrics(&scored, 1.0, 2.0);
        assert_eq!(m.lines, 2);
        assert_eq!(m.top1_accuracy, 0.5);
        assert_eq!(m.unseen_supplier_lines, 1);
        assert_eq!(m.unseen_supplier_accuracy, 0.0);
    }
}
