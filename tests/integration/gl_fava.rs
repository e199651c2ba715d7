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

/// An entry written to the ledger within the same tick of the file system's clock as the
/// previous write leaves the mtime unchanged, so Fava keeps answering from the ledger it loaded
/// before. The connector must still find the entry (by reading the file) and never write it a
/// second time.
#[tokio::test]
async fn an_entry_fava_has_not_loaded_yet_is_found_and_not_written_again() {
    let Some(bin) = python_tools("an_entry_fava_has_not_loaded_yet_is_found_and_not_written_again")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.beancount");
    std::fs::write(&path, ledger_preamble("Folio stale view")).unwrap();
    let server = FavaServer::start(&bin, &path);
    let fava = connector(&server.url());
    // Fava has loaded the ledger: a first journal goes in the usual way.
    let first = fava.post(vec![outgoing("ST", 1)]).await;
    assert!(first[0].1.is_ok(), "{:?}", first[0].1);

    // Another writer appends a journal and the mtime stays what Fava saw.
    let hidden = outgoing("ST", 2);
    let chart = folio_gl::chart::Chart::new(&chart());
    let text = folio_gl::ledger_text::beancount(&hidden.journal, &hidden.reference, &|code| {
        chart.name_or_code(code)
    });
    let seen = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, format!("\n{text}").as_bytes()).unwrap();
    file.set_modified(seen).unwrap();
    drop(file);

    let found = fava.lookup(vec![hidden.reference.clone()]).await.unwrap();
    assert!(
        found.contains_key(&hidden.reference),
        "the look-up must see the file, not Fava's stale view"
    );
    let again = fava.post(vec![hidden.clone()]).await;
    assert!(again[0].1.is_ok(), "{:?}", again[0].1);
    assert_eq!(
        ref_counts(&path).get(hidden.reference.as_str()),
        Some(&1),
        "written once, by the other writer"
    );
    assert_eq!(bean_check(&bin, &path), "");
}
