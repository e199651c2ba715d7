//! Exact, locale-neutral formatting of amounts for messages: `1,234.50`.
//!
//! Problems must show their arithmetic ("lines sum to 1,234.50 but the total is 1,234.60"), so the
//! formatting lives in the domain and never goes through a float.

use crate::Currency;
use rust_decimal::Decimal;

/// Formats `amount` with thousands separators and at least `min_scale` decimals, never rounding
/// away digits that are there: `format_amount(1234.5, 2) == "1,234.50"`, `(0.125, 2) == "0.125"`.
pub fn format_amount(amount: Decimal, min_scale: u32) -> String {
    let mut value = amount.normalize();
    if value.scale() < min_scale {
        value.rescale(min_scale);
    }
    let text = value.abs().to_string();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(text.len() + text.len() / 3 + 1);
    if value.is_sign_negative() && !value.is_zero() {
        grouped.push('-');
    }
    for (i, digit) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(frac) = frac_part {
        grouped.push('.');
        grouped.push_str(frac);
    }
    grouped
}

/// Formats an amount in a currency's minor units: `format_money(1234.5, EUR) == "1,234.50 EUR"`.
pub fn format_money(amount: Decimal, currency: Currency) -> String {
    format!(
        "{} {}",
        format_amount(amount, currency.minor_units()),
        currency.code()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn formats_with_grouping_and_scale() {
        let cases = [
            (dec!(0), 2, "0.00"),
            (dec!(1234.5), 2, "1,234.50"),
            (dec!(-1234.5), 2, "-1,234.50"),
            (dec!(1234567.891), 2, "1,234,567.891"),
            (dec!(100), 0, "100"),
            (dec!(999), 2, "999.00"),
            (dec!(1000), 2, "1,000.00"),
            (dec!(-0.00), 2, "0.00"),
            (dec!(12.3400), 2, "12.34"),
        ];
        for (amount, scale, expected) in cases {
            assert_eq!(
                format_amount(amount, scale),
                expected,
                "{amount} at {scale}"
            );
        }
    }

    #[test]
    fn formats_money_in_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(format_money(dec!(1500), jpy), "1,500 JPY");
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(format_money(dec!(7.5), eur), "7.50 EUR");
    }
}
