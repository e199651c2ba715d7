//! Folio's domain model: money, supplier documents, journals, master data and problems.
//!
//! This crate is pure on purpose. It does no IO, never reads the clock or a random source, and never
//! touches a float: every amount is a [`rust_decimal::Decimal`] tied to an ISO 4217 [`Currency`]. That
//! makes every rule here deterministic and testable with property tests, and lets the store, the
//! importers, the coding engine and the GL connectors agree on one vocabulary.
#![deny(clippy::float_arithmetic)]

pub mod currency;
pub mod document;
pub mod format;
pub mod journal;
pub mod master;
pub mod money;
pub mod problem;

pub use currency::{Currency, CurrencyError};
pub use document::{
    Address, AllowanceCharge, DocType, Document, DocumentLine, Party, PaymentInfo, References,
    Syntax, Totals, VatBreakdown, VatCategory,
};
pub use journal::{
    CurrencyTotals, Journal, JournalLine, JournalStatus, Side, StatusError, check_balanced,
    currency_totals,
};
pub use master::{Account, AccountKind, Dimension, DimensionValue, Period, TaxCode, Vendor};
pub use money::{Money, MoneyError};
pub use problem::{Problem, Severity};
