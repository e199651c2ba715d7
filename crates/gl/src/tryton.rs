//! `tryton`: a Tryton 8.2 server with the `account` module, through its JSON-RPC
//! (`POST /DB/rpc/`, a session from `common.db.login`).
//!
//! Tryton has no idempotency keys and no field Folio could make unique, so the connector keeps
//! the exactly-once discipline itself, as the other connectors do:
//!
//! 1. A journal that does not balance ([`check_balanced`]), is not in the company's currency, or
//!    names an account code Tryton does not have as a postable, open account, or a cost centre
//!    that is not an analytic account, is refused before anything is sent, naming the line and
//!    field. Accounts and analytic accounts are read from Tryton for every batch, so the check is
//!    against the GL itself, not a pulled copy.
//! 2. Every move carries the journal reference as the first word of its `description`
//!    (`FAB-7 Supplier invoice 7`): `account.move` has no reference field of its own in 8.2.
//!    Look-ups search `description` for it and compare the first word exactly.
//! 3. The batch's references are looked up first. A posted move is reported posted; a *draft*
//!    move with the reference (created by an earlier attempt whose post did not happen) is posted,
//!    not created again.
//! 4. The rest are created as drafts in one `account.move.create` (one database transaction:
//!    all or none), then posted with `account.move.post`. When the create is refused by Tryton
//!    (a `UserError`), each journal is created on its own so that the refusal lands on the
//!    journal it is about.
//! 5. When an answer is lost, the references are looked up again before anything is decided.
//!
//! **Reads are current, but a write may still be running.** PostgreSQL answers every read with
//! what is committed, so a look-up is never stale the way hledger-web's view can be. But a
//! create whose answer was lost (a timeout, a dropped connection) may still be running inside
//! Tryton and commit after the look-up. Tryton bounds every RPC call by its `[request] timeout`
//! (60 s by default: the statement timeout of the call's transaction, after which it is rolled
//! back). So a reference whose write this connector sent with an unknown outcome is not called
//! absent until that bound has passed since the write was sent: until then the look-up answers
//! "unknown" for it and the outbox asks again later. The bound is the `write_bound` given to
//! [`Tryton::new`] (default [`DEFAULT_WRITE_BOUND`]), which must not be less than the server's
//! request timeout.
//!
//! **Errors.** JSON-RPC answers HTTP 200 with an `error` member: Tryton's `UserError` (and
//! `UserWarning`, `AccessError`) means the server refused the request and rolled its transaction
//! back: permanent, mapped to the line or field it names when it can be told. `LoginException`
//! (an expired session) logs in again and is retryable; `ConcurrencyException` and
//! `RateLimitException` are retryable; any other server exception rolled its transaction back
//! too and is retryable. Transport failures are mapped as for every HTTP connector
//! ([`crate::http`]).
//!
//! Every operation of this process on one Tryton server runs alone (one gate per server, as for
//! Fava and hledger-web): a batch is one create and one post, so a gate costs little, and it
//! keeps a look-up from racing this process's own create.

use crate::JournalRef;
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed, outcome,
};
use crate::doubt::{Doubt, Doubts};
use crate::http::{Http, json};
use crate::monitor::{CallLog, CallRecord};
use chrono::{Datelike, NaiveDate};
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Journal, Period, Side, TaxCode, VatCategory,
    Vendor, check_balanced,
};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Journals per batch: one create request carries them all.
const MAX_BATCH: usize = 100;

/// How long a write with a lost answer may still commit inside Tryton: its default
/// `[request] timeout` (60 s) and a margin.
pub const DEFAULT_WRITE_BOUND: Duration = Duration::from_secs(65);

/// A Tryton server.
#[derive(Debug, Clone)]
pub struct Tryton {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `http://host:port/DB/rpc/`.
    rpc: String,
    user: String,
    password: String,
    http: Http,
    calls: CallLog,
    gate: Arc<tokio::sync::Mutex<()>>,
    /// The session (`Authorization` header value) and the user's context.
    session: Mutex<Option<(String, Value)>>,
    /// The references whose write may still commit (for `write_bound`).
    doubts: Doubts,
}

/// What a batch resolves journals against, read from Tryton.
#[derive(Debug, Default)]
struct Books {
    company: i64,
    currency: String,
    journal: i64,
    /// Postable, open accounts: code → id.
    accounts: HashMap<String, i64>,
    /// Analytic accounts under each root: (root code, value code) → id.
    analytic: HashMap<(String, String), i64>,
    /// Open standard periods: (start, end, id).
    periods: Vec<(NaiveDate, NaiveDate, i64)>,
}

