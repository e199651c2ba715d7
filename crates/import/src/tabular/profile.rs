//! Mapping profiles: how one exporter's CSV or XLSX files read. A profile is a small TOML text
//! (kept in the workspace, see `folio profiles`), for example:
//!
//! ```toml
//! mode = "line"                 # "invoice": one row per invoice; "line": one row per invoice
//!                               # line, rows grouped by supplier and invoice number
//! encoding = "windows-1252"     # CSV only: "utf-8" (default), "windows-1252", "iso-8859-1"
//! delimiter = ";"               # CSV only: "," (default), ";", "\t", "|"
//! skip_rows = 2                 # lines above the header row (titles, export dates)
//! header = true                 # the first row after them names the columns (default true)
//! sheet = "Invoices"            # XLSX only: the sheet (default: the first)
//! date_format = "%d.%m.%Y"      # how text dates are written (chrono format)
//! decimal_separator = ","       # "." (default) or ","
//! thousands_separator = "."     # "", ",", ".", " " or "'" (default "")
//! currency = "EUR"              # when there is no currency column
//! supplier = "Visa card"        # when there is no supplier column
//!
//! [columns]                     # field = column name (or letter, A…, without a header row)
//! supplier = "Lieferant"
//! supplier_vat_id = "USt-IdNr"
//! number = "Rechnungsnr"
//! issue_date = "Datum"
//! due_date = "Fällig"
//! currency = "Währung"
//! description = "Text"
//! quantity = "Menge"
//! unit_price = "Preis"
//! net = "Netto"
//! vat = "MwSt"
//! vat_rate = "MwSt-Satz"
//! total = "Brutto"
//! ```
//!
//! A number, an issue date and an amount (total or net) are required; everything else is
//! optional. Unknown keys are refused (a typo must not silently lose a column).

use chrono::NaiveDate;
use folio_domain::Currency;
use serde::Deserialize;
use std::fmt::Write;

/// One row per invoice, or one row per invoice line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Invoice,
    Line,
}

/// Text encodings a CSV may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
    Latin1,
}

/// The fields a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Supplier,
    SupplierVatId,
    Number,
    IssueDate,
    DueDate,
    Currency,
    Description,
    Quantity,
    UnitPrice,
    Net,
    Vat,
    VatRate,
    Total,
}

