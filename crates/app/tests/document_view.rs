//! `Workspace::open_document` (the desktop's one call per opened document) answers exactly what
//! the three calls it replaces answer — `show_document`, `journal_draft`, `explain`, in that
//! order — on two identical demo workspaces, for the person who codes and for a controller, and
//! leaves the same journals and suggestions behind.

use chrono::{TimeZone, Utc};
use folio_app::{AppError, Context, DocumentOpenView, FixedClock, Workspace};
use std::path::Path;
use std::sync::Arc;

fn context(actor: &str) -> Context {
    Context {
        actor: actor.into(),
        clock: Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2025, 6, 15, 10, 0, 0).unwrap(),
        )),
    }
}

fn demo(path: &Path) -> Workspace {
    Workspace::init(path, true, context("tester")).unwrap().0
}

/// The three calls, shaped as `open_document`'s answer.
fn three_calls(ws: &mut Workspace, id: &str) -> Result<DocumentOpenView, AppError> {
    let detail = ws.show_document(id)?;
    let (journal, journal_error) = match ws.journal_draft(id) {
        Ok(j) => (Some(j), None),
        Err(e) => (None, Some(e)),
    };
    let (coding, coding_error) = match ws.explain(id) {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e)),
    };
    Ok(DocumentOpenView {
        detail,
        journal,
        journal_error,
        coding,
        coding_error,
    })
}

fn compare(actor: &str, a: &Path, b: &Path) -> (usize, usize) {
    let mut one = Workspace::open_with(a, context(actor)).unwrap();
    let mut three = Workspace::open_with(b, context(actor)).unwrap();
    let ids: Vec<String> = one
        .list_documents()
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert!(ids.len() >= 20, "the demo has {} documents", ids.len());
    let (mut journals, mut refused) = (0, 0);
    for id in &ids {
        let opened = one.open_document(id).unwrap();
        let expected = three_calls(&mut three, id).unwrap();
        assert_eq!(opened, expected, "{actor} opening {id}");
        journals += usize::from(opened.journal.is_some());
        refused += usize::from(opened.journal_error.is_some());
        assert!(
            opened.coding.is_some(),
            "{actor} {id}: {:?}",
            opened.coding_error
        );
    }
    // Both left the same journals behind.
    for id in &ids {
        assert_eq!(
            one.journal_draft(id).ok(),
            three.journal_draft(id).ok(),
            "{id}"
        );
    }
    (journals, refused)
}

#[test]
fn one_call_answers_what_the_three_calls_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    drop(demo(&a));
    drop(demo(&b));
    // A controller first (who may not code: a document without a journal is answered with the
    // reason, and nothing is written), then the person who codes (journal drafts are built).
    compare("controller", &a, &b);
    let (journals, refused) = compare("tester", &a, &b);
    assert!(journals > 0, "no journal was built; {refused} refused");
}

#[test]
fn an_unknown_document_fails_the_whole_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo(&dir.path().join("ws"));
    let err = ws.open_document("DOC-999999").unwrap_err();
    assert_eq!(err.code, folio_app::ErrorCode::DocumentNotFound);
}
