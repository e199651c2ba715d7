//! `cargo xtask bench export`: how long `folio export lines` takes for 1,000,000 coded lines, as
//! CSV and as Parquet (median of runs; the goal is under 10 s each).
//!
//! The workspace is made the way a real one is — `folio init --demo`, every journal approved and
//! synced to the embedded ledger file, so documents, coding proposals, approvals and outbox rows
//! are all there — and then copied in SQL, in one transaction, until it holds a million journal
//! lines: each copy gets new ids, a unique (fake, all-digit) file hash, a numbered invoice number
//! and reference, its coding proposals and approval decisions, and small stand-ins for the
//! document body and the proposals' explanations (the export reads neither; copying them made a
//! 2 GB database for nothing). Journals are inserted as drafts and walked through the lifecycle as the schema's
//! triggers demand; the change-sequence triggers number every copy. Only the export is timed.

use crate::{cargo, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use rusqlite::Connection;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const LINES: i64 = 1_000_000;
const RUNS: usize = 5;
/// Ids of the copies are `copy × STRIDE + original id`: the demo has fewer documents and
/// journals than this.
const STRIDE: i64 = 1000;

fn folio(bin: &Path, ws: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .output()
        .with_context(|| format!("could not run folio {args:?}"))?;
    if !out.status.success() {
        bail!(
            "folio {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Copies the workspace's coded documents until it has at least `LINES` journal lines.
fn multiply(db: &Path) -> Result<i64> {
    let mut conn = Connection::open(db)?;
    // A rollback journal keeps only the few pages changed in place; WAL would hold a second copy
    // of everything appended until the checkpoint. Folio switches back to WAL when it opens it.
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let (lines, max_doc, max_journal): (i64, i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM journal_lines), (SELECT max(id) FROM documents), \
         (SELECT max(id) FROM journals)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if lines == 0 || max_doc >= STRIDE || max_journal >= STRIDE {
        bail!("the seed workspace has {lines} lines, {max_doc} documents, {max_journal} journals");
    }
    let copies = (LINES - lines + lines - 1) / lines;
    let tx = conn.transaction()?;
    tx.execute_batch(&format!(
        "CREATE TEMP TABLE copies (k INTEGER PRIMARY KEY);
         WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < {copies})
         INSERT INTO copies SELECT k FROM c;
         CREATE TEMP TABLE seed_journals AS SELECT id, status FROM journals;
         INSERT INTO blobs (sha256, size, media_type, stored_at)
           SELECT printf('%064d', k * {STRIDE} + d.id), b.size, b.media_type, b.stored_at
           FROM copies, documents d JOIN blobs b ON b.sha256 = d.sha256;
         INSERT INTO documents (id, sha256, file_name, syntax, doc_type, number, supplier_name,
             supplier_vat_id, issue_date, due_date, currency, payable, line_count, body_json,
             supplier_key, number_key, imported_at, imported_by)
           SELECT k * {STRIDE} + id, printf('%064d', k * {STRIDE} + id), file_name, syntax,
             doc_type, number || '-B' || k, supplier_name, supplier_vat_id, issue_date, due_date,
             currency, payable, line_count, '{{\"bench_copy_of\": ' || id || '}}', supplier_key,
             number_key || 'B' || k, imported_at, imported_by
           FROM copies, documents WHERE id < {STRIDE};
         INSERT INTO journals (id, document_id, version, status, date, memo, created_at,
             created_by, updated_at, updated_by)
           SELECT k * {STRIDE} + id, k * {STRIDE} + document_id, version, 'draft', date, memo,
             created_at, created_by, updated_at, updated_by
           FROM copies, journals WHERE id < {STRIDE};
         INSERT INTO journal_lines (journal_id, line_no, account, description, side, amount,
             currency, dimensions_json, tax_code, source)
           SELECT k * {STRIDE} + journal_id, line_no, account, description, side, amount,
             currency, dimensions_json, tax_code, source
           FROM copies, journal_lines WHERE journal_id < {STRIDE};
         INSERT INTO suggestions (document_id, line_no, field, source, value, confidence,
             explanation_json, learn, created_at, created_by)
           SELECT k * {STRIDE} + document_id, line_no, field, source, value, confidence,
             '{{\"bench_copy\": true}}', learn, created_at, created_by
           FROM copies, suggestions WHERE document_id < {STRIDE};
         UPDATE journals SET status = 'approved' WHERE id >= {STRIDE} AND (SELECT status FROM
           seed_journals s WHERE s.id = journals.id % {STRIDE})
           IN ('approved', 'queued', 'posted', 'rejected');
         UPDATE journals SET status = 'queued' WHERE id >= {STRIDE} AND (SELECT status FROM
           seed_journals s WHERE s.id = journals.id % {STRIDE}) IN ('queued', 'posted', 'rejected');
         UPDATE journals SET status = 'posted' WHERE id >= {STRIDE} AND (SELECT status FROM
           seed_journals s WHERE s.id = journals.id % {STRIDE}) = 'posted';
         UPDATE journals SET status = 'rejected' WHERE id >= {STRIDE} AND (SELECT status FROM
           seed_journals s WHERE s.id = journals.id % {STRIDE}) = 'rejected';
         INSERT INTO journal_decisions (journal_id, decision, actor, role, at, content_sha256,
             comment, voided_at, voided_by, voided_reason)
           SELECT k * {STRIDE} + journal_id, decision, actor, role, at, content_sha256, comment,
             voided_at, voided_by, voided_reason
           FROM copies, journal_decisions WHERE journal_id < {STRIDE} ORDER BY k, id;
         INSERT INTO outbox (journal_id, reference, state, attempts, next_attempt_at, last_error,
             gl_id, receipt, queued_at, updated_at)
           SELECT k * {STRIDE} + journal_id, reference || '-' || k, state, attempts,
             next_attempt_at, last_error, gl_id || '#' || k, receipt, queued_at, updated_at
           FROM copies, outbox WHERE journal_id < {STRIDE};"
    ))?;
    tx.commit()?;
    Ok(conn.query_row("SELECT count(*) FROM journal_lines", [], |r| r.get(0))?)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn run() -> Result<()> {
    run_cmd(cargo().args(["build", "--release", "--locked", "-p", "folio-cli"]))?;
    let bin = target_dir().join("release").join("folio");
    let bench = target_dir().join("bench-export");
    let ws = bench.join("workspace");
    if bench.exists() {
        std::fs::remove_dir_all(&bench)?;
    }
    std::fs::create_dir_all(&bench)?;
    let started = Instant::now();
    folio(&bin, &ws, &["init", "--demo"])?;
    // Prepared by the demo's clerk, approved by one of its controllers.
    folio(&bin, &ws, &["--as", "controller", "approve", "--all"])?;
    folio(&bin, &ws, &["sync", "--once"])?;
    let lines = multiply(&ws.join("folio.sqlite"))?;
    eprintln!(
        "workspace with {lines} journal lines made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut results = Vec::new();
    for format in ["csv", "parquet"] {
        let out = bench.join(format!("lines.{format}"));
        let mut seconds = Vec::new();
        let mut report = String::new();
        for run in 1..=RUNS {
            let clock = Instant::now();
            report = folio(
                &bin,
                &ws,
                &[
                    "export",
                    "lines",
                    "--format",
                    format,
                    "--out",
                    out.to_str().context("a UTF-8 path")?,
                    "--json",
                ],
            )?;
            let s = clock.elapsed().as_secs_f64();
            eprintln!("{format} run {run}: {s:.2} s");
            seconds.push(s);
        }
        let report: serde_json::Value = serde_json::from_str(&report)?;
        if report["rows"].as_i64() != Some(lines) {
            bail!("{format}: exported {} rows of {lines}", report["rows"]);
        }
        let size = std::fs::metadata(&out)?.len();
        let m = median(seconds.clone());
        eprintln!(
            "{format}: {lines} lines, median {m:.2} s ({:.0} lines/s), {:.1} MB",
            lines as f64 / m,
            size as f64 / 1e6
        );
        results.push(serde_json::json!({
            "format": format,
            "lines": lines,
            "median_seconds": (m * 100.0).round() / 100.0,
            "runs_seconds": seconds.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>(),
            "bytes": size,
        }));
    }
    let report = serde_json::json!({ "runs": RUNS, "results": results });
    std::fs::write(
        bench.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
