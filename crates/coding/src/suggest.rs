//! Deciding each field of each line from everything that proposes a value, and saying why.
//!
//! Precedence, per field (the account, each dimension, the tax code, a split): a **person**'s
//! value beats a **rule**'s, a rule's beats the **model**'s, and the model's beats the **fixed**
//! fallback (the vendor's default account, the workspace's "to be coded" values, the tax code the
//! line's VAT category implies). So the learned suggester only fills what no person and no rule
//! decided, field by field: a rule that sets only the cost centre leaves the account to the model.
//!
//! Every proposal — chosen or not — keeps its source, a confidence and an explanation (the rule
//! pack, rule and version; the model version, strongest features and most similar approved lines;
//! who corrected it and whether Folio may learn from it), which is what the workspace stores and
//! `folio explain` shows. Model confidences arrive as floats and leave here as decimals with three
//! places: floats do not go further than this crate.

use crate::builder::{DocumentCoding, LineCoding, describe_rate, find_tax_code};
use crate::fixed::{Fallback, FixedDefaults};
use crate::learn::{FieldSuggestion, Query, Suggestion};
use crate::rules::{DocumentRules, RuleRef};
use crate::split::{Share, SplitShare};
use folio_domain::{Document, TaxCode};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use ts_rs::TS;

/// A field of a line's coding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Account,
    Dimension(String),
    TaxCode,
    Split,
}

impl Field {
    /// `account`, `dimension:cost_centre`, `tax_code`, `split`: how the field is stored and shown.
    pub fn key(&self) -> String {
        match self {
            Field::Account => "account".to_owned(),
            Field::Dimension(d) => format!("dimension:{d}"),
            Field::TaxCode => "tax_code".to_owned(),
            Field::Split => "split".to_owned(),
        }
    }

    pub fn parse(key: &str) -> Option<Field> {
        match key {
            "account" => Some(Field::Account),
            "tax_code" => Some(Field::TaxCode),
            "split" => Some(Field::Split),
            other => other
                .strip_prefix("dimension:")
                .filter(|d| !d.is_empty())
                .map(|d| Field::Dimension(d.to_owned())),
        }
    }
}

/// Who proposed a value. The order is the precedence: earlier wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "CodingSource")]
pub enum Source {
    Person,
    Rule,
    Model,
    Fixed,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Person => "person",
            Source::Rule => "rule",
            Source::Model => "model",
            Source::Fixed => "fixed",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        [Source::Person, Source::Rule, Source::Model, Source::Fixed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One feature's push towards the model's suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "CodingFeatureWeight")]
pub struct FeatureWeight {
    pub feature: String,
    /// Log-odds lift over the prior, with two decimals.
    pub weight: String,
}

/// An approved line like the one being coded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "CodingSimilarLine")]
pub struct SimilarApproved {
    pub reference: String,
    pub date: String,
    pub supplier: String,
    pub description: String,
    pub amount: String,
    pub account: String,
    pub cost_centre: String,
    pub same_vendor: bool,
}

/// Another value the model considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "CodingAlternative")]
pub struct Alternative {
    pub value: String,
    #[ts(type = "string")]
    pub confidence: Decimal,
}

/// Why a value was proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[ts(rename = "CodingExplanation")]
pub enum Explanation {
    /// A person chose it.
    Person {
        by: String,
        at: String,
        /// False when the person marked it "don't learn from this".
        learn: bool,
    },
    /// A rule set it.
    Rule { rule: RuleRef },
    /// The learned suggester proposed it.
    Model {
        model_version: String,
        features: Vec<FeatureWeight>,
        similar: Vec<SimilarApproved>,
        alternatives: Vec<Alternative>,
    },
    /// A fallback.
    Fixed { reason: String },
}

/// A proposed value of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "CodingProposal")]
pub struct Proposal {
    pub source: Source,
    pub value: String,
    /// 0 to 1, three decimals.
    #[ts(type = "string")]
    pub confidence: Decimal,
    pub explanation: Explanation,
}

/// A person's value for a field of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonValue {
    /// 1-based.
    pub line_no: u32,
    pub field: Field,
    pub value: String,
    pub learn: bool,
    pub by: String,
    pub at: String,
}

/// One field of a line: every proposal, best first; the first is the value used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCoding {
    pub field: Field,
    pub proposals: Vec<Proposal>,
}

impl FieldCoding {
    pub fn chosen(&self) -> Option<&Proposal> {
        self.proposals.first()
    }
}

/// One line's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedLine {
    /// 1-based.
    pub line_no: u32,
    pub fields: Vec<FieldCoding>,
}

impl CodedLine {
    pub fn field(&self, field: &Field) -> Option<&FieldCoding> {
        self.fields.iter().find(|f| &f.field == field)
    }

    /// The value used for `field`, if any.
    pub fn value(&self, field: &Field) -> Option<&str> {
        self.field(field)
            .and_then(FieldCoding::chosen)
            .map(|p| p.value.as_str())
    }
}

