//! Times the importer over a corpus catalogue, for the release-mode bench figure:
//! `cargo run --release -p folio-import --example eval_corpus -- ../shared/corpus/invoices`.

use std::path::PathBuf;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("../shared/corpus/invoices"), PathBuf::from);
    let report = match folio_import::eval_corpus(&dir) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let (mut xml, mut pdf) = ((0u128, 0u128), (0u128, 0u128));
    for file in &report.files {
        let slot = if file.file.ends_with(".pdf") {
            &mut pdf
        } else {
            &mut xml
        };
        slot.0 += 1;
        slot.1 += file.micros;
    }
    let mut xml_times: Vec<u128> = report
        .files
        .iter()
        .filter(|f| !f.file.ends_with(".pdf"))
        .map(|f| f.micros)
        .collect();
    xml_times.sort_unstable();
    let median = xml_times.get(xml_times.len() / 2).copied().unwrap_or(0);
    println!(
        "{} XML files in {} µs (mean {} µs, median {} µs); {} PDF files in {} µs (mean {} µs)",
        xml.0,
        xml.1,
        xml.1 / xml.0.max(1),
        median,
        pdf.0,
        pdf.1,
        pdf.1 / pdf.0.max(1)
    );
    println!(
        "rule agreement {}/{} ({} %), false alarms {}",
        report.summary.rule_agreed,
        report.summary.rule_labelled,
        report.rule_agreement_percent(),
        report.summary.false_alarms
    );
}
