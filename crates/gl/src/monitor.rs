//! The integration monitor's raw material: one record per API call a connector makes.
//!
//! A record says when, which connector, which operation, how it ended, how long it took and the
//! GL's correlation id, and carries an error sentence when there was one. It never carries a
//! request or response body, a credential or a header: only what an operator needs to see that
//! the GL was slow, down or refusing, without a log full of suppliers' personal data.

use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// One API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    pub started: SystemTime,
    pub connector: String,
    /// `post`, `lookup`, `master_data`, `errors`, …
    pub operation: String,
    /// The HTTP status, `ok` for a file write, or the kind of failure (`timeout`, `connect`).
    pub status: String,
    pub duration: Duration,
    /// The GL's id for the request, when it sends one (`X-Request-Id`).
    pub correlation_id: Option<String>,
    pub error: Option<String>,
}

/// Where a connector keeps its call records until the worker stores them.
#[derive(Debug, Default)]
pub struct CallLog {
    records: Mutex<Vec<CallRecord>>,
}

impl CallLog {
    pub fn push(&self, record: CallRecord) {
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }

    pub fn drain(&self) -> Vec<CallRecord> {
        self.records
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}
