//! The learned suggester on small synthetic histories: what it must learn, what it must not, and
//! the properties the app relies on (calibration, determinism, incremental = retrain, forgetting).

use chrono::NaiveDate;
use folio_coding::eval::{Scored, expected_calibration_error};
use folio_coding::learn::{Example, Query, Suggester, TrainOptions};
use rust_decimal::Decimal;

/// A tiny deterministic random source, passed in (never read from the environment).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(n)
}

fn ex(d: i64, supplier: &str, description: &str, amount: i64, account: &str, cc: &str) -> Example {
    Example {
        date: day(d),
        supplier: supplier.to_owned(),
        description: description.to_owned(),
        amount: Decimal::new(amount, 2),
        vat_category: Some("S".to_owned()),
        reference: format!("INV-{d}-{}", supplier.len()),
        account: account.to_owned(),
        cost_centre: cc.to_owned(),
        learn: true,
    }
}

fn query(supplier: &str, description: &str, amount: i64) -> Query {
    Query {
        date: day(400),
        supplier: supplier.to_owned(),
        description: description.to_owned(),
        amount: Decimal::new(amount, 2),
        vat_category: Some("S".to_owned()),
    }
}

/// (supplier, description, account, cost centre) patterns of a small business.
const PATTERNS: &[(&str, &str, &str, &str)] = &[
    ("Royal Mail", "postage stamps", "6200 Postage", "ADMIN"),
    (
        "Acme Stationery",
        "printer paper",
        "6100 Office supplies",
        "ADMIN",
    ),
    ("City Garage", "diesel fuel", "6400 Fuel", "FLEET"),
    (
        "City Garage",
        "brake repair",
        "6410 Vehicle repairs",
        "FLEET",
    ),
    (
        "City Garage",
        "tyre replacement",
        "6410 Vehicle repairs",
        "FLEET",
    ),
    ("Shell Fuel Cards", "diesel fuel card", "6400 Fuel", "FLEET"),
    (
        "Big Telecom",
        "mobile phone contract",
        "6300 Telephone",
        "IT",
    ),
    ("Cloud Host", "server hosting", "6310 IT services", "IT"),
    ("Cloud Host", "software licence", "6320 Software", "IT"),
];

fn history(lines: usize, rng: &mut Lcg) -> Vec<Example> {
    (0..lines)
        .map(|i| {
            let (s, d, a, c) = PATTERNS[rng.below(PATTERNS.len() as u64) as usize];
            let amount = 1000 + rng.below(50_000) as i64;
            ex((i / 10) as i64, s, d, amount, a, c)
        })
        .collect()
}

fn exact() -> TrainOptions {
    TrainOptions {
        fit: false,
        threads: 1,
        ..TrainOptions::default()
    }
}

#[test]
fn learns_supplier_accounts_and_uses_description_words() {
    let mut rng = Lcg(7);
    let model = Suggester::train(&history(2000, &mut rng), &TrainOptions::default());
    let cases = [
        (query("Royal Mail", "stamps", 500), "6200 Postage", "ADMIN"),
        (
            query("Acme Stationery", "", 2000),
            "6100 Office supplies",
            "ADMIN",
        ),
        // Multi-account suppliers: the description decides.
        (query("City Garage", "diesel", 6000), "6400 Fuel", "FLEET"),
        (
            query("City Garage", "brake pads repair", 6000),
            "6410 Vehicle repairs",
            "FLEET",
        ),
        (
            query("Cloud Host", "software licence renewal", 9000),
            "6320 Software",
            "IT",
        ),
        (
            query("Cloud Host", "hosting", 9000),
            "6310 IT services",
            "IT",
        ),
        // Unseen supplier: description words and n-grams still point the right way.
        (
            query("Northern Petrol Ltd", "diesel fuel", 7000),
            "6400 Fuel",
            "FLEET",
        ),
        (
            query("New Phone Co", "mobile phones", 3000),
            "6300 Telephone",
            "IT",
        ),
    ];
    for (q, account, cc) in cases {
        let s = model.suggest(&q);
        assert_eq!(s.account.value.as_deref(), Some(account), "{q:?}: {s:?}");
        assert_eq!(s.cost_centre.value.as_deref(), Some(cc), "{q:?}: {s:?}");
        assert!((0.0..=1.0).contains(&s.account.confidence));
    }
    let known = model.suggest(&query("Royal Mail", "stamps", 500));
    assert!(known.account.confidence > 0.8, "{known:?}");
}

