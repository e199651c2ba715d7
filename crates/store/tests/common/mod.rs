//! Shared fixtures of the store's integration tests.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use folio_domain::{
    Address, Currency, DocType, Document, DocumentLine, Journal, JournalLine, JournalStatus, Party,
    PaymentInfo, Problem, References, Side, Syntax, Totals, VatBreakdown, VatCategory,
};
use folio_store::{Change, DocumentId, NewDocument, OriginalFile, Store, normalise_number};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use std::path::Path;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, 0).unwrap()
}

pub fn change(actor: &str, minutes: i64) -> Change {
    Change::new(actor, t0() + chrono::Duration::minutes(minutes))
}

pub fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn new_store(dir: &Path) -> Store {
    Store::create(dir, t0()).unwrap()
}

pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("folio.sqlite")).unwrap()
}

fn line(id: &str, name: &str, net: Decimal) -> DocumentLine {
    DocumentLine {
        id: id.into(),
        name: name.into(),
        description: Some("monthly".into()),
        quantity: dec!(2.000),
        unit_code: Some("C62".into()),
        unit_price: net / dec!(2),
        price_base_quantity: None,
        net_amount: net,
        vat_category: VatCategory::S,
        vat_rate: Some(dec!(19.00)),
        allowances_charges: vec![],
        seller_item_id: None,
        buyer_accounting_ref: Some("6000".into()),
        order_line_ref: None,
    }
}

/// An invoice with awkward scales (`10.10`, `19.00`) that must survive a round trip as they are.
pub fn invoice(number: &str) -> Document {
    Document {
        syntax: Syntax::Ubl,
        doc_type: DocType::Invoice,
        type_code: Some("380".into()),
        customization_id: Some("urn:cen.eu:en16931:2017".into()),
        profile_id: None,
        number: number.into(),
        issue_date: date(2025, 2, 28),
        due_date: Some(date(2025, 3, 30)),
        tax_point_date: None,
        currency: eur(),
        tax_currency: None,
        tax_total_in_tax_currency: None,
        supplier: Party {
            name: "ACME Büro GmbH".into(),
            vat_id: Some("DE123456789".into()),
            address: Address {
                lines: vec!["Hauptstraße 1".into()],
                city: Some("Berlin".into()),
                postal_code: Some("10115".into()),
                subdivision: None,
                country_code: Some("DE".into()),
            },
            ..Party::default()
        },
        buyer: Party {
            name: "Folio Test Ltd".into(),
            ..Party::default()
        },
        payee: None,
        lines: vec![
            line("1", "Paper", dec!(10.10)),
            line("2", "Toner", dec!(89.90)),
        ],
        allowances_charges: vec![],
        vat_breakdown: vec![VatBreakdown {
            category: VatCategory::S,
            rate: Some(dec!(19.00)),
            taxable_amount: dec!(100.00),
            tax_amount: dec!(19.00),
            exemption_reason: None,
            exemption_reason_code: None,
        }],
        totals: Totals {
            line_net_total: dec!(100.00),
            allowance_total: None,
            charge_total: None,
            tax_exclusive: dec!(100.00),
            tax_total: Some(dec!(19.00)),
            tax_inclusive: dec!(119.00),
            prepaid: None,
            rounding: None,
            payable: dec!(119.00),
        },
        payment: PaymentInfo {
            iban: Some("DE02120300000000202051".into()),
            ..PaymentInfo::default()
        },
        references: References {
            order: Some("PO-7".into()),
            ..References::default()
        },
        notes: vec!["Thank you".into()],
    }
}

pub fn problems() -> Vec<Problem> {
    vec![
        Problem::warning(
            "BR-CO-10",
            "totals.line_net_total",
            "sum check, just a warning",
        ),
        Problem::error("FOLIO-NO-PO", "references.order", "no such purchase order"),
    ]
}

/// Stores `bytes` as a blob and `doc` as a document.
pub fn import(store: &mut Store, doc: &Document, bytes: &[u8], problems: &[Problem]) -> DocumentId {
    let blob = store.blobs().put(bytes).unwrap();
    let new = NewDocument {
        document: doc,
        problems,
        original: OriginalFile {
            file_name: format!("{}.xml", doc.number),
            sha256: blob.sha256,
            media_type: "application/xml".into(),
            size: blob.size,
        },
        supplier_key: folio_store::normalise_supplier(
            &doc.supplier.name,
            doc.supplier.vat_id.as_deref(),
        ),
        number_key: normalise_number(&doc.number),
    };
    store.insert_document(&new, &change("alice", 1)).unwrap()
}

pub fn jline(account: &str, side: Side, amount: Decimal) -> JournalLine {
    let mut dimensions = BTreeMap::new();
    if account.starts_with('6') {
        dimensions.insert("cost_centre".to_string(), "CC-100".to_string());
    }
    JournalLine {
        account: account.into(),
        description: format!("{account} line"),
        side,
        amount,
        currency: eur(),
        dimensions,
        tax_code: account.starts_with('6').then(|| "V19".to_string()),
        source: Some("lines[0]".into()),
    }
}

/// A balanced journal: 100.00 + 19.00 against 119.00.
pub fn balanced_journal() -> Journal {
    Journal {
        date: date(2025, 2, 28),
        memo: "ACME INV-1".into(),
        status: JournalStatus::Draft,
        lines: vec![
            jline("6000", Side::Debit, dec!(100.00)),
            jline("1576", Side::Debit, dec!(19.00)),
            jline("1600", Side::Credit, dec!(119.00)),
        ],
    }
}
