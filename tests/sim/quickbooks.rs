//! A QuickBooks Online simulator: the parts of Intuit's OAuth 2.0 service and of the QuickBooks
//! Online Accounting API (v3) that Folio's `quickbooks` connector uses, served by axum on
//! 127.0.0.1 (a random port), with the company's books in memory.
//!
//! What it implements, each with the Intuit page it follows (cited again where it is done):
//!
//! * OAuth 2.0: the authorization endpoint (consent is given at once: the test plays the
//!   browser) redirecting to a loopback URI with `code`, `state` and `realmId`; the token
//!   endpoint for `authorization_code` and `refresh_token` grants with the app's credentials in
//!   HTTP Basic; access tokens that expire; refresh tokens that rotate (the one used is dead from
//!   then on) and can be revoked; `invalid_grant` for a dead one.
//! * `POST /v3/company/{realm}/journalentry`: validation Faults (an unbalanced entry, an
//!   unknown or inactive account, class, department, tax code or vendor, an accounts-payable
//!   line without a vendor, a `DocNumber` longer than 21 characters, a date in the closed
//!   books); `requestid` idempotency (the same id answers the first answer again, without
//!   booking); no uniqueness of `DocNumber` (the API books a second entry with the same number).
//! * `GET /v3/company/{realm}/query`: `select * from ENTITY [where F in (...)|F = v]
//!   [startposition n] [maxresults n]` over JournalEntry, Account, Class, Department, TaxCode,
//!   TaxRate, Vendor and Preferences (default page 100, at most 1000).
//! * `POST /v3/company/{realm}/batch`: up to 30 items, each processed on its own.
//! * Throttling per realm: 500 requests a minute (batch items counted one by one), 10 at once,
//!   40 batch requests a minute; HTTP 429 with a `ThrottleExceeded` Fault (no `Retry-After`).
//! * Knobs that lose the next answers after their entries were committed, or the next writes
//!   before they reach the books (the client sees no answer either way: the connection hangs
//!   until it gives up).
//!
//! Every request is recorded (method, path, query) so tests can assert what Folio sent: the
//! pinned `minorversion`, a `requestid` on every write, no token in a URL.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pages the behaviours follow.
pub mod docs {
    /// Request ID: "If the service receives another request with the same RequestID, instead of
    /// performing the operation again or returning an error, the service sends the same response
    /// as it did for the original request"; unique per company; at most 50 characters (36 for a
    /// batch).
    pub const REQUEST_ID: &str = "https://blogs.intuit.com/blog/2015/04/06/15346/";
    /// Best practices: "If no request-id is specified, a duplicate transaction with a new ID is
    /// created"; minorversion as a query parameter on every request.
    pub const BEST_PRACTICES: &str =
        "https://developer.intuit.com/hub/blog/2018/09/10/quickbooks-online-api-best-practices";
    /// Error codes: HTTP statuses, the `Fault` format (type, Error code, element, Message,
    /// Detail), fault types (ValidationFault, SystemFault, AuthenticationFault, ...).
    pub const ERROR_CODES: &str =
        "https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes";
    /// Top errors: 2500 Invalid Reference Id, 610 Object Not Found, 6000 Business Validation
    /// Error, 6210 Account Period Closed.
    pub const TOP_ERRORS: &str = "https://developer.intuit.com/hub/blog/2017/06/08/top-quickbooks-online-api-errors-and-how-to-handle-them/";
    /// Batch: `/v3/company/<realmID>/batch`, `BatchItemRequest` with `bId` and `operation`, at
    /// most 30 payloads per batch, 40 batch requests per minute per realm.
    pub const BATCH: &str =
        "https://blogs.intuit.com/2023/07/19/building-smarter-with-intuit-batch-without-a-scratch/";
    /// Throttling: "Applications cannot make more than 10 API requests to the same realmId ...
    /// will get a 429 response"; "API calls are throttled at 500 requests per minute per
    /// realmId, including batch requests".
    pub const THROTTLING: &str =
        "https://blogs.intuit.com/blog/2016/08/08/idg-concurrent-api-use-changes-coming-soon/";
    /// The 429's text: `message=ThrottleExceeded; errorCode=003001; statusCode=429`.
    pub const THROTTLE_FAULT: &str = "https://help.mobius-connect.com/support/solutions/articles/44002519554-message-throttleexceeded-errorcode-003001-statuscode-429";
    /// Each item of a batch is metered like a single call (Intuit's batch sample's notes).
    pub const BATCH_METERING: &str =
        "https://github.com/IntuitDeveloper/SampleApp-Batch-Java/blob/main/docs/batch-tutorial.md";
    /// OAuth FAQ: access tokens valid 3600 s; use the latest refresh token returned; 401 means the
    /// access token expired.
    pub const OAUTH_FAQ: &str = "https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq";
    /// Token management: `Authorization: bearer {accessToken}`; the refresh token is sent to the
    /// token endpoint; refresh tokens roll (100 days from the last use).
    pub const TOKEN_MANAGEMENT: &str =
        "https://blogs.intuit.com/2024/06/03/oauth-token-management-done-the-right-way/";
    /// The token endpoint (`https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`) answers a
    /// dead refresh token with 400 `invalid_grant`; the rotated token must be persisted, the old
    /// one is unusable.
    pub const INVALID_GRANT: &str =
        "https://nango.dev/blog/quickbooks-oauth-refresh-token-invalid-grant";
}

