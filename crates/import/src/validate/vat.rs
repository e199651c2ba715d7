//! The VAT category rules: BR-S-* (standard rate), BR-Z-* (zero rated), BR-E-* (exempt),
//! BR-AE-* (reverse charge), BR-IC-* (intra-community, category K), BR-G-* (export), BR-O-* (not
//! subject to VAT), BR-AF-* (IGIC, L) and BR-AG-* (IPSI, M).
//!
//! The norm states the same ten rules for every category with small differences (which seller or
//! buyer identifiers are needed, what the rate must be, whether an exemption reason is required),
//! so they are written once over a [`Category`] description and instantiated per category.

use super::{Finding, Input, Rule, Scope, amount, matches, rule, tax_matches, when};
use folio_domain::{Document, Severity::Error, VatCategory};
use rust_decimal::Decimal;

/// What the norm asks of one VAT category.
#[derive(Debug, Clone, Copy)]
struct Category {
    code: VatCategory,
    name: &'static str,
    /// Several breakdown groups (one per rate) are allowed; otherwise exactly one.
    per_rate: bool,
    rate: RateRule,
    ids: IdRule,
    /// An exemption reason (BT-120 / BT-121) is required (true) or forbidden (false).
    exemption_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateRule {
    Positive,
    ZeroOrMore,
    Zero,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdRule {
    /// Seller VAT id, seller tax registration id or tax representative VAT id (S, Z, E, L, M).
    SellerAny,
    /// SellerAny, and the buyer's VAT id or legal registration (AE).
    SellerAndBuyerAny,
    /// Seller VAT id or tax representative VAT id, and the buyer's VAT id (K).
    SellerVatAndBuyerVat,
    /// Seller VAT id or tax representative VAT id (G).
    SellerVat,
    /// None of the seller's, tax representative's or buyer's VAT ids (O).
    NoVatIds,
}

const S: Category = Category {
    code: VatCategory::S,
    name: "standard rated",
    per_rate: true,
    rate: RateRule::Positive,
    ids: IdRule::SellerAny,
    exemption_required: false,
};
const Z: Category = Category {
    code: VatCategory::Z,
    name: "zero rated",
    per_rate: false,
    rate: RateRule::Zero,
    ids: IdRule::SellerAny,
    exemption_required: false,
};
const E: Category = Category {
    code: VatCategory::E,
    name: "exempt from VAT",
    per_rate: false,
    rate: RateRule::Zero,
    ids: IdRule::SellerAny,
    exemption_required: true,
};
const AE: Category = Category {
    code: VatCategory::AE,
    name: "reverse charge",
    per_rate: false,
    rate: RateRule::Zero,
    ids: IdRule::SellerAndBuyerAny,
    exemption_required: true,
};
const K: Category = Category {
    code: VatCategory::K,
    name: "intra-community supply",
    per_rate: false,
    rate: RateRule::Zero,
    ids: IdRule::SellerVatAndBuyerVat,
    exemption_required: true,
};
const G: Category = Category {
    code: VatCategory::G,
    name: "export outside the EU",
    per_rate: false,
    rate: RateRule::Zero,
    ids: IdRule::SellerVat,
    exemption_required: true,
};
const O: Category = Category {
    code: VatCategory::O,
    name: "not subject to VAT",
    per_rate: false,
    rate: RateRule::Absent,
    ids: IdRule::NoVatIds,
    exemption_required: true,
};
const L: Category = Category {
    code: VatCategory::L,
    name: "IGIC (Canary Islands)",
    per_rate: true,
    rate: RateRule::ZeroOrMore,
    ids: IdRule::SellerAny,
    exemption_required: false,
};
const M: Category = Category {
    code: VatCategory::M,
    name: "IPSI (Ceuta and Melilla)",
    per_rate: true,
    rate: RateRule::ZeroOrMore,
    ids: IdRule::SellerAny,
    exemption_required: false,
};

/// Where an amount with a VAT category sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Allowance,
    Charge,
}

impl Kind {
    fn describe(self, index: usize) -> String {
        match self {
            Kind::Line => format!("line {} (BT-151/BT-152)", index + 1),
            Kind::Allowance => format!("document-level allowance {} (BT-95/BT-96)", index + 1),
            Kind::Charge => format!("document-level charge {} (BT-102/BT-103)", index + 1),
        }
    }

