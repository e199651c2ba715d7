//! `folio eval coding`: trains the learned suggester on one history CSV and measures it on another.
//!
//! It needs no workspace: the point is a repeatable measurement on files (the bench script runs it
//! on a real council's history split by time). The interface is stable:
//! `folio eval coding --train TRAIN.csv --test TEST.csv [--json] [--predictions OUT.csv]`.
//! The CLI is where the clock is read (training and prediction times); the coding crate only
//! receives the durations.

use clap::{Args, Subcommand};
use folio_coding::eval::{Scored, TargetMetrics, target_metrics};
use folio_coding::history::{HistoryLine, read_history_csv};
use folio_coding::learn::{Example, Query, Suggester, Suggestion, Target, TrainOptions};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    what: EvalWhat,
}

impl EvalArgs {
    pub fn json(&self) -> bool {
        match &self.what {
            EvalWhat::Coding(args) => args.json,
            EvalWhat::Import(args) => args.json,
        }
    }
}

#[derive(Debug, Subcommand)]
enum EvalWhat {
    /// Train the coding suggester on TRAIN, predict TEST, report accuracy and calibration.
    Coding(CodingArgs),
    /// Import every file of an invoice corpus (DIR/catalogue.csv) and report rule agreement.
    Import(crate::eval_import::ImportArgs),
}

#[derive(Debug, Args)]
struct CodingArgs {
    /// History to learn from (CSV: date,supplier,description,amount,account,cost_centre).
    #[arg(long, value_name = "TRAIN.csv")]
    train: PathBuf,
    /// History to predict and score (same columns).
    #[arg(long, value_name = "TEST.csv")]
    test: PathBuf,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Write one row per test line: line,account,account_confidence,cost_centre,
    /// cost_centre_confidence,explanation.
    #[arg(long, value_name = "OUT.csv")]
    predictions: Option<PathBuf>,
    /// Measure the suggester in use: after predicting each test day, learn that day's lines
    /// (as approving its journals would). Without it, only TRAIN is learned.
    #[arg(long)]
    online: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    train: String,
    test: String,
    train_lines: usize,
    test_lines: usize,
    model_version: String,
    /// `offline` (learned TRAIN only) or `online` (learned each test day after predicting it).
    mode: &'static str,
    training_seconds: f64,
    prediction_seconds: f64,
    /// Online mode: seconds spent learning the test days (not part of prediction time).
    update_seconds: Option<f64>,
    account: TargetMetrics,
    cost_centre: TargetMetrics,
    holdout: Vec<HoldoutFit>,
}

#[derive(Debug, Serialize)]
struct HoldoutFit {
    target: &'static str,
    holdout_lines: usize,
    accuracy_default_weights: f64,
    accuracy_fitted_weights: f64,
    /// Fitted weights by name (prior and each feature group), for lines from known and from
    /// unknown suppliers.
    weights_known_supplier: Option<std::collections::BTreeMap<&'static str, f64>>,
    weights_unknown_supplier: Option<std::collections::BTreeMap<&'static str, f64>>,
    /// Lines from known suppliers: the back-off strengths chosen on the held-out lines.
    backoff_known_supplier: Option<BackoffReport>,
    /// The confidence models' weights by signal (on standardised signals), for lines from known
    /// and from unknown suppliers.
    confidence_known_supplier: Option<std::collections::BTreeMap<&'static str, f64>>,
    confidence_unknown_supplier: Option<std::collections::BTreeMap<&'static str, f64>>,
}

#[derive(Debug, Serialize)]
struct BackoffReport {
    cases: usize,
    supplier_pseudo_lines: f64,
    description_pseudo_lines: f64,
    loglinear_share: f64,
    accuracy: f64,
    log_loss: f64,
    accuracy_loglinear_alone: f64,
}

fn named(
    fit: Option<&folio_coding::learn::model::WeightFit>,
) -> Option<std::collections::BTreeMap<&'static str, f64>> {
    let fit = fit?;
    let mut out = std::collections::BTreeMap::new();
    out.insert("prior", fit.weights[0]);
    for g in folio_coding::learn::features::Group::ALL {
        out.insert(g.name(), fit.weights[1 + g as usize]);
    }
    Some(out)
}

