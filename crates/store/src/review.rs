//! Reviewers' decisions about documents (migration 0003) and the look-ups behind the duplicate
//! checks.
//!
//! A document is the immutable record of what a supplier sent, so a decision about it — "this is
//! not a duplicate, because …" — is appended to `document_reviews` with who, when and why, and
//! audited (action `document.review`) in the same transaction. A document counts as a duplicate
//! while it carries a `DUPLICATE` or `POSSIBLE_DUPLICATE` problem and no `not_duplicate` decision.

use crate::audit::{self, NewEvent};
use crate::documents::{DocumentId, date_text, parse_date, parse_decimal};
use crate::{Change, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::{Currency, DocType};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewDecision {
    pub document: DocumentId,
    /// `not_duplicate`.
    pub decision: String,
    pub reason: String,
    pub decided_at: DateTime<Utc>,
    pub decided_by: String,
}

/// Another document of the same supplier with the same amount due (for `POSSIBLE_DUPLICATE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimilarDocument {
    pub id: DocumentId,
    pub number: String,
    pub issue_date: NaiveDate,
}

/// Problem codes that flag a document as a (possible) duplicate.
const DUPLICATE_CODES: &[&str] = &["DUPLICATE", "POSSIBLE_DUPLICATE"];

impl Store {
    /// Documents of `supplier_key` of the same type (invoice or credit note) with the same amount
    /// due (numerically: `1234.5` = `1234.50`) in `currency`, issued between `from` and `to`
    /// (inclusive), oldest first.
    pub fn find_same_supplier_and_amount(
        &self,
        supplier_key: &str,
        doc_type: DocType,
        currency: Currency,
        payable: Decimal,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<SimilarDocument>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, number, issue_date, payable FROM documents WHERE supplier_key = ?1 \
             AND doc_type = ?2 AND currency = ?3 AND issue_date BETWEEN ?4 AND ?5 ORDER BY id",
        )?;
        let rows = stmt.query_map(
            params![
                supplier_key,
                doc_type.as_str(),
                currency.code(),
                date_text(from),
                date_text(to)
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, number, date, amount) = row?;
            let id = DocumentId(id);
            if parse_decimal(&amount, &format!("{id} payable"))? == payable {
                out.push(SimilarDocument {
                    id,
                    number,
                    issue_date: parse_date(&date, &format!("{id} issue date"))?,
                });
            }
        }
        Ok(out)
    }

    /// True while the document carries a duplicate problem and no `not_duplicate` decision.
    pub fn is_flagged_duplicate(&self, id: DocumentId) -> Result<bool, StoreError> {
        let flagged: i64 = self.conn().query_row(
            "SELECT count(*) FROM document_problems WHERE document_id = ?1 AND code IN (?2, ?3)",
            params![id.0, DUPLICATE_CODES[0], DUPLICATE_CODES[1]],
            |r| r.get(0),
        )?;
        Ok(flagged > 0 && self.not_duplicate_decision(id)?.is_none())
    }

    /// The `not_duplicate` decision on a document, if one was recorded.
    pub fn not_duplicate_decision(
        &self,
        id: DocumentId,
    ) -> Result<Option<ReviewDecision>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT decision, reason, decided_at, decided_by FROM document_reviews \
                 WHERE document_id = ?1 AND decision = 'not_duplicate' ORDER BY id DESC LIMIT 1",
                [id.0],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(decision, reason, at, by)| {
            Ok(ReviewDecision {
                document: id,
                decision,
                reason,
                decided_at: parse_timestamp(&at)
                    .ok_or_else(|| StoreError::corrupt(format!("{id}: review time '{at}'")))?,
                decided_by: by,
            })
        })
        .transpose()
    }

    /// Records that a flagged document is not a duplicate, with the reviewer's reason, and audits
    /// it (`document.review`), in one transaction. Refuses an empty reason, a document that is not
    /// flagged as a duplicate, and one already cleared.
    pub fn resolve_not_duplicate(
        &mut self,
        id: DocumentId,
        reason: &str,
        change: &Change,
    ) -> Result<ReviewDecision, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid {
                what: format!("{id}: a reason is required to clear a duplicate flag"),
            });
        }
        let at = timestamp(change.at);
        let tx = self.begin()?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM documents WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: id.to_string(),
            });
        }
        let codes: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT DISTINCT code FROM document_problems WHERE document_id = ?1 \
                 AND code IN (?2, ?3) ORDER BY code",
            )?;
            stmt.query_map(params![id.0, DUPLICATE_CODES[0], DUPLICATE_CODES[1]], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?
        };
        if codes.is_empty() {
            return Err(StoreError::Invalid {
                what: format!("{id} is not flagged as a duplicate"),
            });
        }
        let cleared: i64 = tx.query_row(
            "SELECT count(*) FROM document_reviews WHERE document_id = ?1 \
             AND decision = 'not_duplicate'",
            [id.0],
            |r| r.get(0),
        )?;
        if cleared > 0 {
            return Err(StoreError::Invalid {
                what: format!("{id} is already marked as not a duplicate"),
            });
        }
        tx.execute(
            "INSERT INTO document_reviews (document_id, decision, reason, decided_at, decided_by) \
             VALUES (?1, 'not_duplicate', ?2, ?3, ?4)",
            params![id.0, reason, at, change.actor],
        )?;
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "document.review",
                entity: "document",
                entity_id: &id.to_string(),
                before: Some(audit::to_json(&serde_json::json!({ "flags": codes }))?),
                after: Some(audit::to_json(&serde_json::json!({
                    "decision": "not_duplicate",
                    "reason": reason,
                }))?),
            },
        )?;
        tx.commit()?;
        Ok(ReviewDecision {
            document: id,
            decision: "not_duplicate".to_owned(),
            reason: reason.to_owned(),
            decided_at: change.at,
            decided_by: change.actor.clone(),
        })
    }
}
