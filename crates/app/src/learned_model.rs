//! What the learned suggester knows, told to a person (the desktop's "Learned model" on the
//! Rules screen).
//!
//! A reviewer who imports history, forgets a vendor or marks a correction "don't learn from
//! this" wants to see that the model took it in: its version, how many lines it learned and from
//! what, which vendors it no longer learns from, and whether it was just trained or updated.
//! Asking brings the model up to date first ([`Workspace::refresh_model`], see
//! [`crate::learning`]), so what is shown is the model the next suggestion will come from; the
//! counts of what it learns from are then read from the store's learning state.

use crate::coding_dto::{ForgottenVendorView, LearnedModelView};
use crate::error::AppError;
use crate::workspace::{Workspace, count};
use chrono::SecondsFormat;

impl Workspace {
    /// Brings the learned suggester up to date and describes it (any role may look).
    pub fn learned_model(&self) -> Result<LearnedModelView, AppError> {
        let refresh = self.refresh_model()?;
        let state = self.store.learning_state()?;
        let stats = self.model_cache_stats();
        let history_lines = usize::try_from(state.history_lines).unwrap_or(usize::MAX);
        Ok(LearnedModelView {
            version: (refresh.model_lines > 0).then(|| refresh.version.clone()),
            lines_learned: count(refresh.model_lines),
            history_lines: count(history_lines),
            approved_journals: count(state.journals.len()),
            not_learned_lines: count(state.no_learn.len()),
            forgotten_vendors: state
                .forgotten
                .iter()
                .map(|f| ForgottenVendorView {
                    name: f.name.clone(),
                    forgotten_at: f.forgotten_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    forgotten_by: f.forgotten_by.clone(),
                })
                .collect(),
            refresh: refresh.action.to_owned(),
            refresh_reason: refresh.reason,
            last_full_train: stats.last_full_train,
            full_trains: stats.full_trains,
            incremental_updates: stats.incremental_updates,
        })
    }
}
