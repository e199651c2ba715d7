//! Users, preparers and approvals through the store's API, and what SQL refuses on its own: an
//! approval by a preparer, a changed or deleted decision, voiding an entry that was sent.

mod common;

use common::*;
use folio_domain::JournalStatus;
use folio_store::{
    ApprovalRequest, JournalId, OutboxState, Store, StoreError, journal_content_sha256,
};

fn request(required: u32) -> ApprovalRequest {
    ApprovalRequest {
        role: "controller".into(),
        required,
        reference: "FAB-1".into(),
        policy: format!("{required} approver(s)"),
    }
}

fn drafted(store: &mut Store) -> JournalId {
    let doc = import(store, &invoice("INV-1"), b"INV-1", &[]);
    store
        .save_journal_draft(doc, &balanced_journal(), &change("clerk", 1))
        .unwrap()
}

fn status(store: &Store, id: JournalId) -> JournalStatus {
    store.get_journal(id).unwrap().unwrap().journal.status
}

#[test]
fn users_are_added_once_and_their_role_changes_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    store.add_user("anna", "admin", &change("anna", 0)).unwrap();
    store.add_user("ben", "clerk", &change("anna", 1)).unwrap();
    assert!(matches!(
        store.add_user("ben", "controller", &change("anna", 2)),
        Err(StoreError::Invalid { .. })
    ));
    store
        .set_user_role("ben", "controller", &change("anna", 3))
        .unwrap();
    assert_eq!(store.user("ben").unwrap().unwrap().role, "controller");
    let events = store.audit_events(Some(("user", "ben"))).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.add", "user.role"]);
    assert!(events[1].before_json.as_deref().unwrap().contains("clerk"));
    // SQL refuses what the app never asks for.
    let db = raw(dir.path());
    for sql in [
        "INSERT INTO users (name, role, added_at, added_by) VALUES ('x', 'boss', '2025-01-01T00:00:00Z', 'a')",
        "INSERT INTO users (name, role, added_at, added_by) VALUES ('a b', 'clerk', '2025-01-01T00:00:00Z', 'a')",
        "DELETE FROM users WHERE name = 'ben'",
    ] {
        assert!(db.execute(sql, []).is_err(), "{sql}");
    }
}

#[test]
fn a_journal_is_approved_when_its_policy_count_of_distinct_approvers_is_reached() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let id = drafted(&mut store);
    assert_eq!(store.journal_preparers(id).unwrap(), ["clerk"]);

    let first = store
        .record_approval(id, &request(2), &change("carl", 2))
        .unwrap();
    assert!(!first.queued);
    assert_eq!(status(&store, id), JournalStatus::Draft);
    assert!(store.outbox().unwrap().is_empty());
    // The same person again counts once: refused.
    assert!(matches!(
        store.record_approval(id, &request(2), &change("carl", 3)),
        Err(StoreError::Invalid { .. })
    ));
    // The preparer: refused by the trigger.
    let err = store
        .record_approval(id, &request(2), &change("clerk", 3))
        .unwrap_err();
    assert!(
        err.constraint_message()
            .is_some_and(|m| m.contains("segregation of duties")),
        "{err}"
    );
    let second = store
        .record_approval(id, &request(2), &change("cora", 4))
        .unwrap();
    assert!(second.queued);
    assert_eq!(second.approvers, ["carl", "cora"]);
    assert_eq!(
        second.content_sha256,
        journal_content_sha256(&balanced_journal())
    );
    assert_eq!(status(&store, id), JournalStatus::Approved);
    assert_eq!(store.outbox().unwrap()[0].state, OutboxState::Queued);
}

#[test]
fn an_edit_voids_approvals_and_an_unsent_approved_journal_goes_back_to_draft() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let id = drafted(&mut store);
    let doc = store.get_journal(id).unwrap().unwrap().document;

    // A partial approval is voided when the draft's content changes.
    store
        .record_approval(id, &request(2), &change("carl", 2))
        .unwrap();
    let mut edited = balanced_journal();
    edited.memo = "ACME INV-1 (corrected)".into();
    store
        .save_journal_draft(doc, &edited, &change("clerk", 3))
        .unwrap();
    let decisions = store.journal_decisions(id).unwrap();
    assert!(!decisions[0].is_live());
    assert!(
        decisions[0]
            .voided_reason
            .as_deref()
            .unwrap()
            .contains("edited by clerk")
    );
    // Approved for the new content.
    store
        .record_approval(id, &request(1), &change("carl", 4))
        .unwrap();
    assert_eq!(status(&store, id), JournalStatus::Approved);

    // An approved journal never sent is reopened: draft again, its outbox entry voided.
    store
        .reopen_for_edit(id, "edited by clerk after approval", &change("clerk", 5))
        .unwrap();
    assert_eq!(status(&store, id), JournalStatus::Draft);
    assert_eq!(store.outbox().unwrap()[0].state, OutboxState::Voided);
    assert!(
        store
            .journal_decisions(id)
            .unwrap()
            .iter()
            .all(|d| !d.is_live())
    );
    // Approved again: the same entry is queued again under its (never used) reference.
    store
        .record_approval(id, &request(1), &change("cora", 6))
        .unwrap();
    let entry = &store.outbox().unwrap()[0];
    assert_eq!(
        (entry.state, entry.reference.as_str()),
        (OutboxState::Queued, "FAB-1")
    );

    // Once it is on its way, it can no longer be reopened; SQL refuses voiding a sent entry.
    store
        .outbox_mark_sending(&[id], &change("sync", 7))
        .unwrap();
    assert!(matches!(
        store.reopen_for_edit(id, "too late", &change("clerk", 8)),
        Err(StoreError::Immutable { .. })
    ));
    let db = raw(dir.path());
    assert!(
        db.execute("UPDATE outbox SET state = 'voided'", [])
            .is_err()
    );
}

#[test]
fn a_rejection_voids_approvals_and_decisions_are_never_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let id = drafted(&mut store);
    store
        .record_approval(id, &request(1), &change("carl", 2))
        .unwrap();
    let rejected = store
        .reject_journal(id, "controller", "wrong cost centre", &change("cora", 3))
        .unwrap();
    assert_eq!(rejected.comment, "wrong cost centre");
    assert_eq!(status(&store, id), JournalStatus::Draft);
    let decisions = store.journal_decisions(id).unwrap();
    assert_eq!(decisions.len(), 2);
    assert!(!decisions[0].is_live() && decisions[1].is_live());
    let actions: Vec<String> = store
        .audit_events(Some(("journal", &id.to_string())))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "journal.approve",
        "journal.approvals_voided",
        "journal.reject",
    ] {
        assert!(actions.iter().any(|a| a == action), "{actions:?}");
    }
    let db = raw(dir.path());
    for sql in [
        "UPDATE journal_decisions SET comment = 'fine' WHERE decision = 'reject'",
        "UPDATE journal_decisions SET voided_at = '2025-01-01T00:00:00Z', voided_by = 'x', \
         voided_reason = 'again' WHERE decision = 'approve'",
        "DELETE FROM journal_decisions",
        "DELETE FROM journal_preparers",
    ] {
        assert!(db.execute(sql, []).is_err(), "{sql}");
    }
}
