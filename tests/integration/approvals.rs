//! Approvals, roles and segregation of duties on the demo workspace, end to end:
//!
//! * a clerk cannot approve (and the CLI exits 3 naming the rule); strangers cannot work;
//! * a controller cannot approve what they prepared, and the sync worker refuses it again;
//! * a journal whose policy asks for two approvers needs two different controllers;
//! * an edit after approval voids it (back to draft, with the reason, audited); a rejection sends
//!   it back to the clerk until it is edited or submitted again;
//! * a locked period (local lock date, or closed in the GL) refuses approval and posting.

use folio_app::{CodeLineRequest, Context, ErrorCode, SyncOptions, SystemClock, Workspace};
use folio_tests::{folio, stdout};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn context(actor: &str) -> Context {
    Context {
        actor: actor.into(),
        clock: Arc::new(SystemClock),
    }
}

/// A demo workspace created by `admin`: the demo's clerk prepared every journal.
fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("ws");
    Workspace::init(&path, true, context("admin")).unwrap();
    path
}

fn open(ws: &Path, actor: &str) -> Workspace {
    Workspace::open_with(ws, context(actor)).unwrap()
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

/// The demo document whose number starts with `prefix`.
fn doc(ws: &Path, prefix: &str) -> String {
    open(ws, "admin")
        .list_documents()
        .unwrap()
        .into_iter()
        .find(|d| d.number.starts_with(prefix))
        .unwrap_or_else(|| panic!("no demo document {prefix}"))
        .id
}

/// The rule a refusal names, checking that it is a refusal that names it.
fn rule(e: &folio_app::AppError) -> String {
    assert_eq!(e.code, ErrorCode::NotPermitted, "{e}");
    let rule = e.problems[0].code.clone();
    assert!(e.message.contains(&rule), "{e}");
    rule
}

/// Recodes line 1 of `document` to another expense account, as `actor`.
fn edit(ws: &Path, actor: &str, document: &str, account: &str) {
    open(ws, actor)
        .code_line(&CodeLineRequest {
            document_id: document.into(),
            line: 1,
            account: Some(account.into()),
            learn: false,
            ..CodeLineRequest::default()
        })
        .unwrap();
}

fn outbox_state(ws: &Path, document: &str) -> String {
    let db = Connection::open(ws.join("folio.sqlite")).unwrap();
    db.query_row(
        "SELECT o.state FROM outbox o JOIN journals j ON j.id = o.journal_id \
         WHERE j.document_id = ?1",
        [document.trim_start_matches("DOC-").parse::<i64>().unwrap()],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_clerk_cannot_approve_and_every_refusal_exits_3_naming_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(
        folio(&ws, &["--as", "admin", "init", "--demo"])
            .status
            .success()
    );
    let cases: [(&[&str], &str); 4] = [
        (&["--as", "clerk", "approve", "DOC-1"], "ROLE-APPROVE"),
        (
            &["--as", "clerk", "reject", "DOC-1", "--comment", "x"],
            "ROLE-REJECT",
        ),
        (&["--as", "stranger", "journal", "--all"], "USER-UNKNOWN"),
        (
            &["--as", "clerk", "users", "add", "eve", "--role", "admin"],
            "ROLE-USERS",
        ),
    ];
    for (args, rule) in cases {
        let out = folio(&ws, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains(rule), "{args:?}: {stderr}");
    }
    let added = folio(
        &ws,
        &["--as", "admin", "users", "add", "dan", "--role", "clerk"],
    );
    assert!(added.status.success());
    let users: serde_json::Value = serde_json::from_str(&stdout(&folio(
        &ws,
        &["--as", "dan", "users", "list", "--json"],
    )))
    .unwrap();
    let roles: Vec<(String, String)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_owned(),
                u["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for user in [
        ("admin", "admin"),
        ("clerk", "clerk"),
        ("controller", "controller"),
        ("controller2", "controller"),
        ("dan", "clerk"),
    ] {
        assert!(roles.contains(&(user.0.into(), user.1.into())), "{roles:?}");
    }
    let approved = folio(&ws, &["--as", "controller", "approve", "DOC-1", "--json"]);
    assert!(approved.status.success());
    let outcomes: serde_json::Value = serde_json::from_str(&stdout(&approved)).unwrap();
    assert_eq!(outcomes[0]["status"], "queued", "{outcomes}");
}

#[test]
fn a_controller_cannot_approve_what_they_prepared_not_even_in_the_sync_worker() {
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let document = doc(&ws, "NB-");
    // Dan codes the journal as a clerk, then becomes a controller.
    open(&ws, "admin").add_user("dan", "clerk").unwrap();
    edit(&ws, "dan", &document, "4950");
    open(&ws, "admin")
        .set_user_role("dan", "controller")
        .unwrap();
    let e = open(&ws, "dan")
        .approve_document(&document, &mut rng())
        .unwrap_err();
    assert_eq!(rule(&e), "SOD-PREPARER");
    assert!(e.message.contains("dan prepared"), "{e}");
    // The store refuses it too, whatever the app says.
    let db = Connection::open(ws.join("folio.sqlite")).unwrap();
    let journal: i64 = db
        .query_row(
            "SELECT max(id) FROM journals WHERE document_id = ?1",
            [document.trim_start_matches("DOC-").parse::<i64>().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let raw = db.execute(
        "INSERT INTO journal_decisions (journal_id, decision, actor, role, at, content_sha256, \
         comment) VALUES (?1, 'approve', 'dan', 'controller', '2026-01-01T00:00:00Z', ?2, '')",
        rusqlite::params![journal, "0".repeat(64)],
    );
    assert!(
        raw.unwrap_err()
            .to_string()
            .contains("segregation of duties"),
        "the trigger refuses an approval by a preparer"
    );

    // Another controller approves; if the approver turns out to be a preparer before sending
    // (here: a record written behind Folio's back), the worker refuses to send it.
    let outcome = open(&ws, "controller")
        .approve_document(&document, &mut rng())
        .unwrap();
    assert_eq!(outcome.status, "queued");
    db.execute(
        "INSERT INTO journal_preparers (journal_id, actor) VALUES (?1, 'controller')",
        [journal],
    )
    .unwrap();
    let report = open(&ws, "controller")
        .sync(SyncOptions::default(), &mut rng())
        .unwrap();
    assert_eq!((report.posted, report.rejected), (0, 1), "{report:?}");
    let reason = report.exceptions[0].last_error.clone().unwrap();
    assert!(reason.contains("SOD-PREPARER"), "{reason}");
    assert!(
        !std::fs::read_to_string(ws.join("ledger.beancount"))
            .unwrap_or_default()
            .contains("folio_ref"),
        "nothing reached the GL"
    );
}

#[test]
fn a_two_approver_journal_needs_two_different_controllers() {
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let document = doc(&ws, "NB-");
    let supplier = open(&ws, "admin").show_document(&document).unwrap();
    let policy = format!(
        "default_approvers = 1\n\n[[rule]]\nname = \"vendor under review\"\nvendor = \"{}\"\n\
         approvers = 2\n",
        supplier.summary.supplier_name
    );
    std::fs::write(ws.join("policies.toml"), policy).unwrap();

    let first = open(&ws, "controller")
        .approve_document(&document, &mut rng())
        .unwrap();
    assert_eq!(
        (first.status.as_str(), first.approvals, first.required),
        ("awaiting", 1, 2),
        "{first:?}"
    );
    assert!(first.reason.unwrap().contains("vendor under review"));
    let again = open(&ws, "controller")
        .approve_document(&document, &mut rng())
        .unwrap_err();
    assert_eq!(rule(&again), "SOD-DISTINCT");
    let second = open(&ws, "controller2")
        .approve_document(&document, &mut rng())
        .unwrap();
    assert_eq!((second.status.as_str(), second.approvals), ("queued", 2));
    let status = open(&ws, "admin").approval_status(&document).unwrap();
    assert_eq!(status.approvers, ["controller", "controller2"]);
    assert_eq!(status.preparers, ["clerk"]);

    // A broken policy is refused, naming its line and field.
    std::fs::write(
        ws.join("policies.toml"),
        "[[rule]]\nname = \"big\"\nabove = \"lots\"\napprovers = 2\n",
    )
    .unwrap();
    let other = doc(&ws, "RW-");
    let e = open(&ws, "controller")
        .approve_document(&other, &mut rng())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message.contains("policies.toml line 3") && e.message.contains("above"),
        "{e}"
    );
}

#[test]
fn an_edit_after_approval_voids_it_and_a_rejection_goes_back_to_the_clerk() {
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let document = doc(&ws, "NB-");
    let approved = open(&ws, "controller")
        .approve_document(&document, &mut rng())
        .unwrap();
    assert_eq!(approved.status, "queued");
    let before = open(&ws, "admin").approval_status(&document).unwrap();

    // The clerk recodes a line: the approval is void, the journal is a draft again.
    edit(&ws, "clerk", &document, "4950");
    let after = open(&ws, "admin").approval_status(&document).unwrap();
    assert_eq!(after.status, "draft");
    assert!(after.approvers.is_empty(), "{after:?}");
    assert_ne!(after.content_sha256, before.content_sha256);
    let voided = &after.decisions[0];
    assert_eq!(voided.decision, "approve");
    let reason = voided.voided_reason.as_deref().unwrap();
    assert!(
        reason.contains("edited by clerk after approval") && reason.contains("account 4950"),
        "{reason}"
    );
    assert_eq!(outbox_state(&ws, &document), "voided");
    let store = folio_store::Store::open(&ws).unwrap();
    let events = store
        .audit_events(Some(("journal", &after.journal_id)))
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "journal.approvals_voided" && e.actor == "clerk"),
        "{events:?}"
    );

    // Rejected with a comment: back to the clerk until edited or submitted again.
    let rejected = open(&ws, "controller")
        .reject_document(&document, "cost centre should be CC-200")
        .unwrap();
    assert_eq!(rejected.decision, "reject");
    let e = open(&ws, "controller2")
        .approve_document(&document, &mut rng())
        .unwrap_err();
    assert_eq!(rule(&e), "APPROVAL-RETURNED");
    assert!(e.message.contains("cost centre should be CC-200"), "{e}");
    open(&ws, "clerk")
        .submit_document(&document, "checked: CC-100 is right")
        .unwrap();
    let approved = open(&ws, "controller2")
        .approve_document(&document, &mut rng())
        .unwrap();
    assert_eq!(approved.status, "queued");
    assert_eq!(outbox_state(&ws, &document), "queued");
    let report = open(&ws, "controller")
        .sync(SyncOptions::default(), &mut rng())
        .unwrap();
    assert_eq!(report.posted, 1, "{report:?}");
}

#[test]
fn a_locked_period_refuses_approval_and_posting() {
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let first = doc(&ws, "NB-");
    let second = doc(&ws, "RW-");
    open(&ws, "controller")
        .approve_document(&first, &mut rng())
        .unwrap();
    let date = open(&ws, "admin").journal_draft(&first).unwrap().date;

    // Clerks do not lock periods; a controller does.
    let e = open(&ws, "clerk").lock_periods(&date).unwrap_err();
    assert_eq!(rule(&e), "ROLE-LOCK");
    open(&ws, "controller").lock_periods(&date).unwrap();

    // Approved before the lock: refused by the sync, never sent.
    let report = open(&ws, "controller")
        .sync(SyncOptions::default(), &mut rng())
        .unwrap();
    assert_eq!((report.posted, report.rejected), (0, 1), "{report:?}");
    let reason = report.exceptions[0].last_error.clone().unwrap();
    assert!(
        reason.contains("PERIOD-LOCKED") && reason.contains(&format!("lock date {date}")),
        "{reason}"
    );
    // Not approved at all while locked.
    let second_date = open(&ws, "admin").journal_draft(&second).unwrap().date;
    let mut ctl = open(&ws, "controller");
    ctl.lock_periods(&second_date).unwrap();
    let e = ctl.approve_document(&second, &mut rng()).unwrap_err();
    assert_eq!(rule(&e), "PERIOD-LOCKED");
    assert!(e.problems.iter().any(|p| p.code == "PERIOD_LOCKED"), "{e}");

    // The GL's closed periods count too.
    ctl.lock_periods("2000-01-01").unwrap();
    let db = Connection::open(ws.join("folio.sqlite")).unwrap();
    db.execute(
        "UPDATE periods SET closed = 1 WHERE start_date <= ?1 AND end_date >= ?1",
        [&second_date],
    )
    .unwrap();
    let e = ctl.approve_document(&second, &mut rng()).unwrap_err();
    assert_eq!(rule(&e), "PERIOD-LOCKED");
    assert!(
        e.problems
            .iter()
            .any(|p| p.code == "PERIOD_CLOSED" && p.message.contains("closed")),
        "{e}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs SQL on a workspace's database with the sqlite3 shell, as someone tampering would.
fn sqlite3(ws: &Path, sql: &str) {
    let out = std::process::Command::new("/usr/bin/sqlite3")
        .arg(ws.join("folio.sqlite"))
        .arg(sql)
        .output()
        .expect("the sqlite3 shell runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn verify(ws: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", "verify", "--json"];
    args.extend_from_slice(extra);
    let out = folio(ws, &args);
    (
        out.status.code(),
        serde_json::from_str(&stdout(&out)).unwrap(),
    )
}

#[test]
fn audit_verify_holds_after_import_approve_sync_and_names_the_tampered_event() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(
        folio(&ws, &["--as", "admin", "init", "--demo"])
            .status
            .success()
    );
    let approved = folio(&ws, &["--as", "controller", "approve", "--all"]);
    assert!(approved.status.success());
    let synced = folio(&ws, &["--as", "controller", "sync", "--once", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&synced)).unwrap();
    assert_eq!(report["posted"], 26, "{report}");

    let (code, ok) = verify(&ws, &[]);
    assert_eq!(code, Some(0), "{ok}");
    assert_eq!(ok["ok"], true);
    let head_seq = ok["head_seq"].as_i64().unwrap();
    assert!(
        ok["events"].as_i64().unwrap() == head_seq && head_seq > 100,
        "{ok}"
    );

    // Every posted entry carries the head at the time of posting; it verifies.
    let ledger = std::fs::read_to_string(ws.join("ledger.beancount")).unwrap();
    let heads: Vec<&str> = ledger
        .lines()
        .filter_map(|l| l.trim().strip_prefix("folio_audit: \""))
        .map(|v| v.trim_end_matches('"'))
        .collect();
    assert_eq!(heads.len(), 26, "{ledger}");
    let gl_head = heads[0];
    let (code, report) = verify(&ws, &["--head", gl_head]);
    assert_eq!(code, Some(0), "{report}");

    // The events of the run, by action: imports, suggestions, approvals, posting attempts and
    // receipts are all in the chain, with who did them.
    let store = folio_store::Store::open(&ws).unwrap();
    let events = store.audit_events(None).unwrap();
    for (action, actor) in [
        ("document.import", "clerk"),
        ("suggestions.refresh", "clerk"),
        ("journal.create", "clerk"),
        ("journal.approve", "controller"),
        ("outbox.sending", "controller"),
        ("outbox.posted", "controller"),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e.action == action && e.actor == actor),
            "no {action} by {actor}"
        );
    }
    let posted = events.iter().find(|e| e.action == "outbox.posted").unwrap();
    assert!(
        posted.before_json.is_some() && posted.after_json.as_ref().unwrap().contains("receipt")
    );
    let approval = events
        .iter()
        .find(|e| e.action == "journal.approve")
        .unwrap()
        .seq;
    drop(store);

    // Altered with the sqlite3 shell (after dropping the trigger that forbids it): that event.
    let altered = dir.path().join("altered");
    copy_dir(&ws, &altered);
    sqlite3(
        &altered,
        &format!(
            "DROP TRIGGER audit_events_no_update; \
             UPDATE audit_events SET actor = 'mallory' WHERE seq = {approval};"
        ),
    );
    let (code, broken) = verify(&altered, &[]);
    assert_eq!(code, Some(1), "{broken}");
    assert_eq!(broken["ok"], false);
    assert_eq!(broken["first_bad_event"], approval, "{broken}");
    assert!(
        broken["event"]
            .as_str()
            .is_some_and(|e| e.contains("journal.approve") && e.ends_with("by mallory")),
        "{broken}"
    );
    let human = stdout(&folio(&altered, &["audit", "verify"]));
    assert!(
        human.contains(&format!("broken at event {approval}")),
        "{human}"
    );

    // Removed: that event, named as missing.
    let removed = dir.path().join("removed");
    copy_dir(&ws, &removed);
    sqlite3(
        &removed,
        &format!(
            "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq = {approval};"
        ),
    );
    let (code, broken) = verify(&removed, &[]);
    assert_eq!(code, Some(1), "{broken}");
    assert_eq!(broken["first_bad_event"], approval, "{broken}");
    assert!(
        broken["reason"].as_str().unwrap().contains("missing"),
        "{broken}"
    );

    // The tail cut off: the chain alone still holds, the head kept in the GL does not.
    let (gl_seq, _) = gl_head.split_once('-').unwrap();
    let cut = dir.path().join("cut");
    copy_dir(&ws, &cut);
    sqlite3(
        &cut,
        &format!(
            "DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq >= {gl_seq};"
        ),
    );
    assert_eq!(verify(&cut, &[]).0, Some(0));
    let (code, broken) = verify(&cut, &["--head", gl_head]);
    assert_eq!(code, Some(1), "{broken}");
    assert_eq!(broken["first_bad_event"].to_string(), gl_seq, "{broken}");
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .contains("tail was removed"),
        "{broken}"
    );
}

