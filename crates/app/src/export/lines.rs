//! `folio export lines`: one row per coded journal line, for BI tools, as CSV or Parquet.
//!
//! The columns are documented in `docs/export-lines.md`. Amounts stay exact: CSV writes the
//! decimal text at the currency's minor units, Parquet writes `Decimal128` with one scale for the
//! file (the most minor units of the currencies in it; no amount ever needs more, because the
//! journal builder rounds every posting to its currency's minor units, and one that did would be
//! refused, never rounded). Rows are streamed from one read transaction of the store to the
//! writer: the CSV writer holds one row, the Parquet writer one batch of [`BATCH_ROWS`].
//!
//! Incremental: each row carries its document's change sequence, and the report the last one of
//! the workspace; `--after-seq N` takes only documents changed after N (all lines of their current
//! journal, so a consumer replaces its rows of those documents).

use crate::error::{AppError, ErrorCode};
use crate::export::Output;
use crate::workspace::Workspace;
use arrow_array::builder::{
    Date32Builder, Decimal128Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use folio_domain::Currency;
use folio_store::{LineFilter, LineRow, LineVisitor, LinesSnapshot};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use ts_rs::TS;

/// Rows per Parquet record batch (and row group): the most rows held in memory at once.
pub const BATCH_ROWS: usize = 65_536;

/// The formats of `folio export lines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinesFormat {
    Csv,
    Parquet,
}

impl LinesFormat {
    pub fn parse(text: &str) -> Result<LinesFormat, AppError> {
        match text {
            "csv" => Ok(LinesFormat::Csv),
            "parquet" => Ok(LinesFormat::Parquet),
            _ => Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("--format '{text}' is not a lines format (csv or parquet)"),
            )),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            LinesFormat::Csv => "csv",
            LinesFormat::Parquet => "parquet",
        }
    }
}

/// What `folio export lines` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LinesExportReport {
    /// `csv` or `parquet`.
    pub format: String,
    /// Rows written (journal lines).
    #[ts(type = "number")]
    pub rows: u64,
    /// Documents they belong to.
    #[ts(type = "number")]
    pub documents: u64,
    /// The filter: documents changed after this sequence number.
    #[ts(type = "number | null")]
    pub after_seq: Option<i64>,
    /// The filter: journals dated on or after this (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// The workspace's change sequence when it was read: the next export's `--after-seq`.
    #[ts(type = "number")]
    pub last_seq: i64,
    /// The dimension columns (`dim_<code>`).
    pub dimensions: Vec<String>,
    /// The Parquet decimal scale of the amount columns; none for CSV, where each amount has its
    /// currency's own minor units.
    pub amount_scale: Option<u32>,
    /// The file written, or none for standard output.
    pub path: Option<String>,
}

/// The first dimension-independent columns, in order (see `docs/export-lines.md`).
pub const LEADING_COLUMNS: &[&str] = &[
    "change_seq",
    "document_id",
    "document_number",
    "doc_type",
    "vendor_name",
    "vendor_vat_id",
    "issue_date",
    "due_date",
    "journal_id",
    "journal_version",
    "journal_status",
    "journal_date",
    "line_no",
    "account",
    "account_name",
    "description",
    "side",
    "currency",
    "currency_minor_units",
    "amount",
    "signed_amount",
    "tax_code",
];

/// The columns after the dimension columns.
pub const TRAILING_COLUMNS: &[&str] = &[
    "other_dimensions",
    "suggestion_source",
    "suggestion_confidence",
    "coded_by",
    "approved_by",
    "approved_at",
    "posting_status",
    "gl_reference",
    "gl_id",
];

/// Every column name for the dimension codes `dimensions`.
pub fn column_names(dimensions: &[String]) -> Vec<String> {
    LEADING_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(dimensions.iter().map(|d| format!("dim_{d}")))
        .chain(TRAILING_COLUMNS.iter().map(|c| (*c).to_owned()))
        .collect()
}

/// A canonical decimal text (`-12.5`, `3`) as the integer of its value × 10^`scale`. `None` when
/// it has more decimals than `scale` (it is never rounded) or is not a decimal.
pub fn scaled_integer(text: &str, scale: u32) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || fraction.len() > scale as usize {
        return None;
    }
    let mut value: i128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    for _ in fraction.len()..scale as usize {
        value = value.checked_mul(10)?;
    }
    Some(if negative { -value } else { value })
}

