//! A real Tryton 8.2 (`account` and `analytic_account` modules) on PostgreSQL for the tests,
//! started on 127.0.0.1 on random ports.
//!
//! Activating Tryton's modules takes about a minute, so it is done once: a PostgreSQL cluster
//! holding the database `folio` — modules activated, then `tests/tryton_setup.py` (company,
//! 2026 fiscal year, the chart of [`crate::gl_support::chart`], cost centres, tax, supplier) — is
//! built under the target folder (`target/tryton-template`, rebuilt when the setup script
//! changes) behind a file lock. Every [`TrytonServer`] copies that stopped cluster into a scratch
//! folder and starts its own PostgreSQL and `trytond` on it (about two seconds), so tests never
//! share a database and nextest's one process per test is no obstacle.
//!
//! trytond, proteus and psycopg are pinned in a venv under the target folder (`target/tryton-venv`,
//! made on first use; `cargo xtask test` makes it before the tests). PostgreSQL is Debian's
//! (`initdb`, `postgres`, `psql` in `/usr/lib/postgresql/*/bin`). PostgreSQL refuses to run as
//! root, so as root its programs run as the `postgres` user (`runuser`). When any of this is
//! missing a test fails in CI (`CI=true`) and says it was skipped elsewhere.
//!
//! Both servers are started through a shell that holds a pipe from the test process: when the
//! test process ends in any way (even killed), the pipe closes and the shell stops the server
//! and removes the scratch folder.

use crate::gl_support::{free_port, skip};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What `pip install` gets for Tryton: the version the connector is written against.
pub const TRYTON_PACKAGES: &[&str] = &[
    "trytond==8.2.*",
    "trytond_account==8.2.*",
    "trytond_analytic_account==8.2.*",
    "proteus==8.2.*",
    "psycopg[binary]==3.*",
    "psycopg-pool==3.*",
];

/// The Tryton login the template database has.
pub const USER: &str = "admin";
pub const PASSWORD: &str = "folio-test-admin";
/// The database in the template cluster.
pub const DATABASE: &str = "folio";
/// trytond's `[request] timeout` in the tests (its default is 60 s): the longest any RPC call's
/// transaction may run, so the connector's write bound can be short in the fault run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

const SETUP: &str = include_str!("tryton_setup.py");

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL's program folder (`/usr/lib/postgresql/15/bin`), the newest installed.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file() && p.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

