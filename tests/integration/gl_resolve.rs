//! A person's retry and resolve actions on the outbox (`folio gl retry|resolve`, the desktop's
//! sync view), checked in the GL itself:
//!
//! * against a real Fava: a journal whose answer was lost and that *is* in the GL resolves to
//!   posted with Fava's id and is never sent again; one that is not goes back to the queue and is
//!   then posted once; one whose request may still be running stays in doubt; with the GL
//!   unreachable it stays unknown with the reason;
//! * recording by hand that a journal is in the GL needs a controller who did not prepare it,
//!   writes the audit event with the person and their note, is refused when the GL holds the
//!   reference under another id, and the journal is never sent;
//! * journals left `sending` by a crash are looked up by a retry, never sent again blindly;
//! * retry makes a journal that waits out a backoff due now, and the next sync posts it once;
//!   posted and rejected journals are refused with what to do instead.

use crate::gl_sync::{outbox, workspace_with_queued_journals};
use folio_app::{Context, ErrorCode, Resolution, SyncOptions, Workspace};
use folio_gl::{AnyConnector, Connector, Fava, JournalRef, Outgoing};
use folio_store::{Change, JournalId, OutboxOutcome, OutboxState, Store};
use folio_tests::gl_support::{FavaServer, bean_check, python_tools, ref_counts};
use folio_tests::{folio, stdout};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn as_user(dir: &Path, actor: &str) -> Workspace {
    Workspace::open_with(
        dir,
        Context {
            actor: actor.to_owned(),
            clock: Arc::new(folio_app::SystemClock),
        },
    )
    .unwrap()
}

/// The outbox entries of the workspace in `dir`, oldest first.
fn entries(dir: &Path) -> Vec<folio_store::OutboxEntry> {
    Store::open(dir).unwrap().outbox().unwrap()
}

/// Marks `ids` as sent `ago` and their answers as lost: `unknown`, as the worker records it.
fn lose_answers(dir: &Path, ids: &[JournalId], ago: chrono::Duration) {
    let mut store = Store::open(dir).unwrap();
    let at = chrono::Utc::now() - ago;
    let change = Change::new("sync", at);
    let marked = store.outbox_mark_sending(ids, &change).unwrap();
    assert_eq!(marked.len(), ids.len());
    let outcomes: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                *id,
                OutboxOutcome::Unknown {
                    error: "the answer was lost (test)".into(),
                },
            )
        })
        .collect();
    store.outbox_record(&outcomes, &change).unwrap();
}

/// Posts the stored journal of `entry` straight to the GL (what the lost request did).
fn post_behind_folios_back(dir: &Path, connector: &AnyConnector, entry: &folio_store::OutboxEntry) {
    let store = Store::open(dir).unwrap();
    let journal = store.get_journal(entry.journal).unwrap().unwrap().journal;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt.block_on(connector.post(vec![Outgoing {
        reference: JournalRef::parse(&entry.reference).unwrap(),
        journal,
        audit_head: None,
    }]));
    assert!(outcome[0].1.is_ok(), "{outcome:?}");
}

