//! A real Secret Service for tests: gnome-keyring in a private D-Bus session, with its XDG
//! folders in a scratch directory, kept running for as long as the test holds it, so that
//! several `folio` processes (a sign-in, syncs killed and restarted) share one keychain.
//!
//! The session is `dbus-run-session` running a shell that unlocks gnome-keyring, prints the bus
//! address and then waits on its standard input: dropping the [`KeyringSession`] closes that
//! input, the shell ends, and `dbus-run-session` takes the bus (and with it the keyring) down.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running keychain and the environment a process needs to use it.
#[derive(Debug)]
pub struct KeyringSession {
    child: Child,
    pub env: Vec<(String, String)>,
}

fn has(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `PATH`, and `HOME` and the XDG folders as folders of `scratch` (made, the runtime folder
/// private to the user as the Secret Service wants): all a test's keychain process sees.
fn scratch_env(scratch: &Path) -> Vec<(String, String)> {
    let mut env = vec![("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())];
    for (var, sub) in [
        ("HOME", "home"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ] {
        let dir = scratch.join(sub);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        env.push((var.to_owned(), dir.display().to_string()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            scratch.join("runtime"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("runtime folder");
    }
    env
}

/// `dbus-run-session` running `sh -c script` in `scratch/home`, with [`scratch_env`] and nothing
/// else of the test's environment: for a script that unlocks its own gnome-keyring and runs
/// `folio` against it (the caller adds what the script reads, such as the secret).
pub fn session_script(scratch: &Path, script: &str) -> Command {
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c", script])
        .env_clear()
        .envs(scratch_env(scratch))
        .current_dir(scratch.join("home"));
    command
}

impl KeyringSession {
    /// Starts the session with its folders under `scratch`; `None` (after [`crate::gl_support::skip`])
    /// when dbus-run-session or gnome-keyring-daemon is missing.
    pub fn start(test: &str, scratch: &Path) -> Option<KeyringSession> {
        if !has("dbus-run-session") || !has("gnome-keyring-daemon") {
            crate::gl_support::skip(
                test,
                "dbus-run-session and gnome-keyring-daemon are not installed",
            );
            return None;
        }
        let mut env = scratch_env(scratch);
        let script = "set -e
echo -n scratch-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
echo \"$DBUS_SESSION_BUS_ADDRESS\"
exec cat >/dev/null";
        let mut child = Command::new("dbus-run-session")
            .args(["--", "sh", "-c", script])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session starts");
        let mut address = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("the bus address");
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-run-session gave no bus address");
        env.push(("DBUS_SESSION_BUS_ADDRESS".to_owned(), address));
        Some(KeyringSession { child, env })
    }

    /// A command with this session's environment (and nothing else of the test's).
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
