//! Calibration: turns a model's raw top probability into a confidence that means what it says.
//!
//! A reviewer reads "0.9" as "right nine times in ten", and the auto-accept threshold relies on it.
//! Raw softmax outputs of a count model are not that (correlated features make it overconfident),
//! so the confidence is an isotonic regression of "the suggestion was right" on the raw score,
//! fitted on a held-out recent tail of the training history (by time, like real use). Isotonic
//! regression only assumes that a higher raw score is not less likely right, and needs no
//! parameters; pool-adjacent-violators fits it in linear time. Between block centres the map is
//! interpolated linearly, so equal raw scores get equal confidences and the map stays monotone.

/// A monotone map from raw scores in `[0, 1]` to calibrated confidences.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Isotonic {
    /// Block centres (ascending raw score) and their fitted accuracy.
    points: Vec<(f64, f64)>,
}

impl Isotonic {
    /// The identity map (used when there was too little history to calibrate).
    pub fn identity() -> Self {
        Self { points: Vec::new() }
    }

    /// Block centres and their fitted accuracy (for [`super::snapshot`]).
    pub(crate) fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The map with these block centres (from [`super::snapshot`]).
    pub(crate) fn from_points(points: Vec<(f64, f64)>) -> Self {
        Self { points }
    }

    /// Whether this is the identity map.
    pub fn is_identity(&self) -> bool {
        self.points.is_empty()
    }

    /// Fits on `(raw score, was right)` pairs.
    pub fn fit(samples: &[(f64, bool)]) -> Self {
        if samples.is_empty() {
            return Self::identity();
        }
        let mut sorted: Vec<(f64, bool)> = samples.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Blocks of (sum of x, sum of y, count); a light prior of one half-right pseudo-sample
        // per block would bias small blocks, so instead the ends are anchored below.
        let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
        for (x, y) in sorted {
            blocks.push((x, if y { 1.0 } else { 0.0 }, 1.0));
            while blocks.len() >= 2 {
                let n = blocks.len();
                let (a, b) = (blocks[n - 2], blocks[n - 1]);
                if a.1 / a.2 >= b.1 / b.2 {
                    blocks.pop();
                    blocks.pop();
                    blocks.push((a.0 + b.0, a.1 + b.1, a.2 + b.2));
                } else {
                    break;
                }
            }
        }
        let points = blocks
            .into_iter()
            .map(|(sx, sy, n)| {
                // Shrink each block's accuracy slightly towards 1/2 (one pseudo-sample split
                // half and half), so a small block of all-right lines does not claim certainty.
                (sx / n, (sy + 0.5) / (n + 1.0))
            })
            .collect::<Vec<_>>();
        let mut points: Vec<(f64, f64)> = points;
        // Keep monotone after shrinking.
        for i in 1..points.len() {
            if points[i].1 < points[i - 1].1 {
                points[i].1 = points[i - 1].1;
            }
        }
        Self { points }
    }

    /// The calibrated confidence of a raw score.
    pub fn apply(&self, raw: f64) -> f64 {
        let raw = raw.clamp(0.0, 1.0);
        let Some(first) = self.points.first() else {
            return raw;
        };
        if raw <= first.0 {
            return first.1;
        }
        for pair in self.points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if raw <= b.0 {
                let t = if b.0 > a.0 {
                    (raw - a.0) / (b.0 - a.0)
                } else {
                    1.0
                };
                return a.1 + t * (b.1 - a.1);
            }
        }
        self.points.last().map_or(raw, |p| p.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotone_and_calibrated_on_blocks() {
        let mut samples = Vec::new();
        for i in 0..1000 {
            samples.push((0.2, i % 10 < 3));
            samples.push((0.9, i % 10 < 8));
        }
        let iso = Isotonic::fit(&samples);
        assert!((iso.apply(0.2) - 0.3).abs() < 0.01);
        assert!((iso.apply(0.9) - 0.8).abs() < 0.01);
        assert!(iso.apply(0.5) >= iso.apply(0.2) && iso.apply(0.5) <= iso.apply(0.9));
        assert_eq!(Isotonic::identity().apply(0.42), 0.42);
    }
}
