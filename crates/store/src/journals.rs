//! Journals: the postings Folio builds for a document, versioned and following the domain's
//! lifecycle.
//!
//! A document has at most one *current* journal: its highest version. Saving a draft edits the
//! current draft in place, or starts the next version when the current one was rejected by the
//! GL (the rejected version stays as history). Approved, queued and posted journals are immutable;
//! [`Store::save_journal_draft`] refuses them, and triggers refuse the same at the SQL level.
//! Status changes go through [`Store::set_journal_status`], which checks the domain lifecycle
//! ([`JournalStatus::can_become`]) and that a journal balances before it is approved.

use crate::audit::{self, NewEvent};
use crate::documents::{DocumentId, date_text, decimal_text, parse_date, parse_decimal};
use crate::{Change, Store, StoreError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use folio_domain::{Currency, Journal, JournalLine, JournalStatus, Side, check_balanced};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The id of one journal version. Shown as `JNL-3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JournalId(pub i64);

impl fmt::Display for JournalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JNL-{}", self.0)
    }
}

impl FromStr for JournalId {
    type Err = crate::documents::ParseIdError;

    /// Accepts `JNL-3`, `jnl-3` and `3`.
    fn from_str(s: &str) -> Result<JournalId, Self::Err> {
        crate::documents::parse_prefixed_id(s, "JNL-")
            .map(JournalId)
            .ok_or_else(|| crate::documents::ParseIdError {
                text: s.to_string(),
                kind: "journal",
                example: "JNL-3",
            })
    }
}

/// A journal version as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredJournal {
    pub id: JournalId,
    pub document: DocumentId,
    /// 1 for the first journal of a document, one more for each new version.
    pub version: u32,
    /// The journal; its `status` is the stored status.
    pub journal: Journal,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

struct Header {
    id: i64,
    document_id: i64,
    version: i64,
    status: String,
    date: String,
    memo: String,
    created_at: String,
    created_by: String,
    updated_at: String,
    updated_by: String,
}

const HEADER_SELECT: &str = "SELECT id, document_id, version, status, date, memo, created_at, \
     created_by, updated_at, updated_by FROM journals";

impl Header {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Header> {
        Ok(Header {
            id: r.get(0)?,
            document_id: r.get(1)?,
            version: r.get(2)?,
            status: r.get(3)?,
            date: r.get(4)?,
            memo: r.get(5)?,
            created_at: r.get(6)?,
            created_by: r.get(7)?,
            updated_at: r.get(8)?,
            updated_by: r.get(9)?,
        })
    }

    fn status(&self) -> Result<JournalStatus, StoreError> {
        JournalStatus::parse(&self.status).ok_or_else(|| {
            StoreError::corrupt(format!(
                "{} has status '{}'",
                JournalId(self.id),
                self.status
            ))
        })
    }
}

fn load_header(conn: &Connection, id: JournalId) -> Result<Option<Header>, StoreError> {
    Ok(conn
        .query_row(
            &format!("{HEADER_SELECT} WHERE id = ?1"),
            [id.0],
            Header::read,
        )
        .optional()?)
}

fn load_current_header(conn: &Connection, doc: DocumentId) -> Result<Option<Header>, StoreError> {
    Ok(conn
        .query_row(
            &format!("{HEADER_SELECT} WHERE document_id = ?1 ORDER BY version DESC LIMIT 1"),
            [doc.0],
            Header::read,
        )
        .optional()?)
}

fn load_lines(conn: &Connection, id: JournalId) -> Result<Vec<JournalLine>, StoreError> {
    type Raw = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let mut stmt = conn.prepare(
        "SELECT account, description, side, amount, currency, dimensions_json, tax_code, source \
         FROM journal_lines WHERE journal_id = ?1 ORDER BY line_no",
    )?;
    let raw: Vec<Raw> = stmt
        .query_map([id.0], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    raw.into_iter()
        .enumerate()
        .map(
            |(i, (account, description, side, amount, currency, dims, tax_code, source))| {
                let what = format!("{id} line {}", i + 1);
                Ok(JournalLine {
                    account,
                    description,
                    side: Side::parse(&side)
                        .ok_or_else(|| StoreError::corrupt(format!("{what}: side '{side}'")))?,
                    amount: parse_decimal(&amount, &what)?,
                    currency: Currency::parse(&currency).map_err(|_| {
                        StoreError::corrupt(format!("{what}: currency '{currency}'"))
                    })?,
                    dimensions: serde_json::from_str::<BTreeMap<String, String>>(&dims)
                        .map_err(|e| StoreError::corrupt(format!("{what}: dimensions: {e}")))?,
                    tax_code,
                    source,
                })
            },
        )
        .collect()
}

fn load(conn: &Connection, header: Header) -> Result<StoredJournal, StoreError> {
    let id = JournalId(header.id);
    let status = header.status()?;
    let lines = load_lines(conn, id)?;
    let time = |text: &str| {
        parse_timestamp(text).ok_or_else(|| StoreError::corrupt(format!("{id}: time '{text}'")))
    };
    Ok(StoredJournal {
        id,
        document: DocumentId(header.document_id),
        version: u32::try_from(header.version)
            .map_err(|_| StoreError::corrupt(format!("{id}: version {}", header.version)))?,
        journal: Journal {
            date: parse_date(&header.date, &format!("{id} date"))?,
            memo: header.memo,
            status,
            lines,
        },
        created_at: time(&header.created_at)?,
        created_by: header.created_by,
        updated_at: time(&header.updated_at)?,
        updated_by: header.updated_by,
    })
}

fn insert_lines(conn: &Connection, id: JournalId, journal: &Journal) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "INSERT INTO journal_lines (journal_id, line_no, account, description, side, amount, \
         currency, dimensions_json, tax_code, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (i, line) in journal.lines.iter().enumerate() {
        let dims = audit::to_json(&line.dimensions)?;
        stmt.execute(params![
            id.0,
            i as i64 + 1,
            line.account,
            line.description,
            line.side.as_str(),
            decimal_text(line.amount),
            line.currency.code(),
            dims,
            line.tax_code,
            line.source,
        ])?;
    }
    Ok(())
}

/// The journal as an audit record: the journal itself (status included) plus which version of
/// which document it is.
fn audit_json(stored: &StoredJournal) -> Result<String, StoreError> {
    audit::to_json(&serde_json::json!({
        "document": stored.document.to_string(),
        "version": stored.version,
        "journal": stored.journal,
    }))
}

impl Store {
    /// Saves `journal` as the current draft of `document` and returns its id: it replaces the
    /// current draft (same id and version), or starts version 1, or — when the current version
    /// was rejected — the next version. Refuses with [`StoreError::Immutable`] when the current
    /// version is approved, queued or posted. `journal.status` is ignored: what is saved is a
    /// draft. Amounts must not be negative (the side carries the sign).
    pub fn save_journal_draft(
        &mut self,
        document: DocumentId,
        journal: &Journal,
        change: &Change,
    ) -> Result<JournalId, StoreError> {
        if let Some((i, line)) = journal
            .lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.amount.is_sign_negative() && !l.amount.is_zero())
        {
            return Err(StoreError::Invalid {
                what: format!(
                    "journal line {}: the amount {} is negative; amounts are unsigned and the \
                     side says debit or credit",
                    i + 1,
                    line.amount
                ),
            });
        }
        let at = timestamp(change.at);
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
        let current = load_current_header(&tx, document)?;
        let (id, version, before, action) =
            match current {
                Some(h) if h.status()? == JournalStatus::Draft => {
                    let id = JournalId(h.id);
                    let version = h.version;
                    let before = load(&tx, h)?;
                    tx.execute("DELETE FROM journal_lines WHERE journal_id = ?1", [id.0])?;
                    tx.execute(
                    "UPDATE journals SET date = ?2, memo = ?3, updated_at = ?4, updated_by = ?5 \
                     WHERE id = ?1",
                    params![id.0, date_text(journal.date), journal.memo, at, change.actor],
                )?;
                    (
                        id,
                        version,
                        Some(audit_json(&before)?),
                        "journal.save_draft",
                    )
                }
                Some(h) if h.status()? == JournalStatus::Rejected => {
                    let before = load(&tx, h)?;
                    let version = i64::from(before.version) + 1;
                    let id = insert_header(&tx, document, version, journal, &at, &change.actor)?;
                    (
                        id,
                        version,
                        Some(audit_json(&before)?),
                        "journal.new_version",
                    )
                }
                Some(h) => {
                    return Err(StoreError::Immutable {
                        what: format!(
                            "{} (version {} of the journal of {document})",
                            JournalId(h.id),
                            h.version
                        ),
                        reason: format!(
                            "it is {}; only a draft can be edited (an approved journal can be sent \
                         back to draft first)",
                            h.status
                        ),
                    });
                }
                None => {
                    let id = insert_header(&tx, document, 1, journal, &at, &change.actor)?;
                    (id, 1, None, "journal.create")
                }
            };
        insert_lines(&tx, id, journal)?;
        let header = load_header(&tx, id)?
            .ok_or_else(|| StoreError::corrupt(format!("{id} vanished while being saved")))?;
        let after = load(&tx, header)?;
        crate::approvals::add_preparer(&tx, id, &change.actor)?;
        debug_assert_eq!(i64::from(after.version), version);
        audit::append(
            &tx,
            change,
            NewEvent {
                action,
                entity: "journal",
                entity_id: &id.to_string(),
                before,
                after: Some(audit_json(&after)?),
            },
        )?;
        // An approval is bound to the content it was given for: a different content voids it.
        let sha = crate::approvals::journal_content_sha256(&after.journal);
        let stale = crate::approvals::decisions_of(&tx, id)?
            .iter()
            .any(|d| d.is_live() && d.decision != "reject" && d.content_sha256 != sha);
        if stale {
            crate::approvals::void_live(
                &tx,
                id,
                &format!(
                    "the journal was edited by {} after it was approved",
                    change.actor
                ),
                change,
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The current (highest) version of `document`'s journal, if it has one.
    pub fn journal_for_document(
        &self,
        document: DocumentId,
    ) -> Result<Option<StoredJournal>, StoreError> {
        let conn = self.conn();
        load_current_header(conn, document)?
            .map(|h| load(conn, h))
            .transpose()
    }

    /// One journal version by id.
    pub fn get_journal(&self, id: JournalId) -> Result<Option<StoredJournal>, StoreError> {
        let conn = self.conn();
        load_header(conn, id)?.map(|h| load(conn, h)).transpose()
    }

    /// Every version of `document`'s journal, oldest first.
    pub fn journal_versions(&self, document: DocumentId) -> Result<Vec<StoredJournal>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{HEADER_SELECT} WHERE document_id = ?1 ORDER BY version"
        ))?;
        let headers: Vec<Header> = stmt
            .query_map([document.0], Header::read)?
            .collect::<Result<_, _>>()?;
        headers.into_iter().map(|h| load(conn, h)).collect()
    }

    /// Moves journal `id` to status `to`, if the lifecycle allows it from its stored status, it
    /// is the current version of its document, and — for an approval — it balances
    /// ([`check_balanced`] finds nothing). Records the change with the journal in the audit log.
    pub fn set_journal_status(
        &mut self,
        id: JournalId,
        to: JournalStatus,
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        change_status(&tx, id, to, change)?;
        tx.commit()?;
        Ok(())
    }
}

/// The body of [`Store::set_journal_status`], inside the caller's transaction (the outbox moves a
/// journal's status together with its own row).
pub(crate) fn change_status(
    tx: &Connection,
    id: JournalId,
    to: JournalStatus,
    change: &Change,
) -> Result<(), StoreError> {
    let at = timestamp(change.at);
    let header = load_header(tx, id)?.ok_or_else(|| StoreError::NotFound {
        what: id.to_string(),
    })?;
    let from = header.status()?;
    let refuse = |reason: String| StoreError::InvalidTransition {
        journal: id.to_string(),
        from: from.as_str(),
        to: to.as_str(),
        reason,
    };
    let latest: i64 = tx.query_row(
        "SELECT max(version) FROM journals WHERE document_id = ?1",
        [header.document_id],
        |r| r.get(0),
    )?;
    if latest != header.version {
        return Err(refuse(format!(
            "it is version {} and has been superseded by version {latest}",
            header.version
        )));
    }
    if !from.can_become(to) {
        return Err(refuse("the journal lifecycle does not allow it".into()));
    }
    let before = load(tx, header)?;
    if to == JournalStatus::Approved {
        let problems = check_balanced(&before.journal);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            return Err(refuse(list.join("; ")));
        }
    }
    tx.execute(
        "UPDATE journals SET status = ?2, updated_at = ?3, updated_by = ?4 WHERE id = ?1",
        params![id.0, to.as_str(), at, change.actor],
    )?;
    let mut after = before.clone();
    after.journal.status = to;
    after.updated_at = change.at;
    after.updated_by.clone_from(&change.actor);
    audit::append(
        tx,
        change,
        NewEvent {
            action: "journal.status",
            entity: "journal",
            entity_id: &id.to_string(),
            before: Some(audit_json(&before)?),
            after: Some(audit_json(&after)?),
        },
    )?;
    Ok(())
}

/// The stored status of journal `id`.
pub(crate) fn current_status_of(
    conn: &Connection,
    id: JournalId,
) -> Result<JournalStatus, StoreError> {
    load_header(conn, id)?
        .ok_or_else(|| StoreError::NotFound {
            what: id.to_string(),
        })?
        .status()
}

/// Journal `id` as stored.
pub(crate) fn load_by_id(conn: &Connection, id: JournalId) -> Result<StoredJournal, StoreError> {
    let header = load_header(conn, id)?.ok_or_else(|| StoreError::NotFound {
        what: id.to_string(),
    })?;
    load(conn, header)
}

fn insert_header(
    conn: &Connection,
    document: DocumentId,
    version: i64,
    journal: &Journal,
    at: &str,
    actor: &str,
) -> Result<JournalId, StoreError> {
    conn.execute(
        "INSERT INTO journals (document_id, version, status, date, memo, created_at, created_by, \
         updated_at, updated_by) VALUES (?1, ?2, 'draft', ?3, ?4, ?5, ?6, ?5, ?6)",
        params![
            document.0,
            version,
            date_text(journal.date),
            journal.memo,
            at,
            actor
        ],
    )?;
    Ok(JournalId(conn.last_insert_rowid()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_ids_parse_and_display() {
        assert_eq!("JNL-3".parse::<JournalId>(), Ok(JournalId(3)));
        assert_eq!("jnl-3".parse::<JournalId>(), Ok(JournalId(3)));
        assert_eq!("3".parse::<JournalId>(), Ok(JournalId(3)));
        assert!("DOC-3".parse::<JournalId>().is_err());
        assert_eq!(JournalId(3).to_string(), "JNL-3");
    }
}