/// Appends `text` (an unsigned canonical decimal) at exactly `scale` decimals, with a minus
/// sign when `negative` and it is not zero. `false` when it has more decimals than `scale`.
fn push_at_scale(out: &mut String, text: &str, scale: u32, negative: bool) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > scale as usize {
        return false;
    }
    let zero = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    if negative && !zero {
        out.push('-');
    }
    out.push_str(whole);
    if scale > 0 {
        out.push('.');
        out.push_str(fraction);
        for _ in fraction.len()..scale as usize {
            out.push('0');
        }
    }
    true
}

fn days_since_epoch(text: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    i32::try_from((date - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days()).ok()
}

/// One row's values as both writers need them: the borrowed row plus what is derived from it.
struct Derived<'a> {
    minor_units: u32,
    negative: bool,
    dims: Vec<Option<Cow<'a, str>>>,
    other: Option<String>,
}

/// A line's values of the known dimensions (in their order), and the others as a JSON object.
type SplitDimensions<'a> = (Vec<Option<Cow<'a, str>>>, Option<String>);

/// Splits a line's dimensions into the known dimension columns and the rest (as a JSON object).
fn split_dimensions<'a>(
    json: &'a str,
    known: &[String],
    what: &dyn Fn() -> String,
) -> Result<SplitDimensions<'a>, AppError> {
    let mut dims = vec![None; known.len()];
    if json == "{}" {
        return Ok((dims, None));
    }
    let map: BTreeMap<Cow<'a, str>, Cow<'a, str>> =
        match serde_json::from_str::<BTreeMap<&'a str, &'a str>>(json) {
            Ok(borrowed) => borrowed
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v)))
                .collect(),
            // Escaped characters cannot be borrowed.
            Err(_) => serde_json::from_str::<BTreeMap<String, String>>(json)
                .map_err(|e| {
                    AppError::new(
                        ErrorCode::WorkspaceCorrupt,
                        format!(
                            "{}: dimensions are not a JSON object of strings: {e}",
                            what()
                        ),
                    )
                })?
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect(),
        };
    let mut other = BTreeMap::new();
    for (key, value) in map {
        match known.iter().position(|k| *k == key) {
            Some(i) => dims[i] = Some(value),
            None => {
                other.insert(key, value);
            }
        }
    }
    let other = (!other.is_empty()).then(|| serde_json::to_string(&other).unwrap_or_default());
    Ok((dims, other))
}

fn corrupt(row: &LineRow<'_>, what: &str) -> AppError {
    AppError::new(
        ErrorCode::WorkspaceCorrupt,
        format!(
            "DOC-{} JNL-{} line {}: {what}",
            row.document_id, row.journal_id, row.line_no
        ),
    )
}

/// Where the rows go.
trait Sink {
    fn start(&mut self, snapshot: &LinesSnapshot) -> Result<(), AppError>;
    fn row(&mut self, row: &LineRow<'_>, derived: &Derived<'_>) -> Result<(), AppError>;
    fn finish(&mut self) -> Result<(), AppError>;
}

/// RFC 4180 CSV: a header row, `\r\n` line ends, fields quoted when they need it.
struct CsvSink<'w> {
    out: &'w mut (dyn Write + Send),
    line: String,
}

fn csv_field(line: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
    line.push(',');
}

impl CsvSink<'_> {
    fn flush_line(&mut self) -> std::io::Result<()> {
        self.line.pop();
        self.line.push_str("\r\n");
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

fn io(e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::Io, format!("writing the export: {e}"))
}

