//! How the CLI prints: aligned tables for people, one JSON document (or one per line) for programs.

use folio_app::{
    DocumentDetail, DocumentSummary, ImportOutcome, ImportProgress, ImportStatus, ImportSummary,
    InitReport, JournalView,
};
use folio_domain::format::format_amount;
use folio_domain::{Currency, Side};
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

/// An amount string formatted with grouping in the currency's minor units; the text as it is if
/// it is not a decimal (it always is, but printing must never fail).
fn amount(text: &str, currency: Currency) -> String {
    Decimal::from_str(text)
        .map(|d| format_amount(d, currency.minor_units()))
        .unwrap_or_else(|_| text.to_owned())
}

pub(crate) fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

pub fn init(report: &InitReport, json: bool) {
    if json {
        return print_json(report);
    }
    if report.demo {
        println!(
            "Created a demo workspace at {}: {} accounts, {} cost centres, {} tax codes, {} vendors, \
             {} documents imported, {} journal drafts built.",
            report.path,
            report.accounts,
            report.cost_centres,
            report.tax_codes,
            report.vendors,
            report.documents,
            report.journals
        );
    } else {
        println!("Created an empty workspace at {}.", report.path);
    }
}

pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn advance(bar: &ProgressBar, event: &ImportProgress) {
    match event {
        ImportProgress::Started { total, .. } => bar.set_length(u64::from(*total)),
        ImportProgress::FileDone { .. } => bar.inc(1),
    }
}

pub fn import_json_line(outcome: &ImportOutcome) {
    match serde_json::to_string(outcome) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

pub fn import_line(outcome: &ImportOutcome, bar: Option<&ProgressBar>) {
    let line = match outcome.status {
        ImportStatus::Imported | ImportStatus::Duplicate => {
            let currency = outcome.currency;
            let payable = match (outcome.payable_amount.as_deref(), currency) {
                (Some(p), Some(c)) => format!("{} {c}", amount(p, c)),
                _ => String::new(),
            };
            let label = if outcome.status == ImportStatus::Duplicate {
                "duplicate"
            } else {
                "imported"
            };
            let mut line = format!(
                "{label:<9} {:<8} {:<20} {:>18}  {}",
                outcome.document_id.as_deref().unwrap_or(""),
                clip(outcome.number.as_deref().unwrap_or(""), 20),
                payable,
                outcome.path
            );
            if let Some(reason) = &outcome.reason {
                line.push_str(&format!(" ({reason})"));
            }
            let errors = outcome.problems.iter().filter(|p| p.is_error()).count();
            if errors > 0 {
                line.push_str(&format!(
                    " [{errors} problem(s): folio show {}]",
                    outcome.document_id.as_deref().unwrap_or("")
                ));
            }
            line
        }
        ImportStatus::AlreadyImported => format!(
            "skipped   {}: {}",
            outcome.path,
            outcome.reason.as_deref().unwrap_or("already imported")
        ),
        ImportStatus::Rejected => {
            format!(
                "rejected  {}",
                outcome.reason.as_deref().unwrap_or(&outcome.path)
            )
        }
    };
    match bar {
        Some(bar) => bar.println(line),
        None => println!("{line}"),
    }
}

pub fn import_summary(s: &ImportSummary) {
    let read = s.imported + s.already_imported + s.duplicate + s.rejected;
    if s.imported == 0 && s.duplicate == 0 && s.rejected == 0 && s.already_imported > 0 {
        println!(
            "Nothing new: all {} files were already imported.",
            s.already_imported
        );
    } else {
        println!(
            "{read} files: {} imported, {} already imported, {} duplicates held for review, {} rejected.",
            s.imported, s.already_imported, s.duplicate, s.rejected
        );
    }
    if s.skipped > 0 {
        println!(
            "{} files in the folders were skipped: not .xml, .pdf, .csv or .xlsx.",
            s.skipped
        );
    }
}

pub fn documents(list: &[DocumentSummary], json: bool) {
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        println!("No documents yet: folio import PATH...");
        return;
    }
    println!(
        "{:<9} {:<11} {:<20} {:<28} {:>16} {:<3} {:>5} {:>8}  JOURNAL",
        "ID", "DATE", "NUMBER", "SUPPLIER", "PAYABLE", "CUR", "LINES", "PROBLEMS"
    );
    for d in list {
        println!(
            "{:<9} {:<11} {:<20} {:<28} {:>16} {:<3} {:>5} {:>8}  {}",
            d.id,
            d.issue_date,
            clip(&d.number, 20),
            clip(&d.supplier_name, 28),
            amount(&d.payable_amount, d.currency),
            d.currency,
            d.lines,
            d.problem_count,
            d.journal_status.map(|s| s.as_str()).unwrap_or("-")
        );
    }
    println!("{} documents.", list.len());
}

