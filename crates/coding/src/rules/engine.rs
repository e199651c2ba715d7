//! Running rule packs over a document.
//!
//! Order and precedence, the whole of it:
//!
//! 1. Stages run in order: `pre`, `default`, `post`.
//! 2. Within a stage, rules run by `priority`, highest first; equal priorities in pack order (packs
//!    by id) and then in the order the pack lists them.
//! 3. A matching rule sets each field it names (account, each dimension, tax code, split) unless a
//!    rule earlier in the *same* stage already set that field: within a stage the highest
//!    priority wins. A later stage overrides an earlier one, so `post` rules can correct what
//!    `default` rules decided, and `pre` rules are baselines.
//! 4. A matching rule with `stop = true` ends the run for that line: no later rule (of any stage)
//!    looks at it.
//!
//! Every value carries the rule that set it ([`RuleRef`]: pack, pack version and content hash,
//! rule id), which is what the explanation of a suggestion shows.

use super::matching::LineFacts;
use super::pack::{RuleError, RulePack, Stage};
use crate::split::{SplitShare, split_amounts};
use folio_domain::{Document, Problem};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use ts_rs::TS;

/// Which rule set a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RuleRef {
    pub pack: String,
    /// The pack's version and the start of its content hash: `1.0.0+3f2a9c01b7de`.
    pub pack_version: String,
    pub rule: String,
    pub description: Option<String>,
    pub stage: Stage,
    #[ts(type = "number")]
    pub priority: i64,
}

/// A value a rule set, with the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired<T> {
    pub value: T,
    pub by: RuleRef,
}

/// What the rules decided for one line; fields no rule set are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineRules {
    pub account: Option<Fired<String>>,
    pub dimensions: BTreeMap<String, Fired<String>>,
    pub tax_code: Option<Fired<String>>,
    pub split: Option<Fired<Vec<SplitShare>>>,
    /// Every rule that matched, in the order it ran.
    pub matched: Vec<RuleRef>,
}

/// What the rules decided for a document: one entry per line (one for a header-only document).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentRules {
    pub lines: Vec<LineRules>,
    /// Rules that matched but could not do what they say (a split that does not fit the line).
    pub problems: Vec<Problem>,
}

/// Rule packs in use together.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    packs: Vec<RulePack>,
    /// (pack index, rule index) in run order.
    order: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FieldKey<'a> {
    Account,
    Dimension(&'a str),
    TaxCode,
    Split,
}

impl RuleSet {
    /// Combines packs; two packs with the same id are refused.
    pub fn new(mut packs: Vec<RulePack>) -> Result<RuleSet, RuleError> {
        packs.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = packs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(RuleError::one(
                &pair[0].id,
                "pack.id",
                format!("two packs have the id '{}'", pair[0].id),
            ));
        }
        let mut order: Vec<(usize, usize)> = packs
            .iter()
            .enumerate()
            .flat_map(|(p, pack)| (0..pack.rules.len()).map(move |r| (p, r)))
            .collect();
        order.sort_by_key(|&(p, r)| {
            let rule = &packs[p].rules[r];
            (rule.stage, std::cmp::Reverse(rule.priority), p, r)
        });
        Ok(RuleSet { packs, order })
    }

    pub fn packs(&self) -> &[RulePack] {
        &self.packs
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Runs the rules over every line of `document`.
    pub fn apply(&self, document: &Document) -> DocumentRules {
        let mut problems = Vec::new();
        let facts = LineFacts::of(document);
        let lines = facts
            .iter()
            .enumerate()
            .map(|(i, line)| self.apply_line(document, i, line, &mut problems))
            .collect();
        DocumentRules { lines, problems }
    }

    fn apply_line(
        &self,
        document: &Document,
        index: usize,
        line: &LineFacts,
        problems: &mut Vec<Problem>,
    ) -> LineRules {
        let mut out = LineRules::default();
        let mut stage = Stage::Pre;
        let mut set_in_stage: BTreeSet<FieldKey<'_>> = BTreeSet::new();
        for &(p, r) in &self.order {
            let pack = &self.packs[p];
            let rule = &pack.rules[r];
            if rule.stage != stage {
                stage = rule.stage;
                set_in_stage.clear();
            }
            if !rule.when.hold(document, line) {
                continue;
            }
            let by = RuleRef {
                pack: pack.id.clone(),
                pack_version: pack.version_label(),
                rule: rule.id.clone(),
                description: rule.description.clone(),
                stage: rule.stage,
                priority: rule.priority,
            };
            let then = &rule.then;
            if let Some(account) = &then.account
                && set_in_stage.insert(FieldKey::Account)
            {
                out.account = Some(Fired {
                    value: account.clone(),
                    by: by.clone(),
                });
            }
            for (dimension, value) in &then.dimensions {
                if set_in_stage.insert(FieldKey::Dimension(dimension)) {
                    out.dimensions.insert(
                        dimension.clone(),
                        Fired {
                            value: value.clone(),
                            by: by.clone(),
                        },
                    );
                }
            }
            if let Some(tax_code) = &then.tax_code
                && set_in_stage.insert(FieldKey::TaxCode)
            {
                out.tax_code = Some(Fired {
                    value: tax_code.clone(),
                    by: by.clone(),
                });
            }
            if !then.split.is_empty() && !set_in_stage.contains(&FieldKey::Split) {
                match self.split_fits(document, line, &then.split) {
                    Ok(()) => {
                        set_in_stage.insert(FieldKey::Split);
                        out.split = Some(Fired {
                            value: then.split.clone(),
                            by: by.clone(),
                        });
                    }
                    Err(reason) => problems.push(Problem::warning(
                        "RULE_SPLIT_NOT_APPLIED",
                        format!("lines[{index}]"),
                        format!(
                            "rule {}/{} matched line {} but its split was not applied: {reason}",
                            pack.id,
                            rule.id,
                            index + 1
                        ),
                    )),
                }
            }
            out.matched.push(by);
            if rule.stop {
                break;
            }
        }
        out
    }

    fn split_fits(
        &self,
        document: &Document,
        line: &LineFacts,
        split: &[SplitShare],
    ) -> Result<(), String> {
        let shares: Vec<_> = split.iter().map(|s| s.share.clone()).collect();
        if document.lines.is_empty()
            && shares
                .iter()
                .any(|s| !matches!(s, crate::split::Share::Percent(_)))
        {
            return Err(
                "a document without lines is split per VAT group, which only percentages can do"
                    .to_owned(),
            );
        }
        split_amounts(line.amount, document.currency, &shares)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
