//! The demo data of `folio init --demo`: complete, deterministic, well-formed, and arithmetically
//! exact per EN 16931 — checked by re-reading the XML, not by trusting the generator.

use chrono::NaiveDate;
use folio_app::demo::{
    COST_CENTRE, DemoFile, PROJECT, demo_coding, demo_company, demo_invoices, demo_master_data,
};
use folio_domain::{Currency, DocType};
use roxmltree::Node;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet, HashSet};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    date(2025, 3, 1)
}

/// Reference dates that stress month lengths and the turn of the year.
fn todays() -> Vec<NaiveDate> {
    vec![
        today(),
        date(2025, 1, 3),
        date(2024, 12, 31),
        date(2028, 2, 29),
        date(2026, 7, 15),
        date(2025, 3, 31),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reading the files back

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn at<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, name| child(n, name))
}

fn text(node: Node<'_, '_>, path: &[&str]) -> Option<String> {
    at(node, path).and_then(|n| n.text()).map(str::to_owned)
}

fn dec(node: Node<'_, '_>, path: &[&str]) -> Option<Decimal> {
    text(node, path).map(|t| t.parse().unwrap_or_else(|_| panic!("{t:?} at {path:?}")))
}

fn req(node: Node<'_, '_>, path: &[&str]) -> Decimal {
    dec(node, path).unwrap_or_else(|| panic!("missing {path:?}"))
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TaxKey {
    category: String,
    rate: Option<Decimal>,
}

#[derive(Debug)]
struct Line {
    quantity: Decimal,
    price: Decimal,
    net: Decimal,
    tax: TaxKey,
}

#[derive(Debug)]
struct Ac {
    is_charge: bool,
    amount: Decimal,
    base: Option<Decimal>,
    percent: Option<Decimal>,
    tax: TaxKey,
}

#[derive(Debug)]
struct Group {
    tax: TaxKey,
    taxable: Decimal,
    tax_amount: Decimal,
    exemption_reason: Option<String>,
}

#[derive(Debug)]
struct Parsed {
    syntax: &'static str,
    type_code: String,
    number: String,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: Currency,
    seller_name: String,
    seller_vat: Option<String>,
    buyer_vat: Option<String>,
    payee: bool,
    preceding: Option<String>,
    lines: Vec<Line>,
    allowances_charges: Vec<Ac>,
    groups: Vec<Group>,
    line_total: Decimal,
    allowance_total: Option<Decimal>,
    charge_total: Option<Decimal>,
    tax_exclusive: Decimal,
    tax_total: Decimal,
    tax_inclusive: Decimal,
    prepaid: Option<Decimal>,
    payable: Decimal,
    accounts: Vec<String>,
    /// Every amount's text, to check its decimals.
    amount_texts: Vec<String>,
}

const UBL_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CII: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

fn parse(file: &DemoFile) -> Parsed {
    let xml = std::str::from_utf8(&file.bytes).expect("UTF-8");
    let doc = roxmltree::Document::parse(xml)
        .unwrap_or_else(|e| panic!("{} is not well-formed: {e}", file.file_name));
    let root = doc.root_element();
    match (root.tag_name().namespace(), root.tag_name().name()) {
        (Some(UBL_INVOICE), "Invoice") | (Some(UBL_CREDIT_NOTE), "CreditNote") => parse_ubl(root),
        (Some(CII), "CrossIndustryInvoice") => parse_cii(root),
        other => panic!("{}: unexpected root {other:?}", file.file_name),
    }
}

fn ubl_tax(node: Node<'_, '_>) -> TaxKey {
    TaxKey {
        category: text(node, &["ID"]).expect("tax category"),
        rate: dec(node, &["Percent"]),
    }
}

fn parse_ubl(root: Node<'_, '_>) -> Parsed {
    let credit = root.tag_name().name() == "CreditNote";
    let (type_tag, line_tag, quantity_tag) = if credit {
        ("CreditNoteTypeCode", "CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceTypeCode", "InvoiceLine", "InvoicedQuantity")
    };
    let currency = Currency::parse(&text(root, &["DocumentCurrencyCode"]).unwrap()).unwrap();
    let party_vat = |tag: &str| text(root, &[tag, "Party", "PartyTaxScheme", "CompanyID"]);
    let lines = elements(root, line_tag)
        .map(|l| Line {
            quantity: req(l, &[quantity_tag]),
            price: req(l, &["Price", "PriceAmount"]),
            net: req(l, &["LineExtensionAmount"]),
            tax: ubl_tax(at(l, &["Item", "ClassifiedTaxCategory"]).unwrap()),
        })
        .collect();
    let allowances_charges = elements(root, "AllowanceCharge")
        .map(|ac| Ac {
            is_charge: text(ac, &["ChargeIndicator"]).as_deref() == Some("true"),
            amount: req(ac, &["Amount"]),
            base: dec(ac, &["BaseAmount"]),
            percent: dec(ac, &["MultiplierFactorNumeric"]),
            tax: ubl_tax(child(ac, "TaxCategory").unwrap()),
        })
        .collect();
    let tax_total_node = child(root, "TaxTotal").expect("TaxTotal");
    let groups = elements(tax_total_node, "TaxSubtotal")
        .map(|g| Group {
            tax: ubl_tax(child(g, "TaxCategory").unwrap()),
            taxable: req(g, &["TaxableAmount"]),
            tax_amount: req(g, &["TaxAmount"]),
            exemption_reason: text(g, &["TaxCategory", "TaxExemptionReason"]),
        })
        .collect();
    let total = |name: &str| dec(root, &["LegalMonetaryTotal", name]);
    let ubl_date = |t: String| NaiveDate::parse_from_str(&t, "%Y-%m-%d").unwrap();
    Parsed {
        syntax: "ubl",
        type_code: text(root, &[type_tag]).expect("type code"),
        number: text(root, &["ID"]).unwrap(),
        issue_date: ubl_date(text(root, &["IssueDate"]).unwrap()),
        due_date: text(root, &["DueDate"]).map(ubl_date),
        currency,
        seller_name: text(
            root,
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyLegalEntity",
                "RegistrationName",
            ],
        )
        .unwrap(),
        seller_vat: party_vat("AccountingSupplierParty"),
        buyer_vat: party_vat("AccountingCustomerParty"),
        payee: child(root, "PayeeParty").is_some(),
        preceding: text(
            root,
            &["BillingReference", "InvoiceDocumentReference", "ID"],
        ),
        lines,
        allowances_charges,
        groups,
        line_total: total("LineExtensionAmount").unwrap(),
        allowance_total: total("AllowanceTotalAmount"),
        charge_total: total("ChargeTotalAmount"),
        tax_exclusive: total("TaxExclusiveAmount").unwrap(),
        tax_total: req(tax_total_node, &["TaxAmount"]),
        tax_inclusive: total("TaxInclusiveAmount").unwrap(),
        prepaid: total("PrepaidAmount"),
        payable: total("PayableAmount").unwrap(),
        accounts: elements(root, "PaymentMeans")
            .filter_map(|m| text(m, &["PayeeFinancialAccount", "ID"]))
            .collect(),
        amount_texts: root
            .descendants()
            .filter(|n| n.attribute("currencyID").is_some())
            .map(|n| {
                assert_eq!(n.attribute("currencyID"), Some(currency.code()));
                n.text().unwrap_or_default().to_owned()
            })
            .collect(),
    }
}

