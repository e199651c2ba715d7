//! The Xero connector against the Xero simulator (`tests/xero_sim.rs`), every request checked
//! against Xero's official OpenAPI descriptions from the shared folder:
//!
//! * the GL contract suite (`gl_contract::run`);
//! * validation errors from Xero mapped to the line, the documented `Idempotency-Key` replay,
//!   a lost answer after a commit resolved by reference;
//! * rate limits: the client keeps Xero's limits itself, and a 429 with `Retry-After` and
//!   `X-Rate-Limit-Problem` pauses the tenant and tells the outbox how long to wait;
//! * a revoked sign-in stops the sync with "sign in again", everything still queued, after one
//!   refresh attempt (not a loop);
//! * 500 journals through the project's fault proxy (dropped answers, resets, 500, 503, 429,
//!   slow answers, an outage, access tokens expiring mid-run) end in Xero exactly once;
//! * the browser sign-in end to end (the test plays the browser), tokens in a real Secret
//!   Service keychain only, then `folio sync` killed with SIGKILL 30 times and restarted: every
//!   journal in Xero exactly once, and no token in the workspace, the monitor or any output.

use crate::gl_contract::{self, Gl};
use crate::gl_sync::{assert_exactly_once, outbox, workspace_with_queued_journals_where};
use folio_app::{ErrorCode, SyncOptions, Workspace};
use folio_gl::fault_proxy::{Fault, FaultProxy, Schedule};
use folio_gl::oauth::{TokenSource, TokenVault};
use folio_gl::xero::{self, Limits, PostAs, Xero, XeroSettings};
use folio_gl::{AnyConnector, Connector, GlError};
use folio_tests::keyring_support::KeyringSession;
use folio_tests::xero_sim::{MemoryVault, SimLimits, SimOrg, Specs, XeroSim, test_org};
use folio_tests::{folio_bin, shared_dir};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "FOLIO-TEST-APP-7d1c";
const TENANT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

/// A connector to `api` (the simulator or a proxy in front of it) with tokens from `vault`,
/// refreshed at `identity`.
fn connector(
    api: &str,
    identity: &str,
    vault: Arc<dyn TokenVault>,
    limits: Limits,
    timeout: Duration,
) -> Xero {
    let tokens = TokenSource::new(
        xero::oauth_client(CLIENT_ID, identity, identity),
        folio_gl::http::Http::new("xero", Duration::from_secs(5)).unwrap(),
        vault,
        "test",
        folio_gl::oauth::system_clock(),
    );
    Xero::new(
        XeroSettings {
            api_base: api.to_owned(),
            tenant_id: TENANT.to_owned(),
            post_as: PostAs::Posted,
            timeout,
            limits,
        },
        tokens,
    )
    .unwrap()
}

/// The simulator's OpenAPI verdict: requests were checked and none departed.
fn assert_conforming(sim: &XeroSim) {
    let (violations, validated) = sim.violations();
    assert!(validated > 0, "no request was checked against the spec");
    assert!(
        violations.is_empty(),
        "requests departing from Xero's OpenAPI description: {violations:#?}"
    );
}

#[test]
fn xero_keeps_the_gl_contract() {
    let Some(shared) = shared_dir("xero_keeps_the_gl_contract") else {
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        // The contract makes about 60 calls, Xero's limit for a minute: both sides allow more
        // here so the suite never waits a minute (the limits are tested on their own below).
        let sim = XeroSim::start(
            CLIENT_ID,
            test_org(TENANT),
            Specs::load(&shared),
            SimLimits {
                per_minute: 300,
                ..SimLimits::default()
            },
        )
        .await;
        let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
        let make = || {
            connector(
                &sim.base,
                &sim.base,
                vault.clone(),
                Limits {
                    per_minute: 300,
                    ..Limits::default()
                },
                Duration::from_secs(5),
            )
        };
        let c = make();
        let refs = || sim.ref_counts();
        let check = || sim.check();
        gl_contract::run(
            "XERO1",
            &c,
            make,
            Gl {
                refs: &refs,
                check: &check,
            },
        )
        .await;
        // The master data carries the tracking categories as dimensions and the tax types.
        let master = c.master_data().await.unwrap();
        let cc = master
            .dimensions
            .iter()
            .find(|d| d.code == "cost_centre")
            .unwrap();
        assert!(cc.values.iter().any(|v| v.code == "CC-900" && !v.active));
        assert!(master.tax_codes.iter().any(|t| t.code == "V19"));
        assert_eq!(master.vendors.len(), 1);
        // Journals are posted with their tracking and tax types.
        let journal = sim.journals().into_iter().next().unwrap();
        assert_eq!(journal.status, "POSTED");
        assert!(journal.lines.iter().any(|l| l.2.as_deref() == Some("V19")
            && l.3 == vec![("cost_centre".to_owned(), "CC-100".to_owned())]));
        assert_conforming(&sim);
    });
}

