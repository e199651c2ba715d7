//! The learned model's snapshot file: `learned-model.snapshot` in the workspace folder, next to
//! `folio.sqlite`, so that a new process (each CLI command, the desktop after a start) loads the
//! trained suggester in a fraction of the time training it takes (see [`crate::learning`]).
//!
//! It is a cache, never a source of truth, and so not in SQLite: deleting it costs one training.
//! It holds nothing the database does not already hold (the learned lines' supplier names,
//! descriptions, amounts and codings, and numbers derived from them), is created with the
//! database file's permissions, and is never trusted blindly:
//!
//! ```text
//! magic "FOLIO-MODEL-SNAP", format (u32), header length (u64), header, body length (u64),
//! body, SHA-256 of everything before it
//! header: the model's version, the version of its last full training, that training's line
//!         count, whether it fitted weights, lines learned by updates since, why it was trained,
//!         and the exact LearningState it learned
//! body:   the suggester (folio_coding::learn::snapshot)
//! ```
//!
//! A file with another magic or format, a wrong checksum, a short or overlong body, or a model
//! whose version is not the header's is ignored (with the reason) and replaced after the next
//! training. It is written whole to a temporary file in the same folder, flushed to disk and
//! renamed over the old one (then the folder is flushed), so a reader sees the old snapshot or
//! the new one, never half of one, even with several processes writing.

use chrono::{DateTime, Utc};
use folio_coding::learn::Suggester;
use folio_coding::learn::snapshot::{Reader, SnapshotError, Writer};
use folio_store::{DB_FILE, DocumentId, ForgottenVendor, JournalId, LearningState};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The snapshot's file name in the workspace folder.
pub const MODEL_SNAPSHOT_FILE: &str = "learned-model.snapshot";

const MAGIC: &[u8; 16] = b"FOLIO-MODEL-SNAP";

/// Version of the file layout (the body has its own, `BODY_FORMAT`).
pub const SNAPSHOT_FORMAT: u32 = 1;

/// What a snapshot says about its model besides the model itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// [`Suggester::version`] of the model saved.
    pub model_version: String,
    /// Version and line count of the last full training, and whether it fitted weights.
    pub trained_version: String,
    pub trained_lines: usize,
    pub fitted: bool,
    /// Lines learned by updates since that training.
    pub since_training: usize,
    /// Why that training happened.
    pub trained_because: Option<String>,
    /// What the model learned.
    pub state: LearningState,
}

/// The snapshot file of the workspace in `dir`.
pub fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join(MODEL_SNAPSHOT_FILE)
}

fn write_state(w: &mut Writer, s: &LearningState) {
    w.u64(s.history_lines);
    w.i64(s.newest_import);
    w.len(s.forgotten.len());
    for f in &s.forgotten {
        w.str(&f.supplier_key);
        w.str(&f.name);
        w.i64(f.forgotten_at.timestamp());
        w.u32(f.forgotten_at.timestamp_subsec_nanos());
        w.str(&f.forgotten_by);
    }
    w.len(s.journals.len());
    for (j, d) in &s.journals {
        w.i64(j.0);
        w.i64(d.0);
    }
    w.len(s.no_learn.len());
    for (d, line) in &s.no_learn {
        w.i64(d.0);
        w.u32(*line);
    }
}

fn read_state(r: &mut Reader<'_>) -> Result<LearningState, SnapshotError> {
    let history_lines = r.u64()?;
    let newest_import = r.i64()?;
    let n = r.len(8 * 5)?;
    let mut forgotten = Vec::with_capacity(n);
    for _ in 0..n {
        let supplier_key = r.string()?;
        let name = r.string()?;
        let (secs, nanos) = (r.i64()?, r.u32()?);
        let forgotten_at = DateTime::<Utc>::from_timestamp(secs, nanos)
            .ok_or_else(|| r.invalid(format!("{secs}.{nanos} is not a time")))?;
        forgotten.push(ForgottenVendor {
            supplier_key,
            name,
            forgotten_at,
            forgotten_by: r.string()?,
        });
    }
    let n = r.len(16)?;
    let mut journals = std::collections::BTreeMap::new();
    for _ in 0..n {
        journals.insert(JournalId(r.i64()?), DocumentId(r.i64()?));
    }
    let n = r.len(12)?;
    let mut no_learn = std::collections::BTreeSet::new();
    for _ in 0..n {
        no_learn.insert((DocumentId(r.i64()?), r.u32()?));
    }
    Ok(LearningState {
        history_lines,
        newest_import,
        forgotten,
        journals,
        no_learn,
    })
}

