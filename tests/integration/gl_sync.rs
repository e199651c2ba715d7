//! The outbox and the sync worker end to end, checked in the GL itself:
//!
//! * the demo workspace's journals, approved and synced through the CLI, land in the embedded
//!   ledger file once each and `bean-check` accepts it; the monitor logged the calls;
//! * a journal whose account the GL's master data lacks is rejected, never sent;
//! * 500 journals to a real Fava through the fault proxy (answers dropped after booking,
//!   connections reset, 500, 503, 429 with Retry-After, answers past the timeout, and Fava
//!   restarted mid-run) end with every journal in the ledger exactly once and nothing queued;
//! * the same 500 through the fault proxy to a real hledger-web 1.25, checked with hledger's own
//!   reading of the journal (`hledger print`, `hledger --strict check`);
//! * `folio sync` killed with SIGKILL at 30 random points and started again: the same;
//! * while one `folio sync` adds a batch to a slow hledger-web for longer than the settle time,
//!   a person's `folio gl resolve --lookup` is refused with `SYNC_BUSY` and a second `folio sync`
//!   waits for the sync lease: every journal is in the GL once (without the lease, the journals
//!   not sent yet looked missing and were posted twice).

use folio_app::{Context, SyncOptions, Workspace};
use folio_gl::fault_proxy::{Fault, FaultProxy, Schedule};
use folio_gl::{AnyConnector, Fava, HledgerWeb};
use folio_tests::gl_support::{
    FavaServer, HledgerWebServer, bean_check, hledger_check, hledger_journal, hledger_ref_counts,
    hledger_tools, python_tools, ref_counts,
};
use folio_tests::{folio, folio_bin, stdout};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

/// A demo workspace with `extra` more invoices (the demo's, numbered apart), every journal
/// approved and queued. The extra invoices get their template's journal through the store
/// (coding 500 documents in a debug build would be most of the test's time; the CLI approval
/// path is what `the_demo_posts_to_a_ledger_file_that_bean_check_accepts` runs).
pub(crate) fn workspace_with_queued_journals(dir: &Path, extra: usize) -> (PathBuf, usize) {
    workspace_with_queued_journals_where(dir, extra, &|_| true)
}

/// [`workspace_with_queued_journals`] approving only the journals `keep` accepts (the others
/// stay drafts): a GL that takes only some journals (Xero: its base currency) gets those.
pub(crate) fn workspace_with_queued_journals_where(
    dir: &Path,
    extra: usize,
    keep: &dyn Fn(&folio_domain::Journal) -> bool,
) -> (PathBuf, usize) {
    let ws_dir = dir.join("ws");
    let (mut ws, _) = Workspace::init(&ws_dir, true, Context::from_environment()).unwrap();
    let inbox = numbered_demo_copies(dir, extra);
    if extra > 0 {
        let (_, summary) = ws.import_paths(&[inbox], &mut |_| {}).unwrap();
        assert_eq!(summary.rejected, 0);
    }
    let tag = ws
        .ensure_workspace_tag(&mut StdRng::seed_from_u64(5))
        .unwrap();
    drop(ws);
    let mut store = folio_store::Store::open(&ws_dir).unwrap();
    // Prepared by the demo's clerk, approved by one of its controllers.
    let change = folio_store::Change::new("clerk", chrono::Utc::now());
    let approval = folio_store::Change::new("controller", chrono::Utc::now());
    let rows = store.list_documents().unwrap();
    let mut by_number = std::collections::HashMap::new();
    for row in &rows {
        if let Some(j) = store.journal_for_document(row.id).unwrap() {
            by_number.insert(row.number.clone(), j.journal);
        }
    }
    let mut queued = 0;
    for row in rows.iter().rev() {
        let template = row
            .number
            .rsplit_once("-X")
            .map_or(row.number.as_str(), |(t, _)| t);
        let journal = by_number[template].clone();
        if !keep(&journal) {
            continue;
        }
        let id = match store.journal_for_document(row.id).unwrap() {
            Some(j) => j.id,
            None => store.save_journal_draft(row.id, &journal, &change).unwrap(),
        };
        let reference = folio_gl::JournalRef::new(&tag, id.0).unwrap();
        store
            .approve_and_queue(id, reference.as_str(), &approval)
            .unwrap();
        queued += 1;
    }
    (ws_dir, queued)
}

