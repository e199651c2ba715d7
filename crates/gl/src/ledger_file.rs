//! `ledger-file`: the GL that needs no server — a beancount journal file on disk.
//!
//! Each batch is appended under an exclusive file lock (so two Folio processes, or Folio and a
//! person's editor using the same lock, never interleave), framed by a begin and an end marker
//! comment, and fsynced before the journals count as posted. A batch cut short by a crash leaves a
//! begin marker without its end: the next writer finds it under the lock and cuts the torn tail
//! off before it appends, and a torn batch's references never count as posted. Posting is
//! idempotent by reference: a journal whose `folio_ref` is already in the file is reported as
//! posted, with where it is, and not written again. Accounts are named from the chart
//! (`Expenses:4930-Office-supplies`) and each gets its `open` directive the first time it is used.

use crate::chart::{Chart, account_name, parse_account_name};
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
};
use crate::monitor::{CallLog, CallRecord};
use crate::{JournalRef, ledger_text};
use folio_domain::Account;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

const BEGIN: &str = ";; folio-batch-begin";
const END: &str = ";; folio-batch-end";
/// The date of the `open` directives Folio writes: before any journal it could post.
const OPEN_DATE: &str = "1970-01-01";
/// Journals per append; one append is one lock, one write and one fsync.
const MAX_BATCH: usize = 500;

/// A beancount file as a general ledger.
#[derive(Debug, Clone)]
pub struct LedgerFile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    accounts: Vec<Account>,
    chart: Chart,
    calls: CallLog,
}

/// What a scan of the file found.
#[derive(Debug, Default)]
struct Scan {
    /// Reference → 1-based line of its entry's header.
    refs: BTreeMap<String, usize>,
    /// Accounts with an `open` directive.
    opened: BTreeSet<String>,
    /// Where a batch without its end marker begins: the file is cut back to here.
    torn_at: Option<usize>,
}

fn quoted_value(line: &str, key: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(key)?.trim();
    Some(rest.trim_matches('"').to_owned())
}

fn scan(text: &str) -> Scan {
    let mut scan = Scan::default();
    let mut pending_refs = Vec::new();
    let mut pending_opens = Vec::new();
    let mut batch_start: Option<usize> = None;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        if trimmed == BEGIN {
            batch_start = Some(offset);
        } else if trimmed == END {
            batch_start = None;
            scan.refs.extend(pending_refs.drain(..));
            scan.opened.extend(pending_opens.drain(..));
        } else if let Some(reference) = quoted_value(trimmed, "folio_ref:") {
            // The reference is the first line under its entry's header.
            let entry = (reference, i.max(1));
            if batch_start.is_some() {
                pending_refs.push(entry);
            } else {
                scan.refs.insert(entry.0, entry.1);
            }
        } else {
            let mut words = trimmed.split_whitespace();
            if let (Some(_date), Some("open"), Some(account)) =
                (words.next(), words.next(), words.next())
            {
                if batch_start.is_some() {
                    pending_opens.push(account.to_owned());
                } else {
                    scan.opened.insert(account.to_owned());
                }
            }
        }
        offset += line.len();
    }
    scan.torn_at = batch_start;
    scan
}

fn io_error(path: &Path, e: std::io::Error) -> GlError {
    GlError::retryable(format!("{}: {e}", path.display()))
}

fn read_all(file: &mut File, path: &Path) -> Result<String, GlError> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text))
        .map_err(|e| io_error(path, e))?;
    Ok(text)
}

