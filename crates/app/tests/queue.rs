//! The review queue on the demo workspace: every filter narrows the documents in SQL exactly as
//! the same condition checked in Rust over all of them would, amounts compare and sort as decimals
//! (not as text, not as floats), paging is stable, and bulk approval approves exactly the filter's
//! open documents, one audited approval each, refusing a confirmation that no longer holds.

use chrono::{TimeZone, Utc};
use folio_app::{
    BulkPreview, Context, ErrorCode, FixedClock, QueueFilter, QueuePageView, QueueReasonFilter,
    QueueSort, QueueSortKey, QueueStatusFilter, Workspace,
};
use folio_domain::JournalStatus;
use folio_store::Store;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

fn demo() -> (tempfile::TempDir, PathBuf, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws");
    let context = Context {
        actor: "tester".into(),
        clock: Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2025, 6, 15, 10, 0, 0).unwrap(),
        )),
    };
    let (workspace, _) = Workspace::init(&path, true, context).unwrap();
    (dir, path, workspace)
}

fn all(ws: &Workspace, filter: &QueueFilter, sort: QueueSort) -> QueuePageView {
    ws.review_queue(filter, sort, 0, 1000).unwrap()
}

fn ids(page: &QueuePageView) -> Vec<String> {
    page.rows.iter().map(|r| r.summary.id.clone()).collect()
}

fn amount(row: &folio_app::QueueRowView) -> Decimal {
    Decimal::from_str(&row.summary.payable_amount).unwrap()
}

#[test]
fn filters_match_the_same_condition_checked_in_rust() {
    let (_dir, _path, ws) = demo();
    let everything = ws.list_documents().unwrap();
    let none = QueueFilter::default();
    let sort = QueueSort::default();
    let page = all(&ws, &none, sort);
    assert_eq!(page.total, everything.len() as u64);
    // Newest import first, as the document list.
    assert_eq!(
        ids(&page),
        everything.iter().map(|d| d.id.clone()).collect::<Vec<_>>()
    );

    type Check = Box<dyn Fn(&folio_app::DocumentSummary) -> bool>;
    let eur = QueueFilter {
        currency: Some("eur".into()),
        ..QueueFilter::default()
    };
    let between = QueueFilter {
        amount_min: Some("1000".into()),
        amount_max: Some("2000.00".into()),
        ..QueueFilter::default()
    };
    let dates = QueueFilter {
        date_from: Some("2025-05-01".into()),
        date_to: Some("2025-05-31".into()),
        ..QueueFilter::default()
    };
    let vendor = QueueFilter {
        vendor: Some("thistle".into()),
        ..QueueFilter::default()
    };
    let search = QueueFilter {
        search: Some(everything[3].number.clone()),
        ..QueueFilter::default()
    };
    let cases: Vec<(&str, QueueFilter, Check)> = vec![
        ("currency", eur, Box::new(|d| d.currency.code() == "EUR")),
        (
            "amount range",
            between,
            Box::new(|d| {
                let a = Decimal::from_str(&d.payable_amount).unwrap();
                a >= Decimal::from(1000) && a <= Decimal::from(2000)
            }),
        ),
        (
            "issue dates",
            dates,
            Box::new(|d| {
                d.issue_date.as_str() >= "2025-05-01" && d.issue_date.as_str() <= "2025-05-31"
            }),
        ),
        (
            "vendor",
            vendor,
            Box::new(|d| d.supplier_name.to_lowercase().contains("thistle")),
        ),
        ("search", search, {
            let number = everything[3].number.clone();
            Box::new(move |d| d.number.contains(&number))
        }),
    ];
    for (name, filter, check) in cases {
        let expected: Vec<String> = everything
            .iter()
            .filter(|d| check(d))
            .map(|d| d.id.clone())
            .collect();
        assert!(
            !expected.is_empty(),
            "{name}: the demo has no such document"
        );
        assert!(
            expected.len() < everything.len(),
            "{name}: filters nothing out"
        );
        let page = all(&ws, &filter, sort);
        assert_eq!(ids(&page), expected, "{name}");
        assert_eq!(page.total, expected.len() as u64, "{name}");
    }
}

