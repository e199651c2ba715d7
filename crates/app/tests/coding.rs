//! Suggested coding end to end on the demo workspace: the shipped rule packs pass their tests (and
//! a wrong expectation fails), the demo invoices are coded by rules with explanations, a person's
//! correction wins, edited rules show their blast radius before they are saved, imported history
//! fills what no rule decides and can be forgotten per vendor, and exceptions say why and what
//! clears them.

use chrono::{TimeZone, Utc};
use folio_app::coding_dto::{ExceptionReason, ExceptionsReport, ExplainView};
use folio_app::history::HistoryImportOptions;
use folio_app::{CodeLineRequest, Context, ErrorCode, FixedClock, Workspace};
use folio_coding::suggest::{Explanation, Source};
use folio_domain::JournalStatus;
use folio_store::{Change, DocumentId, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 15, 10, 0, 0).unwrap()
}

fn demo() -> (tempfile::TempDir, PathBuf, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws");
    let context = Context {
        actor: "tester".into(),
        clock: Arc::new(FixedClock(now())),
    };
    let (workspace, report) = Workspace::init(&path, true, context).unwrap();
    assert_eq!(report.documents, report.journals);
    (dir, path, workspace)
}

/// The demo document whose number starts with `prefix` (the first, if several do).
fn document(ws: &Workspace, prefix: &str) -> folio_app::DocumentSummary {
    let mut docs = ws.list_documents().unwrap();
    docs.sort_by_key(|d| d.id.trim_start_matches("DOC-").parse::<u32>().unwrap());
    docs.into_iter()
        .find(|d| d.number.starts_with(prefix))
        .unwrap()
}

