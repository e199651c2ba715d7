//! `fava`: beancount's web app as a GL, through its JSON API (Fava 1.30).
//!
//! Fava has no idempotency keys and books whatever it is given, so the connector makes each
//! write safe itself:
//!
//! 1. Journals that do not balance or post to an account the ledger has not opened are refused
//!    before anything is sent, naming the line.
//! 2. The batch's references are looked up first (a BQL query on `folio_ref`); those already in
//!    the ledger are reported as posted and not written again.
//! 3. The rest go in one `PUT /api/add_entries`.
//! 4. Fava is made to reload (`/api/changed`) and `/api/errors` is read: an error on one of our
//!    entries (Fava names the entry's `folio_ref`) means the ledger does not accept it, so the
//!    entry is deleted again (`DELETE /api/source_slice`) and the journal refused with Fava's
//!    message, mapped to the line it is about.
//! 5. The entries are read back by reference: the GL id is Fava's entry hash.
//!
//! Any step that fails after the write leaves the outcome unknown, which the outbox resolves by
//! looking the reference up before it sends anything again.

use crate::chart::{Chart, parse_account_name};
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed,
};
use crate::http::{Http, json};
use crate::monitor::{CallLog, CallRecord};
use crate::{JournalRef, ledger_text};
use folio_domain::{Account, Journal, Side};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Entries per `add_entries` request (and references per look-up query). Fava re-reads the whole
/// ledger around every write, so fewer, larger requests are what makes it fast.
const MAX_BATCH: usize = 500;

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

/// The JSON entry Fava's `add_entries` reads.
fn entry_json(journal: &Journal, reference: &JournalRef, chart: &Chart) -> Value {
    let postings: Vec<Value> = journal
        .lines
        .iter()
        .map(|line| {
            let mut amount = line.amount;
            amount.rescale(line.currency.minor_units());
            let sign = if line.side == Side::Credit { "-" } else { "" };
            let mut meta = serde_json::Map::new();
            for (k, v) in &line.dimensions {
                meta.insert(ledger_text::meta_key(k), Value::String(v.clone()));
            }
            if let Some(tax) = &line.tax_code {
                meta.insert("tax_code".into(), Value::String(tax.clone()));
            }
            json!({
                "account": chart.name_or_code(&line.account),
                "amount": format!("{sign}{amount} {}", line.currency),
                "meta": meta,
            })
        })
        .collect();
    json!({
        "t": "Transaction",
        "date": journal.date.to_string(),
        "flag": "*",
        "payee": "",
        "narration": journal.memo.replace(['\n', '\r'], " "),
        "meta": { "folio_ref": reference.as_str() },
        "tags": [],
        "links": [],
        "postings": postings,
    })
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

    /// [`Inner::find`] on a freshly loaded ledger. References expected to be there (`expect`)
    /// are searched again a few times: under concurrent writers Fava may answer from a ledger
    /// that is being reloaded.
    async fn find_fresh(
        &self,
        refs: &[&str],
        expect: bool,
    ) -> Result<BTreeMap<String, String>, GlError> {
        let mut found = BTreeMap::new();
        for attempt in 0..4u64 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            self.reload().await?;
            let missing: Vec<&str> = refs
                .iter()
                .copied()
                .filter(|r| !found.contains_key(*r))
                .collect();
            found.extend(self.find(&missing).await?);
            if !expect || found.len() == refs.len() {
                break;
            }
        }
        Ok(found)
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
        let present = self.find_fresh(&refs, false).await?;
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
            let entries: Vec<Value> = to_write
                .iter()
                .map(|o| entry_json(&o.journal, &o.reference, &self.chart))
                .collect();
            let url = self.api("add_entries").await?;
            self.http
                .send(
                    &self.calls,
                    "post",
                    self.http
                        .request(reqwest::Method::PUT, &url)
                        .json(&json!({ "entries": entries })),
                )
                .await?;
            let written: BTreeSet<&str> = to_write.iter().map(|o| o.reference.as_str()).collect();
            let errors = self.errors_of(&written).await?;
            let written_refs: Vec<&str> = written.iter().copied().collect();
            let hashes = self.find_fresh(&written_refs, true).await?;
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
        Ok(batch
            .iter()
            .map(|o| {
                let result = results
                    .get(o.reference.as_str())
                    .cloned()
                    .unwrap_or_else(|| Err(GlError::unknown("no outcome")));
                (o.reference.clone(), result)
            })
            .collect())
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
        let found = self.inner.find_fresh(&refs, false).await?;
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
