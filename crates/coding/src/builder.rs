//! The journal builder: a coded document becomes a balanced AP journal.
//!
//! For an invoice: each line's net amount is debited to its expense account with its dimensions
//! and tax code; document-level allowances and charges follow the line of the same VAT group; each
//! VAT breakdown group debits the tax code's input VAT account; reverse-charge groups self-assess
//! input and output VAT; accounts payable is credited with the gross (BT-112). A credit note is the
//! mirror image. Every posting is rounded to the currency's minor units, half away from zero, and
//! whatever difference rounding (or an inconsistent document) leaves goes to the rounding account
//! as a line of its own with a problem that says how much and why — so the journal always balances
//! exactly, and nothing is hidden.
//!
//! A coded line may be split (by percentages or fixed amounts, see [`crate::split`]): it becomes one
//! expense posting per part, and the parts add up to the line exactly. A document in a currency
//! other than the workspace's base currency is still posted in its own currency — so every
//! currency balances on its own and nothing is converted by Folio — and the journal records the
//! rate a ledger converts it at: the document's own (its VAT total in the base currency, BT-111,
//! over its VAT total, BT-110) or else the latest rate of the rate table valid on the issue date.

use crate::split::{Share, SplitShare, round, split_amounts};
use chrono::NaiveDate;
use folio_domain::format::format_money;
use folio_domain::{
    Currency, DocType, Document, Journal, JournalLine, JournalStatus, Problem, Severity, Side,
    TaxCode, VatCategory, check_balanced,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// The coding of one document line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineCoding {
    pub account: String,
    /// Dimension code → value code.
    pub dimensions: BTreeMap<String, String>,
    /// `None`: derived from the line's VAT category and rate.
    pub tax_code: Option<String>,
    /// Empty: one posting for the line. Otherwise one posting per part, each coded like the line
    /// except where the part says otherwise.
    pub split: Vec<SplitShare>,
}

/// One entry of a rate table: 1 `from` = `rate` `to`, from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExchangeRate {
    pub from: Currency,
    pub to: Currency,
    #[ts(type = "string")]
    pub valid_from: NaiveDate,
    #[ts(type = "string")]
    pub rate: Decimal,
}

/// Where the rate of a journal came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RateSource {
    /// The document's VAT total in the base currency (BT-111) over its VAT total (BT-110).
    Document,
    /// The rate table entry valid from this date.
    Table {
        #[ts(type = "string")]
        valid_from: NaiveDate,
    },
}

/// The rate a journal in a foreign currency is converted at: 1 `from` = `rate` `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppliedRate {
    pub from: Currency,
    pub to: Currency,
    #[ts(type = "string")]
    pub rate: Decimal,
    pub source: RateSource,
}

impl AppliedRate {
    /// `1 GBP = 1.171200 EUR (rate table from 2025-01-01)`.
    pub fn text(&self) -> String {
        let source = match &self.source {
            RateSource::Document => format!("the document's VAT total in {}", self.to),
            RateSource::Table { valid_from } => format!("rate table from {valid_from}"),
        };
        format!("1 {} = {} {} ({source})", self.from, self.rate, self.to)
    }
}

/// Decimal places of a rate.
const RATE_SCALE: u32 = 6;

