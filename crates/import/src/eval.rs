//! Agreement of Folio's importer with the shared corpus's catalogue (`catalogue.csv`): which files
//! import, whether they import with the catalogue's currency, line count and amount due, and how
//! well the rule ids Folio reports agree with the rule-labelled test files.
//!
//! This lives in the library (not in a test) so that the same figures come from `folio eval
//! import DIR` for anyone, and from the corpus test that CI runs. Definitions:
//!
//! - *expected invalid*: `expected_from_path` is `invalid`. Such a file is *flagged* when it is
//!   rejected with a reason or imported with at least one problem naming a rule ([`names_rule`]).
//! - *rule-labelled*: an expected-invalid file whose `expected_rules` / `rule_in_name` name rule
//!   ids. It *agrees* when Folio reports one of those ids (or, for a file labelled only with rules
//!   of a family Folio does not implement, it is at least flagged — counted apart).
//! - *false alarm*: an error-severity problem, or a rejection, on a file expected valid.
//! - *field agreement*: for files not expected invalid whose catalogue row has the fields,
//!   currency, number of lines and amount due equal the catalogue's exactly.

use crate::{Imported, import_bytes};
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a catalogue could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Catalogue(String),
}

/// One catalogue row Folio evaluates (XML and PDF files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueRow {
    pub source: String,
    pub path: String,
    pub ext: String,
    pub syntax: String,
    pub currency: String,
    pub lines: String,
    pub payable: String,
    /// `valid`, `invalid`, `warning` or empty.
    pub expected: String,
    /// Rule ids from `expected_rules` and `rule_in_name`.
    pub rules: Vec<String>,
}

impl CatalogueRow {
    /// `source/path`, as the file is found below the catalogue's folder.
    pub fn name(&self) -> String {
        format!("{}/{}", self.source, self.path)
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileResult {
    pub file: String,
    /// The catalogue's syntax (`UBL`, `CII`, `PDF/A-3+CII`, `other-xml`, …).
    pub syntax: String,
    pub expected: String,
    pub expected_rules: Vec<String>,
    /// `imported` or `rejected`.
    pub outcome: &'static str,
    /// The rejection code, when rejected.
    pub rejection: Option<String>,
    pub reason: Option<String>,
    /// Rule ids (and other problem codes) Folio reported, errors first, without repeats.
    pub codes: Vec<String>,
    pub errors: usize,
    /// Rejected or imported with a problem naming a rule.
    pub flagged: bool,
    /// For rule-labelled files: Folio reported one of the expected rule ids.
    pub expected_rule_flagged: Option<bool>,
    /// An error or rejection on a file expected valid.
    pub false_alarm: bool,
    /// Differences from the catalogue's currency, lines and amount due (`None`: not compared).
    pub field_mismatch: Option<Vec<String>>,
    pub micros: u128,
}

/// The figures over a whole catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub xml_files: usize,
    pub pdf_files: usize,
    pub expected_valid: usize,
    pub expected_invalid: usize,
    pub unlabelled: usize,
    /// Expected-invalid files flagged (rejected, or a problem naming a rule).
    pub invalid_flagged: usize,
    /// Expected-invalid files carrying rule ids.
    pub rule_labelled: usize,
    /// … of which Folio reports one of the expected rule ids.
    pub rule_agreed: usize,
    /// Files expected valid with an error or a rejection.
    pub false_alarms: usize,
    /// Unlabelled files with an error or a rejection (for a look, not a failure).
    pub unlabelled_flagged: usize,
    /// Files whose fields were compared with the catalogue, and how many matched.
    pub fields_compared: usize,
    pub fields_matched: usize,
    pub total_micros: u128,
    pub total_bytes: usize,
}

/// Everything `eval_corpus` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvalReport {
    pub summary: Summary,
    pub files: Vec<FileResult>,
    /// Plain-PDF field accuracy on the invoice2data PDFs ([`crate::eval_pdf`]), when the corpus
    /// has them.
    pub pdf_text: Option<crate::eval_pdf::PdfTextReport>,
}

