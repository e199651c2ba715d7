//! `folio export payables` and the 13-week payables forecast: what the workspace's invoices say is
//! due when, per currency, for a treasury system's cash-flow forecast.
//!
//! **What "open" means here.** Folio records no payments, so it cannot know what was paid. Open
//! is therefore every invoice and credit note in the workspace with an amount due (BT-115, not
//! zero), except documents held as (possible) duplicates that nobody has cleared — those must not
//! be paid twice. Each row says how far its journal got (`journal_status`: none, draft, approved,
//! queued, posted, rejected), so a consumer can count only approved ones. Credit notes count
//! negative: they reduce what is paid.
//!
//! **Due dates** come from the document (BT-9). Without one, the payment terms (BT-20) are read
//! for a net term ("Zahlbar innerhalb von 30 Tagen", "Payment within 30 days, net"): when they
//! name exactly one number of days outside an early-payment clause, the due date is the issue
//! date plus those days (`due_date_source: terms`). Otherwise the row has no due date.
//!
//! **Early-payment discounts** are read from the structured form XRechnung defines for BT-20,
//! one line per tier: `#SKONTO#TAGE=14#PROZENT=2.00#[BASISBETRAG=100.00#]`. The discount date is
//! the issue date plus `TAGE`, the discount `PROZENT` % of `BASISBETRAG` (else the amount due),
//! rounded half away from zero to the currency's minor units like every posting. Discounts in free
//! text are not guessed at; the terms text is in every row.
//!
//! **IBAN**: the document's (BT-84), else the vendor's from the master data (`iban_source`).

use crate::error::{AppError, ErrorCode};
use crate::export::Output;
use crate::workspace::Workspace;
use chrono::{Datelike, Days, NaiveDate};
use folio_domain::{Currency, DocType, JournalStatus, Vendor};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use ts_rs::TS;

/// The formats of `folio export payables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayablesFormat {
    Csv,
    Json,
}

impl PayablesFormat {
    pub fn parse(text: &str) -> Result<PayablesFormat, AppError> {
        match text {
            "csv" => Ok(PayablesFormat::Csv),
            "json" => Ok(PayablesFormat::Json),
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("--format '{text}' is not a payables format (csv or json)"),
            )),
        }
    }
}

/// One early-payment discount tier of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct EarlyPaymentDiscount {
    /// Pay by this day (`YYYY-MM-DD`) ...
    pub date: String,
    pub days: u32,
    /// ... to deduct this percentage ...
    pub percent: String,
    /// ... of this amount ...
    pub base: String,
    /// ... which is this much ...
    pub discount: String,
    /// ... and pay this.
    pub amount_after_discount: String,
}

/// One open payable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OpenPayable {
    pub document_id: String,
    pub number: String,
    /// `invoice` or `credit_note`.
    pub doc_type: String,
    pub vendor_name: String,
    pub vendor_vat_id: Option<String>,
    pub issue_date: String,
    pub due_date: Option<String>,
    /// `document` (BT-9) or `terms` (the net term read from BT-20).
    pub due_date_source: Option<String>,
    pub currency: Currency,
    /// The amount due (BT-115) as a decimal string; negative for a credit note.
    pub gross: String,
    pub discounts: Vec<EarlyPaymentDiscount>,
    pub iban: Option<String>,
    /// `document` (BT-84) or `vendor` (the master data).
    pub iban_source: Option<String>,
    pub bic: Option<String>,
    pub terms: Option<String>,
    /// The document's current journal status, if it has a journal.
    pub journal_status: Option<JournalStatus>,
}

/// A sum in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PayableSum {
    pub currency: Currency,
    /// A decimal string.
    pub amount: String,
    pub documents: u32,
}

/// The open payables due on one day (or without a due date), per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DueTotal {
    pub due_date: Option<String>,
    pub totals: Vec<PayableSum>,
}

/// `folio export payables --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PayablesExport {
    /// By due date (undated last), then currency, then document.
    pub payables: Vec<OpenPayable>,
    /// Per due date and currency.
    pub by_due_date: Vec<DueTotal>,
}

/// One week of the forecast, Monday to Sunday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ForecastWeek {
    pub week_start: String,
    pub week_end: String,
    pub totals: Vec<PayableSum>,
}

/// What is due in each of the next weeks, per currency (the desktop overview's chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PayablesForecast {
    /// Today, as the clock said (`YYYY-MM-DD`); week 1 is the week holding it.
    pub as_of: String,
    pub weeks: Vec<ForecastWeek>,
    /// Due before the first week.
    pub overdue: Vec<PayableSum>,
    /// Due after the last week.
    pub later: Vec<PayableSum>,
    /// Without a due date.
    pub undated: Vec<PayableSum>,
}

