//! `folio api enable|disable|status|token|serve` and `folio journals`: parsing and printing around
//! the app's read-API use cases. The token is printed only when asked for with `--show`.

use clap::{Args, Subcommand};
use folio_app::{AppError, Context, Workspace};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ApiArgs {
    #[command(subcommand)]
    pub command: ApiCommand,
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// Turn the local read API on for this workspace (admins).
    Enable {
        #[arg(long)]
        json: bool,
    },
    /// Turn it off.
    Disable {
        #[arg(long)]
        json: bool,
    },
    /// Whether it is on, and where its token is kept.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Create the API token in the OS keychain (if there is none); print it only with --show.
    Token {
        /// Print the token.
        #[arg(long)]
        show: bool,
        /// Replace the token with a new one (the old one stops working at the next serve).
        #[arg(long)]
        rotate: bool,
    },
    /// Serve the read API on 127.0.0.1 until stopped.
    Serve {
        #[arg(long, default_value_t = folio_app::api::DEFAULT_PORT)]
        port: u16,
    },
}

impl ApiArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            ApiCommand::Enable { json }
            | ApiCommand::Disable { json }
            | ApiCommand::Status { json } => *json,
            ApiCommand::Token { .. } | ApiCommand::Serve { .. } => false,
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

fn status(view: &folio_app::ApiStatusView, json: bool) {
    if json {
        return print_json(view);
    }
    println!(
        "the local read API is {}{}",
        if view.enabled { "on" } else { "off" },
        view.token_ref
            .as_deref()
            .map(|r| format!("; its token is kept in the OS keychain ({r})"))
            .unwrap_or_default()
    );
}

pub fn run(dir: &Path, context: Context, args: ApiArgs) -> Result<ExitCode, AppError> {
    match args.command {
        ApiCommand::Enable { json } => {
            status(
                &Workspace::open_with(dir, context)?.set_api_enabled(true)?,
                json,
            );
        }
        ApiCommand::Disable { json } => {
            status(
                &Workspace::open_with(dir, context)?.set_api_enabled(false)?,
                json,
            );
        }
        ApiCommand::Status { json } => {
            status(&Workspace::open_with(dir, context)?.api_status()?, json);
        }
        ApiCommand::Token { show, rotate } => {
            let mut workspace = Workspace::open_with(dir, context)?;
            // The OS's random source, read here at the edge.
            let (token, created) = workspace.api_token(rotate, &mut StdRng::from_os_rng())?;
            if show {
                println!("{token}");
            } else {
                println!(
                    "{} in the OS keychain; print it with `folio api token --show`",
                    if created {
                        "a new API token is"
                    } else {
                        "the API token is"
                    }
                );
            }
        }
        ApiCommand::Serve { port } => {
            folio_app::api::serve(dir, context, port, |address| {
                println!("serving the read API on http://{address} (see /openapi.json)");
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `folio journals`: every current journal with its GL sync status.
pub fn journals(workspace: &Workspace, json: bool) -> Result<ExitCode, AppError> {
    let list = workspace.journals_with_sync_status()?;
    if json {
        print_json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    for j in &list {
        println!(
            "{:<8} {:<8} v{} {:<9} {}  {}{}",
            j.document_id,
            j.journal_id,
            j.version,
            j.status.as_str(),
            j.date,
            j.outbox
                .as_ref()
                .map(|o| format!("{} {}", o.reference, o.state))
                .unwrap_or_else(|| "not approved".to_owned()),
            j.outbox
                .as_ref()
                .and_then(|o| o.gl_id.as_deref())
                .map(|g| format!(" ({g})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
