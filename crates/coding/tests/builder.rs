//! The journal builder's contract: every journal it makes balances exactly per currency, for any
//! mix of lines, VAT categories, allowances, charges, credit notes and currencies; and it refuses,
//! with reasons, what it cannot book.

use folio_coding::{DocumentCoding, JournalAccounts, LineCoding, build_journal};
use folio_domain::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn tax_codes() -> Vec<TaxCode> {
    let code = |code: &str, cat, rate, input: Option<&str>, output: Option<&str>| TaxCode {
        code: code.into(),
        name: code.into(),
        vat_category: cat,
        rate,
        input_account: input.map(Into::into),
        output_account: output.map(Into::into),
    };
    vec![
        code("V19", VatCategory::S, dec!(19), Some("1576"), None),
        code("V7", VatCategory::S, dec!(7), Some("1571"), None),
        code("V20", VatCategory::S, dec!(20), Some("1577"), None),
        code("Z0", VatCategory::Z, dec!(0), Some("1570"), None),
        code("E0", VatCategory::E, dec!(0), Some("1570"), None),
        code(
            "RC19",
            VatCategory::AE,
            dec!(19),
            Some("1577"),
            Some("1787"),
        ),
        code("IC19", VatCategory::K, dec!(19), Some("1574"), Some("1774")),
        code("O0", VatCategory::O, dec!(0), Some("1570"), None),
    ]
}

fn line(id: usize, net: Decimal, cat: VatCategory, rate: Option<Decimal>) -> DocumentLine {
    DocumentLine {
        id: id.to_string(),
        name: format!("Item {id}"),
        description: None,
        quantity: Decimal::ONE,
        unit_code: Some("C62".into()),
        unit_price: net,
        price_base_quantity: None,
        net_amount: net,
        vat_category: cat,
        vat_rate: rate,
        allowances_charges: vec![],
        seller_item_id: None,
        buyer_accounting_ref: None,
        order_line_ref: None,
    }
}

/// A document whose VAT breakdown and totals are computed from its lines and allowances the way
/// EN 16931 says (VAT per group rounded half away from zero).
fn document(
    doc_type: DocType,
    currency: &str,
    lines: Vec<DocumentLine>,
    allowances_charges: Vec<AllowanceCharge>,
) -> Document {
    let currency = Currency::parse(currency).unwrap();
    let mut groups: BTreeMap<(VatCategory, Option<Decimal>), Decimal> = BTreeMap::new();
    for l in &lines {
        *groups.entry((l.vat_category, l.vat_rate)).or_default() += l.net_amount;
    }
    for ac in &allowances_charges {
        *groups
            .entry((ac.vat_category.unwrap(), ac.vat_rate))
            .or_default() += ac.signed_amount();
    }
    let vat_breakdown: Vec<VatBreakdown> = groups
        .into_iter()
        .map(|((category, rate), taxable)| VatBreakdown {
            category,
            rate,
            taxable_amount: taxable,
            tax_amount: (taxable * rate.unwrap_or_default() / dec!(100)).round_dp_with_strategy(
                currency.minor_units(),
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            ),
            exemption_reason: None,
            exemption_reason_code: None,
        })
        .collect();
    let line_net_total: Decimal = lines.iter().map(|l| l.net_amount).sum();
    let allowances: Decimal = allowances_charges
        .iter()
        .filter(|a| !a.is_charge)
        .map(|a| a.amount)
        .sum();
    let charges: Decimal = allowances_charges
        .iter()
        .filter(|a| a.is_charge)
        .map(|a| a.amount)
        .sum();
    let tax_exclusive = line_net_total - allowances + charges;
    let tax_total: Decimal = vat_breakdown.iter().map(|v| v.tax_amount).sum();
    Document {
        syntax: Syntax::Ubl,
        doc_type,
        type_code: None,
        customization_id: None,
        profile_id: None,
        number: "INV-1".into(),
        issue_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(),
        due_date: None,
        tax_point_date: None,
        currency,
        tax_currency: None,
        tax_total_in_tax_currency: None,
        supplier: Party {
            name: "Supplier".into(),
            ..Party::default()
        },
        buyer: Party {
            name: "Buyer".into(),
            ..Party::default()
        },
        payee: None,
        lines,
        allowances_charges,
        vat_breakdown,
        totals: Totals {
            line_net_total,
            allowance_total: Some(allowances),
            charge_total: Some(charges),
            tax_exclusive,
            tax_total: Some(tax_total),
            tax_inclusive: tax_exclusive + tax_total,
            prepaid: None,
            rounding: None,
            payable: tax_exclusive + tax_total,
        },
        payment: PaymentInfo::default(),
        references: References::default(),
        notes: vec![],
    }
}

