//! Documents: round trip, listing, duplicate keys, and one transaction per change.

mod common;

use common::*;
use folio_domain::{DocType, JournalStatus, Problem, Severity, Syntax};
use folio_store::{DocumentId, NewDocument, OriginalFile, StoreError, normalise_number};
use rust_decimal_macros::dec;

#[test]
fn a_document_comes_back_exactly_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = invoice("INV-0012");
    let id = import(&mut store, &doc, b"<Invoice>1</Invoice>", &problems());
    assert_eq!(id, DocumentId(1));

    let stored = store.get_document(id).unwrap().unwrap();
    assert_eq!(stored.document, doc);
    // Scales survive: 10.10 stays 10.10, not 10.1.
    assert_eq!(stored.document.lines[0].net_amount.to_string(), "10.10");
    assert_eq!(stored.problems, problems());
    assert_eq!(stored.original.file_name, "INV-0012.xml");
    assert_eq!(stored.original.media_type, "application/xml");
    assert_eq!(stored.original.size, 20);
    assert_eq!(
        store.blobs().get(&stored.original.sha256).unwrap(),
        b"<Invoice>1</Invoice>"
    );
    assert_eq!(stored.supplier_key, "vat:DE123456789");
    assert_eq!(stored.number_key, "INV0012");

    let row = &stored.row;
    assert_eq!(row.id, id);
    assert_eq!(row.number, "INV-0012");
    assert_eq!(row.doc_type, DocType::Invoice);
    assert_eq!(row.syntax, Syntax::Ubl);
    assert_eq!(row.supplier_name, "ACME Büro GmbH");
    assert_eq!(row.issue_date, date(2025, 2, 28));
    assert_eq!(row.due_date, Some(date(2025, 3, 30)));
    assert_eq!(row.currency, eur());
    assert_eq!(row.payable, dec!(119.00));
    assert_eq!(row.payable.to_string(), "119.00");
    assert_eq!(row.line_count, 2);
    assert_eq!(row.problem_count, 2);
    assert_eq!(row.error_count, 1);
    assert_eq!(row.journal_status, None);
    assert_eq!(row.imported_by, "alice");
    assert_eq!(row.imported_at, change("alice", 1).at);
    assert_eq!(
        (stored.imported_at, stored.imported_by.as_str()),
        (row.imported_at, "alice")
    );
    assert_eq!(store.get_document(DocumentId(99)).unwrap(), None);
}

#[test]
fn listing_shows_every_document_newest_first_with_its_journal_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let a = import(&mut store, &invoice("A-1"), b"a", &[]);
    let mut credit = invoice("CN-1");
    credit.doc_type = DocType::CreditNote;
    credit.lines.clear();
    credit.totals.payable = dec!(-5.50);
    let b = import(&mut store, &credit, b"b", &problems());
    let j = store
        .save_journal_draft(a, &balanced_journal(), &change("bob", 2))
        .unwrap();
    store
        .set_journal_status(j, JournalStatus::Approved, &change("carol", 3))
        .unwrap();

    let rows = store.list_documents().unwrap();
    assert_eq!(store.document_count().unwrap(), 2);
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.id,
                r.number.as_str(),
                r.doc_type,
                r.payable.to_string(),
                r.line_count,
                r.problem_count,
                r.journal_status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (b, "CN-1", DocType::CreditNote, "-5.50".into(), 0, 2, None),
            (
                a,
                "A-1",
                DocType::Invoice,
                "119.00".into(),
                2,
                0,
                Some(JournalStatus::Approved)
            ),
        ]
    );
}