impl LedgerFile {
    /// The ledger at `path` (created on the first post), naming accounts from `accounts`.
    pub fn new(path: impl Into<PathBuf>, accounts: Vec<Account>) -> LedgerFile {
        let chart = Chart::new(&accounts);
        LedgerFile {
            inner: Arc::new(Inner {
                path: path.into(),
                accounts,
                chart,
                calls: CallLog::default(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs a blocking file operation off the async threads and records it as one call.
    async fn call<T: Send + 'static>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Inner) -> Result<T, GlError> + Send + 'static,
    ) -> Result<T, GlError> {
        let inner = Arc::clone(&self.inner);
        let started = SystemTime::now();
        let clock = Instant::now();
        let result = tokio::task::spawn_blocking(move || f(&inner))
            .await
            .unwrap_or_else(|e| Err(GlError::unknown(format!("the file task failed: {e}"))));
        self.inner.calls.push(CallRecord {
            started,
            connector: ConnectorKind::LedgerFile.as_str().to_owned(),
            operation: operation.to_owned(),
            status: if result.is_ok() { "ok" } else { "error" }.to_owned(),
            duration: clock.elapsed(),
            correlation_id: None,
            error: result.as_ref().err().map(ToString::to_string),
        });
        result
    }
}

impl Inner {
    fn gl_id(&self, line: usize) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{name}:{line}")
    }

    fn open_locked(&self) -> Result<File, GlError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| io_error(&self.path, e))?;
        file.lock().map_err(|e| io_error(&self.path, e))?;
        Ok(file)
    }

    fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut file = self.open_locked()?;
        let mut text = read_all(&mut file, &self.path)?;
        let found = scan(&text);
        if let Some(at) = found.torn_at {
            file.set_len(at as u64)
                .and_then(|()| file.sync_data())
                .map_err(|e| io_error(&self.path, e))?;
            text.truncate(at);
        }
        let found = scan(&text);
        // Counted in newlines: the number of the last complete line.
        let mut line = text.matches('\n').count();
        let mut chunk = String::new();
        if !text.is_empty() && !text.ends_with('\n') {
            chunk.push('\n');
        }
        chunk.push('\n');
        chunk.push_str(BEGIN);
        chunk.push('\n');
        line += chunk.matches('\n').count();
        let mut opened = found.opened.clone();
        let mut entries = String::new();
        let mut outcome = Vec::with_capacity(batch.len());
        let mut written: BTreeMap<&str, usize> = BTreeMap::new();
        let mut opens = String::new();
        // Open directives come first in the batch, so entry lines are counted after them.
        let mut accepted = Vec::new();
        for out in batch {
            let reference = out.reference.as_str();
            if let Some(at) = found.refs.get(reference) {
                outcome.push((
                    out.reference.clone(),
                    Ok(Posted {
                        gl_id: self.gl_id(*at),
                        receipt: "already in the ledger".to_owned(),
                    }),
                ));
                continue;
            }
            match self.chart.check(&out.journal) {
                Err(e) => outcome.push((out.reference.clone(), Err(e))),
                Ok(()) => {
                    for l in &out.journal.lines {
                        let name = self.chart.name_or_code(&l.account);
                        if opened.insert(name.clone()) {
                            opens.push_str(&format!("{OPEN_DATE} open {name}\n"));
                        }
                    }
                    accepted.push(out);
                    outcome.push((out.reference.clone(), Ok(Posted::to_be_written())));
                }
            }
        }
        line += opens.matches('\n').count();
        for out in accepted {
            if written.contains_key(out.reference.as_str()) {
                continue;
            }
            entries.push('\n');
            line += 1;
            written.insert(out.reference.as_str(), line + 1);
            let entry = ledger_text::beancount_with_head(
                &out.journal,
                &out.reference,
                out.audit_head.as_deref(),
                &|code| self.chart.name_or_code(code),
            );
            line += entry.matches('\n').count();
            entries.push_str(&entry);
        }
        if written.is_empty() && opens.is_empty() {
            return Ok(finish(outcome, &written, self));
        }
        chunk.push_str(&opens);
        chunk.push_str(&entries);
        chunk.push_str(END);
        chunk.push('\n');
        let before = text.len() as u64;
        if let Err(e) = file
            .write_all(chunk.as_bytes())
            .and_then(|()| file.sync_data())
        {
            // Leave no torn batch behind if the disk lets us; the markers catch it otherwise.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
            return Err(io_error(&self.path, e));
        }
        Ok(finish(outcome, &written, self))
    }

