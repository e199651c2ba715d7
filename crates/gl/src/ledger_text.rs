//! Journals as plain-text ledger entries (beancount and hledger), each carrying its Folio
//! reference so the entry can be found again.
//!
//! Amounts are written with exactly the currency's minor units, and every posting has an explicit
//! amount (no elided balancing posting), so the ledger tool checks our balance instead of
//! silently completing it.

use crate::JournalRef;
use folio_domain::{Journal, Side};

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\n', '\r'], " ")
}

fn signed_amount(line: &folio_domain::JournalLine) -> String {
    let mut amount = line.amount;
    amount.rescale(line.currency.minor_units());
    match line.side {
        Side::Debit => amount.to_string(),
        Side::Credit => format!("-{amount}"),
    }
}

/// One posting per line, each with its explicit signed amount.
fn postings(journal: &Journal, indent: &str, account_name: &dyn Fn(&str) -> String) -> String {
    journal
        .lines
        .iter()
        .map(|line| {
            format!(
                "{indent}{}  {} {}\n",
                account_name(&line.account),
                signed_amount(line),
                line.currency
            )
        })
        .collect()
}

/// A beancount transaction. `account_name` maps a Folio account code to a beancount account
/// (`Expenses:Office`), which must already be opened in the ledger.
pub fn beancount(
    journal: &Journal,
    reference: &JournalRef,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    let header = format!(
        "{} * \"{}\"\n  folio_ref: \"{}\"\n",
        journal.date,
        escape(&journal.memo),
        reference
    );
    header + &postings(journal, "  ", account_name)
}

/// An hledger transaction with the reference as a `folio_ref:` tag.
pub fn hledger(
    journal: &Journal,
    reference: &JournalRef,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    let memo = journal.memo.replace(['\n', '\r', ';'], " ");
    let header = format!("{} * {memo}  ; folio_ref:{reference}\n", journal.date);
    header + &postings(journal, "    ", account_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_domain::{Currency, JournalLine, JournalStatus};
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;

    fn journal() -> Journal {
        let eur = Currency::parse("EUR").unwrap();
        let line = |account: &str, side, amount| JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount,
            currency: eur,
            dimensions: BTreeMap::new(),
            tax_code: None,
            source: None,
        };
        Journal {
            date: chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(),
            memo: "Nordlicht \"Büro\" invoice 7".into(),
            status: JournalStatus::Approved,
            lines: vec![
                line("6815", Side::Debit, dec!(100)),
                line("1576", Side::Debit, dec!(19)),
                line("1600", Side::Credit, dec!(119.00)),
            ],
        }
    }

    fn names(code: &str) -> String {
        format!("Expenses:A{code}")
    }

    #[test]
    fn beancount_entry_has_reference_and_explicit_amounts() {
        let r = JournalRef::new("K3", 7).unwrap();
        assert_eq!(
            beancount(&journal(), &r, &names),
            "2025-03-04 * \"Nordlicht \\\"Büro\\\" invoice 7\"\n  folio_ref: \"FK3-7\"\n  \
             Expenses:A6815  100.00 EUR\n  Expenses:A1576  19.00 EUR\n  Expenses:A1600  -119.00 EUR\n"
        );
    }

    #[test]
    fn hledger_entry_has_reference_tag() {
        let r = JournalRef::new("K3", 7).unwrap();
        let text = hledger(&journal(), &r, &names);
        assert!(text.starts_with("2025-03-04 * Nordlicht \"Büro\" invoice 7  ; folio_ref:FK3-7\n"));
        assert!(text.ends_with("    Expenses:A1600  -119.00 EUR\n"));
    }
}