/// A move found by its reference.
#[derive(Debug, Clone)]
struct Found {
    id: i64,
    number: String,
    posted: bool,
}

impl Tryton {
    /// The Tryton at `url` (`http://127.0.0.1:8000`), database `database`, logging in as `user`.
    pub fn new(
        url: &str,
        database: &str,
        user: &str,
        password: &str,
        timeout: Duration,
        write_bound: Duration,
    ) -> Result<Tryton, GlError> {
        let base = url.trim_end_matches('/');
        if database.is_empty() || database.contains(['/', '?', '#']) {
            return Err(GlError::permanent(
                format!("'{database}' is not a Tryton database name"),
                Some("database".into()),
            ));
        }
        let rpc = format!("{base}/{database}/rpc/");
        Ok(Tryton {
            inner: Arc::new(Inner {
                gate: crate::fava::gate_for(&rpc),
                rpc,
                user: user.to_owned(),
                password: password.to_owned(),
                http: Http::new(ConnectorKind::Tryton.as_str(), timeout)?,
                calls: CallLog::default(),
                session: Mutex::new(None),
                doubts: Doubts::new(write_bound),
            }),
        })
    }

    /// `URL/DB` split into the server's URL and the database (`http://h:8000/folio`).
    pub fn split_url(url: &str) -> Option<(&str, &str)> {
        let trimmed = url.trim_end_matches('/');
        let (base, db) = trimmed.rsplit_once('/')?;
        if db.is_empty() || base.ends_with('/') || !base.contains("://") {
            return None;
        }
        Some((base, db))
    }
}

/// Tryton's JSON for a decimal.
fn decimal(value: Decimal) -> Value {
    json!({"__class__": "Decimal", "decimal": value.to_string()})
}

/// Tryton's JSON for a date.
fn date(value: NaiveDate) -> Value {
    json!({"__class__": "date", "year": value.year(), "month": value.month(), "day": value.day()})
}

fn read_date(value: &Value) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::try_from(value["year"].as_i64()?).ok()?,
        u32::try_from(value["month"].as_u64()?).ok()?,
        u32::try_from(value["day"].as_u64()?).ok()?,
    )
}

fn read_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Object(o) => o.get("decimal")?.as_str()?.parse().ok(),
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// The first word of a move's description: Folio's reference, when it wrote the move.
fn reference_of(description: &str) -> &str {
    description.split_whitespace().next().unwrap_or("")
}

/// The description Folio writes: the reference, then the memo on one line.
fn description(reference: &JournalRef, journal: &Journal) -> String {
    let memo = journal
        .memo
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if memo.is_empty() {
        reference.as_str().to_owned()
    } else {
        format!("{} {memo}", reference.as_str())
    }
}

/// A refusal that Tryton's JSON-RPC returned in its `error` member.
#[derive(Debug)]
enum RpcError {
    /// The server refused the request (its transaction was rolled back): `UserError` and kin.
    User(String),
    /// The session is no longer valid.
    Login,
    /// Anything else the server raised (rolled back too), or a transport failure.
    Other(GlError),
}

