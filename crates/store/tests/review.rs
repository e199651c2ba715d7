//! Reviewers' "not a duplicate" decisions (migration 0003) and several documents of one file
//! stored in one transaction.

mod common;

use common::*;
use folio_domain::{DocType, Problem};
use folio_store::{DocumentId, NewDocument, OriginalFile, StoreError, normalise_number};
use rust_decimal_macros::dec;

fn duplicate_problem() -> Vec<Problem> {
    vec![Problem::warning(
        "DUPLICATE",
        "number",
        "same supplier and number as DOC-1",
    )]
}

#[test]
fn clearing_a_duplicate_flag_is_recorded_with_its_reason_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let first = import(&mut store, &invoice("INV-1"), b"<a/>", &[]);
    let second = import(&mut store, &invoice("INV-1"), b"<b/>", &duplicate_problem());
    assert!(store.is_flagged_duplicate(second).unwrap());
    assert!(!store.is_flagged_duplicate(first).unwrap());

    let cases: &[(DocumentId, &str, &str)] = &[
        (second, "   ", "a reason is required"),
        (first, "looks fine", "is not flagged as a duplicate"),
        (DocumentId(99), "why", "DOC-99"),
    ];
    for (id, reason, expected) in cases {
        let error = store
            .resolve_not_duplicate(*id, reason, &change("bob", 5))
            .unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }

    let decision = store
        .resolve_not_duplicate(
            second,
            "  credit note re-sent with a new PDF  ",
            &change("bob", 5),
        )
        .unwrap();
    assert_eq!(decision.reason, "credit note re-sent with a new PDF");
    assert_eq!(decision.decided_by, "bob");
    assert!(!store.is_flagged_duplicate(second).unwrap());
    assert_eq!(
        store
            .not_duplicate_decision(second)
            .unwrap()
            .map(|d| d.reason),
        Some("credit note re-sent with a new PDF".to_owned())
    );
    let again = store
        .resolve_not_duplicate(second, "again", &change("bob", 6))
        .unwrap_err();
    assert!(matches!(again, StoreError::Invalid { .. }), "{again}");

    let events = store.audit_events(Some(("document", "DOC-2"))).unwrap();
    let review = events.last().unwrap();
    assert_eq!(review.action, "document.review");
    assert_eq!(review.actor, "bob");
    assert!(
        review
            .after_json
            .as_deref()
            .unwrap_or_default()
            .contains("not_duplicate")
    );
    assert!(
        review
            .before_json
            .as_deref()
            .unwrap_or_default()
            .contains("DUPLICATE")
    );
    store.verify_audit_chain().unwrap();

    // Decisions are records: SQL refuses to change or remove them.
    let conn = raw(dir.path());
    for sql in [
        "UPDATE document_reviews SET reason = 'x'",
        "DELETE FROM document_reviews",
    ] {
        let error = conn.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("review decision"), "{sql}: {error}");
    }
}

#[test]
fn same_supplier_and_amount_is_found_by_value_type_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = invoice("INV-1");
    let id = import(&mut store, &doc, b"<a/>", &[]);
    let key = folio_store::normalise_supplier(&doc.supplier.name, doc.supplier.vat_id.as_deref());
    let day = doc.issue_date;
    let window = (
        day - chrono::Duration::days(5),
        day + chrono::Duration::days(5),
    );
    let found = |doc_type, amount, window| {
        store
            .find_same_supplier_and_amount(&key, doc_type, eur(), amount, window)
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(found(DocType::Invoice, dec!(119.0), window), [id]);
    assert_eq!(found(DocType::Invoice, dec!(119.01), window), []);
    assert_eq!(found(DocType::CreditNote, dec!(119.00), window), []);
    let later = (
        day + chrono::Duration::days(6),
        day + chrono::Duration::days(16),
    );
    assert_eq!(found(DocType::Invoice, dec!(119.00), later), []);
}

fn new_document<'a>(
    store: &folio_store::Store,
    doc: &'a folio_domain::Document,
    bytes: &[u8],
) -> NewDocument<'a> {
    let blob = store.blobs().put(bytes).unwrap();
    NewDocument {
        document: doc,
        problems: &[],
        original: OriginalFile {
            file_name: format!("export.csv#{}", doc.number),
            sha256: blob.sha256,
            media_type: "text/csv".into(),
            size: blob.size,
        },
        supplier_key: folio_store::normalise_supplier(&doc.supplier.name, None),
        number_key: normalise_number(&doc.number),
    }
}

#[test]
fn the_documents_of_one_file_are_stored_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let (a, b) = (invoice("A-1"), invoice("B-2"));
    let batch = [
        new_document(&store, &a, b"h\na\n"),
        new_document(&store, &b, b"h\nb\n"),
    ];
    let ids = store.insert_documents(&batch, &change("carol", 2)).unwrap();
    assert_eq!(ids, [DocumentId(1), DocumentId(2)]);
    let imports = store
        .audit_events(None)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "document.import")
        .count();
    assert_eq!(imports, 2, "one audit event per document");

    // The second document repeats a stored original: the whole batch is refused, the first of
    // it too.
    let c = invoice("C-3");
    let batch = [
        new_document(&store, &c, b"h\nc\n"),
        new_document(&store, &a, b"h\na\n"),
    ];
    let error = store
        .insert_documents(&batch, &change("carol", 3))
        .unwrap_err();
    assert!(error.to_string().contains("already imported"), "{error}");
    assert_eq!(store.document_count().unwrap(), 2);
    store.verify_audit_chain().unwrap();
}
