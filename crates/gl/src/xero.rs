//! `xero`: the Xero Accounting API as a GL, through `ManualJournals`.
//!
//! Xero is a cloud GL with an OAuth sign-in ([`crate::oauth`]), one organisation (tenant) per
//! connection chosen from `/connections`, strict rate limits and a server-side idempotency key.
//! What the connector does, and why:
//!
//! 1. **Checked before sending.** Xero's reference data (Accounts, TaxRates, TrackingCategories,
//!    the Organisation's base currency and lock dates) is read and kept for a few minutes. A
//!    journal that does not balance, is not in the base currency (manual journals are), is dated
//!    on or before a lock date, or names an account, tax type or tracking option Xero does not
//!    have active is refused naming the line, and never sent: Xero *drops* a journal line whose
//!    account code it does not recognise (with a warning), so a journal must not reach it with one.
//! 2. **Looked up before sending.** The batch's references are searched first
//!    (`GET ManualJournals?where=Narration.StartsWith("REF ")`, chained with `OR`): the
//!    `Narration` starts with our reference, so any entry Xero has for it is found, whatever its
//!    status (a draft someone voided counts too: it was booked once). Found ones are reported
//!    as posted, not sent again.
//! 3. **Sent in one request, idempotently.** The rest go in one `PUT ManualJournals` with
//!    `summarizeErrors=false`, so that Xero answers per journal (created, or its validation
//!    errors, mapped to the line they are about). The `Idempotency-Key` is the journal's
//!    reference when the request carries one journal, and for a batch a key derived from all its
//!    references: a request repeated after a lost answer is answered by Xero from its record
//!    instead of booking again, and a journal that goes out again in another batch was looked up
//!    first (step 2). A journal corrected after Xero refused it goes out again under its
//!    reference with another body; Xero refuses the reused key, and the request is repeated
//!    with a key that also names the content (safe: the look-up found nothing). Status is
//!    `DRAFT` or `POSTED` per the connection's setting. Tax is carried
//!    on its own journal lines (Folio's journals have explicit VAT lines), so the journal is
//!    `NoTax` and each line's `TaxType` says how Xero reports it.
//! 4. **Rate limits kept on the client**, per tenant and shared by every connector of this
//!    process ([`Limiter`]): at most 5 requests in flight, 60 per rolling minute and 5,000 per
//!    rolling day. A wait of a few seconds is waited out; a longer one (or Xero's own 429 with
//!    `Retry-After` and `X-Rate-Limit-Problem`) pauses every request to the tenant and is
//!    reported as rate-limited with the wait, so the outbox schedules the retry. Xero's
//!    `X-MinLimit-Remaining`/`X-DayLimit-Remaining` are kept for the sync monitor.
//! 5. **Tokens** come from a [`TokenSource`]; a 401 refreshes once and repeats the request
//!    (nothing was processed); a dead grant ends in [`GlError::SignInAgain`].

use crate::JournalRef;
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed,
};
use crate::http::{Http, transport_error};
use crate::monitor::{CallLog, CallRecord};
use crate::oauth::{OAuthClient, TokenSource};
use chrono::NaiveDate;
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Journal, Period, Side, TaxCode, VatCategory,
    Vendor,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Where Xero's API lives (the Accounting API is under `/api.xro/2.0`, the tenants under
/// `/connections`).
pub const API_BASE: &str = "https://api.xero.com";
/// Where the browser signs in.
pub const LOGIN_BASE: &str = "https://login.xero.com";
/// Where tokens are exchanged and refreshed.
pub const IDENTITY_BASE: &str = "https://identity.xero.com";
/// What Folio asks to be allowed: post journals, read the settings and contacts, and stay
/// signed in (`offline_access` gives the refresh token).
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.settings.read",
    "accounting.contacts.read",
];
/// Journals per `PUT ManualJournals` (Xero recommends batches of at most 50 elements).
pub const MAX_BATCH: usize = 50;
/// References per look-up query (each adds a `Narration.StartsWith` clause to the URL).
const LOOKUP_CHUNK: usize = 25;
/// How long read reference data (accounts, tax rates, …) is trusted before it is read again.
const REFERENCE_TTL: Duration = Duration::from_secs(300);
/// The longest wait for a rate-limit slot spent inside a call; longer waits go back to the
/// outbox as "rate-limited".
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

/// The OAuth client of Folio's Xero app `client_id` (PKCE, no secret).
pub fn oauth_client(client_id: &str, login_base: &str, identity_base: &str) -> OAuthClient {
    OAuthClient {
        authorize_url: format!(
            "{}/identity/connect/authorize",
            login_base.trim_end_matches('/')
        ),
        token_url: format!("{}/connect/token", identity_base.trim_end_matches('/')),
        client_id: client_id.to_owned(),
        client_secret: None,
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        redirect_path: "/callback".into(),
        extra_params: Vec::new(),
    }
}

/// A Xero organisation the signed-in user connected Folio to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_name: Option<String>,
    #[serde(default)]
    pub tenant_type: Option<String>,
}

/// The organisations the access token may use (`GET /connections`).
pub async fn connections(
    http: &Http,
    calls: &CallLog,
    api_base: &str,
    bearer: &str,
) -> Result<Vec<Tenant>, GlError> {
    let url = format!("{}/connections", api_base.trim_end_matches('/'));
    let started = SystemTime::now();
    let clock = Instant::now();
    let result = http
        .client
        .get(&url)
        .bearer_auth(bearer)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    let (status, outcome) = match result {
        Err(e) => ("transport".to_owned(), Err(transport_error(&e))),
        Ok(response) if response.status().is_success() => {
            let status = response.status().as_u16().to_string();
            let tenants = response
                .json::<Vec<Tenant>>()
                .await
                .map_err(|e| GlError::retryable(format!("connections: unreadable answer: {e}")));
            (status, tenants)
        }
        Ok(response) => {
            let status = response.status();
            let error = if status == reqwest::StatusCode::UNAUTHORIZED {
                GlError::SignInAgain {
                    message: "Xero does not accept the sign-in".into(),
                }
            } else {
                GlError::retryable(format!("connections: HTTP {status}"))
            };
            (status.as_u16().to_string(), Err(error))
        }
    };
    calls.push(CallRecord {
        started,
        connector: http.connector.to_owned(),
        operation: "connections".into(),
        status,
        duration: clock.elapsed(),
        correlation_id: None,
        error: outcome.as_ref().err().map(ToString::to_string),
    });
    outcome
}

