//! EN 16931 core rules: mandatory elements and cardinalities (BR-01…BR-65) and the document-level
//! co-occurrence and arithmetic rules (BR-CO-*).

use super::{Finding, Input, Rule, Scope, amount, matches, rule, tax_matches, when};
use folio_domain::{Address, AllowanceCharge, Document, Severity, VatCategory};
use rust_decimal::Decimal;

use Scope::{All, En16931};
use Severity::{Error, Warning};

pub(super) const RULES: &[Rule] = &[
    rule("BR-01", Error, "customization_id", En16931, br_01),
    rule("BR-04", Error, "type_code", En16931, br_04),
    rule("BR-07", Error, "buyer.name", En16931, br_07),
    rule("BR-08", Error, "supplier.address", En16931, br_08),
    rule(
        "BR-09",
        Error,
        "supplier.address.country_code",
        En16931,
        br_09,
    ),
    rule("BR-10", Error, "buyer.address", En16931, br_10),
    rule("BR-11", Error, "buyer.address.country_code", En16931, br_11),
    rule("BR-16", Error, "lines", All, br_16),
    rule("BR-17", Error, "payee.name", En16931, br_17),
    rule("BR-18", Error, "tax_representative.name", En16931, br_18),
    rule("BR-19", Error, "tax_representative.address", En16931, br_19),
    rule(
        "BR-20",
        Error,
        "tax_representative.address.country_code",
        En16931,
        br_20,
    ),
    rule("BR-21", Error, "lines", En16931, br_21),
    rule("BR-23", Error, "lines", En16931, br_23),
    rule("BR-25", Error, "lines", En16931, br_25),
    rule("BR-27", Error, "lines", En16931, br_27),
    rule("BR-28", Error, "lines", En16931, br_28),
    rule("BR-29", Error, "invoice_period", En16931, br_29),
    rule("BR-30", Error, "lines", En16931, br_30),
    rule("BR-32", Error, "allowances_charges", En16931, br_32),
    rule("BR-33", Error, "allowances_charges", En16931, br_33),
    rule("BR-37", Error, "allowances_charges", En16931, br_37),
    rule("BR-38", Error, "allowances_charges", En16931, br_38),
    rule("BR-42", Error, "lines", En16931, br_42),
    rule("BR-44", Error, "lines", En16931, br_44),
    rule("BR-48", Error, "vat_breakdown", En16931, br_48),
    rule("BR-49", Error, "payment.means_code", En16931, br_49),
    rule("BR-51", Warning, "payment", En16931, br_51),
    rule("BR-52", Error, "attachments", En16931, br_52),
    rule("BR-53", Error, "tax_total_in_tax_currency", En16931, br_53),
    rule("BR-54", Error, "lines", En16931, br_54),
    rule(
        "BR-55",
        Error,
        "references.preceding_invoices",
        En16931,
        br_55,
    ),
    rule("BR-56", Error, "tax_representative.vat_id", En16931, br_56),
    rule("BR-57", Error, "deliver_to.country_code", En16931, br_57),
    rule("BR-61", Error, "payment.iban", En16931, br_61),
    rule("BR-62", Error, "supplier.endpoint_id", En16931, br_62),
    rule("BR-63", Error, "buyer.endpoint_id", En16931, br_63),
    rule("BR-64", Error, "lines", En16931, br_64),
    rule("BR-65", Error, "lines", En16931, br_65),
    rule("BR-CO-03", Error, "tax_point_date", En16931, br_co_03),
    rule("BR-CO-09", Error, "supplier.vat_id", En16931, br_co_09),
    rule(
        "BR-CO-10",
        Error,
        "totals.line_net_total",
        En16931,
        br_co_10,
    ),
    rule("BR-CO-11", Error, "totals.allowance_total", All, br_co_11),
    rule("BR-CO-12", Error, "totals.charge_total", All, br_co_12),
    rule("BR-CO-13", Error, "totals.tax_exclusive", All, br_co_13),
    rule("BR-CO-14", Error, "totals.tax_total", All, br_co_14),
    rule("BR-CO-15", Error, "totals.tax_inclusive", All, br_co_15),
    rule("BR-CO-16", Error, "totals.payable", All, br_co_16),
    rule("BR-CO-17", Error, "vat_breakdown", En16931, br_co_17),
    rule("BR-CO-18", Error, "vat_breakdown", En16931, br_co_18),
    rule("BR-CO-19", Error, "invoice_period", En16931, br_co_19),
    rule("BR-CO-20", Error, "lines", En16931, br_co_20),
    rule("BR-CO-21", Error, "allowances_charges", En16931, br_33),
    rule("BR-CO-22", Error, "allowances_charges", En16931, br_38),
    rule("BR-CO-23", Error, "lines", En16931, br_42),
    rule("BR-CO-24", Error, "lines", En16931, br_44),
    rule("BR-CO-25", Warning, "due_date", En16931, br_co_25),
    rule("BR-CO-26", Warning, "supplier", En16931, br_co_26),
];

