//! EN 16931 business rules (and the German CIUS XRechnung's BR-DE rules) computed on a
//! [`Document`], as [`Problem`]s.
//!
//! The rules run on the domain model, not on the XML, so one implementation serves every syntax
//! (UBL, CII, ZUGFeRD 1 and later PDF and CSV imports). What the model does not keep (was a seller
//! contact sent, the invoicing period, the delivery address, …) the mappers record as
//! [`Facts`]; a document without facts (`Facts::default()`) skips the rules that need them.
//!
//! Each rule is one entry in [`RULES`]: its rule id, its severity (the schematron's `fatal` is an
//! error, `warning` a warning), the field it is about, the documents it applies to ([`Scope`]) and
//! a check returning one [`Finding`] per place the document breaks it, with a message that names
//! the business terms (BT-/BG-) and shows the arithmetic. Adding a rule means adding an entry.
//!
//! Two rules are reported as warnings although the norm makes them fatal: BR-CO-25 (a positive
//! amount due needs a due date or payment terms) and BR-CO-26 (the seller needs an identifier).
//! Invoices that the reference validators accept break them in the shared corpus, and a reviewer
//! can act on such an invoice; a warning shows the gap without blocking it.
//!
//! Arithmetic follows the CEN schematron: totals are compared exactly, and a computed sum also
//! passes when, rounded to two decimals, it equals the stated total (the schematron rounds sums).

mod core;
mod dec;
mod vat;
mod xrechnung;

use crate::facts::Facts;
use folio_domain::format::format_amount;
use folio_domain::{Document, Problem, Severity, Syntax};
use rust_decimal::{Decimal, RoundingStrategy};
use std::sync::LazyLock;

/// Which documents a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every document, whatever its syntax or profile (the total arithmetic).
    All,
    /// Documents that claim EN 16931 conformance: not ZUGFeRD 1.0 (older than the norm) and not
    /// the Factur-X MINIMUM / BASIC WL profiles, which are below the norm by design.
    En16931,
    /// XRechnung documents (specification identifier naming XRechnung).
    XRechnung,
}

/// What a rule looks at: the document and what the mapper saw besides.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub doc: &'a Document,
    pub facts: &'a Facts,
}

/// One place where a document breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A more precise field than the rule's (`lines[2].vat_rate`), when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl Finding {
    pub fn new(message: impl Into<String>) -> Finding {
        Finding {
            field: None,
            message: message.into(),
        }
    }

    pub fn at(field: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

/// One business rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The rule id as the specification writes it (`BR-CO-10`, `BR-S-08`, `BR-DE-15`).
    pub id: &'static str,
    pub severity: Severity,
    /// Path of the field concerned (`totals.line_net_total`).
    pub field: &'static str,
    pub scope: Scope,
    /// Every place the document breaks the rule (empty when it keeps it).
    pub check: fn(&Input<'_>) -> Vec<Finding>,
}

/// Every rule Folio checks, in the order their problems are reported.
pub static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let mut rules = Vec::new();
    rules.extend_from_slice(core::RULES);
    rules.extend_from_slice(dec::RULES);
    rules.extend(vat::rules());
    rules.extend_from_slice(xrechnung::RULES);
    rules
});

/// Runs every rule on a document read without syntax facts.
pub fn validate(doc: &Document) -> Vec<Problem> {
    validate_with(doc, &Facts::default())
}

/// Runs every rule in [`RULES`] that applies to the document and returns all problems found.
pub fn validate_with(doc: &Document, facts: &Facts) -> Vec<Problem> {
    let input = Input { doc, facts };
    let en16931 = is_en16931(doc);
    let xrechnung = is_xrechnung(doc);
    let mut problems = Vec::new();
    for rule in RULES.iter() {
        let applies = match rule.scope {
            Scope::All => true,
            Scope::En16931 => en16931,
            Scope::XRechnung => xrechnung,
        };
        if !applies {
            continue;
        }
        for finding in (rule.check)(&input) {
            problems.push(Problem::new(
                rule.id,
                rule.severity,
                finding.field.unwrap_or_else(|| rule.field.to_owned()),
                finding.message,
            ));
        }
    }
    problems
}

/// True for documents that carry no lines by design: the Factur-X / ZUGFeRD MINIMUM and BASIC WL
/// profiles, and documents read from a PDF's text or a spreadsheet row (header only).
pub fn is_header_only_profile(doc: &Document) -> bool {
    if matches!(doc.syntax, Syntax::PdfText | Syntax::Tabular) {
        return true;
    }
    doc.customization_id.as_deref().is_some_and(|id| {
        let id = id.to_ascii_lowercase();
        id.contains(":minimum") || id.contains(":basicwl")
    })
}

/// True when the document is held to the EN 16931 rules (see [`Scope::En16931`]). Peppol PINT
/// documents (Australia / New Zealand GST, …) follow their own rule set, not EN 16931, and what
/// Folio read from a PDF's text or a spreadsheet is no EN 16931 document at all.
pub fn is_en16931(doc: &Document) -> bool {
    let pint = doc
        .customization_id
        .as_deref()
        .is_some_and(|id| id.trim().starts_with("urn:peppol:pint"));
    matches!(doc.syntax, Syntax::Ubl | Syntax::Cii) && !is_header_only_profile(doc) && !pint
}

/// True when the specification identifier (BT-24) names XRechnung.
pub fn is_xrechnung(doc: &Document) -> bool {
    doc.syntax != Syntax::Zugferd1
        && doc
            .customization_id
            .as_deref()
            .is_some_and(|id| id.to_ascii_lowercase().contains("xrechnung"))
}

/// `computed` matches `stated` exactly or after rounding to two decimals, as the schematron does.
pub(crate) fn matches(computed: Decimal, stated: Decimal) -> bool {
    computed == stated
        || computed.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero) == stated
}

/// A VAT amount is accepted, as by the CEN schematron (1.3.x), when its absolute value is less
/// than one currency unit away from the absolute product rounded to two decimals: senders that
/// round per line instead of per group land a cent or two off, which the norm tolerates.
pub(crate) fn tax_matches(exact: Decimal, stated: Decimal) -> bool {
    let rounded = exact
        .abs()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    (stated.abs() - rounded).abs() < Decimal::ONE
}

pub(crate) fn amount(doc: &Document, value: Decimal) -> String {
    format_amount(value, doc.currency.minor_units())
}

/// One finding when `broken`.
pub(crate) fn when(broken: bool, message: impl FnOnce() -> String) -> Vec<Finding> {
    if broken {
        vec![Finding::new(message())]
    } else {
        Vec::new()
    }
}

/// A shorthand for table entries.
pub(crate) const fn rule(
    id: &'static str,
    severity: Severity,
    field: &'static str,
    scope: Scope,
    check: fn(&Input<'_>) -> Vec<Finding>,
) -> Rule {
    Rule {
        id,
        severity,
        field,
        scope,
        check,
    }
}

#[cfg(test)]
mod tests;
