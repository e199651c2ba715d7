//! `quickbooks`: QuickBooks Online through its Accounting API (v3), with OAuth 2.0 bearer tokens.
//!
//! A journal becomes a `JournalEntry` whose `DocNumber` is the journal reference (QuickBooks
//! keeps at most 21 characters there; references have at most 20). QuickBooks has a server-side
//! idempotency key, the `requestid` query parameter: a second request with the same id gets the
//! first answer again instead of a second entry. Folio uses it, but does not rest exactly-once on
//! it alone (its retention is not documented, a batch's id covers the batch, not each entry):
//!
//! 1. A journal that does not balance ([`check_balanced`]), mixes currencies, names an account
//!    number, class, department or tax code QuickBooks does not have (active), or has an
//!    accounts-payable line whose vendor cannot be told (QuickBooks requires a vendor `Entity` on
//!    every accounts-payable line) is refused before anything is sent, naming the line and
//!    field. The lists are read from QuickBooks (cached for a few minutes, read again when a
//!    journal names something the cache lacks), so the check is against the GL itself.
//! 2. The batch's references are looked up by `DocNumber`
//!    (`select * from JournalEntry where DocNumber in (...)`) before anything is created: an
//!    entry that is there is reported posted, never created again.
//! 3. The rest are created: one entry with `POST journalentry?requestid=…`, several with one
//!    `POST batch?requestid=…` (at most 30 items; each item is booked or refused on its own, so
//!    a batch's outcome is resolved entry by entry). The `requestid` of an entry is derived from
//!    its reference and its exact content (and an attempt generation that moves on only after a
//!    look-up proved the entry absent), so a resend after a lost answer is a replay, not a
//!    second entry.
//! 4. A write whose answer was lost (timeout, reset, a 500 after sending) marks its references
//!    doubtful: for `write_bound` after it was sent, a look-up that does not find them answers
//!    "unknown", not "absent" (the write may still be running inside QuickBooks), and `post`
//!    does not create them again.
//!
//! **Dimensions.** A QuickBooks line carries one class and one department (location). Which of
//! Folio's dimensions they carry is part of the connection: `class` and `department` in the
//! company URL's query (`…/v3/company/REALM?class=cost_centre&department=project`); by default
//! Folio's `class` and `department` dimensions. Values are matched by name.
//!
//! **Vendor.** Every line on an accounts-payable account gets `Entity` (type `Vendor`): the
//! QuickBooks vendor whose display name starts the journal's memo (Folio's memo is
//! "SUPPLIER invoice NUMBER"), the longest such name when several do. None: refused before
//! sending (`lines[i].vendor`).
//!
//! **Tax codes.** A line's tax code goes into `TaxCodeRef` with `TaxApplicableOn: Purchase`.
//! Folio books the VAT itself (its own input-VAT line), so no `TaxAmount` is sent and QuickBooks
//! is not asked to compute tax.
//!
//! **Limits.** QuickBooks throttles per company: 500 requests a minute (every batch item
//! counts), 10 at once, 40 batch requests a minute. The connector keeps those limits itself
//! (one limiter per company in this process): it waits briefly for a slot, or answers
//! "rate-limited" with the wait when the minute's budget is spent, before anything is sent. A
//! 429 (`ThrottleExceeded`) from QuickBooks is rate-limited too, with its `Retry-After` when it
//! sends one, and holds every request of this process to the company back for that wait (so
//! concurrent workers do not collect more 429s). [`QuickBooks::rate_limit_state`] says where the
//! throttle stands, for the sync monitor.
//!
//! **Errors.** A `Fault` of type `ValidationFault` (HTTP 400, or inside a batch item or a 200)
//! refuses the journal: permanent, mapped to the line whose account, class, department, tax
//! code or vendor id it names, to `lines` for a balance error, `date` for a closed period,
//! `reference` for the document number. 401 refreshes the access token once (the request was
//! not processed) and sends again; a grant that cannot be refreshed is the token source's
//! "sign in again". 503/502/504 are retryable; a 500, a timeout or a dropped answer after a write
//! is an unknown outcome. Every request pins `minorversion` ([`MINOR_VERSION`]).

use crate::JournalRef;
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed, outcome,
};
use crate::doubt::{Doubt, Doubts};
use crate::monitor::{CallLog, CallRecord};
use chrono::NaiveDate;
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Period, Side, TaxCode, VatCategory, Vendor,
    check_balanced,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The API's minor version every request pins (the current one when this was written).
pub const MINOR_VERSION: &str = "75";
/// The OAuth scope of the Accounting API.
pub const SCOPE: &str = "com.intuit.quickbooks.accounting";
/// Intuit's authorization endpoint (the browser signs in there).
pub const INTUIT_AUTHORIZE: &str = "https://appcenter.intuit.com/connect/oauth2";
/// Intuit's token endpoint (code exchange and refresh).
pub const INTUIT_TOKEN: &str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer";
/// Items of one batch request (QuickBooks' limit).
pub const MAX_BATCH: usize = 30;
/// The longest `DocNumber` QuickBooks keeps.
pub const MAX_DOC_NUMBER: usize = 21;
/// How long a write with a lost answer may still be booked inside QuickBooks. Intuit does not
/// document a server-side bound; its gateway gives up on a request well within a minute.
pub const DEFAULT_WRITE_BOUND: Duration = Duration::from_secs(60);
/// How long the lists read from QuickBooks are trusted before they are read again.
const LISTS_TTL: Duration = Duration::from_secs(300);
/// The throttles of one company (per minute, at once, batches per minute).
const PER_MINUTE: usize = 500;
const CONCURRENT: usize = 10;
const BATCHES_PER_MINUTE: usize = 40;
/// The longest the connector waits for the throttle before answering "rate-limited".
const LONGEST_WAIT: Duration = Duration::from_secs(2);
/// The wait after a 429 that does not say how long.
const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(5);

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the connector gets its OAuth access tokens (the app's keychain-backed token source).
pub trait Bearer: Send + Sync + std::fmt::Debug + 'static {
    /// A current access token.
    fn bearer(&self) -> BoxFuture<'_, Result<String, GlError>>;
    /// The API refused `rejected` (401): a new token, refreshed once for everyone.
    fn after_unauthorized<'a>(
        &'a self,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<String, GlError>>;
    /// Calls the token source made (refreshes), for the integration monitor.
    fn drain_calls(&self) -> Vec<CallRecord> {
        Vec::new()
    }
}

impl Bearer for crate::oauth::TokenSource {
    fn bearer(&self) -> BoxFuture<'_, Result<String, GlError>> {
        Box::pin(crate::oauth::TokenSource::bearer(self))
    }

    fn after_unauthorized<'a>(
        &'a self,
        rejected: &'a str,
    ) -> BoxFuture<'a, Result<String, GlError>> {
        Box::pin(crate::oauth::TokenSource::after_unauthorized(
            self, rejected,
        ))
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        crate::oauth::TokenSource::drain_calls(self)
    }
}

/// Which of Folio's dimensions QuickBooks' class and department carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimensions {
    pub class: Option<String>,
    pub department: Option<String>,
}

impl Default for Dimensions {
    fn default() -> Dimensions {
        Dimensions {
            class: Some("class".into()),
            department: Some("department".into()),
        }
    }
}

