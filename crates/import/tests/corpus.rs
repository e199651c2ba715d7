//! The shared corpus of real e-invoices (`../shared/corpus/invoices`), checked against its
//! catalogue: every UBL / CII XML not known to be invalid must import with the catalogue's
//! currency, line count and amount due; files known to be invalid are counted as flagged when they
//! are rejected or have at least one error, and must be flagged when the rule they break is one
//! [`folio_import::validate::RULES`] implements.
//!
//! Without the corpus the test is skipped, except in CI (`CI=true`), where that is a failure.

use folio_import::{import_bytes, validate::RULES};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn shared_dir() -> PathBuf {
    match std::env::var_os("FOLIO_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// A minimal RFC 4180 reader: quoted fields, doubled quotes, commas and newlines inside quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

struct Row {
    source: String,
    path: String,
    syntax: String,
    ext: String,
    currency: String,
    lines: String,
    payable: String,
    expected: String,
    rules: Vec<String>,
}

fn read_catalogue(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("catalogue.csv")).expect("read catalogue.csv");
    let mut rows = parse_csv(&text).into_iter();
    let header = rows.next().expect("catalogue header");
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("catalogue.csv has no column '{name}'"))
    };
    let cols = [
        col("source"),
        col("path"),
        col("syntax"),
        col("ext"),
        col("currency"),
        col("lines"),
        col("payable_amount"),
        col("expected_from_path"),
        col("expected_rules"),
        col("rule_in_name"),
    ];
    rows.filter(|r| r.len() == header.len())
        .map(|r| {
            let get = |i: usize| r[cols[i]].trim().to_owned();
            let rules = format!("{}|{}", get(8), get(9))
                .split(['|', ' ', ';'])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            Row {
                source: get(0),
                path: get(1),
                syntax: get(2),
                ext: get(3),
                currency: get(4),
                lines: get(5),
                payable: get(6),
                expected: get(7),
                rules,
            }
        })
        .collect()
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
    let rows = read_catalogue(&dir);
    let implemented: Vec<&str> = RULES.iter().map(|r| r.id).collect();

    let mut failures = Vec::new();
    let (mut valid_total, mut valid_ok) = (0, 0);
    let (mut invalid_total, mut rejected, mut with_errors, mut covered) = (0, 0, 0, 0);
    let mut not_flagged = Vec::new();
    let mut flagged_valid = Vec::new();
    let mut per_syntax: std::collections::BTreeMap<String, usize> = Default::default();
    let mut parse_time = Duration::ZERO;
    let mut parse_bytes = 0usize;

    for row in &rows {
        let is_xml_invoice =
            row.ext == "xml" && matches!(row.syntax.as_str(), "UBL" | "CII" | "ZUGFeRD1-CII");
        if !is_xml_invoice {
            continue;
        }
        let file = dir.join(&row.source).join(&row.path);
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let started = Instant::now();
        let result = import_bytes(&bytes);
        parse_time += started.elapsed();
        parse_bytes += bytes.len();
        let name = format!("{}/{}", row.source, row.path);

        if row.expected == "invalid" {
            invalid_total += 1;
            let flagged = match &result {
                Err(_) => {
                    rejected += 1;
                    true
                }
                Ok(imported) if imported.problems.iter().any(|p| p.is_error()) => {
                    with_errors += 1;
                    true
                }
                Ok(_) => false,
            };
            let ours = row.rules.iter().any(|r| implemented.contains(&r.as_str()));
            if ours {
                covered += 1;
                if !flagged {
                    failures.push(format!(
                        "{name}: breaks {:?} but was not flagged",
                        row.rules
                    ));
                }
            } else if !flagged {
                not_flagged.push(format!("{name} ({})", row.rules.join(",")));
            }
            continue;
        }

        valid_total += 1;
        let imported = match result {
            Ok(imported) => imported,
            Err(rejection) => {
                failures.push(format!(
                    "{name}: rejected [{}] {}",
                    rejection.code, rejection
                ));
                continue;
            }
        };
        let doc = &imported.document;
        let errors: Vec<String> = imported
            .problems
            .iter()
            .filter(|p| p.is_error())
            .map(ToString::to_string)
            .collect();
        if !errors.is_empty() {
            flagged_valid.push(format!("{name} ({}): {}", row.expected, errors.join("; ")));
        }
        *per_syntax.entry(row.syntax.clone()).or_default() += 1;
        let mut wrong = Vec::new();
        if doc.currency.code() != row.currency {
            wrong.push(format!(
                "currency {} != {}",
                doc.currency.code(),
                row.currency
            ));
        }
        if doc.lines.len().to_string() != row.lines {
            wrong.push(format!("lines {} != {}", doc.lines.len(), row.lines));
        }
        let expected_payable: Option<Decimal> = row.payable.parse().ok();
        if expected_payable != Some(doc.totals.payable) {
            wrong.push(format!("payable {} != {}", doc.totals.payable, row.payable));
        }
        if wrong.is_empty() {
            valid_ok += 1;
        } else {
            failures.push(format!("{name}: {}", wrong.join(", ")));
        }
    }

    eprintln!(
        "corpus: {valid_ok}/{valid_total} UBL/CII/ZUGFeRD 1 XML files import with the catalogue's \
         currency, lines and payable amount (imported by syntax: {per_syntax:?})"
    );
    eprintln!(
        "corpus: {} of them have errors (not expected invalid, so worth a look):",
        flagged_valid.len()
    );
    for name in &flagged_valid {
        eprintln!("  {name}");
    }
    eprintln!(
        "corpus: {invalid_total} files expected invalid: {rejected} rejected, {with_errors} \
         imported with errors, {} not flagged yet (rules not implemented); {covered} break a rule \
         Folio implements",
        not_flagged.len()
    );
    for name in &not_flagged {
        eprintln!("  not flagged yet: {name}");
    }
    let micros = parse_time.as_micros().max(1);
    let files = valid_total + invalid_total;
    eprintln!(
        "corpus: {files} files, {} KB imported in {} ms ({} docs/s, {} MB/s)",
        parse_bytes / 1000,
        micros / 1000,
        files as u128 * 1_000_000 / micros,
        parse_bytes as u128 / micros
    );
    assert!(
        failures.is_empty(),
        "{} corpus files do not match:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
