//! The review queue: one page of the documents matching a filter, in a chosen order, counted and
//! filtered in SQL so that a window over 100,000 documents only ever reads the rows it shows.
//!
//! Amounts are decimal text, so SQLite's own comparisons would order `"9.50"` after `"10.00"`.
//! The connection therefore carries the `folio_decimal` collation ([`register_collation`]),
//! which compares two decimal strings exactly (as `rust_decimal`, never as floats); amount
//! ranges use it. The amount order reads `payable_order` (migration 0011), a text key computed
//! from the amount whose plain order is numeric order, so that an index serves it. A document's journal status and the confidence of its
//! weakest coded value come from `queue_facts`, which triggers keep (migration 0009), so neither
//! is recomputed per row. Confidences are `0.xyz`, `1` or `1.000` (the CHECK of
//! `suggestions.confidence`), for which text order is numeric order up to trailing zeros, so `<`
//! on the text is exact for them.
//!
//! The count of a filter is remembered with the state of the database it was counted in (this
//! connection's `total_changes()` and `PRAGMA data_version`, which moves when another connection
//! commits): a new sort, the next page or a scroll of the same filter reuses it instead of
//! counting 100,000 rows again; any write anywhere makes it count afresh.

use crate::documents::{ROW_SELECT, RawRow, date_text, decimal_text};
use crate::{DocumentId, DocumentRow, Store, StoreError};
use chrono::NaiveDate;
use folio_domain::Currency;
use rusqlite::Connection;
use rusqlite::types::Value;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::str::FromStr;

/// The name of the exact decimal collation.
pub const DECIMAL_COLLATION: &str = "folio_decimal";

/// Registers [`DECIMAL_COLLATION`] on a connection: decimal strings compare by value; anything
/// that is not a decimal sorts after every decimal, by its text.
pub(crate) fn register_collation(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_collation(DECIMAL_COLLATION, compare_decimal_text)
}

fn compare_decimal_text(a: &str, b: &str) -> Ordering {
    match (canonical_parts(a), canonical_parts(b)) {
        (Some(x), Some(y)) => compare_parts(x, y),
        // Not plain decimals (never stored, by the CHECKs): parse them the slow way.
        _ => match (Decimal::from_str(a), Decimal::from_str(b)) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        },
    }
}

/// A plain decimal `-?digits(.digits)?` as (negative, integer digits without leading zeros,
/// fraction digits without trailing zeros); `None` for anything else. Sorting happens on these
/// digits as text, exactly and without allocating: a sort of 100,000 amounts compares ~1.7
/// million pairs.
fn canonical_parts(text: &str) -> Option<(bool, &str, &str)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (rest.contains('.') && frac.is_empty()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    // -0 and 0 are the same number.
    let negative = negative && !(int.is_empty() && frac.is_empty());
    Some((negative, int, frac))
}

fn compare_parts(a: (bool, &str, &str), b: (bool, &str, &str)) -> Ordering {
    let magnitude = |x: (bool, &str, &str), y: (bool, &str, &str)| {
        x.1.len()
            .cmp(&y.1.len())
            .then_with(|| x.1.cmp(y.1))
            .then_with(|| x.2.cmp(y.2))
    };
    match (a.0, b.0) {
        (false, false) => magnitude(a, b),
        (true, true) => magnitude(b, a),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// Where a document is in review, from its current journal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStatus {
    /// Still to review: no journal yet, or a draft.
    Open,
    /// No journal built yet.
    New,
    Draft,
    Approved,
    Queued,
    Posted,
    Rejected,
}

/// The exception reasons the queue can filter on in SQL (the Exceptions screen computes all of
/// them from the coding; these are the ones stored facts decide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueReason {
    /// A coded value (the strongest source's proposal of a line's field) below this confidence.
    LowConfidence(Decimal),
    /// Imported with a `DUPLICATE` problem.
    Duplicate,
    /// Problems of severity error other than `DUPLICATE`.
    Validation,
    /// The supplier matches no vendor of the master data by VAT id or name.
    NewVendor,
}

