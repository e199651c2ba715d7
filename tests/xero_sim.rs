//! A Xero simulator for Folio's tests: the OAuth endpoints and the parts of the Accounting API
//! Folio uses, behaving as Xero documents, on 127.0.0.1 with a random port.
//!
//! Each behaviour cites the page it follows. What it implements:
//!
//! * **Sign-in** (authorization code with PKCE, <https://developer.xero.com/documentation/guides/oauth2/pkce-flow>):
//!   `GET /identity/connect/authorize` checks the client, the loopback redirect and the `S256`
//!   challenge and, the user consenting at once, redirects to the app with a one-time code;
//!   `POST /connect/token` exchanges it (the verifier must hash to the challenge) and refreshes.
//!   Access tokens live 30 minutes; every refresh returns a *new* refresh token and the old one
//!   keeps working for a 30-minute grace period only; unused refresh tokens die after 60 days;
//!   a revoked or spent grant is `400 {"error":"invalid_grant"}`
//!   (<https://developer.xero.com/faq/oauth2>).
//! * **Tenants**: `GET /connections` lists the organisations the token may use
//!   (<https://developer.xero.com/documentation/guides/oauth2/auth-flow>, "Check the tenants
//!   you're authorized to access"); every Accounting request needs the `xero-tenant-id` header.
//! * **Manual journals** (<https://developer.xero.com/documentation/api/accounting/manualjournals>):
//!   `PUT /api.xro/2.0/ManualJournals` creates one or more; with `summarizeErrors=false` the
//!   answer is 200 with each journal's own `ValidationErrors` and `StatusAttributeString`,
//!   otherwise any error refuses the whole request with a 400 `ValidationException` whose
//!   `Elements` carry the errors (<https://developer.xero.com/documentation/api/accounting/requests-and-responses>).
//!   A line whose account code Xero does not recognise is removed with a warning (the example in
//!   the OpenAPI description), after which the debits and credits must still agree; archived
//!   accounts, unknown tax types and tracking options, dates on or before a lock date
//!   (<https://developer.xero.com/documentation/api/accounting/organisation>) are validation
//!   errors. `GET` filters with `where` (`Narration.StartsWith("…")`, `Narration=="…"`, joined by
//!   `OR`) and pages by 100.
//! * **Idempotency** (<https://developer.xero.com/documentation/guides/idempotent-requests/>):
//!   a `PUT` with an `Idempotency-Key` seen before gets the first answer again and changes
//!   nothing; the key is at most 128 characters; the same key with another body is refused.
//! * **Rate limits** (<https://developer.xero.com/documentation/guides/oauth2/limits/>,
//!   <https://developer.xero.com/faq/limits>): per tenant 5 requests in progress, 60 per
//!   minute, 5,000 per day (configurable here to keep tests short); over a limit the answer is
//!   429 with `Retry-After` and `X-Rate-Limit-Problem` (`concurrent`, `minute`, `day`); every
//!   answer carries `X-MinLimit-Remaining`, `X-DayLimit-Remaining` and `X-AppMinLimit-Remaining`.
//! * **Lost answers after a commit**: on request, a write is booked and its answer held back
//!   past the client's timeout (what a dropped connection after Xero committed looks like).
//!
//! Every Accounting and `/connections` request is checked against Xero's official OpenAPI
//! descriptions (read from the shared folder); violations are collected for the test to assert.

use crate::openapi::{OpenApi, SeenRequest};
use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The limits the simulator enforces per tenant.
#[derive(Debug, Clone, Copy)]
pub struct SimLimits {
    pub concurrent: usize,
    pub per_minute: usize,
    pub per_day: usize,
}

impl Default for SimLimits {
    fn default() -> SimLimits {
        SimLimits {
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
        }
    }
}

/// An account of the simulated organisation.
#[derive(Debug, Clone)]
pub struct SimAccount {
    pub code: String,
    pub name: String,
    pub class: &'static str,
    pub status: &'static str,
}

/// A tracking category with its options.
#[derive(Debug, Clone)]
pub struct SimTracking {
    pub name: String,
    pub options: Vec<(String, &'static str)>,
    pub status: &'static str,
}

/// What the simulated organisation holds at the start.
#[derive(Debug, Clone)]
pub struct SimOrg {
    pub tenant_id: String,
    pub name: String,
    pub base_currency: String,
    pub accounts: Vec<SimAccount>,
    /// TaxType, name, rate (percent).
    pub tax_rates: Vec<(String, String, Decimal)>,
    pub tracking: Vec<SimTracking>,
    /// Name, tax number.
    pub suppliers: Vec<(String, String)>,
    pub period_lock_date: Option<chrono::NaiveDate>,
}

/// A journal line: account code, signed amount, tax type, tracking (category, option).
pub type SimLine = (String, Decimal, Option<String>, Vec<(String, String)>);

/// A manual journal Xero holds.
#[derive(Debug, Clone)]
pub struct SimJournal {
    pub id: String,
    pub narration: String,
    pub status: String,
    pub date: String,
    pub lines: Vec<SimLine>,
}

#[derive(Debug)]
struct Grant {
    scope: String,
    /// When this refresh token was replaced by a newer one (the grace period runs from here).
    rotated_at: Option<Instant>,
    issued: Instant,
    revoked: bool,
}

#[derive(Debug)]
struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    scope: String,
    used: bool,
}