#[test]
fn xero_refusals_map_to_lines_and_lost_answers_are_found_by_reference() {
    let Some(shared) = shared_dir("xero_refusals_map_to_lines") else {
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        let sim = XeroSim::start(
            CLIENT_ID,
            test_org(TENANT),
            Specs::load(&shared),
            SimLimits::default(),
        )
        .await;
        let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
        let c = connector(
            &sim.base,
            &sim.base,
            vault.clone(),
            Limits::default(),
            Duration::from_secs(1),
        );
        let first = folio_tests::gl_support::outgoing("XERO2", 1);
        assert!(c.post(vec![first]).await[0].1.is_ok());
        // Archived in Xero after Folio read its accounts: Xero's validation error names the
        // account, mapped to the line; the other journal of the batch is booked.
        sim.archive_account("4964");
        let bad = folio_tests::gl_support::outgoing("XERO2", 2);
        let mut good = folio_tests::gl_support::outgoing("XERO2", 3);
        good.journal.lines[1].account = "4990".into();
        let outcome = c.post(vec![bad.clone(), good.clone()]).await;
        match &outcome[0].1 {
            Err(GlError::Permanent { message, field }) => {
                assert_eq!(field.as_deref(), Some("lines[1].account"), "{message}");
                assert!(message.contains("'4964'"), "{message}");
            }
            other => panic!("expected a refusal naming the line, got {other:?}"),
        }
        assert!(outcome[1].1.is_ok(), "{:?}", outcome[1].1);
        // Folio reads the accounts again and refuses the next such journal itself.
        let again = c.post(vec![folio_tests::gl_support::outgoing("XERO2", 4)]).await;
        assert!(
            matches!(&again[0].1, Err(GlError::Permanent { message, .. }) if message.contains("not an active account")),
            "{again:?}"
        );
        // A lost answer after the commit: unknown, then found by reference, never booked twice.
        let mut lost = folio_tests::gl_support::outgoing("XERO2", 5);
        lost.journal.lines.iter_mut().for_each(|l| {
            if l.account == "4964" {
                l.account = "4930".into();
            }
        });
        sim.lose_answers_after_commit(1, Duration::from_millis(2500));
        let outcome = c.post(vec![lost.clone()]).await;
        assert!(matches!(outcome[0].1, Err(GlError::Unknown { .. })), "{outcome:?}");
        let found = c.lookup(vec![lost.reference.clone()]).await.unwrap();
        assert!(found.contains_key(&lost.reference));
        let outcome = c.post(vec![lost.clone()]).await;
        assert!(outcome[0].1.is_ok(), "{outcome:?}");
        assert_eq!(sim.ref_counts().get(lost.reference.as_str()), Some(&1));

        // Refused by Xero alone (its key = the reference is now taken), corrected, sent again
        // under the same reference: booked once, under a key that also names the content.
        let fresh = connector(
            &sim.base,
            &sim.base,
            vault.clone(),
            Limits::default(),
            Duration::from_secs(5),
        );
        let mut warm = folio_tests::gl_support::outgoing("XERO2", 6);
        warm.journal.lines[1].account = "4990".into();
        assert!(fresh.post(vec![warm]).await[0].1.is_ok());
        sim.archive_account("4990");
        let mut corrected = folio_tests::gl_support::outgoing("XERO2", 7);
        corrected.journal.lines[1].account = "4990".into();
        let refused = fresh.post(vec![corrected.clone()]).await;
        assert!(
            matches!(&refused[0].1, Err(GlError::Permanent { field: Some(f), .. }) if f == "lines[1].account"),
            "{refused:?}"
        );
        corrected.journal.lines[1].account = "4930".into();
        let outcome = fresh.post(vec![corrected.clone()]).await;
        assert!(outcome[0].1.is_ok(), "{outcome:?}");
        assert_eq!(sim.ref_counts().get(corrected.reference.as_str()), Some(&1));
        assert_conforming(&sim);

        // The documented Idempotency-Key behaviour, asked of the simulator directly: the same
        // request again is answered from Xero's record; the key with another body is refused.
        let http = reqwest::Client::new();
        let token = sim.grant(chrono::Utc::now()).access_token;
        let put = |body: &'static str| {
            http.put(format!("{}/api.xro/2.0/ManualJournals", sim.base))
                .bearer_auth(&token)
                .header("xero-tenant-id", TENANT)
                .header("Idempotency-Key", "KEY-1")
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let body = r#"{"ManualJournals":[{"Narration":"IDEM-1 x","Date":"2026-02-01","JournalLines":[{"LineAmount":5.10,"AccountCode":"4930"},{"LineAmount":-5.10,"AccountCode":"1600"}]}]}"#;
        let a = put(body).await.unwrap().text().await.unwrap();
        let b = put(body).await.unwrap().text().await.unwrap();
        assert_eq!(a, b);
        assert_eq!(sim.ref_counts().get("IDEM-1"), Some(&1));
        let other = put(r#"{"ManualJournals":[{"Narration":"IDEM-2 x","Date":"2026-02-01","JournalLines":[]}]}"#)
            .await
            .unwrap();
        assert_eq!(other.status(), 400);
        assert_eq!(sim.ref_counts().get("IDEM-2"), None);
    });
}

