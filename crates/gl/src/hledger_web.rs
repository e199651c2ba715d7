//! `hledger-web`: hledger's web server as a GL, through its JSON API (version 1.25, Debian's).
//!
//! hledger-web takes one transaction per `PUT /add`, books transactions that do not balance,
//! renders amounts with whatever display precision they carry, books accounts it has never
//! seen, and has no idempotency keys, so the connector makes every write safe itself:
//!
//! 1. A journal that does not balance exactly, has more decimals than its currency, or posts to
//!    an account outside the chart is refused before anything is sent, naming the line
//!    ([`Chart::check`]).
//! 2. Every amount is sent with its exact mantissa and decimal places *and* a display precision
//!    equal to the currency's minor units, so hledger writes it to the journal unrounded (the
//!    journals Folio posts to declare the same precision with `commodity` directives).
//! 3. The batch's references are looked up first (the `folio_ref:` tag); those already booked are
//!    reported as posted and not written again.
//! 4. The rest are added one request at a time, in order (see "No pipelining" below).
//! 5. Every write is confirmed by reading it back: the transaction must be there with exactly the
//!    postings sent (account, amount, commodity). Journals whose answer was lost are read back
//!    too, and reported posted when they are there.
//!
//! **Stale views.** hledger-web answers every request from the journal it loaded last and reloads
//! it only when the file's modification time is later than that load. A write that lands while
//! hledger-web is (re)loading, or within the file system's time resolution after it, leaves the
//! file newer than the view without a later mtime: the view stays stale until the file changes
//! again. An add is itself such a write (hledger-web reloads at the start of the request, then
//! appends). So a reference missing from hledger-web's answer is never taken as "not in the GL"
//! on that answer alone ([`Inner::locate`]): it is searched in the journal file itself, and when
//! the file has it, the file's modification time is set to now (what `touch` does: it changes no
//! content) so that hledger-web loads it, and the view is read again. When the journal file
//! cannot be read from here (hledger-web on another machine, and no `--ledger FILE` at connect
//! time) a missing reference stays in doubt: [`Connector::lookup`] fails with an unknown outcome
//! rather than saying "absent". The file is the one named by hledger-web's own transactions
//! (`tsourcepos`) or the one given when connecting.
//!
//! **No pipelining.** Measured against hledger-web 1.25 on one journal: four adds in flight at
//! once ran 4 % faster than one at a time, and about one add in 25 failed inside hledger-web
//! (GHC's per-process file lock: an append while a reload reads the file, or the reverse), which
//! `--serve-api` reports as a 403 whose outcome is unknown. Every add re-reads the whole journal
//! first, so hledger-web does the work one request at a time anyway. The connector therefore
//! adds one transaction at a time, and every operation of this process on one hledger-web runs
//! alone (one gate per server, as for Fava), which also keeps its own reads from racing its own
//! writes.

use crate::JournalRef;
use crate::chart::{Chart, parse_account_name};
use crate::connector::{
    BatchOutcome, Capabilities, Connector, ConnectorKind, GlError, GlMasterData, Outgoing, Posted,
    all_failed, outcome,
};
use crate::http::{Http, json};
use crate::ledger_text::meta_key;
use crate::monitor::{CallLog, CallRecord};
use folio_domain::{Account, Journal, Side};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Journals per batch. Each is its own request; the batch shares one look-up and one read-back,
/// each of which reads every transaction hledger-web has.
const MAX_BATCH: usize = 100;

