//! Master data: upsert, round trip and audit.

mod common;

use common::*;
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Period, TaxCode, VatCategory, Vendor,
};
use folio_store::MasterData;
use rust_decimal_macros::dec;

fn sample() -> MasterData {
    MasterData {
        accounts: vec![
            Account {
                code: "1576".into(),
                name: "Input VAT 19%".into(),
                kind: AccountKind::Asset,
                postable: true,
                active: true,
            },
            Account {
                code: "1600".into(),
                name: "Trade payables".into(),
                kind: AccountKind::Liability,
                postable: true,
                active: true,
            },
            Account {
                code: "6000".into(),
                name: "Office supplies".into(),
                kind: AccountKind::Expense,
                postable: true,
                active: false,
            },
        ],
        dimensions: vec![Dimension {
            code: "cost_centre".into(),
            name: "Cost centre".into(),
            required: true,
            values: vec![
                DimensionValue {
                    code: "CC-100".into(),
                    name: "Sales".into(),
                    active: true,
                },
                DimensionValue {
                    code: "CC-200".into(),
                    name: "Admin".into(),
                    active: true,
                },
            ],
        }],
        tax_codes: vec![TaxCode {
            code: "V19".into(),
            name: "Input VAT 19%".into(),
            vat_category: VatCategory::S,
            rate: dec!(19.00),
            input_account: Some("1576".into()),
            output_account: None,
        }],
        vendors: vec![Vendor {
            code: "70001".into(),
            name: "ACME Büro GmbH".into(),
            vat_id: Some("DE123456789".into()),
            iban: None,
            default_account: Some("6000".into()),
        }],
        periods: vec![
            Period {
                name: "2025-01".into(),
                start: date(2025, 1, 1),
                end: date(2025, 1, 31),
                closed: true,
            },
            Period {
                name: "2025-02".into(),
                start: date(2025, 2, 1),
                end: date(2025, 2, 28),
                closed: false,
            },
        ],
    }
}

#[test]
fn master_data_round_trips_and_upserts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    assert!(store.master_data().unwrap().is_empty());
    let data = sample();
    store.save_master_data(&data, &change("admin", 1)).unwrap();
    assert_eq!(store.master_data().unwrap(), data);
    assert_eq!(
        store.master_data().unwrap().tax_codes[0].rate.to_string(),
        "19.00"
    );

    // An upsert changes what it names and keeps the rest.
    let mut update = MasterData::default();
    let mut acc = data.accounts[2].clone();
    acc.active = true;
    acc.name = "Office supplies & postage".into();
    update.accounts.push(acc.clone());
    update.dimensions.push(Dimension {
        values: vec![DimensionValue {
            code: "CC-050".into(),
            name: "R&D".into(),
            active: true,
        }],
        ..data.dimensions[0].clone()
    });
    store
        .save_master_data(&update, &change("admin", 2))
        .unwrap();
    let now = store.master_data().unwrap();
    assert_eq!(now.accounts.len(), 3);
    assert_eq!(now.accounts[2], acc);
    let codes: Vec<_> = now.dimensions[0]
        .values
        .iter()
        .map(|v| v.code.as_str())
        .collect();
    assert_eq!(codes, ["CC-050", "CC-100", "CC-200"]);
    assert_eq!(now.periods, data.periods);

    let events = store.audit_events(Some(("master_data", ""))).unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[1].after_json.as_deref().unwrap().contains("postage"));
}

#[test]
fn invalid_master_data_is_refused_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let mut data = sample();
    data.periods.push(Period {
        name: "backwards".into(),
        start: date(2025, 3, 31),
        end: date(2025, 3, 1),
        closed: false,
    });
    assert!(store.save_master_data(&data, &change("admin", 1)).is_err());
    assert!(store.master_data().unwrap().is_empty());
    assert_eq!(store.audit_events(None).unwrap().len(), 1);
}
