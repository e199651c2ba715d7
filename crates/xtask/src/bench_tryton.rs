//! `cargo xtask bench gl tryton`: Folio's Tryton connector against a plain one-move-per-request
//! loop, on the same journals, each on a fresh Tryton, three runs each, reported by the median.
//!
//! Why here and how: the Tryton the integration tests start (`folio_tests::tryton_support`: a
//! copy of a template PostgreSQL cluster with trytond 8.2, `account` and `analytic_account`
//! activated, the chart of `folio_tests::gl_support::chart`) is started the same way for the
//! bench, so the figures are for the Tryton the tests check. Folio's side is the connector the
//! sync worker calls (`folio_gl::Tryton`, batches of its `max_batch`: one lookup, one create of
//! every move of the batch with its lines and analytic lines, one post, one read back); the plain
//! loop is what an integration without an outbox would run: per journal one
//! `model.account.move.create` and one `model.account.move.post` (Tryton creates moves as
//! drafts, so posting is a second call), nothing looked up or read back, creating the very moves
//! Folio's run booked (read from Tryton after that run, lines with their accounts, amounts and
//! parties, without the analytic lines). Both run in this process over HTTP on 127.0.0.1, so
//! the time measured is Tryton's plus the JSON-RPC round trips.

use anyhow::{Context, Result, bail};
use folio_gl::{Connector, Tryton};
use folio_tests::gl_support::outgoing;
use folio_tests::tryton_support::{DATABASE, PASSWORD, REQUEST_TIMEOUT, TrytonServer, USER};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Journals per run.
pub const JOURNALS: u32 = 500;
/// Runs of each scenario; the median is reported.
pub const RUNS: usize = 3;

/// A minimal JSON-RPC client of Tryton: a session, then calls with the user's context.
struct Rpc {
    http: reqwest::Client,
    url: String,
    header: String,
    context: Value,
}

impl Rpc {
    async fn login(base: &str) -> Result<Rpc> {
        let http = reqwest::Client::new();
        let url = format!("{base}/{DATABASE}/rpc/");
        let answer: Value = http
            .post(&url)
            .json(&json!({"id": 0, "method": "common.db.login",
                "params": [USER, {"password": PASSWORD}, "en"]}))
            .send()
            .await?
            .json()
            .await?;
        let (Some(user), Some(token)) =
            (answer["result"][0].as_i64(), answer["result"][1].as_str())
        else {
            bail!("Tryton login: {answer}");
        };
        let header = format!(
            "Session {}",
            base64(format!("{USER}:{user}:{token}").as_bytes())
        );
        let mut rpc = Rpc {
            http,
            url,
            header,
            context: json!({}),
        };
        rpc.context = rpc
            .call("model.res.user.get_preferences", json!([true]))
            .await?;
        Ok(rpc)
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let mut params = params.as_array().cloned().unwrap_or_default();
        params.push(self.context.clone());
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, &self.header)
            .json(&json!({"id": 1, "method": method, "params": params}))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{method}: {status}: {text}");
        }
        let answer: Value = serde_json::from_str(&text).with_context(|| method.to_owned())?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            bail!("{method}: {error}");
        }
        Ok(answer["result"].clone())
    }
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn started(what: &str) -> Result<TrytonServer> {
    TrytonServer::start(what).context("Tryton could not be started (see above)")
}

/// Moves and posted moves whose description starts with `prefix` (Folio's reference prefix, or
/// the plain loop's `PLAIN `).
fn posted(server: &TrytonServer, prefix: &str) -> Result<(usize, usize)> {
    let out = server.sql(&format!(
        "select count(*), count(*) filter (where state = 'posted') from account_move \
         where description like '{prefix}%'"
    ));
    let mut parts = out.trim().split('\t').map(str::parse::<usize>);
    match (parts.next(), parts.next()) {
        (Some(Ok(all)), Some(Ok(done))) => Ok((all, done)),
        _ => bail!("unexpected psql answer: {out}"),
    }
}

