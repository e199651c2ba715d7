//! The GL tools the tests and benchmarks run against: beancount (`bean-check`) and Fava, pinned,
//! in a venv under the target folder (`target/gl-venv`), and Tryton 8.2 (trytond with the
//! `account` and `analytic_account` modules, proteus, psycopg) in its own venv
//! (`target/tryton-venv`, so that neither set of pins constrains the other), each made only when
//! it is missing. The Debian
//! packages the keychain test needs (gnome-keyring, python3-venv) are in the system package list
//! of [`crate::desktop`].

use crate::{run_cmd, target_dir};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `pip install` gets (the same pins as `tests/gl_support.rs`).
const PYTHON_PACKAGES: &[&str] = &["beancount==3.2.*", "fava==1.30.*"];

/// What `pip install` gets for Tryton (the same pins as `tests/tryton_support.rs`).
const TRYTON_PACKAGES: &[&str] = &[
    "trytond==8.2.*",
    "trytond_account==8.2.*",
    "trytond_analytic_account==8.2.*",
    "proteus==8.2.*",
    "psycopg[binary]==3.*",
    "psycopg-pool==3.*",
];

/// The venv's `bin` folder.
pub fn venv_bin() -> PathBuf {
    target_dir().join("gl-venv").join("bin")
}

/// Makes the venvs with beancount and Fava, and with Tryton, unless they are there already.
pub fn ensure() -> Result<()> {
    ensure_beancount()?;
    ensure_tryton()
}

fn ensure_tryton() -> Result<()> {
    let venv = target_dir().join("tryton-venv");
    let bin = venv.join("bin");
    if bin.join("trytond").is_file() && bin.join("trytond-admin").is_file() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing {} into {}",
        TRYTON_PACKAGES.join(" "),
        venv.display()
    );
    run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run_cmd(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(TRYTON_PACKAGES),
    )
}

/// Makes the venv with beancount and Fava unless it is there already.
pub fn ensure_beancount() -> Result<()> {
    let bin = venv_bin();
    if bin.join("bean-check").is_file() && bin.join("fava").is_file() {
        return Ok(());
    }
    let venv = target_dir().join("gl-venv");
    eprintln!(
        "xtask: installing {} into {}",
        PYTHON_PACKAGES.join(" "),
        venv.display()
    );
    run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run_cmd(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PYTHON_PACKAGES),
    )
}

/// `bean-check LEDGER`, failing with its complaints.
pub fn bean_check(ledger: &Path) -> Result<()> {
    let out = Command::new(venv_bin().join("bean-check"))
        .arg(ledger)
        .output()
        .context("could not run bean-check")?;
    if !out.status.success() {
        bail!(
            "bean-check refuses {}: {}{}",
            ledger.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The demo's acceptance: approve every journal (as the demo's controller), post them to the
/// workspace's ledger file, and have `bean-check` accept it.
pub fn post_demo(folio: &Path, workspace: &Path) -> Result<()> {
    ensure_beancount()?;
    for args in [
        &["--as", "controller", "approve", "--all"][..],
        &["sync", "--once"][..],
    ] {
        run_cmd(
            Command::new(folio)
                .arg("--workspace")
                .arg(workspace)
                .args(args),
        )?;
    }
    let ledger = workspace.join("ledger.beancount");
    bean_check(&ledger)?;
    eprintln!("bean-check accepts {}", ledger.display());
    Ok(())
}