/// The `#SKONTO#` tiers of payment terms: `(days, percent, base)`; tiers of 0 % are no discount.
pub fn skonto_tiers(terms: &str) -> Vec<(u32, Decimal, Option<Decimal>)> {
    let mut tiers = Vec::new();
    for clause in terms.split("#SKONTO#").skip(1) {
        let mut days = None;
        let mut percent = None;
        let mut base = None;
        for part in clause.split('#') {
            match part.split_once('=') {
                Some(("TAGE", v)) => days = v.trim().parse::<u32>().ok(),
                Some(("PROZENT", v)) => percent = v.trim().parse::<Decimal>().ok(),
                Some(("BASISBETRAG", v)) => base = v.trim().parse::<Decimal>().ok(),
                _ if part.trim().is_empty() => {}
                // The clause ends at the first part that is not one of its keys.
                _ => break,
            }
        }
        if let (Some(days), Some(percent)) = (days, percent)
            && percent > Decimal::ZERO
        {
            tiers.push((days, percent, base));
        }
    }
    tiers
}

/// The net term of free-text payment terms: the one number of days they name outside
/// `#SKONTO#` clauses ("innerhalb von 30 Tagen", "within 30 days"), if exactly one.
pub fn net_days(terms: &str) -> Option<u32> {
    let text: String = terms
        .lines()
        .filter(|l| !l.contains("#SKONTO#"))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let mut found: Vec<u32> = words
        .windows(2)
        .filter(|w| {
            let unit = w[1].to_lowercase();
            ["tage", "tagen", "tag", "days", "day"].contains(&unit.as_str())
        })
        .filter_map(|w| w[0].parse::<u32>().ok())
        .collect();
    found.sort_unstable();
    found.dedup();
    match found.as_slice() {
        [days] => Some(*days),
        _ => None,
    }
}

fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(date)
}

fn normalise_vat(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The master-data vendor of a supplier: by VAT id, else by name.
fn vendor_of<'a>(vendors: &'a [Vendor], name: &str, vat_id: Option<&str>) -> Option<&'a Vendor> {
    if let Some(vat) = vat_id.map(normalise_vat)
        && let Some(v) = vendors
            .iter()
            .find(|v| v.vat_id.as_deref().map(normalise_vat).as_deref() == Some(vat.as_str()))
    {
        return Some(v);
    }
    vendors
        .iter()
        .find(|v| v.name.trim().eq_ignore_ascii_case(name.trim()))
}

/// Sums per currency, in currency order.
fn sums<'a>(payables: impl Iterator<Item = &'a OpenPayable>) -> Vec<PayableSum> {
    let mut by: BTreeMap<String, (Currency, Decimal, u32)> = BTreeMap::new();
    for p in payables {
        let gross: Decimal = p.gross.parse().unwrap_or_default();
        let entry =
            by.entry(p.currency.code().to_owned())
                .or_insert((p.currency, Decimal::ZERO, 0));
        entry.1 += gross;
        entry.2 += 1;
    }
    by.into_values()
        .map(|(currency, mut amount, documents)| {
            amount.rescale(amount.scale().max(currency.minor_units()));
            PayableSum {
                currency,
                amount: amount.to_string(),
                documents,
            }
        })
        .collect()
}

const CSV_COLUMNS: &[&str] = &[
    "document_id",
    "number",
    "doc_type",
    "vendor_name",
    "vendor_vat_id",
    "issue_date",
    "due_date",
    "due_date_source",
    "currency",
    "gross",
    "discount_date",
    "discount_percent",
    "discount",
    "amount_after_discount",
    "more_discount_tiers",
    "iban",
    "iban_source",
    "bic",
    "journal_status",
    "terms",
];

fn csv_field(line: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
    line.push(',');
}

fn end_line(line: &mut String) {
    line.pop();
    line.push_str("\r\n");
}

/// The CSV text of `payables` (the earliest discount tier in columns, the number of further
/// tiers after it).
pub fn payables_csv(payables: &[OpenPayable]) -> String {
    let mut out = String::new();
    for c in CSV_COLUMNS {
        csv_field(&mut out, c);
    }
    end_line(&mut out);
    for p in payables {
        let first = p.discounts.first();
        let status = p.journal_status.map(|s| s.as_str()).unwrap_or("");
        let more = p.discounts.len().saturating_sub(1).to_string();
        let currency = p.currency.code();
        for value in [
            p.document_id.as_str(),
            &p.number,
            &p.doc_type,
            &p.vendor_name,
            p.vendor_vat_id.as_deref().unwrap_or(""),
            &p.issue_date,
            p.due_date.as_deref().unwrap_or(""),
            p.due_date_source.as_deref().unwrap_or(""),
            currency,
            &p.gross,
            first.map_or("", |d| d.date.as_str()),
            first.map_or("", |d| d.percent.as_str()),
            first.map_or("", |d| d.discount.as_str()),
            first.map_or("", |d| d.amount_after_discount.as_str()),
            &more,
            p.iban.as_deref().unwrap_or(""),
            p.iban_source.as_deref().unwrap_or(""),
            p.bic.as_deref().unwrap_or(""),
            status,
            p.terms.as_deref().unwrap_or(""),
        ] {
            csv_field(&mut out, value);
        }
        end_line(&mut out);
    }
    out
}