fn encode_header(h: &SnapshotHeader) -> Vec<u8> {
    let mut w = Writer::default();
    w.str(&h.model_version);
    w.str(&h.trained_version);
    w.len(h.trained_lines);
    w.bool(h.fitted);
    w.len(h.since_training);
    w.bool(h.trained_because.is_some());
    if let Some(why) = &h.trained_because {
        w.str(why);
    }
    write_state(&mut w, &h.state);
    w.bytes
}

fn decode_header(bytes: &[u8]) -> Result<SnapshotHeader, SnapshotError> {
    let mut r = Reader::new(bytes);
    let header = SnapshotHeader {
        model_version: r.string()?,
        trained_version: r.string()?,
        trained_lines: r.usize()?,
        fitted: r.bool()?,
        since_training: r.usize()?,
        trained_because: if r.bool()? { Some(r.string()?) } else { None },
        state: read_state(&mut r)?,
    };
    r.finish()?;
    Ok(header)
}

/// The whole file for a model and its header.
pub fn encode(header: &SnapshotHeader, model: &Suggester) -> Vec<u8> {
    let head = encode_header(header);
    let body = model.to_bytes();
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + 16 + head.len() + body.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// A snapshot's file read but not yet trusted: its header, and where its body is.
#[derive(Debug)]
pub struct Unverified {
    pub header: SnapshotHeader,
    bytes: Vec<u8>,
    body: std::ops::Range<usize>,
}

/// Reads the header of the snapshot in `bytes` (the model is decoded later, by [`Unverified::model`],
/// only when the header says it is worth it).
pub fn open(bytes: Vec<u8>) -> Result<Unverified, String> {
    let mut r = Reader::new(&bytes);
    let magic = r.take(MAGIC.len()).map_err(|e| e.to_string())?;
    if magic != MAGIC {
        return Err("it is not a Folio model snapshot".to_owned());
    }
    let format = r.u32().map_err(|e| e.to_string())?;
    if format != SNAPSHOT_FORMAT {
        return Err(format!(
            "it is of snapshot format {format}, this program reads format {SNAPSHOT_FORMAT}"
        ));
    }
    let n = r.len(1).map_err(|e| e.to_string())?;
    let header = decode_header(r.take(n).map_err(|e| e.to_string())?)
        .map_err(|e| format!("its header: {e}"))?;
    let n = r.len(1).map_err(|e| e.to_string())?;
    let start = r.position();
    r.take(n).map_err(|e| e.to_string())?;
    let end = r.position();
    r.take(32).map_err(|e| e.to_string())?;
    r.finish().map_err(|e| e.to_string())?;
    Ok(Unverified {
        header,
        bytes,
        body: start..end,
    })
}

impl Unverified {
    /// The model, once the checksum and its version agree with the header.
    pub fn model(self) -> Result<(SnapshotHeader, Suggester), String> {
        let (data, sum) = self.bytes.split_at(self.bytes.len() - 32);
        if Sha256::digest(data).as_slice() != sum {
            return Err("its checksum does not match its content (damaged)".to_owned());
        }
        let model = Suggester::from_bytes(&self.bytes[self.body.clone()])
            .map_err(|e| format!("its model: {e}"))?;
        if model.version() != self.header.model_version {
            return Err(format!(
                "its model is {}, its header says {}",
                model.version(),
                self.header.model_version
            ));
        }
        Ok((self.header, model))
    }
}

/// Writes `bytes` as the snapshot of the workspace in `dir`, atomically, with the database's
/// permissions (see the module docs).
pub fn write(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let path = snapshot_path(dir);
    let temp = dir.join(format!(
        ".{MODEL_SNAPSHOT_FILE}.tmp-{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |what: &str, p: &Path, e: std::io::Error| format!("{what} {}: {e}", p.display());
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| io("could not create", &temp, e))?;
        let db = dir.join(DB_FILE);
        let permissions = fs::metadata(&db)
            .map_err(|e| io("could not read the permissions of", &db, e))?
            .permissions();
        file.set_permissions(permissions)
            .map_err(|e| io("could not set the permissions of", &temp, e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("could not write", &temp, e))?;
        drop(file);
        fs::rename(&temp, &path).map_err(|e| io("could not rename over", &path, e))?;
        #[cfg(unix)]
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("could not flush", dir, e))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The snapshot's bytes, if there is one (a missing file is not an error).
pub fn read(dir: &Path) -> Result<Option<Vec<u8>>, String> {
    let path = snapshot_path(dir);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("could not read {}: {e}", path.display())),
    }
}