fn coding_for(doc: &Document) -> DocumentCoding {
    let one = LineCoding {
        account: "6000".into(),
        dimensions: BTreeMap::from([("cost_centre".into(), "CC-100".into())]),
        tax_code: None,
    };
    DocumentCoding {
        lines: vec![one; doc.lines.len().max(1)],
    }
}

fn build(doc: &Document) -> Result<(Journal, Vec<Problem>), folio_coding::BuildError> {
    let codes = tax_codes();
    let accounts = JournalAccounts {
        payable: "1600",
        rounding: "6990",
        tax_codes: &codes,
    };
    build_journal(doc, &coding_for(doc), &accounts)
}

fn postings(journal: &Journal) -> Vec<(String, Side, String)> {
    journal
        .lines
        .iter()
        .map(|l| (l.account.clone(), l.side, l.amount.to_string()))
        .collect()
}

#[test]
fn invoice_debits_expense_and_vat_and_credits_payable() {
    let doc = document(
        DocType::Invoice,
        "EUR",
        vec![
            line(1, dec!(100.00), VatCategory::S, Some(dec!(19))),
            line(2, dec!(50.00), VatCategory::S, Some(dec!(7))),
        ],
        vec![],
    );
    let (journal, problems) = build(&doc).unwrap();
    assert_eq!(problems, vec![]);
    assert_eq!(
        postings(&journal),
        [
            ("6000".into(), Side::Debit, "100.00".into()),
            ("6000".into(), Side::Debit, "50.00".into()),
            ("1571".into(), Side::Debit, "3.50".into()),
            ("1576".into(), Side::Debit, "19.00".into()),
            ("1600".into(), Side::Credit, "172.50".into()),
        ]
    );
    assert_eq!(journal.lines[0].dimensions["cost_centre"], "CC-100");
    assert_eq!(journal.lines[0].tax_code.as_deref(), Some("V19"));
}

#[test]
fn credit_note_is_the_mirror_image() {
    let doc = document(
        DocType::CreditNote,
        "EUR",
        vec![line(1, dec!(10), VatCategory::S, Some(dec!(19)))],
        vec![],
    );
    let (journal, _) = build(&doc).unwrap();
    assert_eq!(
        postings(&journal),
        [
            ("6000".into(), Side::Credit, "10.00".into()),
            ("1576".into(), Side::Credit, "1.90".into()),
            ("1600".into(), Side::Debit, "11.90".into()),
        ]
    );
}

#[test]
fn reverse_charge_self_assesses_input_and_output_vat() {
    let doc = document(
        DocType::Invoice,
        "EUR",
        vec![line(1, dec!(1000), VatCategory::AE, None)],
        vec![],
    );
    let (journal, _) = build(&doc).unwrap();
    assert_eq!(
        postings(&journal),
        [
            ("6000".into(), Side::Debit, "1000.00".into()),
            ("1577".into(), Side::Debit, "190.00".into()),
            ("1787".into(), Side::Credit, "190.00".into()),
            ("1600".into(), Side::Credit, "1000.00".into()),
        ]
    );
}

#[test]
fn rounding_difference_is_posted_and_explained() {
    let mut doc = document(
        DocType::Invoice,
        "EUR",
        vec![
            line(1, dec!(10.004), VatCategory::Z, None),
            line(2, dec!(10.004), VatCategory::Z, None),
        ],
        vec![],
    );
    doc.totals.tax_inclusive = dec!(20.01);
    let (journal, problems) = build(&doc).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, "ROUNDING_DIFFERENCE");
    assert_eq!(
        problems[0].message,
        "expenses and VAT sum to 20.00 EUR but the gross is 20.01 EUR; the difference of 0.01 EUR \
         from rounding to minor units was posted to 6990"
    );
    assert!(
        journal
            .lines
            .iter()
            .any(|l| l.account == "6990" && l.amount == dec!(0.01))
    );
}

