//! `cargo xtask bench learn`: how long taking one approved journal into the learned suggester
//! takes in the desktop's open workspace (an incremental update), against training it from
//! scratch, both as the app does them on the Harrogate history (110,912 lines), and how long a new
//! process takes to load the model's snapshot instead of training (with its size and write time).
//!
//! Why a bench: the point of the update is its speed on a real, large history in a release
//! build; a test only proves it is exact (crates/app/tests/learning.rs). It is cheap: one release
//! build of the measuring program (crates/app/examples/learn_update.rs), a demo workspace with
//! the history imported under `target/bench-learn/`, five full trainings and one update per demo
//! journal approved — well under a minute once built. The report (medians, milliseconds) goes to
//! stdout and `target/bench-learn/report.json`. `FOLIO_BENCH_LEARN_FULL_RUNS=N` sets how many
//! full trainings are timed.

use crate::bench_coding::harrogate_history;
use crate::{cargo, run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use std::process::Command;

pub fn run() -> Result<()> {
    let data = harrogate_history()?;
    let out = target_dir().join("bench-learn");
    std::fs::create_dir_all(&out).with_context(|| format!("could not create {}", out.display()))?;
    eprintln!("==> release build of the measuring program");
    run_cmd(cargo().args([
        "build",
        "--release",
        "-p",
        "folio-app",
        "--example",
        "learn_update",
    ]))?;
    let program = target_dir()
        .join("release")
        .join("examples")
        .join("learn_update");
    let runs = std::env::var("FOLIO_BENCH_LEARN_FULL_RUNS").unwrap_or_else(|_| "5".into());
    eprintln!("==> full trainings and one update per approved demo journal");
    let output = Command::new(&program)
        .arg(&data)
        .arg(&out)
        .arg(&runs)
        .output()
        .with_context(|| format!("could not start {}", program.display()))?;
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        bail!("{} failed with {}", program.display(), output.status);
    }
    let report = String::from_utf8_lossy(&output.stdout);
    std::fs::write(out.join("report.json"), report.as_bytes())?;
    let value: serde_json::Value = serde_json::from_str(&report).context("the report")?;
    let ms = |key: &str| value[key].as_f64().unwrap_or(f64::NAN);
    println!(
        "\nLearned suggester on {} history lines (release, medians):",
        value["history_lines"]
    );
    println!(
        "  full training (read workspace + train + write snapshot): {:>9.1} ms  ({} runs)",
        ms("full_training_ms_median"),
        value["full_training_runs"]
    );
    println!(
        "  model snapshot loaded instead (new process): {:>6.1} ms  (file {:.1} MB: read {:.1} ms, check + decode {:.1} ms)",
        ms("snapshot_load_ms_median"),
        value["snapshot_bytes"].as_f64().unwrap_or(f64::NAN) / 1e6,
        ms("snapshot_read_file_ms_median"),
        ms("snapshot_check_and_decode_ms_median")
    );
    println!(
        "  model snapshot written:                   {:>9.1} ms  (encode {:.1} ms + write, fsync, rename {:.1} ms)",
        ms("snapshot_encode_ms_median") + ms("snapshot_write_file_ms_median"),
        ms("snapshot_encode_ms_median"),
        ms("snapshot_write_file_ms_median")
    );
    println!(
        "  one approved journal learned (update):    {:>9.1} ms  ({} journals, median {} lines)",
        ms("update_ms_median"),
        value["update_runs"],
        value["lines_per_update_median"]
    );
    println!(
        "  model found current (nothing changed):    {:>9.2} ms",
        ms("current_check_ms_median")
    );
    println!("Report: {}", out.join("report.json").display());
    // The workspace is scratch: remove it (the report stays).
    let _ = std::fs::remove_dir_all(out.join("ws"));
    Ok(())
}
