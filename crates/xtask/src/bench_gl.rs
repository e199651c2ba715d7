//! `cargo xtask bench gl`: how fast the outbox posts, side by side with a plain one-entry-per-
//! request loop, and how long a GL outage holds journals up after the GL is back.
//!
//! Why a bench and not a test: throughput depends on the machine and on the GL's own speed (Fava
//! reloads and re-parses the whole ledger around every write), so it is measured on demand, with
//! release builds, and written to `target/bench-gl/report.json`.
//!
//! Scenarios, each on a copy of one workspace with N approved journals (the demo's invoices,
//! numbered apart):
//!
//! * `ledger-file`, one journal per append (plain loop) and 500 per append;
//! * Fava: a naive loop (one `add_entries` per journal, nothing checked or read back: the plain
//!   loop of an integration without an outbox), Folio's connector one journal per request, and
//!   Folio's connector 500 journals per request;
//! * hledger-web (1.25, on the PATH): a naive loop (one `PUT /add` per journal, nothing checked
//!   or read back, posting the very transactions Folio's run booked) and Folio's connector (one add per journal, checked first, each batch looked
//!   up before and read back after; no pipelining: see `folio_gl::hledger_web`), on the same
//!   number of journals, each run three times and reported by its median (hledger-web re-reads
//!   the whole journal on every add, so its rate falls as the journal grows: only equal counts
//!   compare);
//! * Tryton (`bench_tryton`): a plain loop (per journal one create and one post) and Folio's
//!   connector in batches, each on a fresh Tryton, three runs each, reported by the median;
//! * the outage: 1,000 journals to Fava behind the loopback fault proxy, which goes down one
//!   second into the run for 60 s; measured is the time from the GL's return to the last journal
//!   posted (the sync process's end).

use crate::{cargo, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use folio_gl::fault_proxy::{FaultProxy, Schedule};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const JOURNALS: usize = 1000;
/// Fava's plain loop is slow (~100/s, and Folio one journal per request ~8/s): a sample is enough.
const PLAIN_FAVA_JOURNALS: usize = 200;
const OUTAGE: Duration = Duration::from_secs(60);
/// Journals per hledger-web run (its naive loop does ~40-70/s on a growing journal).
const HLEDGER_JOURNALS: usize = 500;
/// Runs of each hledger-web scenario; the median is reported.
const HLEDGER_RUNS: usize = 3;
/// The commodities the demo's journals use, with their minor units, declared in hledger-web's
/// journal so hledger's precision is explicit.
const HLEDGER_COMMODITIES: &[(&str, usize)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("DKK", 2),
    ("NOK", 2),
    ("PLN", 2),
    ("JPY", 0),
];

fn folio(bin: &Path, ws: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not run folio {args:?}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() && !args.contains(&"sync") {
        bail!("folio {args:?} failed: {text}");
    }
    Ok(text)
}

/// A demo workspace with `n` approved journals.
fn workspace(bin: &Path, dir: &Path, n: usize) -> Result<PathBuf> {
    let ws = dir.join(format!("ws-{n}"));
    let inbox = dir.join(format!("inbox-{n}"));
    if ws.exists() {
        std::fs::remove_dir_all(&ws)?;
    }
    if inbox.exists() {
        std::fs::remove_dir_all(&inbox)?;
    }
    folio(bin, &ws, &["init", "--demo"])?;
    // The demo's originals, numbered apart: `folio import` them again under new numbers.
    let blobs = ws.join("blobs");
    let mut originals = Vec::new();
    collect(&blobs, &mut originals)?;
    originals.sort();
    std::fs::create_dir_all(&inbox)?;
    let docs: serde_json::Value =
        serde_json::from_str(&folio(bin, &ws, &["documents", "--json"])?)?;
    let numbers: Vec<String> = docs
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["number"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut written = 0;
    'outer: for i in 0.. {
        for path in &originals {
            if written + numbers.len() >= n {
                break 'outer;
            }
            let text = std::fs::read_to_string(path)?;
            let Some(number) = numbers.iter().find(|num| text.contains(num.as_str())) else {
                continue;
            };
            let unique = text.replace(number.as_str(), &format!("{number}-B{i}"));
            std::fs::write(inbox.join(format!("{written:05}.xml")), unique)?;
            written += 1;
        }
        if i > n {
            bail!("could not make {n} invoices from the demo");
        }
    }
    folio(bin, &ws, &["import", &inbox.display().to_string()])?;
    // Prepared by the demo's clerk, approved by one of its controllers.
    folio(bin, &ws, &["--as", "clerk", "journal", "--all"])?;
    folio(bin, &ws, &["--as", "controller", "approve", "--all"])?;
    Ok(ws)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    run_cmd(Command::new("cp").arg("-r").arg(from).arg(to))
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) journals: u64,
    pub(crate) batch: usize,
    pub(crate) concurrency: usize,
    pub(crate) seconds: f64,
    pub(crate) journals_per_second: f64,
}