#[test]
fn amounts_sort_as_decimals_and_pages_are_stable() {
    let (_dir, _path, ws) = demo();
    let sort = QueueSort {
        key: QueueSortKey::Amount,
        descending: false,
    };
    let page = all(&ws, &QueueFilter::default(), sort);
    let amounts: Vec<Decimal> = page.rows.iter().map(amount).collect();
    assert!(amounts.windows(2).all(|w| w[0] <= w[1]), "{amounts:?}");
    // Text order would put "10674.30" before "192.50": make sure both kinds are there.
    assert!(amounts.iter().any(|a| *a < Decimal::from(1000)));
    assert!(amounts.iter().any(|a| *a >= Decimal::from(10000)));

    let descending = all(
        &ws,
        &QueueFilter::default(),
        QueueSort {
            key: QueueSortKey::Amount,
            descending: true,
        },
    );
    let mut reversed: Vec<Decimal> = descending.rows.iter().map(amount).collect();
    reversed.reverse();
    assert_eq!(reversed, amounts);

    // Pages of 5 put together are the whole list.
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let p = ws
            .review_queue(&QueueFilter::default(), sort, offset, 5)
            .unwrap();
        assert_eq!(p.total, page.total);
        if p.rows.is_empty() {
            break;
        }
        paged.extend(ids(&p));
        offset += 5;
    }
    assert_eq!(paged, ids(&page));
}

#[test]
fn confidence_and_reasons_come_from_the_stored_coding() {
    let (_dir, _path, mut ws) = demo();
    let page = all(&ws, &QueueFilter::default(), QueueSort::default());
    // The weakest coded value the queue shows (kept by triggers) is the one the explanation of
    // each document gives (computed in Rust from the same suggestions).
    for row in &page.rows {
        let explained = ws.explain(&row.summary.id).unwrap();
        let weakest = explained
            .lines
            .iter()
            .flat_map(|l| l.fields.iter())
            .filter(|f| f.field != "split")
            .map(|f| Decimal::from_str(&f.confidence).unwrap())
            .min();
        assert_eq!(
            row.min_confidence
                .as_deref()
                .map(|c| Decimal::from_str(c).unwrap()),
            weakest,
            "{}",
            row.summary.id
        );
    }
    let weak: Vec<String> = page
        .rows
        .iter()
        .filter(|r| {
            r.min_confidence
                .as_deref()
                .is_some_and(|c| Decimal::from_str(c).unwrap() < Decimal::from_str("0.8").unwrap())
        })
        .map(|r| r.summary.id.clone())
        .collect();
    assert!(
        !weak.is_empty(),
        "the demo has documents nobody codes with confidence"
    );
    let low = all(
        &ws,
        &QueueFilter {
            reason: Some(QueueReasonFilter::LowConfidence),
            ..QueueFilter::default()
        },
        QueueSort::default(),
    );
    assert_eq!(ids(&low), weak);
    let below = all(
        &ws,
        &QueueFilter {
            confidence_below: Some("0.8".into()),
            ..QueueFilter::default()
        },
        QueueSort::default(),
    );
    assert_eq!(ids(&below), weak);
    // Weakest first.
    let by_confidence = all(
        &ws,
        &QueueFilter::default(),
        QueueSort {
            key: QueueSortKey::Confidence,
            descending: false,
        },
    );
    assert!(weak.contains(&by_confidence.rows[0].summary.id));

    // New vendors: the same documents the Exceptions screen lists as new vendors (the demo knows
    // all of its vendors; the UBL fixture's Acme Supplies is not one of them).
    let (_dir2, _path2, mut ws) = demo();
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../import/tests/fixtures/ubl-invoice.xml");
    let (outcomes, _) = ws.import_paths(&[fixture], &mut |_| {}).unwrap();
    let acme = outcomes[0].document_id.clone().unwrap();
    let new_vendor = all(
        &ws,
        &QueueFilter {
            reason: Some(QueueReasonFilter::NewVendor),
            ..QueueFilter::default()
        },
        QueueSort::default(),
    );
    let report = ws.exceptions().unwrap();
    let mut listed: Vec<String> = report
        .groups
        .iter()
        .filter(|g| g.reason == folio_app::coding_dto::ExceptionReason::NewVendor)
        .flat_map(|g| g.exceptions.iter().map(|e| e.document_id.clone()))
        .collect();
    listed.dedup();
    assert_eq!(ids(&new_vendor), vec![acme]);
    assert_eq!(ids(&new_vendor), listed);
}

