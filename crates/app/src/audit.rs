//! The audit trail as an auditor uses it: `folio audit verify` walks the hash chain and names the
//! first event that was altered or removed; `folio audit export` writes a period's evidence as
//! plain files with a SHA-256 manifest ([`crate::audit_export`]).
//!
//! The chain alone cannot show that its *tail* was cut off or that the whole log was rewritten
//! from some point on with fresh hashes: for that, a copy of the head kept elsewhere is needed.
//! Every journal posted to the GL carries the head at the time of posting (`folio_audit`
//! metadata, `SEQ-HASH`); `verify --head SEQ-HASH` checks the chain against such a copy.

use crate::dto_approvals::AuditVerifyReport;
use crate::error::{AppError, ErrorCode};
use crate::workspace::Workspace;
use folio_store::StoreError;

/// `SEQ-HASH` (or `SEQ:HASH`) as written into the GL.
fn parse_head(text: &str) -> Result<(i64, String), AppError> {
    let bad = || {
        AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "--head '{text}' is not an audit head: expected SEQ-HASH as in a posted entry's \
                 folio_audit metadata, e.g. 42-3f2a…"
            ),
        )
    };
    let (seq, hash) = text.trim().split_once(['-', ':']).ok_or_else(bad)?;
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    let hash = hash.to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((seq, hash))
}

impl Workspace {
    /// Walks the audit chain: every event must follow its predecessor and still have the hash it
    /// was written with. With `head` (a copy kept outside, e.g. from a posted entry's
    /// `folio_audit`), that event must still be in the chain with that hash.
    pub fn verify_audit(&self, head: Option<&str>) -> Result<AuditVerifyReport, AppError> {
        let expected = head.map(parse_head).transpose()?;
        let (seq, hash) = self.store.audit_head()?.unwrap_or((0, String::new()));
        let mut report = AuditVerifyReport {
            ok: true,
            events: 0,
            head_seq: seq,
            head_hash: hash,
            first_bad_event: None,
            event: None,
            reason: None,
        };
        match self.store.verify_audit_chain() {
            Ok(checked) => report.events = checked,
            Err(StoreError::AuditBreak { first, reason, .. }) => {
                report.ok = false;
                report.first_bad_event = Some(first);
                report.reason = Some(reason);
                report.event = self
                    .store
                    .audit_event(first)?
                    .map(|e| {
                        format!(
                            "{} {} {} {} by {}",
                            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            e.action,
                            e.entity,
                            e.entity_id,
                            e.actor
                        )
                    })
                    .or_else(|| Some("(no longer in the log)".into()));
                return Ok(report);
            }
            Err(e) => return Err(e.into()),
        }
        if let Some((seq, hash)) = expected {
            let found = self.store.audit_event(seq)?;
            let holds = found.as_ref().is_some_and(|e| e.hash == hash);
            if !holds {
                report.ok = false;
                report.first_bad_event = Some(seq);
                report.reason = Some(match found {
                    None => format!(
                        "the head kept outside names event {seq}, but the log ends at event {}: \
                         its tail was removed",
                        report.head_seq
                    ),
                    Some(e) => format!(
                        "the head kept outside says event {seq} has hash {hash}, the log has {}: \
                         the log was rewritten from there on",
                        e.hash
                    ),
                });
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_as_written_into_the_gl() {
        let hash = "ab".repeat(32);
        assert_eq!(
            parse_head(&format!("42-{hash}")).unwrap(),
            (42, hash.clone())
        );
        assert_eq!(parse_head(&format!("42:{hash}")).unwrap().0, 42);
        assert!(parse_head("42").is_err());
        assert!(parse_head(&format!("x-{hash}")).is_err());
        assert!(parse_head("42-abc").is_err());
    }
}