/// The value used for a field of a line, with its source.
fn chosen(view: &ExplainView, line: u32, field: &str) -> (String, Source) {
    let f = view.lines[line as usize - 1]
        .fields
        .iter()
        .find(|f| f.field == field)
        .unwrap_or_else(|| panic!("{} line {line} has no {field}", view.document_id));
    (f.value.clone(), f.source)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_shipped_rule_packs_pass_their_tests_and_a_wrong_expectation_fails() {
    let report = folio_app::rules::test_packs(&rules_dir()).unwrap();
    assert!(report.passed, "{report:#?}");
    assert!(
        report
            .packs
            .iter()
            .all(|p| p.cases > 0 && p.passed == p.cases)
    );

    let dir = tempfile::tempdir().unwrap();
    copy_dir(&rules_dir().join("default"), dir.path());
    let tests = dir.path().join("tests/lines.toml");
    let text = std::fs::read_to_string(&tests).unwrap();
    let wrong = text.replacen("account = \"0490\"", "account = \"4855\"", 1);
    assert_ne!(text, wrong);
    std::fs::write(&tests, wrong).unwrap();
    let report = folio_app::rules::test_packs(dir.path()).unwrap();
    assert!(!report.passed);
    let failures = &report.packs[0].failures;
    assert_eq!(failures.len(), 1, "{failures:#?}");
    let f = &failures[0];
    assert_eq!(
        (
            f.line,
            f.field.as_str(),
            f.expected.as_str(),
            f.actual.as_str()
        ),
        (Some(1), "account", "4855", "0490")
    );
    assert!(f.case.starts_with("Laptops over 800 EUR"), "{}", f.case);
}

#[test]
fn the_demo_invoices_are_coded_by_rules_with_explanations() {
    let (_dir, _, mut ws) = demo();
    let docs = ws.list_documents().unwrap();
    assert_eq!(docs.len(), 26);
    for doc in &docs {
        let view = ws.explain(&doc.id).unwrap();
        assert_eq!(view.lines.len(), doc.lines.max(1) as usize, "{}", doc.id);
        for line in &view.lines {
            let (_, cc_source) = chosen(&view, line.line, "dimension:cost_centre");
            assert_eq!(cc_source, Source::Rule, "{} line {}", doc.id, line.line);
            let (_, account_source) = chosen(&view, line.line, "account");
            // Only the two vendors without rules fall back to their default account.
            let by_hand = matches!(doc.number.get(..2), Some("RC" | "SK"));
            if !by_hand {
                assert_eq!(
                    account_source,
                    Source::Rule,
                    "{} line {}",
                    doc.id,
                    line.line
                );
            }
        }
    }
    // Thistle's trade-fair invoice: marketing, the buyer's cost centre, the UK tax code.
    let thistle = docs
        .iter()
        .find(|d| d.number.starts_with("TC-") && d.lines == 2)
        .unwrap();
    let view = ws.explain(&thistle.id).unwrap();
    assert_eq!(chosen(&view, 1, "account"), ("4600".into(), Source::Rule));
    assert_eq!(chosen(&view, 1, "tax_code"), ("GB20".into(), Source::Rule));
    let account = &view.lines[0].fields[0];
    match &account.proposals[0].explanation {
        Explanation::Rule { rule } => {
            assert_eq!(
                (rule.pack.as_str(), rule.rule.as_str()),
                ("default", "trade-fair-hospitality")
            );
            assert!(
                rule.pack_version.starts_with("1.0.0+"),
                "{}",
                rule.pack_version
            );
            assert_eq!(
                &rule.pack_version[6..],
                &view.rule_packs[0].content_hash[..12]
            );
        }
        other => panic!("{other:?}"),
    }
    // Its fallback is still shown, below the rule.
    assert_eq!(account.proposals[1].source, Source::Fixed);
    let journal = ws.journal_draft(&thistle.id).unwrap();
    assert!(
        journal.memo.contains("1 GBP = 1.165000 EUR"),
        "{}",
        journal.memo
    );
    assert!(journal.balanced);
    let vat = journal.lines.iter().find(|l| l.account == "1579").unwrap();
    assert_eq!(vat.tax_code.as_deref(), Some("GB20"));
    // The rent is split by floor space, exactly.
    let rent = docs
        .iter()
        .find(|d| d.number.starts_with("RW-") && d.lines == 2)
        .unwrap();
    let journal = ws.journal_draft(&rent.id).unwrap();
    let parts: Vec<(&str, &str)> = journal
        .lines
        .iter()
        .filter(|l| l.source.as_deref() == Some("lines[0]"))
        .map(|l| (l.amount.as_str(), l.dimensions["cost_centre"].as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            ("5880.00", "CC-100"),
            ("1680.00", "CC-200"),
            ("840.00", "CC-500")
        ]
    );
}

#[test]
fn a_persons_correction_wins_is_audited_and_freezes_with_the_journal() {
    let (_dir, path, mut ws) = demo();
    let sakura = document(&ws, "SK-");
    let request = CodeLineRequest {
        document_id: sakura.id.clone(),
        line: 4,
        account: Some("4855".into()),
        dimensions: [("cost_centre".to_owned(), "CC-300".to_owned())].into(),
        tax_code: None,
        learn: false,
    };
    let report = ws.code_line(&request).unwrap();
    assert!(report.journal_rebuilt);
    let view = &report.explanation;
    assert_eq!(chosen(view, 4, "account"), ("4855".into(), Source::Person));
    let sources: Vec<Source> = view.lines[3].fields[0]
        .proposals
        .iter()
        .map(|p| p.source)
        .collect();
    assert_eq!(sources, [Source::Person, Source::Rule, Source::Fixed]);
    match &view.lines[3].fields[0].proposals[0].explanation {
        Explanation::Person { by, learn, .. } => {
            assert_eq!((by.as_str(), *learn), ("tester", false))
        }
        other => panic!("{other:?}"),
    }
    // The other lines are untouched.
    assert_eq!(chosen(view, 1, "account").1, Source::Fixed);
    let journal = ws.journal_draft(&sakura.id).unwrap();
    let line = journal
        .lines
        .iter()
        .find(|l| l.source.as_deref() == Some("lines[3]"))
        .unwrap();
    assert_eq!(
        (
            line.account.as_str(),
            line.dimensions["cost_centre"].as_str()
        ),
        ("4855", "CC-300")
    );

    let refused = ws
        .code_line(&CodeLineRequest {
            account: Some("4000".into()),
            dimensions: Default::default(),
            ..request.clone()
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert_eq!(refused.problems[0].code, "ACCOUNT_NOT_POSTABLE");

    // A journal on its way to the GL freezes the coding (an approved journal not yet sent is
    // sent back to draft by an edit instead: see tests/integration/approvals.rs).
    let mut store = Store::open(&path).unwrap();
    let id: DocumentId = sakura.id.parse().unwrap();
    let stored = store.journal_for_document(id).unwrap().unwrap();
    for status in [JournalStatus::Approved, JournalStatus::Queued] {
        store
            .set_journal_status(stored.id, status, &Change::new("boss", now()))
            .unwrap();
    }
    let events = store.audit_events(Some(("document", &sakura.id))).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "coding.correct" && e.actor == "tester")
    );
    let err = ws.code_line(&request).unwrap_err();
    assert_eq!(err.code, ErrorCode::JournalImmutable, "{err}");
}

#[test]
fn edited_rules_show_their_blast_radius_before_they_are_saved() {
    let (_dir, _, mut ws) = demo();
    let docs = ws.list_documents().unwrap();
    let thistle = docs
        .iter()
        .find(|d| d.number.starts_with("TC-") && d.lines == 2)
        .unwrap();
    // A person already decided line 2: edited rules cannot change it.
    ws.code_line(&CodeLineRequest {
        document_id: thistle.id.clone(),
        line: 2,
        account: Some("4950".into()),
        learn: true,
        ..CodeLineRequest::default()
    })
    .unwrap();
    let edited = tempfile::tempdir().unwrap();
    copy_dir(&rules_dir().join("default"), edited.path());
    let pack = edited.path().join("pack.toml");
    let text = std::fs::read_to_string(&pack).unwrap().replacen(
        "when.description.words = [\"trade fair\", \"conference badge\", \"salon\", \"messe\"]\nthen.account = \"4600\"",
        "when.description.words = [\"trade fair\", \"conference badge\", \"salon\", \"messe\"]\nthen.account = \"4660\"",
        1,
    );
    std::fs::write(&pack, &text).unwrap();
    let diff = ws.rules_diff(edited.path()).unwrap();
    assert!(!diff.saved);
    assert_eq!(diff.documents_checked, 26);
    assert_ne!(diff.in_use[0].content_hash, diff.edited[0].content_hash);
    let changed = diff
        .documents
        .iter()
        .find(|d| d.document_id == thistle.id)
        .expect("the trade-fair invoice changes");
    assert_eq!(changed.changes.len(), 1, "{changed:#?}");
    let c = &changed.changes[0];
    assert_eq!(
        (
            c.line,
            c.field.as_str(),
            c.before.as_deref(),
            c.after.as_deref()
        ),
        (1, "account", Some("4600"), Some("4660"))
    );
    assert_eq!(
        c.after_rule.as_deref(),
        Some("default/trade-fair-hospitality")
    );
    // Nothing was saved by looking.
    let view = ws.explain(&thistle.id).unwrap();
    assert_eq!(chosen(&view, 1, "account").0, "4600");

    let saved = ws.save_rules(edited.path()).unwrap();
    assert!(saved.saved);
    assert_eq!(saved.documents, diff.documents);
    let journal = ws.journal_draft(&thistle.id).unwrap();
    assert_eq!(journal.lines[0].account, "4660");
    let view = ws.explain(&thistle.id).unwrap();
    assert_eq!(view.rule_packs[0].content_hash, diff.edited[0].content_hash);
    assert_eq!(ws.rules_diff(edited.path()).unwrap().documents, vec![]);
}

/// A small history of the two vendors without rules, coded to the demo chart.
fn history_csv() -> String {
    let mut csv = String::from("date,supplier,description,amount,account,cost_centre,extra\n");
    for month in 1..=12 {
        for (supplier, description, amount, account, cc) in [
            (
                "Sakura Seimitsu K.K.",
                "Calibration of torque measuring device",
                "96000",
                "4800",
                "CC-400",
            ),
            (
                "Sakura Seimitsu K.K.",
                "Replacement sensor unit",
                "23500",
                "4855",
                "CC-400",
            ),
            (
                "Redwood Conference Partners Inc.",
                "Conference pass",
                "2990.00",
                "4660",
                "CC-200",
            ),
            (
                "Redwood Conference Partners Inc.",
                "Networking dinner",
                "170.00",
                "4660",
                "CC-200",
            ),
        ] {
            csv.push_str(&format!(
                "2024-{month:02}-10,{supplier},{description},{amount},{account},{cc},x\n"
            ));
        }
    }
    csv
}

#[test]
fn a_history_file_with_bad_rows_lists_them_all_and_can_skip_them() {
    let (dir, path, mut ws) = demo();
    let file = dir.path().join("export.csv");
    std::fs::write(
        &file,
        "date,supplier,description,amount,account,cost_centre\n\
         2024-01-01,Sakura Office Supply,paper,10,4930,\n\
         2024-01-02,Sakura Office Supply,toner,12,,CC-100\n\
         2024-01-03,,toner,12,4930,CC-100\n\
         soon,Sakura Office Supply,toner,x,4930,CC-100\n\
         2024-01-05,Sakura Office Supply,ink,7.5,4930,CC-100\n",
    )
    .unwrap();
    let before = ws.learned_model().unwrap();
    let err = ws.import_history(&file).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(
        err.message.contains("3 of 5 rows cannot be imported")
            && err.message.contains("nothing was imported")
            && err.message.contains("--skip-invalid"),
        "{}",
        err.message
    );
    let listed: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        listed,
        [
            "row 2: account '' is not an account code",
            "row 3: supplier '' is not a supplier name",
            "row 4: date 'soon' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
            "row 4: amount 'x' is not a decimal amount",
        ]
    );
    assert_eq!(
        ws.learned_model().unwrap().history_lines,
        before.history_lines,
        "nothing half-written"
    );

    let report = ws
        .import_history_with(&file, HistoryImportOptions { skip_invalid: true })
        .unwrap();
    assert_eq!((report.rows, report.skipped_rows), (2, 3));
    assert_eq!(report.skipped.len(), 4, "{:?}", report.skipped);
    assert_eq!(
        ws.learned_model().unwrap().history_lines,
        before.history_lines + 2
    );
    let audit = Store::open(&path).unwrap().audit_events(None).unwrap();
    let event = audit
        .iter()
        .rev()
        .find(|e| e.action == "history.import")
        .expect("the import is audited");
    let after = event.after_json.as_deref().unwrap_or_default();
    assert!(
        after.contains("\"skipped_rows\":3") && after.contains("\"skipped_row_numbers\":[2,3,4]"),
        "{after}"
    );
    let again = ws
        .import_history_with(&file, HistoryImportOptions { skip_invalid: true })
        .unwrap_err();
    assert!(
        again.message.contains("imported already"),
        "{}",
        again.message
    );
}

