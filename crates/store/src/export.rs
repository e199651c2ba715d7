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
