//! The `quickbooks` connector against the QuickBooks Online simulator (`tests/sim/quickbooks.rs`,
//! each behaviour citing Intuit's page), with OAuth tokens from the shared token source:
//!
//! * the connector contract (each `DocNumber` booked once, balanced, classes, vendor entity on
//!   the accounts-payable line, tax codes; `minorversion` pinned and a `requestid` on every
//!   write), starting with an expired access token (a 401, one refresh, the rotated refresh
//!   token stored before use);
//! * the simulator's `requestid` replay and `DocNumber` without uniqueness, as documented;
//! * answers lost after QuickBooks booked (single and batch): unknown, looked up by `DocNumber`,
//!   never booked twice;
//! * Faults mapped to the line (an account deactivated after Folio read the chart, the closed
//!   books), the vendor that cannot be told refused before sending;
//! * QuickBooks' 429 `ThrottleExceeded` as rate-limited, nothing booked, the company held back
//!   on the client; a revoked grant as "sign in again";
//! * journals queued in a workspace's outbox posted by Folio's sync worker through the fault
//!   proxy, and `folio sync` killed with SIGKILL 30 times then finished: every journal in
//!   QuickBooks exactly once.

use crate::gl_contract::{self, Gl};
use folio_gl::oauth::{OAuthClient, TokenSet, TokenSource, TokenVault};
use folio_gl::{AnyConnector, Connector, GlError, QuickBooks};
use folio_tests::gl_support::{chart, outgoing};
use folio_tests::sim_quickbooks::{CLIENT_ID, CLIENT_SECRET, Company, Limits, QboSim};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tokens in memory: the test's stand-in for the keychain the app uses.
#[derive(Debug, Default)]
struct MemoryVault {
    tokens: Mutex<HashMap<String, TokenSet>>,
}

impl TokenVault for MemoryVault {
    fn load(&self, connection: &str) -> Result<Option<TokenSet>, GlError> {
        Ok(self.tokens.lock().unwrap().get(connection).cloned())
    }

    fn store(&self, connection: &str, tokens: &TokenSet) -> Result<(), GlError> {
        self.tokens
            .lock()
            .unwrap()
            .insert(connection.to_owned(), tokens.clone());
        Ok(())
    }
}

fn oauth_client(sim: &QboSim) -> OAuthClient {
    OAuthClient {
        authorize_url: format!("{}/connect/oauth2", sim.url()),
        token_url: format!("{}/oauth2/v1/tokens/bearer", sim.url()),
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        scopes: vec!["com.intuit.quickbooks.accounting".into()],
        redirect_path: "/callback".into(),
        extra_params: Vec::new(),
    }
}

/// A token source whose vault holds a fresh grant of `sim` (the access token already expired
/// when `expired`).
fn tokens(sim: &QboSim, expired: bool) -> (TokenSource, Arc<MemoryVault>) {
    let (refresh, access) = sim.grant();
    let vault = Arc::new(MemoryVault::default());
    let expires_at = if expired {
        chrono::Utc::now() - chrono::Duration::seconds(1)
    } else {
        chrono::Utc::now() + chrono::Duration::seconds(3600)
    };
    vault
        .store(
            "qbo-test",
            &TokenSet {
                access_token: access,
                refresh_token: Some(refresh),
                expires_at,
                scope: None,
                token_type: Some("bearer".into()),
                id_token: None,
            },
        )
        .unwrap();
    let http = folio_gl::http::Http::new("quickbooks", Duration::from_secs(5)).unwrap();
    let source = TokenSource::new(
        oauth_client(sim),
        http,
        Arc::clone(&vault) as Arc<dyn TokenVault>,
        "qbo-test",
        folio_gl::oauth::system_clock(),
    );
    (source, vault)
}

/// The contract suite's chart as a QuickBooks company: 1600 is accounts payable, the cost
/// centres are classes, the journals' supplier ("Supplier …" memos) a vendor.
fn company() -> Company {
    Company::from_chart(
        &chart(),
        &["1600"],
        &["CC-100", "CC-200"],
        &["North", "South"],
        &["Supplier", "Bürobedarf Nord GmbH"],
    )
}