    fn field(self, index: usize) -> String {
        match self {
            Kind::Line => format!("lines[{index}].vat_rate"),
            Kind::Allowance | Kind::Charge => format!("allowances_charges[{index}].vat_rate"),
        }
    }
}

/// A line, allowance or charge with its VAT category, rate and effect on the taxable amount.
#[derive(Debug, Clone, Copy)]
struct Item {
    kind: Kind,
    index: usize,
    category: Option<VatCategory>,
    rate: Option<Decimal>,
    signed: Decimal,
}

fn items(doc: &Document) -> impl Iterator<Item = Item> + '_ {
    let lines = doc.lines.iter().enumerate().map(|(index, l)| Item {
        kind: Kind::Line,
        index,
        category: Some(l.vat_category),
        rate: l.vat_rate,
        signed: l.net_amount,
    });
    let acs = doc
        .allowances_charges
        .iter()
        .enumerate()
        .map(|(index, ac)| Item {
            kind: if ac.is_charge {
                Kind::Charge
            } else {
                Kind::Allowance
            },
            index,
            category: ac.vat_category,
            rate: ac.vat_rate,
            signed: ac.signed_amount(),
        });
    lines.chain(acs)
}

fn uses(doc: &Document, c: &Category) -> bool {
    items(doc).any(|it| it.category == Some(c.code))
}

fn rule_01(i: &Input<'_>, c: &Category) -> Vec<Finding> {
    let count = i
        .doc
        .vat_breakdown
        .iter()
        .filter(|b| b.category == c.code)
        .count();
    let broken = uses(i.doc, c) && (count == 0 || (!c.per_rate && count > 1));
    when(broken, || {
        format!(
            "the invoice has amounts in VAT category {} ({}) but {} VAT breakdown group(s) \
             (BG-23) for it; it needs {}",
            c.code.code(),
            c.name,
            count,
            if c.per_rate {
                "at least one"
            } else {
                "exactly one"
            }
        )
    })
}

fn has(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.trim().is_empty())
}

fn ids_ok(i: &Input<'_>, rule: IdRule) -> bool {
    let doc = i.doc;
    let rep_vat = has(i
        .facts
        .tax_representative
        .as_ref()
        .and_then(|t| t.vat_id.as_deref()));
    let seller_vat = has(doc.supplier.vat_id.as_deref()) || rep_vat;
    let seller_any = seller_vat || has(doc.supplier.tax_registration_id.as_deref());
    let buyer_vat = has(doc.buyer.vat_id.as_deref());
    match rule {
        IdRule::SellerAny => seller_any,
        IdRule::SellerAndBuyerAny => {
            seller_any && (buyer_vat || has(doc.buyer.legal_id.as_deref()))
        }
        IdRule::SellerVatAndBuyerVat => seller_vat && buyer_vat,
        IdRule::SellerVat => seller_vat,
        IdRule::NoVatIds => !seller_vat && !buyer_vat,
    }
}

fn ids_needed(rule: IdRule) -> &'static str {
    match rule {
        IdRule::SellerAny => {
            "the seller's VAT identifier (BT-31), tax registration (BT-32) or tax representative's \
             VAT identifier (BT-63)"
        }
        IdRule::SellerAndBuyerAny => {
            "a seller VAT identifier or tax registration (BT-31/BT-32/BT-63) and the buyer's VAT \
             identifier (BT-48) or legal registration (BT-47)"
        }
        IdRule::SellerVatAndBuyerVat => {
            "the seller's VAT identifier (BT-31 or BT-63) and the buyer's VAT identifier (BT-48)"
        }
        IdRule::SellerVat => {
            "the seller's VAT identifier (BT-31) or its tax representative's (BT-63)"
        }
        IdRule::NoVatIds => {
            "no VAT identifier of the seller (BT-31), tax representative (BT-63) or buyer (BT-48)"
        }
    }
}

