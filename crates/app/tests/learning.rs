//! The learned suggester kept current across approvals, on the demo workspace with a generated
//! history (real SQLite): a clerk's workspace handle, open like the desktop's, learns a journal
//! that a controller approved by updating its model with exactly that journal's lines, and codes
//! the supplier's next invoice like it; the updated model has learned exactly what a model
//! trained from scratch on the same state learns (same lines, same content version), whatever
//! the order of approvals; forgetting a vendor, a "don't learn" correction and a journal sent
//! back all retrain it in full, and forgetting survives the journal being sent on to the GL.
//! Across processes: a new handle loads the workspace's model snapshot instead of training (then
//! updates it with journals approved since); a snapshot of another state, or one that is
//! damaged, truncated, of another format or unreadable, is ignored and replaced.

use chrono::{TimeZone, Utc};
use folio_app::coding_dto::ExplainView;
use folio_app::learning::{ModelRefresh, REFIT_PERCENT};
use folio_app::model_snapshot::snapshot_path;
use folio_app::{CodeLineRequest, Context, FixedClock, Workspace};
use folio_coding::suggest::{Explanation, Source};
use folio_domain::JournalStatus;
use folio_store::{Change, DocumentId, Store};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// History lines imported: enough for training to fit weights and calibration, so that
/// approvals are learned by updates (up to `REFIT_PERCENT` % of them).
const HISTORY_LINES: usize = 400;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 15, 10, 0, 0).unwrap()
}

fn open(path: &Path, actor: &str) -> Workspace {
    Workspace::open_with(
        path,
        Context {
            actor: actor.into(),
            clock: Arc::new(FixedClock(now())),
        },
    )
    .unwrap()
}

/// Five suppliers of the demo chart's kind, none of them a demo vendor, coded for 17 months.
fn history_csv() -> String {
    let suppliers = [
        ("Harbour Print Ltd", "Brochure printing", "4600", "CC-200"),
        ("Kestrel Cleaning", "Office cleaning", "4250", "CC-400"),
        ("Linden Legal LLP", "Contract review", "4945", "CC-100"),
        ("Oakmoor Couriers", "Courier delivery", "4730", "CC-300"),
        ("Quayside Catering", "Team lunch", "4660", "CC-200"),
    ];
    let mut csv = String::from("date,supplier,description,amount,account,cost_centre\n");
    for i in 0..HISTORY_LINES {
        let (supplier, description, account, cc) = suppliers[i % suppliers.len()];
        let month = i % 17;
        csv.push_str(&format!(
            "{}-{:02}-{:02},{supplier},{description} {},{}.50,{account},{cc}\n",
            2024 + month / 12,
            month % 12 + 1,
            i % 27 + 1,
            i % 7,
            100 + i
        ));
    }
    csv
}

/// A demo workspace with the history imported; `admin` created it, the demo's clerk prepared
/// every journal.
fn workspace(dir: &Path) -> PathBuf {
    let path = dir.join("ws");
    Workspace::init(
        &path,
        true,
        Context {
            actor: "admin".into(),
            clock: Arc::new(FixedClock(now())),
        },
    )
    .unwrap();
    let file = dir.join("history.csv");
    std::fs::write(&file, history_csv()).unwrap();
    let report = open(&path, "admin").import_history(&file).unwrap();
    assert_eq!(report.rows as usize, HISTORY_LINES);
    path
}

/// The id and number of the `nth` demo document (by id) whose number starts with `prefix`.
fn nth_document(ws: &Workspace, prefix: &str, nth: usize) -> (String, String) {
    let mut docs = ws.list_documents().unwrap();
    docs.sort_by_key(|d| d.id.trim_start_matches("DOC-").parse::<u32>().unwrap());
    let d = docs
        .into_iter()
        .filter(|d| d.number.starts_with(prefix))
        .nth(nth)
        .unwrap_or_else(|| panic!("no document {prefix} #{nth}"));
    (d.id, d.number)
}

fn document(ws: &Workspace, prefix: &str) -> (String, String) {
    nth_document(ws, prefix, 0)
}