/// Runs `folio sync --once` on a copy of `template` and returns the row.
fn sync_row(
    bin: &Path,
    template: &Path,
    name: &str,
    connect: &[&str],
    batch: usize,
    concurrency: usize,
) -> Result<Row> {
    let ws = template.with_file_name(format!("run-{name}"));
    copy_dir(template, &ws)?;
    if !connect.is_empty() {
        folio(bin, &ws, connect)?;
    }
    let (b, c) = (batch.to_string(), concurrency.to_string());
    let report: serde_json::Value = serde_json::from_str(&folio(
        bin,
        &ws,
        &[
            "sync",
            "--once",
            "--json",
            "--batch",
            &b,
            "--concurrency",
            &c,
        ],
    )?)?;
    let posted = report["posted"].as_u64().unwrap_or(0);
    let seconds = report["elapsed_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    if report["remaining"].as_u64() != Some(0) {
        bail!("{name}: journals left over: {report}");
    }
    let row = Row {
        scenario: name.to_owned(),
        journals: posted,
        batch,
        concurrency,
        seconds,
        journals_per_second: posted as f64 / seconds.max(0.001),
    };
    eprintln!("    {row:?}");
    Ok(row)
}

struct Server {
    child: std::process::Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a GL server on a free port of 127.0.0.1 and waits until it listens.
fn start_server(kind: &str, ledger: &Path) -> Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(crate::gl_tools::venv_bin().join(kind))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(ledger)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start {kind}"))?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("{kind} did not start");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Server { child, port })
}

/// The plain loop a naive integration would run: one `add_entries` per journal, nothing checked,
/// nothing read back (a two-posting entry per journal).
fn naive_fava_loop(opened_from: &Path, out: &Path, n: usize) -> Result<Row> {
    let ledger = out.join("fava-naive.beancount");
    fava_ledger(opened_from, &ledger)?;
    let text = std::fs::read_to_string(&ledger)?;
    let account = |root: &str| {
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(2))
            .find(|a| a.starts_with(root))
            .map(str::to_owned)
            .context("no account to post to")
    };
    let (expense, payable) = (account("Expenses:")?, account("Liabilities:")?);
    let server = start_server("fava", &ledger)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let base = format!("http://127.0.0.1:{}", server.port);
    let started = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let location = client.get(&base).send().await?;
        let slug = location
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.trim_start_matches('/').split('/').next())
            .context("no Fava slug")?
            .to_owned();
        for i in 0..n {
            let entry = serde_json::json!({
                "t": "Transaction", "date": "2026-01-01", "flag": "*", "payee": "",
                "narration": format!("naive {i}"), "meta": {"folio_ref": format!("FNAIVE-{i}")},
                "tags": [], "links": [],
                "postings": [
                    {"account": expense, "amount": "10.00 EUR", "meta": {}},
                    {"account": payable, "amount": "-10.00 EUR", "meta": {}},
                ],
            });
            let response = client
                .put(format!("{base}/{slug}/api/add_entries"))
                .json(&serde_json::json!({ "entries": [entry] }))
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("add_entries: {}", response.status());
            }
        }
        anyhow::Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    crate::gl_tools::bean_check(&ledger)?;
    let row = Row {
        scenario: "fava-naive-loop".into(),
        journals: n as u64,
        batch: 1,
        concurrency: 1,
        seconds,
        journals_per_second: n as f64 / seconds,
    };
    eprintln!("    {row:?}");
    Ok(row)
}

