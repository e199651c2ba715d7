//! `folio export journals|lines|payables`: parsing and printing around the app's export use cases.
//!
//! The data goes to `--out FILE` or, without it, to standard output; the report of what was
//! written then goes to standard error, so that the data stream stays clean for a pipe.

use clap::{Args, Subcommand};
use folio_app::{AppError, LedgerFormat, LinesFormat, PayablesForecast, PayablesFormat, Workspace};
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
    /// One row per coded journal line (document, vendor, amounts, account, dimensions, coding,
    /// approval, posting) as CSV or Parquet; see docs/export-lines.md.
    Lines {
        /// csv or parquet.
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// Only journals dated on or after this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only documents changed after this change sequence (the last_seq of an earlier export).
        #[arg(long, value_name = "N")]
        after_seq: Option<i64>,
        /// Write here (atomically) instead of to standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open payables by due date and currency (gross, early-payment discounts, IBAN) for a
    /// treasury forecast.
    Payables {
        /// csv or json.
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// Write here (atomically) instead of to standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// What is due in each of the next weeks, per currency (JSON with --json).
    Forecast {
        #[arg(long, default_value_t = 13)]
        weeks: u32,
        #[arg(long)]
        json: bool,
    },
}

impl ExportArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            ExportCommand::Journals { json, .. }
            | ExportCommand::Lines { json, .. }
            | ExportCommand::Forecast { json, .. } => *json,
            ExportCommand::Payables { format, .. } => format == "json",
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
                let currencies = if done.currencies.is_empty() {
                    "no currency".to_owned()
                } else {
                    format!("currencies {}", done.currencies.join(", "))
                };
                format!(
                    "{} journals of {} written as {} ({} accounts, {currencies}){}",
                    done.journals,
                    done.period,
                    done.format,
                    done.accounts,
                    done.path
                        .as_deref()
                        .map(|p| format!(" to {p}"))
                        .unwrap_or_default()
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        ExportCommand::Lines {
            format,
            since,
            after_seq,
            out,
            json,
        } => {
            let format = LinesFormat::parse(&format)?;
            let done =
                workspace.export_lines(format, since.as_deref(), after_seq, out.as_deref())?;
            report(&done, json, out.is_some(), || {
                format!(
                    "{} lines of {} documents written as {}{}; last change sequence {} \
                     (next time: --after-seq {})",
                    done.rows,
                    done.documents,
                    done.format,
                    done.path
                        .as_deref()
                        .map(|p| format!(" to {p}"))
                        .unwrap_or_default(),
                    done.last_seq,
                    done.last_seq
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        ExportCommand::Payables { format, out } => {
            let format = PayablesFormat::parse(&format)?;
            let n = workspace.export_payables(format, out.as_deref())?;
            if let Some(path) = out {
                println!("{n} open payables written to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        ExportCommand::Forecast { weeks, json } => {
            let forecast = workspace.payables_forecast(weeks)?;
            if json {
                match serde_json::to_string_pretty(&forecast) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("error: could not write JSON: {e}"),
                }
            } else {
                print_forecast(&forecast);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_forecast(f: &PayablesForecast) {
    let list = |totals: &[folio_app::PayableSum]| {
        if totals.is_empty() {
            "-".to_owned()
        } else {
            totals
                .iter()
                .map(|t| format!("{} {} ({})", t.amount, t.currency, t.documents))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    println!("open payables as of {}", f.as_of);
    println!("{:<23}  {}", "overdue", list(&f.overdue));
    for w in &f.weeks {
        println!("{} .. {}  {}", w.week_start, w.week_end, list(&w.totals));
    }
    println!("{:<23}  {}", "later", list(&f.later));
    println!("{:<23}  {}", "no due date", list(&f.undated));
}
