//! `business-central`: Microsoft Dynamics 365 Business Central through its API v2.0
//! (`https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0/companies({id})`),
//! signed in with Entra ID as a public client (authorization code with PKCE, no client secret;
//! [`crate::oauth`] owns the tokens).
//!
//! Business Central has **no idempotency keys** and creates a journal entry in several requests
//! (one per journal line, one per dimension of a line, then the bound action
//! `Microsoft.NAV.post` that posts the whole journal batch), so the connector keeps the
//! exactly-once discipline itself:
//!
//! 1. Each workspace posts through its own journal batch (`journals` entity, code `FOLIO` + the
//!    workspace tag, at most 10 characters), created when missing. Nothing else is expected in
//!    it.
//! 2. A journal that does not balance ([`check_balanced`]), is not in the company's currency
//!    (`companyInformation`), is dated in a closed or locked accounting period, or names an
//!    account that is not a posting account open to direct posting, a dimension value or tax
//!    group Business Central does not have, is refused before anything is sent, naming the line
//!    and field. These are read from Business Central for every batch, not from a pulled copy.
//! 3. Every journal line carries our reference as its `documentNumber` (at most 20 characters,
//!    as ours), so posted entries are found in `generalLedgerEntries` by `documentNumber`, and
//!    lines not posted yet in the batch's `journalLines`.
//! 4. Before anything is created, the batch's references are looked up in the G/L entries
//!    (posted → reported, never sent again) **and** the batch itself is read with its lines'
//!    dimension set lines. A journal whose lines are there, exactly as Folio creates them (left
//!    by an attempt whose post did not happen, e.g. a crash), is posted, not created again; one
//!    cut off halfway (its lines a prefix of the plan) is completed; anything else in the batch
//!    (lines that do not agree with the plan, lines of a journal that is already posted or not
//!    in this batch) is deleted first, because the post takes the whole batch.
//! 5. The missing lines are created one request at a time (a 503, a refused connection or a
//!    short 429 is waited out and sent again in place: nothing was processed), then the batch
//!    is posted once and the G/L entries are read back; the GL id is the document number with
//!    its entry numbers. A journal that could not be completed is deleted from the batch before
//!    the post.
//!
//! **Lost answers.** A line create whose answer was lost is resolved at once by reading the
//! journal's lines again and completing what is missing. Should that create still be running
//! in Business Central and land later, the journal has one line too many; Business Central's
//! posting checks that every document number balances ("Document No. … is out of balance"),
//! so the post is refused naming it, its lines are deleted and it is created again: never
//! posted twice or in part. (Requests are sent one at a time per company by this process, so
//! at most one such late line exists, and a line never has a zero amount.) A post whose
//! answer was lost is read back: the post is one transaction that moves the lines into G/L
//! entries, so a journal is either still complete in the batch (posted by the next attempt, not
//! created again) or in the G/L entries, never neither.
//!
//! **Errors** are OData's `{"error": {"code", "message"}}` (`api-reference/v2.0/
//! dynamics-error-codes`): 400 (`BadRequest_*`, `Application_*`, `Internal_RecordNotFound`) is
//! a refusal of the journal, mapped to the line being created and the field its message names;
//! 401 asks the token source for a fresh token and tries once more (nothing was processed);
//! 403 is a refusal (missing permission); 429 and 503 wait for `Retry-After`; 500 and 504 after
//! a write are unknown outcomes; a lost connection as in [`crate::http`].
//!
//! **Rate limits** (`administration/operational-limits-online`, "OData request limits";
//! learn.microsoft.com/training/modules/work-with-api/4-limits): at most 6,000 requests per user
//! in a five-minute sliding window (then 429 with `Retry-After`) and 100 simultaneous requests.
//! Requests here go one at a time per company, so nothing is held back before sending; the
//! process keeps a [`RateLimitState`] per company (requests in the window, in flight, the last
//! 429/503's wait and message) only so the sync monitor can show where the company stands.
//!
//! Every operation of this process on one company runs alone (a gate per company URL, as for
//! the other connectors): the batch is shared state in Business Central, and a look-up must not
//! race this process's own writes.

use crate::JournalRef;
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed, outcome,
};
use crate::monitor::{CallLog, CallRecord};
use crate::oauth::{OAuthClient, TokenSource};
use chrono::{Datelike, NaiveDate};
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Period, Side, TaxCode, VatCategory, Vendor,
    check_balanced,
};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Journals per batch: each is several requests, and the batch is posted in one.
const MAX_BATCH: usize = 50;
/// References per `$filter` (the URL stays short).
const FILTER_CHUNK: usize = 20;
/// Business Central's `description` on a journal line.
const DESCRIPTION_LEN: usize = 100;
/// Times a write is sent again in place while Business Central says it processed nothing.
const WRITE_RETRIES: u32 = 4;
/// The longest `Retry-After` waited out in place; a longer one goes back to the outbox.
const INLINE_WAIT: Duration = Duration::from_secs(5);
/// Times a journal's lines are read again and completed after lost answers, in one attempt.
const COMPLETE_ROUNDS: usize = 5;
/// The Entra ID host of the public cloud.
pub const LOGIN_HOST: &str = "https://login.microsoftonline.com";
/// The scope of the Business Central API for a delegated (user) sign-in.
pub const SCOPES: &[&str] = &[
    "https://api.businesscentral.dynamics.com/Financials.ReadWrite.All",
    "offline_access",
];

/// Requests one user may send in [`WINDOW`] (Business Central online's operational limits).
const WINDOW_LIMIT: u32 = 6_000;
/// Business Central's sliding window for [`WINDOW_LIMIT`].
const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Simultaneous requests Business Central accepts.
const CONCURRENT_LIMIT: u32 = 100;

/// Where this process stands against Business Central's limits for one company, for the sync
/// monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitState {
    /// `ENVIRONMENT/COMPANY-ID`.
    pub company: String,
    /// Requests sent in the last [`RateLimitState::window_minutes`] and the limit.
    pub window_used: u32,
    pub window_limit: u32,
    /// The sliding window's length (5).
    pub window_minutes: u32,
    /// Requests under way and how many may be.
    pub in_flight: u32,
    pub concurrent_limit: u32,
    /// How much of the last 429/503's `Retry-After` is still to run.
    pub paused_ms: u64,
    /// What the last 429/503 said.
    pub last_throttle: Option<String>,
}

/// Requests of this process to one company: sent (within the window), under way, and the last
/// wait Business Central asked for.
#[derive(Debug, Default)]
struct Throttle {
    sent: std::collections::VecDeque<Instant>,
    in_flight: u32,
    paused_until: Option<Instant>,
    last_throttle: Option<String>,
}

