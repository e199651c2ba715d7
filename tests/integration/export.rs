//! `folio export` end to end on the demo workspace, checked by the tools the files are for:
//!
//! * every month's approved journals, exported as beancount and as hledger, pass `bean-check` and
//!   `hledger check -s` (accounts and commodities declared) on their own, and carry each journal's
//!   GL reference exactly once; drafts stay out.

use folio_tests::gl_support::{bean_check, python_tools, ref_counts, skip};
use folio_tests::{folio, stdout};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `hledger` (1.25 on the CI image, from the Debian package xtask installs).
fn hledger(test: &str) -> Option<PathBuf> {
    let ok = Command::new("hledger")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(PathBuf::from("hledger"))
    } else {
        skip(test, "hledger is not installed");
        None
    }
}

/// A demo workspace with every journal approved but those of `keep_draft` documents.
/// Returns `(reference → journal date)` of the approved journals.
fn demo_approved(ws: &Path, keep_draft: usize) -> HashMap<String, String> {
    assert!(folio(ws, &["init", "--demo"]).status.success());
    let docs: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&folio(ws, &["documents", "--json"]))).unwrap();
    let ids: Vec<&str> = docs
        .iter()
        .skip(keep_draft)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    // Prepared by the demo's clerk, approved by one of its controllers.
    let mut args = vec!["--as", "controller", "approve", "--json"];
    args.extend(ids);
    let approved = folio(ws, &args);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let outcomes: Vec<serde_json::Value> = serde_json::from_str(&stdout(&approved)).unwrap();
    outcomes
        .iter()
        .map(|o| {
            let doc = o["document_id"].as_str().unwrap();
            let journal: serde_json::Value =
                serde_json::from_str(&stdout(&folio(ws, &["journal", doc, "--json"]))).unwrap();
            (
                o["reference"].as_str().unwrap().to_owned(),
                journal["date"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn journal_exports_pass_bean_check_and_hledger_check() {
    let test = "journal_exports_pass_bean_check_and_hledger_check";
    let (Some(bin), Some(hledger)) = (python_tools(test), hledger(test)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let approved = demo_approved(&ws, 3);
    assert!(approved.len() > 10, "{approved:?}");
    let months: BTreeSet<&str> = approved.values().map(|d| &d[..7]).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for month in &months {
        for format in ["beancount", "hledger"] {
            let file = dir.path().join(format!("{month}.{format}"));
            let out = folio(
                &ws,
                &[
                    "export",
                    "journals",
                    "--format",
                    format,
                    "--period",
                    month,
                    "--out",
                    file.to_str().unwrap(),
                    "--json",
                ],
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
            let expected = approved.values().filter(|d| d.starts_with(month)).count();
            assert_eq!(report["journals"], expected, "{month} {format}");
            let text = std::fs::read_to_string(&file).unwrap();
            if format == "beancount" {
                assert_eq!(bean_check(&bin, &file), "", "{text}");
            } else {
                let check = Command::new(&hledger)
                    .arg("-f")
                    .arg(&file)
                    .args(["check", "-s", "accounts", "commodities", "ordereddates"])
                    .output()
                    .unwrap();
                assert!(
                    check.status.success(),
                    "hledger check: {}{}\n{text}",
                    String::from_utf8_lossy(&check.stdout),
                    String::from_utf8_lossy(&check.stderr)
                );
            }
            for (reference, n) in ref_counts(&file) {
                assert_eq!(
                    approved.get(&reference).map(|d| &d[..7]),
                    Some(*month),
                    "{reference} in {month}"
                );
                *seen.entry(format!("{format} {reference}")).or_default() += n;
            }
        }
    }
    // Every approved journal once in each format; the drafts nowhere.
    assert_eq!(seen.len(), 2 * approved.len());
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
}

#[test]
fn journal_export_refuses_a_malformed_period_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    for args in [
        ["--format", "beancount", "--period", "2026-13"],
        ["--format", "beancount", "--period", "June"],
        ["--format", "ledger", "--period", "2026-06"],
    ] {
        let mut full = vec!["export", "journals", "--json"];
        full.extend(args);
        let out = folio(&ws, &full);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let error: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(error["error"]["code"], "INVALID_INPUT", "{args:?}");
    }
    // A month without approved journals is a valid, empty ledger.
    let out = folio(
        &ws,
        &[
            "export",
            "journals",
            "--format",
            "beancount",
            "--period",
            "1999-01",
        ],
    );
    assert!(out.status.success());
    assert!(stdout(&out).contains("option \"title\""));
    assert!(!stdout(&out).contains("folio_ref: \""));
}

/// Runs `folio export lines ARGS --json --out FILE` and returns the report.
fn export_lines(ws: &Path, file: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["export", "lines", "--json", "--out", file.to_str().unwrap()];
    full.extend(args);
    let out = folio(ws, &full);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// Every row of a Parquet file as `column → value as text` (decimals at their column's scale,
/// dates as `YYYY-MM-DD`), read back with the parquet crate.
fn parquet_rows(file: &Path) -> (Vec<HashMap<String, String>>, HashMap<String, String>) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Decimal128Type, Int32Type, Int64Type};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap();
    let metadata: HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let schema = batch.schema();
        for i in 0..batch.num_rows() {
            let mut row = HashMap::new();
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                if column.is_null(i) {
                    continue;
                }
                let text = match field.data_type() {
                    arrow_schema::DataType::Utf8 => column.as_string::<i32>().value(i).to_owned(),
                    arrow_schema::DataType::Int64 => {
                        column.as_primitive::<Int64Type>().value(i).to_string()
                    }
                    arrow_schema::DataType::Int32 => {
                        column.as_primitive::<Int32Type>().value(i).to_string()
                    }
                    arrow_schema::DataType::Date32 => {
                        let days = column.as_primitive::<Date32Type>().value(i);
                        (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                            + chrono::Duration::days(i64::from(days)))
                        .to_string()
                    }
                    arrow_schema::DataType::Decimal128(_, scale) => {
                        let v = column.as_primitive::<Decimal128Type>().value(i);
                        rust_decimal::Decimal::from_i128_with_scale(v, u32::from(*scale as u8))
                            .to_string()
                    }
                    arrow_schema::DataType::Timestamp(_, _) => "timestamp".to_owned(),
                    other => panic!("unexpected column type {other}"),
                };
                row.insert(field.name().clone(), text);
            }
            rows.push(row);
        }
    }
    (rows, metadata)
}

/// CSV rows as `column → value` (empty fields left out, like Parquet's nulls).
fn csv_rows(file: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut records = parse_csv(&text).into_iter();
    let header = records.next().unwrap();
    records
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header
                .iter()
                .cloned()
                .zip(r)
                .filter(|(_, v)| !v.is_empty())
                .collect()
        })
        .collect()
}

