//! The journal builder's contract: every journal it makes balances exactly per currency, for any
//! mix of lines, VAT categories, allowances, charges, credit notes, splits and currencies; split
//! lines add up to the line exactly; a foreign-currency journal records its rate; and it refuses,
//! with reasons, what it cannot book.

use folio_coding::split::{Share, SplitShare};
use folio_coding::{
    DocumentCoding, ExchangeRate, JournalAccounts, LineCoding, RateSource, build_journal,
    exchange_rate,
};
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
        code("GB20", VatCategory::S, dec!(20), Some("1579"), None),
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
        split: vec![],
    };
    DocumentCoding {
        lines: vec![one; doc.lines.len().max(1)],
    }
}

fn build_coded(
    doc: &Document,
    coding: &DocumentCoding,
    base_currency: Option<&str>,
    rates: &[ExchangeRate],
) -> Result<(Journal, Vec<Problem>), folio_coding::BuildError> {
    let codes = tax_codes();
    let accounts = JournalAccounts {
        payable: "1600",
        rounding: "6990",
        tax_codes: &codes,
        base_currency: base_currency.map(|c| Currency::parse(c).unwrap()),
        rates,
    };
    build_journal(doc, coding, &accounts)
}

fn build(doc: &Document) -> Result<(Journal, Vec<Problem>), folio_coding::BuildError> {
    build_coded(doc, &coding_for(doc), None, &[])
}

fn part(share: Share, cost_centre: &str) -> SplitShare {
    SplitShare {
        share,
        account: None,
        dimensions: BTreeMap::from([("cost_centre".into(), cost_centre.into())]),
        tax_code: None,
    }
}