/// A fresh Fava ledger opening every account the ledger-file run opened.
fn fava_ledger(opened_from: &Path, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(opened_from)?;
    let mut ledger = String::from("option \"operating_currency\" \"EUR\"\n");
    for line in text.lines().filter(|l| l.contains(" open ")) {
        ledger.push_str(line);
        ledger.push('\n');
    }
    std::fs::write(path, ledger)?;
    Ok(())
}

/// An hledger journal declaring the commodities and every account the ledger-file run opened.
fn hledger_journal(opened_from: &Path, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(opened_from)?;
    let mut journal = String::new();
    for (code, minor_units) in HLEDGER_COMMODITIES {
        journal.push_str(&format!(
            "commodity 1000.{} {code}\n",
            "0".repeat(*minor_units)
        ));
    }
    for account in text
        .lines()
        .filter(|l| l.contains(" open "))
        .filter_map(|l| l.split_whitespace().nth(2))
    {
        journal.push_str(&format!("account {account}\n"));
    }
    std::fs::write(path, journal)?;
    Ok(())
}

/// Starts hledger-web (JSON API, may add) on a free port of 127.0.0.1 serving `journal`.
fn start_hledger_web(journal: &Path) -> Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("hledger-web")
        .args([
            "--serve-api",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .arg("--file")
        .arg(journal)
        .arg("--capabilities=view,add")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start hledger-web (Debian package hledger-web)")?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("hledger-web did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Server { child, port })
}