fn is_blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

fn address_is_empty(a: &Address) -> bool {
    a.lines.is_empty()
        && is_blank(a.city.as_deref())
        && is_blank(a.postal_code.as_deref())
        && is_blank(a.subdivision.as_deref())
        && is_blank(a.country_code.as_deref())
}

fn br_01(i: &Input<'_>) -> Vec<Finding> {
    when(is_blank(i.doc.customization_id.as_deref()), || {
        "the specification identifier (BT-24) is missing; it says which rules the invoice follows"
            .to_owned()
    })
}

fn br_04(i: &Input<'_>) -> Vec<Finding> {
    when(is_blank(i.doc.type_code.as_deref()), || {
        "the invoice type code (BT-3) is missing".to_owned()
    })
}

fn br_07(i: &Input<'_>) -> Vec<Finding> {
    when(i.doc.buyer.name.trim().is_empty(), || {
        "the buyer name (BT-44) is missing".to_owned()
    })
}

fn br_08(i: &Input<'_>) -> Vec<Finding> {
    when(address_is_empty(&i.doc.supplier.address), || {
        "the seller postal address (BG-5) is missing".to_owned()
    })
}

fn br_09(i: &Input<'_>) -> Vec<Finding> {
    when(
        !address_is_empty(&i.doc.supplier.address)
            && is_blank(i.doc.supplier.address.country_code.as_deref()),
        || "the seller postal address has no country code (BT-40)".to_owned(),
    )
}

fn br_10(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts.known && address_is_empty(&i.doc.buyer.address),
        || "the buyer postal address (BG-8) is missing".to_owned(),
    )
}

fn br_11(i: &Input<'_>) -> Vec<Finding> {
    when(
        !address_is_empty(&i.doc.buyer.address)
            && is_blank(i.doc.buyer.address.country_code.as_deref()),
        || "the buyer postal address has no country code (BT-55)".to_owned(),
    )
}

fn br_16(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.doc.lines.is_empty() && !super::is_header_only_profile(i.doc),
        || {
            "the invoice has no lines; an invoice must have at least one line (only the \
             Factur-X MINIMUM and BASIC WL profiles may leave them out)"
                .to_owned()
        },
    )
}

fn br_17(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.doc
            .payee
            .as_ref()
            .is_some_and(|p| p.name.trim().is_empty()),
        || "the payee (BG-10) has no name (BT-59)".to_owned(),
    )
}

fn br_18(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .tax_representative
            .as_ref()
            .is_some_and(|t| is_blank(t.name.as_deref())),
        || "the seller tax representative (BG-11) has no name (BT-62)".to_owned(),
    )
}

fn br_19(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .tax_representative
            .as_ref()
            .is_some_and(|t| !t.has_address),
        || "the seller tax representative (BG-11) has no postal address (BG-12)".to_owned(),
    )
}

fn br_20(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .tax_representative
            .as_ref()
            .is_some_and(|t| t.has_address && is_blank(t.country_code.as_deref())),
        || "the seller tax representative's address has no country code (BT-69)".to_owned(),
    )
}

fn br_56(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .tax_representative
            .as_ref()
            .is_some_and(|t| is_blank(t.vat_id.as_deref())),
        || "the seller tax representative (BG-11) has no VAT identifier (BT-63)".to_owned(),
    )
}

