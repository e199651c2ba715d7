//! EN 16931 arithmetic for the demo invoices, in one place so that UBL and CII agree.
//!
//! - line net (BT-131) = quantity × net price, rounded to the currency's minor units;
//! - BT-106 = Σ line nets; BT-107 / BT-108 = Σ document allowances / charges;
//! - BT-109 = BT-106 − BT-107 + BT-108;
//! - per VAT category and rate: taxable (BT-116) = Σ its line nets − its allowances + its charges,
//!   VAT (BT-117) = taxable × rate / 100, rounded half away from zero to the minor units;
//! - BT-110 = Σ BT-117; BT-112 = BT-109 + BT-110; BT-115 = BT-112 − BT-113 (prepaid).
//!
//! Every amount is a `Decimal`; rounding goes through [`Money::round_to_minor_units`], the same
//! commercial rounding the rest of Folio uses.

use super::model::{Basis, Invoice, Tax};
use folio_domain::{Currency, Money};
use rust_decimal::Decimal;

/// One VAT breakdown group (BG-23).
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub tax: Tax,
    pub taxable: Decimal,
    pub tax_amount: Decimal,
}

/// A computed document-level allowance or charge.
#[derive(Debug, Clone, Copy)]
pub(super) struct AcAmount {
    pub amount: Decimal,
    /// The base the percentage applies to (BT-93 / BT-100), for percentage allowances.
    pub base: Option<Decimal>,
}

/// Everything derived from an invoice's inputs.
#[derive(Debug, Clone)]
pub(super) struct Totals {
    pub line_nets: Vec<Decimal>,
    pub allowances_charges: Vec<AcAmount>,
    pub groups: Vec<Group>,
    pub line_total: Decimal,
    pub allowance_total: Decimal,
    pub charge_total: Decimal,
    pub tax_exclusive: Decimal,
    pub tax_total: Decimal,
    pub tax_inclusive: Decimal,
    pub prepaid: Decimal,
    pub payable: Decimal,
}

pub(super) fn round(amount: Decimal, currency: Currency) -> Decimal {
    Money::new(amount, currency).round_to_minor_units().amount()
}

pub(super) fn compute(invoice: &Invoice) -> Totals {
    let currency = invoice.currency;
    let line_nets: Vec<Decimal> = invoice
        .lines
        .iter()
        .map(|l| round(l.quantity * l.price, currency))
        .collect();
    let line_total: Decimal = line_nets.iter().sum();

    let allowances_charges: Vec<AcAmount> = invoice
        .allowances_charges
        .iter()
        .map(|ac| match ac.basis {
            Basis::Amount(amount) => AcAmount {
                amount: round(amount, currency),
                base: None,
            },
            Basis::Percent(percent) => {
                let base: Decimal = invoice
                    .lines
                    .iter()
                    .zip(&line_nets)
                    .filter(|(l, _)| l.tax == ac.tax)
                    .map(|(_, net)| *net)
                    .sum();
                AcAmount {
                    amount: round(base * percent / Decimal::ONE_HUNDRED, currency),
                    base: Some(base),
                }
            }
        })
        .collect();
    let sum_where = |charge: bool| -> Decimal {
        invoice
            .allowances_charges
            .iter()
            .zip(&allowances_charges)
            .filter(|(ac, _)| ac.is_charge == charge)
            .map(|(_, a)| a.amount)
            .sum()
    };
    let allowance_total = sum_where(false);
    let charge_total = sum_where(true);

    // Groups in order of first appearance: lines first, then allowances and charges.
    let mut groups: Vec<Group> = Vec::new();
    let mut add = |tax: Tax, amount: Decimal| match groups.iter_mut().find(|g| g.tax == tax) {
        Some(group) => group.taxable += amount,
        None => groups.push(Group {
            tax,
            taxable: amount,
            tax_amount: Decimal::ZERO,
        }),
    };
    for (line, net) in invoice.lines.iter().zip(&line_nets) {
        add(line.tax, *net);
    }
    for (ac, computed) in invoice.allowances_charges.iter().zip(&allowances_charges) {
        add(
            ac.tax,
            if ac.is_charge {
                computed.amount
            } else {
                -computed.amount
            },
        );
    }
    for group in &mut groups {
        let rate = match group.tax {
            Tax::S(rate) => rate,
            _ => Decimal::ZERO,
        };
        group.tax_amount = round(group.taxable * rate / Decimal::ONE_HUNDRED, currency);
    }

    let tax_exclusive = line_total - allowance_total + charge_total;
    let tax_total: Decimal = groups.iter().map(|g| g.tax_amount).sum();
    let tax_inclusive = tax_exclusive + tax_total;
    let prepaid = invoice.prepaid.unwrap_or_default();
    Totals {
        line_nets,
        allowances_charges,
        groups,
        line_total,
        allowance_total,
        charge_total,
        tax_exclusive,
        tax_total,
        tax_inclusive,
        prepaid,
        payable: tax_inclusive - prepaid,
    }
}

/// An amount with exactly the currency's minor units: `12.50`, `1500` for JPY.
pub(super) fn amount_text(amount: Decimal, currency: Currency) -> String {
    let mut value = round(amount, currency);
    value.rescale(currency.minor_units());
    value.to_string()
}

/// A quantity, percentage or price without trailing zeros, but with at least `min_scale`
/// decimals: `3`, `2.5`, `0.0125`; prices use the currency's minor units as minimum.
pub(super) fn decimal_text(value: Decimal, min_scale: u32) -> String {
    let mut value = value.normalize();
    if value.scale() < min_scale {
        value.rescale(min_scale);
    }
    value.to_string()
}