/// An account of the simulated company.
#[derive(Debug, Clone)]
pub struct SimAccount {
    /// `AcctNum` (the account number Folio uses as the code).
    pub number: String,
    pub name: String,
    /// `AccountType`: `Expense`, `Other Current Asset`, `Accounts Payable`, ...
    pub account_type: String,
    pub active: bool,
}

/// The simulated company's lists (what an accountant set up before Folio connects).
#[derive(Debug, Clone)]
pub struct Company {
    pub realm: String,
    pub home_currency: String,
    pub accounts: Vec<SimAccount>,
    /// Class names (Folio's first dimension).
    pub classes: Vec<String>,
    /// Department (location) names.
    pub departments: Vec<String>,
    /// Tax code names and their purchase rate in percent.
    pub tax_codes: Vec<(String, Decimal)>,
    /// Vendor display names.
    pub vendors: Vec<String>,
    /// `Preferences.AccountingInfoPrefs.BookCloseDate`.
    pub book_close_date: Option<NaiveDate>,
}

impl Company {
    /// A company whose chart is `accounts` (Folio's), with `payables` as its accounts-payable
    /// accounts, and the given lists.
    pub fn from_chart(
        accounts: &[folio_domain::Account],
        payables: &[&str],
        classes: &[&str],
        departments: &[&str],
        vendors: &[&str],
    ) -> Company {
        use folio_domain::AccountKind;
        let accounts = accounts
            .iter()
            .filter(|a| a.postable)
            .map(|a| SimAccount {
                number: a.code.clone(),
                name: a.name.clone(),
                account_type: if payables.contains(&a.code.as_str()) {
                    "Accounts Payable"
                } else {
                    match a.kind {
                        AccountKind::Asset => "Other Current Asset",
                        AccountKind::Liability => "Other Current Liability",
                        AccountKind::Equity => "Equity",
                        AccountKind::Income => "Income",
                        AccountKind::Expense => "Expense",
                    }
                }
                .to_owned(),
                active: a.active,
            })
            .collect();
        Company {
            realm: "9341453172356789".into(),
            home_currency: "EUR".into(),
            accounts,
            classes: classes.iter().map(|s| (*s).to_owned()).collect(),
            departments: departments.iter().map(|s| (*s).to_owned()).collect(),
            tax_codes: vec![
                ("V19".into(), Decimal::new(19, 0)),
                ("V7".into(), Decimal::new(7, 0)),
            ],
            vendors: vendors.iter().map(|s| (*s).to_owned()).collect(),
            book_close_date: None,
        }
    }
}

/// The app registered with the simulated Intuit.
pub const CLIENT_ID: &str = "ABfolioSimClientId0123456789";
pub const CLIENT_SECRET: &str = "sim-client-secret-0f3c9a";

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub status: u16,
}

#[derive(Debug)]
struct Refresh {
    /// Dead once used (rotated) or revoked.
    live: bool,
    expires: Instant,
}

#[derive(Debug)]
struct Books {
    company: Company,
    /// Name-list objects by entity: (Id, object).
    lists: BTreeMap<&'static str, Vec<Value>>,
    entries: Vec<Value>,
    next_id: u64,
    /// `requestid` → the first answer (status, body).
    answers: HashMap<String, (u16, Value)>,
}

#[derive(Debug)]
struct Auth {
    codes: HashMap<String, (String, Option<String>)>,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Refresh>,
    access_lifetime: Duration,
    refresh_lifetime: Duration,
    counter: u64,
}

#[derive(Debug, Default)]
struct Throttle {
    /// Metered calls in the last minute (one per request, one per batch item).
    calls: VecDeque<Instant>,
    batches: VecDeque<Instant>,
    in_flight: usize,
}

#[derive(Debug)]
struct Shared {
    books: Mutex<Books>,
    auth: Mutex<Auth>,
    throttle: Mutex<Throttle>,
    limits: Mutex<Limits>,
    seen: Mutex<Vec<Seen>>,
    /// Answers to lose after their commit.
    lose: Mutex<u32>,
    /// Write requests to lose before they reach the books.
    drop: Mutex<u32>,
    /// How long each API request takes inside the "server" (so that concurrency is real).
    latency: Mutex<Duration>,
}

/// The throttles (Intuit's documented values by default).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_minute: usize,
    pub concurrent: usize,
    pub batches_per_minute: usize,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        // docs::THROTTLING and docs::BATCH.
        Limits {
            per_minute: 500,
            concurrent: 10,
            batches_per_minute: 40,
            window: Duration::from_secs(60),
        }
    }
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct QboSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for QboSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn rand_token(prefix: &str, counter: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(counter);
    format!("{prefix}{counter}x{:016x}", h.finish())
}

