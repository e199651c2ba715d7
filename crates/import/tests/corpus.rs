//! The shared corpus of real e-invoices (`../shared/corpus/invoices`), checked against its
//! catalogue with [`folio_import::eval_corpus`] (the same figures `folio eval import DIR` prints):
//!
//! - every XML invoice not expected invalid, and every PDF expected valid whose catalogue row has
//!   the fields, imports with the catalogue's currency, line count and amount due, exactly;
//! - no file expected valid gets an error or a rejection (no false alarm), except the known gaps
//!   listed below with why;
//! - every file expected invalid is rejected with a reason or imported with a problem naming a
//!   rule, except the known gaps listed below with why.
//!
//! Without the corpus the test is skipped, except in CI (`CI=true`), where that is a failure.

use folio_import::eval::{EvalReport, FileResult};
use folio_import::eval_corpus;
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    match std::env::var_os("FOLIO_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Files expected valid that Folio rejects, and why (each is a limitation, not a wrong answer).
const VALID_BUT_REJECTED: &[(&str, &str)] = &[
    (
        "zugferd-corpus/ZUGFeRDv1/correct/Mustangproject/MustangGnuaccountingBeispielRE-20140519_499.pdf",
        "pre-release ZUGFeRD (rsm:Invoice root, 2014), not ZUGFeRD 1.0",
    ),
    (
        "zugferd-corpus/ZUGFeRDv1/correct/Mustangproject/MustangGnuaccountingBeispielRE-20140522_501.pdf",
        "pre-release ZUGFeRD (rsm:Invoice root, 2014), not ZUGFeRD 1.0",
    ),
    (
        "zugferd-corpus/ZUGFeRDv1/correct/Mustangproject/MustangGnuaccountingBeispielRE-20151008_504.pdf",
        "the invoice currency code is empty; Folio does not guess a currency",
    ),
    (
        "mustangproject/validator/src/test/resources/validV1WithAdditionalData.pdf",
        "a ZUGFeRD 1 line without a VAT category that the header breakdown does not settle",
    ),
];

/// Files expected invalid that Folio imports without a problem naming a rule, and why.
const INVALID_NOT_FLAGGED: &[(&str, &str)] = &[
    (
        "mustangproject/validator/src/test/resources/FAIL_zugferd_2p1_MINIMUM_Rechnung_380.xml",
        "Factur-X MINIMUM profile rule (FX-*) outside EN 16931; not checked yet",
    ),
    (
        "mustangproject/validator/src/test/resources/XMLinvalidV2PDF.pdf",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "mustangproject/validator/src/test/resources/corruptedV2PDF.pdf",
        "the PDF structure is damaged (page tree) but lopdf reads it and the embedded XML is valid",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidArithmetics.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidPDF.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidV1ExtraTags.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidV2Profile.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidXMP-ParseError.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidXMP.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "mustangproject/validator/src/test/resources/invalidXRSchemav2.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv1/fail/Mustangproject/fail3.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/XML-Rechnung/CII/not_validating_full_invoice_based_onTest_EeISI_300_CENfullmodel.cii.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/MustangRE-20171118_506_ZUGFeRD1and2.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/ZUGFeRD_2_fully_compliant_complete.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/python-factur-x/python-factur-x.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/Mustangproject/MustangGnuaccountingBeispielRE-20171118_506.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/Mustangproject/MustangGnuaccountingBeispielRE-20190610_507a.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/Mustangproject/MustangGnuaccountingBeispielRE-20190610_507b.pdf",
        "PDF/A-3 or XMP metadata fault (the XML inside is a valid invoice); Folio does not validate PDF/A conformance or XMP metadata yet",
    ),
    (
        "zugferd-corpus/ZUGFeRDv2/fail/Mustangproject/noNetPriceValidation.xml",
        "schema-level (XSD) or profile-level fault that Folio's rules do not check yet",
    ),
];

fn names(results: &[&FileResult]) -> Vec<String> {
    results.iter().map(|r| r.file.clone()).collect()
}

fn print_report(report: &EvalReport) {
    let s = &report.summary;
    eprintln!(
        "corpus: {} files ({} XML, {} PDF): {} expected valid, {} expected invalid, {} unlabelled",
        s.files, s.xml_files, s.pdf_files, s.expected_valid, s.expected_invalid, s.unlabelled
    );
    eprintln!(
        "corpus: rule agreement {}/{} ({} %) of rule-labelled invalid files report the expected \
         rule; {}/{} ({} %) expected-invalid files flagged; {} false alarms on valid files",
        s.rule_agreed,
        s.rule_labelled,
        report.rule_agreement_percent(),
        s.invalid_flagged,
        s.expected_invalid,
        report.invalid_flagged_percent(),
        s.false_alarms
    );
    eprintln!(
        "corpus: fields (currency, lines, amount due) match on {}/{} compared files; {} \
         unlabelled files have errors or were rejected",
        s.fields_matched, s.fields_compared, s.unlabelled_flagged
    );
    for r in &report.files {
        if r.expected_rule_flagged == Some(false) {
            eprintln!(
                "  expected {:?}, got {:?} {:?}: {}",
                r.expected_rules, r.rejection, r.codes, r.file
            );
        }
    }
    let micros = s.total_micros.max(1);
    eprintln!(
        "corpus: {} KB imported in {} ms ({} docs/s)",
        s.total_bytes / 1000,
        micros / 1000,
        s.files as u128 * 1_000_000 / micros
    );
}

#[test]
fn corpus_matches_catalogue() {
    let dir = shared_dir().join("corpus/invoices");
    if !dir.join("catalogue.csv").is_file() {
        let why = format!(
            "the shared corpus is not at {} (set FOLIO_SHARED_DIR to the shared folder)",
            dir.display()
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but {why}");
        }
        eprintln!("corpus test skipped: {why}");
        return;
    }
    let report = eval_corpus(&dir).expect("catalogue reads");
    print_report(&report);
    let mut failures = Vec::new();

    for r in &report.files {
        let xml_not_invalid =
            matches!(r.syntax.as_str(), "UBL" | "CII" | "ZUGFeRD1-CII") && r.expected != "invalid";
        if xml_not_invalid && r.outcome == "rejected" {
            failures.push(format!(
                "{}: rejected [{}] {}",
                r.file,
                r.rejection.as_deref().unwrap_or_default(),
                r.reason.as_deref().unwrap_or_default()
            ));
        }
        if let Some(mismatch) = r.field_mismatch.as_ref().filter(|m| !m.is_empty()) {
            failures.push(format!("{}: {}", r.file, mismatch.join(", ")));
        }
    }

    let false_alarms: Vec<&FileResult> = report.files.iter().filter(|r| r.false_alarm).collect();
    let known: Vec<String> = VALID_BUT_REJECTED
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    for r in &false_alarms {
        if !known.contains(&r.file) {
            failures.push(format!(
                "false alarm on a valid file: {} {:?} {:?}",
                r.file, r.rejection, r.codes
            ));
        }
    }
    for file in &known {
        if !names(&false_alarms).contains(file) {
            failures.push(format!(
                "{file} is listed as a known gap but now passes: update the list"
            ));
        }
    }

    let not_flagged: Vec<&FileResult> = report
        .files
        .iter()
        .filter(|r| r.expected == "invalid" && !r.flagged)
        .collect();
    let known: Vec<String> = INVALID_NOT_FLAGGED
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .collect();
    for r in &not_flagged {
        if !known.contains(&r.file) {
            failures.push(format!(
                "expected invalid but not flagged: {} (rules {:?}, problems {:?})",
                r.file, r.expected_rules, r.codes
            ));
        }
    }
    for file in &known {
        if !names(&not_flagged).contains(file) {
            failures.push(format!(
                "{file} is listed as a known gap but is now flagged: update the list"
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} corpus files do not match:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