/// A small RFC 4180 reader (quoted fields, doubled quotes, `\r\n`).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[test]
fn line_exports_keep_decimals_exact_and_match_the_journals() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let approved = demo_approved(&ws, 2);
    let sync = folio(&ws, &["sync", "--once", "--json"]);
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let csv = dir.path().join("lines.csv");
    let parquet = dir.path().join("lines.parquet");
    let csv_report = export_lines(&ws, &csv, &["--format", "csv"]);
    let pq_report = export_lines(&ws, &parquet, &["--format", "parquet"]);
    assert_eq!(csv_report["rows"], pq_report["rows"]);
    assert_eq!(csv_report["last_seq"], pq_report["last_seq"]);
    let (rows, metadata) = parquet_rows(&parquet);
    assert_eq!(
        metadata.get("folio.last_seq").map(String::as_str),
        Some(pq_report["last_seq"].to_string().as_str())
    );
    let csv_rows = csv_rows(&csv);
    assert_eq!(rows.len() as u64, pq_report["rows"].as_u64().unwrap());
    assert_eq!(rows.len(), csv_rows.len());

    // Every row against the journal the CLI shows: same lines, exact amounts.
    let docs: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&folio(&ws, &["documents", "--json"]))).unwrap();
    let mut expected_rows = 0;
    for doc in &docs {
        let id = doc["id"].as_str().unwrap();
        let journal: serde_json::Value =
            serde_json::from_str(&stdout(&folio(&ws, &["journal", id, "--json"]))).unwrap();
        let mine: Vec<&HashMap<String, String>> =
            rows.iter().filter(|r| r["document_id"] == id).collect();
        let lines = journal["lines"].as_array().unwrap();
        assert_eq!(mine.len(), lines.len(), "{id}");
        expected_rows += lines.len();
        for (row, line) in mine.iter().zip(lines) {
            let amount: rust_decimal::Decimal = line["amount"].as_str().unwrap().parse().unwrap();
            let exported: rust_decimal::Decimal = row["amount"].parse().unwrap();
            assert_eq!(exported, amount, "{id} {row:?}");
            let signed: rust_decimal::Decimal = row["signed_amount"].parse().unwrap();
            let expected_signed = if line["side"] == "credit" {
                -amount
            } else {
                amount
            };
            assert_eq!(signed, expected_signed, "{id}");
            assert_eq!(row["account"], line["account"].as_str().unwrap());
            assert_eq!(row["journal_status"], journal["status"].as_str().unwrap());
            assert_eq!(row["currency"], line["currency"].as_str().unwrap());
            for (dim, value) in line["dimensions"].as_object().unwrap() {
                assert_eq!(row[&format!("dim_{dim}")], value.as_str().unwrap(), "{id}");
            }
            let reference = row.get("gl_reference");
            if journal["status"] == "posted" {
                assert!(approved.contains_key(reference.unwrap()), "{id}");
                assert_eq!(row["posting_status"], "posted");
                assert!(row.contains_key("gl_id") && row.contains_key("approved_by"));
            } else {
                assert_eq!(reference, None, "{id}");
            }
        }
    }
    assert_eq!(expected_rows, rows.len());
    // The CSV says the same, each amount at its currency's own minor units.
    for (p, c) in rows.iter().zip(&csv_rows) {
        for (column, value) in c {
            match column.as_str() {
                "amount" | "signed_amount" => {
                    let units: usize = c["currency_minor_units"].parse().unwrap();
                    let decimals = value.split_once('.').map_or(0, |(_, f)| f.len());
                    assert_eq!(decimals, units, "{value}");
                    assert_eq!(
                        value.parse::<rust_decimal::Decimal>().unwrap(),
                        p[column].parse::<rust_decimal::Decimal>().unwrap()
                    );
                }
                "suggestion_confidence" => assert_eq!(
                    value.parse::<rust_decimal::Decimal>().unwrap(),
                    p[column].parse::<rust_decimal::Decimal>().unwrap()
                ),
                "approved_at" => assert!(p.contains_key(column)),
                _ => assert_eq!(p.get(column), Some(value), "{column}"),
            }
        }
    }
    assert!(rows.iter().any(|r| r["currency"] == "JPY"));
    assert!(rows.iter().any(|r| r.contains_key("suggestion_source")));
}