#[test]
fn xero_rate_limits_are_kept_and_a_429_pauses_the_tenant() {
    let Some(shared) = shared_dir("xero_rate_limits") else {
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        // Xero allows 4 a minute here; Folio believes 60: Xero's 429 with Retry-After and
        // X-Rate-Limit-Problem pauses the tenant and comes back as the wait.
        let sim = XeroSim::start(
            CLIENT_ID,
            test_org(TENANT),
            Specs::load(&shared),
            SimLimits {
                per_minute: 4,
                ..SimLimits::default()
            },
        )
        .await;
        let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
        let c = connector(
            &sim.base,
            &sim.base,
            vault.clone(),
            Limits::default(),
            Duration::from_secs(5),
        );
        let outcome = c
            .post(vec![folio_tests::gl_support::outgoing("XERO3", 1)])
            .await;
        match &outcome[0].1 {
            Err(GlError::RateLimited { wait, message }) => {
                assert!(*wait > Duration::from_secs(30), "{wait:?}");
                assert!(message.contains("minute"), "{message}");
            }
            other => panic!("expected rate-limited, got {other:?}"),
        }
        let state = c.rate_limit_state();
        assert_eq!(state.last_problem.as_deref(), Some("minute"));
        assert!(state.paused_ms > 30_000, "{state:?}");
        assert_eq!(state.xero_minute_remaining, Some(0), "{state:?}");
        let seen = sim.requests().len();
        // Paused: the next call does not reach Xero at all.
        let again = c
            .lookup(vec![folio_gl::JournalRef::new("XERO3", 1).unwrap()])
            .await;
        assert!(
            matches!(again, Err(GlError::RateLimited { .. })),
            "{again:?}"
        );
        assert_eq!(sim.requests().len(), seen);

        // Folio keeping the limit itself: with 3 a minute on the client and 10 at Xero, the
        // fourth call within the minute is held back by Folio, and Xero never says 429.
        let sim = XeroSim::start(
            CLIENT_ID,
            test_org(TENANT),
            Specs::load(&shared),
            SimLimits {
                per_minute: 10,
                ..SimLimits::default()
            },
        )
        .await;
        let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
        let c = connector(
            &sim.base,
            &sim.base,
            vault.clone(),
            Limits {
                per_minute: 3,
                ..Limits::default()
            },
            Duration::from_secs(5),
        );
        let mut outcomes = Vec::new();
        for n in 1..=6 {
            let r = folio_gl::JournalRef::new("XERO3", n).unwrap();
            outcomes.push(c.lookup(vec![r]).await.map(|_| ()));
        }
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            3,
            "{outcomes:?}"
        );
        assert!(
            outcomes[3..]
                .iter()
                .all(|o| matches!(o, Err(GlError::RateLimited { .. })))
        );
        assert_eq!(sim.requests().len(), 3, "{:?}", sim.requests());
        let state = c.rate_limit_state();
        assert_eq!((state.minute_used, state.minute_limit), (3, 3));
        assert_conforming(&sim);
    });
}

