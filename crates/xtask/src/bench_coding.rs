//! `cargo xtask bench coding`: the learned suggester against its peers on real history.
//!
//! Why a bench and not a test: the figures the issue asks for (accuracy, coverage at precision,
//! calibration, speed) only mean something on a real, large history measured the way it is used —
//! train on the past, predict the future — and side by side with what a user could use instead:
//! beancount's `smart_importer` and "the supplier's most frequent account". That takes minutes
//! (smart_importer trains a kernel SVM) and a Python venv, so it runs on demand, not in CI.
//!
//! Steps: split the Harrogate history by date (earlier 80 % to train, later 20 % to test) into
//! `target/bench-coding/`, run the release `folio eval coding --json` on it, time a second run on
//! 100,000 training lines and 25,000 test lines, run it again `--online` (each test day learned
//! after it is predicted, as approvals would), compute the supplier baseline (offline and
//! online), run smart_importer
//! in a venv under `target/bench-coding/venv`, then print one table and write `report.json`.
//! `FOLIO_BENCH_SMART_IMPORTER_MAX_TRAIN=N` trains smart_importer on the latest N lines only (it
//! is quadratic in the training lines); `FOLIO_BENCH_SKIP_SMART_IMPORTER=1` skips it.

use crate::{cargo, repo_root, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const DATASET: &str = "datasets/coding/harrogate-2015-04_to_2021-02.csv";

pub(crate) fn shared_dir() -> PathBuf {
    std::env::var_os("FOLIO_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"))
}

/// Runs a command and writes its standard output to `out`.
fn capture(cmd: &mut Command, out: &Path) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("    $ {shown}");
    let output = cmd
        .output()
        .with_context(|| format!("could not start {shown}"))?;
    if !output.status.success() {
        bail!(
            "{shown} failed with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::write(out, &output.stdout)
        .with_context(|| format!("could not write {}", out.display()))
}

/// The Harrogate history in the shared folder, or an error saying where it was looked for.
pub(crate) fn harrogate_history() -> Result<PathBuf> {
    let data = shared_dir().join(DATASET);
    if !data.is_file() {
        bail!(
            "the Harrogate history is not at {} (set FOLIO_SHARED_DIR to the shared folder)",
            data.display()
        );
    }
    Ok(data)
}

pub fn run() -> Result<()> {
    let data = harrogate_history()?;
    let out = target_dir().join("bench-coding");
    std::fs::create_dir_all(&out).with_context(|| format!("could not create {}", out.display()))?;
    let script = repo_root().join("crates/xtask/scripts/smart_importer_eval.py");
    let file = |name: &str| out.join(name);

    eprintln!("==> split by date (80 % train, 20 % test)");
    capture(
        Command::new("python3")
            .arg(&script)
            .arg("split")
            .arg(&data)
            .arg(&out),
        &file("split.json"),
    )?;

    eprintln!("==> release build of folio");
    run_cmd(cargo().args(["build", "--release", "-p", "folio-cli"]))?;
    let folio = target_dir().join("release").join("folio");

    eprintln!("==> folio eval coding");
    capture(
        Command::new(&folio)
            .args(["eval", "coding", "--json", "--train"])
            .arg(file("train.csv"))
            .arg("--test")
            .arg(file("test.csv"))
            .arg("--predictions")
            .arg(file("predictions.csv")),
        &file("folio.json"),
    )?;
    eprintln!("==> folio timing: 100,000 training lines, 25,000 test lines");
    capture(
        Command::new(&folio)
            .args(["eval", "coding", "--json", "--train"])
            .arg(file("timing-train.csv"))
            .arg("--test")
            .arg(file("timing-test.csv")),
        &file("timing.json"),
    )?;

    eprintln!("==> folio eval coding --online (learning each test day after predicting it)");
    capture(
        Command::new(&folio)
            .args(["eval", "coding", "--json", "--online", "--train"])
            .arg(file("train.csv"))
            .arg("--test")
            .arg(file("test.csv")),
        &file("folio-online.json"),
    )?;

    eprintln!("==> supplier baseline");
    capture(
        Command::new("python3")
            .arg(&script)
            .arg("baseline")
            .arg(file("train.csv"))
            .arg(file("test.csv")),
        &file("baseline.json"),
    )?;
    capture(
        Command::new("python3")
            .arg(&script)
            .arg("baseline")
            .arg(file("train.csv"))
            .arg(file("test.csv"))
            .arg("--online"),
        &file("baseline-online.json"),
    )?;

    let smart = file("smart_importer.json");
    if std::env::var("FOLIO_BENCH_SKIP_SMART_IMPORTER").is_ok_and(|v| v == "1") {
        eprintln!("==> smart_importer skipped (FOLIO_BENCH_SKIP_SMART_IMPORTER=1)");
        let _ = std::fs::remove_file(&smart);
    } else if let Err(e) = smart_importer(&script, &out, &smart) {
        eprintln!("==> smart_importer FAILED, reported as n/a: {e:#}");
        let _ = std::fs::remove_file(&smart);
    }

    eprintln!("==> report");
    run_cmd(
        Command::new("python3")
            .arg(&script)
            .arg("report")
            .arg(file("folio.json"))
            .arg(file("baseline.json"))
            .arg(&smart)
            .arg(file("report.json"))
            .arg(file("timing.json"))
            .arg(file("folio-online.json"))
            .arg(file("baseline-online.json")),
    )?;
    println!("\nFigures as JSON: {}", file("report.json").display());
    Ok(())
}

fn smart_importer(script: &Path, out: &Path, result: &Path) -> Result<()> {
    let venv = out.join("venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        eprintln!("==> venv with smart_importer and beancount (pip)");
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_cmd(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "smart_importer",
            "beancount",
        ]))?;
    }
    eprintln!("==> smart_importer (a kernel SVM: this takes a while)");
    let mut cmd = Command::new(&python);
    cmd.arg(script)
        .arg("smart-importer")
        .arg(out.join("train.csv"))
        .arg(out.join("test.csv"));
    if let Ok(max) = std::env::var("FOLIO_BENCH_SMART_IMPORTER_MAX_TRAIN") {
        cmd.args(["--max-train", &max]);
    }
    capture(&mut cmd, result)
}
