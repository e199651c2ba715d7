//! The audit log: one event per change, a hash chain that `verify_audit_chain` walks, and
//! tampering detected at the event where it happened.

mod common;

use common::*;
use folio_domain::JournalStatus;
use folio_store::{Store, StoreError};
use std::path::Path;

/// A workspace with events 1..=5: create, import, journal create, approve, master data.
fn workspace() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &problems());
    let j = store
        .save_journal_draft(doc, &balanced_journal(), &change("bob", 2))
        .unwrap();
    store
        .set_journal_status(j, JournalStatus::Approved, &change("carol", 3))
        .unwrap();
    store
        .save_master_data(&Default::default(), &change("admin", 4))
        .unwrap();
    (dir, store)
}

/// What an attacker with the sqlite3 shell would do: drop the guard, then edit.
fn tamper(dir: &Path, sql: &str) {
    let conn = raw(dir);
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; {sql}"
    ))
    .unwrap();
}

#[test]
fn every_change_records_one_event_in_a_valid_chain() {
    let (_dir, store) = workspace();
    let events = store.audit_events(None).unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.seq,
                e.actor.as_str(),
                e.action.as_str(),
                e.entity.as_str(),
                e.entity_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "folio", "workspace.create", "workspace", ""),
            (2, "alice", "document.import", "document", "DOC-1"),
            (3, "bob", "journal.create", "journal", "JNL-1"),
            (4, "carol", "journal.status", "journal", "JNL-1"),
            (5, "admin", "master_data.save", "master_data", ""),
        ]
    );
    assert_eq!(events[0].prev_hash, folio_store::audit::GENESIS_HASH);
    for pair in events.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(events[3].at, change("carol", 3).at);
    assert!(
        events[3]
            .before_json
            .as_deref()
            .unwrap()
            .contains(r#""status":"draft""#)
    );
    assert!(
        events[3]
            .after_json
            .as_deref()
            .unwrap()
            .contains(r#""status":"approved""#)
    );
    assert_eq!(store.verify_audit_chain().unwrap(), 5);
    assert_eq!(
        store.audit_head().unwrap(),
        Some((5, events[4].hash.clone()))
    );
    let for_doc = store.audit_events(Some(("document", "DOC-1"))).unwrap();
    assert_eq!(for_doc.len(), 1);
    assert_eq!(for_doc[0].seq, 2);
}

#[test]
fn tampering_is_detected_at_the_event_that_was_changed() {
    let cases: &[(&str, i64, &str)] = &[
        (
            "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
            3,
            "content",
        ),
        (
            "UPDATE audit_events SET at = '2025-01-01T00:00:00Z' WHERE seq = 2",
            2,
            "content",
        ),
        (
            "UPDATE audit_events SET after_json = replace(after_json, '119.00', '19.00') \
             WHERE seq = 4",
            4,
            "content",
        ),
        (
            "UPDATE audit_events SET before_json = NULL WHERE seq = 4",
            4,
            "content",
        ),
        (
            "UPDATE audit_events SET entity_id = 'DOC-2' WHERE seq = 2",
            2,
            "content",
        ),
        // A removed event: the next one names the gap.
        ("DELETE FROM audit_events WHERE seq = 3", 4, "missing"),
        // A rewritten hash to match the change: the next event's link breaks.
        (
            "UPDATE audit_events SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 2",
            2,
            "content",
        ),
        // Renumbered events to hide a removal: the link of the moved event breaks.
        (
            "DELETE FROM audit_events WHERE seq = 2; UPDATE audit_events SET seq = seq - 1 WHERE seq > 2",
            2,
            "link",
        ),
    ];
    for (sql, seq, kind) in cases {
        let (dir, store) = workspace();
        tamper(dir.path(), sql);
        match store.verify_audit_chain() {
            Err(StoreError::AuditBreak {
                seq: at, reason, ..
            }) => {
                assert_eq!(at, *seq, "{sql}: {reason}");
                let expected = match *kind {
                    "content" => "does not match its hash",
                    "missing" => "missing",
                    _ => "link to the previous event",
                };
                assert!(reason.contains(expected), "{sql}: {reason}");
            }
            other => panic!("{sql}: expected AuditBreak at {seq}, got {other:?}"),
        }
    }
}

#[test]
fn a_fresh_workspace_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    assert_eq!(store.verify_audit_chain().unwrap(), 1);
    let create = &store.audit_events(None).unwrap()[0];
    assert!(
        create
            .after_json
            .as_deref()
            .unwrap()
            .contains("created_by_version")
    );
}
