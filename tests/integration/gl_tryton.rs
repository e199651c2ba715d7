//! The `tryton` connector against a real Tryton 8.2 (`account`, `analytic_account`) on
//! PostgreSQL, checked in Tryton's own database: the connector contract (each reference on
//! exactly one move, every move posted and balanced, cost centres as analytic lines), a draft
//! left by an interrupted post is posted rather than created again, the master data, and 500
//! journals queued in a workspace's outbox, posted by Folio's sync worker through the fault proxy
//! with trytond restarted under load, exactly once with nothing left queued; and `folio sync`
//! killed with SIGKILL 30 times while it posts 200 journals, then run to the end: the same.

use crate::gl_contract::{self, Gl};
use folio_gl::{Connector, Tryton};
use folio_tests::gl_support::outgoing;
use folio_tests::tryton_support::{DATABASE, PASSWORD, TrytonServer, USER};
use std::collections::HashMap;
use std::time::Duration;

fn connector(server: &TrytonServer) -> Tryton {
    Tryton::new(
        &server.url(),
        DATABASE,
        USER,
        PASSWORD,
        Duration::from_secs(30),
        folio_gl::tryton::DEFAULT_WRITE_BOUND,
    )
    .unwrap()
}

/// How often each reference (the first word of a move's description) is in Tryton.
fn ref_counts(server: &TrytonServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in server
        .sql("select split_part(description, ' ', 1) from account_move where description is not null")
        .lines()
    {
        *counts.entry(line.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Tryton's books are in order: every move posted and balanced. Empty when they are.
fn check(server: &TrytonServer) -> String {
    let mut problems = String::new();
    let drafts = server.sql("select description from account_move where state <> 'posted'");
    if !drafts.trim().is_empty() {
        problems.push_str(&format!("moves not posted: {drafts}"));
    }
    let unbalanced = server.sql(
        "select m.description, sum(l.debit), sum(l.credit) from account_move m \
         join account_move_line l on l.move = m.id group by m.id, m.description \
         having sum(l.debit) <> sum(l.credit)",
    );
    if !unbalanced.trim().is_empty() {
        problems.push_str(&format!("moves that do not balance: {unbalanced}"));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tryton_keeps_the_connector_contract() {
    let Some(server) = TrytonServer::start("tryton_keeps_the_connector_contract") else {
        return;
    };
    let refs = || ref_counts(&server);
    let checked = || check(&server);
    gl_contract::run(
        "TR",
        &connector(&server),
        || connector(&server),
        Gl {
            refs: &refs,
            check: &checked,
        },
    )
    .await;
    // The cost centres went in as analytic lines, to the cent, on the expense lines only.
    let analytic = server.sql(
        "select a.code, sum(al.debit) from analytic_account_line al \
         join analytic_account_account a on a.id = al.account \
         join account_move_line l on l.id = al.move_line \
         join account_move m on m.id = l.move where m.description like 'FTR-1 %' \
         group by a.code order by a.code",
    );
    let journal = outgoing("TR", 1).journal;
    assert_eq!(
        analytic,
        format!(
            "CC-100\t{}\nCC-200\t{}\n",
            journal.lines[0].amount, journal.lines[1].amount
        ),
        "analytic lines of FTR-1"
    );
}

/// A move created as a draft whose post never happened (the process died between the two) is
/// not reported by a look-up, and the next post of the journal posts that draft: one move.
#[tokio::test]
async fn a_draft_left_behind_is_posted_not_created_again() {
    let Some(server) = TrytonServer::start("a_draft_left_behind_is_posted_not_created_again")
    else {
        return;
    };
    let tryton = connector(&server);
    let first = tryton.post(vec![outgoing("DR", 1)]).await;
    assert!(first[0].1.is_ok(), "{:?}", first[0].1);
    // Turn it back into a draft, as if the post had not happened.
    server.sql(
        "update account_move set state = 'draft', number = null where description like 'FDR-1 %'",
    );
    let reference = outgoing("DR", 1).reference;
    let found = tryton.lookup(vec![reference.clone()]).await.unwrap();
    assert!(found.is_empty(), "a draft is not a posted entry: {found:?}");
    let again = tryton.post(vec![outgoing("DR", 1)]).await;
    let posted = again[0].1.as_ref().expect("posted");
    assert!(posted.gl_id.contains("account.move,"), "{posted:?}");
    assert_eq!(ref_counts(&server).get(reference.as_str()), Some(&1));
    assert_eq!(check(&server), "");
}

#[tokio::test]
async fn master_data_has_accounts_cost_centres_taxes_parties_and_periods() {
    let Some(server) =
        TrytonServer::start("master_data_has_accounts_cost_centres_taxes_parties_and_periods")
    else {
        return;
    };
    let master = connector(&server).master_data().await.unwrap();
    let account = |code: &str| master.accounts.iter().find(|a| a.code == code).cloned();
    let office = account("4930").expect("4930");
    assert!(office.postable && office.active);
    assert_eq!(office.kind, folio_domain::AccountKind::Expense);
    assert_eq!(
        account("1576").unwrap().kind,
        folio_domain::AccountKind::Asset
    );
    assert!(!account("4000").expect("the heading").postable);
    let centres = master
        .dimensions
        .iter()
        .find(|d| d.code == "cost_centre")
        .expect("cost_centre");
    let values: Vec<&str> = centres.values.iter().map(|v| v.code.as_str()).collect();
    assert_eq!(values, ["CC-100", "CC-200"]);
    let v19 = master
        .tax_codes
        .iter()
        .find(|t| t.code == "V19")
        .expect("V19");
    assert_eq!(v19.rate, rust_decimal::Decimal::new(19, 0));
    assert_eq!(v19.input_account.as_deref(), Some("1576"));
    assert!(
        master
            .vendors
            .iter()
            .any(|v| v.name == "Bürobedarf Nord GmbH")
    );
    let open: Vec<&str> = master
        .periods
        .iter()
        .filter(|p| !p.closed)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(open.len(), 12, "{open:?}");
}

/// 500 journals queued in a workspace's outbox, posted by Folio's sync worker through the fault
/// proxy (answers dropped after Tryton booked, connections reset, 500, 503, 429 with
/// Retry-After, answers held past the client's timeout) with trytond killed and restarted under
/// load. Checked in the outbox (every entry posted with its Tryton id, nothing left queued) and in
/// Tryton's database: every reference on exactly one move, every move posted and balanced.
#[test]
fn five_hundred_journals_reach_tryton_exactly_once_through_faults_and_a_restart() {
    use folio_app::{SyncOptions, Workspace};
    use folio_gl::AnyConnector;
    use folio_gl::fault_proxy::{Fault, FaultProxy, Schedule};
    use rand::SeedableRng;
    use std::sync::{Arc, Mutex};
    let test = "five_hundred_journals_reach_tryton_exactly_once_through_faults_and_a_restart";
    let Some(server) = TrytonServer::start(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws_dir = crate::gl_sync::workspace_with_queued_contract_journals(dir.path(), 500, 9);
    let port = server.port;
    let server = Arc::new(Mutex::new(server));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
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
    let proxy = Arc::new(
        rt.block_on(FaultProxy::start(
            format!("127.0.0.1:{port}").parse().unwrap(),
            schedule,
        ))
        .unwrap(),
    );
    let restarter = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(4));
            // Killed under load: a transaction cut off is rolled back by PostgreSQL.
            server.lock().unwrap().restart();
        })
    };
    let tryton = Tryton::new(
        &proxy.url(),
        DATABASE,
        USER,
        PASSWORD,
        Duration::from_secs(2),
        folio_tests::tryton_support::REQUEST_TIMEOUT + Duration::from_secs(1),
    )
    .unwrap();
    let mut ws = Workspace::open(&ws_dir).unwrap();
    let started = std::time::Instant::now();
    let report = ws
        .sync_with(
            AnyConnector::Tryton(tryton),
            SyncOptions {
                max_wait: Duration::from_secs(300),
                batch: 25,
                // The connector's timeout (2 s) and a margin.
                settle: Duration::from_secs(4),
                ..SyncOptions::default()
            },
            &mut rand::rngs::StdRng::seed_from_u64(11),
        )
        .unwrap();
    restarter.join().unwrap();
    let server = server.lock().unwrap();
    let counts = ref_counts(&server);
    let outbox = ws.outbox().unwrap();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox.iter().filter(|e| e.state == "posted").count();
    let lost = outbox
        .iter()
        .filter(|e| !counts.contains_key(&e.reference))
        .count();
    eprintln!(
        "{report:?} in {:.1} s; faults injected: {:?}; attempted 500, posted {posted}, \
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
    assert_eq!(outbox.len(), 500);
    let not_posted: Vec<_> = outbox
        .iter()
        .filter(|e| e.state != "posted" || e.gl_id.as_deref().is_none_or(str::is_empty))
        .collect();
    assert!(not_posted.is_empty(), "not posted: {not_posted:?}");
    assert_eq!((posted, duplicates, lost), (500, 0, 0));
    assert_eq!(counts.len(), 500, "Tryton has moves Folio did not send");
    assert_eq!(check(&server), "");
}

/// `folio gl connect tryton` through the CLI: the URL must name the database; the password goes
/// to the OS keychain (a real gnome-keyring under dbus-run-session) and nowhere else, and
/// `folio gl pull` logs in with it and brings Tryton's master data into the workspace.
#[test]
fn the_cli_connects_to_tryton_with_the_password_in_the_keychain_and_pulls() {
    let test = "the_cli_connects_to_tryton_with_the_password_in_the_keychain_and_pulls";
    let has = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("dbus-run-session") || !has("gnome-keyring-daemon") {
        folio_tests::gl_support::skip(
            test,
            "dbus-run-session and gnome-keyring-daemon are not installed",
        );
        return;
    }
    let Some(server) = TrytonServer::start(test) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch.path().join("ws");
    assert!(folio_tests::folio(&ws, &["init"]).status.success());
    // Without the database in the URL: refused before anything is stored.
    let no_db = folio_tests::folio(
        &ws,
        &[
            "gl",
            "connect",
            "tryton",
            "--url",
            &server.url(),
            "--user",
            USER,
        ],
    );
    assert_eq!(no_db.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&no_db.stderr).contains("must name the Tryton database"),
        "{}",
        String::from_utf8_lossy(&no_db.stderr)
    );
    let folio = folio_tests::folio_bin().display().to_string();
    let ws_arg = ws.display().to_string();
    let script = format!(
        "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf %s \"$GL_SECRET\" | '{folio}' --workspace '{ws_arg}' gl connect tryton \
--url {url}/{DATABASE} --user {USER} --secret-stdin
'{folio}' --workspace '{ws_arg}' gl pull
",
        url = server.url()
    );
    let mut cmd = folio_tests::keyring_support::session_script(scratch.path(), &script);
    let out = cmd
        .env("GL_SECRET", PASSWORD)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Connected to tryton"), "{stdout}");
    assert!(
        stdout.contains("2 dimension values, 1 tax codes") && stdout.contains("12 periods"),
        "{stdout}"
    );
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    let mut stack = vec![ws.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes
                        .windows(PASSWORD.len())
                        .any(|w| w == PASSWORD.as_bytes()),
                    "the password is in {}",
                    path.display()
                );
            }
        }
    }
}