impl EvalReport {
    /// Share of rule-labelled files whose expected rule Folio reports, in percent (one decimal).
    pub fn rule_agreement_percent(&self) -> Decimal {
        percent(self.summary.rule_agreed, self.summary.rule_labelled)
    }

    /// Share of expected-invalid files flagged, in percent.
    pub fn invalid_flagged_percent(&self) -> Decimal {
        percent(self.summary.invalid_flagged, self.summary.expected_invalid)
    }
}

pub(crate) fn percent(part: usize, whole: usize) -> Decimal {
    if whole == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole)).round_dp(1)
}

/// True for problem codes that name a business, profile, PDF/A or schema rule (`BR-…`,
/// `PEPPOL-…`, `FX-…`, `XSD-…`), as opposed to Folio's notes about how it read a file
/// (`TEXT_LINE`, `PDF_EMBEDDED_XML`, …).
pub fn names_rule(code: &str) -> bool {
    ["BR-", "PEPPOL-", "FX-", "XSD-"]
        .iter()
        .any(|prefix| code.starts_with(prefix))
}

/// An RFC 4180 reader (quoted fields, doubled quotes, commas and newlines inside quotes): the
/// tabular importer's splitter, fields as text.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    crate::tabular::sheet::split_delimited(text, ',')
        .into_iter()
        .map(|row| {
            row.cells
                .iter()
                .map(crate::tabular::sheet::Cell::shown)
                .collect()
        })
        .collect()
}

/// The XML and PDF rows of `DIR/catalogue.csv`.
pub fn read_catalogue(dir: &Path) -> Result<Vec<CatalogueRow>, EvalError> {
    let path = dir.join("catalogue.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
        path: path.clone(),
        source,
    })?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows
        .next()
        .ok_or_else(|| EvalError::Catalogue(format!("{} is empty", path.display())))?;
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            EvalError::Catalogue(format!("{} has no column '{name}'", path.display()))
        })
    };
    let cols = [
        col("source")?,
        col("path")?,
        col("ext")?,
        col("syntax")?,
        col("currency")?,
        col("lines")?,
        col("payable_amount")?,
        col("expected_from_path")?,
        col("expected_rules")?,
        col("rule_in_name")?,
    ];
    Ok(rows
        .filter(|r| r.len() == header.len())
        .map(|r| {
            let get = |i: usize| {
                cols.get(i)
                    .and_then(|c| r.get(*c))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let rules = format!("{}|{}", get(8), get(9))
                .split(['|', ' ', ';'])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            CatalogueRow {
                source: get(0),
                path: get(1),
                ext: get(2),
                syntax: get(3),
                currency: get(4),
                lines: get(5),
                payable: get(6),
                expected: get(7),
                rules,
            }
        })
        .filter(|r| r.ext == "xml" || r.ext == "pdf")
        .collect())
}

/// Imports every XML and PDF file of the catalogue in `dir` and measures the agreement.
pub fn eval_corpus(dir: &Path) -> Result<EvalReport, EvalError> {
    let rows = read_catalogue(dir)?;
    let mut report = EvalReport::default();
    for row in &rows {
        let file = dir.join(&row.source).join(&row.path);
        let bytes = std::fs::read(&file).map_err(|source| EvalError::Io {
            path: file.clone(),
            source,
        })?;
        let started = Instant::now();
        let result = import_bytes(&bytes);
        let micros = started.elapsed().as_micros();
        let s = &mut report.summary;
        s.total_micros += micros;
        s.total_bytes += bytes.len();
        let file_result = evaluate(row, &result, micros);
        s.files += 1;
        if row.ext == "pdf" {
            s.pdf_files += 1;
        } else {
            s.xml_files += 1;
        }
        match row.expected.as_str() {
            "invalid" => {
                s.expected_invalid += 1;
                s.invalid_flagged += usize::from(file_result.flagged);
                if let Some(agreed) = file_result.expected_rule_flagged {
                    s.rule_labelled += 1;
                    s.rule_agreed += usize::from(agreed);
                }
            }
            "valid" => s.expected_valid += 1,
            _ => {
                s.unlabelled += 1;
                s.unlabelled_flagged +=
                    usize::from(file_result.errors > 0 || file_result.outcome == "rejected");
            }
        }
        s.false_alarms += usize::from(file_result.false_alarm);
        if let Some(mismatch) = &file_result.field_mismatch {
            s.fields_compared += 1;
            s.fields_matched += usize::from(mismatch.is_empty());
        }
        report.files.push(file_result);
    }
    report.pdf_text = crate::eval_pdf::eval_pdf_text(dir)?;
    Ok(report)
}