/// An hledger-web server.
#[derive(Debug, Clone)]
pub struct HledgerWeb {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `http://host:port`, without a trailing slash.
    base: String,
    http: Http,
    chart: Chart,
    calls: CallLog,
    /// Held for each post, look-up and master-data read (see the module docs).
    gate: Arc<tokio::sync::Mutex<()>>,
    /// The journal file hledger-web serves, when it is known and readable here.
    journal: Mutex<Option<PathBuf>>,
    /// Whether `journal` was given when connecting (then it is never replaced).
    journal_given: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct Amount {
    acommodity: String,
    aquantity: Quantity,
}

#[derive(Debug, Clone, Deserialize)]
struct Quantity {
    #[serde(rename = "decimalMantissa")]
    mantissa: Value,
    #[serde(rename = "decimalPlaces")]
    places: u32,
}

impl Quantity {
    fn decimal(&self) -> Option<Decimal> {
        let mantissa = self.mantissa.as_i64()?;
        Decimal::try_from_i128_with_scale(i128::from(mantissa), self.places)
            .ok()
            .map(|d| d.normalize())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct TxPosting {
    paccount: String,
    #[serde(default)]
    pamount: Vec<Amount>,
}

#[derive(Debug, Clone, Deserialize)]
struct SourcePos {
    #[serde(rename = "sourceName")]
    name: String,
    #[serde(rename = "sourceLine")]
    line: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct Transaction {
    #[serde(default)]
    ttags: Vec<(String, String)>,
    #[serde(default)]
    tpostings: Vec<TxPosting>,
    #[serde(default)]
    tsourcepos: Vec<SourcePos>,
}

/// `(account, signed amount, commodity)` of every posting, sorted: what a read-back compares.
type Postings = Vec<(String, Option<Decimal>, String)>;

impl Transaction {
    fn reference(&self) -> Option<&str> {
        self.ttags
            .iter()
            .find(|(k, _)| k == "folio_ref")
            .map(|(_, v)| v.as_str())
    }

    /// The transaction's place in the journal (`main.journal:12`): hledger has no ids, and Folio
    /// only appends, so the place stays.
    fn gl_id(&self) -> String {
        match self.tsourcepos.first() {
            Some(pos) => {
                let file = pos.name.rsplit('/').next().unwrap_or(&pos.name);
                format!("{file}:{}", pos.line)
            }
            None => "hledger".to_owned(),
        }
    }

    fn postings(&self) -> Postings {
        let mut out: Postings = self
            .tpostings
            .iter()
            .flat_map(|p| {
                p.pamount.iter().map(|a| {
                    (
                        p.paccount.clone(),
                        a.aquantity.decimal(),
                        a.acommodity.clone(),
                    )
                })
            })
            .collect();
        out.sort();
        out
    }
}

/// The signed amount of a line with exactly its currency's minor units (checked before: a line
/// never has more decimals than that, so this only adds zeros).
fn signed(line: &folio_domain::JournalLine) -> Decimal {
    let mut amount = line.amount;
    amount.rescale(line.currency.minor_units());
    match line.side {
        Side::Debit => amount,
        Side::Credit => -amount,
    }
}

/// What the read-back must show for `journal`.
fn expected_postings(journal: &Journal, chart: &Chart) -> Postings {
    let mut out: Postings = journal
        .lines
        .iter()
        .map(|l| {
            (
                chart.name_or_code(&l.account),
                Some(signed(l).normalize()),
                l.currency.code().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Text that goes into an hledger comment as a tag value: no separators, no line breaks.
fn tag_value(text: &str) -> String {
    text.replace([',', ';', '\n', '\r'], " ")
}

/// hledger's JSON for one transaction: amounts exact, precision explicit, the reference as the
/// transaction's `folio_ref:` tag (and the audit chain's head at sending as `folio_audit:`),
/// dimensions and tax code as posting tags.
fn transaction_json(
    journal: &Journal,
    reference: &JournalRef,
    audit_head: Option<&str>,
    chart: &Chart,
) -> Value {
    let no_pos = json!({"sourceColumn": 1, "sourceLine": 1, "sourceName": ""});
    let postings: Vec<Value> = journal
        .lines
        .iter()
        .map(|line| {
            let amount = signed(line);
            let mut tags: Vec<(String, String)> = line
                .dimensions
                .iter()
                .map(|(k, v)| (meta_key(k), tag_value(v)))
                .collect();
            if let Some(tax) = &line.tax_code {
                tags.push(("tax_code".to_owned(), tag_value(tax)));
            }
            let comment = tags
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(", ");
            json!({
                "paccount": chart.name_or_code(&line.account),
                "pamount": [{
                    "acommodity": line.currency.code(),
                    "aprice": null,
                    "aquantity": {
                        "decimalMantissa": amount.mantissa(),
                        "decimalPlaces": amount.scale(),
                        "floatingPoint": 0,
                    },
                    "astyle": {
                        "ascommodityside": "R",
                        "ascommodityspaced": true,
                        "asdecimalpoint": ".",
                        "asdigitgroups": null,
                        "asprecision": line.currency.minor_units(),
                    },
                }],
                "pbalanceassertion": null,
                "pcomment": if comment.is_empty() { String::new() } else { format!("{comment}\n") },
                "pdate": null,
                "pdate2": null,
                "poriginal": null,
                "pstatus": "Unmarked",
                "ptags": tags,
                "ptransaction_": "0",
                "ptype": "RegularPosting",
            })
        })
        .collect();
    let mut tags = vec![("folio_ref".to_owned(), reference.as_str().to_owned())];
    if let Some(head) = audit_head {
        tags.push(("folio_audit".to_owned(), tag_value(head).replace(' ', "")));
    }
    let tcomment = tags
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    json!({
        "tcode": "",
        "tcomment": format!("{tcomment}\n"),
        "tdate": journal.date.to_string(),
        "tdate2": null,
        // A `;` would start the comment early (and could carry a tag): never in the description.
        "tdescription": journal.memo.replace(['\n', '\r', ';'], " ").trim(),
        "tindex": 0,
        "tprecedingcomment": "",
        "tsourcepos": [no_pos.clone(), no_pos],
        "tstatus": "Cleared",
        "ttags": tags,
        "tpostings": postings,
    })
}

/// Whether the journal text has a transaction tagged `folio_ref:<reference>`: on a transaction's
/// first line (unindented, starting with its date), as the whole tag value.
fn journal_has(text: &str, reference: &str) -> bool {
    let tag = format!("folio_ref:{reference}");
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .any(|l| {
            l.match_indices(&tag).any(|(i, _)| {
                !l[i + tag.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        })
}

/// What a look-up found: the transactions by reference, and the references hledger-web does not
/// show whose absence could not be confirmed in the journal file.
#[derive(Debug, Default)]
struct Located {
    found: BTreeMap<String, Transaction>,
    unconfirmed: Vec<String>,
}

impl HledgerWeb {
    /// hledger-web at `url` (`http://127.0.0.1:5000`), naming accounts from `accounts`. `journal`
    /// is the journal file it serves, when Folio can read it and it is not the one hledger-web
    /// names itself; `auth` is the user and secret of a reverse proxy in front of it, if any.
    pub fn new(
        url: &str,
        accounts: &[Account],
        timeout: Duration,
        auth: Option<(String, String)>,
        journal: Option<PathBuf>,
    ) -> Result<HledgerWeb, GlError> {
        let base = url.trim_end_matches('/').to_owned();
        Ok(HledgerWeb {
            inner: Arc::new(Inner {
                gate: crate::fava::gate_for(&base),
                base,
                http: Http {
                    auth,
                    doubtful_statuses: &[403],
                    ..Http::new(ConnectorKind::HledgerWeb.as_str(), timeout)?
                },
                chart: Chart::new(accounts),
                calls: CallLog::default(),
                journal_given: journal.is_some(),
                journal: Mutex::new(journal),
            }),
        })
    }
}

impl Inner {
    fn journal_path(&self) -> Option<PathBuf> {
        self.journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every transaction hledger-web shows that has a Folio reference, by reference. Learns the
    /// journal file from them when none was given.
    async fn view(&self, operation: &str) -> Result<BTreeMap<String, Transaction>, GlError> {
        let url = format!("{}/transactions", self.base);
        let response = self
            .http
            .read(&self.calls, operation, || self.http.get(&url))
            .await?;
        let all: Vec<Transaction> = json(response, operation).await?;
        if !self.journal_given {
            let named = all
                .iter()
                .filter_map(|t| t.tsourcepos.first())
                .map(|p| PathBuf::from(&p.name))
                .find(|p| p.is_absolute());
            if let Some(path) = named.filter(|p| p.is_file()) {
                *self
                    .journal
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(path);
            }
        }
        let mut by_ref = BTreeMap::new();
        for t in all {
            if let Some(reference) = t.reference().map(str::to_owned) {
                by_ref.entry(reference).or_insert(t);
            }
        }
        Ok(by_ref)
    }

    /// The transactions of `refs`, read so that a stale hledger-web never hides one (see the
    /// module docs): a reference hledger-web does not show is searched in the journal file; one
    /// the file has makes hledger-web load the file again and is looked up once more, and if
    /// hledger-web still does not show it the outcome is unknown. A reference neither shows is
    /// absent; without a readable journal file it is `unconfirmed`.
    async fn locate(&self, refs: &[&str], operation: &str) -> Result<Located, GlError> {
        let wanted: BTreeSet<&str> = refs.iter().copied().collect();
        let mut found = self.view(operation).await?;
        found.retain(|r, _| wanted.contains(r.as_str()));
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|r| !found.contains_key(*r))
            .collect();
        if missing.is_empty() {
            return Ok(Located {
                found,
                unconfirmed: Vec::new(),
            });
        }
        let Some(path) = self.journal_path() else {
            return Ok(Located {
                found,
                unconfirmed: missing.into_iter().map(str::to_owned).collect(),
            });
        };
        let text = read_journal(&path).await?;
        let in_file: Vec<&str> = missing
            .into_iter()
            .filter(|r| journal_has(&text, r))
            .collect();
        if in_file.is_empty() {
            return Ok(Located {
                found,
                unconfirmed: Vec::new(),
            });
        }
        touch(&path).await?;
        let mut again = self.view(operation).await?;
        for reference in in_file {
            match again.remove(reference) {
                Some(t) => {
                    found.insert(reference.to_owned(), t);
                }
                None => {
                    return Err(GlError::unknown(format!(
                        "{reference} is in the journal file but hledger-web does not show it yet"
                    )));
                }
            }
        }
        Ok(Located {
            found,
            unconfirmed: Vec::new(),
        })
    }

    /// Adds one transaction.
    async fn add(&self, out: &Outgoing) -> Result<(), GlError> {
        let url = format!("{}/add", self.base);
        let body = transaction_json(
            &out.journal,
            &out.reference,
            out.audit_head.as_deref(),
            &self.chart,
        );
        self.http
            .send(
                &self.calls,
                "post",
                self.http.request(reqwest::Method::PUT, &url).json(&body),
            )
            .await
            .map_err(|e| match e {
                // hledger-web answers 400 for JSON it cannot read: nothing was booked.
                GlError::Permanent { message, field } => GlError::Permanent {
                    message: format!("hledger-web does not accept the transaction: {message}"),
                    field,
                },
                other => other,
            })?;
        Ok(())
    }

    async fn post(&self, batch: &[Outgoing]) -> Result<BatchOutcome, GlError> {
        let mut results: BTreeMap<&str, Result<Posted, GlError>> = BTreeMap::new();
        let mut candidates = Vec::new();
        for out in batch {
            match self.chart.check(&out.journal) {
                Err(e) => {
                    results.insert(out.reference.as_str(), Err(e));
                }
                Ok(()) => candidates.push(out),
            }
        }
        if candidates.is_empty() {
            return Ok(outcome(batch, &results));
        }
        let refs: Vec<&str> = candidates.iter().map(|o| o.reference.as_str()).collect();
        // A reference whose absence is unconfirmed is written: the outbox sends only journals it
        // knows are not in the GL (it resolves every doubt with `lookup` first, which does not
        // accept an unconfirmed absence); this look-up only spares a second write.
        let present = self.locate(&refs, "lookup").await?.found;
        // Each journal sent, with the error of its add when the answer was lost.
        let mut sent: Vec<(&Outgoing, Option<GlError>)> = Vec::new();
        let mut stop: Option<GlError> = None;
        for out in candidates {
            let reference = out.reference.as_str();
            if results.contains_key(reference)
                || sent.iter().any(|(o, _)| o.reference == out.reference)
            {
                continue; // the same journal twice in one batch
            }
            if let Some(t) = present.get(reference) {
                results.insert(
                    reference,
                    Ok(Posted {
                        gl_id: t.gl_id(),
                        receipt: "already in the journal".into(),
                    }),
                );
                continue;
            }
            if let Some(e) = &stop {
                results.insert(reference, Err(e.clone()));
                continue;
            }
            match self.add(out).await {
                Ok(()) => sent.push((out, None)),
                // Read back below: it may be there.
                Err(e @ GlError::Unknown { .. }) => sent.push((out, Some(e))),
                Err(e @ (GlError::Retryable { .. } | GlError::RateLimited { .. })) => {
                    // Nothing was booked, and the next request would meet the same.
                    results.insert(reference, Err(e.clone()));
                    stop = Some(e);
                }
                Err(e) => {
                    results.insert(reference, Err(e));
                }
            }
        }
        if sent.is_empty() {
            return Ok(outcome(batch, &results));
        }
        let refs: Vec<&str> = sent.iter().map(|(o, _)| o.reference.as_str()).collect();
        let back = match self.locate(&refs, "read_back").await {
            Ok(back) => back,
            Err(e) => {
                for (out, _) in &sent {
                    results.insert(
                        out.reference.as_str(),
                        Err(GlError::unknown(format!("sent but not read back: {e}"))),
                    );
                }
                return Ok(outcome(batch, &results));
            }
        };
        for (out, lost) in sent {
            let reference = out.reference.as_str();
            let expected = expected_postings(&out.journal, &self.chart);
            let result = match (back.found.get(reference), lost) {
                (Some(t), _) if t.postings() == expected => Ok(Posted {
                    gl_id: t.gl_id(),
                    receipt: "added and read back".into(),
                }),
                (Some(t), _) => Err(GlError::permanent(
                    format!(
                        "hledger-web booked {reference} at {} with the postings {:?} instead of \
                         {expected:?}; the entry needs correcting in the journal",
                        t.gl_id(),
                        t.postings(),
                    ),
                    None,
                )),
                (None, _) if back.unconfirmed.iter().any(|r| r == reference) => {
                    Err(GlError::unknown(
                        "hledger-web does not show the transaction, and its journal file cannot \
                         be read here to tell whether it has not loaded it yet",
                    ))
                }
                // The answer was lost and the transaction is not there (yet): the request may
                // still be on its way, so the outcome stays unknown.
                (None, Some(lost)) => Err(lost),
                (None, None) => Err(GlError::unknown(
                    "hledger-web accepted the transaction but it is not in the journal",
                )),
            };
            results.insert(reference, result);
        }
        Ok(outcome(batch, &results))
    }

    async fn master_data(&self) -> Result<GlMasterData, GlError> {
        let url = format!("{}/accountnames", self.base);
        let response = self
            .http
            .read(&self.calls, "master_data", || self.http.get(&url))
            .await?;
        let names: Vec<String> = json(response, "master_data").await?;
        Ok(GlMasterData {
            accounts: names.iter().filter_map(|n| parse_account_name(n)).collect(),
            ..GlMasterData::default()
        })
    }
}

async fn read_journal(path: &Path) -> Result<String, GlError> {
    let path = path.to_path_buf();
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || std::fs::read_to_string(&path))
        .await
        .map_err(|e| GlError::unknown(format!("reading {shown}: {e}")))?
        .map_err(|e| GlError::unknown(format!("cannot read hledger-web's journal {shown}: {e}")))
}

/// Sets the file's modification time to now, without changing its content, so that hledger-web
/// loads it again on the next request.
async fn touch(path: &Path) -> Result<(), GlError> {
    let path = path.to_path_buf();
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)?
            .set_modified(SystemTime::now())
    })
    .await
    .map_err(|e| GlError::unknown(format!("touching {shown}: {e}")))?
    .map_err(|e| {
        GlError::unknown(format!(
            "cannot make hledger-web reload {shown} (setting its modification time): {e}"
        ))
    })
}

impl Connector for HledgerWeb {
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::HledgerWeb
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            drafts: false,
            server_idempotency: false,
            lookup_by_reference: true,
            attachments: false,
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
        let located = self.inner.locate(&refs, "lookup").await?;
        if let Some(reference) = located.unconfirmed.first() {
            return Err(GlError::unknown(format!(
                "hledger-web does not show {reference}, and without its journal file (connect \
                 with --ledger FILE) Folio cannot tell whether hledger-web has not loaded it yet"
            )));
        }
        Ok(references
            .iter()
            .filter_map(|r| {
                let t = located.found.get(r.as_str())?;
                Some((
                    r.clone(),
                    Posted {
                        gl_id: t.gl_id(),
                        receipt: "found in the journal".into(),
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
    use folio_domain::{AccountKind, Currency, JournalLine, JournalStatus};

    fn chart() -> Chart {
        let account = |code: &str, name: &str, kind| Account {
            code: code.into(),
            name: name.into(),
            kind,
            postable: true,
            active: true,
        };
        Chart::new(&[
            account("4930", "Office", AccountKind::Expense),
            account("1600", "Payables", AccountKind::Liability),
        ])
    }

    fn journal(currency: &str, amount: Decimal) -> Journal {
        let currency = Currency::parse(currency).unwrap();
        let line = |account: &str, side| JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount,
            currency,
            dimensions: BTreeMap::from([("cost centre".to_owned(), "CC-1, x".to_owned())]),
            tax_code: None,
            source: None,
        };
        Journal {
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            memo: "a; folio_ref:FX-1\nb".into(),
            status: JournalStatus::Approved,
            lines: vec![line("4930", Side::Debit), line("1600", Side::Credit)],
        }
    }

    #[test]
    fn amounts_are_exact_with_the_currencys_precision_and_read_back_alike() {
        let cases = [
            ("JPY", Decimal::new(1234, 0), 1234, 0, 0),
            ("EUR", Decimal::new(1234, 2), 1234, 2, 2),
            ("EUR", Decimal::new(5, 0), 500, 2, 2),
            ("KWD", Decimal::new(1, 3), 1, 3, 3),
        ];
        let chart = chart();
        let reference = JournalRef::new("AB", 7).unwrap();
        for (currency, amount, mantissa, places, precision) in cases {
            let journal = journal(currency, amount);
            let body = transaction_json(&journal, &reference, None, &chart);
            let credit = &body["tpostings"][1]["pamount"][0];
            assert_eq!(
                credit["aquantity"]["decimalMantissa"], -mantissa,
                "{currency}"
            );
            assert_eq!(credit["aquantity"]["decimalPlaces"], places, "{currency}");
            assert_eq!(credit["astyle"]["asprecision"], precision, "{currency}");
            // What hledger-web sends back for it reads as the same postings.
            let back: Transaction = serde_json::from_value(json!({
                "ttags": [["folio_ref", "FAB-7"]],
                "tsourcepos": [{"sourceName": "/x/main.journal", "sourceLine": 12, "sourceColumn": 1}],
                "tpostings": body["tpostings"].clone(),
            }))
            .unwrap();
            assert_eq!(back.postings(), expected_postings(&journal, &chart));
            assert_eq!(back.gl_id(), "main.journal:12");
            assert_eq!(back.reference(), Some("FAB-7"));
        }
    }

    #[test]
    fn description_and_tags_cannot_carry_another_reference() {
        let body = transaction_json(
            &journal("EUR", Decimal::ONE),
            &JournalRef::new("AB", 7).unwrap(),
            None,
            &chart(),
        );
        assert_eq!(body["tdescription"], "a  folio_ref:FX-1 b");
        assert_eq!(body["tcomment"], "folio_ref:FAB-7\n");
        assert_eq!(body["tpostings"][0]["pcomment"], "cost_centre:CC-1  x\n");
    }

    #[test]
    fn the_journal_file_is_searched_for_whole_references_on_transaction_lines() {
        let text = "commodity 1000.00 EUR\n\
                    2026-01-02 * x  ; folio_ref:FAB-10\n    Expenses:A  1.00 EUR  ; note:folio_ref:FAB-2\n\
                    ; folio_ref:FAB-3\n";
        assert!(journal_has(text, "FAB-10"));
        assert!(!journal_has(text, "FAB-1"));
        assert!(
            !journal_has(text, "FAB-2"),
            "a posting comment is not the reference"
        );
        assert!(
            !journal_has(text, "FAB-3"),
            "a comment line is not a transaction"
        );
    }

    #[test]
    fn the_audit_head_is_a_transaction_tag_after_the_reference() {
        let head = format!("42-{}", "ab".repeat(32));
        let body = transaction_json(
            &journal("EUR", Decimal::ONE),
            &JournalRef::new("AB", 7).unwrap(),
            Some(&head),
            &chart(),
        );
        assert_eq!(
            body["tcomment"],
            format!("folio_ref:FAB-7, folio_audit:{head}\n")
        );
        assert_eq!(body["ttags"][1], json!(["folio_audit", head]));
        assert!(journal_has(
            &format!("2026-01-02 * x  ; folio_ref:FAB-7, folio_audit:{head}\n"),
            "FAB-7"
        ));
    }
}