/// One finding per line for which `broken` holds.
fn per_line(
    i: &Input<'_>,
    field: &str,
    broken: impl Fn(usize, &folio_domain::DocumentLine) -> Option<String>,
) -> Vec<Finding> {
    i.doc
        .lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            broken(index, line).map(|m| Finding::at(format!("lines[{index}].{field}"), m))
        })
        .collect()
}

fn br_21(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "id", |index, line| {
        let sent = i.facts.lines.get(index).is_none_or(|f| f.has_id);
        (line.id.trim().is_empty() || !sent)
            .then(|| format!("line {} has no line identifier (BT-126)", index + 1))
    })
}

fn br_23(i: &Input<'_>) -> Vec<Finding> {
    if !i.facts.known {
        return Vec::new();
    }
    per_line(i, "unit_code", |index, line| {
        is_blank(line.unit_code.as_deref()).then(|| {
            format!(
                "line {} ('{}') has no unit of measure for its quantity (BT-130)",
                index + 1,
                line.name
            )
        })
    })
}

fn br_25(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "name", |index, line| {
        line.name
            .trim()
            .is_empty()
            .then(|| format!("line {} has no item name (BT-153)", index + 1))
    })
}

fn br_27(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "unit_price", |index, line| {
        (line.unit_price < Decimal::ZERO).then(|| {
            format!(
                "line {} has a negative item net price (BT-146) of {}; a price is never negative \
                 (use a negative quantity)",
                index + 1,
                amount(i.doc, line.unit_price)
            )
        })
    })
}

fn br_28(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "gross_price", |index, _| {
        let gross = i.facts.lines.get(index).and_then(|f| f.gross_price)?;
        (gross < Decimal::ZERO).then(|| {
            format!(
                "line {} has a negative item gross price (BT-148) of {}",
                index + 1,
                amount(i.doc, gross)
            )
        })
    })
}

fn period_reversed(p: &crate::facts::Period) -> bool {
    matches!((p.start, p.end), (Some(s), Some(e)) if e < s)
}

fn br_29(i: &Input<'_>) -> Vec<Finding> {
    let Some(p) = i.facts.invoice_period else {
        return Vec::new();
    };
    when(period_reversed(&p), || {
        format!(
            "the invoicing period ends ({}, BT-74) before it starts ({}, BT-73)",
            p.end.map(|d| d.to_string()).unwrap_or_default(),
            p.start.map(|d| d.to_string()).unwrap_or_default()
        )
    })
}

fn br_30(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "period", |index, _| {
        let p = i.facts.lines.get(index).and_then(|f| f.period)?;
        period_reversed(&p).then(|| {
            format!(
                "line {} has a period that ends (BT-135) before it starts (BT-134)",
                index + 1
            )
        })
    })
}

fn per_allowance_charge(
    i: &Input<'_>,
    charges: bool,
    broken: impl Fn(&AllowanceCharge) -> bool,
    message: impl Fn(usize) -> String,
) -> Vec<Finding> {
    i.doc
        .allowances_charges
        .iter()
        .enumerate()
        .filter(|(_, ac)| ac.is_charge == charges && broken(ac))
        .map(|(index, _)| Finding::at(format!("allowances_charges[{index}]"), message(index + 1)))
        .collect()
}

fn br_32(i: &Input<'_>) -> Vec<Finding> {
    per_allowance_charge(
        i,
        false,
        |ac| ac.vat_category.is_none(),
        |n| format!("document-level allowance {n} has no VAT category code (BT-95)"),
    )
}

fn br_37(i: &Input<'_>) -> Vec<Finding> {
    per_allowance_charge(
        i,
        true,
        |ac| ac.vat_category.is_none(),
        |n| format!("document-level charge {n} has no VAT category code (BT-102)"),
    )
}

fn no_reason(ac: &AllowanceCharge) -> bool {
    is_blank(ac.reason.as_deref()) && is_blank(ac.reason_code.as_deref())
}

