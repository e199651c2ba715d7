//! `folio audit export --period YYYY-MM DIR`: the evidence of one month for an auditor, as plain
//! files that open without Folio, with a manifest of SHA-256 hashes that `sha256sum -c MANIFEST`
//! checks.
//!
//! A document belongs to the month of its current journal's date (of its issue date when it has no
//! journal). For those documents the export holds:
//!
//! * `originals/` — the files exactly as received (from `blobs/`, their hash checked on the way);
//! * `documents.csv` — what each document is, with its original's name and SHA-256;
//! * `coding.csv` — every coding decision stored: each proposal per line and field with its
//!   source (person, rule, model, fixed), confidence and explanation;
//! * `journals.csv` — every version of every journal, line by line, with its content SHA-256 (the
//!   hash approvals are bound to) and who prepared it;
//! * `approvals.csv` — submissions, approvals and rejections with the content hash they were for,
//!   and when, by whom and why any was voided;
//! * `gl_receipts.csv` — the outbox: reference, state, attempts, the GL's id and receipt;
//! * `audit_events.jsonl` — every audit event about these documents, journals and outbox entries,
//!   in chain order with their hashes, and `audit_chain.txt` — the whole chain's verification at
//!   export time and its head;
//! * `README.txt` — this list; `MANIFEST` — `HASH  PATH` for every other file.
//!
//! The folder is written as `DIR.partial` and renamed when complete; an existing `DIR` is refused.

use crate::approvals::decision_view;
use crate::error::{AppError, ErrorCode};
use crate::workspace::Workspace;
use folio_store::{DocumentId, StoredJournal, journal_content_sha256};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// What an audit export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditExportReport {
    pub dir: String,
    pub period: String,
    pub documents: u32,
    pub journals: u32,
    pub approvals: u32,
    pub receipts: u32,
    pub audit_events: u32,
    /// Files listed in the manifest.
    pub files: u32,
}

fn io(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::Io, format!("{}: {e}", path.display()))
}

/// One CSV field: quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[derive(Default)]
struct Csv(String);

impl Csv {
    fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<String> = cells.iter().map(|c| field(c.as_ref())).collect();
        self.0.push_str(&cells.join(","));
        self.0.push_str("\r\n");
    }
}

/// The files written so far and their hashes, for the manifest.
struct Folder {
    root: PathBuf,
    written: Vec<(String, String)>,
}

impl Folder {
    fn write(&mut self, relative: &str, bytes: &[u8]) -> Result<(), AppError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        self.written
            .push((hex::encode(Sha256::digest(bytes)), relative.to_owned()));
        Ok(())
    }
}

/// A file name safe in any file system: letters, digits, `.`, `-`, `_`; the rest becomes `_`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "original".into()
    } else {
        trimmed.to_owned()
    }
}

const README: &str = "Folio audit export\n\
\n\
originals/          the documents exactly as received (DOC-n_<file name>)\n\
documents.csv       one row per document, with its original's file name and SHA-256\n\
coding.csv          every stored coding proposal per line and field: source, value, confidence, explanation\n\
journals.csv        every version of every journal, line by line, with its content SHA-256 and preparers\n\
approvals.csv       submissions, approvals and rejections with the content SHA-256 they were given for\n\
gl_receipts.csv     the outbox: GL reference, state, attempts, the GL's id and receipt\n\
audit_events.jsonl  the audit events about these documents, journals and outbox entries, in chain order\n\
audit_chain.txt     the whole audit chain's verification at export time, and its head\n\
MANIFEST            SHA-256 of every file above: run `sha256sum -c MANIFEST` in this folder\n\
\n\
Amounts are exact decimal strings; times are RFC 3339 in UTC. A journal's content SHA-256 is\n\
SHA-256(\"folio-journal-v1\" + JSON of {date, memo, lines}); an approval counts only for the content\n\
hash it names. Each audit event's hash covers the previous event's hash (see Folio's\n\
crates/store/src/audit.rs for the encoding), and every journal posted to the GL carries the\n\
chain's head at posting time as its folio_audit metadata.\n";

