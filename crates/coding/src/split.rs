//! Splitting one amount into parts that add up to it exactly.
//!
//! A rule may spread a line over several cost centres or accounts, by percentages (60 % / 40 %) or
//! by fixed amounts with the rest going to the last part. Whatever the shares, the parts must add
//! up to the line exactly, or the journal would silently gain or lose a cent: every part but the
//! last is rounded to the currency's minor units (half away from zero), and the last part takes
//! the remainder. Fixed amounts carry the sign of the total (a credit note splits the same way as
//! an invoice) and may not add up to more than it.

use folio_domain::Currency;
use folio_domain::format::format_money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// How big one part of a split is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Share {
    /// A percentage of the total (the percentages of a split add up to 100).
    Percent(#[ts(type = "string")] Decimal),
    /// A fixed amount, given without sign.
    Amount(#[ts(type = "string")] Decimal),
    /// Whatever the fixed amounts before it leave.
    Rest,
}

/// One part of a split line: its share and how it is coded where it differs from the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SplitShare {
    pub share: Share,
    /// `None`: the line's account.
    pub account: Option<String>,
    /// Dimension code → value code; overrides the line's value of the same dimension.
    pub dimensions: BTreeMap<String, String>,
    /// `None`: the line's tax code.
    pub tax_code: Option<String>,
}

/// Why a total cannot be split as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("a split needs at least two parts")]
    TooFewParts,
    #[error("the percentages add up to {0} %, not 100 %")]
    PercentagesNot100(Decimal),
    #[error("a split mixes percentages and fixed amounts")]
    Mixed,
    #[error("only the last part of a split by amounts takes the rest")]
    RestNotLast,
    #[error("the last part of a split by amounts must take the rest")]
    NoRest,
    #[error("a part's share must be positive, not {0}")]
    NotPositive(Decimal),
    #[error("the fixed amount {amount} has more decimals than {currency} has")]
    TooManyDecimals { amount: String, currency: Currency },
    #[error("the fixed amounts add up to {parts}, more than the {total} being split")]
    Exceeds { parts: String, total: String },
}

/// Rounds half away from zero to the currency's minor units and shows exactly that many decimals.
pub(crate) fn round(amount: Decimal, currency: Currency) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    );
    rounded.rescale(currency.minor_units());
    rounded
}

/// Checks that `shares` describe a split, without a total: at least two parts, either all
/// percentages adding up to 100 or fixed amounts with exactly the last part taking the rest, and
/// no share zero or negative.
pub fn check_shares(shares: &[Share]) -> Result<(), SplitError> {
    if shares.len() < 2 {
        return Err(SplitError::TooFewParts);
    }
    for share in shares {
        if let Share::Percent(v) | Share::Amount(v) = share
            && *v <= Decimal::ZERO
        {
            return Err(SplitError::NotPositive(*v));
        }
    }
    let percents = shares
        .iter()
        .filter(|s| matches!(s, Share::Percent(_)))
        .count();
    if percents == shares.len() {
        let sum: Decimal = shares
            .iter()
            .map(|s| match s {
                Share::Percent(p) => *p,
                _ => Decimal::ZERO,
            })
            .sum();
        if sum != Decimal::ONE_HUNDRED {
            return Err(SplitError::PercentagesNot100(sum.normalize()));
        }
        return Ok(());
    }
    if percents > 0 {
        return Err(SplitError::Mixed);
    }
    let last = shares.len() - 1;
    for (i, share) in shares.iter().enumerate() {
        match share {
            Share::Rest if i != last => return Err(SplitError::RestNotLast),
            Share::Amount(_) if i == last => return Err(SplitError::NoRest),
            _ => {}
        }
    }
    Ok(())
}

