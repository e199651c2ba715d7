//! A rule pack's own tests: sample documents and the coding the pack must give them.
//!
//! A finance person who edits a pack needs to know at once whether the invoices it was written for
//! still come out right. Each test file (`tests/*.toml` beside `pack.toml`) lists cases; a case
//! names a sample document — a UBL/CII file of the pack (`file = "samples/x.xml"`, read and parsed
//! by the caller, since this crate does no IO) or a small document described in TOML — and what
//! the rules must set for some of its lines. Only the fields an expectation names are compared,
//! so a test says exactly what it cares about; `unset` says which fields no rule may set.

use super::engine::{DocumentRules, RuleSet};
use super::pack::RuleError;
use crate::split::{SplitShare, split_amounts};
use chrono::NaiveDate;
use folio_domain::{
    Address, Currency, DocType, Document, DocumentLine, Party, PaymentInfo, References, Syntax,
    Totals, VatBreakdown, VatCategory,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Where a case's document comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseDocument {
    /// A file of the pack, relative to the pack's folder; the caller imports it.
    File(String),
    /// Described in the test file.
    Inline(Box<Document>),
}

/// What the rules must give one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectation {
    /// 1-based.
    pub line: u32,
    pub account: Option<String>,
    pub dimensions: BTreeMap<String, String>,
    pub tax_code: Option<String>,
    /// A rule id that must be among the rules that matched the line.
    pub rule: Option<String>,
    /// The split's parts: amount and, where given, account and dimensions.
    pub split: Option<Vec<ExpectedPart>>,
    /// Fields no rule may set: `account`, `tax_code`, `split`, `dimensions.<code>`.
    pub unset: Vec<String>,
}

/// One expected part of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedPart {
    pub amount: Decimal,
    pub account: Option<String>,
    pub dimensions: BTreeMap<String, String>,
}

/// One test case of a pack.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    pub document: CaseDocument,
    pub expect: Vec<Expectation>,
}

/// A difference between what a case expects and what the rules gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub line: u32,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(rename = "case", default)]
    cases: Vec<CaseFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    name: String,
    file: Option<String>,
    document: Option<DocFile>,
    #[serde(default)]
    expect: Vec<ExpectFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocFile {
    supplier: SupplierDoc,
    #[serde(default = "default_currency")]
    currency: String,
    doc_type: Option<String>,
    buyer_reference: Option<String>,
    order_reference: Option<String>,
    iban: Option<String>,
    #[serde(default)]
    lines: Vec<LineDoc>,
}

