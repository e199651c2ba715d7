//! The outbox through the store's API: approval queues in the same transaction, states move with
//! their journals and their audit events, posted is final, and SQL refuses what the API would.

mod common;

use common::*;
use folio_domain::JournalStatus;
use folio_store::{GlCall, JournalId, OutboxOutcome, OutboxState, Store, StoreError};
use rust_decimal_macros::dec;
use std::time::Duration;

fn approved(store: &mut Store, number: &str, reference: &str) -> JournalId {
    let doc = import(store, &invoice(number), number.as_bytes(), &[]);
    let id = store
        .save_journal_draft(doc, &balanced_journal(), &change("clerk", 1))
        .unwrap();
    store
        .approve_and_queue(id, reference, &change("controller", 2))
        .unwrap();
    id
}

fn by_id(store: &Store, id: JournalId) -> folio_store::OutboxEntry {
    store
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.journal == id)
        .unwrap()
}

fn status(store: &Store, id: JournalId) -> JournalStatus {
    store.get_journal(id).unwrap().unwrap().journal.status
}

#[test]
fn approval_queues_with_the_reference_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let id = approved(&mut store, "INV-1", "FAB-1");
    assert_eq!(status(&store, id), JournalStatus::Approved);
    let entries = store.outbox().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        (e.journal, e.reference.as_str(), e.state, e.attempts),
        (id, "FAB-1", OutboxState::Queued, 0)
    );
    assert_eq!(e.next_attempt_at, change("x", 2).at);
    let actions: Vec<String> = store
        .audit_events(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.ends_with(&["journal.status".to_owned(), "outbox.queued".to_owned()]));

    // An unbalanced journal is neither approved nor queued.
    let doc = import(&mut store, &invoice("INV-2"), b"2", &[]);
    let mut bad = balanced_journal();
    bad.lines[0].amount = dec!(1.01);
    let bad_id = store
        .save_journal_draft(doc, &bad, &change("clerk", 3))
        .unwrap();
    let err = store
        .approve_and_queue(bad_id, "FAB-2", &change("controller", 4))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidTransition { .. }), "{err}");
    assert_eq!(status(&store, bad_id), JournalStatus::Draft);
    assert_eq!(store.outbox().unwrap().len(), 1);

    // A reference is never used twice; the approval is rolled back with the queueing.
    let doc = import(&mut store, &invoice("INV-3"), b"3", &[]);
    let third = store
        .save_journal_draft(doc, &balanced_journal(), &change("clerk", 5))
        .unwrap();
    assert!(
        store
            .approve_and_queue(third, "FAB-1", &change("controller", 6))
            .is_err()
    );
    assert_eq!(status(&store, third), JournalStatus::Draft);
}

