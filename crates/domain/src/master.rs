//! Master data: the GL's chart of accounts, dimensions, tax codes, vendors and periods.
//!
//! Folio keeps a local copy of what the GL knows so that coding and approval can be validated
//! offline; the copy is refreshed from the GL (`folio gl pull`) or seeded by `folio init --demo`.

use crate::VatCategory;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Asset,
    Liability,
    Equity,
    Income,
    Expense,
}

impl AccountKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }

    pub fn parse(text: &str) -> Option<AccountKind> {
        use AccountKind::*;
        [Asset, Liability, Equity, Income, Expense]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A GL account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Account {
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    /// Accepts postings (not a heading or a summary account).
    pub postable: bool,
    pub active: bool,
}

/// One value of a dimension, e.g. cost centre `CC-100 Sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DimensionValue {
    pub code: String,
    pub name: String,
    pub active: bool,
}

/// An analytic dimension such as cost centre or project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    /// Every expense posting must carry a value of this dimension.
    pub required: bool,
    pub values: Vec<DimensionValue>,
}

/// A tax code: how a VAT category and rate are booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaxCode {
    pub code: String,
    pub name: String,
    pub vat_category: VatCategory,
    /// Rate in percent.
    #[ts(type = "string")]
    pub rate: Decimal,
    /// Account for deductible input VAT.
    pub input_account: Option<String>,
    /// Account for the output VAT a buyer self-assesses under reverse charge.
    pub output_account: Option<String>,
}

/// A supplier as the GL knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Vendor {
    pub code: String,
    pub name: String,
    pub vat_id: Option<String>,
    pub iban: Option<String>,
    /// The account an expense of this vendor usually goes to.
    pub default_account: Option<String>,
}

/// An accounting period, inclusive of both dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Period {
    pub name: String,
    #[ts(type = "string")]
    pub start: NaiveDate,
    #[ts(type = "string")]
    pub end: NaiveDate,
    pub closed: bool,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}
