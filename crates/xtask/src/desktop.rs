//! Desktop tasks: the system packages a webview build needs, the UI's npm checks, the debug
//! desktop binary, and the real-window end-to-end test.
//!
//! They live in xtask rather than in shell scripts so that a developer and CI run the very same
//! steps (`cargo xtask …`), on a fresh Debian machine as well as on one that already has
//! everything: every step first checks whether it is needed (missing packages, a stale
//! `node_modules`, a UI bundle older than its sources) and is a no-op otherwise.
//!
//! Only std::process::Command is used; the tools are Debian's (`dpkg`, `apt-get`, `xvfb-run`,
//! `dbus-run-session`, `WebKitWebDriver`), Node's `npm`, and cargo.

use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// Debian packages needed to build the Tauri crate and to run its window headless under test.
const SYSTEM_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libsoup-3.0-dev",
    "librsvg2-dev",
    // WebKitWebDriver, which tauri-driver drives.
    "webkit2gtk-driver",
    // A headless X server, and the session bus WebKitGTK wants (`dbus-run-session`).
    "xvfb",
    "xauth",
    "dbus-daemon",
    // Software GL and a font, so that the headless window renders the same everywhere.
    "libgl1-mesa-dri",
    "fonts-dejavu-core",
    // `hledger check`, which the journal-export tests run on what `folio export` writes.
    "hledger",
    // The GL tests: a Secret Service for the keychain test, and venvs for beancount and Fava.
    "gnome-keyring",
    "python3-venv",
    // The hledger-web connector's tests and benchmark: Debian's hledger-web (1.25 on bookworm)
    // and hledger, which checks and reads back the journal it serves.
    "hledger-web",
    "hledger",
    // The Tryton connector's tests: PostgreSQL (initdb, postgres, psql) under trytond.
    "postgresql",
];

/// The size of the virtual screen the e2e window runs on (the window is 1440×900).
const XVFB_SCREEN: &str = "-screen 0 1600x1000x24";

/// The longest the whole e2e run may take before it is killed (a hung webview must not eat CI).
const E2E_TIMEOUT_SECONDS: &str = "600";

/// The repository root (xtask lives in `<root>/crates/xtask`).
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// `$CARGO_TARGET_DIR` if set (relative to the repo root), else `<root>/target`.
fn target_dir() -> PathBuf {
    let root = repo_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Which build of the desktop binary to make and run: the e2e test uses the debug build; the
/// benchmark can measure the release build (what users run) with `--release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Debug,
    Release,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// The desktop binary that `build_desktop_as(profile)` produces.
fn desktop_binary(profile: Profile) -> PathBuf {
    target_dir().join(profile.name()).join("folio-desktop")
}

/// Checks with `dpkg -s` which of the needed Debian packages are missing and installs them with
/// apt-get when running as root; otherwise fails with the exact command to run.
pub fn ensure_system_packages() -> Result<()> {
    let missing: Vec<&str> = SYSTEM_PACKAGES
        .iter()
        .copied()
        .filter(|package| !dpkg_installed(package))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root()? {
        bail!(
            "missing Debian packages: {list}\ninstall them with:\n  \
             sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y \
             --no-install-recommends {list}"
        );
    }
    eprintln!("xtask: installing missing Debian packages: {list}");
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    Ok(())
}

fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains("install ok installed")
        })
        .unwrap_or(false)
}

fn is_root() -> Result<bool> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .context("running `id -u`")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `npm install --no-audit --no-fund` in `dir` against its committed package-lock.json, skipped
/// when `node_modules` is newer than both package.json and the lock. (`npm ci` is not used: it
/// refuses a lock that lacks other platforms' optional packages.)
pub fn npm_install(dir: &Path) -> Result<()> {
    let installed = dir.join("node_modules").join(".package-lock.json");
    let sources = [dir.join("package.json"), dir.join("package-lock.json")];
    if let Some(installed_at) = modified(&installed)
        && sources
            .iter()
            .all(|s| modified(s).is_some_and(|t| t <= installed_at))
    {
        return Ok(());
    }
    eprintln!("xtask: npm install in {}", dir.display());
    run(npm()
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(dir))
}

/// In `ui/`: type-check (svelte-check), unit tests (Vitest) and the production bundle (Vite).
pub fn ui_checks() -> Result<()> {
    let ui = repo_root().join("ui");
    npm_install(&ui)?;
    run(npm().args(["run", "check"]).current_dir(&ui))?;
    run(npm().args(["run", "test"]).current_dir(&ui))?;
    run(npm().args(["run", "build"]).current_dir(&ui))
}