/// A command run as the `postgres` user when this process is root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(what: &str, command: &mut Command) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("{what}: cannot run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The venv's `bin` folder with trytond, made when missing.
fn venv(test: &str) -> Option<PathBuf> {
    let venv = target_dir().join("tryton-venv");
    let bin = venv.join("bin");
    let ready = || bin.join("trytond").is_file() && bin.join("trytond-admin").is_file();
    if ready() {
        return Some(bin);
    }
    let _ = std::fs::create_dir_all(target_dir());
    let lock = std::fs::File::create(target_dir().join("tryton-venv.lock")).ok();
    if let Some(lock) = &lock {
        let _ = lock.lock();
    }
    if !ready() {
        let made = run(
            "python3 -m venv",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )
        .and_then(|()| {
            run(
                "pip install",
                Command::new(bin.join("pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .args(TRYTON_PACKAGES),
            )
        });
        if let Err(e) = made {
            skip(
                test,
                &format!(
                    "could not install {} into {}: {e}",
                    TRYTON_PACKAGES.join(" "),
                    venv.display()
                ),
            );
            return None;
        }
    }
    Some(bin)
}

/// A scratch folder the `postgres` user owns (PostgreSQL wants its data folder private).
fn scratch(name: &str) -> Result<PathBuf, String> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("folio-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if is_root() {
        run("chown", Command::new("chown").arg("postgres:").arg(&dir))?;
    }
    Ok(dir)
}

fn trytond_conf(dir: &Path, pg_port: u16, web_port: u16) -> String {
    format!(
        "[database]\nuri = postgresql://postgres@/?host={dir}&port={pg_port}\npath = {dir}/filestore\n\
         [web]\nlisten = 127.0.0.1:{web_port}\n[session]\nauthentications = password\n\
         [request]\ntimeout = {timeout}\n",
        dir = dir.display(),
        timeout = REQUEST_TIMEOUT.as_secs()
    )
}

/// A process started through `sh -c SCRIPT` whose stdin is a pipe from this process: the script
/// waits for it to close (`read`), then stops what it started.
#[derive(Debug)]
struct Watched {
    child: Child,
}

impl Watched {
    fn start(script: &str) -> Result<Watched, String> {
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sh: {e}"))?;
        Ok(Watched { child })
    }

    /// Closes the pipe and waits for the script to stop its server.
    fn stop(&mut self) {
        drop(self.child.stdin.take());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.stop();
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// PostgreSQL on `data` (in `dir`), socket in `dir`, on `port`; the script removes `dir` after.
/// It is stopped with `pg_ctl stop` (not a signal to `runuser`, which does not pass it on).
fn start_postgres(pg: &Path, dir: &Path, port: u16, remove: bool) -> Result<Watched, String> {
    let prefix = if is_root() {
        "runuser -u postgres -- "
    } else {
        ""
    };
    let script = format!(
        "{prefix}{postgres} -D {data} -p {port} -k {dir} -c listen_addresses= -c fsync=off \
         -c full_page_writes=off >{dir}/postgres.log 2>&1 & pid=$!; read _; \
         {prefix}{pg_ctl} -D {data} -m fast -w stop >/dev/null 2>&1; wait $pid; {cleanup}",
        postgres = shell_quote(&pg.join("postgres")),
        pg_ctl = shell_quote(&pg.join("pg_ctl")),
        data = shell_quote(&dir.join("data")),
        dir = shell_quote(dir),
        cleanup = if remove {
            format!("rm -rf {}", shell_quote(dir))
        } else {
            String::new()
        },
    );
    let server = Watched::start(&script)?;
    let ready = Instant::now();
    while ready.elapsed() < Duration::from_secs(30) {
        let ok = Command::new(pg.join("pg_isready"))
            .args(["-q", "-h"])
            .arg(dir)
            .args(["-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "PostgreSQL did not start: {}",
        std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default()
    ))
}

/// The stopped template cluster's data folder, built when missing or made by another setup.
fn template(bin: &Path, pg: &Path) -> Result<PathBuf, String> {
    let root = target_dir().join("tryton-template");
    let stamp = root.join("setup.py");
    let data = root.join("data");
    let current = || std::fs::read_to_string(&stamp).is_ok_and(|s| s == SETUP) && data.is_dir();
    if current() {
        return Ok(data);
    }
    std::fs::create_dir_all(target_dir()).map_err(|e| e.to_string())?;
    let lock = std::fs::File::create(target_dir().join("tryton-template.lock"))
        .map_err(|e| e.to_string())?;
    let _ = lock.lock();
    if current() {
        return Ok(data);
    }
    eprintln!("building the Tryton template database (module activation takes about a minute)");
    let dir = scratch("tryton-template")?;
    let mut initdb = as_postgres(&pg.join("initdb"));
    initdb.arg("-D").arg(dir.join("data")).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
    ]);
    run("initdb", &mut initdb)?;
    let port = free_port();
    let mut server = start_postgres(pg, &dir, port, false)?;
    let built = (|| {
        let conf = dir.join("trytond.conf");
        std::fs::write(&conf, trytond_conf(&dir, port, free_port())).map_err(|e| e.to_string())?;
        let pass = dir.join("admin-password");
        std::fs::write(&pass, PASSWORD).map_err(|e| e.to_string())?;
        let script = dir.join("tryton_setup.py");
        std::fs::write(&script, SETUP).map_err(|e| e.to_string())?;
        run(
            "create database",
            Command::new(pg.join("psql"))
                .arg(format!(
                    "postgresql://postgres@/postgres?host={}&port={port}",
                    dir.display()
                ))
                .args(["-q", "-c", &format!("create database {DATABASE}")]),
        )?;
        run(
            "trytond-admin --all",
            Command::new(bin.join("trytond-admin"))
                .arg("-c")
                .arg(&conf)
                .args(["-d", DATABASE, "--all", "--email", "admin@example.com"])
                .env("TRYTONPASSFILE", &pass),
        )?;
        run(
            "trytond-admin -u account analytic_account",
            Command::new(bin.join("trytond-admin"))
                .arg("-c")
                .arg(&conf)
                .args([
                    "-d",
                    DATABASE,
                    "-u",
                    "account",
                    "analytic_account",
                    "--activate-dependencies",
                ]),
        )?;
        run(
            "tryton_setup.py",
            Command::new(bin.join("python"))
                .arg(&script)
                .arg(&conf)
                .arg(DATABASE),
        )
    })();
    server.stop();
    built?;
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    run(
        "copy the template",
        Command::new("cp")
            .arg("-a")
            .arg(dir.join("data"))
            .arg(&data),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::write(&stamp, SETUP).map_err(|e| e.to_string())?;
    Ok(data)
}

/// A Tryton server on its own PostgreSQL, both stopped (and their folder removed) when dropped.
#[derive(Debug)]
pub struct TrytonServer {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
    trytond: Option<Watched>,
    _postgres: Watched,
}

impl TrytonServer {
    /// Starts Tryton on a copy of the template database; `None` (after saying why, or failing in
    /// CI) when the tools are missing.
    pub fn start(test: &str) -> Option<TrytonServer> {
        let Some(pg) = pg_bin() else {
            skip(test, "PostgreSQL (initdb, postgres) is not installed");
            return None;
        };
        let bin = venv(test)?;
        let started = (|| {
            let data = template(&bin, &pg)?;
            let dir = scratch("tryton")?;
            run(
                "copy the template cluster",
                Command::new("cp")
                    .arg("-a")
                    .arg(&data)
                    .arg(dir.join("data")),
            )?;
            if is_root() {
                run(
                    "chown",
                    Command::new("chown")
                        .args(["-R", "postgres:"])
                        .arg(dir.join("data")),
                )?;
            }
            let pg_port = free_port();
            let postgres = start_postgres(&pg, &dir, pg_port, true)?;
            let mut server = TrytonServer {
                port: free_port(),
                bin: bin.clone(),
                dir: dir.clone(),
                trytond: None,
                _postgres: postgres,
            };
            std::fs::write(
                dir.join("trytond.conf"),
                trytond_conf(&dir, pg_port, server.port),
            )
            .map_err(|e| e.to_string())?;
            server.restart();
            Ok::<_, String>(server)
        })();
        match started {
            Ok(server) => Some(server),
            Err(e) => {
                skip(test, &format!("Tryton could not be started: {e}"));
                None
            }
        }
    }

    /// The server's URL (without the database).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops trytond (if running) and starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        let script = format!(
            "{trytond} -c {conf} -d {DATABASE} >>{dir}/trytond.log 2>&1 & pid=$!; read _; \
             kill $pid; wait $pid",
            trytond = shell_quote(&self.bin.join("trytond")),
            conf = shell_quote(&self.dir.join("trytond.conf")),
            dir = shell_quote(&self.dir),
        );
        self.trytond = Some(Watched::start(&script).expect("trytond starts"));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "trytond did not start on port {}: {}",
            self.port,
            std::fs::read_to_string(self.dir.join("trytond.log")).unwrap_or_default()
        );
    }

    pub fn stop(&mut self) {
        if let Some(mut t) = self.trytond.take() {
            t.stop();
        }
    }

    /// Runs SQL on the database (psql's unaligned, tuples-only output), for checks that do not
    /// go through Tryton.
    pub fn sql(&self, query: &str) -> String {
        let pg = pg_bin().expect("PostgreSQL");
        let conf = std::fs::read_to_string(self.dir.join("trytond.conf")).unwrap_or_default();
        let port = conf
            .split("port=")
            .nth(1)
            .and_then(|r| r.lines().next())
            .unwrap_or_default()
            .to_owned();
        let out = Command::new(pg.join("psql"))
            .arg(format!(
                "postgresql://postgres@/{DATABASE}?host={}&port={port}",
                self.dir.display()
            ))
            .args(["-At", "-F", "\t", "-c", query])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for TrytonServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::io::stderr().flush();
    }
}