impl Sink for CsvSink<'_> {
    fn start(&mut self, snapshot: &LinesSnapshot) -> Result<(), AppError> {
        for name in column_names(&snapshot.dimensions) {
            csv_field(&mut self.line, &name);
        }
        self.flush_line().map_err(io)
    }

    fn row(&mut self, r: &LineRow<'_>, d: &Derived<'_>) -> Result<(), AppError> {
        let l = &mut self.line;
        let _ = write!(l, "{},DOC-{},", r.change_seq, r.document_id);
        csv_field(l, r.document_number);
        csv_field(l, r.doc_type);
        csv_field(l, r.supplier_name);
        csv_field(l, r.supplier_vat_id.unwrap_or(""));
        csv_field(l, r.issue_date);
        csv_field(l, r.due_date.unwrap_or(""));
        let _ = write!(l, "JNL-{},{},", r.journal_id, r.journal_version);
        csv_field(l, r.journal_status);
        csv_field(l, r.journal_date);
        let _ = write!(l, "{},", r.line_no);
        csv_field(l, r.account);
        csv_field(l, r.account_name.unwrap_or(""));
        csv_field(l, r.description);
        csv_field(l, r.side);
        csv_field(l, r.currency);
        let _ = write!(l, "{},", d.minor_units);
        if !push_at_scale(l, r.amount, d.minor_units, false) {
            return Err(too_precise(r, d.minor_units));
        }
        l.push(',');
        push_at_scale(l, r.amount, d.minor_units, d.negative);
        l.push(',');
        csv_field(l, r.tax_code.unwrap_or(""));
        for value in &d.dims {
            csv_field(l, value.as_deref().unwrap_or(""));
        }
        csv_field(l, d.other.as_deref().unwrap_or(""));
        csv_field(l, r.suggestion_source.unwrap_or(""));
        csv_field(l, r.suggestion_confidence.unwrap_or(""));
        csv_field(l, r.coded_by.unwrap_or(""));
        csv_field(l, r.approved_by.unwrap_or(""));
        csv_field(l, r.approved_at.unwrap_or(""));
        csv_field(l, r.posting_status.unwrap_or(""));
        csv_field(l, r.gl_reference.unwrap_or(""));
        csv_field(l, r.gl_id.unwrap_or(""));
        self.flush_line().map_err(io)
    }

    fn finish(&mut self) -> Result<(), AppError> {
        Ok(())
    }
}

fn too_precise(r: &LineRow<'_>, scale: u32) -> AppError {
    AppError::new(
        ErrorCode::NotExportable,
        format!(
            "DOC-{} JNL-{} line {}: the amount {} {} has more than {scale} decimals; exports never \
             round",
            r.document_id, r.journal_id, r.line_no, r.amount, r.currency
        ),
    )
}

