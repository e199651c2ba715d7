//! GL credentials live in the OS keychain only: a real gnome-keyring (Secret Service) in a
//! private D-Bus session with its XDG folders in a scratch directory. The secret goes in through
//! `--secret-stdin`, the sync uses it, and it appears nowhere else: not in the workspace's files
//! (SQLite, WAL, ledger), not in the API log, not in any command's output. Without a keychain
//! the user gets a clear error and nothing is saved.

use folio_tests::gl_support::{FavaServer, python_tools, skip};
use folio_tests::{folio, folio_bin};
use std::path::Path;
use std::process::Command;

const SECRET: &str = "Kx7-unique-GL-secret-9Qz";

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every file under `dir`, as bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn the_secret_lives_in_the_keychain_and_nowhere_else() {
    let test = "the_secret_lives_in_the_keychain_and_nowhere_else";
    if !has("dbus-run-session") || !has("gnome-keyring-daemon") {
        skip(
            test,
            "dbus-run-session and gnome-keyring-daemon are not installed",
        );
        return;
    }
    let Some(bin) = python_tools(test) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ws = scratch.path().join("ws");
    assert!(folio(&ws, &["init", "--demo"]).status.success());
    let ledger = scratch.path().join("main.beancount");
    let mut text = String::from("option \"operating_currency\" \"EUR\"\n");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    for a in folio_app::demo::demo_master_data(today).accounts {
        if a.postable && a.active {
            let name = folio_gl::chart::account_name(&a);
            text.push_str(&format!("2000-01-01 open {name}\n"));
        }
    }
    std::fs::write(&ledger, text).unwrap();
    let server = FavaServer::start(&bin, &ledger);

    let folio = folio_bin().display().to_string();
    let ws_arg = ws.display().to_string();
    let script = format!(
        "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf %s \"$GL_SECRET\" | '{folio}' --workspace '{ws_arg}' gl connect fava --url {url} \
--user alice --secret-stdin
'{folio}' --workspace '{ws_arg}' --as controller approve --all
'{folio}' --workspace '{ws_arg}' sync --once
'{folio}' --workspace '{ws_arg}' gl log
'{folio}' --workspace '{ws_arg}' gl log --json
",
        url = server.url()
    );
    let home = scratch.path().join("home");
    let mut cmd = folio_tests::keyring_support::session_script(scratch.path(), &script);
    let out = cmd
        .env("GL_SECRET", SECRET)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("with its secret in the OS keychain"),
        "{stdout}"
    );
    assert!(stdout.contains("fava: 26 posted"), "{stdout}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    for (path, bytes) in files(&ws) {
        assert!(!contains(&bytes, SECRET), "the secret is in {path}");
    }
    assert!(!contains(&std::fs::read(&ledger).unwrap(), SECRET));
    // The keyring's own files hold it (encrypted): that is where it belongs.
    let keyrings = scratch.path().join("data").join("keyrings");
    assert!(keyrings.is_dir(), "gnome-keyring kept no keyring");

    // Without a keychain (no D-Bus session): a clear error, and the connection is not changed.
    let before = folio_tests::stdout(&folio_tests::folio(&ws, &["gl", "log", "--json"]));
    let mut no_keychain = Command::new(folio_bin());
    no_keychain
        .arg("--workspace")
        .arg(&ws)
        .args([
            "gl",
            "connect",
            "fava",
            "--url",
            "http://127.0.0.1:9",
            "--user",
            "bob",
        ])
        .arg("--secret-stdin")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", scratch.path().join("nowhere"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = no_keychain.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(SECRET.as_bytes()).unwrap();
    }
    let refused = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("OS keychain is not available"), "{err}");
    assert!(!err.contains(SECRET));
    let db = rusqlite::Connection::open(ws.join("folio.sqlite")).unwrap();
    let connection: String = db
        .query_row(
            "SELECT value FROM settings WHERE key = 'gl.connection'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        connection.contains("alice") && !connection.contains("bob"),
        "{connection}"
    );
    assert_eq!(
        before,
        folio_tests::stdout(&folio_tests::folio(&ws, &["gl", "log", "--json"]))
    );
}