#[test]
fn a_document_that_does_not_add_up_says_so() {
    let mut doc = document(
        DocType::Invoice,
        "EUR",
        vec![line(1, dec!(100), VatCategory::S, Some(dec!(19)))],
        vec![],
    );
    doc.totals.tax_inclusive = dec!(120.00);
    let (_, problems) = build(&doc).unwrap();
    assert_eq!(problems[0].code, "DOCUMENT_DOES_NOT_ADD_UP");
    assert!(problems[0].is_error());
    assert!(
        problems[0]
            .message
            .contains("expenses and VAT sum to 119.00 EUR but the gross is 120.00 EUR"),
        "{}",
        problems[0].message
    );
}

#[test]
fn missing_tax_code_is_refused_with_every_reason() {
    let doc = document(
        DocType::Invoice,
        "EUR",
        vec![
            line(1, dec!(10), VatCategory::S, Some(dec!(16))),
            line(2, dec!(10), VatCategory::L, Some(dec!(7))),
        ],
        vec![],
    );
    let err = build(&doc).unwrap_err();
    let messages: Vec<_> = err.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.contains(&"no tax code for VAT category S at 16 %; add one to the master data")
    );
    assert!(
        messages.contains(&"no tax code for VAT category L at 7 %; add one to the master data")
    );
}

fn category() -> impl Strategy<Value = (VatCategory, Option<Decimal>)> {
    prop_oneof![
        Just((VatCategory::S, Some(dec!(19)))),
        Just((VatCategory::S, Some(dec!(7)))),
        Just((VatCategory::S, Some(dec!(20)))),
        Just((VatCategory::Z, Some(dec!(0)))),
        Just((VatCategory::E, None)),
        Just((VatCategory::AE, None)),
        Just((VatCategory::K, Some(dec!(0)))),
        Just((VatCategory::O, None)),
    ]
}

fn any_document() -> impl Strategy<Value = Document> {
    let currency = prop_oneof![
        Just("EUR"),
        Just("USD"),
        Just("JPY"),
        Just("KWD"),
        Just("GBP")
    ];
    let lines = proptest::collection::vec((category(), -1_000_000i64..100_000_000, 0u32..4), 0..15);
    let allowances = proptest::collection::vec((category(), 0i64..1_000_000, any::<bool>()), 0..3);
    (currency, lines, allowances, any::<bool>()).prop_map(|(currency, lines, acs, credit)| {
        let lines = lines
            .into_iter()
            .enumerate()
            .map(|(i, ((cat, rate), n, scale))| line(i + 1, Decimal::new(n, scale), cat, rate))
            .collect::<Vec<_>>();
        let acs = acs
            .into_iter()
            .map(|((cat, rate), n, is_charge)| AllowanceCharge {
                is_charge,
                amount: Decimal::new(n, 2),
                base_amount: None,
                percentage: None,
                reason: Some("discount".into()),
                reason_code: None,
                vat_category: Some(cat),
                vat_rate: rate,
            })
            .collect();
        let doc_type = if credit {
            DocType::CreditNote
        } else {
            DocType::Invoice
        };
        document(doc_type, currency, lines, acs)
    })
}

proptest! {
    #[test]
    fn every_built_journal_balances_exactly(doc in any_document()) {
        match build(&doc) {
            Ok((journal, _)) => {
                prop_assert_eq!(check_balanced(&journal), vec![]);
                prop_assert!(journal.lines.iter().all(|l| l.currency == doc.currency));
            }
            // Only a document whose every amount rounds to zero has nothing to post.
            Err(e) => prop_assert!(e.problems.iter().all(|p| p.code == "JOURNAL_EMPTY"), "{:?}", e),
        }
    }
}
