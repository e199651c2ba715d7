//! Suggested coding as stored: proposals replaced together and only when they change, a person's
//! values audited and frozen with an approved journal, rule packs in use, history imported whole,
//! vendors forgotten, approved lines and the exchange-rate table.

mod common;

use common::*;
use folio_domain::{JournalStatus, Side};
use folio_store::{
    DocumentId, JournalId, LearningState, NewHistoryLine, NewRulePack, NewSuggestion, StoreError,
    StoredRate,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn proposal(
    line_no: u32,
    field: &str,
    source: &str,
    value: &str,
    confidence: Decimal,
) -> NewSuggestion {
    NewSuggestion {
        line_no,
        field: field.into(),
        source: source.into(),
        value: value.into(),
        confidence,
        explanation_json: format!("{{\"kind\":\"{source}\"}}"),
        learn: true,
    }
}

fn actions(store: &folio_store::Store) -> Vec<String> {
    store
        .audit_events(None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[test]
fn computed_proposals_are_replaced_together_and_only_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"one", &[]);
    let rows = [
        proposal(1, "account", "rule", "4930", dec!(1)),
        proposal(1, "dimension:cost_centre", "model", "CC-100", dec!(0.873)),
        proposal(2, "account", "fixed", "4900", dec!(0)),
    ];
    assert!(
        store
            .refresh_suggestions(doc, &rows, &change("bob", 2))
            .unwrap()
    );
    assert!(
        !store
            .refresh_suggestions(doc, &rows, &change("bob", 3))
            .unwrap()
    );
    let stored = store.suggestions(doc).unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].proposal.confidence, dec!(0.873));
    assert_eq!(stored[1].proposal.field, "dimension:cost_centre");
    assert_eq!(stored[0].created_by, "bob");
    let changed = [proposal(1, "account", "rule", "4855", dec!(1))];
    assert!(
        store
            .refresh_suggestions(doc, &changed, &change("bob", 4))
            .unwrap()
    );
    assert_eq!(store.suggestions(doc).unwrap().len(), 1);
    let refreshes = actions(&store)
        .iter()
        .filter(|a| *a == "suggestions.refresh")
        .count();
    assert_eq!(refreshes, 2);
    let last = store.audit_events(None).unwrap().pop().unwrap();
    assert_eq!(last.entity_id, doc.to_string());
    assert!(
        last.before_json
            .unwrap()
            .contains("line 1 account rule=4930 (1)")
    );
    assert_eq!(
        last.after_json.unwrap(),
        "[\"line 1 account rule=4855 (1)\"]"
    );
    store.verify_audit_chain().unwrap();
}

#[test]
fn bad_proposals_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"one", &[]);
    let cases = [
        (
            proposal(1, "account", "rule", "4930", dec!(1.5)),
            "confidence 1.5",
        ),
        (
            proposal(1, "account", "person", "4930", dec!(1)),
            "save_person_values",
        ),
        (
            proposal(1, "colour", "rule", "red", dec!(1)),
            "CHECK constraint",
        ),
        (
            proposal(1, "account", "oracle", "4930", dec!(1)),
            "CHECK constraint",
        ),
        (
            proposal(0, "account", "rule", "4930", dec!(1)),
            "CHECK constraint",
        ),
    ];
    for (row, expected) in cases {
        let err = store
            .refresh_suggestions(doc, &[row], &change("bob", 2))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
    }
    assert!(store.suggestions(doc).unwrap().is_empty());
}

#[test]
fn a_persons_values_are_audited_kept_by_refreshes_and_frozen_by_approval() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"one", &[]);
    let mut mine = proposal(1, "account", "person", "4940", dec!(1));
    mine.learn = false;
    store
        .save_person_values(doc, std::slice::from_ref(&mine), &change("anna", 2))
        .unwrap();
    store
        .refresh_suggestions(
            doc,
            &[proposal(1, "account", "rule", "4930", dec!(1))],
            &change("bob", 3),
        )
        .unwrap();
    let again = proposal(1, "account", "person", "4800", dec!(1));
    store
        .save_person_values(doc, &[again], &change("anna", 4))
        .unwrap();
    let stored = store.suggestions(doc).unwrap();
    let sources: Vec<(&str, &str)> = stored
        .iter()
        .map(|s| (s.proposal.source.as_str(), s.proposal.value.as_str()))
        .collect();
    assert_eq!(sources, [("person", "4800"), ("rule", "4930")]);
    assert_eq!(store.person_values().unwrap().len(), 1);
    let event = store
        .audit_events(Some(("document", &doc.to_string())))
        .unwrap()
        .into_iter()
        .rfind(|e| e.action == "coding.correct")
        .unwrap();
    assert_eq!(event.actor, "anna");
    assert_eq!(
        event.before_json.unwrap(),
        "[\"line 1 account person=4940 (1) don't learn\"]"
    );

    let journal = store
        .save_journal_draft(doc, &balanced_journal(), &change("bob", 5))
        .unwrap();
    store
        .set_journal_status(journal, JournalStatus::Approved, &change("carol", 6))
        .unwrap();
    let err = store
        .save_person_values(doc, &[mine.clone()], &change("anna", 7))
        .unwrap_err();
    assert!(matches!(err, StoreError::Immutable { .. }), "{err}");
    // The trigger refuses it too, for whoever goes around the store.
    let conn = raw(dir.path());
    let err = conn
        .execute(
            "INSERT INTO suggestions VALUES (?1, 2, 'account', 'person', '1', '1', '{}', 1, \
             '2025-03-04T10:00:00Z', 'x')",
            [doc.0],
        )
        .unwrap_err();
    assert!(err.to_string().contains("approved (or later)"), "{err}");
}