/// Approves the document's journal by as many controllers as its policy asks for.
fn approve(path: &Path, document: &str) {
    for controller in ["controller", "controller2"] {
        let outcome = open(path, controller)
            .approve_document(document, &mut StdRng::seed_from_u64(7))
            .unwrap();
        if outcome.status == "queued" {
            return;
        }
    }
    panic!("{document} was not approved by two controllers");
}

/// A second invoice of the supplier of demo document `number`: the same lines, another number.
fn next_invoice(ws: &mut Workspace, number: &str) -> String {
    let next = format!("{number}7");
    let file = folio_app::demo::demo_invoices(now().date_naive())
        .into_iter()
        .find(|f| f.file_name.contains(number))
        .unwrap();
    let text = String::from_utf8(file.bytes)
        .unwrap()
        .replace(number, &next);
    let outcome = ws.import_bytes("next.xml", text.as_bytes()).unwrap();
    outcome.document_id.expect("the next invoice is stored")
}

/// The model's proposal for a field of a line: its value and explanation.
fn model_proposal(view: &ExplainView, line: u32, field: &str) -> Option<(String, Explanation)> {
    view.lines[line as usize - 1]
        .fields
        .iter()
        .find(|f| f.field == field)?
        .proposals
        .iter()
        .find(|p| p.source == Source::Model)
        .map(|p| (p.value.clone(), p.explanation.clone()))
}

/// The value used for a field of a line, with its source.
fn chosen(view: &ExplainView, line: u32, field: &str) -> (String, Source) {
    let f = view.lines[line as usize - 1]
        .fields
        .iter()
        .find(|f| f.field == field)
        .unwrap();
    (f.value.clone(), f.source)
}

/// The expense lines of a document's journal (what approving it teaches).
fn expense_lines(ws: &Workspace, document: &str) -> usize {
    let id: DocumentId = document.parse().unwrap();
    let store = Store::open(ws.path()).unwrap();
    let journal = store.journal_for_document(id).unwrap().unwrap();
    journal
        .journal
        .lines
        .iter()
        .filter(|l| l.source.as_deref().is_some_and(|s| s.starts_with("lines[")))
        .count()
}

/// A model trained from scratch on the workspace as it is now, in a new handle (as in a new
/// process, with the model snapshot removed), with the handle.
fn from_scratch(path: &Path) -> (ModelRefresh, Workspace) {
    let _ = std::fs::remove_file(snapshot_path(path));
    let ws = open(path, "clerk");
    let fresh = ws.refresh_model().unwrap();
    assert_eq!(fresh.action, "trained");
    (fresh, ws)
}

/// The content part of a model version (without "(weights fitted on …)").
fn content(version: &str) -> &str {
    version.split(" (weights fitted on ").next().unwrap()
}

/// Codes lines 1 to 3 of a document to `account` by hand, as the clerk.
fn code_by_hand(clerk: &mut Workspace, document: &str, account: &str, learn: bool) {
    for line in 1..=3 {
        clerk
            .code_line(&CodeLineRequest {
                document_id: document.into(),
                line,
                account: Some(account.into()),
                learn,
                ..CodeLineRequest::default()
            })
            .unwrap();
    }
}

