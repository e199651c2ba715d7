//! What the learned suggester learns from (migration 0004): imported history files, the lines of
//! approved journals, and the vendors it must forget; plus the exchange-rate table.
//!
//! A history file is imported whole or not at all, in one transaction with one audit event that
//! names the file, its SHA-256 and the row count; the same file twice is refused. Forgetting a
//! vendor deletes its history lines and records the moment, so that approved journals of that
//! vendor from before it are not learned from either — in one audited transaction.

use crate::audit::{self, NewEvent};
use crate::documents::{date_text, decimal_text, parse_date, parse_decimal};
use crate::{Change, DocumentId, JournalId, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::Currency;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A coded line of a history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHistoryLine {
    /// 1-based data row of the file.
    pub row_no: u32,
    pub date: NaiveDate,
    pub supplier: String,
    /// The suggester's normalised supplier key (for forgetting a vendor).
    pub supplier_key: String,
    pub description: String,
    pub amount: Decimal,
    pub account: String,
    pub cost_centre: String,
    pub vat_category: Option<String>,
}

/// A stored history line with the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHistoryLine {
    pub file_name: String,
    pub line: NewHistoryLine,
}

/// One imported history file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryImport {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub row_count: u32,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

/// A vendor whose learned history was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgottenVendor {
    pub supplier_key: String,
    pub name: String,
    pub forgotten_at: DateTime<Utc>,
    pub forgotten_by: String,
}

/// A coded line of an approved (or queued, or posted) journal: approved history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedLine {
    pub journal: JournalId,
    pub document: DocumentId,
    pub number: String,
    /// 1-based document line the posting comes from.
    pub line_no: u32,
    pub date: NaiveDate,
    /// When the journal was approved: its last live approval (for a journal approved without a
    /// recorded decision, its last status change). It does not move when the journal is later
    /// queued or posted, so a vendor forgotten in between stays forgotten.
    pub approved_at: DateTime<Utc>,
    pub supplier: String,
    pub description: String,
    /// Debit positive, credit negative.
    pub amount: Decimal,
    pub account: String,
    pub dimensions: BTreeMap<String, String>,
}

/// One rate of the exchange-rate table: 1 `from` = `rate` `to` from `valid_from` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRate {
    pub from: Currency,
    pub to: Currency,
    pub valid_from: NaiveDate,
    pub rate: Decimal,
}

/// What the learned suggester learns from, summed up so that a model trained on one state can
/// tell what changed since ([`LearningState::journals_added_since`]): the imported history (its
/// line count and newest import), the forgotten vendors, the current approved (queued, posted)
/// journals, and the "don't learn" marks on their documents' lines.
///
/// The lines of a journal that is approved or later cannot change (triggers), nor can a person's
/// value be recorded for a document whose journal is not a draft, so a journal that stays in the
/// set teaches the same lines; what an earlier model lacks is exactly the journals added.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LearningState {
    pub history_lines: u64,
    pub newest_import: i64,
    pub forgotten: Vec<ForgottenVendor>,
    /// The current journal of each document whose journal is approved, queued or posted.
    pub journals: BTreeMap<JournalId, DocumentId>,
    /// `(document, line)` a person marked "don't learn from this", on those documents only.
    pub no_learn: BTreeSet<(DocumentId, u32)>,
}

impl LearningState {
    /// The journals approved since `earlier`, when nothing else that is learned from changed;
    /// otherwise what else changed (a model of `earlier` must then be retrained in full).
    pub fn journals_added_since(&self, earlier: &LearningState) -> Result<Vec<JournalId>, String> {
        if (self.history_lines, self.newest_import)
            != (earlier.history_lines, earlier.newest_import)
        {
            return Err(format!(
                "the imported history changed ({} lines of imports up to {} then, {} lines up to \
                 {} now)",
                earlier.history_lines,
                earlier.newest_import,
                self.history_lines,
                self.newest_import
            ));
        }
        if self.forgotten != earlier.forgotten {
            return Err("the forgotten vendors changed".to_owned());
        }
        if let Some((id, document)) = earlier
            .journals
            .iter()
            .find(|(id, document)| self.journals.get(id) != Some(document))
        {
            return Err(format!(
                "{id} of {document} is no longer the approved journal of its document"
            ));
        }
        let documents: BTreeSet<DocumentId> = earlier.journals.values().copied().collect();
        let marks: BTreeSet<(DocumentId, u32)> = self
            .no_learn
            .iter()
            .filter(|(document, _)| documents.contains(document))
            .copied()
            .collect();
        if marks != earlier.no_learn {
            return Err("a line of an approved journal was marked \"don't learn\"".to_owned());
        }
        Ok(self
            .journals
            .keys()
            .filter(|id| !earlier.journals.contains_key(id))
            .copied()
            .collect())
    }
}