fn rule_ids(i: &Input<'_>, c: &Category, kind: Kind) -> Vec<Finding> {
    let first = items(i.doc).find(|it| it.kind == kind && it.category == Some(c.code));
    match first {
        Some(it) if !ids_ok(i, c.ids) => vec![Finding::new(format!(
            "{} is in VAT category {} ({}), which needs {}",
            kind.describe(it.index),
            c.code.code(),
            c.name,
            ids_needed(c.ids)
        ))],
        _ => Vec::new(),
    }
}

fn rule_rate(i: &Input<'_>, c: &Category, kind: Kind) -> Vec<Finding> {
    items(i.doc)
        .filter(|it| it.kind == kind && it.category == Some(c.code))
        .filter_map(|it| {
            let wrong = match (c.rate, it.rate) {
                (RateRule::Positive, Some(r)) => r <= Decimal::ZERO,
                (RateRule::Positive | RateRule::ZeroOrMore, None) => true,
                (RateRule::ZeroOrMore, Some(r)) => r < Decimal::ZERO,
                (RateRule::Zero, Some(r)) => !r.is_zero(),
                (RateRule::Zero | RateRule::Absent, None) => false,
                (RateRule::Absent, Some(_)) => true,
            };
            wrong.then(|| {
                let want = match c.rate {
                    RateRule::Positive => "a rate above 0",
                    RateRule::ZeroOrMore => "a rate of 0 or more",
                    RateRule::Zero => "a rate of 0",
                    RateRule::Absent => "no rate",
                };
                let has = it
                    .rate
                    .map_or("no rate".to_owned(), |r| format!("rate {r} %"));
                Finding::at(
                    it.kind.field(it.index),
                    format!(
                        "{} is in VAT category {} ({}) with {has}; the category needs {want}",
                        kind.describe(it.index),
                        c.code.code(),
                        c.name
                    ),
                )
            })
        })
        .collect()
}

fn same_rate(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    a.unwrap_or_default() == b.unwrap_or_default()
}

fn rule_taxable(i: &Input<'_>, c: &Category) -> Vec<Finding> {
    let doc = i.doc;
    if c.per_rate {
        return doc
            .vat_breakdown
            .iter()
            .enumerate()
            .filter(|(_, b)| b.category == c.code)
            .filter_map(|(index, b)| {
                let sum: Decimal = items(doc)
                    .filter(|it| it.category == Some(c.code) && same_rate(it.rate, b.rate))
                    .map(|it| it.signed)
                    .sum();
                (!matches(sum, b.taxable_amount)).then(|| {
                    Finding::at(
                        format!("vat_breakdown[{index}].taxable_amount"),
                        format!(
                            "lines, charges and allowances in category {} at {} % add up to {} \
                             but the breakdown's taxable amount (BT-116) is {}",
                            c.code.code(),
                            b.rate.unwrap_or_default(),
                            amount(doc, sum),
                            amount(doc, b.taxable_amount)
                        ),
                    )
                })
            })
            .collect();
    }
    let groups: Vec<_> = doc
        .vat_breakdown
        .iter()
        .filter(|b| b.category == c.code)
        .collect();
    if groups.is_empty() {
        return Vec::new();
    }
    let stated: Decimal = groups.iter().map(|b| b.taxable_amount).sum();
    let sum: Decimal = items(doc)
        .filter(|it| it.category == Some(c.code))
        .map(|it| it.signed)
        .sum();
    when(!matches(sum, stated), || {
        format!(
            "lines, charges and allowances in category {} add up to {} but the breakdown's \
             taxable amount (BT-116) is {}",
            c.code.code(),
            amount(doc, sum),
            amount(doc, stated)
        )
    })
}