/// The Arrow schema of the export (see `docs/export-lines.md`).
pub fn arrow_schema(dimensions: &[String], amount_scale: u32) -> Schema {
    let scale = i8::try_from(amount_scale).unwrap_or(i8::MAX);
    let amount = DataType::Decimal128(38, scale);
    let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    let mut fields = vec![
        Field::new("change_seq", DataType::Int64, false),
        utf8("document_id", false),
        utf8("document_number", false),
        utf8("doc_type", false),
        utf8("vendor_name", false),
        utf8("vendor_vat_id", true),
        Field::new("issue_date", DataType::Date32, false),
        Field::new("due_date", DataType::Date32, true),
        utf8("journal_id", false),
        Field::new("journal_version", DataType::Int32, false),
        utf8("journal_status", false),
        Field::new("journal_date", DataType::Date32, false),
        Field::new("line_no", DataType::Int32, false),
        utf8("account", false),
        utf8("account_name", true),
        utf8("description", false),
        utf8("side", false),
        utf8("currency", false),
        Field::new("currency_minor_units", DataType::Int32, false),
        Field::new("amount", amount.clone(), false),
        Field::new("signed_amount", amount, false),
        utf8("tax_code", true),
    ];
    fields.extend(dimensions.iter().map(|d| utf8(&format!("dim_{d}"), true)));
    fields.extend([
        utf8("other_dimensions", true),
        utf8("suggestion_source", true),
        Field::new("suggestion_confidence", DataType::Decimal128(4, 3), true),
        utf8("coded_by", true),
        utf8("approved_by", true),
        Field::new(
            "approved_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        utf8("posting_status", true),
        utf8("gl_reference", true),
        utf8("gl_id", true),
    ]);
    Schema::new(fields)
}

/// One builder per column, in schema order.
struct Builders {
    change_seq: Int64Builder,
    document_id: StringBuilder,
    document_number: StringBuilder,
    doc_type: StringBuilder,
    vendor_name: StringBuilder,
    vendor_vat_id: StringBuilder,
    issue_date: Date32Builder,
    due_date: Date32Builder,
    journal_id: StringBuilder,
    journal_version: Int32Builder,
    journal_status: StringBuilder,
    journal_date: Date32Builder,
    line_no: Int32Builder,
    account: StringBuilder,
    account_name: StringBuilder,
    description: StringBuilder,
    side: StringBuilder,
    currency: StringBuilder,
    currency_minor_units: Int32Builder,
    amount: Decimal128Builder,
    signed_amount: Decimal128Builder,
    tax_code: StringBuilder,
    dims: Vec<StringBuilder>,
    other_dimensions: StringBuilder,
    suggestion_source: StringBuilder,
    suggestion_confidence: Decimal128Builder,
    coded_by: StringBuilder,
    approved_by: StringBuilder,
    approved_at: TimestampMicrosecondBuilder,
    posting_status: StringBuilder,
    gl_reference: StringBuilder,
    gl_id: StringBuilder,
}

impl Builders {
    fn new(dimensions: usize, scale: i8) -> Result<Builders, AppError> {
        let s = StringBuilder::new;
        let decimal = |p, s| {
            Decimal128Builder::with_capacity(BATCH_ROWS)
                .with_precision_and_scale(p, s)
                .map_err(arrow_error)
        };
        Ok(Builders {
            change_seq: Int64Builder::with_capacity(BATCH_ROWS),
            document_id: s(),
            document_number: s(),
            doc_type: s(),
            vendor_name: s(),
            vendor_vat_id: s(),
            issue_date: Date32Builder::with_capacity(BATCH_ROWS),
            due_date: Date32Builder::with_capacity(BATCH_ROWS),
            journal_id: s(),
            journal_version: Int32Builder::with_capacity(BATCH_ROWS),
            journal_status: s(),
            journal_date: Date32Builder::with_capacity(BATCH_ROWS),
            line_no: Int32Builder::with_capacity(BATCH_ROWS),
            account: s(),
            account_name: s(),
            description: s(),
            side: s(),
            currency: s(),
            currency_minor_units: Int32Builder::with_capacity(BATCH_ROWS),
            amount: decimal(38, scale)?,
            signed_amount: decimal(38, scale)?,
            tax_code: s(),
            dims: (0..dimensions).map(|_| s()).collect(),
            other_dimensions: s(),
            suggestion_source: s(),
            suggestion_confidence: decimal(4, 3)?,
            coded_by: s(),
            approved_by: s(),
            approved_at: TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)
                .with_timezone("UTC"),
            posting_status: s(),
            gl_reference: s(),
            gl_id: s(),
        })
    }

    /// The batch so far as arrays in schema order; the builders start empty again.
    fn finish(&mut self) -> Vec<ArrayRef> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.change_seq.finish()),
            Arc::new(self.document_id.finish()),
            Arc::new(self.document_number.finish()),
            Arc::new(self.doc_type.finish()),
            Arc::new(self.vendor_name.finish()),
            Arc::new(self.vendor_vat_id.finish()),
            Arc::new(self.issue_date.finish()),
            Arc::new(self.due_date.finish()),
            Arc::new(self.journal_id.finish()),
            Arc::new(self.journal_version.finish()),
            Arc::new(self.journal_status.finish()),
            Arc::new(self.journal_date.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.account.finish()),
            Arc::new(self.account_name.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.side.finish()),
            Arc::new(self.currency.finish()),
            Arc::new(self.currency_minor_units.finish()),
            Arc::new(self.amount.finish()),
            Arc::new(self.signed_amount.finish()),
            Arc::new(self.tax_code.finish()),
        ];
        for dim in &mut self.dims {
            columns.push(Arc::new(dim.finish()));
        }
        columns.extend::<[ArrayRef; 9]>([
            Arc::new(self.other_dimensions.finish()),
            Arc::new(self.suggestion_source.finish()),
            Arc::new(self.suggestion_confidence.finish()),
            Arc::new(self.coded_by.finish()),
            Arc::new(self.approved_by.finish()),
            Arc::new(self.approved_at.finish()),
            Arc::new(self.posting_status.finish()),
            Arc::new(self.gl_reference.finish()),
            Arc::new(self.gl_id.finish()),
        ]);
        columns
    }
}

fn arrow_error(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Io, format!("writing Parquet: {e}"))
}

