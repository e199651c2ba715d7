//! The invariants the schema enforces by itself, tested through a raw connection — as a bug in
//! Folio or a person with the sqlite3 shell would meet them.

mod common;

use common::*;
use folio_domain::JournalStatus;
use rusqlite::types::Value;
use rusqlite::{Connection, params};

/// A workspace with one document and one draft journal (id 1) with three lines.
fn workspace_with_draft() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let doc = import(&mut store, &invoice("INV-1"), b"x", &[]);
    store
        .save_journal_draft(doc, &balanced_journal(), &change("a", 1))
        .unwrap();
    drop(store);
    let conn = raw(dir.path());
    (dir, conn)
}

fn insert_line(
    conn: &Connection,
    amount: Value,
    currency: &str,
    side: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO journal_lines (journal_id, line_no, account, description, side, amount, \
         currency, dimensions_json) VALUES (1, 99, '6000', '', ?1, ?2, ?3, '{}')",
        params![side, amount, currency],
    )
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

#[test]
fn journal_line_amounts_accept_only_non_negative_canonical_decimals() {
    let (_dir, conn) = workspace_with_draft();
    let accepted = [
        "0",
        "0.00",
        "1",
        "10.10",
        "119.00",
        "0.5",
        "123456789012345678.1234",
    ];
    let rejected: Vec<(Value, &str)> = vec![
        (text("1.2.3"), "two points"),
        (text("1e5"), "exponent"),
        (text("1E5"), "exponent"),
        (text("-1.00"), "negative"),
        (text("-0"), "negative zero"),
        (text(""), "empty"),
        (text("."), "just a point"),
        (text("1."), "trailing point"),
        (text(".5"), "leading point"),
        (text("01.5"), "leading zero"),
        (text(" 1"), "space"),
        (text("1,50"), "comma"),
        (text("+1"), "plus"),
        (text("NaN"), "not a number"),
        (text("Infinity"), "infinity"),
        (text("0x10"), "hex"),
        (Value::Real(1.5), "a REAL"),
        (Value::Real(0.1), "a REAL"),
        (Value::Integer(15), "an INTEGER"),
        (Value::Blob(b"1.00".to_vec()), "a BLOB"),
        (Value::Null, "NULL"),
    ];
    for a in accepted {
        insert_line(&conn, text(a), "EUR", "debit").unwrap_or_else(|e| panic!("{a}: {e}"));
        conn.execute("DELETE FROM journal_lines WHERE line_no = 99", [])
            .unwrap();
    }
    for (value, why) in rejected {
        let err = insert_line(&conn, value.clone(), "EUR", "debit").unwrap_err();
        assert!(
            err.to_string().contains("constraint failed"),
            "{value:?} ({why}) should be refused by a constraint, got {err}"
        );
    }
}