/// What the queue shows: every condition that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    pub status: Option<QueueStatus>,
    pub reason: Option<QueueReason>,
    /// Only documents whose weakest coded value is below this confidence.
    pub confidence_below: Option<Decimal>,
    /// Part of the supplier's name (case-insensitive).
    pub vendor: Option<String>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub currency: Option<Currency>,
    /// Part of the number, the supplier's name or VAT id, or the file name (case-insensitive).
    pub search: Option<String>,
}

/// The order of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    /// Newest import first (the default).
    #[default]
    Imported,
    IssueDate,
    DueDate,
    Supplier,
    Number,
    Amount,
    /// Weakest coded value first.
    Confidence,
}

/// One row of the queue: the document row and its weakest coded value's confidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub row: DocumentRow,
    pub min_confidence: Option<Decimal>,
}

/// A page of the queue and how many documents match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub total: u64,
    pub rows: Vec<QueueRow>,
}

/// The confidence of a document's weakest coded value and its journal's status, from the
/// `queue_facts` table that triggers keep (migration 0009).
const MIN_CONFIDENCE: &str = "q.min_confidence";

/// The counts of the last few filters (WHERE clause and parameters → count) and the database
/// state they were counted in; a different state forgets them all.
#[derive(Debug, Default)]
pub(crate) struct CountMemo(std::cell::RefCell<(DatabaseState, Vec<(String, i64)>)>);

/// This connection's `total_changes()` and the database's `PRAGMA data_version`.
type DatabaseState = (i64, i64);

/// How many filters' counts are remembered (a person toggles between a few).
const REMEMBERED_COUNTS: usize = 8;