#[test]
fn top_three_alternatives_are_ordered_and_distinct() {
    let mut rng = Lcg(11);
    let model = Suggester::train(&history(1500, &mut rng), &TrainOptions::default());
    for q in [
        query("City Garage", "service", 10_000),
        query("Unknown Supplier", "", 100),
        query("Cloud Host", "licence", 500),
    ] {
        let s = model.suggest(&q);
        for field in [&s.account, &s.cost_centre] {
            assert!(!field.top.is_empty() && field.top.len() <= 3, "{field:?}");
            assert_eq!(Some(&field.top[0].value), field.value.as_ref());
            assert_eq!(field.top[0].confidence, field.confidence);
            for pair in field.top.windows(2) {
                assert!(pair[0].confidence >= pair[1].confidence, "{field:?}");
                assert_ne!(pair[0].value, pair[1].value);
            }
            let total: f64 = field.top.iter().map(|c| c.confidence).sum();
            assert!(total <= 1.0 + 1e-6, "{field:?}");
        }
    }
}

#[test]
fn confidences_are_calibrated_on_noisy_history() {
    // Each supplier's lines go to its main account 90 %, 70 % or 50 % of the time.
    let mut rng = Lcg(3);
    let make = |n: usize, start: i64, rng: &mut Lcg| -> Vec<Example> {
        (0..n)
            .map(|i| {
                let s = rng.below(30);
                let purity = [90, 70, 50][(s % 3) as usize];
                let account = if rng.below(100) < purity {
                    format!("A{s}")
                } else {
                    format!("A{}", rng.below(30))
                };
                let supplier = format!("Supplier {s}");
                ex(
                    start + (i / 20) as i64,
                    &supplier,
                    "goods",
                    1000,
                    &account,
                    "CC",
                )
            })
            .collect()
    };
    let train = make(6000, 0, &mut rng);
    let test = make(3000, 300, &mut rng);
    let model = Suggester::train(&train, &TrainOptions::default());
    let scored: Vec<Scored> = test
        .iter()
        .map(|e| {
            let s = model.suggest(&Query::from(e));
            Scored {
                confidence: s.account.confidence,
                correct: s.account.value.as_deref() == Some(e.account.as_str()),
                unseen_supplier: false,
            }
        })
        .collect();
    let ece = expected_calibration_error(&scored, 10);
    assert!(ece < 0.05, "expected calibration error {ece}");
}

#[test]
fn confidence_learns_that_a_supplier_whose_last_lines_disagree_is_often_wrong() {
    // 60 suppliers, one line each a day for 300 days. Half keep one account; half move from their
    // old account to a new one on a day of their own, so that in the held-out recent tail some
    // have moved already and some are moving: the confidence model must learn that a suggestion
    // the supplier's last lines disagree with is often wrong (a positive weight on their share).
    let mut rng = Lcg(11);
    let switch_day: Vec<i64> = (0..60).map(|_| 100 + rng.below(200) as i64).collect();
    let mut lines = Vec::new();
    for d in 0..300 {
        for (s, switch) in switch_day.iter().enumerate() {
            let moved = s % 2 == 1 && d >= *switch;
            let account = if moved {
                format!("New {s}")
            } else {
                format!("Old {s}")
            };
            lines.push(ex(
                d,
                &format!("Supplier {s}"),
                "services",
                100,
                &account,
                "CC",
            ));
        }
    }
    let model = Suggester::train(&lines, &TrainOptions::default());
    let fit = &model.fit_report().targets[0];
    let confidence = fit.confidence[0]
        .as_ref()
        .expect("a confidence model for known suppliers");
    let recent = confidence
        .weights()
        .find(|(name, _)| *name == "share of the supplier's last lines with this value")
        .map(|(_, w)| w)
        .unwrap_or_default();
    assert!(recent > 0.0, "weight of the recent share: {recent}");
    let steady = model.suggest(&query("Supplier 0", "services", 100));
    assert_eq!(steady.account.value.as_deref(), Some("Old 0"));
    assert!(
        steady.account.confidence > 0.95,
        "{}",
        steady.account.confidence
    );
}