#[test]
fn duplicates_are_found_by_file_and_by_supplier_and_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = invoice("INV-0012");
    let id = import(&mut store, &doc, b"<Invoice/>", &[]);
    let sha = folio_store::blobs::sha256_hex(b"<Invoice/>");
    assert_eq!(store.find_document_by_sha256(&sha).unwrap(), Some(id));
    assert_eq!(
        store
            .find_document_by_sha256(&folio_store::blobs::sha256_hex(b"other"))
            .unwrap(),
        None
    );
    let supplier = folio_store::normalise_supplier("Acme Buero", Some("DE 123 456 789"));
    assert_eq!(
        store
            .find_by_supplier_and_number(&supplier, &normalise_number("inv/0012"))
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        store
            .find_by_supplier_and_number(&supplier, &normalise_number("INV-0013"))
            .unwrap(),
        None
    );

    // The same file twice is refused, naming the existing document, and changes nothing.
    let err = store
        .insert_document(
            &NewDocument {
                document: &doc,
                problems: &[],
                original: OriginalFile {
                    file_name: "again.xml".into(),
                    sha256: sha,
                    media_type: "application/xml".into(),
                    size: 10,
                },
                supplier_key: supplier,
                number_key: "INV0012".into(),
            },
            &change("alice", 5),
        )
        .unwrap_err();
    assert!(err.to_string().contains("DOC-1"), "{err}");
    assert_eq!(store.document_count().unwrap(), 1);
    assert_eq!(store.audit_events(None).unwrap().len(), 2);
}

#[test]
fn the_original_must_be_in_the_blob_store_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = invoice("INV-1");
    let mut original = OriginalFile {
        file_name: "x.xml".into(),
        sha256: folio_store::blobs::sha256_hex(b"never stored"),
        media_type: "application/xml".into(),
        size: 12,
    };
    let new = |original: OriginalFile| NewDocument {
        document: &doc,
        problems: &[],
        original,
        supplier_key: "k".into(),
        number_key: "n".into(),
    };
    let err = store
        .insert_document(&new(original.clone()), &change("a", 1))
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    original.sha256 = "../../../etc/passwd".into();
    let err = store
        .insert_document(&new(original), &change("a", 1))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert_eq!(store.document_count().unwrap(), 0);
}

#[test]
fn a_change_that_fails_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let events_before = store.audit_events(None).unwrap().len();
    let doc = invoice("INV-1");
    let blob = store.blobs().put(b"<Invoice/>").unwrap();
    // The second problem violates CHECK (code <> ''): the documents row, the lines and the first
    // problem are already written when it fails.
    let bad_problems = vec![
        Problem::warning("W1", "", "fine"),
        Problem::new("", Severity::Error, "", "no code"),
    ];
    let err = store
        .insert_document(
            &NewDocument {
                document: &doc,
                problems: &bad_problems,
                original: OriginalFile {
                    file_name: "inv.xml".into(),
                    sha256: blob.sha256.clone(),
                    media_type: "application/xml".into(),
                    size: blob.size,
                },
                supplier_key: "vat:DE123456789".into(),
                number_key: "INV1".into(),
            },
            &change("alice", 1),
        )
        .unwrap_err();
    assert!(err.constraint_message().is_some(), "{err}");
    assert_eq!(store.document_count().unwrap(), 0);
    assert_eq!(store.audit_events(None).unwrap().len(), events_before);
    let conn = raw(dir.path());
    for table in ["documents", "document_lines", "document_problems", "blobs"] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} kept a row of the failed import");
    }
    // And the same import with sound problems then goes through.
    let id = import(&mut store, &doc, b"<Invoice/>", &problems());
    assert_eq!(id, DocumentId(1));
    store.verify_audit_chain().unwrap();
}

#[test]
fn the_documents_record_cannot_be_rewritten_in_sql() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import(&mut store, &invoice("INV-1"), b"x", &[]);
    let conn = raw(dir.path());
    for sql in [
        "UPDATE documents SET payable = '1.00'",
        "UPDATE documents SET body_json = '{}'",
        "UPDATE documents SET number = 'INV-2'",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(
            err.to_string().contains("cannot be changed"),
            "{sql}: {err}"
        );
    }
}
