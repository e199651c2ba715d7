//! What every general-ledger connector offers: one trait, declared capabilities, and typed errors
//! that tell the outbox what to do next.
//!
//! The error kinds are the outbox's decision table, not the transport's: a *retryable* error
//! means "nothing was booked, send again later"; *rate-limited* is the same with the wait the GL
//! asked for; *permanent* means the GL refuses this journal as it is (the reviewer must fix it, so
//! the message is mapped to a journal line or field where the GL lets us); *unknown outcome*
//! means the request may or may not have been booked (a timeout, a dropped response), so the
//! journal must be looked up by its reference before anything is sent again.

use crate::JournalRef;
use crate::monitor::CallRecord;
use folio_domain::{Account, Dimension, Journal, Period, TaxCode, Vendor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// The connectors Folio has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectorKind {
    /// A beancount journal file on disk (no server).
    LedgerFile,
    /// Fava, beancount's web app, through its JSON API.
    Fava,
    /// hledger-web (1.25), hledger's web server, through its JSON API.
    HledgerWeb,
    /// Tryton 8.2 with the `account` module, through its JSON-RPC.
    Tryton,
    /// Microsoft Dynamics 365 Business Central, through its API v2.0.
    BusinessCentral,
    /// Xero's Accounting API (manual journals), signed in with OAuth.
    Xero,
    /// QuickBooks Online, through its Accounting API (v3) with OAuth 2.0.
    #[serde(rename = "quickbooks")]
    QuickBooks,
}

impl ConnectorKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ConnectorKind::LedgerFile => "ledger-file",
            ConnectorKind::Fava => "fava",
            ConnectorKind::HledgerWeb => "hledger-web",
            ConnectorKind::Tryton => "tryton",
            ConnectorKind::BusinessCentral => "business-central",
            ConnectorKind::Xero => "xero",
            ConnectorKind::QuickBooks => "quickbooks",
        }
    }

    pub fn parse(text: &str) -> Option<ConnectorKind> {
        [
            ConnectorKind::LedgerFile,
            ConnectorKind::Fava,
            ConnectorKind::HledgerWeb,
            ConnectorKind::Tryton,
            ConnectorKind::BusinessCentral,
            ConnectorKind::Xero,
            ConnectorKind::QuickBooks,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// What a GL can do, so the outbox and the UI need not guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Entries can be created as drafts and posted later.
    pub drafts: bool,
    /// The GL itself refuses a second entry with the same idempotency key.
    pub server_idempotency: bool,
    /// Entries can be found again by Folio's reference.
    pub lookup_by_reference: bool,
    /// Source documents can be attached to entries.
    pub attachments: bool,
    /// Accounts (and which of them are open) can be read.
    pub reads_accounts: bool,
    /// Dimensions and their values can be read.
    pub reads_dimensions: bool,
    /// Journals that one request may carry.
    pub max_batch: usize,
}

/// Why a post, lookup or read did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlError {
    /// Nothing was booked; sending again later may succeed (a refused connection, a 500, a 503).
    #[error("the GL is not reachable or failed ({message}); it will be tried again")]
    Retryable { message: String },
    /// The GL asked us to wait before the next request.
    #[error("the GL asks to wait {wait:?} ({message})")]
    RateLimited { wait: Duration, message: String },
    /// The GL refuses this journal as it is. `field` names the journal line or field the GL's
    /// message is about (`lines[1].account`), when that is known.
    #[error("the GL refuses the journal: {message}")]
    Permanent {
        message: String,
        field: Option<String>,
    },
    /// The request may or may not have been booked: look the reference up before resending.
    #[error(
        "the GL's answer was lost ({message}); the journal will be looked up before it is sent again"
    )]
    Unknown { message: String },
    /// The GL's sign-in is no longer valid (a revoked or expired OAuth grant): nothing can be
    /// sent over this connection until the user signs in again. Nothing was booked; the outbox
    /// keeps every journal queued and stops sending instead of failing in a loop.
    #[error("sign in to the GL again: {message}")]
    SignInAgain { message: String },
}

impl GlError {
    pub fn retryable(message: impl Into<String>) -> GlError {
        GlError::Retryable {
            message: message.into(),
        }
    }

    pub fn unknown(message: impl Into<String>) -> GlError {
        GlError::Unknown {
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>, field: Option<String>) -> GlError {
        GlError::Permanent {
            message: message.into(),
            field,
        }
    }

    /// The short name of the kind, as logged.
    pub fn kind(&self) -> &'static str {
        match self {
            GlError::Retryable { .. } => "retryable",
            GlError::RateLimited { .. } => "rate_limited",
            GlError::Permanent { .. } => "permanent",
            GlError::Unknown { .. } => "unknown",
            GlError::SignInAgain { .. } => "sign_in_again",
        }
    }
}

/// One journal on its way to the GL, with the reference it is written under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub reference: JournalRef,
    pub journal: Journal,
    /// The head of Folio's audit chain when the journal was sent (`SEQ-HASH`), written into the
    /// entry's metadata (`folio_audit`) so that a copy of the head lives outside the workspace:
    /// a rewrite or truncation of the audit log is detectable against it.
    pub audit_head: Option<String>,
}

/// Proof that an entry is in the GL: the GL's own id for it and what the GL said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub gl_id: String,
    pub receipt: String,
}

/// What the GL knows that journals must agree with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlMasterData {
    pub accounts: Vec<Account>,
    pub dimensions: Vec<Dimension>,
    pub tax_codes: Vec<TaxCode>,
    pub vendors: Vec<Vendor>,
    pub periods: Vec<Period>,
}

/// The outcome of a batch, one entry per journal sent, in the order sent.
pub type BatchOutcome = Vec<(JournalRef, Result<Posted, GlError>)>;

/// A general ledger Folio can post to.
///
/// `post` sends a batch (at most `capabilities().max_batch` journals) and says, per journal, what
/// happened. `lookup` finds entries by reference: a reference missing from its answer is not in
/// the GL. Every call made is recorded for the integration monitor and handed over by
/// `drain_calls`.
pub trait Connector: Send + Sync + 'static {
    fn kind(&self) -> ConnectorKind;
    fn capabilities(&self) -> Capabilities;
    fn post(&self, batch: Vec<Outgoing>) -> impl Future<Output = BatchOutcome> + Send;
    fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> impl Future<Output = Result<BTreeMap<JournalRef, Posted>, GlError>> + Send;
    fn master_data(&self) -> impl Future<Output = Result<GlMasterData, GlError>> + Send;
    fn drain_calls(&self) -> Vec<CallRecord>;
}

/// The batch's results in the order sent; a journal missing from `results` has an unknown outcome.
pub(crate) fn outcome<K>(
    batch: &[Outgoing],
    results: &BTreeMap<K, Result<Posted, GlError>>,
) -> BatchOutcome
where
    K: std::borrow::Borrow<str> + Ord,
{
    batch
        .iter()
        .map(|o| {
            let result = results
                .get(o.reference.as_str())
                .cloned()
                .unwrap_or_else(|| Err(GlError::unknown("no outcome")));
            (o.reference.clone(), result)
        })
        .collect()
}

/// Every journal of `batch` failed the same way (a request that carried them all failed).
pub(crate) fn all_failed(batch: &[Outgoing], error: &GlError) -> BatchOutcome {
    batch
        .iter()
        .map(|o| (o.reference.clone(), Err(error.clone())))
        .collect()
}