fn rule_tax(i: &Input<'_>, c: &Category) -> Vec<Finding> {
    let doc = i.doc;
    doc.vat_breakdown
        .iter()
        .enumerate()
        .filter(|(_, b)| b.category == c.code)
        .filter_map(|(index, b)| {
            let field = format!("vat_breakdown[{index}].tax_amount");
            if matches!(c.rate, RateRule::Positive | RateRule::ZeroOrMore) {
                let rate = b.rate?;
                let exact = b.taxable_amount * rate / Decimal::ONE_HUNDRED;
                (!tax_matches(exact, b.tax_amount)).then(|| {
                    Finding::at(
                        field,
                        format!(
                            "category {} at {rate} %: taxable {} × {rate} / 100 = {} but the VAT \
                             amount (BT-117) is {}",
                            c.code.code(),
                            amount(doc, b.taxable_amount),
                            amount(doc, exact.round_dp(2)),
                            amount(doc, b.tax_amount)
                        ),
                    )
                })
            } else {
                (!b.tax_amount.is_zero()).then(|| {
                    Finding::at(
                        field,
                        format!(
                            "category {} ({}) carries no VAT, but its VAT amount (BT-117) is {}",
                            c.code.code(),
                            c.name,
                            amount(doc, b.tax_amount)
                        ),
                    )
                })
            }
        })
        .collect()
}

fn rule_exemption(i: &Input<'_>, c: &Category) -> Vec<Finding> {
    i.doc
        .vat_breakdown
        .iter()
        .enumerate()
        .filter(|(_, b)| b.category == c.code)
        .filter_map(|(index, b)| {
            let has_reason =
                has(b.exemption_reason.as_deref()) || has(b.exemption_reason_code.as_deref());
            let field = format!("vat_breakdown[{index}].exemption_reason");
            if c.exemption_required && !has_reason {
                Some(Finding::at(
                    field,
                    format!(
                        "the VAT breakdown for category {} ({}) gives no exemption reason (BT-120) \
                         or reason code (BT-121)",
                        c.code.code(),
                        c.name
                    ),
                ))
            } else if !c.exemption_required && has_reason {
                Some(Finding::at(
                    field,
                    format!(
                        "the VAT breakdown for category {} ({}) gives an exemption reason \
                         (BT-120/BT-121), which only exempt categories may",
                        c.code.code(),
                        c.name
                    ),
                ))
            } else {
                None
            }
        })
        .collect()
}

fn breakdown_has(doc: &Document, code: VatCategory) -> bool {
    doc.vat_breakdown.iter().any(|b| b.category == code)
}

fn rule_o_only_breakdown(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    when(
        breakdown_has(doc, VatCategory::O)
            && doc
                .vat_breakdown
                .iter()
                .any(|b| b.category != VatCategory::O),
        || {
            "the invoice has a VAT breakdown in category O (not subject to VAT) and others; an \
             invoice outside the scope of VAT has no other category"
                .to_owned()
        },
    )
}

fn rule_o_only(i: &Input<'_>, kind: Kind) -> Vec<Finding> {
    let doc = i.doc;
    if !breakdown_has(doc, VatCategory::O) {
        return Vec::new();
    }
    items(doc)
        .filter(|it| it.kind == kind && it.category.is_some_and(|c| c != VatCategory::O))
        .map(|it| {
            Finding::new(format!(
                "{} is in VAT category {} but the invoice is not subject to VAT (category O)",
                kind.describe(it.index),
                it.category.map(|c| c.code()).unwrap_or_default()
            ))
        })
        .collect()
}

fn rule_ic_11(i: &Input<'_>) -> Vec<Finding> {
    let f = i.facts;
    when(
        f.known
            && breakdown_has(i.doc, VatCategory::K)
            && !f.actual_delivery_date
            && f.invoice_period.is_none(),
        || {
            "an intra-community supply (category K) needs the actual delivery date (BT-72) or \
             the invoicing period (BG-14)"
                .to_owned()
        },
    )
}

