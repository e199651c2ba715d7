//! CSV and XLSX exports read through a mapping profile ([`profile`]): an accounts-payable export
//! with one row per invoice or per invoice line, a card statement with one row per charge.
//!
//! A file is imported whole or not at all: every row is read first, and any cell that cannot be
//! read makes the whole file a rejection that lists each bad cell by row and column
//! (`row 14, column 'Amount': '12,3,4' is not a number`). Amounts are read from their digits with
//! the profile's separators (never through a float; XLSX numbers see [`sheet`]), dates with the
//! profile's format (or as XLSX date cells).
//!
//! In `invoice` mode each row is a header-only document ([`crate::header`]); in `line` mode the
//! rows are grouped by supplier and invoice number (in the order they first appear), each row is a
//! line, and the VAT breakdown is one group per rate. A row's header fields (dates, currency) must
//! agree with the first row of its invoice. Each document comes with the rows it was read from as
//! CSV text (header row included), which the app stores as that document's original.

pub mod profile;
pub mod sheet;

use crate::header::{HeaderFields, category_for_rate, category_of, header_only, round2};
use crate::{Imported, Rejection, codes};
use chrono::NaiveDate;
use folio_domain::{Currency, DocType, DocumentLine, Syntax, VatBreakdown};
pub use profile::{Field, Mode, Profile, ProfileError};
use rust_decimal::Decimal;
use sheet::{Cell, Kind, Row};
use std::str::FromStr;

/// At most this many bad cells are listed in one rejection.
const MAX_ERRORS: usize = 20;

/// One document read from a file, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabularDocument {
    pub imported: Imported,
    /// The file's row numbers it was read from.
    pub rows: Vec<usize>,
    /// Its header row and rows as CSV text (its original in the workspace).
    pub source: String,
}

/// One cell that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CellError {
    code: &'static str,
    message: String,
}

/// The column index of each mapped field.
struct Layout {
    columns: Vec<(Field, usize, String)>,
}

impl Layout {
    fn index(&self, field: Field) -> Option<(usize, &str)> {
        self.columns
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, i, name)| (*i, name.as_str()))
    }
}

/// `A` → 0, `AB` → 27; `None` for anything that is not a column letter.
fn column_letter(name: &str) -> Option<usize> {
    if name.is_empty() || name.len() > 3 || !name.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some(
        name.bytes()
            .fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A') + 1)
            - 1,
    )
}

fn layout(profile: &Profile, header: Option<&Row>) -> Result<Layout, Rejection> {
    let mut columns = Vec::new();
    let mut missing = Vec::new();
    for (field, name) in &profile.columns {
        let found = match header {
            Some(h) => h.cells.iter().position(|c| match c {
                Cell::Text(t) => t.trim().eq_ignore_ascii_case(name.trim()),
                _ => false,
            }),
            None => column_letter(name),
        };
        match found {
            Some(i) => columns.push((*field, i, name.clone())),
            None => missing.push(format!("'{name}' ({})", field.key())),
        }
    }
    if !missing.is_empty() {
        let seen = header
            .map(|h| {
                h.cells
                    .iter()
                    .map(Cell::shown)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        return Err(Rejection::new(
            codes::MISSING_FIELD,
            match header {
                Some(h) => format!(
                    "the header row (row {}) has no column {}; it has: {seen}",
                    h.number,
                    missing.join(", ")
                ),
                None => format!(
                    "the profile names columns that are not letters: {}",
                    missing.join(", ")
                ),
            },
        ));
    }
    Ok(Layout { columns })
}

/// Reads a decimal with the profile's separators: `1.234,56` with `,` and `.`. Thousands
/// separators must group exactly three digits (`12,3,4` is no number, whatever the separators).
fn parse_number(text: &str, profile: &Profile) -> Option<Decimal> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '€' | '$' | '£' | '%'))
        .collect();
    let t = t.trim();
    let negative = (t.starts_with('(') && t.ends_with(')')) || t.starts_with('-');
    let t = t
        .trim_matches(|c| matches!(c, '(' | ')' | '-' | '+'))
        .trim();
    let (int, frac) = match t.split_once(profile.decimal_separator) {
        Some((int, frac)) => (int, Some(frac)),
        None => (t, None),
    };
    let groups: Vec<&str> = match profile.thousands_separator {
        Some(sep) => int.split(sep).collect(),
        None => vec![int],
    };
    let digits = |g: &str| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit());
    let grouped_ok = match groups.as_slice() {
        [single] => digits(single),
        [first, rest @ ..] => {
            digits(first) && first.len() <= 3 && rest.iter().all(|g| digits(g) && g.len() == 3)
        }
        [] => false,
    };
    let frac_ok = frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()));
    if !grouped_ok || !frac_ok {
        return None;
    }
    let number = match frac {
        Some(f) if !f.is_empty() => format!("{}.{f}", groups.concat()),
        _ => groups.concat(),
    };
    let value = Decimal::from_str(&number).ok()?;
    Some(if negative { -value } else { value })
}

