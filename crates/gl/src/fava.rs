//! `fava`: beancount's web app as a GL, through its JSON API (Fava 1.30).
//!
//! Fava has no idempotency keys and books whatever it is given, so the connector makes each
//! write safe itself:
//!
//! 1. Journals that do not balance or post to an account the ledger has not opened are refused
//!    before anything is sent, naming the line.
//! 2. The batch's references are looked up first (a BQL query on `folio_ref`, and for those
//!    Fava does not show, a search of the ledger file itself, because Fava's loaded view can lag
//!    behind the file: see [`Inner::locate`]); those already in the ledger are reported as posted
//!    and not written again.
//! 3. The rest are appended to the ledger file as beancount text in one `PUT /api/source`,
//!    guarded by the checksum of the text read in the same gated step: one write and one load
//!    for the whole batch, and all of it or none (see [`Inner::append`]; Fava's own
//!    `add_entries` rewrites the whole file once per entry).
//! 4. The entries are located again (the GL id is Fava's entry hash), then `/api/errors` is read:
//!    an error on one of our entries (Fava names the entry's `folio_ref`) means the ledger does
//!    not accept it, so the entry is deleted again (`DELETE /api/source_slice`) and the journal
//!    refused with Fava's message, mapped to the line it is about.
//!
//! Every operation of this process on one Fava runs alone ([`GATES`]): Fava reloads outside its
//! file lock, so a read beside a write can see a torn ledger.
//!
//! Any step that fails after the write leaves the outcome unknown, which the outbox resolves by
//! looking the reference up before it sends anything again.

use crate::chart::{Chart, parse_account_name};
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed, outcome,
};
use crate::http::{Http, json};
use crate::monitor::{CallLog, CallRecord};
use crate::{JournalRef, ledger_text};
use folio_domain::{Account, Journal};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// Entries per write (and references per look-up query). Fava re-reads the whole ledger around
/// every write, so fewer, larger writes are what makes it fast.
const MAX_BATCH: usize = 500;

/// One gate per Fava server (by base URL), shared by every connector in this process.
///
/// Fava rewrites the ledger file in place when it adds an entry and reloads it, outside its own
/// file lock, whenever `/api/changed` is called; a look-up that runs while another connector
/// writes can read a torn file and miss an entry that is there. Every operation of this process
/// on one Fava therefore runs alone. (Another program writing the same ledger at the same moment,
/// such as a person saving in Fava's editor, is outside what Folio can serialise.)
static GATES: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

pub(crate) fn gate_for(base: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut gates = GATES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(gates.entry(base.to_owned()).or_default())
}

