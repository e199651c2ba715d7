//! Reads for exports (`folio export …`): the journals of a period with their GL references.
//!
//! Exports only read. They take the current version of each document's journal, and only once a
//! person approved it (approved, queued or posted): a draft can still change and a rejected
//! version is history, so neither belongs in a ledger someone else books from.

use crate::documents::date_text;
use crate::history::select_rows;
use crate::{JournalId, Store, StoreError, StoredJournal};
use chrono::NaiveDate;

/// An approved (or later) journal and the reference it carries in the GL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedJournal {
    pub stored: StoredJournal,
    /// The outbox reference (`FK3AB-7`); every approved journal has one.
    pub reference: Option<String>,
}

impl Store {
    /// The current journal versions dated `from..=to` that are approved, queued or posted, by
    /// date and id.
    pub fn approved_journals_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ExportedJournal>, StoreError> {
        let rows: Vec<(i64, Option<String>)> = select_rows(
            self.conn(),
            "SELECT j.id, o.reference FROM journals j LEFT JOIN outbox o ON o.journal_id = j.id \
             WHERE j.date BETWEEN ?1 AND ?2 AND j.status IN ('approved', 'queued', 'posted') \
             AND j.version = (SELECT max(version) FROM journals v WHERE v.document_id = j.document_id) \
             ORDER BY j.date, j.id",
            [date_text(from), date_text(to)],
        )?;
        rows.into_iter()
            .map(|(id, reference)| {
                let stored = self.get_journal(JournalId(id))?.ok_or_else(|| {
                    StoreError::corrupt(format!("{} vanished while exported", JournalId(id)))
                })?;
                Ok(ExportedJournal { stored, reference })
            })
            .collect()
    }
}

/// Which lines `folio export lines` takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineFilter {
    /// Only documents whose change sequence is above this (what changed since an earlier export).
    pub after_seq: Option<i64>,
    /// Only journals dated on or after this.
    pub since: Option<NaiveDate>,
}

/// What an export of lines sees before its rows: taken in the same read transaction as the rows,
/// so `last_seq` covers exactly what was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinesSnapshot {
    /// The highest change sequence of the workspace when the export read it: pass it as
    /// `after_seq` next time to get only what changed since.
    pub last_seq: i64,
    /// The dimension codes of the master data, in order.
    pub dimensions: Vec<String>,
    /// The currency codes of the documents the filter selects.
    pub currencies: Vec<String>,
}

/// One coded journal line as read, borrowed from the database row (no copy per row).
#[derive(Debug, Clone, Copy)]
pub struct LineRow<'a> {
    pub change_seq: i64,
    pub document_id: i64,
    pub document_number: &'a str,
    pub doc_type: &'a str,
    pub supplier_name: &'a str,
    pub supplier_vat_id: Option<&'a str>,
    /// `YYYY-MM-DD`.
    pub issue_date: &'a str,
    pub due_date: Option<&'a str>,
    pub journal_id: i64,
    pub journal_version: i64,
    pub journal_status: &'a str,
    pub journal_date: &'a str,
    pub line_no: i64,
    pub account: &'a str,
    pub account_name: Option<&'a str>,
    pub description: &'a str,
    /// `debit` or `credit`.
    pub side: &'a str,
    /// Unsigned canonical decimal text.
    pub amount: &'a str,
    pub currency: &'a str,
    /// A JSON object of dimension code to value.
    pub dimensions_json: &'a str,
    pub tax_code: Option<&'a str>,
    /// The strongest source that proposed the line's account (`person`, `rule`, `model`,
    /// `fixed`), for lines that come from a document line.
    pub suggestion_source: Option<&'a str>,
    /// Its confidence, a decimal in [0, 1].
    pub suggestion_confidence: Option<&'a str>,
    /// Who recorded that proposal (for `person`, the reviewer who coded it).
    pub coded_by: Option<&'a str>,
    /// Who approved the journal (the approvals in force, in order, `; `-separated).
    pub approved_by: Option<&'a str>,
    /// When the last of them approved it, RFC 3339.
    pub approved_at: Option<&'a str>,
    /// The outbox state: `queued`, `sending`, `posted`, `rejected`, `unknown`.
    pub posting_status: Option<&'a str>,
    pub gl_reference: Option<&'a str>,
    pub gl_id: Option<&'a str>,
}

/// The proposal of one source for a line's account, through the covering index (a line comes
/// from document line `n` when its source is `lines[n-1]`).
macro_rules! proposal_join {
    ($alias:literal, $source:literal) => {
        concat!(
            "LEFT JOIN suggestions ",
            $alias,
            " INDEXED BY suggestions_export ON ",
            $alias,
            ".document_id = d.id AND l.source GLOB 'lines[[][0-9]*]' AND ",
            $alias,
            ".line_no = CAST(substr(l.source, 7) AS INTEGER) + 1 AND ",
            $alias,
            ".field = 'account' AND ",
            $alias,
            ".source = '",
            $source,
            "' "
        )
    };
}

