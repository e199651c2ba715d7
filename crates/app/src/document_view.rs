//! What the desktop's document view shows for one document — the document, its journal and how
//! it is coded — read in one call.
//!
//! Why one call: the view used to ask three times (document, journal draft, explanation), and
//! the journal draft and the explanation each loaded the coding sources (rule packs parsed, master
//! data, the learned suggester's freshness check) and coded the document, so every j/k in the
//! window coded the document twice. Here the sources are loaded once, the journal draft codes the
//! document (storing its proposals, as [`Workspace::journal_draft`] does) and the explanation
//! reads what was just stored. The answers are the same as the three calls' (the tests compare
//! them); only the repeated work is gone.
//!
//! A journal or an explanation that cannot be made (no journal can be built yet, a controller
//! opening an uncoded document) is part of the answer, as the error the single call would have
//! returned, so the view can show the document with the reason beside it; a broken workspace
//! fails the whole call.

use crate::coding_dto::ExplainView;
use crate::dto::{DocumentDetail, JournalView};
use crate::error::AppError;
use crate::workspace::{Workspace, parse_document_id};
use serde::Serialize;
use ts_rs::TS;

/// One document as the document view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentOpenView {
    pub detail: DocumentDetail,
    /// The journal (built as a draft if needed), or `null` with `journal_error` saying why.
    pub journal: Option<JournalView>,
    pub journal_error: Option<AppError>,
    /// How each line is coded and why, or `null` with `coding_error` saying why.
    pub coding: Option<ExplainView>,
    pub coding_error: Option<AppError>,
}

/// Splits a use case's result into the value or the error, failing on a workspace error.
fn either<T>(result: Result<T, AppError>) -> Result<(Option<T>, Option<AppError>), AppError> {
    match result {
        Ok(value) => Ok((Some(value), None)),
        Err(e) if e.code.is_workspace_error() => Err(e),
        Err(e) => Ok((None, Some(e))),
    }
}

impl Workspace {
    /// The document `id` with its journal draft ([`Workspace::journal_draft`]) and its coding
    /// ([`Workspace::explain`]), loading the coding sources once.
    pub fn open_document(&mut self, id: &str) -> Result<DocumentOpenView, AppError> {
        let detail = self.show_document(id)?;
        let id = parse_document_id(id)?;
        let sources = self.sources(self.rule_set_in_use()?)?;
        let journal = self.journal_draft_using(id, Some(&sources));
        // A journal draft that was built coded the document and stored its proposals: the
        // explanation reads them. Otherwise the explanation codes it as `explain` does.
        let refresh = journal.is_err();
        let (journal, journal_error) = either(journal)?;
        let (coding, coding_error) = either(self.explain_with_sources(&sources, id, refresh))?;
        Ok(DocumentOpenView {
            detail,
            journal,
            journal_error,
            coding,
            coding_error,
        })
    }
}