fn rate(from: &str, to: &str, valid_from: (i32, u32, u32), rate: Decimal) -> ExchangeRate {
    ExchangeRate {
        from: Currency::parse(from).unwrap(),
        to: Currency::parse(to).unwrap(),
        valid_from: chrono::NaiveDate::from_ymd_opt(valid_from.0, valid_from.1, valid_from.2)
            .unwrap(),
        rate,
    }
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
fn a_vat_group_books_with_the_tax_code_its_lines_were_coded_with() {
    let doc = document(
        DocType::Invoice,
        "GBP",
        vec![
            line(1, dec!(100.00), VatCategory::S, Some(dec!(20))),
            line(2, dec!(50.00), VatCategory::S, Some(dec!(20))),
            line(3, dec!(10.00), VatCategory::S, Some(dec!(19))),
        ],
        vec![],
    );
    let mut coding = coding_for(&doc);
    coding.lines[0].tax_code = Some("GB20".into());
    coding.lines[1].tax_code = Some("GB20".into());
    let (journal, _) = build_coded(&doc, &coding, None, &[]).unwrap();
    let vat: Vec<_> = journal
        .lines
        .iter()
        .filter(|l| l.description.starts_with("Input VAT"))
        .map(|l| {
            (
                l.account.as_str(),
                l.tax_code.as_deref(),
                l.amount.to_string(),
            )
        })
        .collect();
    assert_eq!(
        vat,
        [
            ("1576", Some("V19"), "1.90".into()),
            ("1579", Some("GB20"), "30.00".into())
        ]
    );
    // Lines of one group that disagree leave the group to its category and rate.
    coding.lines[1].tax_code = Some("V20".into());
    let (journal, _) = build_coded(&doc, &coding, None, &[]).unwrap();
    assert!(journal.lines.iter().any(|l| l.account == "1577"));
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

#[test]
fn a_split_line_becomes_one_posting_per_part_adding_up_exactly() {
    let doc = document(
        DocType::Invoice,
        "EUR",
        vec![line(1, dec!(100.01), VatCategory::S, Some(dec!(19)))],
        vec![AllowanceCharge {
            is_charge: true,
            amount: dec!(10.00),
            base_amount: None,
            percentage: None,
            reason: Some("Freight".into()),
            reason_code: None,
            vat_category: Some(VatCategory::S),
            vat_rate: Some(dec!(19)),
        }],
    );
    let mut coding = coding_for(&doc);
    coding.lines[0].split = vec![
        part(Share::Percent(dec!(60)), "CC-100"),
        SplitShare {
            account: Some("6100".into()),
            ..part(Share::Percent(dec!(40)), "CC-200")
        },
    ];
    let (journal, problems) = build_coded(&doc, &coding, None, &[]).unwrap();
    assert_eq!(problems, vec![]);
    let expense: Vec<_> = journal
        .lines
        .iter()
        .filter(|l| l.account.starts_with('6'))
        .map(|l| {
            (
                l.account.as_str(),
                l.amount.to_string(),
                l.dimensions["cost_centre"].as_str(),
                l.description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        expense,
        [
            ("6000", "60.01".into(), "CC-100", "Item 1 (60 %)"),
            ("6100", "40.00".into(), "CC-200", "Item 1 (40 %)"),
            ("6000", "6.00".into(), "CC-100", "Charge: Freight (60 %)"),
            ("6100", "4.00".into(), "CC-200", "Charge: Freight (40 %)"),
        ]
    );
}

#[test]
fn fixed_amount_splits_take_the_sign_of_a_credit_note_and_must_fit() {
    let doc = document(
        DocType::CreditNote,
        "EUR",
        vec![line(1, dec!(50.00), VatCategory::Z, None)],
        vec![],
    );
    let mut coding = coding_for(&doc);
    coding.lines[0].split = vec![
        part(Share::Amount(dec!(20)), "CC-100"),
        part(Share::Rest, "CC-200"),
    ];
    let (journal, _) = build_coded(&doc, &coding, None, &[]).unwrap();
    let parts: Vec<_> = journal
        .lines
        .iter()
        .filter(|l| l.account == "6000")
        .map(|l| (l.side, l.amount.to_string()))
        .collect();
    assert_eq!(
        parts,
        [
            (Side::Credit, "20.00".into()),
            (Side::Credit, "30.00".into())
        ]
    );
    coding.lines[0].split[0].share = Share::Amount(dec!(80));
    let err = build_coded(&doc, &coding, None, &[]).unwrap_err();
    assert_eq!(err.problems[0].code, "SPLIT_INVALID");
    assert_eq!(
        err.problems[0].message,
        "the split of Item 1 cannot be made: the fixed amounts add up to 80.00 EUR, more than \
         the 50.00 EUR being split"
    );
}

#[test]
fn a_foreign_currency_journal_stays_in_its_currency_and_records_the_rate() {
    let mut doc = document(
        DocType::Invoice,
        "GBP",
        vec![line(1, dec!(100.00), VatCategory::S, Some(dec!(20)))],
        vec![],
    );
    let table = [
        rate("GBP", "EUR", (2025, 1, 1), dec!(1.18)),
        rate("GBP", "EUR", (2025, 3, 1), dec!(1.17)),
        rate("GBP", "EUR", (2025, 4, 1), dec!(1.5)),
        rate("EUR", "USD", (2025, 1, 1), dec!(1.08)),
    ];
    // The latest rate valid on the issue date (2025-03-04).
    let (journal, problems) = build_coded(&doc, &coding_for(&doc), Some("EUR"), &table).unwrap();
    assert!(journal.lines.iter().all(|l| l.currency.code() == "GBP"));
    assert_eq!(
        journal.memo,
        "Supplier invoice INV-1; 1 GBP = 1.170000 EUR (rate table from 2025-03-01)"
    );
    assert_eq!(problems[0].code, "EXCHANGE_RATE");
    // The document's own rate wins: BT-111 over BT-110.
    doc.tax_currency = Some(Currency::parse("EUR").unwrap());
    doc.tax_total_in_tax_currency = Some(dec!(23.45));
    let applied = exchange_rate(&doc, Currency::parse("EUR").unwrap(), &table).unwrap();
    assert_eq!(applied.rate, dec!(1.1725));
    assert_eq!(applied.source, RateSource::Document);
    // An entry the other way round is inverted.
    let usd = document(
        DocType::Invoice,
        "USD",
        vec![line(1, dec!(10), VatCategory::O, None)],
        vec![],
    );
    let applied = exchange_rate(&usd, Currency::parse("EUR").unwrap(), &table).unwrap();
    assert_eq!(applied.rate.to_string(), "0.925926");
    // No rate: posted all the same, with a warning.
    let (journal, problems) = build_coded(&usd, &coding_for(&usd), Some("CHF"), &table).unwrap();
    assert_eq!(journal.memo, "Supplier invoice INV-1");
    assert_eq!(problems[0].code, "NO_EXCHANGE_RATE");
    // In the base currency there is nothing to record.
    let (_, problems) = build_coded(&usd, &coding_for(&usd), Some("USD"), &table).unwrap();
    assert_eq!(problems, vec![]);
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

/// A split of a line: none, percentages adding up to 100, or fixed amounts and the rest.
fn any_split() -> impl Strategy<Value = Vec<Share>> {
    prop_oneof![
        Just(vec![]),
        proptest::collection::vec(1u32..60, 1..4).prop_map(|parts| {
            let mut shares: Vec<Share> = Vec::new();
            let mut left = 100u32;
            for p in parts {
                let p = p.min(left.saturating_sub(1));
                if p == 0 {
                    break;
                }
                left -= p;
                shares.push(Share::Percent(Decimal::from(p)));
            }
            shares.push(Share::Percent(Decimal::from(left)));
            shares
        }),
        proptest::collection::vec(1i64..200_000, 1..3).prop_map(|amounts| {
            let mut shares: Vec<Share> = amounts
                .into_iter()
                .map(|a| Share::Amount(Decimal::new(a, 2)))
                .collect();
            shares.push(Share::Rest);
            shares
        }),
    ]
}

fn fits(net: Decimal, shares: &[Share], currency: Currency) -> bool {
    let fixed: Decimal = shares
        .iter()
        .map(|s| match s {
            Share::Amount(a) => *a,
            _ => Decimal::ZERO,
        })
        .sum();
    let scale_ok = shares.iter().all(|s| match s {
        Share::Amount(a) => a.normalize().scale() <= currency.minor_units(),
        _ => true,
    });
    shares.len() < 2 || (fixed <= net.abs() && scale_ok)
}

fn round(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(
        currency.minor_units(),
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    )
}

proptest! {
    #[test]
    fn every_built_journal_balances_exactly(
        doc in any_document(),
        splits in proptest::collection::vec(any_split(), 15),
        base in prop_oneof![Just(None), Just(Some("EUR")), Just(Some("USD"))],
    ) {
        let table = [
            rate("USD", "EUR", (2020, 1, 1), dec!(0.91)),
            rate("EUR", "JPY", (2020, 1, 1), dec!(160.5)),
            rate("GBP", "EUR", (2030, 1, 1), dec!(1.2)),
        ];
        let mut coding = coding_for(&doc);
        for (c, shares) in coding.lines.iter_mut().zip(&splits) {
            c.split = shares
                .iter()
                .enumerate()
                .map(|(i, s)| part(s.clone(), &format!("CC-{i}")))
                .collect();
        }
        // A document without lines is split per VAT group, where fixed amounts may not fit.
        let all_fit = if doc.lines.is_empty() {
            splits[0].iter().all(|s| matches!(s, Share::Percent(_)))
        } else {
            doc.lines
                .iter()
                .zip(&splits)
                .all(|(l, s)| fits(l.net_amount, s, doc.currency))
        };
        match build_coded(&doc, &coding, base, &table) {
            Ok((journal, problems)) => {
                prop_assert_eq!(check_balanced(&journal), vec![]);
                prop_assert!(journal.lines.iter().all(|l| l.currency == doc.currency));
                // Split or not, a line's postings add up to the line exactly.
                let sign = if doc.doc_type == DocType::CreditNote { dec!(-1) } else { dec!(1) };
                for (i, l) in doc.lines.iter().enumerate() {
                    if l.net_amount.scale() > doc.currency.minor_units() {
                        continue;
                    }
                    let source = format!("lines[{i}]");
                    let posted: Decimal = journal
                        .lines
                        .iter()
                        .filter(|j| j.source.as_deref() == Some(source.as_str()))
                        .map(|j| if j.side == Side::Debit { j.amount } else { -j.amount })
                        .sum();
                    prop_assert_eq!(posted, round(sign * l.net_amount, doc.currency), "{}", source);
                }
                let foreign = base.is_some_and(|b| b != doc.currency.code());
                let recorded = problems
                    .iter()
                    .any(|p| p.code == "EXCHANGE_RATE" || p.code == "NO_EXCHANGE_RATE");
                prop_assert_eq!(foreign, recorded);
            }
            // Only a document whose every amount rounds to zero has nothing to post, and only a
            // fixed split bigger than its line cannot be made.
            Err(e) => prop_assert!(
                e.problems
                    .iter()
                    .all(|p| p.code == "JOURNAL_EMPTY" || (p.code == "SPLIT_INVALID" && !all_fit)),
                "{:?}",
                e
            ),
        }
    }
}