/// `dir/inbox` holding `n` copies of the demo's invoices, each numbered apart (`NUMBER-Xi`).
fn numbered_demo_copies(dir: &Path, n: usize) -> PathBuf {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let templates: Vec<(String, String, String)> = folio_app::demo::demo_invoices(today())
        .into_iter()
        .filter_map(|f| {
            let number = folio_import::import_bytes(&f.bytes).ok()?.document.number;
            Some((f.file_name, String::from_utf8(f.bytes).ok()?, number))
        })
        .collect();
    for i in 0..n {
        let (name, text, number) = &templates[i % templates.len()];
        let unique = text.replace(number.as_str(), &format!("{number}-X{i}"));
        std::fs::write(inbox.join(format!("{i:05}-{name}")), unique).unwrap();
    }
    inbox
}

/// A demo workspace with `n` more invoices (the demo's, numbered apart), each given journal `k`
/// of the contract suite (EUR, the chart every GL simulator and template has; dated September to
/// December, the months the demo leaves open), approved and queued in the outbox; the demo's own
/// journals stay drafts. `seed` draws the workspace tag. Returns the workspace's folder.
pub(crate) fn workspace_with_queued_contract_journals(dir: &Path, n: usize, seed: u64) -> PathBuf {
    let ws_dir = dir.join("ws");
    let (mut ws, _) = Workspace::init(&ws_dir, true, Context::from_environment()).unwrap();
    let inbox = numbered_demo_copies(dir, n);
    let (_, summary) = ws.import_paths(&[inbox], &mut |_| {}).unwrap();
    assert_eq!(summary.rejected, 0);
    let tag = ws
        .ensure_workspace_tag(&mut StdRng::seed_from_u64(seed))
        .unwrap();
    drop(ws);
    let mut store = folio_store::Store::open(&ws_dir).unwrap();
    // Prepared by the demo's clerk, approved by one of its controllers.
    let change = folio_store::Change::new("clerk", chrono::Utc::now());
    let approval = folio_store::Change::new("controller", chrono::Utc::now());
    let mut k = 0u32;
    for row in store.list_documents().unwrap() {
        if !row.number.contains("-X") {
            continue;
        }
        k += 1;
        let mut journal = folio_tests::gl_support::journal(k);
        // The demo workspace's rules lock January to August 2026: dated in its open months.
        journal.date = chrono::NaiveDate::from_ymd_opt(2026, 9 + k % 4, 1 + k % 28).unwrap();
        let id = store.save_journal_draft(row.id, &journal, &change).unwrap();
        let reference = folio_gl::JournalRef::new(&tag, id.0).unwrap();
        store
            .approve_and_queue(id, reference.as_str(), &approval)
            .unwrap();
    }
    assert_eq!(k as usize, n);
    ws_dir
}

/// `(posted, duplicates, lost)` of a sync run: the outbox entries posted, the GL's entries beyond
/// one per reference (`counts`: entries per reference in the GL), and the outbox references the
/// GL has none of.
pub(crate) fn tally(
    counts: &HashMap<String, usize>,
    outbox: &[folio_app::OutboxView],
) -> (usize, usize, usize) {
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox.iter().filter(|e| e.state == "posted").count();
    let lost = outbox
        .iter()
        .filter(|e| !counts.contains_key(&e.reference))
        .count();
    (posted, duplicates, lost)
}