/// The rate at which `document` converts into `base`: `None` when it is in `base` already or no
/// rate is known. The document's own rate (BT-111 / BT-110, when its VAT accounting currency is
/// `base` and it has VAT) comes first; then the latest entry of `table` valid on the issue date,
/// read either way round (an entry `base → currency` is inverted).
pub fn exchange_rate(
    document: &Document,
    base: Currency,
    table: &[ExchangeRate],
) -> Option<AppliedRate> {
    let from = document.currency;
    if from == base {
        return None;
    }
    let rescaled = |mut rate: Decimal| {
        rate = rate.round_dp_with_strategy(RATE_SCALE, RoundingStrategy::MidpointAwayFromZero);
        rate.rescale(RATE_SCALE);
        rate
    };
    if document.tax_currency == Some(base)
        && let (Some(in_base), Some(tax)) = (
            document.tax_total_in_tax_currency,
            document.totals.tax_total,
        )
        && !tax.is_zero()
        && let Some(rate) = in_base.abs().checked_div(tax.abs())
        && !rate.is_zero()
    {
        return Some(AppliedRate {
            from,
            to: base,
            rate: rescaled(rate),
            source: RateSource::Document,
        });
    }
    let date = document.issue_date;
    table
        .iter()
        .filter(|r| r.valid_from <= date && !r.rate.is_zero() && r.rate.is_sign_positive())
        .filter_map(|r| {
            if r.from == from && r.to == base {
                Some((r.valid_from, r.rate))
            } else if r.from == base && r.to == from {
                Decimal::ONE
                    .checked_div(r.rate)
                    .map(|inverse| (r.valid_from, inverse))
            } else {
                None
            }
        })
        .max_by_key(|(valid_from, _)| *valid_from)
        .map(|(valid_from, rate)| AppliedRate {
            from,
            to: base,
            rate: rescaled(rate),
            source: RateSource::Table { valid_from },
        })
}

/// The coding of a whole document: one entry per line, or exactly one for a header-only document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCoding {
    pub lines: Vec<LineCoding>,
}

/// The accounts the builder posts to besides the coded expense accounts, and the currency
/// setting of the workspace.
#[derive(Debug, Clone, Copy)]
pub struct JournalAccounts<'a> {
    /// Accounts payable (credited with the gross).
    pub payable: &'a str,
    /// Where rounding differences go.
    pub rounding: &'a str,
    pub tax_codes: &'a [TaxCode],
    /// The workspace's base currency; `None`: no conversion rate is recorded.
    pub base_currency: Option<Currency>,
    /// The rate table of the master data.
    pub rates: &'a [ExchangeRate],
}

/// Why no journal could be built; every reason is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the journal could not be built: {}", .problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
pub struct BuildError {
    pub problems: Vec<Problem>,
}

/// A signed posting before it becomes a journal line: positive debits, negative credits.
struct Posting {
    account: String,
    description: String,
    amount: Decimal,
    dimensions: BTreeMap<String, String>,
    tax_code: Option<String>,
    source: Option<String>,
}

/// Finds the tax code for a VAT category and rate. Categories without a rate on the document
/// (zero-rated, exempt, reverse charge, …) match on the category alone.
pub fn find_tax_code(
    tax_codes: &[TaxCode],
    category: VatCategory,
    rate: Option<Decimal>,
) -> Option<&TaxCode> {
    let rate = rate.unwrap_or(Decimal::ZERO);
    tax_codes
        .iter()
        .find(|t| t.vat_category == category && t.rate == rate)
        .or_else(|| {
            (rate.is_zero() || category.is_reverse_charge())
                .then(|| tax_codes.iter().find(|t| t.vat_category == category))
                .flatten()
        })
}

/// [`find_tax_code`], recording a problem when there is none.
fn resolve_tax<'t>(
    tax_codes: &'t [TaxCode],
    category: VatCategory,
    rate: Option<Decimal>,
    field: String,
    errors: &mut Vec<Problem>,
) -> Option<&'t TaxCode> {
    let found = find_tax_code(tax_codes, category, rate);
    if found.is_none() {
        errors.push(Problem::error(
            "NO_TAX_CODE",
            field,
            format!(
                "no tax code for {}; add one to the master data",
                describe_rate(category, rate)
            ),
        ));
    }
    found
}

/// `VAT category S at 19 %`.
pub fn describe_rate(category: VatCategory, rate: Option<Decimal>) -> String {
    match rate {
        Some(r) => format!("VAT category {} at {} %", category.code(), r.normalize()),
        None => format!("VAT category {}", category.code()),
    }
}

