//! The import use case: files and folders in, one outcome per file out.
//!
//! Each file is one unit of work: it is read (refused unread when over the size limit), hashed,
//! checked against what the workspace already holds, parsed, and stored with its original bytes
//! and its audit event in one transaction. A file is either wholly in the workspace or not at all;
//! a crash between two files loses nothing already stored, and a crash inside one leaves nothing.
//! Folders are walked in name order and only files with an invoice's extension are read; the others
//! are counted as skipped so nothing disappears without a word.
//!
//! A CSV or XLSX file is read through a mapping profile ([`crate::profiles`]) into several
//! documents, stored together in one transaction ([`Store::insert_documents`]); each gets its own
//! outcome, with `path` naming the rows (`export.csv#rows 4-5`), and its rows as CSV text for its
//! original (so the same export imported again is `already_imported`, row by row).
//!
//! Duplicates: the same supplier and normalised invoice number as a stored document is a
//! `duplicate` with a `DUPLICATE` problem; the same supplier and amount due (same currency) issued
//! within [`POSSIBLE_DUPLICATE_DAYS`] days of a stored document is imported with a
//! `POSSIBLE_DUPLICATE` warning naming that document and the gap. `folio duplicates resolve`
//! clears either ([`crate::duplicates`]).

use crate::dto::{ImportOutcome, ImportProgress, ImportStatus, ImportSummary};
use crate::error::{AppError, ErrorCode};
use crate::workspace::{Workspace, count};
use folio_domain::format::format_money;
use folio_domain::{Document, Problem};
use folio_store::{
    DocumentId, NewDocument, OriginalFile, Store, normalise_number, normalise_supplier,
};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Extensions read when walking a folder.
const INVOICE_EXTENSIONS: &[&str] = &["xml", "pdf", "csv", "xlsx"];
/// Extensions read through a mapping profile.
const TABULAR_EXTENSIONS: &[&str] = &["csv", "xlsx"];
/// Documents of the same supplier and amount issued at most this many days apart are possible
/// duplicates.
pub const POSSIBLE_DUPLICATE_DAYS: i64 = 5;

/// How to import: the mapping profile for CSV and XLSX files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The name of a saved profile (`folio profiles add NAME FILE.toml`).
    pub profile: Option<String>,
}

/// The inputs expanded into files, plus how many folder entries were skipped.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub files: Vec<PathBuf>,
    pub skipped: u32,
    /// Inputs that do not exist or cannot be listed, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Expands files and folders (recursively, sorted, hidden entries skipped) into the files to read.
pub fn plan(paths: &[PathBuf]) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut plan),
            Ok(_) => plan.files.push(path.clone()),
            Err(e) => plan.unreadable.push((path.clone(), e.to_string())),
        }
    }
    plan
}

fn walk(dir: &Path, plan: &mut ImportPlan) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            plan.unreadable.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, plan);
        } else {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if INVOICE_EXTENSIONS.contains(&ext.as_str()) {
                plan.files.push(path);
            } else {
                plan.skipped += 1;
            }
        }
    }
}

pub(crate) fn rejected(path: &str, code: &str, reason: String) -> ImportOutcome {
    ImportOutcome {
        path: path.to_owned(),
        status: ImportStatus::Rejected,
        document_id: None,
        syntax: None,
        doc_type: None,
        number: None,
        currency: None,
        payable_amount: None,
        lines: None,
        problems: vec![Problem::error(code, "", reason.clone())],
        reason: Some(reason),
    }
}

pub(crate) fn outcome_for(
    path: &str,
    status: ImportStatus,
    id: String,
    doc: &Document,
) -> ImportOutcome {
    ImportOutcome {
        path: path.to_owned(),
        status,
        document_id: Some(id),
        syntax: Some(doc.syntax.as_str().to_owned()),
        doc_type: Some(doc.doc_type.as_str().to_owned()),
        number: Some(doc.number.clone()),
        currency: Some(doc.currency),
        payable_amount: Some(doc.totals.payable.to_string()),
        lines: Some(count(doc.lines.len())),
        problems: Vec::new(),
        reason: None,
    }
}

