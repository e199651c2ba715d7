//! Explanations: why the suggester chose what it chose, in terms a reviewer can check.
//!
//! A reviewer trusts a suggestion they can verify, so each one names the model version (which
//! history it learned), the few features that pushed hardest towards the suggested account, and
//! the two or three most similar approved lines — preferably from the same vendor and coded the
//! same way ("coded like INV-88 from the same vendor on 2025-03-04").

use super::features::{Feature, description_key, supplier_key};
use super::{Query, Suggester, token_hashes};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One feature's push towards the suggested account.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureContribution {
    pub feature: String,
    pub weight: f64,
}

/// An approved line like the one being coded.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarLine {
    pub reference: String,
    pub date: NaiveDate,
    pub supplier: String,
    pub description: String,
    pub amount: Decimal,
    pub account: String,
    pub cost_centre: String,
    pub same_vendor: bool,
}

/// Why a line was coded as suggested.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub model_version: String,
    pub features: Vec<FeatureContribution>,
    pub similar: Vec<SimilarLine>,
}

impl Explanation {
    /// One line of text for tables and CSV files.
    pub fn text(&self) -> String {
        let mut out = self.model_version.clone();
        if !self.features.is_empty() {
            out.push_str("; strongest: ");
            let parts: Vec<String> = self
                .features
                .iter()
                .map(|f| format!("{} ({:+.2})", f.feature, f.weight))
                .collect();
            out.push_str(&parts.join(", "));
        }
        if !self.similar.is_empty() {
            out.push_str("; coded like ");
            let parts: Vec<String> = self
                .similar
                .iter()
                .map(|s| {
                    format!(
                        "{} from {} on {}",
                        s.reference,
                        if s.same_vendor {
                            "the same vendor".to_owned()
                        } else {
                            s.supplier.clone()
                        },
                        s.date
                    )
                })
                .collect();
            out.push_str(&parts.join(", "));
        }
        out
    }
}

/// Most recent lines of a vendor looked at for similar lines.
const RECENT: usize = 300;

pub(super) fn explain(
    suggester: &Suggester,
    query: &Query,
    features: &[Feature],
    names: &[String],
    regime: usize,
    best: [Option<u16>; 2],
) -> Explanation {
    let mut contributions = Vec::new();
    if let Some(class) = best[0] {
        let mut c =
            suggester.targets[0].contributions(features, class, &suggester.weights[0][regime]);
        c.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, w) in c.into_iter().filter(|(_, w)| *w > 0.0).take(3) {
            if let Some(name) = names.get(i) {
                contributions.push(FeatureContribution {
                    feature: name.clone(),
                    weight: w,
                });
            }
        }
    }
    let key = supplier_key(&query.supplier);
    let (candidates, same_vendor): (&[u32], bool) = match suggester.by_supplier.get(&key) {
        Some(lines) => (lines, true),
        None => (
            suggester
                .by_description
                .get(&description_key(&query.description))
                .map_or(&[][..], Vec::as_slice),
            false,
        ),
    };
    let recent = &candidates[candidates.len().saturating_sub(RECENT)..];
    let tokens = token_hashes(&query.description);
    let mut scored: Vec<(f64, u32)> = recent
        .iter()
        .filter_map(|&i| {
            let line = suggester.lines.get(i as usize)?;
            let shared = line.tokens.iter().filter(|t| tokens.contains(t)).count() as f64;
            let union = (line.tokens.len() + tokens.len()) as f64 - shared;
            let mut score = if union > 0.0 { shared / union } else { 0.5 };
            if line.amount == query.amount {
                score += 0.5;
            }
            if Some(line.classes[0]) == best[0] {
                score += 1.0;
            }
            if Some(line.classes[1]) == best[1] {
                score += 0.25;
            }
            // Newer lines first among equals.
            score += f64::from(i) * 1e-9;
            Some((score, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let similar = scored
        .into_iter()
        .take(3)
        .filter_map(|(_, i)| {
            let line = suggester.lines.get(i as usize)?;
            Some(SimilarLine {
                reference: line.reference.clone(),
                date: line.date,
                supplier: line.supplier.clone(),
                description: line.description.clone(),
                amount: line.amount,
                account: suggester.targets[0].labels[usize::from(line.classes[0])].clone(),
                cost_centre: suggester.targets[1].labels[usize::from(line.classes[1])].clone(),
                same_vendor,
            })
        })
        .collect();
    Explanation {
        model_version: suggester.version(),
        features: contributions,
        similar,
    }
}