/// `(reference, state, gl_id)` of every outbox entry.
pub(crate) fn outbox(ws: &Path) -> Vec<(String, String, Option<String>)> {
    let db = Connection::open(ws.join("folio.sqlite")).unwrap();
    let mut stmt = db
        .prepare("SELECT reference, state, gl_id FROM outbox ORDER BY journal_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every journal of the outbox is posted and in the ledger exactly once, and nothing else is.
pub(crate) fn assert_exactly_once(ws: &Path, counts: &HashMap<String, usize>, expected: usize) {
    let entries = outbox(ws);
    assert_eq!(entries.len(), expected);
    let not_posted: Vec<_> = entries.iter().filter(|e| e.1 != "posted").collect();
    assert!(not_posted.is_empty(), "not posted: {not_posted:?}");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "in the ledger more than once: {twice:?}");
    for (reference, _, gl_id) in &entries {
        assert_eq!(
            counts.get(reference),
            Some(&1),
            "{reference} is not in the ledger"
        );
        assert!(gl_id.as_deref().is_some_and(|g| !g.is_empty()));
    }
    assert_eq!(
        counts.len(),
        expected,
        "the ledger has entries Folio did not send"
    );
}

/// The demo chart opened in a fresh ledger for Fava.
pub(crate) fn fava_ledger(path: &Path) {
    let mut text = String::from("; Folio sync test\noption \"operating_currency\" \"EUR\"\n");
    for a in folio_app::demo::demo_master_data(today()).accounts {
        if a.postable && a.active {
            text.push_str(&format!(
                "2000-01-01 open {}\n",
                folio_gl::chart::account_name(&a)
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_demo_posts_to_a_ledger_file_that_bean_check_accepts() {
    let Some(bin) = python_tools("the_demo_posts_to_a_ledger_file_that_bean_check_accepts") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let approved = folio(&ws, &["--as", "controller", "approve", "--all", "--json"]);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let outcomes: Vec<serde_json::Value> = serde_json::from_str(&stdout(&approved)).unwrap();
    assert_eq!(outcomes.len(), 26);
    let synced = folio(&ws, &["sync", "--once", "--json"]);
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&synced)).unwrap();
    assert_eq!(report["posted"], 26, "{report}");
    assert_eq!(report["remaining"], 0);
    let ledger = ws.join("ledger.beancount");
    assert_eq!(bean_check(&bin, &ledger), "");
    assert_exactly_once(&ws, &ref_counts(&ledger), 26);

    // Again: nothing is left to send, nothing is written twice.
    let again = folio(&ws, &["sync", "--once", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(report["posted"], 0);
    assert_exactly_once(&ws, &ref_counts(&ledger), 26);

    let log = folio(&ws, &["gl", "log", "--json"]);
    let calls: Vec<serde_json::Value> = serde_json::from_str(&stdout(&log)).unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c["operation"] == "post" && c["status"] == "ok")
    );
    let human = stdout(&folio(&ws, &["gl", "log"]));
    assert!(
        human.contains("ledger-file") && human.contains("post"),
        "{human}"
    );
}

#[test]
fn a_journal_whose_account_the_gl_lacks_is_rejected_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 0);
    // The GL retired the office-supplies account after the journals were approved.
    let db = Connection::open(ws_dir.join("folio.sqlite")).unwrap();
    db.execute("UPDATE accounts SET active = 0 WHERE code = '4930'", [])
        .unwrap();
    let mut ws = Workspace::open(&ws_dir).unwrap();
    let report = ws
        .sync(SyncOptions::default(), &mut StdRng::seed_from_u64(1))
        .unwrap();
    assert!(report.rejected > 0, "{report:?}");
    assert_eq!(report.posted + report.rejected, count(queued));
    for e in &report.exceptions {
        let reason = e.last_error.as_deref().unwrap();
        assert!(
            reason.contains("4930") && reason.contains(".account"),
            "{reason}"
        );
    }
    let ledger = std::fs::read_to_string(ws_dir.join("ledger.beancount")).unwrap();
    assert!(
        !ledger.contains("4930"),
        "a rejected journal reached the ledger"
    );
    for e in &report.exceptions {
        assert!(!ledger.contains(&format!("\"{}\"", e.reference)));
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap()
}

/// A runtime for the fault proxy, apart from the worker's own.
fn proxy_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn five_hundred_journals_reach_fava_exactly_once_through_faults_and_a_restart() {
    let test = "five_hundred_journals_reach_fava_exactly_once_through_faults_and_a_restart";
    let Some(bin) = python_tools(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 474);
    assert_eq!(queued, 500);
    let ledger = dir.path().join("main.beancount");
    fava_ledger(&ledger);
    let server = Arc::new(Mutex::new(FavaServer::start(&bin, &ledger)));
    let upstream = format!("127.0.0.1:{}", server.lock().unwrap().port)
        .parse()
        .unwrap();
    let rt = proxy_runtime();
    // About three requests in ten meet a fault; answers held back 2.5 s against a 2 s timeout.
    let slow = Duration::from_millis(2500);
    let schedule = Schedule {
        faults: vec![
            (Fault::DropResponse, 40),
            (Fault::ResetBeforeForward, 40),
            (Fault::Status(500), 40),
            (Fault::Status(503), 40),
            (
                Fault::RateLimit {
                    retry_after_secs: 1,
                },
                60,
            ),
            (Fault::Slow(slow), 60),
        ],
        seed: 20261121,
    };
    let proxy = Arc::new(rt.block_on(FaultProxy::start(upstream, schedule)).unwrap());
    // Fava restarts mid-run, behind an outage. (Not under a request: Fava rewrites the whole
    // ledger file for each entry, so killing it mid-write loses the GL's own data.)
    let restarter = {
        let (server, proxy) = (Arc::clone(&server), Arc::clone(&proxy));
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            proxy.set_down(true);
            std::thread::sleep(Duration::from_secs(3));
            server.lock().unwrap().restart();
            proxy.set_down(false);
        })
    };
    let mut ws = Workspace::open(&ws_dir).unwrap();
    let accounts = folio_app::demo::demo_master_data(today()).accounts;
    let connector = AnyConnector::Fava(
        Fava::new(&proxy.url(), &accounts, Duration::from_secs(2), None).unwrap(),
    );
    let started = Instant::now();
    let report = ws
        .sync_with(
            connector,
            SyncOptions {
                max_wait: Duration::from_secs(240),
                batch: 25,
                // The connector's timeout (2 s) and a margin.
                settle: Duration::from_secs(4),
                ..SyncOptions::default()
            },
            &mut StdRng::seed_from_u64(7),
        )
        .unwrap();
    restarter.join().unwrap();
    eprintln!(
        "{report:?} in {:.1} s; faults injected: {:?}",
        started.elapsed().as_secs_f64(),
        proxy.counts()
    );
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let faults: u64 = proxy
        .counts()
        .iter()
        .filter(|(f, _)| **f != Fault::Pass)
        .map(|(_, n)| n)
        .sum();
    assert!(
        faults >= 10,
        "too few faults to mean anything: {:?}",
        proxy.counts()
    );
    assert_eq!(bean_check(&bin, &ledger), "");
    assert_exactly_once(&ws_dir, &ref_counts(&ledger), 500);
    // Each entry carries the audit chain's head at the time it was sent, through Fava too.
    let text = std::fs::read_to_string(&ledger).unwrap();
    assert_eq!(
        text.matches("folio_audit: \"").count(),
        500,
        "every posted entry carries folio_audit"
    );
    let log = ws.gl_log(100_000).unwrap();
    assert!(
        log.iter().any(|c| c.status == "429"),
        "the monitor shows the 429s"
    );
    assert!(
        log.iter().any(|c| c.status == "timeout"),
        "and the timeouts"
    );
}

/// The fault schedule of the 500-journal runs: about three requests in ten meet a fault; answers
/// held back 2.5 s against a 2 s timeout.
fn fault_schedule() -> Schedule {
    Schedule {
        faults: vec![
            (Fault::DropResponse, 40),
            (Fault::ResetBeforeForward, 40),
            (Fault::Status(500), 40),
            (Fault::Status(503), 40),
            (
                Fault::RateLimit {
                    retry_after_secs: 1,
                },
                60,
            ),
            (Fault::Slow(Duration::from_millis(2500)), 60),
        ],
        seed: 20261122,
    }
}

#[test]
fn five_hundred_journals_reach_hledger_web_exactly_once_through_faults_and_a_restart() {
    let test = "five_hundred_journals_reach_hledger_web_exactly_once_through_faults_and_a_restart";
    if !hledger_tools(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 474);
    assert_eq!(queued, 500);
    let journal = dir.path().join("main.journal");
    let accounts = folio_app::demo::demo_master_data(today()).accounts;
    std::fs::write(&journal, hledger_journal("Folio sync test", &accounts)).unwrap();
    let server = Arc::new(Mutex::new(HledgerWebServer::start(&journal)));
    let upstream = format!("127.0.0.1:{}", server.lock().unwrap().port)
        .parse()
        .unwrap();
    let rt = proxy_runtime();
    let proxy = Arc::new(
        rt.block_on(FaultProxy::start(upstream, fault_schedule()))
            .unwrap(),
    );
    // hledger-web restarts mid-run, behind an outage (not under a request: a kill mid-append
    // would cut the GL's own file).
    let restarter = {
        let (server, proxy) = (Arc::clone(&server), Arc::clone(&proxy));
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            proxy.set_down(true);
            std::thread::sleep(Duration::from_secs(3));
            server.lock().unwrap().restart();
            proxy.set_down(false);
        })
    };
    let mut ws = Workspace::open(&ws_dir).unwrap();
    // No journal path: the connector learns it from hledger-web's own answers.
    let connector = AnyConnector::HledgerWeb(
        HledgerWeb::new(&proxy.url(), &accounts, Duration::from_secs(2), None, None).unwrap(),
    );
    let started = Instant::now();
    let report = ws
        .sync_with(
            connector,
            SyncOptions {
                max_wait: Duration::from_secs(240),
                batch: 25,
                settle: Duration::from_secs(4),
                ..SyncOptions::default()
            },
            &mut StdRng::seed_from_u64(8),
        )
        .unwrap();
    restarter.join().unwrap();
    let counts = hledger_ref_counts(&journal);
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox(&ws_dir).iter().filter(|e| e.1 == "posted").count();
    eprintln!(
        "{report:?} in {:.1} s; faults injected: {:?}; attempted 500, posted {posted}, \
         duplicates {duplicates}, lost {}",
        started.elapsed().as_secs_f64(),
        proxy.counts(),
        500 - counts.len().min(500),
    );
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let faults: u64 = proxy
        .counts()
        .iter()
        .filter(|(f, _)| **f != Fault::Pass)
        .map(|(_, n)| n)
        .sum();
    assert!(faults >= 10, "too few faults: {:?}", proxy.counts());
    assert_eq!(hledger_check(&journal), "");
    assert_exactly_once(&ws_dir, &counts, 500);
    let log = ws.gl_log(100_000).unwrap();
    assert!(
        log.iter().any(|c| c.status == "429"),
        "the monitor shows the 429s"
    );
    assert!(
        log.iter().any(|c| c.status == "timeout"),
        "and the timeouts"
    );
}