impl Workspace {
    /// Writes the evidence of month `period` (YYYY-MM) into the new folder `dir` (see the module
    /// docs). Any user of the workspace may export; nothing in the workspace changes.
    pub fn audit_export(&self, period: &str, dir: &Path) -> Result<AuditExportReport, AppError> {
        self.role()?;
        let (first, last) = crate::export::ledger::parse_period(period)?;
        if dir.exists() {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "{} exists already; an audit export goes into a new folder",
                    dir.display()
                ),
            ));
        }
        let mut partial = dir.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(|e| io(&partial, e))?;
        }
        let mut folder = Folder {
            root: partial.clone(),
            written: Vec::new(),
        };
        let mut report = AuditExportReport {
            dir: dir.display().to_string(),
            period: period.to_owned(),
            documents: 0,
            journals: 0,
            approvals: 0,
            receipts: 0,
            audit_events: 0,
            files: 0,
        };

        let mut documents = Csv::default();
        documents.row(&[
            "document_id",
            "number",
            "doc_type",
            "supplier",
            "supplier_vat_id",
            "issue_date",
            "currency",
            "payable",
            "original_file",
            "original_sha256",
            "imported_at",
            "imported_by",
        ]);
        let mut coding = Csv::default();
        coding.row(&[
            "document_id",
            "line_no",
            "field",
            "source",
            "value",
            "confidence",
            "explanation",
            "learn",
            "created_at",
            "created_by",
        ]);
        let mut journals = Csv::default();
        journals.row(&[
            "document_id",
            "journal_id",
            "version",
            "status",
            "date",
            "memo",
            "content_sha256",
            "prepared_by",
            "line_no",
            "account",
            "description",
            "side",
            "amount",
            "currency",
            "dimensions",
            "tax_code",
            "source",
        ]);
        let mut approvals = Csv::default();
        approvals.row(&[
            "journal_id",
            "decision",
            "actor",
            "role",
            "at",
            "content_sha256",
            "comment",
            "voided_at",
            "voided_by",
            "voided_reason",
        ]);
        let mut receipts = Csv::default();
        receipts.row(&[
            "journal_id",
            "reference",
            "state",
            "attempts",
            "gl_id",
            "receipt",
            "last_error",
            "queued_at",
            "updated_at",
        ]);
        let outbox = self.store.outbox()?;
        let mut entities: BTreeSet<(String, String)> = BTreeSet::new();
        let time = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };

        let mut rows = self.store.list_documents()?;
        rows.sort_by_key(|r| r.id);
        for row in rows {
            let versions = self.store.journal_versions(row.id)?;
            let date = versions
                .last()
                .map_or(row.issue_date, |j: &StoredJournal| j.journal.date);
            if date < first || date > last {
                continue;
            }
            let id: DocumentId = row.id;
            let stored = self
                .store
                .get_document(id)?
                .ok_or_else(|| crate::workspace::not_found(id))?;
            let bytes = self.store.blobs().get(&stored.original.sha256)?;
            if hex::encode(Sha256::digest(&bytes)) != stored.original.sha256 {
                return Err(AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!(
                        "the original of {id} ({}) no longer has its SHA-256 {}",
                        stored.original.file_name, stored.original.sha256
                    ),
                ));
            }
            let original = format!("originals/{id}_{}", safe_name(&stored.original.file_name));
            folder.write(&original, &bytes)?;
            report.documents += 1;
            entities.insert(("document".into(), id.to_string()));
            documents.row(&[
                id.to_string(),
                row.number.clone(),
                row.doc_type.as_str().to_owned(),
                row.supplier_name.clone(),
                row.supplier_vat_id.clone().unwrap_or_default(),
                row.issue_date.to_string(),
                row.currency.to_string(),
                row.payable.to_string(),
                original,
                stored.original.sha256.clone(),
                time(stored.imported_at),
                stored.imported_by.clone(),
            ]);
            for s in self.store.suggestions(id)? {
                coding.row(&[
                    id.to_string(),
                    s.proposal.line_no.to_string(),
                    s.proposal.field.clone(),
                    s.proposal.source.clone(),
                    s.proposal.value.clone(),
                    s.proposal.confidence.to_string(),
                    s.proposal.explanation_json.clone(),
                    s.proposal.learn.to_string(),
                    time(s.created_at),
                    s.created_by.clone(),
                ]);
            }
            for j in &versions {
                report.journals += 1;
                entities.insert(("journal".into(), j.id.to_string()));
                entities.insert(("outbox".into(), j.id.to_string()));
                let sha = journal_content_sha256(&j.journal);
                let preparers = self.store.journal_preparers(j.id)?.join(" ");
                for (n, line) in j.journal.lines.iter().enumerate() {
                    let dims: Vec<String> = line
                        .dimensions
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    journals.row(&[
                        id.to_string(),
                        j.id.to_string(),
                        j.version.to_string(),
                        j.journal.status.as_str().to_owned(),
                        j.journal.date.to_string(),
                        j.journal.memo.clone(),
                        sha.clone(),
                        preparers.clone(),
                        (n + 1).to_string(),
                        line.account.clone(),
                        line.description.clone(),
                        line.side.as_str().to_owned(),
                        line.amount.to_string(),
                        line.currency.to_string(),
                        dims.join(" "),
                        line.tax_code.clone().unwrap_or_default(),
                        line.source.clone().unwrap_or_default(),
                    ]);
                }
                for d in self.store.journal_decisions(j.id)? {
                    let d = decision_view(&d);
                    report.approvals += 1;
                    approvals.row(&[
                        d.journal_id,
                        d.decision,
                        d.actor,
                        d.role,
                        d.at,
                        d.content_sha256,
                        d.comment,
                        d.voided_at.unwrap_or_default(),
                        d.voided_by.unwrap_or_default(),
                        d.voided_reason.unwrap_or_default(),
                    ]);
                }
                if let Some(e) = outbox.iter().find(|e| e.journal == j.id) {
                    report.receipts += 1;
                    receipts.row(&[
                        e.journal.to_string(),
                        e.reference.clone(),
                        e.state.as_str().to_owned(),
                        e.attempts.to_string(),
                        e.gl_id.clone().unwrap_or_default(),
                        e.receipt.clone().unwrap_or_default(),
                        e.last_error.clone().unwrap_or_default(),
                        time(e.queued_at),
                        time(e.updated_at),
                    ]);
                }
            }
        }
        folder.write("documents.csv", documents.0.as_bytes())?;
        folder.write("coding.csv", coding.0.as_bytes())?;
        folder.write("journals.csv", journals.0.as_bytes())?;
        folder.write("approvals.csv", approvals.0.as_bytes())?;
        folder.write("gl_receipts.csv", receipts.0.as_bytes())?;

        let mut events = String::new();
        for e in self.store.audit_events(None)? {
            if entities.contains(&(e.entity.clone(), e.entity_id.clone())) {
                report.audit_events += 1;
                let line = serde_json::to_string(&e).map_err(|err| {
                    AppError::new(ErrorCode::Storage, format!("audit event {}: {err}", e.seq))
                })?;
                events.push_str(&line);
                events.push('\n');
            }
        }
        folder.write("audit_events.jsonl", events.as_bytes())?;
        let verified = self.verify_audit(None)?;
        let chain = if verified.ok {
            format!(
                "The audit chain held when this export was made: {} events, head {}-{}.\n",
                verified.events, verified.head_seq, verified.head_hash
            )
        } else {
            format!(
                "THE AUDIT CHAIN WAS BROKEN when this export was made: event {} ({}): {}\n",
                verified.first_bad_event.unwrap_or_default(),
                verified.event.unwrap_or_default(),
                verified.reason.unwrap_or_default()
            )
        };
        folder.write("audit_chain.txt", chain.as_bytes())?;
        folder.write("README.txt", README.as_bytes())?;

        let mut manifest = String::new();
        for (hash, path) in &folder.written {
            manifest.push_str(&format!("{hash}  {path}\n"));
        }
        let path = partial.join("MANIFEST");
        std::fs::write(&path, manifest).map_err(|e| io(&path, e))?;
        report.files = crate::workspace::count(folder.written.len());
        std::fs::rename(&partial, dir).map_err(|e| io(dir, e))?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn original_names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("Rechnung Nr. 7.pdf"), "Rechnung_Nr._7.pdf");
        assert_eq!(safe_name(".."), "original");
    }
}
