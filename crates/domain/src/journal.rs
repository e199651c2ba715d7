//! Journals: what Folio posts to the general ledger.
//!
//! A journal line carries an *unsigned* amount and a side, like a paper ledger: the sign is never
//! inferred. A journal must balance exactly per currency — not within a tolerance — before it can
//! be approved, queued or posted; [`check_balanced`] says why when it does not, with the sums.
//! Once approved, a journal is immutable: the status machine only lets it move forward (or, for an
//! approval voided by an edit, back to draft as a new version).

use crate::format::format_money;
use crate::{Currency, Problem};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn as_str(&self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<Side> {
        match text {
            "debit" => Some(Side::Debit),
            "credit" => Some(Side::Credit),
            _ => None,
        }
    }

    pub fn opposite(&self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }
}

/// One posting of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct JournalLine {
    /// GL account code.
    pub account: String,
    pub description: String,
    pub side: Side,
    /// Unsigned amount, in `currency`'s minor units.
    #[ts(type = "string")]
    pub amount: Decimal,
    pub currency: Currency,
    /// Dimension code → value code, e.g. `cost_centre → CC-100`.
    pub dimensions: BTreeMap<String, String>,
    pub tax_code: Option<String>,
    /// The document line this posting comes from, if any (`lines[2]`).
    pub source: Option<String>,
}

/// Where a journal stands. Draft → Approved → Queued → Posted | Rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum JournalStatus {
    Draft,
    Approved,
    Queued,
    Posted,
    Rejected,
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a journal cannot go from {from} to {to}")]
pub struct StatusError {
    pub from: &'static str,
    pub to: &'static str,
}

impl JournalStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            JournalStatus::Draft => "draft",
            JournalStatus::Approved => "approved",
            JournalStatus::Queued => "queued",
            JournalStatus::Posted => "posted",
            JournalStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<JournalStatus> {
        use JournalStatus::*;
        [Draft, Approved, Queued, Posted, Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// The lifecycle's edges. Approved → Draft is the voiding of an approval (an edit after
    /// approval sends the journal back to review); Rejected → Draft sends a rejected journal back
    /// to the clerk. Posted is final.
    pub fn can_become(&self, next: JournalStatus) -> bool {
        use JournalStatus::*;
        matches!(
            (self, next),
            (Draft, Approved)
                | (Approved, Draft)
                | (Approved, Queued)
                | (Queued, Posted)
                | (Queued, Rejected)
                | (Rejected, Draft)
        )
    }

    pub fn transition(&self, next: JournalStatus) -> Result<JournalStatus, StatusError> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(StatusError {
                from: self.as_str(),
                to: next.as_str(),
            })
        }
    }

    /// Approved and later journals must not change.
    pub fn is_immutable(&self) -> bool {
        !matches!(self, JournalStatus::Draft | JournalStatus::Rejected)
    }
}

/// A set of postings dated on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Journal {
    #[ts(type = "string")]
    pub date: NaiveDate,
    pub memo: String,
    pub status: JournalStatus,
    pub lines: Vec<JournalLine>,
}

/// Debit and credit sums of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CurrencyTotals {
    pub currency: Currency,
    #[ts(type = "string")]
    pub debit: Decimal,
    #[ts(type = "string")]
    pub credit: Decimal,
}

impl CurrencyTotals {
    pub fn is_balanced(&self) -> bool {
        self.debit == self.credit
    }
}

/// Debit and credit sums per currency, in currency order. `None` when a sum overflows.
pub fn currency_totals(journal: &Journal) -> Option<Vec<CurrencyTotals>> {
    let mut sums: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
    for line in &journal.lines {
        let entry = sums
            .entry(line.currency)
            .or_insert((Decimal::ZERO, Decimal::ZERO));
        match line.side {
            Side::Debit => entry.0 = entry.0.checked_add(line.amount)?,
            Side::Credit => entry.1 = entry.1.checked_add(line.amount)?,
        }
    }
    Some(
        sums.into_iter()
            .map(|(currency, (debit, credit))| CurrencyTotals {
                currency,
                debit,
                credit,
            })
            .collect(),
    )
}

