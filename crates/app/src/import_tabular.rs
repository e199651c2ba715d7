//! The CSV / XLSX side of the import use case: a file read through a saved mapping profile
//! ([`crate::profiles`]) becomes several documents, stored in one transaction.
//!
//! Each document's original is its rows as CSV text (header row included, as
//! [`folio_import::tabular`] renders them): the workspace keeps one original per document (its
//! SHA-256 is the document's identity), a spreadsheet has no smaller unit than its rows, and the
//! same rows imported again are recognised as `already_imported`. Within one file, two rows with
//! the same supplier and invoice number (in invoice mode) are flagged as duplicates of each other
//! just as they would be across files.

use crate::dto::{ImportOutcome, ImportStatus};
use crate::error::AppError;
use crate::import::{
    ImportOptions, duplicate_checks, outcome_for, path_file_name, read_input, rejected,
};
use crate::workspace::Workspace;
use folio_domain::{Document, Problem};
use folio_store::{NewDocument, OriginalFile, normalise_number, normalise_supplier};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A document read from the file, waiting to be stored with the others.
struct Pending<'a> {
    /// Its place among the file's outcomes.
    slot: usize,
    label: String,
    duplicate_of: Option<String>,
    problems: Vec<Problem>,
    original: OriginalFile,
    supplier_key: String,
    number_key: String,
    document: &'a Document,
}

/// `rows 4-5` / `row 7`.
fn rows_label(rows: &[usize]) -> String {
    match (rows.first(), rows.last()) {
        (Some(a), Some(b)) if a == b => format!("row {a}"),
        (Some(a), Some(b)) => format!("rows {a}-{b}"),
        _ => "no rows".to_owned(),
    }
}

impl Workspace {
    /// Imports a CSV or XLSX file through the profile named in `options`: every document or none
    /// (one outcome per document; one rejected outcome for the file when it cannot be read).
    pub fn import_tabular_file(
        &mut self,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<Vec<ImportOutcome>, AppError> {
        self.require(crate::access::Permission::Import)?;
        let shown = path.display().to_string();
        let Some(name) = options.profile.as_deref() else {
            return Ok(vec![rejected(
                &shown,
                "PROFILE_REQUIRED",
                format!(
                    "{shown}: a CSV or XLSX file is read through a mapping profile: folio import \
                     {shown} --profile NAME (folio profiles list shows the saved ones)"
                ),
            )]);
        };
        let profile = self.profile(name)?;
        let bytes = match read_input(path) {
            Ok(bytes) => bytes,
            Err(outcome) => return Ok(vec![*outcome]),
        };
        let documents = match folio_import::tabular::import_tabular(&bytes, &profile) {
            Ok(documents) => documents,
            Err(rejection) => {
                return Ok(vec![rejected(
                    &shown,
                    rejection.code,
                    format!("{shown}: {}", rejection.reason),
                )]);
            }
        };
        let file_name = path_file_name(path);
        let mut outcomes: Vec<Option<ImportOutcome>> = Vec::new();
        let mut pending = Vec::new();
        // (supplier key, number key, rows label) of the documents of this file read so far.
        let mut seen: Vec<(String, String, String)> = Vec::new();
        for tabular in &documents {
            let label = format!("{shown}#{}", rows_label(&tabular.rows));
            let source = tabular.source.as_bytes();
            let sha256 = hex::encode(Sha256::digest(source));
            let document = &tabular.imported.document;
            if let Some(existing) = self.store.find_document_by_sha256(&sha256)? {
                let mut outcome = outcome_for(
                    &label,
                    ImportStatus::AlreadyImported,
                    existing.to_string(),
                    document,
                );
                outcome.reason = Some(format!("already imported as {existing}"));
                outcomes.push(Some(outcome));
                continue;
            }
            let mut problems = tabular.imported.problems.clone();
            let supplier_key =
                normalise_supplier(&document.supplier.name, document.supplier.vat_id.as_deref());
            let number_key = normalise_number(&document.number);
            let mut duplicate_of =
                duplicate_checks(&self.store, document, &mut problems)?.map(|id| id.to_string());
            if duplicate_of.is_none()
                && let Some((_, _, earlier)) = seen
                    .iter()
                    .find(|(s, n, _)| *s == supplier_key && *n == number_key)
            {
                problems.push(Problem::warning(
                    "DUPLICATE",
                    "number",
                    format!(
                        "supplier '{}' sent invoice number '{}' twice in this file ({earlier})",
                        document.supplier.name, document.number
                    ),
                ));
                duplicate_of = Some(earlier.clone());
            }
            seen.push((
                supplier_key.clone(),
                number_key.clone(),
                rows_label(&tabular.rows),
            ));
            let blob = self.store.blobs().put(source).map_err(AppError::from)?;
            pending.push(Pending {
                slot: outcomes.len(),
                label,
                duplicate_of,
                problems,
                original: OriginalFile {
                    file_name: format!("{file_name}#{}", rows_label(&tabular.rows)),
                    sha256: blob.sha256,
                    media_type: "text/csv".to_owned(),
                    size: blob.size,
                },
                supplier_key,
                number_key,
                document,
            });
            outcomes.push(None);
        }
        let news: Vec<NewDocument<'_>> = pending
            .iter()
            .map(|p| NewDocument {
                document: p.document,
                problems: &p.problems,
                original: p.original.clone(),
                supplier_key: p.supplier_key.clone(),
                number_key: p.number_key.clone(),
            })
            .collect();
        let change = self.context.change();
        let ids = self.store.insert_documents(&news, &change)?;
        for (p, id) in pending.into_iter().zip(ids) {
            let status = if p.duplicate_of.is_some() {
                ImportStatus::Duplicate
            } else {
                ImportStatus::Imported
            };
            let mut outcome = outcome_for(&p.label, status, id.to_string(), p.document);
            if let Some(original) = p.duplicate_of {
                outcome.reason = Some(format!("same supplier and invoice number as {original}"));
            }
            outcome.problems = p.problems;
            if let Some(entry) = outcomes.get_mut(p.slot) {
                *entry = Some(outcome);
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }
}
