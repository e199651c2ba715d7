//! Problems: what is wrong with a document or a journal, said so that a person can fix it.
//!
//! Every check in Folio returns *all* of its problems rather than stopping at the first, and each
//! message shows the arithmetic behind it. `code` is stable (rule ids such as `BR-CO-10` for EN 16931,
//! `JOURNAL_UNBALANCED` for Folio's own checks) so tools and tests can match on it; `field` is a path
//! into the document or journal (`lines[3].net_amount`, `totals.payable`).

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks the document or journal from going further.
    Error,
    /// Needs a person to look, but does not block.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// One thing that is wrong, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Problem {
    /// Stable identifier of the rule that found it.
    pub code: String,
    pub severity: Severity,
    /// Path of the field concerned, empty when the problem is about the whole thing.
    pub field: String,
    /// A sentence for a person, with the arithmetic where there is any.
    pub message: String,
}

impl Problem {
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            code: code.into(),
            severity,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn error(
        code: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem::new(code, Severity::Error, field, message)
    }

    pub fn warning(
        code: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem::new(code, Severity::Warning, field, message)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "{} [{}]: {}",
                self.severity.as_str(),
                self.code,
                self.message
            )
        } else {
            write!(
                f,
                "{} [{}] {}: {}",
                self.severity.as_str(),
                self.code,
                self.field,
                self.message
            )
        }
    }
}
