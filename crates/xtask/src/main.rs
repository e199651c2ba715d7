//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask test` — everything CI checks: system packages, fmt, clippy, all Rust tests
//!   (nextest), the TypeScript bindings drift check, the UI's checks and tests, and the real-window
//!   end-to-end test under Xvfb. `.ci/run` calls exactly this.
//! - `cargo xtask run` — installs what is missing, builds, creates a demo workspace and opens the
//!   desktop app on it; with no display it runs the same demo through the CLI and prints it.
//! - `cargo xtask bindings` — regenerates `ui/src/bindings` from the Rust types.
//! - `cargo xtask e2e` — only the real-window end-to-end test, on a fresh demo workspace.

mod bench_coding;
mod bench_desktop;
mod bench_export;
mod bench_gl;
mod bench_import;
mod bench_learn;
mod bench_tryton;
mod bench_xero;
mod desktop;
mod gl_tools;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("run") => run(),
        Some("bindings") => bindings(),
        Some("e2e") => {
            let workspace = step_value("demo workspace", fresh_demo_workspace)?;
            step("real-window end-to-end test", || desktop::e2e(&workspace))
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("coding") => bench_coding::run(),
        Some("bench") if args.get(1).map(String::as_str) == Some("import") => bench_import::run(),
        Some("bench") if args.get(1).map(String::as_str) == Some("gl") => {
            bench_gl::run(args.get(2).map(String::as_str))
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("export") => bench_export::run(),
        Some("bench") if args.get(1).map(String::as_str) == Some("learn") => bench_learn::run(),
        Some("bench") if args.get(1).map(String::as_str) == Some("desktop") => {
            bench_desktop::run(&args[2..])
        }
        _ => {
            eprintln!(
                "usage: cargo xtask test | run | bindings | e2e | bench coding | import | learn | gl [tryton|xero|hledger-web|fava|fava-rate] | export | desktop [--release]"
            );
            std::process::exit(2);
        }
    }
}

/// The repository root (xtask lives in crates/xtask).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Runs a command in the repo root and fails with the command line if it fails.
pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .current_dir_if_unset()
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

trait CurrentDir {
    fn current_dir_if_unset(&mut self) -> &mut Self;
}

impl CurrentDir for Command {
    fn current_dir_if_unset(&mut self) -> &mut Self {
        if self.get_current_dir().is_none() {
            self.current_dir(repo_root());
        }
        self
    }
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Runs one named step and prints how long it took.
fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("==> {name}");
    let started = Instant::now();
    let result = f();
    let secs = started.elapsed().as_secs_f64();
    match &result {
        Ok(()) => eprintln!("<== {name}: ok in {secs:.1} s"),
        Err(e) => eprintln!("<== {name}: FAILED in {secs:.1} s: {e:#}"),
    }
    result
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The number of steps `test` runs; each fails the run on its own.
const TEST_STEPS: u32 = 11;

fn test() -> Result<()> {
    let started = Instant::now();
    step("system packages", desktop::ensure_system_packages)?;
    step("rustfmt", || {
        run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy (whole workspace, desktop included)", || {
        run_cmd(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("no webview in the core", check_core_has_no_webview)?;
    step(
        "GL tools (beancount, Fava, Tryton) for the tests",
        gl_tools::ensure,
    )?;
    step("Rust tests", || {
        if has_nextest() {
            run_cmd(cargo().args(["nextest", "run", "--locked", "--no-fail-fast"]))
        } else {
            run_cmd(cargo().args(["test", "--locked", "--no-fail-fast"]))
        }
    })?;
    // Also part of the Rust tests; run by name so a drift is reported as its own failed step.
    // Built over the whole workspace like the tests above, so nothing is compiled again.
    step("TypeScript bindings drift", || {
        if has_nextest() {
            run_cmd(cargo().args(["nextest", "run", "--locked", "-E", "binary(bindings)"]))
        } else {
            run_cmd(cargo().args(["test", "--locked", "--test", "bindings"]))
        }
    })?;
    step("UI checks and tests", desktop::ui_checks)?;
    step("desktop build", desktop::build_desktop)?;
    let workspace = step_value("demo workspace", fresh_demo_workspace)?;
    step("real-window end-to-end test", || desktop::e2e(&workspace))?;
    eprintln!(
        "All checks passed in {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    // A closing line that CI's log reader understands, counting the checks above.
    println!("checks: {TEST_STEPS} passed, 0 failed");
    Ok(())
}

fn step_value<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let mut value = None;
    step(name, || {
        value = Some(f()?);
        Ok(())
    })?;
    value.context("step produced no value")
}

/// `cargo tree` of every crate but the desktop one must not contain a webview.
fn check_core_has_no_webview() -> Result<()> {
    let output = cargo()
        .args([
            "tree",
            "--workspace",
            "--exclude",
            "folio-desktop",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(repo_root())
        .output()
        .context("could not run cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    let offending: Vec<&str> = tree
        .lines()
        .filter(|l| ["tauri", "wry", "webkit"].iter().any(|w| l.starts_with(w)))
        .collect();
    if !offending.is_empty() {
        bail!("the core depends on a webview: {}", offending.join(", "));
    }
    Ok(())
}

/// Builds the CLI and returns its path.
pub(crate) fn build_cli() -> Result<PathBuf> {
    run_cmd(cargo().args(["build", "--locked", "-p", "folio-cli"]))?;
    Ok(target_dir().join("debug").join("folio"))
}

/// A new demo workspace under target/, made with the real CLI.
fn fresh_demo_workspace() -> Result<PathBuf> {
    let folio = build_cli()?;
    let dir = target_dir().join("demo-workspace");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("could not remove {}", dir.display()))?;
    }
    run_cmd(
        Command::new(&folio)
            .arg("--workspace")
            .arg(&dir)
            .args(["init", "--demo"]),
    )?;
    Ok(dir)
}

fn run() -> Result<()> {
    step("system packages", desktop::ensure_system_packages)?;
    let workspace = step_value("demo workspace", fresh_demo_workspace)?;
    let folio = target_dir().join("debug").join("folio");
    step("demo journals posted to its ledger", || {
        gl_tools::post_demo(&folio, &workspace)
    })?;
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        step("desktop build", desktop::build_desktop)?;
        return desktop::run_desktop(&workspace);
    }
    eprintln!("No display: running the demo through the CLI instead of the desktop window.");
    let cli = |args: &[&str]| {
        run_cmd(
            Command::new(&folio)
                .arg("--workspace")
                .arg(&workspace)
                .args(args),
        )
    };
    cli(&["documents"])?;
    cli(&["show", "DOC-1"])?;
    cli(&["journal", "DOC-1"])?;
    println!();
    println!("The demo workspace is at {}.", workspace.display());
    println!(
        "Try: {} --workspace {} journal DOC-2",
        folio.display(),
        workspace.display()
    );
    Ok(())
}

fn bindings() -> Result<()> {
    run_cmd(
        cargo()
            .args(["test", "-p", "folio-app", "--test", "bindings"])
            .env("FOLIO_UPDATE_BINDINGS", "1"),
    )
}
