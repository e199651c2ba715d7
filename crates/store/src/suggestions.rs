//! Suggested coding as stored (migration 0004): one row per document line, field and source, and
//! the rule packs in use.
//!
//! The store does not know what a rule or a model is: sources and fields are the short strings
//! the app gives (`person`, `rule`, `model`, `fixed`; `account`, `dimension:cost_centre`, …), the
//! explanation is JSON. What it guarantees is the bookkeeping: a person's value is a state change
//! of its own (audited, refused once the journal is approved — a trigger says so too), the
//! computed proposals of a document are replaced together in one audited transaction and only
//! when they changed, and the rule packs in use are replaced as one set.

use crate::audit::{self, NewEvent};
use crate::documents::{decimal_text, parse_decimal};
use crate::history::select_rows;
use crate::{Change, DocumentId, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

/// A proposal to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSuggestion {
    /// 1-based.
    pub line_no: u32,
    /// `account`, `tax_code`, `split` or `dimension:<code>`.
    pub field: String,
    /// `person`, `rule`, `model` or `fixed`.
    pub source: String,
    pub value: String,
    /// In [0, 1].
    pub confidence: Decimal,
    /// A JSON object.
    pub explanation_json: String,
    /// False: "don't learn from this".
    pub learn: bool,
}

/// A stored proposal: what was proposed, for which document, when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSuggestion {
    pub document: DocumentId,
    #[serde(flatten)]
    pub proposal: NewSuggestion,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A rule pack to put in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRulePack {
    pub pack_id: String,
    pub version: String,
    /// SHA-256 of `source_text`, hex.
    pub content_hash: String,
    pub source_text: String,
}

/// A rule pack in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRulePack {
    pub pack_id: String,
    pub version: String,
    pub content_hash: String,
    pub source_text: String,
    pub saved_at: DateTime<Utc>,
    pub saved_by: String,
}

const COLUMNS: &str = "document_id, line_no, field, source, value, confidence, explanation_json, \
                       learn, created_at, created_by";

fn query(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<StoredSuggestion>, StoreError> {
    type Row = (
        i64,
        u32,
        String,
        String,
        String,
        String,
        String,
        bool,
        String,
        String,
    );
    let rows: Vec<Row> = select_rows(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM suggestions {filter} ORDER BY document_id, line_no, field, \
             CASE source WHEN 'person' THEN 0 WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END"
        ),
        args,
    )?;
    rows.into_iter()
        .map(
            |(doc, line_no, field, source, value, confidence, explanation_json, learn, at, by)| {
                Ok(StoredSuggestion {
                    document: DocumentId(doc),
                    proposal: NewSuggestion {
                        line_no,
                        field,
                        source,
                        value,
                        confidence: parse_decimal(&confidence, "suggestion confidence")?,
                        explanation_json,
                        learn,
                    },
                    created_at: parse_timestamp(&at).ok_or_else(|| {
                        StoreError::corrupt(format!("suggestion created_at '{at}'"))
                    })?,
                    created_by: by,
                })
            },
        )
        .collect()
}

fn check(rows: &[NewSuggestion]) -> Result<(), StoreError> {
    for row in rows {
        if row.confidence < Decimal::ZERO || row.confidence > Decimal::ONE {
            return Err(StoreError::Invalid {
                what: format!(
                    "confidence {} of line {} {} (it must be from 0 to 1)",
                    row.confidence, row.line_no, row.field
                ),
            });
        }
    }
    Ok(())
}

fn insert(
    conn: &Connection,
    document: DocumentId,
    row: &NewSuggestion,
    change: &Change,
) -> Result<(), StoreError> {
    conn.execute(
        &format!(
            "INSERT INTO suggestions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            document.0,
            row.line_no,
            row.field,
            row.source,
            row.value,
            decimal_text(row.confidence.normalize()),
            row.explanation_json,
            row.learn,
            timestamp(change.at),
            change.actor
        ],
    )?;
    Ok(())
}