fn audit_events(dir: &Path, action: &str) -> Vec<(String, String, String)> {
    let db = Connection::open(dir.join("folio.sqlite")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT actor, entity_id, after_json FROM audit_events WHERE action = ?1 ORDER BY seq",
        )
        .unwrap();
    stmt.query_map([action], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sync(dir: &Path) -> folio_app::SyncReport {
    as_user(dir, "clerk")
        .sync(
            SyncOptions {
                max_wait: Duration::from_secs(60),
                ..SyncOptions::default()
            },
            &mut StdRng::seed_from_u64(3),
        )
        .unwrap()
}

#[test]
fn unknown_journals_resolve_by_looking_them_up_in_fava() {
    let test = "unknown_journals_resolve_by_looking_them_up_in_fava";
    let Some(bin) = python_tools(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 0);
    let ledger = dir.path().join("main.beancount");
    crate::gl_sync::fava_ledger(&ledger);
    let server = FavaServer::start(&bin, &ledger);
    let connect = folio(&ws_dir, &["gl", "connect", "fava", "--url", &server.url()]);
    assert!(
        connect.status.success(),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );

    let all = entries(&ws_dir);
    let (booked, absent, recent) = (all[0].clone(), all[1].clone(), all[2].clone());
    let accounts = folio_app::demo::demo_master_data(crate::gl_sync::today()).accounts;
    let fava = AnyConnector::Fava(
        Fava::new(&server.url(), &accounts, Duration::from_secs(10), None).unwrap(),
    );
    // The first was booked but its answer lost; the second's request never arrived; the
    // third's was sent a moment ago and may still be running.
    post_behind_folios_back(&ws_dir, &fava, &booked);
    lose_answers(
        &ws_dir,
        &[booked.journal, absent.journal],
        chrono::Duration::minutes(5),
    );
    lose_answers(&ws_dir, &[recent.journal], chrono::Duration::zero());

    // The GL unreachable: nothing changes, and the person is told why.
    let mut ws = as_user(&ws_dir, "clerk");
    {
        let mut admin = Workspace::open(&ws_dir).unwrap();
        admin
            .gl_connect(
                "fava",
                Some("http://127.0.0.1:9"),
                None,
                None,
                None,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap();
    }
    let offline = ws
        .outbox_resolve(&booked.reference, Resolution::LookUp)
        .unwrap();
    assert_eq!(
        (offline.result.as_str(), offline.entry.state.as_str()),
        ("unchanged", "unknown")
    );
    assert!(
        offline.message.contains("could not be asked"),
        "{}",
        offline.message
    );
    {
        let mut admin = Workspace::open(&ws_dir).unwrap();
        admin
            .gl_connect(
                "fava",
                Some(&server.url()),
                None,
                None,
                None,
                &mut StdRng::seed_from_u64(1),
            )
            .unwrap();
    }

    // In the GL: posted with Fava's id, without a second entry.
    let found = ws
        .outbox_resolve(&booked.reference, Resolution::LookUp)
        .unwrap();
    assert_eq!(
        (found.before.as_str(), found.result.as_str()),
        ("unknown", "posted"),
        "{found:?}"
    );
    assert_eq!(found.entry.state, "posted");
    assert!(found.entry.gl_id.as_deref().is_some_and(|g| !g.is_empty()));
    assert_eq!(ref_counts(&ledger).get(&booked.reference), Some(&1));

    // Not in the GL: queued again, due now (through the CLI, by journal id).
    let cli = folio(
        &ws_dir,
        &[
            "--as",
            "clerk",
            "gl",
            "resolve",
            &absent.journal.to_string(),
            "--lookup",
            "--json",
        ],
    );
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_str(&stdout(&cli)).unwrap();
    assert_eq!(results[0]["result"], "queued", "{results:?}");
    assert_eq!(results[0]["entry"]["state"], "queued");
    assert!(!ref_counts(&ledger).contains_key(&absent.reference));

    // Sent a moment ago: it stays in doubt, however the retry is asked for.
    let retried = ws
        .outbox_retry(std::slice::from_ref(&recent.reference))
        .unwrap();
    assert_eq!(
        (retried[0].result.as_str(), retried[0].entry.state.as_str()),
        ("unchanged", "unknown")
    );
    assert!(
        retried[0].message.contains("may still be running"),
        "{}",
        retried[0].message
    );

    // The rest is sent by the sync; the looked-up journal is not sent again, the other once.
    let report = sync(&ws_dir);
    assert_eq!(report.rejected, 0, "{report:?}");
    let states = outbox(&ws_dir);
    let counts = ref_counts(&ledger);
    for (reference, state, _) in &states {
        if *reference == recent.reference {
            // Still settling (12 s after its send) when the sync looked; never resent before.
            assert!(
                state == "unknown" || state == "posted",
                "{reference} {state}"
            );
            assert!(counts.get(reference).copied().unwrap_or(0) <= 1);
        } else {
            assert_eq!(state, "posted", "{reference}");
            assert_eq!(counts.get(reference), Some(&1), "{reference} in the ledger");
        }
    }
    assert_eq!(
        counts.values().filter(|n| **n != 1).count(),
        0,
        "{counts:?}"
    );
    assert!(counts.len() <= queued);
    assert_eq!(bean_check(&bin, &ledger), "");
    // The look-ups are in the integration monitor.
    assert!(
        ws.gl_log(1000)
            .unwrap()
            .iter()
            .any(|c| c.operation == "lookup")
    );
    // Every action is audited as the person who did it.
    assert!(
        audit_events(&ws_dir, "outbox.posted")
            .iter()
            .any(|(actor, id, _)| actor == "clerk" && *id == booked.journal.to_string())
    );
}

#[test]
fn recording_by_hand_that_a_journal_is_in_the_gl_needs_a_controller_and_leaves_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 0);
    let all = entries(&ws_dir);
    let (keyed, booked) = (all[0].clone(), all[1].clone());
    // `keyed` was keyed into the GL by hand while its answer was lost; `booked` is in the GL.
    let ledger = ws_dir.join("ledger.beancount");
    let connector = Workspace::open(&ws_dir).unwrap().gl_connector().unwrap();
    post_behind_folios_back(&ws_dir, &connector, &booked);
    lose_answers(
        &ws_dir,
        &[keyed.journal, booked.journal],
        chrono::Duration::minutes(5),
    );
    let by_hand = || Resolution::PostedAs {
        gl_id: "GL-2026-0815".into(),
        note: "found it in the GL's journal list, keyed in by accounting on 14 June".into(),
    };

    // Not an admin, not a clerk: only a controller.
    for actor in [
        folio_app::Context::from_environment().actor.as_str(),
        "clerk",
    ] {
        let e = as_user(&ws_dir, actor)
            .outbox_resolve(&keyed.reference, by_hand())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotPermitted, "{actor}: {e}");
        assert_eq!(e.problems[0].code, "ROLE-RESOLVE");
    }
    // A note is required: it is the evidence.
    let e = as_user(&ws_dir, "controller")
        .outbox_resolve(
            &keyed.reference,
            Resolution::PostedAs {
                gl_id: "GL-1".into(),
                note: " ".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    // The GL holds `booked` under its own id: a different claim is refused.
    let e = as_user(&ws_dir, "controller")
        .outbox_resolve(&booked.reference, by_hand())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::OutboxConflict, "{e}");
    assert!(e.message.contains("--lookup"), "{e}");

    let done = as_user(&ws_dir, "controller")
        .outbox_resolve(&keyed.reference, by_hand())
        .unwrap();
    assert_eq!(
        (done.result.as_str(), done.entry.state.as_str()),
        ("posted", "posted")
    );
    assert_eq!(done.entry.gl_id.as_deref(), Some("GL-2026-0815"));
    let receipt = done.entry.receipt.clone().unwrap();
    assert!(
        receipt.contains("by controller") && receipt.contains("keyed in by accounting"),
        "{receipt}"
    );
    let events = audit_events(&ws_dir, "outbox.resolved_manually");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "controller");
    assert_eq!(events[0].1, keyed.journal.to_string());
    assert!(events[0].2.contains("GL-2026-0815") && events[0].2.contains("14 June"));
    let store = Store::open(&ws_dir).unwrap();
    assert_eq!(
        store
            .get_journal(keyed.journal)
            .unwrap()
            .unwrap()
            .journal
            .status,
        folio_domain::JournalStatus::Posted
    );
    assert!(
        folio_app::Workspace::open(&ws_dir)
            .unwrap()
            .verify_audit(None)
            .unwrap()
            .ok
    );
    // Resolved already: a second resolution is refused, naming what it is.
    let e = as_user(&ws_dir, "controller")
        .outbox_resolve(&keyed.reference, by_hand())
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::OutboxConflict);
    assert!(
        e.message.contains("posted in the GL as GL-2026-0815"),
        "{e}"
    );

    // The sync never sends the journal resolved by hand; the other is found, the rest posted.
    let report = sync(&ws_dir);
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let counts = ref_counts(&ledger);
    assert!(
        !counts.contains_key(&keyed.reference),
        "resolved by hand, yet sent"
    );
    assert_eq!(counts.get(&booked.reference), Some(&1));
    assert_eq!(counts.len(), queued - 1);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(outbox(&ws_dir).iter().all(|e| e.1 == "posted"));
}