/// Builds `ui/dist` unless it is newer than every UI source, so that an unchanged UI does not
/// make cargo re-embed the assets and relink the desktop binary.
fn ui_build() -> Result<()> {
    let ui = repo_root().join("ui");
    npm_install(&ui)?;
    let built = modified(&ui.join("dist").join("index.html"));
    let newest_source = [
        ui.join("src"),
        ui.join("index.html"),
        ui.join("package.json"),
        ui.join("package-lock.json"),
        ui.join("vite.config.ts"),
        ui.join("svelte.config.js"),
        ui.join("tsconfig.json"),
    ]
    .iter()
    .filter_map(|p| newest_modified(p))
    .max();
    if let (Some(built), Some(source)) = (built, newest_source)
        && built >= source
    {
        return Ok(());
    }
    run(npm().args(["run", "build"]).current_dir(&ui))
}

/// Builds the UI, then the debug desktop binary with `custom-protocol`, so that it serves the
/// built UI from the binary instead of expecting a Vite dev server.
pub fn build_desktop() -> Result<()> {
    build_desktop_as(Profile::Debug)
}

/// [`build_desktop`] in the given profile.
pub fn build_desktop_as(profile: Profile) -> Result<()> {
    ensure_system_packages()?;
    ui_build()?;
    let started = Instant::now();
    let mut command = cargo();
    command.args([
        "build",
        "-p",
        "folio-desktop",
        "--features",
        "custom-protocol",
    ]);
    if profile == Profile::Release {
        command.arg("--release");
    }
    run(command.current_dir(repo_root()))?;
    eprintln!(
        "xtask: {} built in {:.1}s",
        desktop_binary(profile).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the real-window test (tests/e2e: WebdriverIO → tauri-driver → WebKitWebDriver → the
/// desktop binary) on `workspace_dir`, headless under `dbus-run-session -- xvfb-run -a`.
/// Screenshots go to `<target>/e2e-screenshots/`. Fails when a test fails.
pub fn e2e(workspace_dir: &Path) -> Result<()> {
    e2e_spec(workspace_dir, "", &[], Profile::Debug)
}

/// [`e2e`] with one spec file (relative to tests/e2e; empty: the specs of wdio.conf.ts) and
/// extra environment for it, on the binary of `profile` (the desktop benchmark).
pub fn e2e_spec(
    workspace_dir: &Path,
    spec: &str,
    env: &[(&str, &Path)],
    profile: Profile,
) -> Result<()> {
    let workspace = std::path::absolute(workspace_dir)
        .with_context(|| format!("resolving {}", workspace_dir.display()))?;
    if !workspace.is_dir() {
        bail!("the e2e workspace {} does not exist", workspace.display());
    }
    build_desktop_as(profile)?;
    let e2e_dir = repo_root().join("tests").join("e2e");
    npm_install(&e2e_dir)?;
    let screenshots = target_dir().join("e2e-screenshots");
    fs::create_dir_all(&screenshots)
        .with_context(|| format!("creating {}", screenshots.display()))?;

    let started = Instant::now();
    let wdio = e2e_dir.join("node_modules").join(".bin").join("wdio");
    let mut command = Command::new("timeout");
    command
        .args(["--kill-after=15", E2E_TIMEOUT_SECONDS])
        .args([
            "dbus-run-session",
            "--",
            "xvfb-run",
            "-a",
            "-s",
            XVFB_SCREEN,
        ])
        .arg(&wdio)
        .args(["run", "wdio.conf.ts"]);
    if !spec.is_empty() {
        command.args(["--spec", spec]);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let status = command
        .current_dir(&e2e_dir)
        .env("FOLIO_WORKSPACE", &workspace)
        .env("FOLIO_DESKTOP_BIN", desktop_binary(profile))
        .env("FOLIO_DESKTOP_PROFILE", profile.name())
        .env("FOLIO_SCREENSHOT_DIR", &screenshots)
        // Software GL only: WEBKIT_DISABLE_COMPOSITING_MODE / WEBKIT_DISABLE_DMABUF_RENDERER
        // make WebKitWebDriver's screenshots hang with WebKitGTK 2.50 (see wdio.conf.ts).
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("NO_AT_BRIDGE", "1")
        .status()
        .context("starting the e2e test (timeout, dbus-run-session, xvfb-run)")?;
    eprintln!(
        "xtask: e2e finished in {:.1}s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
    match status.code() {
        Some(0) => Ok(()),
        Some(124) | Some(137) => bail!("the e2e test timed out after {E2E_TIMEOUT_SECONDS}s"),
        _ => bail!("the e2e test failed ({status})"),
    }
}

/// Opens the desktop window on `workspace_dir` and waits until it is closed.
pub fn run_desktop(workspace_dir: &Path) -> Result<()> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
    if !has_display {
        bail!(
            "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run this on a desktop, or \
             use `cargo xtask e2e` for the headless window test"
        );
    }
    build_desktop()?;
    run(Command::new(desktop_binary(Profile::Debug))
        .arg("--workspace")
        .arg(workspace_dir)
        .current_dir(repo_root()))
}

fn npm() -> Command {
    Command::new("npm")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs a command with inherited output and fails with its command line when it fails.
fn run(command: &mut Command) -> Result<()> {
    let line = describe(command);
    let status = command
        .status()
        .with_context(|| format!("starting `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of any file below a folder.
fn newest_modified(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| newest_modified(&entry.path()))
        .max()
}