#[test]
fn an_approved_journal_is_learned_by_an_update_and_codes_the_suppliers_next_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    // The clerk's handle stays open across the approval, as the desktop's does.
    let mut clerk = open(&path, "clerk");
    let (sakura, number) = document(&clerk, "SK-");
    code_by_hand(&mut clerk, &sakura, "4855", true);
    // Importing the history trained the model (in the admin's handle) and wrote its snapshot:
    // the clerk's handle loaded it rather than training again.
    let before = clerk.model_cache_stats();
    assert_eq!(
        (before.full_trains, before.snapshot_loads),
        (0, 1),
        "{before:?}"
    );
    let first = clerk.refresh_model().unwrap();
    assert_eq!(first.action, "cached");
    assert_eq!(first.model_lines, HISTORY_LINES);
    assert!(!first.version.contains("weights fitted on"), "{first:?}");

    approve(&path, &sakura);
    let next = next_invoice(&mut clerk, &number);
    let view = clerk.explain(&next).unwrap();
    let stats = clerk.model_cache_stats();
    assert_eq!(
        (stats.full_trains, stats.incremental_updates),
        (0, 1),
        "{stats:?}"
    );
    assert_eq!(stats.lines_since_training, 4);
    let version = view.model_version.clone().unwrap();
    assert!(
        version.starts_with(&format!("learned-v3/{}-lines/", HISTORY_LINES + 4)),
        "{version}"
    );
    assert!(
        version.ends_with(&format!(" (weights fitted on {})", first.version)),
        "{version}"
    );
    // Sakura has no rule: lines 1-3 are coded like the approved journal, by the model.
    for line in 1..=3 {
        assert_eq!(
            chosen(&view, line, "account"),
            ("4855".into(), Source::Model),
            "line {line}"
        );
        let Some((
            _,
            Explanation::Model {
                similar,
                model_version,
                ..
            },
        )) = model_proposal(&view, line, "account")
        else {
            panic!("line {line} has no model proposal");
        };
        assert_eq!(model_version, version);
        let cited = &similar[0];
        assert_eq!(
            cited.reference,
            format!("{number} ({sakura}) line {line}"),
            "{similar:?}"
        );
        assert!(cited.same_vendor);
        assert_eq!(cited.account, "4855");
    }
    let again = clerk.refresh_model().unwrap();
    assert_eq!(
        (again.action, again.model_lines),
        ("cached", HISTORY_LINES + 4)
    );

    // The same state trained from scratch has learned exactly the same lines.
    let (fresh, mut scratch) = from_scratch(&path);
    assert_eq!(fresh.model_lines, again.model_lines);
    assert_eq!(fresh.version, content(&again.version));
    let scratch_view = scratch.explain(&next).unwrap();
    assert_eq!(
        scratch_view.model_version.as_deref(),
        Some(fresh.version.as_str())
    );
    for line in 1..=4 {
        assert_eq!(
            chosen(&scratch_view, line, "account"),
            chosen(&view, line, "account"),
            "line {line}"
        );
        assert_eq!(
            model_proposal(&scratch_view, line, "account").map(|p| p.0),
            model_proposal(&view, line, "account").map(|p| p.0),
            "line {line}"
        );
    }
}

#[test]
fn updates_learn_each_approved_line_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let mut clerk = open(&path, "clerk");
    clerk.refresh_model().unwrap();
    let mut learned = HISTORY_LINES;
    let mut approved = 0;
    // Approve, code, approve another, code: each journal's lines are learned once.
    for prefix in ["SK-", "RC-", "NB-"] {
        let (id, _) = document(&clerk, prefix);
        approve(&path, &id);
        approved += 1;
        learned += expense_lines(&clerk, &id);
        // Coding (here: a refresh, then an explanation) after every approval.
        let refresh = clerk.refresh_model().unwrap();
        assert_eq!(refresh.action, "updated", "{refresh:?}");
        assert_eq!(refresh.journals_learned, 1);
        assert_eq!(refresh.model_lines, learned, "after {prefix}");
        let view = clerk.explain_read_only(&id).unwrap();
        assert_eq!(
            content(&view.model_version.unwrap()),
            content(&refresh.version)
        );
        assert_eq!(clerk.refresh_model().unwrap().action, "cached");
    }
    let stats = clerk.model_cache_stats();
    assert_eq!(
        (
            stats.full_trains,
            stats.snapshot_loads,
            stats.incremental_updates
        ),
        (0, 1, approved),
        "{stats:?}"
    );
    assert_eq!(stats.lines_since_training, learned - HISTORY_LINES);
    assert!(stats.lines_since_training * 100 <= HISTORY_LINES * REFIT_PERCENT);
    let (fresh, _) = from_scratch(&path);
    assert_eq!(fresh.model_lines, learned);
    assert_eq!(
        fresh.version,
        content(&clerk.refresh_model().unwrap().version)
    );

    // Two journals approved at once (say, by another process) are learned in one update.
    let (a, _) = nth_document(&clerk, "TC-", 0);
    let (b, _) = nth_document(&clerk, "TC-", 1);
    approve(&path, &a);
    approve(&path, &b);
    let expected = learned + expense_lines(&clerk, &a) + expense_lines(&clerk, &b);
    let refresh = clerk.refresh_model().unwrap();
    assert_eq!((refresh.action, refresh.journals_learned), ("updated", 2));
    assert_eq!(refresh.model_lines, expected);
    assert_eq!(from_scratch(&path).0.version, content(&refresh.version));

    // The refit rule: a journal that takes the lines learned by updates past REFIT_PERCENT % of
    // the trained lines (the demo's 40-line invoice) is learned by a full training, which fits
    // the weights again: the version is then exactly that of a model trained from scratch.
    let (big, _) = nth_document(&clerk, "EC-", 1);
    let big_lines = expense_lines(&clerk, &big);
    let since = expected - HISTORY_LINES;
    assert!((since + big_lines) * 100 > HISTORY_LINES * REFIT_PERCENT);
    approve(&path, &big);
    let refresh = clerk.refresh_model().unwrap();
    assert_eq!(refresh.action, "trained", "{refresh:?}");
    assert_eq!(
        refresh.reason.unwrap(),
        format!(
            "refit: {} lines learned since the last full training would exceed {REFIT_PERCENT} % \
             of its {HISTORY_LINES} lines",
            since + big_lines
        )
    );
    assert_eq!(clerk.model_cache_stats().lines_since_training, 0);
    assert_eq!(refresh.model_lines, expected + big_lines);
    assert_eq!(from_scratch(&path).0.version, refresh.version);
}