fn connector(sim: &QboSim, source: &TokenSource, timeout: Duration, bound: Duration) -> QuickBooks {
    QuickBooks::new(
        &format!("{}?class=cost_centre&department=region", sim.company_url()),
        Arc::new(source.clone()),
        timeout,
        bound,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickbooks_keeps_the_connector_contract() {
    let sim = QboSim::start(company()).await;
    // The stored access token has expired: the first call refreshes it.
    let (source, vault) = tokens(&sim, true);
    let first_refresh = vault.load("qbo-test").unwrap().unwrap().refresh_token;
    let make = || {
        connector(
            &sim,
            &source,
            Duration::from_secs(10),
            Duration::from_secs(60),
        )
    };
    let refs = || sim.doc_number_counts();
    let check = || sim.check();
    gl_contract::run(
        "QB",
        &make(),
        make,
        Gl {
            refs: &refs,
            check: &check,
        },
    )
    .await;
    // The refresh rotated the refresh token, and the new one is what the vault keeps.
    let stored = vault.load("qbo-test").unwrap().unwrap();
    assert_ne!(
        stored.refresh_token, first_refresh,
        "the refresh token rotated"
    );
    // Every API request pinned the minor version; every write carried a requestid; no token
    // ever went into a URL.
    let seen = sim.seen();
    for s in seen.iter().filter(|s| s.path.starts_with("/v3/")) {
        assert_eq!(
            s.query.get("minorversion").map(String::as_str),
            Some(folio_gl::quickbooks::MINOR_VERSION),
            "{s:?}"
        );
        if s.method == "POST" {
            assert!(s.query.contains_key("requestid"), "{s:?}");
        }
        assert!(
            !s.query
                .values()
                .any(|v| v.starts_with("AT") || v.starts_with("RT")),
            "{s:?}"
        );
    }
    assert!(
        seen.iter().any(|s| s.path.ends_with("/batch")),
        "several journals go in one batch request"
    );
    // The entry of journal 1: classes on the expense lines, tax codes, the vendor on the
    // payables line, the reference as DocNumber.
    let entry = sim
        .entries()
        .into_iter()
        .find(|e| e["DocNumber"] == "FQB-1")
        .expect("FQB-1");
    let lines = entry["Line"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    let detail = |i: usize| &lines[i]["JournalEntryLineDetail"];
    assert!(detail(0)["ClassRef"]["value"].is_string());
    assert!(detail(0)["TaxCodeRef"]["value"].is_string());
    assert_eq!(detail(0)["TaxApplicableOn"], "Purchase");
    assert_eq!(detail(3)["PostingType"], "Credit");
    assert_eq!(detail(3)["Entity"]["Type"], "Vendor");
    let journal = outgoing("QB", 1).journal;
    assert_eq!(
        lines[0]["Amount"].to_string(),
        journal.lines[0].amount.to_string()
    );
}

/// The simulator does what Intuit documents for `requestid`: the same id answers the first
/// answer again without booking; without one, the same entry is booked twice (QuickBooks does
/// not keep `DocNumber` unique) — which is why the connector never resends blindly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_replays_a_requestid_and_keeps_no_docnumber_unique() {
    let sim = QboSim::start(company()).await;
    let (_, access) = sim.grant();
    let client = reqwest::Client::new();
    let accounts: serde_json::Value = client
        .get(format!(
            "{}/query?minorversion=75&query=select * from Account",
            sim.company_url()
        ))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of = |number: &str| {
        accounts["QueryResponse"]["Account"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["AcctNum"] == number)
            .unwrap()["Id"]
            .clone()
    };
    let line = |account: &str, side: &str, amount: &str| {
        serde_json::json!({"DetailType": "JournalEntryLineDetail",
            "Amount": serde_json::from_str::<serde_json::Value>(amount).unwrap(),
            "JournalEntryLineDetail": {"PostingType": side,
                "AccountRef": {"value": id_of(account)}}})
    };
    let entry = serde_json::json!({"DocNumber": "X-1", "TxnDate": "2026-03-02",
        "Line": [line("4930", "Debit", "10.05"), line("1576", "Credit", "10.05")]});
    let post = |query: &'static str| {
        let (client, entry, url, access) = (
            client.clone(),
            entry.clone(),
            format!("{}/journalentry?minorversion=75{query}", sim.company_url()),
            access.clone(),
        );
        async move {
            let r = client
                .post(url)
                .bearer_auth(access)
                .json(&entry)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (s1, a1) = post("&requestid=r-1").await;
    let (s2, a2) = post("&requestid=r-1").await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(a1["JournalEntry"]["Id"], a2["JournalEntry"]["Id"]);
    assert_eq!(sim.doc_number_counts().get("X-1"), Some(&1));
    let (s3, _) = post("").await;
    assert_eq!(s3, 200);
    assert_eq!(sim.doc_number_counts().get("X-1"), Some(&2));
    // An unbalanced entry and an accounts-payable line without a vendor: ValidationFaults.
    let unbalanced = serde_json::json!({"DocNumber": "X-2",
        "Line": [line("4930", "Debit", "10.05"), line("1576", "Credit", "10.04")]});
    let no_vendor = serde_json::json!({"DocNumber": "X-3",
        "Line": [line("4930", "Debit", "5"), line("1600", "Credit", "5")]});
    for (body, code) in [(unbalanced, "6000"), (no_vendor, "6000")] {
        let r = client
            .post(format!(
                "{}/journalentry?minorversion=75",
                sim.company_url()
            ))
            .bearer_auth(&access)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let fault: serde_json::Value = r.json().await.unwrap();
        assert_eq!(fault["Fault"]["type"], "ValidationFault");
        assert_eq!(fault["Fault"]["Error"][0]["code"], code, "{fault}");
    }
    // An unknown token is a 401.
    let r = client
        .get(format!("{}/preferences?minorversion=75", sim.company_url()))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// Lost answers, for a single create and for a batch. Lost after QuickBooks booked: the outcome
/// is unknown, the look-up finds the entries, a resend books nothing. Lost before QuickBooks
/// booked: until the write bound has passed the look-up says "unknown" and `post` sends
/// nothing; then the entries are absent and sent. One entry per reference either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_are_resolved_by_docnumber_never_booked_twice() {
    let sim = QboSim::start(company()).await;
    let (source, _) = tokens(&sim, false);
    let bound = Duration::from_secs(3);
    let qbo = connector(&sim, &source, Duration::from_secs(1), bound);
    let batches: Vec<Vec<_>> = vec![
        vec![outgoing("LA", 1)],
        (2..=5).map(|n| outgoing("LA", n)).collect(),
        vec![outgoing("LA", 6)],
        (7..=9).map(|n| outgoing("LA", n)).collect(),
    ];
    for (i, batch) in batches.into_iter().enumerate() {
        let refs: Vec<_> = batch.iter().map(|o| o.reference.clone()).collect();
        let booked_first = i < 2;
        if booked_first {
            sim.lose_next_answers(1);
        } else {
            sim.drop_next_requests(1);
        }
        let first = qbo.post(batch.clone()).await;
        for (r, result) in &first {
            assert!(
                matches!(result, Err(GlError::Unknown { .. })),
                "{r}: {result:?}"
            );
        }
        if booked_first {
            let found = qbo.lookup(refs.clone()).await.unwrap();
            assert_eq!(found.len(), refs.len(), "booked, and found by DocNumber");
            let again = qbo.post(batch.clone()).await;
            assert!(again.iter().all(|(_, r)| r.is_ok()), "{again:?}");
        } else {
            assert!(
                matches!(qbo.lookup(refs.clone()).await, Err(GlError::Unknown { .. })),
                "not called absent while the write may still be running"
            );
            let writes = sim.seen().iter().filter(|s| s.method == "POST").count();
            let held = qbo.post(batch.clone()).await;
            assert!(
                held.iter()
                    .all(|(_, r)| matches!(r, Err(GlError::Unknown { .. })))
            );
            assert_eq!(
                sim.seen().iter().filter(|s| s.method == "POST").count(),
                writes,
                "nothing was sent again inside the bound"
            );
            tokio::time::sleep(bound).await;
            assert!(qbo.lookup(refs.clone()).await.unwrap().is_empty());
            let sent = qbo.post(batch.clone()).await;
            assert!(sent.iter().all(|(_, r)| r.is_ok()), "{sent:?}");
        }
        let counts = sim.doc_number_counts();
        for r in &refs {
            assert_eq!(counts.get(r.as_str()), Some(&1), "{r}");
        }
    }
    assert_eq!(sim.check(), "");
}

/// QuickBooks' Faults land on the journal's line; what Folio can tell before sending is refused
/// before sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_mapped_to_the_line_they_name() {
    let sim = QboSim::start(company()).await;
    let (source, _) = tokens(&sim, false);
    let qbo = connector(
        &sim,
        &source,
        Duration::from_secs(10),
        Duration::from_secs(60),
    );
    assert!(qbo.post(vec![outgoing("FM", 1)]).await[0].1.is_ok());
    // An accountant deactivated 4964 after Folio read the chart: QuickBooks' 2500 names it.
    sim.deactivate_account("4964");
    let refused = qbo.post(vec![outgoing("FM", 2)]).await;
    match &refused[0].1 {
        Err(GlError::Permanent { field, message }) => {
            assert_eq!(field.as_deref(), Some("lines[1].account"), "{message}");
            assert!(message.contains("2500"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Closed books: QuickBooks' 6210 names the date.
    let mut late = outgoing("FM", 3);
    late.journal.lines[1].account = "4930".into();
    sim.set_book_close_date(Some(late.journal.date));
    match &qbo.post(vec![late]).await[0].1 {
        Err(GlError::Permanent { field, message }) => {
            assert_eq!(field.as_deref(), Some("date"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    sim.set_book_close_date(None);
    // No vendor's name starts the memo: refused before sending, on the payables line.
    let mut stranger = outgoing("FM", 4);
    stranger.journal.lines[1].account = "4930".into();
    stranger.journal.memo = "Unknown Trading Ltd invoice 4".into();
    let before = sim.seen().len();
    match &qbo.post(vec![stranger]).await[0].1 {
        Err(GlError::Permanent { field, message }) => {
            assert_eq!(field.as_deref(), Some("lines[3].vendor"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        sim.seen()[before..].iter().all(|s| s.method == "GET"),
        "nothing was written"
    );
    // A class QuickBooks lacks: refused before sending, naming the dimension.
    let mut unknown_class = outgoing("FM", 5);
    unknown_class.journal.lines[0]
        .dimensions
        .insert("cost_centre".into(), "CC-999".into());
    unknown_class.journal.lines[1].account = "4930".into();
    match &qbo.post(vec![unknown_class]).await[0].1 {
        Err(GlError::Permanent { field, .. }) => {
            assert_eq!(field.as_deref(), Some("lines[0].dimensions.cost_centre"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.doc_number_counts().len(), 1);
}

/// QuickBooks' throttle (here lowered to 12 calls a minute) answers 429 ThrottleExceeded: the
/// connector reports rate-limited, nothing is booked for that journal, and every further request
/// to the company is held back on the client for the wait (shown in its rate-limit state) instead
/// of meeting more 429s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_rate_limited_and_holds_the_company_back() {
    let sim = QboSim::start(company()).await;
    let (source, _) = tokens(&sim, false);
    let qbo = connector(
        &sim,
        &source,
        Duration::from_secs(10),
        Duration::from_secs(60),
    );
    sim.set_limits(Limits {
        per_minute: 12,
        ..Limits::default()
    });
    let mut limited = None;
    for n in 1..=12 {
        let outcome = qbo.post(vec![outgoing("TH", n)]).await;
        if let Err(e @ GlError::RateLimited { .. }) = &outcome[0].1 {
            limited = Some((n, e.clone()));
            break;
        }
        assert!(outcome[0].1.is_ok(), "{outcome:?}");
    }
    let (n, error) = limited.expect("the throttle answered 429");
    assert!(error.to_string().contains("ThrottleExceeded"), "{error}");
    let reference = outgoing("TH", n).reference;
    assert_eq!(sim.doc_number_counts().get(reference.as_str()), None);
    assert!(qbo.drain_calls().iter().any(|c| c.status == "429"));
    // Held back on the client: the next post sends nothing.
    let state = qbo.rate_limit_state();
    assert!(state.paused_ms > 0, "{state:?}");
    assert!(
        state
            .last_throttle
            .as_deref()
            .is_some_and(|t| t.contains("ThrottleExceeded")),
        "{state:?}"
    );
    assert_eq!(state.minute_limit, 500);
    let seen = sim.seen().len();
    let again = qbo.post(vec![outgoing("TH", n)]).await;
    assert!(
        matches!(&again[0].1, Err(GlError::RateLimited { .. })),
        "{again:?}"
    );
    assert_eq!(sim.seen().len(), seen, "nothing was sent while held back");
}

/// The user disconnected Folio in QuickBooks: the next request's 401 leads to a refresh that
/// QuickBooks refuses (`invalid_grant`), which is "sign in again", not a retry loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_asks_to_sign_in_again() {
    let sim = QboSim::start(company()).await;
    let (source, _) = tokens(&sim, false);
    let qbo = connector(
        &sim,
        &source,
        Duration::from_secs(10),
        Duration::from_secs(60),
    );
    assert!(qbo.post(vec![outgoing("RV", 1)]).await[0].1.is_ok());
    sim.revoke_grants();
    let outcome = qbo.post(vec![outgoing("RV", 2)]).await;
    assert!(
        matches!(&outcome[0].1, Err(GlError::SignInAgain { .. })),
        "{outcome:?}"
    );
    let refreshes = sim
        .seen()
        .iter()
        .filter(|s| s.path == "/oauth2/v1/tokens/bearer")
        .count();
    assert_eq!(refreshes, 1, "one refresh was tried, not a loop");
}

/// The demo chart as a QuickBooks company (1600 payables; cost centres as classes, projects as
/// departments; the contract journals' supplier as a vendor).
fn demo_company() -> Company {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    let master = folio_app::demo::demo_master_data(today);
    let values = |code: &str| -> Vec<String> {
        master
            .dimensions
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.values.iter().map(|v| v.code.clone()).collect())
            .unwrap_or_default()
    };
    let classes = values("cost_centre");
    let departments = values("project");
    Company::from_chart(
        &master.accounts,
        &["1600"],
        &classes.iter().map(String::as_str).collect::<Vec<_>>(),
        &departments.iter().map(String::as_str).collect::<Vec<_>>(),
        &["Supplier"],
    )
}

/// How many journals the fault run sends (the figure is 500; 200 keep CI short).
const FAULT_RUN: usize = 200;

/// Journals queued in a workspace's outbox, posted by Folio's sync worker through the fault
/// proxy (answers dropped after QuickBooks booked, connections reset, 500, 503, 429 with
/// Retry-After, answers past the client's timeout) and the simulator losing answers itself, with
/// the access token expiring mid-run: every journal in QuickBooks exactly once, nothing queued.
#[test]
fn journals_reach_quickbooks_exactly_once_through_faults() {
    use folio_app::{SyncOptions, Workspace};
    use folio_gl::fault_proxy::{Fault, FaultProxy, Schedule};
    use rand::SeedableRng;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt.block_on(QboSim::start(demo_company()));
    let dir = tempfile::tempdir().unwrap();
    let ws_dir = crate::gl_sync::workspace_with_queued_contract_journals(dir.path(), FAULT_RUN, 17);
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
            (Fault::Slow(Duration::from_millis(2500)), 60),
        ],
        seed: 20261122,
    };
    let proxy = rt
        .block_on(FaultProxy::start(sim.addr(), schedule))
        .unwrap();
    let (source, _) = tokens(&sim, false);
    // Access tokens live 70 s from the first refresh on (refreshed 60 s before they expire):
    // refreshes, each rotating the refresh token, happen during the run.
    sim.set_access_lifetime(Duration::from_secs(70));
    sim.expire_access_tokens();
    sim.lose_next_answers(3);
    let company_url = format!(
        "{}/v3/company/{}?class=cost_centre&department=project",
        proxy.url(),
        sim.realm()
    );
    let qbo = QuickBooks::new(
        &company_url,
        Arc::new(source),
        Duration::from_secs(2),
        Duration::from_secs(3),
    )
    .unwrap();
    let mut ws = Workspace::open(&ws_dir).unwrap();
    let started = std::time::Instant::now();
    let report = ws
        .sync_with(
            AnyConnector::QuickBooks(qbo),
            SyncOptions {
                max_wait: Duration::from_secs(240),
                // Small batches: more requests, so more of them meet a fault.
                batch: 10,
                settle: Duration::from_secs(4),
                ..SyncOptions::default()
            },
            &mut rand::rngs::StdRng::seed_from_u64(12),
        )
        .unwrap();
    let counts = sim.doc_number_counts();
    let outbox = ws.outbox().unwrap();
    let (posted, duplicates, lost) = crate::gl_sync::tally(&counts, &outbox);
    eprintln!(
        "{report:?} in {:.1} s; faults injected: {:?}; attempted {FAULT_RUN}, posted {posted}, \
         duplicates {duplicates}, lost {lost}",
        started.elapsed().as_secs_f64(),
        proxy.counts(),
    );
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let faults: u64 = proxy
        .counts()
        .iter()
        .filter(|(f, _)| **f != Fault::Pass)
        .map(|(_, n)| n)
        .sum();
    assert!(faults >= 10, "too few faults: {:?}", proxy.counts());
    assert_eq!(outbox.len(), FAULT_RUN);
    assert_eq!((posted, duplicates, lost), (FAULT_RUN, 0, 0));
    assert_eq!(
        counts.len(),
        FAULT_RUN,
        "QuickBooks has entries Folio did not send"
    );
    assert_eq!(sim.check(), "");
    let refreshes = sim
        .seen()
        .iter()
        .filter(|s| s.path == "/oauth2/v1/tokens/bearer" && s.status == 200)
        .count();
    assert!(
        refreshes >= 1,
        "the access token was refreshed: {refreshes}"
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

/// How many journals the crash run queues.
const CRASH_RUN: usize = 300;

/// `folio gl connect quickbooks` through the CLI (the test plays the browser: it takes the
/// sign-in URL Folio prints and follows the simulator's redirect to Folio's loopback listener
/// with `curl`; the app secret and the tokens
/// go to a real gnome-keyring under dbus-run-session), `folio gl pull`, then `folio sync` killed
/// with SIGKILL at 30 random points and started again: every journal in QuickBooks exactly once,
/// and no secret or token in the workspace or the output. About 100 s: the last run must wait
/// out QuickBooks' write bound (60 s) once before it may call a journal that a killed run was
/// sending absent.
#[test]
fn sync_to_quickbooks_killed_thirty_times_posts_every_journal_once() {
    use rand::{Rng, SeedableRng};
    let test = "sync_to_quickbooks_killed_thirty_times_posts_every_journal_once";
    let has = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("dbus-run-session") || !has("gnome-keyring-daemon") || !has("curl") {
        folio_tests::gl_support::skip(
            test,
            "dbus-run-session, gnome-keyring-daemon and curl are needed",
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt.block_on(QboSim::start(demo_company()));
    // Each API call takes 40 ms inside "QuickBooks", so a run is cut off mid-way. Thirty
    // processes that each read the lists again would spend the company's 500 calls a minute
    // (each process keeps the throttle for itself only): this run is about crashes, so the
    // simulated company allows more (the throttle has its own test).
    sim.set_latency(Duration::from_millis(40));
    sim.set_limits(Limits {
        per_minute: 100_000,
        batches_per_minute: 10_000,
        ..Limits::default()
    });
    let scratch = tempfile::tempdir().unwrap();
    let ws = crate::gl_sync::workspace_with_queued_contract_journals(scratch.path(), CRASH_RUN, 17);
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    let delays: Vec<String> = (0..30)
        .map(|_| format!("{:.3}", f64::from(rng.random_range(150u32..700)) / 1000.0))
        .collect();
    let folio = folio_tests::folio_bin().display().to_string();
    let ws_arg = ws.display().to_string();
    let url = format!(
        "{}/v3/company/{}?class=cost_centre&department=project",
        sim.url(),
        sim.realm()
    );
    let script = format!(
        "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf %s \"$APP_SECRET\" | '{folio}' --workspace '{ws_arg}' gl connect quickbooks \
--url '{url}' --client-id {CLIENT_ID} --secret-stdin --no-browser --sign-in-timeout 60 \
>connect.out 2>connect.err &
connect=$!
url=
for i in $(seq 1 300); do
  url=$(grep -m1 '^http' connect.out || true)
  [ -n \"$url\" ] && break
  sleep 0.1
done
# The browser: the simulator's consent redirects it to Folio's loopback listener.
curl --silent --location --max-time 20 --output /dev/null \"$url\"
wait $connect
cat connect.out connect.err
'{folio}' --workspace '{ws_arg}' gl pull
set +e
for d in {delays}; do
  '{folio}' --workspace '{ws_arg}' sync --once --batch 5 --concurrency 1 >/dev/null 2>&1 &
  pid=$!
  sleep $d
  kill -KILL $pid 2>/dev/null
  wait $pid
  echo \"run exit=$?\"
done
set -e
'{folio}' --workspace '{ws_arg}' sync --once --json
",
        delays = delays.join(" ")
    );
    let mut cmd = folio_tests::keyring_support::session_script(scratch.path(), &script);
    let out = cmd
        .env("APP_SECRET", CLIENT_SECRET)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Connected to quickbooks"), "{stdout}");
    let killed = stdout.matches("run exit=137").count();
    let counts = sim.doc_number_counts();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let db = rusqlite::Connection::open(ws.join("folio.sqlite")).unwrap();
    let entries: Vec<(String, String)> = db
        .prepare("SELECT reference, state FROM outbox")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let posted = entries.iter().filter(|e| e.1 == "posted").count();
    let lost = entries
        .iter()
        .filter(|e| !counts.contains_key(&e.0))
        .count();
    eprintln!(
        "killed {killed} of 30 runs mid-sync; attempted {CRASH_RUN}, posted {posted}, \
         duplicates {duplicates}, lost {lost}"
    );
    assert!(killed >= 20, "most runs were cut off by SIGKILL: {stdout}");
    assert_eq!(entries.len(), CRASH_RUN);
    assert_eq!((posted, duplicates, lost), (CRASH_RUN, 0, 0));
    assert_eq!(
        counts.len(),
        CRASH_RUN,
        "QuickBooks has entries Folio did not send"
    );
    assert_eq!(sim.check(), "");
    // The app's secret and every token stay out of the workspace and the output.
    let mut secrets = sim.issued_tokens();
    secrets.push(CLIENT_SECRET.to_owned());
    for secret in &secrets {
        assert!(!stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()));
    }
    let mut stack = vec![ws.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for secret in &secrets {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "a secret is in {}",
                    path.display()
                );
            }
        }
    }
}