/// Folio's connector, in batches of its `max_batch`; returns the row and the moves it booked
/// (create values for the plain loop).
fn folio_run(run: usize) -> Result<(super::bench_gl::Row, Vec<Value>)> {
    let server = started("bench-tryton-folio")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tryton = Tryton::new(
        &server.url(),
        DATABASE,
        USER,
        PASSWORD,
        Duration::from_secs(30),
        REQUEST_TIMEOUT + Duration::from_secs(1),
    )?;
    let batch = tryton.capabilities().max_batch;
    let journals: Vec<_> = (1..=JOURNALS).map(|n| outgoing("FB", n)).collect();
    let clock = Instant::now();
    runtime.block_on(async {
        for chunk in journals.chunks(batch) {
            for (reference, result) in tryton.post(chunk.to_vec()).await {
                if let Err(e) = result {
                    bail!("{reference}: {e}");
                }
            }
        }
        anyhow::Ok(())
    })?;
    let seconds = clock.elapsed().as_secs_f64();
    // References are `F<tag>-<n>`: the prefix of Folio's moves' descriptions.
    let prefix = journals[0]
        .reference
        .as_str()
        .split_inclusive('-')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (all, done) = posted(&server, &prefix)?;
    if (all, done) != (JOURNALS as usize, JOURNALS as usize) {
        bail!("Folio's run left {all} moves, {done} posted, of {JOURNALS}");
    }
    let moves = runtime.block_on(booked(&server.url()))?;
    let row = super::bench_gl::Row {
        scenario: "tryton-folio-connector".into(),
        journals: u64::from(JOURNALS),
        batch,
        concurrency: 1,
        seconds,
        journals_per_second: f64::from(JOURNALS) / seconds,
    };
    eprintln!("    run {run}: {row:?}");
    Ok((row, moves))
}

/// The create values of every move in Tryton (as the plain loop will send them), renamed
/// `PLAIN …`.
async fn booked(base: &str) -> Result<Vec<Value>> {
    let rpc = Rpc::login(base).await?;
    let moves = rpc
        .call(
            "model.account.move.search_read",
            json!([
                [],
                0,
                null,
                [["id", "ASC"]],
                ["company", "journal", "period", "date", "description"]
            ]),
        )
        .await?;
    let lines = rpc
        .call(
            "model.account.move.line.search_read",
            json!([
                [],
                0,
                null,
                [["id", "ASC"]],
                ["move", "account", "debit", "credit", "party", "description"]
            ]),
        )
        .await?;
    let lines = lines.as_array().context("lines")?;
    let mut out = Vec::new();
    for m in moves.as_array().context("moves")? {
        let id = m["id"].as_i64().context("move id")?;
        let own: Vec<Value> = lines
            .iter()
            .filter(|l| l["move"].as_i64() == Some(id))
            .map(|l| {
                json!({
                    "account": l["account"], "debit": l["debit"], "credit": l["credit"],
                    "party": l["party"], "description": l["description"],
                })
            })
            .collect();
        let description = m["description"].as_str().unwrap_or_default();
        out.push(json!({
            "company": m["company"], "journal": m["journal"], "period": m["period"],
            "date": m["date"], "description": format!("PLAIN {description}"),
            "lines": [["create", own]],
        }));
    }
    if out.len() != JOURNALS as usize {
        bail!("read {} moves back, expected {JOURNALS}", out.len());
    }
    Ok(out)
}

/// The plain loop on a fresh Tryton: per move one create and one post.
fn plain_run(run: usize, moves: &[Value]) -> Result<super::bench_gl::Row> {
    let server = started("bench-tryton-plain")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let seconds = runtime.block_on(async {
        let rpc = Rpc::login(&server.url()).await?;
        let clock = Instant::now();
        for values in moves {
            let ids = rpc
                .call("model.account.move.create", json!([[values]]))
                .await?;
            rpc.call("model.account.move.post", json!([ids])).await?;
        }
        anyhow::Ok(clock.elapsed().as_secs_f64())
    })?;
    let (all, done) = posted(&server, "PLAIN")?;
    if (all, done) != (moves.len(), moves.len()) {
        bail!(
            "the plain loop left {all} moves, {done} posted, of {}",
            moves.len()
        );
    }
    let row = super::bench_gl::Row {
        scenario: "tryton-naive-loop".into(),
        journals: moves.len() as u64,
        batch: 1,
        concurrency: 1,
        seconds,
        journals_per_second: moves.len() as f64 / seconds,
    };
    eprintln!("    run {run}: {row:?}");
    Ok(row)
}

/// [`RUNS`] runs of each: the plain loop's median row, then Folio's.
pub fn rows() -> Result<Vec<super::bench_gl::Row>> {
    eprintln!("==> tryton ({RUNS} runs each, {JOURNALS} journals)");
    let mut naive = Vec::new();
    let mut folio = Vec::new();
    for run in 0..RUNS {
        let (row, moves) = folio_run(run)?;
        folio.push(row);
        naive.push(plain_run(run, &moves)?);
    }
    Ok(vec![
        super::bench_gl::median(naive)?,
        super::bench_gl::median(folio)?,
    ])
}
