//! The demo's own invoice model: just what the UBL and CII writers need, independent of both.
//!
//! Amounts here are inputs (quantities, prices, allowance percentages); everything derived —
//! line nets, VAT groups, totals — comes from [`super::calc::compute`], so both syntaxes print the
//! same numbers.

use chrono::NaiveDate;
use folio_domain::{Currency, Syntax, VatCategory};
use rust_decimal::Decimal;

/// How a line or a document-level allowance/charge is taxed: VAT category and rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tax {
    /// Standard rate, in percent.
    S(Decimal),
    Z,
    E,
    AE,
    K,
    O,
}

impl Tax {
    pub(super) fn category(self) -> VatCategory {
        match self {
            Tax::S(_) => VatCategory::S,
            Tax::Z => VatCategory::Z,
            Tax::E => VatCategory::E,
            Tax::AE => VatCategory::AE,
            Tax::K => VatCategory::K,
            Tax::O => VatCategory::O,
        }
    }

    /// The rate to print: none for "not subject to VAT" (BR-O-05), 0 for the other zero categories.
    pub(super) fn rate(self) -> Option<Decimal> {
        match self {
            Tax::S(rate) => Some(rate),
            Tax::O => None,
            Tax::Z | Tax::E | Tax::AE | Tax::K => Some(Decimal::ZERO),
        }
    }

    /// Exemption reason code (VATEX) and text, which EN 16931 requires for E, AE, K and O and
    /// forbids for S and Z.
    pub(super) fn exemption(self) -> Option<(&'static str, &'static str)> {
        match self {
            Tax::S(_) | Tax::Z => None,
            Tax::E => Some((
                "VATEX-EU-132-1I",
                "Steuerfrei nach § 4 Nr. 21 UStG (Leistungen privater Bildungseinrichtungen)",
            )),
            Tax::AE => Some(("VATEX-EU-AE", "Reverse charge")),
            Tax::K => Some(("VATEX-EU-IC", "Intra-Community supply")),
            Tax::O => Some(("VATEX-EU-O", "Not subject to VAT")),
        }
    }
}

/// A seller, buyer or delivery party as printed on an invoice.
#[derive(Debug, Clone)]
pub(super) struct PartyData {
    pub name: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub vat_id: Option<String>,
    /// Legal registration (BT-30 / BT-47) and its ICD scheme, when it has one.
    pub legal_id: Option<(String, Option<&'static str>)>,
    /// Electronic address (BT-34 / BT-49): EAS scheme and identifier.
    pub endpoint: (&'static str, String),
    /// Contact point (BT-41 / BT-56), telephone (BT-42 / BT-57) and e-mail (BT-43 / BT-58).
    pub contact: String,
    pub phone: String,
    pub email: String,
}

/// One invoice line: line net = quantity × price, rounded to the currency's minor units.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub name: String,
    pub description: Option<String>,
    pub seller_item_id: Option<String>,
    pub quantity: Decimal,
    /// UN/ECE recommendation 20 unit code.
    pub unit: &'static str,
    pub price: Decimal,
    pub tax: Tax,
}

/// A document-level allowance or charge (BG-20 / BG-21).
#[derive(Debug, Clone)]
pub(super) struct AllowanceCharge {
    pub is_charge: bool,
    /// UNCL 5189 (allowances) or UNCL 7161 (charges).
    pub reason_code: &'static str,
    pub reason: String,
    /// A fixed amount, or a percentage of the lines in the same VAT group.
    pub basis: Basis,
    pub tax: Tax,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Basis {
    Amount(Decimal),
    Percent(Decimal),
}

/// Where the money goes (BG-16 / BG-17).
#[derive(Debug, Clone)]
pub(super) struct PaymentAccount {
    /// UNCL 4461: 58 SEPA credit transfer, 30 credit transfer.
    pub means_code: &'static str,
    pub account_id: String,
    /// `account_id` is an IBAN (CII `IBANID`), else a proprietary account number.
    pub is_iban: bool,
    pub account_name: String,
}

/// A payee other than the seller (BG-10), e.g. a factoring company.
#[derive(Debug, Clone)]
pub(super) struct Payee {
    pub name: String,
    pub legal_id: String,
}

/// One demo invoice or credit note, ready to be written as UBL or CII.
#[derive(Debug, Clone)]
pub(super) struct Invoice {
    pub syntax: Syntax,
    pub credit_note: bool,
    pub number: String,
    pub issue_date: NaiveDate,
    /// Absent on credit notes: UBL 2.1 `CreditNote` has no `DueDate`, so neither syntax sends one.
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    pub note: Option<String>,
    pub buyer_reference: String,
    pub order_reference: Option<String>,
    /// The invoice a credit note corrects (BG-3).
    pub preceding: Option<(String, NaiveDate)>,
    pub seller: PartyData,
    pub buyer: PartyData,
    pub payee: Option<Payee>,
    /// Actual delivery date (BT-72), delivered to the buyer's address; required for category K.
    pub delivery_date: Option<NaiveDate>,
    pub payment: Option<PaymentAccount>,
    pub terms: String,
    pub lines: Vec<Line>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub prepaid: Option<Decimal>,
}
