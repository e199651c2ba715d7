//! `folio eval coding` end to end on a tiny history: the stable interface (the `--predictions`
//! header, the JSON keys, exit codes) that the bench script and other tools rely on.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eval-coding")
        .join(name)
}

fn folio() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    cmd.env_remove("FOLIO_WORKSPACE");
    cmd
}

#[test]
fn predictions_csv_has_the_exact_header_and_one_row_per_test_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("predictions.csv");
    let output = folio()
        .args(["eval", "coding", "--train"])
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .arg("--predictions")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("top-1 accuracy"), "{table}");
    assert!(table.contains("coverage at 97 % precision"), "{table}");

    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("line,account,account_confidence,cost_centre,cost_centre_confidence,explanation")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 5);
    for (i, row) in rows.iter().enumerate() {
        let fields: Vec<&str> = row.splitn(6, ',').collect();
        assert_eq!(fields[0], (i + 1).to_string(), "{row}");
        for confidence in [fields[2], fields[4]] {
            let c: f64 = confidence.parse().unwrap();
            assert!((0.0..=1.0).contains(&c), "{row}");
        }
        assert!(fields[5].contains("learned-v3"), "{row}");
    }
    assert!(rows[0].starts_with("1,6200 Postage,"), "{}", rows[0]);
    assert!(rows[1].starts_with("2,6400 Fuel,"), "{}", rows[1]);
}

#[test]
fn json_report_has_the_documented_keys() {
    let output = folio()
        .args(["eval", "coding", "--json", "--train"])
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["train_lines"], 60);
    assert_eq!(report["test_lines"], 5);
    assert_eq!(report["mode"], "offline");
    for key in ["model_version", "training_seconds", "prediction_seconds"] {
        assert!(!report[key].is_null(), "{key} missing: {report}");
    }
    for target in ["account", "cost_centre"] {
        for key in [
            "lines",
            "top1_accuracy",
            "unseen_supplier_lines",
            "unseen_supplier_accuracy",
            "coverage_at_95",
            "coverage_at_97",
            "coverage_at_99",
            "expected_calibration_error",
            "training_seconds",
            "prediction_seconds",
        ] {
            assert!(
                report[target][key].is_number(),
                "{target}.{key} missing: {report}"
            );
        }
    }
    assert_eq!(report["account"]["unseen_supplier_lines"], 1);
    assert!(report["account"]["top1_accuracy"].as_f64().unwrap() >= 0.8);
}

#[test]
fn online_mode_learns_each_test_day_after_predicting_it() {
    let output = folio()
        .args(["eval", "coding", "--json", "--online", "--train"])
        .arg(fixture("train.csv"))
        .arg("--test")
        .arg(fixture("test.csv"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["mode"], "online");
    assert!(report["update_seconds"].is_number(), "{report}");
    // The test lines were learned too.
    assert!(
        report["model_version"]
            .as_str()
            .unwrap()
            .starts_with("learned-v3/65-lines/"),
        "{report}"
    );
}

#[test]
fn unreadable_input_is_a_usage_error_with_json() {
    let output = folio()
        .args([
            "eval",
            "coding",
            "--json",
            "--train",
            "/nonexistent/train.csv",
            "--test",
        ])
        .arg(fixture("test.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["error"]["code"], "EVAL_FAILED");
}
