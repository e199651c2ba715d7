//! The GL's **write bound** per workspace: how long after a request was cut off (a timeout, a
//! lost answer, a killed `folio sync`) the GL may still commit what it was writing. A look-up
//! takes a journal's absence for "not booked" only after it (plus a margin), so it must not be
//! less than the server's own limit on a request. Tryton's is its `[request] timeout` (60 s by
//! default, hence [`folio_gl::tryton::DEFAULT_WRITE_BOUND`]); a company whose trytond is set to
//! less records it here (`folio gl write-bound SECONDS`, the setting `gl.write_bound_secs`,
//! audited like any setting) and its look-ups settle sooner. Only Tryton reads it: QuickBooks'
//! bound is Intuit's, the other connectors' writes end with their request.

use crate::error::{AppError, ErrorCode};
use crate::workspace::Workspace;
use folio_gl::ConnectorKind;
use std::time::Duration;

/// The setting's key.
pub const WRITE_BOUND: &str = "gl.write_bound_secs";
/// The range accepted, in seconds.
const RANGE: std::ops::RangeInclusive<u64> = 1..=3600;

impl Workspace {
    /// Tryton's write bound: the workspace's setting, else the default.
    pub fn gl_write_bound(&self) -> Result<Duration, AppError> {
        match self.store.setting(WRITE_BOUND)? {
            None => Ok(folio_gl::tryton::DEFAULT_WRITE_BOUND),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| RANGE.contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::WorkspaceCorrupt,
                        format!(
                            "the workspace setting '{WRITE_BOUND}' is '{text}', not a number of \
                             seconds from {} to {}",
                            RANGE.start(),
                            RANGE.end()
                        ),
                    )
                }),
        }
    }

    /// Records Tryton's write bound (its `[request] timeout`), audited.
    pub fn set_gl_write_bound(&mut self, seconds: u64) -> Result<Duration, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        if !RANGE.contains(&seconds) {
            return Err(AppError::new(
                ErrorCode::InvalidInput,
                format!(
                    "a write bound of {seconds} s is outside {} to {} s; give the GL server's \
                     own request timeout (trytond's `[request] timeout`, 60 s by default)",
                    RANGE.start(),
                    RANGE.end()
                ),
            ));
        }
        let change = self.context.change();
        self.store
            .save_settings(&[(WRITE_BOUND, &seconds.to_string())], &change)?;
        Ok(Duration::from_secs(seconds))
    }

    /// How long after its last send a journal's absence from the GL of `kind` counts as "not
    /// booked": [`crate::sync_actions::settle_for`], with this workspace's Tryton write bound.
    pub(crate) fn gl_settle(&self, kind: ConnectorKind) -> Result<Duration, AppError> {
        Ok(match kind {
            ConnectorKind::Tryton => crate::sync::SyncOptions::default()
                .settle
                .max(self.gl_write_bound()? + Duration::from_secs(2)),
            other => crate::sync_actions::settle_for(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context;

    #[test]
    fn the_recorded_bound_sets_tryton_look_ups_settle_time() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ws, _) =
            Workspace::init(&dir.path().join("ws"), false, Context::from_environment()).unwrap();
        assert_eq!(
            ws.gl_write_bound().unwrap(),
            folio_gl::tryton::DEFAULT_WRITE_BOUND
        );
        assert_eq!(
            ws.gl_settle(ConnectorKind::Tryton).unwrap(),
            crate::sync_actions::settle_for(ConnectorKind::Tryton)
        );
        assert_eq!(
            ws.set_gl_write_bound(0).unwrap_err().code,
            ErrorCode::InvalidInput
        );
        ws.set_gl_write_bound(10).unwrap();
        assert_eq!(ws.gl_write_bound().unwrap(), Duration::from_secs(10));
        // Never shorter than the worker's own settle time (the request timeout and a margin).
        assert_eq!(
            ws.gl_settle(ConnectorKind::Tryton).unwrap(),
            crate::sync::SyncOptions::default().settle
        );
        ws.set_gl_write_bound(30).unwrap();
        assert_eq!(
            ws.gl_settle(ConnectorKind::Tryton).unwrap(),
            Duration::from_secs(32)
        );
        assert_eq!(
            ws.gl_settle(ConnectorKind::Fava).unwrap(),
            crate::sync_actions::settle_for(ConnectorKind::Fava)
        );
    }
}
