//! `cargo xtask bench desktop`: the desktop window on 100,000 documents, measured through
//! WebDriver in the real window (the same chain as the e2e test, under Xvfb).
//!
//! The workspace: `folio init --demo`, then its documents — rows, lines, problems, journals with
//! their lines and preparers, and the stored coding suggestions — copied in SQL until there are
//! at least 100,000 (each copy its own id, file hash and invoice number; the copies share the
//! demo's original files' bytes, so only the demo's own documents can show their original). The
//! audit log is not copied: this is a load for reading, not a history.
//!
//! Figures (medians, by tests/e2e/bench/desktop.bench.ts): start to an interactive queue (process
//! start — the WebDriver session request — to the first page of rows on screen, and the same
//! from the webview's own navigation start), filter and sort (input to the new first page
//! painted), keystroke to the next document rendered in the document view, and the resident
//! memory of the app's processes (the desktop binary and the WebKit processes it started), with
//! the build measured (debug by default, `--release` for what users run) and the machine's load
//! average. The report goes to stdout and to `target/bench-desktop/report.json`.

use crate::{desktop, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The number of documents the benchmark workspace holds at least.
pub const DOCUMENTS: i64 = 100_000;

/// Copies the workspace's documents (and what hangs off them) until it holds `target` documents.
fn replicate(db: &Path, target: i64) -> Result<i64> {
    let mut conn = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let (count, max_doc, max_journal): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), max(id), (SELECT coalesce(max(id), 0) FROM journals) FROM documents",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if count == 0 {
        bail!("the demo workspace has no documents to copy");
    }
    // Copy k gets ids k * stride + the original's id.
    let stride = max_doc.max(max_journal) + 1;
    let copies = (target - count + count - 1) / count;
    let tx = conn.transaction()?;
    for k in 1..=copies {
        let off = k * stride;
        tx.execute(
            "INSERT INTO blobs (sha256, size, media_type, stored_at) \
             SELECT printf('%016x%048x', ?1, d.id), b.size, b.media_type, b.stored_at \
             FROM documents d JOIN blobs b ON b.sha256 = d.sha256 WHERE d.id < ?2",
            params![k, stride],
        )?;
        tx.execute(
            "INSERT INTO documents (id, sha256, file_name, syntax, doc_type, number, supplier_name, \
             supplier_vat_id, issue_date, due_date, currency, payable, line_count, body_json, \
             supplier_key, number_key, imported_at, imported_by) \
             SELECT d.id + ?1, printf('%016x%048x', ?2, d.id), d.file_name, d.syntax, d.doc_type, \
             d.number || '-' || ?2, d.supplier_name, d.supplier_vat_id, d.issue_date, d.due_date, \
             d.currency, d.payable, d.line_count, d.body_json, d.supplier_key, \
             d.number_key || ?2, d.imported_at, d.imported_by FROM documents d WHERE d.id < ?3",
            params![off, k, stride],
        )?;
        for sql in [
            "INSERT INTO document_lines SELECT document_id + ?1, line_no, line_id, description, \
             net_amount, vat_category, vat_rate FROM document_lines WHERE document_id < ?2",
            "INSERT INTO document_problems SELECT document_id + ?1, seq, code, severity, field, \
             message FROM document_problems WHERE document_id < ?2",
            "INSERT INTO journals SELECT id + ?1, document_id + ?1, version, status, date, memo, \
             created_at, created_by, updated_at, updated_by FROM journals WHERE id < ?2",
            "INSERT INTO journal_lines SELECT journal_id + ?1, line_no, account, description, side, \
             amount, currency, dimensions_json, tax_code, source FROM journal_lines \
             WHERE journal_id < ?2",
            "INSERT INTO journal_preparers SELECT journal_id + ?1, actor FROM journal_preparers \
             WHERE journal_id < ?2",
            "INSERT INTO suggestions SELECT document_id + ?1, line_no, field, source, value, \
             confidence, explanation_json, learn, created_at, created_by FROM suggestions \
             WHERE document_id < ?2",
        ] {
            tx.execute(sql, params![off, stride])?;
        }
    }
    tx.commit()?;
    let total: i64 = conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?;
    Ok(total)
}

/// The benchmark workspace, made afresh (or, with `FOLIO_BENCH_REUSE=1`, the last one when it is
/// complete: the copy takes a minute).
fn workspace() -> Result<PathBuf> {
    let dir = target_dir().join("bench-desktop").join("workspace");
    if std::env::var_os("FOLIO_BENCH_REUSE").is_some_and(|v| v == "1") {
        let db = dir.join("folio.sqlite");
        if let Ok(conn) = Connection::open(&db)
            && let Ok(n) =
                conn.query_row("SELECT count(*) FROM documents", [], |r| r.get::<_, i64>(0))
            && n >= DOCUMENTS
        {
            eprintln!("xtask: reusing {} ({n} documents)", dir.display());
            return Ok(dir);
        }
    }
    let folio = crate::build_cli()?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    run_cmd(
        Command::new(&folio)
            .arg("--workspace")
            .arg(&dir)
            .args(["init", "--demo"]),
    )?;
    let started = Instant::now();
    let total = replicate(&dir.join("folio.sqlite"), DOCUMENTS)?;
    eprintln!(
        "xtask: {total} documents in {} ({:.1}s to copy)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// `args`: `--release` measures the release build of the desktop binary (what users run); the
/// default is the debug build the e2e test uses (the report says which).
pub fn run(args: &[String]) -> Result<()> {
    let profile = match args {
        [] => desktop::Profile::Debug,
        [flag] if flag == "--release" => desktop::Profile::Release,
        _ => bail!("usage: cargo xtask bench desktop [--release]"),
    };
    let dir = workspace()?;
    let report = target_dir().join("bench-desktop").join("report.json");
    desktop::e2e_spec(
        &dir,
        "bench/desktop.bench.ts",
        &[("FOLIO_BENCH_REPORT", &report)],
        profile,
    )?;
    let text = std::fs::read_to_string(&report)
        .with_context(|| format!("the benchmark wrote no report at {}", report.display()))?;
    println!("{text}");
    Ok(())
}