impl Workspace {
    /// The open payables (see the module documentation for what "open" means), by due date
    /// (undated last), currency and document.
    pub fn open_payables(&self) -> Result<Vec<OpenPayable>, AppError> {
        let vendors = self.store.master_data()?.vendors;
        let mut payables = Vec::new();
        for row in self.store.list_documents()? {
            if row.payable.is_zero() || self.store.is_flagged_duplicate(row.id)? {
                continue;
            }
            let stored = self
                .store
                .get_document(row.id)?
                .ok_or_else(|| crate::workspace::not_found(row.id))?;
            let doc = &stored.document;
            let units = doc.currency.minor_units();
            let credit = doc.doc_type == DocType::CreditNote;
            let mut gross = if credit {
                -doc.totals.payable
            } else {
                doc.totals.payable
            };
            gross.rescale(gross.scale().max(units));
            let terms = doc.payment.terms.as_deref().unwrap_or("");
            let (due_date, due_source) = match (doc.due_date, net_days(terms)) {
                (Some(d), _) => (Some(d), Some("document")),
                (None, Some(days)) => (Some(add_days(doc.issue_date, days)), Some("terms")),
                (None, None) => (None, None),
            };
            let discounts = if credit {
                Vec::new()
            } else {
                skonto_tiers(terms)
                    .into_iter()
                    .map(|(days, percent, base)| {
                        let base = base.unwrap_or(doc.totals.payable);
                        let mut discount = (base * percent / Decimal::ONE_HUNDRED)
                            .round_dp_with_strategy(units, RoundingStrategy::MidpointAwayFromZero);
                        discount.rescale(units);
                        let mut after = gross - discount;
                        after.rescale(after.scale().max(units));
                        EarlyPaymentDiscount {
                            date: add_days(doc.issue_date, days).to_string(),
                            days,
                            percent: percent.to_string(),
                            base: base.to_string(),
                            discount: discount.to_string(),
                            amount_after_discount: after.to_string(),
                        }
                    })
                    .collect()
            };
            let (iban, iban_source) = match &doc.payment.iban {
                Some(iban) => (Some(iban.clone()), Some("document")),
                None => {
                    match vendor_of(&vendors, &row.supplier_name, row.supplier_vat_id.as_deref())
                        .and_then(|v| v.iban.clone())
                    {
                        Some(iban) => (Some(iban), Some("vendor")),
                        None => (None, None),
                    }
                }
            };
            payables.push(OpenPayable {
                document_id: row.id.to_string(),
                number: row.number.clone(),
                doc_type: row.doc_type.as_str().to_owned(),
                vendor_name: row.supplier_name.clone(),
                vendor_vat_id: row.supplier_vat_id.clone(),
                issue_date: doc.issue_date.to_string(),
                due_date: due_date.map(|d| d.to_string()),
                due_date_source: due_source.map(str::to_owned),
                currency: doc.currency,
                gross: gross.to_string(),
                discounts,
                iban,
                iban_source: iban_source.map(str::to_owned),
                bic: doc.payment.bic.clone(),
                terms: doc.payment.terms.clone(),
                journal_status: row.journal_status,
            });
        }
        payables.sort_by(|a, b| {
            (
                a.due_date.is_none(),
                &a.due_date,
                a.currency.code(),
                &a.document_id,
            )
                .cmp(&(
                    b.due_date.is_none(),
                    &b.due_date,
                    b.currency.code(),
                    &b.document_id,
                ))
        });
        Ok(payables)
    }

