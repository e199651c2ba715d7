//! `folio export journals|lines|payables`: parsing and printing around the app's export use cases.
//!
//! The data goes to `--out FILE` or, without it, to standard output; the report of what was
//! written then goes to standard error, so that the data stream stays clean for a pipe.

use clap::{Args, Subcommand};
use folio_app::{AppError, LedgerFormat, Workspace};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub command: ExportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A month's approved journals as a standalone beancount or hledger file.
    Journals {
        /// beancount or hledger.
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// The month, YYYY-MM (journals dated in it).
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// Write here (atomically) instead of to standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The report as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl ExportArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            ExportCommand::Journals { json, .. } => *json,
        }
    }
}

/// The report: on standard output when the data went to a file, else on standard error.
fn report<T: Serialize>(value: &T, json: bool, to_file: bool, human: impl FnOnce() -> String) {
    let text = if json {
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    } else {
        human()
    };
    if to_file {
        println!("{text}");
    } else {
        eprintln!("{text}");
    }
}

pub fn run(workspace: &Workspace, args: ExportArgs) -> Result<ExitCode, AppError> {
    match args.command {
        ExportCommand::Journals {
            format,
            period,
            out,
            json,
        } => {
            let format = LedgerFormat::parse(&format)?;
            let done = workspace.export_journals(format, &period, out.as_deref())?;
            report(&done, json, out.is_some(), || {
                format!(
                    "{} journals of {} written as {} ({} accounts, currencies {}){}",
                    done.journals,
                    done.period,
                    done.format,
                    done.accounts,
                    done.currencies.join(", "),
                    done.path
                        .as_deref()
                        .map(|p| format!(" to {p}"))
                        .unwrap_or_default()
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}