/// The amounts of each part of `total` split by `shares`; they add up to `total` exactly.
pub fn split_amounts(
    total: Decimal,
    currency: Currency,
    shares: &[Share],
) -> Result<Vec<Decimal>, SplitError> {
    check_shares(shares)?;
    let sign = if total.is_sign_negative() {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let mut parts = Vec::with_capacity(shares.len());
    let mut allotted = Decimal::ZERO;
    for share in &shares[..shares.len() - 1] {
        let part = match share {
            Share::Percent(p) => round(total * *p / Decimal::ONE_HUNDRED, currency),
            Share::Amount(a) => {
                if a.normalize().scale() > currency.minor_units() {
                    return Err(SplitError::TooManyDecimals {
                        amount: a.normalize().to_string(),
                        currency,
                    });
                }
                sign * *a
            }
            Share::Rest => Decimal::ZERO,
        };
        allotted += part;
        parts.push(part);
    }
    if matches!(shares.last(), Some(Share::Rest)) && allotted.abs() > total.abs() {
        return Err(SplitError::Exceeds {
            parts: format_money(allotted.abs(), currency),
            total: format_money(total.abs(), currency),
        });
    }
    parts.push(total - allotted);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn percentages_round_all_but_the_last_part() {
        let cases = [
            (dec!(100.00), vec![dec!(33.33), dec!(33.33), dec!(33.34)]),
            (dec!(10.00), vec![dec!(3.33), dec!(3.33), dec!(3.34)]),
            (dec!(-10.00), vec![dec!(-3.33), dec!(-3.33), dec!(-3.34)]),
            (dec!(10.004), vec![dec!(3.33), dec!(3.33), dec!(3.344)]),
            (dec!(0), vec![dec!(0.00), dec!(0.00), dec!(0)]),
        ];
        let thirds = [
            Share::Percent(dec!(33.33)),
            Share::Percent(dec!(33.33)),
            Share::Percent(dec!(33.34)),
        ];
        for (total, expected) in cases {
            let parts = split_amounts(total, eur(), &thirds).unwrap();
            assert_eq!(parts, expected, "{total}");
            assert_eq!(parts.iter().sum::<Decimal>(), total);
        }
    }

    #[test]
    fn fixed_amounts_carry_the_sign_and_the_last_part_takes_the_rest() {
        let shares = [Share::Amount(dec!(25)), Share::Rest];
        assert_eq!(
            split_amounts(dec!(100.00), eur(), &shares).unwrap(),
            [dec!(25), dec!(75.00)]
        );
        assert_eq!(
            split_amounts(dec!(-100.00), eur(), &shares).unwrap(),
            [dec!(-25), dec!(-75.00)]
        );
        assert_eq!(
            split_amounts(dec!(20), eur(), &shares)
                .unwrap_err()
                .to_string(),
            "the fixed amounts add up to 25.00 EUR, more than the 20.00 EUR being split"
        );
    }

    #[test]
    fn malformed_splits_are_refused_with_the_reason() {
        let cases: [(&[Share], &str); 7] = [
            (
                &[Share::Percent(dec!(100))],
                "a split needs at least two parts",
            ),
            (
                &[Share::Percent(dec!(60)), Share::Percent(dec!(30))],
                "the percentages add up to 90 %, not 100 %",
            ),
            (
                &[Share::Percent(dec!(60)), Share::Rest],
                "a split mixes percentages and fixed amounts",
            ),
            (
                &[Share::Rest, Share::Amount(dec!(1))],
                "only the last part of a split by amounts takes the rest",
            ),
            (
                &[Share::Amount(dec!(1)), Share::Amount(dec!(1))],
                "the last part of a split by amounts must take the rest",
            ),
            (
                &[Share::Amount(dec!(0)), Share::Rest],
                "a part's share must be positive, not 0",
            ),
            (
                &[Share::Amount(dec!(0.001)), Share::Rest],
                "the fixed amount 0.001 has more decimals than EUR has",
            ),
        ];
        for (shares, message) in cases {
            let err = split_amounts(dec!(10), eur(), shares).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }
}