impl QboSim {
    /// Starts the simulator for `company` on 127.0.0.1 (call inside a tokio runtime).
    pub async fn start(company: Company) -> QboSim {
        let mut lists: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
        let mut id = 0u64;
        let mut next = || {
            id += 1;
            id.to_string()
        };
        lists.insert(
            "Account",
            company
                .accounts
                .iter()
                .map(|a| {
                    json!({"Id": next(), "Name": a.name, "AcctNum": a.number,
                        "FullyQualifiedName": a.name, "AccountType": a.account_type,
                        "Classification": classification(&a.account_type),
                        "Active": a.active, "SyncToken": "0"})
                })
                .collect(),
        );
        for (entity, names) in [
            ("Class", &company.classes),
            ("Department", &company.departments),
        ] {
            lists.insert(
                entity,
                names
                    .iter()
                    .map(|n| {
                        json!({"Id": next(), "Name": n, "FullyQualifiedName": n,
                            "Active": true, "SyncToken": "0"})
                    })
                    .collect(),
            );
        }
        let mut rates = Vec::new();
        let mut codes = Vec::new();
        for (name, rate) in &company.tax_codes {
            let rate_id = next();
            rates.push(json!({"Id": rate_id, "Name": format!("{name} purchase"),
                "RateValue": rate.to_string(), "Active": true}));
            codes.push(
                json!({"Id": next(), "Name": name, "Description": format!("{name} %"),
                "Active": true, "Taxable": true,
                "PurchaseTaxRateList": {"TaxRateDetail": [
                    {"TaxRateRef": {"value": rate_id}, "TaxTypeApplicable": "TaxOnAmount",
                     "TaxOrder": 0}]},
                "SalesTaxRateList": {"TaxRateDetail": []}}),
            );
        }
        lists.insert("TaxRate", rates);
        lists.insert("TaxCode", codes);
        lists.insert(
            "Vendor",
            company
                .vendors
                .iter()
                .map(|n| {
                    json!({"Id": next(), "DisplayName": n, "CompanyName": n,
                        "Active": true, "SyncToken": "0"})
                })
                .collect(),
        );
        let shared = Arc::new(Shared {
            books: Mutex::new(Books {
                company,
                lists,
                entries: Vec::new(),
                next_id: 1000,
                answers: HashMap::new(),
            }),
            auth: Mutex::new(Auth {
                codes: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                // docs::OAUTH_FAQ: one hour; refresh tokens 100 days (docs::TOKEN_MANAGEMENT).
                access_lifetime: Duration::from_secs(3600),
                refresh_lifetime: Duration::from_secs(100 * 86_400),
                counter: 0,
            }),
            throttle: Mutex::new(Throttle::default()),
            limits: Mutex::new(Limits::default()),
            seen: Mutex::new(Vec::new()),
            lose: Mutex::new(0),
            drop: Mutex::new(0),
            latency: Mutex::new(Duration::ZERO),
        });
        let app = axum::Router::new()
            .route("/connect/oauth2", get(authorize))
            .route("/oauth2/v1/tokens/bearer", post(token))
            .route("/v3/company/{realm}/journalentry", post(create_entry))
            .route("/v3/company/{realm}/query", get(query))
            .route("/v3/company/{realm}/batch", post(batch))
            .route("/v3/company/{realm}/preferences", get(preferences))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the simulator binds 127.0.0.1");
        let addr = listener.local_addr().expect("an address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        QboSim { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`: the API's and the OAuth service's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn realm(&self) -> String {
        lock(&self.shared.books).company.realm.clone()
    }

    /// The company URL Folio is configured with: `BASE/v3/company/REALM`.
    pub fn company_url(&self) -> String {
        format!("{}/v3/company/{}", self.url(), self.realm())
    }

    /// A refresh token and an access token, as a finished sign-in would have stored them.
    pub fn grant(&self) -> (String, String) {
        let mut auth = lock(&self.shared.auth);
        issue(&mut auth)
    }

    /// Access tokens issued from now on live `lifetime`.
    pub fn set_access_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.auth).access_lifetime = lifetime;
    }

    /// Every access token expires now (the next API call is a 401).
    pub fn expire_access_tokens(&self) {
        lock(&self.shared.auth).access.clear();
    }

    /// The user disconnected the app: every refresh and access token is dead.
    pub fn revoke_grants(&self) {
        let mut auth = lock(&self.shared.auth);
        auth.access.clear();
        for r in auth.refresh.values_mut() {
            r.live = false;
        }
    }

    pub fn set_limits(&self, limits: Limits) {
        *lock(&self.shared.limits) = limits;
    }

    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// The next `n` answers to writes (single or batch) are lost after their commit.
    pub fn lose_next_answers(&self, n: u32) {
        *lock(&self.shared.lose) = n;
    }

    /// The next `n` writes are lost on the way in: nothing is booked, the client hears nothing.
    pub fn drop_next_requests(&self, n: u32) {
        *lock(&self.shared.drop) = n;
    }

    /// Deactivates the account numbered `number` (an accountant's change after Folio read the
    /// chart).
    pub fn deactivate_account(&self, number: &str) {
        let mut books = lock(&self.shared.books);
        if let Some(accounts) = books.lists.get_mut("Account") {
            for a in accounts.iter_mut() {
                if a["AcctNum"] == number {
                    a["Active"] = json!(false);
                }
            }
        }
    }

    pub fn set_book_close_date(&self, date: Option<NaiveDate>) {
        lock(&self.shared.books).company.book_close_date = date;
    }

    /// Every journal entry booked, as stored.
    pub fn entries(&self) -> Vec<Value> {
        lock(&self.shared.books).entries.clone()
    }

    /// How many entries carry each `DocNumber`.
    pub fn doc_number_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for e in lock(&self.shared.books).entries.iter() {
            let n = e["DocNumber"].as_str().unwrap_or_default().to_owned();
            *counts.entry(n).or_insert(0) += 1;
        }
        counts
    }

    /// The books' own check: every entry balanced. Empty when they are.
    pub fn check(&self) -> String {
        let mut problems = Vec::new();
        for e in lock(&self.shared.books).entries.iter() {
            let (d, c) = sides(e);
            if d != c {
                problems.push(format!(
                    "{} does not balance: debits {d}, credits {c}",
                    e["DocNumber"]
                ));
            }
        }
        problems.join("; ")
    }

    /// Every access and refresh token issued so far (tests look for them where none may be).
    pub fn issued_tokens(&self) -> Vec<String> {
        let auth = lock(&self.shared.auth);
        auth.access
            .keys()
            .chain(auth.refresh.keys())
            .cloned()
            .collect()
    }

    /// Every request seen.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn classification(account_type: &str) -> &'static str {
    match account_type {
        "Expense" | "Other Expense" | "Cost of Goods Sold" => "Expense",
        "Income" | "Other Income" => "Revenue",
        "Equity" => "Equity",
        "Accounts Payable" | "Other Current Liability" | "Long Term Liability" | "Credit Card" => {
            "Liability"
        }
        _ => "Asset",
    }
}

