//! Documents built from a few header figures — supplier, number, dates, currency, net, VAT and
//! total — as a plain PDF's text or a spreadsheet row gives them. They are header-only (no lines),
//! like the CII MINIMUM profile: the journal builder books the net to the header's coding per VAT
//! group, so the document carries exactly one VAT breakdown group, whose rate is the usual rate
//! VAT ÷ net comes to (standard rate `S`), or zero rated (`Z`, 0 %) when there is no VAT.

use chrono::NaiveDate;
use folio_domain::{
    Currency, DocType, Document, Party, PaymentInfo, References, Syntax, Totals, VatBreakdown,
    VatCategory,
};
use rust_decimal::{Decimal, RoundingStrategy};

/// Usual VAT rates (percent, as `(mantissa, scale)`): a rate computed from VAT ÷ net within half a
/// point of one of these is taken to be it.
const USUAL_RATES: &[(i64, u32)] = &[
    (0, 0),
    (21, 1),
    (25, 1),
    (5, 0),
    (55, 1),
    (6, 0),
    (7, 0),
    (8, 0),
    (9, 0),
    (10, 0),
    (12, 0),
    (13, 0),
    (14, 0),
    (15, 0),
    (16, 0),
    (17, 0),
    (18, 0),
    (19, 0),
    (20, 0),
    (21, 0),
    (22, 0),
    (23, 0),
    (24, 0),
    (25, 0),
    (27, 0),
];

/// Rounds half away from zero to cents.
pub(crate) fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The usual rate VAT ÷ net is closest to, within half a point.
pub(crate) fn usual_rate(net: Decimal, vat: Decimal) -> Option<Decimal> {
    if net.is_zero() {
        return None;
    }
    let rate = vat * Decimal::ONE_HUNDRED / net;
    USUAL_RATES
        .iter()
        .map(|(m, s)| Decimal::new(*m, *s))
        .map(|r| ((rate - r).abs(), r))
        .filter(|(distance, _)| *distance <= Decimal::new(5, 1))
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, r)| r)
}

/// The VAT category and rate of a net amount and its VAT: zero rated without VAT, else standard
/// rated at the usual rate (or the exact quotient, rounded to cents, when it is no usual rate).
pub(crate) fn category_of(net: Decimal, vat: Decimal) -> (VatCategory, Option<Decimal>) {
    if vat.is_zero() {
        return (VatCategory::Z, Some(Decimal::ZERO));
    }
    let rate = usual_rate(net, vat)
        .or_else(|| (!net.is_zero()).then(|| round2(vat * Decimal::ONE_HUNDRED / net)));
    (VatCategory::S, rate)
}

/// The category of a stated rate: zero rated at 0 %, standard rated otherwise.
pub(crate) fn category_for_rate(rate: Decimal) -> VatCategory {
    if rate.is_zero() {
        VatCategory::Z
    } else {
        VatCategory::S
    }
}

/// The figures a header-only document is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderFields {
    pub syntax: Syntax,
    pub supplier_name: String,
    pub supplier_vat_id: Option<String>,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    pub credit_note: bool,
    /// Amount without VAT, when known (else total − VAT).
    pub net: Option<Decimal>,
    /// VAT amount, when known (else zero).
    pub vat: Option<Decimal>,
    /// Amount due.
    pub total: Decimal,
    pub notes: Vec<String>,
}

/// The header-only document of `h`. Amounts are taken as positive; a credit note says so by its
/// type.
pub fn header_only(h: &HeaderFields) -> Document {
    let payable = h.total.abs();
    let tax = h.vat.map(|v| v.abs()).unwrap_or_default();
    let net = h.net.map(|n| n.abs()).unwrap_or(payable - tax);
    let (category, rate) = category_of(net, tax);
    Document {
        syntax: h.syntax,
        doc_type: if h.credit_note {
            DocType::CreditNote
        } else {
            DocType::Invoice
        },
        type_code: None,
        customization_id: None,
        profile_id: None,
        number: h.number.clone(),
        issue_date: h.issue_date,
        due_date: h.due_date,
        tax_point_date: None,
        currency: h.currency,
        tax_currency: None,
        tax_total_in_tax_currency: None,
        supplier: Party {
            name: h.supplier_name.clone(),
            vat_id: h.supplier_vat_id.clone(),
            ..Party::default()
        },
        buyer: Party::default(),
        payee: None,
        lines: Vec::new(),
        allowances_charges: Vec::new(),
        vat_breakdown: vec![VatBreakdown {
            category,
            rate,
            taxable_amount: net,
            tax_amount: tax,
            exemption_reason: None,
            exemption_reason_code: None,
        }],
        totals: Totals {
            line_net_total: net,
            allowance_total: None,
            charge_total: None,
            tax_exclusive: net,
            tax_total: Some(tax),
            tax_inclusive: net + tax,
            prepaid: None,
            rounding: None,
            payable,
        },
        payment: PaymentInfo::default(),
        references: References::default(),
        notes: h.notes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn usual_rates_are_recognised() {
        let cases = [
            (dec!(46.68), dec!(9.34), Some(dec!(20))),
            (dec!(593.36), dec!(124.61), Some(dec!(21))),
            (dec!(100), dec!(5.5), Some(dec!(5.5))),
            (dec!(100), dec!(33), None),
            (dec!(0), dec!(1), None),
        ];
        for (net, vat, expected) in cases {
            assert_eq!(usual_rate(net, vat), expected, "{net} {vat}");
        }
        assert_eq!(
            category_of(dec!(10), dec!(0)),
            (VatCategory::Z, Some(dec!(0)))
        );
        assert_eq!(
            category_of(dec!(100), dec!(33)),
            (VatCategory::S, Some(dec!(33.00)))
        );
    }
}