#[test]
fn an_audit_export_of_a_demo_month_is_plain_files_whose_manifest_sha256sum_checks() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(
        folio(&ws, &["--as", "admin", "init", "--demo"])
            .status
            .success()
    );
    assert!(
        folio(&ws, &["--as", "controller", "approve", "--all"])
            .status
            .success()
    );
    assert!(
        folio(&ws, &["--as", "controller", "sync", "--once"])
            .status
            .success()
    );
    let journal: serde_json::Value =
        serde_json::from_str(&stdout(&folio(&ws, &["journal", "DOC-1", "--json"]))).unwrap();
    let period = journal["date"].as_str().unwrap()[..7].to_owned();
    let out = dir.path().join("evidence");
    let exported = folio(
        &ws,
        &[
            "--as",
            "admin",
            "audit",
            "export",
            "--period",
            &period,
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&exported)).unwrap();
    let documents = report["documents"].as_u64().unwrap();
    assert!(documents > 0 && report["receipts"] == documents, "{report}");

    let check = || {
        std::process::Command::new("sha256sum")
            .args(["-c", "--strict", "MANIFEST"])
            .current_dir(&out)
            .output()
            .expect("sha256sum runs")
    };
    let checked = check();
    assert!(
        checked.status.success(),
        "{}{}",
        stdout(&checked),
        String::from_utf8_lossy(&checked.stderr)
    );
    let listed = stdout(&checked)
        .lines()
        .filter(|l| l.ends_with(": OK"))
        .count();
    assert_eq!(listed as u64, report["files"].as_u64().unwrap());

    // Plain files: the originals are the documents as received, the CSVs say who did what.
    let documents_csv = std::fs::read_to_string(out.join("documents.csv")).unwrap();
    let doc1 = documents_csv
        .lines()
        .find(|l| l.starts_with("DOC-1,"))
        .expect("DOC-1 is in its month");
    let cells: Vec<&str> = doc1.split(',').collect();
    let original = std::fs::read(out.join(cells[8])).unwrap();
    let store = folio_store::Store::open(&ws).unwrap();
    let stored = store
        .get_document("DOC-1".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(cells[9], stored.original.sha256);
    assert_eq!(
        original,
        store.blobs().get(&stored.original.sha256).unwrap()
    );
    let approvals = std::fs::read_to_string(out.join("approvals.csv")).unwrap();
    assert!(
        approvals
            .lines()
            .any(|l| l.starts_with("JNL-1,approve,controller,controller,"))
    );
    let receipts = std::fs::read_to_string(out.join("gl_receipts.csv")).unwrap();
    assert!(
        receipts
            .lines()
            .any(|l| l.starts_with("JNL-1,") && l.contains(",posted,"))
    );
    let chain = std::fs::read_to_string(out.join("audit_chain.txt")).unwrap();
    assert!(chain.contains("held"), "{chain}");
    for line in std::fs::read_to_string(out.join("audit_events.jsonl"))
        .unwrap()
        .lines()
    {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(event["hash"].as_str().unwrap().len() == 64);
    }

    // A changed file fails the check, naming it.
    std::fs::write(
        out.join("approvals.csv"),
        approvals.replace("controller", "ctrl"),
    )
    .unwrap();
    let checked = check();
    assert!(!checked.status.success());
    assert!(
        stdout(&checked).contains("approvals.csv: FAILED"),
        "{}",
        stdout(&checked)
    );
}