/// Judges one file's import against its catalogue row.
pub fn evaluate(
    row: &CatalogueRow,
    result: &Result<Imported, crate::Rejection>,
    micros: u128,
) -> FileResult {
    let invalid = row.expected == "invalid";
    let mut out = FileResult {
        file: row.name(),
        syntax: row.syntax.clone(),
        expected: row.expected.clone(),
        expected_rules: row.rules.clone(),
        outcome: "imported",
        rejection: None,
        reason: None,
        codes: Vec::new(),
        errors: 0,
        flagged: false,
        expected_rule_flagged: None,
        false_alarm: false,
        field_mismatch: None,
        micros,
    };
    match result {
        Err(rejection) => {
            out.outcome = "rejected";
            out.rejection = Some(rejection.code.to_owned());
            out.reason = Some(rejection.reason.clone());
            out.flagged = true;
            out.false_alarm = row.expected == "valid";
        }
        Ok(imported) => {
            let mut problems: Vec<_> = imported.problems.iter().collect();
            problems.sort_by_key(|p| p.severity);
            for p in problems {
                if !out.codes.contains(&p.code) {
                    out.codes.push(p.code.clone());
                }
            }
            out.errors = imported.problems.iter().filter(|p| p.is_error()).count();
            out.flagged = imported.problems.iter().any(|p| names_rule(&p.code));
            out.false_alarm = row.expected == "valid" && out.errors > 0;
            if !invalid && !row.payable.is_empty() {
                out.field_mismatch = Some(compare_fields(row, imported));
            }
        }
    }
    if invalid && !row.rules.is_empty() {
        out.expected_rule_flagged = Some(row.rules.iter().any(|r| out.codes.contains(r)));
    }
    out
}

fn compare_fields(row: &CatalogueRow, imported: &Imported) -> Vec<String> {
    let doc = &imported.document;
    let mut wrong = Vec::new();
    if !row.currency.is_empty() && doc.currency.code() != row.currency {
        wrong.push(format!(
            "currency {} != {}",
            doc.currency.code(),
            row.currency
        ));
    }
    if !row.lines.is_empty() && doc.lines.len().to_string() != row.lines {
        wrong.push(format!("lines {} != {}", doc.lines.len(), row.lines));
    }
    let expected: Option<Decimal> = row.payable.parse().ok();
    if expected != Some(doc.totals.payable) {
        wrong.push(format!("payable {} != {}", doc.totals.payable, row.payable));
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_newlines() {
        let rows = parse_csv("a,\"b,c\",\"d\"\"e\"\n1,\"x\ny\",3\n");
        assert_eq!(rows, [vec!["a", "b,c", "d\"e"], vec!["1", "x\ny", "3"]]);
    }

    #[test]
    fn rule_codes() {
        assert!(names_rule("BR-CO-10"));
        assert!(names_rule("BR-DE-15"));
        assert!(names_rule("FX-PDFA-03"));
        assert!(names_rule("XSD-04"));
        assert!(!names_rule("TEXT_LINE"));
        assert!(!names_rule("PDF_EMBEDDED_XML"));
    }

    #[test]
    fn percent_rounds_to_one_decimal() {
        assert_eq!(percent(2, 3), Decimal::new(667, 1));
        assert_eq!(percent(0, 0), Decimal::ZERO);
    }
}