#[test]
fn states_move_their_journals_along_and_posted_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let a = approved(&mut store, "INV-1", "FAB-1");
    let b = approved(&mut store, "INV-2", "FAB-2");
    let c = approved(&mut store, "INV-3", "FAB-3");
    let d = approved(&mut store, "INV-4", "FAB-4");
    assert_eq!(store.outbox_due(change("x", 1).at, 10).unwrap().len(), 0);
    let due = store.outbox_due(change("x", 2).at, 10).unwrap();
    assert_eq!(due.len(), 4);
    assert_eq!(store.outbox_due(change("x", 2).at, 3).unwrap().len(), 3);

    let marked = store
        .outbox_mark_sending(&[a, b, c, d], &change("sync", 3))
        .unwrap();
    assert!(
        marked
            .iter()
            .all(|e| e.state == OutboxState::Sending && e.attempts == 1)
    );
    assert_eq!(status(&store, a), JournalStatus::Queued);
    // Sending again marks nothing: they are no longer queued.
    assert!(
        store
            .outbox_mark_sending(&[a], &change("sync", 3))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.outbox_in_doubt().unwrap().len(), 4);

    let later = change("sync", 10).at;
    store
        .outbox_record(
            &[
                (
                    a,
                    OutboxOutcome::Posted {
                        gl_id: "main.beancount:12".into(),
                        receipt: "appended".into(),
                    },
                ),
                (
                    b,
                    OutboxOutcome::Rejected {
                        reason: "lines[1].account: unknown account 4711".into(),
                    },
                ),
                (
                    c,
                    OutboxOutcome::Unknown {
                        error: "timeout".into(),
                    },
                ),
                (
                    d,
                    OutboxOutcome::Retry {
                        error: "503".into(),
                        at: later,
                    },
                ),
            ],
            &change("sync", 4),
        )
        .unwrap();
    assert_eq!(by_id(&store, a).state, OutboxState::Posted);
    assert_eq!(by_id(&store, a).gl_id.as_deref(), Some("main.beancount:12"));
    assert_eq!(status(&store, a), JournalStatus::Posted);
    assert_eq!(by_id(&store, b).state, OutboxState::Rejected);
    assert!(by_id(&store, b).last_error.unwrap().contains("4711"));
    assert_eq!(status(&store, b), JournalStatus::Rejected);
    assert_eq!(by_id(&store, c).state, OutboxState::Unknown);
    assert_eq!(status(&store, c), JournalStatus::Queued);
    assert_eq!(
        (by_id(&store, d).state, by_id(&store, d).next_attempt_at),
        (OutboxState::Queued, later)
    );
    assert_eq!(store.outbox_next_due().unwrap(), Some(later));
    assert_eq!(
        store
            .outbox_in_doubt()
            .unwrap()
            .iter()
            .map(|e| e.journal)
            .collect::<Vec<_>>(),
        [c]
    );

    // Posted is final, through the API and in SQL.
    store
        .outbox_record(
            &[(
                a,
                OutboxOutcome::Rejected {
                    reason: "late".into(),
                },
            )],
            &change("sync", 5),
        )
        .unwrap();
    assert_eq!(by_id(&store, a).state, OutboxState::Posted);
    let db = raw(dir.path());
    for sql in [
        "UPDATE outbox SET state = 'queued' WHERE journal_id = 1",
        "UPDATE outbox SET reference = 'FAB-9' WHERE journal_id = 2",
        "DELETE FROM outbox WHERE journal_id = 2",
        "INSERT INTO outbox (journal_id, reference, state, next_attempt_at, queued_at, updated_at) \
         VALUES (3, 'not a ref', 'queued', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', \
         '2025-01-01T00:00:00Z')",
        "UPDATE outbox SET state = 'posted', gl_id = NULL WHERE journal_id = 3",
    ] {
        assert!(db.execute(sql, []).is_err(), "{sql} must be refused");
    }
    let events = store
        .audit_events(Some(("outbox", &a.to_string())))
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["outbox.queued", "outbox.sending", "outbox.posted"]
    );
    store.verify_audit_chain().unwrap();
}

#[test]
fn a_journal_refused_before_sending_is_rejected_from_approved() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let a = approved(&mut store, "INV-1", "FAB-1");
    store
        .outbox_record(
            &[(
                a,
                OutboxOutcome::Rejected {
                    reason: "account 4711 is not in the GL".into(),
                },
            )],
            &change("sync", 3),
        )
        .unwrap();
    assert_eq!(status(&store, a), JournalStatus::Rejected);
    // The clerk can rework it: a new version, approved under a new reference.
    let doc = store.get_journal(a).unwrap().unwrap().document;
    let mut fixed = balanced_journal();
    fixed.lines[0].account = "6000".into();
    let next = store
        .save_journal_draft(doc, &fixed, &change("clerk", 4))
        .unwrap();
    assert_ne!(next, a);
    store
        .approve_and_queue(next, "FAB-2", &change("controller", 5))
        .unwrap();
    assert_eq!(store.outbox().unwrap().len(), 2);
}

#[test]
fn api_calls_are_kept_for_the_monitor() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let calls: Vec<GlCall> = (0..5)
        .map(|i| GlCall {
            at: change("x", i).at,
            connector: "fava".into(),
            operation: "post".into(),
            status: if i == 3 { "503" } else { "200" }.into(),
            duration: Duration::from_millis(40 + i as u64),
            correlation_id: Some(format!("req-{i}")),
            error: (i == 3).then(|| "service unavailable".to_owned()),
        })
        .collect();
    store.record_gl_calls(&calls).unwrap();
    let latest = store.gl_calls(2).unwrap();
    assert_eq!(latest, calls[3..].to_vec());
    assert_eq!(store.gl_calls(100).unwrap(), calls);
}