#[test]
fn replay_re_derives_with_the_rule_version_stored_and_shows_what_today_would_change() {
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let document = open(&ws, "admin")
        .list_documents()
        .unwrap()
        .into_iter()
        .find(|d| d.number.starts_with("TC-") && d.lines == 2)
        .unwrap()
        .id;
    let replay = open(&ws, "admin").replay(&document).unwrap();
    assert!(replay.same, "{replay:#?}");
    assert!(replay.changes.is_empty(), "{replay:#?}");
    assert!(
        replay
            .fields
            .iter()
            .any(|f| f.source == "rule" && f.field == "account" && f.status == "same"),
        "{replay:#?}"
    );

    // Approved (so its coding is frozen), then the rule pack changes: the trade-fair rule now
    // books to 4660.
    open(&ws, "controller")
        .approve_document(&document, &mut rng())
        .unwrap();
    let edited = dir.path().join("rules");
    let source = folio_tests::repo_root().join("rules/default");
    copy_dir(&source, &edited);
    let pack = edited.join("pack.toml");
    let text = std::fs::read_to_string(&pack).unwrap();
    let old_rule = "when.description.words = [\"trade fair\", \"conference badge\", \"salon\", \"messe\"]\nthen.account = \"4600\"";
    assert!(
        text.contains(old_rule),
        "the demo pack's trade-fair rule moved"
    );
    std::fs::write(
        &pack,
        text.replacen(old_rule, &old_rule.replace("\"4600\"", "\"4660\""), 1),
    )
    .unwrap();
    open(&ws, "admin").save_rules(&edited).unwrap();

    let replay = open(&ws, "admin").replay(&document).unwrap();
    assert_ne!(replay.rule_packs_then, replay.rule_packs_now);
    assert!(
        replay.same,
        "re-derived with the pack version stored: {replay:#?}"
    );
    let rule_accounts: Vec<_> = replay
        .fields
        .iter()
        .filter(|f| f.source == "rule" && f.field == "account")
        .collect();
    assert!(!rule_accounts.is_empty());
    for f in rule_accounts {
        assert_eq!(
            (f.value.as_str(), f.status.as_str()),
            ("4600", "same"),
            "{f:?}"
        );
    }
    let accounts: Vec<_> = replay
        .changes
        .iter()
        .filter(|c| c.field == "account")
        .collect();
    assert!(!accounts.is_empty(), "{replay:#?}");
    for c in accounts {
        assert_eq!(
            (c.then_value.as_str(), c.today_value.as_deref()),
            ("4600", Some("4660")),
            "{c:?}"
        );
    }
    let cli = stdout(&folio(&ws, &["--as", "controller", "replay", &document]));
    assert!(
        cli.contains("same result") && cli.contains("-> 4660 (rule)"),
        "{cli}"
    );
}