#[test]
fn dont_learn_lines_are_ignored() {
    let mut lines: Vec<Example> = (0..20)
        .map(|i| ex(i, "Royal Mail", "postage", 500, "6200 Postage", "ADMIN"))
        .collect();
    for i in 0..50 {
        let mut wrong = ex(i, "Royal Mail", "postage", 500, "9999 Suspense", "X");
        wrong.learn = false;
        lines.push(wrong);
    }
    let mut model = Suggester::train(&lines, &exact());
    assert_eq!(model.line_count(), 20);
    let mut more = ex(30, "Royal Mail", "postage", 500, "9999 Suspense", "X");
    more.learn = false;
    model.update(&[more]);
    assert_eq!(model.line_count(), 20);
    let s = model.suggest(&query("Royal Mail", "postage", 500));
    assert_eq!(s.account.value.as_deref(), Some("6200 Postage"));
    assert!(s.account.top.iter().all(|c| c.value != "9999 Suspense"));
}

fn same(a: &Suggester, b: &Suggester, queries: &[Query]) {
    for q in queries {
        let (x, y) = (a.suggest(q), b.suggest(q));
        for (f, g) in [(&x.account, &y.account), (&x.cost_centre, &y.cost_centre)] {
            assert_eq!(f.value, g.value, "{q:?}");
            assert!(
                (f.confidence - g.confidence).abs() < 1e-9,
                "{q:?}: {f:?} vs {g:?}"
            );
            let fv: Vec<&str> = f.top.iter().map(|c| c.value.as_str()).collect();
            let gv: Vec<&str> = g.top.iter().map(|c| c.value.as_str()).collect();
            assert_eq!(fv, gv, "{q:?}");
        }
    }
}

fn probe_queries() -> Vec<Query> {
    PATTERNS
        .iter()
        .map(|(s, d, _, _)| query(s, d, 2500))
        .chain([
            query("Someone New", "diesel", 100),
            query("Royal Mail", "", 1),
        ])
        .collect()
}

#[test]
fn forgetting_a_vendor_equals_never_having_learned_it() {
    let mut rng = Lcg(5);
    let all = history(800, &mut rng);
    let without: Vec<Example> = all
        .iter()
        .filter(|e| e.supplier != "City Garage")
        .cloned()
        .collect();
    let mut model = Suggester::train(&all, &exact());
    assert!(model.knows_supplier("CITY GARAGE"));
    let forgotten = model.forget_vendor("city garage");
    assert_eq!(forgotten, all.len() - without.len());
    assert!(!model.knows_supplier("City Garage"));
    let fresh = Suggester::train(&without, &exact());
    same(&model, &fresh, &probe_queries());
    let s = model.suggest(&query("City Garage", "brake repair", 100));
    let e = s.explanation.unwrap();
    assert!(
        e.similar.iter().all(|l| l.supplier != "City Garage"),
        "{e:?}"
    );
}

#[test]
fn incremental_update_equals_retraining_on_the_union() {
    let mut rng = Lcg(9);
    let all = history(900, &mut rng);
    let (first, second) = all.split_at(600);
    let mut incremental = Suggester::train(first, &exact());
    incremental.update(second);
    let retrained = Suggester::train(&all, &exact());
    same(&incremental, &retrained, &probe_queries());
    assert_eq!(incremental.version(), retrained.version());
    assert_ne!(
        incremental.version(),
        Suggester::train(first, &exact()).version()
    );
}

#[test]
fn deterministic_for_the_same_input_whatever_the_threads() {
    let mut rng = Lcg(13);
    let lines = history(1200, &mut rng);
    let one = Suggester::train(&lines, &TrainOptions::default());
    let again = Suggester::train(&lines, &TrainOptions::default());
    let single = Suggester::train(
        &lines,
        &TrainOptions {
            threads: 1,
            ..TrainOptions::default()
        },
    );
    let queries = probe_queries();
    let a = one.suggest_many(&queries, true);
    assert_eq!(a, again.suggest_many(&queries, true));
    assert_eq!(a, single.suggest_many(&queries, true));
    let each: Vec<_> = queries.iter().map(|q| one.suggest(q)).collect();
    assert_eq!(a, each);
}

#[test]
fn explanations_name_version_features_and_similar_lines() {
    let mut lines: Vec<Example> = (0..30)
        .map(|i| {
            ex(
                i,
                "City Garage",
                "brake repair",
                12_000,
                "6410 Vehicle repairs",
                "FLEET",
            )
        })
        .collect();
    lines.extend((0..30).map(|i| ex(i, "City Garage", "diesel fuel", 6000, "6400 Fuel", "FLEET")));
    let model = Suggester::train(&lines, &exact());
    let s = model.suggest(&query("City Garage", "brake repair", 12_000));
    let e = s.explanation.expect("suggest explains");
    assert_eq!(e.model_version, model.version());
    assert!(!e.features.is_empty() && e.features.len() <= 3, "{e:?}");
    assert!(e.features.iter().all(|f| f.weight > 0.0));
    assert!((2..=3).contains(&e.similar.len()), "{e:?}");
    assert!(
        e.similar
            .iter()
            .all(|l| l.same_vendor && l.account == "6410 Vehicle repairs"),
        "{e:?}"
    );
    let text = e.text();
    assert!(text.contains("coded like INV-"), "{text}");
    assert!(text.contains("from the same vendor on 2024-"), "{text}");
}