#[test]
fn document_payable_accepts_signed_decimals_only() {
    let (_dir, conn) = workspace_with_draft();
    let update = |v: Value| {
        // The record trigger refuses any UPDATE of payable, so test the CHECK on an INSERT.
        conn.execute(
            "INSERT INTO documents (sha256, file_name, syntax, doc_type, number, supplier_name, \
             issue_date, currency, payable, line_count, body_json, supplier_key, number_key, \
             imported_at, imported_by) \
             SELECT b.sha256, 'f', 'ubl', 'invoice', 'N', 'S', '2025-01-31', 'EUR', ?1, 0, '{}', \
             'k', 'n', '2025-01-31T00:00:00Z', 'me' FROM blobs b",
            [v],
        )
    };
    // The only blob already has a document, so an accepted value meets the UNIQUE constraint on
    // sha256 rather than a CHECK: tell the two apart.
    for ok in ["-5.50", "0", "119.00"] {
        let err = update(text(ok)).unwrap_err().to_string();
        assert!(err.contains("UNIQUE"), "{ok}: {err}");
    }
    for bad in [
        text("1.2.3"),
        text("1e5"),
        text("--1"),
        text("-"),
        Value::Real(-5.5),
    ] {
        let err = update(bad.clone()).unwrap_err().to_string();
        assert!(
            err.contains("payable_is_a_decimal_string"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn currencies_sides_dates_and_statuses_are_checked() {
    let (_dir, conn) = workspace_with_draft();
    for currency in ["eur", "EU", "EURO", "E1R", ""] {
        assert!(
            insert_line(&conn, text("1.00"), currency, "debit").is_err(),
            "{currency}"
        );
    }
    for side in ["Debit", "dr", "", "both"] {
        assert!(
            insert_line(&conn, text("1.00"), "EUR", side).is_err(),
            "{side}"
        );
    }
    // Journal status and dates go through UPDATE on a draft; the CHECKs refuse nonsense.
    for (sql, why) in [
        ("UPDATE journals SET status = 'done'", "unknown status"),
        ("UPDATE journals SET date = '2025-02-30'", "no such day"),
        ("UPDATE journals SET date = '2025-2-3'", "not YYYY-MM-DD"),
        ("UPDATE journals SET date = '28.02.2025'", "not ISO"),
        (
            "INSERT INTO periods VALUES ('P', '2025-02-01', '2025-01-31', 0)",
            "end before start",
        ),
        (
            "INSERT INTO accounts VALUES ('6000', 'x', 'expense', 2, 1)",
            "boolean 2",
        ),
        (
            "INSERT INTO accounts VALUES ('6001', 'x', 'cost', 1, 1)",
            "unknown kind",
        ),
        (
            "INSERT INTO tax_codes VALUES ('V', 'x', 'S', '-19', NULL, NULL)",
            "negative rate",
        ),
        (
            "INSERT INTO tax_codes VALUES ('V', 'x', 'S', 19.0, NULL, NULL)",
            "REAL rate",
        ),
        (
            "INSERT INTO tax_codes VALUES ('V', 'x', 'X', '19', NULL, NULL)",
            "unknown category",
        ),
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(
            err.contains("constraint failed") || err.contains("not allowed"),
            "{why}: {err}"
        );
    }
    conn.execute("UPDATE journals SET date = '2024-02-29'", [])
        .expect("a leap day is a date");
}

#[test]
fn journal_status_follows_the_domain_lifecycle_in_sql_too() {
    use JournalStatus::*;
    let all = [Draft, Approved, Queued, Posted, Rejected];
    for from in all {
        for to in all {
            if from == to {
                continue;
            }
            let (_dir, conn) = workspace_with_draft();
            // Reach `from` along allowed edges, with the triggers on.
            let path: &[&str] = match from {
                Draft => &[],
                Approved => &["approved"],
                Queued => &["approved", "queued"],
                Posted => &["approved", "queued", "posted"],
                Rejected => &["approved", "queued", "rejected"],
            };
            for step in path {
                conn.execute("UPDATE journals SET status = ?1 WHERE id = 1", [step])
                    .unwrap();
            }
            let result = conn.execute(
                "UPDATE journals SET status = ?1 WHERE id = 1",
                [to.as_str()],
            );
            assert_eq!(
                result.is_ok(),
                from.can_become(to),
                "{} -> {}: {result:?}",
                from.as_str(),
                to.as_str()
            );
        }
    }
}

#[test]
fn journals_are_created_as_drafts() {
    let (_dir, conn) = workspace_with_draft();
    let err = conn
        .execute(
            "INSERT INTO journals (document_id, version, status, date, memo, created_at, \
             created_by, updated_at, updated_by) VALUES (1, 2, 'approved', '2025-01-01', '', \
             '2025-01-01T00:00:00Z', 'x', '2025-01-01T00:00:00Z', 'x')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("created as a draft"), "{err}");
}

#[test]
fn an_approved_journal_is_immutable_even_through_a_raw_connection() {
    for status in ["approved", "queued", "posted", "rejected"] {
        let (_dir, conn) = workspace_with_draft();
        let path: &[&str] = match status {
            "approved" => &["approved"],
            "queued" => &["approved", "queued"],
            "posted" => &["approved", "queued", "posted"],
            _ => &["approved", "queued", "rejected"],
        };
        for step in path {
            conn.execute("UPDATE journals SET status = ?1 WHERE id = 1", [step])
                .unwrap();
        }
        let current: String = conn
            .query_row("SELECT status FROM journals WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(current, status);
        for sql in [
            "INSERT INTO journal_lines (journal_id, line_no, account, description, side, amount, \
             currency, dimensions_json) VALUES (1, 9, '6000', '', 'debit', '1.00', 'EUR', '{}')",
            "UPDATE journal_lines SET amount = '1000.00' WHERE journal_id = 1 AND line_no = 1",
            "UPDATE journal_lines SET journal_id = 1 WHERE line_no = 1",
            "DELETE FROM journal_lines WHERE journal_id = 1",
            "UPDATE journals SET memo = 'changed' WHERE id = 1",
            "UPDATE journals SET date = '2025-01-01' WHERE id = 1",
            "DELETE FROM journals WHERE id = 1",
        ] {
            let err = conn.execute(sql, []).unwrap_err();
            assert!(
                err.to_string().contains("immutable"),
                "{status}: {sql}: {err}"
            );
        }
    }
}

#[test]
fn the_audit_log_is_append_only() {
    let (_dir, conn) = workspace_with_draft();
    for sql in [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_events",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // Appending anywhere but at the end of the chain is refused too.
    let err = conn
        .execute(
            "INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, prev_hash, hash) \
             VALUES (10, '2025-01-01T00:00:00Z', 'm', 'x', 'x', '', ?1, ?1)",
            ["0".repeat(64)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("end of the hash chain"), "{err}");
}
