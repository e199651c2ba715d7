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
