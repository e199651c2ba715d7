//! Rows and cells out of a CSV or XLSX file, with the row numbers a person sees.
//!
//! CSV: decoded from the profile's encoding (a UTF-8 byte order mark is dropped), split on the
//! profile's delimiter with RFC 4180 quoting (doubled quotes, delimiters and line breaks inside
//! quotes). Row numbers are the file's line numbers where each row starts.
//!
//! XLSX (through `calamine`): text cells are text; date cells are dates. A number cell is held in
//! the file as decimal text (`<v>12.3</v>`), which calamine parses into an `f64`; Folio never
//! computes with that float. It turns it back into the shortest decimal that reads back as the same
//! `f64` (Rust's `Display` for `f64`), which for any number of at most 15 significant digits is
//! exactly the decimal the file holds (an `f64` carries 15.95 decimal digits), so `12.3` comes back
//! as `12.3`, not `12.300000000000000710542735760100185871124267578125`. A number with more
//! significant digits can only be the result of a float formula (`=0.1+0.2` is stored as
//! `0.30000000000000004`); it is rounded to 15 significant digits — what Excel itself shows — and
//! then read as a decimal. Row numbers are the sheet's row numbers (1-based, as Excel shows them).

use super::profile::{Encoding, Profile};
use crate::{Rejection, codes};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// One cell as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    /// An XLSX number, already an exact decimal.
    Number(Decimal),
    /// An XLSX date cell.
    Date(NaiveDate),
}

impl Cell {
    /// The cell as a person would type it.
    pub fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
        }
    }
}

/// One row with its number in the file or sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<Cell>,
}

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

impl Kind {
    /// From the first bytes: a ZIP (XLSX) or text (CSV).
    pub fn sniff(bytes: &[u8]) -> Kind {
        if bytes.starts_with(b"PK\x03\x04") {
            Kind::Xlsx
        } else {
            Kind::Csv
        }
    }
}

/// Decodes CSV bytes per the profile's encoding.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, Rejection> {
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                Rejection::new(
                    codes::UNSUPPORTED_FORMAT,
                    format!(
                        "the file is not UTF-8 (byte {} is not valid UTF-8); set the profile's \
                         encoding to windows-1252 or iso-8859-1 if it was exported that way",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        }
        Encoding::Windows1252 => Ok(bytes.iter().map(|&b| crate::xml::cp1252(b)).collect()),
        Encoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Splits delimited text into rows (RFC 4180 quoting), each with the line it starts on.
pub fn split_delimited(text: &str, delimiter: char) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_start = 1;
    let mut chars = text.chars().peekable();
    let cell = |f: &mut String| {
        let t = std::mem::take(f);
        if t.trim().is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.trim().to_owned())
        }
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, c) if c == delimiter => cells.push(cell(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                cells.push(cell(&mut field));
                rows.push(Row {
                    number: row_start,
                    cells: std::mem::take(&mut cells),
                });
                line += 1;
                row_start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !cells.is_empty() {
        cells.push(cell(&mut field));
        rows.push(Row {
            number: row_start,
            cells,
        });
    }
    rows
}

/// Significant digits an `f64` carries exactly as decimal text.
const F64_DIGITS: u32 = 15;

/// The exact decimal an XLSX number cell holds (see the module documentation).
pub fn float_to_decimal(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let shortest = Decimal::from_str(&value.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .ok()?;
    let digits = shortest.mantissa().unsigned_abs().to_string().len() as u32;
    if digits <= F64_DIGITS {
        return Some(shortest.normalize());
    }
    let integer_digits = digits.saturating_sub(shortest.scale());
    let keep = F64_DIGITS.saturating_sub(integer_digits);
    Some(shortest.round_dp(keep).normalize())
}

/// The rows of the profile's sheet of an XLSX workbook.
pub fn read_xlsx(bytes: &[u8], profile: &Profile) -> Result<Vec<Row>, Rejection> {
    use calamine::{Data, Reader, Xlsx};
    let bad = |why: String| Rejection::new(codes::UNSUPPORTED_FORMAT, why);
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("the XLSX workbook cannot be read: {e}")))?;
    let names = workbook.sheet_names();
    let sheet = match &profile.sheet {
        Some(name) => names.iter().find(|n| *n == name).cloned().ok_or_else(|| {
            bad(format!(
                "the workbook has no sheet '{name}' (it has {})",
                names.join(", ")
            ))
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| bad("the workbook has no sheet".to_owned()))?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| bad(format!("sheet '{sheet}' cannot be read: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let mut row = vec![Cell::Empty; first_col];
        for data in cells {
            row.push(match data {
                Data::Empty => Cell::Empty,
                Data::String(s) if s.trim().is_empty() => Cell::Empty,
                Data::String(s) => Cell::Text(s.trim().to_owned()),
                Data::Int(n) => Cell::Number(Decimal::from(*n)),
                Data::Float(f) => match float_to_decimal(*f) {
                    Some(d) => Cell::Number(d),
                    None => Cell::Text(f.to_string()),
                },
                Data::Bool(b) => Cell::Text(b.to_string()),
                Data::DateTime(dt) => match dt.as_datetime() {
                    Some(t) => Cell::Date(t.date()),
                    None => Cell::Text(dt.to_string()),
                },
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::Error(e) => Cell::Text(format!("#{e:?}")),
            });
        }
        rows.push(Row {
            number: first_row + i + 1,
            cells: row,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn floats_come_back_as_the_decimal_the_cell_holds() {
        let cases = [
            (12.3, dec!(12.3)),
            (0.1, dec!(0.1)),
            (1234.56, dec!(1234.56)),
            (0.1 + 0.2, dec!(0.3)),
            (1e-7, dec!(0.0000001)),
            (-5.0, dec!(-5)),
            (123456789012.34, dec!(123456789012.34)),
        ];
        for (value, expected) in cases {
            assert_eq!(float_to_decimal(value), Some(expected), "{value}");
        }
        assert_eq!(float_to_decimal(f64::NAN), None);
    }

    #[test]
    fn delimited_text_keeps_quotes_and_line_numbers() {
        let rows = split_delimited("a;\"b;c\";\"d\"\"e\"\n1;\"x\ny\";3\n\n4;5;6", ';');
        let shown: Vec<(usize, Vec<String>)> = rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(Cell::shown).collect()))
            .collect();
        assert_eq!(
            shown,
            [
                (1, vec!["a".to_owned(), "b;c".to_owned(), "d\"e".to_owned()]),
                (2, vec!["1".to_owned(), "x\ny".to_owned(), "3".to_owned()]),
                (4, vec![String::new()]),
                (5, vec!["4".to_owned(), "5".to_owned(), "6".to_owned()]),
            ]
        );
    }

    #[test]
    fn encodings_decode() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFM\xC3\xBCller", Encoding::Utf8)
                .ok()
                .as_deref(),
            Some("Müller")
        );
        assert_eq!(
            decode(b"M\xFCller \x80", Encoding::Windows1252)
                .ok()
                .as_deref(),
            Some("Müller €")
        );
        assert_eq!(
            decode(b"M\xFCller", Encoding::Latin1).ok().as_deref(),
            Some("Müller")
        );
        assert!(decode(b"M\xFCller", Encoding::Utf8).is_err());
    }
}
