//! Folio's desktop window: a Tauri 2 shell around the Svelte UI in `ui/`.
//!
//! This crate is the only one that depends on Tauri, so the core builds and tests without a
//! webview. It decides which workspace to open (see `location`), registers the commands (see
//! `commands`, each a few lines over `folio_app`) and the file-dialog plugin, sets the webview's
//! caches for a one-page app (see `webview`), and starts the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod location;
mod webview;

use location::Invocation;
use std::process::ExitCode;
use tauri::Manager;

fn main() -> ExitCode {
    let args = std::env::args_os().skip(1);
    let env = std::env::var_os("FOLIO_WORKSPACE");
    let location = match location::parse(args, env, location::default_dir) {
        Ok(Invocation::Run(location)) => location,
        Ok(Invocation::Help) => {
            println!("{}", location::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("folio-desktop {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("folio-desktop: {message}\n\n{}", location::USAGE);
            return ExitCode::from(2);
        }
    };

    let result = tauri::Builder::default()
        // The native file dialog of the Import screen (the capability grants only its `open`).
        .plugin(tauri_plugin_dialog::init())
        .manage(commands::Desktop::new(location))
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                webview::tune(&window)?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace_location,
            commands::workspace_info,
            commands::list_documents,
            commands::review_queue,
            commands::show_document,
            commands::open_document,
            commands::original_file,
            commands::journal_draft,
            commands::explain,
            commands::code_line,
            commands::coding_choices,
            commands::import_paths,
            commands::approve,
            commands::bulk_approve_preview,
            commands::bulk_approve,
            commands::sync,
            commands::outbox,
            commands::gl_log,
            commands::gl_connection,
            commands::gl_connect,
            commands::gl_connect_xero,
            commands::gl_rate_limits,
            commands::gl_connect_quickbooks,
            commands::gl_connect_business_central,
            commands::exceptions,
            commands::current_user,
            commands::users,
            commands::switch_user,
            commands::approval_status,
            commands::reject_document,
            commands::submit_document,
            commands::rules_in_use,
            commands::rules_test,
            commands::rules_diff,
            commands::overview,
            commands::gl_pull,
            commands::outbox_retry,
            commands::outbox_resolve,
            commands::forget_vendor,
            commands::import_history,
            commands::learned_model,
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("folio-desktop: the window could not start: {error}");
            ExitCode::FAILURE
        }
    }
}