/// A Fava server.
#[derive(Debug, Clone)]
pub struct Fava {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `http://host:port`, without a trailing slash.
    base: String,
    /// The ledger's slug, from the URL or from Fava's redirect.
    slug: OnceCell<String>,
    configured_slug: Option<String>,
    http: Http,
    chart: Chart,
    calls: CallLog,
    /// Held for each post, look-up and master-data read (see [`GATES`]).
    gate: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct QueryTable {
    rows: Vec<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
struct FavaError {
    message: String,
    #[serde(default)]
    source: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct SourceFile {
    file_path: String,
    source: String,
    sha256sum: String,
}

#[derive(Debug, Deserialize)]
struct SourceSlice {
    sha256sum: String,
}

/// Splits `http://host:port/slug/…` into the base and the slug, if one is given.
fn split_url(url: &str) -> (String, Option<String>) {
    let url = url.trim_end_matches('/');
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => {
            let (base, path) = url.split_at(after_scheme + i);
            let slug = path.trim_matches('/').split('/').next().unwrap_or("");
            (base.to_owned(), (!slug.is_empty()).then(|| slug.to_owned()))
        }
        None => (url.to_owned(), None),
    }
}

/// The field an error message of Fava's is about: the line whose account it names.
fn field_of(message: &str, journal: &Journal, chart: &Chart) -> Option<String> {
    journal.lines.iter().enumerate().find_map(|(i, line)| {
        let name = chart.name_or_code(&line.account);
        message
            .contains(&format!("'{name}'"))
            .then(|| format!("lines[{i}].account"))
    })
}

fn in_list(refs: &[&str]) -> String {
    // References are [0-9A-Z-] only (JournalRef guarantees it), so quoting is safe.
    refs.iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Fava {
    /// Fava at `url` (`http://127.0.0.1:5000` or with the ledger's slug,
    /// `http://127.0.0.1:5000/my-ledger`), naming accounts from `accounts`; `auth` is the user and
    /// secret of a reverse proxy in front of Fava, if it has one.
    pub fn new(
        url: &str,
        accounts: &[Account],
        timeout: Duration,
        auth: Option<(String, String)>,
    ) -> Result<Fava, GlError> {
        let (base, configured_slug) = split_url(url);
        Ok(Fava {
            inner: Arc::new(Inner {
                gate: gate_for(&base),
                base,
                slug: OnceCell::new(),
                configured_slug,
                http: Http {
                    transient_statuses: &[404],
                    auth,
                    ..Http::new(ConnectorKind::Fava.as_str(), timeout)?
                },
                chart: Chart::new(accounts),
                calls: CallLog::default(),
            }),
        })
    }
}

impl Inner {
    async fn api(&self, endpoint: &str) -> Result<String, GlError> {
        let slug = self
            .slug
            .get_or_try_init(|| async {
                if let Some(slug) = &self.configured_slug {
                    return Ok(slug.clone());
                }
                let response = self
                    .http
                    .read(&self.calls, "discover", || self.http.get(&self.base))
                    .await?;
                response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| l.trim_start_matches('/').split('/').next())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| GlError::permanent("the server does not look like Fava", None))
            })
            .await?;
        Ok(format!("{}/{slug}/api/{endpoint}", self.base))
    }

    async fn query(&self, operation: &str, bql: &str) -> Result<Vec<Vec<Value>>, GlError> {
        let url = self.api("query").await?;
        let response = self
            .http
            .read(&self.calls, operation, || {
                self.http.get(&url).query(&[("query_string", bql)])
            })
            .await?;
        Ok(json::<Envelope<QueryTable>>(response, operation)
            .await?
            .data
            .rows)
    }

    /// Entry hash by reference, for the references of `refs` that are in the ledger.
    async fn find(&self, refs: &[&str]) -> Result<BTreeMap<String, String>, GlError> {
        let mut found = BTreeMap::new();
        for chunk in refs.chunks(MAX_BATCH) {
            let bql = format!(
                "SELECT DISTINCT id, entry_meta('folio_ref') WHERE entry_meta('folio_ref') IN ({})",
                in_list(chunk)
            );
            for row in self.query("lookup", &bql).await? {
                if let [Value::String(id), Value::String(reference)] = row.as_slice() {
                    found.insert(reference.clone(), id.clone());
                }
            }
        }
        Ok(found)
    }

    /// Makes Fava reload the ledger if the file changed (its queries and error list are
    /// otherwise what it loaded last).
    async fn reload(&self) -> Result<(), GlError> {
        let url = self.api("changed").await?;
        self.http
            .read(&self.calls, "reload", || self.http.get(&url))
            .await?;
        Ok(())
    }

    /// Entry hash by reference, for the references of `refs` that are in the ledger file, read
    /// so that a stale Fava can never hide an entry.
    ///
    /// Fava answers from the ledger it loaded last and reloads only when the file's mtime grew.
    /// Two writes within one tick of the file system's clock leave the same mtime, so the second
    /// one stays invisible until some later change; a connector that trusted that view would
    /// write the entry again. So references Fava does not know are also searched in the file
    /// itself (`GET /api/source` reads it from disk). One that is in the file but not in Fava's
    /// view makes Fava load the file again (`PUT /api/source` with the unchanged text, guarded
    /// by its checksum, is the one call that always reloads) and is looked up once more; if Fava
    /// still does not show it, the outcome is unknown, never "absent".
    async fn locate(&self, refs: &[&str]) -> Result<BTreeMap<String, String>, GlError> {
        self.reload().await?;
        let mut found = self.find(refs).await?;
        let missing: Vec<&str> = refs
            .iter()
            .copied()
            .filter(|r| !found.contains_key(*r))
            .collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let source = self.source().await?;
        let on_disk: Vec<&str> = missing
            .into_iter()
            .filter(|r| source.source.contains(&format!("folio_ref: \"{r}\"")))
            .collect();
        if on_disk.is_empty() {
            return Ok(found);
        }
        self.load_again(&source).await?;
        found.extend(self.find(&on_disk).await?);
        if let Some(hidden) = on_disk.iter().find(|r| !found.contains_key(**r)) {
            return Err(GlError::unknown(format!(
                "{hidden} is in the ledger file but Fava does not show it yet"
            )));
        }
        Ok(found)
    }

    /// The ledger file Fava inserts into, as it is on disk now.
    async fn source(&self) -> Result<SourceFile, GlError> {
        let url = self.api("source").await?;
        let response = self
            .http
            .read(&self.calls, "read_source", || self.http.get(&url))
            .await?;
        Ok(json::<Envelope<SourceFile>>(response, "read_source")
            .await?
            .data)
    }

    /// Makes Fava load `file` again by writing back its unchanged text. The checksum makes Fava
    /// refuse if the file changed since it was read, so nothing anyone wrote is lost.
    async fn load_again(&self, file: &SourceFile) -> Result<(), GlError> {
        let url = self.api("source").await?;
        self.http
            .send(
                &self.calls,
                "load_again",
                self.http.request(reqwest::Method::PUT, &url).json(&json!({
                    "file_path": file.file_path,
                    "source": file.source,
                    "sha256sum": file.sha256sum,
                })),
            )
            .await
            .map_err(|e| GlError::unknown(format!("Fava did not load the ledger again: {e}")))?;
        Ok(())
    }

    /// Reloads the ledger and returns its errors that concern our references.
    async fn errors_of(&self, refs: &BTreeSet<&str>) -> Result<Vec<(String, String)>, GlError> {
        self.reload().await?;
        let url = self.api("errors").await?;
        let response = self
            .http
            .read(&self.calls, "errors", || self.http.get(&url))
            .await?;
        let errors = json::<Envelope<Vec<FavaError>>>(response, "errors")
            .await?
            .data;
        Ok(errors
            .into_iter()
            .filter_map(|e| {
                let reference = e.source.as_ref()?.get("folio_ref")?.as_str()?.to_owned();
                refs.contains(reference.as_str())
                    .then_some((reference, e.message))
            })
            .collect())
    }

    /// Removes the entry with `hash` (one Fava refused after it was written).
    async fn delete(&self, hash: &str) -> Result<(), GlError> {
        let url = self.api("source_slice").await?;
        let response = self
            .http
            .read(&self.calls, "read_entry", || {
                self.http.get(&url).query(&[("entry_hash", hash)])
            })
            .await?;
        let slice = json::<Envelope<SourceSlice>>(response, "read_entry")
            .await?
            .data;
        self.http
            .send(
                &self.calls,
                "delete_entry",
                self.http
                    .request(reqwest::Method::DELETE, &url)
                    .query(&[("entry_hash", hash), ("sha256sum", &slice.sha256sum)]),
            )
            .await?;
        Ok(())
    }

    /// Appends the entries of `to_write` to the ledger file in one write, which is also one load.
    ///
    /// The file is read and written back with the new entries at its end in one
    /// `PUT /api/source`, guarded by the checksum of what was read: Fava refuses the write if the
    /// file changed in between, and then nothing of the batch is in it. A reference that is in
    /// the text read is never written again (the look-up before already said it is absent; this
    /// is the same question asked of the very text the write replaces). Fava writes and loads
    /// under its file lock, so its view afterwards is this file.
    ///
    /// Why not `add_entries`: Fava inserts its entries one at a time and rewrites the whole file
    /// for each, so a batch cost entries x file size; here it costs one upload of the file and
    /// one parse, whatever the batch's size.
    async fn append(&self, to_write: &[&Outgoing]) -> Result<(), GlError> {
        let file = self.source().await?;
        if let Some(there) = to_write.iter().find(|o| {
            file.source
                .contains(&format!("folio_ref: \"{}\"", o.reference.as_str()))
        }) {
            return Err(GlError::unknown(format!(
                "{} appeared in the ledger file while the batch was being sent",
                there.reference.as_str()
            )));
        }
        let mut text = file.source;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for out in to_write {
            text.push('\n');
            text.push_str(&ledger_text::beancount_with_head(
                &out.journal,
                &out.reference,
                out.audit_head.as_deref(),
                &|code| self.chart.name_or_code(code),
            ));
        }
        let url = self.api("source").await?;
        self.http
            .send(
                &self.calls,
                "post",
                self.http.request(reqwest::Method::PUT, &url).json(&json!({
                    "file_path": file.file_path,
                    "source": text,
                    "sha256sum": file.sha256sum,
                })),
            )
            .await?;
        Ok(())
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut results: BTreeMap<&str, Result<Posted, GlError>> = BTreeMap::new();
        let mut to_check = Vec::new();
        for out in batch {
            match self.chart.check(&out.journal) {
                Err(e) => {
                    results.insert(out.reference.as_str(), Err(e));
                }
                Ok(()) => to_check.push(out),
            }
        }
        let refs: Vec<&str> = to_check.iter().map(|o| o.reference.as_str()).collect();
        let present = self.locate(&refs).await?;
        let mut to_write = Vec::new();
        let mut seen = BTreeSet::new();
        for out in to_check {
            let reference = out.reference.as_str();
            if let Some(hash) = present.get(reference) {
                results.insert(
                    reference,
                    Ok(Posted {
                        gl_id: hash.clone(),
                        receipt: "already in the ledger".into(),
                    }),
                );
            } else if seen.insert(reference) {
                to_write.push(out);
            }
        }
        if !to_write.is_empty() {
            self.append(&to_write).await?;
            let written: BTreeSet<&str> = to_write.iter().map(|o| o.reference.as_str()).collect();
            // Located first: once Fava shows every entry, its error list is about them too.
            let written_refs: Vec<&str> = written.iter().copied().collect();
            let hashes = self.locate(&written_refs).await?;
            let errors = self.errors_of(&written).await?;
            let mut refused: BTreeMap<&str, String> = BTreeMap::new();
            for (reference, message) in &errors {
                if let Some(out) = to_write.iter().find(|o| o.reference.as_str() == reference) {
                    refused
                        .entry(out.reference.as_str())
                        .and_modify(|m| {
                            m.push_str("; ");
                            m.push_str(message);
                        })
                        .or_insert_with(|| message.clone());
                }
            }
            for out in &to_write {
                let reference = out.reference.as_str();
                let result = match (refused.get(reference), hashes.get(reference)) {
                    (Some(message), hash) => {
                        if let Some(hash) = hash {
                            self.delete(hash).await?;
                        }
                        Err(GlError::permanent(
                            format!("Fava does not accept the entry: {message}"),
                            field_of(message, &out.journal, &self.chart),
                        ))
                    }
                    (None, Some(hash)) => Ok(Posted {
                        gl_id: hash.clone(),
                        receipt: "added and read back".into(),
                    }),
                    (None, None) => Err(GlError::unknown(
                        "Fava stored the batch but the entry was not found when read back",
                    )),
                };
                results.insert(reference, result);
            }
        }
        Ok(outcome(batch, &results))
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let rows = self
            .query("master_data", "SELECT account, close FROM #accounts")
            .await?;
        let accounts = rows
            .iter()
            .filter_map(|row| {
                let name = row.first()?.as_str()?;
                let mut account = parse_account_name(name)?;
                account.active = row.get(1).is_none_or(Value::is_null);
                Some(account)
            })
            .collect();
        Ok(GlMasterData {
            accounts,
            ..GlMasterData::default()
        })
    }
}

impl Connector for Fava {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Fava
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: false,
            server_idempotency: false,
            lookup_by_reference: true,
            attachments: true,
            reads_accounts: true,
            reads_dimensions: false,
            max_batch: MAX_BATCH,
        }
    }

    async fn post(&self, batch: Vec<Outgoing>) -> BatchOutcome {
        let _alone = self.inner.gate.lock().await;
        match self.inner.post(&batch).await {
            Ok(outcome) => outcome,
            Err(e) => all_failed(&batch, &e),
        }
    }

    async fn lookup(
        &self,
        references: Vec<JournalRef>,
    ) -> Result<BTreeMap<JournalRef, Posted>, GlError> {
        let refs: Vec<&str> = references.iter().map(JournalRef::as_str).collect();
        let _alone = self.inner.gate.lock().await;
        let found = self.inner.locate(&refs).await?;
        Ok(references
            .iter()
            .filter_map(|r| {
                let hash = found.get(r.as_str())?;
                Some((
                    r.clone(),
                    Posted {
                        gl_id: hash.clone(),
                        receipt: "found in the ledger".into(),
                    },
                ))
            })
            .collect())
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let _alone = self.inner.gate.lock().await;
        self.inner.master_data().await
    }

    fn drain_calls(&self) -> Vec<CallRecord> {
        self.inner.calls.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_base_and_slug() {
        let cases = [
            ("http://127.0.0.1:5000", "http://127.0.0.1:5000", None),
            ("http://127.0.0.1:5000/", "http://127.0.0.1:5000", None),
            (
                "http://h:1/my-ledger/income_statement/",
                "http://h:1",
                Some("my-ledger"),
            ),
        ];
        for (url, base, slug) in cases {
            assert_eq!(split_url(url), (base.to_owned(), slug.map(str::to_owned)));
        }
    }
}
