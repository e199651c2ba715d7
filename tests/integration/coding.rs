//! Suggested coding through the `folio` binary: rule-pack tests (a wrong expectation fails the
//! command), explanations of the demo's coding, a person's correction, exceptions, history import
//! and forgetting a vendor, the blast radius of edited rules.

use folio_tests::{folio, repo_root, stdout};
use std::path::Path;

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
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
fn rules_test_passes_for_the_shipped_packs_and_fails_on_a_wrong_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("unused");
    let rules = repo_root().join("rules");
    let out = folio(&ws, &["rules", "test", rules.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("All rule tests passed."),
        "{}",
        stdout(&out)
    );

    let pack = dir.path().join("default");
    copy_dir(&rules.join("default"), &pack);
    let tests = pack.join("tests/samples.toml");
    let text = std::fs::read_to_string(&tests).unwrap();
    std::fs::write(
        &tests,
        text.replacen("tax_code = \"GB20\"", "tax_code = \"FR20\"", 1),
    )
    .unwrap();
    let out = folio(&ws, &["rules", "test", pack.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("line 1 tax_code: expected FR20, got GB20"),
        "{text}"
    );
    let report = json(&folio(
        &ws,
        &["rules", "test", pack.to_str().unwrap(), "--json"],
    ));
    assert_eq!(report["passed"], false);
    assert_eq!(report["packs"][0]["failures"][0]["field"], "tax_code");
}

#[test]
fn the_demo_is_coded_with_explanations_and_a_correction_wins() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());

    let view = json(&folio(&ws, &["explain", "DOC-14", "--json"]));
    let account = &view["lines"][0]["fields"][0];
    assert_eq!(account["field"], "account");
    assert_eq!(account["value"], "4600");
    assert_eq!(account["source"], "rule");
    let rule = &account["proposals"][0]["explanation"];
    assert_eq!(rule["kind"], "rule");
    assert_eq!(rule["rule"]["rule"], "trade-fair-hospitality");
    let text = stdout(&folio(&ws, &["explain", "DOC-14"]));
    assert!(text.contains("default/trade-fair-hospitality"), "{text}");
    assert!(text.contains("Rule packs: default 1.0.0+"), "{text}");

    let out = folio(
        &ws,
        &[
            "code",
            "DOC-24",
            "--line",
            "1",
            "--account",
            "4855",
            "--dimension",
            "cost_centre=CC-300",
            "--no-learn",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("not to be learned from"),
        "{}",
        stdout(&out)
    );
    let journal = json(&folio(&ws, &["journal", "DOC-24", "--json"]));
    assert_eq!(journal["lines"][0]["account"], "4855");
    assert_eq!(journal["lines"][0]["dimensions"]["cost_centre"], "CC-300");
    let refused = folio(
        &ws,
        &[
            "code",
            "DOC-24",
            "--line",
            "1",
            "--account",
            "4940",
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        json(&refused)["error"]["problems"][0]["code"],
        "ACCOUNT_NOT_POSTABLE"
    );

    let exceptions = json(&folio(&ws, &["exceptions", "--json"]));
    let reasons: Vec<&str> = exceptions["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "low_confidence",
            "bank_details_changed",
            "amount_over_threshold"
        ]
    );
    // The corrected line is no longer an exception; the other five low-confidence lines are.
    assert_eq!(exceptions["groups"][0]["count"], 5);

    let rules = repo_root().join("rules");
    let diff = stdout(&folio(&ws, &["rules", "diff", rules.to_str().unwrap()]));
    assert!(
        diff.contains("0 of 26 open document(s) would be coded differently"),
        "{diff}"
    );
}

#[test]
fn history_is_imported_whole_and_a_vendor_can_be_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "date,supplier,description,amount,account,cost_centre\n\
         2024-01-05,Sakura Seimitsu K.K.,Calibration,96000,4800,CC-400\n\
         2024-13-01,Sakura Seimitsu K.K.,Calibration,96000,4800,CC-400\n",
    )
    .unwrap();
    let out = folio(&ws, &["history", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2: date '2024-13-01'"), "{err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    let skipped = json(&folio(
        &ws,
        &[
            "history",
            "import",
            bad.to_str().unwrap(),
            "--skip-invalid",
            "--json",
        ],
    ));
    assert_eq!(
        (&skipped["rows"], &skipped["skipped_rows"]),
        (&1.into(), &1.into())
    );
    assert_eq!(
        skipped["skipped"][0]["message"],
        "row 2: date '2024-13-01' is not a date (YYYY-MM-DD or DD/MM/YYYY)"
    );

    let good = dir.path().join("history.csv");
    let mut csv = String::from("date,supplier,description,amount,account,cost_centre\n");
    for month in 1..=9 {
        csv.push_str(&format!(
            "2024-0{month}-05,Sakura Seimitsu K.K.,Calibration of torque measuring device,96000,4800,CC-400\n"
        ));
    }
    std::fs::write(&good, csv).unwrap();
    let report = json(&folio(
        &ws,
        &["history", "import", good.to_str().unwrap(), "--json"],
    ));
    assert_eq!(report["rows"], 9);
    let view = json(&folio(&ws, &["explain", "DOC-24", "--json"]));
    assert_eq!(view["lines"][0]["fields"][0]["source"], "model");
    let again = folio(&ws, &["history", "import", good.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "the same file twice");

    let forgot = json(&folio(
        &ws,
        &["forget-vendor", "Sakura Seimitsu K.K.", "--json"],
    ));
    assert_eq!(
        forgot["history_lines_deleted"], 10,
        "nine from history.csv and one from bad.csv"
    );
    let view = json(&folio(&ws, &["explain", "DOC-24", "--json"]));
    assert_eq!(view["lines"][0]["fields"][0]["source"], "fixed");
}
