//! Rule packs: reading and checking one pack's TOML text.
//!
//! A pack is data a finance person edits (with the JSON Schema in `rules/schema/` completing it in
//! their editor), so every mistake is reported here, at load time, with the pack, the rule and the
//! key concerned — an unknown key, a regex that does not compile, an amount that is not a decimal,
//! percentages that do not add up to 100 — rather than surfacing later as a line coded oddly.
//! Loading is pure: the caller reads the file and passes its text and a name for messages.
//!
//! Amounts, rates and percentages are TOML *strings* (`"12.50"`), never TOML floats, so that no
//! amount ever passes through a binary float.

use super::matching::{Conditions, ReferenceCondition, normalise_name, normalise_vat_id, words};
use crate::split::{Share, SplitShare, check_shares};
use folio_domain::{Currency, DocType, Problem, VatCategory};
use regex::{Regex, RegexBuilder};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use ts_rs::TS;

/// When a rule runs. Stages run in this order; a later stage overrides what an earlier one set.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "RuleStage")]
pub enum Stage {
    /// Baselines, e.g. the cost centre named in the buyer reference.
    Pre,
    /// The pack's ordinary rules.
    #[default]
    Default,
    /// Adjustments that must win, e.g. capitalising expensive hardware.
    Post,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Pre, Stage::Default, Stage::Post];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pre => "pre",
            Stage::Default => "default",
            Stage::Post => "post",
        }
    }
}

/// What a matching rule sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions {
    pub account: Option<String>,
    /// Dimension code → value code.
    pub dimensions: BTreeMap<String, String>,
    pub tax_code: Option<String>,
    /// Empty: the line is not split.
    pub split: Vec<SplitShare>,
}

/// One rule of a pack.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: Option<String>,
    pub stage: Stage,
    /// Within a stage, higher priorities run first and win.
    pub priority: i64,
    /// After this rule matches, no further rule looks at the line.
    pub stop: bool,
    pub(crate) when: Conditions,
    pub then: Actions,
}

/// A loaded, checked rule pack.
#[derive(Debug, Clone)]
pub struct RulePack {
    pub id: String,
    pub name: Option<String>,
    /// The version its authors gave it.
    pub version: String,
    pub description: Option<String>,
    /// SHA-256 (hex) of the pack's text: tells two edits of the same version apart.
    pub content_hash: String,
    pub rules: Vec<Rule>,
}

impl RulePack {
    /// `1.2.0+3f2a9c01b7de`: the authors' version and the start of the content hash, as
    /// explanations show it.
    pub fn version_label(&self) -> String {
        format!("{}+{}", self.version, &self.content_hash[..12])
    }
}

/// Why a pack (or a pack's tests) could not be loaded; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {}", .problems.iter().map(|p| if p.field.is_empty() { p.message.clone() } else { format!("{}: {}", p.field, p.message) }).collect::<Vec<_>>().join("; "))]
pub struct RuleError {
    /// The file (or other name) the text came from.
    pub source_name: String,
    pub problems: Vec<Problem>,
}