#[derive(Debug, Default)]
struct Usage {
    minute: VecDeque<Instant>,
    day: VecDeque<Instant>,
    in_flight: usize,
}

#[derive(Debug)]
struct State {
    client_id: String,
    org: SimOrg,
    journals: Vec<SimJournal>,
    codes: HashMap<String, Code>,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Grant>,
    /// Idempotency key → (body hash, status, answer).
    idempotency: HashMap<String, (String, u16, String)>,
    counter: u64,
    usage: Usage,
    limits: SimLimits,
    access_ttl: Duration,
    grace: Duration,
    forced_429: VecDeque<(&'static str, u64)>,
    lose_after_commit: u32,
    lost_delay: Duration,
    /// Added to every Accounting answer: the round trip to a cloud API.
    latency: Duration,
    violations: Vec<String>,
    validated: usize,
    token_requests: usize,
    refreshes: usize,
    requests: Vec<String>,
    /// Every token issued, to search files and output for.
    issued: Vec<String>,
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct XeroSim {
    pub base: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for XeroSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The OpenAPI descriptions requests are checked against.
#[derive(Debug)]
pub struct Specs {
    pub accounting: OpenApi,
    pub identity: OpenApi,
}

impl Specs {
    /// Xero's descriptions from `shared/specs/xero`.
    pub fn load(shared: &std::path::Path) -> Specs {
        let dir = shared.join("specs/xero");
        Specs {
            accounting: OpenApi::load(&dir.join("xero_accounting.yaml")).expect("Xero's spec"),
            identity: OpenApi::load(&dir.join("xero-identity.yaml"))
                .expect("Xero's identity spec")
                .with_base_path(""),
        }
    }
}

/// An organisation shaped like the test chart of `gl_support` (accounts by code, a
/// `cost_centre` tracking category, the `V19` tax type), EUR, no lock date.
pub fn test_org(tenant_id: &str) -> SimOrg {
    let account = |code: &str, name: &str, class| SimAccount {
        code: code.into(),
        name: name.into(),
        class,
        status: "ACTIVE",
    };
    SimOrg {
        tenant_id: tenant_id.into(),
        name: "Folio Test GmbH".into(),
        base_currency: "EUR".into(),
        accounts: vec![
            account("1576", "Input VAT 19 %", "ASSET"),
            account("1600", "Trade payables", "LIABILITY"),
            account("4930", "Office supplies", "EXPENSE"),
            account("4964", "IT and software (subscriptions)", "EXPENSE"),
            account("4990", "Rounding differences", "EXPENSE"),
            SimAccount {
                status: "ARCHIVED",
                ..account("4800", "Old repairs", "EXPENSE")
            },
        ],
        tax_rates: vec![
            ("V19".into(), "Vorsteuer 19 %".into(), Decimal::new(19, 0)),
            ("NONE".into(), "No VAT".into(), Decimal::ZERO),
        ],
        tracking: vec![SimTracking {
            name: "cost_centre".into(),
            options: vec![
                ("CC-100".into(), "ACTIVE"),
                ("CC-200".into(), "ACTIVE"),
                ("CC-900".into(), "ARCHIVED"),
            ],
            status: "ACTIVE",
        }],
        suppliers: vec![("Papier AG".into(), "DE123456789".into())],
        period_lock_date: None,
    }
}

fn respond(status: u16, body: String, extra: &[(&str, String)]) -> Response<Body> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json; charset=utf-8");
    for (name, value) in extra {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            form_urlencoded_pairs(q)
                .into_iter()
                .filter(|(k, _)| !k.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `a=b&c=d` with percent-decoding and `+` as space.
fn form_urlencoded_pairs(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn base64url(bytes: &[u8]) -> String {
    folio_gl::oauth::base64url(bytes)
}

fn uuid(n: u64, kind: u16) -> String {
    format!("{:08x}-{kind:04x}-4000-8000-{n:012x}", 0x5eed_0000u32)
}

impl State {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn issue(&mut self, scope: &str) -> Value {
        let n = self.next();
        let access = format!("xsim.at.{n:08}.Qk7vR2pX");
        let refresh = format!("xsim.rt.{n:08}.Zm4wL9sT");
        self.issued.push(access.clone());
        self.issued.push(refresh.clone());
        self.access
            .insert(access.clone(), Instant::now() + self.access_ttl);
        self.refresh.insert(
            refresh.clone(),
            Grant {
                scope: scope.to_owned(),
                rotated_at: None,
                issued: Instant::now(),
                revoked: false,
            },
        );
        json!({
            "access_token": access,
            "expires_in": self.access_ttl.as_secs(),
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": scope,
        })
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| self.access.get(t))
            .is_some_and(|until| *until > Instant::now())
    }

    fn limit_headers(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "x-minlimit-remaining",
                self.limits
                    .per_minute
                    .saturating_sub(self.usage.minute.len())
                    .to_string(),
            ),
            (
                "x-daylimit-remaining",
                self.limits
                    .per_day
                    .saturating_sub(self.usage.day.len())
                    .to_string(),
            ),
            ("x-appminlimit-remaining", "9999".to_owned()),
        ]
    }

    /// Counts the request against the tenant's limits, or says which limit refuses it and for
    /// how long (seconds).
    fn admit(&mut self) -> Result<(), (&'static str, u64)> {
        if let Some(forced) = self.forced_429.pop_front() {
            return Err(forced);
        }
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        let day = Duration::from_secs(86_400);
        while self
            .usage
            .minute
            .front()
            .is_some_and(|t| now - *t >= minute)
        {
            self.usage.minute.pop_front();
        }
        while self.usage.day.front().is_some_and(|t| now - *t >= day) {
            self.usage.day.pop_front();
        }
        if self.usage.in_flight >= self.limits.concurrent {
            return Err(("concurrent", 1));
        }
        if self.usage.day.len() >= self.limits.per_day {
            let wait = self
                .usage
                .day
                .front()
                .map_or(1, |t| (day - (now - *t)).as_secs() + 1);
            return Err(("day", wait));
        }
        if self.usage.minute.len() >= self.limits.per_minute {
            let wait = self
                .usage
                .minute
                .front()
                .map_or(1, |t| (minute - (now - *t)).as_secs() + 1);
            return Err(("minute", wait));
        }
        self.usage.minute.push_back(now);
        self.usage.day.push_back(now);
        self.usage.in_flight += 1;
        Ok(())
    }
}

/// `Narration.StartsWith("X") OR Narration=="Y"`: the journals it selects.
fn matches_where(clause: &str, narration: &str) -> Result<bool, String> {
    let mut any = false;
    for part in clause.split(" OR ") {
        let part = part.trim();
        if let Some(rest) = part.strip_prefix("Narration.StartsWith(\"") {
            let value = rest
                .strip_suffix("\")")
                .ok_or_else(|| format!("cannot read '{part}'"))?;
            any |= narration.starts_with(value);
        } else if let Some(rest) = part.strip_prefix("Narration==\"") {
            let value = rest
                .strip_suffix('"')
                .ok_or_else(|| format!("cannot read '{part}'"))?;
            any |= narration == value;
        } else {
            return Err(format!("the simulator does not filter by '{part}'"));
        }
    }
    Ok(any)
}

/// A Xero date as it answers it.
fn ms_date(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| format!("/Date({}+0000)/", d.and_utc().timestamp_millis()))
        .unwrap_or_default()
}

fn journal_json(j: &SimJournal, with_lines: bool) -> Value {
    let lines: Vec<Value> = if with_lines {
        j.lines
            .iter()
            .map(|(code, amount, tax, tracking)| {
                json!({
                    "AccountCode": code,
                    "LineAmount": serde_json::Number::from_str(&amount.to_string()).ok(),
                    "TaxType": tax.clone().unwrap_or_else(|| "NONE".into()),
                    "Tracking": tracking.iter().map(|(n, o)| json!({"Name": n, "Option": o})).collect::<Vec<_>>(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "ManualJournalID": j.id,
        "Narration": j.narration,
        "Status": j.status,
        "Date": ms_date(&j.date),
        "LineAmountTypes": "NoTax",
        "JournalLines": lines,
        "ShowOnCashBasisReports": true,
        "HasAttachments": false,
    })
}

/// Checks one journal of a `PUT`; the journal to book (lines after removals), warnings and
/// validation errors.
fn validate(org: &SimOrg, j: &Value) -> (Option<SimJournal>, Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let narration = j["Narration"].as_str().unwrap_or("").to_owned();
    if narration.is_empty() {
        errors.push("Narration is required".to_owned());
    }
    let date = j["Date"].as_str().unwrap_or("").to_owned();
    match chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
        Err(_) => errors.push(format!("'{date}' is not a valid date")),
        Ok(d) => {
            if let Some(lock) = org.period_lock_date
                && d <= lock
            {
                errors.push(format!(
                    "The document date cannot be on or before the period lock date {lock}"
                ));
            }
        }
    }
    let mut lines = Vec::new();
    for line in j["JournalLines"].as_array().into_iter().flatten() {
        let code = line["AccountCode"].as_str().unwrap_or("").to_owned();
        // The amount as written (the simulator reads decimals, never floats).
        let amount = line
            .get("LineAmount")
            .map(|v| Decimal::from_str(&v.to_string()).unwrap_or(Decimal::ZERO))
            .unwrap_or(Decimal::ZERO);
        match org.accounts.iter().find(|a| a.code == code) {
            None => {
                warnings.push(format!(
                    "Account code '{code}' has been removed as it does not match a recognised account."
                ));
                continue;
            }
            Some(a) if a.status != "ACTIVE" => errors.push(format!(
                "Account code '{code}' has been archived, or has been deleted. Each line item must reference a valid account."
            )),
            Some(_) => {}
        }
        let tax = line["TaxType"].as_str().map(str::to_owned);
        if let Some(t) = &tax
            && !org.tax_rates.iter().any(|r| &r.0 == t)
        {
            errors.push(format!(
                "The TaxType code '{t}' does not exist or cannot be used for this type of transaction."
            ));
        }
        let mut tracking = Vec::new();
        for t in line["Tracking"].as_array().into_iter().flatten() {
            let name = t["Name"].as_str().unwrap_or("").to_owned();
            let option = t["Option"].as_str().unwrap_or("").to_owned();
            let valid = org.tracking.iter().any(|c| {
                c.name == name
                    && c.status == "ACTIVE"
                    && c.options
                        .iter()
                        .any(|(o, s)| *o == option && *s == "ACTIVE")
            });
            if !valid {
                errors.push(format!(
                    "The tracking option '{option}' is not an active option of the tracking category '{name}'."
                ));
            }
            tracking.push((name, option));
        }
        if tracking.len() > 2 {
            errors.push("A journal line can have at most 2 tracking categories.".into());
        }
        lines.push((code, amount, tax, tracking));
    }
    let debits: Decimal = lines
        .iter()
        .map(|l| l.1)
        .filter(|a| *a > Decimal::ZERO)
        .sum();
    let credits: Decimal = lines
        .iter()
        .map(|l| l.1)
        .filter(|a| *a < Decimal::ZERO)
        .sum();
    if debits + credits != Decimal::ZERO {
        errors.push(format!(
            "The total debits ({debits:.2}) must equal total credits ({credits:.2})"
        ));
    }
    if lines.len() < 2 {
        errors.push("A manual journal needs at least two lines.".into());
    }
    let status = j["Status"].as_str().unwrap_or("DRAFT").to_owned();
    let journal = errors.is_empty().then(|| SimJournal {
        id: String::new(),
        narration,
        status,
        date,
        lines,
    });
    (journal, warnings, errors)
}

async fn handle(
    state: Arc<Mutex<State>>,
    specs: Arc<Specs>,
    request: axum::extract::Request,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 32 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = query_pairs(parts.uri.query());
    let method = parts.method.as_str().to_owned();
    let headers = parts.headers;
    let seen = SeenRequest {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: (!bytes.is_empty()).then(|| bytes.clone()),
    };
    state
        .lock()
        .unwrap()
        .requests
        .push(format!("{method} {path}"));
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match (method.as_str(), path.as_str()) {
        ("GET", "/identity/connect/authorize") => authorize(&state, &q),
        ("POST", "/connect/token") => token(&state, &headers, &bytes),
        ("GET", "/connections") => {
            let violations = specs.identity.violations(&seen);
            let mut s = state.lock().unwrap();
            s.validated += 1;
            s.violations.extend(violations);
            if !s.authorized(&headers) {
                return unauthorized();
            }
            let org = &s.org;
            respond(
                200,
                json!([{
                    "id": uuid(1, 0xc0),
                    "authEventId": uuid(2, 0xc0),
                    "tenantId": org.tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": org.name,
                    "createdDateUtc": "2026-01-01T00:00:00.0000000",
                    "updatedDateUtc": "2026-01-01T00:00:00.0000000",
                }])
                .to_string(),
                &[],
            )
        }
        (_, p) if p.starts_with("/api.xro/2.0/") => {
            accounting(state, &specs, &seen, &headers, &q).await
        }
        _ => respond(404, json!({"Title": "Not found"}).to_string(), &[]),
    }
}

fn unauthorized() -> Response<Body> {
    respond(
        401,
        json!({"Type": null, "Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"})
            .to_string(),
        &[("www-authenticate", "Bearer".to_owned())],
    )
}

fn authorize(
    state: &Arc<Mutex<State>>,
    q: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Response<Body> {
    let mut s = state.lock().unwrap();
    let client_id = q("client_id").unwrap_or_default();
    let redirect_uri = q("redirect_uri").unwrap_or_default();
    // An unknown client or a redirect that is not the loopback: no redirect (RFC 6749 §4.1.2.1).
    if client_id != s.client_id
        || !(redirect_uri.starts_with("http://127.0.0.1:")
            || redirect_uri.starts_with("http://localhost:"))
    {
        return respond(
            400,
            json!({"error": "unauthorized_client"}).to_string(),
            &[],
        );
    }
    let state_param = q("state").unwrap_or_default();
    let back = |params: &[(&str, &str)]| {
        let mut url = reqwest::Url::parse(&redirect_uri).expect("checked above");
        url.query_pairs_mut().extend_pairs(params);
        Response::builder()
            .status(StatusCode::FOUND)
            .header("location", url.as_str())
            .body(Body::empty())
            .unwrap_or_else(|_| Response::new(Body::empty()))
    };
    let challenge = q("code_challenge").unwrap_or_default();
    if q("response_type").as_deref() != Some("code")
        || q("code_challenge_method").as_deref() != Some("S256")
        || challenge.len() != 43
    {
        return back(&[("error", "invalid_request"), ("state", &state_param)]);
    }
    let scope = q("scope").unwrap_or_default();
    let n = s.next();
    let code = format!("xsim.code.{n:06}");
    s.codes.insert(
        code.clone(),
        Code {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
            scope,
            used: false,
        },
    );
    back(&[("code", &code), ("state", &state_param), ("scope", "")])
}

fn token(state: &Arc<Mutex<State>>, headers: &HeaderMap, body: &[u8]) -> Response<Body> {
    let form: BTreeMap<String, String> = form_urlencoded_pairs(&String::from_utf8_lossy(body))
        .into_iter()
        .collect();
    let mut s = state.lock().unwrap();
    s.token_requests += 1;
    let invalid_grant = || respond(400, json!({"error": "invalid_grant"}).to_string(), &[]);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return respond(400, json!({"error": "invalid_request"}).to_string(), &[]);
    }
    if form.get("client_id") != Some(&s.client_id) {
        return respond(400, json!({"error": "invalid_client"}).to_string(), &[]);
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let redirect = form.get("redirect_uri").cloned().unwrap_or_default();
            let client_id = s.client_id.clone();
            let Some(entry) = s.codes.get_mut(&code) else {
                return invalid_grant();
            };
            let hashed = base64url(&Sha256::digest(verifier.as_bytes()));
            // A code is good once, for the client, redirect and PKCE challenge it was issued to.
            if entry.used
                || entry.client_id != client_id
                || entry.redirect_uri != redirect
                || entry.challenge != hashed
            {
                return invalid_grant();
            }
            entry.used = true;
            let scope = entry.scope.clone();
            let tokens = s.issue(&scope);
            respond(200, tokens.to_string(), &[])
        }
        Some("refresh_token") => {
            let refresh = form.get("refresh_token").cloned().unwrap_or_default();
            let (grace, now) = (s.grace, Instant::now());
            let Some(grant) = s.refresh.get_mut(&refresh) else {
                return invalid_grant();
            };
            let expired = now - grant.issued > Duration::from_secs(60 * 86_400);
            let past_grace = grant.rotated_at.is_some_and(|at| now - at > grace);
            if grant.revoked || expired || past_grace {
                return invalid_grant();
            }
            grant.rotated_at.get_or_insert(now);
            let scope = grant.scope.clone();
            s.refreshes += 1;
            let tokens = s.issue(&scope);
            respond(200, tokens.to_string(), &[])
        }
        _ => respond(
            400,
            json!({"error": "unsupported_grant_type"}).to_string(),
            &[],
        ),
    }
}

async fn accounting(
    state: Arc<Mutex<State>>,
    specs: &Specs,
    seen: &SeenRequest,
    headers: &HeaderMap,
    q: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Response<Body> {
    let violations = specs.accounting.violations(seen);
    let resource = seen.path.trim_start_matches("/api.xro/2.0/").to_owned();
    let (limit_headers, lose) = {
        let mut s = state.lock().unwrap();
        s.validated += 1;
        s.violations.extend(violations);
        if !s.authorized(headers) {
            return unauthorized();
        }
        let tenant = headers
            .get("xero-tenant-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if tenant != s.org.tenant_id {
            return respond(
                403,
                json!({"Type": null, "Title": "Forbidden", "Status": 403, "Detail": "AuthorizationUnsuccessful"}).to_string(),
                &[],
            );
        }
        if let Err((problem, wait)) = s.admit() {
            let mut extra = s.limit_headers();
            extra.push(("retry-after", wait.to_string()));
            extra.push(("x-rate-limit-problem", problem.to_owned()));
            return respond(429, String::new(), &extra);
        }
        let lose = seen.method == "PUT" && s.lose_after_commit > 0;
        if lose {
            s.lose_after_commit -= 1;
        }
        (s.limit_headers(), lose)
    };
    let (status, body) = {
        let mut s = state.lock().unwrap();
        let result = route(&mut s, seen, &resource, headers, q);
        s.usage.in_flight = s.usage.in_flight.saturating_sub(1);
        result
    };
    let latency = state.lock().unwrap().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if lose {
        // Booked, but the answer arrives after the client gave up.
        let delay = state.lock().unwrap().lost_delay;
        tokio::time::sleep(delay).await;
    }
    let mut extra = limit_headers;
    let n = state.lock().unwrap().next();
    extra.push(("xero-correlation-id", uuid(n, 0xc1)));
    respond(status, body, &extra)
}

fn route(
    s: &mut State,
    seen: &SeenRequest,
    resource: &str,
    headers: &HeaderMap,
    q: &(dyn Fn(&str) -> Option<String> + Sync),
) -> (u16, String) {
    let org = s.org.clone();
    match (seen.method.as_str(), resource) {
        ("GET", "Accounts") => (
            200,
            json!({"Accounts": org.accounts.iter().enumerate().map(|(i, a)| json!({
                "AccountID": uuid(i as u64, 0xa0), "Code": a.code, "Name": a.name,
                "Status": a.status, "Class": a.class, "Type": if a.class == "EXPENSE" {"EXPENSE"} else {"CURRENT"},
            })).collect::<Vec<_>>()})
            .to_string(),
        ),
        ("GET", "TaxRates") => (
            200,
            json!({"TaxRates": org.tax_rates.iter().map(|(t, n, r)| json!({
                "Name": n, "TaxType": t, "Status": "ACTIVE",
                "EffectiveRate": serde_json::Number::from_str(&r.to_string()).ok(),
            })).collect::<Vec<_>>()})
            .to_string(),
        ),
        ("GET", "TrackingCategories") => {
            let archived = q("includeArchived").as_deref() == Some("true");
            (
                200,
                json!({"TrackingCategories": org.tracking.iter().enumerate().map(|(i, c)| json!({
                    "TrackingCategoryID": uuid(i as u64, 0xb0), "Name": c.name, "Status": c.status,
                    "Options": c.options.iter().filter(|(_, s)| archived || *s == "ACTIVE").enumerate().map(|(k, (o, st))| json!({
                        "TrackingOptionID": uuid(k as u64, 0xb1), "Name": o, "Status": st,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>()})
                .to_string(),
            )
        }
        ("GET", "Contacts") => {
            let page: usize = q("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let all: Vec<Value> = org
                .suppliers
                .iter()
                .enumerate()
                .map(|(i, (name, vat))| {
                    json!({"ContactID": uuid(i as u64, 0xd0), "Name": name, "TaxNumber": vat,
                           "IsSupplier": true, "ContactStatus": "ACTIVE"})
                })
                .collect();
            let slice: Vec<Value> = all.into_iter().skip((page - 1) * 100).take(100).collect();
            (200, json!({"Contacts": slice}).to_string())
        }
        ("GET", "Currencies") => (
            200,
            json!({"Currencies": [{"Code": org.base_currency, "Description": "Euro"}]}).to_string(),
        ),
        ("GET", "Organisation") => (
            200,
            json!({"Organisations": [{
                "Name": org.name, "BaseCurrency": org.base_currency,
                "PeriodLockDate": org.period_lock_date.map(|d| ms_date(&d.to_string())),
                "OrganisationStatus": "ACTIVE",
            }]})
            .to_string(),
        ),
        ("GET", "ManualJournals") => {
            let page: usize = q("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
            let clause = q("where");
            let mut selected = Vec::new();
            for j in &s.journals {
                let keep = match &clause {
                    None => true,
                    Some(c) => match matches_where(c, &j.narration) {
                        Ok(keep) => keep,
                        Err(e) => {
                            return (
                                400,
                                json!({"ErrorNumber": 16, "Type": "QueryParseException", "Message": e}).to_string(),
                            );
                        }
                    },
                };
                if keep {
                    selected.push(journal_json(j, false));
                }
            }
            let slice: Vec<Value> = selected.into_iter().skip((page - 1) * 100).take(100).collect();
            (200, json!({"ManualJournals": slice}).to_string())
        }
        ("PUT" | "POST", "ManualJournals") => put_journals(s, seen, headers, q),
        _ => (404, json!({"Title": "Not found"}).to_string()),
    }
}

fn put_journals(
    s: &mut State,
    seen: &SeenRequest,
    headers: &HeaderMap,
    q: &(dyn Fn(&str) -> Option<String> + Sync),
) -> (u16, String) {
    let body = seen.body.clone().unwrap_or_default();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let hash = format!("{:x}", Sha256::digest(&body));
    if let Some(key) = &key {
        if key.len() > 128 {
            return (
                400,
                json!({"ErrorNumber": 10, "Type": "ValidationException", "Message": "Idempotency-Key is longer than 128 characters"}).to_string(),
            );
        }
        if let Some((seen_hash, status, answer)) = s.idempotency.get(key) {
            if *seen_hash != hash {
                return (
                    400,
                    json!({"ErrorNumber": 10, "Type": "ValidationException", "Message": "The Idempotency-Key was already used for another request"}).to_string(),
                );
            }
            return (*status, answer.clone());
        }
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return (
                400,
                json!({"Message": format!("not JSON: {e}")}).to_string(),
            );
        }
    };
    let summarize = q("summarizeErrors").as_deref() != Some("false");
    let org = s.org.clone();
    let mut results = Vec::new();
    let mut any_error = false;
    for j in parsed["ManualJournals"].as_array().into_iter().flatten() {
        let (journal, warnings, errors) = validate(&org, j);
        any_error |= !errors.is_empty();
        results.push((j.clone(), journal, warnings, errors));
    }
    let (status, answer) = if summarize && any_error {
        let elements: Vec<Value> = results
            .iter()
            .map(|(j, _, _, errors)| {
                let mut e = j.clone();
                e["ValidationErrors"] = json!(
                    errors
                        .iter()
                        .map(|m| json!({"Message": m}))
                        .collect::<Vec<_>>()
                );
                e
            })
            .collect();
        (
            400,
            json!({"ErrorNumber": 10, "Type": "ValidationException",
                   "Message": "A validation exception occurred", "Elements": elements})
            .to_string(),
        )
    } else {
        let mut out = Vec::new();
        for (request, journal, warnings, errors) in results {
            match journal {
                Some(mut journal) => {
                    let n = s.next();
                    journal.id = uuid(n, 0xe0);
                    let mut value = journal_json(&journal, true);
                    value["StatusAttributeString"] = json!("OK");
                    value["Warnings"] = json!(
                        warnings
                            .iter()
                            .map(|m| json!({"Message": m}))
                            .collect::<Vec<_>>()
                    );
                    s.journals.push(journal);
                    out.push(value);
                }
                None => {
                    let mut value = request;
                    value["StatusAttributeString"] = json!("ERROR");
                    value["ValidationErrors"] = json!(
                        errors
                            .iter()
                            .map(|m| json!({"Message": m}))
                            .collect::<Vec<_>>()
                    );
                    value["Warnings"] = json!(
                        warnings
                            .iter()
                            .map(|m| json!({"Message": m}))
                            .collect::<Vec<_>>()
                    );
                    out.push(value);
                }
            }
        }
        (200, json!({"ManualJournals": out}).to_string())
    };
    if let Some(key) = key {
        s.idempotency.insert(key, (hash, status, answer.clone()));
    }
    (status, answer)
}

impl XeroSim {
    /// Starts the simulator for `org` and the app `client_id` on a free port (inside a tokio
    /// runtime).
    pub async fn start(client_id: &str, org: SimOrg, specs: Specs, limits: SimLimits) -> XeroSim {
        let state = Arc::new(Mutex::new(State {
            client_id: client_id.to_owned(),
            org,
            journals: Vec::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            idempotency: HashMap::new(),
            counter: 0,
            usage: Usage::default(),
            limits,
            access_ttl: Duration::from_secs(1800),
            grace: Duration::from_secs(1800),
            forced_429: VecDeque::new(),
            lose_after_commit: 0,
            lost_delay: Duration::from_secs(3),
            latency: Duration::ZERO,
            violations: Vec::new(),
            validated: 0,
            token_requests: 0,
            refreshes: 0,
            requests: Vec::new(),
            issued: Vec::new(),
        }));
        let specs = Arc::new(specs);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let app = {
            let state = Arc::clone(&state);
            axum::Router::new().fallback(move |request: axum::extract::Request| {
                let (state, specs) = (Arc::clone(&state), Arc::clone(&specs));
                async move { handle(state, specs, request).await }
            })
        };
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        XeroSim {
            base,
            state,
            server,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Tokens for a grant made without the browser (tests of the API itself).
    pub fn grant(&self, now: chrono::DateTime<chrono::Utc>) -> folio_gl::oauth::TokenSet {
        let tokens = self.lock().issue("accounting.transactions offline_access");
        folio_gl::oauth::TokenSet {
            access_token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh_token: tokens["refresh_token"].as_str().map(str::to_owned),
            expires_at: now + chrono::Duration::seconds(1800),
            scope: None,
            token_type: Some("Bearer".into()),
            id_token: None,
        }
    }

    /// The journals Xero holds.
    pub fn journals(&self) -> Vec<SimJournal> {
        self.lock().journals.clone()
    }

    /// How often each reference (the narration's first word) is in Xero.
    pub fn ref_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for j in self.lock().journals.iter() {
            let reference = j
                .narration
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            *counts.entry(reference).or_insert(0) += 1;
        }
        counts
    }

    /// Xero's own check of its books: every journal balances. Empty when all is well.
    pub fn check(&self) -> String {
        self.lock()
            .journals
            .iter()
            .filter(|j| j.lines.iter().map(|l| l.1).sum::<Decimal>() != Decimal::ZERO)
            .map(|j| format!("{} does not balance; ", j.narration))
            .collect()
    }

    /// Requests that departed from the OpenAPI descriptions, and how many were checked.
    pub fn violations(&self) -> (Vec<String>, usize) {
        let s = self.lock();
        (s.violations.clone(), s.validated)
    }

    /// `METHOD /path` of every request, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// Refreshes made and token requests seen.
    pub fn token_counts(&self) -> (usize, usize) {
        let s = self.lock();
        (s.refreshes, s.token_requests)
    }

    /// The user disconnects the app in Xero: every grant and access token is dead.
    pub fn revoke_all(&self) {
        let mut s = self.lock();
        for grant in s.refresh.values_mut() {
            grant.revoked = true;
        }
        s.access.clear();
    }

    /// Every access token expires now (the next call gets a 401 and must refresh).
    pub fn expire_access_tokens(&self) {
        self.lock().access.clear();
    }

    /// The next `n` writes are booked but their answers come after `delay` (past the client's
    /// timeout).
    pub fn lose_answers_after_commit(&self, n: u32, delay: Duration) {
        let mut s = self.lock();
        s.lose_after_commit = n;
        s.lost_delay = delay;
    }

    /// The next requests are refused with 429 for `problem`, asking to wait `wait_secs`.
    pub fn force_429(&self, problem: &'static str, wait_secs: u64, times: usize) {
        let mut s = self.lock();
        for _ in 0..times {
            s.forced_429.push_back((problem, wait_secs));
        }
    }

    /// Every Accounting answer takes `latency` longer (a cloud API is not on loopback).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Archives the account `code` in Xero.
    pub fn archive_account(&self, code: &str) {
        let mut s = self.lock();
        for a in s.org.accounts.iter_mut().filter(|a| a.code == code) {
            a.status = "ARCHIVED";
        }
    }
}

impl SimOrg {
    /// An organisation holding a Folio chart: accounts by code, dimensions as tracking
    /// categories named by their code (options by value code), tax codes as tax types. EUR.
    pub fn from_master(
        tenant_id: &str,
        accounts: &[folio_domain::Account],
        dimensions: &[folio_domain::Dimension],
        tax_codes: &[folio_domain::TaxCode],
    ) -> SimOrg {
        let class = |kind: folio_domain::AccountKind| match kind {
            folio_domain::AccountKind::Asset => "ASSET",
            folio_domain::AccountKind::Liability => "LIABILITY",
            folio_domain::AccountKind::Equity => "EQUITY",
            folio_domain::AccountKind::Income => "REVENUE",
            folio_domain::AccountKind::Expense => "EXPENSE",
        };
        SimOrg {
            tenant_id: tenant_id.into(),
            name: "Folio Demo GmbH".into(),
            base_currency: "EUR".into(),
            accounts: accounts
                .iter()
                .filter(|a| a.postable)
                .map(|a| SimAccount {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    class: class(a.kind),
                    status: if a.active { "ACTIVE" } else { "ARCHIVED" },
                })
                .collect(),
            tax_rates: tax_codes
                .iter()
                .map(|t| (t.code.clone(), t.name.clone(), t.rate))
                .collect(),
            tracking: dimensions
                .iter()
                .map(|d| SimTracking {
                    name: d.code.clone(),
                    options: d
                        .values
                        .iter()
                        .map(|v| (v.code.clone(), if v.active { "ACTIVE" } else { "ARCHIVED" }))
                        .collect(),
                    status: "ACTIVE",
                })
                .collect(),
            suppliers: vec![],
            period_lock_date: None,
        }
    }
}

impl XeroSim {
    /// Every access and refresh token the simulator issued (to search files and output for).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().issued.clone()
    }
}

/// A token vault in memory, for tests that drive the connector in this process (the app keeps
/// tokens in the OS keychain).
#[derive(Debug, Default)]
pub struct MemoryVault {
    tokens: Mutex<HashMap<String, folio_gl::oauth::TokenSet>>,
    stores: Mutex<usize>,
}

impl MemoryVault {
    pub fn with(connection: &str, tokens: folio_gl::oauth::TokenSet) -> Arc<MemoryVault> {
        let vault = MemoryVault::default();
        vault
            .tokens
            .lock()
            .unwrap()
            .insert(connection.to_owned(), tokens);
        Arc::new(vault)
    }

    /// How many times tokens were stored (each refresh stores once).
    pub fn stores(&self) -> usize {
        *self.stores.lock().unwrap()
    }

    pub fn get(&self, connection: &str) -> Option<folio_gl::oauth::TokenSet> {
        self.tokens.lock().unwrap().get(connection).cloned()
    }
}

impl folio_gl::oauth::TokenVault for MemoryVault {
    fn load(
        &self,
        connection: &str,
    ) -> Result<Option<folio_gl::oauth::TokenSet>, folio_gl::GlError> {
        Ok(self.get(connection))
    }

    fn store(
        &self,
        connection: &str,
        tokens: &folio_gl::oauth::TokenSet,
    ) -> Result<(), folio_gl::GlError> {
        *self.stores.lock().unwrap() += 1;
        self.tokens
            .lock()
            .unwrap()
            .insert(connection.to_owned(), tokens.clone());
        Ok(())
    }
}