#[test]
fn retry_makes_a_waiting_journal_due_and_the_next_sync_posts_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 0);
    let waiting = entries(&ws_dir)[0].clone();
    // It failed and backs off for an hour.
    {
        let mut store = Store::open(&ws_dir).unwrap();
        let change = Change::new("sync", chrono::Utc::now());
        store
            .outbox_mark_sending(&[waiting.journal], &change)
            .unwrap();
        store
            .outbox_record(
                &[(
                    waiting.journal,
                    OutboxOutcome::Retry {
                        error: "503 Service Unavailable".into(),
                        at: chrono::Utc::now() + chrono::Duration::hours(1),
                    },
                )],
                &change,
            )
            .unwrap();
    }
    // The sync posts everything else and leaves it waiting.
    let first = as_user(&ws_dir, "clerk")
        .sync(
            SyncOptions {
                max_wait: Duration::from_secs(2),
                ..SyncOptions::default()
            },
            &mut StdRng::seed_from_u64(4),
        )
        .unwrap();
    assert_eq!(
        (first.posted, first.remaining),
        (count(queued - 1), 1),
        "{first:?}"
    );
    let ledger = ws_dir.join("ledger.beancount");
    assert!(!ref_counts(&ledger).contains_key(&waiting.reference));

    // Retry (through the CLI): due now.
    let list = stdout(&folio(&ws_dir, &["gl", "outbox"]));
    assert!(
        list.contains(&waiting.reference) && list.contains("503"),
        "{list}"
    );
    let cli = folio(&ws_dir, &["gl", "retry", &waiting.reference, "--json"]);
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_str(&stdout(&cli)).unwrap();
    assert_eq!(results[0]["result"], "due_now", "{results:?}");
    assert_eq!(results[0]["before"], "queued");
    let due = Store::open(&ws_dir)
        .unwrap()
        .outbox_due(chrono::Utc::now(), 100)
        .unwrap();
    assert_eq!(
        due.iter().map(|e| e.journal).collect::<Vec<_>>(),
        vec![waiting.journal]
    );
    assert_eq!(audit_events(&ws_dir, "outbox.retry_now").len(), 1);

    let second = sync(&ws_dir);
    assert_eq!((second.posted, second.remaining), (1, 0), "{second:?}");
    let counts = ref_counts(&ledger);
    assert_eq!(counts.get(&waiting.reference), Some(&1));
    assert_eq!(counts.len(), queued);
    assert!(counts.values().all(|n| *n == 1));

    // Posted now: a retry is refused with the reason, and an unknown name too.
    let e = as_user(&ws_dir, "clerk")
        .outbox_retry(std::slice::from_ref(&waiting.reference))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::OutboxConflict);
    let e = as_user(&ws_dir, "clerk")
        .outbox_retry(&["FZZZZZ-999".into()])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::OutboxNotFound);
    let refused = folio(&ws_dir, &["gl", "retry", "FZZZZZ-999"]);
    assert!(!refused.status.success());
    assert_eq!(
        Store::open(&ws_dir).unwrap().outbox().unwrap()[0].state,
        OutboxState::Posted
    );
}