fn br_33(i: &Input<'_>) -> Vec<Finding> {
    per_allowance_charge(i, false, no_reason, |n| {
        format!(
            "document-level allowance {n} has neither a reason (BT-97) nor a reason code (BT-98)"
        )
    })
}

fn br_38(i: &Input<'_>) -> Vec<Finding> {
    per_allowance_charge(i, true, no_reason, |n| {
        format!(
            "document-level charge {n} has neither a reason (BT-104) nor a reason code (BT-105)"
        )
    })
}

fn line_ac_without_reason(i: &Input<'_>, charges: bool) -> Vec<Finding> {
    per_line(i, "allowances_charges", |index, line| {
        let n = line
            .allowances_charges
            .iter()
            .filter(|ac| ac.is_charge == charges && no_reason(ac))
            .count();
        (n > 0).then(|| {
            if charges {
                format!(
                    "line {} has {n} charge(s) with neither a reason (BT-144) nor a reason code \
                     (BT-145)",
                    index + 1
                )
            } else {
                format!(
                    "line {} has {n} allowance(s) with neither a reason (BT-139) nor a reason code \
                     (BT-140)",
                    index + 1
                )
            }
        })
    })
}

fn br_42(i: &Input<'_>) -> Vec<Finding> {
    line_ac_without_reason(i, false)
}

fn br_44(i: &Input<'_>) -> Vec<Finding> {
    line_ac_without_reason(i, true)
}

fn br_48(i: &Input<'_>) -> Vec<Finding> {
    i.doc
        .vat_breakdown
        .iter()
        .enumerate()
        .filter(|(_, b)| b.rate.is_none() && b.category != VatCategory::O)
        .map(|(index, b)| {
            Finding::at(
                format!("vat_breakdown[{index}].rate"),
                format!(
                    "the VAT breakdown for category {} has no rate (BT-119); only category O \
                     (not subject to VAT) goes without one",
                    b.category.code()
                ),
            )
        })
        .collect()
}

fn br_49(i: &Input<'_>) -> Vec<Finding> {
    let n = i
        .facts
        .payment_means
        .iter()
        .filter(|m| is_blank(m.code.as_deref()))
        .count();
    when(n > 0, || {
        format!("{n} payment instruction(s) (BG-16) have no payment means type code (BT-81)")
    })
}

fn br_51(i: &Input<'_>) -> Vec<Finding> {
    let full = i.facts.payment_means.iter().any(|m| {
        m.card
            .as_deref()
            .is_some_and(|pan| pan.chars().filter(char::is_ascii_digit).count() > 6)
    });
    when(full, || {
        "the payment card number (BT-87) has more than 6 digits; an invoice should carry only \
         the last 4 to 6 digits of a card number"
            .to_owned()
    })
}

fn br_52(i: &Input<'_>) -> Vec<Finding> {
    let n = i
        .facts
        .attachments
        .iter()
        .filter(|a| is_blank(a.id.as_deref()))
        .count();
    when(n > 0, || {
        format!("{n} supporting document(s) (BG-24) have no reference (BT-122)")
    })
}

fn br_53(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.doc.tax_currency.is_some() && i.doc.tax_total_in_tax_currency.is_none(),
        || {
            format!(
                "the VAT accounting currency (BT-6) is {} but the VAT total in that currency \
                 (BT-111) is missing",
                i.doc
                    .tax_currency
                    .map(|c| c.code().to_owned())
                    .unwrap_or_default()
            )
        },
    )
}

fn br_54(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "attributes", |index, _| {
        i.facts
            .lines
            .get(index)
            .is_some_and(|f| f.incomplete_attribute)
            .then(|| {
                format!(
                    "line {} has an item attribute (BG-32) without its name (BT-160) or value \
                     (BT-161)",
                    index + 1
                )
            })
    })
}

fn br_55(i: &Input<'_>) -> Vec<Finding> {
    let n = i.facts.preceding_without_id;
    when(n > 0, || {
        format!("{n} preceding invoice reference(s) (BG-3) have no invoice number (BT-25)")
    })
}

fn br_57(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .deliver_to
            .as_ref()
            .is_some_and(|a| is_blank(a.country_code.as_deref())),
        || "the deliver-to address (BG-15) has no country code (BT-80)".to_owned(),
    )
}