#[test]
fn rule_packs_in_use_are_replaced_as_a_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let pack = |id: &str, version: &str| NewRulePack {
        pack_id: id.into(),
        version: version.into(),
        content_hash: "ab".repeat(32),
        source_text: format!("[pack]\nid = \"{id}\"\n"),
    };
    store
        .save_rule_packs(&[pack("default", "1"), pack("extra", "1")], &change("a", 1))
        .unwrap();
    store
        .save_rule_packs(&[pack("default", "2")], &change("a", 2))
        .unwrap();
    let packs = store.rule_packs().unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(
        (packs[0].pack_id.as_str(), packs[0].version.as_str()),
        ("default", "2")
    );
    let event = store.audit_events(None).unwrap().pop().unwrap();
    assert_eq!(event.action, "rule_packs.save");
    assert_eq!(
        event.before_json.unwrap(),
        "[\"default 1+abababababab\",\"extra 1+abababababab\"]"
    );
}

fn history_line(row_no: u32, supplier: &str, account: &str) -> NewHistoryLine {
    NewHistoryLine {
        row_no,
        date: date(2024, 5, row_no),
        supplier: supplier.into(),
        supplier_key: supplier.to_uppercase(),
        description: "Toner".into(),
        amount: dec!(-12.50),
        account: account.into(),
        cost_centre: String::new(),
        vat_category: Some("S".into()),
    }
}

#[test]
fn history_is_imported_whole_once_and_a_vendor_can_be_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let sha = "cd".repeat(32);
    let lines = [
        history_line(1, "Acme", "4930"),
        history_line(2, "Other", "4800"),
        history_line(3, "Acme", "4930"),
    ];
    let before = store.learning_state().unwrap();
    let import = store
        .import_history("h.csv", &sha, &lines, &[], &change("a", 1))
        .unwrap();
    assert_eq!(import.row_count, 3);
    let stored = store.history_lines().unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].line, lines[0]);
    assert_eq!(stored[0].file_name, "h.csv");
    let after_import = store.learning_state().unwrap();
    assert_ne!(before, after_import);

    let err = store
        .import_history("again.csv", &sha, &lines, &[], &change("a", 2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the same file was imported already (as h.csv"),
        "{err}"
    );
    assert_eq!(store.history_lines().unwrap().len(), 3);

    let forgotten = store
        .forget_vendor("ACME", "Acme", &change("a", 3))
        .unwrap();
    assert_eq!(forgotten, 2);
    let left: Vec<String> = store
        .history_lines()
        .unwrap()
        .into_iter()
        .map(|l| l.line.supplier)
        .collect();
    assert_eq!(left, ["Other"]);
    assert_eq!(store.forgotten_vendors().unwrap()[0].name, "Acme");
    assert_ne!(store.learning_state().unwrap(), after_import);
    let history_events = actions(&store)
        .into_iter()
        .filter(|a| a.starts_with("history.") || a.starts_with("vendor."))
        .collect::<Vec<_>>();
    assert_eq!(history_events, ["history.import", "vendor.forget"]);
}

#[test]
fn approved_lines_are_the_expense_postings_of_approved_journals() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"one", &[]);
    let mut journal = balanced_journal();
    journal.lines[0].source = Some("lines[1]".into());
    journal.lines[1].source = Some("vat_breakdown[0]".into());
    journal.lines[2].source = Some("totals.tax_inclusive".into());
    let id = store
        .save_journal_draft(doc, &journal, &change("bob", 2))
        .unwrap();
    assert!(
        store.approved_lines().unwrap().is_empty(),
        "drafts are not history"
    );
    store
        .record_approval(
            id,
            &folio_store::ApprovalRequest {
                role: "controller".into(),
                required: 1,
                reference: "FTEST-1".into(),
                policy: "one approver".into(),
            },
            &change("carol", 3),
        )
        .unwrap();
    let lines = store.approved_lines().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].approved_at, change("carol", 3).at);
    let line = &lines[0];
    assert_eq!((line.document, line.line_no), (doc, 2));
    assert_eq!(line.account, "6000");
    assert_eq!(line.amount, dec!(100.00));
    assert_eq!(line.dimensions["cost_centre"], "CC-100");
    assert_eq!(line.supplier, "ACME Büro GmbH");
    assert_eq!(journal.lines[0].side, Side::Debit);
    assert_eq!(line.journal, id);
    assert_eq!(store.approved_lines_of(&[id]).unwrap(), lines);
    assert_eq!(store.approved_lines_of(&[JournalId(id.0 + 1)]).unwrap(), []);
    let state = store.learning_state().unwrap();
    assert_eq!(state.journals, [(id, doc)].into());
    // Queued (and later posted) the next day, it still counts as approved when it was.
    store
        .set_journal_status(id, JournalStatus::Queued, &change("sync", 24 * 60))
        .unwrap();
    assert_eq!(store.approved_lines().unwrap(), lines);
    assert_eq!(store.learning_state().unwrap(), state);
}