fn default_currency() -> String {
    "EUR".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupplierDoc {
    name: String,
    vat_id: Option<String>,
    country: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineDoc {
    description: String,
    amount: String,
    #[serde(default = "default_category")]
    vat_category: String,
    vat_rate: Option<String>,
}

fn default_category() -> String {
    "S".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    line: u32,
    account: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    tax_code: Option<String>,
    rule: Option<String>,
    split: Option<Vec<PartFile>>,
    #[serde(default)]
    unset: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartFile {
    amount: String,
    account: Option<String>,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
}

fn decimal(source: &str, field: &str, text: &str) -> Result<Decimal, RuleError> {
    Decimal::from_str(text.trim())
        .map_err(|_| RuleError::one(source, field, format!("'{text}' is not a decimal number")))
}

fn inline_document(source: &str, at: &str, doc: DocFile) -> Result<Document, RuleError> {
    let currency = Currency::parse(&doc.currency)
        .map_err(|e| RuleError::one(source, &format!("{at}.currency"), e.to_string()))?;
    let doc_type = match doc.doc_type.as_deref() {
        None => DocType::Invoice,
        Some(t) => DocType::parse(t).ok_or_else(|| {
            RuleError::one(
                source,
                &format!("{at}.doc_type"),
                format!("'{t}' is not invoice or credit_note"),
            )
        })?,
    };
    let mut lines = Vec::new();
    let mut groups: BTreeMap<(VatCategory, Option<Decimal>), Decimal> = BTreeMap::new();
    for (i, l) in doc.lines.iter().enumerate() {
        let field = format!("{at}.lines[{i}]");
        let net = decimal(source, &format!("{field}.amount"), &l.amount)?;
        let category = VatCategory::parse(&l.vat_category).ok_or_else(|| {
            RuleError::one(
                source,
                &format!("{field}.vat_category"),
                format!("'{}' is not a VAT category", l.vat_category),
            )
        })?;
        let rate = l
            .vat_rate
            .as_deref()
            .map(|r| decimal(source, &format!("{field}.vat_rate"), r))
            .transpose()?;
        *groups.entry((category, rate)).or_default() += net;
        lines.push(DocumentLine {
            id: (i + 1).to_string(),
            name: l.description.clone(),
            description: None,
            quantity: Decimal::ONE,
            unit_code: None,
            unit_price: net,
            price_base_quantity: None,
            net_amount: net,
            vat_category: category,
            vat_rate: rate,
            allowances_charges: Vec::new(),
            seller_item_id: None,
            buyer_accounting_ref: None,
            order_line_ref: None,
        });
    }
    let vat_breakdown: Vec<VatBreakdown> = groups
        .into_iter()
        .map(|((category, rate), taxable)| VatBreakdown {
            category,
            rate,
            taxable_amount: taxable,
            tax_amount: (taxable * rate.unwrap_or_default() / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(
                    currency.minor_units(),
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                ),
            exemption_reason: None,
            exemption_reason_code: None,
        })
        .collect();
    let net: Decimal = lines.iter().map(|l| l.net_amount).sum();
    let tax: Decimal = vat_breakdown.iter().map(|g| g.tax_amount).sum();
    Ok(Document {
        syntax: Syntax::Ubl,
        doc_type,
        type_code: None,
        customization_id: None,
        profile_id: None,
        number: "TEST".to_owned(),
        issue_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        due_date: None,
        tax_point_date: None,
        currency,
        tax_currency: None,
        tax_total_in_tax_currency: None,
        supplier: Party {
            name: doc.supplier.name,
            vat_id: doc.supplier.vat_id,
            address: Address {
                country_code: doc.supplier.country,
                ..Address::default()
            },
            ..Party::default()
        },
        buyer: Party::default(),
        payee: None,
        lines,
        allowances_charges: Vec::new(),
        vat_breakdown,
        totals: Totals {
            line_net_total: net,
            tax_exclusive: net,
            tax_total: Some(tax),
            tax_inclusive: net + tax,
            payable: net + tax,
            ..Totals::default()
        },
        payment: PaymentInfo {
            iban: doc.iban,
            ..PaymentInfo::default()
        },
        references: References {
            buyer_reference: doc.buyer_reference,
            order: doc.order_reference,
            ..References::default()
        },
        notes: Vec::new(),
    })
}

/// Reads a test file's cases. `source_name` is used in messages.
pub fn parse_tests(source_name: &str, text: &str) -> Result<Vec<TestCase>, RuleError> {
    let file: TestFile = toml::from_str(text)
        .map_err(|e| RuleError::one(source_name, "", e.to_string().trim_end().to_owned()))?;
    let mut cases = Vec::new();
    for (i, c) in file.cases.into_iter().enumerate() {
        let at = format!("case[{i}] ({})", c.name);
        let document = match (c.file, c.document) {
            (Some(path), None) => CaseDocument::File(path),
            (None, Some(doc)) => CaseDocument::Inline(Box::new(inline_document(
                source_name,
                &format!("{at}.document"),
                doc,
            )?)),
            _ => {
                return Err(RuleError::one(
                    source_name,
                    &at,
                    "give exactly one of file = \"…\" or [case.document]",
                ));
            }
        };
        if c.expect.is_empty() {
            return Err(RuleError::one(
                source_name,
                &at,
                "the case expects nothing: add [[case.expect]]",
            ));
        }
        let mut expect = Vec::new();
        for (j, e) in c.expect.into_iter().enumerate() {
            let field = format!("{at}.expect[{j}]");
            let split = match e.split {
                None => None,
                Some(parts) => Some(
                    parts
                        .into_iter()
                        .enumerate()
                        .map(|(k, p)| {
                            Ok(ExpectedPart {
                                amount: decimal(
                                    source_name,
                                    &format!("{field}.split[{k}].amount"),
                                    &p.amount,
                                )?,
                                account: p.account,
                                dimensions: p.dimensions,
                            })
                        })
                        .collect::<Result<Vec<_>, RuleError>>()?,
                ),
            };
            if e.line == 0 {
                return Err(RuleError::one(
                    source_name,
                    &format!("{field}.line"),
                    "lines are numbered from 1",
                ));
            }
            expect.push(Expectation {
                line: e.line,
                account: e.account,
                dimensions: e.dimensions,
                tax_code: e.tax_code,
                rule: e.rule,
                split,
                unset: e.unset,
            });
        }
        cases.push(TestCase {
            name: c.name,
            document,
            expect,
        });
    }
    Ok(cases)
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(not set)".to_owned(), str::to_owned)
}

/// A split part as compared: amount, account, dimensions.
type Part = (Decimal, Option<String>, BTreeMap<String, String>);

fn describe_parts(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|(amount, account, dims)| {
            let mut text = amount.to_string();
            if let Some(a) = account {
                text.push_str(&format!(" {a}"));
            }
            for (k, v) in dims {
                text.push_str(&format!(" {k}={v}"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

fn split_parts(
    document: &Document,
    line: usize,
    split: &[SplitShare],
) -> Result<Vec<Part>, String> {
    let total = document
        .lines
        .get(line)
        .map_or(document.totals.tax_exclusive, |l| l.net_amount);
    let shares: Vec<_> = split.iter().map(|s| s.share.clone()).collect();
    let amounts = split_amounts(total, document.currency, &shares).map_err(|e| e.to_string())?;
    Ok(amounts
        .into_iter()
        .zip(split)
        .map(|(amount, s)| (amount, s.account.clone(), s.dimensions.clone()))
        .collect())
}

/// Runs the rules over `document` and compares with `expect`; empty when everything matches.
pub fn check_case(rules: &RuleSet, document: &Document, expect: &[Expectation]) -> Vec<Mismatch> {
    let coded: DocumentRules = rules.apply(document);
    let mut mismatches = Vec::new();
    for e in expect {
        let mut mismatch = |field: &str, expected: String, actual: String| {
            mismatches.push(Mismatch {
                line: e.line,
                field: field.to_owned(),
                expected,
                actual,
            });
        };
        let index = e.line as usize - 1;
        let Some(line) = coded.lines.get(index) else {
            mismatch(
                "line",
                format!("line {}", e.line),
                format!("the document has {} line(s)", coded.lines.len()),
            );
            continue;
        };
        let account = line.account.as_ref().map(|f| f.value.as_str());
        if let Some(expected) = &e.account
            && account != Some(expected.as_str())
        {
            mismatch("account", expected.clone(), shown(account));
        }
        for (dimension, expected) in &e.dimensions {
            let actual = line.dimensions.get(dimension).map(|f| f.value.as_str());
            if actual != Some(expected.as_str()) {
                mismatch(
                    &format!("dimensions.{dimension}"),
                    expected.clone(),
                    shown(actual),
                );
            }
        }
        let tax_code = line.tax_code.as_ref().map(|f| f.value.as_str());
        if let Some(expected) = &e.tax_code
            && tax_code != Some(expected.as_str())
        {
            mismatch("tax_code", expected.clone(), shown(tax_code));
        }
        if let Some(rule) = &e.rule
            && !line.matched.iter().any(|m| &m.rule == rule)
        {
            let matched: Vec<&str> = line.matched.iter().map(|m| m.rule.as_str()).collect();
            mismatch(
                "rule",
                format!("rule {rule} matches"),
                if matched.is_empty() {
                    "no rule matched".to_owned()
                } else {
                    format!("matched: {}", matched.join(", "))
                },
            );
        }
        if let Some(parts) = &e.split {
            let expected: Vec<_> = parts
                .iter()
                .map(|p| (p.amount, p.account.clone(), p.dimensions.clone()))
                .collect();
            let actual = match &line.split {
                None => Err("(not split)".to_owned()),
                Some(f) => split_parts(document, index, &f.value),
            };
            let agrees = actual.as_ref().is_ok_and(|actual| {
                actual.len() == expected.len()
                    && actual.iter().zip(&expected).all(|(a, x)| {
                        a.0 == x.0
                            && (x.1.is_none() || a.1 == x.1)
                            && x.2.iter().all(|(k, v)| a.2.get(k) == Some(v))
                    })
            });
            if !agrees {
                mismatch(
                    "split",
                    describe_parts(&expected),
                    actual.map_or_else(|e| e, |a| describe_parts(&a)),
                );
            }
        }
        for field in &e.unset {
            let actual = match field.as_str() {
                "account" => account.map(str::to_owned),
                "tax_code" => tax_code.map(str::to_owned),
                "split" => line.split.as_ref().map(|_| "a split".to_owned()),
                other => match other.strip_prefix("dimensions.") {
                    Some(d) => line.dimensions.get(d).map(|f| f.value.clone()),
                    None => Some(format!("'{other}' is not a field")),
                },
            };
            if let Some(actual) = actual {
                mismatch(field, "(not set)".to_owned(), actual);
            }
        }
    }
    mismatches
}