pub fn document(detail: &DocumentDetail, json: bool) {
    if json {
        return print_json(detail);
    }
    let doc = &detail.document;
    let c = doc.currency;
    let s = &detail.summary;
    println!(
        "{} {} {} ({}, {})",
        s.id,
        s.doc_type.replace('_', " "),
        doc.number,
        s.syntax,
        detail.original.file_name
    );
    println!(
        "  Supplier  {}{}",
        doc.supplier.name,
        doc.supplier
            .vat_id
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    );
    println!(
        "  Buyer     {}{}",
        doc.buyer.name,
        doc.buyer
            .vat_id
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    );
    println!(
        "  Issued    {}{}",
        doc.issue_date,
        doc.due_date
            .map(|d| format!(", due {d}"))
            .unwrap_or_default()
    );
    if let Some(iban) = &doc.payment.iban {
        println!("  Pay to    {iban}");
    }
    println!();
    println!(
        "  {:<4} {:<44} {:>10} {:>14} {:>14} {:>8}",
        "#", "ITEM", "QTY", "PRICE", "NET", "VAT"
    );
    for line in &doc.lines {
        let rate = line
            .vat_rate
            .map(|r| format!(" {}%", r.normalize()))
            .unwrap_or_default();
        println!(
            "  {:<4} {:<44} {:>10} {:>14} {:>14} {:>8}",
            clip(&line.id, 4),
            clip(&line.text(), 44),
            line.quantity.normalize(),
            format_amount(line.unit_price, c.minor_units()),
            format_amount(line.net_amount, c.minor_units()),
            format!("{}{rate}", line.vat_category.code())
        );
    }
    let t = &doc.totals;
    let total = |label: &str, value: Decimal| {
        println!(
            "  {label:>82} {:>14}",
            format_amount(value, c.minor_units())
        )
    };
    println!();
    total("Lines net", t.line_net_total);
    if let Some(a) = t.allowance_total.filter(|a| !a.is_zero()) {
        total("Allowances", -a);
    }
    if let Some(ch) = t.charge_total.filter(|c| !c.is_zero()) {
        total("Charges", ch);
    }
    total("Net", t.tax_exclusive);
    total("VAT", t.tax_total.unwrap_or_default());
    total("Gross", t.tax_inclusive);
    if let Some(p) = t.prepaid.filter(|p| !p.is_zero()) {
        total("Prepaid", -p);
    }
    println!(
        "  {:>82} {:>14} {c}",
        "Payable",
        format_amount(t.payable, c.minor_units())
    );
    problems(&detail.problems);
}

fn problems(list: &[folio_domain::Problem]) {
    if list.is_empty() {
        return;
    }
    println!();
    println!("  Problems:");
    for p in list {
        println!("  - {p}");
    }
}

pub fn journal(view: &JournalView, json: bool) {
    if json {
        return print_json(view);
    }
    println!(
        "Journal {} for {} ({}, version {}) dated {}",
        view.journal_id,
        view.document_id,
        view.status.as_str(),
        view.version,
        view.date
    );
    println!("  {}", view.memo);
    println!();
    println!(
        "  {:<8} {:<30} {:<36} {:>14} {:>14} {:<3}  DIMENSIONS / TAX",
        "ACCOUNT", "NAME", "DESCRIPTION", "DEBIT", "CREDIT", "CUR"
    );
    for l in &view.lines {
        let formatted = amount(&l.amount, l.currency);
        let (debit, credit) = match l.side {
            Side::Debit => (formatted, String::new()),
            Side::Credit => (String::new(), formatted),
        };
        let mut extra: Vec<String> = l
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if let Some(t) = &l.tax_code {
            extra.push(format!("tax={t}"));
        }
        println!(
            "  {:<8} {:<30} {:<36} {:>14} {:>14} {:<3}  {}",
            l.account,
            clip(l.account_name.as_deref().unwrap_or("(unknown account)"), 30),
            clip(&l.description, 36),
            debit,
            credit,
            l.currency,
            extra.join(" ")
        );
    }
    for t in &view.totals {
        println!(
            "  {:<76} {:>14} {:>14} {:<3}",
            "Total",
            format_amount(t.debit, t.currency.minor_units()),
            format_amount(t.credit, t.currency.minor_units()),
            t.currency
        );
    }
    println!();
    println!(
        "  {}",
        if view.balanced {
            "Balanced."
        } else {
            "NOT balanced."
        }
    );
    problems(&view.problems);
}
