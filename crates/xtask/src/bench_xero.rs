//! `cargo xtask bench gl xero`: Folio's Xero connector against a plain one-journal-per-request
//! loop, on the same journals, each run on a fresh Xero simulator, three runs each, median.
//!
//! Why here and how: there is no Xero to measure against here, so both run against the
//! simulator the tests use (`folio_tests::xero_sim`, every request checked against Xero's
//! OpenAPI description from the shared folder), answering each Accounting call after
//! [`LATENCY`] to stand for the round trip to a cloud API. Xero's real limit of 60 calls a
//! minute is lifted on both sides for the timed runs (both would otherwise be measuring the
//! limit); what the limit makes of each is derived from the calls each made per journal and
//! printed beside the rates. Folio's side is the connector the sync worker calls
//! (`folio_gl::Xero`, batches of its `max_batch`: the reference data once, then per batch one
//! look-up and one `PUT ManualJournals` with an `Idempotency-Key`); the plain loop is what an
//! integration without an outbox would run: one `PUT ManualJournals` per journal, nothing
//! looked up or checked.

use anyhow::{Context, Result, bail};
use folio_gl::oauth::TokenSource;
use folio_gl::xero::{self, Limits, PostAs, Xero, XeroSettings};
use folio_gl::{Connector, Outgoing};
use folio_tests::gl_support::outgoing;
use folio_tests::xero_sim::{MemoryVault, SimLimits, Specs, XeroSim, test_org};
use std::time::{Duration, Instant};

/// Journals per run.
pub const JOURNALS: u32 = 500;
/// Runs of each scenario; the median is reported.
pub const RUNS: usize = 3;
/// Added to every Accounting answer of the simulator.
pub const LATENCY: Duration = Duration::from_millis(50);
const TENANT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const CLIENT: &str = "FOLIO-BENCH";

fn unlimited() -> SimLimits {
    SimLimits {
        concurrent: 5,
        per_minute: 1_000_000,
        per_day: 1_000_000,
    }
}

async fn simulator(shared: &std::path::Path) -> XeroSim {
    let sim = XeroSim::start(CLIENT, test_org(TENANT), Specs::load(shared), unlimited()).await;
    sim.set_latency(LATENCY);
    sim
}

fn journals(tag: &str) -> Vec<Outgoing> {
    (1..=JOURNALS).map(|n| outgoing(tag, n)).collect()
}

fn row(scenario: &str, batch: usize, seconds: f64) -> super::bench_gl::Row {
    super::bench_gl::Row {
        scenario: scenario.to_owned(),
        journals: u64::from(JOURNALS),
        batch,
        concurrency: 1,
        seconds,
        journals_per_second: f64::from(JOURNALS) / seconds,
    }
}

/// Folio's connector: batches of its maximum, one after the other.
async fn folio_run(shared: &std::path::Path, run: usize) -> Result<(super::bench_gl::Row, usize)> {
    let sim = simulator(shared).await;
    let vault = MemoryVault::with("bench", sim.grant(chrono::Utc::now()));
    let tokens = TokenSource::new(
        xero::oauth_client(CLIENT, &sim.base, &sim.base),
        folio_gl::http::Http::new("xero", Duration::from_secs(30))?,
        vault,
        "bench",
        folio_gl::oauth::system_clock(),
    );
    let c = Xero::new(
        XeroSettings {
            api_base: sim.base.clone(),
            tenant_id: TENANT.into(),
            post_as: PostAs::Posted,
            timeout: Duration::from_secs(30),
            limits: Limits {
                concurrent: 5,
                per_minute: 1_000_000,
                per_day: 1_000_000,
            },
        },
        tokens,
    )?;
    let all = journals(&format!("XB{run:03}"));
    let max = c.capabilities().max_batch;
    let started = Instant::now();
    for chunk in all.chunks(max) {
        for (reference, result) in c.post(chunk.to_vec()).await {
            if let Err(e) = result {
                bail!("{reference}: {e}");
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    check(&sim)?;
    Ok((
        row("xero: Folio connector", max, seconds),
        sim.requests().len(),
    ))
}

/// The plain loop: one PUT per journal.
async fn plain_run(shared: &std::path::Path, run: usize) -> Result<(super::bench_gl::Row, usize)> {
    let sim = simulator(shared).await;
    let token = sim.grant(chrono::Utc::now()).access_token;
    let http = reqwest::Client::new();
    let url = format!("{}/api.xro/2.0/ManualJournals", sim.base);
    let all = journals(&format!("XP{run:03}"));
    let started = Instant::now();
    for out in &all {
        // Written by hand so the amounts go out as the decimals they are.
        let text = |t: &str| serde_json::to_string(t).unwrap_or_default();
        let lines: Vec<String> = out
            .journal
            .lines
            .iter()
            .map(|l| {
                let signed = match l.side {
                    folio_domain::Side::Debit => l.amount,
                    folio_domain::Side::Credit => -l.amount,
                };
                format!(
                    "{{\"LineAmount\":{signed},\"AccountCode\":{},\"Description\":{}}}",
                    text(&l.account),
                    text(&l.description)
                )
            })
            .collect();
        let body = format!(
            "{{\"ManualJournals\":[{{\"Narration\":{},\"Date\":\"{}\",\"Status\":\"POSTED\",\"JournalLines\":[{}]}}]}}",
            text(&format!("{} {}", out.reference.as_str(), out.journal.memo)),
            out.journal.date.format("%Y-%m-%d"),
            lines.join(",")
        );
        let answer = http
            .put(&url)
            .bearer_auth(&token)
            .header("xero-tenant-id", TENANT)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        if !answer.status().is_success() {
            bail!("plain loop: HTTP {}", answer.status());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    check(&sim)?;
    Ok((
        row("xero: plain loop, 1 per request", 1, seconds),
        sim.requests().len(),
    ))
}

/// Every journal once, and every request as Xero's description has it.
fn check(sim: &XeroSim) -> Result<()> {
    let counts = sim.ref_counts();
    if counts.len() != JOURNALS as usize || counts.values().any(|n| *n != 1) {
        bail!(
            "{} references in Xero, not {JOURNALS} once each",
            counts.len()
        );
    }
    let (violations, _) = sim.violations();
    if !violations.is_empty() {
        bail!("requests departing from Xero's OpenAPI description: {violations:?}");
    }
    Ok(())
}

pub fn rows() -> Result<Vec<super::bench_gl::Row>> {
    let shared = folio_tests::shared_dir("bench gl xero")
        .context("the shared folder with specs/xero is needed")?;
    eprintln!(
        "==> xero simulator ({RUNS} runs each, {JOURNALS} journals, {} ms per answer)",
        LATENCY.as_millis()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut plain = Vec::new();
    let mut folio = Vec::new();
    let mut calls = (0, 0);
    for run in 0..RUNS {
        let (row, n) = runtime.block_on(plain_run(&shared, run))?;
        plain.push(row);
        calls.0 = n;
        let (row, n) = runtime.block_on(folio_run(&shared, run))?;
        folio.push(row);
        calls.1 = n;
    }
    // Under Xero's 60 calls a minute, a run is bounded by its calls: journals per second at most
    // 60 / 60 s × journals / calls.
    for (name, n) in [("plain loop", calls.0), ("Folio", calls.1)] {
        eprintln!(
            "    {name}: {n} calls for {JOURNALS} journals; under Xero's 60 calls a minute at most \
             {:.1} journals/s",
            f64::from(JOURNALS) / n as f64
        );
    }
    Ok(vec![
        super::bench_gl::median(plain)?,
        super::bench_gl::median(folio)?,
    ])
}