#[test]
fn a_workspace_without_users_refuses_work_until_its_first_admin_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    // A workspace as Folio made them before users existed: no users at all.
    drop(folio_store::Store::create(&ws, chrono::Utc::now()).unwrap());
    let invoice = dir.path().join("invoice.xml");
    let demo = folio_app::demo::demo_invoices(chrono::Utc::now().date_naive());
    std::fs::write(&invoice, &demo[0].bytes).unwrap();
    let path = invoice.to_str().unwrap();

    let refused = folio(&ws, &["--as", "anna", "import", path]);
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("USER-BOOTSTRAP") && stderr.contains("users add anna --role admin"),
        "{stderr}"
    );
    let clerk_first = folio(
        &ws,
        &["--as", "anna", "users", "add", "anna", "--role", "clerk"],
    );
    assert_eq!(clerk_first.status.code(), Some(3));
    assert!(
        folio(
            &ws,
            &["--as", "anna", "users", "add", "anna", "--role", "admin"]
        )
        .status
        .success()
    );
    // From now on only an admin adds users, and the admin works.
    let stranger = folio(
        &ws,
        &["--as", "ben", "users", "add", "ben", "--role", "admin"],
    );
    assert_eq!(stranger.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&stranger.stderr).contains("USER-UNKNOWN"),
        "{}",
        String::from_utf8_lossy(&stranger.stderr)
    );
    assert!(
        folio(&ws, &["--as", "anna", "import", path])
            .status
            .success()
    );
    // Allowed now; without a chart of accounts and settings no journal can be built yet.
    let built = folio(&ws, &["--as", "anna", "journal", "--all", "--json"]);
    assert_eq!(built.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&built)).unwrap();
    assert_eq!(report["error"]["code"], "JOURNAL_NOT_BUILDABLE", "{report}");
    let who: serde_json::Value = serde_json::from_str(&stdout(&folio(
        &ws,
        &["--as", "anna", "users", "whoami", "--json"],
    )))
    .unwrap();
    assert_eq!(who["role"], "admin");
    // The last admin stays an admin.
    let demoted = folio(
        &ws,
        &[
            "--as", "anna", "users", "set-role", "anna", "--role", "clerk",
        ],
    );
    assert_eq!(demoted.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&demoted.stderr).contains("USER-LAST-ADMIN"));
}