struct ParquetSink<'w> {
    out: Option<&'w mut (dyn Write + Send)>,
    writer: Option<ArrowWriter<&'w mut (dyn Write + Send)>>,
    schema: Option<SchemaRef>,
    builders: Option<Builders>,
    scale: u32,
    rows: usize,
    /// File metadata: the filter and the snapshot's sequence.
    metadata: Vec<KeyValue>,
    buffer: String,
    /// The last `approved_at` text and its value (consecutive lines share their journal's).
    approved: (String, Option<i64>),
}

impl ParquetSink<'_> {
    fn flush_batch(&mut self) -> Result<(), AppError> {
        let (Some(builders), Some(schema), Some(writer)) =
            (&mut self.builders, &self.schema, &mut self.writer)
        else {
            return Ok(());
        };
        if self.rows == 0 {
            return Ok(());
        }
        let batch =
            RecordBatch::try_new(Arc::clone(schema), builders.finish()).map_err(arrow_error)?;
        writer.write(&batch).map_err(arrow_error)?;
        self.rows = 0;
        Ok(())
    }
}

fn opt_str(b: &mut StringBuilder, value: Option<&str>) {
    match value {
        Some(v) => b.append_value(v),
        None => b.append_null(),
    }
}

impl Sink for ParquetSink<'_> {
    fn start(&mut self, snapshot: &LinesSnapshot) -> Result<(), AppError> {
        self.scale = amount_scale(snapshot);
        let schema = Arc::new(arrow_schema(&snapshot.dimensions, self.scale));
        self.metadata.push(KeyValue::new(
            "folio.last_seq".to_owned(),
            snapshot.last_seq.to_string(),
        ));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            .set_key_value_metadata(Some(self.metadata.clone()))
            .build();
        let out = self
            .out
            .take()
            .ok_or_else(|| arrow_error("started twice"))?;
        self.writer =
            Some(ArrowWriter::try_new(out, Arc::clone(&schema), Some(props)).map_err(arrow_error)?);
        self.builders = Some(Builders::new(
            snapshot.dimensions.len(),
            i8::try_from(self.scale).unwrap_or(i8::MAX),
        )?);
        self.schema = Some(schema);
        Ok(())
    }

    fn row(&mut self, r: &LineRow<'_>, d: &Derived<'_>) -> Result<(), AppError> {
        let scale = self.scale;
        let b = self
            .builders
            .as_mut()
            .ok_or_else(|| arrow_error("a row before the start"))?;
        let buf = &mut self.buffer;
        let date = |text: &str| {
            days_since_epoch(text).ok_or_else(|| corrupt(r, "a date is not YYYY-MM-DD"))
        };
        b.change_seq.append_value(r.change_seq);
        buf.clear();
        let _ = write!(buf, "DOC-{}", r.document_id);
        b.document_id.append_value(&*buf);
        b.document_number.append_value(r.document_number);
        b.doc_type.append_value(r.doc_type);
        b.vendor_name.append_value(r.supplier_name);
        opt_str(&mut b.vendor_vat_id, r.supplier_vat_id);
        b.issue_date.append_value(date(r.issue_date)?);
        b.due_date.append_option(r.due_date.map(date).transpose()?);
        buf.clear();
        let _ = write!(buf, "JNL-{}", r.journal_id);
        b.journal_id.append_value(&*buf);
        b.journal_version
            .append_value(i32::try_from(r.journal_version).unwrap_or(i32::MAX));
        b.journal_status.append_value(r.journal_status);
        b.journal_date.append_value(date(r.journal_date)?);
        b.line_no
            .append_value(i32::try_from(r.line_no).unwrap_or(i32::MAX));
        b.account.append_value(r.account);
        opt_str(&mut b.account_name, r.account_name);
        b.description.append_value(r.description);
        b.side.append_value(r.side);
        b.currency.append_value(r.currency);
        b.currency_minor_units
            .append_value(i32::try_from(d.minor_units).unwrap_or(i32::MAX));
        if d.minor_units > scale {
            return Err(too_precise(r, scale));
        }
        let amount = scaled_integer(r.amount, scale).ok_or_else(|| too_precise(r, scale))?;
        b.amount.append_value(amount);
        b.signed_amount
            .append_value(if d.negative { -amount } else { amount });
        opt_str(&mut b.tax_code, r.tax_code);
        for (builder, value) in b.dims.iter_mut().zip(&d.dims) {
            opt_str(builder, value.as_deref());
        }
        opt_str(&mut b.other_dimensions, d.other.as_deref());
        opt_str(&mut b.suggestion_source, r.suggestion_source);
        b.suggestion_confidence.append_option(
            r.suggestion_confidence
                .map(|c| {
                    scaled_integer(c, 3).ok_or_else(|| corrupt(r, "confidence is not a decimal"))
                })
                .transpose()?,
        );
        opt_str(&mut b.coded_by, r.coded_by);
        opt_str(&mut b.approved_by, r.approved_by);
        let approved_at = match r.approved_at {
            None => None,
            Some(text) if text == self.approved.0 => self.approved.1,
            Some(text) => {
                let micros = chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|_| corrupt(r, "approved_at is not RFC 3339"))?
                    .timestamp_micros();
                self.approved = (text.to_owned(), Some(micros));
                Some(micros)
            }
        };
        b.approved_at.append_option(approved_at);
        opt_str(&mut b.posting_status, r.posting_status);
        opt_str(&mut b.gl_reference, r.gl_reference);
        opt_str(&mut b.gl_id, r.gl_id);
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AppError> {
        self.flush_batch()?;
        if let Some(writer) = self.writer.take() {
            writer.close().map_err(arrow_error)?;
        }
        Ok(())
    }
}

