//! `folio eval import DIR [--json] [--files]`: imports every XML and PDF file that the corpus
//! catalogue (`DIR/catalogue.csv`) lists and reports how Folio agrees with it: the share of
//! rule-labelled invalid files where Folio reports the expected rule, the expected-invalid files
//! it flags, the false alarms on files expected valid, the field agreement (currency, lines,
//! amount due) and the time taken. It needs no workspace, so anyone can rerun the figures; the
//! measurement itself is `folio_import::eval_corpus`, which the corpus test also asserts on.

use clap::Args;
use folio_import::EvalReport;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The corpus folder holding catalogue.csv (or a shared folder with corpus/invoices/).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// One JSON object (summary and one entry per file) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also list every file with its outcome.
    #[arg(long)]
    files: bool,
}

fn corpus_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("corpus/invoices");
    if !dir.join("catalogue.csv").is_file() && nested.join("catalogue.csv").is_file() {
        nested
    } else {
        dir.to_path_buf()
    }
}

/// Runs the evaluation; exit 0 when it ran, 2 when the catalogue or a file cannot be read.
pub fn run(args: &ImportArgs) -> ExitCode {
    let dir = corpus_dir(&args.dir);
    let report = match folio_import::eval_corpus(&dir) {
        Ok(report) => report,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"code": "EVAL_FAILED", "message": e.to_string()}})
                );
            }
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.json {
        let value = serde_json::json!({
            "dir": dir.display().to_string(),
            "rule_agreement_percent": report.rule_agreement_percent().to_string(),
            "invalid_flagged_percent": report.invalid_flagged_percent().to_string(),
            "summary": report.summary,
            "files": report.files,
            "pdf_text": report.pdf_text.as_ref().map(|p| serde_json::json!({
                "fields_right_percent": p.percent().to_string(),
                "heuristics_right_percent": p.heuristics_percent().to_string(),
                "report": p,
            })),
        });
        println!("{value}");
    } else {
        print_text(&dir, &report, args.files);
    }
    ExitCode::SUCCESS
}

fn print_text(dir: &Path, report: &EvalReport, all_files: bool) {
    let s = &report.summary;
    println!("corpus {}", dir.display());
    println!(
        "files                {} ({} XML, {} PDF): {} expected valid, {} expected invalid, {} \
         unlabelled",
        s.files, s.xml_files, s.pdf_files, s.expected_valid, s.expected_invalid, s.unlabelled
    );
    println!(
        "rule agreement       {}/{} rule-labelled invalid files report the expected rule ({} %)",
        s.rule_agreed,
        s.rule_labelled,
        report.rule_agreement_percent()
    );
    println!(
        "invalid flagged      {}/{} expected-invalid files rejected or with a rule problem ({} %)",
        s.invalid_flagged,
        s.expected_invalid,
        report.invalid_flagged_percent()
    );
    println!(
        "false alarms         {} of {} files expected valid have an error or were rejected",
        s.false_alarms, s.expected_valid
    );
    println!(
        "fields               {}/{} compared files match the catalogue's currency, lines and \
         amount due",
        s.fields_matched, s.fields_compared
    );
    println!(
        "unlabelled flagged   {} of {} unlabelled files have an error or were rejected",
        s.unlabelled_flagged, s.unlabelled
    );
    let millis = s.total_micros / 1000;
    let per_file = s.total_micros / u128::try_from(s.files.max(1)).unwrap_or(1);
    println!(
        "time                 {millis} ms for {} KB ({per_file} µs per file)",
        s.total_bytes / 1000
    );
    if let Some(pdf) = &report.pdf_text {
        print_pdf_text(pdf, all_files);
    }
    for r in &report.files {
        let noteworthy = r.false_alarm
            || r.expected_rule_flagged == Some(false)
            || (r.expected == "invalid" && !r.flagged)
            || r.field_mismatch.as_ref().is_some_and(|m| !m.is_empty());
        if !(noteworthy || all_files) {
            continue;
        }
        let outcome = match (&r.rejection, &r.reason) {
            (Some(code), Some(reason)) => format!("rejected [{code}] {reason}"),
            _ => format!("imported {}", r.codes.join(" ")),
        };
        let mut notes = Vec::new();
        if r.false_alarm {
            notes.push("FALSE ALARM".to_owned());
        }
        if r.expected_rule_flagged == Some(false) {
            notes.push(format!("expected {}", r.expected_rules.join("|")));
        }
        if r.expected == "invalid" && !r.flagged {
            notes.push("invalid, not flagged".to_owned());
        }
        if let Some(m) = r.field_mismatch.as_ref().filter(|m| !m.is_empty()) {
            notes.push(m.join(", "));
        }
        println!(
            "  {} [{}] {}{}",
            r.file,
            if r.expected.is_empty() {
                "-"
            } else {
                &r.expected
            },
            outcome,
            if notes.is_empty() {
                String::new()
            } else {
                format!("  <- {}", notes.join("; "))
            }
        );
    }
}

/// The "pdf_text" section: plain-PDF field accuracy on the invoice2data PDFs.
fn print_pdf_text(pdf: &folio_import::eval_pdf::PdfTextReport, all_files: bool) {
    println!(
        "pdf_text             {}/{} fields of {} plain PDFs exactly right ({} %) with the vendor \
         templates; {}/{} ({} %) with the generic heuristics alone",
        pdf.right,
        pdf.compared,
        pdf.plain_pdfs,
        pdf.percent(),
        pdf.heuristics_right,
        pdf.compared,
        pdf.heuristics_percent()
    );
    let per_field: Vec<String> = pdf
        .per_field
        .iter()
        .filter(|t| t.compared > 0)
        .map(|t| format!("{} {}/{}", t.field, t.right, t.compared))
        .collect();
    println!("  by field           {}", per_field.join(", "));
    println!(
        "  low confidence     {} fields flagged LOW_CONFIDENCE_FIELD ({} of them wrong); {} wrong \
         fields not flagged",
        pdf.low_confidence, pdf.low_confidence_wrong, pdf.wrong_without_warning
    );
    for file in pdf.files.iter().chain(&pdf.hybrid_files) {
        let wrong: Vec<String> = file
            .fields
            .iter()
            .filter(|f| !f.right)
            .map(|f| {
                format!(
                    "{} {:?} (expected {:?})",
                    f.field,
                    f.got.as_deref().unwrap_or("-"),
                    f.expected
                )
            })
            .collect();
        if wrong.is_empty() && !all_files {
            continue;
        }
        println!(
            "  {} [{}{}] {}",
            file.file,
            file.read_as,
            file.template
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            if wrong.is_empty() {
                "all fields right".to_owned()
            } else {
                wrong.join("; ")
            }
        );
    }
}