    /// `folio export payables`: the open payables as CSV or JSON ([`PayablesExport`]), to `out`
    /// or standard output. Returns how many were written.
    pub fn export_payables(
        &self,
        format: PayablesFormat,
        out: Option<&Path>,
    ) -> Result<usize, AppError> {
        let payables = self.open_payables()?;
        let text = match format {
            PayablesFormat::Csv => payables_csv(&payables),
            PayablesFormat::Json => {
                let mut by_date: BTreeMap<(bool, Option<String>), Vec<&OpenPayable>> =
                    BTreeMap::new();
                for p in &payables {
                    by_date
                        .entry((p.due_date.is_none(), p.due_date.clone()))
                        .or_default()
                        .push(p);
                }
                let by_due_date = by_date
                    .into_iter()
                    .map(|((_, due_date), list)| DueTotal {
                        due_date,
                        totals: sums(list.into_iter()),
                    })
                    .collect();
                let export = PayablesExport {
                    payables: payables.clone(),
                    by_due_date,
                };
                let mut text = serde_json::to_string_pretty(&export)
                    .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
                text.push('\n');
                text
            }
        };
        let mut output = Output::open(out)?;
        output
            .writer()
            .write_all(text.as_bytes())
            .map_err(|e| output.error(e))?;
        output.finish()?;
        Ok(payables.len())
    }

    /// What is due in each of the next `weeks` weeks (Monday to Sunday, the first holding
    /// today), per currency, with what is overdue, due later and undated beside them.
    pub fn payables_forecast(&self, weeks: u32) -> Result<PayablesForecast, AppError> {
        if weeks == 0 || weeks > 520 {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("a forecast of {weeks} weeks: expected 1 to 520"),
            ));
        }
        let today = self.context.clock.now().date_naive();
        let start = today
            .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
            .unwrap_or(today);
        let end = add_days(start, weeks * 7);
        let payables = self.open_payables()?;
        let due = |p: &&OpenPayable| {
            p.due_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let weeks = (0..weeks)
            .map(|w| {
                let week_start = add_days(start, w * 7);
                let week_end = add_days(week_start, 6);
                ForecastWeek {
                    week_start: week_start.to_string(),
                    week_end: week_end.to_string(),
                    totals: sums(
                        payables
                            .iter()
                            .filter(|p| due(p).is_some_and(|d| d >= week_start && d <= week_end)),
                    ),
                }
            })
            .collect();
        Ok(PayablesForecast {
            as_of: today.to_string(),
            weeks,
            overdue: sums(
                payables
                    .iter()
                    .filter(|p| due(p).is_some_and(|d| d < start)),
            ),
            later: sums(payables.iter().filter(|p| due(p).is_some_and(|d| d >= end))),
            undated: sums(payables.iter().filter(|p| due(p).is_none())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn skonto_tiers_follow_the_xrechnung_form() {
        let terms = "#SKONTO#TAGE=7#PROZENT=2.00#\n#SKONTO#TAGE=14#PROZENT=1.00#BASISBETRAG=2.53#\n\
                     #SKONTO#TAGE=30#PROZENT=0.00#\nZahlbar innerhalb 30 Tagen netto.";
        assert_eq!(
            skonto_tiers(terms),
            vec![(7, d("2.00"), None), (14, d("1.00"), Some(d("2.53")))]
        );
        assert_eq!(skonto_tiers("2 % Skonto bei Zahlung in 10 Tagen"), vec![]);
        assert_eq!(skonto_tiers("#SKONTO#TAGE=x#PROZENT=2#"), vec![]);
    }

    #[test]
    fn net_days_need_exactly_one_term() {
        let cases = [
            ("Zahlbar innerhalb von 30 Tagen ohne Abzug.", Some(30)),
            ("Payment within 14 days, net.", Some(14)),
            (
                "#SKONTO#TAGE=7#PROZENT=2.00#\nZahlbar innerhalb 30 Tagen netto.",
                Some(30),
            ),
            ("2 % Skonto innerhalb 10 Tagen, 30 Tage netto", None),
            (
                "Der Betrag wird mit Ihrer nächsten Zahlung verrechnet.",
                None,
            ),
            ("", None),
        ];
        for (terms, expected) in cases {
            assert_eq!(net_days(terms), expected, "{terms}");
        }
    }

    #[test]
    fn vendors_match_by_vat_id_then_name() {
        let vendor = |code: &str, name: &str, vat: Option<&str>| Vendor {
            code: code.into(),
            name: name.into(),
            vat_id: vat.map(str::to_owned),
            iban: Some(format!("IBAN-{code}")),
            default_account: None,
        };
        let vendors = [
            vendor("V1", "Nordlicht GmbH", Some("DE 123456789")),
            vendor("V2", "Other", None),
        ];
        assert_eq!(
            vendor_of(&vendors, "x", Some("de123456789")).map(|v| v.code.as_str()),
            Some("V1")
        );
        assert_eq!(
            vendor_of(&vendors, " other ", None).map(|v| v.code.as_str()),
            Some("V2")
        );
        assert!(vendor_of(&vendors, "Nobody", Some("FR1")).is_none());
    }
}