#[test]
fn line_exports_are_incremental_by_change_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let file = dir.path().join("lines.csv");
    let first = export_lines(&ws, &file, &["--format", "csv"]);
    let last = first["last_seq"].as_i64().unwrap();
    assert_eq!(first["documents"], 26);
    // Nothing changed: nothing to take.
    let again = export_lines(
        &ws,
        &file,
        &["--format", "csv", "--after-seq", &last.to_string()],
    );
    assert_eq!(
        (again["rows"].clone(), again["last_seq"].clone()),
        (0.into(), last.into())
    );
    // Approving two documents changes them, and only them.
    assert!(
        folio(&ws, &["--as", "controller", "approve", "DOC-5", "DOC-9"])
            .status
            .success()
    );
    let changed = export_lines(
        &ws,
        &file,
        &["--format", "csv", "--after-seq", &last.to_string()],
    );
    assert!(changed["last_seq"].as_i64().unwrap() > last);
    let rows = csv_rows(&file);
    let docs: BTreeSet<&str> = rows.iter().map(|r| r["document_id"].as_str()).collect();
    assert_eq!(docs, BTreeSet::from(["DOC-5", "DOC-9"]));
    assert!(rows.iter().all(|r| r["journal_status"] == "approved"));
    assert!(
        rows.iter()
            .all(|r| r["change_seq"].parse::<i64>().unwrap() > last)
    );
    // --since filters by journal date, on top.
    let all = csv_rows(&{
        export_lines(&ws, &file, &["--format", "csv"]);
        file.clone()
    });
    let mut dates: Vec<&str> = all.iter().map(|r| r["journal_date"].as_str()).collect();
    dates.sort_unstable();
    let median = dates[dates.len() / 2].to_owned();
    export_lines(&ws, &file, &["--format", "csv", "--since", &median]);
    let since = csv_rows(&file);
    assert!(!since.is_empty() && since.len() < all.len());
    assert!(
        since
            .iter()
            .all(|r| r["journal_date"].as_str() >= median.as_str())
    );
    assert_eq!(
        since.len(),
        all.iter()
            .filter(|r| r["journal_date"].as_str() >= median.as_str())
            .count()
    );
}