impl RuleError {
    pub(crate) fn one(source_name: &str, field: &str, message: impl Into<String>) -> RuleError {
        RuleError {
            source_name: source_name.to_owned(),
            problems: vec![Problem::error("RULE_PACK_INVALID", field, message)],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: HeaderFile,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderFile {
    id: String,
    version: String,
    name: Option<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    description: Option<String>,
    #[serde(default)]
    stage: Stage,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    stop: bool,
    #[serde(default)]
    when: WhenFile,
    #[serde(default)]
    then: ThenFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenFile {
    supplier: Option<SupplierFile>,
    description: Option<DescriptionFile>,
    amount: Option<AmountFile>,
    #[serde(default)]
    currency: Vec<String>,
    vat: Option<VatFile>,
    buyer_reference: Option<ReferenceFile>,
    order_reference: Option<ReferenceFile>,
    #[serde(default)]
    country: Vec<String>,
    doc_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupplierFile {
    #[serde(default)]
    vat_id: Vec<String>,
    #[serde(default)]
    name: Vec<String>,
    name_regex: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DescriptionFile {
    regex: Option<String>,
    #[serde(default)]
    words: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountFile {
    min: Option<String>,
    max: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VatFile {
    #[serde(default)]
    category: Vec<String>,
    #[serde(default)]
    rate: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceFile {
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    prefix: Vec<String>,
    regex: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThenFile {
    account: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    tax_code: Option<String>,
    #[serde(default)]
    split: Vec<SplitFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitFile {
    percent: Option<String>,
    amount: Option<String>,
    #[serde(default)]
    rest: bool,
    account: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    tax_code: Option<String>,
}

/// Collects the problems of one pack while it is checked.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn error(&mut self, field: String, message: impl Into<String>) {
        self.problems
            .push(Problem::error("RULE_PACK_INVALID", field, message));
    }

    fn decimal(&mut self, field: String, text: &str) -> Option<Decimal> {
        match Decimal::from_str(text.trim()) {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(field, format!("'{text}' is not a decimal number"));
                None
            }
        }
    }

    fn regex(&mut self, field: String, pattern: &str) -> Option<Regex> {
        // The regex crate matches in linear time; the size limit keeps a pathological pattern
        // from using much memory.
        match RegexBuilder::new(pattern).size_limit(1 << 20).build() {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(field, format!("the regex does not compile: {e}"));
                None
            }
        }
    }

    fn code(&mut self, field: String, value: &str) -> String {
        if value.trim().is_empty() || value.trim() != value {
            self.error(
                field,
                format!("'{value}' is not a code (empty or surrounded by spaces)"),
            );
        }
        value.to_owned()
    }

    fn reference(
        &mut self,
        field: &str,
        file: Option<ReferenceFile>,
    ) -> Option<ReferenceCondition> {
        let file = file?;
        if file.equals.is_empty() && file.prefix.is_empty() && file.regex.is_none() {
            self.error(
                field.to_owned(),
                "give at least one of equals, prefix or regex",
            );
        }
        Some(ReferenceCondition {
            equals: file
                .equals
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            prefix: file
                .prefix
                .iter()
                .map(|p| p.trim().to_lowercase())
                .collect(),
            regex: file
                .regex
                .as_deref()
                .and_then(|r| self.regex(format!("{field}.regex"), r)),
        })
    }

    fn conditions(&mut self, at: &str, when: WhenFile) -> Conditions {
        let mut c = Conditions::default();
        if let Some(s) = when.supplier {
            c.supplier_vat_ids = s.vat_id.iter().map(|v| normalise_vat_id(v)).collect();
            c.supplier_names = s.name.iter().map(|n| normalise_name(n)).collect();
            c.supplier_name_regex = s
                .name_regex
                .as_deref()
                .and_then(|r| self.regex(format!("{at}.when.supplier.name_regex"), r));
        }
        if let Some(d) = when.description {
            c.description_regex = d
                .regex
                .as_deref()
                .and_then(|r| self.regex(format!("{at}.when.description.regex"), r));
            for (i, phrase) in d.words.iter().enumerate() {
                let tokens = words(phrase);
                if tokens.is_empty() {
                    self.error(
                        format!("{at}.when.description.words[{i}]"),
                        format!("'{phrase}' has no word in it"),
                    );
                } else {
                    c.description_words.push(tokens);
                }
            }
        }
        if let Some(a) = when.amount {
            c.amount_min = a
                .min
                .as_deref()
                .and_then(|m| self.decimal(format!("{at}.when.amount.min"), m));
            c.amount_max = a
                .max
                .as_deref()
                .and_then(|m| self.decimal(format!("{at}.when.amount.max"), m));
            if let (Some(min), Some(max)) = (c.amount_min, c.amount_max)
                && min > max
            {
                self.error(
                    format!("{at}.when.amount"),
                    format!("min {min} is greater than max {max}"),
                );
            }
        }
        for (i, code) in when.currency.iter().enumerate() {
            match Currency::parse(code) {
                Ok(currency) => c.currencies.push(currency),
                Err(e) => self.error(format!("{at}.when.currency[{i}]"), e.to_string()),
            }
        }
        if let Some(v) = when.vat {
            for (i, code) in v.category.iter().enumerate() {
                match VatCategory::parse(code) {
                    Some(category) => c.vat_categories.push(category),
                    None => self.error(
                        format!("{at}.when.vat.category[{i}]"),
                        format!("'{code}' is not a VAT category (S, Z, E, AE, K, G, O, L, M)"),
                    ),
                }
            }
            for (i, rate) in v.rate.iter().enumerate() {
                if let Some(r) = self.decimal(format!("{at}.when.vat.rate[{i}]"), rate) {
                    c.vat_rates.push(r);
                }
            }
        }
        c.buyer_reference =
            self.reference(&format!("{at}.when.buyer_reference"), when.buyer_reference);
        c.order_reference =
            self.reference(&format!("{at}.when.order_reference"), when.order_reference);
        for (i, country) in when.country.iter().enumerate() {
            if country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()) {
                c.countries.push(country.clone());
            } else {
                self.error(
                    format!("{at}.when.country[{i}]"),
                    format!("'{country}' is not an ISO 3166 country code such as DE"),
                );
            }
        }
        if let Some(t) = when.doc_type {
            match DocType::parse(&t) {
                Some(doc_type) => c.doc_type = Some(doc_type),
                None => self.error(
                    format!("{at}.when.doc_type"),
                    format!("'{t}' is not invoice or credit_note"),
                ),
            }
        }
        c
    }

    fn dimensions(&mut self, at: &str, dims: BTreeMap<String, String>) -> BTreeMap<String, String> {
        dims.into_iter()
            .map(|(k, v)| {
                let v = self.code(format!("{at}.dimensions.{k}"), &v);
                (k, v)
            })
            .collect()
    }

    fn actions(&mut self, at: &str, then: ThenFile, stop: bool) -> Actions {
        let mut split = Vec::new();
        for (i, part) in then.split.into_iter().enumerate() {
            let field = format!("{at}.then.split[{i}]");
            let share = match (&part.percent, &part.amount, part.rest) {
                (Some(p), None, false) => self
                    .decimal(format!("{field}.percent"), p)
                    .map(Share::Percent),
                (None, Some(a), false) => self
                    .decimal(format!("{field}.amount"), a)
                    .map(Share::Amount),
                (None, None, true) => Some(Share::Rest),
                _ => {
                    self.error(
                        field.clone(),
                        "give exactly one of percent, amount or rest = true",
                    );
                    None
                }
            };
            let account = part
                .account
                .as_deref()
                .map(|a| self.code(format!("{field}.account"), a));
            let tax_code = part
                .tax_code
                .as_deref()
                .map(|t| self.code(format!("{field}.tax_code"), t));
            let dimensions = self.dimensions(&field, part.dimensions);
            if let Some(share) = share {
                split.push(SplitShare {
                    share,
                    account,
                    dimensions,
                    tax_code,
                });
            }
        }
        if !split.is_empty() {
            let shares: Vec<Share> = split.iter().map(|s| s.share.clone()).collect();
            if let Err(e) = check_shares(&shares) {
                self.error(format!("{at}.then.split"), e.to_string());
            }
        }
        let actions = Actions {
            account: then
                .account
                .as_deref()
                .map(|a| self.code(format!("{at}.then.account"), a)),
            dimensions: self.dimensions(&format!("{at}.then"), then.dimensions),
            tax_code: then
                .tax_code
                .as_deref()
                .map(|t| self.code(format!("{at}.then.tax_code"), t)),
            split,
        };
        if actions == Actions::default() && !stop {
            self.error(
                format!("{at}.then"),
                "the rule sets nothing: give an account, dimensions, a tax code or a split \
                 (or stop = true)",
            );
        }
        actions
    }
}

/// Loads a pack from its TOML text. `source_name` (usually the file's path) is used in messages.
pub fn load_pack(source_name: &str, text: &str) -> Result<RulePack, RuleError> {
    let file: PackFile = toml::from_str(text)
        .map_err(|e| RuleError::one(source_name, "", e.to_string().trim_end().to_owned()))?;
    let mut checker = Checker {
        problems: Vec::new(),
    };
    let id_ok = |id: &str| {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    if !id_ok(&file.pack.id) {
        checker.error(
            "pack.id".to_owned(),
            format!(
                "'{}' is not a pack id (lower-case letters, digits, - and _)",
                file.pack.id
            ),
        );
    }
    if file.pack.version.trim().is_empty() {
        checker.error("pack.version".to_owned(), "the version is empty");
    }
    let mut seen = BTreeSet::new();
    let mut rules = Vec::with_capacity(file.rules.len());
    for (i, r) in file.rules.into_iter().enumerate() {
        let at = format!("rules[{i}]");
        if !id_ok(&r.id) {
            checker.error(
                format!("{at}.id"),
                format!(
                    "'{}' is not a rule id (lower-case letters, digits, - and _)",
                    r.id
                ),
            );
        } else if !seen.insert(r.id.clone()) {
            checker.error(
                format!("{at}.id"),
                format!("the rule id '{}' is used twice", r.id),
            );
        }
        let at = format!("{at} ({})", r.id);
        let when = checker.conditions(&at, r.when);
        let then = checker.actions(&at, r.then, r.stop);
        rules.push(Rule {
            id: r.id,
            description: r.description,
            stage: r.stage,
            priority: r.priority,
            stop: r.stop,
            when,
            then,
        });
    }
    if !checker.problems.is_empty() {
        return Err(RuleError {
            source_name: source_name.to_owned(),
            problems: checker.problems,
        });
    }
    Ok(RulePack {
        id: file.pack.id,
        name: file.pack.name,
        version: file.pack.version,
        description: file.pack.description,
        content_hash: content_hash(text),
        rules,
    })
}

/// SHA-256 of a pack's text, in hex.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
