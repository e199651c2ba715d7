//! The `hledger-web` connector against a real hledger-web 1.25 on a temporary journal, checked
//! with hledger itself (`hledger print`, `hledger --strict check`): the connector contract;
//! amounts exact at the currency's precision; and an entry hledger-web has not loaded is found
//! in the journal file and not written again.

use crate::gl_contract::{self, Gl};
use folio_gl::{Connector, HledgerWeb};
use folio_tests::gl_support::{
    HledgerWebServer, chart, hledger_check, hledger_journal, hledger_ref_counts, hledger_tools,
    outgoing,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn connector(url: &str, journal: Option<PathBuf>) -> HledgerWeb {
    HledgerWeb::new(url, &chart(), Duration::from_secs(10), None, journal).unwrap()
}

fn new_journal(dir: &Path, comment: &str) -> PathBuf {
    let path = dir.join("main.journal");
    std::fs::write(&path, hledger_journal(comment, &chart())).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hledger_web_keeps_the_connector_contract() {
    if !hledger_tools("hledger_web_keeps_the_connector_contract") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = new_journal(dir.path(), "Folio contract");
    let server = HledgerWebServer::start(&path);
    let url = server.url();
    let refs = || hledger_ref_counts(&path);
    let check = || hledger_check(&path);
    // Without the journal path: the connector learns it from hledger-web's own answers.
    gl_contract::run(
        "HW",
        &connector(&url, None),
        || connector(&url, None),
        Gl {
            refs: &refs,
            check: &check,
        },
    )
    .await;
}

/// What hledger reads from the journal is what was sent, to the cent: no rounding to a display
/// precision, every posting explicit.
#[tokio::test]
async fn amounts_reach_the_journal_exactly() {
    if !hledger_tools("amounts_reach_the_journal_exactly") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = new_journal(dir.path(), "Folio amounts");
    let server = HledgerWebServer::start(&path);
    let hw = connector(&server.url(), Some(path.clone()));
    let sent: Vec<_> = (1..=20).map(|n| outgoing("AM", n * 7919)).collect();
    for (reference, result) in hw.post(sent.clone()).await {
        assert!(result.is_ok(), "{reference}: {result:?}");
    }
    let out = std::process::Command::new("hledger")
        .arg("-f")
        .arg(&path)
        .args(["print", "-O", "json"])
        .output()
        .unwrap();
    let printed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed.len(), sent.len());
    for o in &sent {
        // hledger prints in date order: find each by its reference.
        let t = printed
            .iter()
            .find(|t| t["ttags"][0][1] == o.reference.as_str())
            .unwrap_or_else(|| panic!("{} is not in the journal", o.reference));
        let amounts: Vec<String> = t["tpostings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let q = &p["pamount"][0]["aquantity"];
                let amount = rust_decimal::Decimal::new(
                    q["decimalMantissa"].as_i64().unwrap(),
                    u32::try_from(q["decimalPlaces"].as_u64().unwrap()).unwrap(),
                );
                amount.to_string()
            })
            .collect();
        let expected: Vec<String> = o
            .journal
            .lines
            .iter()
            .map(|l| match l.side {
                folio_domain::Side::Debit => l.amount.to_string(),
                folio_domain::Side::Credit => (-l.amount).to_string(),
            })
            .collect();
        assert_eq!(amounts, expected, "{}", o.reference);
    }
    assert_eq!(hledger_check(&path), "");
}