fn rule_ic_12(i: &Input<'_>) -> Vec<Finding> {
    let f = i.facts;
    when(
        f.known
            && breakdown_has(i.doc, VatCategory::K)
            && f.deliver_to
                .as_ref()
                .is_none_or(|a| !has(a.country_code.as_deref())),
        || {
            "an intra-community supply (category K) needs the deliver-to country code (BT-80)"
                .to_owned()
        },
    )
}

macro_rules! category_rules {
    ($c:expr, $p:literal) => {
        [
            rule(
                concat!($p, "-01"),
                Error,
                "vat_breakdown",
                Scope::En16931,
                |i| rule_01(i, &$c),
            ),
            rule(
                concat!($p, "-02"),
                Error,
                "supplier.vat_id",
                Scope::En16931,
                |i| rule_ids(i, &$c, Kind::Line),
            ),
            rule(
                concat!($p, "-03"),
                Error,
                "supplier.vat_id",
                Scope::En16931,
                |i| rule_ids(i, &$c, Kind::Allowance),
            ),
            rule(
                concat!($p, "-04"),
                Error,
                "supplier.vat_id",
                Scope::En16931,
                |i| rule_ids(i, &$c, Kind::Charge),
            ),
            rule(concat!($p, "-05"), Error, "lines", Scope::En16931, |i| {
                rule_rate(i, &$c, Kind::Line)
            }),
            rule(
                concat!($p, "-06"),
                Error,
                "allowances_charges",
                Scope::En16931,
                |i| rule_rate(i, &$c, Kind::Allowance),
            ),
            rule(
                concat!($p, "-07"),
                Error,
                "allowances_charges",
                Scope::En16931,
                |i| rule_rate(i, &$c, Kind::Charge),
            ),
            rule(
                concat!($p, "-08"),
                Error,
                "vat_breakdown",
                Scope::En16931,
                |i| rule_taxable(i, &$c),
            ),
            rule(
                concat!($p, "-09"),
                Error,
                "vat_breakdown",
                Scope::En16931,
                |i| rule_tax(i, &$c),
            ),
            rule(
                concat!($p, "-10"),
                Error,
                "vat_breakdown",
                Scope::En16931,
                |i| rule_exemption(i, &$c),
            ),
        ]
    };
}

/// Every VAT category rule, category by category.
pub(super) fn rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    rules.extend(category_rules!(S, "BR-S"));
    rules.extend(category_rules!(Z, "BR-Z"));
    rules.extend(category_rules!(E, "BR-E"));
    rules.extend(category_rules!(AE, "BR-AE"));
    rules.extend(category_rules!(K, "BR-IC"));
    rules.extend([
        rule(
            "BR-IC-11",
            Error,
            "invoice_period",
            Scope::En16931,
            rule_ic_11,
        ),
        rule(
            "BR-IC-12",
            Error,
            "deliver_to.country_code",
            Scope::En16931,
            rule_ic_12,
        ),
    ]);
    rules.extend(category_rules!(G, "BR-G"));
    rules.extend(category_rules!(O, "BR-O"));
    rules.extend([
        rule(
            "BR-O-11",
            Error,
            "vat_breakdown",
            Scope::En16931,
            rule_o_only_breakdown,
        ),
        rule("BR-O-12", Error, "lines", Scope::En16931, |i| {
            rule_o_only(i, Kind::Line)
        }),
        rule(
            "BR-O-13",
            Error,
            "allowances_charges",
            Scope::En16931,
            |i| rule_o_only(i, Kind::Allowance),
        ),
        rule(
            "BR-O-14",
            Error,
            "allowances_charges",
            Scope::En16931,
            |i| rule_o_only(i, Kind::Charge),
        ),
    ]);
    rules.extend(category_rules!(L, "BR-AF"));
    rules.extend(category_rules!(M, "BR-AG"));
    rules
}
