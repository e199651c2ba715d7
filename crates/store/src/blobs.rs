//! Original files, stored content-addressed under `blobs/`.
//!
//! A file is named by the SHA-256 of its bytes (`blobs/ab/cdef…`, the first two hex digits as a
//! folder so no folder grows huge). That makes storing idempotent — the same invoice imported
//! twice is stored once — and makes corruption detectable: [`BlobStore::get`] re-hashes what it
//! reads.
//!
//! Writes are atomic: the bytes go to a temporary file in the destination folder, are flushed to
//! disk (`sync_all`), renamed over the final name, and the folder itself is flushed so the rename
//! survives a power loss. A reader therefore sees either no file or the complete file, never a
//! torn one. A blob written but never referenced by the database (an import that failed after
//! `put`) is harmless: it is content-addressed and can be collected later.
//!
//! Every SHA-256 given from outside is validated (64 lowercase hex digits) before it becomes part
//! of a path, so a hostile id such as `../../etc/passwd` cannot leave the folder.

use crate::StoreError;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a stored blob is and how big it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct BlobRef {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub size: u64,
}

/// The content-addressed file store of one workspace.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// Distinguishes temporary files of concurrent `put`s within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True when `s` is 64 lowercase hex digits.
pub fn is_valid_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn check_sha256(s: &str) -> Result<(), StoreError> {
    if is_valid_sha256(s) {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            what: format!(
                "SHA-256 '{}': expected 64 lowercase hex digits",
                s.escape_debug()
            ),
        })
    }
}

impl BlobStore {
    /// A blob store over `dir` (normally `<workspace>/blobs`). Creates nothing.
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    /// The folder the blobs live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob `sha256` is (or would be) stored. Refuses anything that is not a SHA-256.
    pub fn path(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        check_sha256(sha256)?;
        Ok(self.dir.join(&sha256[..2]).join(&sha256[2..]))
    }

    /// True when the blob is stored.
    pub fn contains(&self, sha256: &str) -> Result<bool, StoreError> {
        let path = self.path(sha256)?;
        match fs::metadata(&path) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// The size of the stored blob, or `None` when it is not stored.
    pub fn size(&self, sha256: &str) -> Result<Option<u64>, StoreError> {
        let path = self.path(sha256)?;
        match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Err(StoreError::corrupt(format!(
                "{} is not a regular file",
                path.display()
            ))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Stores `bytes` and returns their address. Idempotent: when the blob is already there with
    /// the right size nothing is written; a stored file of the wrong size (damaged outside Folio)
    /// is replaced atomically.
    pub fn put(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        let sha256 = sha256_hex(bytes);
        let size = bytes.len() as u64;
        let path = self.path(&sha256)?;
        if self.size(&sha256)? == Some(size) {
            return Ok(BlobRef { sha256, size });
        }
        let folder = self.dir.join(&sha256[..2]);
        self.ensure_folder(&folder)?;
        let temp = folder.join(format!(
            ".tmp-{}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
            &sha256[2..10]
        ));
        let result = write_synced(&temp, bytes)
            .and_then(|()| fs::rename(&temp, &path).map_err(|e| StoreError::io(&path, e)))
            .and_then(|()| sync_dir(&folder));
        if result.is_err() {
            // Best effort: the temporary file is garbage either way.
            let _ = fs::remove_file(&temp);
        }
        result.map(|()| BlobRef { sha256, size })
    }

    /// The bytes of blob `sha256`, checked against their hash.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(sha256)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    what: format!("original file {sha256} ({})", path.display()),
                });
            }
            Err(e) => return Err(StoreError::io(path, e)),
        };
        let actual = sha256_hex(&bytes);
        if actual != sha256 {
            return Err(StoreError::corrupt(format!(
                "{} has SHA-256 {actual}, not {sha256}: the file was changed outside Folio",
                path.display()
            )));
        }
        Ok(bytes)
    }

    /// Creates `blobs/` and `blobs/ab/` as needed, flushing each parent so the new folder
    /// survives a crash.
    fn ensure_folder(&self, folder: &Path) -> Result<(), StoreError> {
        for dir in [&self.dir, folder] {
            match fs::create_dir(dir) {
                Ok(()) => {
                    if let Some(parent) = dir.parent() {
                        sync_dir(parent)?;
                    }
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(e) => return Err(StoreError::io(dir, e)),
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to a new file at `path` and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |e| StoreError::io(path, e);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Flushes a folder's entries (a rename or a new file in it) to disk. Windows cannot open a
/// folder as a file and makes renames durable on its own, so this is a no-op there.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        let _ = File::open;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_sha256_strings() {
        let good = "a".repeat(64);
        assert!(is_valid_sha256(&good));
        for bad in [
            String::new(),
            "A".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            format!("../{}", "a".repeat(61)),
            format!("{}/", "a".repeat(63)),
            "g".repeat(64),
        ] {
            assert!(!is_valid_sha256(&bad), "{bad}");
        }
    }

    #[test]
    fn paths_are_sharded_by_the_first_two_hex_digits() {
        let store = BlobStore::new("/ws/blobs");
        let sha = format!("ab{}", "0".repeat(62));
        assert_eq!(
            store.path(&sha).unwrap(),
            Path::new("/ws/blobs/ab").join("0".repeat(62))
        );
    }
}
