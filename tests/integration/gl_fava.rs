//! The `fava` connector against a real Fava (in a venv under target/) on a temporary ledger,
//! checked in the ledger itself: the connector contract, and a journal that Fava refuses after it
//! was written is taken out again.

use crate::gl_contract::{self, Gl};
use folio_gl::{Connector, Fava, GlError};
use folio_tests::gl_support::{
    FavaServer, bean_check, chart, ledger_preamble, outgoing, python_tools, ref_counts,
};
use std::time::Duration;

fn connector(url: &str) -> Fava {
    Fava::new(url, &chart(), Duration::from_secs(10), None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fava_keeps_the_connector_contract() {
    let Some(bin) = python_tools("fava_keeps_the_connector_contract") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.beancount");
    std::fs::write(&path, ledger_preamble("Folio contract")).unwrap();
    let server = FavaServer::start(&bin, &path);
    let url = server.url();
    let refs = || ref_counts(&path);
    let check = || bean_check(&bin, &path);
    gl_contract::run(
        "FV",
        &connector(&url),
        || connector(&url),
        Gl {
            refs: &refs,
            check: &check,
        },
    )
    .await;
}

#[tokio::test]
async fn an_entry_fava_refuses_after_writing_is_removed_and_refused() {
    let Some(bin) = python_tools("an_entry_fava_refuses_after_writing_is_removed_and_refused")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.beancount");
    // The ledger closes the payables account, so Fava reports every posting to it.
    std::fs::write(
        &path,
        format!(
            "{}2001-01-01 close Liabilities:1600-Trade-payables\n",
            ledger_preamble("Folio refusal")
        ),
    )
    .unwrap();
    let server = FavaServer::start(&bin, &path);
    let fava = connector(&server.url());
    let outcome = fava.post(vec![outgoing("RF", 1)]).await;
    match &outcome[0].1 {
        Err(GlError::Permanent { message, field }) => {
            assert!(
                message.contains("Liabilities:1600-Trade-payables"),
                "{message}"
            );
            assert_eq!(field.as_deref(), Some("lines[3].account"));
        }
        other => panic!("Fava's error must refuse the journal, got {other:?}"),
    }
    assert_eq!(
        ref_counts(&path).get(outgoing("RF", 1).reference.as_str()),
        None
    );
    assert!(
        fava.lookup(vec![outgoing("RF", 1).reference])
            .await
            .unwrap()
            .is_empty()
    );
}
