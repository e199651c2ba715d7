//! What the general-ledger tests share: the Python tools (beancount's `bean-check`, Fava) in a
//! venv under the target folder, a chart of accounts, generated journals, and reading a beancount
//! ledger back to count references; hledger-web (Debian's, on the PATH) with its journal, and
//! hledger's own reading of it.
//!
//! The venv is made on first use (`cargo xtask test` makes it before the tests run, so CI pays
//! for it once): `python3 -m venv target/gl-venv` and `pip install` of pinned versions. When that
//! fails, a test fails in CI (`CI=true`) and says it was skipped elsewhere.

use chrono::NaiveDate;
use folio_domain::{Account, AccountKind, Currency, Journal, JournalLine, JournalStatus, Side};
use folio_gl::{JournalRef, Outgoing};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `pip install` gets: the versions the connectors are written against.
pub const PYTHON_PACKAGES: &[&str] = &["beancount==3.2.*", "fava==1.30.*"];

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Fails in CI, says "skipped" elsewhere.
pub fn skip(test: &str, why: &str) {
    if in_ci() {
        panic!("{test}: {why}; CI must have it, so this is a failure");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// The `bin` folder of the venv with `bean-check` and `fava`, made when missing.
pub fn python_tools(test: &str) -> Option<PathBuf> {
    let venv = target_dir().join("gl-venv");
    let bin = venv.join("bin");
    let ready = || bin.join("bean-check").is_file() && bin.join("fava").is_file();
    if ready() {
        return Some(bin);
    }
    // One installer at a time: tests run in parallel.
    let _ = std::fs::create_dir_all(target_dir());
    let lock_path = target_dir().join("gl-venv.lock");
    let lock = std::fs::File::create(&lock_path).ok();
    if let Some(lock) = &lock {
        let _ = lock.lock();
    }
    if !ready() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(bin.join("pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(PYTHON_PACKAGES)
                .status()
                .is_ok_and(|s| s.success());
        if !made || !ready() {
            skip(
                test,
                &format!(
                    "could not install {} into {}",
                    PYTHON_PACKAGES.join(" "),
                    venv.display()
                ),
            );
            return None;
        }
    }
    Some(bin)
}

/// Runs `bean-check` on `ledger` and returns its complaints (empty when it accepts the file).
pub fn bean_check(bin: &Path, ledger: &Path) -> String {
    let out = Command::new(bin.join("bean-check"))
        .arg(ledger)
        .output()
        .expect("bean-check runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        text.trim().to_owned()
    } else {
        format!("bean-check failed ({}): {text}", out.status)
    }
}

/// How often each `folio_ref` occurs in a ledger file: beancount metadata (`folio_ref: "X"`) or
/// an hledger tag (`; folio_ref:X`).
pub fn ref_counts(ledger: &Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(ledger).unwrap_or_default();
    let mut counts = HashMap::new();
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("folio_ref:") else {
            continue;
        };
        let value: String = rest
            .trim_start()
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        *counts.entry(value).or_insert(0) += 1;
    }
    counts
}

/// A free port on 127.0.0.1 (the listener is closed again, so a server can take it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A small chart: expenses, input VAT, payables; one heading and one retired account.
pub fn chart() -> Vec<Account> {
    let account = |code: &str, name: &str, kind| Account {
        code: code.into(),
        name: name.into(),
        kind,
        postable: true,
        active: true,
    };
    vec![
        account("1576", "Input VAT 19 %", AccountKind::Asset),
        account("1600", "Trade payables", AccountKind::Liability),
        account("4930", "Office supplies", AccountKind::Expense),
        account(
            "4964",
            "IT and software (subscriptions)",
            AccountKind::Expense,
        ),
        account("4990", "Rounding differences", AccountKind::Expense),
        Account {
            postable: false,
            ..account("4000", "Operating expenses", AccountKind::Expense)
        },
    ]
}

/// Journal `n`: two expense lines with decimals and cost centres, input VAT and the payable;
/// the amounts vary with `n` so every journal is different. Balanced.
pub fn journal(n: u32) -> Journal {
    let eur = Currency::parse("EUR").expect("EUR");
    let line = |account: &str, side, amount: Decimal, cc: Option<&str>| JournalLine {
        account: account.into(),
        description: format!("line of journal {n}"),
        side,
        amount,
        currency: eur,
        dimensions: cc
            .map(|cc| BTreeMap::from([("cost_centre".to_owned(), cc.to_owned())]))
            .unwrap_or_default(),
        tax_code: cc.map(|_| "V19".to_owned()),
        source: None,
    };
    let a = Decimal::new(1000 + i64::from(n) * 37 % 90_000, 2);
    let b = Decimal::new(199 + i64::from(n) % 1000, 2);
    let vat = ((a + b) * Decimal::new(19, 2)).round_dp(2);
    Journal {
        date: NaiveDate::from_ymd_opt(2026, 1 + n % 12, 1 + n % 28).expect("date"),
        memo: format!("Supplier \"{n}\" invoice {n}"),
        status: JournalStatus::Approved,
        lines: vec![
            line("4930", Side::Debit, a, Some("CC-100")),
            line("4964", Side::Debit, b, Some("CC-200")),
            line("1576", Side::Debit, vat, None),
            line("1600", Side::Credit, a + b + vat, None),
        ],
    }
}

/// Journal `n` with its reference in workspace `tag`.
pub fn outgoing(tag: &str, n: u32) -> Outgoing {
    Outgoing {
        reference: JournalRef::new(tag, i64::from(n)).expect("reference"),
        journal: journal(n),
        audit_head: None,
    }
}

/// The `open` directives of [`chart`]'s postable accounts: what a ledger has before Folio posts.
///
/// No `option "title"`: Fava 1.30 maps its URL slug from the title, and a request racing a reload
/// can leave that map keyed by the default title for good (every later request is a 404). Without
/// a title the slug is the default one either way.
pub fn ledger_preamble(comment: &str) -> String {
    let mut text = format!("; {comment}\noption \"operating_currency\" \"EUR\"\n");
    for account in chart().iter().filter(|a| a.postable) {
        text.push_str(&format!(
            "2000-01-01 open {}\n",
            folio_gl::chart::account_name(account)
        ));
    }
    text
}

/// A Fava server on 127.0.0.1 serving one ledger; stopped when dropped.
#[derive(Debug)]
pub struct FavaServer {
    pub port: u16,
    pub ledger: PathBuf,
    bin: PathBuf,
    child: Option<std::process::Child>,
}

impl FavaServer {
    /// Starts Fava on a free port and waits until it answers.
    pub fn start(bin: &Path, ledger: &Path) -> FavaServer {
        let mut server = FavaServer {
            port: free_port(),
            ledger: ledger.to_path_buf(),
            bin: bin.to_path_buf(),
            child: None,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops Fava (if running) and starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(self.bin.join("fava"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg(&self.ledger)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("fava starts");
        self.child = Some(child);
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("fava did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for FavaServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether hledger and hledger-web (Debian's 1.25, installed by `cargo xtask test` through the
/// system package list) are on the PATH; fails in CI and says "skipped" elsewhere when not.
pub fn hledger_tools(test: &str) -> bool {
    let runs = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if runs("hledger") && runs("hledger-web") {
        return true;
    }
    skip(test, "hledger and hledger-web are not installed");
    false
}

/// An hledger journal before Folio posts: the currencies' precision (`commodity` directives with
/// their minor units) and `account` directives for `accounts`' postable ones, so that
/// `hledger --strict check` holds Folio's entries to the chart.
pub fn hledger_journal(comment: &str, accounts: &[Account]) -> String {
    let mut text = format!("; {comment}\n");
    for (code, minor_units) in [
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("SEK", 2),
        ("DKK", 2),
        ("NOK", 2),
        ("PLN", 2),
        ("JPY", 0),
    ] {
        // hledger wants the decimal point even with no decimals (`1000. JPY`).
        let zeros = "0".repeat(minor_units);
        text.push_str(&format!("commodity 1000.{zeros} {code}\n"));
    }
    for account in accounts.iter().filter(|a| a.postable && a.active) {
        text.push_str(&format!(
            "account {}\n",
            folio_gl::chart::account_name(account)
        ));
    }
    text
}

/// How often each `folio_ref` tag occurs in the transactions hledger itself reads from
/// `journal` (`hledger print tag:folio_ref -O json`).
pub fn hledger_ref_counts(journal: &Path) -> HashMap<String, usize> {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["print", "tag:folio_ref", "-O", "json"])
        .output()
        .expect("hledger runs");
    assert!(
        out.status.success(),
        "hledger print: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let transactions: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("hledger's JSON");
    let mut counts = HashMap::new();
    for t in transactions {
        let tags = t["ttags"].as_array().cloned().unwrap_or_default();
        for tag in tags {
            if tag[0] == "folio_ref" {
                let value = tag[1].as_str().unwrap_or_default().to_owned();
                *counts.entry(value).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// `hledger --strict check` of `journal` (every transaction balanced, every account and commodity
/// declared): empty when hledger accepts it, else its complaints.
pub fn hledger_check(journal: &Path) -> String {
    let out = Command::new("hledger")
        .arg("-f")
        .arg(journal)
        .args(["--strict", "check"])
        .output()
        .expect("hledger runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        text.trim().to_owned()
    } else {
        format!("hledger check failed ({}): {text}", out.status)
    }
}

/// An hledger-web server (JSON API only, may add) on 127.0.0.1 serving one journal; stopped
/// when dropped.
#[derive(Debug)]
pub struct HledgerWebServer {
    pub port: u16,
    pub journal: PathBuf,
    child: Option<std::process::Child>,
}

impl HledgerWebServer {
    /// Starts hledger-web on a free port and waits until it answers.
    pub fn start(journal: &Path) -> HledgerWebServer {
        let mut server = HledgerWebServer {
            port: free_port(),
            journal: journal.to_path_buf(),
            child: None,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops hledger-web (if running) and starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("hledger-web")
            .args(["--serve-api", "--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--file")
            .arg(&self.journal)
            .arg("--capabilities=view,add")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("hledger-web starts");
        self.child = Some(child);
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(std::process::Child::try_wait) {
                panic!(
                    "hledger-web exited ({status}); try: hledger -f {} check",
                    self.journal.display()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("hledger-web did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for HledgerWebServer {
    fn drop(&mut self) {
        self.stop();
    }
}