#[test]
fn forgetting_a_vendor_after_an_update_retrains_and_forgets_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let mut clerk = open(&path, "clerk");
    let (sakura, number) = document(&clerk, "SK-");
    let (redwood, _) = document(&clerk, "RC-");
    code_by_hand(&mut clerk, &sakura, "4855", true);
    approve(&path, &sakura);
    approve(&path, &redwood);
    let updated = clerk.refresh_model().unwrap();
    assert_eq!(updated.action, "updated");
    let redwood_lines = expense_lines(&clerk, &redwood);
    assert_eq!(updated.model_lines, HISTORY_LINES + 4 + redwood_lines);

    let mut admin = open(&path, "admin");
    let forgot = admin.forget_vendor("Sakura Seimitsu K.K.").unwrap();
    assert_eq!(
        (forgot.history_lines_deleted, forgot.approved_lines_skipped),
        (0, 4)
    );
    let refresh = clerk.refresh_model().unwrap();
    assert_eq!(refresh.action, "trained");
    assert_eq!(
        refresh.reason.as_deref(),
        Some("the forgotten vendors changed")
    );
    assert_eq!(refresh.model_lines, HISTORY_LINES + redwood_lines);
    assert_eq!(clerk.model_cache_stats().full_trains, 1);
    let next = next_invoice(&mut clerk, &number);
    let view = clerk.explain(&next).unwrap();
    for line in &view.lines {
        for p in &line.fields[0].proposals {
            if let Explanation::Model { similar, .. } = &p.explanation {
                assert!(
                    similar.iter().all(|s| !s.supplier.starts_with("Sakura")),
                    "{similar:?}"
                );
            }
        }
    }
    assert_ne!(chosen(&view, 1, "account"), ("4855".into(), Source::Model));

    // The forgotten journal goes on to the GL later: it stays forgotten, in this handle (its
    // approved set did not change) and in a new one.
    let mut store = Store::open(&path).unwrap();
    let journal = store
        .journal_for_document(sakura.parse().unwrap())
        .unwrap()
        .unwrap();
    store
        .set_journal_status(
            journal.id,
            JournalStatus::Queued,
            &Change::new("sync", now() + chrono::Duration::hours(1)),
        )
        .unwrap();
    assert_eq!(clerk.refresh_model().unwrap().action, "cached");
    assert_eq!(from_scratch(&path).0.model_lines, refresh.model_lines);
}