fn rpc_error(error: &Value) -> RpcError {
    let kind = error.get(0).and_then(Value::as_str).unwrap_or_default();
    let args = error.get(1).cloned().unwrap_or(Value::Null);
    let text = |args: &Value| -> String {
        match args {
            Value::Array(parts) => parts
                .iter()
                .take(2)
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" - "),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    match kind {
        "UserError" | "UserWarning" => RpcError::User(text(&args)),
        "LoginException" => RpcError::Login,
        "ConcurrencyException" => {
            RpcError::Other(GlError::retryable(format!("Tryton: {}", text(&args))))
        }
        "RateLimitException" => RpcError::Other(GlError::RateLimited {
            wait: Duration::from_secs(1),
            message: "Tryton limits the rate of requests".into(),
        }),
        // Any other exception: the first element is its text, the second its traceback (never
        // logged: it can carry data).
        other => RpcError::Other(GlError::retryable(format!(
            "Tryton failed: {}",
            other.lines().next().unwrap_or("an error")
        ))),
    }
}

impl Inner {
    async fn login(&self) -> Result<(String, Value), GlError> {
        let body = json!({
            "id": 0,
            "method": "common.db.login",
            "params": [self.user, {"password": self.password}, "en"],
        });
        let response = self
            .http
            .send(
                &self.calls,
                "login",
                self.http
                    .request(reqwest::Method::POST, &self.rpc)
                    .json(&body),
            )
            .await
            .map_err(|e| match e {
                GlError::Permanent { message, .. } => GlError::permanent(
                    format!("Tryton refuses the login of '{}': {message}", self.user),
                    Some("user".into()),
                ),
                other => other,
            })?;
        let answer: Value = json(response, "login").await?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            return Err(match rpc_error(error) {
                RpcError::Other(e) => e,
                RpcError::User(m) => GlError::permanent(
                    format!("Tryton refuses the login: {m}"),
                    Some("user".into()),
                ),
                RpcError::Login => GlError::permanent(
                    format!("Tryton refuses the login of '{}'", self.user),
                    Some("user".into()),
                ),
            });
        }
        let result = &answer["result"];
        let (Some(user_id), Some(token)) = (result[0].as_i64(), result[1].as_str()) else {
            return Err(GlError::unknown("login: Tryton's answer has no session"));
        };
        let plain = format!("{}:{user_id}:{token}", self.user);
        let header = format!("Session {}", base64(plain.as_bytes()));
        // The user's context (company, language): every later call passes it.
        let prefs = self
            .call_with(
                &header,
                &json!({}),
                "login",
                "model.res.user.get_preferences",
                json!([true]),
            )
            .await
            .map_err(|e| match e {
                RpcError::Other(e) => e,
                RpcError::User(m) => GlError::permanent(m, None),
                RpcError::Login => GlError::retryable("the new Tryton session was refused"),
            })?;
        let session = (header, prefs);
        *self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(session.clone());
        Ok(session)
    }

    /// One JSON-RPC call with the session `header`; `context` is appended to `params` unless null.
    async fn call_with(
        &self,
        header: &str,
        context: &Value,
        operation: &str,
        method: &str,
        params: Value,
    ) -> Result<Value, RpcError> {
        let mut params = match params {
            Value::Array(p) => p,
            other => vec![other],
        };
        if !context.is_null() {
            params.push(context.clone());
        }
        let body = json!({"id": 1, "method": method, "params": params});
        let build = || {
            self.http
                .request(reqwest::Method::POST, &self.rpc)
                .header(reqwest::header::AUTHORIZATION, header)
                .json(&body)
        };
        let response = if operation == "post" {
            self.http.send(&self.calls, operation, build()).await
        } else {
            self.http.read(&self.calls, operation, build).await
        };
        let response = match response {
            Ok(r) => r,
            Err(GlError::Permanent { message, .. })
                if message.contains("401") || message.contains("403") =>
            {
                return Err(RpcError::Login);
            }
            Err(e) => return Err(RpcError::Other(e)),
        };
        let answer: Value = json(response, operation).await.map_err(RpcError::Other)?;
        match answer.get("error").filter(|e| !e.is_null()) {
            Some(error) => Err(rpc_error(error)),
            None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// A call with the current session, logging in first (and again once when the session has
    /// expired: a refused session booked nothing).
    async fn call(&self, operation: &str, method: &str, params: Value) -> Result<Value, RpcError> {
        for attempt in 0..2 {
            let current = self
                .session
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let (header, context) = match current {
                Some(s) if attempt == 0 => s,
                _ => self.login().await.map_err(RpcError::Other)?,
            };
            match self
                .call_with(&header, &context, operation, method, params.clone())
                .await
            {
                Err(RpcError::Login) => {}
                other => return other,
            }
        }
        Err(RpcError::Other(GlError::retryable(
            "Tryton refused a fresh session",
        )))
    }

    /// A call that only reads: every refusal is an error of the read.
    async fn read(&self, operation: &str, method: &str, params: Value) -> Result<Value, GlError> {
        self.call(operation, method, params)
            .await
            .map_err(|e| match e {
                RpcError::Other(e) => e,
                RpcError::User(m) => {
                    GlError::permanent(format!("Tryton refuses {method}: {m}"), None)
                }
                RpcError::Login => GlError::retryable("Tryton refused the session"),
            })
    }

    async fn search_read(
        &self,
        operation: &str,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> Result<Vec<Map<String, Value>>, GlError> {
        let result = self
            .read(
                operation,
                &format!("model.{model}.search_read"),
                json!([domain, 0, null, [["id", "ASC"]], fields]),
            )
            .await?;
        match result {
            Value::Array(rows) => Ok(rows
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(o) => Some(o),
                    _ => None,
                })
                .collect()),
            other => Err(GlError::unknown(format!(
                "{operation}: Tryton's {model} answer is not a list: {}",
                other.to_string().chars().take(80).collect::<String>()
            ))),
        }
    }

    /// The moves whose description starts with one of `refs`, by reference.
    async fn find(
        &self,
        refs: &[&str],
        operation: &str,
    ) -> Result<BTreeMap<String, Found>, GlError> {
        let mut found = BTreeMap::new();
        for chunk in refs.chunks(50) {
            let mut domain = vec![json!("OR")];
            for r in chunk {
                // References are capitals, digits and dashes: no LIKE wildcards to escape.
                domain.push(json!(["description", "=", r]));
                domain.push(json!(["description", "like", format!("{r} %")]));
            }
            let rows = self
                .search_read(
                    operation,
                    "account.move",
                    Value::Array(domain),
                    &["id", "description", "state", "number"],
                )
                .await?;
            for row in rows {
                let description = row.get("description").and_then(Value::as_str).unwrap_or("");
                let reference = reference_of(description);
                if !chunk.contains(&reference) {
                    continue;
                }
                let Some(id) = row.get("id").and_then(Value::as_i64) else {
                    continue;
                };
                let move_ = Found {
                    id,
                    number: row
                        .get("number")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    posted: row.get("state").and_then(Value::as_str) == Some("posted"),
                };
                // Should a second move carry the reference (written by someone else), the
                // posted one, then the first, stands for it.
                match found.get(reference) {
                    Some(Found { posted: true, .. }) => {}
                    Some(_) if !move_.posted => {}
                    _ => {
                        found.insert(reference.to_owned(), move_);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Marks `refs` as written with a lost answer now.
    fn doubt(&self, refs: &[&str]) {
        self.doubts.mark(refs);
    }

    /// Whether a write of `reference` may still commit inside Tryton.
    fn in_doubt(&self, reference: &str) -> bool {
        self.doubts.check(reference) == Doubt::Open
    }

    fn settled(&self, reference: &str) {
        self.doubts.settle(reference);
    }

    async fn books(&self) -> Result<Books, GlError> {
        let companies = self
            .search_read(
                "master_data",
                "company.company",
                json!([]),
                &["id", "currency.code"],
            )
            .await?;
        let company = companies
            .first()
            .ok_or_else(|| GlError::permanent("Tryton has no company", None))?;
        let company_id = company
            .get("id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let currency = company
            .get("currency.")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let journals = self
            .search_read(
                "master_data",
                "account.journal",
                json!([["type", "=", "general"]]),
                &["id", "code"],
            )
            .await?;
        let journals = if journals.is_empty() {
            self.search_read("master_data", "account.journal", json!([]), &["id", "code"])
                .await?
        } else {
            journals
        };
        let journal = journals
            .first()
            .and_then(|j| j.get("id"))
            .and_then(Value::as_i64)
            .ok_or_else(|| GlError::permanent("Tryton has no account journal", None))?;
        let accounts = self
            .search_read(
                "master_data",
                "account.account",
                json!([
                    ["type", "!=", null],
                    ["closed", "!=", true],
                    ["company", "=", company_id]
                ]),
                &["id", "code"],
            )
            .await?
            .into_iter()
            .filter_map(|a| Some((a.get("code")?.as_str()?.to_owned(), a.get("id")?.as_i64()?)))
            .collect();
        let analytic = self
            .search_read(
                "master_data",
                "analytic_account.account",
                json!([["type", "=", "normal"], ["state", "=", "opened"]]),
                &["id", "code", "root.code"],
            )
            .await
            // Without the analytic module (Tryton refuses the model) there are no dimensions;
            // a failed read (reset, 5xx, timeout) is not "no cost centres": it fails the batch
            // as retryable instead of refusing every journal with a cost centre for good.
            .or_else(|e| match e {
                GlError::Permanent { .. } => Ok(Vec::new()),
                other => Err(other),
            })?
            .into_iter()
            .filter_map(|a| {
                Some((
                    (
                        a.get("root.")?.get("code")?.as_str()?.to_owned(),
                        a.get("code")?.as_str()?.to_owned(),
                    ),
                    a.get("id")?.as_i64()?,
                ))
            })
            .collect();
        let periods = self
            .search_read(
                "master_data",
                "account.period",
                json!([
                    ["type", "=", "standard"],
                    ["state", "=", "open"],
                    ["company", "=", company_id]
                ]),
                &["id", "start_date", "end_date"],
            )
            .await?
            .into_iter()
            .filter_map(|p| {
                Some((
                    read_date(p.get("start_date")?)?,
                    read_date(p.get("end_date")?)?,
                    p.get("id")?.as_i64()?,
                ))
            })
            .collect();
        Ok(Books {
            company: company_id,
            currency,
            journal,
            accounts,
            analytic,
            periods,
        })
    }

    /// The values of `account.move.create` for one journal, or why it cannot be written.
    fn move_values(&self, out: &Outgoing, books: &Books) -> Result<Value, GlError> {
        let journal = &out.journal;
        if let Some(problem) = check_balanced(journal).into_iter().next() {
            return Err(GlError::permanent(problem.message, Some(problem.field)));
        }
        let period = books
            .periods
            .iter()
            .find(|(start, end, _)| *start <= journal.date && journal.date <= *end)
            .map(|(_, _, id)| *id)
            .ok_or_else(|| {
                GlError::permanent(
                    format!("Tryton has no open period for {}", journal.date),
                    Some("date".into()),
                )
            })?;
        let mut lines = Vec::new();
        for (i, line) in journal.lines.iter().enumerate() {
            if line.currency.code() != books.currency {
                return Err(GlError::permanent(
                    format!(
                        "line {} is in {}, and the Tryton company books in {}",
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
                        "line {} posts to account {}, which Tryton does not have as a postable, \
                         open account",
                        i + 1,
                        line.account
                    ),
                    Some(format!("lines[{i}].account")),
                )
            })?;
            let (debit, credit) = match line.side {
                Side::Debit => (line.amount, Decimal::ZERO),
                Side::Credit => (Decimal::ZERO, line.amount),
            };
            let mut analytic = Vec::new();
            for (dimension, value) in &line.dimensions {
                let id = books
                    .analytic
                    .get(&(dimension.clone(), value.clone()))
                    .ok_or_else(|| {
                        GlError::permanent(
                            format!(
                                "line {} has {dimension} {value}, which Tryton does not have as \
                                 an open analytic account under the root {dimension}",
                                i + 1
                            ),
                            Some(format!("lines[{i}].dimensions.{dimension}")),
                        )
                    })?;
                analytic.push(json!({
                    "account": id,
                    "debit": decimal(debit),
                    "credit": decimal(credit),
                    "date": date(journal.date),
                }));
            }
            let mut values = json!({
                "account": account,
                "debit": decimal(debit),
                "credit": decimal(credit),
                "description": line.description,
            });
            if !analytic.is_empty() {
                values["analytic_lines"] = json!([["create", analytic]]);
            }
            lines.push(values);
        }
        Ok(json!({
            "company": books.company,
            "journal": books.journal,
            "period": period,
            "date": date(journal.date),
            "description": description(&out.reference, journal),
            "lines": [["create", lines]],
        }))
    }

    /// Posts the draft moves `ids`.
    async fn post_moves(&self, ids: &[i64]) -> Result<(), RpcError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call("post", "model.account.move.post", json!([ids]))
            .await
            .map(|_| ())
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut results: BTreeMap<String, Result<Posted, GlError>> = BTreeMap::new();
        let books = self.books().await?;
        let mut candidates: Vec<(&Outgoing, Value)> = Vec::new();
        for out in batch {
            let reference = out.reference.as_str();
            if results.contains_key(reference)
                || candidates.iter().any(|(o, _)| o.reference == out.reference)
            {
                continue;
            }
            match self.move_values(out, &books) {
                Ok(values) => candidates.push((out, values)),
                Err(e) => {
                    results.insert(reference.to_owned(), Err(e));
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
        let present = self.find(&refs, "lookup").await?;
        let mut drafts = Vec::new();
        let mut to_create = Vec::new();
        for (out, values) in candidates {
            let reference = out.reference.as_str();
            match present.get(reference) {
                Some(found) if found.posted => {
                    self.settled(reference);
                    results.insert(
                        reference.to_owned(),
                        Ok(Posted {
                            gl_id: gl_id(found),
                            receipt: "already posted in Tryton".into(),
                        }),
                    );
                }
                Some(found) => drafts.push((reference, found.id)),
                None if self.in_doubt(reference) => {
                    results.insert(
                        reference.to_owned(),
                        Err(GlError::unknown(
                            "an earlier write of this journal may still be running in Tryton",
                        )),
                    );
                }
                None => to_create.push((out, values)),
            }
        }
        // Create the drafts: all in one transaction; on a refusal, one by one to say which.
        let mut created: Vec<(&str, i64)> = Vec::new();
        if !to_create.is_empty() {
            let values: Vec<Value> = to_create.iter().map(|(_, v)| v.clone()).collect();
            let refs: Vec<&str> = to_create
                .iter()
                .map(|(o, _)| o.reference.as_str())
                .collect();
            match self.create(&refs, values).await {
                Ok(ids) => created.extend(refs.iter().copied().zip(ids)),
                Err(RpcError::User(_)) if to_create.len() > 1 => {
                    for (out, values) in &to_create {
                        let reference = out.reference.as_str();
                        match self.create(&[reference], vec![values.clone()]).await {
                            Ok(ids) => created.extend(ids.into_iter().map(|id| (reference, id))),
                            Err(e) => {
                                results.insert(
                                    reference.to_owned(),
                                    Err(create_error(e, &out.journal)),
                                );
                            }
                        }
                    }
                }
                Err(e) => {
                    let e = create_error(e, &to_create[0].0.journal);
                    for reference in refs {
                        results.insert(reference.to_owned(), Err(e.clone()));
                    }
                }
            }
        }
        // Post the new drafts and those an earlier attempt left.
        let mut to_post: Vec<(&str, i64)> = drafts;
        to_post.extend(created);
        if to_post.is_empty() {
            return Ok(outcome(batch, &results));
        }
        let ids: Vec<i64> = to_post.iter().map(|(_, id)| *id).collect();
        let posted = self.post_moves(&ids).await;
        if let Err(RpcError::User(message)) = &posted {
            // One move refused posting refuses them all: post each alone to say which.
            let message = message.clone();
            if to_post.len() > 1 {
                for (reference, id) in &to_post {
                    if let Err(e) = self.post_moves(&[*id]).await {
                        results.insert((*reference).to_owned(), Err(post_error(e)));
                    }
                }
            } else {
                results.insert(
                    to_post[0].0.to_owned(),
                    Err(GlError::permanent(
                        format!("Tryton refuses to post the move: {message}"),
                        None,
                    )),
                );
            }
        }
        // Whatever the answer said, the state of each move is read back.
        let refs: Vec<&str> = to_post
            .iter()
            .map(|(r, _)| *r)
            .filter(|r| !results.contains_key(*r))
            .collect();
        let back = match self.find(&refs, "read_back").await {
            Ok(back) => back,
            Err(e) => {
                for r in &refs {
                    results.insert(
                        (*r).to_owned(),
                        Err(GlError::unknown(format!("posted but not read back: {e}"))),
                    );
                }
                return Ok(outcome(batch, &results));
            }
        };
        for r in refs {
            let result = match (back.get(r), &posted) {
                (Some(found), _) if found.posted => {
                    self.settled(r);
                    Ok(Posted {
                        gl_id: gl_id(found),
                        receipt: "created as draft and posted".into(),
                    })
                }
                // The draft is there; the post failed or was lost: the next attempt posts it.
                (Some(_), Err(RpcError::Other(e))) => Err(e.clone()),
                (Some(_), _) => Err(GlError::retryable(
                    "the move is in Tryton as a draft and is posted on the next attempt",
                )),
                (None, _) => Err(GlError::unknown(
                    "Tryton created the move but it is not found by its reference",
                )),
            };
            results.insert(r.to_owned(), result);
        }
        Ok(outcome(batch, &results))
    }

    /// `account.move.create` of `values` (the moves of `refs`), returning their ids.
    async fn create(&self, refs: &[&str], values: Vec<Value>) -> Result<Vec<i64>, RpcError> {
        match self
            .call("post", "model.account.move.create", json!([values]))
            .await
        {
            Ok(Value::Array(ids)) if ids.len() == refs.len() => {
                Ok(ids.iter().filter_map(Value::as_i64).collect())
            }
            Ok(other) => {
                self.doubt(refs);
                Err(RpcError::Other(GlError::unknown(format!(
                    "create: Tryton's answer is not the moves' ids: {}",
                    other.to_string().chars().take(80).collect::<String>()
                ))))
            }
            Err(RpcError::Other(e @ GlError::Unknown { .. })) => {
                // Looked up before anything is sent again; until Tryton's request timeout has
                // passed, it is not called absent (see the module docs).
                self.doubt(refs);
                Err(RpcError::Other(e))
            }
            Err(e) => Err(e),
        }
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let types: HashMap<i64, Map<String, Value>> = self
            .search_read(
                "master_data",
                "account.account.type",
                json!([]),
                &["id", "statement", "assets", "revenue", "expense"],
            )
            .await?
            .into_iter()
            .filter_map(|t| Some((t.get("id")?.as_i64()?, t)))
            .collect();
        let accounts = self
            .search_read(
                "master_data",
                "account.account",
                json!([["closed", "!=", true]]),
                &["id", "code", "name", "type", "closed"],
            )
            .await?
            .into_iter()
            .filter_map(|a| {
                let code = a.get("code")?.as_str()?.to_owned();
                let name = a
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let kind_of = a
                    .get("type")
                    .and_then(Value::as_i64)
                    .and_then(|t| types.get(&t));
                let flag = |t: &Map<String, Value>, f: &str| {
                    t.get(f).and_then(Value::as_bool).unwrap_or(false)
                };
                let kind = match kind_of {
                    Some(t) if t.get("statement").and_then(Value::as_str) == Some("income") => {
                        if flag(t, "revenue") {
                            AccountKind::Income
                        } else {
                            AccountKind::Expense
                        }
                    }
                    Some(t) if flag(t, "assets") => AccountKind::Asset,
                    Some(_) => AccountKind::Liability,
                    // A heading: its kind is its children's; Folio cannot post to it.
                    None => AccountKind::Expense,
                };
                Some(Account {
                    code,
                    name,
                    kind,
                    postable: kind_of.is_some(),
                    active: !a.get("closed").and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect();
        let analytic = self
            .search_read(
                "master_data",
                "analytic_account.account",
                json!([]),
                &["id", "code", "name", "type", "state", "root"],
            )
            .await
            .unwrap_or_default();
        let mut dimensions: Vec<Dimension> = analytic
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some("root"))
            .filter_map(|root| {
                let id = root.get("id")?.as_i64()?;
                let code = root
                    .get("code")
                    .and_then(Value::as_str)
                    .or_else(|| root.get("name").and_then(Value::as_str))?
                    .to_owned();
                let values = analytic
                    .iter()
                    .filter(|a| a.get("root").and_then(Value::as_i64) == Some(id))
                    .filter(|a| a.get("type").and_then(Value::as_str) == Some("normal"))
                    .filter_map(|a| {
                        Some(DimensionValue {
                            code: a.get("code")?.as_str()?.to_owned(),
                            name: a
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            active: a.get("state").and_then(Value::as_str) == Some("opened"),
                        })
                    })
                    .collect();
                Some(Dimension {
                    name: root
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(&code)
                        .to_owned(),
                    required: false,
                    code,
                    values,
                })
            })
            .collect();
        dimensions.sort_by(|a, b| a.code.cmp(&b.code));
        let account_codes: HashMap<i64, String> = self
            .search_read("master_data", "account.account", json!([]), &["id", "code"])
            .await?
            .into_iter()
            .filter_map(|a| Some((a.get("id")?.as_i64()?, a.get("code")?.as_str()?.to_owned())))
            .collect();
        let tax_codes = self
            .search_read(
                "master_data",
                "account.tax",
                json!([["type", "=", "percentage"]]),
                &["id", "name", "description", "rate", "invoice_account"],
            )
            .await?
            .into_iter()
            .filter_map(|t| {
                let rate = read_decimal(t.get("rate")?)? * Decimal::ONE_HUNDRED;
                Some(TaxCode {
                    code: t.get("name")?.as_str()?.to_owned(),
                    name: t
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    vat_category: if rate.is_zero() {
                        VatCategory::Z
                    } else {
                        VatCategory::S
                    },
                    rate: rate.normalize(),
                    input_account: t
                        .get("invoice_account")
                        .and_then(Value::as_i64)
                        .and_then(|id| account_codes.get(&id).cloned()),
                    output_account: None,
                })
            })
            .collect();
        let vendors = self
            .search_read(
                "master_data",
                "party.party",
                json!([]),
                &["id", "code", "name"],
            )
            .await?
            .into_iter()
            .filter_map(|p| {
                Some(Vendor {
                    code: p
                        .get("code")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| p.get("id").map(Value::to_string).unwrap_or_default()),
                    name: p.get("name")?.as_str()?.to_owned(),
                    vat_id: None,
                    iban: None,
                    default_account: None,
                })
            })
            .collect();
        let periods = self
            .search_read(
                "master_data",
                "account.period",
                json!([["type", "=", "standard"]]),
                &["id", "name", "start_date", "end_date", "state"],
            )
            .await?
            .into_iter()
            .filter_map(|p| {
                Some(Period {
                    name: p.get("name")?.as_str()?.to_owned(),
                    start: read_date(p.get("start_date")?)?,
                    end: read_date(p.get("end_date")?)?,
                    closed: p.get("state").and_then(Value::as_str) != Some("open"),
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

/// The move's number once posted, else its id.
fn gl_id(found: &Found) -> String {
    if found.number.is_empty() {
        format!("account.move,{}", found.id)
    } else {
        format!("{} (account.move,{})", found.number, found.id)
    }
}

/// What a refused create means for a journal: Tryton's message, mapped to the line it names
/// when it names one of the journal's accounts.
fn create_error(error: RpcError, journal: &Journal) -> GlError {
    match error {
        RpcError::User(message) => {
            let field = journal
                .lines
                .iter()
                .position(|l| message.contains(&l.account))
                .map(|i| format!("lines[{i}].account"));
            GlError::permanent(format!("Tryton refuses the move: {message}"), field)
        }
        RpcError::Login => GlError::retryable("Tryton refused the session"),
        RpcError::Other(e) => e,
    }
}

fn post_error(error: RpcError) -> GlError {
    match error {
        RpcError::User(message) => {
            GlError::permanent(format!("Tryton refuses to post the move: {message}"), None)
        }
        RpcError::Login => GlError::retryable("Tryton refused the session"),
        RpcError::Other(e) => e,
    }
}

/// Standard base64 (RFC 4648, with padding), for the session header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Connector for Tryton {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Tryton
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

    /// Posted moves by reference. A draft move (created, not yet posted) is not reported: the
    /// next `post` of the journal posts that draft instead of creating another. A reference
    /// whose write may still be running in Tryton is an unknown outcome, not an absence.
    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let refs: Vec<&str> = references.iter().map(JournalRef::as_str).collect();
        let _alone = self.inner.gate.lock().await;
        let found = self.inner.find(&refs, "lookup").await?;
        let mut out = BTreeMap::new();
        for reference in &references {
            match found.get(reference.as_str()) {
                Some(f) if f.posted => {
                    self.inner.settled(reference.as_str());
                    out.insert(
                        reference.clone(),
                        Posted {
                            gl_id: gl_id(f),
                            receipt: "found posted in Tryton".into(),
                        },
                    );
                }
                Some(_) => {}
                None if self.inner.in_doubt(reference.as_str()) => {
                    return Err(GlError::unknown(format!(
                        "{reference} is not in Tryton yet, but its last write may still be \
                         running there"
                    )));
                }
                None => {}
            }
        }
        Ok(out)
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let _alone = self.inner.gate.lock().await;
        self.inner.master_data().await
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        self.inner.calls.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("admin:1:abc", "YWRtaW46MTphYmM="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn the_reference_is_the_descriptions_first_word() {
        let reference = JournalRef::new("AB", 7).unwrap();
        let journal = Journal {
            date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            memo: "  Supplier\n invoice 7 ".into(),
            status: folio_domain::JournalStatus::Approved,
            lines: vec![],
        };
        let text = description(&reference, &journal);
        assert_eq!(text, "FAB-7 Supplier invoice 7");
        assert_eq!(reference_of(&text), "FAB-7");
        assert_eq!(reference_of("FAB-70 x"), "FAB-70");
        assert_ne!(reference_of("FAB-70 x"), "FAB-7");
    }

    #[test]
    fn decimals_and_dates_in_trytons_json_read_back() {
        let value = Decimal::new(-12345, 3);
        assert_eq!(read_decimal(&decimal(value)), Some(value));
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(read_date(&date(day)), Some(day));
    }

    #[test]
    fn trytons_errors_map_to_the_outbox_decisions() {
        let user = rpc_error(&json!(["UserError", ["The account is closed.", "", null]]));
        assert!(matches!(user, RpcError::User(m) if m == "The account is closed."));
        assert!(matches!(
            rpc_error(&json!(["LoginException", []])),
            RpcError::Login
        ));
        assert!(matches!(
            rpc_error(&json!(["ConcurrencyException", ["x"]])),
            RpcError::Other(GlError::Retryable { .. })
        ));
        assert!(matches!(
            rpc_error(&json!(["RateLimitException", []])),
            RpcError::Other(GlError::RateLimited { .. })
        ));
        assert!(matches!(
            rpc_error(&json!(["division by zero", "Traceback ..."])),
            RpcError::Other(GlError::Retryable { message }) if !message.contains("Traceback")
        ));
    }

    #[test]
    fn the_url_names_server_and_database() {
        assert_eq!(
            Tryton::split_url("http://127.0.0.1:8000/folio/"),
            Some(("http://127.0.0.1:8000", "folio"))
        );
        assert_eq!(Tryton::split_url("http://127.0.0.1:8000"), None);
        assert_eq!(Tryton::split_url("http://127.0.0.1:8000/"), None);
    }
}
