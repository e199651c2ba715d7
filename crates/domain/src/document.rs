//! Supplier documents: invoices and credit notes, as read from any syntax.
//!
//! The shape follows the EN 16931 semantic model (business terms BT-/BG-) so that UBL, CII, PDF and
//! CSV sources all land in one structure. All amounts of a document are in the document currency
//! (`currency`, BT-5) except `tax_total_in_tax_currency` (BT-111); they are kept as exact decimals
//! with the scale the sender used, and are never rounded on the way in.

use crate::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Invoice (UNTDID 1001 380, 384, 389, …) or credit note (381, 396, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    Invoice,
    CreditNote,
}

impl DocType {
    pub fn as_str(&self) -> &'static str {
        match self {
            DocType::Invoice => "invoice",
            DocType::CreditNote => "credit_note",
        }
    }

    pub fn parse(text: &str) -> Option<DocType> {
        match text {
            "invoice" => Some(DocType::Invoice),
            "credit_note" => Some(DocType::CreditNote),
            _ => None,
        }
    }
}

/// The syntax a document was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// OASIS UBL 2.x Invoice or CreditNote (Peppol BIS 3, XRechnung UBL, …).
    Ubl,
    /// UN/CEFACT Cross Industry Invoice (XRechnung CII, Factur-X / ZUGFeRD 2.x).
    Cii,
    /// ZUGFeRD 1.0 CrossIndustryDocument.
    Zugferd1,
    /// A PDF whose text was read with templates and heuristics.
    PdfText,
    /// A row-based export (CSV or XLSX) read through a mapping profile.
    Tabular,
}

impl Syntax {
    pub fn as_str(&self) -> &'static str {
        match self {
            Syntax::Ubl => "ubl",
            Syntax::Cii => "cii",
            Syntax::Zugferd1 => "zugferd1",
            Syntax::PdfText => "pdf_text",
            Syntax::Tabular => "tabular",
        }
    }

    pub fn parse(text: &str) -> Option<Syntax> {
        [
            Syntax::Ubl,
            Syntax::Cii,
            Syntax::Zugferd1,
            Syntax::PdfText,
            Syntax::Tabular,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// VAT category (UNCL 5305 subset used by EN 16931, BT-118 / BT-151).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub enum VatCategory {
    /// Standard rate.
    S,
    /// Zero rated goods.
    Z,
    /// Exempt from tax.
    E,
    /// VAT reverse charge.
    AE,
    /// VAT exempt for EEA intra-community supply.
    K,
    /// Free export item, tax not charged.
    G,
    /// Services outside scope of tax.
    O,
    /// Canary Islands general indirect tax (IGIC).
    L,
    /// Tax for production, services and importation in Ceuta and Melilla (IPSI).
    M,
}

impl VatCategory {
    pub fn code(&self) -> &'static str {
        match self {
            VatCategory::S => "S",
            VatCategory::Z => "Z",
            VatCategory::E => "E",
            VatCategory::AE => "AE",
            VatCategory::K => "K",
            VatCategory::G => "G",
            VatCategory::O => "O",
            VatCategory::L => "L",
            VatCategory::M => "M",
        }
    }

    pub fn parse(code: &str) -> Option<VatCategory> {
        Some(match code {
            "S" => VatCategory::S,
            "Z" => VatCategory::Z,
            "E" => VatCategory::E,
            "AE" => VatCategory::AE,
            "K" => VatCategory::K,
            "G" => VatCategory::G,
            "O" => VatCategory::O,
            "L" => VatCategory::L,
            "M" => VatCategory::M,
            _ => return None,
        })
    }

    /// Categories where the buyer, not the seller, accounts for the VAT (self-assessment).
    pub fn is_reverse_charge(&self) -> bool {
        matches!(self, VatCategory::AE | VatCategory::K)
    }
}

/// A postal address (BG-5 / BG-8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
}

