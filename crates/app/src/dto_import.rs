//! Results of the import-side use cases beyond `import` itself: saved mapping profiles and
//! duplicate decisions (plain data for the CLI's `--json`).

use serde::Serialize;

/// A saved mapping profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileView {
    pub name: String,
    /// `invoice` (one row per invoice) or `line` (one row per invoice line).
    pub mode: String,
    /// `field=column` for each mapped column.
    pub columns: Vec<String>,
    /// The profile's TOML text as saved.
    pub text: String,
}

/// A recorded "not a duplicate" decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateResolution {
    /// `DOC-12`.
    pub document_id: String,
    /// `not_duplicate`.
    pub decision: String,
    pub reason: String,
    /// RFC 3339.
    pub decided_at: String,
    pub decided_by: String,
    /// False once the decision clears the flag.
    pub still_flagged: bool,
}