/// Whether journals are created as drafts or posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostAs {
    Draft,
    Posted,
}

impl PostAs {
    pub fn xero_status(&self) -> &'static str {
        match self {
            PostAs::Draft => "DRAFT",
            PostAs::Posted => "POSTED",
        }
    }

    pub fn parse(text: &str) -> Option<PostAs> {
        match text.to_ascii_lowercase().as_str() {
            "draft" => Some(PostAs::Draft),
            "posted" | "post" => Some(PostAs::Posted),
            _ => None,
        }
    }
}

/// Xero's documented limits per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub concurrent: usize,
    pub per_minute: usize,
    pub per_day: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
        }
    }
}

/// Where the limits of one tenant stand, for the sync monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateLimitState {
    pub tenant: String,
    pub minute_used: u32,
    pub minute_limit: u32,
    pub day_used: u32,
    pub day_limit: u32,
    pub in_flight: u32,
    pub concurrent_limit: u32,
    /// What Xero said was left, from its last answer (`X-MinLimit-Remaining`).
    pub xero_minute_remaining: Option<u32>,
    /// `X-DayLimit-Remaining` of the last answer.
    pub xero_day_remaining: Option<u32>,
    /// `X-Rate-Limit-Problem` of the last 429 (`minute`, `day`, `concurrent`, `appminute`).
    pub last_problem: Option<String>,
    /// How long every request to the tenant is still paused, after a 429.
    pub paused_ms: u64,
}

#[derive(Debug, Default)]
struct Window {
    minute: VecDeque<Instant>,
    day: VecDeque<Instant>,
    paused_until: Option<Instant>,
    xero_minute_remaining: Option<u32>,
    xero_day_remaining: Option<u32>,
    last_problem: Option<String>,
}

/// The client-side rate limits of one tenant (see the module docs).
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    slots: tokio::sync::Semaphore,
    window: Mutex<Window>,
}

/// The limiters of this process, by API base and tenant.
type Limiters = Mutex<HashMap<(String, String), Arc<Limiter>>>;

static LIMITERS: LazyLock<Limiters> = LazyLock::new(Mutex::default);

impl Limiter {
    /// The limiter of `tenant` at `base`, shared by every connector of this process.
    pub fn shared(base: &str, tenant: &str, limits: Limits) -> Arc<Limiter> {
        let mut all = LIMITERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            all.entry((base.to_owned(), tenant.to_owned()))
                .or_insert_with(|| Arc::new(Limiter::new(limits))),
        )
    }

    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            slots: tokio::sync::Semaphore::new(limits.concurrent.max(1)),
            window: Mutex::new(Window::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long until a request may start at `now`, counting it if it may start now. `Err` for a
    /// wait too long to spend inside the call.
    fn take(&self, now: Instant) -> Result<Duration, GlError> {
        let mut w = self.lock();
        let minute = Duration::from_secs(60);
        let day = Duration::from_secs(86_400);
        while w
            .minute
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            w.minute.pop_front();
        }
        while w.day.front().is_some_and(|t| now.duration_since(*t) >= day) {
            w.day.pop_front();
        }
        let mut wait = Duration::ZERO;
        let mut why = "";
        if let Some(until) = w.paused_until {
            if until > now {
                wait = until - now;
                why = "Xero asked to wait";
            } else {
                w.paused_until = None;
            }
        }
        if w.day.len() >= self.limits.per_day {
            let free = w
                .day
                .front()
                .map_or(Duration::ZERO, |t| day - now.duration_since(*t));
            if free > wait {
                wait = free;
                why = "the daily limit of Xero calls is used up";
            }
        }
        if w.minute.len() >= self.limits.per_minute {
            let free = w
                .minute
                .front()
                .map_or(Duration::ZERO, |t| minute - now.duration_since(*t));
            if free > wait {
                wait = free;
                why = "the limit of Xero calls per minute is reached";
            }
        }
        if wait > MAX_INLINE_WAIT {
            return Err(GlError::RateLimited {
                wait,
                message: format!("{why} (kept by Folio)"),
            });
        }
        if wait.is_zero() {
            w.minute.push_back(now);
            w.day.push_back(now);
        }
        Ok(wait)
    }

    /// Waits for a slot (in flight, per minute, per day) and holds it until the permit drops.
    async fn acquire(&self) -> Result<tokio::sync::SemaphorePermit<'_>, GlError> {
        loop {
            let wait = self.take(Instant::now())?;
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        self.slots
            .acquire()
            .await
            .map_err(|_| GlError::retryable("the Xero rate limiter is closed"))
    }

    /// Notes what Xero's answer said about the limits.
    fn observe(&self, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        let mut w = self.lock();
        if let Some(n) = number("x-minlimit-remaining") {
            w.xero_minute_remaining = Some(n);
        }
        if let Some(n) = number("x-daylimit-remaining") {
            w.xero_day_remaining = Some(n);
        }
    }

    /// Xero answered 429: nothing goes to the tenant for `wait`.
    fn pause(&self, wait: Duration, problem: Option<String>) {
        let mut w = self.lock();
        let until = Instant::now() + wait;
        if w.paused_until.is_none_or(|u| u < until) {
            w.paused_until = Some(until);
        }
        w.last_problem = problem;
    }

    pub fn state(&self, tenant: &str) -> RateLimitState {
        let now = Instant::now();
        let w = self.lock();
        let count = |q: &VecDeque<Instant>, span: Duration| {
            u32::try_from(q.iter().filter(|t| now.duration_since(**t) < span).count())
                .unwrap_or(u32::MAX)
        };
        let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        RateLimitState {
            tenant: tenant.to_owned(),
            minute_used: count(&w.minute, Duration::from_secs(60)),
            minute_limit: as_u32(self.limits.per_minute),
            day_used: count(&w.day, Duration::from_secs(86_400)),
            day_limit: as_u32(self.limits.per_day),
            in_flight: as_u32(
                self.limits
                    .concurrent
                    .saturating_sub(self.slots.available_permits()),
            ),
            concurrent_limit: as_u32(self.limits.concurrent),
            xero_minute_remaining: w.xero_minute_remaining,
            xero_day_remaining: w.xero_day_remaining,
            last_problem: w.last_problem.clone(),
            paused_ms: w
                .paused_until
                .map(|u| u64::try_from(u.saturating_duration_since(now).as_millis()).unwrap_or(0))
                .unwrap_or(0),
        }
    }
}