/// Crash safety against Tryton: `folio sync` (connected with `folio gl connect tryton`, the
/// password in a real gnome-keyring under dbus-run-session) killed with SIGKILL at 30 random
/// points while it posts 200 journals, then run to the end: every reference on exactly one move
/// in Tryton's database, every move posted and balanced, every outbox entry posted. After the
/// kills the last run waits Tryton's write bound (a create whose answer the kill cut off may
/// still commit inside trytond) before it takes an absence for "not booked", which is most of
/// this test's time: the workspace records the test trytond's own request timeout (10 s) as the
/// bound with `folio gl write-bound`, instead of the 65 s default.
#[test]
fn sync_killed_thirty_times_posts_every_journal_to_tryton_once() {
    use rand::{Rng, SeedableRng};
    let test = "sync_killed_thirty_times_posts_every_journal_to_tryton_once";
    let has = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("dbus-run-session") || !has("gnome-keyring-daemon") {
        folio_tests::gl_support::skip(
            test,
            "dbus-run-session and gnome-keyring-daemon are not installed",
        );
        return;
    }
    let Some(server) = TrytonServer::start(test) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ws = crate::gl_sync::workspace_with_queued_contract_journals(scratch.path(), 200, 9);
    let folio = folio_tests::folio_bin().display().to_string();
    let ws_arg = ws.display().to_string();
    // Random points: each run lives 100 ms to 1 s before its SIGKILL (with the
    // 10 s write bound doubts settle quickly, and longer runs would post all 200 before the last
    // kill).
    let mut rng = rand::rngs::StdRng::seed_from_u64(32);
    let pauses: Vec<String> = (0..30)
        .map(|_| {
            let ms = rng.random_range(100u32..1000);
            format!("{}.{:03}", ms / 1000, ms % 1000)
        })
        .collect();
    let sync = format!("'{folio}' --workspace '{ws_arg}' sync --once");
    let script = format!(
        "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf %s \"$GL_SECRET\" | '{folio}' --workspace '{ws_arg}' gl connect tryton \
--url {url}/{DATABASE} --user {USER} --secret-stdin >/dev/null
'{folio}' --workspace '{ws_arg}' gl write-bound {bound} >/dev/null
for pause in {pauses}; do
  {sync} --batch 5 --concurrency 1 >/dev/null 2>&1 & pid=$!
  sleep $pause
  if kill -9 $pid 2>/dev/null; then echo killed; else echo finished; fi
  wait $pid || true
done
echo \"posted before the last run: $('{folio}' --workspace '{ws_arg}' gl outbox --json | grep -c '\"state\": \"posted\"' || true)\"
{sync} --json
",
        url = server.url(),
        pauses = pauses.join(" "),
        bound = folio_tests::tryton_support::REQUEST_TIMEOUT.as_secs(),
    );
    let mut cmd = folio_tests::keyring_support::session_script(scratch.path(), &script);
    let started = std::time::Instant::now();
    let out = cmd
        // The workspace's admin (who made it) connects and syncs.
        .env("USER", folio_app::Context::from_environment().actor)
        .env("GL_SECRET", PASSWORD)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.matches("killed").count(), 30, "{stdout}");
    let before_last: usize = stdout
        .split("posted before the last run: ")
        .nth(1)
        .and_then(|r| r.lines().next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        before_last < 200,
        "the sync finished before the last kill: {stdout}"
    );
    assert!(before_last > 0, "no run got as far as posting: {stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&stdout[stdout.find('{').expect("the last run's report")..]).unwrap();
    assert_eq!(
        (report["rejected"].as_u64(), report["remaining"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    let counts = ref_counts(&server);
    let outbox = folio_store::Store::open(&ws).unwrap().outbox().unwrap();
    let duplicates: usize = counts.values().map(|n| n.saturating_sub(1)).sum();
    let posted = outbox
        .iter()
        .filter(|e| e.state == folio_store::OutboxState::Posted && e.gl_id.is_some())
        .count();
    let lost = outbox
        .iter()
        .filter(|e| !counts.contains_key(&e.reference))
        .count();
    // Sends a kill cut off: entries sent more than once, or found by the last run's look-up.
    let cut_off = outbox.iter().filter(|e| e.attempts > 1).count();
    eprintln!(
        "tryton: 30 SIGKILLs (posted before the last run: {before_last}; sends cut off: \
         {cut_off}, found by look-up in the last run: {}), then one sync: attempted {}, posted \
         {posted}, duplicates {duplicates}, lost {lost}, in {:.1} s",
        report["found_by_lookup"],
        outbox.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(outbox.len(), 200);
    assert_eq!((posted, duplicates, lost), (200, 0, 0));
    assert_eq!(counts.len(), 200, "Tryton has moves Folio did not send");
    assert_eq!(check(&server), "");
    // The password went to the keychain only.
    for entry in std::fs::read_dir(&ws).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "the password is in {}",
                entry.path().display()
            );
        }
    }
}