#[test]
fn history_fills_what_no_rule_decides_and_a_vendor_can_be_forgotten() {
    let (dir, _, mut ws) = demo();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,supplier,description,amount,account,cost_centre\n2024-01-01,A,x,1,4930,\n\
         2024-01-02,B,y,12,,CC-100\n",
    )
    .unwrap();
    let err = ws.import_history(&bad).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(
        err.message
            .contains("row 2: account '' is not an account code"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("nothing was imported"),
        "{}",
        err.message
    );

    let file = dir.path().join("history.csv");
    std::fs::write(&file, history_csv()).unwrap();
    let report = ws.import_history(&file).unwrap();
    assert_eq!((report.rows, report.model_lines), (48, 48));
    assert_eq!(report.documents_recoded, 26);
    let sakura = document(&ws, "SK-");
    let view = ws.explain(&sakura.id).unwrap();
    assert!(
        view.model_version
            .as_deref()
            .unwrap()
            .starts_with("learned-v3/48-lines")
    );
    assert_eq!(chosen(&view, 1, "account"), ("4800".into(), Source::Model));
    assert_eq!(chosen(&view, 2, "account"), ("4855".into(), Source::Model));
    // The rules still decide what they decide.
    assert_eq!(chosen(&view, 4, "account"), ("4730".into(), Source::Rule));
    assert_eq!(chosen(&view, 1, "dimension:cost_centre").1, Source::Rule);
    match &view.lines[0].fields[0].proposals[0].explanation {
        Explanation::Model {
            similar, features, ..
        } => {
            assert!(!features.is_empty());
            assert!(!similar.is_empty() && similar.len() <= 3, "{similar:?}");
            assert!(
                similar[0].reference.starts_with("history.csv row "),
                "{similar:?}"
            );
            assert!(similar[0].same_vendor);
        }
        other => panic!("{other:?}"),
    }

    let forgot = ws.forget_vendor("V10013").unwrap();
    assert_eq!(forgot.vendor, "Sakura Seimitsu K.K.");
    assert_eq!(forgot.history_lines_deleted, 24);
    // Sakura's lines are suggested as if never seen: nothing of its history is left.
    let view = ws.explain(&sakura.id).unwrap();
    assert!(
        view.model_version
            .as_deref()
            .unwrap()
            .starts_with("learned-v3/24-lines")
    );
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
    assert_ne!(chosen(&view, 1, "account"), ("4800".into(), Source::Model));
    let err = ws.forget_vendor("Nobody at all").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}

