//! `folio export journals`: a month's approved journals as a beancount or hledger file that
//! `bean-check` and `hledger check -s` accept on its own.
//!
//! The entries are the GL connector's ([`folio_gl::ledger_text`]: every posting with its explicit
//! amount, dimensions and tax code, the `folio_ref` the journal carries in the GL), so an exported
//! entry can be matched with the posted one. What makes the file stand alone is written before
//! them: the currencies used (with their minor units, for hledger's strict check), and an
//! `open`/`account` directive for each account used, named as the ledger-file connector names it
//! (`Expenses:4930-Office-supplies`, [`folio_gl::chart`]).

use crate::error::{AppError, ErrorCode};
use crate::export::Output;
use crate::workspace::Workspace;
use chrono::NaiveDate;
use folio_domain::{Account, Currency};
use folio_gl::{JournalRef, chart, ledger_text};
use folio_store::ExportedJournal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use ts_rs::TS;

/// The plain-text ledger formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerFormat {
    Beancount,
    Hledger,
}

impl LedgerFormat {
    pub fn parse(text: &str) -> Result<LedgerFormat, AppError> {
        match text {
            "beancount" => Ok(LedgerFormat::Beancount),
            "hledger" => Ok(LedgerFormat::Hledger),
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("--format '{text}' is not a ledger format (beancount or hledger)"),
            )),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            LedgerFormat::Beancount => "beancount",
            LedgerFormat::Hledger => "hledger",
        }
    }
}

/// What `folio export journals` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JournalExportReport {
    /// `beancount` or `hledger`.
    pub format: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Journals written.
    pub journals: u32,
    /// Accounts declared.
    pub accounts: u32,
    /// Currency codes declared.
    pub currencies: Vec<String>,
    /// The file written, or none for standard output.
    pub path: Option<String>,
}

/// The first and last day of `YYYY-MM`.
pub fn parse_period(text: &str) -> Result<(NaiveDate, NaiveDate), AppError> {
    let invalid = || {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("--period '{text}' is not a month (expected YYYY-MM, e.g. 2026-06)"),
        )
    };
    let (year, month) = text.split_once('-').ok_or_else(invalid)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u32 = month.parse().map_err(|_| invalid())?;
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .ok_or_else(invalid)?;
    Ok((first, next.pred_opt().ok_or_else(invalid)?))
}

/// The number format hledger declares a currency with: `1000.00` for two minor units, `1000.` for
/// none (the point tells hledger which mark is the decimal one).
fn hledger_format(currency: Currency) -> String {
    format!("1000.{}", "0".repeat(currency.minor_units() as usize))
}

/// The ledger text of `journals`: header, declarations, entries. Every account a journal posts to
/// must be in `accounts` (headings and retired accounts included: an approved journal keeps the
/// account it was approved with); a journal without a reference is refused, since the reference is
/// what ties the entry to the GL.
pub fn ledger_text(
    format: LedgerFormat,
    period: &str,
    opened_on: NaiveDate,
    journals: &[ExportedJournal],
    accounts: &[Account],
) -> Result<(String, u32, Vec<String>), AppError> {
    let names: BTreeMap<&str, String> = accounts
        .iter()
        .map(|a| (a.code.as_str(), chart::account_name(a)))
        .collect();
    let mut used = BTreeSet::new();
    let mut currencies = BTreeSet::new();
    let mut entries = String::new();
    for exported in journals {
        let stored = &exported.stored;
        let reference = exported
            .reference
            .as_deref()
            .and_then(|r| JournalRef::parse(r).ok())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!(
                        "{} of {} is {} but has no GL reference in the outbox",
                        stored.id,
                        stored.document,
                        stored.journal.status.as_str()
                    ),
                )
            })?;
        for (i, line) in stored.journal.lines.iter().enumerate() {
            let name = names.get(line.account.as_str()).ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotExportable,
                    format!(
                        "{} of {}, line {}: account {} is not in the workspace's chart of \
                         accounts, so it has no ledger name (pull the GL's master data first)",
                        stored.id,
                        stored.document,
                        i + 1,
                        line.account
                    ),
                )
            })?;
            used.insert(name.clone());
            currencies.insert(line.currency);
        }
        let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();
        entries.push('\n');
        entries.push_str(&match format {
            LedgerFormat::Beancount => {
                ledger_text::beancount(&stored.journal, &reference, &name_of)
            }
            LedgerFormat::Hledger => ledger_text::hledger(&stored.journal, &reference, &name_of),
        });
    }
    let mut out = format!(
        "; Folio journals of {period}: approved, queued and posted, current versions ({} \
         journals).\n; Written by `folio export journals --format {}`; each entry carries its \
         folio_ref.\n\n",
        journals.len(),
        format.as_str()
    );
    match format {
        LedgerFormat::Beancount => {
            out.push_str(&format!("option \"title\" \"Folio journals {period}\"\n\n"));
            for c in &currencies {
                out.push_str(&format!("{opened_on} commodity {c}\n"));
            }
            for name in &used {
                out.push_str(&format!("{opened_on} open {name}\n"));
            }
        }
        LedgerFormat::Hledger => {
            out.push_str("decimal-mark .\n\n");
            for c in &currencies {
                out.push_str(&format!("commodity {} {c}\n", hledger_format(*c)));
            }
            for name in &used {
                out.push_str(&format!("account {name}\n"));
            }
        }
    }
    out.push_str(&entries);
    Ok((
        out,
        u32::try_from(used.len()).unwrap_or(u32::MAX),
        currencies.iter().map(|c| c.code().to_owned()).collect(),
    ))
}

