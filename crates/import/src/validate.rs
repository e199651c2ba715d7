//! EN 16931 business rules computed on a [`Document`], as [`Problem`]s.
//!
//! The rules run on the domain model, not on the XML, so one implementation serves every syntax
//! (UBL, CII, ZUGFeRD 1 and later PDF and CSV imports). Each rule is one entry in [`RULES`]: its
//! EN 16931 id, the field it is about, and a function that returns a problem message when the
//! document breaks it. Adding the rest of the BR-* set means adding entries, nothing else.
//!
//! Arithmetic follows the CEN schematron: totals are compared exactly, and a computed sum also
//! passes when, rounded to two decimals, it equals the stated total (the schematron rounds sums).

use folio_domain::format::format_amount;
use folio_domain::{Document, Problem, Severity};
use rust_decimal::{Decimal, RoundingStrategy};

/// One business rule: an id (`BR-CO-10`), the field it points at, and its check.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// Path of the field concerned (`totals.line_net_total`).
    pub field: &'static str,
    /// `Some(message)` when the document breaks the rule.
    pub check: fn(&Document) -> Option<String>,
}

/// The rules Folio checks, in the order their problems are reported.
pub const RULES: &[Rule] = &[
    Rule {
        id: "BR-16",
        severity: Severity::Error,
        field: "lines",
        check: br_16,
    },
    Rule {
        id: "BR-CO-10",
        severity: Severity::Error,
        field: "totals.line_net_total",
        check: br_co_10,
    },
    Rule {
        id: "BR-CO-11",
        severity: Severity::Error,
        field: "totals.allowance_total",
        check: br_co_11,
    },
    Rule {
        id: "BR-CO-12",
        severity: Severity::Error,
        field: "totals.charge_total",
        check: br_co_12,
    },
    Rule {
        id: "BR-CO-13",
        severity: Severity::Error,
        field: "totals.tax_exclusive",
        check: br_co_13,
    },
    Rule {
        id: "BR-CO-14",
        severity: Severity::Error,
        field: "totals.tax_total",
        check: br_co_14,
    },
    Rule {
        id: "BR-CO-15",
        severity: Severity::Error,
        field: "totals.tax_inclusive",
        check: br_co_15,
    },
    Rule {
        id: "BR-CO-16",
        severity: Severity::Error,
        field: "totals.payable",
        check: br_co_16,
    },
];

/// Runs every rule in [`RULES`] and returns all problems found.
pub fn validate(doc: &Document) -> Vec<Problem> {
    RULES
        .iter()
        .filter_map(|rule| {
            (rule.check)(doc)
                .map(|message| Problem::new(rule.id, rule.severity, rule.field, message))
        })
        .collect()
}

/// True for Factur-X / ZUGFeRD profiles that carry no lines by design (MINIMUM, BASIC WL).
pub fn is_header_only_profile(doc: &Document) -> bool {
    doc.customization_id.as_deref().is_some_and(|id| {
        let id = id.to_ascii_lowercase();
        id.contains(":minimum") || id.contains(":basicwl")
    })
}

/// `computed` matches `stated` exactly or after rounding to two decimals, as the schematron does.
fn matches(computed: Decimal, stated: Decimal) -> bool {
    computed == stated
        || computed.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero) == stated
}

fn amount(doc: &Document, value: Decimal) -> String {
    format_amount(value, doc.currency.minor_units())
}

fn br_16(doc: &Document) -> Option<String> {
    (doc.lines.is_empty() && !is_header_only_profile(doc)).then(|| {
        "the invoice has no lines; an invoice must have at least one line (only the \
         Factur-X MINIMUM and BASIC WL profiles may leave them out)"
            .to_owned()
    })
}

fn br_co_10(doc: &Document) -> Option<String> {
    if doc.lines.is_empty() {
        return None;
    }
    let sum: Decimal = doc.lines.iter().map(|l| l.net_amount).sum();
    let stated = doc.totals.line_net_total;
    (!matches(sum, stated)).then(|| {
        format!(
            "lines sum to {} but the invoice's line total (BT-106) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn sum_of(doc: &Document, charges: bool) -> Decimal {
    doc.allowances_charges
        .iter()
        .filter(|ac| ac.is_charge == charges)
        .map(|ac| ac.amount)
        .sum()
}

fn br_co_11(doc: &Document) -> Option<String> {
    let stated = doc.totals.allowance_total?;
    let sum = sum_of(doc, false);
    (!matches(sum, stated)).then(|| {
        format!(
            "document-level allowances sum to {} but the allowance total (BT-107) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_12(doc: &Document) -> Option<String> {
    let stated = doc.totals.charge_total?;
    let sum = sum_of(doc, true);
    (!matches(sum, stated)).then(|| {
        format!(
            "document-level charges sum to {} but the charge total (BT-108) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_13(doc: &Document) -> Option<String> {
    let t = &doc.totals;
    let allowances = t.allowance_total.unwrap_or_default();
    let charges = t.charge_total.unwrap_or_default();
    let computed = t.line_net_total - allowances + charges;
    (!matches(computed, t.tax_exclusive)).then(|| {
        format!(
            "line total {} − allowances {} + charges {} = {}, but the total without VAT (BT-109) \
             is {}",
            amount(doc, t.line_net_total),
            amount(doc, allowances),
            amount(doc, charges),
            amount(doc, computed),
            amount(doc, t.tax_exclusive)
        )
    })
}

fn br_co_14(doc: &Document) -> Option<String> {
    // Without a breakdown there is nothing to add up (BR-CO-18 asks for one; MINIMUM has none).
    let stated = doc.totals.tax_total?;
    if doc.vat_breakdown.is_empty() {
        return None;
    }
    let sum: Decimal = doc.vat_breakdown.iter().map(|b| b.tax_amount).sum();
    (!matches(sum, stated)).then(|| {
        format!(
            "the VAT breakdown amounts (BT-117) sum to {} but the VAT total (BT-110) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_15(doc: &Document) -> Option<String> {
    let t = &doc.totals;
    let vat = t.tax_total.unwrap_or_default();
    let computed = t.tax_exclusive + vat;
    (!matches(computed, t.tax_inclusive)).then(|| {
        format!(
            "total without VAT {} + VAT {} = {}, but the total with VAT (BT-112) is {}",
            amount(doc, t.tax_exclusive),
            amount(doc, vat),
            amount(doc, computed),
            amount(doc, t.tax_inclusive)
        )
    })
}

fn br_co_16(doc: &Document) -> Option<String> {
    let t = &doc.totals;
    let prepaid = t.prepaid.unwrap_or_default();
    let rounding = t.rounding.unwrap_or_default();
    let computed = t.tax_inclusive - prepaid + rounding;
    (!matches(computed, t.payable)).then(|| {
        format!(
            "total with VAT {} − paid {} + rounding {} = {}, but the amount due (BT-115) is {}",
            amount(doc, t.tax_inclusive),
            amount(doc, prepaid),
            amount(doc, rounding),
            amount(doc, computed),
            amount(doc, t.payable)
        )
    })
}