/// `hledger --strict check` of `journal`, failing with its complaints.
fn hledger_check(journal: &Path) -> Result<()> {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["--strict", "check"])
        .output()
        .context("could not run hledger")?;
    if !out.status.success() {
        bail!(
            "hledger check refuses {}: {}",
            journal.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The transactions of `journal` as hledger reads them (`hledger print -O json`): the JSON
/// hledger-web's `PUT /add` takes.
fn hledger_transactions(journal: &Path) -> Result<Vec<serde_json::Value>> {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["print", "-O", "json"])
        .output()
        .context("could not run hledger")?;
    if !out.status.success() {
        bail!("hledger print: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The plain loop a naive integration would run against hledger-web: one `PUT /add` per
/// transaction, nothing checked, nothing read back. It posts `transactions`, the very entries
/// Folio's run booked (hledger-web re-reads the whole journal on every add, so only the same
/// entries compare).
fn naive_hledger_loop(
    opened_from: &Path,
    journal: &Path,
    transactions: &[serde_json::Value],
) -> Result<Row> {
    hledger_journal(opened_from, journal)?;
    let server = start_hledger_web(journal)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = format!("http://127.0.0.1:{}/add", server.port);
    let started = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for transaction in transactions {
            let response = client.put(&url).json(transaction).send().await?;
            if !response.status().is_success() {
                bail!("PUT /add: {}", response.status());
            }
        }
        anyhow::Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    drop(server);
    hledger_check(journal)?;
    let n = transactions.len();
    Ok(Row {
        scenario: "hledger-web-naive-loop".into(),
        journals: n as u64,
        batch: 1,
        concurrency: 1,
        seconds,
        journals_per_second: n as f64 / seconds,
    })
}

/// The row with the median rate of `runs`.
pub(crate) fn median(mut runs: Vec<Row>) -> Result<Row> {
    runs.sort_by(|a, b| a.journals_per_second.total_cmp(&b.journals_per_second));
    let rates: Vec<String> = runs
        .iter()
        .map(|r| format!("{:.1}", r.journals_per_second))
        .collect();
    let middle = runs.len() / 2;
    let mut row = runs.into_iter().nth(middle).context("no runs")?;
    eprintln!(
        "    {}: runs {} /s, median {:.1} /s",
        row.scenario,
        rates.join(", "),
        row.journals_per_second
    );
    row.scenario = format!("{} (median)", row.scenario);
    Ok(row)
}

/// hledger-web: the naive loop and Folio's outbox on the same number of journals, each run
/// [`HLEDGER_RUNS`] times on a fresh journal.
fn hledger_web_rows(bin: &Path, out: &Path, opened: &Path) -> Result<Vec<Row>> {
    eprintln!("==> hledger-web ({HLEDGER_RUNS} runs each, {HLEDGER_JOURNALS} journals)");
    let template = workspace(bin, out, HLEDGER_JOURNALS)?;
    let mut naive = Vec::new();
    let mut outbox = Vec::new();
    for run in 0..HLEDGER_RUNS {
        let journal = out.join(format!("hledger-outbox-{run}.journal"));
        hledger_journal(opened, &journal)?;
        let server = start_hledger_web(&journal)?;
        let url = format!("http://127.0.0.1:{}", server.port);
        let connect = ["gl", "connect", "hledger-web", "--url", url.as_str()];
        let name = format!("hledger-web-outbox-{run}");
        let mut row = sync_row(bin, &template, &name, &connect, 100, 1)?;
        row.scenario = "hledger-web-outbox".into();
        drop(server);
        hledger_check(&journal)?;
        outbox.push(row);

        let booked = hledger_transactions(&journal)?;
        let naive_journal = out.join(format!("hledger-naive-{run}.journal"));
        let row = naive_hledger_loop(opened, &naive_journal, &booked)?;
        eprintln!("    {row:?}");
        naive.push(row);
    }
    Ok(vec![median(naive)?, median(outbox)?])
}

/// `only`: `hledger-web` runs just those scenarios (after the ledger-file run that opens the
/// accounts); `fava` just Fava's rows and the outage, `fava-rate` just Fava's rows (each after the
/// batched ledger-file run that opens the accounts); `tryton` just Tryton's rows (see
/// `bench_tryton`); anything else, everything.
pub fn run(only: Option<&str>) -> Result<()> {
    if only == Some("xero") {
        let rows = crate::bench_xero::rows()?;
        print_rows(&rows);
        let out = target_dir().join("bench-gl");
        std::fs::create_dir_all(&out)?;
        let path = out.join("report-xero.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&serde_json::json!({ "rows": rows }))?,
        )?;
        println!("report: {}", path.display());
        return Ok(());
    }
    if only == Some("tryton") {
        let rows = crate::bench_tryton::rows()?;
        print_rows(&rows);
        let out = target_dir().join("bench-gl");
        std::fs::create_dir_all(&out)?;
        let path = out.join("report-tryton.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&serde_json::json!({ "rows": rows }))?,
        )?;
        println!("report: {}", path.display());
        return Ok(());
    }
    crate::gl_tools::ensure_beancount()?;
    eprintln!("==> release build of folio");
    run_cmd(cargo().args(["build", "--release", "-p", "folio-cli"]))?;
    let bin = target_dir().join("release").join("folio");
    let out = target_dir().join("bench-gl");
    std::fs::create_dir_all(&out)?;
    if only == Some("hledger-web") {
        let big = workspace(&bin, &out, 100)?;
        let opened_run = sync_row(&bin, &big, "ledger-file-accounts", &[], 500, 1)?;
        eprintln!("    (accounts opened by {} journals)", opened_run.journals);
        let opened = big
            .with_file_name("run-ledger-file-accounts")
            .join("ledger.beancount");
        let rows = hledger_web_rows(&bin, &out, &opened)?;
        print_rows(&rows);
        let path = out.join("report-hledger-web.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&serde_json::json!({ "rows": rows }))?,
        )?;
        println!("report: {}", path.display());
        return Ok(());
    }
    eprintln!("==> workspaces with {JOURNALS} and {PLAIN_FAVA_JOURNALS} approved journals");
    let big = workspace(&bin, &out, JOURNALS)?;
    let small = workspace(&bin, &out, PLAIN_FAVA_JOURNALS)?;
    let mut rows = Vec::new();

    let fava_only = matches!(only, Some("fava" | "fava-rate"));
    eprintln!("==> ledger-file");
    if !fava_only {
        rows.push(sync_row(&bin, &big, "ledger-file-plain", &[], 1, 1)?);
    }
    rows.push(sync_row(&bin, &big, "ledger-file-batched", &[], 500, 1)?);
    let opened = big
        .with_file_name("run-ledger-file-batched")
        .join("ledger.beancount");
    crate::gl_tools::bean_check(&opened)?;

    eprintln!("==> fava");
    rows.push(naive_fava_loop(&opened, &out, PLAIN_FAVA_JOURNALS)?);
    for (name, template, batch) in [
        ("fava-outbox-plain", &small, 1),
        ("fava-outbox-batched", &big, 500),
    ] {
        let ledger = out.join(format!("{name}.beancount"));
        fava_ledger(&opened, &ledger)?;
        let fava = start_server("fava", &ledger)?;
        let url = format!("http://127.0.0.1:{}", fava.port);
        let connect = ["gl", "connect", "fava", "--url", url.as_str()];
        rows.push(sync_row(&bin, template, name, &connect, batch, 1)?);
        crate::gl_tools::bean_check(&ledger)?;
    }

    if !fava_only {
        rows.extend(hledger_web_rows(&bin, &out, &opened)?);
        rows.extend(crate::bench_tryton::rows()?);
    }
    if only == Some("fava-rate") {
        print_rows(&rows);
        return Ok(());
    }

    eprintln!(
        "==> a {} s outage during {JOURNALS} journals to fava",
        OUTAGE.as_secs()
    );
    let ledger = out.join("outage.beancount");
    fava_ledger(&opened, &ledger)?;
    let fava = start_server("fava", &ledger)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let upstream = format!("127.0.0.1:{}", fava.port).parse()?;
    let proxy = runtime.block_on(FaultProxy::start(upstream, Schedule::none()))?;
    let ws = big.with_file_name("run-outage");
    copy_dir(&big, &ws)?;
    folio(&bin, &ws, &["gl", "connect", "fava", "--url", &proxy.url()])?;
    let started = Instant::now();
    let child = Command::new(&bin)
        .arg("--workspace")
        .arg(&ws)
        .args(["sync", "--once", "--json", "--max-wait", "600"])
        .stdout(Stdio::piped())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(1));
    proxy.set_down(true);
    std::thread::sleep(OUTAGE);
    proxy.set_down(false);
    let back = Instant::now();
    let output = child.wait_with_output()?;
    let delay = back.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    crate::gl_tools::bean_check(&ledger)?;
    if report["remaining"].as_u64() != Some(0) {
        bail!("journals left after the outage: {report}");
    }
    let total = started.elapsed();

    print_rows(&rows);
    println!(
        "outage: {JOURNALS} journals, GL down {} s from 1 s in; all posted {:.1} s after it \
         came back (run {:.1} s, {} found by reference)",
        OUTAGE.as_secs(),
        delay.as_secs_f64(),
        total.as_secs_f64(),
        report["found_by_lookup"]
    );
    let json = serde_json::json!({
        "rows": rows,
        "outage": {
            "journals": JOURNALS,
            "outage_seconds": OUTAGE.as_secs(),
            "seconds_after_return": delay.as_secs_f64(),
            "sync": report,
        },
    });
    let path = out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    println!("report: {}", path.display());
    Ok(())
}

fn print_rows(rows: &[Row]) {
    println!();
    println!(
        "{:<33} {:>8} {:>6} {:>6} {:>9} {:>12}",
        "scenario", "journals", "batch", "conc.", "seconds", "journals/s"
    );
    for r in rows {
        println!(
            "{:<33} {:>8} {:>6} {:>6} {:>9.2} {:>12.1}",
            r.scenario, r.journals, r.batch, r.concurrency, r.seconds, r.journals_per_second
        );
    }
}