/// Every line of each selected document's current journal. The strongest proposal for the line's
/// account is the first of person, rule, model, fixed that exists (four index look-ups: cheaper
/// than a sorted subquery per line).
const LINES_SQL: &str = concat!(
    "SELECT dc.change_seq, d.id, d.number, d.doc_type, d.supplier_name, d.supplier_vat_id, \
     d.issue_date, d.due_date, j.id, j.version, j.status, j.date, \
     l.line_no, l.account, a.name, l.description, l.side, l.amount, l.currency, \
     l.dimensions_json, l.tax_code, \
     coalesce(sp.source, sr.source, sm.source, sf.source), \
     coalesce(sp.confidence, sr.confidence, sm.confidence, sf.confidence), \
     coalesce(sp.created_by, sr.created_by, sm.created_by, sf.created_by), \
     ap.approvers, ap.approved_at, o.state, o.reference, o.gl_id \
     FROM document_changes dc \
     JOIN documents d ON d.id = dc.document_id \
     JOIN journals j ON j.document_id = d.id \
     AND j.version = (SELECT max(v.version) FROM journals v WHERE v.document_id = d.id) \
     JOIN journal_lines l ON l.journal_id = j.id \
     LEFT JOIN accounts a ON a.code = l.account \
     LEFT JOIN outbox o ON o.journal_id = j.id \
     LEFT JOIN (SELECT journal_id, group_concat(actor, '; ') AS approvers, max(at) AS approved_at \
                FROM (SELECT journal_id, actor, at FROM journal_decisions \
                      WHERE decision = 'approve' AND voided_at IS NULL ORDER BY id) \
                GROUP BY journal_id) ap ON ap.journal_id = j.id ",
    proposal_join!("sp", "person"),
    proposal_join!("sr", "rule"),
    proposal_join!("sm", "model"),
    proposal_join!("sf", "fixed"),
    "WHERE dc.change_seq > ?1 AND j.date >= ?2 ORDER BY dc.change_seq, l.line_no"
);

fn text<'a>(row: &'a rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'a str> {
    row.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn opt_text<'a>(row: &'a rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'a str>> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn line_row<'a>(r: &'a rusqlite::Row<'_>) -> rusqlite::Result<LineRow<'a>> {
    Ok(LineRow {
        change_seq: r.get(0)?,
        document_id: r.get(1)?,
        document_number: text(r, 2)?,
        doc_type: text(r, 3)?,
        supplier_name: text(r, 4)?,
        supplier_vat_id: opt_text(r, 5)?,
        issue_date: text(r, 6)?,
        due_date: opt_text(r, 7)?,
        journal_id: r.get(8)?,
        journal_version: r.get(9)?,
        journal_status: text(r, 10)?,
        journal_date: text(r, 11)?,
        line_no: r.get(12)?,
        account: text(r, 13)?,
        account_name: opt_text(r, 14)?,
        description: text(r, 15)?,
        side: text(r, 16)?,
        amount: text(r, 17)?,
        currency: text(r, 18)?,
        dimensions_json: text(r, 19)?,
        tax_code: opt_text(r, 20)?,
        suggestion_source: opt_text(r, 21)?,
        suggestion_confidence: opt_text(r, 22)?,
        coded_by: opt_text(r, 23)?,
        approved_by: opt_text(r, 24)?,
        approved_at: opt_text(r, 25)?,
        posting_status: opt_text(r, 26)?,
        gl_reference: opt_text(r, 27)?,
        gl_id: opt_text(r, 28)?,
    })
}

/// What receives an export of lines: the snapshot first, then one row at a time.
pub trait LineVisitor {
    type Error: From<StoreError>;
    fn start(&mut self, snapshot: &LinesSnapshot) -> Result<(), Self::Error>;
    fn row(&mut self, row: &LineRow<'_>) -> Result<(), Self::Error>;
}

impl Store {
    /// The highest change sequence so far (0 in a workspace without documents).
    pub fn last_change_seq(&self) -> Result<i64, StoreError> {
        Ok(self.conn().query_row(
            "SELECT coalesce(max(change_seq), 0) FROM document_changes",
            [],
            |r| r.get(0),
        )?)
    }

    /// Streams every line of the current journal of each document the filter selects, by change
    /// sequence and line: the visitor gets the snapshot first, then one row at a time (nothing
    /// is collected). All of it is read in one read transaction, so rows and `last_seq` agree
    /// even while another process writes.
    pub fn export_lines<V: LineVisitor>(
        &self,
        filter: &LineFilter,
        visitor: &mut V,
    ) -> Result<LinesSnapshot, V::Error> {
        let sql = |e: rusqlite::Error| V::Error::from(StoreError::from(e));
        let tx = self.conn().unchecked_transaction().map_err(sql)?;
        let after = filter.after_seq.unwrap_or(0);
        let since = filter.since.map(date_text).unwrap_or_default();
        let last_seq = tx
            .query_row(
                "SELECT coalesce(max(change_seq), 0) FROM document_changes",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let dimensions: Vec<(String,)> =
            select_rows(&tx, "SELECT code FROM dimensions ORDER BY code", [])?;
        let currencies: Vec<(String,)> = select_rows(
            &tx,
            "SELECT DISTINCT d.currency FROM document_changes dc \
             JOIN documents d ON d.id = dc.document_id WHERE dc.change_seq > ?1 ORDER BY 1",
            [after],
        )?;
        let snapshot = LinesSnapshot {
            last_seq,
            dimensions: dimensions.into_iter().map(|(c,)| c).collect(),
            currencies: currencies.into_iter().map(|(c,)| c).collect(),
        };
        visitor.start(&snapshot)?;
        {
            let mut stmt = tx.prepare(LINES_SQL).map_err(sql)?;
            let mut rows = stmt.query(rusqlite::params![after, since]).map_err(sql)?;
            while let Some(r) = rows.next().map_err(sql)? {
                visitor.row(&line_row(r).map_err(sql)?)?;
            }
        }
        drop(tx);
        Ok(snapshot)
    }
}