fn bad(what: String) -> StoreError {
    StoreError::corrupt(what)
}

/// Every row of `sql` as a tuple of its columns.
pub(crate) fn select_rows<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError>
where
    T: for<'a> TryFrom<&'a rusqlite::Row<'a>, Error = rusqlite::Error>,
{
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(params, |r| T::try_from(r))?
        .collect::<Result<Vec<T>, _>>()?;
    Ok(rows)
}

/// At most this many skipped row numbers are written into the import's audit event (the count
/// is always complete).
pub const MAX_AUDITED_SKIPPED_ROWS: usize = 1000;

impl Store {
    /// Imports the lines of one history file, in one transaction with one audit event
    /// (`history.import`, with the rows the person chose to skip). Refuses a file imported before (same SHA-256), naming the earlier
    /// import, and touches nothing then.
    pub fn import_history(
        &mut self,
        file_name: &str,
        sha256: &str,
        lines: &[NewHistoryLine],
        skipped_rows: &[u32],
        change: &Change,
    ) -> Result<HistoryImport, StoreError> {
        crate::blobs::check_sha256(sha256)?;
        let at = timestamp(change.at);
        let tx = self.begin()?;
        let earlier: Option<(String, String)> = tx
            .query_row(
                "SELECT file_name, imported_at FROM history_imports WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((name, when)) = earlier {
            return Err(StoreError::Invalid {
                what: format!(
                    "history file {file_name}: the same file was imported already (as {name} at \
                     {when})"
                ),
            });
        }
        let row_count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
        tx.execute(
            "INSERT INTO history_imports (file_name, sha256, row_count, imported_at, \
             imported_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![file_name, sha256, row_count, at, change.actor],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO history_lines (import_id, row_no, date, supplier, supplier_key, \
                 description, amount, account, cost_centre, vat_category) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for l in lines {
                insert.execute(params![
                    id,
                    l.row_no,
                    date_text(l.date),
                    l.supplier,
                    l.supplier_key,
                    l.description,
                    decimal_text(l.amount),
                    l.account,
                    l.cost_centre,
                    l.vat_category
                ])?;
            }
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "history.import",
                entity: "history",
                entity_id: &id.to_string(),
                before: None,
                after: Some(audit::to_json(&serde_json::json!({
                    "file_name": file_name,
                    "sha256": sha256,
                    "rows": row_count,
                    "skipped_rows": skipped_rows.len(),
                    "skipped_row_numbers": &skipped_rows[..skipped_rows.len().min(MAX_AUDITED_SKIPPED_ROWS)],
                }))?),
            },
        )?;
        tx.commit()?;
        Ok(HistoryImport {
            id,
            file_name: file_name.to_owned(),
            sha256: sha256.to_owned(),
            row_count,
            imported_at: change.at,
            imported_by: change.actor.clone(),
        })
    }

    /// Every imported history line, file by file, row by row.
    pub fn history_lines(&self) -> Result<Vec<StoredHistoryLine>, StoreError> {
        type Row = (
            String,
            u32,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = select_rows(
            self.conn(),
            "SELECT i.file_name, l.row_no, l.date, l.supplier, l.supplier_key, l.description, \
             l.amount, l.account, l.cost_centre, l.vat_category \
             FROM history_lines l JOIN history_imports i ON i.id = l.import_id \
             ORDER BY l.import_id, l.row_no",
            [],
        )?;
        rows.into_iter()
            .map(
                |(
                    file_name,
                    row_no,
                    date,
                    supplier,
                    key,
                    description,
                    amount,
                    account,
                    cc,
                    vat,
                )| {
                    Ok(StoredHistoryLine {
                        line: NewHistoryLine {
                            row_no,
                            date: parse_date(&date, "history line date")?,
                            supplier,
                            supplier_key: key,
                            description,
                            amount: parse_decimal(&amount, "history line amount")?,
                            account,
                            cost_centre: cc,
                            vat_category: vat,
                        },
                        file_name,
                    })
                },
            )
            .collect()
    }

    /// A cheap key that changes whenever what the suggester learns from may have changed: the
    /// history (line count, newest import), the forgotten vendors, the set of approved (queued,
    /// posted) journals (count, sum of ids, latest status change), any new journal version, and
    /// the "don't learn" marks (count, latest) — all read from indexes. A model keyed by it is
    /// current while it is unchanged; when it changes, [`Store::learning_state`] tells what did.
    pub fn learning_fingerprint(&self) -> Result<String, StoreError> {
        Ok(self.conn().query_row(
            "SELECT (SELECT count(*) || '/' || coalesce(max(import_id), 0) FROM history_lines) \
             || ';' || (SELECT count(*) || '/' || coalesce(max(forgotten_at), '') \
                        FROM forgotten_vendors) \
             || ';' || (SELECT count(*) || '/' || coalesce(sum(id), 0) || '/' \
                               || coalesce(max(updated_at), '') FROM journals \
                        WHERE status IN ('approved', 'queued', 'posted')) \
             || ';' || (SELECT coalesce(max(id), 0) FROM journals) \
             || ';' || (SELECT count(*) || '/' || coalesce(max(created_at), '') FROM suggestions \
                        WHERE source = 'person' AND learn = 0)",
            [],
            |r| r.get(0),
        )?)
    }

    /// What the suggester learns from now, summed up (see [`LearningState`]). Read inside
    /// [`Store::read_consistently`] together with the lines it describes.
    pub fn learning_state(&self) -> Result<LearningState, StoreError> {
        let (history_lines, newest_import): (i64, i64) = self.conn().query_row(
            "SELECT count(*), coalesce(max(import_id), 0) FROM history_lines",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let journals: Vec<(i64, i64)> = select_rows(
            self.conn(),
            &format!("SELECT j.id, j.document_id FROM journals j WHERE {CURRENT_APPROVED}"),
            [],
        )?;
        let journals: BTreeMap<JournalId, DocumentId> = journals
            .into_iter()
            .map(|(j, d)| (JournalId(j), DocumentId(d)))
            .collect();
        let documents: BTreeSet<DocumentId> = journals.values().copied().collect();
        let marks: Vec<(i64, u32)> = select_rows(
            self.conn(),
            "SELECT DISTINCT document_id, line_no FROM suggestions \
             INDEXED BY suggestions_not_learned WHERE source = 'person' AND learn = 0",
            [],
        )?;
        Ok(LearningState {
            history_lines: u64::try_from(history_lines).unwrap_or_default(),
            newest_import,
            forgotten: self.forgotten_vendors()?,
            no_learn: marks
                .into_iter()
                .map(|(d, line)| (DocumentId(d), line))
                .filter(|(d, _)| documents.contains(d))
                .collect(),
            journals,
        })
    }

    /// Runs `read` in one read transaction: everything it reads belongs to one state of the
    /// database, even while another process writes (a model's [`LearningState`] must describe
    /// exactly the lines it was trained on).
    pub fn read_consistently<T, E: From<StoreError>>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| E::from(e.into()))?;
        let out = read(self)?;
        tx.commit().map_err(|e| E::from(e.into()))?;
        Ok(out)
    }

    /// Drops what was learned from a vendor: deletes its history lines and records that approved
    /// journals of it from before now are not to be learned from, in one transaction with one
    /// audit event (`vendor.forget`). Returns the number of history lines deleted.
    pub fn forget_vendor(
        &mut self,
        supplier_key: &str,
        name: &str,
        change: &Change,
    ) -> Result<usize, StoreError> {
        if supplier_key.trim().is_empty() {
            return Err(StoreError::Invalid {
                what: format!("vendor '{name}' (its name has no letters or digits)"),
            });
        }
        let tx = self.begin()?;
        let deleted = tx.execute(
            "DELETE FROM history_lines WHERE supplier_key = ?1",
            [supplier_key],
        )?;
        tx.execute(
            "INSERT INTO forgotten_vendors (supplier_key, name, forgotten_at, forgotten_by) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![supplier_key, name, timestamp(change.at), change.actor],
        )?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "vendor.forget",
                entity: "vendor",
                entity_id: supplier_key,
                before: None,
                after: Some(audit::to_json(&serde_json::json!({
                    "name": name,
                    "history_lines_deleted": deleted,
                }))?),
            },
        )?;
        tx.commit()?;
        Ok(deleted)
    }

    /// Every forgotten vendor, oldest first.
    pub fn forgotten_vendors(&self) -> Result<Vec<ForgottenVendor>, StoreError> {
        let rows: Vec<(String, String, String, String)> = select_rows(
            self.conn(),
            "SELECT supplier_key, name, forgotten_at, forgotten_by FROM forgotten_vendors \
             ORDER BY forgotten_at, supplier_key",
            [],
        )?;
        rows.into_iter()
            .map(|(supplier_key, name, at, forgotten_by)| {
                Ok(ForgottenVendor {
                    forgotten_at: parse_timestamp(&at)
                        .ok_or_else(|| bad(format!("forgotten vendor {name}: time '{at}'")))?,
                    supplier_key,
                    name,
                    forgotten_by,
                })
            })
            .collect()
    }

    /// The expense lines (postings from a document line) of every current journal that is
    /// approved, queued or posted.
    pub fn approved_lines(&self) -> Result<Vec<ApprovedLine>, StoreError> {
        approved_lines_where(self.conn(), "", [])
    }

    /// [`Store::approved_lines`] of the given journals only (those of them that are current and
    /// approved, queued or posted), journal by journal.
    pub fn approved_lines_of(
        &self,
        journals: &[JournalId],
    ) -> Result<Vec<ApprovedLine>, StoreError> {
        let mut lines = Vec::new();
        for id in journals {
            lines.extend(approved_lines_where(self.conn(), "AND j.id = ?1", [id.0])?);
        }
        Ok(lines)
    }

    /// The exchange-rate table, by currency pair and date.
    pub fn exchange_rates(&self) -> Result<Vec<StoredRate>, StoreError> {
        let rows: Vec<(String, String, String, String)> = select_rows(
            self.conn(),
            "SELECT from_currency, to_currency, valid_from, rate FROM exchange_rates \
             ORDER BY from_currency, to_currency, valid_from",
            [],
        )?;
        rows.into_iter()
            .map(|(from, to, valid_from, rate)| {
                let currency =
                    |c: &str| Currency::parse(c).map_err(|e| bad(format!("exchange rate: {e}")));
                Ok(StoredRate {
                    from: currency(&from)?,
                    to: currency(&to)?,
                    valid_from: parse_date(&valid_from, "exchange rate date")?,
                    rate: parse_decimal(&rate, "exchange rate")?,
                })
            })
            .collect()
    }

    /// Adds rates to the table (replacing a rate of the same pair and date), in one transaction
    /// with one audit event (`exchange_rates.save`).
    pub fn save_exchange_rates(
        &mut self,
        rates: &[StoredRate],
        change: &Change,
    ) -> Result<(), StoreError> {
        if let Some(r) = rates
            .iter()
            .find(|r| r.rate <= Decimal::ZERO || r.from == r.to)
        {
            return Err(StoreError::Invalid {
                what: format!(
                    "exchange rate 1 {} = {} {} (a rate is positive and between two currencies)",
                    r.from, r.rate, r.to
                ),
            });
        }
        let tx = self.begin()?;
        for r in rates {
            tx.execute(
                "INSERT INTO exchange_rates (from_currency, to_currency, valid_from, rate) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (from_currency, to_currency, valid_from) \
                 DO UPDATE SET rate = excluded.rate",
                params![
                    r.from.code(),
                    r.to.code(),
                    date_text(r.valid_from),
                    decimal_text(r.rate.normalize())
                ],
            )?;
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "exchange_rates.save",
                entity: "master_data",
                entity_id: "exchange_rates",
                before: None,
                after: Some(audit::to_json(rates)?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// The current journals that are approved, queued or posted (`j` is the journal).
const CURRENT_APPROVED: &str = "j.status IN ('approved', 'queued', 'posted') \
     AND j.version = (SELECT max(version) FROM journals k WHERE k.document_id = j.document_id)";

/// The expense lines of the current approved (queued, posted) journals, narrowed by `extra`.
fn approved_lines_where(
    conn: &Connection,
    extra: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ApprovedLine>, StoreError> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = select_rows(
        conn,
        &format!(
            "SELECT j.id, d.id, d.number, l.source, j.date, \
             coalesce((SELECT max(x.at) FROM journal_decisions x WHERE x.journal_id = j.id \
                       AND x.decision = 'approve' AND x.voided_at IS NULL), j.updated_at), \
             d.supplier_name, l.description, l.side, l.amount, l.account, l.dimensions_json \
             FROM journals j \
             JOIN documents d ON d.id = j.document_id \
             JOIN journal_lines l ON l.journal_id = j.id \
             WHERE {CURRENT_APPROVED} {extra} \
               AND l.source GLOB 'lines[[][0-9]*]' \
             ORDER BY j.date, d.id, l.line_no"
        ),
        params,
    )?;
    rows.into_iter()
        .map(
            |(
                journal,
                doc,
                number,
                source,
                date,
                at,
                supplier,
                description,
                side,
                amount,
                account,
                dims,
            )| {
                let index: u32 = source
                    .trim_start_matches("lines[")
                    .trim_end_matches(']')
                    .parse()
                    .map_err(|_| bad(format!("journal line source '{source}'")))?;
                let amount = parse_decimal(&amount, "journal line amount")?;
                Ok(ApprovedLine {
                    journal: JournalId(journal),
                    document: DocumentId(doc),
                    number,
                    line_no: index + 1,
                    date: parse_date(&date, "journal date")?,
                    approved_at: parse_timestamp(&at)
                        .ok_or_else(|| bad(format!("journal approval time '{at}'")))?,
                    supplier,
                    description,
                    amount: if side == "credit" { -amount } else { amount },
                    account,
                    dimensions: serde_json::from_str(&dims)
                        .map_err(|e| bad(format!("journal line dimensions: {e}")))?,
                })
            },
        )
        .collect()
}
