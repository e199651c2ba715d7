//! Saved mapping profiles for CSV and XLSX imports (`folio profiles list|show|add`).
//!
//! A profile is kept in the workspace's settings under `import.profile.NAME` (the TOML text as
//! written), not as a loose file: every reviewer of the workspace imports an export the same way,
//! and adding or changing a profile is audited (`setting.changed`, before and after) like any other
//! setting. A profile is checked ([`folio_import::tabular::Profile::parse`]) before it is saved, so
//! a saved profile always reads.

use crate::dto_import::ProfileView;
use crate::error::{AppError, ErrorCode};
use crate::workspace::Workspace;
use folio_import::tabular::{Mode, Profile};

/// The settings key prefix of profiles.
const PREFIX: &str = "import.profile.";

/// A profile name: letters, digits, `-` and `_`, at most 64 characters.
fn check_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "'{name}' is not a profile name: use letters, digits, '-' and '_' (at most 64)"
            ),
        ))
    }
}

fn view(name: &str, text: &str) -> Result<ProfileView, AppError> {
    let profile = Profile::parse(text).map_err(|e| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("profile '{name}' does not read: {e}"),
        )
    })?;
    Ok(ProfileView {
        name: name.to_owned(),
        mode: match profile.mode {
            Mode::Invoice => "invoice".to_owned(),
            Mode::Line => "line".to_owned(),
        },
        columns: profile
            .columns
            .iter()
            .map(|(field, column)| format!("{}={column}", field.key()))
            .collect(),
        text: text.to_owned(),
    })
}

impl Workspace {
    /// Every saved profile, by name.
    pub fn list_profiles(&self) -> Result<Vec<ProfileView>, AppError> {
        self.store
            .settings()?
            .iter()
            .filter_map(|(key, text)| key.strip_prefix(PREFIX).map(|name| view(name, text)))
            .collect()
    }

    /// One saved profile.
    pub fn show_profile(&self, name: &str) -> Result<ProfileView, AppError> {
        check_name(name)?;
        let text = self.profile_text(name)?;
        view(name, &text)
    }

    /// Checks and saves a profile (replacing one of the same name), audited.
    pub fn add_profile(&mut self, name: &str, text: &str) -> Result<ProfileView, AppError> {
        self.require(crate::access::Permission::Import)?;
        check_name(name)?;
        let shown = view(name, text)?;
        let change = self.context.change();
        self.store
            .save_settings(&[(&format!("{PREFIX}{name}"), text)], &change)?;
        Ok(shown)
    }

    fn profile_text(&self, name: &str) -> Result<String, AppError> {
        self.store
            .setting(&format!("{PREFIX}{name}"))?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "there is no profile '{name}' in this workspace (folio profiles add {name} \
                         FILE.toml saves one)"
                    ),
                )
            })
    }

    /// The parsed profile `name`, for an import.
    pub(crate) fn profile(&self, name: &str) -> Result<Profile, AppError> {
        check_name(name)?;
        let text = self.profile_text(name)?;
        Profile::parse(&text).map_err(|e| {
            AppError::new(
                ErrorCode::InvalidInput,
                format!("profile '{name}' does not read: {e}"),
            )
        })
    }
}
