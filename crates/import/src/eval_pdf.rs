//! How well plain PDFs are read: every PDF of the corpus's invoice2data folder
//! (`invoice2data/tests/compare/*.pdf`) that has an expected-fields JSON beside it is imported,
//! and the fields Folio read are compared with the JSON — which is read here and nowhere else (the
//! templates in `rules/templates/` were written from the PDFs' text, never from these files).
//!
//! Compared, when the JSON states them: supplier (`issuer`, or `partner_name`, the legal name),
//! invoice number (`invoice_number`), issue date (`date`), due date (`date_due`), currency, net
//! (`amount_untaxed`), VAT (`amount_tax`) and total (`amount`). "Exactly right" means: the same
//! text ignoring case and runs of white space, the same date, the same decimal amount. PDFs that
//! carry an e-invoice are reported apart (they are read from their XML, not their text). The
//! figure is measured twice: with the vendor templates, and with the generic heuristics alone
//! (what an invoice from a supplier without a template gets).

use crate::pdftext::{self, Templates};
use crate::{Imported, Rejection, import_bytes};
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::Path;
use std::str::FromStr;

/// The fields compared, in report order.
pub const FIELDS: &[&str] = &[
    "supplier",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "net",
    "vat",
    "total",
];

/// One compared field of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldResult {
    pub field: &'static str,
    pub expected: String,
    /// What Folio read (`None`: not read, or the file was rejected).
    pub got: Option<String>,
    pub right: bool,
}

/// One PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfFileResult {
    pub file: String,
    /// `pdf_text`, the e-invoice syntax (`ubl`, `cii`, …) or `rejected`.
    pub read_as: String,
    pub template: Option<String>,
    pub rejection: Option<String>,
    pub fields: Vec<FieldResult>,
    /// `LOW_CONFIDENCE_FIELD` warnings, by field.
    pub low_confidence: Vec<String>,
}

/// Right / compared for one field over all files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldTally {
    pub field: &'static str,
    pub right: usize,
    pub compared: usize,
}

/// The whole measurement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PdfTextReport {
    /// Plain PDFs (no e-invoice inside) with expected fields.
    pub plain_pdfs: usize,
    /// Fields exactly right / compared on the plain PDFs, with the vendor templates.
    pub right: usize,
    pub compared: usize,
    /// The same with the generic heuristics only (no templates).
    pub heuristics_right: usize,
    pub per_field: Vec<FieldTally>,
    /// Fields of the compared plain PDFs flagged `LOW_CONFIDENCE_FIELD`, and how many of those
    /// were indeed wrong.
    pub low_confidence: usize,
    pub low_confidence_wrong: usize,
    /// Wrong fields that carried no low-confidence warning (silent errors).
    pub wrong_without_warning: usize,
    pub files: Vec<PdfFileResult>,
    /// Hybrid PDFs (read from their e-invoice), compared the same way, reported apart.
    pub hybrid_files: Vec<PdfFileResult>,
}

impl PdfTextReport {
    /// Share of fields exactly right on plain PDFs with templates, in percent (one decimal).
    pub fn percent(&self) -> Decimal {
        crate::eval::percent(self.right, self.compared)
    }

    /// The same with the generic heuristics alone.
    pub fn heuristics_percent(&self) -> Decimal {
        crate::eval::percent(self.heuristics_right, self.compared)
    }
}

fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// A JSON value as text (numbers as written, strings as they are).
fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What the document says for each field, as text.
fn read_fields(imported: &Imported) -> Vec<(&'static str, Option<String>)> {
    let d = &imported.document;
    vec![
        ("supplier", Some(d.supplier.name.clone())),
        ("number", Some(d.number.clone())),
        ("issue_date", Some(d.issue_date.to_string())),
        ("due_date", d.due_date.map(|x| x.to_string())),
        ("currency", Some(d.currency.code().to_owned())),
        ("net", Some(d.totals.tax_exclusive.to_string())),
        ("vat", d.totals.tax_total.map(|x| x.to_string())),
        ("total", Some(d.totals.payable.to_string())),
    ]
}