impl Throttle {
    fn forget_old(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            self.sent.pop_front();
        }
    }

    fn started(&mut self, now: Instant) {
        self.forget_old(now);
        self.sent.push_back(now);
        self.in_flight += 1;
    }

    fn finished(&mut self, now: Instant, throttled: Option<(Duration, &str)>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some((wait, message)) = throttled {
            self.paused_until = Some(now + wait);
            self.last_throttle = Some(message.to_owned());
        }
    }

    fn state(&mut self, company: String, now: Instant) -> RateLimitState {
        self.forget_old(now);
        let paused = self
            .paused_until
            .map(|until| until.saturating_duration_since(now))
            .unwrap_or_default();
        RateLimitState {
            company,
            window_used: u32::try_from(self.sent.len()).unwrap_or(u32::MAX),
            window_limit: WINDOW_LIMIT,
            window_minutes: u32::try_from(WINDOW.as_secs() / 60).unwrap_or(5),
            in_flight: self.in_flight,
            concurrent_limit: CONCURRENT_LIMIT,
            paused_ms: u64::try_from(paused.as_millis()).unwrap_or(u64::MAX),
            last_throttle: self.last_throttle.clone(),
        }
    }
}

/// The throttle state of every company this process talks to, by API URL (every connector of
/// a company shares it, and the monitor reads it without one).
static THROTTLES: Mutex<BTreeMap<String, Throttle>> = Mutex::new(BTreeMap::new());

fn with_throttle<T>(api: &str, f: impl FnOnce(&mut Throttle) -> T) -> T {
    let mut all = THROTTLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(all.entry(api.to_owned()).or_default())
}

/// The parts of a company's API URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyUrl {
    /// `https://api.businesscentral.dynamics.com`.
    pub host: String,
    pub tenant: String,
    pub environment: String,
    /// The company's id (a GUID).
    pub company: String,
}

impl CompanyUrl {
    /// Reads `HOST/v2.0/TENANT/ENVIRONMENT/api/v2.0/companies(ID)`.
    pub fn parse(url: &str) -> Option<CompanyUrl> {
        let url = url.trim().trim_end_matches('/');
        let scheme_end = url.find("://")? + 3;
        let path_start = scheme_end + url[scheme_end..].find('/')?;
        let host = &url[..path_start];
        let parts: Vec<&str> = url[path_start + 1..].split('/').collect();
        match parts.as_slice() {
            ["v2.0", tenant, environment, "api", "v2.0", company] => {
                let id = company.strip_prefix("companies(")?.strip_suffix(')')?;
                let ok = |s: &str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
                };
                (ok(tenant) && ok(environment) && ok(id)).then(|| CompanyUrl {
                    host: host.to_owned(),
                    tenant: (*tenant).to_owned(),
                    environment: (*environment).to_owned(),
                    company: id.to_owned(),
                })
            }
            _ => None,
        }
    }

    pub fn api(&self) -> String {
        format!(
            "{}/v2.0/{}/{}/api/v2.0/companies({})",
            self.host, self.tenant, self.environment, self.company
        )
    }

    /// Entra ID's authorize and token endpoints for the tenant, on `login_host`.
    pub fn oauth_endpoints(&self, login_host: &str) -> (String, String) {
        let base = format!(
            "{}/{}/oauth2/v2.0",
            login_host.trim_end_matches('/'),
            self.tenant
        );
        (format!("{base}/authorize"), format!("{base}/token"))
    }
}

/// The Entra ID public client (no secret: PKCE) of the app registration `client_id`, for the
/// company's tenant, signing in on `login_host` ([`LOGIN_HOST`] but in tests).
pub fn oauth_client(client_id: &str, company: &CompanyUrl, login_host: &str) -> OAuthClient {
    let (authorize_url, token_url) = company.oauth_endpoints(login_host);
    OAuthClient {
        authorize_url,
        token_url,
        client_id: client_id.to_owned(),
        client_secret: None,
        scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        redirect_path: "/".into(),
        // Always the account picker: the user may sign in to several tenants.
        extra_params: vec![("prompt".into(), "select_account".into())],
    }
}

/// A Business Central company.
#[derive(Debug, Clone)]
pub struct BusinessCentral {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    api: String,
    client: reqwest::Client,
    tokens: TokenSource,
    calls: CallLog,
    gate: Arc<tokio::sync::Mutex<()>>,
    /// Journal batch ids by code.
    batches: Mutex<HashMap<String, String>>,
}

/// A failed request: what it means for the outbox, and Business Central's error code.
#[derive(Debug, Clone)]
struct Failure {
    error: GlError,
    /// `error.code` of an OData error (`Internal_RecordNotFound`, …).
    code: Option<String>,
}

impl From<GlError> for Failure {
    fn from(error: GlError) -> Failure {
        Failure { error, code: None }
    }
}

/// What a batch is checked against, read from Business Central.
#[derive(Debug, Default)]
struct Books {
    currency: String,
    /// Posting accounts open to direct posting: number → id.
    accounts: HashMap<String, String>,
    /// Upper-case dimension code → its upper-case value codes.
    dimensions: HashMap<String, Vec<String>>,
    tax_groups: Vec<String>,
    /// (start, closed), sorted.
    periods: Vec<(NaiveDate, bool)>,
}

/// One journal line as Business Central holds it (or as Folio would create it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct BcLine {
    date: String,
    account: String,
    amount: Decimal,
    description: String,
    /// (DIMENSION, VALUE), sorted.
    dims: Vec<(String, String)>,
}

/// A journal ready to be created: its lines and their request bodies.
#[derive(Debug)]
struct Planned<'a> {
    out: &'a Outgoing,
    lines: Vec<BcLine>,
    bodies: Vec<Value>,
}

/// A line found in the batch.
#[derive(Debug, Clone)]
struct Found {
    id: String,
    line_number: i64,
    line: BcLine,
}