fn br_61(i: &Input<'_>) -> Vec<Finding> {
    i.facts
        .payment_means
        .iter()
        .filter(|m| {
            matches!(m.code.as_deref().map(str::trim), Some("30" | "58"))
                && m.credit_accounts.iter().all(|a| a.trim().is_empty())
        })
        .map(|m| {
            Finding::new(format!(
                "payment means {} is a credit transfer but names no payment account (BT-84)",
                m.code.as_deref().unwrap_or_default()
            ))
        })
        .collect()
}

fn br_62(i: &Input<'_>) -> Vec<Finding> {
    when(i.facts.seller_endpoint_without_scheme, || {
        "the seller electronic address (BT-34) has no scheme identifier".to_owned()
    })
}

fn br_63(i: &Input<'_>) -> Vec<Finding> {
    when(i.facts.buyer_endpoint_without_scheme, || {
        "the buyer electronic address (BT-49) has no scheme identifier".to_owned()
    })
}

fn br_64(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "standard_id", |index, _| {
        i.facts
            .lines
            .get(index)
            .is_some_and(|f| f.standard_id_without_scheme)
            .then(|| {
                format!(
                    "line {} has an item standard identifier (BT-157) without a scheme",
                    index + 1
                )
            })
    })
}

fn br_65(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "classification", |index, _| {
        i.facts
            .lines
            .get(index)
            .is_some_and(|f| f.classification_without_scheme)
            .then(|| {
                format!(
                    "line {} has an item classification identifier (BT-158) without a scheme",
                    index + 1
                )
            })
    })
}

fn br_co_03(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.doc.tax_point_date.is_some() && i.facts.tax_point_date_code,
        || {
            "the invoice has both a VAT point date (BT-7) and a VAT point date code (BT-8); only \
             one may be given"
                .to_owned()
        },
    )
}

