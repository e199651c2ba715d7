//! What the general-ledger use cases return (exported to TypeScript with the other DTOs).

use folio_domain::Problem;
use serde::Serialize;
use ts_rs::TS;

/// The workspace's GL connection. Never the secret: only whether the keychain holds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GlConnectionView {
    /// `ledger-file`, `fava`, `hledger-web` or `tryton`.
    pub kind: String,
    pub url: Option<String>,
    pub ledger: Option<String>,
    pub user: Option<String>,
    pub has_secret: bool,
    /// The organisation or company a cloud GL posts to (Xero's tenant), when it has one.
    pub tenant: Option<String>,
}

/// What approving one document did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApproveOutcome {
    pub document_id: String,
    pub journal_id: Option<String>,
    /// The reference the journal will carry in the GL.
    pub reference: Option<String>,
    /// `queued` (approved and on its way to the GL), `awaiting` (the approval is recorded, the
    /// policy asks for more approvers) or `refused`.
    pub status: String,
    pub reason: Option<String>,
    /// When refused by a rule (`ROLE-APPROVE`, `SOD-PREPARER`, `PERIOD-LOCKED`, …): its name.
    pub rule: Option<String>,
    /// Distinct approvals for the journal's content so far, and how many its policy needs.
    pub approvals: u32,
    pub required: u32,
    pub problems: Vec<Problem>,
}

/// One journal in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OutboxView {
    pub journal_id: String,
    pub reference: String,
    /// `queued`, `sending`, `posted`, `rejected`, `unknown` or `voided`.
    pub state: String,
    pub attempts: u32,
    pub gl_id: Option<String>,
    pub receipt: Option<String>,
    /// Why it was rejected, or the last failure.
    pub last_error: Option<String>,
    /// When a queued entry is next sent (RFC 3339): later than now while it backs off.
    pub next_attempt_at: String,
    /// When its state last changed (RFC 3339).
    pub updated_at: String,
}

/// What a person's retry or resolve did to one outbox entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OutboxActionView {
    /// The state before the action.
    pub before: String,
    /// `posted` (found in the GL, or recorded by hand), `queued` (not in the GL: to be sent,
    /// due now), `due_now` (its wait was cleared) or `unchanged` (the message says why).
    pub result: String,
    pub message: String,
    /// The entry after the action.
    pub entry: OutboxView,
}

/// What a sync run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncReport {
    /// The connector used.
    pub connector: String,
    /// Journals posted in this run (including ones found already in the GL).
    pub posted: u32,
    /// Journals found in the GL by their reference after an unknown outcome.
    pub found_by_lookup: u32,
    /// Journals refused in this run (back to the reviewer with the reason).
    pub rejected: u32,
    /// Journals still waiting (queued or in doubt) when the run ended.
    pub remaining: u32,
    /// Requests made to the GL.
    pub requests: u32,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// The journals rejected in this run.
    pub exceptions: Vec<OutboxView>,
    /// Where the GL API's rate limits stood when the run ended (cloud GLs that have them).
    pub rate_limit: Option<RateLimitView>,
}

/// Where a cloud GL's rate limits stand for the connection (Xero: per organisation), as Folio
/// counts them and as the API last said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RateLimitView {
    /// The connector (`xero`, `quickbooks`, `business-central`).
    pub api: String,
    /// The organisation the limits apply to.
    pub tenant: String,
    /// Calls in the last minute (or in `window_minutes`), and the limit.
    pub minute_used: u32,
    pub minute_limit: u32,
    /// Calls in the last 24 hours, and the limit.
    pub day_used: u32,
    pub day_limit: u32,
    /// Calls in progress, and how many may be.
    pub in_flight: u32,
    pub concurrent_limit: u32,
    /// What the API said was left in its last answer, when it says.
    pub api_minute_remaining: Option<u32>,
    pub api_day_remaining: Option<u32>,
    /// The limit the API last said was hit (`minute`, `day`, `concurrent`).
    pub last_problem: Option<String>,
    /// How long every call is still held back after the API asked to wait, in milliseconds.
    #[ts(type = "number")]
    pub paused_ms: u64,
    /// Whether the API limits calls per day (Xero); without one (QuickBooks) `day_used` and
    /// `day_limit` are 0 and mean nothing.
    pub day_limited: bool,
    /// Batch requests in the last minute and their limit, for APIs that limit batches
    /// (QuickBooks).
    pub batches_used: Option<u32>,
    pub batches_limit: Option<u32>,
    /// What the API said with its last refusal for a limit (QuickBooks' 429 text, Business
    /// Central's 429/503).
    pub last_message: Option<String>,
    /// The length of the sliding window `minute_used`/`minute_limit` count over when it is not
    /// one minute (Business Central: 5).
    pub window_minutes: Option<u32>,
}