fn issue(auth: &mut Auth) -> (String, String) {
    auth.counter += 1;
    let refresh = rand_token("RT", auth.counter);
    let access = rand_token("AT", auth.counter);
    let now = Instant::now();
    auth.refresh.insert(
        refresh.clone(),
        Refresh {
            live: true,
            expires: now + auth.refresh_lifetime,
        },
    );
    auth.access
        .insert(access.clone(), now + auth.access_lifetime);
    (refresh, access)
}

fn params(raw: Option<&str>) -> BTreeMap<String, String> {
    let Some(raw) = raw else {
        return BTreeMap::new();
    };
    reqwest::Url::parse(&format!("http://x/?{raw}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A Fault in Intuit's JSON form (docs::ERROR_CODES).
fn fault(kind: &str, code: &str, message: &str, detail: &str, element: &str) -> Value {
    json!({"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
        "element": element}], "type": kind}, "time": "2026-11-22T00:00:00.000-08:00"})
}

fn record(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &BTreeMap<String, String>,
    status: u16,
) {
    lock(&shared.seen).push(Seen {
        method: method.into(),
        path: path.into(),
        query: query.clone(),
        status,
    });
}

// ---------------------------------------------------------------------------------------------
// OAuth 2.0

/// The authorization endpoint (`https://appcenter.intuit.com/connect/oauth2`): the user signs in
/// and consents (here at once), and the browser is redirected to `redirect_uri` with `code`,
/// `state` and `realmId` (docs::OAUTH_FAQ, docs::TOKEN_MANAGEMENT: "after receiving the
/// authorization code and realmID ... check that the state value ... matches"). A desktop app's
/// redirect is a loopback URI (RFC 8252 §7.3); PKCE's `code_challenge` (RFC 7636), when sent,
/// is checked at the token endpoint.
async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let q = params(raw.as_deref());
    let status;
    let response = if q.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        status = 400;
        json_response(400, &json!({"error": "invalid_client"}))
    } else if q.get("response_type").map(String::as_str) != Some("code")
        || !q
            .get("scope")
            .is_some_and(|s| s.contains("com.intuit.quickbooks.accounting"))
    {
        status = 400;
        json_response(400, &json!({"error": "invalid_request"}))
    } else {
        let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
        let loopback = redirect.starts_with("http://127.0.0.1:")
            || redirect.starts_with("http://localhost:")
            || redirect.starts_with("http://[::1]:");
        if !loopback {
            status = 400;
            json_response(
                400,
                &json!({"error": "invalid_request",
                "error_description": "redirect_uri is not registered"}),
            )
        } else {
            let mut auth = lock(&shared.auth);
            auth.counter += 1;
            let code = rand_token("AB11", auth.counter);
            let challenge = match q.get("code_challenge_method").map(String::as_str) {
                Some("S256") => q.get("code_challenge").cloned(),
                _ => None,
            };
            auth.codes
                .insert(code.clone(), (redirect.clone(), challenge));
            let realm = lock(&shared.books).company.realm.clone();
            let mut location = reqwest::Url::parse(&redirect).expect("a URL");
            location
                .query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("state", q.get("state").map_or("", String::as_str))
                .append_pair("realmId", &realm);
            status = 302;
            (
                StatusCode::FOUND,
                [(header::LOCATION, location.to_string())],
                "",
            )
                .into_response()
        }
    };
    record(&shared, "GET", "/connect/oauth2", &q, status);
    response
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.trim().bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

fn sha256_base64url(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(v >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// The token endpoint (`https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer`): the app's
/// client id and secret in HTTP Basic, a form body with `grant_type`. An answer carries
/// `access_token` (3600 s), `refresh_token` and `x_refresh_token_expires_in`
/// (docs::OAUTH_FAQ, docs::TOKEN_MANAGEMENT). A refresh rotates the refresh token: the one used
/// is dead afterwards, and a dead, revoked or expired one is `400 invalid_grant`
/// (docs::INVALID_GRANT).
async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = params(std::str::from_utf8(&body).ok());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(base64_decode)
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let (status, answer) = if basic.as_deref() != Some(expected.as_str()) {
        (401, json!({"error": "invalid_client"}))
    } else {
        let mut auth = lock(&shared.auth);
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let code = form.get("code").cloned().unwrap_or_default();
                match auth.codes.remove(&code) {
                    Some((redirect, challenge))
                        if form.get("redirect_uri") == Some(&redirect)
                            && challenge.as_ref().is_none_or(|c| {
                                form.get("code_verifier")
                                    .is_some_and(|v| &sha256_base64url(v) == c)
                            }) =>
                    {
                        let (refresh, access) = issue(&mut auth);
                        (200, token_answer(&auth, &refresh, &access))
                    }
                    _ => (400, json!({"error": "invalid_grant"})),
                }
            }
            Some("refresh_token") => {
                let used = form.get("refresh_token").cloned().unwrap_or_default();
                let now = Instant::now();
                match auth.refresh.get_mut(&used) {
                    Some(r) if r.live && r.expires > now => {
                        r.live = false;
                        let (refresh, access) = issue(&mut auth);
                        (200, token_answer(&auth, &refresh, &access))
                    }
                    _ => (
                        400,
                        json!({"error": "invalid_grant",
                            "error_description": "Token has been expired or revoked."}),
                    ),
                }
            }
            _ => (400, json!({"error": "unsupported_grant_type"})),
        }
    };
    let mut logged = form.clone();
    for secret in ["code", "refresh_token", "code_verifier"] {
        if logged.contains_key(secret) {
            logged.insert(secret.into(), "…".into());
        }
    }
    record(&shared, "POST", "/oauth2/v1/tokens/bearer", &logged, status);
    json_response(status, &answer)
}

