//! Money: an exact decimal amount in one currency.
//!
//! Adding or comparing amounts of different currencies is an error value, never a panic and never a
//! silent conversion. Rounding is explicit: [`Money::round_to_minor_units`] says which rule it uses
//! (commercial rounding, half away from zero, as EN 16931 and most ledgers expect).

use crate::Currency;
use crate::format::format_money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

/// An amount of a currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Money {
    #[ts(type = "string")]
    amount: Decimal,
    currency: Currency,
}

/// Why an arithmetic operation on money did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {left} with {right}: the currencies differ")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("the amount overflows what Folio can represent in {currency}")]
    Overflow { currency: Currency },
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, or an error when the currencies differ or the sum overflows.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow {
                currency: self.currency,
            })?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`, or an error when the currencies differ or the difference overflows.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow {
                currency: self.currency,
            })?;
        Ok(Money::new(amount, self.currency))
    }

    /// Sums amounts that must all be in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    pub fn negated(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    pub fn abs(&self) -> Money {
        Money::new(self.amount.abs(), self.currency)
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<std::cmp::Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// Rounds to the currency's minor units, half away from zero (commercial rounding).
    pub fn round_to_minor_units(&self) -> Money {
        let rounded = self.amount.round_dp_with_strategy(
            self.currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        Money::new(rounded, self.currency)
    }

    /// True when the amount has no more decimals than the currency's minor units.
    pub fn is_in_minor_units(&self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_money(self.amount, self.currency))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }
    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn adding_different_currencies_is_an_error() {
        let a = Money::new(dec!(1), eur());
        let b = Money::new(dec!(1), usd());
        assert_eq!(
            a.checked_add(&b),
            Err(MoneyError::CurrencyMismatch {
                left: eur(),
                right: usd()
            })
        );
        assert!(a.checked_sub(&b).is_err());
        assert!(a.checked_cmp(&b).is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let max = Money::new(Decimal::MAX, eur());
        assert_eq!(
            max.checked_add(&max),
            Err(MoneyError::Overflow { currency: eur() })
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero_in_minor_units() {
        let cases = [
            (dec!(0.125), "EUR", dec!(0.13)),
            (dec!(-0.125), "EUR", dec!(-0.13)),
            (dec!(0.124), "EUR", dec!(0.12)),
            (dec!(1500.5), "JPY", dec!(1501)),
            (dec!(1.2345), "KWD", dec!(1.235)),
        ];
        for (amount, code, expected) in cases {
            let c = Currency::parse(code).unwrap();
            assert_eq!(
                Money::new(amount, c).round_to_minor_units().amount(),
                expected
            );
        }
    }

    #[test]
    fn displays_in_minor_units() {
        assert_eq!(Money::new(dec!(1234.5), eur()).to_string(), "1,234.50 EUR");
    }

    #[test]
    fn serialises_amount_as_decimal_string() {
        let json = serde_json::to_string(&Money::new(dec!(10.10), eur())).unwrap();
        assert_eq!(json, r#"{"amount":"10.10","currency":"EUR"}"#);
    }

    fn amount() -> impl Strategy<Value = Decimal> {
        // Up to ±10^12 with up to 4 decimals: larger than any invoice, small enough not to overflow.
        (-10_000_000_000_000_000_i64..10_000_000_000_000_000_i64).prop_map(|n| Decimal::new(n, 4))
    }

    proptest! {
        #[test]
        fn addition_is_commutative_and_associative(a in amount(), b in amount(), c in amount()) {
            let (a, b, c) = (Money::new(a, eur()), Money::new(b, eur()), Money::new(c, eur()));
            prop_assert_eq!(a.checked_add(&b), b.checked_add(&a));
            let left = a.checked_add(&b).and_then(|ab| ab.checked_add(&c));
            let right = b.checked_add(&c).and_then(|bc| a.checked_add(&bc));
            prop_assert_eq!(left, right);
        }

        #[test]
        fn subtraction_undoes_addition(a in amount(), b in amount()) {
            let (a, b) = (Money::new(a, eur()), Money::new(b, eur()));
            prop_assert_eq!(a.checked_add(&b).and_then(|s| s.checked_sub(&b)), Ok(a));
        }

        #[test]
        fn rounding_moves_at_most_half_a_minor_unit(a in amount()) {
            let m = Money::new(a, eur());
            let r = m.round_to_minor_units();
            prop_assert!(r.is_in_minor_units());
            prop_assert!((r.amount() - a).abs() <= dec!(0.005));
            prop_assert_eq!(r.round_to_minor_units(), r);
        }

        #[test]
        fn sum_equals_fold(xs in proptest::collection::vec(amount(), 0..20)) {
            let ms: Vec<Money> = xs.iter().map(|a| Money::new(*a, eur())).collect();
            let expected: Decimal = xs.iter().sum();
            prop_assert_eq!(Money::sum(eur(), &ms).map(|m| m.amount()), Ok(expected));
        }
    }
}