/// The typed values of one row.
#[derive(Debug, Clone, Default)]
struct RowValues {
    supplier: Option<String>,
    supplier_vat_id: Option<String>,
    number: Option<String>,
    issue_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    currency: Option<Currency>,
    description: Option<String>,
    quantity: Option<Decimal>,
    unit_price: Option<Decimal>,
    net: Option<Decimal>,
    vat: Option<Decimal>,
    vat_rate: Option<Decimal>,
    total: Option<Decimal>,
}

fn read_row(
    row: &Row,
    layout: &Layout,
    profile: &Profile,
    errors: &mut Vec<CellError>,
) -> RowValues {
    let cell = |field: Field| -> Option<(&Cell, &str)> {
        let (i, name) = layout.index(field)?;
        let c = row.cells.get(i).unwrap_or(&Cell::Empty);
        (*c != Cell::Empty).then_some((c, name))
    };
    let mut err = |code: &'static str, name: &str, c: &Cell, what: &str| {
        errors.push(CellError {
            code,
            message: format!(
                "row {}, column '{name}': '{}' {what}",
                row.number,
                c.shown()
            ),
        });
    };
    let text = |field: Field| cell(field).map(|(c, _)| c.shown());
    let mut number = |field: Field| -> Option<Decimal> {
        let (c, name) = cell(field)?;
        let value = match c {
            Cell::Number(n) => Some(*n),
            Cell::Text(t) => parse_number(t, profile),
            _ => None,
        };
        if value.is_none() {
            err(codes::BAD_AMOUNT, name, c, "is not a number");
        }
        value
    };
    let values_numbers = (
        number(Field::Quantity),
        number(Field::UnitPrice),
        number(Field::Net),
        number(Field::Vat),
        number(Field::VatRate),
        number(Field::Total),
    );
    let mut date = |field: Field| -> Option<NaiveDate> {
        let (c, name) = cell(field)?;
        let value = match c {
            Cell::Date(d) => Some(*d),
            Cell::Text(t) => match &profile.date_format {
                Some(format) => NaiveDate::parse_from_str(t.trim(), format).ok(),
                None => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok(),
            },
            _ => None,
        };
        if value.is_none() {
            let expected = profile.date_format.as_deref().unwrap_or("%Y-%m-%d");
            err(
                codes::BAD_DATE,
                name,
                c,
                &format!("is not a date in the form {expected}"),
            );
        }
        value
    };
    let issue_date = date(Field::IssueDate);
    let due_date = date(Field::DueDate);
    let currency = match cell(Field::Currency) {
        Some((c, name)) => {
            let code = c.shown().trim().to_ascii_uppercase();
            let parsed = Currency::parse(&code).ok();
            if parsed.is_none() {
                err(
                    codes::BAD_CURRENCY,
                    name,
                    c,
                    "is not an ISO 4217 currency code",
                );
            }
            parsed
        }
        None => profile.currency,
    };
    let (quantity, unit_price, net, vat, vat_rate, total) = values_numbers;
    RowValues {
        supplier: text(Field::Supplier).or_else(|| profile.supplier.clone()),
        supplier_vat_id: text(Field::SupplierVatId),
        number: text(Field::Number),
        issue_date,
        due_date,
        currency,
        description: text(Field::Description),
        quantity,
        unit_price,
        net,
        vat,
        vat_rate,
        total,
    }
}