/// A document's coding with the provenance of every field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedDocument {
    pub lines: Vec<CodedLine>,
    /// What the journal builder takes.
    pub coding: DocumentCoding,
}

/// What the sources proposed for a document.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub rules: &'a DocumentRules,
    /// One per line (or none at all when there is no model).
    pub model: &'a [Suggestion],
    pub person: &'a [PersonValue],
    pub fixed: &'a FixedDefaults,
    pub tax_codes: &'a [TaxCode],
    /// The dimension the model's cost centre is.
    pub cost_centre_dimension: &'a str,
}

/// A model confidence as a decimal in [0, 1] with three places.
pub fn confidence(value: f64) -> Decimal {
    if !value.is_finite() {
        return Decimal::ZERO;
    }
    Decimal::from_f64(value.clamp(0.0, 1.0))
        .unwrap_or_default()
        .round_dp_with_strategy(3, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The queries for the learned suggester, one per line (one for a header-only document).
pub fn model_queries(document: &Document) -> Vec<Query> {
    let query = |description: String, amount: Decimal, category: Option<String>| Query {
        date: document.issue_date,
        supplier: document.supplier.name.clone(),
        description,
        amount,
        vat_category: category,
    };
    if document.lines.is_empty() {
        let category = (document.vat_breakdown.len() == 1)
            .then(|| document.vat_breakdown[0].category.code().to_owned());
        return vec![query(
            document.notes.join(" "),
            document.totals.tax_exclusive,
            category,
        )];
    }
    document
        .lines
        .iter()
        .map(|l| {
            query(
                l.text(),
                l.net_amount,
                Some(l.vat_category.code().to_owned()),
            )
        })
        .collect()
}

fn model_explanation(suggestion: &Suggestion, field: &FieldSuggestion) -> Explanation {
    let (model_version, features, similar) = match &suggestion.explanation {
        Some(e) => (
            e.model_version.clone(),
            e.features
                .iter()
                .map(|f| FeatureWeight {
                    feature: f.feature.clone(),
                    weight: format!("{:+.2}", f.weight),
                })
                .collect(),
            e.similar
                .iter()
                .map(|s| SimilarApproved {
                    reference: s.reference.clone(),
                    date: s.date.to_string(),
                    supplier: s.supplier.clone(),
                    description: s.description.clone(),
                    amount: s.amount.to_string(),
                    account: s.account.clone(),
                    cost_centre: s.cost_centre.clone(),
                    same_vendor: s.same_vendor,
                })
                .collect(),
        ),
        None => (String::new(), Vec::new(), Vec::new()),
    };
    Explanation::Model {
        model_version,
        features,
        similar,
        alternatives: field
            .top
            .iter()
            .skip(1)
            .map(|c| Alternative {
                value: c.value.clone(),
                confidence: confidence(c.confidence),
            })
            .collect(),
    }
}

fn model_proposal(suggestion: &Suggestion, field: &FieldSuggestion) -> Option<Proposal> {
    let value = field.value.as_ref().filter(|v| !v.trim().is_empty())?;
    Some(Proposal {
        source: Source::Model,
        value: value.clone(),
        confidence: confidence(field.confidence),
        explanation: model_explanation(suggestion, field),
    })
}

fn fixed_proposal(fallback: &Fallback) -> Proposal {
    Proposal {
        source: Source::Fixed,
        value: fallback.value.clone(),
        confidence: fallback.confidence,
        explanation: Explanation::Fixed {
            reason: fallback.reason.clone(),
        },
    }
}

fn rule_proposal(value: String, rule: &RuleRef) -> Proposal {
    Proposal {
        source: Source::Rule,
        value,
        confidence: Decimal::ONE,
        explanation: Explanation::Rule { rule: rule.clone() },
    }
}

/// `60 % cost_centre=CC-100 / 40 % cost_centre=CC-200`.
pub fn describe_split(split: &[SplitShare]) -> String {
    split
        .iter()
        .map(|s| {
            let mut text = match &s.share {
                Share::Percent(p) => format!("{} %", p.normalize()),
                Share::Amount(a) => a.to_string(),
                Share::Rest => "rest".to_owned(),
            };
            if let Some(a) = &s.account {
                text.push_str(&format!(" account={a}"));
            }
            for (k, v) in &s.dimensions {
                text.push_str(&format!(" {k}={v}"));
            }
            if let Some(t) = &s.tax_code {
                text.push_str(&format!(" tax_code={t}"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Decides every field of every line of `document`.
pub fn decide(document: &Document, inputs: &Inputs<'_>) -> CodedDocument {
    let count = document.lines.len().max(1);
    let mut lines = Vec::with_capacity(count);
    let mut codings = Vec::with_capacity(count);
    for index in 0..count {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let rules = inputs.rules.lines.get(index);
        let model = inputs.model.get(index);
        let mut proposals: BTreeMap<Field, Vec<Proposal>> = BTreeMap::new();
        let mut add = |field: Field, proposal: Proposal| {
            proposals.entry(field).or_default().push(proposal);
        };
        for p in inputs.person.iter().filter(|p| p.line_no == line_no) {
            add(
                p.field.clone(),
                Proposal {
                    source: Source::Person,
                    value: p.value.clone(),
                    confidence: Decimal::ONE,
                    explanation: Explanation::Person {
                        by: p.by.clone(),
                        at: p.at.clone(),
                        learn: p.learn,
                    },
                },
            );
        }
        if let Some(r) = rules {
            if let Some(f) = &r.account {
                add(Field::Account, rule_proposal(f.value.clone(), &f.by));
            }
            for (dimension, f) in &r.dimensions {
                add(
                    Field::Dimension(dimension.clone()),
                    rule_proposal(f.value.clone(), &f.by),
                );
            }
            if let Some(f) = &r.tax_code {
                add(Field::TaxCode, rule_proposal(f.value.clone(), &f.by));
            }
            if let Some(f) = &r.split {
                add(Field::Split, rule_proposal(describe_split(&f.value), &f.by));
            }
        }
        if let Some(s) = model {
            if let Some(p) = model_proposal(s, &s.account) {
                add(Field::Account, p);
            }
            if let Some(p) = model_proposal(s, &s.cost_centre) {
                add(Field::Dimension(inputs.cost_centre_dimension.to_owned()), p);
            }
        }
        if let Some(f) = &inputs.fixed.account {
            add(Field::Account, fixed_proposal(f));
        }
        for (dimension, f) in &inputs.fixed.dimensions {
            add(Field::Dimension(dimension.clone()), fixed_proposal(f));
        }
        if let Some(line) = document.lines.get(index)
            && let Some(tax) = find_tax_code(inputs.tax_codes, line.vat_category, line.vat_rate)
        {
            add(
                Field::TaxCode,
                Proposal {
                    source: Source::Fixed,
                    value: tax.code.clone(),
                    confidence: Decimal::ONE,
                    explanation: Explanation::Fixed {
                        reason: format!(
                            "the tax code of the line's {}",
                            describe_rate(line.vat_category, line.vat_rate)
                        ),
                    },
                },
            );
        }
        let fields: Vec<FieldCoding> = proposals
            .into_iter()
            .map(|(field, mut proposals)| {
                // Stable: within a source the order of adding is kept.
                proposals.sort_by_key(|p| p.source);
                FieldCoding { field, proposals }
            })
            .collect();
        let coded = CodedLine { line_no, fields };
        codings.push(line_coding(&coded, rules));
        lines.push(coded);
    }
    CodedDocument {
        lines,
        coding: DocumentCoding { lines: codings },
    }
}

/// The builder's coding of a line: the chosen values, the rules' split with a person's values
/// winning over the parts' own.
fn line_coding(line: &CodedLine, rules: Option<&crate::rules::LineRules>) -> LineCoding {
    let chosen = |field: &Field| line.field(field).and_then(FieldCoding::chosen);
    let by_person = |field: &Field| chosen(field).is_some_and(|p| p.source == Source::Person);
    let dimensions: BTreeMap<String, String> = line
        .fields
        .iter()
        .filter_map(|f| match (&f.field, f.chosen()) {
            (Field::Dimension(d), Some(p)) => Some((d.clone(), p.value.clone())),
            _ => None,
        })
        .collect();
    let person_dimensions: BTreeSet<&String> = line
        .fields
        .iter()
        .filter_map(|f| match &f.field {
            Field::Dimension(d) if by_person(&f.field) => Some(d),
            _ => None,
        })
        .collect();
    let tax_code = chosen(&Field::TaxCode)
        .filter(|p| matches!(p.source, Source::Person | Source::Rule))
        .map(|p| p.value.clone());
    let split = match (chosen(&Field::Split), rules.and_then(|r| r.split.as_ref())) {
        (Some(p), Some(fired)) if p.source == Source::Rule => fired
            .value
            .iter()
            .map(|part| SplitShare {
                share: part.share.clone(),
                account: part.account.clone().filter(|_| !by_person(&Field::Account)),
                dimensions: part
                    .dimensions
                    .iter()
                    .filter(|(d, _)| !person_dimensions.contains(d))
                    .map(|(d, v)| (d.clone(), v.clone()))
                    .collect(),
                tax_code: part
                    .tax_code
                    .clone()
                    .filter(|_| !by_person(&Field::TaxCode)),
            })
            .collect(),
        _ => Vec::new(),
    };
    LineCoding {
        account: chosen(&Field::Account)
            .map(|p| p.value.clone())
            .unwrap_or_default(),
        dimensions,
        tax_code,
        split,
    }
}