/// A demo UBL invoice, renumbered, without its due date, with XRechnung early-payment terms and a
/// net term in BT-20; returns the file and its number.
fn skonto_invoice(dir: &Path) -> (PathBuf, String) {
    let today = chrono::Utc::now().date_naive();
    let file = folio_app::demo::demo_invoices(today)
        .into_iter()
        .find(|f| {
            let text = String::from_utf8_lossy(&f.bytes);
            text.contains("<Invoice") && text.contains("<cbc:DueDate>") && text.contains("Tagen")
        })
        .expect("a German UBL demo invoice");
    let mut text = String::from_utf8(file.bytes).unwrap();
    let number = folio_import::import_bytes(text.as_bytes())
        .unwrap()
        .document
        .number;
    let start = text.find("<cbc:DueDate>").unwrap();
    let end = text[start..].find("</cbc:DueDate>").unwrap() + start + "</cbc:DueDate>".len();
    text.replace_range(start..end, "");
    let note_start = text.find("<cac:PaymentTerms>").unwrap();
    let note_end = text[note_start..].find("</cac:PaymentTerms>").unwrap() + note_start;
    text.replace_range(
        note_start..note_end,
        "<cac:PaymentTerms><cbc:Note>#SKONTO#TAGE=10#PROZENT=2.00#\n\
         #SKONTO#TAGE=20#PROZENT=1.50#BASISBETRAG=100.00#\n\
         Zahlbar innerhalb von 30 Tagen netto.</cbc:Note>",
    );
    let renumbered = format!("{number}-SK");
    let text = text.replace(&number, &renumbered);
    let path = dir.join("skonto.xml");
    std::fs::write(&path, text).unwrap();
    (path, renumbered)
}

