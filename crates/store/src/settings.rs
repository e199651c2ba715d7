//! Workspace settings: small named values (which account takes the payable, …) that every user
//! of the workspace shares. They live in `workspace_meta` under a `setting:` prefix, and each
//! change is audited with its before and after values in the same transaction.

use crate::audit::{self, NewEvent};
use crate::{Change, Store, StoreError};
use rusqlite::OptionalExtension;

const PREFIX: &str = "setting:";

impl Store {
    /// The value of setting `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM workspace_meta WHERE key = ?1",
                [format!("{PREFIX}{key}")],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets several settings in one audited transaction.
    pub fn save_settings(
        &mut self,
        pairs: &[(&str, &str)],
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        for (key, value) in pairs {
            if key.is_empty() {
                return Err(StoreError::Invalid {
                    what: "setting name (empty)".to_owned(),
                });
            }
            let stored_key = format!("{PREFIX}{key}");
            let before: Option<String> = tx
                .query_row(
                    "SELECT value FROM workspace_meta WHERE key = ?1",
                    [&stored_key],
                    |r| r.get(0),
                )
                .optional()?;
            if before.as_deref() == Some(*value) {
                continue;
            }
            tx.execute(
                "INSERT INTO workspace_meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [&stored_key, *value],
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