#[test]
fn sync_killed_thirty_times_still_posts_every_journal_once() {
    let test = "sync_killed_thirty_times_still_posts_every_journal_once";
    let Some(bin) = python_tools(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 274);
    let ledger = dir.path().join("main.beancount");
    fava_ledger(&ledger);
    let server = FavaServer::start(&bin, &ledger);
    let url = server.url();
    let connect = folio(&ws_dir, &["gl", "connect", "fava", "--url", &url]);
    assert!(
        connect.status.success(),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );
    let mut rng = StdRng::seed_from_u64(30);
    let mut posted_at_kill = Vec::new();
    for _ in 0..30 {
        let mut child = Command::new(folio_bin())
            .arg("--workspace")
            .arg(&ws_dir)
            .args(["sync", "--once", "--batch", "5", "--concurrency", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(20..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        posted_at_kill.push(outbox(&ws_dir).iter().filter(|e| e.1 == "posted").count());
    }
    eprintln!("posted when killed: {posted_at_kill:?}");
    assert!(
        posted_at_kill[29] < queued,
        "the sync finished before the last kill: {posted_at_kill:?}"
    );
    let finish = folio(&ws_dir, &["sync", "--once", "--json"]);
    assert!(
        finish.status.success(),
        "{}",
        String::from_utf8_lossy(&finish.stderr)
    );
    assert_eq!(bean_check(&bin, &ledger), "");
    assert_exactly_once(&ws_dir, &ref_counts(&ledger), queued);
}

/// Waits until `done` holds for the outbox of `ws` (polling), at most `limit`.
fn wait_for_outbox(
    ws: &Path,
    limit: Duration,
    done: impl Fn(&[(String, String, Option<String>)]) -> bool,
) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done(&outbox(ws)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_second_sync_and_a_look_up_wait_for_the_sync_lease_and_post_nothing_twice() {
    let test = "a_second_sync_and_a_look_up_wait_for_the_sync_lease_and_post_nothing_twice";
    if !hledger_tools(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 34);
    assert_eq!(queued, 60);
    let journal = dir.path().join("main.journal");
    let accounts = folio_app::demo::demo_master_data(today()).accounts;
    std::fs::write(
        &journal,
        hledger_journal("Folio sync lease test", &accounts),
    )
    .unwrap();
    let server = HledgerWebServer::start(&journal);
    let rt = proxy_runtime();
    // A slow GL: every answer held back, so that one batch of 60 (one add each, in turn)
    // takes longer than the settle time (12 s) after which a look-up may call a journal
    // marked `sending` missing.
    let proxy = rt
        .block_on(FaultProxy::start(
            format!("127.0.0.1:{}", server.port).parse().unwrap(),
            Schedule {
                faults: vec![(Fault::Slow(Duration::from_millis(300)), 1000)],
                seed: 1,
            },
        ))
        .unwrap();
    let connect = folio(
        &ws_dir,
        &["gl", "connect", "hledger-web", "--url", &proxy.url()],
    );
    assert!(
        connect.status.success(),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );
    let spawn_sync = |extra: &[&str]| {
        Command::new(folio_bin())
            .arg("--workspace")
            .arg(&ws_dir)
            .args(["sync", "--once", "--json", "--max-wait", "90"])
            .args(extra)
            .env_remove("FOLIO_WORKSPACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The first sync marks all 60 `sending` and adds them one request at a time.
    let first = spawn_sync(&["--batch", "100", "--concurrency", "1"]);
    let first_pid = first.id();
    assert!(
        wait_for_outbox(&ws_dir, Duration::from_secs(30), |o| o
            .iter()
            .all(|e| e.1 != "queued")),
        "the first sync never marked the journals: {:?}",
        outbox(&ws_dir)
    );
    let marked = Instant::now();
    // Past the settle time, the journals it has not reached yet look missing from the GL.
    std::thread::sleep(Duration::from_secs(13));
    let waiting: Vec<String> = outbox(&ws_dir)
        .into_iter()
        .filter(|e| e.1 == "sending")
        .map(|e| e.0)
        .collect();
    assert!(
        !waiting.is_empty(),
        "the first sync sent all 60 within {:.1} s; the GL must be slower for this test to mean \
         anything",
        marked.elapsed().as_secs_f64()
    );
    // A person's look-up of the last one, not sent yet: refused while the first sync runs.
    let last = waiting.last().unwrap();
    let look_up = folio(&ws_dir, &["gl", "resolve", last, "--lookup", "--json"]);
    let err = String::from_utf8_lossy(&look_up.stderr).into_owned();
    assert!(!look_up.status.success(), "{}", stdout(&look_up));
    assert!(
        stdout(&look_up).contains("\"SYNC_BUSY\""),
        "{}",
        stdout(&look_up)
    );
    assert!(
        err.contains(&format!("a sync is already running (pid {first_pid})")),
        "{err}"
    );
    // A second sync (the desktop's Sync now, a terminal's `folio sync`) waits for the first.
    let second = spawn_sync(&[]);
    let first = first.wait_with_output().unwrap();

    let second = second.wait_with_output().unwrap();
    for (name, run) in [("first", &first), ("second", &second)] {
        assert!(
            run.status.success(),
            "the {name} sync: {}{}",
            stdout(run),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let counts = hledger_ref_counts(&journal);
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    eprintln!(
        "attempted 60, posted {}, duplicates {duplicates}, lost {}; the first sync's batch took \
         {:.1} s",
        counts.len(),
        60 - counts.len().min(60),
        marked.elapsed().as_secs_f64()
    );
    assert_eq!(hledger_check(&journal), "");
    assert_exactly_once(&ws_dir, &counts, 60);
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        report["posted"], 0,
        "the second sync found nothing left: {report}"
    );
}
