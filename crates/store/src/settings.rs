//! Workspace settings: small named values (which account takes the payable, …) that every user of
//! the workspace shares, rather than one user's machine. They live in their own table (migration
//! 0002) with who set them and when, and each change of a value is audited — entity `setting`,
//! entity id the key, before and after as JSON strings — in the same transaction.

use crate::audit::{self, NewEvent};
use crate::{Change, Store, StoreError, timestamp};
use rusqlite::{OptionalExtension, params};
use std::collections::BTreeMap;

impl Store {
    /// The value of setting `key`, or `None` when it was never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Every setting, by key.
    pub fn settings(&self) -> Result<BTreeMap<String, String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets every `(key, value)` of `pairs` in one transaction, with one audit event
    /// (`setting.changed`) per value that actually changes. An empty key refuses the whole change.
    pub fn save_settings(
        &mut self,
        pairs: &[(&str, &str)],
        change: &Change,
    ) -> Result<(), StoreError> {
        if pairs.iter().any(|(key, _)| key.is_empty()) {
            return Err(StoreError::Invalid {
                what: "setting name (empty)".to_owned(),
            });
        }
        let at = timestamp(change.at);
        let tx = self.begin()?;
        for (key, value) in pairs {
            let before: Option<String> = tx
                .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?;
            if before.as_deref() == Some(*value) {
                continue;
            }
            tx.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                params![key, value, at, change.actor],
            )?;
            audit::append(
                &tx,
                change,
                NewEvent {
                    action: "setting.changed",
                    entity: "setting",
                    entity_id: key,
                    before: before.map(|b| audit::to_json(&b)).transpose()?,
                    after: Some(audit::to_json(value)?),
                },
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