impl Workspace {
    /// `folio export journals`: the approved (queued, posted) journals dated in `period`
    /// (`YYYY-MM`) as a standalone beancount or hledger file, written to `out` or standard
    /// output.
    pub fn export_journals(
        &self,
        format: LedgerFormat,
        period: &str,
        out: Option<&Path>,
    ) -> Result<JournalExportReport, AppError> {
        let (first, last) = parse_period(period)?;
        let journals = self.store.approved_journals_between(first, last)?;
        let accounts = self.store.master_data()?.accounts;
        let (text, accounts, currencies) =
            ledger_text(format, period, first, &journals, &accounts)?;
        let mut output = Output::open(out)?;
        output
            .writer()
            .write_all(text.as_bytes())
            .map_err(|e| output.error(e))?;
        output.finish()?;
        Ok(JournalExportReport {
            format: format.as_str().to_owned(),
            period: period.to_owned(),
            journals: u32::try_from(journals.len()).unwrap_or(u32::MAX),
            accounts,
            currencies,
            path: out.map(|p| p.display().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_domain::{AccountKind, Journal, JournalLine, JournalStatus, Side};
    use folio_store::{DocumentId, JournalId, StoredJournal};
    use rust_decimal::Decimal;

    fn account(code: &str, name: &str, kind: AccountKind) -> Account {
        Account {
            code: code.into(),
            name: name.into(),
            kind,
            postable: true,
            active: true,
        }
    }

    fn exported(currency: &str, amount: i64, expense: &str) -> ExportedJournal {
        let currency = Currency::parse(currency).unwrap();
        let line = |account: &str, side| JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount: Decimal::new(amount, 0),
            currency,
            dimensions: BTreeMap::new(),
            tax_code: None,
            source: None,
        };
        let at = chrono::DateTime::UNIX_EPOCH;
        ExportedJournal {
            stored: StoredJournal {
                id: JournalId(7),
                document: DocumentId(3),
                version: 1,
                journal: Journal {
                    date: NaiveDate::from_ymd_opt(2026, 6, 2).unwrap(),
                    memo: "m".into(),
                    status: JournalStatus::Posted,
                    lines: vec![line(expense, Side::Debit), line("1600", Side::Credit)],
                },
                created_at: at,
                created_by: "t".into(),
                updated_at: at,
                updated_by: "t".into(),
            },
            reference: Some("FK3AB-7".into()),
        }
    }

    #[test]
    fn periods_are_whole_months() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            parse_period("2024-02").unwrap(),
            (d(2024, 2, 1), d(2024, 2, 29))
        );
        assert_eq!(
            parse_period("2026-12").unwrap(),
            (d(2026, 12, 1), d(2026, 12, 31))
        );
        for bad in ["2026-13", "2026-6", "26-06", "2026-06-01", "", "2026-00"] {
            assert_eq!(
                parse_period(bad).unwrap_err().code,
                ErrorCode::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn declarations_cover_what_the_entries_use() {
        let accounts = [
            account("4930", "Office", AccountKind::Expense),
            account("1600", "Payables", AccountKind::Liability),
            account("4940", "Unused", AccountKind::Expense),
        ];
        let journals = [exported("JPY", 1500, "4930")];
        let first = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let (hl, n, currencies) = ledger_text(
            LedgerFormat::Hledger,
            "2026-06",
            first,
            &journals,
            &accounts,
        )
        .unwrap();
        assert_eq!((n, currencies), (2, vec!["JPY".to_owned()]));
        assert!(hl.contains(
            "commodity 1000. JPY\naccount Expenses:4930-Office\naccount Liabilities:1600-Payables\n"
        ));
        assert!(!hl.contains("4940"));
        assert!(hl.contains("    Expenses:4930-Office  1500 JPY\n"));
        let (bean, _, _) = ledger_text(
            LedgerFormat::Beancount,
            "2026-06",
            first,
            &journals,
            &accounts,
        )
        .unwrap();
        assert!(bean.contains(
            "2026-06-01 commodity JPY\n2026-06-01 open Expenses:4930-Office\n\
             2026-06-01 open Liabilities:1600-Payables\n"
        ));
        assert!(bean.contains("  folio_ref: \"FK3AB-7\"\n"));
    }

    #[test]
    fn an_account_outside_the_chart_is_named_in_the_refusal() {
        let accounts = [account("1600", "Payables", AccountKind::Liability)];
        let first = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let error = ledger_text(
            LedgerFormat::Beancount,
            "2026-06",
            first,
            &[exported("EUR", 10, "9999")],
            &accounts,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::NotExportable);
        assert!(
            error
                .message
                .contains("JNL-7 of DOC-3, line 1: account 9999"),
            "{}",
            error.message
        );
    }
}