/// Another writer appends a transaction and leaves the file's modification time where
/// hledger-web saw it, so hledger-web keeps answering from the journal it loaded before. The
/// connector must still find the entry (in the file) and never write it a second time.
#[tokio::test]
async fn an_entry_hledger_web_has_not_loaded_yet_is_found_and_not_written_again() {
    let test = "an_entry_hledger_web_has_not_loaded_yet_is_found_and_not_written_again";
    if !hledger_tools(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = new_journal(dir.path(), "Folio stale view");
    let server = HledgerWebServer::start(&path);
    let hw = connector(&server.url(), None);
    // hledger-web has loaded the journal: a first journal goes in the usual way (and tells the
    // connector where the journal file is).
    let first = hw.post(vec![outgoing("ST", 1)]).await;
    assert!(first[0].1.is_ok(), "{:?}", first[0].1);
    let shown = || {
        http_get(server.port, "/transactions")
            .matches("folio_ref")
            .count()
    };
    let before = shown();

    // Another writer appends a journal and the mtime stays what hledger-web saw.
    let hidden = outgoing("ST", 2);
    let chart = folio_gl::chart::Chart::new(&chart());
    let text = folio_gl::ledger_text::hledger(&hidden.journal, &hidden.reference, &|code| {
        chart.name_or_code(code)
    });
    let seen = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, format!("\n{text}").as_bytes()).unwrap();
    file.set_modified(seen).unwrap();
    drop(file);
    assert_eq!(shown(), before, "hledger-web must not show it yet");

    let found = hw.lookup(vec![hidden.reference.clone()]).await.unwrap();
    assert!(
        found.contains_key(&hidden.reference),
        "the look-up must see the file, not hledger-web's stale view"
    );
    let again = hw.post(vec![hidden.clone()]).await;
    assert!(again[0].1.is_ok(), "{:?}", again[0].1);
    assert_eq!(
        hledger_ref_counts(&path).get(hidden.reference.as_str()),
        Some(&1),
        "written once, by the other writer"
    );
    assert_eq!(hledger_check(&path), "");

    // Without the journal file, a reference hledger-web does not show is not called absent.
    let remote = HledgerWeb::new(
        &server.url(),
        &folio_tests::gl_support::chart(),
        Duration::from_secs(10),
        None,
        Some(dir.path().join("not-here.journal")),
    )
    .unwrap();
    let missing = outgoing("ST", 3).reference;
    match remote.lookup(vec![missing]).await {
        Err(folio_gl::GlError::Unknown { .. }) => {}
        other => panic!("an unreadable journal leaves the look-up unknown, got {other:?}"),
    }
}

/// The body of `GET path` on 127.0.0.1:`port` (a plain HTTP/1.0 request, so the server closes).
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// Through the CLI: the demo's journals, approved and synced to hledger-web with
/// `folio gl connect hledger-web --url URL`, land once each and `hledger --strict check` accepts
/// the journal.
#[test]
fn the_demo_syncs_to_hledger_web_through_the_cli() {
    if !hledger_tools("the_demo_syncs_to_hledger_web_through_the_cli") {
        return;
    }
    use folio_tests::{folio, stdout};
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let today = chrono::Utc::now().date_naive();
    let accounts = folio_app::demo::demo_master_data(today).accounts;
    let path = dir.path().join("main.journal");
    std::fs::write(&path, hledger_journal("Folio demo", &accounts)).unwrap();
    let server = HledgerWebServer::start(&path);
    let connect = folio(
        &ws,
        &["gl", "connect", "hledger-web", "--url", &server.url()],
    );
    assert!(
        connect.status.success(),
        "{}",
        String::from_utf8_lossy(&connect.stderr)
    );
    let approved = folio(&ws, &["--as", "controller", "approve", "--all"]);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let synced = folio(&ws, &["sync", "--once", "--json"]);
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&synced)).unwrap();
    assert_eq!(
        (report["posted"].as_u64(), report["remaining"].as_u64()),
        (Some(26), Some(0)),
        "{report}"
    );
    let counts = hledger_ref_counts(&path);
    assert_eq!(counts.len(), 26);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(hledger_check(&path), "");
    // Each transaction carries the audit chain's head at sending as a tag, and it verifies.
    let text = std::fs::read_to_string(&path).unwrap();
    let heads: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(", folio_audit:").map(|(_, h)| h.trim()))
        .collect();
    assert_eq!(heads.len(), 26, "{text}");
    let verified = folio(&ws, &["audit", "verify", "--head", heads[25]]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    let log = stdout(&folio(&ws, &["gl", "log"]));
    assert!(
        log.contains("hledger-web") && log.contains("read_back"),
        "{log}"
    );
}
