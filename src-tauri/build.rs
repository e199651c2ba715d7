//! Runs tauri-build: it checks `tauri.conf.json`, embeds the icons, and generates one
//! `allow-…`/`deny-…` permission per app command. Declaring the commands here (the app manifest)
//! is what makes them subject to the capability in `capabilities/main-window.json`: a command the
//! capability does not grant cannot be invoked from the window.

/// Every `#[tauri::command]` of this crate, as registered in `main.rs`.
const COMMANDS: &[&str] = &[
    "workspace_location",
    "workspace_info",
    "list_documents",
    "review_queue",
    "show_document",
    "open_document",
    "original_file",
    "journal_draft",
    "explain",
    "code_line",
    "coding_choices",
    "import_paths",
    "approve",
    "bulk_approve_preview",
    "bulk_approve",
    "sync",
    "outbox",
    "gl_log",
    "gl_connection",
    "gl_connect",
    "exceptions",
    "current_user",
    "users",
    "switch_user",
    "approval_status",
    "reject_document",
    "submit_document",
    "rules_in_use",
    "rules_test",
    "rules_diff",
    "overview",
    "gl_pull",
    "outbox_retry",
    "outbox_resolve",
    "gl_connect_xero",
    "gl_rate_limits",
    "gl_connect_quickbooks",
    "gl_connect_business_central",
    "forget_vendor",
    "import_history",
    "learned_model",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