#[test]
fn a_journal_sent_back_and_a_dont_learn_correction_retrain_and_are_learned_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let mut clerk = open(&path, "clerk");
    let (sakura, number) = document(&clerk, "SK-");
    code_by_hand(&mut clerk, &sakura, "4855", true);
    approve(&path, &sakura);
    assert_eq!(clerk.refresh_model().unwrap().action, "updated");

    // The clerk corrects the approved journal (not yet sent) and marks it "don't learn": it goes
    // back to draft, so what the model learned from it must go — a full training.
    code_by_hand(&mut clerk, &sakura, "4800", false);
    let stats = clerk.model_cache_stats();
    assert_eq!(
        (stats.full_trains, stats.incremental_updates),
        (1, 1),
        "{stats:?}"
    );
    assert!(
        stats
            .last_full_train
            .as_deref()
            .unwrap()
            .contains("is no longer the approved journal of its document"),
        "{stats:?}"
    );
    assert_eq!(clerk.refresh_model().unwrap().model_lines, HISTORY_LINES);

    // Approved again: learned by an update, without the three lines marked "don't learn".
    approve(&path, &sakura);
    let refresh = clerk.refresh_model().unwrap();
    assert_eq!((refresh.action, refresh.lines_learned), ("updated", 1));
    assert_eq!(refresh.model_lines, HISTORY_LINES + 1);
    assert_eq!(from_scratch(&path).0.version, content(&refresh.version));
    let next = next_invoice(&mut clerk, &number);
    let view = clerk.explain(&next).unwrap();
    for line in 1..=3 {
        if let Some((_, Explanation::Model { similar, .. })) =
            model_proposal(&view, line, "account")
        {
            assert!(
                similar
                    .iter()
                    .all(|s| !s.reference.contains(&sakura) || s.reference.ends_with("line 4")),
                "{similar:?}"
            );
        }
    }
}

/// A new handle's model refresh, with the handle's cache statistics.
fn fresh_refresh(path: &Path) -> (ModelRefresh, folio_app::learning::ModelCacheStats) {
    let ws = open(path, "clerk");
    let refresh = ws.refresh_model().unwrap();
    (refresh, ws.model_cache_stats())
}