/// The expense postings of one amount coded as `coding`: one, or one per part of its split. The
/// parts add up to `amount` exactly; a split that cannot be made is an error of `field`.
fn expense_postings(
    amount: Decimal,
    coding: &LineCoding,
    base: Posting,
    currency: Currency,
    errors: &mut Vec<Problem>,
) -> Vec<Posting> {
    if coding.split.is_empty() {
        return vec![base];
    }
    let shares: Vec<Share> = coding.split.iter().map(|s| s.share.clone()).collect();
    let amounts = match split_amounts(amount, currency, &shares) {
        Ok(amounts) => amounts,
        Err(e) => {
            errors.push(Problem::error(
                "SPLIT_INVALID",
                base.source.clone().unwrap_or_default(),
                format!("the split of {} cannot be made: {e}", base.description),
            ));
            return vec![base];
        }
    };
    let parts = amounts.len();
    amounts
        .into_iter()
        .zip(&coding.split)
        .enumerate()
        .map(|(i, (part, share))| {
            let mut dimensions = base.dimensions.clone();
            dimensions.extend(share.dimensions.clone());
            let portion = match &share.share {
                Share::Percent(p) => format!("{} %", p.normalize()),
                _ => format!("part {} of {parts}", i + 1),
            };
            Posting {
                account: share
                    .account
                    .clone()
                    .unwrap_or_else(|| base.account.clone()),
                description: format!("{} ({portion})", base.description),
                amount: part,
                dimensions,
                tax_code: share.tax_code.clone().or_else(|| base.tax_code.clone()),
                source: base.source.clone(),
            }
        })
        .collect()
}