fn cii_tax(node: Node<'_, '_>) -> TaxKey {
    assert_eq!(text(node, &["TypeCode"]).as_deref(), Some("VAT"));
    TaxKey {
        category: text(node, &["CategoryCode"]).expect("category"),
        rate: dec(node, &["RateApplicablePercent"]),
    }
}

fn cii_date(node: Node<'_, '_>, path: &[&str]) -> Option<NaiveDate> {
    let node = at(node, path)?;
    let string = node.children().find(|n| n.is_element())?;
    assert_eq!(string.attribute("format"), Some("102"));
    Some(NaiveDate::parse_from_str(string.text()?, "%Y%m%d").unwrap())
}

fn parse_cii(root: Node<'_, '_>) -> Parsed {
    assert_eq!(
        text(
            root,
            &[
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID"
            ]
        )
        .as_deref(),
        Some("urn:cen.eu:en16931:2017")
    );
    let header = child(root, "ExchangedDocument").unwrap();
    let transaction = child(root, "SupplyChainTradeTransaction").unwrap();
    let agreement = child(transaction, "ApplicableHeaderTradeAgreement").unwrap();
    let settlement = child(transaction, "ApplicableHeaderTradeSettlement").unwrap();
    let sums = child(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
    )
    .unwrap();
    let currency = Currency::parse(&text(settlement, &["InvoiceCurrencyCode"]).unwrap()).unwrap();
    let party_vat = |tag: &str| {
        let registration = at(agreement, &[tag, "SpecifiedTaxRegistration", "ID"])?;
        assert_eq!(registration.attribute("schemeID"), Some("VA"));
        registration.text().map(str::to_owned)
    };
    let mut amount_texts = Vec::new();
    let mut amount = |node: Node<'_, '_>, path: &[&str]| -> Option<Decimal> {
        let t = text(node, path)?;
        amount_texts.push(t.clone());
        Some(t.parse().unwrap())
    };
    let lines: Vec<Line> = elements(transaction, "IncludedSupplyChainTradeLineItem")
        .map(|l| Line {
            quantity: req(l, &["SpecifiedLineTradeDelivery", "BilledQuantity"]),
            price: req(
                l,
                &[
                    "SpecifiedLineTradeAgreement",
                    "NetPriceProductTradePrice",
                    "ChargeAmount",
                ],
            ),
            net: amount(
                l,
                &[
                    "SpecifiedLineTradeSettlement",
                    "SpecifiedTradeSettlementLineMonetarySummation",
                    "LineTotalAmount",
                ],
            )
            .unwrap(),
            tax: cii_tax(at(l, &["SpecifiedLineTradeSettlement", "ApplicableTradeTax"]).unwrap()),
        })
        .collect();
    let allowances_charges: Vec<Ac> = elements(settlement, "SpecifiedTradeAllowanceCharge")
        .map(|ac| Ac {
            is_charge: text(ac, &["ChargeIndicator", "Indicator"]).as_deref() == Some("true"),
            amount: amount(ac, &["ActualAmount"]).unwrap(),
            base: amount(ac, &["BasisAmount"]),
            percent: dec(ac, &["CalculationPercent"]),
            tax: cii_tax(child(ac, "CategoryTradeTax").unwrap()),
        })
        .collect();
    let groups: Vec<Group> = elements(settlement, "ApplicableTradeTax")
        .map(|g| Group {
            tax: cii_tax(g),
            taxable: amount(g, &["BasisAmount"]).unwrap(),
            tax_amount: amount(g, &["CalculatedAmount"]).unwrap(),
            exemption_reason: text(g, &["ExemptionReason"]),
        })
        .collect();
    let tax_total_node = child(sums, "TaxTotalAmount").unwrap();
    assert_eq!(
        tax_total_node.attribute("currencyID"),
        Some(currency.code())
    );
    let mut total = |name: &str| amount(sums, &[name]);
    let line_total = total("LineTotalAmount").unwrap();
    let allowance_total = total("AllowanceTotalAmount");
    let charge_total = total("ChargeTotalAmount");
    let tax_exclusive = total("TaxBasisTotalAmount").unwrap();
    let tax_total = total("TaxTotalAmount").unwrap();
    let tax_inclusive = total("GrandTotalAmount").unwrap();
    let prepaid = total("TotalPrepaidAmount");
    let payable = total("DuePayableAmount").unwrap();
    Parsed {
        syntax: "cii",
        type_code: text(header, &["TypeCode"]).unwrap(),
        number: text(header, &["ID"]).unwrap(),
        issue_date: cii_date(header, &["IssueDateTime"]).unwrap(),
        due_date: cii_date(
            settlement,
            &["SpecifiedTradePaymentTerms", "DueDateDateTime"],
        ),
        currency,
        seller_name: text(agreement, &["SellerTradeParty", "Name"]).unwrap(),
        seller_vat: party_vat("SellerTradeParty"),
        buyer_vat: party_vat("BuyerTradeParty"),
        payee: child(settlement, "PayeeTradeParty").is_some(),
        preceding: text(
            settlement,
            &["InvoiceReferencedDocument", "IssuerAssignedID"],
        ),
        lines,
        allowances_charges,
        groups,
        line_total,
        allowance_total,
        charge_total,
        tax_exclusive,
        tax_total,
        tax_inclusive,
        prepaid,
        payable,
        accounts: elements(settlement, "SpecifiedTradeSettlementPaymentMeans")
            .filter_map(|m| text(m, &["PayeePartyCreditorFinancialAccount", "IBANID"]))
            .collect(),
        amount_texts,
    }
}