#[test]
fn a_new_handle_loads_the_model_snapshot_and_brings_it_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let snapshot = snapshot_path(&path);
    // No snapshot: the first handle trains and writes one, next to the database and with its
    // permissions.
    std::fs::remove_file(&snapshot).unwrap();
    let mut first = open(&path, "clerk");
    let trained = first.refresh_model().unwrap();
    assert_eq!(trained.action, "trained");
    assert_eq!(first.model_cache_stats().snapshot_writes, 1);
    assert_eq!(snapshot.parent(), Some(path.as_path()));
    assert_eq!(
        std::fs::metadata(&snapshot).unwrap().permissions(),
        std::fs::metadata(path.join(folio_store::DB_FILE))
            .unwrap()
            .permissions()
    );
    // Only the snapshot itself is left in the folder (no temporary file).
    let names: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("snapshot"))
        .collect();
    assert_eq!(names, ["learned-model.snapshot"]);

    // A second handle (a new process) loads it: no training, the same model, the same coding.
    let mut second = open(&path, "clerk");
    let loaded = second.refresh_model().unwrap();
    assert_eq!(
        (loaded.action, loaded.version.as_str(), loaded.model_lines),
        ("loaded", trained.version.as_str(), HISTORY_LINES)
    );
    let stats = second.model_cache_stats();
    assert_eq!(
        (
            stats.full_trains,
            stats.snapshot_loads,
            stats.snapshot_writes
        ),
        (0, 1, 0),
        "{stats:?}"
    );
    assert_eq!(
        stats.last_full_train,
        first.model_cache_stats().last_full_train
    );
    let (sakura, number) = document(&first, "SK-");
    let next = next_invoice(&mut first, &number);
    assert_eq!(
        second.explain_read_only(&next).unwrap(),
        first.explain_read_only(&next).unwrap()
    );
    assert_eq!(second.refresh_model().unwrap().action, "cached");

    // A journal approved in another handle: a new handle loads the snapshot, then learns that
    // journal by an update (and writes the snapshot again).
    code_by_hand(&mut first, &sakura, "4855", true);
    approve(&path, &sakura);
    let mut third = open(&path, "clerk");
    let updated = third.refresh_model().unwrap();
    assert_eq!(
        (
            updated.action,
            updated.journals_learned,
            updated.lines_learned
        ),
        ("updated", 1, 4)
    );
    let stats = third.model_cache_stats();
    assert_eq!(
        (
            stats.full_trains,
            stats.snapshot_loads,
            stats.incremental_updates,
            stats.snapshot_writes
        ),
        (0, 1, 1, 1),
        "{stats:?}"
    );
    let first_updated = first.refresh_model().unwrap();
    assert_eq!(first_updated.action, "updated");
    assert_eq!(updated.version, first_updated.version);
    assert!(
        updated.version.contains("(weights fitted on"),
        "{updated:?}"
    );
    assert_eq!(
        third.explain_read_only(&next).unwrap(),
        first.explain_read_only(&next).unwrap()
    );
    // The updated snapshot is what the next process loads: the same updated model.
    let (again, stats) = fresh_refresh(&path);
    assert_eq!((again.action, &again.version), ("loaded", &updated.version));
    assert_eq!(stats.lines_since_training, 4);

    // More history imported (by the admin, whose handle retrains and rewrites the snapshot):
    // a new process loads the new one. With the old snapshot put back, a new process does not
    // trust it — it learned another state — and retrains, and writes the snapshot again.
    let old = std::fs::read(&snapshot).unwrap();
    let file = dir.path().join("more.csv");
    std::fs::write(
        &file,
        "date,supplier,description,amount,account,cost_centre\n\
         2025-06-01,Harbour Print Ltd,Poster printing,80.00,4600,CC-200\n",
    )
    .unwrap();
    open(&path, "admin").import_history(&file).unwrap();
    assert_ne!(
        std::fs::read(&snapshot).unwrap(),
        old,
        "the import rewrote it"
    );
    let (reloaded, _) = fresh_refresh(&path);
    assert_eq!(
        (reloaded.action, reloaded.model_lines),
        ("loaded", HISTORY_LINES + 4 + 1)
    );
    std::fs::write(&snapshot, &old).unwrap();
    let (retrained, stats) = fresh_refresh(&path);
    assert_eq!(retrained.action, "trained", "{stats:?}");
    assert_eq!(retrained.version, reloaded.version);
    let ignored = stats.snapshot_ignored.unwrap();
    assert!(
        ignored.starts_with("it learned another state: the imported history changed"),
        "{ignored}"
    );
    assert!(
        retrained
            .reason
            .unwrap()
            .contains("the snapshot was not used"),
        "the reason says why"
    );
    assert_eq!(stats.snapshot_writes, 1);
    assert_eq!(fresh_refresh(&path).0.action, "loaded");

    // A vendor forgotten: the same.
    let old = std::fs::read(&snapshot).unwrap();
    open(&path, "admin")
        .forget_vendor("Sakura Seimitsu K.K.")
        .unwrap();
    let (reloaded, _) = fresh_refresh(&path);
    assert_eq!(
        (reloaded.action, reloaded.model_lines),
        ("loaded", HISTORY_LINES + 1)
    );
    std::fs::write(&snapshot, &old).unwrap();
    let (forgot, stats) = fresh_refresh(&path);
    assert_eq!(forgot.action, "trained");
    assert_eq!(forgot.version, reloaded.version);
    assert_eq!(
        stats.snapshot_ignored.as_deref(),
        Some("it learned another state: the forgotten vendors changed")
    );
    assert_eq!(fresh_refresh(&path).0.action, "loaded");
}

/// `bytes` with the SHA-256 trailer recomputed (a damaged snapshot that passes the checksum).
fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
    use sha2::Digest;
    let n = bytes.len() - 32;
    let sum = sha2::Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum);
    bytes
}