fn group(report: &ExceptionsReport, reason: ExceptionReason) -> Vec<String> {
    report
        .groups
        .iter()
        .find(|g| g.reason == reason)
        .map(|g| {
            assert_eq!(g.count as usize, g.exceptions.len());
            assert!(g.exceptions.iter().all(|e| !e.clear.is_empty()));
            g.exceptions.iter().map(|e| e.message.clone()).collect()
        })
        .unwrap_or_default()
}

#[test]
fn exceptions_say_why_and_what_clears_them() {
    let (_dir, path, mut ws) = demo();
    let report = ws.exceptions().unwrap();
    assert_eq!(report.documents_checked, 26);
    assert_eq!(group(&report, ExceptionReason::LowConfidence).len(), 6);
    let bank = group(&report, ExceptionReason::BankDetailsChanged);
    assert_eq!(bank.len(), 1);
    assert!(bank[0].contains("vendor V10009"), "{bank:?}");
    assert_eq!(
        group(&report, ExceptionReason::AmountOverThreshold).len(),
        2
    );
    for reason in [
        ExceptionReason::NotPostable,
        ExceptionReason::MissingDimension,
        ExceptionReason::NewVendor,
        ExceptionReason::Duplicate,
        ExceptionReason::ClosedPeriod,
    ] {
        assert_eq!(group(&report, reason), Vec::<String>::new(), "{reason:?}");
    }

    // An unknown supplier's old invoice, a duplicate, no default cost centre, a low threshold.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/fixtures/ubl-invoice.xml");
    let bytes = std::fs::read(&fixture).unwrap();
    ws.import_bytes("unknown.xml", &bytes).unwrap();
    let mut copy = folio_app::demo::demo_invoices(now().date_naive())[0]
        .bytes
        .clone();
    copy.extend_from_slice(b"\n<!-- resent -->\n");
    let duplicate = ws.import_bytes("resent.xml", &copy).unwrap();
    assert!(duplicate.reason.is_some());
    let mut store = Store::open(&path).unwrap();
    store
        .save_settings(
            &[
                ("dimensions.default_cost_centre", ""),
                ("exceptions.amount_over", "1000"),
            ],
            &Change::new("boss", now()),
        )
        .unwrap();
    let report = ws.exceptions().unwrap();
    assert_eq!(report.documents_checked, 28);
    let new_vendor = group(&report, ExceptionReason::NewVendor);
    assert_eq!(new_vendor.len(), 1);
    assert!(
        new_vendor[0].contains("Acme Supplies GmbH"),
        "{new_vendor:?}"
    );
    let period = group(&report, ExceptionReason::ClosedPeriod);
    assert_eq!(
        period,
        ["no accounting period covers the journal date 2024-02-29"]
    );
    assert_eq!(group(&report, ExceptionReason::Duplicate).len(), 1);
    let missing = group(&report, ExceptionReason::MissingDimension);
    assert!(!missing.is_empty());
    assert!(
        missing[0].contains("has no Cost centre (cost_centre)"),
        "{missing:?}"
    );
    assert!(group(&report, ExceptionReason::AmountOverThreshold).len() > 2);
    assert_eq!(
        report.total as usize,
        report
            .groups
            .iter()
            .map(|g| g.count as usize)
            .sum::<usize>()
    );
}

