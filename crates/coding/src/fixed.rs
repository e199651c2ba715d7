//! A fixed vendor → account table: the first, deliberately simple source of coding.
//!
//! It codes every line of a vendor's document to that vendor's expense account and cost centre, and
//! falls back to a default account for unknown vendors, saying so with a warning. Rule packs and the
//! learned suggester replace it; the journal builder does not care where a coding came from.

use crate::builder::{DocumentCoding, LineCoding};
use folio_domain::{Document, Problem};
use std::collections::BTreeMap;

/// How one vendor is coded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorCoding {
    /// The vendor's VAT id, compared without spaces and case.
    pub vat_id: Option<String>,
    /// The vendor's name, compared without case and punctuation when the document has no VAT id.
    pub name: String,
    pub expense_account: String,
    /// Dimension code → value code.
    pub dimensions: BTreeMap<String, String>,
}

/// Vendor table plus the fallback for vendors it does not know.
#[derive(Debug, Clone)]
pub struct FixedCoding {
    pub vendors: Vec<VendorCoding>,
    pub default_account: String,
    pub default_dimensions: BTreeMap<String, String>,
}

fn normalise_vat_id(vat_id: &str) -> String {
    vat_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl FixedCoding {
    /// Codes every line of `document` (or its header, when it has no lines).
    pub fn code(&self, document: &Document) -> (DocumentCoding, Vec<Problem>) {
        // The VAT id identifies a vendor; the name only when the document carries no VAT id.
        let vendor = match document.supplier.vat_id.as_deref().map(normalise_vat_id) {
            Some(vat) => self
                .vendors
                .iter()
                .find(|v| v.vat_id.as_deref().map(normalise_vat_id).as_ref() == Some(&vat)),
            None => {
                let name = normalise_name(&document.supplier.name);
                self.vendors
                    .iter()
                    .find(|v| normalise_name(&v.name) == name)
            }
        };
        let mut problems = Vec::new();
        let (account, dimensions) = match vendor {
            Some(v) => (v.expense_account.clone(), v.dimensions.clone()),
            None => {
                problems.push(Problem::warning(
                    "UNKNOWN_VENDOR",
                    "supplier",
                    format!(
                        "supplier '{}'{} is not a known vendor; its lines were coded to the \
                         default expense account {}",
                        document.supplier.name,
                        document
                            .supplier
                            .vat_id
                            .as_deref()
                            .map(|v| format!(" ({v})"))
                            .unwrap_or_default(),
                        self.default_account
                    ),
                ));
                (
                    self.default_account.clone(),
                    self.default_dimensions.clone(),
                )
            }
        };
        let line = LineCoding {
            account,
            dimensions,
            tax_code: None,
        };
        let count = document.lines.len().max(1);
        (
            DocumentCoding {
                lines: vec![line; count],
            },
            problems,
        )
    }
}
