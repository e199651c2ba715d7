//! CSV / XLSX imports through saved mapping profiles, the possible-duplicate check and its
//! resolution, and plain PDFs, through the `folio` CLI end to end.

use folio_tests::{folio, json_lines, repo_root, shared_dir, stdout};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    repo_root()
        .join("crates/import/tests/fixtures/tabular")
        .join(name)
}

fn count(workspace: &Path, sql: &str) -> i64 {
    let db = Connection::open(workspace.join("folio.sqlite")).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn run_ok(ws: &Path, args: &[&str]) -> std::process::Output {
    let out = folio(ws, args);
    assert!(
        out.status.success(),
        "folio {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A new workspace in `dir` with the card-statement profile saved as `card`.
fn workspace_with_card_profile(dir: &Path) -> PathBuf {
    let ws = dir.join("ws");
    run_ok(&ws, &["init"]);
    let card = fixture("card-statement.toml");
    run_ok(&ws, &["profiles", "add", "card", card.to_str().unwrap()]);
    ws
}

#[test]
fn csv_exports_import_whole_through_a_saved_profile() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace_with_card_profile(dir.path());
    let listed: serde_json::Value =
        serde_json::from_str(&stdout(&run_ok(&ws, &["profiles", "list", "--json"]))).unwrap();
    assert_eq!(listed[0]["name"], "card");
    assert_eq!(listed[0]["mode"], "invoice");
    let shown = stdout(&run_ok(&ws, &["profiles", "show", "card"]));
    assert!(shown.contains("number = \"Reference\""), "{shown}");
    // A profile that does not read is refused, naming what is wrong, and not saved.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "mode = 'rows'\n[columns]\nnumber = 'N'\n").unwrap();
    let refused = folio(&ws, &["profiles", "add", "bad", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("mode 'rows'"));

    let csv = fixture("card-statement.csv");
    let csv = csv.to_str().unwrap();
    let without = folio(&ws, &["import", csv, "--json"]);
    assert_eq!(without.status.code(), Some(1));
    assert_eq!(
        json_lines(&without)[0]["problems"][0]["code"],
        "PROFILE_REQUIRED"
    );

    let imported = json_lines(&run_ok(
        &ws,
        &["import", csv, "--profile", "card", "--json"],
    ));
    let seen: Vec<(String, String)> = imported
        .iter()
        .map(|o| {
            (
                o["status"].as_str().unwrap().to_owned(),
                o["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('#')
                    .next()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("imported".to_owned(), "row 2".to_owned()),
            ("imported".to_owned(), "row 3".to_owned()),
            ("imported".to_owned(), "row 4".to_owned()),
            ("imported".to_owned(), "row 5".to_owned()),
        ]
    );
    assert_eq!(imported[3]["doc_type"], "credit_note");
    assert_eq!(imported[2]["payable_amount"], "1204.17");

    let again = json_lines(&run_ok(
        &ws,
        &["import", csv, "--profile", "card", "--json"],
    ));
    assert!(
        again.iter().all(|o| o["status"] == "already_imported"),
        "{again:?}"
    );

    // One bad cell: the file is refused whole and nothing of it is stored.
    let before = count(&ws, "SELECT count(*) FROM documents");
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(
        &bad_csv,
        "Date,Merchant,Description,Amount,Currency,Reference\n\
         2024-04-01,Good Shop,ok,10.00,EUR,TX-1\n\
         2024-04-02,Bad Shop,broken,\"12,3,4\",EUR,TX-2\n",
    )
    .unwrap();
    let refused = folio(
        &ws,
        &[
            "import",
            bad_csv.to_str().unwrap(),
            "--profile",
            "card",
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let reason = json_lines(&refused)[0]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.contains("row 3, column 'Amount': '12,3,4' is not a number"),
        "{reason}"
    );
    assert_eq!(count(&ws, "SELECT count(*) FROM documents"), before);
}

#[test]
fn a_possible_duplicate_is_flagged_and_a_reviewer_clears_it_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace_with_card_profile(dir.path());
    let first = dir.path().join("march.csv");
    std::fs::write(
        &first,
        "Date,Merchant,Description,Amount,Currency,Reference\n\
         2024-03-02,Deutsche Bahn,Ticket,\"1,234.50\",EUR,TX-1\n",
    )
    .unwrap();
    run_ok(
        &ws,
        &["import", first.to_str().unwrap(), "--profile", "card"],
    );
    let second = dir.path().join("april.csv");
    std::fs::write(
        &second,
        "Date,Merchant,Description,Amount,Currency,Reference\n\
         2024-03-04,Deutsche Bahn,Ticket again,1234.5,EUR,TX-9\n\
         2024-03-20,Deutsche Bahn,Another ticket,1234.50,EUR,TX-10\n",
    )
    .unwrap();
    let outcomes = json_lines(&run_ok(
        &ws,
        &[
            "import",
            second.to_str().unwrap(),
            "--profile",
            "card",
            "--json",
        ],
    ));
    let possible: Vec<&serde_json::Value> = outcomes[0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "POSSIBLE_DUPLICATE")
        .collect();
    assert_eq!(possible.len(), 1, "{outcomes:?}");
    assert_eq!(possible[0]["severity"], "warning");
    let message = possible[0]["message"].as_str().unwrap();
    assert!(
        message.contains("same supplier and amount 1,234.50 EUR as DOC-1")
            && message.contains("issued 2 days apart"),
        "{message}"
    );
    assert!(
        outcomes[1]["problems"].as_array().unwrap().is_empty(),
        "16 days apart"
    );
    let doc = outcomes[0]["document_id"].as_str().unwrap();

    let no_reason = folio(&ws, &["duplicates", "resolve", doc, "--not-duplicate"]);
    assert_eq!(no_reason.status.code(), Some(2), "the reason is required");
    let resolved: serde_json::Value = serde_json::from_str(&stdout(&run_ok(
        &ws,
        &[
            "duplicates",
            "resolve",
            doc,
            "--not-duplicate",
            "--reason",
            "two trips, two tickets",
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(resolved["still_flagged"], false);
    assert_eq!(resolved["reason"], "two trips, two tickets");
    assert_eq!(
        count(
            &ws,
            "SELECT count(*) FROM audit_events WHERE action = 'document.review' \
             AND entity_id = 'DOC-2'"
        ),
        1
    );
    let twice = folio(
        &ws,
        &[
            "duplicates",
            "resolve",
            doc,
            "--not-duplicate",
            "--reason",
            "x",
        ],
    );
    assert_eq!(twice.status.code(), Some(2));
}

#[test]
fn a_plain_pdf_is_read_from_its_text() {
    let Some(shared) = shared_dir("a_plain_pdf_is_read_from_its_text") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    run_ok(&ws, &["init"]);
    let pdf = shared.join("corpus/invoices/invoice2data/tests/compare/coolblue1.pdf");
    let outcome = json_lines(&run_ok(&ws, &["import", pdf.to_str().unwrap(), "--json"]));
    assert_eq!(outcome[0]["status"], "imported");
    assert_eq!(outcome[0]["syntax"], "pdf_text");
    assert_eq!(outcome[0]["number"], "993548900");
    assert_eq!(outcome[0]["payable_amount"], "717.97");
}