/// Builds the AP journal draft for `document` coded as `coding`.
pub fn build_journal(
    document: &Document,
    coding: &DocumentCoding,
    accounts: &JournalAccounts<'_>,
) -> Result<(Journal, Vec<Problem>), BuildError> {
    let mut errors = Vec::new();
    let expected = document.lines.len().max(1);
    if coding.lines.len() != expected {
        errors.push(Problem::error(
            "CODING_LINE_COUNT",
            "coding.lines",
            format!(
                "the coding has {} lines but the document needs {expected}",
                coding.lines.len()
            ),
        ));
        return Err(BuildError { problems: errors });
    }
    for (i, c) in coding.lines.iter().enumerate() {
        if c.account.trim().is_empty() {
            errors.push(Problem::error(
                "CODING_NO_ACCOUNT",
                format!("coding.lines[{i}].account"),
                format!("line {} has no account", i + 1),
            ));
        }
    }

    // Credit notes reverse every posting.
    let sign = match document.doc_type {
        DocType::Invoice => Decimal::ONE,
        DocType::CreditNote => Decimal::NEGATIVE_ONE,
    };
    let currency = document.currency;
    let mut postings: Vec<Posting> = Vec::new();

    if document.lines.is_empty() {
        // Header-only document: one expense posting per VAT group, coded like the header.
        let header = &coding.lines[0];
        for (g, group) in document.vat_breakdown.iter().enumerate() {
            let tax = resolve_tax(
                accounts.tax_codes,
                group.category,
                group.rate,
                format!("vat_breakdown[{g}]"),
                &mut errors,
            );
            let amount = sign * group.taxable_amount;
            let base = Posting {
                account: header.account.clone(),
                description: format!(
                    "{} ({})",
                    document.number,
                    describe_rate(group.category, group.rate)
                ),
                amount,
                dimensions: header.dimensions.clone(),
                tax_code: header
                    .tax_code
                    .clone()
                    .or_else(|| tax.map(|t| t.code.clone())),
                source: Some(format!("vat_breakdown[{g}]")),
            };
            postings.extend(expense_postings(
                amount,
                header,
                base,
                currency,
                &mut errors,
            ));
        }
    } else {
        for (i, (line, c)) in document.lines.iter().zip(&coding.lines).enumerate() {
            let tax = resolve_tax(
                accounts.tax_codes,
                line.vat_category,
                line.vat_rate,
                format!("lines[{i}].vat_category"),
                &mut errors,
            );
            let amount = sign * line.net_amount;
            let base = Posting {
                account: c.account.clone(),
                description: line.text(),
                amount,
                dimensions: c.dimensions.clone(),
                tax_code: c.tax_code.clone().or_else(|| tax.map(|t| t.code.clone())),
                source: Some(format!("lines[{i}]")),
            };
            postings.extend(expense_postings(amount, c, base, currency, &mut errors));
        }
        for (a, ac) in document.allowances_charges.iter().enumerate() {
            // An allowance or charge follows the first line of its VAT group.
            let target = document
                .lines
                .iter()
                .position(|l| Some(l.vat_category) == ac.vat_category && l.vat_rate == ac.vat_rate)
                .unwrap_or(0);
            let c = &coding.lines[target];
            let tax = match ac.vat_category {
                Some(category) => resolve_tax(
                    accounts.tax_codes,
                    category,
                    ac.vat_rate,
                    format!("allowances_charges[{a}].vat_category"),
                    &mut errors,
                ),
                None => None,
            };
            let kind = if ac.is_charge { "Charge" } else { "Allowance" };
            let amount = sign * ac.signed_amount();
            let base = Posting {
                account: c.account.clone(),
                description: match &ac.reason {
                    Some(reason) => format!("{kind}: {reason}"),
                    None => kind.to_owned(),
                },
                amount,
                dimensions: c.dimensions.clone(),
                tax_code: c.tax_code.clone().or_else(|| tax.map(|t| t.code.clone())),
                source: Some(format!("allowances_charges[{a}]")),
            };
            // A line split by percentages shares its allowances and charges the same way; fixed
            // amounts belong to the line alone, so then they follow the line's own coding.
            let by_percent = c.split.iter().all(|s| matches!(s.share, Share::Percent(_)));
            if by_percent {
                postings.extend(expense_postings(amount, c, base, currency, &mut errors));
            } else {
                postings.push(base);
            }
        }
    }

    for (g, group) in document.vat_breakdown.iter().enumerate() {
        let field = format!("vat_breakdown[{g}]");
        // The tax code the group's lines were coded with, when they agree on one that exists
        // (a rule or a person may pick GB20 where category and rate alone would say FR20).
        let mut coded: Vec<&str> = document
            .lines
            .iter()
            .zip(&coding.lines)
            .filter(|(l, _)| {
                l.vat_category == group.category
                    && l.vat_rate.unwrap_or_default() == group.rate.unwrap_or_default()
            })
            .filter_map(|(_, c)| c.tax_code.as_deref())
            .collect();
        coded.sort_unstable();
        coded.dedup();
        let chosen = match coded.as_slice() {
            [one] => accounts
                .tax_codes
                .iter()
                .find(|t| t.code == *one && t.vat_category == group.category),
            _ => None,
        };
        let Some(tax) = chosen.or_else(|| {
            resolve_tax(
                accounts.tax_codes,
                group.category,
                group.rate,
                field.clone(),
                &mut errors,
            )
        }) else {
            continue;
        };
        if group.category.is_reverse_charge() {
            // The buyer self-assesses: input VAT (deductible) against output VAT (owed).
            let (Some(input), Some(output)) = (&tax.input_account, &tax.output_account) else {
                continue;
            };
            let self_assessed = round(
                group.taxable_amount * tax.rate / Decimal::ONE_HUNDRED,
                currency,
            );
            if !self_assessed.is_zero() {
                let description = format!("Reverse charge {} %", tax.rate.normalize());
                for (account, amount) in [(input, self_assessed), (output, -self_assessed)] {
                    postings.push(Posting {
                        account: account.clone(),
                        description: description.clone(),
                        amount: sign * amount,
                        dimensions: BTreeMap::new(),
                        tax_code: Some(tax.code.clone()),
                        source: Some(field.clone()),
                    });
                }
            }
        }
        if group.tax_amount.is_zero() {
            continue;
        }
        match &tax.input_account {
            Some(account) => postings.push(Posting {
                account: account.clone(),
                description: match group.rate {
                    Some(rate) => {
                        format!("Input VAT {} {} %", group.category.code(), rate.normalize())
                    }
                    None => format!("Input VAT {}", group.category.code()),
                },
                amount: sign * group.tax_amount,
                dimensions: BTreeMap::new(),
                tax_code: Some(tax.code.clone()),
                source: Some(field.clone()),
            }),
            None => errors.push(Problem::error(
                "TAX_CODE_NO_ACCOUNT",
                field,
                format!("tax code {} has no input VAT account", tax.code),
            )),
        }
    }

    let payable_index = postings.len();
    postings.push(Posting {
        account: accounts.payable.to_owned(),
        description: format!("{} {}", document.supplier.name, document.number),
        amount: -sign * document.totals.tax_inclusive,
        dimensions: BTreeMap::new(),
        tax_code: None,
        source: Some("totals.tax_inclusive".to_owned()),
    });

    if !errors.is_empty() {
        return Err(BuildError { problems: errors });
    }

    let mut problems = Vec::new();
    for p in &mut postings {
        p.amount = round(p.amount, currency);
    }
    let difference: Decimal = postings.iter().map(|p| p.amount).sum();
    if !difference.is_zero() {
        // Each posting's rounding moves it by at most half a minor unit.
        let tolerance = Decimal::new(5, currency.minor_units() + 1) * Decimal::from(postings.len());
        let (severity, code, why) = if difference.abs() <= tolerance {
            (
                Severity::Info,
                "ROUNDING_DIFFERENCE",
                "from rounding to minor units",
            )
        } else {
            (
                Severity::Error,
                "DOCUMENT_DOES_NOT_ADD_UP",
                "because the document's lines, VAT and gross total do not add up",
            )
        };
        problems.push(Problem::new(
            code,
            severity,
            "journal",
            format!(
                "expenses and VAT sum to {} but the gross is {}; the difference of {} {why} was \
                 posted to {}",
                format_money(
                    sign * (difference - postings[payable_index].amount),
                    currency
                ),
                format_money(round(document.totals.tax_inclusive, currency), currency),
                format_money((-difference * sign).normalize(), currency),
                accounts.rounding
            ),
        ));
        postings.push(Posting {
            account: accounts.rounding.to_owned(),
            description: "Rounding difference".to_owned(),
            amount: -difference,
            dimensions: BTreeMap::new(),
            tax_code: None,
            source: None,
        });
    }

    let lines = postings
        .into_iter()
        .filter(|p| !p.amount.is_zero())
        .map(|p| JournalLine {
            account: p.account,
            description: p.description,
            side: if p.amount.is_sign_negative() {
                Side::Credit
            } else {
                Side::Debit
            },
            amount: p.amount.abs(),
            currency,
            dimensions: p.dimensions,
            tax_code: p.tax_code,
            source: p.source,
        })
        .collect();
    let mut memo = format!(
        "{} {} {}",
        document.supplier.name,
        match document.doc_type {
            DocType::Invoice => "invoice",
            DocType::CreditNote => "credit note",
        },
        document.number
    );
    if let Some(base) = accounts.base_currency
        && base != currency
    {
        // The journal stays in the document's currency; the rate goes with it for the ledger.
        match exchange_rate(document, base, accounts.rates) {
            Some(rate) => {
                memo.push_str(&format!("; {}", rate.text()));
                problems.push(Problem::new(
                    "EXCHANGE_RATE",
                    Severity::Info,
                    "journal",
                    format!(
                        "posted in {currency}, the document's currency; converted to {base} at {}",
                        rate.text()
                    ),
                ));
            }
            None => problems.push(Problem::warning(
                "NO_EXCHANGE_RATE",
                "journal",
                format!(
                    "posted in {currency}, the document's currency; there is no {currency} → \
                     {base} rate valid on {} (the document states none and the rate table has \
                     none), so the ledger must convert it",
                    document.issue_date
                ),
            )),
        }
    }
    let journal = Journal {
        date: document.issue_date,
        memo,
        status: JournalStatus::Draft,
        lines,
    };
    // The builder's own invariant, asserted on its side before anyone stores the journal.
    let balance = check_balanced(&journal);
    if !balance.is_empty() {
        return Err(BuildError { problems: balance });
    }
    Ok((journal, problems))
}
