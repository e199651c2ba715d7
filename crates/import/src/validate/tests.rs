//! Unit tests of individual rules on hand-built documents.

use super::*;
use crate::facts::{Contact, Facts, PaymentMeans};

#[test]
fn iban_check_digits() {
    assert!(xrechnung::iban_ok("DE75 5121 0800 1245 1261 99"));
    assert!(xrechnung::iban_ok("GB29NWBK60161331926819"));
    assert!(!xrechnung::iban_ok("DE90200400000625894000"));
    assert!(!xrechnung::iban_ok("bla"));
}

#[test]
fn every_rule_id_is_unique() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len());
    assert!(before > 150, "{before} rules");
}

#[test]
fn facts_default_means_unknown() {
    let facts = Facts::default();
    assert!(!facts.known);
    let with = Facts {
        known: true,
        seller_contact: Some(Contact::default()),
        payment_means: vec![PaymentMeans::default()],
        ..Facts::default()
    };
    assert!(with.known);
}