#[test]
fn bad_filters_name_their_field() {
    let (_dir, _path, ws) = demo();
    for (filter, field) in [
        (
            QueueFilter {
                amount_min: Some("12,50".into()),
                ..QueueFilter::default()
            },
            "amount_min",
        ),
        (
            QueueFilter {
                date_to: Some("31.05.2025".into()),
                ..QueueFilter::default()
            },
            "date_to",
        ),
        (
            QueueFilter {
                currency: Some("EURO".into()),
                ..QueueFilter::default()
            },
            "currency",
        ),
        (
            QueueFilter {
                confidence_below: Some("1.5".into()),
                ..QueueFilter::default()
            },
            "confidence_below",
        ),
    ] {
        let e = ws
            .review_queue(&filter, QueueSort::default(), 0, 10)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains(field), "{}", e.message);
    }
    let e = ws
        .review_queue(&QueueFilter::default(), QueueSort::default(), 0, 5000)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn bulk_approval_covers_exactly_the_filter_with_one_approval_each() {
    let (_dir, path, ws) = demo();
    drop(ws);
    // The demo's controller approves (the workspace's creator is its admin, who may not).
    let mut ws = Workspace::open_with(
        &path,
        Context {
            actor: "controller".into(),
            clock: Arc::new(FixedClock(
                Utc.with_ymd_and_hms(2025, 6, 15, 11, 0, 0).unwrap(),
            )),
        },
    )
    .unwrap();
    let filter = QueueFilter {
        currency: Some("EUR".into()),
        vendor: Some("Nordlicht".into()),
        ..QueueFilter::default()
    };
    let preview = ws.bulk_approve_preview(&filter).unwrap();
    let members = all(&ws, &filter, QueueSort::default());
    assert_eq!(u64::from(preview.count), members.total);
    assert!(preview.count >= 2);
    let sum: Decimal = members.rows.iter().map(amount).sum();
    assert_eq!(preview.totals.len(), 1);
    assert_eq!(Decimal::from_str(&preview.totals[0].amount).unwrap(), sum);

    // A confirmation that no longer holds is refused, and nothing is approved.
    let stale = BulkPreview {
        count: preview.count + 1,
        totals: preview.totals.clone(),
    };
    let mut rng = StdRng::seed_from_u64(7);
    let e = ws.bulk_approve(&filter, &stale, &mut rng).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("confirm anew"), "{}", e.message);
    assert_eq!(ws.bulk_approve_preview(&filter).unwrap(), preview);

    let outcomes = ws.bulk_approve(&filter, &preview, &mut rng).unwrap();
    let queued: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.status == "queued")
        .map(|o| o.document_id.as_str())
        .collect();
    assert_eq!(outcomes.len(), preview.count as usize);
    assert_eq!(queued.len(), outcomes.len(), "{outcomes:?}");
    // Every other document is untouched.
    for doc in ws.list_documents().unwrap() {
        let inside = queued.contains(&doc.id.as_str());
        assert_eq!(
            doc.journal_status == Some(JournalStatus::Approved),
            inside,
            "{} {:?}",
            doc.id,
            doc.journal_status
        );
    }
    // One approval event and one outbox event per document, each naming its own journal.
    let store = Store::open(&path).unwrap();
    let events = store.audit_events(None).unwrap();
    let approvals = events
        .iter()
        .filter(|e| e.entity == "outbox" && e.action == "outbox.queued")
        .count();
    assert_eq!(approvals, queued.len());
    // Nothing is left to approve under the filter.
    assert_eq!(ws.bulk_approve_preview(&filter).unwrap().count, 0);
    let approved = all(
        &ws,
        &QueueFilter {
            status: Some(QueueStatusFilter::Approved),
            ..filter.clone()
        },
        QueueSort::default(),
    );
    assert_eq!(approved.total, u64::from(preview.count));
}

