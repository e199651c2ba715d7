//! `folio`: the command-line face of Folio's use cases.
//!
//! Every subcommand is a thin call into `folio_app`; this file only parses arguments, picks the
//! workspace, and prints results for people (tables, a progress bar on a terminal) or for programs
//! (`--json`, stable and documented in the README). Exit codes: 0 ok, 1 some input was rejected,
//! 2 usage or workspace error.

mod coding;
mod eval;
mod eval_import;
mod export;
mod gl;
mod import_cmds;
mod output;

use clap::{Parser, Subcommand};
use folio_app::{AppError, Context, ErrorCode, ImportProgress, Workspace};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: supplier invoices in, balanced journals out."
)]
struct Cli {
    /// The workspace folder (default: $FOLIO_WORKSPACE, else the OS data folder).
    #[arg(long, global = true, env = "FOLIO_WORKSPACE", value_name = "DIR")]
    workspace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a workspace (with --demo: a chart of accounts, vendors and sample invoices).
    Init {
        #[arg(long)]
        demo: bool,
        #[arg(long)]
        json: bool,
    },
    /// Import invoice files or folders (one result per file).
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// One JSON object per input file, one per line.
        #[arg(long)]
        json: bool,
        /// The mapping profile CSV and XLSX files are read with (see `folio profiles`).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
    /// List the workspace's documents.
    Documents {
        #[arg(long)]
        json: bool,
    },
    /// Show one document with its lines, totals and problems.
    Show {
        #[arg(value_name = "DOC")]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Build (or show) the document's journal draft.
    Journal {
        #[arg(value_name = "DOC")]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve documents' journals and queue them for the general ledger.
    Approve(gl::ApproveArgs),
    /// Post the queued journals to the general ledger.
    Sync(gl::SyncArgs),
    /// The general ledger: connect, pull master data, show the API log.
    Gl(gl::GlArgs),
    /// Measure Folio on files: the coding suggester, the invoice importer (needs no workspace).
    Eval(eval::EvalArgs),
    #[command(flatten)]
    Coding(coding::CodingCommand),
    /// Saved mapping profiles for CSV and XLSX imports.
    Profiles(import_cmds::ProfilesArgs),
    /// Decide on documents flagged as (possible) duplicates.
    Duplicates(import_cmds::DuplicatesArgs),
    /// Coded data out: plain-text ledgers, BI lines, open payables.
    Export(export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Init { json, .. }
        | Command::Import { json, .. }
        | Command::Documents { json }
        | Command::Show { json, .. }
        | Command::Journal { json, .. } => *json,
        Command::Eval(args) => args.json(),
        Command::Approve(args) => args.json,
        Command::Sync(args) => args.json,
        Command::Gl(args) => args.json(),
        Command::Coding(command) => command.json(),
        Command::Profiles(args) => args.json(),
        Command::Duplicates(args) => args.json(),
        Command::Export(args) => args.json(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if json {
                println!("{}", serde_json::json!({ "error": error }));
            }
            eprintln!("error: {error}");
            ExitCode::from(exit_code_for(&error))
        }
    }
}

fn exit_code_for(error: &AppError) -> u8 {
    match error.code {
        ErrorCode::JournalNotBuildable | ErrorCode::JournalImmutable => 1,
        _ => 2,
    }
}

fn run(cli: Cli) -> Result<ExitCode, AppError> {
    let dir = cli
        .workspace
        .or_else(folio_app::default_workspace_dir)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::WorkspaceNotFound,
                "no workspace given and no OS data folder found: pass --workspace DIR",
            )
        })?;
    match cli.command {
        Command::Init { demo, json } => {
            let (_, report) = Workspace::init(&dir, demo, Context::from_environment())?;
            output::init(&report, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            paths,
            json,
            profile,
        } => {
            let mut workspace = Workspace::open(&dir)?;
            let bar = (!json && std::io::stderr().is_terminal()).then(output::progress_bar);
            let mut on_progress = |event: &ImportProgress| {
                if let ImportProgress::FileDone { outcome, .. } = event {
                    if json {
                        output::import_json_line(outcome);
                    } else {
                        output::import_line(outcome, bar.as_ref());
                    }
                }
                if let Some(bar) = &bar {
                    output::advance(bar, event);
                }
            };
            let options = folio_app::ImportOptions { profile };
            let (_, summary) = workspace.import_paths_with(&paths, &options, &mut on_progress)?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            if !json {
                output::import_summary(&summary);
            }
            Ok(if summary.rejected > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Documents { json } => {
            let workspace = Workspace::open(&dir)?;
            output::documents(&workspace.list_documents()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, json } => {
            let workspace = Workspace::open(&dir)?;
            output::document(&workspace.show_document(&id)?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal { id, json } => {
            let mut workspace = Workspace::open(&dir)?;
            output::journal(&workspace.journal_draft(&id)?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => Ok(eval::run(args)),
        Command::Approve(args) => gl::approve(&mut Workspace::open(&dir)?, args),
        Command::Sync(args) => gl::sync(&mut Workspace::open(&dir)?, args),
        Command::Gl(args) => gl::run(&mut Workspace::open(&dir)?, args),
        Command::Coding(command) => coding::run(command, &dir),
        Command::Profiles(args) => import_cmds::profiles(&dir, args),
        Command::Duplicates(args) => import_cmds::duplicates(&dir, args),
        Command::Export(args) => export::run(&Workspace::open(&dir)?, args),
    }
}