fn token_answer(auth: &Auth, refresh: &str, access: &str) -> Value {
    json!({"token_type": "bearer", "access_token": access, "refresh_token": refresh,
        "expires_in": auth.access_lifetime.as_secs(),
        "x_refresh_token_expires_in": auth.refresh_lifetime.as_secs()})
}

// ---------------------------------------------------------------------------------------------
// The API

/// A request counted as in flight until dropped (also when the client goes away mid-request and
/// the handler is dropped with it).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut t = lock(&self.0.throttle);
        t.in_flight = t.in_flight.saturating_sub(1);
    }
}

/// Why an API request is refused before it reaches the books.
fn gate(
    shared: &Arc<Shared>,
    realm: &str,
    headers: &HeaderMap,
    metered: usize,
    batch: bool,
) -> Result<InFlight, Box<Response>> {
    // 401 with an AuthenticationFault when the bearer token is unknown or expired
    // (docs::OAUTH_FAQ: "If a request to the QuickBooks Online API returns ... 401 ... the access
    // token has expired"; docs::ERROR_CODES).
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or_default()
        .to_owned();
    let valid = lock(&shared.auth)
        .access
        .get(&bearer)
        .is_some_and(|expires| *expires > Instant::now());
    if !valid {
        let mut r = json_response(
            401,
            &fault(
                "AUTHENTICATION",
                "3200",
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "Token expired or invalid",
                "",
            ),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
        );
        return Err(Box::new(r));
    }
    if realm != lock(&shared.books).company.realm {
        return Err(Box::new(json_response(
            403,
            &fault(
                "AuthorizationFault",
                "120",
                "Authorization Failure",
                "AuthorizationFailure: this token is not for that company",
                "",
            ),
        )));
    }
    // docs::THROTTLING: 500 a minute per realm, 10 at once; docs::BATCH: 40 batches a minute;
    // docs::BATCH_METERING: every batch item counts; docs::THROTTLE_FAULT: the answer's text.
    let limits = *lock(&shared.limits);
    let mut t = lock(&shared.throttle);
    let now = Instant::now();
    while t.calls.front().is_some_and(|at| now - *at >= limits.window) {
        t.calls.pop_front();
    }
    while t
        .batches
        .front()
        .is_some_and(|at| now - *at >= limits.window)
    {
        t.batches.pop_front();
    }
    let over = t.calls.len() + metered > limits.per_minute
        || t.in_flight >= limits.concurrent
        || (batch && t.batches.len() >= limits.batches_per_minute);
    if over {
        return Err(Box::new(json_response(
            429,
            &fault(
                "ThrottleExceeded",
                "3001",
                "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "The request limit was reached.",
                "",
            ),
        )));
    }
    for _ in 0..metered {
        t.calls.push_back(now);
    }
    if batch {
        t.batches.push_back(now);
    }
    t.in_flight += 1;
    Ok(InFlight(Arc::clone(shared)))
}

async fn latency(shared: &Shared) {
    let wait = *lock(&shared.latency);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// Whether this write's answer is to be lost after the commit.
fn take_loss(shared: &Shared) -> bool {
    let mut lose = lock(&shared.lose);
    if *lose > 0 {
        *lose -= 1;
        true
    } else {
        false
    }
}

/// Whether this write is to be lost before it reaches the books.
fn take_drop(shared: &Shared) -> bool {
    let mut drop = lock(&shared.drop);
    if *drop > 0 {
        *drop -= 1;
        true
    } else {
        false
    }
}

/// A lost answer: the entry is committed, the client hears nothing until it gives up.
async fn lost() -> Response {
    tokio::time::sleep(Duration::from_secs(600)).await;
    json_response(504, &json!({}))
}

fn sides(entry: &Value) -> (Decimal, Decimal) {
    let mut debit = Decimal::ZERO;
    let mut credit = Decimal::ZERO;
    for line in entry["Line"].as_array().into_iter().flatten() {
        let amount = amount(&line["Amount"]).unwrap_or_default();
        match line["JournalEntryLineDetail"]["PostingType"].as_str() {
            Some("Debit") => debit += amount,
            Some("Credit") => credit += amount,
            _ => {}
        }
    }
    (debit, credit)
}

fn amount(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn find<'a>(books: &'a Books, entity: &str, id: &str) -> Option<&'a Value> {
    books
        .lists
        .get(entity)?
        .iter()
        .find(|o| o["Id"].as_str() == Some(id))
}