/// The required fields of a row, or errors naming the empty cells.
fn required(
    row: &Row,
    v: &RowValues,
    layout: &Layout,
    errors: &mut Vec<CellError>,
) -> Option<(String, String, NaiveDate, Currency)> {
    let mut missing = |field: Field| {
        let name = layout.index(field).map_or(field.key(), |(_, n)| n);
        errors.push(CellError {
            code: codes::MISSING_FIELD,
            message: format!("row {}, column '{name}': the cell is empty", row.number),
        });
    };
    let empty = |field: Field| {
        layout
            .index(field)
            .is_some_and(|(i, _)| row.cells.get(i).is_none_or(|c| *c == Cell::Empty))
    };
    if v.supplier.is_none() {
        missing(Field::Supplier);
    }
    if v.issue_date.is_none() && empty(Field::IssueDate) {
        missing(Field::IssueDate);
    }
    if v.number.is_none() {
        missing(Field::Number);
    }
    if v.total.is_none() && v.net.is_none() {
        missing(if layout.index(Field::Total).is_some() {
            Field::Total
        } else {
            Field::Net
        });
    }
    if v.currency.is_none() && empty(Field::Currency) {
        missing(Field::Currency);
    }
    Some((
        v.supplier.clone()?,
        v.number.clone()?,
        v.issue_date?,
        v.currency?,
    ))
}

