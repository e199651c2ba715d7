//! A simulator of Microsoft Dynamics 365 Business Central's API v2.0 and of the Microsoft identity
//! platform (Entra ID) v2.0 endpoints it signs in with, for the connector's contract, fault and
//! crash tests. It runs on 127.0.0.1 on a random port, in its own thread and tokio runtime, so a
//! test can kill `folio sync` processes against it and a fault proxy can sit in front of it.
//!
//! It implements what Folio depends on, each behaviour following the Microsoft Learn page named
//! at its code (prefix `https://learn.microsoft.com/en-us/`):
//!
//! * **Sign-in** (`entra/identity-platform/v2-oauth2-auth-code-flow`): `GET
//!   /{tenant}/oauth2/v2.0/authorize` with PKCE (S256 only) and a loopback redirect answers with a
//!   redirect carrying a one-time code (the signed-in user is the simulator's; the test plays the
//!   system browser by following it); `POST /{tenant}/oauth2/v2.0/token` redeems the code (with
//!   the `code_verifier`) or a refresh token. A public client must not send a secret
//!   (AADSTS700025). Every refresh returns a new refresh token (rotation, `refresh-tokens`); access
//!   tokens expire after the configured lifetime and the API answers 401 then. A revoked grant
//!   answers `invalid_grant` (AADSTS50173), a spent code AADSTS54005.
//! * **Journals** (`dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/
//!   dynamics_journal`): list (with `$filter`), create, and the bound action
//!   `Microsoft.NAV.post`, which posts the whole batch in one transaction (204, no content) or
//!   nothing: every document number must balance, every posting date lie in an open accounting
//!   period; the posted lines leave the batch and become G/L entries.
//! * **Journal lines** (`.../api/dynamics_journalline_create`, `.../resources/dynamics_journalline`):
//!   create (201 with the line), list with `$filter` and `$expand=dimensionSetLines`, delete.
//!   Validation errors as BC sends them: an account that does not exist, is blocked or is not a
//!   posting account, a string longer than its field. **No idempotency**: the same request twice
//!   makes two lines (BC has no idempotency keys).
//! * **Dimension set lines** (`.../resources/dynamics_dimensionsetline`): created under a journal
//!   line by dimension `code` and `valueCode`; an unknown dimension or value is refused.
//! * **G/L entries** (`.../resources/dynamics_generalledgerentry`): read only, with `$filter` on
//!   `documentNumber` (`eq` joined by `or`, `api-reference/v2.0/dynamics-tips-for-working-with-apis`
//!   and `webservices/use-filter-expressions-in-odata-uris`).
//! * **Master data**: `accounts`, `dimensions`, `dimensionValues`, `taxGroups`, `vendors`,
//!   `accountingPeriods`, `companyInformation`, `companies` (their `resources/dynamics_*` pages).
//! * **Server-driven paging** (`webservices/odata-client-performance`): at most `page_size`
//!   entities per answer and an `@odata.nextLink` to the rest.
//! * **Errors** (`api-reference/v2.0/dynamics-error-codes`): `{"error": {"code", "message"}}` with
//!   the documented code families (`BadRequest_*`, `Authentication_*`, `Internal_*`,
//!   `Application_*`).
//! * **Limits** (`api-reference/v2.0/dynamics-rate-limits`): more requests than the configured
//!   rate answer `429 Too Many Requests` with `Retry-After`; `maintenance` answers 503 with
//!   `Retry-After` (`administration/operational-limits-online`).
//! * **Lost answers after a commit**: `lose_after_commit` (per mille, seeded) writes commit and
//!   the answer is held back past the client's timeout, as when a gateway drops it.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use folio_domain::{Account, AccountKind, Dimension, DimensionValue, TaxCode, Vendor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The tenant, environment and company the simulator serves.
pub const TENANT: &str = "contoso.onmicrosoft.com";
pub const ENVIRONMENT: &str = "production";
pub const COMPANY_ID: &str = "7c2c1a54-2f0e-4f1c-9d6b-0000000000c1";
pub const COMPANY_NAME: &str = "CRONUS DE";
/// The public client (app registration) the simulator knows.
pub const CLIENT_ID: &str = "3f1b0f6e-58a4-4d1f-a6a0-f0110f0110f0";
/// The scope a Business Central API client asks for.
pub const SCOPE: &str =
    "https://api.businesscentral.dynamics.com/Financials.ReadWrite.All offline_access";

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Lifetime of an access token (Entra's default is 60-90 minutes).
    pub access_token_lifetime: Duration,
    /// Entities per page before `@odata.nextLink`.
    pub page_size: usize,
    /// At most this many API requests per window; more answer 429.
    pub rate_limit: Option<(u32, Duration)>,
    /// Per mille of writes whose answer is held back for `hang` after they committed.
    pub lose_after_commit: u32,
    pub hang: Duration,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            access_token_lifetime: Duration::from_secs(3600),
            page_size: 50,
            rate_limit: None,
            lose_after_commit: 0,
            hang: Duration::from_secs(5),
            seed: 1,
        }
    }
}

/// A G/L entry as a test sees it: account, debit minus credit, (dimension, value) codes.
pub type EntryView = (String, Decimal, Vec<(String, String)>);

/// A journal line left in a batch by a process that died (see [`BcSim::insert_line`]).
#[derive(Debug, Clone)]
pub struct LeftLine<'a> {
    pub batch: &'a str,
    pub document: &'a str,
    pub date: &'a str,
    pub account: &'a str,
    pub amount: Decimal,
    pub description: &'a str,
    pub dims: &'a [(&'a str, &'a str)],
}

/// What the company's books hold before Folio posts, in Folio's terms.
#[derive(Debug, Clone)]
pub struct Chart {
    pub accounts: Vec<Account>,
    pub dimensions: Vec<Dimension>,
    pub tax_codes: Vec<TaxCode>,
    pub vendors: Vec<Vendor>,
}

