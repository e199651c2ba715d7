//! Reading coded history lines from CSV: the learned suggester's bootstrap data and the evaluation
//! command's input.
//!
//! The format is the one accounting exports and open-data publications share: a header row and the
//! columns `date,supplier,description,amount,account,cost_centre` in any order, extra columns
//! ignored. A small RFC 4180 reader lives here (quoted fields, doubled quotes, embedded commas and
//! newlines, CRLF, a UTF-8 BOM) so the coding crate needs no CSV dependency. Amounts are parsed to
//! `Decimal` — never a float — accepting thousands separators and exponent notation, because
//! exports write both. Every error names the data row (1-based, header excluded) and the column.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One coded line of history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// 1-based data row in its file (the header is row 0).
    pub row: usize,
    pub date: NaiveDate,
    pub supplier: String,
    pub description: String,
    pub amount: Decimal,
    pub account: String,
    pub cost_centre: String,
    /// An optional `vat_category` column (EN 16931 category code such as `S`, `Z`, `AE`).
    pub vat_category: Option<String>,
}

/// Why a history file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("the CSV has no header row")]
    Empty,
    #[error(
        "the CSV header has no `{0}` column (needs date,supplier,description,amount,account,cost_centre)"
    )]
    MissingColumn(&'static str),
    #[error("row {row}: {column} '{value}' is not {expected}")]
    BadValue {
        row: usize,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("row {row}: a quoted field is never closed")]
    UnclosedQuote { row: usize },
}

/// A row that could not be read, with the column and what it should have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based data row (the header is row 0).
    pub row: usize,
    pub column: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}: {} '{}' is not {}",
            self.row, self.column, self.value, self.expected
        )
    }
}

/// A history file read row by row: the rows that could be read, and every row that could not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryRows {
    pub lines: Vec<HistoryLine>,
    /// In row order; a row with several bad values is listed once per value.
    pub problems: Vec<RowProblem>,
}

/// Splits CSV text into records of fields (RFC 4180; lenient about stray quotes inside fields).
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, HistoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                in_quotes = true;
                field_started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push(std::mem::take(&mut record));
                } else {
                    record.clear();
                }
            }
            _ => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if in_quotes {
        return Err(HistoryError::UnclosedQuote { row: records.len() });
    }
    if field_started || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Parses an amount as a decimal: `1234.5`, `-12`, `1,234.50`, `1.2E3`, `(12.00)` (negative).
pub fn parse_amount(raw: &str) -> Option<Decimal> {
    let trimmed = raw.trim();
    let (negative, body) = match trimmed.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, trimmed),
    };
    let cleaned: String = body
        .chars()
        .filter(|c| *c != ',' && *c != ' ' && *c != '£' && *c != '€' && *c != '$')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let value = Decimal::from_str(&cleaned)
        .or_else(|_| Decimal::from_scientific(&cleaned))
        .ok()?;
    Some(if negative { -value } else { value })
}

/// Parses a date as ISO `YYYY-MM-DD` (a time part is ignored), or `DD/MM/YYYY`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    let head = raw.get(..10).unwrap_or(raw);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
}

/// Reads history lines from CSV text; the first row that cannot be read fails it all.
pub fn read_history_csv(text: &str) -> Result<Vec<HistoryLine>, HistoryError> {
    let rows = read_history_rows(text)?;
    match rows.problems.into_iter().next() {
        Some(p) => Err(HistoryError::BadValue {
            row: p.row,
            column: p.column,
            value: p.value,
            expected: p.expected,
        }),
        None => Ok(rows.lines),
    }
}

/// Reads history lines from CSV text, collecting every row that cannot be read instead of stopping
/// at the first: a person fixing an export wants the whole list. Only a file that is not a
/// history CSV at all (no header, a missing column, an unclosed quote) is an error.
pub fn read_history_rows(text: &str) -> Result<HistoryRows, HistoryError> {
    let mut records = parse_csv(text)?.into_iter();
    let header = records.next().ok_or(HistoryError::Empty)?;
    let find = |name: &'static str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or(HistoryError::MissingColumn(name))
    };
    let date = find("date")?;
    let supplier = find("supplier")?;
    let description = find("description")?;
    let amount = find("amount")?;
    let account = find("account")?;
    let cost_centre = find("cost_centre")?;
    let vat = find("vat_category").ok();
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in records.enumerate() {
        let row = index + 1;
        let get = |i: usize| record.get(i).map(String::as_str).unwrap_or("");
        let raw_date = get(date);
        let parsed_date = parse_date(raw_date);
        if parsed_date.is_none() {
            problems.push(RowProblem {
                row,
                column: "date",
                value: raw_date.to_owned(),
                expected: "a date (YYYY-MM-DD or DD/MM/YYYY)",
            });
        }
        let raw_amount = get(amount);
        let parsed_amount = parse_amount(raw_amount);
        if parsed_amount.is_none() {
            problems.push(RowProblem {
                row,
                column: "amount",
                value: raw_amount.to_owned(),
                expected: "a decimal amount",
            });
        }
        let (Some(date), Some(amount)) = (parsed_date, parsed_amount) else {
            continue;
        };
        lines.push(HistoryLine {
            row,
            date,
            supplier: get(supplier).trim().to_owned(),
            description: get(description).trim().to_owned(),
            amount,
            account: get(account).trim().to_owned(),
            cost_centre: get(cost_centre).trim().to_owned(),
            vat_category: vat
                .map(|i| get(i).trim().to_owned())
                .filter(|v| !v.is_empty()),
        });
    }
    Ok(HistoryRows { lines, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_extra_columns() {
        let text = "\u{feff}x,date,supplier,description,amount,account,cost_centre\r\n\
                    1,2020-01-02,\"ACME, LTD\",\"say \"\"hi\"\"\nthere\",\"1,234.50\",Postage,IT\r\n\
                    2,03/01/2020,B,,1.2E1,Rent,\n";
        let lines = read_history_csv(text).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].supplier, "ACME, LTD");
        assert_eq!(lines[0].description, "say \"hi\"\nthere");
        assert_eq!(lines[0].amount, Decimal::new(123450, 2));
        assert_eq!(lines[1].amount, Decimal::new(12, 0));
        assert_eq!(lines[1].cost_centre, "");
        assert_eq!(lines[1].date, NaiveDate::from_ymd_opt(2020, 1, 3).unwrap());
    }

    #[test]
    fn every_bad_row_is_listed_and_the_good_rows_kept() {
        let text = "date,supplier,description,amount,account,cost_centre\n\
                    2020-01-01,A,d,abc,X,Y\n\
                    2020-01-02,B,d,5,X,Y\n\
                    someday,C,d,,X,Y\n";
        let rows = read_history_rows(text).unwrap();
        assert_eq!(rows.lines.len(), 1);
        assert_eq!(rows.lines[0].row, 2);
        let shown: Vec<String> = rows.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "row 1: amount 'abc' is not a decimal amount",
                "row 3: date 'someday' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                "row 3: amount '' is not a decimal amount",
            ]
        );
    }

    #[test]
    fn errors_name_row_and_column() {
        let text = "date,supplier,description,amount,account,cost_centre\n2020-01-01,A,d,abc,X,Y\n";
        let err = read_history_csv(text).unwrap_err();
        assert!(err.to_string().contains("row 1: amount 'abc'"), "{err}");
        let err = read_history_csv("date,supplier\n").unwrap_err();
        assert_eq!(err, HistoryError::MissingColumn("description"));
        let err = read_history_rows("date,supplier\n").unwrap_err();
        assert_eq!(err, HistoryError::MissingColumn("description"));
    }
}
