//! The last resort of coding: the vendor's default account from the master data, and the
//! workspace's "to be coded" account for everyone else.
//!
//! Rules, people and the learned suggester come first (see [`crate::suggest`]); what none of them
//! decided still needs a value for the journal to be built, and the GL's vendor record usually
//! names the account a vendor's costs go to. These values are said to be weak (low confidence),
//! so they show up among the exceptions until someone confirms or corrects them.

use crate::rules::matching::{normalise_name, normalise_vat_id};
use folio_domain::Document;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A vendor of the master data as coding needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorCoding {
    /// The vendor's code in the GL.
    pub code: String,
    /// The vendor's VAT id, compared without spaces and case.
    pub vat_id: Option<String>,
    /// The vendor's name, compared without case and punctuation when the document has no VAT id.
    pub name: String,
    /// The account the vendor's costs usually go to.
    pub expense_account: Option<String>,
    /// The vendor's bank account (IBAN) in the master data.
    pub iban: Option<String>,
}

/// A fallback value and why it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub value: String,
    pub reason: String,
    pub confidence: Decimal,
}

/// The fallbacks for one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedDefaults {
    pub account: Option<Fallback>,
    /// Dimension code → fallback value.
    pub dimensions: BTreeMap<String, Fallback>,
    /// The matched vendor's code, when the supplier is a known vendor.
    pub vendor: Option<String>,
}

/// Vendors plus the workspace defaults.
#[derive(Debug, Clone, Default)]
pub struct FixedCoding {
    pub vendors: Vec<VendorCoding>,
    /// The workspace's account for lines nobody has coded ("to be coded").
    pub default_account: Option<String>,
    /// Dimension code → value for lines nobody has coded.
    pub default_dimensions: BTreeMap<String, String>,
}

/// Confidence of a vendor's default account: it is the vendor's usual account, not this line's.
pub const VENDOR_DEFAULT_CONFIDENCE: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

impl FixedCoding {
    /// The master-data vendor of `document`'s supplier: matched by VAT id, or by name when the
    /// document carries no VAT id.
    pub fn find_vendor(&self, document: &Document) -> Option<&VendorCoding> {
        match document.supplier.vat_id.as_deref().map(normalise_vat_id) {
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
        }
    }

    /// The fallbacks for `document`.
    pub fn defaults(&self, document: &Document) -> FixedDefaults {
        let vendor = self.find_vendor(document);
        let account = match vendor.and_then(|v| v.expense_account.as_ref().map(|a| (v, a))) {
            Some((v, account)) => Some(Fallback {
                value: account.clone(),
                reason: format!("the default account of vendor {} ({})", v.code, v.name),
                confidence: VENDOR_DEFAULT_CONFIDENCE,
            }),
            None => self.default_account.as_ref().map(|account| Fallback {
                value: account.clone(),
                reason: format!(
                    "the workspace's account for lines nobody has coded yet ({})",
                    match vendor {
                        Some(v) => format!("vendor {} has no default account", v.code),
                        None => format!("'{}' is not a known vendor", document.supplier.name),
                    }
                ),
                confidence: Decimal::ZERO,
            }),
        };
        let dimensions = self
            .default_dimensions
            .iter()
            .map(|(dimension, value)| {
                (
                    dimension.clone(),
                    Fallback {
                        value: value.clone(),
                        reason: format!(
                            "the workspace's {dimension} for lines nobody has coded yet"
                        ),
                        confidence: Decimal::ZERO,
                    },
                )
            })
            .collect();
        FixedDefaults {
            account,
            dimensions,
            vendor: vendor.map(|v| v.code.clone()),
        }
    }
}
