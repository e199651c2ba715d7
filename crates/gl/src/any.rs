//! One type for "the configured GL", whichever connector it is, so the outbox and the CLI hold a
//! single value without boxing futures.

use crate::JournalRef;
use crate::business_central::BusinessCentral;
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
};
use crate::fava::Fava;
use crate::hledger_web::HledgerWeb;
use crate::ledger_file::LedgerFile;
use crate::monitor::CallRecord;
use crate::quickbooks::QuickBooks;
use crate::tryton::Tryton;
use crate::xero::Xero;
use std::collections::BTreeMap;

/// Any of Folio's connectors.
#[derive(Debug, Clone)]
pub enum AnyConnector {
    LedgerFile(LedgerFile),
    Fava(Fava),
    HledgerWeb(HledgerWeb),
    Tryton(Tryton),
    BusinessCentral(BusinessCentral),
    Xero(Xero),
    QuickBooks(QuickBooks),
}

impl Connector for AnyConnector {
    fn kind(&self) -> ConnectorKind {
        match self {
            AnyConnector::LedgerFile(c) => c.kind(),
            AnyConnector::Fava(c) => c.kind(),
            AnyConnector::HledgerWeb(c) => c.kind(),
            AnyConnector::Tryton(c) => c.kind(),
            AnyConnector::BusinessCentral(c) => c.kind(),
            AnyConnector::Xero(c) => c.kind(),
            AnyConnector::QuickBooks(c) => c.kind(),
        }
    }

    fn capabilities(&self) -> Capabilities {
        match self {
            AnyConnector::LedgerFile(c) => c.capabilities(),
            AnyConnector::Fava(c) => c.capabilities(),
            AnyConnector::HledgerWeb(c) => c.capabilities(),
            AnyConnector::Tryton(c) => c.capabilities(),
            AnyConnector::BusinessCentral(c) => c.capabilities(),
            AnyConnector::Xero(c) => c.capabilities(),
            AnyConnector::QuickBooks(c) => c.capabilities(),
        }
    }

    async fn post(&self, batch: Vec<Outgoing>) -> BatchOutcome {
        match self {
            AnyConnector::LedgerFile(c) => c.post(batch).await,
            AnyConnector::Fava(c) => c.post(batch).await,
            AnyConnector::HledgerWeb(c) => c.post(batch).await,
            AnyConnector::Tryton(c) => c.post(batch).await,
            AnyConnector::BusinessCentral(c) => c.post(batch).await,
            AnyConnector::Xero(c) => c.post(batch).await,
            AnyConnector::QuickBooks(c) => c.post(batch).await,
        }
    }

    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        match self {
            AnyConnector::LedgerFile(c) => c.lookup(references).await,
            AnyConnector::Fava(c) => c.lookup(references).await,
            AnyConnector::HledgerWeb(c) => c.lookup(references).await,
            AnyConnector::Tryton(c) => c.lookup(references).await,
            AnyConnector::BusinessCentral(c) => c.lookup(references).await,
            AnyConnector::Xero(c) => c.lookup(references).await,
            AnyConnector::QuickBooks(c) => c.lookup(references).await,
        }
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        match self {
            AnyConnector::LedgerFile(c) => c.master_data().await,
            AnyConnector::Fava(c) => c.master_data().await,
            AnyConnector::HledgerWeb(c) => c.master_data().await,
            AnyConnector::Tryton(c) => c.master_data().await,
            AnyConnector::BusinessCentral(c) => c.master_data().await,
            AnyConnector::Xero(c) => c.master_data().await,
            AnyConnector::QuickBooks(c) => c.master_data().await,
        }
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        match self {
            AnyConnector::LedgerFile(c) => c.drain_calls(),
            AnyConnector::Fava(c) => c.drain_calls(),
            AnyConnector::HledgerWeb(c) => c.drain_calls(),
            AnyConnector::Tryton(c) => c.drain_calls(),
            AnyConnector::BusinessCentral(c) => c.drain_calls(),
            AnyConnector::Xero(c) => c.drain_calls(),
            AnyConnector::QuickBooks(c) => c.drain_calls(),
        }
    }
}