    fn lookup(&self, references: &[JournalRef]) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(io_error(&self.path, e)),
        };
        file.lock_shared().map_err(|e| io_error(&self.path, e))?;
        let found = scan(&read_all(&mut file, &self.path)?);
        Ok(references
            .iter()
            .filter_map(|r| {
                let line = found.refs.get(r.as_str())?;
                Some((
                    r.clone(),
                    Posted {
                        gl_id: self.gl_id(*line),
                        receipt: "found in the ledger".to_owned(),
                    },
                ))
            })
            .collect())
    }

    /// The chart's postable accounts and every account the file opens.
    fn master_data(&self) -> Result<GlMasterData, GlError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_error(&self.path, e)),
        };
        let mut accounts: BTreeMap<String, Account> = self
            .accounts
            .iter()
            .filter(|a| a.postable && a.active)
            .map(|a| (account_name(a), a.clone()))
            .collect();
        for name in scan(&text).opened {
            if let Some(account) = parse_account_name(&name) {
                accounts.entry(name).or_insert(account);
            }
        }
        Ok(GlMasterData {
            accounts: accounts.into_values().collect(),
            ..GlMasterData::default()
        })
    }
}

impl Posted {
    /// A placeholder for an entry of this batch; [`finish`] says where it went.
    fn to_be_written() -> Posted {
        Posted {
            gl_id: String::new(),
            receipt: String::new(),
        }
    }
}

/// Fills in where each newly written journal went.
fn finish(outcome: BatchOutcome, written: &BTreeMap<&str, usize>, inner: &Inner) -> BatchOutcome {
    outcome
        .into_iter()
        .map(|(reference, result)| {
            let result = match result {
                Ok(p) if p.gl_id.is_empty() => match written.get(reference.as_str()) {
                    Some(line) => Ok(Posted {
                        gl_id: inner.gl_id(*line),
                        receipt: format!("appended and synced at line {line}"),
                    }),
                    None => Err(GlError::unknown("the entry was not written")),
                },
                other => other,
            };
            (reference, result)
        })
        .collect()
}

impl Connector for LedgerFile {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::LedgerFile
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: false,
            server_idempotency: true,
            lookup_by_reference: true,
            attachments: false,
            reads_accounts: true,
            reads_dimensions: false,
            max_batch: MAX_BATCH,
        }
    }

    async fn post(&self, batch: Vec<Outgoing>) -> BatchOutcome {
        let refs: Vec<Outgoing> = batch.clone();
        match self.call("post", move |inner| inner.post(&batch)).await {
            Ok(outcome) => outcome,
            Err(e) => crate::connector::all_failed(&refs, &e),
        }
    }

    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        self.call("lookup", move |inner| inner.lookup(&references))
            .await
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        self.call("master_data", |inner| inner.master_data()).await
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        self.inner.calls.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_counts_only_whole_batches() {
        let text = "\
2025-01-01 open Assets:Cash
2025-01-02 * \"by hand\"
  folio_ref: \"FA-1\"
  Assets:Cash  1 EUR
  Assets:Cash  -1 EUR

;; folio-batch-begin
1970-01-01 open Expenses:1-X

2025-01-03 * \"whole\"
  folio_ref: \"FA-2\"
;; folio-batch-end

;; folio-batch-begin
1970-01-01 open Expenses:2-Y
2025-01-04 * \"torn\"
  folio_ref: \"FA-3\"
";
        let s = scan(text);
        assert_eq!(s.refs.keys().collect::<Vec<_>>(), ["FA-1", "FA-2"]);
        assert_eq!(s.refs["FA-1"], 2);
        assert_eq!(s.refs["FA-2"], 10);
        assert!(s.opened.contains("Expenses:1-X") && !s.opened.contains("Expenses:2-Y"));
        let torn = s.torn_at.unwrap();
        assert!(text[torn..].starts_with(BEGIN));
    }
}