/// The state of the database as this connection sees it: its own changes and other
/// connections' commits.
fn database_state(conn: &Connection) -> rusqlite::Result<DatabaseState> {
    let changes: i64 = conn.query_row("SELECT total_changes()", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    Ok((changes, version))
}

/// The tables every queue query reads.
const FROM: &str = "documents d JOIN queue_facts q ON q.document_id = d.id";

fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .trim()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// The WHERE clause of a query and its parameters.
fn where_clause(query: &QueueQuery) -> (String, Vec<Value>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let bind = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    if let Some(status) = query.status {
        conditions.push(match status {
            QueueStatus::Open => "q.status IN ('new', 'draft')".to_owned(),
            QueueStatus::New => "q.status = 'new'".to_owned(),
            QueueStatus::Draft => "q.status = 'draft'".to_owned(),
            QueueStatus::Approved => "q.status = 'approved'".to_owned(),
            QueueStatus::Queued => "q.status = 'queued'".to_owned(),
            QueueStatus::Posted => "q.status = 'posted'".to_owned(),
            QueueStatus::Rejected => "q.status = 'rejected'".to_owned(),
        });
    }
    match &query.reason {
        None => {}
        Some(QueueReason::LowConfidence(threshold)) => {
            let p = bind(
                &mut values,
                Value::Text(decimal_text(threshold.normalize())),
            );
            conditions.push(format!("{MIN_CONFIDENCE} < {p}"));
        }
        Some(QueueReason::Duplicate) => conditions.push(
            "EXISTS (SELECT 1 FROM document_problems p WHERE p.document_id = d.id \
             AND p.code = 'DUPLICATE')"
                .to_owned(),
        ),
        Some(QueueReason::Validation) => conditions.push(
            "EXISTS (SELECT 1 FROM document_problems p WHERE p.document_id = d.id \
             AND p.severity = 'error' AND p.code <> 'DUPLICATE')"
                .to_owned(),
        ),
        Some(QueueReason::NewVendor) => conditions.push(
            "NOT EXISTS (SELECT 1 FROM vendors v WHERE \
             (d.supplier_vat_id IS NOT NULL AND v.vat_id IS NOT NULL \
               AND upper(replace(v.vat_id, ' ', '')) = upper(replace(d.supplier_vat_id, ' ', ''))) \
             OR (d.supplier_vat_id IS NULL AND lower(v.name) = lower(d.supplier_name)))"
                .to_owned(),
        ),
    }
    if let Some(below) = query.confidence_below {
        let p = bind(&mut values, Value::Text(decimal_text(below.normalize())));
        conditions.push(format!("{MIN_CONFIDENCE} < {p}"));
    }
    if let Some(vendor) = query.vendor.as_deref().filter(|v| !v.trim().is_empty()) {
        let p = bind(&mut values, Value::Text(like_pattern(vendor)));
        conditions.push(format!("d.supplier_name LIKE {p} ESCAPE '\\'"));
    }
    if let Some(min) = query.amount_min {
        let p = bind(&mut values, Value::Text(decimal_text(min)));
        conditions.push(format!("d.payable >= {p} COLLATE {DECIMAL_COLLATION}"));
    }
    if let Some(max) = query.amount_max {
        let p = bind(&mut values, Value::Text(decimal_text(max)));
        conditions.push(format!("d.payable <= {p} COLLATE {DECIMAL_COLLATION}"));
    }
    if let Some(from) = query.date_from {
        let p = bind(&mut values, Value::Text(date_text(from)));
        conditions.push(format!("d.issue_date >= {p}"));
    }
    if let Some(to) = query.date_to {
        let p = bind(&mut values, Value::Text(date_text(to)));
        conditions.push(format!("d.issue_date <= {p}"));
    }
    if let Some(currency) = query.currency {
        let p = bind(&mut values, Value::Text(currency.code().to_owned()));
        conditions.push(format!("d.currency = {p}"));
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let p = bind(&mut values, Value::Text(like_pattern(search)));
        conditions.push(format!(
            "(d.number LIKE {p} ESCAPE '\\' OR d.supplier_name LIKE {p} ESCAPE '\\' \
             OR coalesce(d.supplier_vat_id, '') LIKE {p} ESCAPE '\\' \
             OR d.file_name LIKE {p} ESCAPE '\\')"
        ));
    }
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    (clause, values)
}

fn order_clause(order: QueueOrder, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    // Ties are broken by id in the same direction, so that the indexes of migration 0009
    // (column, id) serve both directions.
    let key = match order {
        // Newest first is the natural reading of "imported"; `descending` flips it.
        QueueOrder::Imported => {
            return format!(" ORDER BY d.id {}", if descending { "ASC" } else { "DESC" });
        }
        QueueOrder::IssueDate => "d.issue_date",
        QueueOrder::DueDate => "d.due_date",
        QueueOrder::Supplier => "d.supplier_name COLLATE NOCASE",
        QueueOrder::Number => "d.number",
        // The text key of migration 0011, whose binary order is the amounts' numeric order.
        QueueOrder::Amount => "d.payable_order",
        // Ties by q.document_id (the same number as d.id): queue_facts_confidence ends with it,
        // so the index gives the whole order (with d.id SQLite sorts each run of equal
        // confidences, thousands of documents, for every page).
        QueueOrder::Confidence => {
            return format!(" ORDER BY {MIN_CONFIDENCE} {dir}, q.document_id {dir}");
        }
    };
    format!(" ORDER BY {key} {dir}, d.id {dir}")
}

impl Store {
    /// Documents `offset..offset + limit` of those matching `query` in `order`, and how many
    /// match in all.
    pub fn review_queue(
        &self,
        query: &QueueQuery,
        order: QueueOrder,
        descending: bool,
        offset: u64,
        limit: u32,
    ) -> Result<QueuePage, StoreError> {
        let (clause, mut values) = where_clause(query);
        let key = format!("{clause}\u{0}{values:?}");
        let state = database_state(self.conn())?;
        let remembered = {
            let memo = self.queue_count.0.borrow();
            (memo.0 == state)
                .then(|| memo.1.iter().find(|(k, _)| *k == key).map(|(_, n)| *n))
                .flatten()
        };
        let total = match remembered {
            Some(total) => total,
            None => {
                // Every document has its queue_facts row: a filter on those facts alone counts
                // them without reading the documents.
                let from = if clause.contains("d.") {
                    FROM
                } else {
                    "queue_facts q"
                };
                let total: i64 = self.conn().query_row(
                    &format!("SELECT count(*) FROM {from}{clause}"),
                    rusqlite::params_from_iter(values.iter()),
                    |r| r.get(0),
                )?;
                let mut memo = self.queue_count.0.borrow_mut();
                if memo.0 != state {
                    *memo = (state, Vec::new());
                }
                if memo.1.len() == REMEMBERED_COUNTS {
                    memo.1.remove(0);
                }
                memo.1.push((key, total));
                total
            }
        };
        let n = values.len();
        values.push(Value::Integer(i64::from(limit)));
        values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        // First the page's ids, computing only what the filter and the order need; then the
        // rows of just those ids.
        let ids: Vec<i64> = {
            let sql = format!(
                "SELECT d.id FROM {FROM}{clause}{order} LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2,
                order = order_clause(order, descending),
            );
            let mut stmt = self.conn().prepare(&sql)?;
            stmt.query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut rows = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let sql = format!(
                "SELECT {cols}, {MIN_CONFIDENCE} FROM {FROM} WHERE d.id IN ({list})",
                cols = ROW_SELECT
                    .trim_start_matches("SELECT ")
                    .trim_end_matches(" FROM documents d"),
            );
            let mut stmt = self.conn().prepare(&sql)?;
            let mut by_id = std::collections::HashMap::with_capacity(ids.len());
            for raw in stmt.query_map([], |r| {
                Ok((RawRow::read(r)?, r.get::<_, Option<String>>(17)?))
            })? {
                let (raw, confidence) = raw?;
                by_id.insert(raw.id, (raw, confidence));
            }
            for id in ids {
                let Some((raw, confidence)) = by_id.remove(&id) else {
                    continue;
                };
                rows.push(QueueRow {
                    row: raw.into_row()?,
                    min_confidence: confidence
                        .map(|c| crate::documents::parse_decimal(&c, "suggestion confidence"))
                        .transpose()?,
                });
            }
        }
        Ok(QueuePage {
            total: u64::try_from(total).unwrap_or_default(),
            rows,
        })
    }

    /// Every document matching `query` with its currency and amount due (for a bulk action's
    /// count and total), oldest first.
    pub fn queue_members(
        &self,
        query: &QueueQuery,
    ) -> Result<Vec<(DocumentId, Currency, Decimal)>, StoreError> {
        let (clause, values) = where_clause(query);
        let mut stmt = self.conn().prepare(&format!(
            "SELECT d.id, d.currency, d.payable FROM {FROM}{clause} ORDER BY d.id"
        ))?;
        let raw = stmt
            .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(|(id, currency, payable)| {
                let id = DocumentId(id);
                Ok((
                    id,
                    Currency::parse(&currency).map_err(|_| {
                        StoreError::corrupt(format!("{id} has currency '{currency}'"))
                    })?,
                    crate::documents::parse_decimal(&payable, &format!("{id} payable"))?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_compares_by_value() {
        let cases = [
            ("9.50", "10.00", Ordering::Less),
            ("-1", "0.01", Ordering::Less),
            ("100", "100.000", Ordering::Equal),
            ("0.10", "0.1", Ordering::Equal),
            (
                "12345678901234567890.01",
                "12345678901234567890.02",
                Ordering::Less,
            ),
            ("abc", "1", Ordering::Greater),
            ("-10.5", "-9.99", Ordering::Less),
            ("-0.00", "0", Ordering::Equal),
            ("007.50", "7.5", Ordering::Equal),
            ("0.05", "0.5", Ordering::Less),
            ("1.10", "1.09", Ordering::Greater),
            ("1E3", "999", Ordering::Greater),
        ];
        for (a, b, expected) in cases {
            assert_eq!(compare_decimal_text(a, b), expected, "{a} vs {b}");
            assert_eq!(compare_decimal_text(b, a), expected.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn the_text_comparison_agrees_with_decimal_on_every_pair() {
        let values = [
            "0",
            "-0",
            "0.0",
            "0.001",
            "-0.001",
            "1",
            "1.0",
            "1.01",
            "1.1",
            "-1",
            "-1.01",
            "9.99",
            "10",
            "10.00",
            "100",
            "99.999",
            "-100",
            "123456789012345678.9",
            "-0.5",
            "0.50",
            "5",
        ];
        for a in values {
            for b in values {
                let exact = Decimal::from_str(a)
                    .unwrap()
                    .cmp(&Decimal::from_str(b).unwrap());
                assert_eq!(compare_decimal_text(a, b), exact, "{a} vs {b}");
            }
        }
    }

    /// Migration 0011's `payable_order` sorts like `rust_decimal` and gives equal amounts equal
    /// keys: on the awkward cases above and on 20,000 generated amounts (signs, zeros, up to 28
    /// digits, trailing zeros).
    #[test]
    fn the_amount_order_key_sorts_as_decimals() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE documents (id INTEGER PRIMARY KEY, payable TEXT NOT NULL)",
        )
        .unwrap();
        conn.execute_batch(include_str!("../migrations/0011_amount_order.sql"))
            .unwrap();
        let mut values: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.00",
            "0.001",
            "-0.001",
            "1",
            "1.0",
            "1.01",
            "1.1",
            "-1",
            "-1.01",
            "9.99",
            "10",
            "10.00",
            "100",
            "99.999",
            "-100",
            "-0.5",
            "0.50",
            "5",
            "-5",
            "-5.1",
            "-5.10",
            "105.70",
            "123456789012345678.9",
            "1234567890123456789012345678",
            "-9999999999999999999999999999",
        ]
        .map(String::from)
        .to_vec();
        // A small linear congruential generator: the same amounts on every run.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % bound
        };
        for _ in 0..20_000 {
            // At most 27 significant digits: what a rust_decimal amount holds.
            let digits = 1 + next(20);
            let mut text = String::new();
            if next(3) == 0 {
                text.push('-');
            }
            let first = if digits == 1 { next(10) } else { 1 + next(9) };
            text.push_str(&first.to_string());
            for _ in 1..digits {
                text.push_str(&next(10).to_string());
            }
            if next(4) != 0 {
                text.push('.');
                for _ in 0..=next(6) {
                    text.push_str(&next(10).to_string());
                }
            }
            values.push(text);
        }
        let tx = conn.unchecked_transaction().unwrap();
        for v in &values {
            tx.execute("INSERT INTO documents (payable) VALUES (?1)", [v])
                .unwrap();
        }
        tx.commit().unwrap();
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM documents ORDER BY payable_order, id",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("documents_queue_amount"), "{plan}");
        let mut stmt = conn
            .prepare("SELECT payable, payable_order FROM documents ORDER BY payable_order, id")
            .unwrap();
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), values.len());
        for pair in rows.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (x, y) = (
                Decimal::from_str(&a.0).unwrap(),
                Decimal::from_str(&b.0).unwrap(),
            );
            assert!(x <= y, "{} sorts before {} ({} / {})", a.0, b.0, a.1, b.1);
            assert_eq!(x == y, a.1 == b.1, "{} and {}: {} / {}", a.0, b.0, a.1, b.1);
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" 50%_off "), "%50\\%\\_off%");
    }
}
