//! `cargo xtask bench import`: end-to-end import throughput and the time of one large invoice.
//!
//! Throughput: the corpus's UBL and CII files are replicated into 10,000 unique documents (each
//! copy gets its own invoice number), then the release `folio import` reads them into a fresh
//! workspace: parse, validate, duplicate check, blob and database writes, one transaction per file.
//! Large invoice: a generated 1,000-line UBL invoice imported into a fresh workspace. Each figure
//! is the median of several runs; the report goes to stdout and target/bench-import/report.json.

use crate::{cargo, repo_root, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const DOCUMENTS: usize = 10_000;
const RUNS: usize = 3;
const LARGE_LINES: usize = 1_000;
const LARGE_RUNS: usize = 5;

fn shared_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("FOLIO_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    if !dir.join("corpus/invoices/catalogue.csv").is_file() {
        bail!(
            "the shared corpus is not at {} (set FOLIO_SHARED_DIR)",
            dir.display()
        );
    }
    Ok(dir)
}

/// (path, invoice number) of every corpus XML invoice, from the catalogue.
fn corpus_templates(shared: &Path) -> Result<Vec<(PathBuf, String)>> {
    let catalogue = std::fs::read_to_string(shared.join("corpus/invoices/catalogue.csv"))?;
    let mut lines = catalogue.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty catalogue")?
        .split(',')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .context(name.to_owned())
    };
    let (source, path, syntax, doc_id, expected) = (
        col("source")?,
        col("path")?,
        col("syntax")?,
        col("doc_id")?,
        col("expected_from_path")?,
    );
    let mut templates = Vec::new();
    for line in lines {
        // The columns used here never contain commas or quotes.
        let fields: Vec<&str> = line.split(',').collect();
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        if !matches!(get(syntax), "UBL" | "CII")
            || get(expected) == "invalid"
            || get(doc_id).is_empty()
        {
            continue;
        }
        let file = shared
            .join("corpus/invoices")
            .join(get(source))
            .join(get(path));
        if file.is_file() {
            templates.push((file, get(doc_id).to_owned()));
        }
    }
    if templates.is_empty() {
        bail!("no corpus XML invoices found");
    }
    Ok(templates)
}

fn write_inbox(dir: &Path, templates: &[(PathBuf, String)]) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let texts: Vec<(String, &str)> = templates
        .iter()
        .filter_map(|(p, n)| std::fs::read_to_string(p).ok().map(|t| (t, n.as_str())))
        .filter(|(t, n)| t.contains(&format!(">{n}<")))
        .collect();
    for i in 0..DOCUMENTS {
        let (text, number) = &texts[i % texts.len()];
        let unique = text.replacen(&format!(">{number}<"), &format!(">{number}-B{i}<"), 1);
        std::fs::write(dir.join(format!("{i:05}.xml")), unique)?;
    }
    Ok(())
}

fn large_invoice() -> String {
    let mut lines = String::new();
    let mut total = 0u64;
    for i in 1..=LARGE_LINES {
        let cents = 1_000 + (i as u64 * 37) % 9_000;
        total += cents;
        lines.push_str(&format!(
            "<cac:InvoiceLine><cbc:ID>{i}</cbc:ID><cbc:InvoicedQuantity unitCode=\"C62\">1</cbc:InvoicedQuantity>\
             <cbc:LineExtensionAmount currencyID=\"EUR\">{}.{:02}</cbc:LineExtensionAmount>\
             <cac:Item><cbc:Name>Item {i}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>\
             <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>\
             <cac:Price><cbc:PriceAmount currencyID=\"EUR\">{}.{:02}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>\n",
            cents / 100, cents % 100, cents / 100, cents % 100
        ));
    }
    // 19 % VAT, rounded half up on cents.
    let tax = (total * 19 + 50) / 100;
    let gross = total + tax;
    let amount = |c: u64| format!("{}.{:02}", c / 100, c % 100);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>LARGE-1000</cbc:ID><cbc:IssueDate>2026-01-15</cbc:IssueDate><cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode><cbc:BuyerReference>BENCH</cbc:BuyerReference>
<cac:AccountingSupplierParty><cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>Bench Supplier GmbH</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress><cac:PartyLegalEntity><cbc:RegistrationName>Bench Buyer AG</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount><cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount></cac:LegalMonetaryTotal>
{lines}</Invoice>
"#,
        tax = amount(tax),
        net = amount(total),
        gross = amount(gross),
    )
}

fn fresh_workspace(folio: &Path, dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    run_cmd(
        Command::new(folio)
            .arg("--workspace")
            .arg(dir)
            .args(["init", "--json"])
            .stdout(Stdio::null()),
    )
}

/// Seconds taken by `folio import PATH --json` into `workspace`, after checking every file was
/// imported.
fn timed_import(folio: &Path, workspace: &Path, path: &Path, expected: usize) -> Result<f64> {
    let started = Instant::now();
    let output = Command::new(folio)
        .arg("--workspace")
        .arg(workspace)
        .arg("import")
        .arg(path)
        .arg("--json")
        .output()
        .context("folio import did not start")?;
    let seconds = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&output.stdout);
    let imported = text
        .lines()
        .filter(|l| l.contains("\"status\":\"imported\""))
        .count();
    if imported != expected {
        bail!(
            "expected {expected} imported documents, got {imported}: {}",
            text.lines()
                .find(|l| !l.contains("\"imported\""))
                .unwrap_or("")
        );
    }
    Ok(seconds)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn run() -> Result<()> {
    run_cmd(cargo().args(["build", "--release", "--locked", "-p", "folio-cli"]))?;
    let folio = target_dir().join("release").join("folio");
    let shared = shared_dir()?;
    let bench = target_dir().join("bench-import");
    let inbox = bench.join("inbox");
    let templates = corpus_templates(&shared)?;
    write_inbox(&inbox, &templates)?;
    let workspace = bench.join("workspace");

    let mut rates = Vec::new();
    for run in 1..=RUNS {
        fresh_workspace(&folio, &workspace)?;
        let seconds = timed_import(&folio, &workspace, &inbox, DOCUMENTS)?;
        let rate = DOCUMENTS as f64 / seconds;
        eprintln!("run {run}: {DOCUMENTS} documents in {seconds:.2} s = {rate:.0} documents/s");
        rates.push(rate);
    }

    let large = bench.join("large-1000-lines.xml");
    std::fs::write(&large, large_invoice())?;
    let mut large_ms = Vec::new();
    for _ in 0..LARGE_RUNS {
        fresh_workspace(&folio, &workspace)?;
        large_ms.push(timed_import(&folio, &workspace, &large, 1)? * 1000.0);
    }

    let report = format!(
        "{{\"documents\": {DOCUMENTS}, \"templates\": {}, \"median_documents_per_second\": {:.0}, \
         \"runs_documents_per_second\": {:?}, \"large_invoice_lines\": {LARGE_LINES}, \
         \"median_large_invoice_ms\": {:.1}, \"runs_large_invoice_ms\": {:?}}}",
        templates.len(),
        median(rates.clone()),
        rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
        median(large_ms.clone()),
        large_ms
            .iter()
            .map(|m| (m * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    std::fs::write(bench.join("report.json"), &report)?;
    println!(
        "Import throughput (median of {RUNS}): {:.0} documents/s ({DOCUMENTS} unique documents from {} corpus files)",
        median(rates),
        templates.len()
    );
    println!(
        "A {LARGE_LINES}-line invoice, end to end incl. process start (median of {LARGE_RUNS}): {:.1} ms",
        median(large_ms)
    );
    println!("{report}");
    Ok(())
}