#[test]
fn the_overview_sums_spend_exactly_and_counts_corrections() {
    let (_dir, _path, mut ws) = demo();
    let before = ws.overview().unwrap();
    assert!(before.vendor_accuracy.iter().all(|v| v.corrected == 0));
    // Spend per currency by account and by cost centre are the same money, summed two ways, and
    // equal the expense debits minus credits of the journals (recomputed here from the views).
    let mut expected: std::collections::BTreeMap<String, Decimal> = Default::default();
    let expense: std::collections::BTreeSet<String> = ws
        .coding_choices()
        .unwrap()
        .accounts
        .iter()
        .filter(|a| a.code.starts_with('4') || a.code == "2150")
        .map(|a| a.code.clone())
        .collect();
    for doc in ws.list_documents().unwrap() {
        let journal = ws.journal_draft(&doc.id).unwrap();
        for line in journal
            .lines
            .iter()
            .filter(|l| expense.contains(&l.account))
        {
            let amount = Decimal::from_str(&line.amount).unwrap();
            let signed = if line.side == folio_domain::Side::Debit {
                amount
            } else {
                -amount
            };
            *expected.entry(line.currency.code().to_owned()).or_default() += signed;
        }
    }
    let total = |rows: &[folio_app::overview::SpendRow]| {
        let mut sums: std::collections::BTreeMap<String, Decimal> = Default::default();
        for r in rows {
            *sums.entry(r.currency.code().to_owned()).or_default() +=
                Decimal::from_str(&r.amount).unwrap();
        }
        sums
    };
    assert_eq!(total(&before.spend_by_account), expected);
    assert_eq!(total(&before.spend_by_cost_centre), expected);
    assert_eq!(before.payables.weeks.len(), 13);

    // A person's correction counts against the vendor's suggestions.
    let doc = ws
        .list_documents()
        .unwrap()
        .into_iter()
        .find(|d| d.supplier_name.starts_with("Nordlicht"))
        .unwrap();
    let explained = ws.explain(&doc.id).unwrap();
    let account = &explained.lines[0]
        .fields
        .iter()
        .find(|f| f.field == "account")
        .unwrap()
        .value;
    let other = if account == "4240" { "4250" } else { "4240" };
    ws.code_line(&folio_app::CodeLineRequest {
        document_id: doc.id.clone(),
        line: 1,
        account: Some(other.into()),
        learn: true,
        ..Default::default()
    })
    .unwrap();
    let after = ws.overview().unwrap();
    let nordlicht = after
        .vendor_accuracy
        .iter()
        .find(|v| v.supplier == doc.supplier_name)
        .unwrap();
    assert_eq!(nordlicht.corrected, 1);
    assert!(Decimal::from_str(&nordlicht.accuracy).unwrap() < Decimal::ONE);
}

#[test]
fn a_remembered_count_follows_writes_of_this_and_other_connections() {
    let (_dir, path, ws) = demo();
    let controller = || Context {
        actor: "controller".into(),
        clock: Arc::new(FixedClock(
            Utc.with_ymd_and_hms(2025, 6, 15, 11, 0, 0).unwrap(),
        )),
    };
    let mut other = Workspace::open_with(&path, controller()).unwrap();
    let open = QueueFilter {
        status: Some(QueueStatusFilter::Open),
        ..QueueFilter::default()
    };
    let by_amount = QueueSort {
        key: QueueSortKey::Amount,
        descending: true,
    };
    let count = |ws: &Workspace, sort| ws.review_queue(&open, sort, 0, 5).unwrap().total;
    let before = count(&ws, QueueSort::default());
    assert!(before >= 2);
    // Another order or page of the same filter: the same count.
    assert_eq!(count(&ws, by_amount), before);
    assert_eq!(
        ws.review_queue(&open, by_amount, 1, 1).unwrap().total,
        before
    );

    // Approved through another connection: this one counts afresh.
    let page = ws.review_queue(&open, QueueSort::default(), 0, 2).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let first = other
        .approve(&[page.rows[0].summary.id.clone()], false, &mut rng)
        .unwrap();
    assert_eq!(first[0].status, "queued", "{first:?}");
    assert_eq!(count(&ws, QueueSort::default()), before - 1);
    // Approved through the same connection that counted: counted afresh too.
    assert_eq!(count(&other, by_amount), before - 1);
    let second = other
        .approve(&[page.rows[1].summary.id.clone()], false, &mut rng)
        .unwrap();
    assert_eq!(second[0].status, "queued", "{second:?}");
    assert_eq!(count(&other, by_amount), before - 2);
    assert_eq!(count(&ws, by_amount), before - 2);
}
