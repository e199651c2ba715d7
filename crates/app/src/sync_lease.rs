//! The workspace's **sync lease**: one process at a time sends journals to the GL or concludes
//! from a look-up that a journal is absent from it.
//!
//! Why: a worker marks a batch `sending` before the first byte leaves and then sends it, which can
//! take longer than the settle time (hledger-web takes one journal per request). Without the
//! lease, a look-up elsewhere (a second `folio sync`, the desktop's Sync now, a person's
//! `folio gl resolve --lookup`) sees the journals not sent yet as settled and missing and queues
//! them again, and both would post them. With it, absence only counts while no other process can
//! have a request about the journal in flight, except one that has been cut off (a killed
//! process), which the settle time covers as before.
//!
//! The lease is an exclusive advisory lock (`flock`, through std's `File::try_lock`) on
//! `sync.lock` in the workspace folder. The OS drops it when the process ends, however it ends:
//! `kill -9` never leaves the workspace locked. The holder writes its process id into the file so
//! that the one waiting can say who holds it. Locks on two opens of the file exclude each other
//! within one process too, so two workspaces opened by the desktop and a test agree as well.

use crate::error::{AppError, ErrorCode};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lease file in the workspace folder.
pub const LEASE_FILE: &str = "sync.lock";

/// How often a waiting process tries the lease again.
const POLL: Duration = Duration::from_millis(100);

/// A held lease; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct SyncLease {
    file: File,
}

impl Drop for SyncLease {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Who holds the lease, as far as its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
}

impl Holder {
    /// "a sync is already running (pid N)".
    pub fn describe(&self) -> String {
        match self.pid {
            Some(pid) => format!("a sync is already running (pid {pid})"),
            None => "a sync is already running in another process".to_owned(),
        }
    }
}

fn lease_path(workspace: &Path) -> PathBuf {
    workspace.join(LEASE_FILE)
}

fn io_error(path: &Path, e: &std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::Io,
        format!("cannot use the sync lease {}: {e}", path.display()),
    )
}

impl SyncLease {
    /// Takes the lease if no other holder has it.
    pub fn try_acquire(workspace: &Path) -> Result<Result<SyncLease, Holder>, AppError> {
        let path = lease_path(workspace);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(&path, &e))?;
        match file.try_lock() {
            Ok(()) => {
                let pid = format!("{}\n", std::process::id());
                file.set_len(0)
                    .and_then(|()| file.seek(SeekFrom::Start(0)))
                    .and_then(|_| file.write_all(pid.as_bytes()))
                    .map_err(|e| io_error(&path, &e))?;
                Ok(Ok(SyncLease { file }))
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                Ok(Err(Holder { pid }))
            }
            Err(TryLockError::Error(e)) => Err(io_error(&path, &e)),
        }
    }

    /// Takes the lease, waiting up to `wait` for the holder to release it; after that
    /// [`ErrorCode::SyncBusy`] with who holds it and `what_then`.
    pub fn acquire(
        workspace: &Path,
        wait: Duration,
        what_then: &str,
    ) -> Result<SyncLease, AppError> {
        let started = Instant::now();
        loop {
            match SyncLease::try_acquire(workspace)? {
                Ok(lease) => return Ok(lease),
                Err(holder) if started.elapsed() >= wait => {
                    return Err(busy(&holder, wait, what_then));
                }
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }
}

/// The error of a lease not had within `waited`.
pub fn busy(holder: &Holder, waited: Duration, what_then: &str) -> AppError {
    let waited = if waited.is_zero() {
        String::new()
    } else {
        format!(" (waited {} s)", waited.as_secs())
    };
    AppError::new(
        ErrorCode::SyncBusy,
        format!(
            "{} on this workspace and holds its sync lease{waited}; {what_then}",
            holder.describe()
        ),
    )
}

/// How often a waiting async worker tries again.
pub(crate) fn poll() -> Duration {
    POLL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = SyncLease::try_acquire(dir.path()).unwrap().unwrap();
        let holder = SyncLease::try_acquire(dir.path()).unwrap().unwrap_err();
        assert_eq!(holder.pid, Some(std::process::id()));
        let e =
            SyncLease::acquire(dir.path(), Duration::from_millis(150), "try later").unwrap_err();
        assert_eq!(e.code, ErrorCode::SyncBusy);
        assert!(
            e.message.contains(&format!(
                "a sync is already running (pid {})",
                std::process::id()
            )),
            "{e}"
        );
        drop(first);
        let again = SyncLease::acquire(dir.path(), Duration::ZERO, "try later");
        assert!(again.is_ok(), "{again:?}");
    }
}
