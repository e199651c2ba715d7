//! `folio gl pull` from a real Fava: the GL's open accounts come into the workspace, and an
//! account the GL no longer has (or has renamed) is listed with every draft line that uses it;
//! such a journal, approved anyway, is rejected by the sync instead of being sent.

use folio_tests::gl_support::{FavaServer, python_tools};
use folio_tests::{folio, stdout};

#[test]
fn a_pull_lists_drafts_that_use_accounts_gone_or_renamed_in_the_gl() {
    let Some(bin) = python_tools("a_pull_lists_drafts_that_use_accounts_gone_or_renamed_in_the_gl")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    // The GL: the demo chart without 4930 (office supplies), and 4210 renamed.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let mut ledger = String::from("option \"operating_currency\" \"EUR\"\n");
    for a in folio_app::demo::demo_master_data(today).accounts {
        let name = match a.code.as_str() {
            "4930" => continue,
            "4210" => "Expenses:4210-Office-and-warehouse-rent".to_owned(),
            _ if a.postable && a.active => folio_gl::chart::account_name(&a),
            _ => continue,
        };
        ledger.push_str(&format!("2000-01-01 open {name}\n"));
    }
    let path = dir.path().join("main.beancount");
    std::fs::write(&path, ledger).unwrap();
    let server = FavaServer::start(&bin, &path);
    assert!(
        folio(&ws, &["gl", "connect", "fava", "--url", &server.url()])
            .status
            .success()
    );

    let pulled = folio(&ws, &["gl", "pull", "--json"]);
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&pulled)).unwrap();
    assert!(report["accounts"].as_u64().unwrap() > 20, "{report}");
    let exceptions = report["exceptions"].as_array().unwrap();
    let about = |code: &str| {
        exceptions
            .iter()
            .filter(|e| {
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("account {code}"))
            })
            .count()
    };
    assert!(about("4930") > 0, "{report}");
    assert!(about("4210") > 0, "{report}");
    for e in exceptions {
        assert!(e["field"].as_str().unwrap().ends_with(".account"), "{e}");
        assert!(e["document_id"].as_str().unwrap().starts_with("DOC-"));
    }
    // Pulled again: a rename was news once, an account gone stays a problem for its drafts.
    let human = stdout(&folio(&ws, &["gl", "pull"]));
    assert!(
        human.contains("gone from the GL") && !human.contains("renamed"),
        "{human}"
    );

    // Approved anyway, a journal on 4930 is rejected by the sync and never reaches the GL.
    let doc = exceptions
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains("account 4930"))
        .unwrap()["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        folio(&ws, &["--as", "controller", "approve", &doc])
            .status
            .success()
    );
    let synced = folio(&ws, &["sync", "--once", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&synced)).unwrap();
    assert_eq!(report["rejected"], 1, "{report}");
    let reason = report["exceptions"][0]["last_error"].as_str().unwrap();
    assert!(
        reason.contains("4930") && reason.contains("inactive"),
        "{reason}"
    );
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("folio_ref")
    );
}