/// Validates and books one JournalEntry; the answer's status and body.
///
/// The checks and their Faults (docs::ERROR_CODES for the format; docs::TOP_ERRORS for the
/// codes): a reference to a missing or inactive account, class, department, tax code or vendor
/// is `2500 Invalid Reference Id`; a `DocNumber` over 21 characters is `2050 Invalid String
/// Length`; debits unequal to credits, or an accounts-payable line without a vendor `Entity`,
/// is `6000 Business Validation Error`; a date on or before the books' close date is
/// `6210 Account Period Closed`. A booked entry gets an `Id`, `SyncToken` "0" and `MetaData`.
fn book(books: &mut Books, mut entry: Value) -> (u16, Value) {
    let invalid_ref = |what: &str, id: &str, element: &str| {
        (
            400,
            fault(
                "ValidationFault",
                "2500",
                "Invalid Reference Id",
                &format!("Invalid Reference Id : {what} element id {id} not found"),
                element,
            ),
        )
    };
    let doc = entry["DocNumber"].as_str().unwrap_or_default();
    if doc.chars().count() > 21 {
        return (
            400,
            fault(
                "ValidationFault",
                "2050",
                "String length is either shorter or longer than supported by specification",
                &format!(
                    "String length specified does not match the supported length. Min:0 Max:21 \
                     supported. Supplied length:{}",
                    doc.chars().count()
                ),
                "DocNumber",
            ),
        );
    }
    let Some(lines) = entry["Line"].as_array().filter(|l| !l.is_empty()) else {
        return (
            400,
            fault(
                "ValidationFault",
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: You must fill out at least one split line.",
                "Line",
            ),
        );
    };
    for line in lines {
        let detail = &line["JournalEntryLineDetail"];
        let account_id = detail["AccountRef"]["value"].as_str().unwrap_or_default();
        let Some(account) = find(books, "Account", account_id).filter(|a| a["Active"] == true)
        else {
            return invalid_ref(
                "Accounts",
                account_id,
                "Line.JournalEntryLineDetail.AccountRef",
            );
        };
        for (field, entity, what) in [
            ("ClassRef", "Class", "Class"),
            ("DepartmentRef", "Department", "Department"),
            ("TaxCodeRef", "TaxCode", "TaxCode"),
        ] {
            if let Some(id) = detail[field]["value"].as_str()
                && find(books, entity, id).is_none_or(|o| o["Active"] != true)
            {
                return invalid_ref(what, id, &format!("Line.JournalEntryLineDetail.{field}"));
            }
        }
        let vendor = &detail["Entity"];
        if let Some(id) = vendor["EntityRef"]["value"].as_str() {
            if vendor["Type"] != "Vendor" || find(books, "Vendor", id).is_none() {
                return invalid_ref("Entity", id, "Line.JournalEntryLineDetail.Entity");
            }
        } else if account["AccountType"] == "Accounts Payable" {
            return (
                400,
                fault(
                    "ValidationFault",
                    "6000",
                    "A business validation error has occurred while processing your request",
                    "Business Validation Error: When you use Accounts Payable, you must choose a \
                     vendor in the Name field.",
                    "",
                ),
            );
        }
    }
    let (debit, credit) = sides(&entry);
    if debit != credit {
        return (
            400,
            fault(
                "ValidationFault",
                "6000",
                "A business validation error has occurred while processing your request",
                &format!(
                    "Business Validation Error: The debits ({debit}) and credits ({credit}) of a \
                     journal entry must be equal."
                ),
                "Line",
            ),
        );
    }
    if let (Some(close), Some(date)) = (
        books.company.book_close_date,
        entry["TxnDate"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
    ) && date <= close
    {
        return (
            400,
            fault(
                "ValidationFault",
                "6210",
                "Account Period Closed",
                &format!("The account period has closed and the books are closed through {close}"),
                "TxnDate",
            ),
        );
    }
    books.next_id += 1;
    entry["Id"] = json!(books.next_id.to_string());
    entry["SyncToken"] = json!("0");
    entry["TotalAmt"] = json!(debit.to_string());
    entry["MetaData"] = json!({"CreateTime": "2026-11-22T00:00:00-08:00"});
    if entry["CurrencyRef"].is_null() {
        entry["CurrencyRef"] = json!({"value": books.company.home_currency});
    }
    books.entries.push(entry.clone());
    (
        200,
        json!({"JournalEntry": entry, "time": "2026-11-22T00:00:00.000-08:00"}),
    )
}

/// `POST /v3/company/{realm}/journalentry?minorversion=N&requestid=ID`. The `requestid`
/// (docs::REQUEST_ID, docs::BEST_PRACTICES): a second request with the same id answers the first
/// answer again and books nothing; without one every request books a new entry. At most 50
/// characters.
async fn create_entry(
    State(shared): State<Arc<Shared>>,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let q = params(raw.as_deref());
    let path = format!("/v3/company/{realm}/journalentry");
    let in_flight = match gate(&shared, &realm, &headers, 1, false) {
        Ok(f) => f,
        Err(r) => {
            record(&shared, "POST", &path, &q, r.status().as_u16());
            return *r;
        }
    };
    if take_drop(&shared) {
        drop(in_flight);
        record(&shared, "POST", &path, &q, 0);
        return lost().await;
    }
    latency(&shared).await;
    let (status, answer) = match serde_json::from_slice::<Value>(&body) {
        Err(e) => (
            400,
            fault(
                "ValidationFault",
                "2020",
                "Required param missing, need to supply the required value for the API",
                &format!("Request has invalid or unsupported property: {e}"),
                "",
            ),
        ),
        Ok(entry) => {
            let mut books = lock(&shared.books);
            match q.get("requestid") {
                Some(id) if id.chars().count() > 50 => (
                    400,
                    fault(
                        "ValidationFault",
                        "2050",
                        "Invalid String Length",
                        "requestid: at most 50 characters",
                        "requestid",
                    ),
                ),
                Some(id) => match books.answers.get(id) {
                    Some(first) => first.clone(),
                    None => {
                        let answer = book(&mut books, entry);
                        books.answers.insert(id.clone(), answer.clone());
                        answer
                    }
                },
                None => book(&mut books, entry),
            }
        }
    };
    drop(in_flight);
    record(&shared, "POST", &path, &q, status);
    if status == 200 && take_loss(&shared) {
        return lost().await;
    }
    json_response(status, &answer)
}

/// `POST /v3/company/{realm}/batch` (docs::BATCH): `BatchItemRequest` of at most 30 items, each
/// with a `bId` and an operation, processed one by one; the answer's `BatchItemResponse` has one
/// item per `bId`, the created object or its own `Fault`. With a `requestid` (at most 36
/// characters, docs::REQUEST_ID) the whole answer is given again for the same id.
async fn batch(
    State(shared): State<Arc<Shared>>,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let q = params(raw.as_deref());
    let path = format!("/v3/company/{realm}/batch");
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let items = request["BatchItemRequest"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let in_flight = match gate(&shared, &realm, &headers, items.len().max(1), true) {
        Ok(f) => f,
        Err(r) => {
            record(&shared, "POST", &path, &q, r.status().as_u16());
            return *r;
        }
    };
    if take_drop(&shared) {
        drop(in_flight);
        record(&shared, "POST", &path, &q, 0);
        return lost().await;
    }
    latency(&shared).await;
    let (status, answer) = if items.len() > 30 {
        (
            400,
            fault(
                "ValidationFault",
                "1040",
                "Batch size exceeds allowed limit",
                &format!(
                    "The batch size for the BatchItemRequest is too big. The batch limit size is \
                     30, this batch has {}",
                    items.len()
                ),
                "BatchItemRequest",
            ),
        )
    } else if q.get("requestid").is_some_and(|id| id.chars().count() > 36) {
        (
            400,
            fault(
                "ValidationFault",
                "2050",
                "Invalid String Length",
                "requestid: at most 36 characters for a batch",
                "requestid",
            ),
        )
    } else {
        let mut books = lock(&shared.books);
        match q.get("requestid").and_then(|id| books.answers.get(id)) {
            Some(first) => first.clone(),
            None => {
                let mut responses = Vec::new();
                for item in &items {
                    let bid = item["bId"].clone();
                    let response =
                        if item["operation"] == "create" && item.get("JournalEntry").is_some() {
                            let (status, body) = book(&mut books, item["JournalEntry"].clone());
                            if status == 200 {
                                json!({"bId": bid, "JournalEntry": body["JournalEntry"]})
                            } else {
                                json!({"bId": bid, "Fault": body["Fault"]})
                            }
                        } else {
                            json!({"bId": bid, "Fault": fault("ValidationFault", "500",
                            "Unsupported Operation", "only JournalEntry create is simulated",
                            "")["Fault"]})
                        };
                    responses.push(response);
                }
                let answer = (
                    200,
                    json!({"BatchItemResponse": responses,
                        "time": "2026-11-22T00:00:00.000-08:00"}),
                );
                if let Some(id) = q.get("requestid") {
                    books.answers.insert(id.clone(), answer.clone());
                }
                answer
            }
        }
    };
    drop(in_flight);
    record(&shared, "POST", &path, &q, status);
    if status == 200 && take_loss(&shared) {
        return lost().await;
    }
    json_response(status, &answer)
}

/// One token of the query language.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(char),
}

fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        }
                        '\'' => break,
                        c => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            '(' | ')' | ',' | '=' | '*' => out.push(Tok::Sym(c)),
            c => {
                let mut w = String::from(c);
                while let Some(n) = chars.peek() {
                    if n.is_whitespace() || "(),='".contains(*n) {
                        break;
                    }
                    w.push(*n);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    out
}

/// A parsed `select * from E [where ...] [startposition n] [maxresults n]`.
#[derive(Debug)]
struct Select {
    entity: String,
    /// (field, accepted values as text).
    conditions: Vec<(String, Vec<String>)>,
    start: usize,
    max: usize,
}

fn parse_select(text: &str) -> Result<Select, String> {
    let toks = tokens(text);
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
        _ => None,
    };
    if word(0).as_deref() != Some("select")
        || toks.get(1) != Some(&Tok::Sym('*'))
        || word(2).as_deref() != Some("from")
    {
        return Err("only select * from ENTITY is supported".into());
    }
    let entity = match toks.get(3) {
        Some(Tok::Word(w)) => w.clone(),
        _ => return Err("no entity".into()),
    };
    let mut select = Select {
        entity,
        conditions: Vec::new(),
        start: 1,
        max: 100,
    };
    let mut i = 4;
    let value = |t: Option<&Tok>| match t {
        Some(Tok::Str(s)) => Some(s.clone()),
        Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
        _ => None,
    };
    while i < toks.len() {
        match word(i).as_deref() {
            Some("where") | Some("and") => {
                let field = match toks.get(i + 1) {
                    Some(Tok::Word(w)) => w.clone(),
                    _ => return Err("a condition needs a field".into()),
                };
                if toks.get(i + 2) == Some(&Tok::Sym('=')) {
                    let v = value(toks.get(i + 3)).ok_or("a value after =")?;
                    select.conditions.push((field, vec![v]));
                    i += 4;
                } else if word(i + 2).as_deref() == Some("in")
                    && toks.get(i + 3) == Some(&Tok::Sym('('))
                {
                    let mut values = Vec::new();
                    let mut j = i + 4;
                    loop {
                        values.push(value(toks.get(j)).ok_or("a value in the list")?);
                        match toks.get(j + 1) {
                            Some(Tok::Sym(',')) => j += 2,
                            Some(Tok::Sym(')')) => break,
                            _ => return Err("an unclosed in (...)".into()),
                        }
                    }
                    select.conditions.push((field, values));
                    i = j + 2;
                } else {
                    return Err("only = and in (...) are supported".into());
                }
            }
            Some("startposition") => {
                select.start = value(toks.get(i + 1))
                    .and_then(|v| v.parse().ok())
                    .ok_or("startposition needs a number")?;
                i += 2;
            }
            Some("maxresults") => {
                select.max = value(toks.get(i + 1))
                    .and_then(|v| v.parse().ok())
                    .ok_or("maxresults needs a number")?;
                i += 2;
            }
            _ => return Err(format!("unexpected {:?}", toks[i])),
        }
    }
    // The query language returns at most 1000 entities a page.
    select.max = select.max.min(1000);
    Ok(select)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `GET /v3/company/{realm}/query?query=...` (docs::BEST_PRACTICES for the query API; name
/// lists answer only active objects unless `Active` is filtered on). The answer is
/// `QueryResponse` with the entity's array, `startPosition` and `maxResults`.
async fn query(
    State(shared): State<Arc<Shared>>,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = params(raw.as_deref());
    let path = format!("/v3/company/{realm}/query");
    let in_flight = match gate(&shared, &realm, &headers, 1, false) {
        Ok(f) => f,
        Err(r) => {
            record(&shared, "GET", &path, &q, r.status().as_u16());
            return *r;
        }
    };
    latency(&shared).await;
    let (status, answer) = match parse_select(q.get("query").map_or("", String::as_str)) {
        Err(e) => (
            400,
            fault(
                "ValidationFault",
                "4000",
                "Error parsing query",
                &format!("QueryParserError: {e}"),
                "",
            ),
        ),
        Ok(select) => {
            let books = lock(&shared.books);
            let all: Vec<Value> = match select.entity.as_str() {
                "JournalEntry" => books.entries.clone(),
                "Preferences" => vec![preferences_object(&books)],
                entity => books.lists.get(entity).cloned().unwrap_or_default(),
            };
            let filters_active = select.conditions.iter().any(|(f, _)| f == "Active");
            let rows: Vec<Value> = all
                .into_iter()
                .filter(|o| {
                    select
                        .conditions
                        .iter()
                        .all(|(field, values)| values.contains(&text_of(&o[field.as_str()])))
                })
                .filter(|o| filters_active || o.get("Active").is_none_or(|a| a == true))
                .collect();
            let page: Vec<Value> = rows
                .into_iter()
                .skip(select.start.saturating_sub(1))
                .take(select.max)
                .collect();
            let mut response = json!({});
            if !page.is_empty() {
                response = json!({select.entity.clone(): page, "startPosition": select.start,
                    "maxResults": page.len()});
            }
            (
                200,
                json!({"QueryResponse": response, "time": "2026-11-22T00:00:00.000-08:00"}),
            )
        }
    };
    drop(in_flight);
    record(&shared, "GET", &path, &q, status);
    json_response(status, &answer)
}

fn preferences_object(books: &Books) -> Value {
    json!({"Id": "1", "AccountingInfoPrefs": {
        "BookCloseDate": books.company.book_close_date.map(|d| d.to_string()),
        "ClassTrackingPerTxnLine": true, "TrackDepartments": true},
        "CurrencyPrefs": {"MultiCurrencyEnabled": true,
            "HomeCurrency": {"value": books.company.home_currency}}})
}

/// `GET /v3/company/{realm}/preferences`: the company's preferences, among them
/// `AccountingInfoPrefs.BookCloseDate` (the closing date).
async fn preferences(
    State(shared): State<Arc<Shared>>,
    Path(realm): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = params(raw.as_deref());
    let path = format!("/v3/company/{realm}/preferences");
    let in_flight = match gate(&shared, &realm, &headers, 1, false) {
        Ok(f) => f,
        Err(r) => {
            record(&shared, "GET", &path, &q, r.status().as_u16());
            return *r;
        }
    };
    let body = json!({"Preferences": preferences_object(&lock(&shared.books))});
    drop(in_flight);
    record(&shared, "GET", &path, &q, 200);
    json_response(200, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_language_reads_what_folio_sends() {
        let s = parse_select(
            "select * from JournalEntry where DocNumber in ('FA-1', 'FA-2') startposition 1 \
             maxresults 1000",
        )
        .unwrap();
        assert_eq!(s.entity, "JournalEntry");
        assert_eq!(
            s.conditions,
            vec![("DocNumber".to_owned(), vec!["FA-1".into(), "FA-2".into()])]
        );
        assert_eq!((s.start, s.max), (1, 1000));
        let s = parse_select("SELECT * FROM Account WHERE Active = true").unwrap();
        assert_eq!(
            s.conditions,
            vec![("Active".to_owned(), vec!["true".into()])]
        );
        assert!(parse_select("select Id from Account").is_err());
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            sha256_base64url("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64_decode("YTpi").unwrap(), b"a:b");
    }
}