/// Xero manual journals are in the organisation's base currency only (EUR here): the demo's
/// journals in other currencies are refused by the connector naming the line, so the runs
/// queue the EUR ones.
fn in_eur(journal: &folio_domain::Journal) -> bool {
    journal.lines.iter().all(|l| l.currency.code() == "EUR")
}

/// A demo workspace with its EUR journals (and those of `extra` more invoices) queued.
fn eur_workspace(dir: &Path, extra: usize) -> (std::path::PathBuf, usize) {
    workspace_with_queued_journals_where(dir, extra, &in_eur)
}

/// The demo chart, dimensions and tax codes as a Xero organisation.
fn demo_org() -> SimOrg {
    let master = folio_app::demo::demo_master_data(today());
    SimOrg::from_master(
        TENANT,
        &master.accounts,
        &master.dimensions,
        &master.tax_codes,
    )
}

#[test]
fn a_revoked_xero_sign_in_stops_the_sync_with_sign_in_again() {
    let Some(shared) = shared_dir("a_revoked_xero_sign_in_stops_the_sync") else {
        return;
    };
    let rt = runtime();
    let sim = rt.block_on(XeroSim::start(
        CLIENT_ID,
        demo_org(),
        Specs::load(&shared),
        SimLimits::default(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = eur_workspace(dir.path(), 0);
    let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
    sim.revoke_all();
    let mut ws = Workspace::open(&ws_dir).unwrap();
    let c = connector(
        &sim.base,
        &sim.base,
        vault.clone(),
        Limits::default(),
        Duration::from_secs(5),
    );
    let started = Instant::now();
    let err = ws
        .sync_with(
            AnyConnector::Xero(c),
            SyncOptions::default(),
            &mut StdRng::seed_from_u64(1),
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::GlSignInRequired, "{err}");
    assert!(err.message.contains("sign in"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it must stop, not wait it out"
    );
    // One refresh attempt, refused: no loop.
    assert_eq!(sim.token_counts().1, 1);
    let states: Vec<String> = outbox(&ws_dir).into_iter().map(|e| e.1).collect();
    assert_eq!(states.len(), queued);
    assert!(states.iter().all(|s| s == "queued"), "{states:?}");
    assert!(sim.journals().is_empty());
    // The monitor says why.
    let log = ws.gl_log(100).unwrap();
    assert!(
        log.iter()
            .any(|c| c.operation == "token_refresh" && c.status == "400"),
        "{log:?}"
    );
}

#[test]
fn five_hundred_journals_reach_xero_exactly_once_through_faults() {
    let Some(shared) = shared_dir("five_hundred_journals_reach_xero_exactly_once") else {
        return;
    };
    let rt = runtime();
    // Limits raised on both sides so the run takes seconds, not the minutes Xero's 60 a minute
    // would make it; the limits themselves are tested above.
    let limits = Limits {
        concurrent: 5,
        per_minute: 2000,
        per_day: 50_000,
    };
    let sim = rt.block_on(XeroSim::start(
        CLIENT_ID,
        demo_org(),
        Specs::load(&shared),
        SimLimits {
            concurrent: 5,
            per_minute: 2000,
            per_day: 50_000,
        },
    ));
    let dir = tempfile::tempdir().unwrap();
    // About seven in ten demo journals are in EUR: 690 more invoices give 500 EUR journals.
    let (ws_dir, queued) = eur_workspace(dir.path(), 690);
    assert!(queued >= 480, "{queued} EUR journals queued");
    let upstream = sim.base.trim_start_matches("http://").parse().unwrap();
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
    let proxy = Arc::new(rt.block_on(FaultProxy::start(upstream, schedule)).unwrap());
    let vault = MemoryVault::with("test", sim.grant(chrono::Utc::now()));
    // The API and the token endpoint both through the proxy.
    let c = connector(
        &proxy.url(),
        &proxy.url(),
        vault.clone(),
        limits,
        Duration::from_secs(2),
    );
    // An outage: the proxy refuses every connection for 3 s.
    let disturber = {
        let proxy = Arc::clone(&proxy);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            proxy.set_down(true);
            std::thread::sleep(Duration::from_secs(3));
            proxy.set_down(false);
        })
    };
    let outcome = {
        // Access tokens die mid-run: 401, one refresh (rotating the refresh token), on.
        let sim = &sim;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                std::thread::sleep(Duration::from_secs(4));
                sim.expire_access_tokens();
            });
            let mut ws = Workspace::open(&ws_dir).unwrap();
            let started = Instant::now();
            let report = ws
                .sync_with(
                    AnyConnector::Xero(c),
                    SyncOptions {
                        max_wait: Duration::from_secs(240),
                        batch: 50,
                        settle: Duration::from_secs(4),
                        ..SyncOptions::default()
                    },
                    &mut StdRng::seed_from_u64(7),
                )
                .unwrap();
            (report, started.elapsed(), ws.gl_log(100_000).unwrap())
        })
    };
    disturber.join().unwrap();
    let (report, elapsed, log) = outcome;
    let counts = sim.ref_counts();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox(&ws_dir).iter().filter(|e| e.1 == "posted").count();
    eprintln!(
        "{report:?} in {:.1} s; faults injected: {:?}; token refreshes: {:?}; attempted \
         {queued}, posted {posted}, duplicates {duplicates}, lost {}",
        elapsed.as_secs_f64(),
        proxy.counts(),
        sim.token_counts(),
        queued - counts.len().min(queued),
    );
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let limits = report.rate_limit.as_ref().expect("the rate-limit state");
    assert_eq!(
        (limits.api.as_str(), limits.tenant.as_str()),
        ("xero", TENANT)
    );
    assert!(
        limits.day_used > 0 && limits.api_day_remaining.is_some(),
        "{limits:?}"
    );
    let faults: u64 = proxy
        .counts()
        .iter()
        .filter(|(f, _)| **f != Fault::Pass)
        .map(|(_, n)| n)
        .sum();
    assert!(faults >= 10, "too few faults: {:?}", proxy.counts());
    assert_eq!(sim.check(), "");
    assert_exactly_once(&ws_dir, &sim.ref_counts(), queued);
    assert!(
        sim.token_counts().0 >= 1,
        "the expired access tokens were refreshed"
    );
    assert!(vault.stores() >= 1, "the rotated refresh token was stored");
    assert!(
        log.iter().any(|c| c.status == "429"),
        "the monitor shows the 429s"
    );
    assert_conforming(&sim);
}

