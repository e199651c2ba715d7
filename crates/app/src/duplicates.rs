//! `folio duplicates resolve DOC --not-duplicate --reason TEXT`: a reviewer clears the duplicate
//! flag of a document that is not the same invoice (a supplier that reuses numbers each year, a
//! monthly subscription of the same amount). The decision is recorded with its reason, never
//! edits the document, and is audited in the same transaction ([`folio_store::review`]).

use crate::dto_import::DuplicateResolution;
use crate::error::{AppError, ErrorCode};
use crate::workspace::{Workspace, parse_document_id};
use folio_store::StoreError;

impl Workspace {
    /// Marks a flagged document (`DUPLICATE` or `POSSIBLE_DUPLICATE`) as not a duplicate.
    pub fn resolve_not_duplicate(
        &mut self,
        id: &str,
        reason: &str,
    ) -> Result<DuplicateResolution, AppError> {
        self.require(crate::access::Permission::Code)?;
        let id = parse_document_id(id)?;
        let change = self.context.change();
        let decision = self
            .store
            .resolve_not_duplicate(id, reason, &change)
            .map_err(|e| match e {
                StoreError::NotFound { .. } => AppError::new(
                    ErrorCode::DocumentNotFound,
                    format!("there is no document {id}"),
                ),
                other => AppError::from(other),
            })?;
        Ok(DuplicateResolution {
            document_id: id.to_string(),
            decision: decision.decision,
            reason: decision.reason,
            decided_at: decision
                .decided_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            decided_by: decision.decided_by,
            still_flagged: self.store.is_flagged_duplicate(id)?,
        })
    }
}