impl Field {
    pub fn key(&self) -> &'static str {
        match self {
            Field::Supplier => "supplier",
            Field::SupplierVatId => "supplier_vat_id",
            Field::Number => "number",
            Field::IssueDate => "issue_date",
            Field::DueDate => "due_date",
            Field::Currency => "currency",
            Field::Description => "description",
            Field::Quantity => "quantity",
            Field::UnitPrice => "unit_price",
            Field::Net => "net",
            Field::Vat => "vat",
            Field::VatRate => "vat_rate",
            Field::Total => "total",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    mode: Option<String>,
    encoding: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    skip_rows: usize,
    header: Option<bool>,
    sheet: Option<String>,
    date_format: Option<String>,
    decimal_separator: Option<String>,
    thousands_separator: Option<String>,
    currency: Option<String>,
    supplier: Option<String>,
    columns: Columns,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Columns {
    supplier: Option<String>,
    supplier_vat_id: Option<String>,
    number: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
    description: Option<String>,
    quantity: Option<String>,
    unit_price: Option<String>,
    net: Option<String>,
    vat: Option<String>,
    vat_rate: Option<String>,
    total: Option<String>,
}

/// A parsed, checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub mode: Mode,
    pub encoding: Encoding,
    pub delimiter: char,
    pub skip_rows: usize,
    pub header: bool,
    pub sheet: Option<String>,
    pub date_format: Option<String>,
    pub decimal_separator: char,
    pub thousands_separator: Option<char>,
    pub currency: Option<Currency>,
    pub supplier: Option<String>,
    /// Field → column name (or letter).
    pub columns: Vec<(Field, String)>,
}

/// Why a profile is refused: the key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile: {0}")]
pub struct ProfileError(pub String);

fn one_char(key: &str, value: &str, allowed: &[char]) -> Result<char, ProfileError> {
    let value = if value == "\\t" { "\t" } else { value };
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if allowed.contains(&c) => Ok(c),
        _ => Err(ProfileError(format!(
            "{key} '{value}' is not one of {}",
            allowed
                .iter()
                .map(|c| if *c == '\t' {
                    "\\t".to_owned()
                } else {
                    format!("'{c}'")
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

impl Profile {
    /// Parses and checks a profile's TOML text.
    pub fn parse(text: &str) -> Result<Profile, ProfileError> {
        let raw: ProfileFile = toml::from_str(text).map_err(|e| ProfileError(e.to_string()))?;
        let mode = match raw.mode.as_deref() {
            None | Some("invoice") => Mode::Invoice,
            Some("line") => Mode::Line,
            Some(other) => {
                return Err(ProfileError(format!(
                    "mode '{other}' is neither \"invoice\" (one row per invoice) nor \"line\" \
                     (one row per invoice line)"
                )));
            }
        };
        let encoding = match raw
            .encoding
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("utf-8" | "utf8") => Encoding::Utf8,
            Some("windows-1252" | "cp1252") => Encoding::Windows1252,
            Some("iso-8859-1" | "latin1" | "latin-1") => Encoding::Latin1,
            Some(other) => {
                return Err(ProfileError(format!(
                    "encoding '{other}' is not one of utf-8, windows-1252, iso-8859-1"
                )));
            }
        };
        let delimiter = match raw.delimiter.as_deref() {
            None => ',',
            Some(d) => one_char("delimiter", d, &[',', ';', '\t', '|'])?,
        };
        let decimal_separator = match raw.decimal_separator.as_deref() {
            None => '.',
            Some(d) => one_char("decimal_separator", d, &['.', ','])?,
        };
        let thousands_separator = match raw.thousands_separator.as_deref() {
            None | Some("") => None,
            Some(t) => Some(one_char(
                "thousands_separator",
                t,
                &[',', '.', ' ', '\'', '\u{a0}'],
            )?),
        };
        if thousands_separator == Some(decimal_separator) {
            return Err(ProfileError(format!(
                "thousands_separator and decimal_separator are both '{decimal_separator}'"
            )));
        }
        if let Some(format) = &raw.date_format {
            // A format that cannot print a date cannot read one either.
            let sample = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
            let mut printed = String::new();
            let round_trips = write!(printed, "{}", sample.format(format)).is_ok()
                && NaiveDate::parse_from_str(&printed, format).ok() == Some(sample);
            if !round_trips {
                return Err(ProfileError(format!(
                    "date_format '{format}' does not describe a whole date (e.g. \"%d.%m.%Y\")"
                )));
            }
        }
        let currency = raw
            .currency
            .as_deref()
            .map(|c| {
                Currency::parse(c)
                    .map_err(|_| ProfileError(format!("currency '{c}' is not an ISO 4217 code")))
            })
            .transpose()?;
        let c = raw.columns;
        let columns: Vec<(Field, String)> = [
            (Field::Supplier, c.supplier),
            (Field::SupplierVatId, c.supplier_vat_id),
            (Field::Number, c.number),
            (Field::IssueDate, c.issue_date),
            (Field::DueDate, c.due_date),
            (Field::Currency, c.currency),
            (Field::Description, c.description),
            (Field::Quantity, c.quantity),
            (Field::UnitPrice, c.unit_price),
            (Field::Net, c.net),
            (Field::Vat, c.vat),
            (Field::VatRate, c.vat_rate),
            (Field::Total, c.total),
        ]
        .into_iter()
        .filter_map(|(field, column)| column.map(|c| (field, c)))
        .collect();
        let has = |f: Field| columns.iter().any(|(g, _)| *g == f);
        let mut missing = Vec::new();
        if !has(Field::Number) {
            missing.push("columns.number");
        }
        if !has(Field::IssueDate) {
            missing.push("columns.issue_date");
        }
        if !has(Field::Total) && !has(Field::Net) {
            missing.push("columns.total or columns.net");
        }
        if !has(Field::Supplier) && raw.supplier.is_none() {
            missing.push("columns.supplier or supplier");
        }
        if !has(Field::Currency) && currency.is_none() {
            missing.push("columns.currency or currency");
        }
        if !missing.is_empty() {
            return Err(ProfileError(format!(
                "the profile must name {}",
                missing.join(", ")
            )));
        }
        Ok(Profile {
            mode,
            encoding,
            delimiter,
            skip_rows: raw.skip_rows,
            header: raw.header.unwrap_or(true),
            sheet: raw.sheet,
            date_format: raw.date_format,
            decimal_separator,
            thousands_separator,
            currency,
            supplier: raw.supplier,
            columns,
        })
    }

    /// The column a field is mapped to.
    pub fn column(&self, field: Field) -> Option<&str> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| c.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "currency = 'EUR'\nsupplier = 'Card'\n[columns]\nnumber = 'Ref'\n\
                           issue_date = 'Date'\ntotal = 'Amount'\n";

    #[test]
    fn a_minimal_profile_has_defaults() {
        let p = Profile::parse(MINIMAL).expect("parses");
        assert_eq!(p.mode, Mode::Invoice);
        assert_eq!(p.encoding, Encoding::Utf8);
        assert_eq!(p.delimiter, ',');
        assert_eq!(p.decimal_separator, '.');
        assert_eq!(p.thousands_separator, None);
        assert!(p.header);
        assert_eq!(p.column(Field::Total), Some("Amount"));
    }

    #[test]
    fn bad_profiles_name_the_key() {
        let cases = [
            ("mode = 'rows'\n", "mode"),
            ("encoding = 'utf-16'\n", "encoding"),
            ("delimiter = '::'\n", "delimiter"),
            ("decimal_separator = ';'\n", "decimal_separator"),
            (
                "decimal_separator = ','\nthousands_separator = ','\n",
                "thousands_separator",
            ),
            ("date_format = '%Y'\n", "date_format"),
            ("colour = 'red'\n", "colour"),
        ];
        for (extra, key) in cases {
            let text = format!("{extra}{MINIMAL}");
            let error = Profile::parse(&text).unwrap_err();
            assert!(error.to_string().contains(key), "{extra:?}: {error}");
        }
        let error = Profile::parse("[columns]\nnumber = 'No'\n").unwrap_err();
        assert!(error.to_string().contains("columns.issue_date"), "{error}");
        assert!(
            error.to_string().contains("columns.total or columns.net"),
            "{error}"
        );
    }
}