#[test]
fn a_learning_state_tells_journals_added_from_any_other_change() {
    let earlier = LearningState {
        history_lines: 10,
        newest_import: 1,
        forgotten: Vec::new(),
        journals: [(JournalId(1), DocumentId(1)), (JournalId(2), DocumentId(2))].into(),
        no_learn: [(DocumentId(1), 2)].into(),
    };
    let with = |f: &dyn Fn(&mut LearningState)| {
        let mut s = earlier.clone();
        f(&mut s);
        s.journals_added_since(&earlier)
    };
    let added = |ids: &[i64]| Ok(ids.iter().map(|i| JournalId(*i)).collect::<Vec<_>>());
    assert_eq!(with(&|_| {}), added(&[]));
    assert_eq!(
        with(&|s| {
            s.journals.insert(JournalId(5), DocumentId(3));
            s.journals.insert(JournalId(4), DocumentId(4));
            // A mark on a document learned only now belongs to that journal's lines.
            s.no_learn.insert((DocumentId(3), 1));
        }),
        added(&[4, 5])
    );
    type Edit = dyn Fn(&mut LearningState);
    let changed: [(&str, &Edit); 6] = [
        ("the imported history changed", &|s| s.history_lines = 12),
        ("the imported history changed", &|s| s.newest_import = 2),
        ("the forgotten vendors changed", &|s| {
            s.forgotten.push(folio_store::ForgottenVendor {
                supplier_key: "acme".into(),
                name: "ACME".into(),
                forgotten_at: t0(),
                forgotten_by: "ann".into(),
            })
        }),
        ("JNL-2 of DOC-2 is no longer", &|s| {
            s.journals.remove(&JournalId(2));
        }),
        ("JNL-2 of DOC-2 is no longer", &|s| {
            // A new version of the document's journal replaces the one learned.
            s.journals.remove(&JournalId(2));
            s.journals.insert(JournalId(3), DocumentId(2));
        }),
        ("was marked \"don't learn\"", &|s| {
            s.no_learn.insert((DocumentId(2), 1));
        }),
    ];
    for (why, change) in changed {
        let err = with(change).unwrap_err();
        assert!(err.contains(why), "{err} (expected: {why})");
    }
}

#[test]
fn exchange_rates_are_saved_replaced_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let usd = folio_domain::Currency::parse("USD").unwrap();
    let rate = |d: u32, r: Decimal| StoredRate {
        from: usd,
        to: eur(),
        valid_from: date(2025, 1, d),
        rate: r,
    };
    store
        .save_exchange_rates(
            &[rate(1, dec!(0.9100)), rate(2, dec!(0.92))],
            &change("a", 1),
        )
        .unwrap();
    store
        .save_exchange_rates(&[rate(1, dec!(0.93))], &change("a", 2))
        .unwrap();
    let rates = store.exchange_rates().unwrap();
    assert_eq!(rates, [rate(1, dec!(0.93)), rate(2, dec!(0.92))]);
    let err = store
        .save_exchange_rates(&[rate(3, dec!(0))], &change("a", 3))
        .unwrap_err()
        .to_string();
    assert!(err.contains("a rate is positive"), "{err}");
}