/// The Parquet scale of the amount columns: the most minor units of the currencies exported (2
/// when there are none).
fn amount_scale(snapshot: &LinesSnapshot) -> u32 {
    snapshot
        .currencies
        .iter()
        .filter_map(|c| Currency::parse(c).ok())
        .map(|c| c.minor_units())
        .max()
        .unwrap_or(2)
}

/// Feeds the store's rows to a sink, deriving what both sinks need once.
struct Visitor<'s> {
    sink: Box<dyn Sink + 's>,
    dimensions: Vec<String>,
    /// The last currency code and its minor units (rows of a journal share one).
    currency: (String, u32),
    rows: u64,
    documents: u64,
    last_document: Option<i64>,
}

impl LineVisitor for Visitor<'_> {
    type Error = AppError;

    fn start(&mut self, snapshot: &LinesSnapshot) -> Result<(), AppError> {
        self.dimensions.clone_from(&snapshot.dimensions);
        self.sink.start(snapshot)
    }

    fn row(&mut self, row: &LineRow<'_>) -> Result<(), AppError> {
        if self.currency.0 != row.currency {
            let currency =
                Currency::parse(row.currency).map_err(|_| corrupt(row, "unknown currency"))?;
            self.currency = (row.currency.to_owned(), currency.minor_units());
        }
        let what = || {
            format!(
                "DOC-{} JNL-{} line {}",
                row.document_id, row.journal_id, row.line_no
            )
        };
        let (dims, other) = split_dimensions(row.dimensions_json, &self.dimensions, &what)?;
        let derived = Derived {
            minor_units: self.currency.1,
            negative: row.side == "credit",
            dims,
            other,
        };
        self.sink.row(row, &derived)?;
        self.rows += 1;
        if self.last_document != Some(row.document_id) {
            self.documents += 1;
            self.last_document = Some(row.document_id);
        }
        Ok(())
    }
}

