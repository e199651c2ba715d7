//! What the review screens offer and show beside a document: the values a person may code a line
//! with (the GL's master data as Folio last pulled it: postable, active accounts, dimension
//! values and tax codes, for autocomplete), and the bytes of a document's original file (the PDF
//! the window renders, the XML it was read from).

use crate::error::AppError;
use crate::workspace::{Workspace, not_found, parse_document_id};
use serde::Serialize;
use ts_rs::TS;

/// One value a field can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CodeChoice {
    pub code: String,
    pub name: String,
}

/// A dimension and its active values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DimensionChoices {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub values: Vec<CodeChoice>,
}

/// Everything a line can be coded with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CodingChoices {
    /// Postable, active accounts.
    pub accounts: Vec<CodeChoice>,
    pub dimensions: Vec<DimensionChoices>,
    pub tax_codes: Vec<CodeChoice>,
}

impl Workspace {
    /// The values a person may code a line with, from the master data.
    pub fn coding_choices(&self) -> Result<CodingChoices, AppError> {
        let master = self.store.master_data()?;
        Ok(CodingChoices {
            accounts: master
                .accounts
                .iter()
                .filter(|a| a.postable && a.active)
                .map(|a| CodeChoice {
                    code: a.code.clone(),
                    name: a.name.clone(),
                })
                .collect(),
            dimensions: master
                .dimensions
                .iter()
                .map(|d| DimensionChoices {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    required: d.required,
                    values: d
                        .values
                        .iter()
                        .filter(|v| v.active)
                        .map(|v| CodeChoice {
                            code: v.code.clone(),
                            name: v.name.clone(),
                        })
                        .collect(),
                })
                .collect(),
            tax_codes: master
                .tax_codes
                .iter()
                .map(|t| CodeChoice {
                    code: t.code.clone(),
                    name: t.name.clone(),
                })
                .collect(),
        })
    }

    /// The bytes of document `id`'s original file (checked against its SHA-256 by the blob
    /// store).
    pub fn original_bytes(&self, id: &str) -> Result<Vec<u8>, AppError> {
        let id = parse_document_id(id)?;
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        Ok(self.store.blobs().get(&stored.original.sha256)?)
    }
}