/// A VAT identifier starts with a two-letter country prefix (ISO 3166-1 alpha-2, or EL).
fn has_country_prefix(id: &str) -> bool {
    let mut chars = id.trim().chars();
    matches!((chars.next(), chars.next()), (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_uppercase())
}

fn br_co_09(i: &Input<'_>) -> Vec<Finding> {
    let mut ids: Vec<(&str, &str, &str)> = Vec::new();
    if let Some(id) = i.doc.supplier.vat_id.as_deref() {
        ids.push(("supplier.vat_id", "seller VAT identifier (BT-31)", id));
    }
    if let Some(id) = i.doc.buyer.vat_id.as_deref() {
        ids.push(("buyer.vat_id", "buyer VAT identifier (BT-48)", id));
    }
    if let Some(id) = i
        .facts
        .tax_representative
        .as_ref()
        .and_then(|t| t.vat_id.as_deref())
    {
        ids.push((
            "tax_representative.vat_id",
            "seller tax representative VAT identifier (BT-63)",
            id,
        ));
    }
    ids.into_iter()
        .filter(|(_, _, id)| !has_country_prefix(id))
        .map(|(field, what, id)| {
            Finding::at(
                field,
                format!("the {what} '{id}' does not start with a two-letter country code"),
            )
        })
        .collect()
}

fn br_co_10(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    if doc.lines.is_empty() {
        return Vec::new();
    }
    let sum: Decimal = doc.lines.iter().map(|l| l.net_amount).sum();
    let stated = doc.totals.line_net_total;
    when(!matches(sum, stated), || {
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

fn br_co_11(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    let Some(stated) = doc.totals.allowance_total else {
        return Vec::new();
    };
    let sum = sum_of(doc, false);
    when(!matches(sum, stated), || {
        format!(
            "document-level allowances sum to {} but the allowance total (BT-107) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_12(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    let Some(stated) = doc.totals.charge_total else {
        return Vec::new();
    };
    let sum = sum_of(doc, true);
    when(!matches(sum, stated), || {
        format!(
            "document-level charges sum to {} but the charge total (BT-108) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_13(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    let t = &doc.totals;
    let allowances = t.allowance_total.unwrap_or_default();
    let charges = t.charge_total.unwrap_or_default();
    let computed = t.line_net_total - allowances + charges;
    when(!matches(computed, t.tax_exclusive), || {
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

fn br_co_14(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    // Without a breakdown there is nothing to add up (BR-CO-18 asks for one; MINIMUM has none).
    let Some(stated) = doc.totals.tax_total else {
        return Vec::new();
    };
    if doc.vat_breakdown.is_empty() {
        return Vec::new();
    }
    let sum: Decimal = doc.vat_breakdown.iter().map(|b| b.tax_amount).sum();
    when(!matches(sum, stated), || {
        format!(
            "the VAT breakdown amounts (BT-117) sum to {} but the VAT total (BT-110) is {}",
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn br_co_15(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    let t = &doc.totals;
    let vat = t.tax_total.unwrap_or_default();
    let computed = t.tax_exclusive + vat;
    when(!matches(computed, t.tax_inclusive), || {
        format!(
            "total without VAT {} + VAT {} = {}, but the total with VAT (BT-112) is {}",
            amount(doc, t.tax_exclusive),
            amount(doc, vat),
            amount(doc, computed),
            amount(doc, t.tax_inclusive)
        )
    })
}

fn br_co_16(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    let t = &doc.totals;
    let prepaid = t.prepaid.unwrap_or_default();
    let rounding = t.rounding.unwrap_or_default();
    let computed = t.tax_inclusive - prepaid + rounding;
    when(!matches(computed, t.payable), || {
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

fn br_co_17(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    doc.vat_breakdown
        .iter()
        .enumerate()
        .filter_map(|(index, b)| {
            let rate = b.rate?;
            let exact = b.taxable_amount * rate / Decimal::ONE_HUNDRED;
            let broken = if rate.is_zero() {
                b.tax_amount.abs() >= Decimal::ONE
            } else {
                !tax_matches(exact, b.tax_amount)
            };
            broken.then(|| {
                Finding::at(
                    format!("vat_breakdown[{index}].tax_amount"),
                    format!(
                        "category {} at {rate} %: taxable {} × {rate} / 100 = {} but the VAT \
                         amount (BT-117) is {}",
                        b.category.code(),
                        amount(doc, b.taxable_amount),
                        amount(doc, exact.round_dp(2)),
                        amount(doc, b.tax_amount)
                    ),
                )
            })
        })
        .collect()
}

fn br_co_18(i: &Input<'_>) -> Vec<Finding> {
    when(i.doc.vat_breakdown.is_empty(), || {
        "the invoice has no VAT breakdown (BG-23); it needs at least one".to_owned()
    })
}

fn br_co_19(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .invoice_period
            .is_some_and(|p| p.start.is_none() && p.end.is_none()),
        || "the invoicing period (BG-14) has neither a start (BT-73) nor an end (BT-74)".to_owned(),
    )
}

fn br_co_20(i: &Input<'_>) -> Vec<Finding> {
    per_line(i, "period", |index, _| {
        let p = i.facts.lines.get(index).and_then(|f| f.period)?;
        (p.start.is_none() && p.end.is_none()).then(|| {
            format!(
                "line {} has a period (BG-26) with neither a start (BT-134) nor an end (BT-135)",
                index + 1
            )
        })
    })
}

fn br_co_25(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    when(
        doc.totals.payable > Decimal::ZERO
            && doc.due_date.is_none()
            && is_blank(doc.payment.terms.as_deref())
            && i.facts.payment_terms_raw.is_empty(),
        || {
            format!(
                "{} is due (BT-115) but the invoice has neither a due date (BT-9) nor payment \
                 terms (BT-20)",
                amount(doc, doc.totals.payable)
            )
        },
    )
}

fn br_co_26(i: &Input<'_>) -> Vec<Finding> {
    let s = &i.doc.supplier;
    when(
        is_blank(s.party_id.as_deref())
            && is_blank(s.legal_id.as_deref())
            && is_blank(s.vat_id.as_deref()),
        || {
            "the seller has no identifier (BT-29), legal registration (BT-30) or VAT identifier \
             (BT-31); one of them is needed"
                .to_owned()
        },
    )
}