fn round(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

fn parsed_demo(today: NaiveDate) -> Vec<(DemoFile, Parsed)> {
    demo_invoices(today)
        .into_iter()
        .map(|f| {
            let parsed = parse(&f);
            (f, parsed)
        })
        .collect()
}

fn iban_is_valid(iban: &str) -> bool {
    if iban.len() < 15 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
    rearranged.chars().fold(0u32, |acc, c| {
        let v = c.to_digit(36).unwrap();
        if v < 10 {
            (acc * 10 + v) % 97
        } else {
            (acc * 100 + v) % 97
        }
    }) == 1
}

// ---------------------------------------------------------------------------------------------
// The files

#[test]
fn there_are_enough_files_with_unique_names_and_the_output_is_deterministic() {
    for today in todays() {
        let files = demo_invoices(today);
        assert!(files.len() >= 24, "{} files", files.len());
        let names: HashSet<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
        assert_eq!(names.len(), files.len(), "file names must be unique");
        assert!(files.iter().all(|f| f.file_name.ends_with(".xml")));
        assert_eq!(files, demo_invoices(today), "same today, same bytes");
        assert_eq!(demo_master_data(today), demo_master_data(today));
    }
    assert_ne!(
        demo_invoices(date(2025, 3, 1)),
        demo_invoices(date(2025, 3, 2))
    );
}

#[test]
fn every_file_is_well_formed_and_its_totals_re_add_exactly() {
    for today in todays() {
        for (file, p) in parsed_demo(today) {
            let name = &file.file_name;
            let minor = p.currency.minor_units();
            for t in &p.amount_texts {
                let scale = t.split_once('.').map_or(0, |(_, f)| f.len());
                assert_eq!(scale as u32, minor, "{name}: amount {t} in {}", p.currency);
            }
            assert!(!p.lines.is_empty(), "{name}");
            // Line net = quantity × price.
            for line in &p.lines {
                assert_eq!(
                    line.net,
                    round(line.quantity * line.price, p.currency),
                    "{name}: {line:?}"
                );
                assert!(line.quantity > Decimal::ZERO && line.price >= Decimal::ZERO);
            }
            // BT-106, BT-107, BT-108, BT-109.
            let line_sum: Decimal = p.lines.iter().map(|l| l.net).sum();
            assert_eq!(p.line_total, line_sum, "{name}: BT-106");
            let sum_of = |charge: bool| -> Decimal {
                p.allowances_charges
                    .iter()
                    .filter(|a| a.is_charge == charge)
                    .map(|a| a.amount)
                    .sum()
            };
            assert_eq!(
                p.allowance_total.unwrap_or_default(),
                sum_of(false),
                "{name}: BT-107"
            );
            assert_eq!(
                p.charge_total.unwrap_or_default(),
                sum_of(true),
                "{name}: BT-108"
            );
            assert_eq!(
                p.tax_exclusive,
                p.line_total - sum_of(false) + sum_of(true),
                "{name}: BT-109"
            );
            for ac in &p.allowances_charges {
                if let (Some(base), Some(percent)) = (ac.base, ac.percent) {
                    assert_eq!(
                        ac.amount,
                        round(base * percent / Decimal::ONE_HUNDRED, p.currency)
                    );
                }
            }
            // VAT breakdown: one group per category and rate, each re-computed.
            let mut expected: BTreeMap<TaxKey, Decimal> = BTreeMap::new();
            for line in &p.lines {
                *expected.entry(line.tax.clone()).or_default() += line.net;
            }
            for ac in &p.allowances_charges {
                let signed = if ac.is_charge { ac.amount } else { -ac.amount };
                *expected.entry(ac.tax.clone()).or_default() += signed;
            }
            assert_eq!(
                p.groups.len(),
                expected.len(),
                "{name}: one group per category/rate"
            );
            for group in &p.groups {
                assert_eq!(
                    Some(&group.taxable),
                    expected.get(&group.tax),
                    "{name}: taxable of {:?}",
                    group.tax
                );
                let rate = group.tax.rate.unwrap_or_default();
                assert_eq!(
                    group.tax_amount,
                    round(group.taxable * rate / Decimal::ONE_HUNDRED, p.currency),
                    "{name}: VAT of {:?}",
                    group.tax
                );
                match group.tax.category.as_str() {
                    "S" => assert!(rate > Decimal::ZERO && group.exemption_reason.is_none()),
                    "Z" => assert!(rate.is_zero() && group.exemption_reason.is_none()),
                    "O" => assert!(group.tax.rate.is_none() && group.exemption_reason.is_some()),
                    _ => assert!(rate.is_zero() && group.exemption_reason.is_some(), "{name}"),
                }
            }
            // BT-110, BT-112, BT-115.
            let vat_sum: Decimal = p.groups.iter().map(|g| g.tax_amount).sum();
            assert_eq!(p.tax_total, vat_sum, "{name}: BT-110");
            assert_eq!(
                p.tax_inclusive,
                p.tax_exclusive + p.tax_total,
                "{name}: BT-112"
            );
            assert_eq!(
                p.payable,
                p.tax_inclusive - p.prepaid.unwrap_or_default(),
                "{name}: BT-115"
            );
            assert!(p.payable > Decimal::ZERO, "{name}");
        }
    }
}

#[test]
fn the_files_cover_syntaxes_currencies_vat_categories_and_special_cases() {
    let parsed = parsed_demo(today());
    let count = |f: &dyn Fn(&Parsed) -> bool| parsed.iter().filter(|(_, p)| f(p)).count();
    let ubl = count(&|p| p.syntax == "ubl");
    let cii = count(&|p| p.syntax == "cii");
    assert_eq!(ubl, cii, "half UBL, half CII");

    let currencies: BTreeSet<&str> = parsed.iter().map(|(_, p)| p.currency.code()).collect();
    for code in ["EUR", "GBP", "USD", "CHF", "SEK", "JPY"] {
        assert!(
            currencies.contains(code),
            "{code} missing from {currencies:?}"
        );
    }
    assert!(
        count(&|p| p.currency.code() == "EUR") > parsed.len() / 2,
        "mostly EUR"
    );

    let taxes: BTreeSet<TaxKey> = parsed
        .iter()
        .flat_map(|(_, p)| p.lines.iter().map(|l| l.tax.clone()))
        .collect();
    let categories: BTreeSet<&str> = taxes.iter().map(|t| t.category.as_str()).collect();
    assert_eq!(
        categories,
        BTreeSet::from(["AE", "E", "K", "O", "S", "Z"]),
        "VAT categories"
    );
    let standard_rates: BTreeSet<Decimal> = taxes
        .iter()
        .filter(|t| t.category == "S")
        .filter_map(|t| t.rate)
        .collect();
    assert_eq!(
        standard_rates,
        [7, 19, 20, 21].into_iter().map(Decimal::from).collect(),
        "standard rates"
    );

    let credit_notes: Vec<&Parsed> = parsed
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.type_code == "381")
        .collect();
    assert!(
        credit_notes.iter().any(|p| p.syntax == "ubl"),
        "a UBL CreditNote"
    );
    assert!(credit_notes.iter().any(|p| p.syntax == "cii"), "a CII 381");
    let numbers: HashSet<&str> = parsed.iter().map(|(_, p)| p.number.as_str()).collect();
    for note in &credit_notes {
        assert!(note.due_date.is_none());
        let preceding = note
            .preceding
            .as_deref()
            .expect("a credit note names its invoice");
        assert!(numbers.contains(preceding), "{preceding} is a demo invoice");
    }
    assert!(count(&|p| p.type_code == "380") + credit_notes.len() == parsed.len());
    assert!(
        count(&|p| p.type_code == "380" && p.due_date.is_some())
            == parsed.len() - credit_notes.len(),
        "every invoice has a due date"
    );

    assert!(
        count(&|p| p.allowances_charges.iter().any(|a| !a.is_charge)) >= 1,
        "an allowance"
    );
    assert!(
        count(&|p| p.allowances_charges.iter().any(|a| a.is_charge)) >= 1,
        "a charge"
    );
    assert!(count(&|p| p.prepaid.is_some()) >= 1, "a prepaid amount");
    assert!(
        count(&|p| p.payee && !p.accounts.is_empty()) >= 1,
        "a payee with an IBAN"
    );
    assert!(count(&|p| p.lines.len() >= 40) >= 1, "a many-line invoice");
    assert!(
        count(&|p| p.groups.len() >= 2) >= 1,
        "an invoice with two VAT rates"
    );
    assert!(count(&|p| p.lines.len() == 1) >= 1, "a one-line invoice");
    assert!(
        count(&|p| p.lines.len() == 12) >= 1,
        "a twelve-line invoice"
    );
    assert!(
        parsed
            .iter()
            .all(|(_, p)| p.lines.len() <= 12 || p.lines.len() >= 40),
        "1 to 12 lines, and the one long invoice"
    );
}