/// Seller or buyer (BG-4 / BG-7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Party {
    pub name: String,
    pub trading_name: Option<String>,
    /// VAT identifier (BT-31 / BT-48), with its country prefix.
    pub vat_id: Option<String>,
    /// Tax registration other than VAT (BT-32).
    pub tax_registration_id: Option<String>,
    /// Legal registration (BT-30 / BT-47).
    pub legal_id: Option<String>,
    /// Party identifier (BT-29 / BT-46), e.g. a GLN or a supplier number.
    pub party_id: Option<String>,
    /// Electronic address (BT-34 / BT-49).
    pub endpoint_id: Option<String>,
    pub address: Address,
    pub contact_email: Option<String>,
}

/// A document- or line-level allowance (discount) or charge (BG-20/21, BG-27/28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AllowanceCharge {
    /// `true` for a charge (adds to the net), `false` for an allowance (subtracts).
    pub is_charge: bool,
    #[ts(type = "string")]
    pub amount: Decimal,
    #[ts(type = "string | null")]
    pub base_amount: Option<Decimal>,
    #[ts(type = "string | null")]
    pub percentage: Option<Decimal>,
    pub reason: Option<String>,
    pub reason_code: Option<String>,
    /// Only on document level: the VAT category the allowance or charge falls under.
    pub vat_category: Option<VatCategory>,
    #[ts(type = "string | null")]
    pub vat_rate: Option<Decimal>,
}

impl AllowanceCharge {
    /// The amount with its effect on the net: negative for an allowance.
    pub fn signed_amount(&self) -> Decimal {
        if self.is_charge {
            self.amount
        } else {
            -self.amount
        }
    }
}

/// One invoice line (BG-25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocumentLine {
    /// Line identifier (BT-126).
    pub id: String,
    /// Item name (BT-153).
    pub name: String,
    /// Item description (BT-154), when there is one besides the name.
    pub description: Option<String>,
    /// Invoiced quantity (BT-129); negative on corrective lines.
    #[ts(type = "string")]
    pub quantity: Decimal,
    /// UN/ECE rec 20 unit code (BT-130).
    pub unit_code: Option<String>,
    /// Item net price (BT-146).
    #[ts(type = "string")]
    pub unit_price: Decimal,
    /// Price base quantity (BT-149), 1 when absent.
    #[ts(type = "string | null")]
    pub price_base_quantity: Option<Decimal>,
    /// Line net amount (BT-131), after line allowances and charges.
    #[ts(type = "string")]
    pub net_amount: Decimal,
    pub vat_category: VatCategory,
    /// VAT rate in percent (BT-152); absent for categories without a rate.
    #[ts(type = "string | null")]
    pub vat_rate: Option<Decimal>,
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Seller's item identifier (BT-155).
    pub seller_item_id: Option<String>,
    /// Buyer accounting reference (BT-133).
    pub buyer_accounting_ref: Option<String>,
    /// Referenced purchase order line (BT-132).
    pub order_line_ref: Option<String>,
}

impl DocumentLine {
    /// The text a person reads for this line: the name, and the description when it adds something.
    pub fn text(&self) -> String {
        match &self.description {
            Some(d) if !d.is_empty() && d != &self.name => format!("{} — {}", self.name, d),
            _ => self.name.clone(),
        }
    }
}

/// One VAT breakdown group (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VatBreakdown {
    pub category: VatCategory,
    #[ts(type = "string | null")]
    pub rate: Option<Decimal>,
    /// VAT category taxable amount (BT-116).
    #[ts(type = "string")]
    pub taxable_amount: Decimal,
    /// VAT category tax amount (BT-117).
    #[ts(type = "string")]
    pub tax_amount: Decimal,
    pub exemption_reason: Option<String>,
    pub exemption_reason_code: Option<String>,
}