/// A QuickBooks Online company.
#[derive(Debug, Clone)]
pub struct QuickBooks {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `https://quickbooks.api.intuit.com/v3/company/REALM`.
    company: String,
    tokens: Arc<dyn Bearer>,
    client: reqwest::Client,
    calls: CallLog,
    dimensions: Dimensions,
    limiter: Arc<Limiter>,
    lists: tokio::sync::Mutex<Option<Lists>>,
    /// The references whose write may still be booked (for `write_bound`).
    doubts: Doubts,
    /// The attempt generation of each reference (moves on after a proven absence).
    generation: Mutex<HashMap<String, u32>>,
}

/// What a batch is resolved against, read from QuickBooks.
#[derive(Debug, Default)]
struct Lists {
    read_at: Option<Instant>,
    /// Account number (or id when it has none) → (id, account type).
    accounts: HashMap<String, (String, String)>,
    classes: HashMap<String, String>,
    departments: HashMap<String, String>,
    tax_codes: HashMap<String, String>,
    /// (display name, id).
    vendors: Vec<(String, String)>,
}

/// The company's throttle as this process keeps it.
#[derive(Debug)]
struct Limiter {
    window: Mutex<Window>,
    slots: tokio::sync::Semaphore,
}

#[derive(Debug, Default)]
struct Window {
    /// Metered calls (one per request, one per batch item) and batch requests of the last minute.
    calls: VecDeque<Instant>,
    batches: VecDeque<Instant>,
    /// After a 429: nothing is sent to the company before this.
    paused_until: Option<Instant>,
    /// The last 429's text.
    last_throttle: Option<String>,
}

/// Where QuickBooks' throttle of one company stands in this process, for the sync monitor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitState {
    pub realm: String,
    /// Calls metered in the last minute (every batch item counts) and the limit.
    pub minute_used: u32,
    pub minute_limit: u32,
    /// Batch requests in the last minute and their limit.
    pub batches_used: u32,
    pub batches_limit: u32,
    /// Requests under way and how many may be.
    pub in_flight: u32,
    pub concurrent_limit: u32,
    /// How long every request to the company is still held back after a 429.
    pub paused_ms: u64,
    /// What the last 429 said.
    pub last_throttle: Option<String>,
}

static LIMITERS: Mutex<BTreeMap<String, Arc<Limiter>>> = Mutex::new(BTreeMap::new());

fn limiter_for(company: &str) -> Arc<Limiter> {
    let mut all = LIMITERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(all.entry(company.to_owned()).or_insert_with(|| {
        Arc::new(Limiter {
            window: Mutex::new(Window::default()),
            slots: tokio::sync::Semaphore::new(CONCURRENT),
        })
    }))
}