#[test]
fn dates_are_recent_and_fall_into_open_periods() {
    for today in todays() {
        let periods = demo_master_data(today).periods;
        let mut days = BTreeSet::new();
        for (file, p) in parsed_demo(today) {
            let age = (today - p.issue_date).num_days();
            assert!(
                (1..=60).contains(&age),
                "{}: {age} days old",
                file.file_name
            );
            days.insert(age);
            let period = periods
                .iter()
                .find(|period| period.contains(p.issue_date))
                .unwrap_or_else(|| panic!("{}: no period for {}", file.file_name, p.issue_date));
            assert!(
                !period.closed,
                "{}: {} is closed",
                file.file_name, period.name
            );
            if let Some(due) = p.due_date {
                assert!(due >= p.issue_date);
            }
        }
        assert!(days.len() >= 20, "dates are spread out: {days:?}");
    }
}

#[test]
fn parties_belong_to_the_demo_vendors_and_every_iban_is_valid() {
    let master = demo_master_data(today());
    let company = demo_company();
    let vendor_vat_ids: HashSet<&str> = master
        .vendors
        .iter()
        .filter_map(|v| v.vat_id.as_deref())
        .collect();
    for vendor in &master.vendors {
        if let Some(iban) = &vendor.iban {
            assert!(iban_is_valid(iban), "{}: {iban}", vendor.name);
        }
    }
    assert!(master.vendors.iter().filter(|v| v.iban.is_some()).count() >= 10);
    let vendor_names: HashSet<&str> = master.vendors.iter().map(|v| v.name.as_str()).collect();
    let mut ibans = 0;
    for (file, p) in parsed_demo(today()) {
        let name = &file.file_name;
        assert!(
            vendor_names.contains(p.seller_name.as_str()),
            "{name}: {}",
            p.seller_name
        );
        let outside_scope = p.groups.iter().any(|g| g.tax.category == "O");
        if outside_scope {
            // BR-O-02: no VAT identifiers at all.
            assert_eq!((&p.seller_vat, &p.buyer_vat), (&None, &None), "{name}");
        } else {
            let vat = p.seller_vat.as_deref().expect("seller VAT id");
            assert!(
                vendor_vat_ids.contains(vat),
                "{name}: {vat} is no demo vendor's"
            );
            assert_eq!(
                p.buyer_vat, company.vat_id,
                "{name}: the buyer is the demo company"
            );
        }
        let looks_like_iban = |a: &str| {
            let b = a.as_bytes();
            b.len() >= 4
                && b[..2].iter().all(u8::is_ascii_uppercase)
                && b[2..4].iter().all(u8::is_ascii_digit)
        };
        for account in &p.accounts {
            if outside_scope {
                continue; // US and Japanese bank accounts have no IBAN
            }
            assert!(
                looks_like_iban(account) && iban_is_valid(account),
                "{name}: {account}"
            );
        }
        ibans += p.accounts.iter().filter(|a| looks_like_iban(a)).count();
    }
    assert!(ibans >= 20, "{ibans} IBANs on the invoices");
}