/// The rows below the header (or all, without one), with blank rows dropped.
fn data_rows(rows: &[Row], profile: &Profile) -> (Option<Row>, Vec<Row>) {
    let mut rest = rows.iter().skip(profile.skip_rows);
    let header = if profile.header {
        rest.next().cloned()
    } else {
        None
    };
    let data = rest
        .filter(|r| r.cells.iter().any(|c| *c != Cell::Empty))
        .cloned()
        .collect();
    (header, data)
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv_line(row: &Row) -> String {
    row.cells
        .iter()
        .map(|c| csv_field(&c.shown()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads every document of a CSV or XLSX file through `profile`; all or nothing.
pub fn import_tabular(bytes: &[u8], profile: &Profile) -> Result<Vec<TabularDocument>, Rejection> {
    if bytes.len() > crate::MAX_FILE_BYTES {
        return Err(Rejection::new(
            codes::TOO_LARGE,
            format!(
                "the file has {} bytes; Folio reads files up to 50 MiB",
                bytes.len()
            ),
        ));
    }
    let rows = match Kind::sniff(bytes) {
        Kind::Xlsx => sheet::read_xlsx(bytes, profile)?,
        Kind::Csv => {
            let text = sheet::decode(bytes, profile.encoding)?;
            sheet::split_delimited(&text, profile.delimiter)
        }
    };
    let (header, data) = data_rows(&rows, profile);
    let layout = layout(profile, header.as_ref())?;
    if data.is_empty() {
        return Err(Rejection::new(
            codes::MISSING_FIELD,
            "the file has no data rows (after the header and the rows the profile skips)",
        ));
    }
    let mut errors = Vec::new();
    let mut read: Vec<ReadRow> = Vec::new();
    for row in data {
        let values = read_row(&row, &layout, profile, &mut errors);
        if let Some(req) = required(&row, &values, &layout, &mut errors) {
            read.push((row, values, req));
        }
    }
    if !errors.is_empty() {
        let count = errors.len();
        let code = errors[0].code;
        let shown: Vec<String> = errors
            .into_iter()
            .take(MAX_ERRORS)
            .map(|e| e.message)
            .collect();
        return Err(Rejection::new(
            code,
            format!(
                "{count} cell(s) cannot be read, so nothing of the file is imported: {}{}",
                shown.join("; "),
                if count > MAX_ERRORS { "; …" } else { "" }
            ),
        ));
    }
    let header_line = header.as_ref().map(csv_line);
    let source = |rows: &[&Row]| {
        let mut lines: Vec<String> = header_line.iter().cloned().collect();
        lines.extend(rows.iter().map(|r| csv_line(r)));
        lines.join("\n") + "\n"
    };
    match profile.mode {
        Mode::Invoice => Ok(read
            .iter()
            .map(|(row, v, (supplier, number, issue_date, currency))| {
                let total = v
                    .total
                    .unwrap_or_else(|| v.net.unwrap_or_default() + v.vat.unwrap_or_default());
                let document = header_only(&HeaderFields {
                    syntax: Syntax::Tabular,
                    supplier_name: supplier.clone(),
                    supplier_vat_id: v.supplier_vat_id.clone(),
                    number: number.clone(),
                    issue_date: *issue_date,
                    due_date: v.due_date,
                    currency: *currency,
                    credit_note: total < Decimal::ZERO,
                    net: v.net,
                    vat: v.vat,
                    total,
                    notes: v.description.iter().cloned().collect(),
                });
                finish(document, vec![row.number], source(&[row]))
            })
            .collect()),
        Mode::Line => by_invoice(&read, &source),
    }
}

fn finish(document: folio_domain::Document, rows: Vec<usize>, source: String) -> TabularDocument {
    let problems = crate::validate::validate(&document);
    TabularDocument {
        imported: Imported {
            document,
            problems,
            media_type: "text/csv",
        },
        rows,
        source,
    }
}

type ReadRow = (Row, RowValues, (String, String, NaiveDate, Currency));

/// Line mode: rows grouped by supplier and number into documents with lines.
fn by_invoice(
    read: &[ReadRow],
    source: &dyn Fn(&[&Row]) -> String,
) -> Result<Vec<TabularDocument>, Rejection> {
    let mut groups: Vec<Vec<&ReadRow>> = Vec::new();
    for entry in read {
        let key = (&entry.2.0, &entry.2.1);
        match groups.iter_mut().find(|g| (&g[0].2.0, &g[0].2.1) == key) {
            Some(group) => group.push(entry),
            None => groups.push(vec![entry]),
        }
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for group in groups {
        let (first_row, first, (supplier, number, issue_date, currency)) = group[0];
        let mut lines = Vec::new();
        let mut vat_by_rate: Vec<(Decimal, Decimal, Option<Decimal>)> = Vec::new();
        for (row, v, (_, _, date, cur)) in group.iter().copied() {
            if date != issue_date || cur != currency || v.due_date != first.due_date {
                errors.push(format!(
                    "row {}: invoice '{number}' of '{supplier}' has a different issue date, due \
                     date or currency than on row {}",
                    row.number, first_row.number
                ));
                continue;
            }
            let quantity = v.quantity.unwrap_or(Decimal::ONE);
            let net = match (v.net, v.total, v.vat, v.unit_price) {
                (Some(net), ..) => net,
                (None, Some(total), Some(vat), _) => total - vat,
                (None, Some(total), None, _) => match v.vat_rate {
                    Some(rate) => {
                        round2(total * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate))
                    }
                    None => total,
                },
                (None, None, _, Some(price)) => round2(quantity * price),
                (None, None, _, None) => Decimal::ZERO,
            };
            let rate = v.vat_rate.or_else(|| {
                let vat = v.vat.or_else(|| v.total.map(|t| t - net))?;
                category_of(net, vat).1
            });
            let rate = rate.unwrap_or_default();
            let category = category_for_rate(rate);
            let vat = v.vat.or_else(|| v.total.map(|t| t - net));
            match vat_by_rate.iter_mut().find(|(r, _, _)| *r == rate) {
                Some(g) => {
                    g.1 += net;
                    g.2 = match (g.2, vat) {
                        (Some(a), Some(b)) => Some(a + b),
                        _ => None,
                    };
                }
                None => vat_by_rate.push((rate, net, vat)),
            }
            lines.push(DocumentLine {
                id: (lines.len() + 1).to_string(),
                name: v.description.clone().unwrap_or_default(),
                description: None,
                quantity,
                unit_code: None,
                unit_price: v.unit_price.unwrap_or_else(|| {
                    if quantity.is_zero() {
                        net
                    } else {
                        round2(net / quantity)
                    }
                }),
                price_base_quantity: None,
                net_amount: net,
                vat_category: category,
                vat_rate: Some(rate),
                allowances_charges: Vec::new(),
                seller_item_id: None,
                buyer_accounting_ref: None,
                order_line_ref: None,
            });
        }
        let breakdown: Vec<VatBreakdown> = vat_by_rate
            .iter()
            .map(|(rate, taxable, vat)| VatBreakdown {
                category: category_for_rate(*rate),
                rate: Some(*rate),
                taxable_amount: *taxable,
                tax_amount: vat.unwrap_or_else(|| round2(*taxable * *rate / Decimal::ONE_HUNDRED)),
                exemption_reason: None,
                exemption_reason_code: None,
            })
            .collect();
        let net_total: Decimal = lines.iter().map(|l| l.net_amount).sum();
        let tax_total: Decimal = breakdown.iter().map(|b| b.tax_amount).sum();
        let mut document = header_only(&HeaderFields {
            syntax: Syntax::Tabular,
            supplier_name: supplier.clone(),
            supplier_vat_id: first.supplier_vat_id.clone(),
            number: number.clone(),
            issue_date: *issue_date,
            due_date: first.due_date,
            currency: *currency,
            credit_note: false,
            net: Some(net_total),
            vat: Some(tax_total),
            total: net_total + tax_total,
            notes: Vec::new(),
        });
        if net_total + tax_total < Decimal::ZERO {
            document.doc_type = DocType::CreditNote;
        }
        document.lines = lines;
        document.vat_breakdown = breakdown;
        document.totals.line_net_total = net_total;
        document.totals.tax_exclusive = net_total;
        document.totals.tax_total = Some(tax_total);
        document.totals.tax_inclusive = net_total + tax_total;
        document.totals.payable = net_total + tax_total;
        let rows: Vec<&Row> = group.iter().map(|(r, _, _)| r).collect();
        out.push(finish(
            document,
            rows.iter().map(|r| r.number).collect(),
            source(&rows),
        ));
    }
    if !errors.is_empty() {
        return Err(Rejection::new(
            codes::BAD_VALUE,
            format!(
                "{} row(s) contradict their invoice, so nothing of the file is imported: {}",
                errors.len(),
                errors
                    .into_iter()
                    .take(MAX_ERRORS)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn numbers_follow_the_profile_separators() {
        let mut p = Profile::parse(
            "currency='EUR'\nsupplier='S'\ndecimal_separator=','\nthousands_separator='.'\n\
             [columns]\nnumber='N'\nissue_date='D'\ntotal='T'",
        )
        .expect("parses");
        for (text, expected) in [
            ("1.234,56", Some(dec!(1234.56))),
            ("12,3", Some(dec!(12.3))),
            ("-9,32", Some(dec!(-9.32))),
            ("(5,00)", Some(dec!(-5.00))),
            ("€ 7", Some(dec!(7))),
            ("12,3,4", None),
            ("1.2a", None),
            ("12.34.5", None),
            ("", None),
        ] {
            assert_eq!(parse_number(text, &p), expected, "{text}");
        }
        p.decimal_separator = '.';
        p.thousands_separator = Some(',');
        assert_eq!(parse_number("1,234.56", &p), Some(dec!(1234.56)));
        assert_eq!(parse_number("12,3,4", &p), None);
        assert_eq!(parse_number("1,204.17", &p), Some(dec!(1204.17)));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter("A"), Some(0));
        assert_eq!(column_letter("AB"), Some(27));
        assert_eq!(column_letter("Amount"), None);
    }
}