impl Workspace {
    /// Imports files and folders, reporting progress after each file. Errors of the workspace
    /// itself (a broken database, a full disk) stop the run; a bad input file never does.
    pub fn import_paths(
        &mut self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<(Vec<ImportOutcome>, ImportSummary), AppError> {
        self.import_paths_with(paths, &ImportOptions::default(), progress)
    }

    /// [`Workspace::import_paths`] with options (the profile CSV and XLSX files are read with).
    pub fn import_paths_with(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<(Vec<ImportOutcome>, ImportSummary), AppError> {
        self.require(crate::access::Permission::Import)?;
        let plan = plan(paths);
        let total = count(plan.files.len() + plan.unreadable.len());
        progress(&ImportProgress::Started {
            total,
            skipped: plan.skipped,
        });
        let mut summary = ImportSummary {
            skipped: plan.skipped,
            ..ImportSummary::default()
        };
        let mut outcomes = Vec::with_capacity(plan.files.len());
        let mut index = 0u32;
        for (path, why) in plan.unreadable {
            let shown = path.display().to_string();
            let outcome = rejected(&shown, "UNREADABLE", format!("{shown}: {why}"));
            finish(
                Ok(outcome),
                &mut index,
                total,
                &mut summary,
                &mut outcomes,
                progress,
            )?;
        }
        for path in plan.files {
            // A CSV or XLSX file gives one outcome per document it holds.
            let results = if is_tabular(&path) {
                self.import_tabular_file(&path, options)?
                    .into_iter()
                    .map(Ok)
                    .collect()
            } else {
                vec![self.import_file(&path)]
            };
            for result in results {
                finish(
                    result,
                    &mut index,
                    total,
                    &mut summary,
                    &mut outcomes,
                    progress,
                )?;
            }
        }
        Ok((outcomes, summary))
    }

    /// Imports one file from disk.
    pub fn import_file(&mut self, path: &Path) -> Result<ImportOutcome, AppError> {
        self.require(crate::access::Permission::Import)?;
        let shown = path.display().to_string();
        match read_input(path) {
            Ok(bytes) => self.import_bytes_at(&shown, path_file_name(path), &bytes),
            Err(outcome) => Ok(*outcome),
        }
    }

    /// Imports bytes that came from somewhere other than a file on disk (the demo, a drop).
    pub fn import_bytes(
        &mut self,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome, AppError> {
        self.require(crate::access::Permission::Import)?;
        self.import_bytes_at(file_name, file_name.to_owned(), bytes)
    }

    fn import_bytes_at(
        &mut self,
        shown: &str,
        file_name: String,
        bytes: &[u8],
    ) -> Result<ImportOutcome, AppError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        if let Some(existing) = self.store.find_document_by_sha256(&sha256)? {
            let stored = self.store.get_document(existing)?.ok_or_else(|| {
                AppError::new(
                    ErrorCode::Storage,
                    format!("{existing} vanished while importing"),
                )
            })?;
            let mut outcome = outcome_for(
                shown,
                ImportStatus::AlreadyImported,
                existing.to_string(),
                &stored.document,
            );
            outcome.reason = Some(format!("already imported as {existing}"));
            return Ok(outcome);
        }
        let imported = match folio_import::import_bytes(bytes) {
            Ok(imported) => imported,
            Err(rejection) => {
                return Ok(rejected(
                    shown,
                    rejection.code,
                    format!("{shown}: {}", rejection.reason),
                ));
            }
        };
        let document = imported.document;
        let mut problems = imported.problems;
        let supplier_key =
            normalise_supplier(&document.supplier.name, document.supplier.vat_id.as_deref());
        let number_key = normalise_number(&document.number);
        let duplicate_of = duplicate_checks(&self.store, &document, &mut problems)?;
        let blob = self.store.blobs().put(bytes).map_err(AppError::from)?;
        let change = self.context.change();
        let id = self.store.insert_document(
            &NewDocument {
                document: &document,
                problems: &problems,
                original: OriginalFile {
                    file_name,
                    sha256: blob.sha256,
                    media_type: imported.media_type.to_owned(),
                    size: blob.size,
                },
                supplier_key,
                number_key,
            },
            &change,
        )?;
        let status = if duplicate_of.is_some() {
            ImportStatus::Duplicate
        } else {
            ImportStatus::Imported
        };
        let mut outcome = outcome_for(shown, status, id.to_string(), &document);
        if let Some(original) = duplicate_of {
            outcome.reason = Some(format!("same supplier and invoice number as {original}"));
        }
        outcome.problems = problems;
        Ok(outcome)
    }
}

/// True for files read through a mapping profile.
fn is_tabular(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TABULAR_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The bytes of an input file, or the rejection saying why it cannot be read (too large, gone).
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, Box<ImportOutcome>> {
    let shown = path.display().to_string();
    let too_large = |size: u64| {
        Box::new(rejected(
            &shown,
            "TOO_LARGE",
            format!(
                "{shown}: the file has {size} bytes; Folio imports files of at most {} bytes",
                folio_import::MAX_FILE_BYTES
            ),
        ))
    };
    let unreadable =
        |e: std::io::Error| Box::new(rejected(&shown, "UNREADABLE", format!("{shown}: {e}")));
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > folio_import::MAX_FILE_BYTES as u64 => {
            return Err(too_large(meta.len()));
        }
        Ok(_) => {}
        Err(e) => return Err(unreadable(e)),
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    if bytes.len() > folio_import::MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The duplicate checks of one document against the store: `DUPLICATE` (same supplier and
/// normalised number; returns that document) and `POSSIBLE_DUPLICATE` (same supplier and amount
/// due within [`POSSIBLE_DUPLICATE_DAYS`] days), each pushed to `problems`.
pub(crate) fn duplicate_checks(
    store: &Store,
    document: &Document,
    problems: &mut Vec<Problem>,
) -> Result<Option<DocumentId>, AppError> {
    let supplier_key =
        normalise_supplier(&document.supplier.name, document.supplier.vat_id.as_deref());
    let number_key = normalise_number(&document.number);
    let duplicate_of = store.find_by_supplier_and_number(&supplier_key, &number_key)?;
    if let Some(original) = duplicate_of {
        problems.push(Problem::warning(
            "DUPLICATE",
            "number",
            format!(
                "supplier '{}' already sent invoice number '{}' as {original}: matched on \
                 supplier and normalised invoice number",
                document.supplier.name, document.number
            ),
        ));
        return Ok(duplicate_of);
    }
    let window = chrono::Duration::days(POSSIBLE_DUPLICATE_DAYS);
    let similar = store.find_same_supplier_and_amount(
        &supplier_key,
        document.doc_type,
        document.currency,
        document.totals.payable,
        (document.issue_date - window, document.issue_date + window),
    )?;
    if let Some(other) = similar.first() {
        let days = (document.issue_date - other.issue_date).num_days().abs();
        problems.push(Problem::warning(
            "POSSIBLE_DUPLICATE",
            "totals.payable",
            format!(
                "same supplier and amount {} as {} (invoice '{}'), issued {}; check that it is \
                 not the same invoice sent again under another number",
                format_money(document.totals.payable, document.currency),
                other.id,
                other.number,
                match days {
                    0 => "the same day".to_owned(),
                    1 => "1 day apart".to_owned(),
                    n => format!("{n} days apart"),
                }
            ),
        ));
    }
    Ok(None)
}

pub(crate) fn path_file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn finish(
    result: Result<ImportOutcome, AppError>,
    index: &mut u32,
    total: u32,
    summary: &mut ImportSummary,
    outcomes: &mut Vec<ImportOutcome>,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<(), AppError> {
    let outcome = result?;
    match outcome.status {
        ImportStatus::Imported => summary.imported += 1,
        ImportStatus::AlreadyImported => summary.already_imported += 1,
        ImportStatus::Duplicate => summary.duplicate += 1,
        ImportStatus::Rejected => summary.rejected += 1,
    }
    progress(&ImportProgress::FileDone {
        index: *index,
        total,
        outcome: Box::new(outcome.clone()),
    });
    *index += 1;
    outcomes.push(outcome);
    Ok(())
}