#[test]
fn an_empty_model_suggests_nothing() {
    let model = Suggester::train(&[], &TrainOptions::default());
    let s = model.suggest(&query("Anyone", "anything", 100));
    assert_eq!(s.account.value, None);
    assert_eq!(s.account.confidence, 0.0);
    assert!(s.account.top.is_empty());
}

/// Back-off: a supplier with a long, consistent history keeps its own account even when the words
/// of a new description mean another account across other suppliers; a supplier never seen gets
/// what the words mean. Fitted on the held-out tail, as in use (enough lines to fit).
#[test]
fn a_strong_supplier_history_outweighs_words_that_mean_something_else_elsewhere() {
    let mut rng = Lcg(7);
    let mut examples = Vec::new();
    for i in 0..400 {
        let d = i64::from(i) / 2;
        let amount = 5_000 + rng.below(90_000) as i64;
        // One heating firm, always coded to heating, with its own job numbers and words.
        examples.push(ex(
            d,
            "Warmhome Services",
            &format!("job {} boiler service", 300 + i),
            amount,
            "5100 Heating",
            "HOUSING",
        ));
        // Twenty general contractors whose "repair works" are contractor payments.
        let other = format!("Builder {} Ltd", rng.below(20));
        examples.push(ex(
            d,
            &other,
            "repair works to roof",
            amount,
            "5200 Contractors",
            "HOUSING",
        ));
    }
    let suggester = Suggester::train(&examples, &TrainOptions::default());
    let fit = &suggester.fit_report().targets[0];
    assert!(fit.backoff.is_some(), "{fit:?}");

    let own = suggester.suggest(&query("Warmhome Services", "repair works to roof", 40_000));
    assert_eq!(
        own.account.value.as_deref(),
        Some("5100 Heating"),
        "{own:?}"
    );
    let stranger = suggester.suggest(&query("Fresh Firm Ltd", "repair works to roof", 40_000));
    assert_eq!(
        stranger.account.value.as_deref(),
        Some("5200 Contractors"),
        "{stranger:?}"
    );
    assert!(own.account.confidence >= 0.5, "{own:?}");
}

/// A history that exercises every part of the model: suppliers of varying purity, descriptions
/// that matter, new suppliers appearing over time, several cost centres, VAT categories and
/// amounts with different scales — enough lines for weights, back-off, confidence models and
/// calibration to be fitted.
fn rich_history(n: usize, rng: &mut Lcg) -> Vec<Example> {
    (0..n)
        .map(|i| {
            let day = (i / 12) as i64;
            // A third of the lines come from a supplier seen only once: the held-out tail has
            // plenty of lines from unknown suppliers.
            let fresh = rng.below(5) < 2;
            let s = if fresh {
                1000 + i as u64
            } else {
                rng.below(20 + (day as u64) / 4)
            };
            let purity = [95, 75, 55][(s % 3) as usize];
            // A new supplier's line is coded by its description.
            let (description, account) = if !fresh && rng.below(100) < purity {
                ("monthly service", format!("A{s}"))
            } else {
                let k = rng.below(8);
                (
                    ["parts", "labour", "fuel", "hosting"][(k % 4) as usize],
                    format!("A{}", 100 + k),
                )
            };
            let mut e = ex(
                day,
                &format!("Supplier {s} Ltd"),
                &format!("{description} {}", rng.below(40)),
                (1000 + rng.below(90_000)) as i64,
                &account,
                &format!(
                    "CC{}",
                    if rng.below(10) == 0 {
                        rng.below(5)
                    } else {
                        s % 5
                    }
                ),
            );
            e.amount = Decimal::new(e.amount.mantissa() as i64, (i % 3) as u32);
            e.vat_category = ["S", "Z", "AE"].get((s % 4) as usize).map(|v| (*v).into());
            e.reference = format!("INV-{i}");
            e
        })
        .collect()
}

