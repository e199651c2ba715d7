//! Journals through the store's API: drafts, versions, the lifecycle and immutability.

mod common;

use common::*;
use folio_domain::{JournalStatus, Side};
use folio_store::{JournalId, StoreError};
use rust_decimal_macros::dec;

#[test]
fn a_draft_round_trips_and_is_replaced_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    assert_eq!(store.journal_for_document(doc).unwrap(), None);

    let mut journal = balanced_journal();
    journal.lines[0].amount = dec!(100.10); // scale kept
    journal.lines[2].amount = dec!(119.10);
    let id = store
        .save_journal_draft(doc, &journal, &change("bob", 2))
        .unwrap();
    let stored = store.journal_for_document(doc).unwrap().unwrap();
    assert_eq!((stored.id, stored.document, stored.version), (id, doc, 1));
    assert_eq!(stored.journal, journal);
    assert_eq!(stored.journal.lines[0].amount.to_string(), "100.10");
    assert_eq!(stored.created_by, "bob");

    // Saving again edits the same draft: same id, same version, new lines.
    let mut edited = balanced_journal();
    edited.memo = "edited".into();
    edited.lines.pop();
    edited.lines.push(jline("1600", Side::Credit, dec!(119.00)));
    edited.lines.push(jline("9999", Side::Debit, dec!(0)));
    let again = store
        .save_journal_draft(doc, &edited, &change("carol", 3))
        .unwrap();
    assert_eq!(again, id);
    let stored = store.journal_for_document(doc).unwrap().unwrap();
    assert_eq!(stored.journal, edited);
    assert_eq!((stored.version, stored.created_by.as_str()), (1, "bob"));
    assert_eq!(stored.updated_by, "carol");
    assert_eq!(store.get_journal(id).unwrap().unwrap(), stored);

    let events = store.audit_events(Some(("journal", "JNL-1"))).unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["journal.create", "journal.save_draft"]);
    assert!(events[1].before_json.as_deref().unwrap().contains("100.10"));
    assert!(events[1].after_json.as_deref().unwrap().contains("edited"));
}

#[test]
fn the_lifecycle_is_checked_and_approved_journals_are_immutable() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    let id = store
        .save_journal_draft(doc, &balanced_journal(), &change("bob", 2))
        .unwrap();

    let err = store
        .set_journal_status(id, JournalStatus::Posted, &change("bob", 3))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidTransition { .. }), "{err}");
    assert!(err.to_string().contains("draft to posted"), "{err}");

    store
        .set_journal_status(id, JournalStatus::Approved, &change("carol", 4))
        .unwrap();
    let err = store
        .save_journal_draft(doc, &balanced_journal(), &change("bob", 5))
        .unwrap_err();
    assert!(matches!(err, StoreError::Immutable { .. }), "{err}");
    assert!(err.to_string().contains("approved"), "{err}");

    // Back to draft voids the approval; then it can be edited again.
    store
        .set_journal_status(id, JournalStatus::Draft, &change("carol", 6))
        .unwrap();
    let mut edited = balanced_journal();
    edited.memo = "after review".into();
    assert_eq!(
        store
            .save_journal_draft(doc, &edited, &change("bob", 7))
            .unwrap(),
        id
    );
    for to in [
        JournalStatus::Approved,
        JournalStatus::Queued,
        JournalStatus::Posted,
    ] {
        store
            .set_journal_status(id, to, &change("carol", 8))
            .unwrap();
    }
    let stored = store.journal_for_document(doc).unwrap().unwrap();
    assert_eq!(stored.journal.status, JournalStatus::Posted);
    assert_eq!(stored.journal.memo, "after review");
    let err = store
        .set_journal_status(id, JournalStatus::Draft, &change("carol", 9))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidTransition { .. }), "{err}");
    assert!(matches!(
        store.set_journal_status(JournalId(42), JournalStatus::Approved, &change("c", 9)),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.verify_audit_chain().unwrap(), 9);
}

#[test]
fn an_unbalanced_journal_cannot_be_approved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    let mut journal = balanced_journal();
    journal.lines[2].amount = dec!(118.99);
    let id = store
        .save_journal_draft(doc, &journal, &change("bob", 2))
        .unwrap();
    let err = store
        .set_journal_status(id, JournalStatus::Approved, &change("carol", 3))
        .unwrap_err();
    assert!(err.to_string().contains("JOURNAL_UNBALANCED"), "{err}");
    assert_eq!(
        store
            .journal_for_document(doc)
            .unwrap()
            .unwrap()
            .journal
            .status,
        JournalStatus::Draft
    );
}

#[test]
fn negative_amounts_are_refused_before_sql() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    let mut journal = balanced_journal();
    journal.lines[1].amount = dec!(-19.00);
    let err = store
        .save_journal_draft(doc, &journal, &change("bob", 2))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(store.journal_for_document(doc).unwrap(), None);
    // A negative zero is a zero.
    journal.lines[1].amount = -dec!(0.00);
    store
        .save_journal_draft(doc, &journal, &change("bob", 3))
        .unwrap();
}

#[test]
fn editing_a_rejected_journal_starts_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    let v1 = store
        .save_journal_draft(doc, &balanced_journal(), &change("bob", 2))
        .unwrap();
    for to in [
        JournalStatus::Approved,
        JournalStatus::Queued,
        JournalStatus::Rejected,
    ] {
        store.set_journal_status(v1, to, &change("gl", 3)).unwrap();
    }
    let mut fixed = balanced_journal();
    fixed.memo = "fixed".into();
    let v2 = store
        .save_journal_draft(doc, &fixed, &change("bob", 4))
        .unwrap();
    assert_ne!(v1, v2);
    let current = store.journal_for_document(doc).unwrap().unwrap();
    assert_eq!((current.id, current.version), (v2, 2));
    assert_eq!(current.journal.status, JournalStatus::Draft);
    let versions = store.journal_versions(doc).unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].journal.status, JournalStatus::Rejected);
    assert_eq!(versions[0].journal.memo, "ACME INV-1");
    // The superseded version cannot come back to life.
    let err = store
        .set_journal_status(v1, JournalStatus::Draft, &change("bob", 5))
        .unwrap_err();
    assert!(err.to_string().contains("superseded"), "{err}");
    let row = &store.list_documents().unwrap()[0];
    assert_eq!(row.journal_status, Some(JournalStatus::Draft));
}

#[test]
fn a_journal_needs_an_existing_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let err = store
        .save_journal_draft(
            folio_store::DocumentId(7),
            &balanced_journal(),
            &change("b", 1),
        )
        .unwrap_err();
    assert!(err.to_string().contains("DOC-7"), "{err}");
}
