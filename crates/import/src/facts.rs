//! What the syntax mappers saw in the XML that the [`Document`](folio_domain::Document) does not
//! keep, so that the EN 16931 and XRechnung rules can still be checked on one model.
//!
//! The domain document holds what a reviewer and the journal need. Several business rules are
//! about *presence* (was a seller contact sent? does the payment means carry an account?) or about
//! parts of an invoice Folio does not store (invoicing periods, delivery address, attachments,
//! XRechnung sub-invoice lines). Rather than widening the stored model for checks, the mappers fill
//! these [`Facts`] while they walk the tree, and [`crate::validate`] reads them next to the document.
//! A document that did not come from XML (PDF text, CSV later) has `Facts::default()`, whose
//! `known` is false: rules that need facts then stay silent instead of guessing.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Syntax-level observations about one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// True when a mapper filled these facts (false: nothing is known, rules needing facts skip).
    pub known: bool,
    /// Seller contact (BG-6), when the group was sent.
    pub seller_contact: Option<Contact>,
    /// Seller electronic address (BT-34) was sent without its scheme identifier.
    pub seller_endpoint_without_scheme: bool,
    /// Buyer electronic address (BT-49) was sent without its scheme identifier.
    pub buyer_endpoint_without_scheme: bool,
    /// Seller tax representative party (BG-11), when sent.
    pub tax_representative: Option<TaxRepresentative>,
    /// Payment instructions (BG-16), one per payment means element.
    pub payment_means: Vec<PaymentMeans>,
    /// The payment terms text (BT-20) as sent, not trimmed (BR-DE-18 is about its exact form).
    pub payment_terms_raw: Vec<String>,
    /// Direct debit (BG-19) elements that CII keeps outside the payment means: the mandate
    /// reference (BT-89, in the payment terms) or the creditor identifier (BT-90).
    pub direct_debit_header: bool,
    /// Invoicing period (BG-14), when sent.
    pub invoice_period: Option<Period>,
    /// VAT point date code (BT-8) was sent.
    pub tax_point_date_code: bool,
    /// Actual delivery date (BT-72) was sent.
    pub actual_delivery_date: bool,
    /// Deliver-to address (BG-15), when sent.
    pub deliver_to: Option<PlainAddress>,
    /// Additional supporting documents (BG-24).
    pub attachments: Vec<Attachment>,
    /// Preceding invoice references (BG-3) sent without their reference (BT-25).
    pub preceding_without_id: usize,
    /// One entry per document line, in the order of `Document::lines`.
    pub lines: Vec<LineFacts>,
}

/// Seller contact (BG-6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// Contact point (BT-41).
    pub name: Option<String>,
    /// Telephone (BT-42).
    pub phone: Option<String>,
    /// Email (BT-43).
    pub email: Option<String>,
}

/// Seller tax representative party (BG-11).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxRepresentative {
    /// Name (BT-62).
    pub name: Option<String>,
    /// Postal address (BG-12) was sent.
    pub has_address: bool,
    /// Country code (BT-69).
    pub country_code: Option<String>,
    /// VAT identifier (BT-63).
    pub vat_id: Option<String>,
}

/// One payment means (BG-16) with what it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentMeans {
    /// Payment means type code (BT-81).
    pub code: Option<String>,
    /// Credit transfer accounts (BG-17, BT-84), as sent.
    pub credit_accounts: Vec<String>,
    /// Payment card (BG-18) primary account number (BT-87), when the group was sent.
    pub card: Option<String>,
    /// Direct debit (BG-19) was sent in this means: a mandate reference (BT-89) or a debited
    /// account (BT-91).
    pub direct_debit: bool,
    /// Debited account (BT-91), as sent.
    pub debited_account: Option<String>,
}

/// A period with optional start and end (BG-14, BG-26).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// An address reduced to what the rules ask about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainAddress {
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
}

/// One additional supporting document (BG-24).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// Supporting document reference (BT-122).
    pub id: Option<String>,
    /// File name of the attached binary object (BT-125 `filename`).
    pub filename: Option<String>,
}

/// Per-line observations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFacts {
    /// Line identifier (BT-126) was sent.
    pub has_id: bool,
    /// Invoice line period (BG-26), when sent.
    pub period: Option<Period>,
    /// Item gross price (BT-148), when sent.
    pub gross_price: Option<Decimal>,
    /// An item standard identifier (BT-157) was sent without its scheme.
    pub standard_id_without_scheme: bool,
    /// An item classification identifier (BT-158) was sent without its list id.
    pub classification_without_scheme: bool,
    /// An item attribute (BG-32) lacks its name or value.
    pub incomplete_attribute: bool,
    /// XRechnung sub-invoice lines: (count, sum of their net amounts).
    pub sub_lines: Option<(usize, Decimal)>,
    /// XRechnung sub-invoice lines without exactly one classified tax category (BR-DEX-03).
    pub sub_lines_without_category: usize,
}