/// Every file under `dir`, as bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn xero_sign_in_keeps_tokens_in_the_keychain_and_sync_survives_sigkill() {
    let test = "xero_sign_in_keeps_tokens_in_the_keychain_and_sync_survives_sigkill";
    let Some(shared) = shared_dir(test) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let Some(keyring) = KeyringSession::start(test, &scratch.path().join("keyring")) else {
        return;
    };
    let rt = runtime();
    // Xero's per-minute limit raised: 31 processes each read the reference data once; the
    // limits are tested on their own above.
    let sim = rt.block_on(XeroSim::start(
        CLIENT_ID,
        demo_org(),
        Specs::load(&shared),
        SimLimits {
            per_minute: 1000,
            ..SimLimits::default()
        },
    ));
    // A cloud API's round trip, so that a sync takes long enough to be killed in the middle.
    sim.set_latency(Duration::from_millis(25));
    let (ws_dir, queued) = eur_workspace(scratch.path(), 300);
    let folio = folio_bin();
    let mut output = String::new();

    // The sign-in: `folio gl connect xero` prints the URL; the test is the browser.
    let mut connect = keyring.command(&folio);
    connect
        .arg("--workspace")
        .arg(&ws_dir)
        .args([
            "gl",
            "connect",
            "xero",
            "--client-id",
            CLIENT_ID,
            "--no-browser",
        ])
        .args([
            "--url",
            &sim.base,
            "--login-url",
            &sim.base,
            "--identity-url",
            &sim.base,
        ])
        .args(["--sign-in-timeout", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = connect.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    let url = url.trim().to_owned();
    if url.is_empty() {
        let out = child.wait_with_output().unwrap();
        panic!(
            "folio gl connect xero printed no URL: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        url.starts_with(&format!("{}/identity/connect/authorize?", sim.base)),
        "{url}"
    );
    let (redirect, page) = rt.block_on(async {
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let consent = browser.get(&url).send().await.unwrap();
        assert_eq!(consent.status(), 302);
        let location = consent.headers()["location"].to_str().unwrap().to_owned();
        let page = browser.get(&location).send().await.unwrap();
        assert!(page.status().is_success());
        (location, page.text().await.unwrap())
    });
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(page.contains("signed in"), "{page}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let connected = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&connected.stderr).into_owned();
    assert!(connected.status.success(), "{rest}\n{stderr}");
    assert!(
        rest.contains("Connected to xero") && rest.contains("Folio Demo GmbH"),
        "{rest}"
    );
    output.push_str(&format!("{url}\n{rest}{stderr}"));

    // `folio sync` killed with SIGKILL at 30 random points, access tokens expiring on the way.
    let mut rng = StdRng::seed_from_u64(31);
    let mut posted_at_kill = Vec::new();
    for round in 0..30 {
        if round == 10 || round == 20 {
            sim.expire_access_tokens();
        }
        let mut child = keyring
            .command(&folio)
            .arg("--workspace")
            .arg(&ws_dir)
            .args(["sync", "--once", "--batch", "5", "--concurrency", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Now and then long enough for a start, a refresh stored in the keychain and batches.
        std::thread::sleep(Duration::from_millis(rng.random_range(30..900)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        posted_at_kill.push(outbox(&ws_dir).iter().filter(|e| e.1 == "posted").count());
    }
    eprintln!(
        "posted when killed: {posted_at_kill:?}; refreshes, token requests: {:?}",
        sim.token_counts()
    );
    assert!(
        posted_at_kill[29] < queued,
        "the sync finished before the last kill: {posted_at_kill:?}"
    );
    let run = |args: &[&str]| {
        let out = keyring
            .command(&folio)
            .arg("--workspace")
            .arg(&ws_dir)
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "folio {args:?}: {text}");
        text
    };
    output.push_str(&run(&["sync", "--once", "--json"]));
    output.push_str(&run(&["gl", "log"]));
    output.push_str(&run(&["gl", "log", "--json"]));
    output.push_str(&run(&["gl", "pull"]));
    let counts = sim.ref_counts();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox(&ws_dir).iter().filter(|e| e.1 == "posted").count();
    eprintln!(
        "attempted {queued}, posted {posted}, duplicates {duplicates}, lost {}",
        queued - counts.len().min(queued)
    );
    assert_eq!(sim.check(), "");
    assert_exactly_once(&ws_dir, &counts, queued);
    assert!(
        sim.token_counts().0 >= 1,
        "tokens were refreshed: {:?}",
        sim.token_counts()
    );
    assert_conforming(&sim);

    // No token anywhere but the keychain.
    let tokens = sim.issued_tokens();
    assert!(tokens.len() >= 2);
    for token in &tokens {
        assert!(!output.contains(token.as_str()), "a token is in the output");
        for (path, bytes) in files(&ws_dir) {
            assert!(!contains(&bytes, token), "a token is in {path}");
        }
    }
    let keyrings = scratch.path().join("keyring/data/keyrings");
    assert!(keyrings.is_dir(), "gnome-keyring kept no keyring");
}

#[test]
fn folio_gl_connect_xero_says_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio_tests::folio(&ws, &["init"]).status.success());
    let cases: [(&[&str], &str); 4] = [
        (&["gl", "connect", "xero"], "--client-id"),
        (
            &[
                "gl",
                "connect",
                "xero",
                "--client-id",
                "X",
                "--post-as",
                "final",
            ],
            "draft or posted",
        ),
        (
            &[
                "gl",
                "connect",
                "xero",
                "--client-id",
                "X",
                "--url",
                "http://api.example",
            ],
            "https://",
        ),
        (
            &[
                "gl",
                "connect",
                "xero",
                "--client-id",
                "X",
                "--secret-stdin",
            ],
            "signs in through the browser",
        ),
    ];
    for (args, expected) in cases {
        let out = folio_tests::folio(&ws, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // Nothing was connected: the workspace still posts to its ledger file.
    let ws = Workspace::open(&ws).unwrap();
    assert_eq!(ws.gl_connection_view().unwrap().kind, "ledger-file");
    assert_eq!(ws.gl_rate_limits().unwrap(), None);
}