#[test]
fn payables_are_due_by_date_and_currency_with_discounts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let (invoice, number) = skonto_invoice(dir.path());
    let imported = folio(&ws, &["import", invoice.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stdout(&imported));
    let docs: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&folio(&ws, &["documents", "--json"]))).unwrap();
    let sk_id = docs
        .iter()
        .find(|d| d["number"] == number.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Same supplier and amount as a demo invoice days apart: held as a possible duplicate, which
    // must not be paid, so it is not open ...
    let held: serde_json::Value = serde_json::from_str(&stdout(&folio(
        &ws,
        &["export", "payables", "--format", "json"],
    )))
    .unwrap();
    assert!(
        held["payables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["document_id"] != sk_id.as_str())
    );
    // ... until a reviewer clears it.
    let resolved = folio(
        &ws,
        &[
            "duplicates",
            "resolve",
            &sk_id,
            "--not-duplicate",
            "--reason",
            "new terms, new invoice",
        ],
    );
    assert!(
        resolved.status.success(),
        "{}",
        String::from_utf8_lossy(&resolved.stderr)
    );

    let json = folio(&ws, &["export", "payables", "--format", "json"]);
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let export: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let payables = export["payables"].as_array().unwrap();
    // Every document with an amount due (the demo has no held duplicates), credit notes negative.
    let due: Vec<&serde_json::Value> = docs
        .iter()
        .filter(|d| {
            d["payable_amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
                != rust_decimal::Decimal::ZERO
        })
        .collect();
    assert_eq!(payables.len(), due.len());
    for doc in &due {
        let p = payables
            .iter()
            .find(|p| p["document_id"] == doc["id"])
            .unwrap();
        let amount: rust_decimal::Decimal =
            doc["payable_amount"].as_str().unwrap().parse().unwrap();
        let gross: rust_decimal::Decimal = p["gross"].as_str().unwrap().parse().unwrap();
        let sign = if doc["doc_type"] == "credit_note" {
            -1
        } else {
            1
        };
        assert_eq!(gross, amount * rust_decimal::Decimal::from(sign), "{p}");
        assert_eq!(p["currency"], doc["currency"]);
        if !doc["due_date"].is_null() {
            assert_eq!(p["due_date"], doc["due_date"]);
            assert_eq!(p["due_date_source"], "document");
        }
    }
    // Sorted by due date (undated last), then currency.
    let keys: Vec<(bool, String, String)> = payables
        .iter()
        .map(|p| {
            (
                p["due_date"].is_null(),
                p["due_date"].as_str().unwrap_or("").to_owned(),
                p["currency"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // The invoice with terms: due date from the net term, both discount tiers, exact amounts.
    let sk = payables
        .iter()
        .find(|p| p["number"] == number.as_str())
        .unwrap();
    let issue =
        chrono::NaiveDate::parse_from_str(sk["issue_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let day = |n| (issue + chrono::Duration::days(n)).to_string();
    assert_eq!(sk["due_date"], day(30).as_str());
    assert_eq!(sk["due_date_source"], "terms");
    let gross: rust_decimal::Decimal = sk["gross"].as_str().unwrap().parse().unwrap();
    let discounts = sk["discounts"].as_array().unwrap();
    assert_eq!(discounts.len(), 2);
    assert_eq!(discounts[0]["date"], day(10).as_str());
    let two_percent = (gross * rust_decimal::Decimal::new(2, 2))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(
        discounts[0]["discount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        two_percent
    );
    assert_eq!(
        discounts[0]["amount_after_discount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        gross - two_percent
    );
    assert_eq!(
        (
            discounts[1]["date"].clone(),
            discounts[1]["discount"].clone()
        ),
        (day(20).into(), "1.50".into())
    );
    assert!(sk["iban"].is_string());

    // The CSV has the same rows in the same order; the forecast adds up to the same totals.
    let csv_file = dir.path().join("payables.csv");
    let csv = folio(
        &ws,
        &[
            "export",
            "payables",
            "--format",
            "csv",
            "--out",
            csv_file.to_str().unwrap(),
        ],
    );
    assert!(csv.status.success());
    let rows = csv_rows(&csv_file);
    let ids: Vec<&str> = rows.iter().map(|r| r["document_id"].as_str()).collect();
    let json_ids: Vec<&str> = payables
        .iter()
        .map(|p| p["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, json_ids);
    let sk_row = rows.iter().find(|r| r["number"] == number).unwrap();
    assert_eq!(sk_row["discount_date"], day(10));
    assert_eq!(sk_row["more_discount_tiers"], "1");

    let forecast: serde_json::Value = serde_json::from_str(&stdout(&folio(
        &ws,
        &["export", "forecast", "--weeks", "13", "--json"],
    )))
    .unwrap();
    assert_eq!(forecast["weeks"].as_array().unwrap().len(), 13);
    let mut from_forecast: HashMap<String, rust_decimal::Decimal> = HashMap::new();
    let mut add = |totals: &serde_json::Value| {
        for t in totals.as_array().unwrap() {
            *from_forecast
                .entry(t["currency"].as_str().unwrap().to_owned())
                .or_default() += t["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap();
        }
    };
    for w in forecast["weeks"].as_array().unwrap() {
        add(&w["totals"]);
    }
    for part in ["overdue", "later", "undated"] {
        add(&forecast[part]);
    }
    let mut from_payables: HashMap<String, rust_decimal::Decimal> = HashMap::new();
    for p in payables {
        *from_payables
            .entry(p["currency"].as_str().unwrap().to_owned())
            .or_default() += p["gross"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap();
    }
    assert_eq!(from_forecast, from_payables);
    assert!(
        forecast["weeks"][0]["week_start"].as_str().unwrap() <= forecast["as_of"].as_str().unwrap()
    );
}

fn has_tool(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `folio --as apitester ARGS --json` as JSON.
fn cli_json(ws: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--as", "apitester"];
    full.extend(args);
    full.push("--json");
    let out = folio(ws, &full);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The read API end to end: a demo workspace made, approved and synced, the API turned on and its
/// token created in a real gnome-keyring (private D-Bus session), `folio api serve` running; a
/// real HTTP client then gets 401 without the right token, 403 with another Host, 405 for a
/// write, and otherwise exactly what the CLI's `--json` prints.
#[test]
fn the_read_api_serves_what_the_cli_shows_and_only_to_this_host_with_the_token() {
    let test = "the_read_api_serves_what_the_cli_shows_and_only_to_this_host_with_the_token";
    if !has_tool("dbus-run-session") || !has_tool("gnome-keyring-daemon") {
        skip(
            test,
            "dbus-run-session and gnome-keyring-daemon are not installed",
        );
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch.path().join("ws");
    let port = folio_tests::gl_support::free_port();
    let token_file = scratch.path().join("token.txt");
    let bin = folio_tests::folio_bin().display().to_string();
    let w = ws.display().to_string();
    let t = token_file.display().to_string();
    let script = format!(
        "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
'{bin}' --workspace '{w}' init --demo >/dev/null
'{bin}' --workspace '{w}' --as controller approve DOC-1 DOC-2 DOC-3 >/dev/null
'{bin}' --workspace '{w}' sync --once >/dev/null
if '{bin}' --workspace '{w}' api serve --port {port}; then exit 9; fi
'{bin}' --workspace '{w}' api enable
'{bin}' --workspace '{w}' api token
'{bin}' --workspace '{w}' api token
'{bin}' --workspace '{w}' api token --show > '{t}.partial'
mv '{t}.partial' '{t}'
exec '{bin}' --workspace '{w}' api serve --port {port}
"
    );
    let mut cmd = Command::new("dbus-run-session");
    cmd.args(["--", "sh", "-c", &script]).env_clear();
    for (var, sub) in [
        ("HOME", "home"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ] {
        let dir = scratch.path().join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        cmd.env(var, &dir);
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let runtime = scratch.path().join("runtime");
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out_file = scratch.path().join("serve.out");
    let err_file = scratch.path().join("serve.err");
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "apitester")
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(std::fs::File::create(&err_file).unwrap())
        .spawn()
        .expect("dbus-run-session runs");
    let pgid = child.id();
    /// Stops the session and everything in it, whatever happens in the test.
    struct Session(u32);
    impl Drop for Session {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["--", &format!("-{}", self.0)])
                .status();
        }
    }
    let session = Session(pgid);

    // Wait for the token and the port.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let token = loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the session ended ({status}): {}\n{}",
                std::fs::read_to_string(&out_file).unwrap_or_default(),
                std::fs::read_to_string(&err_file).unwrap_or_default()
            );
        }
        if let Ok(token) = std::fs::read_to_string(&token_file)
            && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        {
            break token.trim().to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the API did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(token.len(), 64, "{token}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let get = |path: &str, auth: Option<&str>, host: Option<&str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(auth) = auth {
            request = request.header("Authorization", format!("Bearer {auth}"));
        }
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        runtime.block_on(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
            (status, body)
        })
    };
    // No token, a wrong one, another host (DNS rebinding), a write.
    assert_eq!(get("/api/documents", None, None).0, 401);
    let wrong = format!("{}0", &token[..63]);
    let (status, body) = get("/api/documents", Some(&wrong), None);
    assert_eq!(status, 401);
    assert!(!body.to_string().contains(&token));
    assert_eq!(
        get(
            "/api/documents",
            Some(&token),
            Some(&format!("evil.example:{port}"))
        )
        .0,
        403
    );
    assert_eq!(
        get("/api/documents", Some(&token), Some("127.0.0.1")).0,
        403
    );
    let post = runtime.block_on(
        client
            .post(format!("{base}/api/documents"))
            .header("Authorization", format!("Bearer {token}"))
            .send(),
    );
    assert_eq!(post.unwrap().status().as_u16(), 405);

    // What the CLI shows, route by route.
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("/api/documents".into(), vec!["documents"]),
        ("/api/documents/DOC-1".into(), vec!["show", "DOC-1"]),
        (
            "/api/documents/DOC-2/journal".into(),
            vec!["journal", "DOC-2"],
        ),
        (
            "/api/documents/DOC-3/coding".into(),
            vec!["explain", "DOC-3"],
        ),
        ("/api/journals".into(), vec!["journals"]),
    ];
    for (path, args) in cases {
        let (status, body) = get(&path, Some(&token), None);
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body, cli_json(&ws, &args), "{path}");
    }
    let (status, journals) = get(
        "/api/journals",
        Some(&token),
        Some(&format!("localhost:{port}")),
    );
    assert_eq!(status, 200);
    assert!(
        journals
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["outbox"]["state"] == "posted")
    );
    let (status, missing) = get("/api/documents/DOC-999", Some(&token), None);
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("DOCUMENT_NOT_FOUND"))
    );
    let (status, openapi) = get("/openapi.json", Some(&token), None);
    assert_eq!(status, 200);
    for path in [
        "/api/documents",
        "/api/documents/{id}/coding",
        "/api/journals",
    ] {
        assert!(openapi["paths"][path]["get"].is_object(), "{path}");
    }

    drop(session);
    let _ = child.wait();
    let out = std::fs::read_to_string(&out_file).unwrap();
    let err = std::fs::read_to_string(&err_file).unwrap();
    // Refused while off; the token printed only once, by --show (into its file).
    assert!(err.contains("the local read API is off"), "{err}");
    assert!(
        out.contains("a new API token is in the OS keychain"),
        "{out}"
    );
    assert!(out.contains("the API token is in the OS keychain"), "{out}");
    assert!(
        out.contains(&format!("serving the read API on http://127.0.0.1:{port}")),
        "{out}"
    );
    assert!(!out.contains(&token) && !err.contains(&token));
    for entry in walk(&ws) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token is in {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
