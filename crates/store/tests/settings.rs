//! Workspace settings.

mod common;

use common::*;
use folio_store::StoreError;

#[test]
fn settings_are_saved_together_and_each_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    assert_eq!(store.setting("accounts.payable").unwrap(), None);
    store
        .save_settings(
            &[("accounts.payable", "1600"), ("accounts.rounding", "6990")],
            &change("admin", 1),
        )
        .unwrap();
    // Unchanged values record nothing.
    store
        .save_settings(
            &[("accounts.payable", "1610"), ("accounts.rounding", "6990")],
            &change("admin", 2),
        )
        .unwrap();
    assert_eq!(
        store.setting("accounts.payable").unwrap().as_deref(),
        Some("1610")
    );
    let all = store.settings().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all["accounts.rounding"], "6990");
    let events = store
        .audit_events(Some(("setting", "accounts.payable")))
        .unwrap();
    let changes: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.before_json.as_deref(),
                e.after_json.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("setting.changed", None, Some(r#""1600""#)),
            ("setting.changed", Some(r#""1600""#), Some(r#""1610""#)),
        ]
    );
    assert_eq!(store.audit_events(None).unwrap().len(), 4);

    // An empty key refuses the whole change.
    let err = store
        .save_settings(&[("accounts.payable", "1"), ("", "x")], &change("admin", 3))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    assert_eq!(
        store.setting("accounts.payable").unwrap().as_deref(),
        Some("1610")
    );
    store.verify_audit_chain().unwrap();
}