/// Every reason `journal` cannot be posted as it is: no lines, a line without an account, a
/// negative amount, more decimals than the currency has, or debits and credits that differ in a
/// currency. An empty list means the journal balances exactly.
pub fn check_balanced(journal: &Journal) -> Vec<Problem> {
    let mut problems = Vec::new();
    if journal.lines.is_empty() {
        problems.push(Problem::error(
            "JOURNAL_EMPTY",
            "lines",
            "the journal has no lines",
        ));
    }
    for (i, line) in journal.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        if line.account.trim().is_empty() {
            problems.push(Problem::error(
                "JOURNAL_LINE_NO_ACCOUNT",
                field("account"),
                format!("line {} has no account", i + 1),
            ));
        }
        if line.amount.is_sign_negative() && !line.amount.is_zero() {
            problems.push(Problem::error(
                "JOURNAL_NEGATIVE_AMOUNT",
                field("amount"),
                format!(
                    "line {} has the negative amount {}; amounts are unsigned, the side says \
                     debit or credit",
                    i + 1,
                    format_money(line.amount, line.currency)
                ),
            ));
        }
        let decimals = line.amount.normalize().scale();
        if decimals > line.currency.minor_units() {
            problems.push(Problem::error(
                "JOURNAL_AMOUNT_PRECISION",
                field("amount"),
                format!(
                    "line {} has {} with {decimals} decimals but {} has {}",
                    i + 1,
                    line.amount.normalize(),
                    line.currency,
                    line.currency.minor_units()
                ),
            ));
        }
    }
    match currency_totals(journal) {
        None => problems.push(Problem::error(
            "JOURNAL_OVERFLOW",
            "lines",
            "the journal's sums overflow what Folio can represent",
        )),
        Some(totals) => {
            for t in totals.iter().filter(|t| !t.is_balanced()) {
                let difference = t.debit - t.credit;
                problems.push(Problem::error(
                    "JOURNAL_UNBALANCED",
                    "lines",
                    format!(
                        "debits sum to {} but credits sum to {} (difference {})",
                        format_money(t.debit, t.currency),
                        format_money(t.credit, t.currency),
                        format_money(difference, t.currency)
                    ),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn line(account: &str, side: Side, amount: Decimal, currency: Currency) -> JournalLine {
        JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount,
            currency,
            dimensions: BTreeMap::new(),
            tax_code: None,
            source: None,
        }
    }

    fn journal(lines: Vec<JournalLine>) -> Journal {
        Journal {
            date: NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(),
            memo: String::new(),
            status: JournalStatus::Draft,
            lines,
        }
    }

    #[test]
    fn balanced_journal_has_no_problems() {
        let j = journal(vec![
            line("6000", Side::Debit, dec!(100.00), eur()),
            line("1576", Side::Debit, dec!(19.00), eur()),
            line("1600", Side::Credit, dec!(119.00), eur()),
        ]);
        assert_eq!(check_balanced(&j), vec![]);
    }

    #[test]
    fn unbalanced_journal_shows_the_arithmetic() {
        let j = journal(vec![
            line("6000", Side::Debit, dec!(1234.50), eur()),
            line("1600", Side::Credit, dec!(1234.60), eur()),
        ]);
        let problems = check_balanced(&j);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "JOURNAL_UNBALANCED");
        assert_eq!(
            problems[0].message,
            "debits sum to 1,234.50 EUR but credits sum to 1,234.60 EUR (difference -0.10 EUR)"
        );
    }

    #[test]
    fn balance_is_per_currency() {
        let usd = Currency::parse("USD").unwrap();
        let j = journal(vec![
            line("6000", Side::Debit, dec!(10), eur()),
            line("1600", Side::Credit, dec!(10), usd),
        ]);
        let codes: Vec<_> = check_balanced(&j).into_iter().map(|p| p.code).collect();
        assert_eq!(codes, ["JOURNAL_UNBALANCED", "JOURNAL_UNBALANCED"]);
    }

    #[test]
    fn every_line_problem_is_reported() {
        let j = journal(vec![
            line("", Side::Debit, dec!(1.005), eur()),
            line("1600", Side::Credit, dec!(-1.005), eur()),
        ]);
        let codes: Vec<_> = check_balanced(&j).into_iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            [
                "JOURNAL_LINE_NO_ACCOUNT",
                "JOURNAL_AMOUNT_PRECISION",
                "JOURNAL_NEGATIVE_AMOUNT",
                "JOURNAL_AMOUNT_PRECISION",
                "JOURNAL_UNBALANCED"
            ]
        );
        assert_eq!(check_balanced(&journal(vec![]))[0].code, "JOURNAL_EMPTY");
    }

    #[test]
    fn lifecycle_only_moves_along_its_edges() {
        use JournalStatus::*;
        let all = [Draft, Approved, Queued, Posted, Rejected];
        let allowed = [
            (Draft, Approved),
            (Approved, Draft),
            (Approved, Queued),
            (Queued, Posted),
            (Queued, Rejected),
            (Rejected, Draft),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?}->{to:?}"
                );
            }
        }
        assert!(Posted.transition(Draft).is_err());
        assert!(Approved.is_immutable() && Posted.is_immutable() && !Draft.is_immutable());
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop_oneof![Just("EUR"), Just("USD"), Just("JPY"), Just("KWD")]
            .prop_map(|c| Currency::parse(c).unwrap())
    }

    /// Amounts in a currency's minor units, from 0 to 10^9.
    fn minor_amount(c: Currency) -> impl Strategy<Value = Decimal> {
        (0i64..1_000_000_000_000).prop_map(move |n| Decimal::new(n, c.minor_units()))
    }

    /// A balanced journal: each posting is mirrored by postings on the other side that split the
    /// same amount in two.
    fn balanced_journal() -> impl Strategy<Value = Journal> {
        let posting =
            currency().prop_flat_map(|c| (Just(c), minor_amount(c), any::<bool>(), 0u32..100));
        proptest::collection::vec(posting, 1..12).prop_map(|postings| {
            let mut lines = Vec::new();
            for (c, amount, debit_first, split_percent) in postings {
                let side = if debit_first {
                    Side::Debit
                } else {
                    Side::Credit
                };
                let part =
                    (amount * Decimal::from(split_percent) / dec!(100)).round_dp(c.minor_units());
                lines.push(line("A", side, amount, c));
                lines.push(line("B", side.opposite(), part, c));
                lines.push(line("C", side.opposite(), amount - part, c));
            }
            journal(lines)
        })
    }

    proptest! {
        #[test]
        fn balanced_journals_pass(j in balanced_journal()) {
            prop_assert_eq!(check_balanced(&j), vec![]);
        }

        #[test]
        fn changing_any_amount_unbalances(j in balanced_journal(), pick in any::<prop::sample::Index>()) {
            let mut j = j;
            let i = pick.index(j.lines.len());
            let minor = Decimal::new(1, j.lines[i].currency.minor_units());
            j.lines[i].amount += minor;
            let problems = check_balanced(&j);
            prop_assert!(problems.iter().any(|p| p.code == "JOURNAL_UNBALANCED"));
        }

        #[test]
        fn line_order_does_not_matter(j in balanced_journal(), seed in any::<u64>()) {
            let mut shuffled = j.clone();
            let n = shuffled.lines.len();
            // A deterministic permutation from the seed (no randomness source in the domain).
            shuffled.lines.rotate_left((seed % n as u64) as usize);
            prop_assert_eq!(check_balanced(&shuffled), check_balanced(&j));
        }
    }
}
