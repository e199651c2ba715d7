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

/// A metadata key as beancount accepts it (`[a-z][a-zA-Z0-9_-]*`): other characters become `_`,
/// and a key that does not start with a lowercase letter gets an `x` in front.
pub fn meta_key(text: &str) -> String {
    let mut key: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        key.insert(0, 'x');
    }
    key
}

/// The dimensions and tax code of a line, as `(key, value)` pairs in a fixed order.
fn line_tags(line: &folio_domain::JournalLine) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = line
        .dimensions
        .iter()
        .map(|(k, v)| (meta_key(k), v.clone()))
        .collect();
    if let Some(tax) = &line.tax_code {
        tags.push(("tax_code".to_owned(), tax.clone()));
    }
    tags
}

/// How a posting carries its dimensions and tax code in each format.
#[derive(Clone, Copy)]
enum TagStyle {
    /// Beancount posting metadata: `    cost_centre: "CC-100"` lines under the posting.
    BeancountMeta,
    /// hledger posting tags in a comment: `  ; cost_centre:CC-100, tax_code:V19`.
    HledgerComment,
}

/// One posting per line, each with its explicit signed amount, its dimensions and tax code.
fn postings(
    journal: &Journal,
    indent: &str,
    account_name: &dyn Fn(&str) -> String,
    style: TagStyle,
) -> String {
    let mut out = String::new();
    for line in &journal.lines {
        out.push_str(&format!(
            "{indent}{}  {} {}",
            account_name(&line.account),
            signed_amount(line),
            line.currency
        ));
        let tags = line_tags(line);
        match style {
            TagStyle::BeancountMeta => {
                out.push('\n');
                for (key, value) in tags {
                    out.push_str(&format!("{indent}  {key}: \"{}\"\n", escape(&value)));
                }
            }
            TagStyle::HledgerComment => {
                if !tags.is_empty() {
                    let list: Vec<String> = tags
                        .iter()
                        .map(|(k, v)| format!("{k}:{}", v.replace([',', '\n', '\r'], " ")))
                        .collect();
                    out.push_str(&format!("  ; {}", list.join(", ")));
                }
                out.push('\n');
            }
        }
    }
    out
}

/// A beancount transaction. `account_name` maps a Folio account code to a beancount account
/// (`Expenses:Office`), which must already be opened in the ledger.
pub fn beancount(
    journal: &Journal,
    reference: &JournalRef,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    beancount_with_head(journal, reference, None, account_name)
}

/// [`beancount`] with the audit chain's head at posting time as `folio_audit` metadata.
pub fn beancount_with_head(
    journal: &Journal,
    reference: &JournalRef,
    audit_head: Option<&str>,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    let mut header = format!(
        "{} * \"{}\"\n  folio_ref: \"{}\"\n",
        journal.date,
        escape(&journal.memo),
        reference
    );
    if let Some(head) = audit_head {
        header.push_str(&format!("  folio_audit: \"{}\"\n", escape(head)));
    }
    header + &postings(journal, "  ", account_name, TagStyle::BeancountMeta)
}

/// An hledger transaction with the reference as a `folio_ref:` tag.
pub fn hledger(
    journal: &Journal,
    reference: &JournalRef,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    hledger_with_head(journal, reference, None, account_name)
}

/// [`hledger`] with the audit chain's head at posting time as a `folio_audit:` tag.
pub fn hledger_with_head(
    journal: &Journal,
    reference: &JournalRef,
    audit_head: Option<&str>,
    account_name: &dyn Fn(&str) -> String,
) -> String {
    let memo = journal.memo.replace(['\n', '\r', ';'], " ");
    let mut header = format!("{} * {memo}  ; folio_ref:{reference}", journal.date);
    if let Some(head) = audit_head {
        let head: String = head
            .chars()
            .filter(|c| !matches!(c, ',' | ';' | '\n' | '\r' | ' '))
            .collect();
        header.push_str(&format!(", folio_audit:{head}"));
    }
    header.push('\n');
    header + &postings(journal, "    ", account_name, TagStyle::HledgerComment)
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

    #[test]
    fn dimensions_and_tax_codes_go_with_their_posting() {
        let r = JournalRef::new("K3", 7).unwrap();
        let mut j = journal();
        j.lines[0]
            .dimensions
            .insert("cost_centre".into(), "CC-100".into());
        j.lines[0]
            .dimensions
            .insert("Project X".into(), "P1".into());
        j.lines[0].tax_code = Some("V19".into());
        let bean = beancount(&j, &r, &names);
        assert!(bean.contains(
            "  Expenses:A6815  100.00 EUR\n    xProject_X: \"P1\"\n    cost_centre: \"CC-100\"\n    \
             tax_code: \"V19\"\n  Expenses:A1576"
        ));
        let hl = hledger(&j, &r, &names);
        assert!(hl.contains(
            "    Expenses:A6815  100.00 EUR  ; xProject_X:P1, cost_centre:CC-100, tax_code:V19\n"
        ));
    }

    #[test]
    fn the_audit_head_goes_into_the_metadata_of_both_formats() {
        let r = JournalRef::new("K3", 7).unwrap();
        let head = format!("42-{}", "ab".repeat(32));
        let name = |code: &str| format!("Expenses:{code}");
        let bean = beancount_with_head(&journal(), &r, Some(&head), &name);
        assert!(
            bean.contains(&format!("\n  folio_audit: \"{head}\"\n")),
            "{bean}"
        );
        assert_eq!(
            beancount(&journal(), &r, &name),
            beancount_with_head(&journal(), &r, None, &name)
        );
        let ledger = hledger_with_head(&journal(), &r, Some(&head), &name);
        let first = ledger.lines().next().unwrap();
        assert!(
            first.ends_with(&format!("; folio_ref:{r}, folio_audit:{head}")),
            "{first}"
        );
    }
}