fn as_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Limiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long a request metering `cost` calls (and one batch when `batch`) must wait; none:
    /// it is counted now.
    fn reserve(&self, cost: usize, batch: bool) -> Option<Duration> {
        let minute = Duration::from_secs(60);
        let mut w = self.lock();
        let now = Instant::now();
        while w.calls.front().is_some_and(|t| now - *t >= minute) {
            w.calls.pop_front();
        }
        while w.batches.front().is_some_and(|t| now - *t >= minute) {
            w.batches.pop_front();
        }
        let paused = w
            .paused_until
            .filter(|until| *until > now)
            .map(|until| until - now);
        let calls_wait = if w.calls.len() + cost > PER_MINUTE {
            let freeing = (w.calls.len() + cost - PER_MINUTE).min(w.calls.len());
            w.calls
                .get(freeing.saturating_sub(1))
                .map(|t| minute.saturating_sub(now - *t))
        } else {
            None
        };
        let batch_wait = if batch && w.batches.len() >= BATCHES_PER_MINUTE {
            w.batches.front().map(|t| minute.saturating_sub(now - *t))
        } else {
            None
        };
        let wait = paused.max(calls_wait).max(batch_wait);
        if wait.is_none() {
            for _ in 0..cost {
                w.calls.push_back(now);
            }
            if batch {
                w.batches.push_back(now);
            }
        }
        wait
    }

    /// A slot for a request that meters `cost` calls (and one batch when `batch`), waiting at
    /// most [`LONGEST_WAIT`]; longer is "rate-limited" with the wait, nothing sent.
    async fn acquire(
        &self,
        cost: usize,
        batch: bool,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, GlError> {
        let started = Instant::now();
        while let Some(wait) = self.reserve(cost, batch) {
            if started.elapsed() + wait > LONGEST_WAIT {
                let last = self.lock().last_throttle.clone();
                return Err(GlError::RateLimited {
                    wait,
                    message: match last {
                        Some(last) if self.lock().paused_until.is_some() => format!(
                            "QuickBooks throttled this company ({last}); Folio holds every request \
                             back until the wait is over"
                        ),
                        _ => format!(
                            "QuickBooks allows {PER_MINUTE} requests a minute per company \
                             ({BATCHES_PER_MINUTE} batches); Folio waits for the next slot"
                        ),
                    },
                });
            }
            tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
        }
        self.slots
            .acquire()
            .await
            .map_err(|_| GlError::retryable("the QuickBooks limiter is closed"))
    }

    /// QuickBooks answered 429: nothing more goes to the company for `wait`.
    fn pause(&self, wait: Duration, message: &str) {
        let mut w = self.lock();
        let until = Instant::now() + wait;
        if w.paused_until.is_none_or(|u| u < until) {
            w.paused_until = Some(until);
        }
        w.last_throttle = Some(message.to_owned());
    }

    fn state(&self, realm: &str) -> RateLimitState {
        let minute = Duration::from_secs(60);
        let now = Instant::now();
        let w = self.lock();
        let recent =
            |q: &VecDeque<Instant>| as_u32(q.iter().filter(|t| now - **t < minute).count());
        RateLimitState {
            realm: realm.to_owned(),
            minute_used: recent(&w.calls),
            minute_limit: as_u32(PER_MINUTE),
            batches_used: recent(&w.batches),
            batches_limit: as_u32(BATCHES_PER_MINUTE),
            in_flight: as_u32(CONCURRENT.saturating_sub(self.slots.available_permits())),
            concurrent_limit: as_u32(CONCURRENT),
            paused_ms: w
                .paused_until
                .filter(|u| *u > now)
                .map(|u| u64::try_from((u - now).as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0),
            last_throttle: w.last_throttle.clone(),
        }
    }
}

/// A refusal or failure of one request.
#[derive(Debug)]
enum Failure {
    /// QuickBooks' `Fault` (type, errors) on an answer that says it processed nothing.
    Fault(String, Vec<FaultError>),
    /// Anything else, as the outbox decides it.
    Gl(GlError),
}

#[derive(Debug, Clone)]
struct FaultError {
    code: String,
    message: String,
    detail: String,
    element: String,
}

impl FaultError {
    fn text(&self) -> String {
        let mut text = format!("{} {}", self.code, self.message);
        if !self.detail.is_empty() && self.detail != self.message {
            text.push_str(&format!(": {}", self.detail));
        }
        text
    }
}

fn read_fault(value: &Value) -> Option<(String, Vec<FaultError>)> {
    let fault = value.get("Fault").or_else(|| value.get("fault"))?;
    let kind = fault["type"].as_str().unwrap_or("Fault").to_owned();
    let errors = fault
        .get("Error")
        .or_else(|| fault.get("error"))
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| FaultError {
                    code: e["code"].as_str().unwrap_or_default().to_owned(),
                    message: e["Message"].as_str().unwrap_or_default().to_owned(),
                    detail: e["Detail"].as_str().unwrap_or_default().to_owned(),
                    element: e["element"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    Some((kind, errors))
}

fn fault_text(kind: &str, errors: &[FaultError]) -> String {
    let texts: Vec<String> = errors.iter().map(FaultError::text).collect();
    format!("QuickBooks {kind}: {}", texts.join("; "))
}

impl QuickBooks {
    /// The company at `company_url` (`https://quickbooks.api.intuit.com/v3/company/REALM`,
    /// optionally `?class=DIM&department=DIM`), with access tokens from `tokens`.
    pub fn new(
        company_url: &str,
        tokens: Arc<dyn Bearer>,
        timeout: Duration,
        write_bound: Duration,
    ) -> Result<QuickBooks, GlError> {
        let (company, dimensions) = QuickBooks::parse_url(company_url).ok_or_else(|| {
            GlError::permanent(
                format!(
                    "'{company_url}' is not a QuickBooks company URL \
                     (https://quickbooks.api.intuit.com/v3/company/REALM)"
                ),
                Some("url".into()),
            )
        })?;
        let http = crate::http::Http::new(ConnectorKind::QuickBooks.as_str(), timeout)?;
        Ok(QuickBooks {
            inner: Arc::new(Inner {
                limiter: limiter_for(&company),
                company,
                tokens,
                client: http.client,
                calls: CallLog::default(),
                dimensions,
                lists: tokio::sync::Mutex::new(None),
                doubts: Doubts::new(write_bound),
                generation: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The company URL without its query, and the dimensions its query names.
    pub fn parse_url(url: &str) -> Option<(String, Dimensions)> {
        let parsed = reqwest::Url::parse(url).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        let segments: Vec<&str> = parsed.path_segments()?.filter(|s| !s.is_empty()).collect();
        let [.., "v3", "company", realm] = segments.as_slice() else {
            return None;
        };
        if realm.is_empty() || !realm.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let mut dimensions = Dimensions::default();
        for (name, value) in parsed.query_pairs() {
            let value = (!value.is_empty()).then(|| value.into_owned());
            match name.as_ref() {
                "class" => dimensions.class = value,
                "department" => dimensions.department = value,
                _ => return None,
            }
        }
        let mut base = parsed.clone();
        base.set_query(None);
        Some((base.as_str().trim_end_matches('/').to_owned(), dimensions))
    }

    /// The authorization and token endpoints for the company at `company_url`: Intuit's for
    /// Intuit's hosts (production and sandbox); any other host (a simulator, a test proxy)
    /// serves them under its own origin at Intuit's paths.
    pub fn oauth_endpoints(company_url: &str) -> Option<(String, String)> {
        oauth_endpoints(company_url)
    }

    /// Where QuickBooks' throttle of this company stands in this process (the sync monitor's
    /// rate-limit state).
    pub fn rate_limit_state(&self) -> RateLimitState {
        let realm = self
            .inner
            .company
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        self.inner.limiter.state(&realm)
    }

    /// Where QuickBooks' throttle of the company at `company_url` stands in this process,
    /// without a connector (so without a token): the sync monitor asks between syncs, and every
    /// connector of the company shares this throttle. `None` when the URL is not a company's.
    pub fn rate_limit_state_of(company_url: &str) -> Option<RateLimitState> {
        let (company, _) = QuickBooks::parse_url(company_url)?;
        let realm = company.rsplit('/').next().unwrap_or_default().to_owned();
        Some(limiter_for(&company).state(&realm))
    }

    /// The realm (company id) of a company URL.
    pub fn realm_of(url: &str) -> Option<String> {
        let (company, _) = QuickBooks::parse_url(url)?;
        company.rsplit('/').next().map(str::to_owned)
    }
}

/// See [`QuickBooks::oauth_endpoints`].
pub fn oauth_endpoints(company_url: &str) -> Option<(String, String)> {
    QuickBooks::parse_url(company_url)?;
    let url = reqwest::Url::parse(company_url).ok()?;
    let host = url.host_str()?;
    if host == "intuit.com" || host.ends_with(".intuit.com") {
        return Some((INTUIT_AUTHORIZE.to_owned(), INTUIT_TOKEN.to_owned()));
    }
    let origin = url.origin().ascii_serialization();
    Some((
        format!("{origin}/connect/oauth2"),
        format!("{origin}/oauth2/v1/tokens/bearer"),
    ))
}

/// The `requestid` of an entry: its reference, then a digest of its content and generation
/// (at most 20 + 1 + 24 = 45 characters; QuickBooks keeps 50).
fn entry_request_id(reference: &str, entry: &Value, generation: u32) -> String {
    let digest = Sha256::digest(format!("{reference}\n{generation}\n{entry}").as_bytes());
    format!("{reference}-{}", hex(&digest[..12]))
}

/// The `requestid` of a batch: a digest of its entries' ids (36 characters, the batch limit).
fn batch_request_id(ids: &[String]) -> String {
    let digest = Sha256::digest(ids.join("\n").as_bytes());
    hex(&digest[..18])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The vendor whose name starts `memo` (a whole-word prefix), the longest when several do.
fn vendor_of<'a>(memo: &str, vendors: &'a [(String, String)]) -> Option<&'a (String, String)> {
    let memo = normalise(memo);
    vendors
        .iter()
        .filter(|(name, _)| {
            let name = normalise(name);
            !name.is_empty()
                && memo.starts_with(&name)
                && memo[name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
        .max_by_key(|(name, _)| name.len())
}

/// Marks an amount in a request body: [`body_text`] writes it as a JSON number with the
/// amount's own decimal digits (never through a float).
const AMOUNT_MARK: &str = "\u{1}amount:";

/// An amount as it goes into a request body (see [`AMOUNT_MARK`]).
fn amount(value: Decimal) -> Value {
    Value::String(format!("{AMOUNT_MARK}{}", value.normalize()))
}

/// The JSON text of a request body, amounts written as number literals.
fn body_text(value: &Value) -> String {
    let text = value.to_string();
    // serde_json writes the mark's control character as \u0001.
    let quoted_mark = "\"\\u0001amount:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(quoted_mark) {
        out.push_str(&rest[..at]);
        let after = &rest[at + quoted_mark.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push_str(&after[..end]);
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn kind_of(classification: &str, account_type: &str) -> AccountKind {
    match (classification, account_type) {
        ("Expense", _) => AccountKind::Expense,
        ("Revenue", _) => AccountKind::Income,
        ("Equity", _) => AccountKind::Equity,
        ("Liability", _) => AccountKind::Liability,
        ("Asset", _) => AccountKind::Asset,
        (_, t) if t.contains("Payable") || t.contains("Liability") || t == "Credit Card" => {
            AccountKind::Liability
        }
        (_, t) if t.contains("Expense") || t.contains("Cost") => AccountKind::Expense,
        (_, t) if t.contains("Income") => AccountKind::Income,
        _ => AccountKind::Asset,
    }
}

fn account_code(account: &Value) -> Option<String> {
    account["AcctNum"]
        .as_str()
        .filter(|n| !n.is_empty())
        .or_else(|| account["Id"].as_str())
        .map(str::to_owned)
}

impl Inner {
    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}/{path}?minorversion={MINOR_VERSION}", self.company);
        let mut pairs = reqwest::Url::parse("http://x/").expect("a URL");
        {
            let mut q = pairs.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        if let Some(q) = pairs.query().filter(|q| !q.is_empty()) {
            url.push('&');
            url.push_str(q);
        }
        url
    }

    /// One request: throttled on the client, with a bearer token (refreshed once after a 401),
    /// recorded for the monitor. `write` says whether a lost answer may have booked something.
    async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        cost: usize,
        batch: bool,
    ) -> Result<Value, Failure> {
        let write = method == reqwest::Method::POST;
        let _slot = self
            .limiter
            .acquire(cost, batch)
            .await
            .map_err(Failure::Gl)?;
        let mut token = self.tokens.bearer().await.map_err(Failure::Gl)?;
        for attempt in 0..2 {
            let mut request = self
                .client
                .request(method.clone(), url)
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body_text(body));
            }
            let started = SystemTime::now();
            let clock = Instant::now();
            let sent = request.send().await;
            let (status, correlation, outcome) = match sent {
                Err(e) => {
                    let kind = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "transport"
                    };
                    let error = crate::http::transport_error(&e);
                    (kind.to_owned(), None, Err(Failure::Gl(error)))
                }
                Ok(response) => {
                    let status = response.status();
                    let correlation = response
                        .headers()
                        .get("intuit_tid")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = response.bytes().await;
                    let outcome = match text {
                        Err(e) => Err(Failure::Gl(if write {
                            GlError::unknown(format!("{operation}: the answer broke off: {e}"))
                        } else {
                            GlError::retryable(format!("{operation}: the answer broke off: {e}"))
                        })),
                        Ok(bytes) => {
                            let value: Option<Value> = serde_json::from_slice(&bytes).ok();
                            self.judge(operation, status, value, retry_after, write)
                        }
                    };
                    (status.as_u16().to_string(), correlation, outcome)
                }
            };
            self.calls.push(CallRecord {
                started,
                connector: ConnectorKind::QuickBooks.as_str().to_owned(),
                operation: operation.to_owned(),
                status: status.clone(),
                duration: clock.elapsed(),
                correlation_id: correlation,
                error: outcome.as_ref().err().map(|f| match f {
                    Failure::Fault(kind, errors) => fault_text(kind, errors),
                    Failure::Gl(e) => e.to_string(),
                }),
            });
            if status == "429"
                && let Err(Failure::Gl(GlError::RateLimited { wait, message })) = &outcome
            {
                // Every request of this process to the company waits, not only this one.
                self.limiter.pause(*wait, message);
            }
            if status == "401" && attempt == 0 {
                // Refused before it was processed: a new token, then once more.
                token = self
                    .tokens
                    .after_unauthorized(&token)
                    .await
                    .map_err(Failure::Gl)?;
                continue;
            }
            return outcome;
        }
        Err(Failure::Gl(GlError::retryable(
            "QuickBooks refused a freshly refreshed access token",
        )))
    }

    /// What an answer means.
    fn judge(
        &self,
        operation: &str,
        status: reqwest::StatusCode,
        value: Option<Value>,
        retry_after: Option<Duration>,
        write: bool,
    ) -> Result<Value, Failure> {
        let fault = value.as_ref().and_then(read_fault);
        let code = status.as_u16();
        match (code, fault) {
            (200..=299, None) => value.ok_or_else(|| {
                Failure::Gl(if write {
                    GlError::unknown(format!("{operation}: QuickBooks' answer is not JSON"))
                } else {
                    GlError::retryable(format!("{operation}: QuickBooks' answer is not JSON"))
                })
            }),
            (429, fault) => Err(Failure::Gl(GlError::RateLimited {
                wait: retry_after.unwrap_or(DEFAULT_THROTTLE_WAIT),
                message: match fault {
                    Some((kind, errors)) => fault_text(&kind, &errors),
                    None => format!("{operation}: HTTP 429 (ThrottleExceeded)"),
                },
            })),
            (401, _) => Err(Failure::Gl(GlError::retryable(format!(
                "{operation}: QuickBooks refused the access token (HTTP 401)"
            )))),
            (403, fault) => Err(Failure::Gl(GlError::permanent(
                match fault {
                    Some((kind, errors)) => fault_text(&kind, &errors),
                    None => format!("{operation}: QuickBooks refuses access (HTTP 403)"),
                },
                None,
            ))),
            (502..=504, _) => Err(Failure::Gl(GlError::retryable(format!(
                "{operation}: HTTP {status}"
            )))),
            (500..=599, _) => Err(Failure::Gl(if write {
                GlError::unknown(format!("{operation}: HTTP {status}"))
            } else {
                GlError::retryable(format!("{operation}: HTTP {status}"))
            })),
            (_, Some((kind, errors))) if kind.eq_ignore_ascii_case("ValidationFault") => {
                Err(Failure::Fault(kind, errors))
            }
            (_, Some((kind, errors))) => {
                // SystemFault and the like on a write: it may have been processed.
                let text = fault_text(&kind, &errors);
                Err(Failure::Gl(if write && code < 400 {
                    GlError::unknown(text)
                } else if code >= 400 && !kind.to_ascii_lowercase().contains("system") {
                    GlError::permanent(text, None)
                } else {
                    GlError::retryable(text)
                }))
            }
            (_, None) => Err(Failure::Gl(GlError::permanent(
                format!("{operation}: HTTP {status}"),
                None,
            ))),
        }
    }

    /// A read, tried up to three times while it fails in a way that may pass.
    async fn read(&self, operation: &str, url: &str) -> Result<Value, GlError> {
        let mut attempt = 0u64;
        loop {
            match self
                .call(operation, reqwest::Method::GET, url, None, 1, false)
                .await
            {
                Ok(v) => return Ok(v),
                Err(Failure::Gl(GlError::Retryable { .. } | GlError::Unknown { .. }))
                    if attempt < 2 =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(Failure::Gl(e)) => return Err(e),
                Err(Failure::Fault(kind, errors)) => {
                    return Err(GlError::permanent(fault_text(&kind, &errors), None));
                }
            }
        }
    }

    /// Every object `select` finds, page by page (1000 a page).
    async fn query(&self, operation: &str, select: &str) -> Result<Vec<Value>, GlError> {
        let mut out = Vec::new();
        let mut start = 1usize;
        loop {
            let text = format!("{select} startposition {start} maxresults 1000");
            let url = self.url("query", &[("query", &text)]);
            let answer = self.read(operation, &url).await?;
            let response = &answer["QueryResponse"];
            let entity = select
                .split_whitespace()
                .nth(3)
                .unwrap_or_default()
                .to_owned();
            let page = response[entity.as_str()]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let n = page.len();
            out.extend(page);
            if n < 1000 {
                return Ok(out);
            }
            start += n;
        }
    }

    /// The lists, read again when older than [`LISTS_TTL`] or when `fresh`.
    async fn lists(
        &self,
        fresh: bool,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<Lists>>, GlError> {
        let mut guard = self.lists.lock().await;
        let stale = guard
            .as_ref()
            .and_then(|l| l.read_at)
            .is_none_or(|at| at.elapsed() > LISTS_TTL);
        if fresh || stale {
            let mut lists = Lists {
                read_at: Some(Instant::now()),
                ..Lists::default()
            };
            for a in self.query("lookup", "select * from Account").await? {
                if let (Some(code), Some(id)) = (account_code(&a), a["Id"].as_str()) {
                    let kind = a["AccountType"].as_str().unwrap_or_default().to_owned();
                    lists.accounts.insert(code, (id.to_owned(), kind));
                }
            }
            for (entity, map) in [
                ("Class", &mut lists.classes),
                ("Department", &mut lists.departments),
                ("TaxCode", &mut lists.tax_codes),
            ] {
                let wanted = match entity {
                    "Class" => self.dimensions.class.is_some(),
                    "Department" => self.dimensions.department.is_some(),
                    _ => true,
                };
                if !wanted {
                    continue;
                }
                for o in self
                    .query("lookup", &format!("select * from {entity}"))
                    .await?
                {
                    if let (Some(name), Some(id)) = (o["Name"].as_str(), o["Id"].as_str()) {
                        map.insert(name.to_owned(), id.to_owned());
                    }
                }
            }
            for v in self.query("lookup", "select * from Vendor").await? {
                if let (Some(name), Some(id)) = (v["DisplayName"].as_str(), v["Id"].as_str()) {
                    lists.vendors.push((name.to_owned(), id.to_owned()));
                }
            }
            *guard = Some(lists);
        }
        Ok(guard)
    }

    /// The `JournalEntry` of one journal, or why it cannot be sent (line and field named).
    fn entry(&self, out: &Outgoing, lists: &Lists) -> Result<Value, GlError> {
        let journal = &out.journal;
        if let Some(problem) = check_balanced(journal).into_iter().next() {
            return Err(GlError::permanent(problem.message, Some(problem.field)));
        }
        if out.reference.as_str().chars().count() > MAX_DOC_NUMBER {
            return Err(GlError::permanent(
                format!(
                    "the reference {} is longer than QuickBooks' {MAX_DOC_NUMBER}-character \
                     document number",
                    out.reference
                ),
                Some("reference".into()),
            ));
        }
        let currency =
            journal.lines.first().map(|l| l.currency).ok_or_else(|| {
                GlError::permanent("the journal has no lines", Some("lines".into()))
            })?;
        let mut lines = Vec::new();
        for (i, line) in journal.lines.iter().enumerate() {
            let n = i + 1;
            if line.currency != currency {
                return Err(GlError::permanent(
                    format!(
                        "line {n} is in {}, line 1 in {}: a QuickBooks journal entry has one \
                         currency",
                        line.currency.code(),
                        currency.code()
                    ),
                    Some(format!("lines[{i}].currency")),
                ));
            }
            let (account_id, account_type) =
                lists.accounts.get(&line.account).ok_or_else(|| {
                    GlError::permanent(
                        format!(
                            "line {n} posts to account {}, which QuickBooks does not have as an \
                         active account",
                            line.account
                        ),
                        Some(format!("lines[{i}].account")),
                    )
                })?;
            let mut detail = json!({
                "PostingType": match line.side { Side::Debit => "Debit", Side::Credit => "Credit" },
                "AccountRef": {"value": account_id},
            });
            for (dimension, value) in &line.dimensions {
                let (field, list, what) = if self.dimensions.class.as_ref() == Some(dimension) {
                    ("ClassRef", &lists.classes, "class")
                } else if self.dimensions.department.as_ref() == Some(dimension) {
                    ("DepartmentRef", &lists.departments, "department")
                } else {
                    return Err(GlError::permanent(
                        format!(
                            "line {n} has {dimension} {value}; QuickBooks carries only the \
                             connection's class ({}) and department ({}) dimensions",
                            self.dimensions.class.as_deref().unwrap_or("none"),
                            self.dimensions.department.as_deref().unwrap_or("none"),
                        ),
                        Some(format!("lines[{i}].dimensions.{dimension}")),
                    ));
                };
                let id = list.get(value).ok_or_else(|| {
                    GlError::permanent(
                        format!(
                            "line {n} has {dimension} {value}, which QuickBooks does not have as \
                             an active {what}"
                        ),
                        Some(format!("lines[{i}].dimensions.{dimension}")),
                    )
                })?;
                detail[field] = json!({"value": id});
            }
            if let Some(code) = &line.tax_code {
                let id = lists.tax_codes.get(code).ok_or_else(|| {
                    GlError::permanent(
                        format!("line {n} has tax code {code}, which QuickBooks does not have"),
                        Some(format!("lines[{i}].tax_code")),
                    )
                })?;
                detail["TaxCodeRef"] = json!({"value": id});
                detail["TaxApplicableOn"] = json!("Purchase");
            }
            if account_type == "Accounts Payable" {
                let (_, vendor) = vendor_of(&journal.memo, &lists.vendors).ok_or_else(|| {
                    GlError::permanent(
                        format!(
                            "line {n} is on the accounts-payable account {}, and QuickBooks needs \
                             its vendor: no QuickBooks vendor's name starts the memo '{}'",
                            line.account, journal.memo
                        ),
                        Some(format!("lines[{i}].vendor")),
                    )
                })?;
                detail["Entity"] = json!({"Type": "Vendor", "EntityRef": {"value": vendor}});
            }
            let mut value = json!({
                "DetailType": "JournalEntryLineDetail",
                "Amount": amount(line.amount),
                "JournalEntryLineDetail": detail,
            });
            if !line.description.is_empty() {
                value["Description"] =
                    json!(line.description.chars().take(4000).collect::<String>());
            }
            lines.push(value);
        }
        let mut entry = json!({
            "DocNumber": out.reference.as_str(),
            "TxnDate": journal.date.to_string(),
            "PrivateNote": private_note(out),
            "CurrencyRef": {"value": currency.code()},
            "Line": lines,
        });
        if entry["PrivateNote"] == "" {
            entry.as_object_mut().map(|o| o.remove("PrivateNote"));
        }
        Ok(entry)
    }

    /// The journal's refusal for a `Fault` about it, on the line the Fault names.
    fn refusal(&self, kind: &str, errors: &[FaultError], entry: &Value) -> GlError {
        let message = fault_text(kind, errors);
        let lines = entry["Line"].as_array().cloned().unwrap_or_default();
        let named = |field: &str, what: &str| -> Option<String> {
            lines
                .iter()
                .position(|l| {
                    let id = l["JournalEntryLineDetail"][field]["value"]
                        .as_str()
                        .or_else(|| {
                            l["JournalEntryLineDetail"][field]["EntityRef"]["value"].as_str()
                        });
                    id.is_some_and(|id| {
                        errors.iter().any(|e| {
                            let text = format!("{} {}", e.detail, e.message);
                            text.contains(&format!("id {id} "))
                                || text.ends_with(&format!("id {id}"))
                        }) && errors
                            .iter()
                            .any(|e| e.element.contains(field) || e.detail.contains(what))
                    })
                })
                .map(|i| i.to_string())
        };
        let field = if let Some(i) = named("AccountRef", "Account") {
            Some(format!("lines[{i}].account"))
        } else if let Some(i) = named("ClassRef", "Class") {
            Some(format!(
                "lines[{i}].dimensions.{}",
                self.dimensions.class.clone().unwrap_or_default()
            ))
        } else if let Some(i) = named("DepartmentRef", "Department") {
            Some(format!(
                "lines[{i}].dimensions.{}",
                self.dimensions.department.clone().unwrap_or_default()
            ))
        } else if let Some(i) = named("TaxCodeRef", "TaxCode") {
            Some(format!("lines[{i}].tax_code"))
        } else if let Some(i) = named("Entity", "Entity") {
            Some(format!("lines[{i}].vendor"))
        } else if message.contains("Accounts Payable") && message.contains("vendor") {
            lines
                .iter()
                .position(|l| l["JournalEntryLineDetail"]["Entity"].is_null())
                .map(|i| format!("lines[{i}].vendor"))
        } else if errors
            .iter()
            .any(|e| e.element == "TxnDate" || e.code == "6210")
        {
            Some("date".into())
        } else if errors.iter().any(|e| e.element == "DocNumber") {
            Some("reference".into())
        } else if errors.iter().any(|e| e.element == "Line") {
            Some("lines".into())
        } else {
            None
        };
        GlError::permanent(message, field)
    }

    fn generation(&self, reference: &str) -> u32 {
        *self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(reference)
            .unwrap_or(&0)
    }

    fn doubt(&self, refs: &[&str]) {
        self.doubts.mark(refs);
    }

    /// Whether a write of `reference` may still be booked inside QuickBooks.
    fn in_doubt(&self, reference: &str) -> bool {
        match self.doubts.check(reference) {
            Doubt::Open => true,
            Doubt::Lapsed => {
                // Proven absent after the bound: the next attempt is a new request.
                *self
                    .generation
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(reference.to_owned())
                    .or_insert(0) += 1;
                false
            }
            Doubt::Clear => false,
        }
    }

    fn settled(&self, reference: &str) {
        self.doubts.settle(reference);
    }

    /// The entries whose `DocNumber` is one of `refs`: reference → (Id, TxnDate).
    async fn find(&self, refs: &[&str]) -> Result<BTreeMap<String, Posted>, GlError> {
        let mut found = BTreeMap::new();
        for chunk in refs.chunks(MAX_BATCH) {
            // References are capitals, digits and dashes: nothing to escape in the quotes.
            let list: Vec<String> = chunk.iter().map(|r| format!("'{r}'")).collect();
            let select = format!(
                "select * from JournalEntry where DocNumber in ({})",
                list.join(", ")
            );
            let mut entries = self.query("lookup", &select).await?;
            // Should a second entry carry the number (keyed by someone else), the first stands.
            entries.sort_by_key(|e| e["Id"].as_str().and_then(|i| i.parse::<u64>().ok()));
            for e in entries {
                let (Some(doc), Some(id)) = (e["DocNumber"].as_str(), e["Id"].as_str()) else {
                    continue;
                };
                if chunk.contains(&doc) && !found.contains_key(doc) {
                    found.insert(
                        doc.to_owned(),
                        Posted {
                            gl_id: format!("JournalEntry {id}"),
                            receipt: "found in QuickBooks by its DocNumber".into(),
                        },
                    );
                }
            }
        }
        Ok(found)
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut results: BTreeMap<String, Result<Posted, GlError>> = BTreeMap::new();
        // Build every entry; a journal that names something the cached lists lack is checked
        // again against freshly read lists before it is refused.
        let mut candidates: Vec<(&Outgoing, Value)> = Vec::new();
        {
            let mut guard = self.lists(false).await?;
            let mut refreshed = false;
            for out in batch {
                let reference = out.reference.as_str();
                if results.contains_key(reference)
                    || candidates.iter().any(|(o, _)| o.reference == out.reference)
                {
                    continue;
                }
                let mut built = self.entry(out, guard.as_ref().expect("lists"));
                if built.is_err() && !refreshed {
                    drop(guard);
                    guard = self.lists(true).await?;
                    refreshed = true;
                    built = self.entry(out, guard.as_ref().expect("lists"));
                }
                match built {
                    Ok(entry) => candidates.push((out, entry)),
                    Err(e) => {
                        results.insert(reference.to_owned(), Err(e));
                    }
                }
            }
        }
        if candidates.is_empty() {
            return Ok(outcome(batch, &results));
        }
        let refs: Vec<&str> = candidates
            .iter()
            .map(|(o, _)| o.reference.as_str())
            .collect();
        let present = self.find(&refs).await?;
        let mut to_create: Vec<(&Outgoing, Value, String)> = Vec::new();
        for (out, entry) in candidates {
            let reference = out.reference.as_str();
            match present.get(reference) {
                Some(posted) => {
                    self.settled(reference);
                    results.insert(
                        reference.to_owned(),
                        Ok(Posted {
                            gl_id: posted.gl_id.clone(),
                            receipt: "already in QuickBooks".into(),
                        }),
                    );
                }
                None if self.in_doubt(reference) => {
                    results.insert(
                        reference.to_owned(),
                        Err(GlError::unknown(
                            "an earlier write of this journal may still be booked in QuickBooks",
                        )),
                    );
                }
                None => {
                    let id = entry_request_id(reference, &entry, self.generation(reference));
                    to_create.push((out, entry, id));
                }
            }
        }
        match to_create.len() {
            0 => {}
            1 => {
                let (out, entry, id) = &to_create[0];
                let reference = out.reference.as_str();
                let url = self.url("journalentry", &[("requestid", id)]);
                let result = match self
                    .call("post", reqwest::Method::POST, &url, Some(entry), 1, false)
                    .await
                {
                    Ok(answer) => created(&answer["JournalEntry"], id),
                    Err(Failure::Fault(kind, errors)) => Err(self.refusal(&kind, &errors, entry)),
                    Err(Failure::Gl(e @ GlError::Unknown { .. })) => {
                        self.doubt(&[reference]);
                        Err(e)
                    }
                    Err(Failure::Gl(e)) => Err(e),
                };
                if result.is_ok() {
                    self.settled(reference);
                }
                results.insert(reference.to_owned(), result);
            }
            _ => {
                let ids: Vec<String> = to_create.iter().map(|(_, _, id)| id.clone()).collect();
                let id = batch_request_id(&ids);
                let items: Vec<Value> = to_create
                    .iter()
                    .enumerate()
                    .map(|(i, (_, entry, _))| {
                        json!({"bId": i.to_string(), "operation": "create", "JournalEntry": entry})
                    })
                    .collect();
                let url = self.url("batch", &[("requestid", &id)]);
                let refs: Vec<&str> = to_create
                    .iter()
                    .map(|(o, _, _)| o.reference.as_str())
                    .collect();
                match self
                    .call(
                        "post",
                        reqwest::Method::POST,
                        &url,
                        Some(&json!({"BatchItemRequest": items})),
                        to_create.len(),
                        true,
                    )
                    .await
                {
                    Ok(answer) => {
                        let responses = answer["BatchItemResponse"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        for (i, (out, entry, _)) in to_create.iter().enumerate() {
                            let reference = out.reference.as_str();
                            let item = responses
                                .iter()
                                .find(|r| r["bId"].as_str() == Some(i.to_string().as_str()));
                            let result = match item {
                                Some(item) if item.get("JournalEntry").is_some() => {
                                    created(&item["JournalEntry"], &id)
                                }
                                Some(item) => match read_fault(item) {
                                    Some((kind, errors))
                                        if kind.eq_ignore_ascii_case("ValidationFault") =>
                                    {
                                        Err(self.refusal(&kind, &errors, entry))
                                    }
                                    Some((kind, errors)) => {
                                        self.doubt(&[reference]);
                                        Err(GlError::unknown(fault_text(&kind, &errors)))
                                    }
                                    None => {
                                        self.doubt(&[reference]);
                                        Err(GlError::unknown("the batch answer's item is empty"))
                                    }
                                },
                                None => {
                                    self.doubt(&[reference]);
                                    Err(GlError::unknown(
                                        "the batch answer has no item for this journal",
                                    ))
                                }
                            };
                            if result.is_ok() {
                                self.settled(reference);
                            }
                            results.insert(reference.to_owned(), result);
                        }
                    }
                    Err(failure) => {
                        let error = match failure {
                            Failure::Fault(kind, errors) => {
                                // The batch as a whole was refused (nothing booked).
                                GlError::permanent(fault_text(&kind, &errors), None)
                            }
                            Failure::Gl(e @ GlError::Unknown { .. }) => {
                                self.doubt(&refs);
                                e
                            }
                            Failure::Gl(e) => e,
                        };
                        for r in refs {
                            results.insert(r.to_owned(), Err(error.clone()));
                        }
                    }
                }
            }
        }
        Ok(outcome(batch, &results))
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let op = "master_data";
        let accounts = self
            .query(op, "select * from Account where Active in (true, false)")
            .await?
            .iter()
            .filter_map(|a| {
                Some(Account {
                    code: account_code(a)?,
                    name: a["Name"].as_str().unwrap_or_default().to_owned(),
                    kind: kind_of(
                        a["Classification"].as_str().unwrap_or_default(),
                        a["AccountType"].as_str().unwrap_or_default(),
                    ),
                    postable: true,
                    active: a["Active"] != false,
                })
            })
            .collect();
        let mut dimensions = Vec::new();
        for (entity, code, name) in [
            ("Class", &self.dimensions.class, "Class"),
            ("Department", &self.dimensions.department, "Department"),
        ] {
            let Some(code) = code else { continue };
            let values = self
                .query(
                    op,
                    &format!("select * from {entity} where Active in (true, false)"),
                )
                .await?
                .iter()
                .filter_map(|o| {
                    Some(DimensionValue {
                        code: o["Name"].as_str()?.to_owned(),
                        name: o["FullyQualifiedName"]
                            .as_str()
                            .or_else(|| o["Name"].as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        active: o["Active"] != false,
                    })
                })
                .collect();
            dimensions.push(Dimension {
                code: code.clone(),
                name: name.to_owned(),
                required: false,
                values,
            });
        }
        let rates: HashMap<String, Decimal> = self
            .query(op, "select * from TaxRate")
            .await?
            .iter()
            .filter_map(|r| {
                let value = match &r["RateValue"] {
                    Value::String(s) => s.parse().ok(),
                    Value::Number(n) => n.to_string().parse().ok(),
                    _ => None,
                }?;
                Some((r["Id"].as_str()?.to_owned(), value))
            })
            .collect();
        let tax_codes = self
            .query(op, "select * from TaxCode")
            .await?
            .iter()
            .filter_map(|t| {
                let rate: Decimal = t["PurchaseTaxRateList"]["TaxRateDetail"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| rates.get(d["TaxRateRef"]["value"].as_str()?))
                    .sum();
                Some(TaxCode {
                    code: t["Name"].as_str()?.to_owned(),
                    name: t["Description"].as_str().unwrap_or_default().to_owned(),
                    vat_category: if rate.is_zero() {
                        VatCategory::Z
                    } else {
                        VatCategory::S
                    },
                    rate: rate.normalize(),
                    input_account: None,
                    output_account: None,
                })
            })
            .collect();
        let vendors = self
            .query(op, "select * from Vendor")
            .await?
            .iter()
            .filter_map(|v| {
                Some(Vendor {
                    code: v["Id"].as_str()?.to_owned(),
                    name: v["DisplayName"].as_str()?.to_owned(),
                    vat_id: None,
                    iban: None,
                    default_account: None,
                })
            })
            .collect();
        // The closing date: everything on or before it is in a closed period.
        let preferences = self.read(op, &self.url("preferences", &[])).await?;
        let periods = preferences["Preferences"]["AccountingInfoPrefs"]["BookCloseDate"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|close| {
                vec![Period {
                    name: format!("closed through {close}"),
                    start: NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(close),
                    end: close,
                    closed: true,
                }]
            })
            .unwrap_or_default();
        Ok(GlMasterData {
            accounts,
            dimensions,
            tax_codes,
            vendors,
            periods,
        })
    }
}

/// The private note: the memo and the audit head, on one line.
fn private_note(out: &Outgoing) -> String {
    let memo = out
        .journal
        .memo
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut note = memo;
    if let Some(head) = &out.audit_head {
        note.push_str(&format!(" folio_audit:{head}"));
    }
    note.trim().chars().take(4000).collect()
}

fn created(entry: &Value, request_id: &str) -> Result<Posted, GlError> {
    match entry["Id"].as_str() {
        Some(id) => Ok(Posted {
            gl_id: format!("JournalEntry {id}"),
            receipt: format!("created in QuickBooks (requestid {request_id})"),
        }),
        None => Err(GlError::unknown(
            "QuickBooks' answer has no JournalEntry Id",
        )),
    }
}

impl Connector for QuickBooks {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::QuickBooks
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: false,
            server_idempotency: true,
            lookup_by_reference: true,
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

    /// Entries by `DocNumber`. A reference whose write may still be booked is an unknown
    /// outcome, not an absence.
    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let refs: Vec<&str> = references.iter().map(JournalRef::as_str).collect();
        let found = self.inner.find(&refs).await?;
        let mut out = BTreeMap::new();
        for reference in &references {
            match found.get(reference.as_str()) {
                Some(posted) => {
                    self.inner.settled(reference.as_str());
                    out.insert(reference.clone(), posted.clone());
                }
                None if self.inner.in_doubt(reference.as_str()) => {
                    return Err(GlError::unknown(format!(
                        "{reference} is not in QuickBooks yet, but its last write may still be \
                         booked there"
                    )));
                }
                None => {}
            }
        }
        Ok(out)
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        self.inner.master_data().await
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        let mut calls = self.inner.tokens.drain_calls();
        calls.extend(self.inner.calls.drain());
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_company_url_names_realm_and_dimensions() {
        let (company, dims) = QuickBooks::parse_url(
            "https://quickbooks.api.intuit.com/v3/company/9341453172356789?class=cost_centre&department=project",
        )
        .unwrap();
        assert_eq!(
            company,
            "https://quickbooks.api.intuit.com/v3/company/9341453172356789"
        );
        assert_eq!(dims.class.as_deref(), Some("cost_centre"));
        assert_eq!(dims.department.as_deref(), Some("project"));
        let (_, dims) =
            QuickBooks::parse_url("http://127.0.0.1:9/v3/company/123?department=").unwrap();
        assert_eq!(dims.class.as_deref(), Some("class"));
        assert_eq!(dims.department, None);
        for bad in [
            "https://quickbooks.api.intuit.com/",
            "https://quickbooks.api.intuit.com/v3/company/",
            "https://quickbooks.api.intuit.com/v3/company/12?colour=red",
            "ftp://x/v3/company/12",
        ] {
            assert!(QuickBooks::parse_url(bad).is_none(), "{bad}");
        }
        assert_eq!(
            QuickBooks::realm_of("https://q/v3/company/4620816365?class=c").as_deref(),
            Some("4620816365")
        );
        assert_eq!(
            oauth_endpoints("https://sandbox-quickbooks.api.intuit.com/v3/company/1"),
            Some((INTUIT_AUTHORIZE.to_owned(), INTUIT_TOKEN.to_owned()))
        );
        assert_eq!(
            oauth_endpoints("http://127.0.0.1:4711/v3/company/1").map(|e| e.1),
            Some("http://127.0.0.1:4711/oauth2/v1/tokens/bearer".to_owned())
        );
    }

    #[test]
    fn request_ids_fit_quickbooks_and_follow_content_and_generation() {
        let entry = json!({"DocNumber": "FZZZZZ-1Y2P0IJ32E8E7", "Line": []});
        let a = entry_request_id("FZZZZZ-1Y2P0IJ32E8E7", &entry, 0);
        assert!(a.len() <= 50, "{a}");
        assert_eq!(a, entry_request_id("FZZZZZ-1Y2P0IJ32E8E7", &entry, 0));
        assert_ne!(a, entry_request_id("FZZZZZ-1Y2P0IJ32E8E7", &entry, 1));
        let changed = json!({"DocNumber": "FZZZZZ-1Y2P0IJ32E8E7", "Line": [1]});
        assert_ne!(a, entry_request_id("FZZZZZ-1Y2P0IJ32E8E7", &changed, 0));
        assert_eq!(batch_request_id(&[a.clone(), a]).len(), 36);
    }

    #[test]
    fn the_vendor_is_the_longest_name_that_starts_the_memo() {
        let vendors = vec![
            ("Nord".to_owned(), "1".to_owned()),
            ("Bürobedarf Nord".to_owned(), "2".to_owned()),
            ("Bürobedarf Nord GmbH".to_owned(), "3".to_owned()),
            ("Büro".to_owned(), "4".to_owned()),
        ];
        let found = |memo: &str| vendor_of(memo, &vendors).map(|(_, id)| id.as_str());
        assert_eq!(found("Bürobedarf  Nord GmbH invoice R-1"), Some("3"));
        assert_eq!(found("bürobedarf nord invoice R-1"), Some("2"));
        assert_eq!(found("Bürobedarfs invoice"), None);
        assert_eq!(found("Nordwind invoice 4"), None);
    }

    #[test]
    fn amounts_are_number_literals_with_their_own_digits() {
        let body = json!({"Line": [{"Amount": amount(Decimal::new(123450, 4))},
            {"Amount": amount(Decimal::new(1999, 2))}, {"Amount": amount(Decimal::new(100, 2))}],
            "PrivateNote": "amount: \\u0001 \"x\""});
        assert_eq!(
            body_text(&body),
            r#"{"Line":[{"Amount":12.345},{"Amount":19.99},{"Amount":1}],"PrivateNote":"amount: \\u0001 \"x\""}"#
        );
    }

    #[tokio::test]
    async fn the_limiter_keeps_the_minute_and_a_429_holds_every_request_back() {
        let limiter = Limiter {
            window: Mutex::new(Window::default()),
            slots: tokio::sync::Semaphore::new(CONCURRENT),
        };
        for _ in 0..PER_MINUTE / 30 {
            drop(limiter.acquire(30, true).await.unwrap());
        }
        let state = limiter.state("1");
        assert_eq!(state.minute_used, as_u32(PER_MINUTE / 30 * 30));
        assert_eq!(state.batches_used, as_u32(PER_MINUTE / 30));
        assert_eq!(state.paused_ms, 0);
        // The minute's budget is spent: a batch of 30 must wait most of a minute.
        match limiter.acquire(30, true).await {
            Err(GlError::RateLimited { wait, .. }) => assert!(wait > Duration::from_secs(50)),
            other => panic!("{other:?}"),
        }
        // A 429 pauses everything, a single small read too.
        let fresh = Limiter {
            window: Mutex::new(Window::default()),
            slots: tokio::sync::Semaphore::new(CONCURRENT),
        };
        fresh.pause(Duration::from_secs(5), "ThrottleExceeded");
        match fresh.acquire(1, false).await {
            Err(GlError::RateLimited { wait, message }) => {
                assert!(wait > Duration::from_secs(3) && wait <= Duration::from_secs(5));
                assert!(message.contains("ThrottleExceeded"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let state = fresh.state("1");
        assert!(state.paused_ms > 3000, "{state:?}");
        assert_eq!(state.last_throttle.as_deref(), Some("ThrottleExceeded"));
        // A short pause is waited out.
        fresh.pause(Duration::ZERO, "x");
        let held = Limiter {
            window: Mutex::new(Window::default()),
            slots: tokio::sync::Semaphore::new(CONCURRENT),
        };
        held.pause(Duration::from_millis(200), "short");
        assert!(held.acquire(1, false).await.is_ok());
    }

    #[test]
    fn the_monitor_reads_the_company_throttle_without_a_connector() {
        let url = "https://quickbooks.example/v3/company/77123?class=Region";
        let limiter = limiter_for("https://quickbooks.example/v3/company/77123");
        limiter.pause(Duration::from_secs(30), "ThrottleExceeded");
        let state = QuickBooks::rate_limit_state_of(url).expect("a company URL");
        assert_eq!(state.realm, "77123");
        assert!(state.paused_ms > 20_000, "{state:?}");
        assert_eq!(state.last_throttle.as_deref(), Some("ThrottleExceeded"));
        assert_eq!(state.minute_limit, as_u32(PER_MINUTE));
        assert_eq!(
            QuickBooks::rate_limit_state_of("https://quickbooks.example/v2/x"),
            None
        );
    }

    #[test]
    fn faults_are_read_from_intuits_json() {
        let body = json!({"Fault": {"Error": [{"Message": "Invalid Reference Id",
            "Detail": "Invalid Reference Id : Accounts element id 7 not found", "code": "2500",
            "element": "Line.JournalEntryLineDetail.AccountRef"}], "type": "ValidationFault"}});
        let (kind, errors) = read_fault(&body).unwrap();
        assert_eq!(kind, "ValidationFault");
        assert_eq!(errors[0].code, "2500");
        assert!(fault_text(&kind, &errors).contains("element id 7"));
        assert!(read_fault(&json!({"JournalEntry": {}})).is_none());
    }
}
