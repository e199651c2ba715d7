//! Shared helpers for Folio's cross-crate integration tests: where the shared corpus is, where the
//! `folio` binary is, and scratch workspaces.

pub mod gl_support;
pub mod keyring_support;
pub mod openapi;
#[path = "sim/business_central.rs"]
pub mod sim_business_central;
#[path = "sim/quickbooks.rs"]
pub mod sim_quickbooks;
pub mod tryton_support;
pub mod xero_sim;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The shared data folder (`../shared` beside the repository, or `FOLIO_SHARED_DIR`).
///
/// When it is missing: in CI (`CI=true`) the calling test fails, because CI always has it;
/// elsewhere it returns `None` after saying that the test was skipped and why.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("FOLIO_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    if dir.join("corpus/invoices/catalogue.csv").is_file() {
        return Some(dir);
    }
    let message = format!(
        "{test}: the shared corpus is not at {} (set FOLIO_SHARED_DIR to its folder)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI always has it, so this is a failure");
    }
    eprintln!("SKIPPED {message}");
    None
}

/// The `folio` binary, built if it is not there yet.
pub fn folio_bin() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let bin = target.join("debug").join("folio");
    if !bin.is_file() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-q", "-p", "folio-cli"])
            .current_dir(repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building folio failed");
    }
    bin
}

/// Runs `folio --workspace WS ARGS...` and returns its output.
pub fn folio(workspace: &Path, args: &[&str]) -> Output {
    Command::new(folio_bin())
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .env_remove("FOLIO_WORKSPACE")
        .output()
        .expect("folio runs")
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Parses `import --json` output: one JSON object per line.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