impl Chart {
    /// The accounts of [`crate::gl_support::chart`], cost centres CC-100 and CC-200, tax group
    /// V19 and two vendors.
    pub fn test() -> Chart {
        let value = |code: &str, name: &str| DimensionValue {
            code: code.into(),
            name: name.into(),
            active: true,
        };
        Chart {
            accounts: crate::gl_support::chart(),
            dimensions: vec![Dimension {
                code: "cost_centre".into(),
                name: "Cost centre".into(),
                required: false,
                values: vec![value("CC-100", "Sales"), value("CC-200", "Engineering")],
            }],
            tax_codes: vec![TaxCode {
                code: "V19".into(),
                name: "VAT 19 %".into(),
                vat_category: folio_domain::VatCategory::S,
                rate: Decimal::new(19, 0),
                input_account: Some("1576".into()),
                output_account: None,
            }],
            vendors: vec![
                Vendor {
                    code: "V0001".into(),
                    name: "Bürobedarf Nord GmbH".into(),
                    vat_id: Some("DE123456789".into()),
                    iban: None,
                    default_account: None,
                },
                Vendor {
                    code: "V0002".into(),
                    name: "Cloudware AG".into(),
                    vat_id: None,
                    iban: None,
                    default_account: None,
                },
            ],
        }
    }
}

#[derive(Debug, Clone)]
struct GlAccount {
    id: String,
    number: String,
    name: String,
    category: &'static str,
    account_type: &'static str,
    blocked: bool,
    direct_posting: bool,
}

#[derive(Debug, Clone)]
struct DimValue {
    id: String,
    code: String,
    name: String,
}

#[derive(Debug, Clone)]
struct Dim {
    id: String,
    code: String,
    name: String,
    values: Vec<DimValue>,
}

#[derive(Debug, Clone)]
struct DimSetLine {
    dimension: String,
    value: String,
}

#[derive(Debug, Clone)]
struct Line {
    id: String,
    journal: String,
    line_number: i64,
    account_id: String,
    account_number: String,
    posting_date: String,
    document_number: String,
    amount: Decimal,
    description: String,
    tax_code: String,
    dims: Vec<DimSetLine>,
}

#[derive(Debug, Clone)]
struct Entry {
    id: String,
    entry_number: i64,
    transaction: i64,
    posting_date: String,
    document_number: String,
    account_id: String,
    account_number: String,
    description: String,
    debit: Decimal,
    credit: Decimal,
    dims: Vec<DimSetLine>,
}

#[derive(Debug, Clone)]
struct Journal {
    id: String,
    code: String,
    name: String,
}

#[derive(Debug)]
struct Grant {
    revoked: bool,
}

#[derive(Debug)]
struct State {
    config: SimConfig,
    rng: StdRng,
    next_id: u64,
    accounts: Vec<GlAccount>,
    dims: Vec<Dim>,
    tax_groups: Vec<(String, String)>,
    vendors: Vec<(String, String, String)>,
    /// (start, name, closed)
    periods: Vec<(String, String, bool)>,
    journals: Vec<Journal>,
    lines: Vec<Line>,
    entries: Vec<Entry>,
    next_entry: i64,
    next_transaction: i64,
    /// Authorization codes: code → (challenge, redirect URI, issued).
    codes: HashMap<String, (String, String, Instant)>,
    /// Refresh tokens → the grant they belong to (rotation keeps old ones valid until revoked).
    refresh: HashMap<String, usize>,
    grants: Vec<Grant>,
    /// Access tokens → expiry.
    access: HashMap<String, Instant>,
    /// Request times in the current rate window.
    window: Vec<Instant>,
    maintenance: Option<u64>,
    /// Counters for the tests.
    stats: Stats,
    /// Fail the n-th journal line create from now on with a 503 (test hook for partial batches).
    fail_line_create: Option<u32>,
    fail_posts: u32,
    /// The user setup's "Allow Posting From" (not exposed by the API).
    allow_posting_from: Option<String>,
}

/// What happened, for assertions.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub token_by_code: u32,
    pub token_by_refresh: u32,
    pub unauthorized: u32,
    pub throttled: u32,
    pub posts: u32,
    pub lines_created: u32,
    pub lines_deleted: u32,
    pub lost_answers: u32,
}

/// A running simulator; stopped when dropped.
#[derive(Debug)]
pub struct BcSim {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl BcSim {
    /// Starts the simulator with the test chart ([`Chart::test`]); 2025's months are closed,
    /// 2026's and January 2027 open.
    pub fn start(config: SimConfig) -> BcSim {
        BcSim::start_with(config, &Chart::test())
    }