fn compare(
    expected: &serde_json::Map<String, serde_json::Value>,
    result: &Result<Imported, Rejection>,
) -> Vec<FieldResult> {
    let got = result.as_ref().ok().map(read_fields).unwrap_or_default();
    let got_of = |field: &str| {
        got.iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for &field in FIELDS {
        let keys: &[&str] = match field {
            "supplier" => &["issuer", "partner_name"],
            "number" => &["invoice_number"],
            "issue_date" => &["date"],
            "due_date" => &["date_due"],
            "currency" => &["currency"],
            "net" => &["amount_untaxed"],
            "vat" => &["amount_tax"],
            _ => &["amount"],
        };
        let wanted: Vec<String> = keys
            .iter()
            .filter_map(|k| expected.get(*k).and_then(json_text))
            .collect();
        let Some(first) = wanted.first() else {
            continue;
        };
        let value = got_of(field);
        let right = value.as_deref().is_some_and(|v| {
            wanted.iter().any(|w| match field {
                "net" | "vat" | "total" => Decimal::from_str(w).ok() == Decimal::from_str(v).ok(),
                _ => same_text(w, v),
            })
        });
        out.push(FieldResult {
            field,
            expected: first.clone(),
            got: value,
            right,
        });
    }
    out
}

/// Imports every invoice2data PDF below `corpus` (the folder holding `catalogue.csv`) that has an
/// expected JSON, and compares. `Ok(None)` when the folder has no invoice2data PDFs.
pub fn eval_pdf_text(corpus: &Path) -> Result<Option<PdfTextReport>, crate::eval::EvalError> {
    let dir = corpus.join("invoice2data/tests/compare");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut pdfs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pdf") && p.with_extension("json").is_file())
        .collect();
    pdfs.sort();
    let io = |path: &Path, source| crate::eval::EvalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut report = PdfTextReport {
        per_field: FIELDS
            .iter()
            .map(|f| FieldTally {
                field: f,
                ..FieldTally::default()
            })
            .collect(),
        ..PdfTextReport::default()
    };
    for path in pdfs {
        let json_path = path.with_extension("json");
        let json = std::fs::read_to_string(&json_path).map_err(|e| io(&json_path, e))?;
        let expected: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
            crate::eval::EvalError::Catalogue(format!("{}: {e}", json_path.display()))
        })?;
        let Some(expected) = expected
            .as_array()
            .and_then(|a| a.first())
            .or(Some(&expected))
            .and_then(|v| v.as_object())
        else {
            continue;
        };
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        let result = import_bytes(&bytes);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let plain = match &result {
            Ok(imported) => imported.document.syntax == folio_domain::Syntax::PdfText,
            Err(_) => !has_attachment(&bytes),
        };
        let fields = compare(expected, &result);
        let low_confidence: Vec<String> = result
            .as_ref()
            .map(|i| {
                i.problems
                    .iter()
                    .filter(|p| p.code == "LOW_CONFIDENCE_FIELD")
                    .map(|p| p.field.clone())
                    .collect()
            })
            .unwrap_or_default();
        let file = PdfFileResult {
            file: name,
            read_as: match &result {
                Ok(i) => i.document.syntax.as_str().to_owned(),
                Err(_) => "rejected".to_owned(),
            },
            template: result.as_ref().ok().and_then(|i| {
                i.problems
                    .iter()
                    .find(|p| p.code == "PDF_TEXT")
                    .and_then(|p| p.message.split("template ").nth(1))
                    .and_then(|t| t.split_whitespace().next())
                    .map(str::to_owned)
            }),
            rejection: result
                .as_ref()
                .err()
                .map(|r| format!("[{}] {}", r.code, r.reason)),
            fields,
            low_confidence,
        };
        if !plain {
            report.hybrid_files.push(file);
            continue;
        }
        report.plain_pdfs += 1;
        // The same file with the generic heuristics only.
        let heuristic = crate::pdf::extract_text(&bytes)
            .and_then(|text| pdftext::import_text(&text, &Templates::default()).ok());
        let heuristic_fields = compare(
            expected,
            &heuristic.ok_or_else(|| Rejection::new(crate::codes::MISSING_FIELD, "not read")),
        );
        report.heuristics_right += heuristic_fields.iter().filter(|f| f.right).count();
        for f in &file.fields {
            report.compared += 1;
            report.right += usize::from(f.right);
            if let Some(tally) = report.per_field.iter_mut().find(|t| t.field == f.field) {
                tally.compared += 1;
                tally.right += usize::from(f.right);
            }
            let field_name = match f.field {
                "supplier" => "supplier.name",
                "net" => "totals.tax_exclusive",
                "vat" => "totals.tax_total",
                "total" => "totals.payable",
                other => other,
            };
            let flagged = file.low_confidence.iter().any(|l| l == field_name);
            report.low_confidence += usize::from(flagged);
            report.low_confidence_wrong += usize::from(flagged && !f.right);
            report.wrong_without_warning += usize::from(!flagged && !f.right);
        }
        report.files.push(file);
    }
    Ok(Some(report))
}

fn has_attachment(bytes: &[u8]) -> bool {
    crate::sniff::find(bytes, b"/EmbeddedFile").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_compare_without_case_or_spacing() {
        assert!(same_text("Coolblue  B.V.", "coolblue b.v."));
        assert!(!same_text("Free", "Free SAS"));
    }

    #[test]
    fn fields_compare_by_kind() {
        let expected: serde_json::Value = serde_json::json!({
            "issuer": "Acme", "partner_name": "Acme Ltd.", "invoice_number": "INV-7",
            "date": "2024-01-02", "amount": 12.5, "currency": "EUR"
        });
        let imported = pdftext::import_text(
            "Acme Ltd.\nInvoice No: INV-7\nInvoice Date: 02.01.2024\nTotal 12,50 EUR",
            &Templates::default(),
        );
        let fields = compare(expected.as_object().expect("object"), &imported);
        let right: Vec<(&str, bool)> = fields.iter().map(|f| (f.field, f.right)).collect();
        assert_eq!(
            right,
            [
                ("supplier", true),
                ("number", true),
                ("issue_date", true),
                ("currency", true),
                ("total", true)
            ]
        );
    }
}