/// A field's value, its confidence's bits and its candidates with theirs.
type FieldBits = (Option<String>, u64, Vec<(String, u64)>);

fn bits(s: &folio_coding::learn::Suggestion) -> Vec<FieldBits> {
    [&s.account, &s.cost_centre]
        .into_iter()
        .map(|f| {
            (
                f.value.clone(),
                f.confidence.to_bits(),
                f.top
                    .iter()
                    .map(|c| (c.value.clone(), c.confidence.to_bits()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_model_saved_and_loaded_suggests_bit_for_bit_the_same_and_keeps_learning_the_same() {
    let mut rng = Lcg(21);
    let all = rich_history(5000, &mut rng);
    let (first, later) = all.split_at(4500);
    let model = Suggester::train(first, &TrainOptions::default());
    // Non-trivial: weights, back-off and confidence models were fitted for both targets.
    let report = model.fit_report();
    assert_eq!(report.targets.len(), 2, "{report:?}");
    for t in &report.targets {
        assert!(t.known_supplier.is_some() && t.backoff.is_some(), "{t:?}");
        assert!(t.confidence.iter().all(Option::is_some), "{t:?}");
    }
    let bytes = model.to_bytes();
    let loaded = Suggester::from_bytes(&bytes).expect("a saved model loads");
    assert_eq!(loaded.version(), model.version());
    assert_eq!(loaded.line_count(), model.line_count());
    assert_eq!(loaded.fit_report(), model.fit_report());
    let mut queries: Vec<Query> = later.iter().map(Query::from).collect();
    queries.extend(probe_queries());
    let (a, b) = (
        model.suggest_many(&queries, true),
        loaded.suggest_many(&queries, true),
    );
    // Values, confidences (bit for bit) and explanations.
    assert_eq!(a, b);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(bits(x), bits(y));
    }
    assert!(
        a.iter()
            .any(|s| s.account.confidence > 0.5 && s.account.confidence < 1.0)
    );
    // Learning more, and forgetting a vendor, give the same model from either.
    let (mut m, mut l) = (model.clone(), loaded);
    m.update(later);
    l.update(later);
    assert_eq!(m.version(), l.version());
    assert_eq!(
        m.suggest_many(&queries, true),
        l.suggest_many(&queries, true)
    );
    assert_eq!(
        m.forget_vendor("Supplier 3 Ltd"),
        l.forget_vendor("Supplier 3 Ltd")
    );
    assert_eq!(m.version(), l.version());
    let (a, b) = (
        m.suggest_many(&queries, true),
        l.suggest_many(&queries, true),
    );
    assert_eq!(a, b);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(bits(x), bits(y));
    }
    // An empty model round-trips too.
    let empty = Suggester::new(TrainOptions::default());
    let again = Suggester::from_bytes(&empty.to_bytes()).expect("an empty model loads");
    assert_eq!(again.version(), empty.version());
}

#[test]
fn damaged_model_bytes_are_refused_never_trusted() {
    use folio_coding::learn::snapshot::{BODY_FORMAT, SnapshotError};
    let mut rng = Lcg(4);
    let model = Suggester::train(&rich_history(600, &mut rng), &TrainOptions::default());
    let bytes = model.to_bytes();
    // Cut anywhere: an error, never a panic or a model.
    let step = (bytes.len() / 293).max(1);
    for cut in (0..bytes.len()).step_by(step) {
        assert!(
            Suggester::from_bytes(&bytes[..cut]).is_err(),
            "a model cut at byte {cut} of {} loaded",
            bytes.len()
        );
    }
    // Another body format.
    let mut other = bytes.clone();
    other[..4].copy_from_slice(&(BODY_FORMAT + 1).to_le_bytes());
    assert_eq!(
        Suggester::from_bytes(&other).unwrap_err(),
        SnapshotError::Format {
            found: BODY_FORMAT + 1,
            expected: BODY_FORMAT
        }
    );
    // Extra bytes after the model.
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Suggester::from_bytes(&longer).unwrap_err(),
        SnapshotError::Trailing(1)
    );
    // Damaged bytes: refused or, where the damage lands in a plain number, a model — never a
    // panic (the workspace's snapshot header carries a checksum that refuses those).
    let mut damaged = bytes.clone();
    for i in (0..damaged.len()).step_by(step) {
        damaged[i] ^= 0xff;
        let _ = Suggester::from_bytes(&damaged);
        damaged[i] ^= 0xff;
    }
}
