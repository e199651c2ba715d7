//! kill -9 in the middle of a large import leaves a database that passes `PRAGMA integrity_check`
//! and holds only whole documents; importing again finishes the job without duplicates.

use folio_tests::{folio, folio_bin};
use rusqlite::Connection;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Writes `n` distinct invoices: the demo's UBL and CII files with their numbers made unique.
fn write_invoices(dir: &Path, n: usize) {
    let today = chrono_today();
    let templates: Vec<(String, Vec<u8>, String)> = folio_app::demo::demo_invoices(today)
        .into_iter()
        .filter_map(|f| {
            let doc = folio_import::import_bytes(&f.bytes).ok()?.document;
            Some((f.file_name, f.bytes, doc.number))
        })
        .collect();
    assert!(!templates.is_empty());
    for i in 0..n {
        let (name, bytes, number) = &templates[i % templates.len()];
        let text = String::from_utf8(bytes.clone()).unwrap();
        let unique = text.replace(number.as_str(), &format!("{number}-K{i}"));
        std::fs::write(dir.join(format!("{i:05}-{name}")), unique).unwrap();
    }
}

fn chrono_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

fn document_count(db: &Path) -> i64 {
    Connection::open(db)
        .and_then(|c| c.query_row("SELECT count(*) FROM documents", [], |r| r.get(0)))
        .unwrap_or(0)
}

/// Every stored document is whole: its lines and problems, its original and its audit event.
fn assert_only_whole_documents(ws: &Path) {
    let db = Connection::open(ws.join("folio.sqlite")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut stmt = db
        .prepare(
            "SELECT d.id, d.line_count, d.sha256,
                    (SELECT count(*) FROM document_lines l WHERE l.document_id = d.id),
                    (SELECT count(*) FROM audit_events a
                      WHERE a.entity = 'document' AND a.entity_id = 'DOC-' || d.id)
               FROM documents d",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (id, line_count, sha, lines, events) = row.unwrap();
        assert_eq!(
            line_count, lines,
            "DOC-{id} has {lines} of its {line_count} lines"
        );
        assert!(events >= 1, "DOC-{id} has no audit event");
        let blob = ws.join("blobs").join(&sha[..2]).join(&sha[2..]);
        assert!(blob.is_file(), "DOC-{id}'s original {sha} is missing");
    }
}

#[test]
fn kill_9_during_import_leaves_only_whole_documents() {
    const FILES: usize = 1500;
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    write_invoices(&inbox, FILES);
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init"]).status.success());
    let db = ws.join("folio.sqlite");

    // Kill three times, each once more documents have arrived than the time before.
    let mut killed_at = Vec::new();
    for round in 1..=3i64 {
        let before = document_count(&db);
        let mut child = Command::new(folio_bin())
            .arg("--workspace")
            .arg(&ws)
            .arg("import")
            .arg(&inbox)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while document_count(&db) < before + 40 * round && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let after = document_count(&db);
        killed_at.push(after);
        assert_only_whole_documents(&ws);
    }
    assert!(
        killed_at[2] < FILES as i64,
        "the import finished before it could be killed: {killed_at:?}"
    );

    let finish = folio(&ws, &["import", inbox.to_str().unwrap()]);
    assert!(
        finish.status.success(),
        "{}",
        String::from_utf8_lossy(&finish.stderr)
    );
    assert_eq!(
        document_count(&db),
        FILES as i64,
        "every file once, none twice"
    );
    assert_only_whole_documents(&ws);
    eprintln!("killed at {killed_at:?} documents, finished with {FILES}");
}
