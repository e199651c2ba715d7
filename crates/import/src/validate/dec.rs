//! BR-DEC-*: amounts carry at most two decimals.
//!
//! The amounts keep the scale the sender wrote (`12.500` has three decimals), which is what the
//! schematron counts, so the check is on the written scale.

use super::{Finding, Input, Rule, Scope, rule};
use folio_domain::Severity::Error;
use rust_decimal::Decimal;

pub(super) const RULES: &[Rule] = &[
    rule(
        "BR-DEC-01",
        Error,
        "allowances_charges",
        Scope::En16931,
        |i| doc_ac(i, false, false, "document-level allowance amount (BT-92)"),
    ),
    rule(
        "BR-DEC-02",
        Error,
        "allowances_charges",
        Scope::En16931,
        |i| {
            doc_ac(
                i,
                false,
                true,
                "document-level allowance base amount (BT-93)",
            )
        },
    ),
    rule(
        "BR-DEC-05",
        Error,
        "allowances_charges",
        Scope::En16931,
        |i| doc_ac(i, true, false, "document-level charge amount (BT-99)"),
    ),
    rule(
        "BR-DEC-06",
        Error,
        "allowances_charges",
        Scope::En16931,
        |i| doc_ac(i, true, true, "document-level charge base amount (BT-100)"),
    ),
    rule(
        "BR-DEC-09",
        Error,
        "totals.line_net_total",
        Scope::En16931,
        |i| {
            one(
                Some(i.doc.totals.line_net_total),
                "sum of line net amounts (BT-106)",
            )
        },
    ),
    rule(
        "BR-DEC-10",
        Error,
        "totals.allowance_total",
        Scope::En16931,
        |i| one(i.doc.totals.allowance_total, "sum of allowances (BT-107)"),
    ),
    rule(
        "BR-DEC-11",
        Error,
        "totals.charge_total",
        Scope::En16931,
        |i| one(i.doc.totals.charge_total, "sum of charges (BT-108)"),
    ),
    rule(
        "BR-DEC-12",
        Error,
        "totals.tax_exclusive",
        Scope::En16931,
        |i| {
            one(
                Some(i.doc.totals.tax_exclusive),
                "total without VAT (BT-109)",
            )
        },
    ),
    rule(
        "BR-DEC-13",
        Error,
        "totals.tax_total",
        Scope::En16931,
        |i| one(i.doc.totals.tax_total, "VAT total (BT-110)"),
    ),
    rule(
        "BR-DEC-14",
        Error,
        "totals.tax_inclusive",
        Scope::En16931,
        |i| one(Some(i.doc.totals.tax_inclusive), "total with VAT (BT-112)"),
    ),
    rule(
        "BR-DEC-15",
        Error,
        "tax_total_in_tax_currency",
        Scope::En16931,
        |i| {
            one(
                i.doc.tax_total_in_tax_currency,
                "VAT total in accounting currency (BT-111)",
            )
        },
    ),
    rule("BR-DEC-16", Error, "totals.prepaid", Scope::En16931, |i| {
        one(i.doc.totals.prepaid, "paid amount (BT-113)")
    }),
    rule("BR-DEC-17", Error, "totals.rounding", Scope::En16931, |i| {
        one(i.doc.totals.rounding, "rounding amount (BT-114)")
    }),
    rule("BR-DEC-18", Error, "totals.payable", Scope::En16931, |i| {
        one(Some(i.doc.totals.payable), "amount due (BT-115)")
    }),
    rule("BR-DEC-19", Error, "vat_breakdown", Scope::En16931, |i| {
        many(
            i.doc.vat_breakdown.iter().map(|b| b.taxable_amount),
            "vat_breakdown",
            "taxable_amount",
            "VAT category taxable amount (BT-116)",
        )
    }),
    rule("BR-DEC-20", Error, "vat_breakdown", Scope::En16931, |i| {
        many(
            i.doc.vat_breakdown.iter().map(|b| b.tax_amount),
            "vat_breakdown",
            "tax_amount",
            "VAT category tax amount (BT-117)",
        )
    }),
    rule("BR-DEC-23", Error, "lines", Scope::En16931, |i| {
        many(
            i.doc.lines.iter().map(|l| l.net_amount),
            "lines",
            "net_amount",
            "invoice line net amount (BT-131)",
        )
    }),
    rule("BR-DEC-24", Error, "lines", Scope::En16931, |i| {
        line_ac(i, false, false, "line allowance amount (BT-136)")
    }),
    rule("BR-DEC-25", Error, "lines", Scope::En16931, |i| {
        line_ac(i, false, true, "line allowance base amount (BT-137)")
    }),
    rule("BR-DEC-27", Error, "lines", Scope::En16931, |i| {
        line_ac(i, true, false, "line charge amount (BT-141)")
    }),
    rule("BR-DEC-28", Error, "lines", Scope::En16931, |i| {
        line_ac(i, true, true, "line charge base amount (BT-142)")
    }),
];

fn too_precise(value: Decimal) -> bool {
    value.scale() > 2
}

fn message(what: &str, value: Decimal) -> String {
    format!(
        "the {what} {value} has {} decimals; amounts have at most 2",
        value.scale()
    )
}

fn one(value: Option<Decimal>, what: &str) -> Vec<Finding> {
    value
        .filter(|v| too_precise(*v))
        .map(|v| vec![Finding::new(message(what, v))])
        .unwrap_or_default()
}

fn many(
    values: impl Iterator<Item = Decimal>,
    list: &str,
    field: &str,
    what: &str,
) -> Vec<Finding> {
    values
        .enumerate()
        .filter(|(_, v)| too_precise(*v))
        .map(|(index, v)| Finding::at(format!("{list}[{index}].{field}"), message(what, v)))
        .collect()
}

fn doc_ac(i: &Input<'_>, charges: bool, base: bool, what: &str) -> Vec<Finding> {
    i.doc
        .allowances_charges
        .iter()
        .enumerate()
        .filter(|(_, ac)| ac.is_charge == charges)
        .filter_map(|(index, ac)| {
            let value = if base { ac.base_amount? } else { ac.amount };
            too_precise(value)
                .then(|| Finding::at(format!("allowances_charges[{index}]"), message(what, value)))
        })
        .collect()
}

fn line_ac(i: &Input<'_>, charges: bool, base: bool, what: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, line) in i.doc.lines.iter().enumerate() {
        for ac in line
            .allowances_charges
            .iter()
            .filter(|ac| ac.is_charge == charges)
        {
            let value = if base {
                ac.base_amount
            } else {
                Some(ac.amount)
            };
            if let Some(value) = value.filter(|v| too_precise(*v)) {
                findings.push(Finding::at(
                    format!("lines[{index}].allowances_charges"),
                    format!("line {}: {}", index + 1, message(what, value)),
                ));
            }
        }
    }
    findings
}