impl RateLimitView {
    pub(crate) fn from_xero(state: folio_gl::xero::RateLimitState) -> RateLimitView {
        RateLimitView {
            api: folio_gl::ConnectorKind::Xero.as_str().to_owned(),
            tenant: state.tenant,
            minute_used: state.minute_used,
            minute_limit: state.minute_limit,
            day_used: state.day_used,
            day_limit: state.day_limit,
            in_flight: state.in_flight,
            concurrent_limit: state.concurrent_limit,
            api_minute_remaining: state.xero_minute_remaining,
            api_day_remaining: state.xero_day_remaining,
            last_problem: state.last_problem,
            paused_ms: state.paused_ms,
            day_limited: true,
            batches_used: None,
            batches_limit: None,
            last_message: None,
            window_minutes: None,
        }
    }

    /// QuickBooks' throttle of one company (per realm; no daily limit, a batch limit).
    pub(crate) fn from_quickbooks(state: folio_gl::quickbooks::RateLimitState) -> RateLimitView {
        RateLimitView {
            api: folio_gl::ConnectorKind::QuickBooks.as_str().to_owned(),
            tenant: state.realm,
            minute_used: state.minute_used,
            minute_limit: state.minute_limit,
            day_used: 0,
            day_limit: 0,
            in_flight: state.in_flight,
            concurrent_limit: state.concurrent_limit,
            api_minute_remaining: None,
            api_day_remaining: None,
            last_problem: None,
            paused_ms: state.paused_ms,
            day_limited: false,
            batches_used: Some(state.batches_used),
            batches_limit: Some(state.batches_limit),
            last_message: state.last_throttle,
            window_minutes: None,
        }
    }

    /// Business Central's limits for one company: requests per five-minute window and
    /// simultaneous requests, no daily or batch limit.
    pub(crate) fn from_business_central(
        state: folio_gl::business_central::RateLimitState,
    ) -> RateLimitView {
        RateLimitView {
            api: folio_gl::ConnectorKind::BusinessCentral.as_str().to_owned(),
            tenant: state.company,
            minute_used: state.window_used,
            minute_limit: state.window_limit,
            day_used: 0,
            day_limit: 0,
            in_flight: state.in_flight,
            concurrent_limit: state.concurrent_limit,
            api_minute_remaining: None,
            api_day_remaining: None,
            last_problem: None,
            paused_ms: state.paused_ms,
            day_limited: false,
            batches_used: None,
            batches_limit: None,
            last_message: state.last_throttle,
            window_minutes: Some(state.window_minutes),
        }
    }
}

/// A draft that uses an account or dimension value the GL no longer has (or renamed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PullException {
    pub document_id: String,
    pub journal_id: String,
    /// `lines[2].account`, `lines[0].dimensions.cost_centre`.
    pub field: String,
    pub message: String,
}

/// What `gl pull` fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PullReport {
    pub accounts: u32,
    pub dimension_values: u32,
    pub tax_codes: u32,
    pub vendors: u32,
    pub periods: u32,
    pub exceptions: Vec<PullException>,
}

/// One GL API call from the integration monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GlCallView {
    /// RFC 3339.
    pub at: String,
    pub connector: String,
    pub operation: String,
    /// HTTP status, `ok`, or the kind of failure (`timeout`, `connect`).
    pub status: String,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub correlation_id: Option<String>,
    pub error: Option<String>,
}
