//! Imported documents: the canonical record (`body_json`), copies of the fields Folio lists and
//! searches by, the problems found on import, and the duplicate-check keys.
//!
//! `body_json` is the domain [`Document`] as serde JSON and is what [`Store::get_document`]
//! returns; the other columns are derived from it at insert time and never edited (a trigger
//! refuses changes to what identifies the document), so they cannot drift from it.

use crate::audit::{self, NewEvent};
use crate::blobs::check_sha256;
use crate::{Change, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use folio_domain::{Currency, DocType, Document, JournalStatus, Problem, Severity, Syntax};
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The id of an imported document. Shown as `DOC-12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentId(pub i64);

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DOC-{}", self.0)
    }
}

/// A text that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a {kind} id (expected e.g. {example})")]
pub struct ParseIdError {
    pub text: String,
    pub kind: &'static str,
    pub example: &'static str,
}

/// Parses `PREFIX-12`, `prefix-12` or `12` into a positive number.
pub(crate) fn parse_prefixed_id(text: &str, prefix: &str) -> Option<i64> {
    let t = text.trim();
    let digits = match t.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &t[prefix.len()..],
        _ => t,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

impl FromStr for DocumentId {
    type Err = ParseIdError;

    /// Accepts `DOC-12`, `doc-12` and `12`.
    fn from_str(s: &str) -> Result<DocumentId, ParseIdError> {
        parse_prefixed_id(s, "DOC-")
            .map(DocumentId)
            .ok_or_else(|| ParseIdError {
                text: s.to_string(),
                kind: "document",
                example: "DOC-12",
            })
    }
}

/// The original file a document was read from. Its bytes must already be in the workspace's
/// [`BlobStore`](crate::BlobStore) (`store.blobs().put(bytes)`) when the document is inserted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalFile {
    pub file_name: String,
    pub sha256: String,
    pub media_type: String,
    pub size: u64,
}

/// What [`Store::insert_document`] stores.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub document: &'a Document,
    /// What the import found wrong with it, in order.
    pub problems: &'a [Problem],
    pub original: OriginalFile,
    /// [`normalise_supplier`] of the supplier.
    pub supplier_key: String,
    /// [`normalise_number`] of the document number.
    pub number_key: String,
}

/// One line of the document list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub number: String,
    pub doc_type: DocType,
    pub syntax: Syntax,
    pub supplier_name: String,
    pub supplier_vat_id: Option<String>,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    pub payable: Decimal,
    pub line_count: u32,
    pub problem_count: u32,
    /// Problems of severity error among `problem_count`.
    pub error_count: u32,
    /// Status of the document's current journal, if it has one.
    pub journal_status: Option<JournalStatus>,
    pub file_name: String,
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

/// A document with everything stored about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDocument {
    pub row: DocumentRow,
    pub document: Document,
    pub problems: Vec<Problem>,
    pub original: OriginalFile,
    pub supplier_key: String,
    pub number_key: String,
    /// When and by whom it was imported (the same as in `row`).
    pub imported_at: DateTime<Utc>,
    pub imported_by: String,
}

/// Decimal text as the schema wants it: what `Decimal` prints, with the sign of a zero dropped
/// (`-0.00` would fail the non-negative CHECKs and means the same).
pub(crate) fn decimal_text(d: Decimal) -> String {
    if d.is_zero() {
        d.abs().to_string()
    } else {
        d.to_string()
    }
}

pub(crate) fn parse_decimal(text: &str, what: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text)
        .map_err(|_| StoreError::corrupt(format!("{what} is '{text}', not a decimal")))
}

pub(crate) fn parse_date(text: &str, what: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::corrupt(format!("{what} is '{text}', not a date")))
}

pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Normalises a document number for the duplicate check: letters and digits only, in upper case,
/// with leading zeros of the whole number dropped. `INV-0012`, `inv 0012` and `INV/0012` match;
/// `000123` and `123` match; `INV-0012` and `INV-12` do not (zeros inside a number are kept, as
/// suppliers do reuse such series).
pub fn normalise_number(number: &str) -> String {
    let kept: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    let trimmed = kept.trim_start_matches('0');
    if trimmed.is_empty() && !kept.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Legal-form words dropped from the end of a supplier name (after punctuation is removed, so
/// `S.à r.l.` is `sàrl` and `Co., Ltd.` is `co ltd`).
const LEGAL_FORMS: &[&str] = &[
    "ab",
    "ag",
    "aps",
    "as",
    "asa",
    "bv",
    "bvba",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "ek",
    "eg",
    "ev",
    "gbr",
    "gmbh",
    "inc",
    "incorporated",
    "kft",
    "kg",
    "kgaa",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "mbh",
    "nv",
    "oy",
    "oyj",
    "ohg",
    "plc",
    "pty",
    "sa",
    "sarl",
    "sàrl",
    "sas",
    "sasu",
    "se",
    "sl",
    "sp",
    "spa",
    "srl",
    "sro",
    "ug",
    "zoo",
];

/// Normalises a supplier for the duplicate check. With a VAT id: `vat:` and the id in upper case
/// without spaces or punctuation (`DE 123.456.789` → `vat:DE123456789`). Without one: `name:` and
/// the name in lower case, punctuation removed, spaces collapsed and legal forms dropped from the
/// end (`ACME GmbH & Co. KG` → `name:acme`). The prefixes keep a name from matching a VAT id.
pub fn normalise_supplier(name: &str, vat_id: Option<&str>) -> String {
    if let Some(vat) = vat_id {
        let vat: String = vat
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase)
            .collect();
        if !vat.is_empty() {
            return format!("vat:{vat}");
        }
    }
    let lowered: String = name
        .chars()
        .filter(|c| !matches!(c, '.' | '\'' | '’'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect();
    let mut words: Vec<&str> = lowered.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_FORMS.contains(w)) {
        words.pop();
    }
    format!("name:{}", words.join(" "))
}

/// The columns of a document row, as read.
pub(crate) const ROW_SELECT: &str = "SELECT d.id, d.number, d.doc_type, d.syntax, d.supplier_name, \
     d.supplier_vat_id, d.issue_date, d.due_date, d.currency, d.payable, d.line_count, \
     (SELECT count(*) FROM document_problems p WHERE p.document_id = d.id), \
     (SELECT count(*) FROM document_problems p WHERE p.document_id = d.id \
        AND p.severity = 'error'), \
     (SELECT j.status FROM journals j WHERE j.document_id = d.id \
        ORDER BY j.version DESC LIMIT 1), \
     d.file_name, d.imported_at, d.imported_by \
     FROM documents d";

pub(crate) struct RawRow {
    pub(crate) id: i64,
    number: String,
    doc_type: String,
    syntax: String,
    supplier_name: String,
    supplier_vat_id: Option<String>,
    issue_date: String,
    due_date: Option<String>,
    currency: String,
    payable: String,
    line_count: i64,
    problem_count: i64,
    error_count: i64,
    journal_status: Option<String>,
    file_name: String,
    imported_at: String,
    imported_by: String,
}

impl RawRow {
    pub(crate) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            id: r.get(0)?,
            number: r.get(1)?,
            doc_type: r.get(2)?,
            syntax: r.get(3)?,
            supplier_name: r.get(4)?,
            supplier_vat_id: r.get(5)?,
            issue_date: r.get(6)?,
            due_date: r.get(7)?,
            currency: r.get(8)?,
            payable: r.get(9)?,
            line_count: r.get(10)?,
            problem_count: r.get(11)?,
            error_count: r.get(12)?,
            journal_status: r.get(13)?,
            file_name: r.get(14)?,
            imported_at: r.get(15)?,
            imported_by: r.get(16)?,
        })
    }

    pub(crate) fn into_row(self) -> Result<DocumentRow, StoreError> {
        let id = DocumentId(self.id);
        let bad =
            |what: &str, value: &str| StoreError::corrupt(format!("{id} has {what} '{value}'"));
        Ok(DocumentRow {
            id,
            doc_type: DocType::parse(&self.doc_type)
                .ok_or_else(|| bad("document type", &self.doc_type))?,
            syntax: Syntax::parse(&self.syntax).ok_or_else(|| bad("syntax", &self.syntax))?,
            issue_date: parse_date(&self.issue_date, &format!("{id} issue date"))?,
            due_date: self
                .due_date
                .as_deref()
                .map(|d| parse_date(d, &format!("{id} due date")))
                .transpose()?,
            currency: Currency::parse(&self.currency)
                .map_err(|_| bad("currency", &self.currency))?,
            payable: parse_decimal(&self.payable, &format!("{id} payable"))?,
            line_count: count(self.line_count),
            problem_count: count(self.problem_count),
            error_count: count(self.error_count),
            journal_status: self
                .journal_status
                .as_deref()
                .map(|s| JournalStatus::parse(s).ok_or_else(|| bad("journal status", s)))
                .transpose()?,
            imported_at: parse_timestamp(&self.imported_at)
                .ok_or_else(|| bad("import time", &self.imported_at))?,
            number: self.number,
            supplier_name: self.supplier_name,
            supplier_vat_id: self.supplier_vat_id,
            file_name: self.file_name,
            imported_by: self.imported_by,
        })
    }
}

impl Store {
    /// The document whose original file has this SHA-256, if one was imported.
    pub fn find_document_by_sha256(&self, sha256: &str) -> Result<Option<DocumentId>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM documents WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0).map(DocumentId),
            )
            .optional()?)
    }

    /// The first document with these duplicate-check keys (see [`normalise_supplier`] and
    /// [`normalise_number`]), if any.
    pub fn find_by_supplier_and_number(
        &self,
        supplier_key: &str,
        number_key: &str,
    ) -> Result<Option<DocumentId>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM documents WHERE supplier_key = ?1 AND number_key = ?2 \
                 ORDER BY id LIMIT 1",
                [supplier_key, number_key],
                |r| r.get(0).map(DocumentId),
            )
            .optional()?)
    }

    /// Stores an imported document — its row, lines, problems, the original file's record and
    /// the audit event — in one transaction. The original's bytes must already be in
    /// [`Store::blobs`] with the stated size. Refuses a file that is already imported
    /// ([`StoreError::Invalid`] naming the existing document).
    pub fn insert_document(
        &mut self,
        new: &NewDocument<'_>,
        change: &Change,
    ) -> Result<DocumentId, StoreError> {
        self.check_original(&new.original)?;
        let tx = self.begin()?;
        let id = insert_in(&tx, new, change)?;
        tx.commit()?;
        Ok(id)
    }

    /// Checks that an original file's bytes are in the blob store with the stated size.
    pub(crate) fn check_original(&self, original: &OriginalFile) -> Result<(), StoreError> {
        check_sha256(&original.sha256)?;
        match self.blobs().size(&original.sha256)? {
            Some(size) if size == original.size => Ok(()),
            Some(size) => Err(StoreError::Invalid {
                what: format!(
                    "original file {}: stored blob {} has {size} bytes, not {}",
                    original.file_name, original.sha256, original.size
                ),
            }),
            None => Err(StoreError::NotFound {
                what: format!(
                    "blob {} of {} (store the file with blobs().put first)",
                    original.sha256, original.file_name
                ),
            }),
        }
    }

    /// Every document, newest import first.
    pub fn list_documents(&self) -> Result<Vec<DocumentRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("{ROW_SELECT} ORDER BY d.id DESC"))?;
        let raw: Vec<RawRow> = stmt
            .query_map([], RawRow::read)?
            .collect::<Result<_, _>>()?;
        raw.into_iter().map(RawRow::into_row).collect()
    }

    /// A document with its problems and original-file record, or `None` when there is no such
    /// document.
    pub fn get_document(&self, id: DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let conn = self.conn();
        let Some(raw) = conn
            .query_row(
                &format!("{ROW_SELECT} WHERE d.id = ?1"),
                [id.0],
                RawRow::read,
            )
            .optional()?
        else {
            return Ok(None);
        };
        let row = raw.into_row()?;
        let (body, sha256, media_type, size, supplier_key, number_key): (
            String,
            String,
            String,
            i64,
            String,
            String,
        ) = conn.query_row(
            "SELECT d.body_json, d.sha256, b.media_type, b.size, d.supplier_key, d.number_key \
             FROM documents d JOIN blobs b ON b.sha256 = d.sha256 WHERE d.id = ?1",
            [id.0],
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
        )?;
        let document: Document = serde_json::from_str(&body)
            .map_err(|e| StoreError::corrupt(format!("{id}: body_json does not parse: {e}")))?;
        let mut stmt = conn.prepare(
            "SELECT code, severity, field, message FROM document_problems \
             WHERE document_id = ?1 ORDER BY seq",
        )?;
        let raw_problems: Vec<(String, String, String, String)> = stmt
            .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let problems = raw_problems
            .into_iter()
            .map(|(code, severity, field, message)| {
                let severity = Severity::parse(&severity).ok_or_else(|| {
                    StoreError::corrupt(format!("{id}: problem severity '{severity}'"))
                })?;
                Ok(Problem {
                    code,
                    severity,
                    field,
                    message,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(StoredDocument {
            original: OriginalFile {
                file_name: row.file_name.clone(),
                sha256,
                media_type,
                size: u64::try_from(size).unwrap_or_default(),
            },
            document,
            problems,
            supplier_key,
            number_key,
            imported_at: row.imported_at,
            imported_by: row.imported_by.clone(),
            row,
        }))
    }

    /// How many documents the workspace holds.
    pub fn document_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}

/// Writes one document (row, lines, problems, original's record, audit event) inside `tx`; the
/// caller checked its original ([`Store::check_original`]) and commits.
pub(crate) fn insert_in(
    tx: &rusqlite::Transaction<'_>,
    new: &NewDocument<'_>,
    change: &Change,
) -> Result<DocumentId, StoreError> {
    let original = &new.original;
    let size = i64::try_from(original.size).map_err(|_| StoreError::Invalid {
        what: format!("file size {}", original.size),
    })?;
    let doc = new.document;
    let body = serde_json::to_string(doc)
        .map_err(|e| StoreError::corrupt(format!("cannot serialise the document: {e}")))?;
    let imported_at = timestamp(change.at);

    if let Some(existing) = tx
        .query_row(
            "SELECT id FROM documents WHERE sha256 = ?1",
            [&original.sha256],
            |r| r.get(0).map(DocumentId),
        )
        .optional()?
    {
        return Err(StoreError::Invalid {
            what: format!(
                "import of {}: this file is already imported as {existing}",
                original.file_name
            ),
        });
    }
    tx.execute(
        "INSERT INTO blobs (sha256, size, media_type, stored_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (sha256) DO NOTHING",
        params![original.sha256, size, original.media_type, imported_at],
    )?;
    tx.execute(
        "INSERT INTO documents (sha256, file_name, syntax, doc_type, number, supplier_name, \
         supplier_vat_id, issue_date, due_date, currency, payable, line_count, body_json, \
         supplier_key, number_key, imported_at, imported_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            original.sha256,
            original.file_name,
            doc.syntax.as_str(),
            doc.doc_type.as_str(),
            doc.number,
            doc.supplier.name,
            doc.supplier.vat_id,
            date_text(doc.issue_date),
            doc.due_date.map(date_text),
            doc.currency.code(),
            decimal_text(doc.totals.payable),
            doc.lines.len() as i64,
            body,
            new.supplier_key,
            new.number_key,
            imported_at,
            change.actor,
        ],
    )?;
    let id = DocumentId(tx.last_insert_rowid());
    {
        let mut stmt = tx.prepare(
            "INSERT INTO document_lines (document_id, line_no, line_id, description, \
             net_amount, vat_category, vat_rate) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (i, line) in doc.lines.iter().enumerate() {
            stmt.execute(params![
                id.0,
                i as i64 + 1,
                line.id,
                line.text(),
                decimal_text(line.net_amount),
                line.vat_category.code(),
                line.vat_rate.map(decimal_text),
            ])?;
        }
        let mut stmt = tx.prepare(
            "INSERT INTO document_problems (document_id, seq, code, severity, field, message) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, p) in new.problems.iter().enumerate() {
            stmt.execute(params![
                id.0,
                i as i64 + 1,
                p.code,
                p.severity.as_str(),
                p.field,
                p.message
            ])?;
        }
    }
    let after = serde_json::json!({
        "file_name": original.file_name,
        "sha256": original.sha256,
        "size": original.size,
        "media_type": original.media_type,
        "syntax": doc.syntax.as_str(),
        "doc_type": doc.doc_type.as_str(),
        "number": doc.number,
        "supplier": doc.supplier.name,
        "supplier_vat_id": doc.supplier.vat_id,
        "issue_date": date_text(doc.issue_date),
        "currency": doc.currency.code(),
        "payable": decimal_text(doc.totals.payable),
        "problems": new.problems.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
    });
    audit::append(
        tx,
        change,
        NewEvent {
            action: "document.import",
            entity: "document",
            entity_id: &id.to_string(),
            before: None,
            after: Some(audit::to_json(&after)?),
        },
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_parse_and_display() {
        for (text, expected) in [
            ("DOC-12", Some(12)),
            ("doc-12", Some(12)),
            ("Doc-7", Some(7)),
            ("12", Some(12)),
            (" DOC-3 ", Some(3)),
            ("DOC-", None),
            ("DOC-0", None),
            ("DOC--1", None),
            ("-1", None),
            ("JNL-1", None),
            ("DOC-1x", None),
            ("", None),
        ] {
            assert_eq!(
                text.parse::<DocumentId>().ok(),
                expected.map(DocumentId),
                "{text:?}"
            );
        }
        assert_eq!(DocumentId(12).to_string(), "DOC-12");
    }

    #[test]
    fn numbers_normalise_for_duplicate_checks() {
        for (a, b) in [
            ("INV-0012", "inv 0012"),
            ("2024/001", "2024-001"),
            ("000123", "123"),
            ("R 4711.", "r4711"),
        ] {
            assert_eq!(normalise_number(a), normalise_number(b), "{a} vs {b}");
        }
        assert_ne!(normalise_number("INV-12"), normalise_number("INV-0012"));
        assert_eq!(normalise_number("0000"), "0");
        assert_eq!(normalise_number("--"), "");
    }

    #[test]
    fn suppliers_normalise_for_duplicate_checks() {
        let cases = [
            ("ACME GmbH", None, "name:acme"),
            ("Acme GmbH & Co. KG", None, "name:acme"),
            ("ACME Ltd.", None, "name:acme"),
            ("Acme S.A.R.L.", None, "name:acme"),
            ("Müller  Bau AG", None, "name:müller bau"),
            ("O'Brien Co., Ltd.", None, "name:obrien"),
            ("GmbH", None, "name:gmbh"),
            ("Acme GmbH", Some("de 123 456-789"), "vat:DE123456789"),
            ("Acme GmbH", Some("  "), "name:acme"),
        ];
        for (name, vat, expected) in cases {
            assert_eq!(normalise_supplier(name, vat), expected, "{name} {vat:?}");
        }
    }

    #[test]
    fn zero_is_written_without_a_sign() {
        assert_eq!(decimal_text(-Decimal::new(0, 2)), "0.00");
        assert_eq!(decimal_text(Decimal::new(-150, 2)), "-1.50");
    }
}