#[test]
fn a_workspace_with_its_trained_model_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let (_dir, _, ws) = demo();
    send(&ws);
    let handle = std::thread::spawn(move || ws.list_documents().unwrap().len());
    assert_eq!(handle.join().unwrap(), 26);
}

/// The desktop's "Learned model": what the suggester knows after history is imported, a
/// correction marked "don't learn from this" is approved, and a vendor is forgotten — and who may
/// forget.
#[test]
fn the_learned_model_says_what_it_learned_and_what_it_must_not() {
    let (dir, path, mut ws) = demo();
    let empty = ws.learned_model().unwrap();
    assert_eq!(empty.version, None);
    assert_eq!((empty.lines_learned, empty.history_lines), (0, 0));
    assert_eq!(empty.approved_journals, 0);
    // Creating the demo coded its invoices: the (empty) model is in memory already.
    assert_eq!((empty.refresh.as_str(), empty.full_trains), ("cached", 1));
    assert_eq!(empty.refresh_reason, None);

    let file = dir.path().join("history.csv");
    std::fs::write(&file, history_csv()).unwrap();
    ws.import_history(&file).unwrap();
    let learned = ws.learned_model().unwrap();
    assert_eq!((learned.lines_learned, learned.history_lines), (48, 48));
    assert!(
        learned
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("learned-v3/48-lines")),
        "{learned:?}"
    );
    assert_eq!(learned.full_trains, 2);
    // The import trained it; asking afterwards finds it current and says why it was trained.
    assert_eq!(learned.refresh, "cached");
    assert!(
        learned
            .last_full_train
            .as_deref()
            .is_some_and(|why| why.contains("history")),
        "{learned:?}"
    );

    // A correction not to be learned from, on a journal that is then approved: its line is
    // left out, the others are learned.
    let sakura = document(&ws, "SK-");
    ws.code_line(&CodeLineRequest {
        document_id: sakura.id.clone(),
        line: 4,
        account: Some("4855".into()),
        dimensions: Default::default(),
        tax_code: None,
        learn: false,
    })
    .unwrap();
    let mut store = Store::open(&path).unwrap();
    let id: DocumentId = sakura.id.parse().unwrap();
    let journal = store.journal_for_document(id).unwrap().unwrap();
    store
        .set_journal_status(
            journal.id,
            JournalStatus::Approved,
            &Change::new("boss", now()),
        )
        .unwrap();
    let approved = ws.learned_model().unwrap();
    assert_eq!(
        (approved.approved_journals, approved.not_learned_lines),
        (1, 1)
    );
    assert!(approved.lines_learned > 48, "{approved:?}");
    assert_ne!(approved.refresh, "cached");

    // A clerk may look, not forget.
    let clerk = Workspace::open_with(
        &path,
        Context {
            actor: "clerk".into(),
            clock: Arc::new(FixedClock(now())),
        },
    )
    .unwrap();
    assert_eq!(clerk.learned_model().unwrap().version, approved.version);
    let mut clerk = clerk;
    let refused = clerk.forget_vendor("V10013").unwrap_err();
    assert_eq!(refused.code, ErrorCode::NotPermitted);
    assert_eq!(refused.problems[0].code, "ROLE-RULES");

    let forgot = ws.forget_vendor("V10013").unwrap();
    assert_eq!(forgot.history_lines_deleted, 24);
    assert!(forgot.approved_lines_skipped > 0, "{forgot:?}");
    let after = ws.learned_model().unwrap();
    assert_eq!((after.lines_learned, after.history_lines), (24, 24));
    assert_eq!(after.forgotten_vendors.len(), 1);
    let vendor = &after.forgotten_vendors[0];
    assert_eq!(
        (vendor.name.as_str(), vendor.forgotten_by.as_str()),
        ("Sakura Seimitsu K.K.", "tester")
    );
    assert_eq!(vendor.forgotten_at, "2025-06-15T10:00:00Z");
    assert!(
        after
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("learned-v3/24-lines")),
        "{after:?}"
    );
}