impl Workspace {
    /// `folio export lines`: one row per line of each document's current journal, streamed to
    /// `out` (or standard output) as CSV or Parquet. `after_seq` takes only documents changed
    /// after that sequence number, `since` only journals dated on or after it.
    pub fn export_lines(
        &self,
        format: LinesFormat,
        since: Option<&str>,
        after_seq: Option<i64>,
        out: Option<&Path>,
    ) -> Result<LinesExportReport, AppError> {
        let since_date = since
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    AppError::new(
                        ErrorCode::InvalidInput,
                        format!("--since '{text}' is not a date (expected YYYY-MM-DD)"),
                    )
                })
            })
            .transpose()?;
        if let Some(seq) = after_seq
            && seq < 0
        {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!("--after-seq {seq} is negative; sequence numbers start at 1"),
            ));
        }
        let filter = LineFilter {
            after_seq,
            since: since_date,
        };
        let mut output = Output::open(out)?;
        let snapshot = {
            let writer = output.writer();
            let mut metadata = Vec::new();
            if let Some(seq) = after_seq {
                metadata.push(KeyValue::new("folio.after_seq".to_owned(), seq.to_string()));
            }
            if let Some(since) = since {
                metadata.push(KeyValue::new("folio.since".to_owned(), since.to_owned()));
            }
            let sink: Box<dyn Sink + '_> = match format {
                LinesFormat::Csv => Box::new(CsvSink {
                    out: writer,
                    line: String::with_capacity(512),
                }),
                LinesFormat::Parquet => Box::new(ParquetSink {
                    out: Some(writer),
                    writer: None,
                    schema: None,
                    builders: None,
                    scale: 0,
                    rows: 0,
                    metadata,
                    buffer: String::new(),
                    approved: (String::new(), None),
                }),
            };
            let mut visitor = Visitor {
                sink,
                dimensions: Vec::new(),
                currency: (String::new(), 0),
                rows: 0,
                documents: 0,
                last_document: None,
            };
            let snapshot = self.store.export_lines(&filter, &mut visitor)?;
            visitor.sink.finish()?;
            (snapshot, visitor.rows, visitor.documents)
        };
        let (snapshot, rows, documents) = snapshot;
        let scale = match format {
            LinesFormat::Csv => None,
            LinesFormat::Parquet => Some(amount_scale(&snapshot)),
        };
        output.finish()?;
        Ok(LinesExportReport {
            format: format.as_str().to_owned(),
            rows,
            documents,
            after_seq,
            since: since.map(str::to_owned),
            last_seq: snapshot.last_seq,
            dimensions: snapshot.dimensions,
            amount_scale: scale,
            path: out.map(|p| p.display().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_scale_exactly_or_not_at_all() {
        let cases: &[(&str, u32, Option<i128>)] = &[
            ("1480", 2, Some(148_000)),
            ("1480.5", 2, Some(148_050)),
            ("-0.07", 2, Some(-7)),
            ("138550", 0, Some(138_550)),
            ("0.125", 3, Some(125)),
            ("0.125", 2, None),
            ("12.", 2, Some(1200)),
            ("abc", 2, None),
            ("", 2, None),
            ("99999999999999999999999999999999999999999", 2, None),
        ];
        for (text, scale, expected) in cases {
            assert_eq!(scaled_integer(text, *scale), *expected, "{text} at {scale}");
        }
        let mut out = String::new();
        assert!(push_at_scale(&mut out, "1480.5", 2, true));
        out.push(' ');
        assert!(push_at_scale(&mut out, "0", 2, true));
        out.push(' ');
        assert!(push_at_scale(&mut out, "138550", 0, false));
        assert_eq!(out, "-1480.50 0.00 138550");
        assert!(!push_at_scale(&mut out, "0.125", 2, false));
    }

    #[test]
    fn known_dimensions_get_columns_and_the_rest_stays_json() {
        let known = vec!["cost_centre".to_owned(), "project".to_owned()];
        let what = || "x".to_owned();
        let (dims, other) = split_dimensions(
            r#"{"cost_centre":"CC-100","region":"Nord \"1\""}"#,
            &known,
            &what,
        )
        .unwrap();
        assert_eq!(dims[0].as_deref(), Some("CC-100"));
        assert_eq!(dims[1], None);
        assert_eq!(other.as_deref(), Some(r#"{"region":"Nord \"1\""}"#));
        let (dims, other) = split_dimensions("{}", &known, &what).unwrap();
        assert_eq!((dims, other), (vec![None, None], None));
        assert!(split_dimensions("[1]", &known, &what).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_when_they_need_it() {
        let mut line = String::new();
        for v in ["plain", "a,b", "say \"hi\"", "two\nlines", ""] {
            csv_field(&mut line, v);
        }
        assert_eq!(line, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,");
    }

    #[test]
    fn the_schema_has_every_column_in_order() {
        let dims = vec!["cost_centre".to_owned()];
        let schema = arrow_schema(&dims, 2);
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, column_names(&dims));
        assert_eq!(
            schema.field_with_name("amount").unwrap().data_type(),
            &DataType::Decimal128(38, 2)
        );
    }
}
