//! The `folio` CLI end to end: a demo workspace, the XRechnung test suite imported and imported
//! again, bad files rejected without touching the workspace, and journals that balance.

use folio_tests::{folio, json_lines, shared_dir, stdout};
use rusqlite::Connection;
use std::path::Path;

fn counts(workspace: &Path) -> (i64, i64, usize) {
    let db = Connection::open(workspace.join("folio.sqlite")).unwrap();
    let docs: i64 = db
        .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    let events: i64 = db
        .query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0))
        .unwrap();
    let blobs = walk_count(&workspace.join("blobs"));
    (docs, events, blobs)
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk_count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn demo_workspace_has_documents_with_balanced_journals() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let init = folio(&ws, &["init", "--demo", "--json"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&init)).unwrap();
    assert!(report["documents"].as_u64().unwrap() >= 20, "{report}");
    assert_eq!(report["documents"], report["journals"]);

    let list: serde_json::Value =
        serde_json::from_str(&stdout(&folio(&ws, &["documents", "--json"]))).unwrap();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 20);
    let currencies: std::collections::BTreeSet<_> = list
        .iter()
        .map(|d| d["currency"].as_str().unwrap())
        .collect();
    assert!(currencies.len() >= 3, "{currencies:?}");
    for doc in list {
        let id = doc["id"].as_str().unwrap();
        let out = folio(&ws, &["journal", id, "--json"]);
        assert!(
            out.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let view: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(view["balanced"], true, "{id}: {view}");
        for total in view["totals"].as_array().unwrap() {
            assert_eq!(total["debit"], total["credit"], "{id}");
        }
    }
    let text = stdout(&folio(&ws, &["journal", "DOC-1"]));
    assert!(text.contains("Balanced."), "{text}");
}

#[test]
fn xrechnung_suite_imports_once_and_then_says_nothing_is_new() {
    let Some(shared) = shared_dir("xrechnung_suite_imports_once") else {
        return;
    };
    let suite = shared.join("corpus/invoices/xrechnung-testsuite");
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());

    let first = folio(&ws, &["import", suite.to_str().unwrap(), "--json"]);
    let outcomes = json_lines(&first);
    let ubl: Vec<_> = outcomes
        .iter()
        .filter(|o| o["path"].as_str().unwrap().contains("_ubl"))
        .collect();
    assert!(
        ubl.len() >= 40,
        "expected the suite's UBL files, got {}",
        ubl.len()
    );
    for o in &ubl {
        assert!(
            o["status"] == "imported" || o["status"] == "duplicate",
            "UBL file not imported: {o}"
        );
        assert!(
            o["payable_amount"].is_string() && o["document_id"].is_string(),
            "{o}"
        );
    }
    let keys = [
        "path",
        "status",
        "document_id",
        "syntax",
        "doc_type",
        "number",
        "currency",
        "payable_amount",
        "lines",
        "problems",
        "reason",
    ];
    for o in &outcomes {
        for key in keys {
            assert!(
                o.get(key).is_some(),
                "import --json line lacks '{key}': {o}"
            );
        }
    }
    let (docs_before, events_before, blobs_before) = counts(&ws);

    let again = folio(&ws, &["import", suite.to_str().unwrap()]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let text = stdout(&again);
    assert!(text.contains("Nothing new: all"), "{text}");
    assert_eq!(counts(&ws), (docs_before, events_before, blobs_before));
}

#[test]
fn malformed_and_foreign_files_are_rejected_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let before = counts(&ws);
    let inputs = [
        (
            "truncated.xml",
            "<?xml version=\"1.0\"?><Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><cbc:ID",
        ),
        (
            "order.xml",
            "<?xml version=\"1.0\"?><Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"><ID>1</ID></Order>",
        ),
        (
            "xxe.xml",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Invoice>&e;</Invoice>",
        ),
        ("notes.txt", "just some text"),
        ("empty.xml", ""),
    ];
    for (name, body) in inputs {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    for (name, _) in inputs {
        let path = dir.path().join(name);
        let out = folio(&ws, &["import", path.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(1), "{name} should exit 1");
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["status"], "rejected", "{name}: {}", lines[0]);
        let reason = lines[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(name),
            "the reason must name the file: {reason}"
        );
        assert!(
            reason.len() > name.len() + 10,
            "the reason must say why: {reason}"
        );
    }
    assert_eq!(
        counts(&ws),
        before,
        "a rejected file must not change the workspace"
    );
}

#[test]
fn missing_workspace_and_unknown_document_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = folio(&dir.path().join("nowhere"), &["documents"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init"]).status.success());
    let again = folio(&ws, &["init"]);
    assert_eq!(again.status.code(), Some(2), "init twice must refuse");
    let out = folio(&ws, &["show", "DOC-999", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(err["error"]["code"], "DOCUMENT_NOT_FOUND");
}