/// Runs `folio eval …`; prints its own errors (exit 2 for unreadable input).
pub fn run(args: EvalArgs) -> ExitCode {
    let args = match args.what {
        EvalWhat::Coding(args) => args,
        EvalWhat::Import(args) => return crate::eval_import::run(&args),
    };
    match coding(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"code": "EVAL_FAILED", "message": message}})
                );
            }
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Vec<HistoryLine>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    read_history_csv(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn example(line: &HistoryLine) -> Example {
    Example {
        date: line.date,
        supplier: line.supplier.clone(),
        description: line.description.clone(),
        amount: line.amount,
        vat_category: line.vat_category.clone(),
        reference: format!("line {}", line.row),
        account: line.account.clone(),
        cost_centre: line.cost_centre.clone(),
        learn: true,
    }
}

fn query(line: &HistoryLine) -> Query {
    Query {
        date: line.date,
        supplier: line.supplier.clone(),
        description: line.description.clone(),
        amount: line.amount,
        vat_category: line.vat_category.clone(),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn coding(args: &CodingArgs) -> Result<(), String> {
    let train = read(&args.train)?;
    let test = read(&args.test)?;
    let examples: Vec<Example> = train.iter().map(example).collect();
    let queries: Vec<Query> = test.iter().map(query).collect();

    let started = Instant::now();
    let mut suggester = Suggester::train(&examples, &TrainOptions::default());
    let training_seconds = started.elapsed().as_secs_f64();
    let unseen: Vec<bool> = queries
        .iter()
        .map(|q| !suggester.knows_supplier(&q.supplier))
        .collect();

    let explain = args.predictions.is_some();
    let (suggestions, prediction_seconds, update_seconds) = if args.online {
        online(&mut suggester, &test, &queries, explain)
    } else {
        let started = Instant::now();
        let suggestions = suggester.suggest_many(&queries, explain);
        (suggestions, started.elapsed().as_secs_f64(), None)
    };
    let metrics = |target: Target| {
        let scored: Vec<Scored> = suggestions
            .iter()
            .zip(&test)
            .zip(&unseen)
            .map(|((s, line), unseen)| {
                let field = s.field(target);
                let truth = match target {
                    Target::Account => &line.account,
                    Target::CostCentre => &line.cost_centre,
                };
                Scored {
                    confidence: field.confidence,
                    correct: field.value.as_deref() == Some(truth.as_str()),
                    unseen_supplier: *unseen,
                }
            })
            .collect();
        target_metrics(&scored, training_seconds, prediction_seconds)
    };

    if let Some(out) = &args.predictions {
        let mut text = String::from(
            "line,account,account_confidence,cost_centre,cost_centre_confidence,explanation\n",
        );
        for (line, s) in test.iter().zip(&suggestions) {
            let _ = writeln!(
                text,
                "{},{},{:.4},{},{:.4},{}",
                line.row,
                csv_field(s.account.value.as_deref().unwrap_or("")),
                s.account.confidence,
                csv_field(s.cost_centre.value.as_deref().unwrap_or("")),
                s.cost_centre.confidence,
                csv_field(&s.explanation.as_ref().map(|e| e.text()).unwrap_or_default()),
            );
        }
        std::fs::write(out, text).map_err(|e| format!("could not write {}: {e}", out.display()))?;
    }

    let report = Report {
        train: args.train.display().to_string(),
        test: args.test.display().to_string(),
        train_lines: train.len(),
        test_lines: test.len(),
        model_version: suggester.version(),
        mode: if args.online { "online" } else { "offline" },
        training_seconds,
        prediction_seconds,
        update_seconds,
        account: metrics(Target::Account),
        cost_centre: metrics(Target::CostCentre),
        holdout: suggester
            .fit_report()
            .targets
            .iter()
            .map(|t| HoldoutFit {
                target: t.target.name(),
                holdout_lines: suggester.fit_report().holdout_lines,
                accuracy_default_weights: t.holdout_accuracy_default,
                accuracy_fitted_weights: t.holdout_accuracy_fitted,
                weights_known_supplier: named(t.known_supplier.as_ref()),
                weights_unknown_supplier: named(t.unknown_supplier.as_ref()),
                backoff_known_supplier: t.backoff.as_ref().map(|b| BackoffReport {
                    cases: b.cases,
                    supplier_pseudo_lines: b.chosen.supplier,
                    description_pseudo_lines: b.chosen.description,
                    loglinear_share: b.chosen.blend,
                    accuracy: b.accuracy,
                    log_loss: b.log_loss,
                    accuracy_loglinear_alone: b.loglinear_accuracy,
                }),
                confidence_known_supplier: t.confidence[0].as_ref().map(|m| m.weights().collect()),
                confidence_unknown_supplier: t.confidence[1]
                    .as_ref()
                    .map(|m| m.weights().collect()),
            })
            .collect(),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| format!("could not write JSON: {e}"))?
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

/// Predicts the test lines day by day, learning each day's lines after predicting them.
fn online(
    suggester: &mut Suggester,
    test: &[HistoryLine],
    queries: &[Query],
    explain: bool,
) -> (Vec<Suggestion>, f64, Option<f64>) {
    let mut order: Vec<usize> = (0..test.len()).collect();
    order.sort_by_key(|&i| (test[i].date, i));
    let mut out: Vec<Option<Suggestion>> = vec![None; test.len()];
    let (mut predicting, mut updating) = (0.0, 0.0);
    for day in order.chunk_by(|a, b| test[*a].date == test[*b].date) {
        let day_queries: Vec<Query> = day.iter().map(|&i| queries[i].clone()).collect();
        let started = Instant::now();
        let suggestions = suggester.suggest_many(&day_queries, explain);
        predicting += started.elapsed().as_secs_f64();
        for (&i, s) in day.iter().zip(suggestions) {
            out[i] = Some(s);
        }
        let learned: Vec<Example> = day.iter().map(|&i| example(&test[i])).collect();
        let started = Instant::now();
        suggester.update(&learned);
        updating += started.elapsed().as_secs_f64();
    }
    (
        out.into_iter().flatten().collect(),
        predicting,
        Some(updating),
    )
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn print_table(r: &Report) {
    println!(
        "Coding evaluation: trained on {} lines ({}), tested on {} lines ({})",
        r.train_lines, r.train, r.test_lines, r.test
    );
    println!("Model: {}", r.model_version);
    if let Some(update) = r.update_seconds {
        println!(
            "Online: each test day was learned after it was predicted ({update:.2} s of updates)"
        );
    }
    println!();
    let (a, c) = (&r.account, &r.cost_centre);
    let rows: [(&str, String, String); 9] = [
        ("top-1 accuracy", pct(a.top1_accuracy), pct(c.top1_accuracy)),
        (
            "accuracy, unseen suppliers",
            format!(
                "{} of {}",
                pct(a.unseen_supplier_accuracy),
                a.unseen_supplier_lines
            ),
            format!(
                "{} of {}",
                pct(c.unseen_supplier_accuracy),
                c.unseen_supplier_lines
            ),
        ),
        (
            "coverage at 95 % precision",
            pct(a.coverage_at_95),
            pct(c.coverage_at_95),
        ),
        (
            "coverage at 97 % precision",
            pct(a.coverage_at_97),
            pct(c.coverage_at_97),
        ),
        (
            "coverage at 99 % precision",
            pct(a.coverage_at_99),
            pct(c.coverage_at_99),
        ),
        (
            "expected calibration error",
            format!("{:.4}", a.expected_calibration_error),
            format!("{:.4}", c.expected_calibration_error),
        ),
        (
            "training time (both)",
            format!("{:.2} s", a.training_seconds),
            format!("{:.2} s", c.training_seconds),
        ),
        (
            "prediction time (both)",
            format!("{:.2} s", a.prediction_seconds),
            format!("{:.2} s", c.prediction_seconds),
        ),
        ("test lines", a.lines.to_string(), c.lines.to_string()),
    ];
    println!("{:<28} {:>20} {:>20}", "", "account", "cost_centre");
    for (name, x, y) in rows {
        println!("{name:<28} {x:>20} {y:>20}");
    }
}