#[test]
fn a_journal_the_gl_rejected_is_sent_back_to_review_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, _) = workspace_with_queued_journals(dir.path(), 0);
    let entry = entries(&ws_dir)[0].clone();
    {
        let mut store = Store::open(&ws_dir).unwrap();
        let change = Change::new("sync", chrono::Utc::now());
        store
            .outbox_mark_sending(&[entry.journal], &change)
            .unwrap();
        store
            .outbox_record(
                &[(
                    entry.journal,
                    OutboxOutcome::Rejected {
                        reason: "lines[1].account: account 4930 is closed".into(),
                    },
                )],
                &change,
            )
            .unwrap();
    }
    let mut ws = as_user(&ws_dir, "controller");
    for e in [
        ws.outbox_retry(std::slice::from_ref(&entry.reference))
            .unwrap_err(),
        ws.outbox_resolve(&entry.reference, Resolution::LookUp)
            .unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::OutboxConflict);
        assert!(
            e.message.contains("account 4930 is closed") && e.message.contains("back in review"),
            "{e}"
        );
    }
    // It is in review: its journal is rejected, and the exceptions list it with the GL's reason.
    let stored = Store::open(&ws_dir)
        .unwrap()
        .get_journal(entry.journal)
        .unwrap()
        .unwrap();
    assert_eq!(stored.journal.status, folio_domain::JournalStatus::Rejected);
    let gl_rejected = |ws: &Workspace| {
        ws.exceptions()
            .unwrap()
            .groups
            .into_iter()
            .find(|g| g.reason == folio_app::coding_dto::ExceptionReason::GlRejected)
    };
    let group = gl_rejected(&ws).expect("a group of journals the GL rejected");
    assert_eq!(group.label, "Rejected by the GL");
    assert_eq!(group.exceptions.len(), 1, "{group:?}");
    let exception = &group.exceptions[0];
    assert_eq!(exception.document_id, stored.document.to_string());
    assert!(
        exception.message.contains(&entry.reference)
            && exception.message.contains("account 4930 is closed"),
        "{exception:?}"
    );
    // Corrected (its next version, a draft): no longer a GL rejection.
    let mut corrected = stored.journal.clone();
    corrected.memo = format!("{} (corrected)", corrected.memo);
    Store::open(&ws_dir)
        .unwrap()
        .save_journal_draft(
            stored.document,
            &corrected,
            &Change::new("clerk", chrono::Utc::now()),
        )
        .unwrap();
    assert!(gl_rejected(&ws).is_none());
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap()
}

