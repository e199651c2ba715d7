//! The `ledger-file` connector against a real beancount file, checked by `bean-check`: the
//! connector contract, and a batch torn by a crash that the next append cuts off.

use crate::gl_contract::{self, Gl};
use folio_gl::{Connector, LedgerFile};
use folio_tests::gl_support::{bean_check, chart, outgoing, python_tools, ref_counts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_file_keeps_the_connector_contract() {
    let Some(bin) = python_tools("ledger_file_keeps_the_connector_contract") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.beancount");
    let connector = LedgerFile::new(&path, chart());
    let refs = || ref_counts(&path);
    let check = || bean_check(&bin, &path);
    gl_contract::run(
        "LF",
        &connector,
        || LedgerFile::new(&path, chart()),
        Gl {
            refs: &refs,
            check: &check,
        },
    )
    .await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("open Expenses:4930-Office-supplies"));
    assert_eq!(
        text.matches("open Expenses:4930-Office-supplies").count(),
        1
    );
    assert!(text.contains("    cost_centre: \"CC-100\""));
}

#[tokio::test]
async fn a_torn_batch_is_cut_off_and_never_counts() {
    let Some(bin) = python_tools("a_torn_batch_is_cut_off_and_never_counts") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.beancount");
    let connector = LedgerFile::new(&path, chart());
    assert!(connector.post(vec![outgoing("TT", 1)]).await[0].1.is_ok());
    let whole = std::fs::read_to_string(&path).unwrap();
    // A crash in the middle of the next append: its begin marker and half an entry.
    let torn_entry = folio_gl::ledger_text::beancount(
        &outgoing("TT", 2).journal,
        &outgoing("TT", 2).reference,
        &|c| c.to_owned(),
    );
    let torn = format!(
        "{whole}\n;; folio-batch-begin\n{}",
        &torn_entry[..torn_entry.len() / 2]
    );
    std::fs::write(&path, &torn).unwrap();
    let found = connector
        .lookup(vec![outgoing("TT", 2).reference])
        .await
        .unwrap();
    assert!(found.is_empty(), "a torn entry must not count as posted");
    let outcome = connector
        .post(vec![outgoing("TT", 2), outgoing("TT", 3)])
        .await;
    assert!(outcome.iter().all(|(_, r)| r.is_ok()), "{outcome:?}");
    let counts = ref_counts(&path);
    for n in 1..=3 {
        assert_eq!(counts.get(outgoing("TT", n).reference.as_str()), Some(&1));
    }
    assert_eq!(bean_check(&bin, &path), "");
}
