//! The general-ledger side of Folio: how a journal is identified in the GL and how it is written
//! in a plain-text ledger.
//!
//! No GL offers idempotency keys that Folio can rely on, so Folio gives the exactly-once guarantee
//! itself: every journal gets a stable [`JournalRef`] that is persisted before the first send and
//! written into the GL entry, so that after any unknown outcome the entry can be looked up by it
//! instead of being sent again. Connectors, the outbox and credentials build on this crate.

pub mod any;
pub mod business_central;
pub mod chart;
pub mod connector;
mod doubt;
pub mod fault_proxy;
pub mod fava;
pub mod hledger_web;
pub mod http;
pub mod ledger_file;
pub mod ledger_text;
pub mod monitor;
pub mod oauth;
pub mod quickbooks;
pub mod reference;
pub mod retry;
pub mod tryton;
pub mod xero;

pub use any::AnyConnector;
pub use business_central::BusinessCentral;
pub use connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
};
pub use fava::Fava;
pub use hledger_web::HledgerWeb;
pub use ledger_file::LedgerFile;
pub use monitor::{CallLog, CallRecord};
pub use quickbooks::QuickBooks;
pub use reference::{JournalRef, RefError};
pub use tryton::Tryton;
pub use xero::Xero;
