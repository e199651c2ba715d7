//! Reading typed values out of text as people print them: amounts in any of the usual
//! spellings, dates numeric or with month names in several languages, and currencies as ISO codes
//! or symbols. Everything here is exact: amounts become `Decimal` from their digits, never through
//! a float, and a value that could be read two ways says so (`ambiguous`) instead of guessing
//! silently.

use chrono::NaiveDate;
use folio_domain::Currency;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Which decimal separator a text uses (from a template), or `None` to decide per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalSeparator {
    Point,
    Comma,
}

/// Reads an amount such as `1.234,56`, `1,234.56`, `1 234,56`, `$4.11`, `€ 49,99`, `Rs 1939`,
/// `-9,32` or `(12.00)`. With no separator given, the last `.` or `,` followed by one or two digits
/// at the end is the decimal separator and the others group thousands; a value like `1.234` (three
/// digits after the only separator) is read as a thousands group only when `separator` says the
/// decimal separator is a comma.
pub fn parse_amount(text: &str, separator: Option<DecimalSeparator>) -> Option<Decimal> {
    let trimmed = text.trim();
    let negative = trimmed.starts_with('-')
        || trimmed.starts_with('−')
        || (trimmed.starts_with('(') && trimmed.ends_with(')'));
    let kept: String = trimmed
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
        .collect();
    if kept.is_empty() || !kept.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only currency marks, signs, spaces and apostrophes may surround the number.
    let noise_ok = trimmed.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                '.' | ',' | ' ' | '\u{a0}' | '\'' | '-' | '−' | '(' | ')' | '+'
            )
            || currency_mark(c)
            || c.is_ascii_alphabetic()
    });
    // Words may only be currency codes or the usual tax marks (`29,99 € TTC`, `Rs 1939`).
    let words_ok = trimmed
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .all(|w| CODES.contains(&w) || AMOUNT_WORDS.contains(&w));
    if !noise_ok || !words_ok {
        return None;
    }
    let decimal_at = match separator {
        Some(DecimalSeparator::Point) => kept.rfind('.'),
        Some(DecimalSeparator::Comma) => kept.rfind(','),
        None => {
            let last = kept.rfind(['.', ',']);
            last.filter(|&i| {
                let digits = kept.len() - i - 1;
                (1..=2).contains(&digits)
                    || (digits > 3 && kept[..i].chars().all(|c| c.is_ascii_digit()))
            })
        }
    };
    let (int, frac) = match decimal_at {
        Some(i) => (&kept[..i], &kept[i + 1..]),
        None => (kept.as_str(), ""),
    };
    if frac.contains(['.', ',']) {
        return None;
    }
    // Thousands groups have three digits: `1.234,56` yes, `12,3,4` no.
    let groups: Vec<&str> = int.split(['.', ',']).collect();
    if groups.len() > 1
        && (groups.first().is_none_or(|g| g.is_empty() || g.len() > 3)
            || groups.iter().skip(1).any(|g| g.len() != 3))
    {
        return None;
    }
    let int_digits: String = int.chars().filter(char::is_ascii_digit).collect();
    let number = if frac.is_empty() {
        int_digits
    } else {
        format!(
            "{}.{frac}",
            if int_digits.is_empty() {
                "0"
            } else {
                &int_digits
            }
        )
    };
    let value = Decimal::from_str(&number).ok()?;
    Some(if negative { -value } else { value })
}

/// Words that may stand next to an amount besides currency codes.
const AMOUNT_WORDS: &[&str] = &["Rs", "TTC", "HT", "zł", "incl", "excl", "net", "gross"];

/// True when the text shows it is money: a currency mark or code, or decimals (`12,50`), not a
/// bare whole number such as a tax id or a phone number.
pub fn looks_like_money(text: &str) -> bool {
    let t = text.trim();
    let has_mark = t.chars().any(currency_mark)
        || t.split(|c: char| !c.is_alphabetic())
            .any(|w| CODES.contains(&w) || w == "Rs");
    let bytes = t.as_bytes();
    let has_decimals = bytes.windows(3).enumerate().any(|(i, w)| {
        matches!(w, [b'.' | b',', a, b] if a.is_ascii_digit() && b.is_ascii_digit())
            && bytes.get(i + 3).is_none_or(|n| !n.is_ascii_digit())
            && i > 0
    });
    has_mark || has_decimals
}

fn currency_mark(c: char) -> bool {
    matches!(c, '€' | '$' | '£' | '¥' | '₹' | '₣' | '¢')
}

/// Currency symbols and words, and the currency each stands for. `$` is read as US dollars (with
/// a lower confidence by the caller); `kr` is left out, being three currencies.
pub const SYMBOLS: &[(&str, &str)] = &[
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("Rs.", "INR"),
    ("Rs", "INR"),
    ("zł", "PLN"),
    ("$", "USD"),
    ("CHF", "CHF"),
];

/// ISO codes looked for as whole words (the usual invoice currencies).
pub const CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "INR", "PLN", "SEK", "NOK", "DKK", "CZK", "HUF", "JPY", "CAD",
    "AUD", "CNY", "HKD", "SGD", "NZD", "ZAR", "BRL", "RON", "BGN", "TRY", "DEM",
];