impl BusinessCentral {
    /// The company at `company_url` (see [`CompanyUrl`]), with access tokens from `tokens`.
    pub fn new(
        company_url: &str,
        tokens: TokenSource,
        timeout: Duration,
    ) -> Result<BusinessCentral, GlError> {
        let url = CompanyUrl::parse(company_url).ok_or_else(|| {
            GlError::permanent(
                format!(
                    "'{company_url}' is not a Business Central company URL \
                     (https://api.businesscentral.dynamics.com/v2.0/TENANT/ENVIRONMENT/api/v2.0/companies(ID))"
                ),
                Some("url".into()),
            )
        })?;
        let api = url.api();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| GlError::permanent(format!("cannot set up HTTP: {e}"), None))?;
        Ok(BusinessCentral {
            inner: Arc::new(Inner {
                gate: crate::fava::gate_for(&api),
                api,
                client,
                tokens,
                calls: CallLog::default(),
                batches: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl BusinessCentral {
    /// Where this process stands against Business Central's limits for this company.
    pub fn rate_limit_state(&self) -> RateLimitState {
        let company = CompanyUrl::parse(&self.inner.api)
            .map(|c| format!("{}/{}", c.environment, c.company))
            .unwrap_or_default();
        with_throttle(&self.inner.api, |t| t.state(company, Instant::now()))
    }

    /// Where this process stands against Business Central's limits for the company at
    /// `company_url`, without a connector (so without a token): the sync monitor asks between
    /// syncs. `None` when the URL is not a company's.
    pub fn rate_limit_state_of(company_url: &str) -> Option<RateLimitState> {
        let url = CompanyUrl::parse(company_url)?;
        let company = format!("{}/{}", url.environment, url.company);
        Some(with_throttle(&url.api(), |t| {
            t.state(company, Instant::now())
        }))
    }

    /// The company's name (`companyInformation`'s `displayName`): the first call after a
    /// sign-in, which shows that the signed-in user reaches the company.
    pub async fn company_name(&self) -> Result<String, GlError> {
        let info = self.inner.list("master_data", "companyInformation").await?;
        Ok(info
            .first()
            .map(|i| text(i, "displayName"))
            .unwrap_or_default())
    }
}

/// The journal batch of the workspace that made `reference` (`FOLIO` + its tag).
fn batch_code(reference: &JournalRef) -> String {
    let tag = reference
        .as_str()
        .strip_prefix('F')
        .and_then(|r| r.split_once('-'))
        .map_or("", |(tag, _)| tag);
    format!("FOLIO{tag}")
}

/// An OData string literal (quotes doubled).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `$filter` of `field eq 'a' or field eq 'b'`, percent-encoded for a query string.
fn filter_query(field: &str, values: &[&str]) -> String {
    let filter = values
        .iter()
        .map(|v| format!("{field} eq {}", literal(v)))
        .collect::<Vec<_>>()
        .join(" or ");
    format!("$filter={}", encode(&filter))
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A decimal as a JSON number whose text is exactly the decimal (or `None` when JSON's number
/// would not carry it exactly).
fn number(amount: Decimal) -> Option<Value> {
    let text = amount.normalize().to_string();
    let value: Value = serde_json::from_str(&text).ok()?;
    (read_decimal(&value) == Some(amount)).then_some(value)
}

fn read_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .ok()
        }
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// What a 4xx/5xx answer means, from its status, `Retry-After` and OData error.
fn status_failure(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &Value,
    operation: &str,
    write: bool,
) -> Failure {
    let code = body["error"]["code"].as_str().map(str::to_owned);
    let message = body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let said = match &code {
        Some(code) => format!("{operation}: Business Central says {code}: {message}"),
        None => format!("{operation}: Business Central answered HTTP {status}"),
    };
    let error = match status.as_u16() {
        429 => GlError::RateLimited {
            wait: retry_after.unwrap_or(Duration::from_secs(1)),
            message: said,
        },
        503 => match retry_after {
            Some(wait) => GlError::RateLimited {
                wait,
                message: said,
            },
            None => GlError::retryable(said),
        },
        502 => GlError::retryable(said),
        // Gateway timeout: BC gave up on the request, which may have run for a while.
        500 | 504 if write => GlError::unknown(said),
        s if s >= 500 => GlError::retryable(said),
        404 => GlError::retryable(said),
        409 | 412 => GlError::retryable(said),
        _ => GlError::permanent(said, None),
    };
    Failure { error, code }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

impl Inner {
    /// One request with a bearer token (a 401 gets a fresh token and one more try), recorded
    /// for the monitor. `Ok(Value::Null)` for an answer without a body.
    async fn request(
        &self,
        operation: &str,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let write = method != Method::GET;
        let mut token = self.tokens.bearer().await?;
        for attempt in 0..2 {
            let mut request = self
                .client
                .request(method.clone(), url)
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let started = SystemTime::now();
            let clock = Instant::now();
            with_throttle(&self.api, |t| t.started(clock));
            let result = request.send().await;
            let (status, correlation, outcome) = match result {
                Err(e) => {
                    let error = crate::http::transport_error(&e);
                    let kind = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "transport"
                    };
                    (kind.to_owned(), None, Err(Failure::from(error)))
                }
                Ok(response) => {
                    let status = response.status();
                    let correlation = response
                        .headers()
                        .get("request-id")
                        .or_else(|| response.headers().get("x-ms-request-id"))
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let wait = retry_after(response.headers());
                    let bytes = response.bytes().await;
                    let outcome = match bytes {
                        Err(e) => Err(Failure::from(GlError::unknown(format!(
                            "{operation}: the answer was cut off: {}",
                            crate::http::transport_error(&e)
                        )))),
                        Ok(bytes) => {
                            let parsed: Option<Value> = if bytes.is_empty() {
                                Some(Value::Null)
                            } else {
                                serde_json::from_slice(&bytes).ok()
                            };
                            if status.is_success() {
                                parsed.ok_or_else(|| {
                                    Failure::from(GlError::unknown(format!(
                                        "{operation}: Business Central's answer is not JSON"
                                    )))
                                })
                            } else {
                                Err(status_failure(
                                    status,
                                    wait,
                                    &parsed.unwrap_or(Value::Null),
                                    operation,
                                    write,
                                ))
                            }
                        }
                    };
                    (status.as_u16().to_string(), correlation, outcome)
                }
            };
            let throttled = match &outcome {
                Err(Failure {
                    error: GlError::RateLimited { wait, message },
                    ..
                }) => Some((*wait, message.as_str())),
                _ => None,
            };
            with_throttle(&self.api, |t| t.finished(Instant::now(), throttled));
            self.calls.push(CallRecord {
                started,
                connector: ConnectorKind::BusinessCentral.as_str().to_owned(),
                operation: operation.to_owned(),
                status: status.clone(),
                duration: clock.elapsed(),
                correlation_id: correlation,
                error: outcome.as_ref().err().map(|f| f.error.to_string()),
            });
            if status == "401" && attempt == 0 {
                // Nothing was processed: a fresh token (refreshed once for all tasks) and again.
                token = self.tokens.after_unauthorized(&token).await?;
                continue;
            }
            if status == "401" {
                return Err(Failure::from(GlError::SignInAgain {
                    message: format!(
                        "{operation}: Business Central refuses the signed-in user even with a \
                         fresh token: sign in with a user who has access to the company"
                    ),
                }));
            }
            return outcome;
        }
        Err(Failure::from(GlError::retryable("unreachable")))
    }

    /// A read, tried up to three times while it fails in a way that may pass.
    async fn read(&self, operation: &str, url: &str) -> Result<Value, GlError> {
        let mut attempt = 0u64;
        loop {
            match self.request(operation, Method::GET, url, None).await {
                Ok(v) => return Ok(v),
                Err(Failure {
                    error: GlError::Retryable { .. } | GlError::Unknown { .. },
                    ..
                }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    /// Every entity of a collection, following `@odata.nextLink` (server-driven paging).
    async fn list(&self, operation: &str, path_and_query: &str) -> Result<Vec<Value>, GlError> {
        let mut url = format!("{}/{path_and_query}", self.api);
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let page = self.read(operation, &url).await?;
            match page.get("value") {
                Some(Value::Array(items)) => all.extend(items.iter().cloned()),
                _ => {
                    return Err(GlError::unknown(format!(
                        "{operation}: Business Central's answer has no 'value' list"
                    )));
                }
            }
            match page.get("@odata.nextLink").and_then(Value::as_str) {
                Some(next) => url = next.to_owned(),
                None => return Ok(all),
            }
        }
        Err(GlError::unknown(format!("{operation}: too many pages")))
    }

    async fn books(&self) -> Result<Books, GlError> {
        let info = self
            .list("master_data", "companyInformation")
            .await?
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        let accounts = self
            .list("master_data", "accounts")
            .await?
            .into_iter()
            .filter(|a| {
                text(a, "accountType") == "Posting"
                    && a["directPosting"].as_bool().unwrap_or(true)
                    && !a["blocked"].as_bool().unwrap_or(false)
            })
            .map(|a| (text(&a, "number"), text(&a, "id")))
            .collect();
        let dims = self.list("master_data", "dimensions").await?;
        let values = self.list("master_data", "dimensionValues").await?;
        let dimensions = dims
            .iter()
            .map(|d| {
                let id = text(d, "id");
                let codes = values
                    .iter()
                    .filter(|v| text(v, "dimensionId") == id)
                    .map(|v| text(v, "code").to_uppercase())
                    .collect();
                (text(d, "code").to_uppercase(), codes)
            })
            .collect();
        let tax_groups = self
            .list("master_data", "taxGroups")
            .await?
            .iter()
            .map(|t| text(t, "code").to_uppercase())
            .collect();
        let mut periods: Vec<(NaiveDate, bool)> = self
            .list("master_data", "accountingPeriods")
            .await?
            .iter()
            .filter_map(|p| {
                let start = NaiveDate::parse_from_str(&text(p, "startingDate"), "%Y-%m-%d").ok()?;
                let closed = p["closed"].as_bool().unwrap_or(false)
                    || p["dateLocked"].as_bool().unwrap_or(false);
                Some((start, closed))
            })
            .collect();
        periods.sort();
        Ok(Books {
            currency: text(&info, "currencyCode"),
            accounts,
            dimensions,
            tax_groups,
            periods,
        })
    }

    /// The lines Folio creates for `out`, with their request bodies, or why it cannot.
    fn plan<'a>(&self, out: &'a Outgoing, books: &Books) -> Result<Planned<'a>, GlError> {
        let journal = &out.journal;
        if let Some(problem) = check_balanced(journal).into_iter().next() {
            return Err(GlError::permanent(problem.message, Some(problem.field)));
        }
        let period = books
            .periods
            .iter()
            .rev()
            .find(|(start, _)| *start <= journal.date);
        match period {
            Some((_, false)) => {}
            Some((start, true)) => {
                return Err(GlError::permanent(
                    format!(
                        "Business Central's accounting period from {start} is closed or locked \
                         for {}",
                        journal.date
                    ),
                    Some("date".into()),
                ));
            }
            None => {
                return Err(GlError::permanent(
                    format!(
                        "Business Central has no accounting period for {}",
                        journal.date
                    ),
                    Some("date".into()),
                ));
            }
        }
        let mut lines = Vec::new();
        let mut bodies = Vec::new();
        for (i, line) in journal.lines.iter().enumerate() {
            if !books.currency.is_empty() && line.currency.code() != books.currency {
                return Err(GlError::permanent(
                    format!(
                        "line {} is in {}, and the Business Central company books in {}",
                        i + 1,
                        line.currency.code(),
                        books.currency
                    ),
                    Some(format!("lines[{i}].currency")),
                ));
            }
            let account = books.accounts.get(&line.account).ok_or_else(|| {
                GlError::permanent(
                    format!(
                        "line {} posts to account {}, which Business Central does not have as an \
                         unblocked posting account open to direct posting",
                        i + 1,
                        line.account
                    ),
                    Some(format!("lines[{i}].account")),
                )
            })?;
            let amount = match line.side {
                Side::Debit => line.amount,
                Side::Credit => -line.amount,
            };
            let amount_json = number(amount).ok_or_else(|| {
                GlError::permanent(
                    format!(
                        "line {}: the amount {} cannot be sent exactly as a JSON number",
                        i + 1,
                        line.amount
                    ),
                    Some(format!("lines[{i}].amount")),
                )
            })?;
            let mut dims = Vec::new();
            for (dimension, value) in &line.dimensions {
                let (code, value) = (dimension.to_uppercase(), value.to_uppercase());
                let known = books
                    .dimensions
                    .get(&code)
                    .is_some_and(|values| values.contains(&value));
                if !known {
                    return Err(GlError::permanent(
                        format!(
                            "line {} has {dimension} {value}, which Business Central does not \
                             have as a value of dimension {code}",
                            i + 1
                        ),
                        Some(format!("lines[{i}].dimensions.{dimension}")),
                    ));
                }
                dims.push((code, value));
            }
            dims.sort();
            let description = truncate(
                &if line.description.trim().is_empty() {
                    journal.memo.clone()
                } else {
                    line.description.clone()
                }
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
                DESCRIPTION_LEN,
            );
            let mut body = json!({
                "accountType": "G/L Account",
                "accountId": account,
                "accountNumber": line.account,
                "postingDate": journal.date.format("%Y-%m-%d").to_string(),
                "documentNumber": out.reference.as_str(),
                "amount": amount_json,
                "description": description,
            });
            if let Some(tax) = &line.tax_code {
                if !books.tax_groups.contains(&tax.to_uppercase()) {
                    return Err(GlError::permanent(
                        format!(
                            "line {} has tax code {tax}, which Business Central does not have \
                             as a tax group",
                            i + 1
                        ),
                        Some(format!("lines[{i}].tax_code")),
                    ));
                }
                body["taxCode"] = json!(tax.to_uppercase());
            }
            lines.push(BcLine {
                date: journal.date.format("%Y-%m-%d").to_string(),
                account: line.account.clone(),
                amount,
                description,
                dims,
            });
            bodies.push(body);
        }
        Ok(Planned { out, lines, bodies })
    }

    /// The id of the journal batch `code`, created when missing.
    async fn batch(&self, code: &str) -> Result<String, GlError> {
        if let Some(id) = self
            .batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(code)
        {
            return Ok(id.clone());
        }
        for _ in 0..2 {
            let found = self
                .list(
                    "lookup",
                    &format!("journals?{}", filter_query("code", &[code])),
                )
                .await?;
            if let Some(journal) = found.iter().find(|j| text(j, "code") == code) {
                let id = text(journal, "id");
                self.batches
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(code.to_owned(), id.clone());
                return Ok(id);
            }
            let body = json!({"code": code, "displayName": "Folio: approved supplier invoices"});
            match self
                .request(
                    "post",
                    Method::POST,
                    &format!("{}/journals", self.api),
                    Some(&body),
                )
                .await
            {
                Ok(created) if !text(&created, "id").is_empty() => {
                    let id = text(&created, "id");
                    self.batches
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(code.to_owned(), id.clone());
                    return Ok(id);
                }
                // Made by someone else meanwhile (or by our own lost attempt): read it again.
                Err(Failure { code: Some(c), .. }) if c == "Internal_EntityWithSameKeyExists" => {}
                Ok(_)
                | Err(Failure {
                    error: GlError::Unknown { .. },
                    ..
                }) => {}
                Err(f) => return Err(f.error),
            }
        }
        Err(GlError::retryable(format!(
            "the journal batch {code} could not be found or created"
        )))
    }

    fn forget_batch(&self, code: &str) {
        self.batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(code);
    }

    /// G/L entries by document number: reference → (entry numbers).
    async fn entries(
        &self,
        refs: &[&str],
        operation: &str,
    ) -> Result<BTreeMap<String, Vec<i64>>, GlError> {
        let mut found: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for chunk in refs.chunks(FILTER_CHUNK) {
            let rows = self
                .list(
                    operation,
                    &format!(
                        "generalLedgerEntries?{}",
                        filter_query("documentNumber", chunk)
                    ),
                )
                .await?;
            for row in rows {
                let document = text(&row, "documentNumber");
                if chunk.contains(&document.as_str()) {
                    let n = row["entryNumber"].as_i64().unwrap_or_default();
                    found.entry(document).or_default().push(n);
                }
            }
        }
        for numbers in found.values_mut() {
            numbers.sort_unstable();
        }
        Ok(found)
    }

    /// The lines in the batch (of one document when `document` is given) with their dimension
    /// set lines, by document number, in line order.
    async fn batch_lines(
        &self,
        batch: &str,
        document: Option<&str>,
        operation: &str,
    ) -> Result<BTreeMap<String, Vec<Found>>, GlError> {
        let filter = document
            .map(|d| format!("&{}", filter_query("documentNumber", &[d])))
            .unwrap_or_default();
        let rows = self
            .list(
                operation,
                &format!("journals({batch})/journalLines?$expand=dimensionSetLines{filter}"),
            )
            .await?;
        let mut by_doc: BTreeMap<String, Vec<Found>> = BTreeMap::new();
        for row in rows {
            let mut dims: Vec<(String, String)> = row["dimensionSetLines"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .map(|d| {
                            (
                                text(d, "code").to_uppercase(),
                                text(d, "valueCode").to_uppercase(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            dims.sort();
            by_doc
                .entry(text(&row, "documentNumber"))
                .or_default()
                .push(Found {
                    id: text(&row, "id"),
                    line_number: row["lineNumber"].as_i64().unwrap_or_default(),
                    line: BcLine {
                        date: text(&row, "postingDate"),
                        account: text(&row, "accountNumber"),
                        amount: read_decimal(&row["amount"]).unwrap_or_default(),
                        description: text(&row, "description"),
                        dims,
                    },
                });
        }
        for lines in by_doc.values_mut() {
            lines.sort_by_key(|l| l.line_number);
        }
        Ok(by_doc)
    }

    /// A write, sent again in place while Business Central says it processed nothing (503, a
    /// refused connection, 429 with a short `Retry-After`).
    async fn write(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let mut attempt = 0u32;
        loop {
            match self.request("post", method.clone(), url, body).await {
                Err(Failure {
                    error: GlError::Retryable { .. },
                    ..
                }) if attempt < WRITE_RETRIES => {
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                Err(Failure {
                    error: GlError::RateLimited { wait, .. },
                    ..
                }) if attempt < WRITE_RETRIES && wait <= INLINE_WAIT => {
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
            attempt += 1;
        }
    }

    async fn delete_lines(&self, batch: &str, lines: &[Found]) -> Result<(), GlError> {
        for line in lines {
            let url = format!("{}/journals({batch})/journalLines({})", self.api, line.id);
            match self.write(Method::DELETE, &url, None).await {
                Ok(_) => {}
                // Gone already (a delete whose answer was lost).
                Err(Failure { code: Some(c), .. }) if c == "Internal_RecordNotFound" => {}
                Err(f) => return Err(f.error),
            }
        }
        Ok(())
    }

    /// Brings the journal's lines in the batch to exactly the planned ones: what is there and
    /// agrees with the plan (a prefix of it, dimensions possibly missing) is kept and completed;
    /// anything else of the journal is deleted and created again. An answer lost on the way is
    /// resolved by reading the journal's lines again (see the module docs for why that is safe).
    async fn complete(
        &self,
        batch: &str,
        planned: &Planned<'_>,
        mut found: Vec<Found>,
    ) -> Result<(), GlError> {
        let reference = planned.out.reference.as_str();
        let mut last = GlError::unknown("no attempt");
        for _round in 0..COMPLETE_ROUNDS {
            if !is_prefix(&found, &planned.lines) {
                self.delete_lines(batch, &found).await?;
                found.clear();
            }
            match self.extend(batch, planned, &found).await {
                Ok(()) => return Ok(()),
                Err((f, i, field)) => {
                    let again = matches!(f.error, GlError::Unknown { .. })
                        || f.code.as_deref() == Some("Internal_EntityWithSameKeyExists");
                    if !again {
                        return Err(match f.error {
                            GlError::Permanent { message, .. } => {
                                GlError::permanent(message, Some(format!("lines[{i}].{field}")))
                            }
                            other => other,
                        });
                    }
                    last = f.error;
                    found = self
                        .batch_lines(batch, Some(reference), "post")
                        .await?
                        .remove(reference)
                        .unwrap_or_default();
                }
            }
        }
        Err(last)
    }

    /// Creates what `found` lacks of the plan: dimension set lines of lines that are there,
    /// then the missing lines with theirs. A failure names the line index and field.
    async fn extend(
        &self,
        batch: &str,
        planned: &Planned<'_>,
        found: &[Found],
    ) -> Result<(), (Failure, usize, String)> {
        for (i, (body, line)) in planned.bodies.iter().zip(&planned.lines).enumerate() {
            let (id, present) = match found.get(i) {
                Some(f) => (f.id.clone(), f.line.dims.clone()),
                None => {
                    let url = format!("{}/journals({batch})/journalLines", self.api);
                    let created = self
                        .write(Method::POST, &url, Some(body))
                        .await
                        .map_err(|f| (f, i, "account".to_owned()))?;
                    let id = text(&created, "id");
                    if id.is_empty() {
                        let f = Failure::from(GlError::unknown(
                            "Business Central's answer to a journal line has no id",
                        ));
                        return Err((f, i, "account".to_owned()));
                    }
                    (id, Vec::new())
                }
            };
            for (dimension, value) in &line.dims {
                if present.iter().any(|(d, _)| d == dimension) {
                    continue;
                }
                let url = format!(
                    "{}/journals({batch})/journalLines({id})/dimensionSetLines",
                    self.api
                );
                let body = json!({"code": dimension, "valueCode": value});
                if let Err(f) = self.write(Method::POST, &url, Some(&body)).await {
                    let field = planned.out.journal.lines[i]
                        .dimensions
                        .keys()
                        .find(|k| k.to_uppercase() == *dimension)
                        .map(|k| format!("dimensions.{k}"))
                        .unwrap_or_else(|| "dimensions".into());
                    return Err((f, i, field));
                }
            }
        }
        Ok(())
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut results: BTreeMap<String, Result<Posted, GlError>> = BTreeMap::new();
        let Some(first) = batch.first() else {
            return Ok(Vec::new());
        };
        let code = batch_code(&first.reference);
        let books = self.books().await?;
        let mut planned: Vec<Planned> = Vec::new();
        for out in batch {
            let reference = out.reference.as_str();
            if results.contains_key(reference)
                || planned.iter().any(|p| p.out.reference == out.reference)
            {
                continue;
            }
            if batch_code(&out.reference) != code {
                results.insert(
                    reference.to_owned(),
                    Err(GlError::retryable("sent in a batch of another workspace")),
                );
                continue;
            }
            match self.plan(out, &books) {
                Ok(p) => planned.push(p),
                Err(e) => {
                    results.insert(reference.to_owned(), Err(e));
                }
            }
        }
        if planned.is_empty() {
            return Ok(outcome(batch, &results));
        }
        let journal = self.batch(&code).await?;
        let refs: Vec<&str> = planned.iter().map(|p| p.out.reference.as_str()).collect();
        let posted = self.entries(&refs, "lookup").await?;
        let mut in_batch = match self.batch_lines(&journal, None, "lookup").await {
            Ok(lines) => lines,
            Err(e) => {
                // The batch may have been deleted in Business Central: find it again next time.
                self.forget_batch(&code);
                return Err(e);
            }
        };
        // Lines of journals not in this batch (cut off by a crash, or of a journal posted
        // already) leave the batch: the post takes all of it. Their journals are looked up and
        // sent again when due.
        let mut stray: Vec<Found> = Vec::new();
        for (document, lines) in &in_batch {
            let mine = refs.contains(&document.as_str()) && !posted.contains_key(document);
            if !mine {
                stray.extend(lines.iter().cloned());
            }
        }
        self.delete_lines(&journal, &stray).await?;
        let mut ready: Vec<&str> = Vec::new();
        let mut incomplete: Vec<&str> = Vec::new();
        let mut stop: Option<GlError> = None;
        for p in &planned {
            let reference = p.out.reference.as_str();
            if let Some(numbers) = posted.get(reference) {
                results.insert(
                    reference.to_owned(),
                    Ok(Posted {
                        gl_id: gl_id(reference, numbers),
                        receipt: "already posted in Business Central".into(),
                    }),
                );
                continue;
            }
            if let Some(e) = &stop {
                results.insert(reference.to_owned(), Err(e.clone()));
                continue;
            }
            let found = in_batch.remove(reference).unwrap_or_default();
            match self.complete(&journal, p, found).await {
                Ok(()) => ready.push(reference),
                Err(e) => {
                    if matches!(e, GlError::RateLimited { .. } | GlError::Retryable { .. }) {
                        stop = Some(e.clone());
                    }
                    incomplete.push(reference);
                    results.insert(reference.to_owned(), Err(e));
                }
            }
        }
        if ready.is_empty() {
            return Ok(outcome(batch, &results));
        }
        // Nothing incomplete may be in the batch when it is posted.
        let mut clean = true;
        for r in &incomplete {
            let cleaned = match self.batch_lines(&journal, Some(r), "post").await {
                Ok(mut lines) => {
                    let own = lines.remove(*r).unwrap_or_default();
                    self.delete_lines(&journal, &own).await
                }
                Err(e) => Err(e),
            };
            clean &= cleaned.is_ok();
        }
        if !clean {
            for r in &ready {
                results.insert(
                    (*r).to_owned(),
                    Err(GlError::retryable(
                        "the journal batch still holds an incomplete journal; this one is posted \
                         on the next attempt",
                    )),
                );
            }
            return Ok(outcome(batch, &results));
        }
        let action = format!("{}/journals({journal})/Microsoft.NAV.post", self.api);
        let post = self.write(Method::POST, &action, None).await;
        if let Err(Failure {
            error: GlError::Permanent { message, .. },
            ..
        }) = &post
        {
            return Ok(self
                .refused(batch, results, &journal, &ready, message)
                .await);
        }
        // Whatever the answer said, the G/L entries are read back.
        let back = match self.entries(&ready, "read_back").await {
            Ok(back) => back,
            Err(e) => {
                for r in &ready {
                    results.insert(
                        (*r).to_owned(),
                        Err(GlError::unknown(format!("posted but not read back: {e}"))),
                    );
                }
                return Ok(outcome(batch, &results));
            }
        };
        for r in ready {
            let result = match (back.get(r), &post) {
                (Some(numbers), _) => Ok(Posted {
                    gl_id: gl_id(r, numbers),
                    receipt: "journal lines created and posted".into(),
                }),
                // Not posted: the complete lines stay in the batch and are posted next time.
                (None, Err(f)) => Err(f.error.clone()),
                (None, Ok(_)) => Err(GlError::unknown(
                    "Business Central posted the batch but has no G/L entries for the journal",
                )),
            };
            results.insert(r.to_owned(), result);
        }
        Ok(outcome(batch, &results))
    }

    /// The post of the batch was refused with `message`. What was posted after all (by an
    /// earlier post whose answer was lost and that ran late) is reported posted; the document the
    /// message names (or the line it names) is taken out of the batch: refused for good when
    /// Business Central refuses it as it is, sent again when it was out of balance (only a late
    /// line of a lost create does that: Folio checked the balance). The others wait for the next
    /// attempt.
    async fn refused(
        &self,
        batch: &[Outgoing],
        mut results: BTreeMap<String, Result<Posted, GlError>>,
        journal: &str,
        ready: &[&str],
        message: &str,
    ) -> BatchOutcome {
        let mut waiting: Vec<&str> = Vec::new();
        match self.entries(ready, "read_back").await {
            Ok(back) => {
                for r in ready {
                    match back.get(*r) {
                        Some(numbers) => {
                            results.insert(
                                (*r).to_owned(),
                                Ok(Posted {
                                    gl_id: gl_id(r, numbers),
                                    receipt: "posted in Business Central".into(),
                                }),
                            );
                        }
                        None => waiting.push(r),
                    }
                }
            }
            Err(e) => {
                for r in ready {
                    results.insert((*r).to_owned(), Err(e.clone()));
                }
                return outcome(batch, &results);
            }
        }
        let lines = self.batch_lines(journal, None, "post").await.ok();
        let culprit: Option<String> = lines.as_ref().and_then(|lines| {
            lines
                .keys()
                .find(|d| !d.is_empty() && message.contains(d.as_str()))
                .cloned()
                .or_else(|| {
                    let number = line_number_in(message)?;
                    lines
                        .iter()
                        .find(|(_, l)| l.iter().any(|l| l.line_number == number))
                        .map(|(d, _)| d.clone())
                })
        });
        let culprit = culprit.or_else(|| (waiting.len() == 1).then(|| waiting[0].to_owned()));
        let unbalanced = message.contains("out of balance");
        let field = message.contains("Posting Date").then(|| "date".to_owned());
        for r in &waiting {
            let e = match &culprit {
                Some(c) if c == r && !unbalanced => {
                    GlError::permanent(message.to_owned(), field.clone())
                }
                Some(c) => GlError::retryable(format!(
                    "Business Central refused the batch because of {c} ({message}); it is                      posted on the next attempt"
                )),
                None if message.contains("nothing to post") => {
                    GlError::unknown(format!("Business Central found nothing to post: {message}"))
                }
                None => GlError::permanent(message.to_owned(), field.clone()),
            };
            results.insert((*r).to_owned(), Err(e));
        }
        // The refused document's lines leave the batch so that the others can post.
        if let (Some(lines), Some(c)) = (lines, culprit) {
            let own = lines.get(&c).cloned().unwrap_or_default();
            let _ = self.delete_lines(journal, &own).await;
        }
        outcome(batch, &results)
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let accounts = self
            .list("master_data", "accounts")
            .await?
            .iter()
            .map(|a| Account {
                code: text(a, "number"),
                name: text(a, "displayName"),
                kind: match text(a, "category").as_str() {
                    "Assets" => AccountKind::Asset,
                    "Liabilities" => AccountKind::Liability,
                    "Equity" => AccountKind::Equity,
                    "Income" => AccountKind::Income,
                    _ => AccountKind::Expense,
                },
                postable: text(a, "accountType") == "Posting"
                    && a["directPosting"].as_bool().unwrap_or(true),
                active: !a["blocked"].as_bool().unwrap_or(false),
            })
            .collect();
        let dims = self.list("master_data", "dimensions").await?;
        let values = self.list("master_data", "dimensionValues").await?;
        let mut dimensions: Vec<Dimension> = dims
            .iter()
            .map(|d| {
                let id = text(d, "id");
                Dimension {
                    // BC's codes are upper case; Folio's dimension codes are lower case.
                    code: text(d, "code").to_lowercase(),
                    name: text(d, "displayName"),
                    required: false,
                    values: values
                        .iter()
                        .filter(|v| text(v, "dimensionId") == id)
                        .map(|v| DimensionValue {
                            code: text(v, "code"),
                            name: text(v, "displayName"),
                            active: !v["blocked"].as_bool().unwrap_or(false),
                        })
                        .collect(),
                }
            })
            .collect();
        dimensions.sort_by(|a, b| a.code.cmp(&b.code));
        // API v2.0's taxGroups carry code and name only: no rate or accounts (those are in the
        // VAT posting setup, which the API does not expose).
        let tax_codes = self
            .list("master_data", "taxGroups")
            .await?
            .iter()
            .map(|t| TaxCode {
                code: text(t, "code"),
                name: text(t, "displayName"),
                vat_category: VatCategory::S,
                rate: Decimal::ZERO,
                input_account: None,
                output_account: None,
            })
            .collect();
        let vendors = self
            .list("master_data", "vendors")
            .await?
            .iter()
            .map(|v| Vendor {
                code: text(v, "number"),
                name: text(v, "displayName"),
                vat_id: Some(text(v, "taxRegistrationNumber")).filter(|s| !s.is_empty()),
                iban: None,
                default_account: None,
            })
            .collect();
        let mut starts: Vec<(NaiveDate, String, bool)> = self
            .list("master_data", "accountingPeriods")
            .await?
            .iter()
            .filter_map(|p| {
                let start = NaiveDate::parse_from_str(&text(p, "startingDate"), "%Y-%m-%d").ok()?;
                let closed = p["closed"].as_bool().unwrap_or(false)
                    || p["dateLocked"].as_bool().unwrap_or(false);
                Some((start, text(p, "name"), closed))
            })
            .collect();
        starts.sort();
        let periods = starts
            .iter()
            .enumerate()
            .map(|(i, (start, name, closed))| {
                // A period ends the day before the next starts; the last one after a month.
                let end = match starts.get(i + 1) {
                    Some((next, _, _)) => next.pred_opt().unwrap_or(*next),
                    None => month_end(*start),
                };
                Period {
                    name: if name.is_empty() {
                        start.format("%Y-%m").to_string()
                    } else {
                        name.clone()
                    },
                    start: *start,
                    end,
                    closed: *closed,
                }
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

fn month_end(start: NaiveDate) -> NaiveDate {
    let (y, m) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

/// Whether the lines `found` of a journal agree with the first of `planned`: same accounts,
/// amounts and descriptions in order, dimensions a subset of the planned ones (the rest can be
/// added).
fn is_prefix(found: &[Found], planned: &[BcLine]) -> bool {
    found.len() <= planned.len()
        && found.iter().zip(planned).all(|(f, p)| {
            f.line.account == p.account
                && f.line.date == p.date
                && f.line.amount == p.amount
                && f.line.description == p.description
                && f.line.dims.iter().all(|d| p.dims.contains(d))
        })
}

/// The line number in a Business Central message (`Line No.='20000'`).
fn line_number_in(message: &str) -> Option<i64> {
    let rest = &message[message.find("Line No.='")? + 10..];
    rest[..rest.find('\'')?].parse().ok()
}

/// The GL id of a posted journal: its document number and G/L entry numbers.
fn gl_id(reference: &str, numbers: &[i64]) -> String {
    match (numbers.first(), numbers.last()) {
        (Some(first), Some(last)) if first != last => {
            format!("{reference} (G/L entries {first}-{last})")
        }
        (Some(first), _) => format!("{reference} (G/L entry {first})"),
        _ => reference.to_owned(),
    }
}

impl Connector for BusinessCentral {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::BusinessCentral
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: true,
            server_idempotency: false,
            lookup_by_reference: true,
            attachments: false,
            reads_accounts: true,
            reads_dimensions: true,
            max_batch: MAX_BATCH,
        }
    }

    async fn post(&self, batch: Vec<Outgoing>) -> BatchOutcome {
        let _alone = self.inner.gate.lock().await;
        match self.inner.post(&batch).await {
            Ok(outcome) => outcome,
            Err(e) => all_failed(&batch, &e),
        }
    }

    /// Posted journals by reference (their G/L entries). Lines waiting in the batch are not
    /// reported: the next `post` of the journal posts them, it does not create them again.
    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let refs: Vec<&str> = references.iter().map(JournalRef::as_str).collect();
        let _alone = self.inner.gate.lock().await;
        let found = self.inner.entries(&refs, "lookup").await?;
        Ok(references
            .into_iter()
            .filter_map(|reference| {
                let numbers = found.get(reference.as_str())?;
                let posted = Posted {
                    gl_id: gl_id(reference.as_str(), numbers),
                    receipt: "found posted in Business Central".into(),
                };
                Some((reference, posted))
            })
            .collect())
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let _alone = self.inner.gate.lock().await;
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

    /// The monitor reads a company's requests in Business Central's five-minute window, those
    /// under way, and the last 429's wait and message, without a connector.
    #[test]
    fn the_monitor_reads_the_company_throttle_without_a_connector() {
        let url = "https://bc.example/v2.0/t1/Production/api/v2.0/companies(abc-1)";
        let api = CompanyUrl::parse(url).unwrap().api();
        let now = Instant::now();
        let fresh = BusinessCentral::rate_limit_state_of(url).expect("a company URL");
        assert_eq!(fresh.company, "Production/abc-1");
        assert_eq!((fresh.window_used, fresh.window_limit), (0, 6_000));
        assert_eq!((fresh.window_minutes, fresh.concurrent_limit), (5, 100));
        assert_eq!((fresh.paused_ms, fresh.last_throttle.clone()), (0, None));
        with_throttle(&api, |t| {
            // One request six minutes ago has left the window.
            if let Some(old) = now.checked_sub(Duration::from_secs(6 * 60)) {
                t.started(old);
                t.finished(old, None);
            }
            t.started(now);
            t.started(now);
            t.finished(
                now,
                Some((Duration::from_secs(30), "post: Too many requests")),
            );
        });
        let state = BusinessCentral::rate_limit_state_of(url).unwrap();
        assert_eq!((state.window_used, state.in_flight), (2, 1), "{state:?}");
        assert!(
            state.paused_ms > 20_000 && state.paused_ms <= 30_000,
            "{state:?}"
        );
        assert_eq!(
            state.last_throttle.as_deref(),
            Some("post: Too many requests")
        );
        assert_eq!(
            BusinessCentral::rate_limit_state_of("https://bc.example/v2.0/x"),
            None
        );
    }

    #[test]
    fn company_urls_name_tenant_environment_and_company() {
        let url = "https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/production/api/v2.0/companies(7c2c1a54-2f0e-4f1c-9d6b-0000000000c1)";
        let parsed = CompanyUrl::parse(url).unwrap();
        assert_eq!(parsed.tenant, "contoso.onmicrosoft.com");
        assert_eq!(parsed.environment, "production");
        assert_eq!(parsed.company, "7c2c1a54-2f0e-4f1c-9d6b-0000000000c1");
        assert_eq!(parsed.api(), url);
        assert_eq!(
            parsed.oauth_endpoints(LOGIN_HOST).1,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        for bad in [
            "https://api.businesscentral.dynamics.com/v2.0/t/production",
            "https://api.businesscentral.dynamics.com/v2.0/t/p/api/v2.0/companies",
            "https://api.businesscentral.dynamics.com/v2.0/t/p/api/v1.0/companies(x)",
            "api.businesscentral.dynamics.com/v2.0/t/p/api/v2.0/companies(x)",
        ] {
            assert_eq!(CompanyUrl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn filters_quote_and_encode() {
        assert_eq!(literal("O'Brien"), "'O''Brien'");
        assert_eq!(
            filter_query("documentNumber", &["FAB-1", "FAB-2"]),
            "$filter=documentNumber%20eq%20%27FAB-1%27%20or%20documentNumber%20eq%20%27FAB-2%27"
        );
    }

    #[test]
    fn amounts_go_out_as_exact_json_numbers() {
        for text in ["12.34", "-1000.5", "0.01", "123456789012.99"] {
            let d = Decimal::from_str(text).unwrap();
            let n = number(d).unwrap();
            assert_eq!(read_decimal(&n), Some(d), "{text}");
        }
        // More digits than a JSON number (an f64) carries exactly: refused, not rounded.
        assert_eq!(
            number(Decimal::from_str("12345678901234567.891").unwrap()),
            None
        );
    }

    #[test]
    fn batch_codes_fit_business_centrals_ten_characters() {
        let r = JournalRef::new("K3P9Q", 77).unwrap();
        assert_eq!(batch_code(&r), "FOLIOK3P9Q");
        assert!(batch_code(&r).len() <= 10);
    }

    #[test]
    fn odata_errors_map_to_the_outbox_decisions() {
        let body = json!({"error": {"code": "Internal_RecordNotFound", "message": "The G/L Account does not exist."}});
        let f = status_failure(StatusCode::BAD_REQUEST, None, &body, "post", true);
        assert!(
            matches!(&f.error, GlError::Permanent { message, .. } if message.contains("G/L Account"))
        );
        assert_eq!(f.code.as_deref(), Some("Internal_RecordNotFound"));
        // (status, Retry-After, operation, whether it writes) → the outbox's decision.
        let wait = Some(Duration::from_secs(7));
        let cases = [
            (
                StatusCode::TOO_MANY_REQUESTS,
                wait,
                "post",
                true,
                "rate_limited",
            ),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                wait,
                "post",
                true,
                "rate_limited",
            ),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "post",
                true,
                "retryable",
            ),
            (StatusCode::GATEWAY_TIMEOUT, None, "post", true, "unknown"),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "lookup",
                false,
                "retryable",
            ),
        ];
        for (status, retry_after, operation, write, expected) in cases {
            let error = status_failure(status, retry_after, &Value::Null, operation, write).error;
            assert_eq!(error.kind(), expected, "{status} {operation}: {error}");
        }
        assert!(matches!(
            status_failure(StatusCode::TOO_MANY_REQUESTS, wait, &Value::Null, "post", true).error,
            GlError::RateLimited { wait, .. } if wait == Duration::from_secs(7)
        ));
    }

    #[test]
    fn line_numbers_are_read_from_messages() {
        let m = "Posting Date is not within your range of allowed posting dates in Gen. Journal \
                 Line Journal Template Name='GENERAL',Journal Batch Name='FOLIOX',Line No.='20000'";
        assert_eq!(line_number_in(m), Some(20000));
        assert_eq!(line_number_in("nothing here"), None);
    }

    #[test]
    fn periods_end_where_the_next_begins() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_end(d("2026-02-01")), d("2026-02-28"));
        assert_eq!(month_end(d("2026-12-01")), d("2026-12-31"));
    }
}