/// Document totals (BG-22), all in the document currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Totals {
    /// Sum of invoice line net amounts (BT-106).
    #[ts(type = "string")]
    pub line_net_total: Decimal,
    /// Sum of allowances on document level (BT-107).
    #[ts(type = "string | null")]
    pub allowance_total: Option<Decimal>,
    /// Sum of charges on document level (BT-108).
    #[ts(type = "string | null")]
    pub charge_total: Option<Decimal>,
    /// Invoice total amount without VAT (BT-109).
    #[ts(type = "string")]
    pub tax_exclusive: Decimal,
    /// Invoice total VAT amount (BT-110).
    #[ts(type = "string | null")]
    pub tax_total: Option<Decimal>,
    /// Invoice total amount with VAT (BT-112).
    #[ts(type = "string")]
    pub tax_inclusive: Decimal,
    /// Paid amount (BT-113).
    #[ts(type = "string | null")]
    pub prepaid: Option<Decimal>,
    /// Rounding amount (BT-114).
    #[ts(type = "string | null")]
    pub rounding: Option<Decimal>,
    /// Amount due for payment (BT-115).
    #[ts(type = "string")]
    pub payable: Decimal,
}

/// How and when to pay (BG-16 and BT-20).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PaymentInfo {
    /// Payment terms as text (BT-20).
    pub terms: Option<String>,
    /// Payment means type code (BT-81), UNCL 4461.
    pub means_code: Option<String>,
    /// Payment account identifier (BT-84), usually an IBAN.
    pub iban: Option<String>,
    /// Payment service provider identifier (BT-86), usually a BIC.
    pub bic: Option<String>,
    /// Remittance information (BT-83).
    pub remittance_info: Option<String>,
}

/// References to other documents and to the buyer's organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct References {
    /// Buyer reference (BT-10), e.g. the Leitweg-ID.
    pub buyer_reference: Option<String>,
    /// Purchase order reference (BT-13).
    pub order: Option<String>,
    /// Sales order reference (BT-14).
    pub sales_order: Option<String>,
    /// Contract reference (BT-12).
    pub contract: Option<String>,
    /// Project reference (BT-11).
    pub project: Option<String>,
    /// Preceding invoice references (BG-3), for credit notes and corrections.
    pub preceding_invoices: Vec<String>,
    /// Buyer accounting reference (BT-19).
    pub buyer_accounting_ref: Option<String>,
}

/// An invoice or credit note received from a supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Document {
    pub syntax: Syntax,
    pub doc_type: DocType,
    /// UNTDID 1001 type code as sent (BT-3), e.g. `380`.
    pub type_code: Option<String>,
    /// Specification identifier (BT-24).
    pub customization_id: Option<String>,
    /// Business process (BT-23).
    pub profile_id: Option<String>,
    /// Invoice number (BT-1).
    pub number: String,
    /// Issue date (BT-2).
    #[ts(type = "string")]
    pub issue_date: NaiveDate,
    /// Payment due date (BT-9).
    #[ts(type = "string | null")]
    pub due_date: Option<NaiveDate>,
    /// Tax point date (BT-7).
    #[ts(type = "string | null")]
    pub tax_point_date: Option<NaiveDate>,
    /// Invoice currency (BT-5).
    pub currency: Currency,
    /// VAT accounting currency (BT-6), when it differs.
    pub tax_currency: Option<Currency>,
    /// Invoice total VAT amount in accounting currency (BT-111).
    #[ts(type = "string | null")]
    pub tax_total_in_tax_currency: Option<Decimal>,
    pub supplier: Party,
    pub buyer: Party,
    /// Payee (BG-10) when it is not the seller.
    pub payee: Option<Party>,
    pub lines: Vec<DocumentLine>,
    /// Document-level allowances and charges.
    pub allowances_charges: Vec<AllowanceCharge>,
    pub vat_breakdown: Vec<VatBreakdown>,
    pub totals: Totals,
    pub payment: PaymentInfo,
    pub references: References,
    /// Invoice notes (BT-22).
    pub notes: Vec<String>,
}

impl Document {
    /// An amount of this document as money in the document currency.
    pub fn money(&self, amount: Decimal) -> Money {
        Money::new(amount, self.currency)
    }

    /// The amount due (BT-115) as money.
    pub fn payable(&self) -> Money {
        self.money(self.totals.payable)
    }

    /// True when the document carries no lines (Factur-X MINIMUM / BASIC WL): it is coded at
    /// header level.
    pub fn is_header_only(&self) -> bool {
        self.lines.is_empty()
    }
}