/// Month names (lower case, with common abbreviations) in English, German, Dutch, French,
/// Spanish, Italian and Polish, and their number.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("januari", 1),
    ("janvier", 1),
    ("janv", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("stycznia", 1),
    ("styczeń", 1),
    ("jänner", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("februari", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("lutego", 2),
    ("luty", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("maerz", 3),
    ("maart", 3),
    ("mars", 3),
    ("marzo", 3),
    ("marca", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("aprile", 4),
    ("kwietnia", 4),
    ("may", 5),
    ("mai", 5),
    ("mei", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("maja", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("czerwca", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lipca", 7),
    ("august", 8),
    ("aug", 8),
    ("augustus", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("sierpnia", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("września", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("października", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("listopada", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dicembre", 12),
    ("grudnia", 12),
];

/// The order of day and month in numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 31/12/2024 (most of the world).
    DayMonth,
    /// 12/31/2024 (United States).
    MonthDay,
}

/// A date read from text, and whether another reading was possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadDate {
    pub date: NaiveDate,
    /// Day and month were both ≤ 12 and the order was assumed.
    pub ambiguous: bool,
}

fn year(text: &str) -> Option<i32> {
    let y: i32 = text.parse().ok()?;
    match text.len() {
        4 if (1990..=2100).contains(&y) => Some(y),
        2 => Some(2000 + y),
        _ => None,
    }
}

fn month_name(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == w).map(|(_, m)| *m)
}

/// Reads the first date in `text`: `2024-03-01`, `01.03.2024`, `1.3.24`, `01/03/2024`,
/// `8-9-2022`, `3 March 2024`, `7. Mai 2014`, `March 3, 2024`, `August 3 , 2014`, `Jan 1, 2022`.
pub fn parse_date(text: &str, order: DateOrder) -> Option<ReadDate> {
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    for (i, token) in tokens.iter().enumerate() {
        if let Some(found) = numeric_date(token, order) {
            return Some(found);
        }
        // Day MonthName Year (`3 March 2024`, `7. Mai 2014`).
        let day = token.trim_end_matches('.').parse::<u32>().ok();
        if let (Some(day), Some(m), Some(y)) = (
            day,
            tokens.get(i + 1).and_then(|t| month_name(t)),
            tokens
                .get(i + 2)
                .and_then(|t| year(t.trim_end_matches('.'))),
        ) && let Some(date) = NaiveDate::from_ymd_opt(y, m, day)
        {
            return Some(ReadDate {
                date,
                ambiguous: false,
            });
        }
        // MonthName Day Year (`March 3, 2024`).
        if let (Some(m), Some(day), Some(y)) = (
            month_name(token),
            tokens
                .get(i + 1)
                .and_then(|t| t.trim_end_matches(['.', ',']).parse::<u32>().ok()),
            tokens.get(i + 2).and_then(|t| year(t)),
        ) && let Some(date) = NaiveDate::from_ymd_opt(y, m, day)
        {
            return Some(ReadDate {
                date,
                ambiguous: false,
            });
        }
    }
    None
}

fn numeric_date(token: &str, order: DateOrder) -> Option<ReadDate> {
    let token = token.trim_matches(|c: char| !c.is_ascii_digit());
    let sep = token.chars().find(|c| matches!(c, '-' | '.' | '/'))?;
    let parts: Vec<&str> = token.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if a.len() == 4 {
        let date = NaiveDate::from_ymd_opt(a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)?;
        return Some(ReadDate {
            date,
            ambiguous: false,
        });
    }
    if a.len() > 2 || b.len() > 2 {
        return None;
    }
    let y = year(c)?;
    let (first, second): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    let (day, month) = match order {
        DateOrder::DayMonth => (first, second),
        DateOrder::MonthDay => (second, first),
    };
    match NaiveDate::from_ymd_opt(y, month, day) {
        // Dotted dates are day-first everywhere they are written; slashes and dashes are not.
        Some(date) => Some(ReadDate {
            date,
            ambiguous: sep != '.' && first <= 12 && second <= 12 && first != second,
        }),
        // 12/31/2024 read day-first: the other order is the only possible one.
        None => NaiveDate::from_ymd_opt(y, day, month).map(|date| ReadDate {
            date,
            ambiguous: false,
        }),
    }
}

/// Currency names as written out (compared case-insensitively), counted like codes.
const WORDS: &[(&str, &str)] = &[
    ("us dollars", "USD"),
    ("us dollar", "USD"),
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("pounds sterling", "GBP"),
    ("rupees", "INR"),
    ("złotych", "PLN"),
];

/// Every currency the text names, with how often and whether only by a symbol, most frequent
/// first: ISO codes as whole words and written-out names, then symbols. (`DEM`, a pre-euro code,
/// is read too so a reviewer sees it.)
pub fn currencies_in(text: &str) -> Vec<(Currency, usize, bool)> {
    let mut found: Vec<(Currency, usize, bool)> = Vec::new();
    let mut add = |code: &str, is_symbol: bool| {
        if let Ok(currency) = Currency::parse(code) {
            match found.iter_mut().find(|(c, _, _)| *c == currency) {
                Some(entry) => entry.1 += 1,
                None => found.push((currency, 1, is_symbol)),
            }
        }
    };
    for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
        if CODES.contains(&word) {
            add(word, false);
        }
    }
    let lower = text.to_lowercase();
    for (name, code) in WORDS {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(name) {
            let after = rest[at + name.len()..].chars().next();
            let before = rest[..at].chars().next_back();
            if after.is_none_or(|c| !c.is_alphabetic()) && before.is_none_or(|c| !c.is_alphabetic())
            {
                add(code, false);
            }
            rest = &rest[at + name.len()..];
        }
    }
    for (symbol, code) in SYMBOLS {
        let count = if symbol.chars().all(|c| c.is_ascii_alphabetic() || c == '.') {
            text.split(|c: char| c.is_whitespace() || c.is_ascii_digit())
                .filter(|w| w == symbol)
                .count()
        } else {
            text.matches(symbol).count()
        };
        for _ in 0..count {
            add(code, true);
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_in_every_spelling() {
        let cases = [
            ("1.234,56", Some(dec!(1234.56))),
            ("1,234.56", Some(dec!(1234.56))),
            ("1 234,56", Some(dec!(1234.56))),
            ("1'234.56", Some(dec!(1234.56))),
            ("$4.11", Some(dec!(4.11))),
            ("€ 49,99", Some(dec!(49.99))),
            ("Rs 1939", Some(dec!(1939))),
            ("4.904,94", Some(dec!(4904.94))),
            ("-9,32", Some(dec!(-9.32))),
            ("(12.00)", Some(dec!(-12.00))),
            ("0 €", Some(dec!(0))),
            ("29.99", Some(dec!(29.99))),
            ("56,02 €", Some(dec!(56.02))),
            ("EUR 10", Some(dec!(10))),
            ("12,3,4", None),
            ("abc", None),
            ("Invoice 12", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_amount(text, None), expected, "{text:?}");
        }
        assert_eq!(parse_amount("NL810433941B01", None), None);
        assert!(
            looks_like_money("€ 4,24") && looks_like_money("Rs 1939") && looks_like_money("12.50")
        );
        assert!(!looks_like_money("29670869006") && !looks_like_money("1.234.567"));
        assert_eq!(
            parse_amount("1.234", Some(DecimalSeparator::Comma)),
            Some(dec!(1234))
        );
        assert_eq!(
            parse_amount("1,5", Some(DecimalSeparator::Comma)),
            Some(dec!(1.5))
        );
    }

    #[test]
    fn dates_in_several_languages_and_orders() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let cases = [
            ("2024-03-01", DateOrder::DayMonth, d(2024, 3, 1)),
            ("01.03.2024", DateOrder::DayMonth, d(2024, 3, 1)),
            ("21.05.14", DateOrder::DayMonth, d(2014, 5, 21)),
            ("20-10-2015", DateOrder::DayMonth, d(2015, 10, 20)),
            ("8-9-2022", DateOrder::DayMonth, d(2022, 9, 8)),
            ("03/20/2023", DateOrder::DayMonth, d(2023, 3, 20)),
            ("03/04/2023", DateOrder::MonthDay, d(2023, 3, 4)),
            ("19 april 2014", DateOrder::DayMonth, d(2014, 4, 19)),
            ("29 maart 2014", DateOrder::DayMonth, d(2014, 3, 29)),
            ("7. Mai 2014", DateOrder::DayMonth, d(2014, 5, 7)),
            ("du 02 Juillet 2015", DateOrder::DayMonth, d(2015, 7, 2)),
            ("August 3 , 2014", DateOrder::DayMonth, d(2014, 8, 3)),
            ("Jan 1, 2022", DateOrder::DayMonth, d(2022, 1, 1)),
            ("Date : 28/11/2022", DateOrder::DayMonth, d(2022, 11, 28)),
            ("no date here", DateOrder::DayMonth, None),
            ("31.02.2024", DateOrder::DayMonth, None),
        ];
        for (text, order, expected) in cases {
            assert_eq!(
                parse_date(text, order).map(|r| r.date),
                expected,
                "{text:?}"
            );
        }
        assert!(parse_date("03/04/2023", DateOrder::DayMonth).is_some_and(|r| r.ambiguous));
        assert!(!parse_date("03.04.2023", DateOrder::DayMonth).is_some_and(|r| r.ambiguous));
        assert!(!parse_date("20/04/2023", DateOrder::DayMonth).is_some_and(|r| r.ambiguous));
    }

    #[test]
    fn currencies_by_code_and_symbol() {
        let found = currencies_in("Total EUR 12,00 € and more €");
        assert_eq!(found.first().map(|f| f.0.code()), Some("EUR"));
        let found = currencies_in("Grand Total Rs 1939");
        assert_eq!(found.first().map(|f| f.0.code()), Some("INR"));
        let found = currencies_in("All prices are in US Dollars");
        assert_eq!(
            found.first().map(|f| (f.0.code(), f.2)),
            Some(("USD", false))
        );
        assert!(currencies_in("nothing").is_empty());
    }
}