/// A sync that died mid-send leaves its journals `sending`: a retry looks them up (the ledger
/// file here) instead of sending them again — the one the GL has is posted, the other queued.
#[test]
fn journals_left_sending_by_a_crash_are_looked_up_by_retry_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let (ws_dir, queued) = workspace_with_queued_journals(dir.path(), 0);
    let all = entries(&ws_dir);
    let (booked, lost) = (all[0].clone(), all[1].clone());
    let connector = Workspace::open(&ws_dir).unwrap().gl_connector().unwrap();
    // Marked sending five minutes ago, then the process died: one reached the GL, one did not.
    Store::open(&ws_dir)
        .unwrap()
        .outbox_mark_sending(
            &[booked.journal, lost.journal],
            &Change::new("sync", chrono::Utc::now() - chrono::Duration::minutes(5)),
        )
        .unwrap();
    post_behind_folios_back(&ws_dir, &connector, &booked);
    let results = as_user(&ws_dir, "clerk")
        .outbox_retry(&[booked.reference.clone(), lost.reference.clone()])
        .unwrap();
    let summary: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| (r.before.as_str(), r.result.as_str(), r.entry.state.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("sending", "posted", "posted"),
            ("sending", "queued", "queued")
        ],
        "{results:?}"
    );
    let report = sync(&ws_dir);
    assert_eq!((report.rejected, report.remaining), (0, 0), "{report:?}");
    let counts = ref_counts(&ws_dir.join("ledger.beancount"));
    assert_eq!(counts.len(), queued);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}