/// What an audit event says about proposals: `line 2 account rule=4930 (1)`.
fn summary(rows: &[NewSuggestion]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "line {} {} {}={} ({}){}",
                r.line_no,
                r.field,
                r.source,
                r.value,
                r.confidence.normalize(),
                if r.learn { "" } else { " don't learn" }
            )
        })
        .collect()
}

impl Store {
    /// Every stored proposal of `document`, by line and field, strongest source first.
    pub fn suggestions(&self, document: DocumentId) -> Result<Vec<StoredSuggestion>, StoreError> {
        query(self.conn(), "WHERE document_id = ?1", [document.0])
    }

    /// Every person's value in the workspace.
    pub fn person_values(&self) -> Result<Vec<StoredSuggestion>, StoreError> {
        query(self.conn(), "WHERE source = 'person'", [])
    }

    /// Replaces the computed proposals (every source but `person`) of `document` with `rows`, in
    /// one transaction with one audit event (`suggestions.refresh`). Writes nothing and returns
    /// false when they are what is stored already.
    pub fn refresh_suggestions(
        &mut self,
        document: DocumentId,
        rows: &[NewSuggestion],
        change: &Change,
    ) -> Result<bool, StoreError> {
        check(rows)?;
        if let Some(row) = rows.iter().find(|r| r.source == "person") {
            return Err(StoreError::Invalid {
                what: format!(
                    "suggestion of line {} {}: a person's value is saved with \
                     save_person_values",
                    row.line_no, row.field
                ),
            });
        }
        let tx = self.begin()?;
        let before: Vec<NewSuggestion> = query(
            &tx,
            "WHERE document_id = ?1 AND source <> 'person'",
            [document.0],
        )?
        .into_iter()
        .map(|s| s.proposal)
        .collect();
        let mut after = rows.to_vec();
        after.sort_by(|a, b| {
            (a.line_no, &a.field, &a.source).cmp(&(b.line_no, &b.field, &b.source))
        });
        let mut sorted_before = before.clone();
        sorted_before.sort_by(|a, b| {
            (a.line_no, &a.field, &a.source).cmp(&(b.line_no, &b.field, &b.source))
        });
        if sorted_before == after {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM suggestions WHERE document_id = ?1 AND source <> 'person'",
            [document.0],
        )?;
        for row in &after {
            insert(&tx, document, row, change)?;
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "suggestions.refresh",
                entity: "document",
                entity_id: &document.to_string(),
                before: (!before.is_empty())
                    .then(|| audit::to_json(&summary(&sorted_before)))
                    .transpose()?,
                after: Some(audit::to_json(&summary(&after))?),
            },
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Saves a person's values for fields of `document` (replacing their earlier values of the
    /// same line and field), in one transaction with one audit event (`coding.correct`) that shows
    /// the values before and after. Refused once the document's journal is approved or later.
    pub fn save_person_values(
        &mut self,
        document: DocumentId,
        rows: &[NewSuggestion],
        change: &Change,
    ) -> Result<(), StoreError> {
        check(rows)?;
        if let Some(row) = rows.iter().find(|r| r.source != "person") {
            return Err(StoreError::Invalid {
                what: format!(
                    "a person's value of line {} {} has source '{}'",
                    row.line_no, row.field, row.source
                ),
            });
        }
        let tx = self.begin()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
            [document.0],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound {
                what: document.to_string(),
            });
        }
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM journals WHERE document_id = ?1 ORDER BY version DESC LIMIT 1",
                [document.0],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(status) =
            status.filter(|s| matches!(s.as_str(), "approved" | "queued" | "posted"))
        {
            return Err(StoreError::Immutable {
                what: format!("the coding of {document}"),
                reason: format!(
                    "its journal is {status}; send it back to draft before correcting it"
                ),
            });
        }
        let mut before = Vec::new();
        for row in rows {
            before.extend(
                query(
                    &tx,
                    "WHERE document_id = ?1 AND line_no = ?2 AND field = ?3 AND source = 'person'",
                    params![document.0, row.line_no, row.field],
                )?
                .into_iter()
                .map(|s| s.proposal),
            );
            tx.execute(
                "DELETE FROM suggestions WHERE document_id = ?1 AND line_no = ?2 AND field = ?3 \
                 AND source = 'person'",
                params![document.0, row.line_no, row.field],
            )?;
            insert(&tx, document, row, change)?;
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "coding.correct",
                entity: "document",
                entity_id: &document.to_string(),
                before: (!before.is_empty())
                    .then(|| audit::to_json(&summary(&before)))
                    .transpose()?,
                after: Some(audit::to_json(&summary(rows))?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The rule packs in use, by id.
    pub fn rule_packs(&self) -> Result<Vec<StoredRulePack>, StoreError> {
        let rows: Vec<(String, String, String, String, String, String)> = select_rows(
            self.conn(),
            "SELECT pack_id, version, content_hash, source_text, saved_at, saved_by \
             FROM rule_packs ORDER BY pack_id",
            [],
        )?;
        rows.into_iter()
            .map(
                |(pack_id, version, content_hash, source_text, at, saved_by)| {
                    Ok(StoredRulePack {
                        saved_at: parse_timestamp(&at).ok_or_else(|| {
                            StoreError::corrupt(format!("rule pack {pack_id} saved_at '{at}'"))
                        })?,
                        pack_id,
                        version,
                        content_hash,
                        source_text,
                        saved_by,
                    })
                },
            )
            .collect()
    }

    /// The text of pack `pack_id` whose content hash starts with `hash_prefix` (as suggestions
    /// name it: `1.0.0+3f2a9c01b7de`), from every pack ever put in use (migration 0007).
    pub fn archived_rule_pack(
        &self,
        pack_id: &str,
        hash_prefix: &str,
    ) -> Result<Option<StoredRulePack>, StoreError> {
        if hash_prefix.is_empty() || !hash_prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        type Raw = (String, String, String, String, String, String);
        let raw: Option<Raw> = self
            .conn()
            .query_row(
                "SELECT pack_id, version, content_hash, source_text, first_saved_at, \
                 first_saved_by FROM rule_pack_archive WHERE pack_id = ?1 AND content_hash LIKE ?2 || '%' \
                 ORDER BY first_saved_at LIMIT 1",
                params![pack_id, hash_prefix.to_ascii_lowercase()],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        raw.map(|(pack_id, version, content_hash, source_text, at, by)| {
            Ok(StoredRulePack {
                saved_at: parse_timestamp(&at).ok_or_else(|| {
                    StoreError::corrupt(format!("archived rule pack {pack_id}: time '{at}'"))
                })?,
                saved_by: by,
                pack_id,
                version,
                content_hash,
                source_text,
            })
        })
        .transpose()
    }

    /// Puts `packs` in use instead of the packs in use now, in one transaction with one audit
    /// event (`rule_packs.save`, ids and versions before and after).
    pub fn save_rule_packs(
        &mut self,
        packs: &[NewRulePack],
        change: &Change,
    ) -> Result<(), StoreError> {
        let before: Vec<String> = self
            .rule_packs()?
            .iter()
            .map(|p| {
                format!(
                    "{} {}+{}",
                    p.pack_id,
                    p.version,
                    p.content_hash.get(..12).unwrap_or_default()
                )
            })
            .collect();
        let tx = self.begin()?;
        tx.execute("DELETE FROM rule_packs", [])?;
        let at = timestamp(change.at);
        let mut after = Vec::new();
        for p in packs {
            tx.execute(
                "INSERT INTO rule_packs (pack_id, version, content_hash, source_text, saved_at, \
                 saved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    p.pack_id,
                    p.version,
                    p.content_hash,
                    p.source_text,
                    at,
                    change.actor
                ],
            )?;
            after.push(format!(
                "{} {}+{}",
                p.pack_id,
                p.version,
                p.content_hash.get(..12).unwrap_or_default()
            ));
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "rule_packs.save",
                entity: "rule_packs",
                entity_id: "",
                before: (!before.is_empty())
                    .then(|| audit::to_json(&before))
                    .transpose()?,
                after: Some(audit::to_json(&after)?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}