/// How a Xero connection is set up.
#[derive(Debug, Clone)]
pub struct XeroSettings {
    /// `https://api.xero.com` (a simulator's address in tests).
    pub api_base: String,
    pub tenant_id: String,
    pub post_as: PostAs,
    pub timeout: Duration,
    pub limits: Limits,
}

/// A Xero organisation.
#[derive(Debug, Clone)]
pub struct Xero {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    api: String,
    settings: XeroSettings,
    http: Http,
    tokens: TokenSource,
    calls: CallLog,
    limiter: Arc<Limiter>,
    reference: tokio::sync::Mutex<Option<(Instant, Arc<Reference>)>>,
}

/// What a journal is checked against before it is sent.
#[derive(Debug, Default)]
struct Reference {
    /// Active accounts by code.
    accounts: BTreeSet<String>,
    /// Tax types that can be used.
    tax_types: BTreeSet<String>,
    /// Active tracking categories by name, with their active options.
    tracking: BTreeMap<String, BTreeSet<String>>,
    base_currency: Option<String>,
    /// The later of the period and end-of-year lock dates: nothing on or before it.
    lock_date: Option<NaiveDate>,
}

/// One HTTP answer.
struct Answer {
    status: reqwest::StatusCode,
    body: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountsBody {
    #[serde(default)]
    accounts: Vec<XeroAccount>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroAccount {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    class: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrackingBody {
    #[serde(default)]
    tracking_categories: Vec<XeroTracking>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroTracking {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    options: Vec<XeroOption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroOption {
    name: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaxRatesBody {
    #[serde(default)]
    tax_rates: Vec<XeroTaxRate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroTaxRate {
    name: String,
    tax_type: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    effective_rate: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContactsBody {
    #[serde(default)]
    contacts: Vec<XeroContact>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroContact {
    #[serde(rename = "ContactID")]
    contact_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_number: Option<String>,
    #[serde(default)]
    is_supplier: Option<bool>,
    #[serde(default)]
    contact_status: Option<String>,
    #[serde(default)]
    purchases_default_account_code: Option<String>,
    #[serde(default)]
    bank_account_details: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrganisationsBody {
    #[serde(default)]
    organisations: Vec<XeroOrganisation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroOrganisation {
    #[serde(default)]
    base_currency: Option<String>,
    #[serde(default)]
    period_lock_date: Option<String>,
    #[serde(default)]
    end_of_year_lock_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CurrenciesBody {
    #[serde(default)]
    currencies: Vec<XeroCurrency>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroCurrency {
    code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JournalsBody {
    #[serde(default)]
    manual_journals: Vec<XeroJournal>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XeroJournal {
    #[serde(rename = "ManualJournalID", default)]
    manual_journal_id: Option<String>,
    #[serde(default)]
    narration: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    status_attribute_string: Option<String>,
    #[serde(default)]
    validation_errors: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Message {
    #[serde(default)]
    message: String,
}

/// Xero's 400 (`ValidationException`): the request's elements with their errors.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiException {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    elements: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Element {
    #[serde(default)]
    narration: Option<String>,
    #[serde(default)]
    validation_errors: Vec<Message>,
}

/// The body Folio sends (`ManualJournals` of the OpenAPI description).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JournalsRequest {
    manual_journals: Vec<JournalRequest>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JournalRequest {
    narration: String,
    date: String,
    status: &'static str,
    line_amount_types: &'static str,
    journal_lines: Vec<LineRequest>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LineRequest {
    /// Debits positive, credits negative; written as the decimal it is (never a float).
    line_amount: Box<RawValue>,
    account_code: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tracking: Vec<TrackingRequest>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TrackingRequest {
    name: String,
    option: String,
}

/// The first word of a narration: where the reference is.
fn reference_of(narration: &str) -> &str {
    narration.split_whitespace().next().unwrap_or("")
}

/// The narration of `out`: the reference first, then the memo.
fn narration(out: &Outgoing) -> String {
    let memo = out.journal.memo.trim();
    if memo.is_empty() {
        out.reference.as_str().to_owned()
    } else {
        format!("{} {memo}", out.reference.as_str())
    }
}

/// The `Idempotency-Key` of a request carrying `batch` (see the module docs).
pub fn idempotency_key(batch: &[&Outgoing]) -> String {
    match batch {
        [one] => one.reference.as_str().to_owned(),
        _ => {
            let mut hash = Sha256::new();
            for o in batch {
                hash.update(o.reference.as_str().as_bytes());
                hash.update(b"\n");
            }
            let first = batch.first().map_or("", |o| o.reference.as_str());
            let digest: String = hash
                .finalize()
                .iter()
                .take(12)
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{first}+{}-{digest}", batch.len().saturating_sub(1))
        }
    }
}

/// Whether a 400 refuses the `Idempotency-Key` itself (used before for another request), not
/// the journals.
fn key_conflict(body: &[u8]) -> bool {
    serde_json::from_slice::<ApiException>(body).is_ok_and(|e| {
        e.elements.is_empty()
            && e.message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("idempotency"))
    })
}

/// The body of one journal.
fn journal_request(out: &Outgoing, post_as: PostAs) -> Result<JournalRequest, GlError> {
    let lines = out
        .journal
        .lines
        .iter()
        .map(|line| {
            let signed = match line.side {
                Side::Debit => line.amount,
                Side::Credit => -line.amount,
            };
            let line_amount = RawValue::from_string(signed.normalize().to_string())
                .map_err(|e| GlError::permanent(format!("amount {signed}: {e}"), None))?;
            Ok(LineRequest {
                line_amount,
                account_code: line.account.clone(),
                description: if line.description.trim().is_empty() {
                    out.journal.memo.clone()
                } else {
                    line.description.clone()
                },
                tax_type: line.tax_code.clone(),
                tracking: line
                    .dimensions
                    .iter()
                    .map(|(name, option)| TrackingRequest {
                        name: name.clone(),
                        option: option.clone(),
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, GlError>>()?;
    Ok(JournalRequest {
        narration: narration(out),
        date: out.journal.date.format("%Y-%m-%d").to_string(),
        status: post_as.xero_status(),
        line_amount_types: "NoTax",
        journal_lines: lines,
    })
}

/// The field a Xero validation message is about: the line whose account, tax type or tracking
/// option it names, the lines as a whole for a balance error, the date for a lock date.
pub fn field_of(message: &str, journal: &Journal) -> Option<String> {
    let quoted = |value: &str| {
        message.contains(&format!("'{value}'"))
            || message.contains(&format!("\"{value}\""))
            || message.contains(&format!("({value})"))
    };
    for (i, line) in journal.lines.iter().enumerate() {
        if message.to_ascii_lowercase().contains("account") && quoted(&line.account) {
            return Some(format!("lines[{i}].account"));
        }
    }
    for (i, line) in journal.lines.iter().enumerate() {
        if let Some(tax) = &line.tax_code
            && message.to_ascii_lowercase().contains("tax")
            && quoted(tax)
        {
            return Some(format!("lines[{i}].tax_code"));
        }
        for (dimension, option) in &line.dimensions {
            if quoted(option) || quoted(dimension) {
                return Some(format!("lines[{i}].dimensions.{dimension}"));
            }
        }
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("debits") || lower.contains("credits") {
        return Some("lines".into());
    }
    if lower.contains("lock date") || lower.contains("date") {
        return Some("date".into());
    }
    None
}

/// Xero's `/Date(1552521600000+0000)/` or `2026-01-31T00:00:00` as a date.
fn parse_xero_date(text: &str) -> Option<NaiveDate> {
    if let Some(rest) = text.strip_prefix("/Date(") {
        let millis: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        let millis: i64 = millis.parse().ok()?;
        return chrono::DateTime::from_timestamp_millis(millis).map(|d| d.date_naive());
    }
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

fn account_kind(class: Option<&str>) -> AccountKind {
    match class {
        Some("ASSET") => AccountKind::Asset,
        Some("LIABILITY") => AccountKind::Liability,
        Some("EQUITY") => AccountKind::Equity,
        Some("REVENUE") => AccountKind::Income,
        _ => AccountKind::Expense,
    }
}

fn vat_category(tax_type: &str, rate: Decimal) -> VatCategory {
    let upper = tax_type.to_ascii_uppercase();
    if upper.contains("REVERSE") || upper.starts_with("RR") || upper.contains("ECACQ") {
        VatCategory::AE
    } else if upper.contains("EXEMPT") {
        VatCategory::E
    } else if upper.contains("ZERO") {
        VatCategory::Z
    } else if upper == "NONE" || upper.contains("EXCLUDED") {
        VatCategory::O
    } else if rate > Decimal::ZERO {
        VatCategory::S
    } else {
        VatCategory::Z
    }
}

impl Xero {
    /// The organisation `settings.tenant_id`, signed in with `tokens`.
    pub fn new(settings: XeroSettings, tokens: TokenSource) -> Result<Xero, GlError> {
        let base = settings.api_base.trim_end_matches('/').to_owned();
        Ok(Xero {
            inner: Arc::new(Inner {
                api: format!("{base}/api.xro/2.0"),
                limiter: Limiter::shared(&base, &settings.tenant_id, settings.limits),
                http: Http::new(ConnectorKind::Xero.as_str(), settings.timeout)?,
                settings,
                tokens,
                calls: CallLog::default(),
                reference: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// Where the tenant's rate limits stand.
    pub fn rate_limit_state(&self) -> RateLimitState {
        self.inner.limiter.state(&self.inner.settings.tenant_id)
    }

    pub fn tenant_id(&self) -> &str {
        &self.inner.settings.tenant_id
    }
}

impl Inner {
    /// One call to the Accounting API, within the rate limits, with a fresh token and one more
    /// try after a 401. The answer's status is mapped to a [`GlError`] except for success and
    /// for 400 on a write (a `ValidationException`, read by the caller).
    async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<(&str, String)>,
    ) -> Result<Answer, GlError> {
        let write = method != reqwest::Method::GET;
        let mut bearer = self.tokens.bearer().await?;
        let mut refreshed = false;
        loop {
            let permit = self.limiter.acquire().await?;
            let mut request = self
                .http
                .client
                .request(method.clone(), format!("{}{path}", self.api))
                .bearer_auth(&bearer)
                .header("xero-tenant-id", &self.settings.tenant_id)
                .header(reqwest::header::ACCEPT, "application/json")
                .query(query);
            if let Some((key, json)) = &body {
                request = request
                    .header("Idempotency-Key", *key)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(json.clone());
            }
            let started = SystemTime::now();
            let clock = Instant::now();
            let result = request.send().await;
            let (status, correlation, outcome) = match result {
                Err(e) => {
                    let kind = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "transport"
                    };
                    let mut error = transport_error(&e);
                    if !write && matches!(error, GlError::Unknown { .. }) {
                        // A read changes nothing: whatever happened, it can be asked again.
                        error = GlError::retryable(error.to_string());
                    }
                    (kind.to_owned(), None, Err(error))
                }
                Ok(response) => {
                    self.limiter.observe(response.headers());
                    let status = response.status();
                    let correlation = response
                        .headers()
                        .get("xero-correlation-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let header = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
                    let problem = header("x-rate-limit-problem");
                    let body = response.bytes().await;
                    let outcome = match (status.as_u16(), body) {
                        (_, Err(e)) if write => Err(GlError::unknown(format!(
                            "{operation}: the answer broke off: {}",
                            transport_error(&e)
                        ))),
                        (_, Err(e)) => Err(GlError::retryable(format!(
                            "{operation}: the answer broke off: {}",
                            transport_error(&e)
                        ))),
                        (s, Ok(body)) if status.is_success() || (s == 400 && write) => Ok(Answer {
                            status,
                            body: body.to_vec(),
                        }),
                        (401, Ok(_)) => Err(GlError::SignInAgain {
                            message: format!("{operation}: Xero does not accept the sign-in"),
                        }),
                        (429, Ok(_)) => {
                            let wait = Duration::from_secs(retry_after.unwrap_or(60));
                            self.limiter.pause(wait, problem.clone());
                            Err(GlError::RateLimited {
                                wait,
                                message: format!(
                                    "{operation}: Xero's {} limit is reached (HTTP 429)",
                                    problem.as_deref().unwrap_or("rate")
                                ),
                            })
                        }
                        (502..=504, Ok(_)) => {
                            Err(GlError::retryable(format!("{operation}: HTTP {status}")))
                        }
                        (s, Ok(_)) if s >= 500 && write => {
                            Err(GlError::unknown(format!("{operation}: HTTP {status}")))
                        }
                        (s, Ok(_)) if s >= 500 => {
                            Err(GlError::retryable(format!("{operation}: HTTP {status}")))
                        }
                        (404, Ok(_)) => Err(GlError::permanent(
                            format!("{operation}: HTTP 404: not found at Xero"),
                            None,
                        )),
                        (_, Ok(body)) => Err(GlError::permanent(
                            format!(
                                "{operation}: HTTP {status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            ),
                            None,
                        )),
                    };
                    (status.as_u16().to_string(), correlation, outcome)
                }
            };
            drop(permit);
            self.calls.push(CallRecord {
                started,
                connector: self.http.connector.to_owned(),
                operation: operation.to_owned(),
                status,
                duration: clock.elapsed(),
                correlation_id: correlation,
                error: outcome.as_ref().err().map(ToString::to_string),
            });
            match outcome {
                // The token was refused: nothing was processed, so one refresh and one retry.
                Err(GlError::SignInAgain { .. }) if !refreshed => {
                    bearer = self.tokens.after_unauthorized(&bearer).await?;
                    refreshed = true;
                }
                other => return other,
            }
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, GlError> {
        let answer = self
            .call(operation, reqwest::Method::GET, path, query, None)
            .await?;
        serde_json::from_slice(&answer.body).map_err(|e| {
            GlError::retryable(format!("{operation}: unreadable answer from Xero: {e}"))
        })
    }

    /// The reference data, read again when older than [`REFERENCE_TTL`] or when `fresh`.
    async fn reference(&self, fresh: bool) -> Result<Arc<Reference>, GlError> {
        let mut cached = self.reference.lock().await;
        if let Some((at, reference)) = cached.as_ref()
            && !fresh
            && at.elapsed() < REFERENCE_TTL
        {
            return Ok(Arc::clone(reference));
        }
        let accounts: AccountsBody = self.get("accounts", "/Accounts", &[]).await?;
        let taxes: TaxRatesBody = self.get("tax_rates", "/TaxRates", &[]).await?;
        let tracking: TrackingBody = self
            .get("tracking_categories", "/TrackingCategories", &[])
            .await?;
        let organisation: OrganisationsBody =
            self.get("organisation", "/Organisation", &[]).await?;
        let org = organisation.organisations.into_iter().next();
        let lock_date = org.as_ref().and_then(|o| {
            [&o.period_lock_date, &o.end_of_year_lock_date]
                .into_iter()
                .filter_map(|d| d.as_deref().and_then(parse_xero_date))
                .max()
        });
        let reference = Arc::new(Reference {
            accounts: accounts
                .accounts
                .into_iter()
                .filter(|a| a.status.as_deref().is_none_or(|s| s == "ACTIVE"))
                .filter_map(|a| a.code)
                .collect(),
            tax_types: taxes
                .tax_rates
                .into_iter()
                .filter(|t| t.status.as_deref().is_none_or(|s| s == "ACTIVE"))
                .map(|t| t.tax_type)
                .collect(),
            tracking: tracking
                .tracking_categories
                .into_iter()
                .filter(|c| c.status.as_deref().is_none_or(|s| s == "ACTIVE"))
                .map(|c| {
                    let options = c
                        .options
                        .into_iter()
                        .filter(|o| o.status.as_deref().is_none_or(|s| s == "ACTIVE"))
                        .map(|o| o.name)
                        .collect();
                    (c.name, options)
                })
                .collect(),
            base_currency: org.and_then(|o| o.base_currency),
            lock_date,
        });
        *cached = Some((Instant::now(), Arc::clone(&reference)));
        Ok(reference)
    }

    /// Why `journal` must not be sent to Xero, naming the field, if it must not.
    fn refusal(journal: &Journal, reference: &Reference) -> Option<GlError> {
        if let Some(p) = folio_domain::check_balanced(journal).into_iter().next() {
            return Some(GlError::permanent(p.message, Some(p.field)));
        }
        if let Some(lock) = reference.lock_date
            && journal.date <= lock
        {
            return Some(GlError::permanent(
                format!(
                    "the journal's date {} is on or before Xero's lock date {lock}",
                    journal.date
                ),
                Some("date".into()),
            ));
        }
        for (i, line) in journal.lines.iter().enumerate() {
            let field = |name: &str| Some(format!("lines[{i}].{name}"));
            if let Some(base) = &reference.base_currency
                && line.currency.code() != base
            {
                return Some(GlError::permanent(
                    format!(
                        "line {}: Xero manual journals are in the organisation's base currency \
                         {base}, not {}",
                        i + 1,
                        line.currency.code()
                    ),
                    field("currency"),
                ));
            }
            if !reference.accounts.contains(&line.account) {
                return Some(GlError::permanent(
                    format!(
                        "line {}: account code '{}' is not an active account in Xero",
                        i + 1,
                        line.account
                    ),
                    field("account"),
                ));
            }
            if let Some(tax) = &line.tax_code
                && !reference.tax_types.contains(tax)
            {
                return Some(GlError::permanent(
                    format!("line {}: Xero has no active tax type '{tax}'", i + 1),
                    field("tax_code"),
                ));
            }
            if line.dimensions.len() > 2 {
                return Some(GlError::permanent(
                    format!(
                        "line {}: Xero allows at most 2 tracking categories per line, not {}",
                        i + 1,
                        line.dimensions.len()
                    ),
                    field("dimensions"),
                ));
            }
            for (category, option) in &line.dimensions {
                let known = reference
                    .tracking
                    .get(category)
                    .is_some_and(|options| options.contains(option));
                if !known {
                    return Some(GlError::permanent(
                        format!(
                            "line {}: '{option}' is not an active option of the tracking \
                             category '{category}' in Xero",
                            i + 1
                        ),
                        Some(format!("lines[{i}].dimensions.{category}")),
                    ));
                }
            }
        }
        None
    }

    /// Xero's manual journals whose narration starts with one of `refs`, by reference.
    async fn find(&self, refs: &[&str]) -> Result<BTreeMap<String, Posted>, GlError> {
        let wanted: BTreeSet<&str> = refs.iter().copied().collect();
        let mut found = BTreeMap::new();
        for chunk in refs.chunks(LOOKUP_CHUNK) {
            let clause = chunk
                .iter()
                // References are [0-9A-Z-] only (JournalRef guarantees it): nothing to escape.
                .map(|r| format!("Narration.StartsWith(\"{r} \") OR Narration==\"{r}\""))
                .collect::<Vec<_>>()
                .join(" OR ");
            for page in 1.. {
                let query = [("where", clause.clone()), ("page", page.to_string())];
                let body: JournalsBody = self.get("lookup", "/ManualJournals", &query).await?;
                let n = body.manual_journals.len();
                for j in body.manual_journals {
                    let (Some(id), Some(narration)) = (j.manual_journal_id, j.narration) else {
                        continue;
                    };
                    let reference = reference_of(&narration);
                    if wanted.contains(reference) {
                        found.insert(
                            reference.to_owned(),
                            Posted {
                                gl_id: id,
                                receipt: format!(
                                    "found in Xero as {}",
                                    j.status.as_deref().unwrap_or("a manual journal")
                                ),
                            },
                        );
                    }
                }
                if n < 100 {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Creates `to_send` in one request; the outcome per reference.
    async fn create(
        &self,
        to_send: &[&Outgoing],
    ) -> Result<BTreeMap<String, Result<Posted, GlError>>, GlError> {
        let body = JournalsRequest {
            manual_journals: to_send
                .iter()
                .map(|o| journal_request(o, self.settings.post_as))
                .collect::<Result<_, _>>()?,
        };
        let json = serde_json::to_string(&body)
            .map_err(|e| GlError::permanent(format!("cannot write the journals: {e}"), None))?;
        let key = idempotency_key(to_send);
        let put = |key: String, json: String| async move {
            self.call(
                "post",
                reqwest::Method::PUT,
                "/ManualJournals",
                &[("summarizeErrors", "false".to_owned())],
                Some((&key, json)),
            )
            .await
        };
        let mut answer = put(key.clone(), json.clone()).await?;
        if answer.status == reqwest::StatusCode::BAD_REQUEST && key_conflict(&answer.body) {
            // Xero keeps the key of a request it refused: a journal corrected after a refusal
            // goes out again under the same reference, with another body. The look-up just
            // before found nothing under the reference, so nothing was booked with that key;
            // a key that also names the content is then safe, and stable for this content.
            let digest: String = Sha256::digest(json.as_bytes())
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
            answer = put(format!("{key}~{digest}"), json).await?;
        }
        let mut results = BTreeMap::new();
        if answer.status == reqwest::StatusCode::BAD_REQUEST {
            // A ValidationException for the request: each element with its errors, in order.
            let exception: ApiException = serde_json::from_slice(&answer.body).map_err(|e| {
                GlError::unknown(format!("post: unreadable refusal from Xero: {e}"))
            })?;
            if exception.elements.len() != to_send.len() {
                let message = exception
                    .message
                    .unwrap_or_else(|| "the request was refused".into());
                let error = GlError::permanent(format!("Xero: {message}"), None);
                for o in to_send {
                    results.insert(o.reference.as_str().to_owned(), Err(error.clone()));
                }
                return Ok(results);
            }
            for (o, element) in to_send.iter().zip(exception.elements) {
                let expected = narration(o);
                if element.narration.as_deref().is_some_and(|n| n != expected) {
                    results.insert(
                        o.reference.as_str().to_owned(),
                        Err(GlError::unknown(
                            "Xero's refusal does not match the request",
                        )),
                    );
                    continue;
                }
                let messages: Vec<String> = element
                    .validation_errors
                    .into_iter()
                    .map(|m| m.message)
                    .collect();
                let result = if messages.is_empty() {
                    // Refused with the others but without an error of its own: nothing booked.
                    Err(GlError::retryable(
                        "Xero refused the batch for another journal's errors",
                    ))
                } else {
                    let joined = messages.join("; ");
                    let field = messages.iter().find_map(|m| field_of(m, &o.journal));
                    Err(GlError::permanent(format!("Xero: {joined}"), field))
                };
                results.insert(o.reference.as_str().to_owned(), result);
            }
            return Ok(results);
        }
        let created: JournalsBody = serde_json::from_slice(&answer.body)
            .map_err(|e| GlError::unknown(format!("post: unreadable answer from Xero: {e}")))?;
        if created.manual_journals.len() != to_send.len() {
            return Err(GlError::unknown(format!(
                "post: Xero answered for {} journals, {} were sent",
                created.manual_journals.len(),
                to_send.len()
            )));
        }
        for (o, j) in to_send.iter().zip(created.manual_journals) {
            let reference = o.reference.as_str();
            let same = j
                .narration
                .as_deref()
                .is_some_and(|n| reference_of(n) == reference);
            let failed = j.status_attribute_string.as_deref() == Some("ERROR")
                || !j.validation_errors.is_empty();
            let result = if failed {
                let messages: Vec<String> =
                    j.validation_errors.into_iter().map(|m| m.message).collect();
                let field = messages.iter().find_map(|m| field_of(m, &o.journal));
                Err(GlError::permanent(
                    format!("Xero: {}", messages.join("; ")),
                    field,
                ))
            } else {
                match (same, j.manual_journal_id) {
                    (true, Some(id)) => Ok(Posted {
                        gl_id: id,
                        receipt: format!(
                            "created in Xero as {}",
                            j.status
                                .as_deref()
                                .unwrap_or(self.settings.post_as.xero_status())
                        ),
                    }),
                    _ => Err(GlError::unknown(
                        "Xero's answer does not name the journal that was sent",
                    )),
                }
            };
            results.insert(reference.to_owned(), result);
        }
        Ok(results)
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let reference = self.reference(false).await?;
        let mut results: BTreeMap<String, Result<Posted, GlError>> = BTreeMap::new();
        let mut candidates = Vec::new();
        for out in batch {
            match Inner::refusal(&out.journal, &reference) {
                Some(error) => {
                    results.insert(out.reference.as_str().to_owned(), Err(error));
                }
                None => candidates.push(out),
            }
        }
        if !candidates.is_empty() {
            let refs: Vec<&str> = candidates.iter().map(|o| o.reference.as_str()).collect();
            let found = self.find(&refs).await?;
            let mut to_send = Vec::new();
            for out in candidates {
                match found.get(out.reference.as_str()) {
                    Some(posted) => {
                        results.insert(out.reference.as_str().to_owned(), Ok(posted.clone()));
                    }
                    None => to_send.push(out),
                }
            }
            for chunk in to_send.chunks(MAX_BATCH) {
                match self.create(chunk).await {
                    Ok(created) => results.extend(created),
                    Err(e) => {
                        for o in chunk {
                            results.insert(o.reference.as_str().to_owned(), Err(e.clone()));
                        }
                    }
                }
            }
            // A refusal that names reference data Folio thought Xero had: read it again next time.
            if results
                .values()
                .any(|r| matches!(r, Err(GlError::Permanent { message, .. }) if message.starts_with("Xero:")))
            {
                *self.reference.lock().await = None;
            }
        }
        Ok(batch
            .iter()
            .map(|o| {
                let result = results
                    .remove(o.reference.as_str())
                    .unwrap_or_else(|| Err(GlError::unknown("no outcome")));
                (o.reference.clone(), result)
            })
            .collect())
    }

    async fn pages<T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        path: &str,
        items: impl Fn(&T) -> usize,
    ) -> Result<Vec<T>, GlError> {
        let mut all = Vec::new();
        for page in 1.. {
            let body: T = self
                .get(operation, path, &[("page", page.to_string())])
                .await?;
            let n = items(&body);
            all.push(body);
            if n < 100 {
                break;
            }
        }
        Ok(all)
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let accounts: AccountsBody = self.get("accounts", "/Accounts", &[]).await?;
        let tracking: TrackingBody = self
            .get(
                "tracking_categories",
                "/TrackingCategories",
                &[("includeArchived", "true".to_owned())],
            )
            .await?;
        let taxes: TaxRatesBody = self.get("tax_rates", "/TaxRates", &[]).await?;
        let contacts: Vec<ContactsBody> = self
            .pages("contacts", "/Contacts", |b: &ContactsBody| b.contacts.len())
            .await?;
        let currencies: CurrenciesBody = self.get("currencies", "/Currencies", &[]).await?;
        let organisation: OrganisationsBody =
            self.get("organisation", "/Organisation", &[]).await?;
        let org = organisation.organisations.into_iter().next();
        if let Some(base) = org.as_ref().and_then(|o| o.base_currency.as_deref())
            && !currencies.currencies.is_empty()
            && !currencies.currencies.iter().any(|c| c.code == base)
        {
            return Err(GlError::retryable(format!(
                "Xero's currencies do not include the base currency {base}"
            )));
        }
        let accounts = accounts
            .accounts
            .into_iter()
            .filter_map(|a| {
                let code = a.code.filter(|c| !c.is_empty())?;
                Some(Account {
                    code,
                    name: a.name,
                    kind: account_kind(a.class.as_deref()),
                    postable: true,
                    active: a.status.as_deref().is_none_or(|s| s == "ACTIVE"),
                })
            })
            .collect();
        let dimensions = tracking
            .tracking_categories
            .into_iter()
            .filter(|c| c.status.as_deref() != Some("DELETED"))
            .map(|c| {
                let category_active = c.status.as_deref().is_none_or(|s| s == "ACTIVE");
                Dimension {
                    code: c.name.clone(),
                    name: c.name,
                    required: false,
                    values: c
                        .options
                        .into_iter()
                        .filter(|o| o.status.as_deref() != Some("DELETED"))
                        .map(|o| DimensionValue {
                            active: category_active
                                && o.status.as_deref().is_none_or(|s| s == "ACTIVE"),
                            code: o.name.clone(),
                            name: o.name,
                        })
                        .collect(),
                }
            })
            .collect();
        let tax_codes = taxes
            .tax_rates
            .into_iter()
            .filter(|t| t.status.as_deref().is_none_or(|s| s == "ACTIVE"))
            .map(|t| {
                let rate = t
                    .effective_rate
                    .as_ref()
                    .and_then(|r| Decimal::from_str(r.get().trim()).ok())
                    .unwrap_or(Decimal::ZERO);
                TaxCode {
                    vat_category: vat_category(&t.tax_type, rate),
                    code: t.tax_type,
                    name: t.name,
                    rate,
                    input_account: None,
                    output_account: None,
                }
            })
            .collect();
        let vendors = contacts
            .into_iter()
            .flat_map(|b| b.contacts)
            .filter(|c| c.is_supplier != Some(false))
            .filter(|c| c.contact_status.as_deref().is_none_or(|s| s == "ACTIVE"))
            .map(|c| Vendor {
                code: c.contact_id,
                name: c.name,
                vat_id: c.tax_number.filter(|t| !t.is_empty()),
                iban: c.bank_account_details.filter(|t| !t.is_empty()),
                default_account: c.purchases_default_account_code.filter(|t| !t.is_empty()),
            })
            .collect();
        let periods = org
            .iter()
            .flat_map(|o| {
                [
                    ("period lock", &o.period_lock_date),
                    ("end-of-year lock", &o.end_of_year_lock_date),
                ]
            })
            .filter_map(|(name, date)| {
                let end = date.as_deref().and_then(parse_xero_date)?;
                Some(Period {
                    name: format!("Xero {name} until {end}"),
                    start: NaiveDate::from_ymd_opt(1900, 1, 1)?,
                    end,
                    closed: true,
                })
            })
            .collect();
        Ok(GlMasterData {
            accounts,
            dimensions,
            tax_codes,
            vendors,
            periods,
        })
    }
}

impl Connector for Xero {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Xero
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: true,
            server_idempotency: true,
            lookup_by_reference: true,
            // Xero takes attachments on manual journals, but Folio does not upload them yet.
            attachments: false,
            reads_accounts: true,
            reads_dimensions: true,
            max_batch: MAX_BATCH,
        }
    }

    async fn post(&self, batch: Vec<Outgoing>) -> BatchOutcome {
        match self.inner.post(&batch).await {
            Ok(outcome) => outcome,
            Err(e) => all_failed(&batch, &e),
        }
    }

    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let refs: Vec<&str> = references.iter().map(JournalRef::as_str).collect();
        let mut found = self.inner.find(&refs).await?;
        Ok(references
            .iter()
            .filter_map(|r| Some((r.clone(), found.remove(r.as_str())?)))
            .collect())
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        self.inner.master_data().await
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        let mut calls = self.inner.tokens.drain_calls();
        calls.extend(self.inner.calls.drain());
        calls.sort_by_key(|c| c.started);
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_domain::{Currency, JournalLine, JournalStatus};

    fn out(n: i64) -> Outgoing {
        let eur = Currency::parse("EUR").unwrap();
        let line = |account: &str, side, amount: Decimal| JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount,
            currency: eur,
            dimensions: BTreeMap::from([("Region".to_owned(), "North".to_owned())]),
            tax_code: Some("INPUT2".into()),
            source: None,
        };
        Outgoing {
            reference: JournalRef::new("ABCDE", n).unwrap(),
            journal: Journal {
                date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                memo: "Supplier \"x\" invoice".into(),
                status: JournalStatus::Approved,
                lines: vec![
                    line("400", Side::Debit, Decimal::new(12_345, 2)),
                    line("800", Side::Credit, Decimal::new(12_345, 2)),
                ],
            },
            audit_head: None,
        }
    }

    #[test]
    fn the_body_carries_exact_amounts_the_reference_and_tracking() {
        let o = out(7);
        let body = journal_request(&o, PostAs::Draft).unwrap();
        let json = serde_json::to_string(&body).unwrap();
        assert!(json.contains(r#""LineAmount":123.45"#), "{json}");
        assert!(json.contains(r#""LineAmount":-123.45"#), "{json}");
        assert!(json.contains(r#""Status":"DRAFT""#), "{json}");
        assert!(
            json.contains(r#""Tracking":[{"Name":"Region","Option":"North"}]"#),
            "{json}"
        );
        assert!(json.contains(r#""TaxType":"INPUT2""#), "{json}");
        assert_eq!(reference_of(&body.narration), o.reference.as_str());
        // Descriptions fall back to the memo: Xero wants one per line.
        assert!(
            json.contains(r#""Description":"Supplier \"x\" invoice""#),
            "{json}"
        );
    }

    #[test]
    fn idempotency_keys_are_the_reference_or_stable_per_batch() {
        let (a, b, c) = (out(1), out(2), out(3));
        assert_eq!(idempotency_key(&[&a]), a.reference.as_str());
        let ab = idempotency_key(&[&a, &b]);
        assert_eq!(ab, idempotency_key(&[&a, &b]));
        assert_ne!(ab, idempotency_key(&[&a, &c]));
        assert_ne!(ab, idempotency_key(&[&b, &a]));
        assert!(
            ab.len() <= 128 && ab.starts_with(a.reference.as_str()),
            "{ab}"
        );
    }

    #[test]
    fn validation_messages_map_to_the_line_they_name() {
        let o = out(1);
        let cases = [
            (
                "Account code '800' is not a valid code for this document.",
                Some("lines[1].account"),
            ),
            (
                "The TaxType code 'INPUT2' does not exist or cannot be used",
                Some("lines[0].tax_code"),
            ),
            (
                "The tracking option 'North' is archived",
                Some("lines[0].dimensions.Region"),
            ),
            (
                "The total debits (100.00) must equal total credits (-10.00)",
                Some("lines"),
            ),
            (
                "The document date cannot be before the period lock date",
                Some("date"),
            ),
            ("Something else entirely", None),
        ];
        for (message, field) in cases {
            assert_eq!(field_of(message, &o.journal).as_deref(), field, "{message}");
        }
    }

    #[test]
    fn xero_dates_are_read_in_both_forms() {
        let d = NaiveDate::from_ymd_opt(2019, 3, 14).unwrap();
        assert_eq!(parse_xero_date("/Date(1552521600000+0000)/"), Some(d));
        assert_eq!(parse_xero_date("2019-03-14T00:00:00"), Some(d));
        assert_eq!(parse_xero_date("junk"), None);
    }

    #[test]
    fn the_limiter_counts_per_minute_and_asks_the_outbox_to_wait_when_long() {
        let limiter = Limiter::new(Limits {
            concurrent: 5,
            per_minute: 3,
            per_day: 4,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(t0).unwrap(), Duration::ZERO);
        }
        // The fourth within the minute: the wait is the rest of the minute, too long inline.
        let err = limiter.take(t0 + Duration::from_secs(1)).unwrap_err();
        match err {
            GlError::RateLimited { wait, .. } => assert_eq!(wait, Duration::from_secs(59)),
            other => panic!("{other:?}"),
        }
        // Close to the end of the minute: waited out inline.
        assert_eq!(
            limiter.take(t0 + Duration::from_secs(57)).unwrap(),
            Duration::from_secs(3)
        );
        assert_eq!(
            limiter.take(t0 + Duration::from_secs(60)).unwrap(),
            Duration::ZERO
        );
        // The day's four are used: the wait is until the first of them is a day old.
        let err = limiter.take(t0 + Duration::from_secs(200)).unwrap_err();
        assert!(
            matches!(err, GlError::RateLimited { wait, .. } if wait == Duration::from_secs(86_200)),
            "{err:?}"
        );
        let state = limiter.state("t");
        assert_eq!((state.day_used, state.day_limit), (4, 4));
        limiter.pause(Duration::from_secs(30), Some("minute".into()));
        let state = limiter.state("t");
        assert_eq!(state.last_problem.as_deref(), Some("minute"));
        assert!(state.paused_ms > 0);
    }
}