#[test]
fn a_damaged_foreign_or_mismatching_snapshot_is_ignored_and_replaced() {
    use folio_app::model_snapshot;
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let snapshot = snapshot_path(&path);
    let (good_refresh, _) = fresh_refresh(&path);
    assert_eq!(good_refresh.action, "loaded");
    let good = std::fs::read(&snapshot).unwrap();
    // Where the body starts: magic (16), format (4), header length (8), header, body length (8).
    let header_len = u64::from_le_bytes(good[20..28].try_into().unwrap()) as usize;
    let body = 28 + header_len + 8;
    let (header, model) = model_snapshot::open(good.clone())
        .and_then(model_snapshot::Unverified::model)
        .unwrap();
    let mut flipped = good.clone();
    flipped[body + (good.len() - body) / 2] ^= 0x40;
    let mut other_format = good.clone();
    other_format[16..20].copy_from_slice(&99u32.to_le_bytes());
    let mut other_body_format = good.clone();
    other_body_format[body..body + 4].copy_from_slice(&99u32.to_le_bytes());
    let mut other_state = header.clone();
    other_state.state.history_lines += 1;
    let mut other_version = header.clone();
    other_version.model_version = "learned-v2/400-lines/2025-05-27/00000000".into();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "the snapshot ends early"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "does not fit in the",
        ),
        (
            "cut before its checksum",
            good[..good.len() - 1].to_vec(),
            "ends early",
        ),
        (
            "not a snapshot",
            b"PRAGMA; not a model at all".to_vec(),
            "it is not a Folio model snapshot",
        ),
        (
            "a flipped byte",
            flipped,
            "its checksum does not match its content (damaged)",
        ),
        (
            "another file format",
            other_format,
            "it is of snapshot format 99, this program reads format 1",
        ),
        (
            "another body format",
            resealed(other_body_format),
            "its model: the snapshot is of body format 99, this program reads format 1",
        ),
        (
            "another state",
            model_snapshot::encode(&other_state, &model),
            "it learned another state: the imported history changed",
        ),
        (
            "a header naming another model",
            model_snapshot::encode(&other_version, &model),
            "its model is learned-v3/",
        ),
    ];
    for (what, bytes, why) in cases {
        std::fs::write(&snapshot, &bytes).unwrap();
        let (refresh, stats) = fresh_refresh(&path);
        assert_eq!(refresh.action, "trained", "{what}: {stats:?}");
        assert_eq!(refresh.version, good_refresh.version, "{what}");
        let ignored = stats.snapshot_ignored.unwrap_or_default();
        assert!(ignored.contains(why), "{what}: {ignored}");
        // Replaced: the next process loads it.
        let written = model_snapshot::open(std::fs::read(&snapshot).unwrap()).unwrap();
        assert_eq!(
            (&written.header.state, &written.header.model_version),
            (&header.state, &header.model_version),
            "{what}"
        );
        assert_eq!(fresh_refresh(&path).0.action, "loaded", "{what}");
    }
}

#[test]
fn a_snapshot_that_cannot_be_read_or_written_costs_a_training_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = workspace(dir.path());
    let snapshot = snapshot_path(&path);
    // A folder where the snapshot should be: it can be neither read nor replaced.
    std::fs::remove_file(&snapshot).unwrap();
    std::fs::create_dir(&snapshot).unwrap();
    std::fs::write(snapshot.join("keep"), "x").unwrap();
    let mut clerk = open(&path, "clerk");
    let refresh = clerk.refresh_model().unwrap();
    assert_eq!(
        (refresh.action, refresh.model_lines),
        ("trained", HISTORY_LINES)
    );
    let stats = clerk.model_cache_stats();
    assert!(
        stats
            .snapshot_ignored
            .as_deref()
            .is_some_and(|why| why.starts_with("could not read")),
        "{stats:?}"
    );
    assert!(
        stats
            .snapshot_error
            .as_deref()
            .is_some_and(|why| why.starts_with("could not rename over")),
        "{stats:?}"
    );
    assert_eq!(stats.snapshot_writes, 0);
    // Coding works all the same, and no temporary file is left behind.
    let (sakura, _) = document(&clerk, "SK-");
    clerk.explain(&sakura).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
