//! Several documents from one file (a CSV or XLSX export) stored together: one transaction for
//! all of them, so a file is in the workspace whole or not at all, with one audit event per
//! document as [`Store::insert_document`] writes it.

use crate::documents::{DocumentId, NewDocument, insert_in};
use crate::{Change, Store, StoreError};

impl Store {
    /// Stores every document in one transaction (each with its lines, problems, original's record
    /// and `document.import` audit event); nothing is stored when one of them is refused. Each
    /// original's bytes must already be in [`Store::blobs`].
    pub fn insert_documents(
        &mut self,
        documents: &[NewDocument<'_>],
        change: &Change,
    ) -> Result<Vec<DocumentId>, StoreError> {
        for new in documents {
            self.check_original(&new.original)?;
        }
        let tx = self.begin()?;
        let mut ids = Vec::with_capacity(documents.len());
        for new in documents {
            ids.push(insert_in(&tx, new, change)?);
        }
        tx.commit()?;
        Ok(ids)
    }
}