    /// Starts the simulator with `chart`.
    pub fn start_with(config: SimConfig, chart: &Chart) -> BcSim {
        let state = Arc::new(Mutex::new(State::new(config, chart)));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
                    let state = Arc::clone(&shared);
                    async move { handle(state, request).await }
                });
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        BcSim {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the API host and the login host both.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The company's API v2.0 URL as an administrator copies it, with `base` as the host.
    pub fn company_url(base: &str) -> String {
        format!("{base}/v2.0/{TENANT}/{ENVIRONMENT}/api/v2.0/companies({COMPANY_ID})")
    }

    pub fn stats(&self) -> Stats {
        lock(&self.state).stats.clone()
    }

    /// How many postings (G/L transactions) carry each document number.
    pub fn ref_counts(&self) -> HashMap<String, usize> {
        let state = lock(&self.state);
        let mut seen: BTreeMap<(String, i64), ()> = BTreeMap::new();
        for e in &state.entries {
            seen.insert((e.document_number.clone(), e.transaction), ());
        }
        let mut counts = HashMap::new();
        for (doc, _) in seen.keys() {
            *counts.entry(doc.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The books are in order: every transaction balances and nothing is left in a journal
    /// batch unposted. Empty when so.
    pub fn check(&self) -> String {
        let state = lock(&self.state);
        let mut problems = Vec::new();
        let mut sums: BTreeMap<(String, i64), (Decimal, Decimal)> = BTreeMap::new();
        for e in &state.entries {
            let s = sums
                .entry((e.document_number.clone(), e.transaction))
                .or_default();
            s.0 += e.debit;
            s.1 += e.credit;
        }
        for ((doc, tx), (debit, credit)) in sums {
            if debit != credit {
                problems.push(format!(
                    "{doc} (transaction {tx}) does not balance: {debit} against {credit}"
                ));
            }
        }
        if !state.lines.is_empty() {
            let docs: Vec<&str> = state
                .lines
                .iter()
                .map(|l| l.document_number.as_str())
                .collect();
            problems.push(format!("lines left unposted in a batch: {docs:?}"));
        }
        problems.join("; ")
    }

    /// The dimension values of each G/L entry of `document`: `(account, debit, [(dim, value)])`.
    pub fn entries_of(&self, document: &str) -> Vec<EntryView> {
        lock(&self.state)
            .entries
            .iter()
            .filter(|e| e.document_number == document)
            .map(|e| {
                (
                    e.account_number.clone(),
                    e.debit - e.credit,
                    e.dims
                        .iter()
                        .map(|d| (d.dimension.clone(), d.value.clone()))
                        .collect(),
                )
            })
            .collect()
    }

    /// Journal lines sitting in a batch with `document`.
    pub fn unposted_lines(&self, document: &str) -> usize {
        lock(&self.state)
            .lines
            .iter()
            .filter(|l| l.document_number == document)
            .count()
    }

    /// Revokes every grant (an admin revoked the app's consent, or the password was reset).
    pub fn revoke_grants(&self) {
        for g in &mut lock(&self.state).grants {
            g.revoked = true;
        }
    }

    /// Expires every access token now.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for expiry in lock(&self.state).access.values_mut() {
            *expiry = now;
        }
    }

    /// The `n`-th journal line created from now (1 = the next) fails with a 503, nothing written.
    pub fn fail_line_create(&self, n: u32) {
        lock(&self.state).fail_line_create = Some(n);
    }

    /// The next `n` calls of `Microsoft.NAV.post` fail with a 503, nothing posted.
    pub fn fail_posts(&self, n: u32) {
        lock(&self.state).fail_posts = n;
    }

    /// Puts a line into the journal batch `batch` (created when missing), as a process that
    /// died before finishing its journal left it. `dims` are (dimension, value) codes.
    pub fn insert_line(&self, left: &LeftLine<'_>) {
        let LeftLine {
            batch,
            document,
            date,
            account,
            amount,
            description,
            dims,
        } = left.clone();
        let mut s = lock(&self.state);
        let journal = match s.journals.iter().find(|j| j.code == batch) {
            Some(j) => j.id.clone(),
            None => {
                let id = s.guid();
                s.journals.push(Journal {
                    id: id.clone(),
                    code: batch.to_owned(),
                    name: batch.to_owned(),
                });
                id
            }
        };
        let account = s
            .accounts
            .iter()
            .find(|a| a.number == account)
            .cloned()
            .expect("a known account");
        let line_number = s
            .lines
            .iter()
            .filter(|l| l.journal == journal)
            .map(|l| l.line_number)
            .max()
            .unwrap_or(0)
            + 10000;
        let id = s.guid();
        s.lines.push(Line {
            id,
            journal,
            line_number,
            account_id: account.id,
            account_number: account.number,
            posting_date: date.to_owned(),
            document_number: document.to_owned(),
            amount,
            description: description.to_owned(),
            tax_code: String::new(),
            dims: dims
                .iter()
                .map(|(d, v)| DimSetLine {
                    dimension: (*d).to_owned(),
                    value: (*v).to_owned(),
                })
                .collect(),
        });
    }

    /// The user setup's "Allow Posting From" date (`YYYY-MM-DD`): earlier lines are refused at
    /// posting (`finance/finance-setup-general-ledger`, allowed posting dates).
    pub fn allow_posting_from(&self, date: &str) {
        lock(&self.state).allow_posting_from = Some(date.to_owned());
    }

    /// Every API request answers 503 with `Retry-After: secs` until `None`.
    pub fn maintenance(&self, retry_after: Option<u64>) {
        lock(&self.state).maintenance = retry_after;
    }

    /// Changes the rate limit.
    pub fn set_rate_limit(&self, limit: Option<(u32, Duration)>) {
        let mut state = lock(&self.state);
        state.config.rate_limit = limit;
        state.window.clear();
    }

    /// Blocks an account (as an accountant would in BC).
    pub fn block_account(&self, number: &str) {
        for a in &mut lock(&self.state).accounts {
            if a.number == number {
                a.blocked = true;
            }
        }
    }

    /// Whether `token` is a live access token (for tests that look for tokens elsewhere).
    pub fn issued_tokens(&self) -> Vec<String> {
        let state = lock(&self.state);
        state
            .access
            .keys()
            .chain(state.refresh.keys())
            .cloned()
            .collect()
    }
}

impl Drop for BcSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl State {
    fn new(config: SimConfig, chart: &Chart) -> State {
        let mut state = State {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            next_id: 1,
            accounts: Vec::new(),
            dims: Vec::new(),
            tax_groups: Vec::new(),
            vendors: Vec::new(),
            periods: Vec::new(),
            journals: Vec::new(),
            lines: Vec::new(),
            entries: Vec::new(),
            next_entry: 1,
            next_transaction: 1,
            codes: HashMap::new(),
            refresh: HashMap::new(),
            grants: Vec::new(),
            access: HashMap::new(),
            window: Vec::new(),
            maintenance: None,
            stats: Stats::default(),
            fail_line_create: None,
            fail_posts: 0,
            allow_posting_from: None,
        };
        for a in &chart.accounts {
            let id = state.guid();
            state.accounts.push(GlAccount {
                id,
                number: a.code.clone(),
                name: a.name.clone(),
                category: match a.kind {
                    AccountKind::Asset => "Assets",
                    AccountKind::Liability => "Liabilities",
                    AccountKind::Equity => "Equity",
                    AccountKind::Income => "Income",
                    AccountKind::Expense => "Expense",
                },
                account_type: if a.postable { "Posting" } else { "Heading" },
                blocked: !a.active,
                direct_posting: a.postable,
            });
        }
        for d in &chart.dimensions {
            let values = d
                .values
                .iter()
                .filter(|v| v.active)
                .map(|v| DimValue {
                    id: state.guid(),
                    code: v.code.to_uppercase(),
                    name: v.name.clone(),
                })
                .collect();
            let id = state.guid();
            // BC's codes are upper case (Code[20] fields).
            state.dims.push(Dim {
                id,
                code: d.code.to_uppercase(),
                name: d.name.clone(),
                values,
            });
        }
        state.tax_groups = chart
            .tax_codes
            .iter()
            .map(|t| (t.code.to_uppercase(), t.name.clone()))
            .collect();
        state.vendors = chart
            .vendors
            .iter()
            .map(|v| {
                (
                    v.code.clone(),
                    v.name.clone(),
                    v.vat_id.clone().unwrap_or_default(),
                )
            })
            .collect();
        for (year, closed) in [(2025, true), (2026, false)] {
            for month in 1..=12 {
                state.periods.push((
                    format!("{year}-{month:02}-01"),
                    format!("{year}-{month:02}"),
                    closed,
                ));
            }
        }
        state
            .periods
            .push(("2027-01-01".into(), "2027-01".into(), false));
        state
    }

    fn guid(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        let r: u32 = self.rng.random();
        format!("{r:08x}-0000-4000-8000-{n:012x}")
    }

    fn token(&mut self, prefix: &str) -> String {
        let a: u64 = self.rng.random();
        let b: u64 = self.rng.random();
        format!("{prefix}{a:016x}{b:016x}")
    }
}

// --- HTTP plumbing -------------------------------------------------------------------------

fn json_response(status: u16, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        "content-type",
        "application/json; odata.metadata=minimal"
            .parse()
            .expect("header"),
    );
    response
}

/// An OData error (`api-reference/v2.0/dynamics-error-codes`).
fn odata_error(status: u16, code: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

fn with_retry_after(mut response: Response<Body>, secs: u64) -> Response<Body> {
    response
        .headers_mut()
        .insert("retry-after", secs.to_string().parse().expect("header"));
    response
}

/// An Entra ID token-endpoint error (`v2-oauth2-auth-code-flow#error-response-1`).
fn oauth_error(error: &str, aadsts: u32, description: &str) -> Response<Body> {
    json_response(
        400,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{aadsts}: {description}"),
            "error_codes": [aadsts],
        }),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

async fn handle(state: Arc<Mutex<State>>, request: axum::extract::Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let path = percent_decode(parts.uri.path());
    let query = form(parts.uri.query().unwrap_or(""));
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let login = format!("/{TENANT}/oauth2/v2.0/");
    if let Some(endpoint) = path.strip_prefix(&login) {
        return match (parts.method.clone(), endpoint) {
            (Method::GET, "authorize") => authorize(&state, &query),
            (Method::POST, "token") => token(&state, &String::from_utf8_lossy(&body)),
            _ => odata_error(404, "BadRequest_NotFound", "no such endpoint"),
        };
    }
    let api = format!("/v2.0/{TENANT}/{ENVIRONMENT}/api/v2.0/");
    let Some(resource) = path.strip_prefix(&api) else {
        return odata_error(
            404,
            "BadRequest_NoTenant",
            "the tenant or environment in the URL does not exist",
        );
    };
    let (response, lose) = {
        let mut s = lock(&state);
        if let Some(refusal) = s.admit(&parts.headers) {
            return refusal;
        }
        let request = ApiRequest {
            method: parts.method.clone(),
            resource: resource.to_owned(),
            query,
            body,
            base: format!("http://{host}{api}"),
        };
        let response = s.api(&request);
        let write = parts.method != Method::GET && response.status().is_success();
        let lose = write
            && s.config.lose_after_commit > 0
            && s.rng.random_range(0..1000) < s.config.lose_after_commit;
        if lose {
            s.stats.lost_answers += 1;
        }
        (response, lose.then_some(s.config.hang))
    };
    if let Some(hang) = lose {
        // Committed; the answer comes after the client has given up.
        tokio::time::sleep(hang).await;
    }
    response
}

struct ApiRequest {
    method: Method,
    resource: String,
    query: HashMap<String, String>,
    body: Vec<u8>,
    /// The API root as the client addressed it, for `@odata.nextLink`.
    base: String,
}

/// `companies(ID)/rest` → ("companies", Some(ID), "rest").
fn segment(path: &str) -> (&str, Option<&str>, &str) {
    let (head, rest) = match path.find('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (path, ""),
    };
    match head.split_once('(') {
        Some((name, key)) => (name, Some(key.trim_end_matches(')')), rest),
        None => (head, None, rest),
    }
}

/// A `$filter` of `field eq 'value'` clauses joined by `or` (all on one field or several).
fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, String> {
    let mut clauses = Vec::new();
    let mut rest = filter.trim();
    loop {
        let (field, after) = rest
            .split_once(" eq ")
            .ok_or_else(|| format!("unsupported $filter near '{rest}'"))?;
        let after = after.trim_start();
        let body = after
            .strip_prefix('\'')
            .ok_or_else(|| format!("expected a quoted value in $filter near '{after}'"))?;
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, n)| *n) == Some('\'') {
                    value.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        let end = end.ok_or("unterminated string in $filter")?;
        clauses.push((field.trim().to_owned(), value));
        rest = body[end..].trim_start();
        if rest.is_empty() {
            return Ok(clauses);
        }
        rest = rest
            .strip_prefix("or ")
            .ok_or_else(|| format!("only 'or' is supported in $filter, near '{rest}'"))?;
    }
}

fn matches(entity: &Value, clauses: &[(String, String)]) -> bool {
    clauses.is_empty()
        || clauses
            .iter()
            .any(|(field, value)| entity.get(field).and_then(Value::as_str) == Some(value))
}

fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        _ => None,
    }
}

fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

impl State {
    /// Authentication, maintenance and the rate limit, before any API request.
    fn admit(&mut self, headers: &HeaderMap) -> Option<Response<Body>> {
        // `administration/operational-limits-online`: 503 with Retry-After while unavailable.
        if let Some(secs) = self.maintenance {
            return Some(with_retry_after(
                odata_error(
                    503,
                    "Internal_ServiceUnavailable",
                    "The service is temporarily unavailable.",
                ),
                secs,
            ));
        }
        // `api-reference/v2.0/dynamics-rate-limits`: 429 with a cool-off period.
        if let Some((limit, window)) = self.config.rate_limit {
            let now = Instant::now();
            self.window.retain(|t| now.duration_since(*t) < window);
            if self.window.len() >= limit as usize {
                self.stats.throttled += 1;
                let wait = self
                    .window
                    .first()
                    .map(|t| window.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(window);
                return Some(with_retry_after(
                    odata_error(
                        429,
                        "Application_TooManyRequests",
                        "Too many requests reached. Actual (101). Maximum (100).",
                    ),
                    wait.as_secs().max(1),
                ));
            }
            self.window.push(now);
        }
        // `v2-oauth2-auth-code-flow#use-the-access-token`: a bearer token in every request.
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let live = token
            .and_then(|t| self.access.get(t))
            .is_some_and(|expiry| Instant::now() < *expiry);
        if !live {
            self.stats.unauthorized += 1;
            let mut response = odata_error(
                401,
                "Authentication_InvalidCredentials",
                "The server has rejected the client credentials.",
            );
            response.headers_mut().insert(
                "www-authenticate",
                "Bearer error=\"invalid_token\"".parse().expect("header"),
            );
            return Some(response);
        }
        None
    }

    fn api(&mut self, request: &ApiRequest) -> Response<Body> {
        let (head, company, rest) = segment(&request.resource);
        if head != "companies" {
            return odata_error(404, "BadRequest_NotFound", "unknown entity set");
        }
        match company {
            None if request.method == Method::GET => {
                let list = vec![json!({"id": COMPANY_ID, "name": COMPANY_NAME,
                    "displayName": COMPANY_NAME, "systemVersion": "26.0"})];
                self.page(request, list)
            }
            Some(id) if id == COMPANY_ID => self.company(request, rest),
            _ => odata_error(
                404,
                "BadRequest_NotFound",
                "The company does not exist or you do not have access to it.",
            ),
        }
    }

    /// One page of `entities` (after `$filter`) and a `@odata.nextLink` to the next.
    fn page(&self, request: &ApiRequest, entities: Vec<Value>) -> Response<Body> {
        let clauses = match request.query.get("$filter") {
            Some(f) => match parse_filter(f) {
                Ok(c) => c,
                Err(e) => return odata_error(400, "BadRequest_InvalidFilter", &e),
            },
            None => Vec::new(),
        };
        let filtered: Vec<Value> = entities
            .into_iter()
            .filter(|e| matches(e, &clauses))
            .collect();
        let skip: usize = request
            .query
            .get("$skiptoken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let size = self.config.page_size.max(1);
        let page: Vec<Value> = filtered.iter().skip(skip).take(size).cloned().collect();
        let mut body = json!({"value": page});
        if skip + size < filtered.len() {
            let mut query: Vec<String> = request
                .query
                .iter()
                .filter(|(k, _)| k.as_str() != "$skiptoken")
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            query.push(format!("$skiptoken={}", skip + size));
            body["@odata.nextLink"] = json!(format!(
                "{}{}?{}",
                request.base,
                request.resource,
                query.join("&")
            ));
        }
        json_response(200, &body)
    }

    fn company(&mut self, request: &ApiRequest, rest: &str) -> Response<Body> {
        let (entity, key, tail) = segment(rest);
        let get = request.method == Method::GET;
        match (entity, key, tail) {
            ("companyInformation", None, "") if get => {
                let v = vec![json!({"id": COMPANY_ID, "displayName": COMPANY_NAME,
                    "currencyCode": "EUR", "countryRegionCode": "DE"})];
                self.page(request, v)
            }
            ("accounts", None, "") if get => {
                let v = self
                    .accounts
                    .iter()
                    .map(|a| {
                        json!({"id": a.id, "number": a.number, "displayName": a.name,
                        "category": a.category, "subCategory": "", "blocked": a.blocked,
                        "accountType": a.account_type, "directPosting": a.direct_posting})
                    })
                    .collect();
                self.page(request, v)
            }
            ("dimensions", None, "") if get => {
                let v = self
                    .dims
                    .iter()
                    .map(|d| json!({"id": d.id, "code": d.code, "displayName": d.name}))
                    .collect();
                self.page(request, v)
            }
            ("dimensionValues", None, "") if get => {
                let v = self
                    .dims
                    .iter()
                    .flat_map(|d| {
                        d.values.iter().map(move |v| {
                            json!({"id": v.id, "code": v.code, "dimensionId": d.id,
                            "displayName": v.name})
                        })
                    })
                    .collect();
                self.page(request, v)
            }
            ("taxGroups", None, "") if get => {
                let v = self
                    .tax_groups
                    .iter()
                    .map(
                        |(code, name)| json!({"code": code, "displayName": name, "taxType": "VAT"}),
                    )
                    .collect();
                self.page(request, v)
            }
            ("vendors", None, "") if get => {
                let v = self
                    .vendors
                    .iter()
                    .map(|(number, name, vat)| {
                        json!({"number": number, "displayName": name,
                        "taxRegistrationNumber": vat, "blocked": " ", "currencyCode": ""})
                    })
                    .collect();
                self.page(request, v)
            }
            ("accountingPeriods", None, "") if get => {
                let v = self
                    .periods
                    .iter()
                    .map(|(start, name, closed)| {
                        json!({"startingDate": start, "name": name, "closed": closed,
                        "dateLocked": closed, "newFiscalYear": start.ends_with("-01-01")})
                    })
                    .collect();
                self.page(request, v)
            }
            ("generalLedgerEntries", None, "") if get => {
                let expand = request.query.get("$expand").map(String::as_str);
                let v = self
                    .entries
                    .iter()
                    .map(|e| {
                        let mut j = json!({"id": e.id, "entryNumber": e.entry_number,
                            "postingDate": e.posting_date, "documentNumber": e.document_number,
                            "documentType": " ", "accountId": e.account_id,
                            "accountNumber": e.account_number, "description": e.description,
                            "debitAmount": number(e.debit), "creditAmount": number(e.credit)});
                        if expand == Some("dimensionSetLines") {
                            j["dimensionSetLines"] = dim_json(&e.dims);
                        }
                        j
                    })
                    .collect();
                self.page(request, v)
            }
            ("journals", None, "") if get => {
                let v = self
                    .journals
                    .iter()
                    .map(|j| {
                        json!({"id": j.id, "code": j.code, "displayName": j.name,
                        "templateDisplayName": "GENERAL"})
                    })
                    .collect();
                self.page(request, v)
            }
            ("journals", None, "") if request.method == Method::POST => {
                self.create_journal(request)
            }
            ("journals", Some(id), tail) => {
                let id = id.to_owned();
                let Some(journal) = self.journals.iter().find(|j| j.id == id).cloned() else {
                    return odata_error(
                        404,
                        "Internal_RecordNotFound",
                        &format!(
                            "The Gen. Journal Batch does not exist. Identification fields and values: Id='{id}'"
                        ),
                    );
                };
                self.journal(request, &journal, tail)
            }
            _ => odata_error(
                404,
                "BadRequest_MethodNotAllowed",
                &format!("'{} {rest}' is not supported", request.method),
            ),
        }
    }

    /// `POST journals`: a new batch in the GENERAL template; the code is unique.
    fn create_journal(&mut self, request: &ApiRequest) -> Response<Body> {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return odata_error(400, "BadRequest_InvalidRequestBody", &e.to_string()),
        };
        let code = body["code"].as_str().unwrap_or("").to_uppercase();
        if code.is_empty() || code.len() > 10 {
            return odata_error(
                400,
                "Application_StringExceededLength",
                &format!(
                    "The length of the string is {}, but it must be less than or equal to 10 characters. Value: {code}",
                    code.len()
                ),
            );
        }
        if self.journals.iter().any(|j| j.code == code) {
            return odata_error(
                400,
                "Internal_EntityWithSameKeyExists",
                &format!(
                    "The record already exists. Identification fields and values: Journal Template Name='GENERAL',Name='{code}'"
                ),
            );
        }
        let journal = Journal {
            id: self.guid(),
            code: code.clone(),
            name: body["displayName"].as_str().unwrap_or(&code).to_owned(),
        };
        self.journals.push(journal.clone());
        json_response(
            201,
            &json!({"id": journal.id, "code": journal.code, "displayName": journal.name,
                "templateDisplayName": "GENERAL"}),
        )
    }

    fn journal(&mut self, request: &ApiRequest, journal: &Journal, tail: &str) -> Response<Body> {
        let (entity, key, rest) = segment(tail);
        match (&request.method, entity, key, rest) {
            (&Method::POST, "Microsoft.NAV.post", None, "") => self.post_batch(journal),
            (&Method::GET, "journalLines", None, "") => {
                let expand = request.query.get("$expand").map(String::as_str);
                let v = self
                    .lines
                    .iter()
                    .filter(|l| l.journal == journal.id)
                    .map(|l| {
                        let mut j = line_json(l, journal);
                        if expand == Some("dimensionSetLines") {
                            j["dimensionSetLines"] = dim_json(&l.dims);
                        }
                        j
                    })
                    .collect();
                self.page(request, v)
            }
            (&Method::POST, "journalLines", None, "") => self.create_line(request, journal),
            (&Method::DELETE, "journalLines", Some(id), "") => {
                let before = self.lines.len();
                self.lines
                    .retain(|l| !(l.id == id && l.journal == journal.id));
                if self.lines.len() == before {
                    return odata_error(
                        404,
                        "Internal_RecordNotFound",
                        &format!(
                            "The Gen. Journal Line does not exist. Identification fields and values: Id='{id}'"
                        ),
                    );
                }
                self.stats.lines_deleted += 1;
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::NO_CONTENT;
                response
            }
            (&Method::POST, "journalLines", Some(id), "dimensionSetLines") => {
                let id = id.to_owned();
                self.create_dim_line(request, journal, &id)
            }
            _ => odata_error(
                404,
                "BadRequest_MethodNotAllowed",
                &format!("'{} {tail}' is not supported", request.method),
            ),
        }
    }

    /// `POST journalLines` (`api/dynamics_journalline_create`). No idempotency: every accepted
    /// request is a new line.
    fn create_line(&mut self, request: &ApiRequest, journal: &Journal) -> Response<Body> {
        if let Some(n) = self.fail_line_create {
            if n <= 1 {
                self.fail_line_create = None;
                return with_retry_after(
                    odata_error(
                        503,
                        "Internal_ServiceUnavailable",
                        "The service is temporarily unavailable.",
                    ),
                    1,
                );
            }
            self.fail_line_create = Some(n - 1);
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return odata_error(400, "BadRequest_InvalidRequestBody", &e.to_string()),
        };
        let text = |field: &str| {
            body.get(field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        for (field, max) in [
            ("documentNumber", 20),
            ("description", 100),
            ("externalDocumentNumber", 35),
        ] {
            let value = text(field);
            if value.chars().count() > max {
                return odata_error(
                    400,
                    "Application_StringExceededLength",
                    &format!(
                        "The length of the string is {}, but it must be less than or equal to {max} characters. Value: {value}",
                        value.chars().count()
                    ),
                );
            }
        }
        let account_type = body
            .get("accountType")
            .and_then(Value::as_str)
            .unwrap_or("G/L Account");
        if account_type != "G/L Account" {
            return odata_error(
                400,
                "BadRequest_InvalidRequestBody",
                &format!("accountType '{account_type}' is not supported by this simulator"),
            );
        }
        let by_id = text("accountId");
        let by_number = text("accountNumber");
        let account = self
            .accounts
            .iter()
            .find(|a| {
                (!by_id.is_empty() && a.id == by_id) || (by_id.is_empty() && a.number == by_number)
            })
            .cloned();
        let Some(account) = account else {
            let shown = if by_id.is_empty() { by_number } else { by_id };
            return odata_error(
                400,
                "Internal_RecordNotFound",
                &format!(
                    "The G/L Account does not exist. Identification fields and values: No.='{shown}'"
                ),
            );
        };
        if account.blocked {
            return odata_error(
                400,
                "Application_FieldValidationException",
                &format!(
                    "Blocked must be equal to 'No'  in G/L Account: No.={}. Current value is 'Yes'.",
                    account.number
                ),
            );
        }
        if account.account_type != "Posting" || !account.direct_posting {
            return odata_error(
                400,
                "Application_FieldValidationException",
                &format!(
                    "Account Type must be equal to 'Posting'  in G/L Account: No.={}. Current value is '{}'.",
                    account.number, account.account_type
                ),
            );
        }
        let Some(amount) = body.get("amount").and_then(decimal_of) else {
            return odata_error(
                400,
                "BadRequest_InvalidRequestBody",
                "amount must be a number",
            );
        };
        let tax_code = text("taxCode");
        if !tax_code.is_empty() && !self.tax_groups.iter().any(|(c, _)| *c == tax_code) {
            return odata_error(
                400,
                "Internal_RecordNotFound",
                &format!(
                    "The Tax Group does not exist. Identification fields and values: Code='{tax_code}'"
                ),
            );
        }
        let posting_date = text("postingDate");
        if chrono::NaiveDate::parse_from_str(&posting_date, "%Y-%m-%d").is_err() {
            return odata_error(
                400,
                "BadRequest_InvalidRequestBody",
                &format!(
                    "Cannot convert the literal '{posting_date}' to the expected type 'Edm.Date'."
                ),
            );
        }
        let line_number = self
            .lines
            .iter()
            .filter(|l| l.journal == journal.id)
            .map(|l| l.line_number)
            .max()
            .unwrap_or(0)
            + 10000;
        let line = Line {
            id: self.guid(),
            journal: journal.id.clone(),
            line_number,
            account_id: account.id.clone(),
            account_number: account.number.clone(),
            posting_date,
            document_number: text("documentNumber"),
            amount,
            description: text("description"),
            tax_code,
            dims: Vec::new(),
        };
        self.stats.lines_created += 1;
        let answer = line_json(&line, journal);
        self.lines.push(line);
        json_response(201, &answer)
    }

    /// `POST journalLines({id})/dimensionSetLines` (`resources/dynamics_dimensionsetline`).
    fn create_dim_line(
        &mut self,
        request: &ApiRequest,
        journal: &Journal,
        line: &str,
    ) -> Response<Body> {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return odata_error(400, "BadRequest_InvalidRequestBody", &e.to_string()),
        };
        let code = body["code"].as_str().unwrap_or("").to_uppercase();
        let value = body["valueCode"].as_str().unwrap_or("").to_uppercase();
        let Some(dim) = self.dims.iter().find(|d| d.code == code).cloned() else {
            return odata_error(
                400,
                "Internal_RecordNotFound",
                &format!(
                    "The Dimension does not exist. Identification fields and values: Code='{code}'"
                ),
            );
        };
        let Some(found) = dim.values.iter().find(|v| v.code == value) else {
            return odata_error(
                400,
                "Application_DialogException",
                &format!("Dimension Value {value} has not been set up for Dimension {code}."),
            );
        };
        let Some(l) = self
            .lines
            .iter_mut()
            .find(|l| l.id == line && l.journal == journal.id)
        else {
            return odata_error(
                404,
                "Internal_RecordNotFound",
                &format!(
                    "The Gen. Journal Line does not exist. Identification fields and values: Id='{line}'"
                ),
            );
        };
        if l.dims.iter().any(|d| d.dimension == code) {
            return odata_error(
                400,
                "Internal_EntityWithSameKeyExists",
                &format!(
                    "The record already exists. Identification fields and values: Dimension Code='{code}'"
                ),
            );
        }
        l.dims.push(DimSetLine {
            dimension: code.clone(),
            value: value.clone(),
        });
        json_response(
            201,
            &json!({"id": dim.id, "code": code, "parentId": line, "parentType": "Journal Line",
                "displayName": dim.name, "valueId": found.id, "valueCode": value,
                "valueDisplayName": found.name}),
        )
    }

    /// `Microsoft.NAV.post` (`resources/dynamics_journal`, bound actions): the whole batch in
    /// one transaction, or nothing.
    fn post_batch(&mut self, journal: &Journal) -> Response<Body> {
        if self.fail_posts > 0 {
            self.fail_posts -= 1;
            return with_retry_after(
                odata_error(
                    503,
                    "Internal_ServiceUnavailable",
                    "The service is temporarily unavailable.",
                ),
                1,
            );
        }
        self.stats.posts += 1;
        let lines: Vec<Line> = self
            .lines
            .iter()
            .filter(|l| l.journal == journal.id)
            .cloned()
            .collect();
        if lines.is_empty() {
            return odata_error(
                400,
                "Application_DialogException",
                "There is nothing to post.",
            );
        }
        let mut balance: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
        for l in &lines {
            *balance
                .entry((l.document_number.as_str(), l.posting_date.as_str()))
                .or_default() += l.amount;
            let open = self
                .periods
                .iter()
                .rev()
                .find(|(start, _, _)| start.as_str() <= l.posting_date.as_str())
                .is_some_and(|(_, _, closed)| !closed);
            let allowed = self
                .allow_posting_from
                .as_deref()
                .is_none_or(|from| from <= l.posting_date.as_str());
            if !open || !allowed {
                return odata_error(
                    400,
                    "Application_DialogException",
                    &format!(
                        "Posting Date {} is not within your range of allowed posting dates in Gen. Journal Line Journal Template Name='GENERAL',Journal Batch Name='{}',Line No.='{}'",
                        l.posting_date, journal.code, l.line_number
                    ),
                );
            }
        }
        if let Some(((doc, date), off)) = balance.iter().find(|(_, sum)| !sum.is_zero()) {
            return odata_error(
                400,
                "Application_DialogException",
                &format!(
                    "Document No. {doc} is out of balance by {off}. Check the amount on the journal lines with posting date {date}."
                ),
            );
        }
        let mut transactions: HashMap<String, i64> = HashMap::new();
        for l in lines {
            let tx = *transactions
                .entry(l.document_number.clone())
                .or_insert_with(|| {
                    let t = self.next_transaction;
                    self.next_transaction += 1;
                    t
                });
            let entry = Entry {
                id: self.guid(),
                entry_number: self.next_entry,
                transaction: tx,
                posting_date: l.posting_date.clone(),
                document_number: l.document_number.clone(),
                account_id: l.account_id.clone(),
                account_number: l.account_number.clone(),
                description: l.description.clone(),
                debit: l.amount.max(Decimal::ZERO),
                credit: (-l.amount).max(Decimal::ZERO),
                dims: l.dims.clone(),
            };
            self.next_entry += 1;
            self.entries.push(entry);
        }
        self.lines.retain(|l| l.journal != journal.id);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    }
}

fn line_json(l: &Line, journal: &Journal) -> Value {
    json!({"id": l.id, "journalId": journal.id, "journalDisplayName": journal.code,
        "lineNumber": l.line_number, "accountType": "G/L Account", "accountId": l.account_id,
        "accountNumber": l.account_number, "postingDate": l.posting_date,
        "documentNumber": l.document_number, "externalDocumentNumber": "",
        "amount": number(l.amount), "description": l.description, "comment": "",
        "taxCode": l.tax_code})
}

fn dim_json(dims: &[DimSetLine]) -> Value {
    Value::Array(
        dims.iter()
            .map(|d| json!({"code": d.dimension, "valueCode": d.value}))
            .collect(),
    )
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// --- Entra ID -------------------------------------------------------------------------------

/// `GET /{tenant}/oauth2/v2.0/authorize` (`v2-oauth2-auth-code-flow#request-an-authorization-code`):
/// the simulator's user is signed in and consents; the answer redirects to the loopback
/// `redirect_uri` with `code` and `state`. PKCE with S256 is required of a public client.
fn authorize(state: &Arc<Mutex<State>>, query: &HashMap<String, String>) -> Response<Body> {
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return oauth_error(
            "unauthorized_client",
            700016,
            "Application with identifier was not found in the directory.",
        );
    }
    let redirect = get("redirect_uri");
    // Loopback redirect URIs may use any port (RFC 8252 7.3; `reply-url#localhost-exceptions`).
    if !(redirect.starts_with("http://127.0.0.1:") || redirect.starts_with("http://localhost:")) {
        return oauth_error(
            "invalid_request",
            50011,
            "The redirect URI specified in the request does not match the redirect URIs configured for the application.",
        );
    }
    if get("response_type") != "code" {
        return oauth_error(
            "unsupported_response_type",
            700054,
            "response_type must be 'code'.",
        );
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return oauth_error(
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    }
    if !get("scope").contains("api.businesscentral.dynamics.com") {
        return oauth_error(
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid.",
        );
    }
    let mut s = lock(state);
    let code = s.token("code-");
    s.codes.insert(
        code.clone(),
        (get("code_challenge"), redirect.clone(), Instant::now()),
    );
    let location = format!(
        "{redirect}{}code={}&state={}",
        if redirect.contains('?') { "&" } else { "?" },
        encode(&code),
        encode(&get("state"))
    );
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    response
        .headers_mut()
        .insert("location", location.parse().expect("location"));
    response
}

/// `POST /{tenant}/oauth2/v2.0/token`: `authorization_code` with the PKCE verifier, or
/// `refresh_token` (`v2-oauth2-auth-code-flow#refresh-the-access-token`). Each answer carries a
/// new refresh token (`refresh-tokens`: they replace themselves on every use).
fn token(state: &Arc<Mutex<State>>, body: &str) -> Response<Body> {
    let params = form(body);
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return oauth_error(
            "unauthorized_client",
            700016,
            "Application with identifier was not found in the directory.",
        );
    }
    if params.contains_key("client_secret") || params.contains_key("client_assertion") {
        return oauth_error(
            "invalid_request",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        );
    }
    let mut s = lock(state);
    let grant = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some((challenge, redirect, issued)) = s.codes.remove(&get("code")) else {
                return oauth_error(
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                );
            };
            if issued.elapsed() > Duration::from_secs(600) {
                return oauth_error(
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity.",
                );
            }
            if redirect != get("redirect_uri") {
                return oauth_error(
                    "invalid_grant",
                    500112,
                    "The reply address does not match the reply address provided when requesting Authorization code.",
                );
            }
            let verifier = get("code_verifier");
            if base64url(&Sha256::digest(verifier.as_bytes())) != challenge {
                return oauth_error(
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                );
            }
            s.stats.token_by_code += 1;
            s.grants.push(Grant { revoked: false });
            s.grants.len() - 1
        }
        "refresh_token" => {
            let Some(grant) = s.refresh.get(&get("refresh_token")).copied() else {
                return oauth_error(
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid.",
                );
            };
            if s.grants[grant].revoked {
                return oauth_error(
                    "invalid_grant",
                    50173,
                    "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
                );
            }
            s.stats.token_by_refresh += 1;
            grant
        }
        other => {
            return oauth_error(
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            );
        }
    };
    let access = s.token("eyJ0eXAiOiJKV1Qi.sim.");
    let refresh = s.token("0.AAAA-sim-refresh.");
    let lifetime = s.config.access_token_lifetime;
    s.access.insert(access.clone(), Instant::now() + lifetime);
    s.refresh.insert(refresh.clone(), grant);
    json_response(
        200,
        &json!({
            "token_type": "Bearer",
            "scope": "https://api.businesscentral.dynamics.com/Financials.ReadWrite.All",
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": access,
            "refresh_token": refresh,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_or_clauses_with_quotes() {
        assert_eq!(
            parse_filter("documentNumber eq 'A-1' or documentNumber eq 'O''B'").unwrap(),
            vec![
                ("documentNumber".to_owned(), "A-1".to_owned()),
                ("documentNumber".to_owned(), "O'B".to_owned())
            ]
        );
        assert!(parse_filter("amount gt 5").is_err());
    }

    #[test]
    fn base64url_is_rfc_7636s() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            base64url(&Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