#[test]
fn text_values_are_escaped() {
    let files = demo_invoices(today());
    let mueller = files
        .iter()
        .find(|f| String::from_utf8_lossy(&f.bytes).contains("Müller &amp; Söhne"))
        .expect("a Müller & Söhne invoice, escaped");
    let xml = String::from_utf8(mueller.bytes.clone()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.text() == Some("Müller & Söhne Gebäudereinigung KG"))
    );
    let all: String = files
        .iter()
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .collect();
    assert!(all.contains("Tastatur DE-Layout &lt;QWERTZ&gt;"));
    assert!(all.contains("Monitor 27&quot; QHD"));
}

#[test]
fn ubl_header_elements_follow_the_schema_order() {
    // The UBL 2.1 Invoice / CreditNote sequence, for the elements the demo writes.
    const ORDER: &[&str] = &[
        "CustomizationID",
        "ProfileID",
        "ID",
        "IssueDate",
        "DueDate",
        "InvoiceTypeCode",
        "CreditNoteTypeCode",
        "Note",
        "DocumentCurrencyCode",
        "BuyerReference",
        "OrderReference",
        "BillingReference",
        "AccountingSupplierParty",
        "AccountingCustomerParty",
        "PayeeParty",
        "Delivery",
        "PaymentMeans",
        "PaymentTerms",
        "AllowanceCharge",
        "TaxTotal",
        "LegalMonetaryTotal",
        "InvoiceLine",
        "CreditNoteLine",
    ];
    for file in demo_invoices(today()) {
        let xml = String::from_utf8(file.bytes.clone()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        if root.tag_name().name() == "CrossIndustryInvoice" {
            continue;
        }
        let positions: Vec<usize> = root
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                let name = n.tag_name().name();
                ORDER
                    .iter()
                    .position(|o| *o == name)
                    .unwrap_or_else(|| panic!("{}: unexpected {name}", file.file_name))
            })
            .collect();
        assert!(positions.is_sorted(), "{}: {positions:?}", file.file_name);
        for mandatory in [
            "CustomizationID",
            "ProfileID",
            "ID",
            "IssueDate",
            "BuyerReference",
        ] {
            assert!(
                child(root, mandatory).is_some(),
                "{}: {mandatory}",
                file.file_name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Master data

#[test]
fn master_data_references_existing_postable_accounts() {
    let master = demo_master_data(today());
    let accounts: BTreeMap<&str, _> = master
        .accounts
        .iter()
        .map(|a| (a.code.as_str(), a))
        .collect();
    assert_eq!(
        accounts.len(),
        master.accounts.len(),
        "account codes are unique"
    );
    assert!(master.accounts.iter().all(|a| a.code.len() == 4));
    assert_eq!(
        master.accounts.iter().filter(|a| !a.postable).count(),
        1,
        "one heading"
    );
    assert_eq!(
        master.accounts.iter().filter(|a| !a.active).count(),
        1,
        "one inactive"
    );
    let usable = |code: &str| {
        let account = accounts
            .get(code)
            .unwrap_or_else(|| panic!("no account {code}"));
        assert!(account.postable && account.active, "{code} is not usable");
    };
    for code in [
        "1600", "1200", "4990", "2150", "2660", "1576", "1571", "1577", "1787",
    ] {
        usable(code);
    }
    for tax_code in &master.tax_codes {
        tax_code.input_account.as_deref().map(usable);
        tax_code.output_account.as_deref().map(usable);
    }
    for vendor in &master.vendors {
        vendor.default_account.as_deref().map(usable);
    }
    let categories: BTreeSet<_> = master
        .tax_codes
        .iter()
        .map(|t| t.vat_category.code())
        .collect();
    assert_eq!(categories, BTreeSet::from(["AE", "E", "K", "O", "S", "Z"]));
    let reverse_charge = master
        .tax_codes
        .iter()
        .find(|t| t.vat_category.code() == "AE")
        .unwrap();
    assert!(reverse_charge.input_account.is_some() && reverse_charge.output_account.is_some());

    let coding = demo_coding();
    let vendor_vat_ids: HashSet<&str> = master
        .vendors
        .iter()
        .filter_map(|v| v.vat_id.as_deref())
        .collect();
    let cost_centres = master
        .dimensions
        .iter()
        .find(|d| d.code == COST_CENTRE)
        .expect("cost centre dimension");
    assert_eq!(
        coding.len(),
        vendor_vat_ids.len(),
        "every vendor with a VAT id is coded"
    );
    for c in &coding {
        assert!(vendor_vat_ids.contains(c.vendor_vat_id.as_str()));
        usable(&c.expense_account);
        assert_eq!(
            accounts[c.expense_account.as_str()].kind.as_str(),
            "expense"
        );
        assert!(
            cost_centres
                .values
                .iter()
                .any(|v| v.code == c.cost_centre && v.active),
            "{}",
            c.cost_centre
        );
    }
}

#[test]
fn dimensions_and_vendors_have_the_expected_shape() {
    let master = demo_master_data(today());
    let cost_centre = master
        .dimensions
        .iter()
        .find(|d| d.code == COST_CENTRE)
        .unwrap();
    assert!(cost_centre.required);
    assert_eq!(cost_centre.values.len(), 6);
    assert_eq!(cost_centre.values.iter().filter(|v| !v.active).count(), 1);
    let project = master
        .dimensions
        .iter()
        .find(|d| d.code == PROJECT)
        .unwrap();
    assert!(!project.required);
    assert_eq!(project.values.len(), 3);

    assert!((10..=14).contains(&master.vendors.len()));
    let codes: HashSet<&str> = master.vendors.iter().map(|v| v.code.as_str()).collect();
    assert_eq!(codes.len(), master.vendors.len());
    let countries: BTreeSet<&str> = master
        .vendors
        .iter()
        .filter_map(|v| v.vat_id.as_deref())
        .map(|id| &id[..2])
        .collect();
    for country in ["DE", "FR", "NL", "GB", "AT", "IE"] {
        assert!(countries.contains(country), "{country}");
    }
    assert!(
        master.vendors.iter().any(|v| v.vat_id.is_none()),
        "a vendor without VAT id"
    );
}

#[test]
fn periods_cover_this_year_and_the_end_of_the_last_and_close_after_two_months() {
    for today in todays() {
        let periods = demo_master_data(today).periods;
        assert_eq!(periods.len(), 15);
        use chrono::Datelike;
        assert_eq!(periods[0].start, date(today.year() - 1, 10, 1));
        assert_eq!(periods[14].end, date(today.year(), 12, 31));
        for pair in periods.windows(2) {
            assert_eq!(pair[0].end.succ_opt(), Some(pair[1].start), "contiguous");
        }
        let two_months_ago = today.checked_sub_months(chrono::Months::new(2)).unwrap();
        for period in &periods {
            assert_eq!(
                period.closed,
                period.end < two_months_ago,
                "{}",
                period.name
            );
        }
        assert!(periods.iter().any(|p| !p.closed && p.contains(today)));
    }
    let periods = demo_master_data(date(2025, 3, 1)).periods;
    let closed: Vec<&str> = periods
        .iter()
        .filter(|p| p.closed)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(closed, ["2024-10", "2024-11", "2024-12"]);
}

// ---------------------------------------------------------------------------------------------
// The importer reads every demo file without a problem

#[test]
fn every_demo_file_imports_without_problems_and_with_the_same_payable_amount() {
    for today in [today(), date(2025, 1, 3)] {
        for (file, p) in parsed_demo(today) {
            let name = &file.file_name;
            let imported = folio_import::import_bytes(&file.bytes)
                .unwrap_or_else(|e| panic!("{name} was rejected: {} {}", e.code, e.reason));
            assert!(
                imported.problems.is_empty(),
                "{name}: {:#?}",
                imported.problems
            );
            let document = &imported.document;
            assert_eq!(document.number, p.number, "{name}");
            assert_eq!(document.currency, p.currency, "{name}");
            assert_eq!(document.totals.payable, p.payable, "{name}");
            assert_eq!(document.issue_date, p.issue_date, "{name}");
            assert_eq!(document.lines.len(), p.lines.len(), "{name}");
            assert_eq!(
                document.doc_type,
                if p.type_code == "381" {
                    DocType::CreditNote
                } else {
                    DocType::Invoice
                },
                "{name}"
            );
            assert_eq!(document.supplier.vat_id, p.seller_vat, "{name}");
        }
    }
}
